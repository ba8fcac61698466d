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
    # second derivatives ("d2:w,b") and the adjoint ("adjoint"): correct digits (None: not verified)
    extra: dict[str, int | None] = field(default_factory=dict)
    extra_reference: dict[str, Any] = field(default_factory=dict)
    # vector and matrix columns: column -> array of correct digits per component
    cells: dict[str, Any] = field(default_factory=dict)
    # column -> (index of its least accurate component, its true value) for arrays
    worst: dict[str, tuple] = field(default_factory=dict)
    extra_reason: str = ""  # why the extra columns were not verified

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
        return {"value": self.value, **self.derivs, **self.extra}

    def cell(self, column: str, idx: tuple = ()) -> int | None:
        """Correct digits of one table cell: ``idx`` is the component (step index, then the
        input's, then the second input's); a scalar column ignores it."""
        arr = self.cells.get(column)
        if arr is None:
            return self.columns().get(column)
        return int(arr[idx]) if idx or np.ndim(arr) == 0 else int(np.min(arr))

    def unverified_columns(self) -> list[str]:
        return [c for c, k in self.extra.items() if k is None] if self.audited else []

    def inaccurate(self, digits: int) -> list[str]:
        """The columns with fewer correct digits than ``digits``."""
        return [c for c, k in self.columns().items() if k is not None and k < digits]

    def to_dict(self, digits: int = 8) -> dict:
        if not self.audited:
            return {"audited": False, "reason": self.reason}
        out: dict[str, Any] = {"value": self.value, "derivs": dict(self.derivs),
                               "inaccurate": self.inaccurate(digits)}
        d2 = {c[3:]: k for c, k in self.extra.items() if c.startswith("d2:")}
        if d2:
            out["derivs2"] = d2
        if "adjoint" in self.extra:
            out["adjoint"] = self.extra["adjoint"]
        if self.unverified_columns():
            out["not_verified"] = {"columns": self.unverified_columns(), "reason": self.extra_reason}
        if out["inaccurate"]:
            out["reference"] = {"value": _text(self._true("value")),
                                "derivs": {w: _text(self._true(w)) for w in self.derivs}}
            for c in out["inaccurate"]:
                if c in self.extra:
                    out["reference"].setdefault("other", {})[c] = _text(self._true(c))
            comps = {c: [[list(ix), int(self.cells[c][ix])] for ix in np.ndindex(*np.shape(self.cells[c]))
                         if self.cells[c][ix] < digits]
                     for c in out["inaccurate"] if c in self.cells}
            if comps:
                out["components"] = comps  # [index, correct digits] of each inaccurate component
            if self.culprit is not None:
                out["culprit"] = self.culprit.to_dict()
                out["culprits"] = {c: x.to_dict() for c, x in self.culprits.items() if c in out["inaccurate"]}
        return out


def _true_of(self: StepAccuracy, column: str) -> Any:
    """The true value of a column (of its least accurate component, for an array)."""
    if column in self.worst:
        return self.worst[column][1]
    if column == "value":
        return self.reference_value
    if column in self.extra_reference:
        return self.extra_reference[column]
    return self.reference_derivs.get(column)


StepAccuracy._true = _true_of


def column_label(column: str, idx: tuple = ()) -> str:
    """``d/dw``, ``d²/dw db``, ``adjoint`` (+ the component ``[1,0]``): a column in notes."""
    ix = f"[{','.join(str(i) for i in idx)}]" if idx else ""
    if column == "value":
        return f"value{ix}" if ix else ""
    if column == "adjoint":
        return f"adjoint{ix}"
    if column.startswith("d2:"):
        a, b = column[3:].split(",")
        return (f"d²/d{a}²" if a == b else f"d²/d{a} d{b}") + ix
    return f"d/d{column}{ix}"


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
        if not self._searched and s.audited and \
                min((k for k in s.columns().values() if k is not None), default=MAX_DIGITS) < CULPRIT_BELOW:
            self._search()
            s = self.steps[name]
        return s

    def _search(self) -> None:
        """Find the culprits of every row that lost digits (one pass over the whole trace).

        Scalar values and first derivatives of a scalar trace: operation by operation,
        values and derivatives (``_Culprits``).  Vector and matrix steps, second
        derivatives and adjoints: the operation whose *value* lost the most digits among
        what the cell is computed from (the step and the steps before it; for an adjoint,
        the whole trace, which the reverse sweep reads)."""
        import dataclasses

        self._searched = True
        trace, ref = self._source
        found: dict[str, dict[str, Culprit]] = {}
        if ref is not None:
            found = _Culprits(trace, ref, self.steps).find()
        drops = None
        for name, a in list(self.steps.items()):
            if not a.audited:
                continue
            cols = {c: x for c, x in found.get(name, {}).items() if (a.columns()[c] or 0) < CULPRIT_BELOW}
            for c, k in a.columns().items():
                if k is None or k >= CULPRIT_BELOW or c in cols:
                    continue
                if ref is not None and c in ("value", *a.derivs):
                    continue  # the operation-by-operation search found no operation to blame
                if drops is None:
                    drops = _value_drops(trace, self.steps)
                x = _largest_drop(drops, trace, name, whole=(c == "adjoint"))
                if x is not None:
                    cols[c] = x
            self.steps[name] = dataclasses.replace(a, culprits=cols)

    def __iter__(self) -> Iterator[StepAccuracy]:
        return iter(self.steps.values())

    def inaccurate(self, digits: int = 8) -> list[Cell]:
        """Every cell with fewer correct digits than a table of ``digits`` digits shows."""
        return [Cell(s.step, c, s.columns()[c]) for s in self for c in s.inaccurate(digits)]

    def unverified(self) -> list[StepAccuracy]:
        return [s for s in self if not s.audited or s.unverified_columns()]

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
        unverified = s.unverified_columns()
        if unverified and not bad:
            return f"{', '.join(column_label(c) for c in unverified)} not verified: {s.extra_reason}"
        if not bad:
            return ""
        parts = []
        causes = [s.culprits[c] for c in bad if c in s.culprits]
        one_cause = len(set(causes)) == 1 and len(causes) == len(bad)
        for c in bad:
            k = s.columns()[c]
            ref = s._true(c)
            label = column_label(c, s.worst[c][0] if c in s.worst else ())
            label = f"{label} " if label else ""
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
            elif s.inaccurate(digits) or s.unverified_columns():
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
    if getattr(trace, "has_arrays", False):
        return _audit_arrays(trace)
    audit = _audit_scalars(trace, ref)
    if trace.has_adjoints or any(s.derivs2 is not None for s in trace.steps):
        _add_extra_columns(trace, audit.steps)
    return audit


def _audit_scalars(trace: Any, ref: Reference) -> Audit:
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


# ---------------------------------------------------------------------------
# Vector and matrix steps, second derivatives, adjoints: cell by cell
# ---------------------------------------------------------------------------
def _cell_digits(f: Any, r: Any, noise: Any) -> Any:
    """Correct digits of every component of a float (array) against its reference."""
    shape = np.shape(f)
    if not shape:
        return correct_digits(_num(f), _mp(r), _mp(noise))
    r = np.broadcast_to(np.asarray(r, dtype=object), shape)
    noise = np.broadcast_to(np.asarray(noise, dtype=object), shape)
    f = np.asarray(f)
    out = np.empty(shape, dtype=int)
    for ix in np.ndindex(*shape):
        out[ix] = correct_digits(_num(f[ix]), _mp(r[ix]), _mp(noise[ix]))
    return out


def _num(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else float(x) if isinstance(x, int) else x


def _mp(x: Any) -> Any:
    """A reference entry as an mpf (exact 0 and 1 of the seeds may be plain numbers)."""
    import mpmath

    if isinstance(x, np.generic):
        x = x.item()
    return x if type(x).__module__.split(".")[0] == "mpmath" else mpmath.mpf(x)


def _diff(a: Any, b: Any) -> Any:
    """|a - b| entry by entry (the reference's own uncertainty)."""
    if np.ndim(a):
        out = np.empty(np.shape(a), dtype=object)
        b = np.broadcast_to(np.asarray(b, dtype=object), np.shape(a))
        for ix in np.ndindex(*np.shape(a)):
            out[ix] = abs(_mp(a[ix]) - _mp(b[ix]))
        return out
    return abs(_mp(a) - _mp(b))


def _column(f: Any, hi: Any, lo: Any) -> tuple[Any, Any, Any]:
    """(digits: int or array, worst index, true value there) of one column."""
    noise = _diff(hi, lo)
    digits = _cell_digits(f, hi, noise)
    if not np.ndim(digits):
        return int(digits), (), _known(_mp(hi), noise)
    worst = np.unravel_index(int(np.argmin(digits)), np.shape(digits)) if np.size(digits) else ()
    worst = tuple(int(i) for i in worst)
    true = None
    if worst:
        at = np.broadcast_to(np.asarray(hi, dtype=object), np.shape(digits))[worst]
        true = _known(_mp(at), np.broadcast_to(np.asarray(noise, dtype=object), np.shape(digits))[worst])
    return digits, worst, true


def _summary(digits: Any) -> int:
    return int(np.min(digits)) if np.ndim(digits) and np.size(digits) else (int(digits) if not np.ndim(digits)
                                                                            else MAX_DIGITS)


def _audit_arrays(trace: Any) -> Audit:
    """Every cell of a trace with vector or matrix steps, against the mpmath re-run."""
    import mpmath

    from .reference import precise_of

    pair = precise_of(trace)
    wrt = tuple(trace.wrt)
    steps: dict[str, StepAccuracy] = {}
    with mpmath.workdps(CHECK_DPS):
        for s in trace.rows:
            if s.name in pair.failed:
                steps[s.name] = StepAccuracy(s.name, None, {w: None for w in wrt}, reason=pair.failed[s.name])
                continue
            hi, lo = pair.hi[s.name], pair.lo[s.name]
            cells, worst, derivs, rderivs = {}, {}, {}, {}
            v, vw, vt = _column(s.value, hi.value, lo.value)
            for w in wrt:
                d, dw, dt = _column(s.derivs.get(w), hi.derivs[w], lo.derivs[w])
                derivs[w], rderivs[w] = _summary(d), dt
                if np.ndim(d):
                    cells[w], worst[w] = d, (dw, dt)
            if np.ndim(v):
                cells["value"], worst["value"] = v, (vw, vt)
            steps[s.name] = StepAccuracy(s.name, _summary(v), derivs, vt, rderivs, cells=cells, worst=worst)
    if trace.has_adjoints or any(s.derivs2 is not None for s in trace.steps):
        _add_extra_columns(trace, steps)
    return Audit(steps, wrt, trace, None)


def _add_extra_columns(trace: Any, steps: dict[str, StepAccuracy]) -> None:
    """Second derivatives and adjoints of every audited row, against the mpmath re-run."""
    import dataclasses

    import mpmath

    from .reference import precise_of

    pair = precise_of(trace)
    with mpmath.workdps(CHECK_DPS):
        for s in trace.rows:
            a = steps.get(s.name)
            if a is None or not a.audited:
                continue
            columns: dict[str, Any] = {}
            if s.derivs2 is not None:
                for key in dict.keys(s.derivs2):
                    columns[f"d2:{key}"] = (dict.__getitem__(s.derivs2, key), "derivs2", key)
            if trace.has_adjoints and s.adjoint is not None:
                columns["adjoint"] = (s.adjoint, "adjoint", None)
            if not columns:
                continue
            extra, extra_ref, cells, worst = {}, {}, dict(a.cells), dict(a.worst)
            reason = ""
            for col, (f, kind, key) in columns.items():
                if not pair.whole or s.name in pair.failed:
                    extra[col] = None
                    reason = "the high-precision re-run of the trace failed " \
                             f"({next(iter(pair.failed.values()), 'second derivatives or adjoints')})"
                    continue
                hi, lo = pair.hi[s.name], pair.lo[s.name]
                if kind == "adjoint":
                    h, l = hi.adjoint, lo.adjoint
                else:
                    h, l = dict.__getitem__(hi.derivs2, key), dict.__getitem__(lo.derivs2, key)
                d, dw, dt = _column(f, h, l)
                extra[col], extra_ref[col] = _summary(d), dt
                if np.ndim(d):
                    cells[col], worst[col] = d, (dw, dt)
            steps[s.name] = dataclasses.replace(a, extra=extra, extra_reference=extra_ref, cells=cells,
                                                worst=worst, extra_reason=reason)


def _value_drops(trace: Any, acc: dict[str, StepAccuracy]) -> dict[str, list]:
    """Per step, the operations whose value lost ``DROP`` or more digits against their
    least accurate operand: ``[(drop, Culprit), …]`` (float and mpmath results of every
    sub-expression, componentwise; an array counts by its least accurate component)."""
    import mpmath

    from .evaluate import Evaluator
    from .program import BinOp, Call, Index, ListLit, Name, UnaryOp
    from .reference import precise_of

    pair = precise_of(trace)
    env_f = {s.name: s.value for s in trace.rows}
    env_r = {s.name: pair.hi[s.name].value for s in trace.rows if s.name not in pair.failed}
    out: dict[str, list] = {}
    with mpmath.workdps(CHECK_DPS):
        for s in trace.steps:
            if s.name not in env_r or s.node is None:
                continue
            memo: dict[int, int] = {}
            found = []

            def digits(node: Any) -> int:
                key = id(node)
                if key not in memo:
                    if type(node) is Name:
                        a = acc.get(node.id)
                        memo[key] = a.value if a is not None and a.value is not None else MAX_DIGITS
                    else:
                        f = Evaluator().evaluate(node, env_f)
                        r = Evaluator(precise=True).evaluate(node, env_r)
                        memo[key] = _summary(_cell_digits(f, r, 0))
                        kids = _children(node)
                        before = min([digits(k) for k in kids], default=MAX_DIGITS)  # every operation visited
                        if kids and type(node) is not UnaryOp:  # a sign is exact
                            if before - memo[key] >= DROP:
                                found.append((before - memo[key], _array_culprit(s.name, node, f, r, kids, env_r,
                                                                                before, memo[key])))
                return memo[key]

            try:
                with np.errstate(all="ignore"):
                    digits(s.node)
            except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError):
                continue
            out[s.name] = found
    return out


def _children(node: Any) -> list:
    from .program import BinOp, Call, Index, ListLit, UnaryOp

    t = type(node)
    if t is BinOp:
        return [node.left, node.right]
    if t is Call:
        return list(node.args)
    if t is UnaryOp:
        return [node.operand]
    if t is Index:
        return [node.target]
    if t is ListLit:
        return list(node.items)
    return []


def _array_culprit(step: str, node: Any, f: Any, r: Any, kids: list, env_r: dict, before: int,
                   after: int) -> Culprit:
    import mpmath

    from .evaluate import Evaluator
    from .program import BinOp

    fa, ra = np.ravel(np.asarray(f, dtype=float)), np.ravel(np.asarray(r, dtype=object))
    i = int(np.argmax([abs(_mp(x) - _mp(y)) / (abs(_mp(y)) or 1) for x, y in zip(fa, ra)])) if fa.size > 1 else 0
    fv, rv = float(fa[i]) if fa.size else 0.0, _mp(ra[i]) if ra.size else mpmath.mpf(0)
    if math.isinf(fv) and mpmath.isfinite(rv):
        kind = "overflow"
    elif abs(fv) < 2.2250738585072014e-308 and rv != 0 and abs(rv) < mpmath.mpf(2) ** -1022:
        kind = "underflow"
    elif type(node) is BinOp and node.op in "+-":
        ops = [np.ravel(np.asarray(Evaluator(precise=True).evaluate(k, env_r), dtype=object)) for k in kids]
        ops = [_mp(o[i] if o.size > 1 else o[0]) for o in ops]
        kind = "cancellation" if _cancels(ops, rv) else "ill-conditioned"
    else:
        kind = "ill-conditioned"
    return Culprit(step, _text_of(node), kind, before, after)


def _largest_drop(drops: dict[str, list], trace: Any, name: str, whole: bool) -> Culprit | None:
    """The operation that lost the most digits among the steps ``name`` is computed from
    (itself included), or in the whole trace (``whole``: adjoints read every step)."""
    if whole:
        cone = set(drops)
    else:
        deps = {s.name: s.deps for s in trace.steps}
        cone, todo = set(), [name]
        while todo:
            n = todo.pop()
            if n in cone:
                continue
            cone.add(n)
            todo.extend(deps.get(n, ()))
    best = None
    for n in sorted(cone):
        for drop, c in drops.get(n, ()):
            # a cancellation explains a loss better than an ill-conditioned operation of
            # about the same size (log(p) near p = 1 loses what 1 - p loses, for the same reason)
            score = drop + (DROP if c.kind == "cancellation" else 0)
            if best is None or score > best[0]:
                best = (score, c)
    return best[1] if best else None


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
