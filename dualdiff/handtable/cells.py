r"""Reading the number a hand-table cell holds, and how many decimals were written.

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
   closing bracket: then it is a binary minus, and the cell is a calculation
   (rule 8).
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
8. Signs and calculations.  ``−0.5``, ``-(0.5)``, ``-(-(0.5))`` (+0.5), ``(-1)·0.5``,
   ``(-1)(0.5)``, ``-1 × 0.5`` and ``-1(0.5)`` are signed numbers.  A number that is an
   operand of a calculation -- ``2 × 0.5``, ``2(-1)·0.5``, ``2·(-0.5)``, ``(0.5)(-1)``,
   ``(-0.5)²``, ``2 - 0.5``, ``0.5·2`` -- is *not* read as the cell's number (its last
   number is not its value): the cell is refused with the reason ("a calculation …:
   write its result"), as are two signs in a row (``--0.5``) and two numbers side by
   side (``1 234.5``).  After ``±`` (``\pm``, ``+-``) a number is an uncertainty and is
   passed over: ``0.84 ± 0.01`` is 0.84.  Fractions (``1/2``, ``½``) are refused.
"""
from __future__ import annotations

import functools
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

from .markup import quote, repeat_sub, strip_markup
from .model import HandCell

__all__ = ["parse_number", "read_cell", "make_cell", "is_blank_text", "Reading", "MAX_CELL"]

_NOT_LETTER = r"(?![A-Za-z])"  # end of a command name: "\times10" has no word boundary
_EQUALS = re.compile(
    r"\\(?:approx|simeq|equiv|coloneqq|to|Rightarrow|rightarrow|implies)" + _NOT_LETTER
    + r"|:=|=>|[≈≃≅≡→⇒⟹]"
)
_TIMES = re.compile(r"\\(?:times|cdot)" + _NOT_LETTER + r"|[·⋅∙✕]")


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
class Reading:
    """What a cell says: its number, decimals written, why no number, separator evidence."""

    number: float | None
    decimals: int | None
    problem: str | None
    style: str | None  # decimal separator evidence: "comma", "period" or None


def is_blank_text(text: str) -> bool:
    """Empty, or only a dash or "n/a": the author left the cell blank on purpose."""
    t = text.strip()
    return not t or _BLANK_WORD.fullmatch(t) is not None


def _clean_number_text(text: str) -> str:
    s = text
    # "1.2*10^-3" and "(-1)*0.84" before "*" is dropped as Markdown emphasis.
    s = re.sub(r"(?<=\d)\s*\*\s*(?=10\s*\^)", "×", s)
    s = re.sub(r"(?<=[\d)\]])\s*\*\s*(?=[\d(.+\-\u2212])", "×", s)  # 2*(-0.5), (-1)*0.84
    s = strip_markup(s)
    s = re.sub(r"(?<=[\d\s])\+\s*/?\s*-(?=\s*[\d.])", "±", s)  # "0.84 +- 0.01", "+/-": an uncertainty
    s = s.replace("*", " ").replace("__", " ")
    s = _TIMES.sub("×", s)
    s = _EQUALS.sub("=", s)
    # A plain brace group after "=" or a space ({0.84}) is just grouping; braces
    # after a command, "^", "_" or "}" are arguments and keep their digits out.
    s = repeat_sub(re.compile(r"(?<![\\\w^_}])\{([^{}]*)\}"), r" \1 ", s)
    return _sign_forms(_REFERENCE.sub(" ", s))


# "-0.8415 -> step 3", "(see row 4)": a number after these words points elsewhere.
_REFERENCE = re.compile(r"(?<![A-Za-z])(?:step|row|line|eq|equation|see|page|cell|column|col|item)"
                        r"\.?\s*#?\s*\d+(?![\d.])", re.IGNORECASE)
# A sign written as a factor: "(-1)·0.8415", "(-1)(0.8415)", "-1 × 0.8415", "-1(0.8415)"
# -- only where the factor is the first operand ("2(-1)·0.5" is a product of three
# numbers, not a sign: see _operand_of below).
_MINUS_ONE_TIMES = re.compile(r"(?:\(\s*-\s*1(?:\.0*)?\s*\)\s*×?|(?<![\w.)\]}])-\s*1(?:\.0*)?\s*"
                              r"(?:×|(?=\(\s*[+-]?\s*[\d.])))\s*"
                              r"(?=[(\d.])(?!10\s*\^)")
# A sign before a bracketed number: "-(0.8415)", "-(-0.8415)".
_MINUS_BRACKET = re.compile(r"(?<![\w.)\]}])(?P<sign>[+-])\s*\(\s*(?P<inner>[+-]?)\s*(?P<num>\d[\d.,]*"
                            r"(?:[eE][+-]?\d+)?)\s*\)")


def _sign_forms(s: str) -> str:
    """Signs as people write them, rewritten to plain signed literals (linear passes)."""
    if "-" not in s:
        return s

    def sign_factor(m: re.Match[str]) -> str:
        # "(-1)" after an operand ("2(-1)", "0.5 × (-1)") is a factor of a product: left alone
        before = _prev_nonspace(s, m.start())
        return m.group(0) if before and (before.isdigit() or before in ")]×/÷.") else "-"

    s = _MINUS_ONE_TIMES.sub(sign_factor, s)

    def negate(m: re.Match[str]) -> str:
        negative = (m.group("sign") == "-") != (m.group("inner") == "-")
        return (" -" if negative else " +") + m.group("num")

    # nested: "-(-(0.5))" is +0.5 (inside out, a few passes at most)
    return repeat_sub(_MINUS_BRACKET, negate, s, limit=8)


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


def _prev_nonspace(s: str, i: int) -> str:
    j = i - 1
    while j >= 0 and s[j].isspace():
        j -= 1
    return s[j] if j >= 0 else ""


_BAD_BEFORE = set("_^{\\/.")
_BAD_AFTER = set("_^}/(%!")


def _candidates(s: str) -> list[tuple[re.Match[str], bool, bool, int]]:
    """Standalone literals in text order: (match, does its sign apply, in brackets, where
    the literal starts -- after a binary minus, at its digits)."""
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
        if _prev_nonspace(s, start) in ("±", "∓"):
            continue  # "0.84 ± 0.01": the uncertainty, not the value (like "\pm 0.01")
        if _PLACES_AFTER.match(s, m.end()):
            continue
        w = _WORD_BEFORE.search(s, max(0, start - 40), start)
        if w and (w.group(1) or w.group(2).lower() in _FUNCTION_WORDS):
            continue  # "\sin 1", "\log 2", "cos 1": the argument of a function
        found.append((m, signed, bracketed[start], start))
    return found


_OPERATORS = set("×/÷^*")  # (an uncertainty after ± is passed over, not an operand)
_SIGNS = set("+-±∓")


def _group_before(s: str, close: int) -> str | None:
    """The text of the bracket group that ends at ``s[close]`` (None if unbalanced)."""
    depth = 0
    for j in range(close, max(-1, close - 200), -1):
        if s[j] in ")]":
            depth += 1
        elif s[j] in "([":
            depth -= 1
            if depth == 0:
                return s[j + 1:close]
    return None


def _group_after(s: str, open_: int) -> str | None:
    depth = 0
    for j in range(open_, min(len(s), open_ + 200)):
        if s[j] in "([":
            depth += 1
        elif s[j] in ")]":
            depth -= 1
            if depth == 0:
                return s[open_ + 1:j]
    return None


def _numeric(text: str | None) -> bool:
    """A bracket group holding a number and no words: an operand, not a remark."""
    return text is not None and re.search(r"\d", text) is not None and re.search(r"[A-Za-z]", text) is None


def _number_ends_at(s: str, j: int) -> bool:
    """Does a number (not a name such as u1 or a subscript) end at ``s[j]``?"""
    k = j
    while k >= 0 and (s[k].isdigit() or s[k] in ".,"):
        k -= 1
    return k < j and s[j].isdigit() and not (k >= 0 and (s[k].isalpha() or s[k] in "_^\\"))


def _operand_of(s: str, m: re.Match[str], signed: bool, start: int) -> str | None:
    """Why the chosen literal cannot be the cell's number, or None: it is an operand of a
    calculation (``2 × 0.5``, ``2(-1)·0.5``, ``(0.5)(-1)``, ``(-0.5)²``, ``2 - 0.5``,
    ``0.84 ± 0.01``) or carries two signs (``--0.5``).  Reading the last number of a
    calculation would silently give a different number, so the cell is refused with
    this reason instead; signs written as a factor of -1 were rewritten before."""
    a, b = start, m.end()
    # widen over brackets holding just this literal: "(-0.5)", "[(0.5)]"
    while True:
        i, j = a - 1, b
        while i >= 0 and s[i] == " ":
            i -= 1
        while j < len(s) and s[j] == " ":
            j += 1
        if i >= 0 and j < len(s) and s[i] in "([" and s[j] in ")]":
            a, b = i, j + 1
        else:
            break
    i = a - 1
    while i >= 0 and s[i] == " ":
        i -= 1
    j = b
    while j < len(s) and s[j] == " ":
        j += 1
    left, right = (s[i] if i >= 0 else ""), (s[j] if j < len(s) else "")
    shown = " ".join(s.split())
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    calc = f"a calculation ({quote(shown)}), not one number: write its result"
    if signed:
        k = m.start() - 1
        while k >= 0 and s[k] == " ":
            k -= 1
        if k >= 0 and s[k] in _SIGNS:
            return f"several signs in a row in {quote(shown)}: write the number with one sign"
    elif m.group("sign") is not None:  # a binary + or -: "2 - 0.5", "x - 0.5", "(1) + 0.5"
        k = m.start() - 1
        while k >= 0 and s[k] == " ":
            k -= 1
        if k >= 0 and (s[k].isalnum() or s[k] in ")]}"):
            return calc
    if left in _OPERATORS or right in _OPERATORS:
        return calc
    if right in "([" and right and _numeric(_group_after(s, j)):
        return calc                                # "0.5 (-1)", "2(0.5)"
    if left in ")]" and left and _numeric(_group_before(s, i)):
        return calc                                # "(2)(0.5)", "(0.5)(-1)"
    if left and left.isdigit() and _number_ends_at(s, i) and a < start:
        return calc                                # "3(0.5)": a bracket after a number multiplies
    if left and left.isdigit() and _number_ends_at(s, i):
        return f"two numbers side by side in {quote(shown)} (digit groups or a product?): write one number"
    if left in ("x", "X") and i >= 1 and s[i - 1] == " ":
        h = i - 1
        while h >= 0 and s[h] == " ":
            h -= 1
        if h >= 0 and _number_ends_at(s, h):
            return calc                            # "2 x 0.5"
    return None


def _valid_groups(int_part: str, sep: str) -> bool:
    groups = int_part.split(sep)
    first, rest = groups[0], groups[1:]
    return (1 <= len(first) <= 3 and not (first.startswith("0"))
            and all(len(g) == 3 and g.isdigit() for g in rest) and first.isdigit())


def _split_mantissa(mant: str, decimal_comma: bool | None) -> tuple[str, str, str | None] | str:
    """(integer digits, fraction digits, style) or a problem string."""
    if ",," in mant or ".." in mant or ",." in mant or ".," in mant:
        return f"separators in an unexpected place in {quote(mant)}"
    commas, periods = mant.count(","), mant.count(".")
    if not commas and periods <= 1:
        ip, _, fp = mant.partition(".")
        return ip or "0", fp, ("period" if periods else None)
    if not commas:  # "1.234.567": periods can only be thousands groups
        if _valid_groups(mant, "."):
            return mant.replace(".", ""), "", None
        return f"several decimal points in {quote(mant)}"
    if periods:
        last = "," if mant.rfind(",") > mant.rfind(".") else "."
        other = "." if last == "," else ","
        ip, _, fp = mant.rpartition(last)
        if other in fp or (last in ip) or not _valid_groups(ip, other):
            return f"mixed ',' and '.' in {quote(mant)} do not form a number"
        return ip.replace(other, ""), fp, ("comma" if last == "," else "period")
    if commas > 1:
        if _valid_groups(mant, ","):
            return mant.replace(",", ""), "", None
        return f"several commas in {quote(mant)} that are not thousands groups"
    ip, _, fp = mant.partition(",")
    if len(fp) != 3 or ip.startswith("0") or len(ip) > 3:
        return ip, fp, "comma"  # cannot be a thousands group: decimal comma
    if decimal_comma is True:
        return ip, fp, "comma"
    if decimal_comma is False:
        return ip + fp, "", "period"
    return "ambiguous"


def _literal_value(m: re.Match[str], signed: bool, decimal_comma: bool | None) -> Reading:
    negative = signed and m.group("sign").strip() == "-"
    mant = m.group("mant")
    exp_text = m.group("pexp") or m.group("pexp2") or m.group("eexp") or m.group("texp") or m.group("texp2")
    if exp_text is not None:
        exp_text = "".join(exp_text.split())  # "{- 3}" -> "-3"
        if len(exp_text.lstrip("+-")) > 4:
            return Reading(None, None, f"exponent {exp_text} out of range", None)
    exponent = int(exp_text) if exp_text is not None else 0
    if abs(exponent) > _MAX_EXPONENT:
        return Reading(None, None, f"exponent {exponent} out of range", None)
    if mant is None:  # bare 10^n
        ip, fp, style = "1", "", None
    else:
        split = _split_mantissa(mant, decimal_comma)
        if split == "ambiguous":
            return Reading(None, None,
                            f"ambiguous comma in {quote(mant)}: thousands separator or decimal comma? "
                            "write it without the comma or with a decimal point",
                            None)
        if isinstance(split, str):
            return Reading(None, None, split, None)
        ip, fp, style = split
    value = float(f"{'-' if negative else ''}{ip or '0'}.{fp or '0'}e{exponent}")
    if math.isinf(value):
        problem = f"{quote(m.group(0).strip())} is out of the floating-point range"
        return Reading(None, None, problem, style)
    return Reading(value, len(fp) - exponent, None, style)


# A cell that is nothing but a plain decimal (the common case) is read without the
# markup machinery; anything else takes the general path below.
_PLAIN_DECIMAL = re.compile(r"\s*(-?)(\d+)(?:\.(\d+))?\s*")


@functools.lru_cache(maxsize=65536)  # pure; grading scripts see the same cells again and again
def read_cell(text: str, decimal_comma: bool | None = None) -> Reading:
    m = _PLAIN_DECIMAL.fullmatch(text) if text is not None else None
    if m is not None and len(m.group(2)) < 16:
        sign, ip, fp = m.groups()
        return Reading(float(f"{sign}{ip}.{fp or '0'}"), len(fp or ""), None, "period" if fp is not None else None)
    return _read_general(text, decimal_comma)


def _read_general(text: str, decimal_comma: bool | None = None) -> Reading:
    if text is None or is_blank_text(text):
        return Reading(None, None, None, None)
    if len(text) > MAX_CELL:
        return Reading(None, None, f"cell too long ({len(text)} characters)", None)
    s = _clean_number_text(text)
    if is_blank_text(s):
        return Reading(None, None, None, None)
    found = _candidates(s)
    if found:
        # The last standalone literal.  Names, subscripts and function arguments
        # are not candidates, so in "f(1) = 0.84 = 0.8415" this is the number
        # after the last "=", and in "0.84 = \sin(1)" the one before it.  A
        # bracketed remark after the result ("0.84 (at x = 1)") is passed over
        # when there is a number outside brackets.
        outside = [c for c in found if not c[2]]
        m, signed, _, start = (outside or found)[-1]
        calc = _operand_of(s, m, signed, start)
        if calc:
            return Reading(None, None, calc, None)
        return _literal_value(m, signed, decimal_comma)
    specials = list(_SPECIAL.finditer(s))
    if specials and not re.search(r"\d", s):
        sm = specials[-1]
        word = sm.group("word").lower()
        negative = (sm.group("sign") or "").strip() == "-"
        value = math.nan if word == "nan" else (-math.inf if negative else math.inf)
        return Reading(value, 0, None, None)
    if re.search(r"\d\s*/\s*\d|\\frac|\\dfrac|\\tfrac", s):
        problem = "no number found (fractions are not read; write the decimal value)"
        return Reading(None, None, problem, None)
    return Reading(None, None, "no number found", None)


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
    r = read_cell(str(text), decimal_comma)
    return r.number, r.decimals, r.problem


def make_cell(v: Any, decimal_comma: bool | None) -> HandCell:
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
        if "[" in v or "(" in v:  # a vector or matrix in one cell: handtable.lists
            from .lists import read_list

            found = read_list(v)
            if found is not None:
                return HandCell(v, None, None, found.problem, found.shape, found.items)
        r = read_cell(v, decimal_comma)
        return HandCell(v, r.number, r.decimals, r.problem)
    if isinstance(v, (list, tuple)):  # a JSON array or a Python list in a cell
        return _list_cell(v, decimal_comma)
    return HandCell(repr(v), None, None, f"a {type(v).__name__} is not a number")


def _list_cell(v: list | tuple, decimal_comma: bool | None) -> HandCell:
    text = repr(list(v)) if not isinstance(v, str) else v
    if len(text) > MAX_CELL:
        return HandCell(text[:40] + "…", None, None, f"list too long ({len(text)} characters)", (), ())
    rows = list(v)
    if rows and all(isinstance(r, (list, tuple)) for r in rows):
        lengths = {len(r) for r in rows}
        if len(lengths) != 1:
            return HandCell(text, None, None, "not a readable list: rows of different lengths", (), ())
        shape = (len(rows), lengths.pop())
        leaves = [x for r in rows for x in r]
    else:
        shape, leaves = (len(rows),), rows
    items = []
    for x in leaves:
        c = make_cell(x, decimal_comma) if not isinstance(x, (list, tuple)) else \
            HandCell(repr(x), None, None, "nested more than 2 deep")
        if c.number is None:
            why = c.problem or "an empty entry"
            return HandCell(text, None, None, f"not a readable list: entry {c.text!r}: {why}", shape, ())
        items.append(c)
    if not items:
        return HandCell(text, None, None, "not a readable list: empty", (0,), ())
    return HandCell(text, None, None, None, shape, tuple(items))
