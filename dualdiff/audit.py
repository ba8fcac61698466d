"""The precision audit of a float trace: how many digits of each cell are right.

Every value and derivative of a float trace is compared with the trace's high-precision
reference (``dualdiff.reference``).  A cell's *correct digits* is the largest k ≤ 17 for
which the float, rounded to k significant digits, is a faithful rounding of the true value
(less than one unit of its k-th digit away) -- what a reader checks when comparing two
numbers digit by digit.  A table that shows ``digits`` significant digits marks every cell
with fewer correct digits than that (``inaccurate: k correct digits``), so no wrong digit
is shown as if it were right.

The culprit.  Digits are lost where an operation amplifies the rounding errors of its
operands (a large relative condition number): cancellation in ``1 - yhat`` when yhat is
within 1e-16 of 1, ``sin`` near a multiple of π, an underflow to 0.  For every operation of
every step (sub-expressions included) the audit compares the correct digits of its result
with the fewest correct digits among its operands; the culprit of a cell is the
operation, among everything the cell is computed from, whose drop is largest.  For a
derivative cell, a loss in a value counts too (the derivative of ``log(v)`` is ``dv / v``:
it is wrong when ``v`` is).

Exact and mpmath traces are their own reference and are not audited (``audit_of``
returns ``None``).  A step the reference cannot recompute is ``audited = False`` with the
reason: the table says "not verified", never nothing.

>>> import dualdiff as dd
>>> t = dd.trace_program("w = 3\\nx = 12\\nyhat = sigmoid(w * x)\\nce = -log(1 - yhat)", wrt="w")
>>> a = audit_of(t)
>>> a["ce"].value, a["ce"].derivs["w"], a["ce"].culprit.describe()
(3, 1, 'cancellation in 1 - yhat')
>>> a["yhat"].value >= 15                     # sigmoid(36) is right to every digit shown
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any, Iterator

import numpy as np

from .program import apply_binop
from .reference import CHECK_DPS, Reference, reference_of, to_mpf

__all__ = ["MAX_DIGITS", "DROP", "Culprit", "Cell", "StepAccuracy", "Audit", "audit_of", "correct_digits"]

MAX_DIGITS = 17   # the most significant digits a double can be shown with
DROP = 2          # an operation that loses fewer digits than this is rounding, not a culprit
CULPRIT_BELOW = MAX_DIGITS - DROP  # rows with fewer correct digits get a culprit search
_CACHE_KEY = "_dualdiff_audit"


# ---------------------------------------------------------------------------
# Correct digits of one number
# ---------------------------------------------------------------------------
def correct_digits(f: Any, ref: Any, noise: Any = 0) -> int:
    """Correct significant digits of the float ``f`` against the true value ``ref`` (mpf).

    ``noise`` bounds the reference's own error: a float within twice it of the
    reference cannot be shown wrong and counts as fully correct.

    >>> import mpmath
    >>> correct_digits(36.04365338911715, mpmath.log(1 + mpmath.exp(36)))
    3
    >>> correct_digits(0.1, to_mpf("0.1")), correct_digits(1.2e-16, mpmath.mpf(0))
    (16, 0)

    (The 17-digit form of the float 0.1 is 0.10000000000000001: sixteen digits are right.)
    """
    import mpmath

    if isinstance(f, (float, np.floating)) and not math.isfinite(f):
        return 0 if mpmath.isfinite(ref) else MAX_DIGITS
    if not mpmath.isfinite(ref):
        return 0
    with mpmath.workdps(CHECK_DPS):
        err = abs(mpmath.mpf(f) - ref)
        if err == 0 or err <= 2 * noise:
            return MAX_DIGITS
        if ref == 0:
            return 0
        rel = float(err / abs(ref))
        # 30 digits: far more than the 17 compared, and fewer than the reference is sure of
        # (1e-14 computed as (1 + 1e-14) - 1 at 60 digits is 9.99…9e-15 in its 48th digit)
        text = mpmath.nstr(ref, 30, min_fixed=1, max_fixed=0)  # always d.ddd…e±n
    # the digit checks in decimal arithmetic (exact for these short numbers, and fast)
    with localcontext() as ctx:
        ctx.prec = CHECK_DPS
        true = Decimal(text)
        lead = true.adjusted()  # units are the true value's digits
        f = float(f)
        # start near the answer (rel ~ 10^-k) and walk down to the first faithful rounding
        top = MAX_DIGITS if rel <= 0 else max(1, min(MAX_DIGITS, int(-math.log10(rel)) + 2))
        for k in range(top, 0, -1):
            # exactly one unit off is not a faithful rounding
            if abs(Decimal(f"{f:.{k - 1}e}") - true) < Decimal(1).scaleb(lead - k + 1):
                return k
        return 0


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Culprit:
    """The operation that lost the digits: ``kind`` in ``operation`` of step ``step``."""

    step: str
    operation: str   # the sub-expression, as text: "1 - yhat"
    kind: str        # "cancellation" | "underflow" | "overflow" | "ill-conditioned"
    before: int      # correct digits of its least accurate operand
    after: int       # correct digits of its result

    def describe(self, within: str | None = None) -> str:
        """``cancellation in 1 - yhat`` (plus ``(step v5)`` when not in step ``within``)."""
        text = f"ill-conditioned {self.operation}" if self.kind == "ill-conditioned" \
            else f"{self.kind} in {self.operation}"
        return text if within in (None, self.step) else f"{text} (step {self.step})"

    def to_dict(self) -> dict:
        return {"step": self.step, "operation": self.operation, "kind": self.kind,
                "digits_before": self.before, "digits_after": self.after}


@dataclass(frozen=True)
class Cell:
    """One inaccurate cell: ``column`` is ``"value"`` or an input name."""

    step: str
    column: str
    digits: int


@dataclass(frozen=True)
class StepAccuracy:
    """Correct digits of a row's value and derivatives (``None`` when not audited)."""

    step: str
    value: int | None
    derivs: dict[str, int | None]
    reference_value: Any = None
    reference_derivs: dict[str, Any] = field(default_factory=dict)
    culprits: dict[str, Culprit] = field(default_factory=dict)  # column -> what lost its digits
    reason: str = ""  # why the row was not audited

    @property
    def culprit(self) -> Culprit | None:
        """The culprit of the least accurate column (the value's on a tie)."""
        cols = [c for c in self.columns() if c in self.culprits]
        if not cols:
            return None
        return self.culprits[min(cols, key=lambda c: self.columns()[c])]

    @property
    def audited(self) -> bool:
        return self.value is not None

    def columns(self) -> dict[str, int | None]:
        return {"value": self.value, **self.derivs}

    def inaccurate(self, digits: int) -> list[str]:
        """The columns with fewer correct digits than ``digits``."""
        return [c for c, k in self.columns().items() if k is not None and k < digits]

    def to_dict(self, digits: int = 8) -> dict:
        if not self.audited:
            return {"audited": False, "reason": self.reason}
        out: dict[str, Any] = {"value": self.value, "derivs": dict(self.derivs),
                               "inaccurate": self.inaccurate(digits)}
        if out["inaccurate"]:
            out["reference"] = {"value": _text(self.reference_value),
                                "derivs": {w: _text(v) for w, v in self.reference_derivs.items()}}
            if self.culprit is not None:
                out["culprit"] = self.culprit.to_dict()
                out["culprits"] = {c: x.to_dict() for c, x in self.culprits.items() if c in out["inaccurate"]}
        return out


def _text(v: Any) -> str:
    """A reference number as text with 20 significant digits (more than any float shows)."""
    import mpmath

    return mpmath.nstr(v, 20, min_fixed=-5, max_fixed=21)


class Audit:
    """The audit of a float trace: ``audit[step]`` is a :class:`StepAccuracy`."""

    def __init__(self, steps: dict[str, StepAccuracy], wrt: tuple[str, ...], trace: Any = None,
                 ref: Reference | None = None):
        self.steps = steps
        self.wrt = wrt
        self._source = (trace, ref)   # for the culprit search, run on first need
        self._searched = trace is None

    def __getitem__(self, name: str) -> StepAccuracy:
        """A row's accuracy, with its culprits when it lost digits (searched on first need)."""
        s = self.steps[name]
        if not self._searched and s.audited and min(s.columns().values()) < CULPRIT_BELOW:
            self._search()
            s = self.steps[name]
        return s

    def _search(self) -> None:
        """Find the culprits of every row that lost digits (one pass over the whole trace)."""
        self._searched = True
        trace, ref = self._source
        for name, cols in _Culprits(trace, ref, self.steps).find().items():
            a = self.steps[name]
            cols = {c: x for c, x in cols.items() if (a.columns()[c] or 0) < CULPRIT_BELOW}
            self.steps[name] = StepAccuracy(a.step, a.value, a.derivs, a.reference_value, a.reference_derivs,
                                            cols)

    def __iter__(self) -> Iterator[StepAccuracy]:
        return iter(self.steps.values())

    def inaccurate(self, digits: int = 8) -> list[Cell]:
        """Every cell with fewer correct digits than a table of ``digits`` digits shows."""
        return [Cell(s.step, c, s.columns()[c]) for s in self for c in s.inaccurate(digits)]

    def unverified(self) -> list[StepAccuracy]:
        return [s for s in self if not s.audited]

    def ok(self, digits: int = 8) -> bool:
        """True when every cell is verified and has at least ``digits`` correct digits."""
        return not self.inaccurate(digits) and not self.unverified()

    def note(self, step: str, digits: int = 8) -> str:
        """The table's note for a row ('' when every shown digit is right)."""
        if step not in self.steps:
            return ""
        s = self[step]
        if not s.audited:
            return f"not verified: {s.reason}"
        bad = s.inaccurate(digits)
        if not bad:
            return ""
        parts = []
        causes = [s.culprits[c] for c in bad if c in s.culprits]
        one_cause = len(set(causes)) == 1 and len(causes) == len(bad)
        for c in bad:
            k = s.columns()[c]
            ref = s.reference_value if c == "value" else s.reference_derivs[c]
            label = "" if c == "value" else f"d/d{c} "
            part = f"{label}inaccurate: {k} correct digit{'s' if k != 1 else ''} (true {_shown(ref, digits)})"
            if c in s.culprits and not one_cause:
                part += f", {s.culprits[c].describe(step)}"
            parts.append(part)
        text = "; ".join(parts)
        if one_cause:
            text += f": {causes[0].describe(step)}"
        return text

    def failures(self, digits: int = 8) -> list[str]:
        """One line per inaccurate or unverified row (what ``table --check`` prints)."""
        lines = []
        for s in self:
            if not s.audited:
                lines.append(f"{s.step}: not verified: {s.reason}")
            elif s.inaccurate(digits):
                lines.append(f"{s.step}: {self.note(s.step, digits)}")
        return lines


def _shown(ref: Any, digits: int) -> str:
    from .numfmt import format_number

    s = format_number(ref, digits)
    if "e" in s:  # mpmath writes e+8; tables write e8, as for floats
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    return s


# ---------------------------------------------------------------------------
# Computing the audit
# ---------------------------------------------------------------------------
def audit_of(trace: Any) -> Audit | None:
    """The audit of a float trace (cached on it); ``None`` for exact and mpmath traces."""
    cached = vars(trace).get(_CACHE_KEY)
    if cached is None:
        ref = reference_of(trace)
        cached = False if ref.own else _audit(trace, ref)
        vars(trace)[_CACHE_KEY] = cached
    return cached or None


def _known(v: Any, noise: Any) -> Any:
    """The reference as far as it is known: 0 when it is below its own uncertainty."""
    return v * 0 if noise and abs(v) <= 2 * noise else v


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _audit(trace: Any, ref: Reference) -> Audit:
    wrt = tuple(trace.wrt)
    steps: dict[str, StepAccuracy] = {}
    for s in trace.rows:
        if not ref.has(s.name):
            steps[s.name] = StepAccuracy(s.name, None, {w: None for w in wrt},
                                         reason=ref.failed.get(s.name, "no reference"))
            continue
        if not (_is_scalar(s.value) and all(_is_scalar(s.derivs.get(w, 0.0)) for w in wrt)):
            steps[s.name] = StepAccuracy(s.name, None, {w: None for w in wrt}, reason="not a scalar step")
            continue
        noise = ref.noise[s.name]
        value = correct_digits(s.value, ref.value(s.name), noise["value"])
        derivs = {w: correct_digits(s.derivs.get(w, 0.0), ref.deriv(s.name, w), noise[w]) for w in wrt}
        steps[s.name] = StepAccuracy(s.name, value, derivs, _known(ref.value(s.name), noise["value"]),
                                     {w: _known(ref.deriv(s.name, w), noise[w]) for w in wrt})
    return Audit(steps, wrt, trace, ref)


class _Culprits:
    """Walks every step's expression in float and at high precision, operation by operation.

    Each node yields its float and reference results (Duals over the trace's inputs), the
    correct digits of its value and derivatives, and the culprit of each: a node whose
    least accurate operand has ``DROP`` or more digits more than its result lost them
    itself; otherwise it inherits the culprit of that operand (for a derivative, the
    operand's value or derivative, whichever has fewer correct digits -- the value on a
    tie, as the root cause).  A Name leaf hands on its step's culprits, so the search
    follows the loss back through the whole trace.
    """

    def __init__(self, trace: Any, ref: Reference, accuracy: dict[str, StepAccuracy]):
        self.trace, self.ref, self.acc = trace, ref, accuracy
        self.wrt = list(trace.wrt)
        self.found: dict[str, tuple[Any, dict[str, Any]]] = {}  # step -> (value culprit, {w: culprit})

    def find(self) -> dict[str, dict[str, Culprit]]:
        """{step: {column: culprit}} for the columns that lost digits to an operation."""
        import mpmath

        from .dual import Dual, new_tag

        n = len(self.wrt)
        self.tag = tag = new_tag()
        env_f: dict[str, Any] = {}
        env_r: dict[str, Any] = {}
        out: dict[str, dict[str, Culprit]] = {}
        with mpmath.workdps(CHECK_DPS):
            for s in self.trace.rows:
                if not self.ref.has(s.name) or not self.acc[s.name].audited:
                    continue
                d = [float(s.derivs.get(w, 0.0)) for w in self.wrt]
                env_f[s.name] = Dual(float(s.value), np.array(d) if n > 1 else (d[0] if n else 0.0), tag,
                                     n if n > 1 else 0)
                rd = [self.ref.deriv(s.name, w) for w in self.wrt]
                env_r[s.name] = Dual(self.ref.value(s.name), np.array(rd, dtype=object) if n > 1
                                     else (rd[0] if n else mpmath.mpf(0)), tag, n if n > 1 else 0)
            for s in self.trace.steps:
                if s.name not in env_f or any(d not in env_f for d in s.deps):
                    continue
                self.step = s.name
                try:
                    *_, cv, cd = self._go(s.node, env_f, env_r)
                except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError):
                    continue
                self.found[s.name] = (cv, cd)
                cols = {"value": cv, **cd}
                kept = {c: x for c, x in cols.items() if x is not None}
                if kept:
                    out[s.name] = kept
        return out

    # one node -> (float result, reference result, value digits, {w: digits}, value culprit, {w: culprit})
    def _go(self, node: Any, env_f: dict, env_r: dict):
        import mpmath

        from . import functions as F
        from .program import BinOp, Call, Const, Name, Num, UnaryOp

        kind = type(node)
        if kind is Name:
            a = self.acc[node.id]
            cv, cd = self.found.get(node.id, (None, {}))
            return env_f[node.id], env_r[node.id], a.value, dict(a.derivs), cv, \
                {w: cd.get(w) for w in self.wrt}
        if kind is Num or kind is Const:
            if kind is Num:
                fv = float(node.value)
                rv = to_mpf(node.text.replace("_", "")) if node.text else to_mpf(node.value)
            else:
                fv = math.pi if node.name == "pi" else math.e
                rv = +mpmath.pi if node.name == "pi" else +mpmath.e
            return fv, rv, correct_digits(fv, rv), {w: MAX_DIGITS for w in self.wrt}, None, \
                {w: None for w in self.wrt}
        if kind is UnaryOp:  # a sign is exact
            f, r, v, d, cv, cd = self._go(node.operand, env_f, env_r)
            return (-f, -r, v, d, cv, cd) if node.op == "-" else (f, r, v, d, cv, cd)
        if kind is BinOp:
            children = [self._go(node.left, env_f, env_r), self._go(node.right, env_f, env_r)]
            f = apply_binop(node.op, children[0][0], children[1][0])
            r = apply_binop(node.op, children[0][1], children[1][1])
        elif kind is Call:
            children = [self._go(a, env_f, env_r) for a in node.args]
            f = getattr(F, node.func)(*[c[0] for c in children])
            r = getattr(F, node.func)(*[c[1] for c in children])
        else:
            raise TypeError(f"not an expression node: {node!r}")
        fv, fd = self._split(f)
        rv, rd = self._split(r)
        v = correct_digits(fv, rv) if _is_scalar(fv) else MAX_DIGITS
        d = {w: correct_digits(fd[w], rd[w]) if _is_scalar(fd[w]) else MAX_DIGITS for w in self.wrt}
        # the value: the least accurate operand's value
        low = min(children, key=lambda c: c[2])
        if low[2] - v >= DROP:
            cv = self._culprit(node, fv, rv, [self._split(c[1])[0] for c in children], low[2], v)
        else:
            cv = low[4]
        cd = {}
        for w in self.wrt:
            # the derivative: an operand's value or derivative, whichever is worse (value on a tie)
            cands = [(c[2], 0, c[4]) for c in children] + [(c[3][w], 1, c[5][w]) for c in children]
            digits, _, inherited = min(cands, key=lambda t: (t[0], t[1]))
            if digits - d[w] >= DROP:
                cd[w] = self._culprit(node, fd[w], rd[w], [self._split(c[1])[1][w] for c in children],
                                      digits, d[w])
            else:
                cd[w] = inherited
        return f, r, v, d, cv, cd

    def _split(self, y: Any) -> tuple[Any, dict[str, Any]]:
        from .dual import Dual

        if type(y) is Dual and y.tag == self.tag:
            if len(self.wrt) > 1:
                return y.value, {w: y.deriv[i] for i, w in enumerate(self.wrt)}
            return y.value, {w: y.deriv for w in self.wrt}
        zero = 0.0 if isinstance(y, float) else y * 0
        return y, {w: zero for w in self.wrt}

    def _culprit(self, node: Any, f: Any, r: Any, operands: list, before: int, after: int) -> Culprit:
        import mpmath

        from .program import BinOp

        fv = float(f)
        if math.isinf(fv) and mpmath.isfinite(r):
            kind = "overflow"
        elif abs(fv) < 2.2250738585072014e-308 and r != 0 and abs(r) < mpmath.mpf(2) ** -1022:
            kind = "underflow"
        elif type(node) is BinOp and node.op in "+-" and _cancels(operands, r):
            kind = "cancellation"
        else:
            kind = "ill-conditioned"
        return Culprit(self.step, _text_of(node), kind, before, after)


def _cancels(operands: list, result: Any) -> bool:
    """The sum is much smaller than its largest operand: leading digits cancelled."""
    biggest = max(abs(x) for x in operands)
    return biggest > 0 and abs(result) < biggest / 2


def _text_of(node: Any) -> str:
    from .printing import expr_to_text

    return expr_to_text(node)
