"""Componentwise symbolic check: traces with vectors and matrices, and second derivatives.

Every component of every step is a sympy expression of the components of the names it
uses (``z1[0] = W1[0,0]·x[0] + … + b1[0]``), built from the program's own tree with
numpy object arrays of sympy symbols (``@`` is a sum of products, ``softmax`` is
``exp(z_j)/Σ exp(z_k)`` written out, ``max`` is sympy's ``Max``).  sympy differentiates
each component once (and twice, for ``order=2`` traces) with respect to each operand
component; the chain rule is applied numerically with the derivatives sympy
established for the earlier components (stepwise: linear in the number of steps):

    ds/da   = Σ_j ∂e/∂d_j · dd_j/da
    d²s/dadb = Σ_j ∂e/∂d_j · d²d_j/dadb + Σ_jk ∂²e/∂d_j∂d_k · dd_j/da · dd_k/db

Rows of the report are ``(step component, input component)`` pairs (``z1[0]``,
``x[2]``; second derivatives as ``x[0],x[2]``), with the verdicts of
:mod:`dualdiff.symbolic`.  A step the trace met at a kink (relu of an entry exactly at
0, ``max`` at a tie) is reported ``kink`` and later steps use the dual's derivatives
there (noted), as the scalar check does.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from .program import fold
from .rules import RULES

__all__ = ["check_componentwise"]


def _comp(shape: tuple) -> list[tuple]:
    return [tuple(int(i) for i in ix) for ix in np.ndindex(*shape)] if shape else [()]


def _label(name: str, ix: tuple) -> str:
    return name + (f"[{','.join(str(i) for i in ix)}]" if ix else "")


class _Arrays:
    """Builds object arrays of sympy expressions from a program tree."""

    def __init__(self, sp: Any, env: dict[str, np.ndarray], literal: Any):
        self.sp = sp
        self.env = env
        self.literal = literal

    def obj(self, x: Any) -> np.ndarray:
        if isinstance(x, np.ndarray):
            return x
        out = np.empty((), dtype=object)
        out[()] = x
        return out

    def build(self, node: Any) -> np.ndarray:
        sp = self.sp
        return self.obj(fold(
            node, name=lambda n: self.env[n], num=lambda n: self.obj(self.literal(n)),
            const=lambda c: self.obj(sp.pi if c == "pi" else sp.E), call=self.call,
            power=lambda a, b: np.frompyfunc(sp.Pow, 2, 1)(self.obj(a), self.obj(b)),
            matmul=self.matmul, listlit=self.stack,
            index=lambda x, idx: self.obj(self.obj(x)[idx])))

    def stack(self, items: list) -> np.ndarray:
        items = [self.obj(i) for i in items]
        if items[0].ndim == 0:
            out = np.empty(len(items), dtype=object)
            for k, i in enumerate(items):
                out[k] = i[()]
            return out
        return np.array(items, dtype=object)

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = self.obj(a), self.obj(b)
        if a.ndim == 1 and b.ndim == 1:
            return self.obj(sum((a[k] * b[k] for k in range(a.shape[0])), self.sp.Integer(0)))
        return self.obj(np.matmul(a, b))

    def call(self, f: str, args: list) -> np.ndarray:
        sp = self.sp
        args = [self.obj(a) for a in args]
        x = args[0]
        if f == "sum":
            return self.obj(sp.Add(*x.ravel()))
        if f == "mean":
            return self.obj(sp.Add(*x.ravel()) / x.size)
        if f == "max" and len(args) == 1:
            return self.obj(sp.Max(*x.ravel()))
        if f == "transpose":
            return x.T if x.ndim == 2 else x
        if f == "dot":
            return self.matmul(x, args[1])
        if f == "softmax":
            ex = [sp.exp(v) for v in x.ravel()]
            total = sp.Add(*ex)
            return np.array([e / total for e in ex], dtype=object).reshape(x.shape)
        if f == "logsumexp":
            return self.obj(sp.log(sp.Add(*[sp.exp(v) for v in x.ravel()])))
        rule = RULES[f]
        if rule.sympy is None:
            raise LookupError(f"{f} has no sympy counterpart")
        if getattr(rule, "partials", None) is not None and len(args) == 2:  # elementwise in both
            return self.obj(np.frompyfunc(rule.sympy, 2, 1)(x, args[1]))
        params = [p[()] for p in args[1:]]
        if f == "log" and params:
            fn = lambda v: rule.sympy(v) / rule.sympy(params[0])  # noqa: E731
        elif f == "pow":
            return np.frompyfunc(sp.Pow, 2, 1)(x, args[1])
        else:
            fn = lambda v: rule.sympy(v, *params)  # noqa: E731
        out = np.frompyfunc(fn, 1, 1)(x)
        return self.obj(out)


def check_componentwise(trace: Any, rtol: float, atol: float, dps: int) -> Any:
    """The symbolic check of a trace with vector/matrix rows or second derivatives."""
    from .symbolic import CheckRow, SymbolicReport, comparison_checker

    t0 = time.perf_counter()
    base = comparison_checker(trace, rtol, atol, dps)   # numbers, literals, verdict rules
    sp = base.sp
    order2 = any(s.derivs2 is not None for s in trace.steps)
    # input components -> direction index
    dirs: list[tuple[str, tuple]] = []
    for w in trace.wrt:
        dirs += [(w, ix) for ix in _comp(tuple(np.shape(trace.inputs[w])))]
    n = len(dirs)
    pos = {d: i for i, d in enumerate(dirs)}
    symbols: dict[str, np.ndarray] = {}
    point: dict[Any, Any] = {}
    D: dict[Any, np.ndarray] = {}     # symbol -> first derivatives along every direction
    H: dict[Any, np.ndarray] = {}     # symbol -> second derivatives (n, n)
    borrowed: dict[str, str] = {}
    rows: list[Any] = []

    def number(v: Any) -> Any:
        return base.number(v.item() if isinstance(v, np.generic) else v)

    for s in trace.rows:
        shape = tuple(np.shape(s.value))
        arr = np.empty(shape, dtype=object)
        for ix in _comp(shape):
            sym = sp.Symbol(_label(s.name, ix).replace("[", "_").replace(",", "_").replace("]", ""), real=True)
            arr[ix] = sym
            point[sym] = number(np.asarray(s.value)[ix] if shape else s.value)
            if s.is_input:
                d = np.array([sp.Integer(0)] * n, dtype=object)
                if (s.name, ix) in pos:
                    d[pos[(s.name, ix)]] = sp.Integer(1)
                D[sym] = d
                H[sym] = np.full((n, n), sp.Integer(0), dtype=object)
        symbols[s.name] = arr if shape else _scalar_obj(arr[()])
    build = _Arrays(sp, symbols, base.literal)

    for s in trace.steps:
        shape = tuple(np.shape(s.value))
        exprs = build.build(s.node)
        rests = sorted({dep for dep in s.deps if dep in borrowed})
        note = ("uses the dual's derivatives of " + ", ".join(f"{borrowed[d]} step {d}" for d in rests)) if rests else ""
        verdict_forced = "kink" if s.kinks else None
        if s.kinks:
            borrowed[s.name] = "kink"
        for ix in _comp(shape):
            e = exprs[ix] if exprs.ndim else exprs[()]
            sym = symbols[s.name][ix] if shape else symbols[s.name][()]
            ops = sorted(e.free_symbols, key=str)
            grads = {o: sp.diff(e, o) for o in ops}
            gvals = {o: base.evaluate(g.xreplace(point)) for o, g in grads.items()}
            first = np.array([sp.Integer(0)] * n, dtype=object)
            for o in ops:
                first = first + gvals[o] * D[o]
            dual_first = _dual_first(s, ix, dirs)
            differential = sum((grads[o] * sp.Symbol(f"d{o}") for o in ops), sp.Integer(0))
            if verdict_forced:
                first = np.array([number(v) for v in dual_first], dtype=object)
            D[sym] = first
            for k, (w, wix) in enumerate(dirs):
                if verdict_forced:
                    rows.append(CheckRow(_label(s.name, ix), _label(w, wix), None, None, dual_first[k], None,
                                         "kink", _join("the trace met " + ", ".join(s.kinks)
                                                       + "; the dual's derivative is used", note)))
                    continue
                diff, verdict, extra = base.compare(first[k], dual_first[k])
                rows.append(CheckRow(_label(s.name, ix), _label(w, wix), differential, first[k], dual_first[k],
                                     diff, verdict, _join(extra, note)))
            if not order2:
                continue
            second = np.full((n, n), sp.Integer(0), dtype=object)
            for o in ops:
                second = second + gvals[o] * H[o]
            for i, o1 in enumerate(ops):
                for o2 in ops[i:]:
                    h = base.evaluate(sp.diff(grads[o1], o2).xreplace(point))
                    if h == 0:
                        continue
                    term = np.outer(D[o1], D[o2]) * h
                    second = second + (term if o1 == o2 else term + term.T)
            dual_second = _dual_second(s, ix, dirs, pos)
            if verdict_forced:
                second = np.array([[number(v) for v in row] for row in dual_second], dtype=object)
            H[sym] = second
            for a in range(n):
                for b in range(a, n):
                    label = f"{_label(*dirs[a])},{_label(*dirs[b])}"
                    if verdict_forced:
                        rows.append(CheckRow(_label(s.name, ix), label, None, None, dual_second[a][b], None,
                                             "kink", "the dual's second derivative is used"))
                        continue
                    diff, verdict, extra = base.compare(second[a, b], dual_second[a][b])
                    rows.append(CheckRow(_label(s.name, ix), label, None, second[a, b], dual_second[a][b], diff,
                                         verdict, _join(extra, note)))
    stats = {"seconds": time.perf_counter() - t0}
    return SymbolicReport(rows, "componentwise", bool(trace.exact), rtol, atol, stats)


def _scalar_obj(x: Any) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = x
    return out


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _dual_first(step: Any, ix: tuple, dirs: list) -> list:
    out = []
    for w, wix in dirs:
        d = step.derivs.get(w)
        v = np.asarray(d)[ix + wix] if np.ndim(d) else d
        out.append(v.item() if isinstance(v, np.generic) else v)
    return out


def _dual_second(step: Any, ix: tuple, dirs: list, pos: dict) -> list:
    n = len(dirs)
    out = [[0.0] * n for _ in range(n)]
    for a in range(n):
        for b in range(n):
            (wa, ia), (wb, ib) = dirs[a], dirs[b]
            block = step.derivs2[wa, wb]
            v = np.asarray(block)[ix + ia + ib] if np.ndim(block) else block
            out[a][b] = v.item() if isinstance(v, np.generic) else v
    return out

