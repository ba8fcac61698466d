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
            v = float(v.evalf(digits + 5))
        except (TypeError, ValueError):
            return str(v)
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
    return _as_float(v)


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
