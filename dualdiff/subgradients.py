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
_CACHE_KEY = "_dualdiff_kink_bounds"


def kink_bounds(trace: Any) -> dict[str, dict[str, tuple[float, float]]]:
    """``{step: {input: (lowest, highest) one-sided derivative}}`` for the steps whose
    left and right derivatives differ; empty when the trace met no kink."""
    cached = vars(trace).get(_CACHE_KEY)
    if cached is None:
        cached = _compute(trace) if any(s.kinks for s in trace.steps) else {}
        vars(trace)[_CACHE_KEY] = cached
    return cached


def _compute(trace: Any) -> dict[str, dict[str, tuple[float, float]]]:
    import mpmath

    from .reference import evaluate_reference, to_mpf

    out: dict[str, dict[str, tuple[float, float]]] = {}
    with mpmath.workdps(_DPS):
        try:
            inputs = {s.name: to_mpf(s.value, _DPS) for s in trace.input_steps}
        except (TypeError, ValueError):
            return out  # vector inputs: no intervals
        h = mpmath.mpf(10) ** (-(_DPS // 2))

        def values_at(shifted: dict[str, Any]) -> dict[str, Any]:
            view = SimpleNamespace(wrt=[], steps=trace.steps,
                                   input_steps=[SimpleNamespace(name=k, value=v) for k, v in shifted.items()])
            return evaluate_reference(view, _DPS)[0]

        here = values_at(inputs)
        for w in trace.wrt:
            up = values_at({**inputs, w: inputs[w] + h})
            down = values_at({**inputs, w: inputs[w] - h})
            for s in trace.steps:
                if not all(s.name in d for d in (here, up, down)):
                    continue
                right = (up[s.name] - here[s.name]) / h
                left = (here[s.name] - down[s.name]) / h
                if abs(right - left) > mpmath.mpf(10) ** -10 * (1 + abs(right) + abs(left)):
                    lo, hi = sorted((float(mpmath.nstr(left, 15)), float(mpmath.nstr(right, 15))))
                    out.setdefault(s.name, {})[w] = (lo, hi)
    return out


_CACHE_KEY2 = "_dualdiff_kink_bounds2"


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
    cached = vars(trace).get(_CACHE_KEY2)
    if cached is None:
        cached = _compute2(trace) if any(s.kinks for s in trace.steps) else {}
        vars(trace)[_CACHE_KEY2] = cached
    return cached


def _compute2(trace: Any) -> dict[str, dict[str, tuple[float, float]]]:
    import mpmath

    from .reference import evaluate_reference, to_mpf

    out: dict[str, dict[str, tuple[float, float]]] = {}
    wrt = list(trace.wrt)
    with mpmath.workdps(_DPS):
        try:
            inputs = {s.name: to_mpf(s.value, _DPS) for s in trace.input_steps}
        except (TypeError, ValueError):
            return out  # vector inputs: no intervals
        h = mpmath.mpf(10) ** (-(_DPS // 2))

        def slopes_at(shifted: dict[str, Any]) -> dict[str, dict[str, Any]]:
            view = SimpleNamespace(wrt=wrt, steps=trace.steps,
                                   input_steps=[SimpleNamespace(name=k, value=v) for k, v in shifted.items()])
            return evaluate_reference(view, _DPS)[1]

        for j, b in enumerate(wrt):
            at = {k: [slopes_at({**inputs, b: inputs[b] + k * h})] for k in (-2, -1, 1, 2)}
            for i, a in enumerate(wrt):
                if i > j:
                    continue
                for s in trace.steps:
                    d = {k: at[k][0].get(s.name, {}).get(a) for k in at}
                    if any(v is None for v in d.values()):
                        continue
                    right = (d[2] - d[1]) / h
                    left = (d[-1] - d[-2]) / h
                    if abs(right - left) > mpmath.mpf(10) ** -10 * (1 + abs(right) + abs(left)):
                        lo, hi = sorted((float(mpmath.nstr(left, 15)), float(mpmath.nstr(right, 15))))
                        out.setdefault(s.name, {})[f"{a},{b}"] = (lo, hi)
    return out
