r"""Output hygiene: user text made safe for the language it is written into.

Every table, report line and JSON document dualdiff prints passes its text through this
module (``render.render_table`` for every table format, the report and Gradescope
builders for their lines, the command line for its error line), so that text from a
hand table, a file name or a program reaches its reader as text, never as markup or as
a command:

* terminals and report lines -- :func:`one_line`: control characters, escape sequences,
  bidi overrides, line separators and lone surrogates are shown escaped (``\x1b``,
  ``\u202e``, ``\n``), so one line of user text stays one line and cannot clear the
  screen, retitle the window, reverse text or forge a report line;
* LaTeX -- :func:`latex_text`: ``\ { } $ & % # ^ _ ~ < > |`` escaped, Greek letters and
  common symbols as math commands, other characters outside Latin-1 as ``[U+XXXX]``
  (the output compiles with a plain ``pdflatex`` preamble; ``\input`` and ``\write18``
  from user text are words, not commands);
* Markdown (github/pipe tables) -- ``|`` escaped, ``<`` before a tag and ``&`` before an
  entity as HTML entities; HTML -- :func:`html.escape`;
* CSV/TSV -- :func:`csv_cell`: a cell starting with ``= + - @`` that is not a number gets
  a leading ``'`` so no spreadsheet runs it as a formula (``-0.84`` stays a number);
* JSON -- :func:`dumps`: ``allow_nan=False`` with nan/inf written as the strings
  ``"nan"``, ``"inf"``, ``"-inf"`` (documented in docs/conventions.md), non-ASCII as
  ``\u`` escapes, so the document parses with any strict JSON parser.

Text dualdiff itself wrote in a format's own markup (the LaTeX of a name or formula) is a
:class:`Markup` string and passes unchanged.

>>> one_line("0.84\x1b[2J\nOK: 22 correct")
'0.84\\x1b[2J\\nOK: 22 correct'
>>> latex_text(r"\input{/etc/passwd} 100%")
'\\textbackslash{}input\\{/etc/passwd\\} 100\\%'
>>> csv_cell("=HYPERLINK(1)"), csv_cell("-0.84"), csv_cell("+ extra")
("'=HYPERLINK(1)", '-0.84', "'+ extra")
>>> dumps({"v": float("nan")}, indent=None)
'{"v": "nan"}'
"""
from __future__ import annotations

import html
import json
import math
import re
from typing import Any

__all__ = ["Markup", "one_line", "latex_text", "csv_cell", "csv_text", "markdown_text", "wiki_text", "cell", "dumps",
           "finite_json"]


class Markup(str):
    """Text dualdiff wrote in the target format's own markup: not escaped again."""

    __slots__ = ()


# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates
# and marks, and lone surrogates (not valid in UTF-8 output).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: Any) -> str:
    """``text`` as one printable line: controls, escapes, bidi overrides shown escaped."""
    s = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escape_char, s) if _UNSAFE.search(s) else s


# --------------------------------------------------------------------------- LaTeX
_LATEX_ASCII = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}",
}
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
          "varsigma sigma tau upsilon phi chi psi omega").split()
_LATEX_SYMBOLS = {chr(0x3b1 + i): f"${'o' if g == 'omicron' else chr(92) + g}$" for i, g in enumerate(_GREEK)}
_LATEX_SYMBOLS.update({chr(0x391 + i): f"${chr(92) + g.capitalize()}$" for i, g in enumerate(_GREEK)
                       if g in ("gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon", "phi", "psi", "omega")})
_LATEX_SYMBOLS.update({
    "∂": r"$\partial$", "−": "$-$", "×": r"$\times$", "÷": r"$\div$", "·": r"$\cdot$", "⋅": r"$\cdot$",
    "≈": r"$\approx$", "≠": r"$\neq$", "≤": r"$\leq$", "≥": r"$\geq$", "±": r"$\pm$", "∞": r"$\infty$",
    "→": r"$\to$", "←": r"$\leftarrow$", "↪": r"$\hookrightarrow$", "⇒": r"$\Rightarrow$", "√": r"$\surd$",
    "✓": r"$\surd$", "✗": r"$\times$", "…": r"\dots{}", "′": "$'$", "″": "$''$", "–": "--", "—": "---",
    "‘": "`", "’": "'", "“": "``", "”": "''", "\u00a0": "~", "°": r"$^\circ$", "∑": r"$\sum$", "∇": r"$\nabla$",
    "ε": r"$\varepsilon$", "ϕ": r"$\phi$", "µ": r"$\mu$",
})
_LATEX_SYMBOLS.update({chr(0x2080 + d): f"$_{{{d}}}$" for d in range(10)})
_LATEX_SYMBOLS.update({ch: f"$^{{{d}}}$" for d, ch in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")})


def _latex_char(ch: str) -> str:
    if ch in _LATEX_ASCII:
        return _LATEX_ASCII[ch]
    if " " <= ch <= "~":
        return ch
    if ch in _LATEX_SYMBOLS:
        return _LATEX_SYMBOLS[ch]
    if "\u00c0" <= ch <= "\u00ff" or "\u00a1" <= ch <= "\u00bf":  # Latin-1: LaTeX's utf8 input handles it
        return ch
    return f"[U+{ord(ch):04X}]"


def latex_text(text: Any) -> str:
    """User text as LaTeX text-mode material that compiles and runs nothing."""
    s = one_line(text)
    return "".join(_latex_char(ch) for ch in s)


# --------------------------------------------------------------------------- Markdown, HTML
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def markdown_text(text: Any) -> str:
    """User text for a Markdown pipe-table cell: one line, ``|`` escaped, no HTML tag or entity."""
    s = one_line(text).replace("|", "\\|")
    s = _ENTITY_START.sub("&amp;", s)
    return _TAG_START.sub("&lt;", s)


# --------------------------------------------------------------------------- CSV
_CSV_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf|nan")


def csv_cell(text: Any) -> str:
    """A CSV/TSV cell that no spreadsheet runs as a formula.

    A cell whose first non-blank character is ``= + - @`` and that is not a plain number
    gets a leading ``'`` (the spreadsheet convention for "text"): ``=HYPERLINK(…)``,
    ``+ extra``, ``@SUM(A1)``.  Numbers stay numbers: ``-0.84``, ``+1e-5``, ``-inf``.
    """
    s = one_line(text)
    head = s.lstrip()
    if head[:1] in ("=", "+", "-", "@") and not _CSV_NUMBER.fullmatch(head):
        return "'" + s
    return s


def csv_text(headers: Any, rows: Any) -> str:
    r"""A whole CSV document, every cell (headers, numbers, counts included) through
    :func:`csv_cell`: the one path by which dualdiff writes CSV (``render_table``'s
    ``csv`` format, ``dualdiff check --format csv``).  Quoting is the :mod:`csv` module's;
    lines end with ``\n``; the text ends with a newline.

    >>> print(csv_text(["file", "score"], [["=cmd|' /C calc'!A0", 3], ["a\nOK: 22/22", -1.5]]), end="")
    file,score
    '=cmd|' /C calc'!A0,3
    a\nOK: 22/22,-1.5
    """
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in headers])
    w.writerows([csv_cell(c) for c in row] for row in rows)
    return buf.getvalue()


# --------------------------------------------------------------------------- dispatch
_LATEX_FORMATS = {"latex", "latex_booktabs", "latex_longtable", "latex_raw"}
_MARKDOWN_FORMATS = {"github", "pipe"}
_HTML_FORMATS = {"html", "unsafehtml"}
_CSV_FORMATS = {"csv", "tsv"}


# --------------------------------------------------------------------------- wiki and markup tables
def _entities(chars: str) -> dict[str, str]:
    return {c: f"&#{ord(c)};" for c in chars}


def _backslashed(chars: str) -> dict[str, str]:
    return {c: "\\" + c for c in chars}


# Each language's own escape for the characters that are markup in it (cell separators,
# links, templates, macros, inline formatting, raw HTML): reStructuredText and Jira take a
# backslash; MediaWiki, Textile, AsciiDoc and MoinMoin numeric character references; Org
# its \vert{} entity for the cell bar, and a zero-width space to break @@export@@ snippets,
# [[links]] and {{{macros}}}.  A cell that is a plain number keeps its minus sign.
_WIKI_ESCAPES: dict[str, dict[str, str]] = {
    "rst": _backslashed("\\`*_|:<>[]"),
    "jira": _backslashed("\\|{}[]*_!^~+?#-"),
    "youtrack": _backslashed("\\|{}[]*_!^~+?#-"),
    "mediawiki": _entities("|!{}[]<>&'~_=*#:;"),
    "textile": _entities("|*_\"!@%^~+-[]{}<>&=()?"),
    "asciidoc": _entities("|*_+`#^~{}[]<>&:\\"),
    "moinmoin": _entities("|'[]{}<>&_^,~-`=*"),
}
_ORG = {"|": "\\vert{}", "@@": "@\u200b@", "[[": "[\u200b[", "{{{": "{\u200b{{"}


def wiki_text(text: Any, fmt: str) -> str:
    r"""User text for a cell of the wiki/markup table format ``fmt`` (rst, mediawiki, jira,
    textile, asciidoc, moinmoin, youtrack, orgtbl): one line, every character that is
    markup in that language escaped its own way, so a cell cannot end the cell or the
    row, link, embed, include or run anything.

    >>> wiki_text("a || b [[Main Page]] {{evil}}", "mediawiki")
    'a &#124;&#124; b &#91;&#91;Main Page&#93;&#93; &#123;&#123;evil&#125;&#125;'
    >>> print(wiki_text("`x <http://e.vil>`_", "rst"), wiki_text("-0.84", "jira"))
    \`x \<http\://e.vil\>\`\_ -0.84
    """
    s = one_line(text)
    if _CSV_NUMBER.fullmatch(s.strip()) or not s:
        return s
    if fmt == "orgtbl":
        for a, b in _ORG.items():
            s = s.replace(a, b)
        return s
    table = _WIKI_ESCAPES[fmt]
    return "".join(table.get(ch, ch) for ch in s)


def cell(text: Any, fmt: str) -> str:
    """One table cell of user text, escaped for table format ``fmt`` (Markup passes)."""
    if isinstance(text, Markup):
        return str(text)
    if fmt in _WIKI_ESCAPES or fmt == "orgtbl":
        return wiki_text(text, fmt)
    if fmt in _LATEX_FORMATS:
        return latex_text(text)
    if fmt in _MARKDOWN_FORMATS:
        return markdown_text(text)
    if fmt in _HTML_FORMATS:
        return html.escape(one_line(text), quote=True)
    if fmt in _CSV_FORMATS:
        return csv_cell(text)
    return one_line(text)


# --------------------------------------------------------------------------- JSON
def finite_json(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by "nan", "inf" or "-inf"."""
    if isinstance(obj, float):
        if math.isnan(obj):
            return "nan"
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return obj
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    return obj


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON: no NaN/Infinity (strings instead), non-ASCII and controls as ``\\u`` escapes."""
    return json.dumps(finite_json(obj), indent=indent, ensure_ascii=True, allow_nan=False)
