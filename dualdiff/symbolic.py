"""Symbolic cross-check: every derivative of a trace recomputed by sympy.

Two independent implementations check each other: the dual numbers of the trace, and
sympy differentiating the program's own expression trees.  Nothing here reads a dual
derivative to *build* its answer (except where said: at kinks and unchecked steps, see
below); the dual numbers are only compared with at the end.

Modes
-----
``stepwise`` (the default).  Each step ``s = e(d_1, …, d_m)`` is converted to sympy with
its operands as real symbols, differentiated once per operand, and the chain rule is
applied numerically with the derivatives sympy established for the earlier steps:

    ds/dx = Σ_j (∂e/∂d_j)(values) · dd_j/dx,      dx/dx = 1, dw/dx = 0 (w ≠ x).

Every step is a fixed small amount of sympy work, so the cost is linear in the number
of steps.  Values are the trace's own (a float becomes a 30-digit ``sympy.Float`` of the
same binary number; exact traces keep their sympy numbers), so the check measures the
derivatives, not the rounding of the primal values.

``whole``.  Each step is written as one expression of the inputs (earlier steps
substituted), differentiated by sympy and evaluated.  Expressions that share
subexpressions swell exponentially when written out (the sin/cos worksheet doubles per
level), so a step whose expression or derivative exceeds ``max_ops`` operations
(``sympy.count_ops``, default ``MAX_OPS`` = 2000) is refused with
:class:`ExpressionTooLarge` (a ``ValueError``).

Verdicts (worst first): ``MISMATCH``, ``unchecked``, ``kink``, ``ok``.

* ``ok``: |sympy - dual| <= max(rtol·max(|sympy|, |dual|), atol), rtol = atol = 1e-12;
  for exact traces the two must be equal exactly (proved by sympy; where sympy cannot
  prove it, agreement to 30 digits is accepted and the note says so).
* ``kink``: the step calls relu/abs/leaky_relu/elu/selu exactly at its kink.  There
  sympy's convention (Heaviside(0) = 1/2, sign(0) = 0, the Piecewise ``True`` branch)
  and dualdiff's (``Rule.kink_note``) may differ, so neither is "the" derivative.  The
  kinked call f(a) is replaced by its linearisation f(p) + K·(a - p) with a symbol K
  for f'(p); the step's derivative is then evaluated with K = sympy's f'(p) (shown as
  the sympy value) and with K = the one-sided f'(p±) chosen by the direction in which a
  moves (the left and right derivatives of the step, in the note).  With a single
  kinked call the derivative is affine in K, so any convention between f'(p-) and
  f'(p+) gives a value between the left and right derivatives: a dual value outside
  them is a ``MISMATCH``.  Steps after a kink use the dual's value there (noted).
* ``unchecked``: a function without a usable sympy counterpart; later steps use the
  dual's value there (noted).  ``unchecked`` makes ``.ok`` False: it is not agreement.

sympy is imported when a check runs, never by ``import dualdiff``.

>>> import dualdiff as dd
>>> report = dd.trace_program("x = 1\\ny = sin(x) * x").check_symbolic()
>>> report.ok, report.rows[0].sympy_text
(True, 'x*cos(x) + sin(x)')
"""
from __future__ import annotations

import json
import math
import numbers
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterator

import numpy as np

from .program import BinOp, Call, Name, Num, UnaryOp, fold
from .numfmt import format_number
from .render import render_table
from .rules import RULES

__all__ = ["check_symbolic", "SymbolicReport", "CheckRow", "ExpressionTooLarge", "VERDICTS", "MAX_OPS"]

VERDICTS = ("MISMATCH", "unchecked", "kink", "ok")   # worst first
RTOL = 1e-12
ATOL = 1e-12
MAX_CHECK_STEPS = 5000  # steps one symbolic check takes on (about 2 ms of sympy each)
MAX_OPS = 2000          # whole mode: count_ops limit per step expression and per derivative
DPS = 30                # digits of the sympy Floats that stand for a float trace's values
_MODES = ("stepwise", "whole")


class ExpressionTooLarge(ValueError):
    """``whole`` mode refused a program whose written-out expression swells past ``max_ops``."""


class _Unusable(Exception):
    """A call whose function has no usable sympy counterpart."""


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------
@dataclass
class CheckRow:
    """One step and one input: sympy's derivative against the dual's."""

    step: str
    input: str
    derivative: Any            # sympy expression (operand symbols in stepwise mode), or None
    sympy_value: Any           # sympy number: sympy's value (at a kink: under sympy's convention)
    dual_value: Any
    difference: Any
    verdict: str
    note: str = ""
    one_sided: tuple[Any, Any] | None = None   # (left, right) derivatives at a kink

    @property
    def sympy_text(self) -> str:
        return "" if self.derivative is None else str(self.derivative)

    def to_dict(self) -> dict:
        from .numfmt import json_number

        out = {"step": self.step, "input": self.input, "sympy": self.sympy_text,
               "sympy_value": json_number(self.sympy_value), "dual_value": json_number(self.dual_value),
               "difference": json_number(self.difference), "verdict": self.verdict, "note": self.note}
        if _is_exact_expr(self.sympy_value):
            out["sympy_exact"] = str(self.sympy_value)
        if self.one_sided is not None:
            out["one_sided"] = {"left": json_number(self.one_sided[0]), "right": json_number(self.one_sided[1])}
        return out


@dataclass
class SymbolicReport:
    """What :func:`check_symbolic` found: ``.rows`` (one per step and input), ``.ok``."""

    rows: list[CheckRow]
    mode: str
    exact: bool = False
    rtol: float = RTOL
    atol: float = ATOL
    stats: dict = field(default_factory=dict)   # seconds, and in whole mode the largest count_ops

    @property
    def ok(self) -> bool:
        """True when every derivative agrees (``ok``) or follows the kink convention (``kink``)."""
        return all(r.verdict in ("ok", "kink") for r in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {v: sum(r.verdict == v for r in self.rows) for v in VERDICTS}

    def __iter__(self) -> Iterator[CheckRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def rows_for(self, step: str) -> list[CheckRow]:
        """The rows of a step (of all its components ``z1[0]``, ``z1[1]``, … for a vector)."""
        return [r for r in self.rows if r.step == step or r.step.startswith(step + "[")]

    def verdict_for(self, step: str) -> str:
        """One cell summarising a step over all inputs, worst first: ``MISMATCH (d/dx1), ok``."""
        rows = self.rows_for(step)
        if not rows:
            raise KeyError(f"the report has no step named {step!r}")
        parts = []
        for v in VERDICTS:
            inputs = [r.input for r in rows if r.verdict == v]
            if not inputs:
                continue
            if len(inputs) == len(rows) or v == "ok":
                parts.append(v)
            else:
                parts.append(f"{v} ({', '.join('d/d' + w for w in inputs)})")
        return ", ".join(parts)

    def failures(self) -> list[str]:
        """One line per derivative that is not ``ok``/``kink``, naming step and input."""
        out = []
        for r in self.rows:
            if r.verdict in ("ok", "kink"):
                continue
            line = (f"{r.step} d/d{r.input}: {r.verdict}: sympy {_show(r.sympy_value)} vs dual "
                    f"{_show(r.dual_value)} (difference {_show(r.difference, 3)})")
            out.append(line + (f"; {r.note}" if r.note else ""))
        return out

    def summary(self) -> str:
        c = self.counts
        return (f"symbolic check ({self.mode}{', exact' if self.exact else ''}): "
                + ", ".join(f"{n} {v}" for v, n in c.items() if n) + ("" if self.ok else " -- FAILED"))

    # -- presentation --------------------------------------------------------
    def table(self, fmt: str = "github", digits: int = 8, max_text: int = 60) -> str:
        """The report as a table in any tabulate format, or "csv"/"json"."""
        if fmt == "json":
            return self.to_json()
        exact = self.exact
        headers = ["step", "d/d", "sympy derivative", "sympy value"] + (["exact"] if exact else []) \
            + ["dual value", "difference", "verdict", "note"]
        rows = []
        for r in self.rows:
            row = [r.step, r.input, _clip(r.sympy_text, max_text), _show(r.sympy_value, digits)]
            if exact:
                row.append(_clip(str(r.sympy_value), max_text) if r.sympy_value is not None else "")
            row += [_show(r.dual_value, digits), _show(r.difference, 3), r.verdict, r.note]
            rows.append(row)
        return render_table(headers, rows, fmt)

    def to_dict(self) -> dict:
        return {"mode": self.mode, "exact": self.exact, "ok": self.ok, "rtol": self.rtol, "atol": self.atol,
                "counts": self.counts, "rows": [r.to_dict() for r in self.rows]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def _repr_markdown_(self) -> str:
        return self.summary() + "\n\n" + self.table("github")

    def __str__(self) -> str:
        return self.summary() + "\n" + self.table("simple")

    def __repr__(self) -> str:
        return f"<SymbolicReport {self.summary()}>"


def _show(v: Any, digits: int = 8) -> str:
    return "" if v is None else format_number(v, digits)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _is_exact_expr(v: Any) -> bool:
    """A sympy value worth showing in exact form (cos(1), 3/4): no Float in it."""
    if type(v).__module__.split(".")[0] != "sympy":
        return False
    import sympy

    return not v.has(sympy.Float)


# ---------------------------------------------------------------------------
# Program trees to sympy
# ---------------------------------------------------------------------------
@dataclass
class _Kink:
    """A call f(arg) at its kink p, replaced by f(p) + K·(arg - p)."""

    K: Any
    func: str
    arg: Any
    left: Any        # f'(p-)
    right: Any       # f'(p+)
    sympy_at: Any    # sympy's own f'(p)
    sympy_form: str  # what sympy's derivative of f is, e.g. Heaviside(t)
    point: Any


class _Converter:
    """Walks the node classes of dualdiff.program and builds sympy expressions."""

    def __init__(self, checker: "_Checker", env: dict[str, Any], point: dict[Any, Any],
                 trace_kinks: set[str], linearise: bool):
        self.c = checker
        self.sp = checker.sp
        self.env = env              # name -> sympy expression (a symbol, or a whole expression)
        self.point = point          # symbol -> value: where the derivative is evaluated
        self.trace_kinks = trace_kinks  # functions the trace met at a kink in this step
        self.linearise = linearise
        self.kinks: list[_Kink] = []

    def build(self, node: Any) -> Any:
        sp = self.sp
        return fold(node, name=self.env.__getitem__, num=self.c.literal,
                    const=lambda c: sp.pi if c == "pi" else sp.E, call=self.call, power=sp.Pow)

    def call(self, name: str, args: list[Any]) -> Any:
        rule = RULES.get(name)
        counterpart = getattr(rule, "sympy", None)
        if counterpart is None:
            raise _Unusable(f"{name} has no sympy counterpart")
        x, params = args[0], args[1:]
        if rule.kink is not None and self.linearise:
            at = self.c.evaluate(x.xreplace(self.point))
            pvals = [self.c.evaluate(p.xreplace(self.point)) for p in params]
            detected = bool(rule.kink(at, *pvals))
            # A float trace met the kink where the 30-digit value is a rounding away from it.
            near = name in self.trace_kinks and at.is_number and abs(at) <= ATOL
            if detected or near:
                p = at if detected else self.sp.Integer(0)
                k = self.c.one_sided(name, p, tuple(pvals))
                K = self.sp.Dummy(f"{name}'")
                self.kinks.append(_Kink(K, name, x, k[0], k[1], k[2], k[3], p))
                return self.apply(rule, name, [p] + pvals) + K * (x - p)
        return self.apply(rule, name, args)

    def apply(self, rule: Any, name: str, args: list[Any]) -> Any:
        try:
            out = rule.sympy_call(*args)
        except Exception as exc:  # noqa: BLE001  (any failure means: no usable counterpart)
            raise _Unusable(f"{name}'s sympy counterpart failed: {type(exc).__name__}: {exc}") from None
        if not isinstance(out, self.sp.Basic):
            raise _Unusable(f"{name}'s sympy counterpart returned {type(out).__name__}, not a sympy expression")
        return out


# ---------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------
class _Checker:
    def __init__(self, trace: Any, rtol: float, atol: float, dps: int, max_ops: int):
        import sympy

        self.sp = sympy
        self.trace = trace
        self.exact = bool(trace.exact)
        self.rtol, self.atol, self.dps, self.max_ops = rtol, atol, dps, max_ops
        self.rows: list[CheckRow] = []
        self.inherited: dict[str, set[str]] = {}   # step -> kink/unchecked steps its derivative rests on
        self.borrowed: dict[str, str] = {}         # step -> "kink"/"unchecked": its derivative is the dual's
        self.stats: dict[str, Any] = {}
        self._one_sided_cache: dict = {}
        self.wrt = list(trace.wrt)
        self.values = {s.name: self.number(s.value) for s in trace.rows}

    # -- numbers ---------------------------------------------------------------
    def number(self, v: Any) -> Any:
        """A trace value as a sympy number (floats exactly, at ``dps`` digits)."""
        sp = self.sp
        if isinstance(v, sp.Basic):
            return v
        if isinstance(v, bool):
            return sp.Integer(int(v))
        if isinstance(v, numbers.Integral):
            return sp.Integer(int(v))
        if isinstance(v, Fraction):
            return sp.Rational(v.numerator, v.denominator)
        f = float(v)
        if math.isnan(f):
            return sp.nan
        if math.isinf(f):
            return sp.oo if f > 0 else -sp.oo
        return sp.Float(f, self.dps)

    def literal(self, node: Num) -> Any:
        """A number literal exactly as written (0.1 is 1/10, as in exact traces)."""
        try:
            frac = Fraction(node.text.replace("_", "")) if node.text else Fraction(node.value)
        except (ValueError, ZeroDivisionError):
            frac = Fraction(node.value)
        return self.sp.Rational(frac.numerator, frac.denominator)

    def evaluate(self, e: Any) -> Any:
        """A numeric sympy expression's value: a Float (float traces) or exact (exact traces)."""
        if self.exact:
            return e
        return e.evalf(self.dps) if not e.is_Float else e

    def one_sided(self, name: str, p: Any, params: tuple) -> tuple[Any, Any, Any, str]:
        """f'(p-), f'(p+), sympy's f'(p) and sympy's form of f', for a kink function."""
        key = (name, p, params)
        if key not in self._one_sided_cache:
            sp = self.sp
            t = sp.Symbol("t", real=True)
            h = sp.Symbol("h", positive=True)
            d = sp.diff(RULES[name].sympy(t, *params), t)
            sides = []
            for s in (-1, 1):
                e = d.subs(t, p + s * h)   # with h > 0 every kink condition resolves
                v = e.subs(h, 0)
                if not (v.is_number and v.is_finite):
                    v = sp.limit(e, h, 0, "+")
                sides.append(v)
            self._one_sided_cache[key] = (sides[0], sides[1], d.subs(t, p), str(d))
        return self._one_sided_cache[key]

    # -- comparison --------------------------------------------------------------
    def compare(self, s: Any, d: Any) -> tuple[Any, str, str]:
        """(difference, verdict, note) for sympy value s and dual value d."""
        sp = self.sp
        ds = self.number(d)
        # A large exact trace shares its forms as step symbols (dualdiff.exactgraph): they are
        # compared by their stored 60-digit values (as floats: no exact claim is made for them).
        shared = {a: a.numeric for a in (getattr(s, "free_symbols", set()) | getattr(ds, "free_symbols", set()))
                  if hasattr(a, "numeric")}
        if shared:
            # ds is dualdiff's own number (never user text): a sympy expression here, or a float
            ds = ds if isinstance(ds, sp.Basic) else sp.Float(ds)
            s, ds = s.xreplace(shared), ds.xreplace(shared)
        if not (s.is_number and not s.has(sp.Derivative, sp.Subs)):
            return None, "unchecked", f"sympy's derivative does not evaluate to a number: {s}"
        sn = s if not self.exact else s.evalf(self.dps)
        dn = ds if not self.exact else ds.evalf(self.dps)
        if not (sn.is_finite and dn.is_finite):
            same = (sn is sp.nan and dn is sp.nan) or (sn == dn)
            return None, ("ok" if same else "MISMATCH"), "not finite"
        if sn.is_real is False:
            return None, "MISMATCH", f"sympy's value is not real: {sn}"
        diff = sn - dn
        close = abs(float(diff)) <= max(self.rtol * max(abs(float(sn)), abs(float(dn))), self.atol)
        if not self.exact:  # the tolerance test in floats: 1e-16 rounding against 1e-12
            return diff, ("ok" if close else "MISMATCH"), ""
        if s.has(sp.Float) or ds.has(sp.Float):  # a rule computed with floats: no exact claim
            return diff, ("ok" if close else "MISMATCH"), "not exact (floats in the value): compared to 1e-12"
        # Exact: the numbers decide a mismatch at once; equality must be proved.
        if not abs(diff) <= sp.Float(10) ** (5 - self.dps) * max(abs(sn), abs(dn), 1):
            return s - ds, "MISMATCH", ""
        if _proved_zero(sp, s - ds):
            return sp.Integer(0), "ok", ""
        return s - ds, "ok", f"equal to {self.dps - 5} digits; sympy could not prove it exactly"

    def judge(self, step: Any, w: str, derivative: Any, value: Any, kinks: list[_Kink],
              along: Any, note: str, partials: dict[str, Any] | None = None) -> Any:
        """Append the row for (step, w); return the derivative later steps should use.

        ``value`` is sympy's derivative at the point (with a symbol K per kinked call);
        ``along(e)`` is the derivative of an expression e along input w (for kinks);
        ``partials`` are sympy's ∂step/∂operand values (stepwise), used to tell a wrong
        step from one that only carries an earlier step's error.
        """
        d = step.derivs.get(w)
        if not kinks:
            diff, verdict, extra = self.compare(value, d)
            if verdict == "MISMATCH" and partials is not None:
                if self.local_ok(partials, w, d):
                    extra = _join(extra, "its own partials agree: the difference comes from earlier steps")
                else:
                    extra = _join(extra, "its own partials disagree: this step is wrong")
            self.rows.append(CheckRow(step.name, w, derivative, value, d, diff, verdict, _join(extra, note)))
            return value
        # At a kink: sympy's own convention, and the left and right derivatives of the step.
        at_sympy = self.evaluate(value.xreplace({k.K: k.sympy_at for k in kinks}))
        left, right = (self.evaluate(value.xreplace(self.sides(kinks, along, s))) for s in (-1, 1))
        dn = self.number(d)
        diff = at_sympy - dn if at_sympy.is_number else None
        lo, hi = sorted((left, right), key=float)
        tol = max(self.rtol * max(abs(lo), abs(hi), abs(dn)), self.atol)
        # One kinked call: the derivative is affine in f'(p), so every convention between
        # f'(p-) and f'(p+) lands between the left and right derivatives of the step.
        verdict = "MISMATCH" if len(kinks) == 1 and not lo - tol <= dn <= hi + tol else "kink"
        conventions = "; ".join(dict.fromkeys(
            f"{k.func} at {k.point}: sympy's {k.sympy_form} gives {k.func}'({k.point}) = {k.sympy_at}, "
            f"dualdiff: {RULES[k.func].kink_note}" for k in kinks))
        text = (f"kink ({conventions}); one-sided d/d{w}: left {_show(left)}, right {_show(right)}"
                + ("; the dual value lies outside them" if verdict == "MISMATCH" else ""))
        self.rows.append(CheckRow(step.name, w, derivative, at_sympy, d, diff, verdict, _join(text, note),
                                  (left, right)))
        return dn

    def sides(self, kinks: list[_Kink], along: Any, s: int) -> dict:
        """K values for the derivative from the right (s = 1) or the left (s = -1).

        Kinks are taken inner first, so a nested kink's direction uses the choice made
        for the kinks inside its argument.
        """
        chosen: dict = {}
        for k in kinks:
            a = self.evaluate(along(k.arg).xreplace(chosen))
            moving = s * (float(a) if a.is_number else 0.0)
            chosen[k.K] = k.left if moving < 0 else k.right
        return chosen

    def local_ok(self, partials: dict[str, Any], w: str, d: Any) -> bool:
        """sympy's own partials chained with the *dual's* operand derivatives: do they match?"""
        total = self.sp.Integer(0)
        for dep, p in partials.items():
            total += p * self.number(self.trace[dep].derivs.get(w, 0))
        return self.compare(self.evaluate(total), d)[1] == "ok"

    def borrowed_note(self, step: Any) -> str:
        """Note which kink/unchecked steps (directly or further up) this step's check rests on."""
        rests_on: set[str] = set()
        for dep in step.deps:
            rests_on |= self.inherited.get(dep, set())
            if dep in self.borrowed:
                rests_on.add(dep)
        self.inherited[step.name] = rests_on
        if not rests_on:
            return ""
        return "uses the dual's derivative of " + ", ".join(
            f"{self.borrowed[n]} step {n}" for n in sorted(rests_on))

    def unchecked(self, step: Any, reason: str, note: str) -> None:
        for w in self.wrt:
            self.rows.append(CheckRow(step.name, w, None, None, step.derivs.get(w), None, "unchecked",
                                      _join(reason, note)))
        self.borrowed[step.name] = "unchecked"

    def dual_derivs(self, step: Any) -> dict[str, Any]:
        return {w: self.number(step.derivs.get(w)) for w in self.wrt}

    # -- stepwise ----------------------------------------------------------------
    def stepwise(self) -> None:
        sp = self.sp
        symbols = {s.name: sp.Symbol(s.name, real=True) for s in self.trace.rows}
        point = {symbols[n]: v for n, v in self.values.items()}
        inputs = {s.name for s in self.trace.input_steps}
        # d(name)/dw as sympy established it (the dual's, after a kink or an unchecked step)
        derivs: dict[str, dict[str, Any]] = {n: {w: sp.Integer(int(n == w)) for w in self.wrt} for n in inputs}
        templates: dict[Any, tuple[list, list]] = {}
        for step in self.trace.steps:
            note = self.borrowed_note(step)
            deps = step.deps
            conv = _Converter(self, symbols, point, _kink_funcs(step), linearise=True)
            try:
                if _has_kink_call(step.node):
                    expr = conv.build(step.node)
                    partials = {dep: sp.diff(expr, symbols[dep]) for dep in deps}
                    shown = partials
                    if conv.kinks:  # show sympy's derivative of the real function, not the linearisation
                        plain = _Converter(self, symbols, point, set(), linearise=False).build(step.node)
                        shown = {dep: sp.diff(plain, symbols[dep]) for dep in deps}
                else:
                    partials = self.template_partials(step.node, deps, symbols, templates)
                    shown = partials
            except _Unusable as exc:
                self.unchecked(step, str(exc), note)
                derivs[step.name] = self.dual_derivs(step)
                continue
            at = {dep: self.evaluate(p.xreplace(point)) for dep, p in partials.items()}
            derivs[step.name] = {}
            for w in self.wrt:
                def along(e: Any, w: str = w) -> Any:
                    return sum((self.evaluate(sp.diff(e, symbols[dep]).xreplace(point)) * derivs[dep][w]
                                for dep in deps), sp.Integer(0))

                value = sum((at[dep] * derivs[dep][w] for dep in deps), sp.Integer(0))
                # the chain rule as text: ∂step/∂dep · d(dep)/dw, with dx/dx = 1 written out
                text = sum((shown[dep] * (int(dep == w) if dep in inputs else sp.Symbol(f"d{dep}/d{w}"))
                            for dep in deps), sp.Integer(0))
                derivs[step.name][w] = self.judge(step, w, text, self.evaluate(value), conv.kinks, along, note,
                                                  None if conv.kinks else at)
            if conv.kinks:
                self.borrowed[step.name] = "kink"

    def template_partials(self, node: Any, deps: list[str], symbols: dict[str, Any],
                          templates: dict[Any, tuple[list, list]]) -> dict[str, Any]:
        """∂node/∂dep for each operand, differentiating each *shape* of step only once.

        Steps that differ only in their operands' names (sin(u1 + v1), sin(u2 + v2), …)
        share one template in placeholder symbols; sympy's diff is the costly
        part of a step, and a program repeats few shapes.
        """
        key = _rename(node, {d: str(i) for i, d in enumerate(deps)})
        if key not in templates:
            canon = [self.sp.Dummy(f"_{i}", real=True) for i in range(len(deps))]
            expr = _Converter(self, {str(i): c for i, c in enumerate(canon)}, {}, set(), linearise=False).build(key)
            templates[key] = (canon, [self.sp.diff(expr, c) for c in canon])
        canon, partials = templates[key]
        names = {c: symbols[d] for c, d in zip(canon, deps)}
        return {d: p.xreplace(names) for d, p in zip(deps, partials)}

    # -- whole -------------------------------------------------------------------
    def whole(self) -> None:
        sp = self.sp
        inputs = [s.name for s in self.trace.input_steps]
        symbols = {n: sp.Symbol(n, real=True) for n in inputs}
        point = {symbols[n]: self.values[n] for n in inputs}
        env: dict[str, Any] = dict(symbols)       # name -> expression of the inputs
        most_expr = most_deriv = 0
        for step in self.trace.steps:
            note = self.borrowed_note(step)
            conv = _Converter(self, env, point, _kink_funcs(step), linearise=True)
            try:
                expr = conv.build(step.node)
                most_expr = max(most_expr, self.bounded(expr, step.name, "expression"))
                plain = _Converter(self, env, point, set(), linearise=False).build(step.node) if conv.kinks else expr
            except _Unusable as exc:
                self.unchecked(step, str(exc), note)
                env[step.name] = self.linearisation(step, symbols)
                continue
            for w in self.wrt:
                der = sp.diff(expr, symbols[w])
                most_deriv = max(most_deriv, self.bounded(der, step.name, f"derivative d/d{w}"))
                shown = sp.diff(plain, symbols[w]) if conv.kinks else der

                def along(e: Any, w: str = w) -> Any:
                    return self.evaluate(sp.diff(e, symbols[w]).xreplace(point))

                self.judge(step, w, shown, self.evaluate(der.xreplace(point)), conv.kinks, along, note)
            if conv.kinks:
                self.borrowed[step.name] = "kink"
                env[step.name] = self.linearisation(step, symbols)
            else:
                env[step.name] = expr
        self.stats.update(expression_ops=most_expr, derivative_ops=most_deriv)

    def bounded(self, e: Any, step: str, what: str) -> int:
        n = int(self.sp.count_ops(e))
        if n > self.max_ops:
            raise ExpressionTooLarge(
                f"whole mode: the {what} of step {step} written out in the inputs has {n} operations "
                f"(limit max_ops={self.max_ops}); substituting steps into each other swells expressions "
                f"that share subexpressions. Use mode='stepwise' (the default), or raise max_ops")
        return n

    def linearisation(self, step: Any, symbols: dict[str, Any]) -> Any:
        """value + Σ_w (dual's d/dw)·(w - w0): later steps see the dual's derivative here."""
        out = self.values[step.name]
        for w, d in self.dual_derivs(step).items():
            out += d * (symbols[w] - self.values[w])
        return out


def comparison_checker(trace: Any, rtol: float = RTOL, atol: float = ATOL, dps: int = DPS) -> Any:
    """The checker's number conversion (``.number``), literals (``.literal``), evaluation
    (``.evaluate``) and verdict rules (``.compare``), without its per-step set-up: what the
    componentwise check (``dualdiff.symbolic_arrays``) shares with this one."""
    import sympy

    checker = _Checker.__new__(_Checker)
    checker.sp, checker.trace, checker.exact = sympy, trace, bool(trace.exact)
    checker.rtol, checker.atol, checker.dps = rtol, atol, dps
    return checker


def _needs_componentwise(trace: Any) -> bool:
    """Vectors or matrices anywhere (a row's value, or inside an expression), or second
    derivatives: the componentwise check (dualdiff.symbolic_arrays) handles those."""
    from .program import Index, ListLit, walk

    if any(np.ndim(s.value) for s in trace.rows) or any(getattr(s, "derivs2", None) is not None
                                                         for s in trace.steps):
        return True
    return any(type(n) in (ListLit, Index) or (type(n) is BinOp and n.op == "@")
               or (type(n) is Call and n.func not in RULES)
               for s in trace.steps if s.node is not None for n in walk(s.node))


def _proved_zero(sp: Any, d: Any) -> bool:
    """Prove an exact difference zero with rewrites that stay cheap.

    No simplify/equals/factor: exact traces of float inputs hold exp(p/2**59), which
    the polynomial code treats as a power of exp(1/2**59) of degree p (memory runs out).
    """
    if d == 0 or sp.expand(d) == 0:
        return True
    for e in (d, d.rewrite(sp.exp)):
        numerator, _ = sp.fraction(sp.together(sp.expand(e)))
        if sp.expand(numerator) == 0:
            return True
    return False


def _has_kink_call(node: Any) -> bool:
    from .program import walk

    return any(type(n) is Call and getattr(RULES.get(n.func), "kink", None) is not None for n in walk(node))


def _rename(node: Any, names: dict[str, str]) -> Any:
    """The same tree with variables renamed (positions dropped: they do not take part in ==)."""
    kind = type(node)
    if kind is Name:
        return Name(names.get(node.id, node.id))
    if kind is UnaryOp:
        return UnaryOp(node.op, _rename(node.operand, names))
    if kind is BinOp:
        return BinOp(node.op, _rename(node.left, names), _rename(node.right, names))
    if kind is Call:
        return Call(node.func, tuple(_rename(a, names) for a in node.args))
    return node


def _kink_funcs(step: Any) -> set[str]:
    return {k.split(" ")[0] for k in step.kinks}


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def check_symbolic(trace: Any, mode: str = "stepwise", *, rtol: float = RTOL, atol: float = ATOL,
                   dps: int = DPS, max_ops: int = MAX_OPS) -> SymbolicReport:
    """Recompute every derivative of ``trace`` with sympy and compare (see the module docstring).

    ``mode`` is ``"stepwise"`` (default; linear in the number of steps) or ``"whole"``
    (each step as one expression of the inputs; refused with :class:`ExpressionTooLarge`
    past ``max_ops`` operations).
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if len(trace.steps) > MAX_CHECK_STEPS:  # sympy costs milliseconds a step: bounded, with a message
        raise ValueError(f"symbolic check: {len(trace.steps)} steps is over the limit of {MAX_CHECK_STEPS} steps "
                         f"(dualdiff.symbolic.MAX_CHECK_STEPS); check a shorter program")
    if _needs_componentwise(trace):
        # vectors, matrices or second derivatives: one row per component (symbolic_arrays)
        from .symbolic_arrays import check_componentwise

        return check_componentwise(trace, rtol, atol, dps)
    t0 = time.perf_counter()
    checker = _Checker(trace, rtol, atol, dps, max_ops)
    if mode == "stepwise":
        checker.stepwise()
    else:
        checker.whole()
    checker.stats["seconds"] = time.perf_counter() - t0
    return SymbolicReport(checker.rows, mode, checker.exact, rtol, atol, checker.stats)
