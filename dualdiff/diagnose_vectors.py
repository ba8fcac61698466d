"""Slips on the components of vector and matrix steps (``z1 = W1 @ x + b1``).

A hand table of a network has one row per component (``z1[0]``) and one derivative
column per input component (``d/dx[2]``), so every cell is one number and the
catalogue's number slips (digits transposed, sign, decimal point, another cell copied,
…) apply to it unchanged.  What a scalar trace cannot supply are the slips of the
operations themselves; this module computes them for every component at once, from the
array trace (``Trace.component_view().components_of``):

* the chain-rule factor missing (f'(z) written in every column), the product rule with
  one term (``u'·v`` of ``dot(u, v)`` or ``u * v``);
* the derivative rule of another function, elementwise (the confusion table of
  :mod:`dualdiff.diagnose`, with relu'(z) taken as z) and for softmax (its diagonal
  written s instead of s(1 - s); the cross terms -s_i s_j dropped);
* the calculator in degrees;
* a transposed weight matrix (``W.T @ x`` for ``W @ x``), a bias forgotten
  (``W @ x`` for ``W @ x + b``), another index (``p[1]`` for ``p[0]``);
* operands rounded too early;
* a value computed at another point (one input component changed).

Each hypothesis is the whole step evaluated the wrong way, with the trace's own
evaluator and dual numbers carrying every direction; a cell reads its component.
The hypotheses of a step are computed once per trace.

>>> import dualdiff as dd
>>> t = dd.trace_program("W = [[1, 2], [3, 4]]\\nx = [1, 1]\\ny = W @ x", wrt=["x"])
>>> hyps = VectorHypotheses(t, {})
>>> [(code, text, number) for code, text, number in hyps.cell("y[0]", "value") if code == "transposed-matrix"]
[('transposed-matrix', 'W.T used in place of W', 4.0)]
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from . import functions as F
from .dual import Dual, full_deriv, new_tag
from .evaluate import Evaluator
from .program import BinOp, Call, Index, Name, Num, walk

__all__ = ["VectorHypotheses", "vector_hypotheses"]

_TRIG = ("sin", "cos", "tan", "sec", "csc", "cot")
#: the other points tried for "a value computed at another point", per input component
_MOVES: tuple[Callable[[float], float], ...] = (
    lambda v: v + 1, lambda v: v - 1, lambda v: 2 * v, lambda v: v / 2, lambda v: -v,
    lambda v: 0.0, lambda v: 1.0, lambda v: 10 * v, lambda v: v / 10)
_ROUND_DIGITS = (2, 3, 4)
_NOT_ELEMENTWISE = {"softmax", "sum", "mean", "dot", "max", "transpose", "logsumexp"}
_MAX_POINTS = 400           # re-evaluations of the whole trace for "another point"
_MAX_NUMBERS = 4_000_000    # ... and the numbers they may compute in all

Hyp = tuple[str, str, Any, Any]   # (code, text, value array, derivative array: value.shape + (directions,))


def _idx(ix: tuple[int, ...]) -> str:
    return f"[{','.join(str(i) for i in ix)}]" if ix else ""


def _fmt(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.8g}"


def _round_sig(x: Any, k: int) -> Any:
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        e = np.floor(np.log10(np.abs(x)))
        scale = 10.0 ** (k - 1 - e)
        out = np.round(x * scale) / scale
    return np.where((x == 0) | ~np.isfinite(out), x, out)


def _replace(tree: Any, target: Any, new: Any) -> Any:
    """``tree`` with the node ``target`` (by identity) replaced by ``new``."""
    if tree is target:
        return new
    if not dataclasses.is_dataclass(tree):
        return tree
    changes = {}
    for f in dataclasses.fields(tree):
        v = getattr(tree, f.name)
        if dataclasses.is_dataclass(v):
            nv = _replace(v, target, new)
            if nv is not v:
                changes[f.name] = nv
        elif isinstance(v, tuple) and any(dataclasses.is_dataclass(x) for x in v):
            nv = tuple(_replace(x, target, new) for x in v)
            if any(a is not b for a, b in zip(nv, v)):
                changes[f.name] = nv
    return dataclasses.replace(tree, **changes) if changes else tree


class _Hooked(Evaluator):
    """The trace's evaluator with one function's rule replaced."""

    def __init__(self, hooks: Mapping[str, Callable[[list], Any]]):
        super().__init__(False)
        self.hooks = hooks

    def call(self, func: str, args: list) -> Any:
        hook = self.hooks.get(func)
        if hook is not None:
            r = hook(args)
            if r is not None:
                return r
        return super().call(func, args)


def _with_deriv(a: Any, value: Any, coef: Any) -> Any:
    """A Dual like ``a`` with ``value`` and the derivative coef·a' (elementwise)."""
    if type(a) is not Dual:
        return None
    d = full_deriv(a)
    c = np.asarray(coef, dtype=float)
    return Dual(value, (c[..., None] if a.ndir and c.ndim else c) * d, a.tag, a.ndir)


class VectorHypotheses:
    """The slips of every vector step of one array trace, cell by cell.

    ``confusions`` is the confusion table (function -> [(wrong derivative of f(a) in the
    program language, what the student did)]) of :mod:`dualdiff.diagnose`.
    """

    def __init__(self, trace: Any, confusions: Mapping[str, list[tuple[str, str]]]):
        from .parse import parse_expression
        from .render import component_rows, deriv_columns, row_name

        self.trace = trace
        self.confusions = {f: [(parse_expression(w)[0], why) for w, why in ws] for f, ws in confusions.items()}
        self.dirs = deriv_columns(trace)
        self.ndir = len(self.dirs)
        self.columns = {f"d/d{w}{_idx(ix)}": j for j, (w, ix) in enumerate(self.dirs)}
        self.rows = {row_name(s, ix): (s.name, ix) for s, ix in component_rows(trace)}
        self.steps = {s.name: s for s in trace.steps}
        self.base = {s.name: (np.asarray(s.value, dtype=float), self._packed(s.value, s.derivs)) for s in trace.rows}
        self._hyps: dict[str, list[Hyp]] = {}
        self._points: list[tuple[str, dict[str, tuple[Any, Any]]]] | None = None

    # -- packing: one trailing axis of directions -----------------------------------
    def _packed(self, value: Any, derivs: Mapping[str, Any]) -> np.ndarray:
        shape = np.shape(value)
        parts = [np.broadcast_to(np.asarray(derivs.get(w, 0.0), dtype=float),
                                 shape + np.shape(self.trace.inputs[w])).reshape(shape + (-1,))
                 for w in self.trace.wrt]
        return np.concatenate(parts, axis=-1) if parts else np.zeros(shape + (0,))

    def _scope(self, step: Any, env: Mapping[str, tuple[Any, Any]], tag: int) -> dict[str, Any]:
        n = self.ndir
        if n == 0:
            raise KeyError("no derivative columns")
        out = {}
        for d in step.deps:
            v, J = env[d]
            v = float(v) if np.ndim(v) == 0 else v
            out[d] = Dual(v, J if n > 1 else (float(J[..., 0]) if np.ndim(v) == 0 else J[..., 0]), tag, n if n > 1 else 0)
        return out

    def _unpack(self, y: Any, tag: int) -> tuple[Any, Any]:
        value = np.asarray(F.primal(y), dtype=float)
        shape = value.shape + (self.ndir,)
        if type(y) is Dual and y.tag == tag:
            d = np.asarray(full_deriv(y), dtype=float)
            if self.ndir <= 1:
                d = d[..., None]
            return value, np.broadcast_to(d, shape)
        return value, np.zeros(shape)

    def _run(self, step: Any, env: Mapping[str, tuple[Any, Any]], tree: Any = None,
             hooks: Mapping[str, Callable[[list], Any]] | None = None) -> tuple[Any, Any] | None:
        tag = new_tag()
        try:
            with np.errstate(all="ignore"):
                y = (_Hooked(hooks) if hooks else Evaluator(False)).evaluate(tree or step.node, self._scope(step, env, tag))
        except (ValueError, ArithmeticError, TypeError, KeyError, IndexError):
            return None
        return self._unpack(y, tag)

    # -- the hypotheses of a step ---------------------------------------------------
    def step_hypotheses(self, name: str) -> list[Hyp]:
        hit = self._hyps.get(name)
        if hit is None:
            hit = self._hyps[name] = list(self._derive(self.steps[name]))
        return hit

    def _derive(self, step: Any) -> Iterator[Hyp]:
        env = self.base
        node = step.node
        if node is None:
            return
        subs = list(walk(node))

        def run(code: str, text: str, tree: Any = None, hooks: Any = None, scope: Any = env) -> Iterator[Hyp]:
            r = self._run(step, scope, tree, hooks)
            if r is not None:
                yield code, text, r[0], r[1]

        for sub in subs:
            if type(sub) is Call and len(sub.args) == 1:
                if sub.func not in _NOT_ELEMENTWISE:
                    yield from run("chain-missing", f"{sub.func}'({_text(sub.args[0])}) without the chain-rule factor",
                                   hooks={sub.func: self._no_chain(sub.func)})
                for tree, why in self.confusions.get(sub.func, ()):
                    yield from run("wrong-rule", why, hooks={sub.func: self._confusion(sub.func, tree)})
                if sub.func == "softmax":
                    yield from run("wrong-rule", "s used for ∂s_i/∂z_i of softmax (it is s(1 - s) on the diagonal)",
                                   hooks={"softmax": self._softmax(True)})
                    yield from run("wrong-rule", "the cross terms -s_i·s_j of softmax's derivative dropped",
                                   hooks={"softmax": self._softmax(False)})
            if (type(sub) is BinOp and sub.op in ("*", "@") or type(sub) is Call and sub.func == "dot") and all(
                    type(x) is Name and np.any(env[x.id][1]) for x in _operands(sub)):
                # product rule with one term: one operand's derivative dropped
                a, b = (x.id for x in _operands(sub))
                for kept, dropped in ((a, b), (b, a)):
                    yield from run("product-one-term", f"only {a}{chr(39) if kept == a else ''}·{b}"
                                                       f"{chr(39) if kept == b else ''} of the product rule",
                                   scope={**env, dropped: (env[dropped][0], np.zeros_like(env[dropped][1]))})
            if type(sub) is BinOp and sub.op == "@":
                for side, other in (("left", "right"), ("right", "left")):
                    m = getattr(sub, side)
                    if type(m) is Name and np.ndim(env[m.id][0]) == 2:
                        flipped = dataclasses.replace(sub, **{side: Call("transpose", (m,), m.line, m.col)})
                        yield from run("transposed-matrix", f"{m.id}.T used in place of {m.id}",
                                       _replace(node, sub, flipped))
            elif type(sub) is BinOp and sub.op in ("+", "-"):
                for side, keep in (("right", "left"), ("left", "right")):
                    b = getattr(sub, side)
                    if type(b) is Name and np.ndim(env[b.id][0]) >= 1 and any(
                            type(x) is BinOp and x.op == "@" for x in walk(getattr(sub, keep))):
                        if side == "left" and sub.op == "-":
                            continue
                        yield from run("bias-missing", f"{b.id} left out of {_text(sub)}",
                                       _replace(node, sub, getattr(sub, keep)))
            elif type(sub) is Index and type(sub.target) is Name:
                shape = np.shape(env[sub.target.id][0])
                if len(shape) == len(sub.index):
                    here = tuple(i % n for i, n in zip(sub.index, shape))
                    for other in np.ndindex(*shape):
                        if other != here:
                            moved = dataclasses.replace(sub, index=tuple(other))
                            yield from run("wrong-index", f"{sub.target.id}{_idx(other)} used in place of "
                                                          f"{sub.target.id}{_idx(here)}", _replace(node, sub, moved))
        if any(type(s) is Call and s.func in _TRIG for s in subs):
            yield from run("degrees", "the calculator in degrees", hooks={f: self._degrees(f, False) for f in _TRIG})
            yield from run("degrees", "the calculator in degrees (with the π/180 factor)",
                           hooks={f: self._degrees(f, True) for f in _TRIG})
        for k in _ROUND_DIGITS:
            rounded = {d: (_round_sig(env[d][0], k), _round_sig(env[d][1], k)) for d in step.deps}
            yield from run("rounded-early", f"operands rounded to {k} significant digits", scope={**env, **rounded})

    def _confusion(self, func: str, tree: Any) -> Callable[[list], Any]:
        def hook(args: list) -> Any:
            a = args[0]
            av = np.asarray(F.primal(a), dtype=float)
            wrong = Evaluator(False).evaluate(tree, {"a": av if av.ndim else float(av)})
            return _with_deriv(a, getattr(F, func)(F.primal(a)), np.asarray(F.primal(wrong), dtype=float))
        return hook

    def _no_chain(self, func: str) -> Callable[[list], Any]:
        ndir = self.ndir

        def hook(args: list) -> Any:
            a = args[0]
            if type(a) is not Dual or not np.any(full_deriv(a)):
                return None
            av = np.asarray(F.primal(a), dtype=float)
            r = getattr(F, func)(Dual(av if av.ndim else float(av), np.ones_like(av) if av.ndim else 1.0))
            coef = np.asarray(r.deriv, dtype=float)
            d = np.broadcast_to(coef[..., None], av.shape + (ndir,)).copy() if a.ndir else coef
            return Dual(F.primal(r), d, a.tag, a.ndir)
        return hook

    @staticmethod
    def _softmax(diagonal_s: bool) -> Callable[[list], Any]:
        def hook(args: list) -> Any:
            a = args[0]
            if type(a) is not Dual or np.ndim(a.value) != 1:
                return None
            s = np.asarray(F.primal(F.softmax(a.value)), dtype=float)
            jac = np.diag(s) - np.outer(s, s)
            jac = jac + np.diag(s * s) if diagonal_s else np.diag(np.diag(jac))
            return Dual(s, jac @ full_deriv(a), a.tag, a.ndir)
        return hook

    @staticmethod
    def _degrees(func: str, factor: bool) -> Callable[[list], Any]:
        def hook(args: list) -> Any:
            a = args[0]
            rad = np.asarray(F.primal(a), dtype=float) * (math.pi / 180)
            r = getattr(F, func)(Dual(rad, np.ones_like(rad) if rad.ndim else 1.0))
            coef = np.asarray(r.deriv, dtype=float) * (math.pi / 180 if factor else 1.0)
            value = F.primal(r)
            if type(a) is not Dual:
                return value
            return _with_deriv(a, value, coef)
        return hook

    # -- another point ------------------------------------------------------------------
    def points(self) -> list[tuple[str, dict[str, tuple[Any, Any]]]]:
        """The whole trace at other points: each input component moved in turn."""
        if self._points is None:
            self._points = []
            # a budget of numbers computed, not of points: a wide network gets fewer points
            size = max(1, sum(int(np.size(v)) for v, _ in self.base.values()) * max(1, self.ndir))
            budget = min(_MAX_POINTS, _MAX_NUMBERS // size)
            for s in self.trace.input_steps:
                v0 = self.base[s.name][0]
                for ix in np.ndindex(*v0.shape):
                    seen = {float(v0[ix])}
                    for move in _MOVES:
                        c = float(move(float(v0[ix])))
                        if c in seen or len(self._points) >= budget:
                            continue
                        seen.add(c)
                        env = dict(self.base)
                        v = v0.copy()
                        v[ix] = c
                        env[s.name] = (v, self.base[s.name][1])
                        ok = True
                        for step in self.trace.steps:
                            r = self._run(step, env)
                            if r is None:
                                ok = False
                                break
                            env[step.name] = r
                        if ok:
                            self._points.append((f"{s.name}{_idx(ix)} = {_fmt(c)}", env))
        return self._points

    # -- one cell ---------------------------------------------------------------------
    def cell(self, row: str, column: str) -> list[tuple[str, str, float]]:
        """(code, text, number) of every slip for one cell of the component table."""
        hit = self.rows.get(row)
        if hit is None:
            return []
        name, ix = hit
        if name not in self.steps:
            return []
        j = None if column == "value" else self.columns.get(column)
        if column != "value" and j is None:
            return []

        def pick(v: Any, J: Any) -> float:
            return float(np.asarray(v)[ix]) if j is None else float(np.asarray(J)[ix + (j,)])

        out = []
        for code, text, v, J in self.step_hypotheses(name):
            try:
                x = pick(v, J)
            except (IndexError, ValueError):
                continue
            if math.isfinite(x):
                out.append((code, text, x))
        for label, env in self.points():
            x = pick(*env[name])
            if math.isfinite(x):
                out.append(("other-point", f"at {label} this cell is {_fmt(x)}", x))
        return out


def _operands(node: Any) -> tuple[Any, ...]:
    return (node.left, node.right) if type(node) is BinOp else tuple(node.args)


def _text(node: Any) -> str:
    from .printing import expr_to_text

    return expr_to_text(node)


def vector_hypotheses(view: Any, confusions: Mapping[str, list[tuple[str, str]]]) -> VectorHypotheses | None:
    """The hypotheses for a component view's array trace (kept on that trace), or None
    when ``view`` is not a component view."""
    trace = getattr(view, "components_of", None)
    if trace is None:
        return None
    got = vars(trace).get("_dualdiff_vector_hypotheses")
    if got is None:
        got = vars(trace)["_dualdiff_vector_hypotheses"] = VectorHypotheses(trace, confusions)
    return got
