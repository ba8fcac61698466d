"""The reverse sweep of a trace with vectors and matrices: adjoints shaped like the steps.

``adjoint(s) = ∂L/∂s`` for a scalar output L: an array of the step's shape (the
backpropagation table of a layer: ``∂L/∂z1``, ``∂L/∂W1 = outer(∂L/∂z1, x)``).  The sweep
walks the recorded steps backwards and, inside each step, its expression tree,
applying each operation's vector-Jacobian product:

- ``A @ B``: ``g @ B.T`` and ``A.T @ g`` (matrix products, never a loop over entries);
- ``sum``, ``mean``, ``max``, ``transpose``, indexing, list literals: the adjoint spread
  back, scattered or transposed (:mod:`dualdiff.vectorops`);
- elementwise operations and functions: ``g · f'(x)``, with ``f'(x)`` from a
  one-direction Dual through the rule table (so kink conventions are the forward
  pass's), summed back over broadcast axes;
- ``softmax`` / ``logsumexp``: ``gᵀJ`` with J from one multi-direction Dual pass.

>>> import dualdiff as dd
>>> t = dd.trace_program("W = [[1, 2], [3, 4]]\\nx = [1, 1]\\nL = sum(W @ x)", adjoints=True)
>>> t["x"].adjoint          # W.T @ [1, 1]
array([4., 6.])
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import vectorops as A
from . import functions as F
from .dual import Dual, full_deriv, new_tag
from .errors import ProgramError
from .evaluate import Evaluator, exact_zeros
from .program import BinOp, Call, Const, Index, ListLit, Name, Num, UnaryOp, apply_binop, names_in
from .rules import RULES

__all__ = ["array_adjoints"]


def array_adjoints(trace: Any) -> dict[str, Any]:
    """∂output/∂row for every row of ``trace`` (a float trace with a scalar output)."""
    out = trace.output
    if np.ndim(out.value):
        raise ProgramError(f"adjoints need a scalar output (a loss): {out.name} has shape "
                           f"{A.show_shape(np.shape(out.value))}; add a last step such as L = sum({out.name})")
    exact = bool(trace.exact)
    values = {s.name: s.value for s in trace.rows}
    adj: dict[str, Any] = {s.name: _zeros(s.value, exact) for s in trace.rows}
    adj[out.name] = _one(exact)
    precise = getattr(trace, "precise", False)  # the mpmath re-evaluation of dualdiff.reference
    for step in reversed(trace.steps):
        g = adj[step.name]
        if not np.any(g != 0):
            continue
        _Sweep(values, adj, exact, precise).back(step.node, g)
    return adj


def _zeros(v: Any, exact: bool = False) -> Any:
    """Zeros shaped like v: sympy 0 in an exact trace (a float 0.0 would turn the exact
    adjoints into floats)."""
    if np.ndim(v):
        return exact_zeros(np.shape(v), exact)
    return _one(exact) * 0


def _one(exact: bool) -> Any:
    if exact:
        import sympy

        return sympy.Integer(1)
    return 1.0


class _Sweep:
    """Backpropagates one step's adjoint through its expression tree."""

    def __init__(self, values: Mapping[str, Any], adj: dict[str, Any], exact: bool = False,
                 precise: bool = False):
        self.values = values
        self.exact = exact
        self.adj = adj
        self.memo: dict[int, Any] = {}
        self.precise = precise
        self.dtype = object if precise or exact else float  # mpf / sympy entries stay what they are
        self.named: dict[int, bool] = {}

    def depends(self, node: Any) -> bool:
        """Whether a subtree uses a name (constants take no adjoint); each subtree walked
        once per step, not once per level of the tree above it."""
        key = id(node)
        found = self.named.get(key)
        if found is None:
            found = self.named[key] = bool(names_in(node))
        return found

    def value(self, node: Any) -> Any:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = Evaluator(self.exact, precise=self.precise).evaluate(node, self.values)
        return self.memo[key]

    def back(self, node: Any, g: Any) -> None:
        kind = type(node)
        if kind is Name:
            self.adj[node.id] = self.adj[node.id] + g
            return
        if kind in (Num, Const) or not self.depends(node):
            return  # constants take no adjoint
        if kind is UnaryOp:
            self.back(node.operand, -g if node.op == "-" else g)
        elif kind is BinOp and node.op == "@":
            ga, gb = A.vjp_matmul(g, self.value(node.left), self.value(node.right))
            self.back(node.left, ga)
            self.back(node.right, gb)
        elif kind is BinOp:
            self.elementwise(node, [node.left, node.right], g)
        elif kind is Index:
            target = self.value(node.target)
            self.back(node.target, A.vjp_index(g, np.shape(target), node.index, self.exact))
        elif kind is ListLit:
            g = np.asarray(g)
            for i, item in enumerate(node.items):
                self.back(item, A.unbroadcast(g[i], A.shape_of(self.value(item))))
        elif kind is Call:
            self.call(node, g)
        else:  # pragma: no cover - every node kind is handled above
            raise TypeError(f"not an expression node: {node!r}")

    def call(self, node: Call, g: Any) -> None:
        f = node.func
        if f in ("sum", "mean"):
            x = self.value(node.args[0])
            if self.exact:
                scale = _one(True) if f == "sum" else _one(True) / np.size(x)
            else:
                scale = 1.0 if f == "sum" else 1.0 / np.size(x)
            if self.precise and f == "mean":
                import mpmath

                scale = mpmath.mpf(1) / np.size(x)
            self.back(node.args[0], np.broadcast_to(np.asarray(g) * scale, np.shape(x)).copy())
        elif f == "max" and len(node.args) == 1:
            self.back(node.args[0], A.vjp_amax(g, self.value(node.args[0]), self.exact))
        elif f == "transpose":
            self.back(node.args[0], np.swapaxes(np.asarray(g), 0, 1) if np.ndim(g) == 2 else g)
        elif f == "dot":
            ga, gb = A.vjp_matmul(g, self.value(node.args[0]), self.value(node.args[1]))
            self.back(node.args[0], ga)
            self.back(node.args[1], gb)
        elif RULES[f].vector:
            x = np.asarray(self.value(node.args[0]), dtype=self.dtype)
            k = x.size
            tag = new_tag()
            eye = exact_zeros((k, k), self.exact)
            eye[np.arange(k), np.arange(k)] = _one(self.exact)
            y = getattr(F, f)(Dual(x, eye.reshape(x.shape + (k,)), tag, k))
            J = np.asarray(full_deriv(y)) if type(y) is Dual else exact_zeros(np.shape(y) + (k,), self.exact)
            gx = np.tensordot(np.asarray(g), J, axes=np.ndim(g)).reshape(x.shape)
            self.back(node.args[0], gx)
        else:
            self.elementwise(node, list(node.args), g)

    def elementwise(self, node: Any, operands: list, g: Any) -> None:
        """g · ∂out/∂operand for an elementwise operation, one operand at a time."""
        vals = [self.value(o) for o in operands]
        for i, operand in enumerate(operands):
            if not self.depends(operand):
                continue
            tag = new_tag()
            v = vals[i]
            seeded = list(vals)
            one = _one(self.exact)
            seeded[i] = Dual(v, np.full(np.shape(v), one, dtype=object if self.exact else float)
                             if np.ndim(v) else one, tag, 0)
            y = self.apply(node, seeded)
            local = full_deriv(y) if type(y) is Dual and y.tag == tag else one * 0
            self.back(operand, A.unbroadcast(np.asarray(g) * local, np.shape(v)))

    @staticmethod
    def apply(node: Any, args: list) -> Any:
        if type(node) is BinOp:
            return apply_binop(node.op, *args)
        return getattr(F, node.func)(*args)
