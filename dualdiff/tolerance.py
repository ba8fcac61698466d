"""Tolerances: when a hand-written number counts as the true one (the verification policy).

``tol="digits"`` (the default) judges a hand value at the precision its author wrote:
:func:`within_digits` accepts a hand value that differs from the true value by
at most one unit in its last written decimal place, ``10**-decimals`` (plus a
1e-12 relative slack for binary floating point), so both rounding and
truncation pass:

>>> within_digits(0.8414709848078965, 0.8415, 4), within_digits(0.8414709848078965, 0.8414, 4)
(True, True)
>>> within_digits(0.5403023058681398, 0.5463, 4)
False

``tol={"rtol": …, "atol": …}`` (or the command line's ``"rtol=1e-6,atol=1e-9"``) uses
:func:`numpy.isclose`'s rule instead; :func:`parse_tol` turns either into a
:class:`Tolerance`.  Standard library only.

The verification policy (SPEC section 7, docs/grading.md) is :func:`judge`: a hand
value is compared with the *true* value (a :class:`Truth`, from the high-precision
reference), and

* it **agrees** when it is less than one unit of its last written place away
  (``|given - true| < 10**-decimals``: rounding and truncation pass; a whole number gets
  no ±1, so ``2`` for 1 does not) -- digits beyond the 12th significant one are not judged;
* an agreeing value is ``correct`` when it shows at least ``min_digits`` significant
  digits (default 3), ``imprecise`` when it shows fewer -- unless it is **exactly** the true
  value (``39`` for 39, ``0`` for an exact 0, to 20 digits), which always passes;
* at a kink, where the true derivative is the interval between the one-sided
  derivatives, a value inside the interval is exact; one within a unit of it agrees.

>>> t = Truth(0.8414709848078965)
>>> judge(t, 0.8415, 4)[0], judge(t, 0.84, 2)[0], judge(t, 7.0, 0)[0]
('correct', 'imprecise', None)
>>> judge(Truth(1.0), 2.0, 0)[0], judge(Truth(39.0), 39.0, 0)[0]
(None, 'correct')
>>> judge(Truth(0.0, interval=(0.0, 1.0)), 0.5, 1)
('correct', 'kink: any derivative between the one-sided derivatives 0 and 1 is accepted')
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

__all__ = ["Tolerance", "parse_tol", "within_digits", "digits_tolerance", "Truth", "judge",
           "significant_digits", "too_few_digits", "DEFAULT_MIN_DIGITS"]

DEFAULT_MIN_DIGITS = 3
_EXACT = 1e-20       # "exactly the true value": to 20 digits (the reference has 40)
_NOT_JUDGED = 1e-12  # relative: digits beyond the 12th significant one are not judged


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


@dataclass
class Tolerance:
    kind: str                   # "digits" or "close"
    rtol: float = 0.0
    atol: float = 0.0

    def accepts(self, expected: float, given: float, decimals: int | None) -> bool:
        if not (math.isfinite(expected) and math.isfinite(given)):
            return expected == given or (math.isnan(expected) and math.isnan(given))
        if self.kind == "digits":
            if decimals is None:  # no written precision (a float from Python): be strict
                return abs(given - expected) <= 1e-12 * max(1.0, abs(expected))
            return within_digits(expected, given, decimals)
        return abs(given - expected) <= self.atol + self.rtol * abs(expected)

    def describe(self, decimals: int | None) -> str:
        if self.kind == "digits":
            if decimals is None:
                return "tolerance 1e-12 relative"
            return f"tolerance ±1e-{decimals} ({decimals} decimals as written)"
        return f"tolerance rtol={self.rtol:g}, atol={self.atol:g}"


def parse_tol(tol: Any) -> Tolerance:
    """``"digits"``, ``{"rtol": …, "atol": …}`` or the CLI's ``"rtol=1e-6,atol=1e-9"``."""
    if tol is None or tol == "digits":
        return Tolerance("digits")
    if isinstance(tol, Tolerance):
        return tol
    if isinstance(tol, str):
        parts: dict[str, float] = {}
        for item in tol.split(","):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in ("rtol", "atol"):
                raise ValueError(f"--tol: expected 'digits' or rtol=…,atol=…, got {tol!r}")
            try:
                parts[key] = float(value)
            except ValueError:
                raise ValueError(f"--tol: {key}={value.strip()!r} is not a number") from None
        tol = parts
    if isinstance(tol, Mapping):
        unknown = set(tol) - {"rtol", "atol"}
        if unknown:
            raise ValueError(f"tol: unknown keys {sorted(unknown)}; use rtol and atol")
        rtol, atol = float(tol.get("rtol", 0.0)), float(tol.get("atol", 0.0))
        if rtol < 0 or atol < 0 or not (math.isfinite(rtol) and math.isfinite(atol)):
            raise ValueError("tol: rtol and atol must be finite and non-negative")
        if rtol == 0 and atol == 0:
            raise ValueError("tol: give rtol or atol greater than 0 (or use 'digits')")
        return Tolerance("close", rtol, atol)
    raise ValueError(f"tol must be 'digits' or a dict with rtol/atol, got {tol!r}")


# ---------------------------------------------------------------------------
# The verification policy
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Truth:
    """The true value of one cell: a float, its high-precision form (any number whose
    ``str`` is its decimal expansion, e.g. an mpmath ``mpf``; None when only the float
    is known) and, at a kink, the interval of accepted derivatives."""

    value: float
    precise: Any = None
    interval: tuple[float, float] | None = None


def _fraction(v: Any) -> Fraction:
    """The exact value of a number (floats as the decimal they print as)."""
    if type(v) is not float:
        try:  # a reference's mpf recurs in every submission: converted once
            return _fraction_kept(v)
        except TypeError:  # unhashable
            pass
    return _fraction_of(v)


@functools.lru_cache(maxsize=4096, typed=True)  # typed: an mpf and an equal Fraction stay apart
def _fraction_kept(v: Any) -> Fraction:
    return _fraction_of(v)


def _fraction_of(v: Any) -> Fraction:
    if isinstance(v, float):
        return Fraction(repr(v))  # the decimal as written (a reader's float round-trips)
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    try:
        import mpmath

        return Fraction(mpmath.nstr(v, 50))
    except (ImportError, ValueError, TypeError):
        return Fraction(str(v))


def significant_digits(given: float, decimals: int | None) -> int | None:
    """Significant digits shown: from the first non-zero digit to the last written place
    (``0.0566`` → 3, ``12`` → 2, ``0.50`` → 2, ``0`` → 0); None when unknown.

    >>> significant_digits(0.0566, 4), significant_digits(12.0, 0), significant_digits(0.0, 3)
    (3, 2, 0)
    """
    if decimals is None or not math.isfinite(given):
        return None
    if given == 0:
        return 0
    return Decimal(repr(abs(given))).adjusted() + decimals + 1


def _agrees(true: float, precise: Any, given: float, decimals: int | None, tol: "Tolerance") -> bool:
    """Less than one unit of the last written place away (see the module docstring)."""
    if not (math.isfinite(true) and math.isfinite(given)):
        return true == given or (math.isnan(true) and math.isnan(given))
    d = abs(given - true)
    scale = max(abs(given), abs(true))
    if tol.kind != "digits":
        return d <= tol.atol + tol.rtol * abs(true)
    if d <= _NOT_JUDGED * scale:
        return True
    if decimals is None:
        return False
    unit = digits_tolerance(decimals)
    err = 4e-16 * scale  # the float subtraction's own error
    if d + err < unit * (1 - 1e-15):
        return True
    if d - err > unit * (1 + 1e-15) or precise is None:
        return d < unit
    # On the boundary ("0.4" for exactly 0.5): decide in exact arithmetic.
    return abs(_fraction(given) - _fraction(precise)) < Fraction(10) ** -decimals


def _exact(true: float, precise: Any, given: float) -> bool:
    if not (math.isfinite(true) and math.isfinite(given)):
        return False
    scale = max(1.0, abs(true))
    if abs(given - true) > 1e-14 * scale:
        return False
    if precise is None:
        return given == true
    return abs(_fraction(given) - _fraction(precise)) <= Fraction(_EXACT) * Fraction(max(1.0, abs(true)))


def _fmt(v: float) -> str:
    return f"{v:.10g}"


def judge(truth: Truth, given: float, decimals: int | None, tol: "Tolerance | None" = None,
          min_digits: int = DEFAULT_MIN_DIGITS) -> tuple[str | None, str]:
    """``("correct" | "imprecise" | None, note)`` for a hand value against the truth;
    None means it does not agree (the caller decides between carried and wrong)."""
    tol = tol or Tolerance("digits")
    shown = significant_digits(given, decimals)
    few = shown is not None and shown < min_digits
    if truth.interval is not None:
        lo, hi = truth.interval
        note = (f"kink: any derivative between the one-sided derivatives {_fmt(lo)} and {_fmt(hi)} "
                "is accepted")
        slack = 1e-14 * max(1.0, abs(lo), abs(hi))
        if lo - slack <= given <= hi + slack:
            return "correct", note
        nearest = lo if given < lo else hi
        if _agrees(nearest, None, given, decimals, tol):
            if few:
                return "imprecise", f"{note}; {_too_few(shown, min_digits)}"
            return "correct", note
        return None, note
    if _exact(truth.value, truth.precise, given):
        return "correct", ""
    if _agrees(truth.value, truth.precise, given, decimals, tol):
        if few:
            return "imprecise", _too_few(shown, min_digits)
        return "correct", ""
    return None, ""


def too_few_digits(shown: int | None, min_digits: int) -> str:
    """The reason of an ``imprecise`` verdict: how many digits were shown, how many needed."""
    return _too_few(shown, min_digits)


def _too_few(shown: int | None, min_digits: int) -> str:
    return (f"{shown} significant digit{'' if shown == 1 else 's'} shown, at least {min_digits} needed "
            "(right as far as it goes, but too few digits to earn the mark)")
