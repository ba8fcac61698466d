"""Numbers as text: what every table, report and JSON document of dualdiff prints.

``format_number`` gives ``digits`` significant digits with trailing zeros kept (they say
how precise a number is, which is what a hand-table check reads), integral values as
integers, ``-0`` as ``0``, and ``nan``/``inf``/``-inf`` as those words; sympy and mpmath
values are shown at the precision asked for.  ``json_number`` is the full-precision
form for JSON: floats stay floats, nan/inf become the same words as strings.

>>> format_number(0.32009128314057805), json_number(float("-inf"))
('0.32009128', '-inf')
"""
from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["format_number", "json_number"]


MAX_DIGITS = 17  # a double holds 17 significant digits; more would be invented


def check_digits(digits: Any) -> int:
    """``digits`` if it is an integer from 1 to :data:`MAX_DIGITS`, else ``ValueError`` naming the limit."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be an integer from 1 to {MAX_DIGITS} (the limit), got {digits!r}"[:200])
    return digits


def format_number(v: Any, digits: int = 8) -> str:
    """``digits`` significant digits, trailing zeros kept; integers exact; -0 as 0.

    >>> format_number(0.32009128314057805), format_number(-0.06918566945763523)
    ('0.32009128', '-0.069185669')
    >>> format_number(39.0), format_number(-0.0), format_number(float("nan"))
    ('39', '0', 'nan')
    """
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    kind = type(v).__module__.split(".")[0]
    if kind == "sympy":
        if getattr(v, "is_Integer", False):
            return str(v)
        try:
            v = exact_float(v, digits + 5)
        except (TypeError, ValueError):
            return str(v)
        if isinstance(v, str):
            return v
    elif kind == "mpmath":
        import mpmath

        s = mpmath.nstr(v, digits, strip_zeros=False, min_fixed=-4, max_fixed=digits)
        return "0" if _is_zero_text(s) else s
    f = _as_float(v)
    if not isinstance(f, float) or not math.isfinite(f):
        return f if isinstance(f, str) else str(f)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    s = f"{f:#.{digits}g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    return s[1:] if s.startswith("-") and _is_zero_text(s) else s


def _is_zero_text(s: str) -> bool:
    return not re.search(r"[1-9]", s.split("e")[0])


def json_number(v: Any) -> Any:
    """Full-precision JSON: floats as floats, nan/inf as strings, exact values as floats."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    kind = type(v).__module__.split(".")[0]
    if kind == "sympy" and getattr(v, "is_Integer", False):
        return int(v)
    if kind == "sympy":
        try:
            v = exact_float(v, 20)
        except (TypeError, ValueError):
            return str(v)
        if isinstance(v, str):
            return v
    return _as_float(v)


# An exact form that cancels (sin(1)**2 + cos(1)**2 - 1, or the derivative of sum(softmax(z)))
# evaluated at sympy's default precision gives noise such as -1.1e-134 for an exact 0.
# evalf(strict=True) refuses instead of guessing; then the form is tested for zero.
EXACT_EVAL_BITS = 2000  # working precision sympy may raise to while evaluating a form
NOT_DISTINGUISHED = "0?"  # shown when a form is within 1e-600 of 0 and not proved 0


def exact_float(v: Any, digits: int) -> Any:
    """A sympy number as a float with ``digits`` correct digits: evaluated with
    ``strict=True`` (sympy raises rather than return digits it could not certify); a form
    it cannot tell from 0 is 0 when sympy proves it (``equals(0)``), else the text
    :data:`NOT_DISTINGUISHED` -- never a noise value such as 1e-134.

    >>> import sympy
    >>> exact_float(sympy.sin(1) ** 2 + sympy.cos(1) ** 2 - 1, 13)
    0.0
    >>> exact_float(sympy.exp(-400), 17)   # no cancellation: the tiny value is kept
    1.9151695967140057e-174
    """
    from sympy.core.evalf import PrecisionExhausted

    try:
        return float(v.evalf(max(digits, 20), strict=True, maxn=EXACT_EVAL_BITS))
    except PrecisionExhausted:
        pass
    zero = v.equals(0)
    return 0.0 if zero else NOT_DISTINGUISHED


def _as_float(v: Any) -> float | str:
    """A finite float, or the text "nan"/"inf"/"-inf", or str(v) when v is not a number."""
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return str(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f
