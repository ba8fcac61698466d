"""Diagnosis of wrong cells: which slip of a documented catalogue explains the number?

A TA who sees ``0.54030123`` where ``cos 1 = 0.54030231`` belongs says "digits
transposed" at a glance.  This module does the same, and only says so when the slip,
applied to the true values *or to the student's own earlier cells*, reproduces the
student's number to the digits written (one unit in the last written place, the same
rule the verdict uses).  When two slips explain a number it names both; when none
does it says ``none found``.  A diagnosis never changes a verdict.

The catalogue (``CATALOGUE``; documented in docs/grading.md):

============== ==========================================================
code           slip
============== ==========================================================
formula        the cell's own formula differs from the program and gives the number
wrong-rule     the derivative rule of another function (``CONFUSIONS``)
chain-missing  the chain-rule factor missing (f'(g) instead of f'(g)·g')
product-one-term  product rule with one term (u'·v without u·v')
power-rule     power rule half done (n·aⁿ or aⁿ⁻¹ instead of n·aⁿ⁻¹)
degrees        calculator in degrees
other-point    a value computed at another point (an input changed)
wrong-operand  another step used in place of an operand
rounded-early  rounded too early (operands or intermediate results rounded)
copied         another cell's value copied
miswritten     an earlier cell written down wrong, but its right value used here
sign           sign dropped (or added)
decimal        decimal point shifted
transposed     digits transposed (two or three neighbouring digits)
digit          one digit wrong
too-few-digits right as far as written (an imprecise cell, or a cell judged by rtol/atol)
none           none found
============== ==========================================================

>>> import dualdiff as dd
>>> t = dd.trace_program("x = 1\\nu1 = sin(x)\\nv1 = cos(x)")
>>> r = t.verify({"u1": ("0.8415", "0.5403"), "v1": ("0.5403", "-0.5403")})
>>> [(c.step, c.column, c.diagnosis.codes) for c in r.cells if c.diagnosis]
[('v1', 'd/dx', ('wrong-rule',))]
"""
from __future__ import annotations

import bisect
import math
import re

import numpy as np
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from . import functions as F
from .dual import Dual
from .errors import kinks_marked_elsewhere
from .printing import expr_to_text
from .program import BinOp, Call, Const, Name, Num, UnaryOp, apply_binop, walk

__all__ = ["Diagnosis", "Diagnoser", "CATALOGUE", "CONFUSIONS", "NONE_FOUND", "diagnose_report", "ClassIndex",
           "with_explanation"]

#: code -> what the slip is, in the order a diagnosis lists explanations.
CATALOGUE: dict[str, str] = {
    "formula": "a formula other than the program's",
    "wrong-rule": "the derivative rule of another function",
    "chain-missing": "the chain-rule factor missing",
    "product-one-term": "product rule with one term",
    "power-rule": "power rule half done",
    "degrees": "calculator in degrees",
    "other-point": "a value computed at another point",
    "wrong-operand": "another step used in place of an operand",
    "transposed-matrix": "a weight matrix transposed",
    "bias-missing": "a bias forgotten",
    "wrong-index": "the wrong component indexed",
    "rounded-early": "rounded too early",
    "copied": "another cell's value copied",
    "miswritten": "an earlier cell miswritten, its right value used",
    "sign": "sign dropped",
    "decimal": "decimal point shifted",
    "transposed": "digits transposed",
    "digit": "one digit wrong",
    "too-few-digits": "right as far as written, but too few digits written",
    "none": "none found",
}
_ORDER = {code: i for i, code in enumerate(CATALOGUE)}

#: The usual confusions of derivative rules: function -> [(wrong derivative of f(a)
#: written in the program language, with ``a`` the argument; what the student did)].
CONFUSIONS: dict[str, list[tuple[str, str]]] = {
    "sin": [("-cos(a)", "-cos used for the derivative of sin (it is +cos)"),
            ("-sin(a)", "the derivative of cos (-sin) used for sin (it is cos)"),
            ("sin(a)", "sin used as its own derivative (it is cos)")],
    "cos": [("sin(a)", "+sin used for the derivative of cos (it is -sin)"),
            ("-cos(a)", "-cos used for the derivative of cos (it is -sin)"),
            ("cos(a)", "cos used as its own derivative (it is -sin)")],
    "tan": [("sec(a) * tan(a)", "sec·tan (the derivative of sec) used for tan (it is sec²)"),
            ("sec(a)", "sec used for the derivative of tan (it is sec²)")],
    "sec": [("sec(a) ** 2", "sec² (the derivative of tan) used for sec (it is sec·tan)"),
            ("tan(a)", "tan used for the derivative of sec (it is sec·tan)")],
    "log": [("log(a)", "log used for the derivative of log (it is 1/x)"),
            ("-1 / a ** 2", "-1/x² (the derivative of 1/x) used for log (it is 1/x)")],
    "exp": [("a * exp(a - 1)", "the power rule applied to e^x (it is e^x)")],
    "sigmoid": [("sigmoid(a)", "σ used for the derivative of σ (it is σ·(1-σ))"),
                ("1 - sigmoid(a)", "1-σ used for the derivative of σ (it is σ·(1-σ))")],
    "tanh": [("1 - tanh(a)", "1-tanh used for the derivative of tanh (it is 1-tanh²)")],
    "sqrt": [("1 / sqrt(a)", "1/√x used for the derivative of √x (it is 1/(2√x))")],
    "atan": [("1 / (1 - a ** 2)", "1/(1-x²) used for the derivative of atan (it is 1/(1+x²))")],
    "sinh": [("-cosh(a)", "-cosh used for the derivative of sinh (it is cosh)")],
    "cosh": [("-sinh(a)", "-sinh used for the derivative of cosh (it is sinh)")],
    "relu": [("a", "z used for relu'(z) (it is 1 where z > 0, 0 below)")],
}
_TRIG = ("sin", "cos", "tan", "sec", "csc", "cot")
#: the other points tried for "a value computed at another point", as functions of an input
# the other points tried for an input (also how dualdiff.verify recognises a table worked
# at another point without its input row)
OTHER_POINTS = _OTHER_POINTS = (lambda v: v + 1, lambda v: v - 1, lambda v: 2 * v, lambda v: v / 2, lambda v: -v,
                 lambda v: 0.0, lambda v: 1.0, lambda v: 10 * v, lambda v: v / 10)
_ROUND_DIGITS = (2, 3, 4)             # significant digits tried for "rounded too early"
_SHIFTS = (-3, -2, -1, 1, 2, 3)       # decimal point shifts tried
_MAX_OPERAND_SWAPS = 8                # earlier steps tried in place of each operand


@dataclass(frozen=True)
class Diagnosis:
    """The slip(s) that reproduce a wrong cell's number: codes from ``CATALOGUE`` and a
    sentence for the student (``none found`` when nothing does)."""

    codes: tuple[str, ...]
    sentence: str

    @property
    def code(self) -> str:
        """The first (most specific) explanation's code."""
        return self.codes[0]

    @property
    def found(self) -> bool:
        return self.codes != ("none",)

    def to_dict(self) -> dict:
        return {"code": self.code, "codes": list(self.codes), "sentence": self.sentence}

    def __str__(self) -> str:
        return self.sentence


NONE_FOUND = Diagnosis(("none",), "none found: no slip of the catalogue reproduces this number")


def _fmt(v: float) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.8g}"


class _Hyp:
    """A candidate number with the slip that produces it."""

    __slots__ = ("code", "text", "number", "carried", "pending")

    def __init__(self, code: str, text: str, number: float, carried: bool = False, pending: bool | str = False):
        self.code, self.text, self.number, self.carried = code, text, number, carried
        # the number still to be added to the text, formatted only when it explains the cell
        # (most candidates never do): True adds " gives NUMBER", a string joins it before it
        self.pending = pending

    def sentence(self) -> str:
        """The text with its number, as the diagnosis says it."""
        if not self.pending:
            return self.text
        return self.text + (" gives " if self.pending is True else self.pending) + _fmt(self.number)


# ---------------------------------------------------------------------------
# Evaluating a step with one rule changed
# ---------------------------------------------------------------------------
def _f(x: Any) -> Any:
    """A float, or a float array (the class-wide hypotheses evaluate every variant at once)."""
    x = F.primal(x)
    if isinstance(x, np.ndarray):
        return x.astype(float, copy=False)
    return float(x)


def _zero(x: Any) -> bool:
    return bool(np.all(np.asarray(x) == 0))


def _d(x: Any) -> Dual:
    return x if type(x) is Dual else Dual(_f(x), 0.0 * _f(x))


def _fprime(func: str, a: float) -> float:
    """f'(a) from the rule table (through a dual number)."""
    return float(getattr(F, func)(Dual(a, 1.0)).deriv)


_Hook = Callable[[Any, list], Any]


def _evaluate(node: Any, env: Mapping[str, Any], hook: _Hook | None = None) -> Any:
    """Evaluate a program tree with dual numbers; ``hook(node, operands)`` may replace
    the result of any operation (it returns None to keep the program's own rule)."""
    kind = type(node)
    if kind is Name:
        return env[node.id]
    if kind is Num:
        return float(node.value)
    if kind is Const:
        return math.pi if node.name == "pi" else math.e
    if kind is UnaryOp:
        v = _evaluate(node.operand, env, hook)
        return -v if node.op == "-" else v
    if kind is BinOp:
        a, b = _evaluate(node.left, env, hook), _evaluate(node.right, env, hook)
        if hook is not None:
            r = hook(node, [a, b])
            if r is not None:
                return r
        return apply_binop(node.op, a, b)
    if kind is Call:
        args = [_evaluate(x, env, hook) for x in node.args]
        if hook is not None:
            r = hook(node, args)
            if r is not None:
                return r
        return getattr(F, node.func)(*args)
    raise TypeError(f"not an expression node: {node!r}")


def _round_sig(x: Any, k: int) -> Any:
    if isinstance(x, np.ndarray):
        with np.errstate(all="ignore"):
            e = np.floor(np.log10(np.abs(x)))
            scale = 10.0 ** (k - 1 - e)
            out = np.round(x * scale) / scale
        return np.where((x == 0) | ~np.isfinite(out), x, out)
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, k - 1 - int(math.floor(math.log10(abs(x)))))


def _round_dual(x: Any, k: int) -> Any:
    if type(x) is Dual:
        return Dual(_round_sig(_f(x.value), k), _round_sig(_f(x.deriv), k))
    return _round_sig(x, k) if isinstance(x, (float, np.ndarray)) else x


def _plain(node: Any, args: list) -> Any:
    """The program's own operation on already evaluated operands."""
    if type(node) is Call:
        return getattr(F, node.func)(*args)
    return apply_binop(node.op, *args)


def _is_constant(x: Any) -> bool:
    return type(x) is not Dual or _zero(x.deriv)


_PARSED: dict[str, Any] = {}


def _confusion_tree(text: str) -> Any:
    tree = _PARSED.get(text)
    if tree is None:
        from .parse import parse_expression

        tree = _PARSED[text] = parse_expression(text)[0]
    return tree


def _scalar(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f


# ---------------------------------------------------------------------------
# The diagnoser: one per trace, reused for every submission
# ---------------------------------------------------------------------------
class Diagnoser:
    """Explains wrong cells of hand tables for one trace.

    Hypotheses computed from the true values are kept per cell, so grading many
    submissions pays for them once; hypotheses from a student's own earlier values are
    computed when those differ from the truth.
    """

    def __init__(self, trace: Any):
        self.trace = trace
        self.wrt = list(trace.wrt)
        self.columns = ["value"] + [f"d/d{w}" for w in self.wrt]
        rows = list(trace.rows)
        self.steps = {s.name: s for s in rows}
        self.order = {s.name: i for i, s in enumerate(rows)}
        self.truth: dict[str, tuple[float, dict[str, float]]] = {}
        self.usable = True
        for s in rows:
            v = _scalar(s.value)
            ds = {w: _scalar(s.derivs.get(w)) for w in self.wrt}
            if v is None or any(d is None for d in ds.values()):
                self.usable = False  # vectors and matrices: no catalogue for them yet
                break
            self.truth[s.name] = (v, ds)  # type: ignore[assignment]
        self.siblings: dict[tuple[str, str], str] = {}
        for s in trace.steps:
            if type(s.node) is Call and len(s.node.args) == 1:
                self.siblings.setdefault((s.node.func, expr_to_text(s.node.args[0])), s.name)
        self._cache: dict[tuple[str, str], list[_Hyp]] = {}
        self._partials: dict[str, dict[str, float]] = {}
        self._relevant: dict[str, list[str]] = {}
        self._carried: dict[tuple, list[_Hyp]] = {}
        self.shared: tuple[Any, int] | None = None   # (ClassIndex, this variant's index)
        from .diagnose_vectors import vector_hypotheses

        self.vectors = vector_hypotheses(trace, CONFUSIONS)  # a component view: the array trace's slips
        self._points: list[tuple[list[str], Any]] | None = None
        self._cells: tuple[list[float], list[str]] | None = None

    # -- helpers -----------------------------------------------------------------
    def cell_truth(self, step: str, column: str) -> float:
        v, ds = self.truth[step]
        return v if column == "value" else ds[column[3:]]

    def _duals(self, step: Any, env: Mapping[str, tuple[float, Mapping[str, float]]], w: str | None) -> dict:
        return {d: Dual(env[d][0], env[d][1].get(w, 0.0) if w else 0.0) for d in step.deps}

    @staticmethod
    def _pick(r: Any, w: str | None) -> float:
        if w is None:
            return _f(r.value) if type(r) is Dual else _f(r)
        return _f(r.deriv) if type(r) is Dual else 0.0

    def relevant(self, name: str) -> list[str]:
        """The rows whose hand values a hypothesis for this step may use: its operands
        and the steps holding f(a) for an f of its confusion table (a student who
        writes -cos(x) for cos'(x) reuses their own value of cos(x))."""
        if self.shared is not None:  # the same program: the class's answer
            return self.shared[0].dg.relevant(name)
        got = self._relevant.get(name)
        if got is None:
            step = self.steps[name]
            got = list(step.deps)
            for sub in walk(step.node) if step.node is not None else ():
                if type(sub) is Call and sub.args:
                    arg = expr_to_text(sub.args[0])
                    for wrong, _ in CONFUSIONS.get(sub.func, ()):
                        for c in walk(_confusion_tree(wrong)):
                            sib = self.siblings.get((c.func, arg)) if type(c) is Call else None
                            if sib is not None and sib not in got:
                                got.append(sib)
            self._relevant[name] = got
        return got

    def partials(self, name: str) -> dict[str, float]:
        p = self._partials.get(name)
        if p is None:
            try:
                p = {k: abs(float(v)) for k, v in self.trace.local_partials(name).items()}
            except (TypeError, ValueError, ArithmeticError):
                p = {}
            self._partials[name] = p
        return p

    def points(self) -> list[tuple[str, Any]]:
        """The trace re-evaluated at other points (each input changed in turn): the
        values a student who used the wrong input would have found.  All the points of
        one input are evaluated in one pass over the recorded steps, with arrays:
        [(labels, {step: (values, {input: derivatives})})]."""
        if self._points is None and self.shared is not None:
            self._points = self.shared[0].points_for(self.shared[1])
        if self._points is None and self.vectors is not None:
            self._points = []  # a component view has no expressions: the array trace's points serve
        if self._points is None:
            self._points = []
            base = {s.name: self.truth[s.name][0] for s in self.trace.input_steps}
            for name, v in base.items():
                cands = [f(v) for f in _OTHER_POINTS] + [u for other, u in base.items() if other != name]
                cands = list(dict.fromkeys(c for c in cands if c != v))
                arrays = self.reevaluate_arrays({**base, name: cands}, len(cands))
                if arrays is not None:
                    self._points.append(([f"{name} = {_fmt(c)}" for c in cands], arrays))
        return self._points

    def reevaluate_arrays(self, inputs: Mapping[str, Any], n: int) -> dict[str, tuple[Any, dict[str, Any]]] | None:
        """Every step's values and derivatives at ``n`` points at once (an input is a
        number or a list of ``n``), from the recorded steps, as arrays (nan where the
        program is undefined); None when the evaluation fails as a whole."""
        import numpy as np

        cols: dict[str, Any] = {}
        for s in self.trace.input_steps:
            x = inputs[s.name]
            cols[s.name] = np.full(n, float(x)) if np.ndim(x) == 0 else np.asarray(x, dtype=float)
        ones, zeros = np.ones(n), np.zeros(n)
        result: dict[str, tuple[Any, dict[str, Any]]] = {
            k: (v, {w: ones if w == k else zeros for w in self.wrt}) for k, v in cols.items()}
        try:
            with np.errstate(all="ignore"):
                for s in self.trace.steps:
                    vals, ds = None, {}
                    for w in self.wrt or [None]:
                        env = {d: Dual(result[d][0], result[d][1].get(w, zeros) if w else zeros) for d in s.deps}
                        r = _evaluate(s.node, env)
                        vals = np.broadcast_to(np.asarray(F.primal(r), dtype=float), (n,))
                        if w is not None:
                            ds[w] = np.broadcast_to(np.asarray(r.deriv if type(r) is Dual else 0.0, dtype=float), (n,))
                    result[s.name] = (vals, ds)
        except (ValueError, ArithmeticError, TypeError, KeyError):
            return None
        return result

    def reevaluate_many(self, inputs: Mapping[str, Any], n: int) -> list[dict[str, tuple[float, dict[str, float]]] | None]:
        """:meth:`reevaluate_arrays` as one dict per point (None where not finite)."""
        if n == 0:
            return []
        result = self.reevaluate_arrays(inputs, n)
        if result is None:
            return [None] * n
        out: list[dict[str, tuple[float, dict[str, float]]] | None] = []
        for i in range(n):
            env_i = {k: (float(v[i]), {w: float(d[i]) for w, d in ds.items()}) for k, (v, ds) in result.items()}
            ok = all(math.isfinite(v) and all(math.isfinite(d) for d in ds.values()) for v, ds in env_i.values())
            out.append(env_i if ok else None)
        return out

    def reevaluate(self, inputs: Mapping[str, float]) -> dict[str, tuple[float, dict[str, float]]] | None:
        """Every step's value and derivatives at other inputs, from the recorded steps."""
        return self.reevaluate_many(inputs, 1)[0]

    def all_cells(self) -> tuple[list[float], list[str]]:
        """Every true cell value, sorted, for the "copied" hypothesis."""
        if self._cells is None:
            pairs = sorted((self.cell_truth(s, c), f"{s} {c}") for s in self.truth for c in self.columns)
            self._cells = ([p[0] for p in pairs], [p[1] for p in pairs])
        return self._cells

    # -- hypotheses from operations ---------------------------------------------
    def hypotheses(self, name: str, column: str, env: Mapping[str, tuple[float, Mapping[str, float]]],
                   carried: bool) -> list[_Hyp]:
        """Numbers the slips of the catalogue give for one cell, from ``env``'s operands."""
        if not carried:
            hit = self._cache.get((name, column))
            if hit is not None:
                return hit
        step = self.steps[name]
        out: list[_Hyp] = []
        if not carried and self.shared is not None:  # computed for the whole class at once
            out += self.shared[0].hypotheses_for(name, column, self.shared[1])
        elif step.node is not None:
            try:
                self._derived(step, column, env, carried, out)
            except (ValueError, ArithmeticError, TypeError, KeyError):
                pass
        elif not carried and self.vectors is not None:  # a component of a vector step
            out += [_Hyp(code, text, number, False, code != "other-point")  # that text holds its number
                    for code, text, number in self.vectors.cell(name, column)]
        if not carried:
            for labels, arrays in self.points():
                vals, ds = arrays[name]
                column_values = vals if column == "value" else ds[column[3:]]
                for label, v in zip(labels, column_values.tolist()):
                    if math.isfinite(v):
                        out.append(_Hyp("other-point", f"at {label} this cell is", v, False, " "))
            self._cache[(name, column)] = out
        return out

    def _carried_hypotheses(self, name: str, column: str, own: Mapping[str, Any]) -> list[_Hyp]:
        """Hypotheses from a student's own numbers, kept by the numbers they read: many
        students of one course carry the same rounded values."""
        w = None if column == "value" else column[3:]
        key = (name, column) + tuple((own[d][0], own[d][1].get(w) if w else None) for d in self.relevant(name)
                                     if d in own)
        hit = self._carried.get(key)
        if hit is None:
            if len(self._carried) >= 4096:  # bounded: a course, not a memory leak
                self._carried.clear()
            hit = self._carried[key] = self.hypotheses(name, column, own, True)
        return hit

    def _derived(self, step: Any, column: str, env: Mapping[str, Any], carried: bool, out: list[_Hyp]) -> None:
        w = None if column == "value" else column[3:]
        node = step.node
        denv = self._duals(step, env, w)

        def add(code: str, text: str, hook: _Hook | None = None, scope: Mapping[str, Any] = denv) -> None:
            try:
                number = self._pick(_evaluate(node, scope, hook), w)
            except (ValueError, ArithmeticError, TypeError):
                return
            if isinstance(number, np.ndarray):  # every variant of a class at once: formatted per student
                out.append(_Hyp(code, text, number, carried))
            elif math.isfinite(number):
                out.append(_Hyp(code, text, number, carried, True))

        subs = list(walk(node))
        if w is not None:
            for sub in subs:
                kind = type(sub)
                if kind is Call and sub.args:
                    arg = expr_to_text(sub.args[0])
                    for wrong, why in CONFUSIONS.get(sub.func, ()):
                        for own in ((False, True) if carried else (False,)):
                            hook = self._confusion_hook(sub, wrong, arg, env if own else None)
                            if hook is not None:
                                add("wrong-rule", why, hook)
                    add("chain-missing", f"{sub.func}'({arg}) without the chain-rule factor d({arg})/d{w}",
                        self._chain_hook(sub))
                elif kind is BinOp and sub.op == "*":
                    left, right = expr_to_text(sub.left), expr_to_text(sub.right)
                    add("product-one-term", f"only {left}'·{right} of the product rule", self._product_hook(sub, 0))
                    add("product-one-term", f"only {left}·{right}' of the product rule", self._product_hook(sub, 1))
                elif kind is BinOp and sub.op == "/":
                    add("wrong-rule", "the quotient rule with + where - belongs", self._quotient_hook(sub))
                elif kind is BinOp and sub.op == "**" and type(sub.right) is Num:
                    base, n = expr_to_text(sub.left), sub.right.text
                    add("power-rule", f"{n}·{base}^{n} (exponent not lowered)", self._power_hook(sub, True))
                    add("power-rule", f"{base}^({n}-1) (factor {n} dropped)", self._power_hook(sub, False))
                    add("chain-missing", f"{n}·{base}^({n}-1) without the chain-rule factor d({base})/d{w}",
                        self._power_hook(sub, None))
        if any(type(s) is Call and s.func in _TRIG for s in subs):
            add("degrees", "the calculator in degrees", self._degrees_hook(False))
            if w is not None:
                add("degrees", "the calculator in degrees (with the π/180 factor)", self._degrees_hook(True))
        for k in _ROUND_DIGITS:
            rounded = {d: _round_dual(v, k) for d, v in denv.items()}
            add("rounded-early", f"operands rounded to {k} significant digits", scope=rounded)
            add("rounded-early", f"every intermediate result rounded to {k} significant digits",
                lambda n, args, k=k: None if n is node else _round_dual(_plain(n, args), k), rounded)
        # another step in place of an operand (sin(u1 + u2) for sin(u1 + v1))
        here = self.order[step.name]
        limit = _MAX_OPERAND_SWAPS if not carried else 4  # from a student's own numbers: the nearest rows
        earlier = [s for s in self.steps if self.order[s] < here][-limit - len(step.deps):]
        for dep in step.deps:
            for other in earlier:
                if other == dep or other in step.deps or other not in env:
                    continue
                scope = dict(denv)
                scope[dep] = Dual(env[other][0], env[other][1].get(w, 0.0) if w else 0.0)
                add("wrong-operand", f"{other} used in place of {dep}", scope=scope)

    # hooks: each replaces one operation's rule
    def _confusion_hook(self, target: Any, wrong: str, arg: str, own: Mapping[str, Any] | None) -> _Hook | None:
        tree = _confusion_tree(wrong)
        subst: dict[str, float] = {}
        if own is not None:  # the student reuses their own number for cos(a), sin(a), …
            for sub in walk(tree):
                if type(sub) is Call:
                    sib = self.siblings.get((sub.func, arg))
                    if sib is not None and sib in own:
                        subst[sub.func] = _f(own[sib][0])
            if not subst:
                return None

        def hook(node: Any, args: list) -> Any:
            if node is not target:
                return None
            a = _d(args[0])
            av = _f(a.value)
            calls = {"a": av}

            def call(func: str, xs: list) -> Any:
                if func in subst and xs and xs[0] is av:
                    return subst[func]
                return getattr(F, func)(*xs)

            fold_value = _evaluate_floats(tree, calls, call)
            return Dual(_f(getattr(F, node.func)(av, *[F.primal(x) for x in args[1:]])),
                        fold_value * _f(a.deriv))
        return hook

    @staticmethod
    def _chain_hook(target: Any) -> _Hook:
        def hook(node: Any, args: list) -> Any:
            if node is not target:
                return None
            a = _d(args[0])
            av = _f(a.value)
            r = getattr(F, node.func)(Dual(av, 1.0 + 0.0 * av), *args[1:])
            return Dual(_f(r.value), _f(r.deriv)) if not _zero(a.deriv) else None
        return hook

    @staticmethod
    def _product_hook(target: Any, keep: int) -> _Hook:
        def hook(node: Any, args: list) -> Any:
            if node is not target:
                return None
            a, b = args
            if _is_constant(a) or _is_constant(b):
                return None
            av, bv = _f(a.value), _f(b.value)
            return Dual(av * bv, _f(a.deriv) * bv if keep == 0 else av * _f(b.deriv))
        return hook

    @staticmethod
    def _quotient_hook(target: Any) -> _Hook:
        def hook(node: Any, args: list) -> Any:
            if node is not target:
                return None
            a, b = _d(args[0]), _d(args[1])
            av, bv, ad, bd = _f(a.value), _f(b.value), _f(a.deriv), _f(b.deriv)
            if _zero(bd) or _zero(ad):
                return None
            return Dual(av / bv, (ad * bv + av * bd) / (bv * bv))
        return hook

    @staticmethod
    def _power_hook(target: Any, keep_exponent: bool | None) -> _Hook:
        """n·aⁿ·a' (True), aⁿ⁻¹·a' (False) or n·aⁿ⁻¹ without a' (None)."""
        def hook(node: Any, args: list) -> Any:
            if node is not target:
                return None
            a = _d(args[0])
            n = float(target.right.value)
            av = _f(a.value)
            if keep_exponent is None:
                return Dual(av ** n, n * av ** (n - 1)) if not _zero(a.deriv) else None
            coef = n * av ** n if keep_exponent else av ** (n - 1)
            return Dual(av ** n, coef * _f(a.deriv))
        return hook

    @staticmethod
    def _degrees_hook(factor: bool) -> _Hook:
        def hook(node: Any, args: list) -> Any:
            if type(node) is not Call or node.func not in _TRIG:
                return None
            a = _d(args[0])
            rad = _f(a.value) * math.pi / 180
            r = getattr(F, node.func)(Dual(rad, 1.0 + 0.0 * rad))
            return Dual(_f(r.value), _f(r.deriv) * _f(a.deriv) * (math.pi / 180 if factor else 1.0))
        return hook

    # -- one cell -------------------------------------------------------------------
    def diagnose(self, name: str, column: str, given: float, decimals: int | None,
                 own: Mapping[str, tuple[float, Mapping[str, float]]] | None = None,
                 units: Mapping[str, Mapping[str, float]] | None = None,
                 others: Iterable[tuple[str, float]] = (),
                 rounded: Mapping[str, tuple[float, Mapping[str, float]]] | None = None) -> Diagnosis:
        """Explain ``given`` in cell (name, column).

        ``own`` holds the student's numbers (value, {input: derivative}) where they are
        not accepted as correct (the truth elsewhere), ``rounded`` all of them as written,
        ``units`` how precisely each was written, ``others`` the student's other cells
        as (label, number)."""
        if not self.usable or name not in self.truth or not math.isfinite(given):
            return NONE_FOUND
        own = own or self.truth
        step = self.steps[name]
        truth = self.cell_truth(name, column)
        unit = 10.0 ** -decimals if decimals is not None else 1e-9 * max(1.0, abs(given))

        def close(x: float, slack: float = 0.0) -> bool:
            return abs(given - x) <= unit * (1 + 1e-9) + slack + 1e-12 * max(abs(x), abs(given))

        found: dict[str, str] = {}

        def note(code: str, text: str) -> None:
            found.setdefault(code, text)

        if close(truth):  # nothing is wrong with the digits written: there are too few of them
            return Diagnosis(("too-few-digits",), f"{CATALOGUE['too-few-digits']} ({_fmt(given)} agrees with "
                                                  f"{_fmt(truth)} to its last written digit)")

        targets = [(truth, False, 0.0)]
        if rounded is not None and step.node is not None and \
                any(rounded.get(d, self.truth[d]) != self.truth[d] for d in step.deps):
            # rounding carried: the student's earlier numbers, right as rounded, give theirs
            w = None if column == "value" else column[3:]
            try:
                r = self._pick(_evaluate(step.node, self._duals(step, {**self.truth, **rounded}, w)), w)
            except (ValueError, ArithmeticError, TypeError, KeyError):
                r = math.nan
            if math.isfinite(r) and close(r) and not close(truth):
                note("rounded-early", f"rounding carried: your earlier values as written give {_fmt(r)}")
        # only what this column's hypotheses read: operand values (and for a derivative
        # column their derivatives), and the values of sibling steps
        wcol = None if column == "value" else column[3:]
        differs = any(own.get(d, self.truth[d])[0] != self.truth[d][0] for d in self.relevant(name)) or (
            wcol is not None and any(own.get(d, self.truth[d])[1].get(wcol) != self.truth[d][1].get(wcol)
                                     for d in step.deps))
        hyps = list(self.hypotheses(name, column, self.truth, False))
        if differs and step.node is not None:
            w = None if column == "value" else column[3:]
            try:
                carried = self._pick(_evaluate(step.node, self._duals(step, own, w)), w)
            except (ValueError, ArithmeticError, TypeError, KeyError):
                carried = math.nan
            if math.isfinite(carried):
                u = units or {}
                slack = sum(p * u.get(d, {}).get(column, 0.0) for d, p in self.partials(name).items())
                targets.append((carried, True, slack))
                if rounded is not None:  # digit slips are made on what the student's own numbers give
                    try:
                        as_written = self._pick(_evaluate(step.node, self._duals(step, {**self.truth, **rounded}, w)), w)
                    except (ValueError, ArithmeticError, TypeError, KeyError):
                        as_written = math.nan
                    if math.isfinite(as_written) and as_written != carried:
                        targets.append((as_written, True, slack))
                hyps += self._carried_hypotheses(name, column, own)
                # the student wrote an earlier cell wrong but computed on with its right value
                for d in step.deps:
                    ov, ods = own.get(d, self.truth[d])
                    tv, tds = self.truth[d]
                    for fixed, what in (((tv, ods), "value"), ((ov, tds), "derivative")):
                        if fixed == (ov, ods):
                            continue
                        try:
                            r = self._pick(_evaluate(step.node, self._duals(step, {**own, d: fixed}, w)), w)
                        except (ValueError, ArithmeticError, TypeError, KeyError):
                            continue
                        if close(r, slack) and not close(truth):
                            note("miswritten", f"{_fmt(given)} follows from the right {what} of {d}, "
                                               f"not from the one you wrote")
        slack_carried = targets[1][2] if len(targets) > 1 else 0.0
        for h in hyps:
            if close(h.number, slack_carried if h.carried else 0.0) and not close(truth):
                note(h.code, h.sentence()
                     + (" from your earlier values" if h.carried else ""))
        for t, carried, slack in targets:
            self._number_slips(given, decimals, t, close, slack, note,
                               " (what your earlier values give)" if carried else "")
        # another cell's value copied (the true one, or the student's own)
        if not close(truth):
            values, labels = self.all_cells()
            lo = bisect.bisect_left(values, given - 2 * unit)
            hi = bisect.bisect_right(values, given + 2 * unit)
            hits = [i for i in range(lo, hi) if labels[i] != f"{name} {column}" and close(values[i])]
            # another component of the same vector first (z1[1] copied into z1[0]), then this row
            base = name.split("[")[0] + "["
            hits.sort(key=lambda i: (not labels[i].startswith(base), not labels[i].startswith(name + " ")))
            if hits:
                note("copied", f"the value of {labels[hits[0]]} ({_fmt(values[hits[0]])}) copied")
            else:
                for label, number in others:
                    if label != f"{name} {column}" and close(number):
                        note("copied", f"the number you wrote for {label} copied")
                        break
        if not found:
            return NONE_FOUND
        codes = sorted(found, key=_ORDER.__getitem__)
        parts = [f"{CATALOGUE[c]} ({found[c]})" for c in codes]
        sentence = parts[0] if len(parts) == 1 else "either " + "; or ".join(parts)
        return Diagnosis(tuple(codes), sentence)

    @staticmethod
    def _number_slips(given: float, decimals: int | None, t: float, close: Callable[..., bool], slack: float,
                      note: Callable[[str, str], None], whose: str) -> None:
        if close(t, slack) or not math.isfinite(t):
            return
        g = _fmt(given)
        if t != 0 and close(-t, slack):
            note("sign", f"{g} where {_fmt(t)}{whose} belongs")
        if t != 0 and given != 0:  # a written 0 is no number with its point moved
            for k in _SHIFTS:
                if close(t * 10.0 ** k, slack * 10.0 ** k):
                    note("decimal", f"{g} is {_fmt(t)}{whose} with the point moved {abs(k)} "
                                    f"place{'s' if abs(k) > 1 else ''} {'right' if k > 0 else 'left'}")
                    break
        if decimals is None or decimals < 0 or decimals > 15 or (t < 0) != (given < 0) or t == 0:
            return
        sig = _sig_digits(given, decimals)
        for k in range(1, sig):
            # the digits written are those of t rounded to k digits, padded with zeros
            if abs(given - _round_sig(t, k)) <= 1e-12 * max(1.0, abs(t)) and not close(t, slack):
                note("rounded-early", f"{g} is {_fmt(t)}{whose} rounded to {k} significant digit{'s' if k > 1 else ''}")
                break
        gs = f"{abs(given):.{decimals}f}".replace(".", "")
        scale = 10.0 ** decimals
        for es in {f"{abs(t):.{decimals}f}".replace(".", ""),
                   f"{math.floor(abs(t) * scale + 1e-9) / scale:.{decimals}f}".replace(".", "")}:
            n = max(len(gs), len(es))
            a, b = gs.rjust(n, "0"), es.rjust(n, "0")
            diff = [i for i in range(n) if a[i] != b[i]]
            if len(diff) == 1:
                note("digit", f"{g} differs from {_fmt(float(_insert_point(b, decimals)))}{whose} in one digit")
            elif 2 <= len(diff) <= 3 and diff[-1] - diff[0] <= 2 and sorted(a) == sorted(b):
                note("transposed", f"{g} has the digits of {_fmt(float(_insert_point(b, decimals)))}{whose} "
                                   "in another order")


def _insert_point(digits: str, decimals: int) -> str:
    if decimals == 0:
        return digits
    return digits[:-decimals] + "." + digits[-decimals:]


def _sig_digits(given: float, decimals: int) -> int:
    """Significant digits as written (0.0540 has 3)."""
    s = f"{abs(given):.{decimals}f}".replace(".", "").lstrip("0")
    return len(s)


def _evaluate_floats(tree: Any, names: Mapping[str, float], call: Callable[[str, list], Any]) -> float:
    from .program import fold

    r = fold(tree, name=names.__getitem__, num=lambda n: float(n.value),
             const=lambda c: math.pi if c == "pi" else math.e, call=call)
    return _f(r)


# ---------------------------------------------------------------------------
# A whole report
# ---------------------------------------------------------------------------
@kinks_marked_elsewhere
def diagnose_report(trace: Any, report: Any, table: Any, diagnoser: Diagnoser | None = None,
                    verdicts: tuple[str, ...] = ("wrong", "imprecise")) -> None:
    """Set ``.diagnosis`` on every cell of ``report`` (None for cells that need none)."""
    from .handtable import normalize_step_name

    dg = diagnoser if diagnoser is not None else diagnoser_for(trace)
    wanted = [c for c in report.cells if c.verdict in verdicts]
    with_formula = [c for c in report.cells if c.text and _MAY_HOLD_FORMULA.search(c.text)
                    and c.verdict not in ("extra", "missing")]
    for c in report.cells:
        c.diagnosis = None
    if not wanted and not with_formula:
        return
    own: dict[str, tuple[float, dict[str, float]]] = {}      # as written
    judged: dict[str, tuple[float, dict[str, float]]] = {}   # as written where not correct
    ok = {(c.step, c.column) for c in report.cells if c.verdict == "correct"}
    units: dict[str, dict[str, float]] = {}
    written: dict[tuple[str, str], Any] = {}
    others: list[tuple[str, float]] = []
    for name, (tv, tds) in dg.truth.items():
        row = table.rows.get(name)
        if row is None:
            row = table.rows.get(normalize_step_name(name))
        v, ds, u = tv, dict(tds), {}
        jv, jds = tv, dict(tds)
        for col, cell in (row or {}).items():
            if cell.number is None or col not in dg.columns:
                continue
            written[(name, col)] = cell
            others.append((f"{name} {col}", cell.number))
            exact = cell.number == (tv if col == "value" else tds.get(col[3:]))
            if cell.decimals is not None and not exact:  # a number written exactly is exact
                u[col] = 10.0 ** -cell.decimals
            if col == "value":
                v = cell.number
                jv = tv if (name, col) in ok else v
            else:
                ds[col[3:]] = cell.number
                jds[col[3:]] = tds[col[3:]] if (name, col) in ok else cell.number
        own[name], units[name] = (v, ds), u
        judged[name] = (jv, jds)
    if with_formula and dg.usable:
        from .formula import compare

        for c in with_formula:
            c.formula = compare(trace, c.step, c.column, c.text, own)
    for c in wanted:
        cell = written.get((c.step, c.column))
        if cell is None or c.given is None:
            c.diagnosis = NONE_FOUND
            continue
        d = dg.diagnose(c.step, c.column, float(c.given), cell.decimals, judged, units, others, own)
        note = getattr(c, "formula", None)
        if note is not None and not note.agrees and note.value is not None and cell.decimals is not None \
                and abs(note.value - float(c.given)) <= 10.0 ** -cell.decimals * (1 + 1e-9):
            # the student's own formula reproduces their number: that is the slip
            codes = ("formula",) + tuple(x for x in d.codes if x != "none")
            text = f"{CATALOGUE['formula']} ({note.sentence})"
            d = Diagnosis(codes, text if not d.found else f"either {text}; or " + d.sentence.removeprefix("either "))
        c.diagnosis = d


_MAY_HOLD_FORMULA = re.compile(r"=|≈|\\approx")


@kinks_marked_elsewhere
def diagnoser_for(trace: Any) -> Diagnoser:
    """The trace's diagnoser, made once and kept on the trace."""
    dg = trace.__dict__.get("_diagnoser")
    if dg is None:
        dg = trace.__dict__["_diagnoser"] = Diagnoser(trace)
    return dg


class ClassIndex:
    """The true cells of every student's variant, computed in one array pass over the
    recorded steps; a number that equals another student's cell to the digits written
    is explained as "another point" (that student's inputs)."""

    def __init__(self, trace: Any, ids: list[str], inputs: list[Mapping[str, float]]):
        import numpy as np

        self.ids = ids
        self.inputs = inputs
        self.dg = dg = Diagnoser(trace)
        self._hyps: dict[tuple[str, str], list[_Hyp]] = {}
        self._class_points: list | None = None
        n = len(ids)
        names = [s.name for s in trace.input_steps]
        arrays = dg.reevaluate_arrays({k: [inp[k] for inp in inputs] for k in names}, n) if n else None
        self.arrays = arrays
        self.arrays_env = {k: (v, dict(ds)) for k, (v, ds) in (arrays or {}).items()}
        self.position = {sid: i for i, sid in enumerate(ids)}
        self.cells: dict[tuple[str, str], tuple[Any, Any]] = {}
        for (name, col) in ((s, c) for s in dg.truth for c in dg.columns):
            if arrays is None:
                continue
            vals = np.array(arrays[name][0] if col == "value" else arrays[name][1][col[3:]], dtype=float)
            order = np.argsort(vals, kind="stable")
            self.cells[(name, col)] = (vals[order], order)

    def points_for(self, i: int) -> list[tuple[list[str], Any]]:
        """:meth:`Diagnoser.points` of variant ``i``, from array passes over the class
        (one per kind of other point and input, made once)."""
        if self._class_points is None:
            self._class_points = []
            names = [s.name for s in self.dg.trace.input_steps]
            cols = {k: np.array([inp[k] for inp in self.inputs], dtype=float) for k in names}
            for name in names:
                moves = [f(cols[name]) for f in _OTHER_POINTS] + [cols[o] for o in names if o != name]
                moves = [np.broadcast_to(np.asarray(m, dtype=float), cols[name].shape) for m in moves]
                done = [self.dg.reevaluate_arrays({**cols, name: m}, len(self.ids)) for m in moves]
                self._class_points.append((name, moves, done))
        out = []
        for name, moves, done in self._class_points:
            v = self.inputs[i][name]
            keep = [(m[i], d) for m, d in zip(moves, done) if d is not None and m[i] != v]
            seen: set[float] = set()
            keep = [(c, d) for c, d in keep if not (c in seen or seen.add(c))]
            if not keep:
                continue
            arrays = {step: (np.array([d[step][0][i] for _, d in keep]),
                             {w: np.array([d[step][1][w][i] for _, d in keep]) for w in self.dg.wrt})
                      for step in self.dg.truth}
            out.append(([f"{name} = {_fmt(float(c))}" for c, _ in keep], arrays))
        return out

    def hypotheses_for(self, step: str, column: str, i: int) -> list[_Hyp]:
        """The truth-based hypotheses of one cell for variant ``i``, computed for every
        variant of the class in one array pass per hypothesis (made once per cell)."""
        hyps = self._hyps.get((step, column))
        if hyps is None:
            hyps = []
            s = self.dg.steps[step]
            if self.arrays is not None and s.node is not None:
                try:
                    self.dg._derived(s, column, self.arrays_env, False, hyps)
                except (ValueError, ArithmeticError, TypeError, KeyError):
                    hyps = []
            self._hyps[(step, column)] = hyps
            n = len(self.ids)
            for h in hyps:  # one array per hypothesis, n long, turned to floats once
                h.number = (np.broadcast_to(h.number, (n,)) if isinstance(h.number, np.ndarray)
                            else np.full(n, float(h.number))).tolist()
        out = []
        for h in hyps:
            v = h.number[i]
            if math.isfinite(v):
                out.append(_Hyp(h.code, h.text, v, False, True))
        return out

    def matches(self, step: str, column: str, given: float, decimals: int | None) -> set[int]:
        """Positions of every variant whose true cell the number equals to the digits written."""
        import numpy as np

        hit = self.cells.get((step, column))
        if hit is None or decimals is None:
            return set()
        vals, order = hit
        unit = 10.0 ** -decimals * (1 + 1e-9)
        lo, hi = np.searchsorted(vals, given - unit), np.searchsorted(vals, given + unit, side="right")
        return {int(i) for i in order[lo:hi]}

    def explain(self, step: str, column: str, given: float, decimals: int | None, own_id: str) -> list[str]:
        """Labels of the other students whose cell the number equals."""
        import numpy as np

        hit = self.cells.get((step, column))
        if hit is None or decimals is None:
            return []
        vals, order = hit
        unit = 10.0 ** -decimals * (1 + 1e-9)
        lo, hi = np.searchsorted(vals, given - unit), np.searchsorted(vals, given + unit, side="right")
        out = []
        for i in order[lo:hi][:3]:
            sid = self.ids[int(i)]
            if sid != own_id:
                point = ", ".join(f"{k} = {_fmt(v)}" for k, v in self.inputs[int(i)].items())
                out.append(f"{sid} ({point})")
        return out


def with_explanation(d: Diagnosis | None, code: str, text: str) -> Diagnosis:
    """``d`` with one more explanation (codes kept in catalogue order)."""
    found = [] if d is None or not d.found else [d]
    codes = tuple(sorted(set((d.codes if found else ()) + (code,)), key=_ORDER.__getitem__))
    part = f"{CATALOGUE[code]} ({text})"
    if not found:
        return Diagnosis(codes, part)
    return Diagnosis(codes, "either " + part + "; or " + d.sentence.removeprefix("either "))
