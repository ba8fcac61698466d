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
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["Tolerance", "parse_tol", "within_digits", "digits_tolerance"]


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
