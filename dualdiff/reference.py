"""The high-precision reference of a trace: its program re-evaluated with mpmath.

A float trace shows what double-precision arithmetic gives; the reference says what the
program's mathematics gives.  Every step is recomputed from the reference values of the
steps before it (a re-run of the whole program, not one step at a time), with
``mpmath.mpf`` numbers carried through ``Dual`` and the rule table, so values *and*
derivatives (one per ``wrt`` input) are known to many digits.

What "the program's mathematics" means:

- Numbers are the decimals as written: the literal ``0.1`` is 1/10 (``mpf("0.1")``), not
  the binary float nearest to it; an input given as a float is read as the shortest
  decimal that reads back as that float (``repr``), which is what a user typed.
  ``pi`` and ``e`` are the constants themselves.
- Conventions at kinks are the trace's own (the rule table's), so a kink is not an
  "inaccuracy".

Checked, not trusted: the program is evaluated twice, at ``REFERENCE_DPS`` (40) and at
``CHECK_DPS`` (60) significant digits.  The 60-digit result is the reference; where the
two disagree, their difference (``Reference.noise``) is how uncertain it is.  That is
tiny (~1e-40 relative) except where the true value is 0 or the program is ill-conditioned
beyond 1e20, where it says honestly how little is known.

Exact traces (``exact=True``, sympy numbers) and mpmath traces are their own reference:
their values are converted, not recomputed.  A step that the high-precision evaluation
cannot compute (a domain error that the float trace rounded its way past, a vector step)
is listed in ``Reference.failed`` with the reason, and so is every step computed from it.

The reference is computed once per trace and cached on it; ``mpmath`` is imported only
here, on first use, so ``import dualdiff`` stays light.

>>> import dualdiff as dd
>>> t = dd.trace_program("w = 3\\nx = 12\\nyhat = sigmoid(w * x)\\nce = -log(1 - yhat)", wrt="w")
>>> round(t.output.value, 2)                 # float: cancellation in 1 - yhat
36.04
>>> ref = reference_of(t)
>>> float(ref.value("ce")), round(float(ref.deriv("ce", "w")), 12)
(36.0, 12.0)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from .dual import Dual
from .errors import kinks_marked_elsewhere

__all__ = ["REFERENCE_DPS", "CHECK_DPS", "Reference", "reference_of", "evaluate_reference", "to_mpf",
           "PreciseTrace", "precise_of", "precise_trace"]

REFERENCE_DPS = 40   # digits of the first evaluation (≥ 30: SPEC §5)
CHECK_DPS = 60       # digits of the second; the reference is this one, checked against the first
_CACHE_KEY = "_dualdiff_reference"


# ---------------------------------------------------------------------------
# The reference
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """High-precision values and derivatives of every row of a trace.

    ``values[name]`` and ``derivs[name][input]`` are ``mpmath.mpf`` numbers (60 digits);
    ``noise[name][column]`` (column ``"value"`` or an input name) bounds their own error:
    the difference between the 40- and 60-digit evaluations (0 when the trace is its own
    reference).  ``failed`` maps a step that could not be recomputed to the reason.
    ``own`` is True for exact and mpmath traces (no recomputation was needed).
    """

    values: dict[str, Any]
    derivs: dict[str, dict[str, Any]]
    noise: dict[str, dict[str, Any]]
    wrt: tuple[str, ...]
    failed: dict[str, str] = field(default_factory=dict)
    own: bool = False
    dps: int = CHECK_DPS

    def value(self, name: str) -> Any:
        """The reference value of a row (``KeyError`` naming the reason if it failed)."""
        return self.column(name, "value")

    def deriv(self, name: str, wrt: str) -> Any:
        """The reference derivative of a row with respect to the input ``wrt``."""
        return self.column(name, wrt)

    def column(self, name: str, column: str) -> Any:
        """``column`` is ``"value"`` or an input name (a derivative column)."""
        if name in self.failed:
            raise KeyError(f"no reference for {name}: {self.failed[name]}")
        if column == "value":
            return self.values[name]
        return self.derivs[name][column]

    def has(self, name: str) -> bool:
        """True when the row has a reference (it was recomputed, or the trace is its own)."""
        return name in self.values and name not in self.failed

    def certain_digits(self, name: str, column: str) -> int:
        """Significant digits of the reference itself that the two evaluations agree on."""
        v = self.column(name, column)
        n = self.noise[name][column]
        if not n:
            return self.dps
        if not v:
            return 0
        import mpmath

        return max(0, min(self.dps, int(mpmath.floor(mpmath.log10(abs(v) / n)))))


def reference_of(trace: Any) -> Reference:
    """The trace's reference, computed on first use and cached on the trace.

    >>> import dualdiff as dd
    >>> t = dd.trace_program("x = 0.1\\ny = 3 * x - 0.3")
    >>> t.output.value                         # float: 0.1 and 0.3 are not 1/10 and 3/10
    5.551115123125783e-17
    >>> abs(reference_of(t).value("y")) < 1e-50
    True
    """
    cached = vars(trace).get(_CACHE_KEY)
    if cached is None:
        cached = _own_reference(trace) if _is_own_reference(trace) else _recompute(trace)
        vars(trace)[_CACHE_KEY] = cached
    return cached


def to_mpf(v: Any, dps: int = CHECK_DPS) -> Any:
    """A number as an ``mpmath.mpf``: floats as the decimal they print as (see above)."""
    import mpmath

    with mpmath.workdps(dps):
        kind = type(v).__module__.split(".")[0]
        if kind == "mpmath":
            return mpmath.mpf(v)
        if kind == "sympy":
            return mpmath.mpf(v.evalf(dps + 5))  # sympy Floats hand mpmath their _mpf_
        if isinstance(v, (bool, np.bool_)):
            raise TypeError(f"not a number: {v!r}")
        if isinstance(v, (int, np.integer)):
            return mpmath.mpf(int(v))
        if isinstance(v, Fraction):
            return mpmath.mpf(v.numerator) / v.denominator
        if isinstance(v, (float, np.floating)):
            f = float(v)
            return mpmath.mpf(repr(f)) if np.isfinite(f) else mpmath.mpf(f)
        if isinstance(v, str):
            return mpmath.mpf(v)
        raise TypeError(f"not a scalar number: {type(v).__name__}")


# ---------------------------------------------------------------------------
# Traces that are their own reference
# ---------------------------------------------------------------------------
def _is_scalar_number_of(v: Any, kinds: tuple[str, ...]) -> bool:
    return type(v).__module__.split(".")[0] in kinds


def _is_own_reference(trace: Any) -> bool:
    if getattr(trace, "exact", False):
        return True
    return any(_is_scalar_number_of(s.value, ("mpmath",)) for s in trace.rows)


def _own_reference(trace: Any) -> Reference:
    values, derivs, noise, failed = {}, {}, {}, {}
    for s in trace.rows:
        try:
            values[s.name] = to_mpf(s.value)
            derivs[s.name] = {w: to_mpf(s.derivs.get(w, 0)) for w in trace.wrt}
        except (TypeError, ValueError) as exc:
            failed[s.name] = f"not a scalar number ({exc})"
            continue
        noise[s.name] = {c: 0 for c in ("value", *trace.wrt)}
    return Reference(values, derivs, noise, tuple(trace.wrt), failed, own=True)


# ---------------------------------------------------------------------------
# Recomputing a float trace
# ---------------------------------------------------------------------------
@kinks_marked_elsewhere
def evaluate_reference(trace: Any, dps: int) -> tuple[dict, dict, dict]:
    """One high-precision run of the trace's program at ``dps`` digits.

    Returns ``(values, derivs, failed)``: mpf values and ``{input: mpf}`` derivatives of
    every row that could be computed, and ``{step: reason}`` for those that could not.
    """
    import mpmath

    from .dual import new_tag
    from .program import fold

    wrt = list(trace.wrt)
    n = len(wrt)
    values: dict[str, Any] = {}
    derivs: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    from .functions import reused_mpmath_results

    with mpmath.workdps(dps), reused_mpmath_results():
        one, zero = mpmath.mpf(1), mpmath.mpf(0)
        tag = new_tag()
        env: dict[str, Any] = {}
        for s in trace.input_steps:
            try:
                v = to_mpf(s.value, dps)
            except (TypeError, ValueError) as exc:
                failed[s.name] = f"input is not a scalar number ({exc})"
                continue
            values[s.name] = v
            derivs[s.name] = {w: one if w == s.name else zero for w in wrt}
            if s.name in wrt:
                i = wrt.index(s.name)
                seed = one if n == 1 else np.array([one if j == i else zero for j in range(n)], dtype=object)
                env[s.name] = Dual(v, seed, tag, n if n > 1 else 0)
            else:
                env[s.name] = v

        def num(node: Any) -> Any:
            try:
                return mpmath.mpf(node.text.replace("_", "")) if node.text else _mpf_exact(node.value)
            except (ValueError, TypeError):
                return _mpf_exact(node.value)

        def const(name: str) -> Any:
            return +mpmath.pi if name == "pi" else +mpmath.e

        def call(func: str, args: list) -> Any:
            from . import functions as F

            return getattr(F, func)(*args)

        for s in trace.steps:
            broken = [d for d in s.deps if d in failed or d not in env]
            if broken:
                failed[s.name] = f"computed from {', '.join(broken)}, which has no reference"
                continue
            try:
                compiled = _compiled(s.node, dps, num, const)
                y = compiled(env) if compiled is not None else fold(s.node, name=env.__getitem__, num=num,
                                                                      const=const, call=call)
                value, d = _unpack(y, tag, wrt)
            except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError) as exc:
                failed[s.name] = f"the high-precision evaluation fails: {_shorten(str(exc))}"
                continue
            if not (_is_mpf(value) and all(_is_mpf(x) for x in d.values())):
                failed[s.name] = "not a scalar step (the reference covers scalars)"
                continue
            env[s.name] = y
            values[s.name] = value
            derivs[s.name] = d
    return values, derivs, failed


# A program's steps compiled once per precision and re-evaluated for every trace of it
# (every variant of a class shares the program's nodes): {(id(node), dps): (node, fn)}.
# The node is kept in the entry, so its id cannot be reused while the entry lives.
_COMPILED: dict[tuple[int, int], tuple[Any, Any]] = {}
_COMPILED_MAX = 20_000


def _compiled(node: Any, dps: int, num: Any, const: Any) -> Any:
    """The step's expression as a function of the environment at ``dps`` digits (its
    number literals made at that precision), or None for a vector expression."""
    key = (id(node), dps)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    from . import functions as F
    from .program import compile_scalar

    fn = compile_scalar(node, num=num, const=const, function=lambda name, nargs: getattr(F, name))
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[key] = (node, fn)
    return fn


def _shorten(text: str) -> str:
    """Numbers in a message at 8 significant digits (mpmath prints 60)."""
    import re

    def short(m: re.Match) -> str:
        return f"{float(m.group(0)):.8g}"

    return re.sub(r"-?\d+\.\d{9,}(?:e[-+]?\d+)?", short, text)


def _mpf_exact(v: Any) -> Any:
    import mpmath

    if isinstance(v, int):
        return mpmath.mpf(v)
    f = Fraction(v)
    return mpmath.mpf(f.numerator) / f.denominator


_MPMATH_TYPES: dict[type, bool] = {}


def _is_mpf(x: Any) -> bool:
    t = type(x)
    found = _MPMATH_TYPES.get(t)
    if found is None:
        found = _MPMATH_TYPES[t] = t.__module__.split(".")[0] == "mpmath"
    return found


def _unpack(y: Any, tag: int, wrt: list[str]) -> tuple[Any, dict[str, Any]]:
    if type(y) is Dual and y.tag == tag:
        d = y.deriv
        if len(wrt) > 1:
            d = np.broadcast_to(d, (len(wrt),))
            return _as_mpf(y.value), {w: _as_mpf(d[i]) for i, w in enumerate(wrt)}
        return _as_mpf(y.value), {wrt[0]: _as_mpf(d)}
    import mpmath

    return _as_mpf(y), {w: mpmath.mpf(0) for w in wrt}


def _as_mpf(x: Any) -> Any:
    """mpf results stay; plain int/float leftovers (a rule returning an exact 0) become mpf."""
    if isinstance(x, np.ndarray) and x.shape == ():
        x = x.item()
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        import mpmath

        return mpmath.mpf(x)
    return x


def _recompute(trace: Any) -> Reference:
    import mpmath

    lo_vals, lo_ders, lo_failed = evaluate_reference(trace, REFERENCE_DPS)
    values, derivs, failed = evaluate_reference(trace, CHECK_DPS)
    for name, why in lo_failed.items():
        failed.setdefault(name, why)
    noise: dict[str, dict[str, Any]] = {}
    with mpmath.workdps(CHECK_DPS):
        for name in values:
            if name in failed:
                continue
            cols = {"value": abs(values[name] - lo_vals[name])}
            for w in trace.wrt:
                cols[w] = abs(derivs[name][w] - lo_ders[name][w])
            noise[name] = cols
    return Reference(values, derivs, noise, tuple(trace.wrt), failed, own=False)


# ---------------------------------------------------------------------------
# The whole trace at high precision: vector and matrix steps, second derivatives, adjoints
# ---------------------------------------------------------------------------
_PAIR_KEY = "_dualdiff_precise_pair"


@dataclass(frozen=True)
class PreciseTrace:
    """The float trace re-run with mpmath numbers, twice (``REFERENCE_DPS`` and ``CHECK_DPS``).

    ``hi`` and ``lo`` are :class:`dualdiff.trace.Trace` objects of mpf numbers (object
    arrays for vector and matrix steps) with the float trace's steps, ``wrt``, second
    derivatives and adjoints; ``hi`` (60 digits) is the reference, ``|hi - lo|`` its own
    uncertainty.  ``failed`` names the steps the re-run could not compute (and every step
    computed from them); ``whole`` is False when second derivatives or adjoints could not
    be re-run because a step failed.
    """

    hi: Any
    lo: Any
    failed: dict[str, str]
    whole: bool


def precise_of(trace: Any) -> PreciseTrace:
    """The high-precision re-run of a float trace, computed on first use and cached.

    >>> import dualdiff as dd
    >>> t = dd.trace_program("z = [36, -2]\\np = sigmoid(z)\\nL = -log(1 - p[0])", adjoints=True)
    >>> float(precise_of(t).hi["L"].value), float(precise_of(t).hi["p"].adjoint[0]) > 4e15
    (36.0, True)
    """
    cached = vars(trace).get(_PAIR_KEY)
    if cached is None:
        hi, failed, whole = precise_trace(trace, CHECK_DPS)
        lo, lo_failed, lo_whole = precise_trace(trace, REFERENCE_DPS)
        for name, why in lo_failed.items():
            failed.setdefault(name, why)
        cached = PreciseTrace(hi, lo, failed, whole and lo_whole)
        vars(trace)[_PAIR_KEY] = cached
    return cached


def _mp_array(v: Any, dps: int) -> Any:
    if isinstance(v, np.ndarray):
        out = np.empty(v.shape, dtype=object)
        for ix in np.ndindex(*v.shape):
            out[ix] = to_mpf(v[ix].item() if isinstance(v[ix], np.generic) else v[ix], dps)
        return out
    return to_mpf(v, dps)


class _AssignmentOf:
    """A trace step in the shape ``second.second_derivatives`` reads (an assignment)."""

    is_input = False

    def __init__(self, step: Any):
        self.target, self.expr = step.name, step.node


@kinks_marked_elsewhere
def precise_trace(trace: Any, dps: int) -> tuple[Any, dict[str, str], bool]:
    """One mpmath run of a float trace at ``dps`` digits: ``(Trace, failed, whole)``.

    Every step's expression is evaluated with :class:`dualdiff.evaluate.Evaluator` in its
    precise mode (literals as the decimals written, ``pi`` and ``e`` at ``dps`` digits),
    inputs read as the decimals they print as, one multi-direction Dual over every ``wrt``
    input component; then, as the float trace has them, second derivatives
    (``dualdiff.second``) and adjoints (the same reverse sweeps), in mpmath.
    """
    import mpmath

    from .dual import Dual, full_deriv, new_tag
    from .evaluate import Evaluator
    from .trace import Step, Trace

    wrt = list(trace.wrt)
    failed: dict[str, str] = {}
    with mpmath.workdps(dps):
        one, zero = mpmath.mpf(1), mpmath.mpf(0)
        values: dict[str, Any] = {}
        for s in trace.input_steps:
            try:
                values[s.name] = _mp_array(s.value, dps)
            except (TypeError, ValueError) as exc:
                failed[s.name] = f"input is not a number ({exc})"
        blocks, offset = {}, 0
        for w in wrt:
            shape = tuple(np.shape(trace.inputs[w]))
            size = int(np.prod(shape)) if shape else 1
            blocks[w] = (offset, size, shape)
            offset += size
        ndir = offset
        tag = new_tag()

        def seed(name: str, v: Any) -> Any:
            off, size, shape = blocks[name]
            if ndir == 1:
                return Dual(v, one, tag, 0)
            d = np.full((size, ndir), zero, dtype=object)
            for i in range(size):
                d[i, off + i] = one
            return Dual(v, d.reshape(shape + (ndir,)) if shape else d[0], tag, ndir)

        def unpack(y: Any) -> tuple[Any, dict[str, Any]]:
            if type(y) is Dual and y.tag == tag:
                value = y.value
                d = np.asarray(full_deriv(y), dtype=object)
                if ndir == 1:
                    d = d[..., None]
            else:
                value = y
                d = np.full(np.shape(y) + (ndir,), zero, dtype=object)
            vshape = tuple(np.shape(value))
            out = {}
            for w, (off, size, shape) in blocks.items():
                block = d[..., off:off + size].reshape(vshape + shape)
                out[w] = block[()] if block.ndim == 0 else block
            return (value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value), out

        env: dict[str, Any] = {}
        input_steps = []
        for s in trace.input_steps:
            if s.name in failed:
                continue
            v = values[s.name]
            env[s.name] = seed(s.name, v) if s.name in blocks else v
            input_steps.append(Step(s.name, "input", v, unpack(env[s.name])[1], None, 0, True))
        steps = []
        for s in trace.steps:
            broken = [d for d in s.deps if d in failed or d not in env]
            if broken:
                failed[s.name] = f"computed from {', '.join(broken)}, which has no reference"
                continue
            try:
                y = Evaluator(precise=True).evaluate(s.node, env)
                value, derivs = unpack(y)
            except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError) as exc:
                failed[s.name] = f"the high-precision evaluation fails: {_shorten(str(exc))}"
                continue
            env[s.name] = y
            steps.append(Step(s.name, s.expr, value, derivs, s.node, s.line))
        whole = not failed
        pt = Trace(steps, {k: values[k] for k in values}, wrt, input_steps, False, False,
                   getattr(trace, "source", ""), precise=True)
        if whole and steps and wrt and any(s.derivs2 is not None for s in trace.steps):
            from .second import second_derivatives

            try:
                second_derivatives(pt, [_AssignmentOf(s) for s in trace.steps], values, False, precise=True)
            except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError):
                whole = False
        if whole and steps and trace.has_adjoints:
            try:
                pt.compute_adjoints()
            except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError):
                whole = False
    return pt, failed, whole
