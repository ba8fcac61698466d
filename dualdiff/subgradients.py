"""One-sided derivatives at kinks: the interval a hand-written derivative may lie in.

At a kink (relu, abs, leaky_relu at exactly 0) a step's derivative is not one number:
coming from the left and from the right give different slopes, and every value between
them is a subgradient a careful person may write (``0.5`` for relu′(0)).  For each input
in ``wrt`` the program is re-evaluated at high precision (``dualdiff.reference``) a step
``h = 10**-20`` to either side, and a step whose left and right difference quotients
differ gets the closed interval between them.  With 40 digits the quotients are right to
about 20 digits, far more than any hand value shows; they are rounded to 15 digits so that
0.0999…97 reads as the 0.1 it is.

The intervals are computed once per trace (cached on it), only when the trace met a kink.

>>> import dualdiff as dd
>>> kink_bounds(dd.trace_program("x = 0\\nr = relu(-2 * x)\\ny = 3 * relu(x) + x"))
{'r': {'x': (-2.0, 0.0)}, 'y': {'x': (1.0, 4.0)}}
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

__all__ = ["kink_bounds", "kink_bounds2"]

_DPS = 40


def _cached(trace: Any, key: str, compute: Any) -> dict[str, dict[str, tuple[float, float]]]:
    """``compute(trace)`` once per trace (kept on it); empty when the trace met no kink."""
    cached = vars(trace).get(key)
    if cached is None:
        cached = compute(trace) if any(s.kinks for s in trace.steps) else {}
        vars(trace)[key] = cached
    return cached


def _reference_at(trace: Any, wrt: list[str], shifted: dict[str, Any]) -> tuple[dict, dict]:
    """The reference's (values, derivatives) of every step with the inputs at ``shifted``."""
    from .reference import evaluate_reference

    view = SimpleNamespace(wrt=wrt, steps=trace.steps,
                           input_steps=[SimpleNamespace(name=k, value=v) for k, v in shifted.items()])
    values, derivs = evaluate_reference(view, _DPS)[:2]
    return values, derivs


def _interval(left: Any, right: Any) -> tuple[float, float] | None:
    """(lowest, highest) of two one-sided quotients when they differ (a kink), else None."""
    import mpmath

    if abs(right - left) > mpmath.mpf(10) ** -10 * (1 + abs(right) + abs(left)):
        lo, hi = sorted((float(mpmath.nstr(left, 15)), float(mpmath.nstr(right, 15))))
        return lo, hi
    return None


def _mp_inputs(trace: Any) -> dict[str, Any] | None:
    from .reference import to_mpf

    try:
        return {s.name: to_mpf(s.value, _DPS) for s in trace.input_steps}
    except (TypeError, ValueError):
        return None  # vector inputs: no intervals


def kink_bounds(trace: Any) -> dict[str, dict[str, tuple[float, float]]]:
    """``{step: {input: (lowest, highest) one-sided derivative}}`` for the steps whose
    left and right derivatives differ; empty when the trace met no kink."""
    return _cached(trace, "_dualdiff_kink_bounds", _compute)


def _compute(trace: Any) -> dict[str, dict[str, tuple[float, float]]]:
    import mpmath

    out: dict[str, dict[str, tuple[float, float]]] = {}
    with mpmath.workdps(_DPS):
        inputs = _mp_inputs(trace)
        if inputs is None:
            return out
        h = mpmath.mpf(10) ** (-(_DPS // 2))
        here = _reference_at(trace, [], inputs)[0]
        for w in trace.wrt:
            up = _reference_at(trace, [], {**inputs, w: inputs[w] + h})[0]
            down = _reference_at(trace, [], {**inputs, w: inputs[w] - h})[0]
            for s in trace.steps:
                if not all(s.name in d for d in (here, up, down)):
                    continue
                bounds = _interval((here[s.name] - down[s.name]) / h, (up[s.name] - here[s.name]) / h)
                if bounds is not None:
                    out.setdefault(s.name, {})[w] = bounds
    return out


def kink_bounds2(trace: Any) -> dict[str, dict[str, tuple[float, float]]]:
    """``{step: {"a,b": (lowest, highest) one-sided second derivative}}`` at kinks.

    The one-sided second derivative ∂²s/∂a∂b from the right is the difference quotient of
    the reference's ∂s/∂a between ``b + h`` and ``b + 2h`` (both beside the kink, so the
    kink's own convention never enters), from the left between ``b - 2h`` and ``b - h``.
    Only steps where the two differ get an interval (``relu(x)**2`` at 0: [0, 2]).

    >>> import dualdiff as dd
    >>> kink_bounds2(dd.trace_program("x = 0\\ny = relu(x) ** 2", order=2))
    {'y': {'x,x': (0.0, 2.0)}}
    """
    return _cached(trace, "_dualdiff_kink_bounds2", _compute2)


def _compute2(trace: Any) -> dict[str, dict[str, tuple[float, float]]]:
    import mpmath

    out: dict[str, dict[str, tuple[float, float]]] = {}
    wrt = list(trace.wrt)
    with mpmath.workdps(_DPS):
        inputs = _mp_inputs(trace)
        if inputs is None:
            return out
        h = mpmath.mpf(10) ** (-(_DPS // 2))
        for j, b in enumerate(wrt):
            at = {k: _reference_at(trace, wrt, {**inputs, b: inputs[b] + k * h})[1] for k in (-2, -1, 1, 2)}
            for a in wrt[:j + 1]:
                for s in trace.steps:
                    d = {k: at[k].get(s.name, {}).get(a) for k in at}
                    if any(v is None for v in d.values()):
                        continue
                    bounds = _interval((d[-1] - d[-2]) / h, (d[2] - d[1]) / h)
                    if bounds is not None:
                        out.setdefault(s.name, {})[f"{a},{b}"] = bounds
    return out
