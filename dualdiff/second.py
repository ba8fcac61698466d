"""Second derivatives of every step of a trace (``trace_program(…, order=2)``).

Forward over forward: each pass seeds the ``wrt`` inputs with an inner multi-direction
Dual (all first derivatives at once) wrapped in an outer one-direction Dual along one
input component i, each layer with its own tag.  The outer derivative of a step is then
an inner Dual whose own derivative is row i of the step's Hessian, ∂²s/∂dᵢ∂dⱼ for every
j.  N input components need N passes; every derivative comes from the rule table
through ``Dual``, as in the first-order trace.

``Step.derivs2`` maps ``"w,b"`` (each unordered pair of wrt inputs once, in ``wrt``
order, the pair of an input with itself included) to ∂²step/∂w∂b: a number for scalar
inputs and steps, else an array of shape step + w + b.  Lookups by ``("b", "w")`` or
``"b,w"`` work too (the transposed block).

>>> import dualdiff as dd
>>> t = dd.trace_program("w = 2\\nb = 3\\ny = w ** 2 * b", order=2)
>>> t.output.derivs2["w,w"], t.output.derivs2["w,b"], t.output.derivs2["b,b"]
(6.0, 4.0, 0.0)
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .dual import Dual, full_deriv, new_tag
from .errors import ProgramError
from .evaluate import Evaluator

__all__ = ["Derivs2", "second_derivatives", "second_of_step", "MAX_SECOND_ORDER_PASSES"]

MAX_SECOND_ORDER_PASSES = 2_000  # input components in wrt (one pass each)


class Derivs2(dict):
    """``{"w,b": d²/dw db}``; also answers ``("w", "b")``, ``"b,w"`` and ``("b", "w")``."""

    def __init__(self, data: Mapping[str, Any], ndim: int = 0, shapes: Mapping[str, tuple] | None = None):
        super().__init__(data)
        self._ndim = ndim
        self._shapes = dict(shapes or {})

    def __missing__(self, key: Any) -> Any:
        a, b = key if isinstance(key, tuple) else (str(key).split(",") + [""])[:2]
        a, b = a.strip(), b.strip()
        if f"{a},{b}" in self.keys():
            return dict.__getitem__(self, f"{a},{b}")
        if f"{b},{a}" in self.keys():
            block = dict.__getitem__(self, f"{b},{a}")
            if np.ndim(block) == 0:
                return block
            # block axes: step, b, a -> step, a, b
            nb, na = len(self._shapes.get(b, ())), len(self._shapes.get(a, ()))
            s = self._ndim
            order = list(range(s)) + list(range(s + nb, s + nb + na)) + list(range(s, s + nb))
            return np.transpose(block, order)
        raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True


def _blocks(trace: Any) -> tuple[dict[str, tuple[int, int, tuple]], int]:
    blocks, offset = {}, 0
    for w in trace.wrt:
        shape = tuple(np.shape(trace.inputs[w]))
        size = int(np.prod(shape)) if shape else 1
        blocks[w] = (offset, size, shape)
        offset += size
    return blocks, offset


def second_derivatives(trace: Any, assignments: list, values: Mapping[str, Any], exact: bool,
                       precise: bool = False) -> None:
    """Fill ``Step.derivs2`` of every row of ``trace`` (inputs: all zero).

    ``precise``: the values are mpmath numbers (the re-evaluation of ``dualdiff.reference``);
    literals are read as decimals and the Hessians kept as object arrays of mpf."""
    blocks, n = _blocks(trace)
    if n > MAX_SECOND_ORDER_PASSES:
        raise ProgramError(f"second derivatives with respect to {n} input components would take {n} passes "
                           f"(at most {MAX_SECOND_ORDER_PASSES}); differentiate with respect to fewer inputs")
    hess: dict[str, list] = {s.name: [None] * n for s in trace.steps}
    zero = 0 if exact else 0.0
    for i in range(n):
        tin, tout = new_tag(), new_tag()
        env: dict[str, Any] = {}
        for name, v in values.items():
            if name not in blocks:
                env[name] = v
                continue
            offset, size, shape = blocks[name]
            inner = _seed(v, offset, size, shape, n, tin, exact)
            direction = _unit_in(i, offset, size, shape, exact)
            env[name] = Dual(inner, direction, tout, 0)
        for a in assignments:
            if a.is_input:
                continue
            y = Evaluator(exact, precise).evaluate(a.expr, env)
            env[a.target] = y
            hess[a.target][i] = _row(y, tout, tin, n, exact or precise)
    for step in trace.steps:
        rows = hess[step.name]
        vshape = tuple(np.shape(step.value))
        H = _stack_rows(rows, vshape, n, exact or precise)  # shape: step + (n, n)
        step.derivs2 = _split(H, blocks, trace.wrt, vshape, exact)
    for step in trace.input_steps:
        vshape = tuple(np.shape(step.value))
        H = np.zeros(vshape + (n, n)) if not exact else np.full(vshape + (n, n), zero, dtype=object)
        step.derivs2 = _split(H, blocks, trace.wrt, vshape, exact)


def _one(exact: bool) -> Any:
    if exact:
        import sympy

        return sympy.Integer(1)
    return 1.0


def _seed(v: Any, offset: int, size: int, shape: tuple, n: int, tag: int, exact: bool) -> Dual:
    if not shape:
        if n == 1:
            return Dual(v, _one(exact), tag, 0)
        e = np.zeros(n) if not exact else np.array([0] * n, dtype=object)
        e[offset] = _one(exact)
        return Dual(v, e, tag, n)
    d = np.zeros((size, n))
    d[np.arange(size), offset + np.arange(size)] = 1.0
    return Dual(v, d.reshape(shape + (n,)), tag, n)


def _unit_in(i: int, offset: int, size: int, shape: tuple, exact: bool) -> Any:
    """The outer seed of one input: 1 at component i - offset if i falls in its block."""
    if not shape:
        return _one(exact) if offset == i else (0 if exact else 0.0)
    e = np.zeros(size)
    if offset <= i < offset + size:
        e[i - offset] = 1.0
    return e.reshape(shape)


def _row(y: Any, tout: int, tin: int, n: int, exact: bool) -> Any:
    """∂²y/∂d_i∂d_j for all j: shape y + (n,), from the outer derivative's inner part."""
    if type(y) is not Dual or y.tag != tout:
        return None
    d = y.deriv
    if type(d) is Dual and d.tag == tin:
        full = full_deriv(d)
        if n == 1:
            return np.asarray(full)[..., None] if np.ndim(full) else np.array([full], dtype=object if exact else float)
        return np.asarray(full)
    return None  # the first derivative along i is constant: no second derivative


def _stack_rows(rows: list, vshape: tuple, n: int, exact: bool) -> np.ndarray:
    dtype = object if exact else float
    H = np.zeros(vshape + (n, n), dtype=dtype) if not exact else np.full(vshape + (n, n), 0, dtype=object)
    for i, r in enumerate(rows):
        if r is not None:
            H[..., i, :] = np.broadcast_to(np.asarray(r, dtype=dtype), vshape + (n,))
    return H


def _scalar(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _split(H: np.ndarray, blocks: Mapping[str, tuple], wrt: list[str], vshape: tuple, exact: bool) -> Derivs2:
    out: dict[str, Any] = {}
    shapes = {w: b[2] for w, b in blocks.items()}
    for ia, a in enumerate(wrt):
        oa, sa, sha = blocks[a]
        for b in wrt[ia:]:
            ob, sb, shb = blocks[b]
            block = H[..., oa:oa + sa, ob:ob + sb].reshape(vshape + sha + shb)
            out[f"{a},{b}"] = _scalar(block[()]) if block.ndim == 0 else block
    return Derivs2(out, len(vshape), shapes)


def second_of_step(node: Any, wrt: list[str], env: Mapping[str, tuple], exact: bool = False) -> dict[str, Any]:
    """Second derivatives of one scalar expression from its operands' own numbers.

    ``env`` maps each name the expression uses to ``(value, {input: d/d input},
    {"a,b": d²/da db})`` -- scalars, as a hand table gives them (missing entries are 0).
    Returns ``{"a,b": d²/da db}`` for each unordered pair of ``wrt`` in order: what a
    student's earlier (perhaps wrong) rows imply for this step (error carried forward).

    >>> from dualdiff.parse import parse_program
    >>> node = parse_program("u = 1\\ny = u * u").assignments[-1].expr
    >>> second_of_step(node, ["x"], {"u": (3.0, {"x": 2.0}, {"x,x": 5.0})})
    {'x,x': 38.0}
    """
    n = len(wrt)
    hess = [[0.0] * n for _ in range(n)]
    for i in range(n):
        tin, tout = new_tag(), new_tag()
        scope: dict[str, Any] = {}
        for name, entry in env.items():
            value, d1, d2 = (tuple(entry) + ({}, {}))[:3]
            g = [float(d1.get(w, 0.0)) for w in wrt]
            row = [float(_pair(d2, wrt[i], w)) for w in wrt]
            if n == 1:
                inner, tangent = Dual(value, g[0], tin, 0), Dual(g[0], row[0], tin, 0)
            else:
                inner, tangent = Dual(value, np.array(g), tin, n), Dual(g[i], np.array(row), tin, n)
            scope[name] = Dual(inner, tangent, tout, 0)
        y = Evaluator(exact).evaluate(node, scope)
        r = _row(y, tout, tin, n, exact)
        if r is not None:
            if np.ndim(r) > 1 or np.size(r) != n:
                raise ValueError("second_of_step: a scalar step was expected")
            hess[i] = [float(x) for x in np.ravel(r)]
    return {f"{a},{b}": hess[ia][ia + jb] for ia, a in enumerate(wrt) for jb, b in enumerate(wrt[ia:])}


def _pair(d2: Mapping[str, Any], a: str, b: str) -> Any:
    v = d2.get(f"{a},{b}")
    if v is None:
        v = d2.get(f"{b},{a}")
    return 0.0 if v is None else v
