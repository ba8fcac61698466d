r"""Text clean-up shared by cells, step names and headers of a hand table.

:func:`strip_markup` removes presentation markup -- ``$``, ``**``, backticks, HTML tags
and entities (``&nbsp;``), ``\text{...}``/``\mathbf{...}``/``\boxed{...}`` wrappers,
``\left``/``\right``, a trailing ``\\`` -- and deletes struck-out text (``~~0.85~~``,
``\cancel{...}``, ``<del>``: a correction).  ``\,`` or a thin/no-break space *between
digits* groups digits and is dropped; elsewhere it is a space.  Unicode super/subscripts
become ``^{..}`` / ``_{..}``; ``−`` (U+2212) and ``–`` become ``-``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

__all__ = ["strip_markup", "repeat_sub", "quote"]


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾", "0123456789+-=()")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()")
_SUPER_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾]+")
_SUB_RUN = re.compile("[₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎]+")

_ENTITIES = {
    "&nbsp;": "\u00a0", "&thinsp;": "\u2009", "&#8201;": "\u2009", "&#160;": "\u00a0",
    "&minus;": "-", "&times;": "×", "&middot;": "·", "&sdot;": "·", "&asymp;": "≈",
    "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&amp;": "&",
}
_ENTITY_RE = re.compile("|".join(re.escape(k) for k in _ENTITIES))

# Commands whose braced argument is the text itself (bold, boxed, roman ...).
_WRAPPERS = re.compile(
    r"\\(?:text|textbf|textit|textrm|textsf|texttt|mathbf|mathrm|mathit|mathsf|mathtt|"
    r"mathnormal|boldsymbol|bm|boxed|fbox|mbox|hbox|underline|emph|operatorname|"
    r"displaystyle|textstyle|scriptstyle)\s*\{((?:[^{}]|\{[^{}]*\})*)\}"
)
_COLOR = re.compile(r"\\(?:color|textcolor|colorbox)\s*\{[^{}]*\}")
_STRUCK = re.compile(r"~~[^~]*~~|\\(?:cancel|bcancel|xcancel|sout|st)\s*\{[^{}]*\}")
# HTML strike-through tags are paired by a scan, not by a regex "<del>.*?</del>": that
# lazy match restarts at every "<del>" and is quadratic on "<del>" × N (19 s on 130 KB).
_STRIKE_TAG = re.compile(r"<(/?)(del|s|strike)(?:\s[^<>]{0,200})?\s*>", re.IGNORECASE)


def _drop_struck_tags(s: str) -> str:
    """Delete ``<del>…</del>``, ``<s>…</s>``, ``<strike>…</strike>`` in one linear pass.

    Each opening tag is paired with the next closing tag of the same name; an opening tag
    without one is left alone (as the lazy regex did).

    >>> _drop_struck_tags("<del>0.85</del> 0.84 <s>x</S>")
    '  0.84  '
    """
    if "<" not in s:
        return s
    tags = [(m.start(), m.end(), m.group(1) == "/", m.group(2).lower()) for m in _STRIKE_TAG.finditer(s)]
    if not tags:
        return s
    closes: dict[str, list[int]] = {}
    for i, (_, _, closing, name) in enumerate(tags):
        if closing:
            closes.setdefault(name, []).append(i)
    pointer = dict.fromkeys(closes, 0)
    out, pos, i = [], 0, 0
    while i < len(tags):
        start, _, closing, name = tags[i]
        if closing or start < pos:
            i += 1
            continue
        lst = closes.get(name, [])
        k = pointer.get(name, 0)
        while k < len(lst) and lst[k] <= i:
            k += 1
        if name in pointer:
            pointer[name] = k
        if k == len(lst):
            i += 1
            continue
        j = lst[k]
        out.append(s[pos:start])
        out.append(" ")
        pos = tags[j][1]
        i = j + 1
    out.append(s[pos:])
    return "".join(out)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
# \, \; \: \! "\ " ~ \quad \qquad: LaTeX spacing.
_LATEX_SPACE = re.compile(r"\\[,;:! ]|\\q?quad(?![A-Za-z])|~")
# A thin space (LaTeX or unicode) or no-break space between digits groups digits.
_DIGIT_GROUP_SPACE = re.compile(r"(?<=\d)(?:\\,|\\thinspace(?![A-Za-z])|[\u2009\u202f\u00a0\u2007])(?=\d)")
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"})

def _unescape_entities(s: str) -> str:
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(0)], s)


def _scripts_to_latex(s: str) -> str:
    """``10⁻³`` -> ``10^{-3}``, ``u₁`` -> ``u_{1}``: keeps exponents and
    subscripts recognisable after NFKC would otherwise flatten them to digits."""
    s = _SUPER_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", s)
    return _SUB_RUN.sub(lambda m: "_{" + m.group(0).translate(_SUBSCRIPTS) + "}", s)


def repeat_sub(pattern: re.Pattern[str], repl: Any, s: str, limit: int = 25) -> str:
    # Nested wrappers (\textbf{\boxed{..}}) unwrap from the inside out; the limit
    # keeps a hostile "{{{{...}}}}" from costing more than a few linear passes.
    for _ in range(limit):
        new = pattern.sub(repl, s)
        if new == s:
            break
        s = new
    return s


@functools.lru_cache(maxsize=65536)
def strip_markup(s: str) -> str:
    """Remove presentation markup common to all cells (numbers, names, headers)."""
    s = _unescape_entities(s)
    s = _STRUCK.sub(" ", _drop_struck_tags(s))
    s = _HTML_TAG.sub(" ", s)
    s = _scripts_to_latex(s)
    s = _DIGIT_GROUP_SPACE.sub("", s)
    s = unicodedata.normalize("NFKC", s)
    s = s.translate(_MINUSES).replace("\u2044", "/").replace("\u2215", "/")
    s = _COLOR.sub("", s)
    s = repeat_sub(_WRAPPERS, r"\1", s)
    s = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])\s*\\?", "", s)
    s = re.sub(r"\\\\\s*(?:\\hline\s*)?$", "", s.strip())  # trailing "\\" of a LaTeX row
    s = s.replace("\\(", " ").replace("\\)", " ").replace("\\[", " ").replace("\\]", " ")
    s = s.replace("$", " ").replace("`", " ")
    s = _LATEX_SPACE.sub(" ", s)
    return s


def quote(text: str, limit: int = 40) -> str:
    """Quote a piece of a cell in a message without pasting a whole page into it."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
