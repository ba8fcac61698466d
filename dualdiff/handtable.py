r"""Reading hand-written derivative tables, and the ``tol="digits"`` rule.

A hand table is what a student or instructor wrote down: one row per step of a
computation, with the step's value and its derivative with respect to each input.
:func:`read_hand_table` turns any of the accepted forms into a :class:`HandTable`
whose cells keep the text as written, the number read from it, and how many
decimal places were written (the ``digits`` tolerance judges a hand value at the
precision its author used).  This module uses the standard library only and knows
nothing about traces; verification lives elsewhere.

Accepted sources
================

* **dict** ``{step: (value, d/d<wrt[0]>, d/d<wrt[1]>, ...)}`` -- a tuple/list in
  ``wrt`` order, a bare number (value only), or a dict keyed by column headers
  (``{"value": 0.84, "d/dx": 0.54}``).  Entries may be numbers or strings; a
  float's decimals are those of its shortest ``repr``.
* **CSV** (``.csv``; ``.tsv`` and ``;``-separated files too): a header row
  ``step,value,d/dx,...`` then one row per step.
* **JSON** (``.json``), any of::

      {"u1": [0.8415, 0.5403], ...}
      {"u1": {"value": 0.8415, "d/dx": 0.5403}, ...}
      {"steps": [{"name": "u1", "value": 0.8415, "derivs": {"x": 0.5403}}, ...]}

  (the last is dualdiff's own ``to_json``; a bare list of such step objects is
  accepted as well).  Numbers keep the digits written in the file.
* **Markdown** (``.md``, ``.markdown``): the *first* pipe table in the file that
  has a step column is used; prose, headings and other tables (a grading rubric,
  say) before or after it are ignored.  A GitHub separator row is optional;
  ``tabulate``'s ``grid`` rules (``+----+``) are skipped.
* **LaTeX tabular** rows (``u_1 & 0.8415 & 0.5403 \\``), used when no pipe table
  is present (``.tex``, or sniffed).
* ``.txt`` files and text strings are sniffed: JSON if they start with ``{`` or
  ``[``, Markdown if they hold a pipe table, LaTeX if they hold ``&``-rows,
  otherwise CSV.

Headers
=======

The step column is the first column headed ``step``, ``node``, ``variable``,
``name``, ``$i$``, ``#``, ... or left empty; failing that, the first column when
its header is not a value/derivative/expression header.  Value columns:
``value``, ``val``, ``v``, ``Value``, ``$u_i$ value``, ``primal``, ...
Derivative columns: ``d/dx``, ``dy/dx``, ``du/dx``, ``∂/∂x``,
``$\partial/\partial x$``, ``$\frac{\partial}{\partial x}$``, ``$\frac{d}{dx}$``,
``d/dw1``, ``derivative w.r.t. x``; the variable named is matched against
``wrt`` (ignoring ``_``, braces and subscript style).  A header naming no
variable (``derivative``, ``deriv``, ``tangent``, ``$\dot v$``, ``u'``) means the
first input of ``wrt``; a header naming a variable that is not an input means
the only input when ``wrt`` has exactly one and the name is not a step of the
table (``dy/dx`` for ``wrt=["t"]``), otherwise the column is reported unknown.
``expression``/``expr``/``formula`` and ``notes``/``comment`` columns are
ignored; any other column is recorded in :attr:`HandTable.problems`.
Canonical column names are ``"value"`` and ``"d/d<input>"`` (``"d/dx"``,
``"d/dw1"``).

Step names
==========

``u1``, ``u_1``, ``$u_1$``, ``u_{1}``, ``u₁``, ``**u1**``, ```u1```,
``\mathbf{u_1}`` all mean ``u1`` (:func:`normalize_step_name`): markup, ``_``,
braces and spaces are dropped, unicode subscripts become digits, a trailing
``= formula`` or `` (remark)`` is cut off.  Case is kept.  Verification should
pass the trace's own step names through the same function.

Reading a number from a cell
============================

1. Markup is removed first: ``$``, ``**``, backticks, HTML tags and entities
   (``&nbsp;``), ``\text{...}``/``\mathbf{...}``/``\boxed{...}`` wrappers,
   ``\left``/``\right``, trailing ``\\``.  Struck-out text (``~~0.85~~``,
   ``\cancel{...}``, ``<del>``) is deleted: it is a correction.  ``\,`` or a
   thin/no-break space *between digits* is a digit-group separator and joins
   them; elsewhere it is a space.  Unicode super/subscripts become ``^{..}`` /
   ``_{..}``; ``−`` (U+2212) and ``–`` are minus signs; ``\approx``, ``≈``,
   ``:=``, ``\to``, ``→`` count as ``=``.
2. The candidates are the *standalone* numeric literals: not glued to a letter
   (``u1``, ``2x``, ``w1``), not a subscript or exponent (``u_5``, ``x^2``,
   ``e^{-3}``), not inside braces of a command (``\frac{1}{2}``, ``\sqrt{2}``),
   not the argument of a function (``\sin(1)``, ``\sin 1``, ``cos 1``), not
   part of ``a/b``, and not a count of places (``4 d.p.``, ``3 s.f.``).
3. The number used is the last candidate in the cell.  As names, subscripts
   and function arguments are not candidates, that is the number after the
   last ``=`` (``\sin(1) = 0.84147096`` gives 0.84147096), or before it when
   only a formula follows (``0.84 = \sin(1)`` gives 0.84).  Numbers inside
   ``(...)`` or ``[...]`` are used only when there is none outside, so a remark
   such as ``0.84 (at x = 1)`` gives 0.84 while ``(-0.07)`` gives -0.07.
   A ``-`` right before it is a sign unless it follows a digit, letter or
   closing bracket (then it is a binary minus and the number is positive).
4. Scientific notation: ``1.2e-3``, ``1.2E+03``, ``1.2 \times 10^{-3}``,
   ``1.2·10⁻³``, ``1.2*10^-3``, ``1.2 x 10^-3``, and a bare ``10^{-3}``.
5. Separators.  A period is a decimal point.  A comma is
   * a thousands separator when the number also has a later period
     (``1,234.5``) or several commas in valid groups of three (``1,234,567``);
   * a decimal comma when it is the last separator after period groups
     (``1.234,5``), or a single comma followed by other than exactly three
     digits (``0,8415``, ``1,5``), or a single comma whose integer part cannot
     be a thousands group (``0,841``, ``1234,567``);
   * periods alone in valid groups of three (``1.234.567``) are thousands
     separators (several decimal points cannot be meant);
   * otherwise (``1,234``: thousand-two-hundred-thirty-four or one point
     two-three-four?) the column decides: a column whose other cells use decimal
     commas and no decimal point reads it as a decimal comma, a column whose
     cells use decimal points and no decimal comma reads it as a thousands
     separator; with no such evidence the cell is reported unreadable rather
     than guessed.
6. ``decimals`` is the number of digits written after the decimal separator
   minus the power of ten: ``"0.8415"`` → 4, ``"1.20e-3"`` → 5, ``"12"`` → 0,
   ``"1.2\times10^{-3}"`` → 4, ``"1.2e3"`` → -2.
7. Blank cells and cells holding only a dash or ``n/a`` are empty (no number and
   no problem).  ``inf``, ``∞``, ``nan`` are read when the cell holds no digits.

Limits and errors
=================

A ``str`` source is a file path unless it holds a newline, starts with ``{`` or
``[``, or contains ``|``; then it is the table itself.  :class:`HandTableError`
(a ``ValueError`` with a one-line message) is raised for a missing file, a
directory, a file over 5 MB, a binary file (NUL bytes) or one that is not UTF-8,
an empty file, invalid JSON, no table, a first row of numbers (no header), no
step column, or no value/derivative column.  Everything smaller is recorded, not
raised: unreadable cells carry a ``problem``; duplicate steps (the first is
kept), rows without a step name, unknown columns and surplus cells go to
:attr:`HandTable.problems` as ``(where, reason)``.  Cells over 4096 characters
are not read.

The digits tolerance
====================

:func:`within_digits` accepts a hand value that differs from the true value by
at most one unit in its last written decimal place, ``10**-decimals`` (plus a
1e-12 relative slack for binary floating point), so both rounding and
truncation pass:

>>> within_digits(0.8414709848078965, 0.8415, 4), within_digits(0.8414709848078965, 0.8414, 4)
(True, True)
>>> within_digits(0.5403023058681398, 0.5463, 4)
False
"""

from __future__ import annotations

import csv
import io
import functools
import json
import math
import numbers
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .files import read_limited  # standard library only, like this module

__all__ = [
    "HandCell",
    "HandTable",
    "HandTableError",
    "read_hand_table",
    "normalize_step_name",
    "parse_number",
    "within_digits",
    "digits_tolerance",
]


MAX_BYTES = 5 * 1024 * 1024  # a hand table is a page or two; anything bigger is a mistake


class HandTableError(ValueError):
    """A hand table that cannot be used at all (one-line reason in the message)."""


@dataclass(frozen=True)
class HandCell:
    text: str  # the raw cell text as written
    number: float | None  # parsed number, or None
    decimals: int | None  # decimal places as written, exponent accounted for
    problem: str | None  # why no number was read; None for an empty cell


@dataclass
class HandTable:
    columns: list[str]
    rows: dict[str, dict[str, HandCell]]
    problems: list[tuple[str, str]] = field(default_factory=list)
    source: str = "<dict>"


# ---------------------------------------------------------------------------
# Text clean-up shared by numbers, step names and headers
# ---------------------------------------------------------------------------

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
_STRUCK = re.compile(
    r"~~[^~]*~~|\\(?:cancel|bcancel|xcancel|sout|st)\s*\{[^{}]*\}"
    r"|<(del|s|strike)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
# \, \; \: \! "\ " ~ \quad \qquad: LaTeX spacing.
_LATEX_SPACE = re.compile(r"\\[,;:! ]|\\q?quad(?![A-Za-z])|~")
# A thin space (LaTeX or unicode) or no-break space between digits groups digits.
_DIGIT_GROUP_SPACE = re.compile(r"(?<=\d)(?:\\,|\\thinspace(?![A-Za-z])|[\u2009\u202f\u00a0\u2007])(?=\d)")
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"})
_NOT_LETTER = r"(?![A-Za-z])"  # end of a command name: "\times10" has no word boundary
_EQUALS = re.compile(
    r"\\(?:approx|simeq|equiv|coloneqq|to|Rightarrow|rightarrow|implies)" + _NOT_LETTER
    + r"|:=|=>|[≈≃≅≡→⇒⟹]"
)
_TIMES = re.compile(r"\\(?:times|cdot)" + _NOT_LETTER + r"|[·⋅∙✕]")


def _unescape_entities(s: str) -> str:
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(0)], s)


def _scripts_to_latex(s: str) -> str:
    """``10⁻³`` -> ``10^{-3}``, ``u₁`` -> ``u_{1}``: keeps exponents and
    subscripts recognisable after NFKC would otherwise flatten them to digits."""
    s = _SUPER_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", s)
    return _SUB_RUN.sub(lambda m: "_{" + m.group(0).translate(_SUBSCRIPTS) + "}", s)


def _repeat_sub(pattern: re.Pattern[str], repl: Any, s: str, limit: int = 25) -> str:
    # Nested wrappers (\textbf{\boxed{..}}) unwrap from the inside out; the limit
    # keeps a hostile "{{{{...}}}}" from costing more than a few linear passes.
    for _ in range(limit):
        new = pattern.sub(repl, s)
        if new == s:
            break
        s = new
    return s


@functools.lru_cache(maxsize=65536)
def _strip_markup(s: str) -> str:
    """Remove presentation markup common to all cells (numbers, names, headers)."""
    s = _unescape_entities(s)
    s = _STRUCK.sub(" ", s)
    s = _HTML_TAG.sub(" ", s)
    s = _scripts_to_latex(s)
    s = _DIGIT_GROUP_SPACE.sub("", s)
    s = unicodedata.normalize("NFKC", s)
    s = s.translate(_MINUSES).replace("\u2044", "/").replace("\u2215", "/")
    s = _COLOR.sub("", s)
    s = _repeat_sub(_WRAPPERS, r"\1", s)
    s = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])\s*\\?", "", s)
    s = re.sub(r"\\\\\s*(?:\\hline\s*)?$", "", s.strip())  # trailing "\\" of a LaTeX row
    s = s.replace("\\(", " ").replace("\\)", " ").replace("\\[", " ").replace("\\]", " ")
    s = s.replace("$", " ").replace("`", " ")
    s = _LATEX_SPACE.sub(" ", s)
    return s


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

def _exp_braced(name: str) -> str:
    """An exponent after "^": braced "{-3}" or bare "-3"."""
    return r"\{\s*(?P<" + name + r">[+\-]?\s*\d+)\s*\}|(?P<" + name + r"2>[+\-]?\d+)"


_LITERAL = re.compile(
    r"(?P<sign>[+\-]\s*)?"
    r"(?:"
    r"10\s*\^\s*(?:" + _exp_braced("pexp") + r")"  # bare power of ten
    r"|"
    r"(?P<mant>\d[\d,.]*\d|\d|\.\d+)"
    r"(?:[eE](?P<eexp>[+\-]?\d+)"
    r"|\s*[×xX]\s*10\s*\^\s*(?:" + _exp_braced("texp") + r"))?"
    r")",
    re.ASCII,  # only 0-9 are digits: other scripts' digits are not read as numbers
)
_PLACES_AFTER = re.compile(
    r"\s*(?:d\.\s*p\b|s\.\s*f\b|dp\b|sf\b|decimal|digit|sig|significant|place)", re.IGNORECASE
)
_SPECIAL = re.compile(r"(?<![A-Za-z])(?P<sign>[+\-]\s*)?(?P<word>infinity|inf|∞|\\infty|nan)(?![A-Za-z])",
                      re.IGNORECASE)
_BLANK_WORD = re.compile(r"-+|—+|n/?a|none|\.\.\.|…", re.IGNORECASE)
MAX_CELL = 4096  # characters; a hand-written cell is a line, not a page
_MAX_EXPONENT = 400  # beyond this a double is 0 or inf anyway


@dataclass(frozen=True)
class _Reading:
    number: float | None
    decimals: int | None
    problem: str | None
    style: str | None  # decimal separator evidence: "comma", "period" or None


def _is_blank_text(text: str) -> bool:
    """Empty, or only a dash or "n/a": the author left the cell blank on purpose."""
    t = text.strip()
    return not t or _BLANK_WORD.fullmatch(t) is not None


def _clean_number_text(text: str) -> str:
    s = text
    # "1.2*10^-3" before "*" is dropped as Markdown emphasis.
    s = re.sub(r"(?<=\d)\s*\*\s*(?=10\s*\^)", "×", s)
    s = _strip_markup(s)
    s = s.replace("*", " ").replace("__", " ")
    s = _TIMES.sub("×", s)
    s = _EQUALS.sub("=", s)
    # A plain brace group after "=" or a space ({0.84}) is just grouping; braces
    # after a command, "^", "_" or "}" are arguments and keep their digits out.
    s = _repeat_sub(re.compile(r"(?<![\\\w^_}])\{([^{}]*)\}"), r" \1 ", s)
    return s


def _brackets(s: str) -> tuple[list[bool], list[bool]]:
    """For each index: is it inside the parentheses of a function call (``sin(1)``),
    and is it inside any parentheses or square brackets at all?"""
    in_call = [False] * (len(s) + 1)
    in_any = [False] * (len(s) + 1)
    stack: list[bool] = []
    for i, ch in enumerate(s):
        if ch in "([":
            j = i - 1
            while j >= 0 and s[j] == " ":
                j -= 1
            stack.append(ch == "(" and j >= 0 and s[j].isalpha())
        elif ch in ")]" and stack:
            stack.pop()
        in_call[i] = bool(stack) and stack[-1]
        in_any[i] = bool(stack)
    return in_call, in_any


# Function names written without a backslash or parentheses: "sin 1" is an argument.
_FUNCTION_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "asin",
                   "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "ln", "lg", "sqrt",
                   "sigma", "relu", "softplus", "max", "min"}
_WORD_BEFORE = re.compile(r"(\\?)([A-Za-z]+)\s*$")


def _short(text: str, limit: int = 40) -> str:
    """Quote a piece of a cell in a message without pasting a whole page into it."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _prev_nonspace(s: str, i: int) -> str:
    j = i - 1
    while j >= 0 and s[j].isspace():
        j -= 1
    return s[j] if j >= 0 else ""


_BAD_BEFORE = set("_^{\\/.")
_BAD_AFTER = set("_^}/(%!")


def _candidates(s: str) -> list[tuple[re.Match[str], bool, bool]]:
    """Standalone literals in text order: (match, does its sign apply, in brackets)."""
    calls, bracketed = _brackets(s)
    found = []
    for m in _LITERAL.finditer(s):
        start = m.start()
        signed = m.group("sign") is not None
        if signed:
            before = _prev_nonspace(s, start)
            # "3 - 0.5" is a subtraction, "= -0.5" or "(-0.5" a negative number.
            if before and (before.isalnum() or before in ")]}"):
                signed = False
                start = m.start("mant") if m.group("mant") is not None else m.end("sign")
        prev = s[start - 1] if start > 0 else ""
        nxt = s[m.end()] if m.end() < len(s) else ""
        if prev and (prev.isalnum() or prev in _BAD_BEFORE):
            continue
        if nxt and (nxt.isalnum() or nxt in _BAD_AFTER):
            continue
        if calls[start]:
            continue
        if _PLACES_AFTER.match(s, m.end()):
            continue
        w = _WORD_BEFORE.search(s, max(0, start - 40), start)
        if w and (w.group(1) or w.group(2).lower() in _FUNCTION_WORDS):
            continue  # "\sin 1", "\log 2", "cos 1": the argument of a function
        found.append((m, signed, bracketed[start]))
    return found


def _valid_groups(int_part: str, sep: str) -> bool:
    groups = int_part.split(sep)
    first, rest = groups[0], groups[1:]
    return (1 <= len(first) <= 3 and not (first.startswith("0"))
            and all(len(g) == 3 and g.isdigit() for g in rest) and first.isdigit())


def _split_mantissa(mant: str, decimal_comma: bool | None) -> tuple[str, str, str | None] | str:
    """(integer digits, fraction digits, style) or a problem string."""
    if ",," in mant or ".." in mant or ",." in mant or ".," in mant:
        return f"separators in an unexpected place in {_short(mant)}"
    commas, periods = mant.count(","), mant.count(".")
    if not commas and periods <= 1:
        ip, _, fp = mant.partition(".")
        return ip or "0", fp, ("period" if periods else None)
    if not commas:  # "1.234.567": periods can only be thousands groups
        if _valid_groups(mant, "."):
            return mant.replace(".", ""), "", None
        return f"several decimal points in {_short(mant)}"
    if periods:
        last = "," if mant.rfind(",") > mant.rfind(".") else "."
        other = "." if last == "," else ","
        ip, _, fp = mant.rpartition(last)
        if other in fp or (last in ip) or not _valid_groups(ip, other):
            return f"mixed ',' and '.' in {_short(mant)} do not form a number"
        return ip.replace(other, ""), fp, ("comma" if last == "," else "period")
    if commas > 1:
        if _valid_groups(mant, ","):
            return mant.replace(",", ""), "", None
        return f"several commas in {_short(mant)} that are not thousands groups"
    ip, _, fp = mant.partition(",")
    if len(fp) != 3 or ip.startswith("0") or len(ip) > 3:
        return ip, fp, "comma"  # cannot be a thousands group: decimal comma
    if decimal_comma is True:
        return ip, fp, "comma"
    if decimal_comma is False:
        return ip + fp, "", "period"
    return "ambiguous"


def _literal_value(m: re.Match[str], signed: bool, decimal_comma: bool | None) -> _Reading:
    negative = signed and m.group("sign").strip() == "-"
    mant = m.group("mant")
    exp_text = m.group("pexp") or m.group("pexp2") or m.group("eexp") or m.group("texp") or m.group("texp2")
    if exp_text is not None:
        exp_text = "".join(exp_text.split())  # "{- 3}" -> "-3"
        if len(exp_text.lstrip("+-")) > 4:
            return _Reading(None, None, f"exponent {exp_text} out of range", None)
    exponent = int(exp_text) if exp_text is not None else 0
    if abs(exponent) > _MAX_EXPONENT:
        return _Reading(None, None, f"exponent {exponent} out of range", None)
    if mant is None:  # bare 10^n
        ip, fp, style = "1", "", None
    else:
        split = _split_mantissa(mant, decimal_comma)
        if split == "ambiguous":
            return _Reading(None, None,
                            f"ambiguous comma in {_short(mant)}: thousands separator or decimal comma? "
                            "write it without the comma or with a decimal point",
                            None)
        if isinstance(split, str):
            return _Reading(None, None, split, None)
        ip, fp, style = split
    value = float(f"{'-' if negative else ''}{ip or '0'}.{fp or '0'}e{exponent}")
    if math.isinf(value):
        problem = f"{_short(m.group(0).strip())} is out of the floating-point range"
        return _Reading(None, None, problem, style)
    return _Reading(value, len(fp) - exponent, None, style)


# A cell that is nothing but a plain decimal (the common case) is read without the
# markup machinery; anything else takes the general path below.
_PLAIN_DECIMAL = re.compile(r"\s*(-?)(\d+)(?:\.(\d+))?\s*")


@functools.lru_cache(maxsize=65536)  # pure; grading scripts see the same cells again and again
def _read(text: str, decimal_comma: bool | None = None) -> _Reading:
    m = _PLAIN_DECIMAL.fullmatch(text) if text is not None else None
    if m is not None and len(m.group(2)) < 16:
        sign, ip, fp = m.groups()
        return _Reading(float(f"{sign}{ip}.{fp or '0'}"), len(fp or ""), None, "period" if fp is not None else None)
    return _read_general(text, decimal_comma)


def _read_general(text: str, decimal_comma: bool | None = None) -> _Reading:
    if text is None or _is_blank_text(text):
        return _Reading(None, None, None, None)
    if len(text) > MAX_CELL:
        return _Reading(None, None, f"cell too long ({len(text)} characters)", None)
    s = _clean_number_text(text)
    if _is_blank_text(s):
        return _Reading(None, None, None, None)
    found = _candidates(s)
    if found:
        # The last standalone literal.  Names, subscripts and function arguments
        # are not candidates, so in "f(1) = 0.84 = 0.8415" this is the number
        # after the last "=", and in "0.84 = \sin(1)" the one before it.  A
        # bracketed remark after the result ("0.84 (at x = 1)") is passed over
        # when there is a number outside brackets.
        outside = [c for c in found if not c[2]]
        m, signed, _ = (outside or found)[-1]
        return _literal_value(m, signed, decimal_comma)
    specials = list(_SPECIAL.finditer(s))
    if specials and not re.search(r"\d", s):
        sm = specials[-1]
        word = sm.group("word").lower()
        negative = (sm.group("sign") or "").strip() == "-"
        value = math.nan if word == "nan" else (-math.inf if negative else math.inf)
        return _Reading(value, 0, None, None)
    if re.search(r"\d\s*/\s*\d|\\frac|\\dfrac|\\tfrac", s):
        problem = "no number found (fractions are not read; write the decimal value)"
        return _Reading(None, None, problem, None)
    return _Reading(None, None, "no number found", None)


def parse_number(
    text: str, *, decimal_comma: bool | None = None
) -> tuple[float | None, int | None, str | None]:
    r"""Read the number a hand-table cell holds: ``(number, decimals, problem)``.

    ``decimal_comma`` resolves ``1,234``-style cells (True: decimal comma, False:
    thousands separator, None: report them as ambiguous).  Never raises.

    >>> parse_number(r"$\sin(1) = 0.84147096$")
    (0.84147096, 8, None)
    >>> parse_number("1.20e-3")
    (0.0012, 5, None)
    >>> parse_number("")
    (None, None, None)
    """
    r = _read(str(text), decimal_comma)
    return r.number, r.decimals, r.problem


def digits_tolerance(decimals: int) -> float:
    """One unit in the last written decimal place: ``10**-decimals``."""
    try:
        return 10.0 ** (-decimals)
    except OverflowError:  # decimals < -308: "1e400" was written, nothing is closer
        return math.inf


def within_digits(expected: float, given: float, decimals: int) -> bool:
    """Does ``given`` (written with ``decimals`` places) agree with ``expected``?

    Accepts ``|given - expected| <= 10**-decimals`` plus a 1e-12 relative slack,
    so that a value on the boundary is not rejected by binary rounding; this
    lets both a rounded and a truncated hand value pass.
    """
    if math.isnan(expected) or math.isnan(given):
        return math.isnan(expected) and math.isnan(given)
    if math.isinf(expected) or math.isinf(given):
        return expected == given
    slack = 1e-12 * max(abs(expected), abs(given))
    return abs(given - expected) <= digits_tolerance(decimals) + slack


# ---------------------------------------------------------------------------
# Step names and headers
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=16384)  # pure; the same step names recur in every submission
def normalize_step_name(text: str) -> str:
    r"""Canonical step name: ``"$u_{1}$"`` -> ``"u1"``, ``"u₁"`` -> ``"u1"``,
    ``"**v_5**"`` -> ``"v5"``, ``"y = u_5 v_5"`` -> ``"y"``."""
    s = _strip_markup(str(text))
    s = s.replace("*", "").replace("__", "")
    s = re.split(r"=|:=|≈|\\approx", s, maxsplit=1)[0]
    s = s.strip()
    if s.endswith(")"):  # "y (output)" -> "y"; "f(x)" stays (no space before "(")
        i = s.rfind("(")
        if i > 0 and s[i - 1].isspace() and ")" not in s[i + 1:-1]:
            s = s[:i]
    s = re.sub(r"\\([A-Za-z]+)", r"\1", s)  # \alpha_1 -> alpha1
    s = re.sub(r"[\s_{}]", "", s)
    return s.strip(":;,.")


def _var_key(name: str) -> str:
    """How an input name is compared: subscripts, braces and case of markup ignored."""
    return normalize_step_name(name)


_STEP_HEADERS = {
    "step", "steps", "node", "nodes", "variable", "variables", "var", "name", "names",
    "i", "k", "j", "n", "#", "no", "no.", "id", "intermediate", "symbol", "quantity",
    "row", "stepname", "label", "item",
}
_EXPR_WORDS = re.compile(r"expr|formula|definition|^def$|operation|^op$|computation|rule|equation|"
                         r"assignment|how", re.IGNORECASE)
_IGNORED_WORDS = re.compile(r"^(notes?|comments?|remarks?|check|points?|score|marks?)$", re.IGNORECASE)
_VALUE_WORDS = re.compile(r"\b(value|values|val|primal|result|number)\b|^v$|^f$", re.IGNORECASE)
_DERIV_SLASH = re.compile(r"[d∂δ](?P<num>[A-Za-z][\w']*)?/[d∂δ](?P<var>[A-Za-z]\w*)")
_DERIV_WRT = re.compile(r"(?:w\.?r\.?t\.?|withrespectto|resp\.?)(?P<var>[A-Za-z]\w*)", re.IGNORECASE)
# A prime only right after a letter ("u'", "f'(x)"), so "student's value" is no derivative.
_DERIV_WORDS = re.compile(
    r"deriv|tangent|\bdot\b|\\dot|[A-Za-z][′']+(?:\(|\s*$)|\u0307|slope|^d/d$|^∂/∂$", re.IGNORECASE
)
_ADJOINT_WORDS = re.compile(r"adjoint|\\bar|\\overline|backward|reverse|grad", re.IGNORECASE)


def _header_text(text: str) -> str:
    s = _strip_markup(str(text))
    s = s.replace("*", "").replace("__", "")
    s = s.replace("\\partial", "∂")
    s = _repeat_sub(re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}"), r"\1/\2", s)
    return s.strip()


def _classify_header(text: str, position: int) -> tuple[str, str | None]:
    """("step" | "expr" | "ignore" | "value" | "deriv" | "unknown", variable or None)."""
    if len(text) > MAX_CELL:
        return "unknown", None
    s = _header_text(text)
    compact = re.sub(r"[\s{}_]", "", s)
    lower = compact.lower()
    if not compact:
        return ("step", None) if position == 0 else ("unknown", None)
    if lower in _STEP_HEADERS or lower.strip(".:") in _STEP_HEADERS:
        return "step", None
    if _ADJOINT_WORDS.search(s):
        return "unknown", None
    m = _DERIV_SLASH.search(compact)
    if m:
        return "deriv", m.group("var")
    m = _DERIV_WRT.search(compact)
    if m and _DERIV_WORDS.search(s):
        return "deriv", m.group("var")
    m = re.fullmatch(r"∂(?P<var>[A-Za-z]\w*)", compact)  # "\partial_x"
    if m:
        return "deriv", m.group("var")
    if _DERIV_WORDS.search(s):
        return "deriv", None
    if _EXPR_WORDS.search(lower):
        return "expr", None
    if _IGNORED_WORDS.match(lower):
        return "ignore", None
    if _VALUE_WORDS.search(s):
        return "value", None
    return "unknown", None


# ---------------------------------------------------------------------------
# From a grid of text cells to a HandTable
# ---------------------------------------------------------------------------

@dataclass
class _Builder:
    """Collects rows and problems; numbers are read at the end, per column, so
    that a column's decimal-comma convention can settle ambiguous cells."""

    wrt: list[str]
    source: str
    columns: list[str] = field(default_factory=list)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    loose: dict[str, str] = field(default_factory=dict)  # column -> variable named, mapped loosely

    def column_for(self, kind: str, var: str | None, header: str, where: str) -> str | None:
        if kind == "value":
            return "value"
        if kind != "deriv":
            return None
        keys = {_var_key(w): w for w in self.wrt}
        if var is None:
            if not self.wrt:
                self.problems.append(
                    (where, f"derivative column {_short(header)} names no input and wrt is empty"))
                return None
            return "d/d" + self.wrt[0]
        if _var_key(var) in keys:
            return "d/d" + keys[_var_key(var)]
        if not self.wrt:
            return "d/d" + var
        if len(self.wrt) == 1:
            col = "d/d" + self.wrt[0]
            self.loose[col] = _var_key(var)
            return col
        inputs = ", ".join(self.wrt)
        reason = f"column {_short(header)}: {_short(var)} is not an input (inputs: {inputs})"
        self.problems.append((where, reason))
        return None

    def add_column(self, col: str, where: str, header: str) -> bool:
        if col in self.columns:
            self.problems.append((where, f"second {col} column {_short(header)} ignored"))
            return False
        self.columns.append(col)
        return True

    def add_row(self, name_text: str, cells: Mapping[str, Any], where: str) -> None:
        name = normalize_step_name(name_text) if name_text is not None else ""
        if not name:
            if any(not _is_blank(v) for v in cells.values()):
                self.problems.append((where, "row has no step name"))
            return
        if name in self.raw:
            self.problems.append((where, f"duplicate step {_short(name)}: the first one is kept"))
            return
        self.raw[name] = dict(cells)

    def build(self) -> HandTable:
        # A loosely mapped "dy/du" with one input is really an adjoint-style
        # column when "u" is a step of this very table: do not guess then.
        for col, var in self.loose.items():
            if var in self.raw:
                self.problems.append(
                    (col, f"derivative column names step {_short(var)}, not the input {self.wrt[0]!r}"))
                self.columns.remove(col)
        order = (["value"] if "value" in self.columns else []) + \
                ["d/d" + w for w in self.wrt if "d/d" + w in self.columns]
        order += [c for c in self.columns if c not in order]
        rows: dict[str, dict[str, HandCell]] = {}
        modes = {c: self._decimal_comma_mode(c) for c in order}
        for name, cells in self.raw.items():
            rows[name] = {c: _make_cell(cells.get(c), modes[c]) for c in order}
        return HandTable(order, rows, self.problems, self.source)

    def _decimal_comma_mode(self, col: str) -> bool | None:
        styles = set()
        for cells in self.raw.values():
            v = cells.get(col)
            if isinstance(v, str):
                styles.add(_read(v).style)
        styles.discard(None)
        if styles == {"comma"}:
            return True
        if styles == {"period"}:
            return False
        return None


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and _is_blank_text(v))


def _make_cell(v: Any, decimal_comma: bool | None) -> HandCell:
    if v is None:
        return HandCell("", None, None, None)
    if isinstance(v, HandCell):
        return v
    if isinstance(v, bool):
        return HandCell(str(v), None, None, f"{v} is not a number")
    if isinstance(v, numbers.Integral):
        text = str(int(v))
        n, d, p = parse_number(text)
        return HandCell(text, n, d, p)
    if isinstance(v, numbers.Real):
        f = float(v)
        # The shortest repr is what the author typed for any literal of up to
        # 15 significant digits, so its decimals are the decimals written.
        text = repr(f)
        if math.isnan(f) or math.isinf(f):
            return HandCell(text, f, 0, None)
        n, d, p = parse_number(text)
        return HandCell(text, n, d, p)
    if isinstance(v, str):
        r = _read(v, decimal_comma)
        return HandCell(v, r.number, r.decimals, r.problem)
    return HandCell(repr(v), None, None, f"a {type(v).__name__} is not a number")


# ---------------------------------------------------------------------------
# Grids: CSV, Markdown, LaTeX
# ---------------------------------------------------------------------------

def _looks_like_data(cells: list[str]) -> bool:
    """A 'header' whose cells after the first are plain numbers is a data row."""
    rest = [c for c in cells[1:] if c.strip()]
    return bool(rest) and all(re.fullmatch(r"\s*[+\-−]?\d[\d.,eE+\-]*\s*", c) for c in rest)


def _grid_to_table(grid: list[tuple[str, list[str]]], wrt: list[str], source: str) -> HandTable:
    """grid: (where, cells) with the header first.  Raises HandTableError."""
    if not grid:
        raise HandTableError(f"{source}: no table found")
    where0, header = grid[0]
    if _looks_like_data(header):
        raise HandTableError(
            f"{source}: no header row ({where0} holds numbers: {_short(', '.join(header[:3]))})")
    kinds = [_classify_header(h, i) for i, h in enumerate(header)]
    step_idx = next((i for i, (k, _) in enumerate(kinds) if k == "step"), None)
    if step_idx is None and kinds and kinds[0][0] == "unknown" and \
            any(k in ("value", "deriv") for k, _ in kinds[1:]):
        step_idx = 0
    if step_idx is None:
        shown = _short(" | ".join(h.strip() for h in header), 80)
        raise HandTableError(f"{source}: no step column in header {shown}")
    b = _Builder(wrt, source)
    colmap: dict[int, str] = {}
    for i, (h, (kind, var)) in enumerate(zip(header, kinds)):
        if i == step_idx or kind in ("expr", "ignore"):
            continue
        if kind == "step":
            b.problems.append((f"column {i + 1}", f"second step column {_short(h.strip())} ignored"))
            continue
        if kind == "unknown":
            if h.strip():
                b.problems.append((f"column {i + 1}", f"column {_short(h.strip())} not recognised"))
            continue
        col = b.column_for(kind, var, h.strip(), f"column {i + 1}")
        if col is not None and b.add_column(col, f"column {i + 1}", h.strip()):
            colmap[i] = col
    norm_header = [c.strip() for c in header]
    for where, cells in grid[1:]:
        if [c.strip() for c in cells] == norm_header:
            continue  # header repeated after a page break
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            b.problems.append(
                (where, f"{len(cells)} cells but the header has {len(header)}; extra cells ignored"))
        name = cells[step_idx] if step_idx < len(cells) else ""
        row = {col: (cells[i] if i < len(cells) else "") for i, col in colmap.items()}
        b.add_row(name, row, where)
    if not colmap:
        raise HandTableError(f"{source}: no value or derivative column in header "
                             f"{_short(' | '.join(h.strip() for h in header), 80)}")
    if not b.raw:
        b.problems.append((source, "table has no rows"))
    return b.build()


_SEPARATOR_ROW = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?")  # fullmatch on a stripped line
_GRID_RULE = re.compile(r"^\s*\+[-=+:]+\+\s*$")


def _split_pipe_row(line: str) -> list[str]:
    s = line.strip()
    cells, cur, i = [], [], 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if ch == "|":
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    cells.append("".join(cur))
    if s.startswith("|"):
        cells = cells[1:]
    if s.endswith("|") and not s.endswith("\\|") and cells:
        cells = cells[:-1]
    return [c.strip() for c in cells]


def _has_pipe(line: str) -> bool:
    return "|" in line.replace("\\|", "")


def _pipe_blocks(lines: list[str]) -> list[list[tuple[str, list[str]]]]:
    blocks, cur = [], []
    for n, line in enumerate(lines, 1):
        if _has_pipe(line) or (cur and _GRID_RULE.match(line)):
            if _SEPARATOR_ROW.fullmatch(line.strip()) or _GRID_RULE.match(line):
                continue
            cur.append((f"line {n}", _split_pipe_row(line)))
        else:
            if cur:
                blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    # A lone line with a "|" in prose ("P(y | x)") is not a table: a table has
    # a header and at least one more row.
    return [blk for blk in blocks if len(blk) >= 2]


_LATEX_SKIP = re.compile(r"^\s*\\(?:hline|toprule|midrule|bottomrule|cline\{[^}]*\}|begin|end)\b.*$|^\s*%")


def _latex_blocks(lines: list[str]) -> list[list[tuple[str, list[str]]]]:
    blocks, cur = [], []
    for n, line in enumerate(lines, 1):
        body = re.sub(r"\\(?:hline|toprule|midrule|bottomrule)", "", line)
        if "&" in body.replace("\\&", "") and not _LATEX_SKIP.match(line):
            body = re.sub(r"\\\\\s*$", "", body.rstrip())
            cells = [c.strip() for c in re.split(r"(?<!\\)&", body)]
            cur.append((f"line {n}", cells))
        elif _LATEX_SKIP.match(line) or not line.strip():
            if not line.strip() and cur:
                blocks.append(cur)
                cur = []
        else:
            if cur:
                blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def _first_usable(blocks: list[list[tuple[str, list[str]]]], wrt: list[str], source: str,
                  kind: str) -> HandTable:
    first_error: HandTableError | None = None
    for block in blocks:
        try:
            return _grid_to_table(block, wrt, source)
        except HandTableError as e:
            first_error = first_error or e
    if first_error is not None and len(blocks) == 1:
        raise first_error
    if blocks:
        raise HandTableError(f"{source}: none of the {len(blocks)} {kind} tables has a step column")
    raise HandTableError(f"{source}: no table found")


def _read_markdown(text: str, wrt: list[str], source: str) -> HandTable:
    lines = text.splitlines()
    # "\begin{tabular}{l|r}" has a pipe but is not a pipe-table row.
    pipe_lines = ["" if re.match(r"\s*\\(?:begin|end)\b", ln) else ln for ln in lines]
    blocks = _pipe_blocks(pipe_lines)
    latex = _latex_blocks(lines)
    if blocks:
        try:
            return _first_usable(blocks, wrt, source, "pipe")
        except HandTableError:
            if not latex:
                raise
    if latex:
        return _first_usable(latex, wrt, source, "LaTeX")
    raise HandTableError(f"{source}: no table found (expected a Markdown pipe table)")


def _read_csv(text: str, wrt: list[str], source: str) -> HandTable:
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if "\t" in first:
        delimiter = "\t"
    elif ";" in first and "," not in first:
        delimiter = ";"  # the usual delimiter where the comma is the decimal mark
    else:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    grid = []
    try:
        for row in reader:
            if any(c.strip() for c in row):
                grid.append((f"line {reader.line_num}", [c.strip() for c in row]))
    except csv.Error as e:
        raise HandTableError(f"{source}: not readable as CSV: {e}") from None
    if not grid:
        raise HandTableError(f"{source}: no table found")
    if len(grid[0][1]) < 2:
        raise HandTableError(f"{source}: no table found (the first line has a single column)")
    return _grid_to_table(grid, wrt, source)


# ---------------------------------------------------------------------------
# JSON and dict
# ---------------------------------------------------------------------------

class _JsonNumber(str):
    """A number from a JSON file kept as written, so "0.8410" keeps 4 decimals."""


_STEP_OBJECT_KEYS = {"name", "step", "node", "id"}
_STEP_OBJECT_IGNORED = {"expr", "expression", "formula", "adjoint", "kink", "nonfinite", "note", "notes"}


def _object_cells(item: Mapping[Any, Any], b: _Builder, reported: set[str], where: str) -> dict[str, Any]:
    """Cells of one step object: ``{"value": v, "d/dx": d}`` or, as ``to_json``
    writes it, ``{"value": v, "derivs": {"x": d}}``.  A key that cannot be used
    is reported once for the whole table, not once per step."""
    cells: dict[str, Any] = {}

    def use(col: str | None, v: Any) -> None:
        if col is not None and col not in cells:
            if col not in b.columns:
                b.columns.append(col)
            cells[col] = v

    def report(key: str, reason: str) -> None:
        if key not in reported:
            reported.add(key)
            b.problems.append((where, reason))

    keys = {_var_key(w): w for w in b.wrt}
    for k, v in item.items():
        k = str(k)
        if k in _STEP_OBJECT_KEYS or k in _STEP_OBJECT_IGNORED:
            continue
        if k == "derivs" and isinstance(v, Mapping):
            for var, d in v.items():
                vk = _var_key(str(var))
                if vk in keys:
                    use("d/d" + keys[vk], d)
                elif not b.wrt:
                    use("d/d" + str(var), d)
                else:
                    report("derivs." + vk, f"derivative w.r.t. {_short(str(var))}: not in wrt {b.wrt}")
            continue
        kind, var = _classify_header(k, 1)
        if kind in ("value", "deriv"):
            if k in reported:
                continue
            col = b.column_for(kind, var, k, where)
            if col is None:
                reported.add(k)
            use(col, v)
        elif kind == "unknown":
            report(k, f"key {_short(k)} not recognised")
    return cells


def _from_mapping(data: Mapping[Any, Any], wrt: list[str], source: str) -> HandTable:
    """``{step: (value, d/dx, ...)}``, ``{step: {"value": v, ...}}`` or ``{step: v}``."""
    if "steps" in data and isinstance(data["steps"], list):
        return _from_step_list(data["steps"], wrt, source)
    b = _Builder(wrt, source)
    reported: set[str] = set()
    positional = ["value"] + ["d/d" + w for w in wrt]
    for key, entry in data.items():
        where = f"{source} key {_short(str(key))}"
        cells: dict[str, Any] = {}
        if isinstance(entry, (list, tuple)):
            if len(entry) > len(positional):
                b.problems.append((where, f"{len(entry)} entries, expected at most {len(positional)} "
                                          f"(value, then one derivative per input in wrt {wrt})"))
            for col, v in zip(positional, entry):
                if col not in b.columns:
                    b.columns.append(col)
                cells[col] = v
        elif isinstance(entry, Mapping):
            cells = _object_cells(entry, b, reported, where)
        elif entry is None or isinstance(entry, (str, numbers.Real)):
            if "value" not in b.columns:
                b.columns.append("value")
            cells["value"] = entry
        else:
            b.problems.append((where, f"a {type(entry).__name__} is not a row"))
            continue
        b.add_row(str(key), cells, where)
    return b.build()


def _from_step_list(steps: list[Any], wrt: list[str], source: str) -> HandTable:
    """``[{"name": "u1", "value": v, "derivs": {"x": d}}, ...]`` (``to_json``'s steps)."""
    b = _Builder(wrt, source)
    reported: set[str] = set()
    for i, item in enumerate(steps):
        where = f"steps[{i}]"
        if not isinstance(item, Mapping):
            b.problems.append((where, "not an object"))
            continue
        name = next((item[k] for k in _STEP_OBJECT_KEYS if k in item), None)
        cells = _object_cells(item, b, reported, where)
        b.add_row(None if name is None else str(name), cells, where)
    return b.build()


def _read_json(text: str, wrt: list[str], source: str) -> HandTable:
    try:
        data = json.loads(text, parse_float=_JsonNumber, parse_int=_JsonNumber,
                          parse_constant=_JsonNumber)
    except json.JSONDecodeError as e:
        raise HandTableError(
            f"{source}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise HandTableError(f"{source}: JSON nested too deeply") from None
    if isinstance(data, list):
        return _from_step_list(data, wrt, source)
    if isinstance(data, dict):
        if not data:
            raise HandTableError(f"{source}: empty JSON object, no table found")
        return _from_mapping(data, wrt, source)
    raise HandTableError(f"{source}: JSON holds a {type(data).__name__}, not a table")


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".md": "markdown",
                   ".markdown": "markdown", ".tex": "markdown"}


def _sniff(text: str) -> str:
    head = text.lstrip()
    if head.startswith(("{", "[")):
        return "json"
    lines = text.splitlines()
    if any(_has_pipe(ln) for ln in lines):
        return "markdown"
    if any("&" in ln and ln.rstrip().endswith("\\\\") for ln in lines):
        return "markdown"
    return "csv"


def _read_file(path: Path) -> str:
    return _decode(read_limited(path, MAX_BYTES, HandTableError, "hand table"), str(path))


def _decode(data: bytes, source: str) -> str:
    if b"\x00" in data:
        raise HandTableError(f"{source}: binary file (NUL bytes), not a hand table")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HandTableError(
            f"{source}: not UTF-8 text (byte {e.start}); save the table as UTF-8") from None


def read_hand_table(source: Any, wrt: Iterable[str] | str | None = None) -> HandTable:
    """Read a hand table from a dict, a file path or table text.

    ``wrt`` lists the inputs in derivative-column order; it maps tuple entries
    and generic headers (``derivative``) to ``"d/d<input>"`` columns.
    Raises :class:`HandTableError` when nothing usable can be read.
    """
    wrt_list = [wrt] if isinstance(wrt, str) else list(wrt or [])
    if isinstance(source, HandTable):
        return source
    if isinstance(source, Mapping):
        return _from_mapping(source, wrt_list, "<dict>")
    if isinstance(source, bytes):
        if len(source) > MAX_BYTES:
            raise HandTableError("<bytes>: table too large (hand tables are limited to 5 MB)")
        text, name, fmt = _decode(source, "<bytes>"), "<bytes>", None
    elif isinstance(source, (str, os.PathLike)):
        # Table text, not a path: several lines, or one line of JSON or pipes.
        if isinstance(source, str) and ("\n" in source or "\r" in source
                                        or source.lstrip().startswith(("{", "[")) or "|" in source):
            text, name, fmt = source, "<text>", None
            if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
                raise HandTableError("<text>: table text too large (hand tables are limited to 5 MB)")
            if "\x00" in text:
                raise HandTableError("<text>: binary data (NUL characters), not a hand table")
        else:
            path = Path(source)
            try:
                exists = path.exists()
            except (OSError, ValueError):
                exists = False
            if not exists:
                raise HandTableError(f"{source}: file not found")
            text, name = _read_file(path), str(path)
            fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    else:
        raise HandTableError(f"cannot read a hand table from a {type(source).__name__}")
    if not text.strip():
        raise HandTableError(f"{name}: empty, no table found")
    fmt = fmt or _sniff(text)
    if fmt == "json":
        return _read_json(text, wrt_list, name)
    if fmt == "markdown":
        return _read_markdown(text, wrt_list, name)
    return _read_csv(text, wrt_list, name)
