"""Verify a hand-written table against the true trace, cell by cell, like a careful TA.

Every (step, column) cell gets one verdict:

* ``correct``   -- agrees with the true value (the high-precision reference, never a
  float result that lost digits) at the precision written, with at least
  ``min_digits`` significant digits -- or is exactly the true value;
* ``imprecise`` -- agrees as far as it goes but shows fewer than ``min_digits``
  significant digits (``0.84`` for sin 1): no points, so guessing earns nothing;
* ``carried``   -- wrong, but what the student's *own* earlier (wrong) values imply:
  error carried forward, so one slip costs one mark (not from a wrong input: inputs are
  given, not computed);
* ``wrong``     -- none of these; the first wrong cell of a chain is its *slip*;
* ``missing``   -- no cell, an empty cell, or text with no readable number (the reason
  says which);
* ``extra``     -- a row for a step the program does not have.

The policy (:func:`dualdiff.tolerance.judge`, docs/grading.md): ``tol="digits"``
(default) accepts a value less than one unit of its last written place away from the
true value (rounding and truncation pass, ``0.5463`` for 0.54030… fails, ``2`` for 1
fails); ``tol={"rtol": …, "atol": …}`` uses :func:`numpy.isclose`'s rule.  At a kink any
derivative between the one-sided derivatives is correct.  Input rows are read and
judged but earn no points (``Cell.scored`` is False; ``counts`` and ``score`` leave them
out); an input written differently from the one given is not an error to carry: the
cells computed from it are ``wrong`` (their reason says they follow from it).  A cell
that is what the student's own *rounded* correct cells give is ``correct``: rounding
carried forward is not a slip.

>>> import dualdiff as dd
>>> t = dd.trace_program("x = 1\\nu = sin(x)\\ny = u * u")
>>> r = t.verify({"u": (0.8415, 0.5403), "y": (0.7081, 0.9093)})
>>> r.ok, r.counts["correct"]
(True, 4)
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .numfmt import format_number
from .sanitize import dumps, one_line
from .handtable import HandCell, HandTable, deriv2_name, normalize_step_name, read_hand_table
from .tolerance import (DEFAULT_MIN_DIGITS, Tolerance, Truth, digits_tolerance, judge,  # parse_tol: re-exported
                        parse_tol, significant_digits, too_few_digits)

VERDICTS = ("correct", "carried", "imprecise", "wrong", "missing", "extra")
MARKS = {"correct": "✓", "carried": "↪", "imprecise": "≈", "wrong": "✗", "missing": "?", "extra": "+"}


@dataclass
class Cell:
    """One judged cell."""

    step: str
    column: str                 # "value" or "d/dx" style
    expected: Any               # the true value (None for an extra cell)
    given: float | None         # the number read from the hand table
    verdict: str
    reason: str = ""
    text: str = ""              # the cell as written
    carried_expected: Any = None  # what the student's own earlier values imply
    slip: str | None = None     # for a carried cell: the step where its chain went wrong
    weight: float = 1.0
    scored: bool = True         # False for an input row: judged and reported, never scored
    public_reason: str = ""     # the reason without expected values (--hide-expected)
    diagnosis: Any = None       # a diagnose.Diagnosis on wrong cells (what slip explains it)
    formula: Any = None         # a formula.FormulaNote when the cell shows the student's formula

    @property
    def mark(self) -> str:
        return MARKS[self.verdict]


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------
@dataclass
class VerifyReport:
    cells: list[Cell]
    problems: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""
    tolerance: Tolerance = field(default_factory=lambda: Tolerance("digits"))
    min_digits: int = DEFAULT_MIN_DIGITS
    notes: list[str] = field(default_factory=list)   # about the judging itself (no reference, ...)
    wrong_inputs: str = "carry"  # what cells computed from a wrong input earn (see verify)

    @property
    def counts(self) -> dict[str, int]:
        """Verdict → number of cells, input rows included (they are judged and reported,
        only never scored: see ``input_cells`` and ``score``)."""
        out = {v: 0 for v in VERDICTS}
        for c in self.cells:
            out[c.verdict] += 1
        return out

    @property
    def input_cells(self) -> list[Cell]:
        """The cells of input rows: read, judged and carried forward, never scored."""
        return [c for c in self.cells if not c.scored and c.verdict != "extra"]

    @property
    def ok(self) -> bool:
        """True when no cell is wrong, imprecise or missing (carried cells are forgiven;
        a wrong input row counts too, though it earns no points)."""
        return not any(c.verdict in ("wrong", "missing", "imprecise") for c in self.cells)

    @property
    def slips(self) -> list[Cell]:
        """The first real mistakes: wrong cells (each chain of carried cells starts at one)."""
        return [c for c in self.cells if c.verdict == "wrong"]

    @property
    def first_slip(self) -> Cell | None:
        return self.slips[0] if self.slips else None

    @property
    def suspicious(self) -> list[str]:
        """Slips with a value of 0 or ±1 that later carried cells lean on: such a value
        makes later steps trivial, so a grader should look at it."""
        roots = {c.slip for c in self.cells if c.verdict == "carried" and c.slip}
        out = []
        for c in self.cells:
            if c.step in roots and c.verdict == "wrong" and c.given is not None and c.given in (0.0, 1.0, -1.0):
                out.append(f"{c.step} {c.column} = {c.text or c.given}")
        return out

    def score(self, carried_credit: float = 1.0) -> tuple[float, float]:
        """(points, max points): correct cells earn their weight, carried cells a share."""
        if not 0.0 <= carried_credit <= 1.0:
            raise ValueError(f"carried credit must be between 0 and 1, got {carried_credit}")
        got = total = 0.0
        for c in self.cells:
            if c.verdict == "extra" or not c.scored:
                continue
            total += c.weight
            if c.verdict == "correct":
                got += c.weight
            elif c.verdict == "carried":
                got += c.weight * carried_credit
        return got, total

    # -- presentation ---------------------------------------------------------
    def table(self, fmt: str = "github", digits: int = 8, hide_expected: bool = False) -> str:
        """Every cell: the text as written, the number read from it, the true value (unless
        ``hide_expected``), the verdict and its reason."""
        from .numfmt import format_number
        from .render import render_table

        if fmt == "json":
            return self.to_json(hide_expected=hide_expected)
        headers = ["step", "column", "given", "read"] + ([] if hide_expected else ["expected"]) + ["verdict", "reason"]
        rows = []
        for c in self.cells:
            row = [c.step + ("" if c.scored or c.verdict == "extra" else " (input)"), c.column,
                   _given_text(c), _read_text(c)]
            if not hide_expected:
                row.append(format_number(c.expected, digits))
            row += [f"{c.mark} {c.verdict}", c.public_reason if hide_expected else c.reason]
            rows.append(row)
        if any(c.diagnosis is not None or c.formula is not None for c in self.cells):
            headers.append("diagnosis")
            for row, c in zip(rows, self.cells):
                row.append(cell_notes(c))
        return render_table(headers, rows, fmt)

    def summary(self, carried_credit: float = 1.0) -> str:
        counts = self.counts
        got, total = self.score(carried_credit)
        parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v]]
        line = f"{'OK' if self.ok else 'NOT OK'}: " + ", ".join(parts) + f" (score {got:g}/{total:g}"
        if self.input_cells:
            line += ", input rows not scored"
        if carried_credit != 1.0 and counts["carried"]:
            line += f", carried cells at {carried_credit:g} of a mark"
        line += ")"
        slip = self.first_slip
        if slip is not None:
            line += f"; first slip: {one_line(slip.step)} {one_line(slip.column)}"
        wrong_inputs = [c for c in self.input_cells if c.verdict == "wrong"]
        if wrong_inputs:
            tail = (" (not scored; the cells computed from it earn no carried credit)" if self.wrong_inputs == "strict"
                    else " (not scored, carried forward)")
            line += "; wrong input " + ", ".join(f"{one_line(c.step)} {one_line(c.column)} = {one_line(_given_text(c))}"
                                                 for c in wrong_inputs) + tail
        if self.suspicious:
            line += "; look at: " + ", ".join(map(one_line, self.suspicious)) + " (later carried cells rely on it)"
        return line

    def to_dict(self, hide_expected: bool = False) -> dict:
        from .numfmt import json_number

        def cell(c: Cell) -> dict:
            out = {"step": c.step, "column": c.column, "given": json_number(c.given), "text": c.text,
                   "verdict": c.verdict, "reason": c.public_reason if hide_expected else c.reason,
                   "scored": c.scored}
            if not hide_expected:
                out["expected"] = json_number(c.expected)
                if c.verdict == "carried":
                    out["carried_expected"] = json_number(c.carried_expected)
            if c.verdict == "carried":
                out["slip"] = c.slip
            if c.diagnosis is not None:
                out["diagnosis"] = c.diagnosis.to_dict()
            if c.formula is not None:
                out["formula"] = c.formula.to_dict()
            return out

        return {
            "source": self.source,
            "ok": self.ok,
            "counts": self.counts,
            "score": list(self.score()),
            "tolerance": self.tolerance.describe(None) if self.tolerance.kind != "digits" else "digits",
            "min_digits": self.min_digits,
            "first_slip": None if self.first_slip is None else
            {"step": self.first_slip.step, "column": self.first_slip.column},
            "suspicious": self.suspicious,
            "notes": list(self.notes),
            "problems": [{"where": w, "reason": r} for w, r in self.problems],
            "cells": [cell(c) for c in self.cells],
        }

    def to_json(self, indent: int | None = 2, hide_expected: bool = False) -> str:
        return dumps(self.to_dict(hide_expected=hide_expected), indent=indent)

    def gradescope(self, carried_credit: float = 1.0, name: str = "", hide_expected: bool = False) -> dict:
        return gradescope_results(self, carried_credit=carried_credit, name=name, hide_expected=hide_expected)

    def _repr_markdown_(self) -> str:
        return self.summary() + "\n\n" + self.table("github")

    def __str__(self) -> str:
        return self.table("simple") + "\n" + self.summary()


# ---------------------------------------------------------------------------
# Gradescope
# ---------------------------------------------------------------------------
def gradescope_results(report: VerifyReport, carried_credit: float = 1.0, name: str = "",
                       hide_expected: bool = False) -> dict:
    """A Gradescope autograder ``results.json`` document: one test per scored step.

    ``output`` starts with the summary, which states the same score as ``score``;
    ``hide_expected`` keeps true values out of everything students see.
    (A report format like ``to_dict``: it lives beside the report, and grading re-exports it.)
    """
    got, total = report.score(carried_credit)
    by_step: dict[str, list] = {}
    for c in report.cells:
        if c.verdict != "extra" and c.scored:
            by_step.setdefault(c.step, []).append(c)
    tests = []
    for step, cells in by_step.items():
        earned = sum(c.weight * (1.0 if c.verdict == "correct" else carried_credit if c.verdict == "carried" else 0.0)
                     for c in cells)
        possible = sum(c.weight for c in cells)
        # user text (reasons quote cells) one line each: a cell cannot forge a line of the report
        lines = []
        for c in cells:
            why = c.public_reason if hide_expected else c.reason
            line = f"{one_line(c.column)}: {c.mark} {c.verdict}, read {one_line(_read_text(c))} from {one_line(repr(_given_text(c)))}"
            notes = cell_notes(c)
            lines.append(line + (f" - {one_line(why)}" if why else "") + (f"\n  {one_line(notes)}" if notes else ""))
        tests.append({
            "name": f"step {one_line(step)}",
            "score": round(earned, 6),
            "max_score": round(possible, 6),
            "status": "passed" if all(c.verdict in ("correct", "carried") for c in cells) else "failed",
            "output": "\n".join(lines),
            "visibility": "visible",
        })
    output = report.summary(carried_credit)
    for c in report.input_cells:
        if c.verdict == "wrong":
            why = c.public_reason if hide_expected else c.reason
            output += f"\nInput {one_line(c.step)} {one_line(c.column)}: {one_line(why)}"
    extra = [c for c in report.cells if c.verdict == "extra"]
    if extra:
        output += "\nRows for steps the program does not have: " + ", ".join(dict.fromkeys(one_line(c.step) for c in extra))
    if report.problems:
        output += "\nProblems reading the table: " + "; ".join(f"{one_line(w)}: {one_line(r)}" for w, r in report.problems)
    for note in report.notes:
        output += "\n" + one_line(note)
    score, max_score = round(got, 6), round(total, 6)
    return {"score": score, "max_score": max_score, "output": output,
            "visibility": "visible", "stdout_visibility": "visible", "tests": tests,
            **({"name": name} if name else {})}


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------
def _near(target: float, given: float, decimals: int | None, slack: float) -> bool:
    if not slack or not math.isfinite(target):
        return False
    unit = 10.0 ** -decimals if decimals is not None else 0.0
    return abs(given - target) <= unit + slack + 1e-12 * max(1.0, abs(target))


def cell_notes(c: Cell) -> str:
    """The diagnosis and the formula note of a cell, as one line (empty when none)."""
    parts = []
    if c.diagnosis is not None:
        parts.append(f"[{', '.join(c.diagnosis.codes)}] {c.diagnosis.sentence}")
    if c.formula is not None and not c.formula.agrees:
        parts.append(f"formula: {c.formula.sentence}")
    return "; ".join(parts)


def _given_text(c: Cell) -> str:
    """The cell as written (one line, at most 40 characters)."""
    text = " ".join(c.text.split())
    if not text and c.given is not None:
        return repr(c.given)
    return text if len(text) <= 40 else text[:39] + "…"


def _read_text(c: Cell) -> str:
    """The number read from the cell, with every digit that was read: a misread shows."""
    if c.given is None:
        return "-"
    g = c.given
    return repr(g) if not math.isfinite(g) else (f"{g:.17g}" if repr(g) != repr(float(f"{g:.17g}")) else repr(g))


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _short(v: float) -> str:
    if type(v) is float:  # the expected values recur in every submission's reasons
        return _short_float(v)
    return format_number(v, 10)


@functools.lru_cache(maxsize=4096)
def _short_float(v: float) -> str:
    return format_number(v, 10)


def verify(trace: Any, hand: Any, tol: Any = "digits", carry_forward: bool = True,
           weights: Mapping[Any, float] | None = None, min_digits: int = DEFAULT_MIN_DIGITS,
           diagnose: bool = True, wrong_inputs: str = "carry") -> VerifyReport:
    """Judge every cell of ``hand`` against ``trace`` (see the module docstring).

    ``hand`` is a dict, a path, a table text or an already read :class:`HandTable`.
    ``weights`` maps a step name, or a (step, column) pair, to a cell weight
    (default 1) for partial credit.  ``min_digits`` is the fewest significant digits a
    value must show to earn its mark (0 turns the rule off).  ``diagnose`` (default True)
    explains every wrong cell (``cell.diagnosis``, see :mod:`dualdiff.diagnose`).

    ``wrong_inputs`` says what an input row written differently from the one given does
    to the cells computed from it (docs/grading.md, rule 5): ``"carry"`` (the default,
    SPEC §7) -- the input is reported, never scored, and carried forward like any slip,
    so those cells are ``carried``; ``"strict"`` -- the student worked another problem:
    those cells are ``wrong`` (no carried credit), and a table whose first rows are all
    another point's (input row left out) is judged at that point.  ``Grader`` with
    per-student variants uses ``"strict"``, so that a classmate's copied table earns nothing.
    """
    if wrong_inputs not in ("carry", "strict"):
        raise ValueError(f"wrong_inputs must be 'carry' or 'strict', got {wrong_inputs!r}")
    tolerance = parse_tol(tol)
    weights = check_weights(trace, weights)
    if isinstance(min_digits, bool) or not isinstance(min_digits, int) or min_digits < 0:
        raise ValueError(f"min_digits must be a whole number >= 0, got {min_digits!r}")
    if getattr(trace, "has_arrays", False):
        # Vectors and matrices: judged on the table's layout, one row per component
        # (z1[0]; a student's z1_0 or z1₀ is read as that component too).
        from .trace import alias_components

        from .handvectors import component_trace, spread_lists

        view = component_trace(trace)  # component rows that carry a student's slips forward
        groups = [w for w in trace.wrt if np.ndim(trace.inputs[w])]
        table = hand if isinstance(hand, HandTable) else read_hand_table(hand, wrt=list(view.wrt), groups=groups)
        alias_components(table, trace)
        table = spread_lists(table, trace)  # [0.1, 0.2] in one cell: one cell per component
        if (any(_is_second(c) for c in table.columns) or order2(trace)) and trace.wrt:
            view = component_trace(with_second(trace))  # d²/dx[0] dx[1] columns per component
        trace = view
    else:
        table = hand if isinstance(hand, HandTable) else read_hand_table(hand, wrt=list(trace.wrt))
        if (any(_is_second(c) for c in table.columns) or order2(trace)) and trace.wrt:
            trace = with_second(trace)
    report = _judge(trace, table, tolerance, carry_forward, weights or {}, min_digits, wrong_inputs)
    if wrong_inputs == "strict" and not getattr(trace, "has_arrays", False):
        point = other_point(trace, table, report)
        if point is not None:  # worked at another point: judged as if its input row said so
            report = _judge(trace, point[0], tolerance, carry_forward, weights or {}, min_digits, wrong_inputs)
            report.notes.append(point[1])
    if diagnose:
        from .diagnose import diagnose_report

        diagnose_report(trace, report, table)
    return report


def first_row_misses(trace: Any, table: HandTable, report: VerifyReport) -> tuple[dict[str, float], list] | None:
    """For :func:`other_point`: the student's inputs as written (None when an input row
    differs from the one given -- rule 5 judges that directly) and the wrong cells of the
    first rows (steps computed from the inputs alone) with their written decimals."""
    names = [s.name for s in trace.input_steps]
    mine = {n: _float(trace[n].value) for n in names}
    written: dict[str, str] = {}
    for n in names:
        row = table.rows.get(n) or table.rows.get(normalize_step_name(n))
        cell = (row or {}).get("value")
        if cell is None or cell.number is None:
            continue
        if cell.number != mine[n]:
            return None
        written[n] = cell.text.strip()
    first = {s.name for s in trace.steps if set(s.deps) <= set(names)}
    wrong = []
    for c in report.cells:
        if c.verdict == "wrong" and c.given is not None and c.scored and c.step in first:
            row = table.rows.get(c.step) or table.rows.get(normalize_step_name(c.step)) or {}
            cell = row.get(c.column)
            if cell is None or cell.decimals is None:
                return None
            wrong.append((c, cell.decimals))
    return written, wrong


def table_at_point(trace: Any, table: HandTable, point: Mapping[str, float], written: Mapping[str, str],
                   why: str) -> tuple[HandTable, str]:
    """``table`` with the input rows it was computed at written in (``x = 2 (inferred)``,
    what the student wrote kept in the text), and the note saying why."""
    names = [s.name for s in trace.input_steps]
    rows = dict(table.rows)
    for n in names:
        text = f"{point[n]:g} (inferred" + (f"; written: {written[n]})" if n in written else ")")
        key = n if n in rows or normalize_step_name(n) not in rows else normalize_step_name(n)
        rows[key] = {**rows.get(key, {}), "value": HandCell(text, float(point[n]), None, None)}
    shown = ", ".join(f"{n} = {point[n]:g}" for n in names if point[n] != _float(trace[n].value))
    note = (f"note: the first rows are what {why} gives (inputs {shown}), not the inputs given: the table was "
            "judged as computed at those inputs, which earn no carried credit")
    return HandTable(table.columns, rows, list(table.problems), table.source), note


def other_point(trace: Any, table: HandTable, report: VerifyReport) -> tuple[HandTable, str] | None:
    """Was the table worked at another point, its input row left out (or showing the
    given inputs)?  When the wrong cells of the first rows -- at least two -- are all,
    to the digits written, the cells at one other point (an input changed to x ± 1, 2x,
    x/2, -x, 0, 1, 10x, x/10 or another input's value: the diagnosis's other points),
    the table is judged as if its input row said so (rule 5: no carried credit), with a
    note.  None otherwise."""
    found = first_row_misses(trace, table, report)
    if found is None or len(found[1]) < 2:
        return None
    written, wrong = found
    from .diagnose import OTHER_POINTS

    base = {s.name: _float(s.value) for s in trace.input_steps}
    first = list(dict.fromkeys(c.step for c, _ in wrong))
    for name, v in base.items():
        cands = [f(v) for f in OTHER_POINTS] + [u for other, u in base.items() if other != name]
        for cand in dict.fromkeys(c for c in cands if c != v and math.isfinite(c)):
            point = {**base, name: float(cand)}
            env = {n: (x, {w: 1.0 if w == n else 0.0 for w in trace.wrt}) for n, x in point.items()}
            try:
                at = {st: trace.evaluate_step(st, {d: env[d] for d in trace[st].deps}) for st in first}
            except (ValueError, ArithmeticError, TypeError, KeyError):
                continue
            ok = True
            for c, decimals in wrong:
                val, der = at[c.step]
                v_at = _float(val if c.column == "value" else der.get(c.column[3:]))
                if not (math.isfinite(v_at) and abs(c.given - v_at) <= 10.0 ** -decimals * (1 + 1e-9)):
                    ok = False
                    break
            if ok:
                return table_at_point(trace, table, point, written, "another point")
    return None


def _is_second(column: str) -> bool:
    return column.startswith("d²/")


def order2(trace: Any) -> bool:
    """True for a trace with second derivatives (``order=2``)."""
    return any(s.derivs2 is not None for s in trace.steps)


def second_columns(trace: Any) -> dict[str, str]:
    """Column name -> ``derivs2`` key of every second-derivative column a trace has
    (``"d²/dw²"`` -> ``"w,w"``, ``"d²/dw db"`` -> ``"w,b"``), in table order."""
    wrt = list(trace.wrt)
    return {deriv2_name(a, b): f"{a},{b}" for i, a in enumerate(wrt) for b in wrt[i:]}


def with_second(trace: Any) -> Any:
    """The trace with second derivatives: itself when it has them, else a copy with them
    computed (cached on the trace; the trace itself and its tables are left as they are).
    A hand table with ``d²/dw²`` columns is judged against it."""
    if order2(trace):
        return trace
    cached = vars(trace).get("_dualdiff_with_second")
    if cached is None:
        import dataclasses
        from types import SimpleNamespace

        from .second import second_derivatives

        cached = dataclasses.replace(trace, steps=[dataclasses.replace(s) for s in trace.steps],
                                     input_steps=[dataclasses.replace(s) for s in trace.input_steps])
        values = {s.name: s.value for s in trace.input_steps}
        assignments = [SimpleNamespace(is_input=False, target=s.name, expr=s.node) for s in trace.steps]
        second_derivatives(cached, assignments, values, trace.exact)
        vars(cached)["_dualdiff_order2_asked"] = False  # judge only the d² columns a table has
        vars(trace)["_dualdiff_with_second"] = cached
    return cached


def check_weights(trace: Any, weights: Mapping[Any, Any] | None) -> dict[Any, float]:
    """The weights as floats, or a ``ValueError`` naming the first bad one.

    A weight is a finite number >= 0 (a negative, nan or infinite weight would give a
    negative, nan or infinite score), keyed by a step the program has (or a
    ``(step, column)`` pair with one of its columns): a misspelt step would otherwise be
    silently ignored.  Input rows are never scored, so a weight on one is refused too.

    >>> import dualdiff as dd
    >>> t = dd.trace_program("x = 1\\ny = x * x")
    >>> check_weights(t, {"y": 2, ("y", "d/dx"): 0.5})
    {'y': 2.0, ('y', 'd/dx'): 0.5}
    >>> check_weights(t, {"z": 1})
    Traceback (most recent call last):
    ...
    ValueError: weight for 'z': the program has no step 'z' (its steps: y)
    """
    if not weights:
        return {}
    if not isinstance(weights, Mapping):
        raise ValueError(f"weights must be a mapping of step (or (step, column)) to a number, "
                         f"got {type(weights).__name__}")
    rows = trace.component_view().rows if getattr(trace, "has_arrays", False) else trace.rows
    inputs = {s.name for s in trace.input_steps}
    steps: dict[str, str] = {}
    for s in list(trace.rows) + list(rows):
        steps.setdefault(s.name, s.name)
        steps.setdefault(normalize_step_name(s.name), s.name)
    columns = ["value"] + [f"d/d{w}" for w in trace.wrt] + list(second_columns(trace))
    scored = [s.name for s in rows if s.name not in inputs]
    out: dict[Any, float] = {}
    for key, w in weights.items():
        label = f"{key[0]}:{key[1]}" if isinstance(key, tuple) and len(key) == 2 else str(key)
        where = f"weight for {one_line(repr(label))}"
        step, column = (key if isinstance(key, tuple) and len(key) == 2 else (key, None))
        if not isinstance(step, str) or (column is not None and not isinstance(column, str)):
            raise ValueError(f"{where}: a weight is keyed by a step name or a (step, column) pair")
        name = steps.get(step, steps.get(normalize_step_name(step)))
        if name is None:
            shown = ", ".join(scored[:12]) + (", …" if len(scored) > 12 else "")
            raise ValueError(f"{where}: the program has no step {one_line(repr(step))} (its steps: {shown})")
        if name in inputs:
            raise ValueError(f"{where}: {name} is an input; input rows are never scored")
        if column is not None and column not in columns:
            raise ValueError(f"{where}: no column {one_line(repr(column))} (the columns: {', '.join(columns)})")
        if isinstance(w, bool) or not isinstance(w, (int, float)) and not hasattr(w, "__float__"):
            raise ValueError(f"{where}: {one_line(repr(w))} is not a number")
        try:
            f = float(w)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{where}: {one_line(repr(w))} is not a number") from None
        if not math.isfinite(f) or f < 0:
            raise ValueError(f"{where}: must be a finite number >= 0, got {one_line(repr(w))}")
        out[(name, column) if column is not None else name] = f  # "u_1" weighs step u1
    return out


def truths(trace: Any) -> tuple[dict[tuple[str, str], Truth], list[str]]:
    """The true value of every (step, column) cell -- from the trace's high-precision
    reference (``dualdiff.reference``, computed once per trace), with the interval of
    one-sided derivatives at kinks (``dualdiff.subgradients``) -- and notes about it."""
    cached = vars(trace).get("_dualdiff_truths")
    if cached is not None:
        return cached
    from .reference import reference_of
    from .subgradients import kink_bounds

    notes: list[str] = []
    try:
        # a component view (vector steps): the components of the whole trace's mpmath re-run
        ref = _PreciseRows(trace) if getattr(trace, "components_of", None) is not None else reference_of(trace)
    except Exception as exc:  # the float trace still judges; never a crash over the reference
        ref = None
        notes.append(f"note: no high-precision reference ({type(exc).__name__}); judged against the float trace")
    try:
        bounds = kink_bounds(trace)
    except Exception:  # no intervals: the trace's convention still judges
        bounds = {}
    out: dict[tuple[str, str], Truth] = {}
    fallback = []
    for s in trace.rows:
        if ref is not None and ref.has(s.name):
            out[(s.name, "value")] = Truth(_float(ref.value(s.name)), ref.value(s.name))
            for w in trace.wrt:
                d = ref.deriv(s.name, w)
                out[(s.name, f"d/d{w}")] = Truth(_float(d), d, bounds.get(s.name, {}).get(w))
        else:
            if ref is not None:
                fallback.append(s.name)
            out[(s.name, "value")] = Truth(_float(s.value))
            for w in trace.wrt:
                out[(s.name, f"d/d{w}")] = Truth(_float(s.derivs.get(w)), None, bounds.get(s.name, {}).get(w))
    if fallback:
        notes.append("note: judged against the float trace (no high-precision reference): " + ", ".join(fallback))
    if order2(trace):
        _second_truths(trace, out, notes)
    vars(trace)["_dualdiff_truths"] = (out, notes)  # once per trace, not per submission
    return out, notes


class _PreciseRows:
    """The high-precision values and derivatives of a trace's rows, from the mpmath re-run
    of the whole trace (``reference.precise_of``); a component view's rows are the
    components of its vector trace's re-run.  ``has`` is False for a row the re-run could
    not compute (then the float trace judges it, and a note says so)."""

    def __init__(self, trace: Any):
        from .reference import precise_of

        from .handvectors import component_trace

        parent = getattr(trace, "components_of", None)
        pt = precise_of(parent if parent is not None else trace)
        hi = component_trace(pt.hi) if parent is not None else pt.hi  # with derivs2 per component
        failed = set(pt.failed)
        self.rows = {}
        for s in hi.rows:
            if s.name.split("[")[0] not in failed:  # a component row "z1[0]" belongs to step z1
                self.rows[s.name] = s
        self.whole = pt.whole

    def has(self, name: str) -> bool:
        return name in self.rows

    def value(self, name: str) -> Any:
        return self.rows[name].value

    def deriv(self, name: str, w: str) -> Any:
        return self.rows[name].derivs[w]

    def deriv2(self, name: str, key: str) -> Any:
        d2 = self.rows[name].derivs2
        return None if d2 is None or key not in d2 else d2[key]


def _second_truths(trace: Any, out: dict[tuple[str, str], Truth], notes: list[str]) -> None:
    """Truths of the second-derivative cells (``d²/dw²``, ``d²/dw db``), with the interval
    of one-sided second derivatives at kinks."""
    from .subgradients import kink_bounds2

    try:
        bounds = kink_bounds2(trace)
    except Exception:  # never a crash over the intervals: the trace's convention still judges
        bounds = {}
    try:
        ref: Any = _PreciseRows(trace)
        if not ref.whole:
            ref = None
    except Exception:  # the float trace still judges; the note says so
        ref = None
    cols = second_columns(trace)
    fallback = []
    for s in trace.rows:
        d2 = s.derivs2 or {}
        for col, key in cols.items():
            precise = ref.deriv2(s.name, key) if ref is not None and ref.has(s.name) else None
            if precise is None:
                v = d2[key] if key in d2 else None
                out[(s.name, col)] = Truth(_float(v), None, bounds.get(s.name, {}).get(key))
                if s.name not in fallback:
                    fallback.append(s.name)
            else:
                out[(s.name, col)] = Truth(_float(precise), precise, bounds.get(s.name, {}).get(key))
    if fallback:
        notes.append("note: second derivatives judged against the float trace (no high-precision reference): "
                     + ", ".join(fallback))


def _judge(trace: Any, table: HandTable, tol: Tolerance, carry_forward: bool,
           weights: Mapping[Any, float], min_digits: int = DEFAULT_MIN_DIGITS,
           wrong_inputs: str = "carry") -> VerifyReport:
    """Every cell's verdict, row by row, tracking what the student's own numbers are.

    Each row ends in one of these states (what later rows computed from it may lean on):

    * ``true``     -- the student's numbers are the true ones (or the row is absent and
      the truth stands in for it);
    * ``drift``    -- correct, but rounded or truncated at the precision written: a later
      cell that is what these rounded numbers give is *correct* (no slip was made);
    * ``rough``    -- right as far as written but with too few digits (``imprecise``): later
      cells that follow from it are ``carried`` (or ``imprecise`` when they too show too
      few digits);
    * ``slip``     -- a wrong cell, or one carried from such a cell: later cells that
      follow from it are ``carried`` (error carried forward);
    * ``offpoint`` -- an input written differently from the one given, or a row computed
      from one: the student worked a different problem, so later cells that follow from
      it are ``wrong`` (no carried credit), with the reason saying so (``wrong_inputs=
      "strict"``; under ``"carry"`` a wrong input is a ``slip`` like any other).
    """
    # Second-derivative columns: every one of an order-2 trace's (the table it shows);
    # of a trace computed to order 2 only for this table, those the table has.
    seconds = second_columns(trace) if order2(trace) else {}
    if seconds and not getattr(trace, "_dualdiff_order2_asked", order2(trace)):
        seconds = {c: k for c, k in seconds.items() if c in table.columns}
    columns = ["value"] + [f"d/d{w}" for w in trace.wrt] + list(seconds)
    true_cells, notes = truths(trace)
    truth: dict[str, tuple[float, dict[str, float], dict[str, float]]] = {}
    for s in trace.rows:
        truth[s.name] = (true_cells[(s.name, "value")].value,
                         {w: true_cells[(s.name, f"d/d{w}")].value for w in trace.wrt},
                         {k: true_cells[(s.name, c)].value for c, k in seconds.items()})
    inputs = {s.name for s in trace.input_steps}
    # The student's own numbers (readable cells only), falling back on the truth.
    own: dict[str, tuple[float, dict[str, float], dict[str, float]]] = {}
    units: dict[str, dict[str, float]] = {}  # how precisely each hand cell was written
    status: dict[str, str] = {}      # true | drift | slip | offpoint (see above)
    root: dict[str, str | None] = {}  # where a slip row's chain went wrong
    offpoint: dict[str, tuple[str, ...]] = {}  # the mismatched inputs a row follows from
    input_text: dict[str, str] = {}  # a mismatched input as written ("x = 1.5")
    cells: list[Cell] = []

    def weight(step: str, column: str) -> float:
        return float(weights.get((step, column), weights.get(step, 1.0)))

    for s in trace.rows:
        name = s.name
        row = table.rows.get(name)
        if row is None:
            row = table.rows.get(normalize_step_name(name))
        if row is None and name in inputs:
            own[name], status[name], root[name] = truth[name], "true", None
            units[name] = {}
            continue
        expected_v, expected_d, expected_d2 = truth[name]
        is_input = name in inputs
        dep_roots = [root[d] or d for d in s.deps if status.get(d) == "slip"]
        dep_rough = [root[d] or d for d in s.deps if status.get(d) == "rough"]
        dep_inputs = tuple(sorted({i for d in s.deps if status.get(d) == "offpoint" for i in offpoint[d]}))
        moved = not is_input and any(status.get(d, "true") != "true" for d in s.deps)
        own_eval: list[Any] = []  # [value, derivs] from the student's own earlier numbers, made on first need

        def from_own(col: str) -> float | None:
            if not moved:
                return None
            if not own_eval:
                try:
                    val, der = trace.evaluate_step(name, {d: own[d][:2] for d in s.deps})
                    own_eval.extend([_float(val), {w: _float(der.get(w)) for w in trace.wrt}])
                except (ValueError, ArithmeticError, TypeError):
                    own_eval.extend([None, {}])
            if col in seconds:  # second derivatives from the student's own first and second ones
                if len(own_eval) < 3:
                    own_eval.append(_carried_second(trace, s, {d: own[d] for d in s.deps}))
                return own_eval[2].get(seconds[col])
            return own_eval[0] if col == "value" else own_eval[1].get(col[3:])

        partials: list[dict[str, Any]] = []

        def slack(col: str) -> float:
            # The student's earlier cells (of a slip chain) are only known to ±1 unit of
            # their last written place; what they imply is uncertain by Σ |∂step/∂dep|·unit(dep).
            if not partials:
                partials.append(trace.local_partials(s))
            return sum(abs(_float(p)) * units.get(d, {}).get(col, 0.0) for d, p in partials[0].items())

        own_v, own_d, own_d2 = expected_v, dict(expected_d), dict(expected_d2)
        units[name] = {}
        kinds: list[str] = []
        for col in columns:
            cell = (row or {}).get(col)
            if cell is not None and cell.number is not None and cell.decimals is not None and not is_input:
                units[name][col] = 10.0 ** -cell.decimals
            c, kind = _judge_cell(name, col, true_cells[(name, col)], cell, tol, min_digits,
                                  from_own, slack, dep_roots, dep_rough, dep_inputs, input_text, carry_forward)
            c.weight = weight(name, col)
            if is_input:
                if c.verdict == "missing":
                    continue  # inputs are given; a table need not repeat them
                c.scored = False
                if c.verdict == "wrong" and wrong_inputs == "carry":
                    kind = "slip"  # SPEC §7: reported and carried forward, never scored
                    note = "an input: reported and carried forward, never scored"
                    c.reason = f"{c.reason}; {note}"
                    c.public_reason = f"{c.public_reason}; {note}"
                elif c.verdict == "wrong":
                    kind = "offpoint"
                    input_text[name] = f"{name} = {_given_text(c)}" if col == "value" else f"{name} {col} = {_given_text(c)}"
                    note = ("an input: reported, never scored; the cells computed from it earn no carried credit "
                            "(inputs are given, not computed)")
                    c.reason = f"{c.reason}; {note}"
                    c.public_reason = f"{c.public_reason}; {note}"
            cells.append(c)
            kinds.append(kind)
            if c.given is not None:
                if col == "value":
                    own_v = c.given
                elif col in seconds:
                    own_d2[seconds[col]] = c.given
                else:
                    own_d[col[3:]] = c.given
        own[name] = (own_v, own_d, own_d2)
        offpoint[name] = ()
        if "slip" in kinds:
            status[name], root[name] = "slip", name
        elif "carried" in kinds:
            status[name], root[name] = "slip", (dep_roots or dep_rough or [name])[0]
        elif "offpoint" in kinds:
            status[name], root[name] = "offpoint", None
            offpoint[name] = (name,) if is_input else dep_inputs
        elif "rough" in kinds:
            status[name], root[name] = "rough", (dep_rough or [name])[0]
        else:
            status[name] = "drift" if "drift" in kinds else "true"
            root[name] = None

    known = {s.name for s in trace.rows} | {normalize_step_name(s.name) for s in trace.rows}
    for name, row in table.rows.items():
        if name not in known:
            for col, cell in row.items():
                why = f"the program has no step {name!r}"
                cells.append(Cell(name, col, None, cell.number, "extra", why, cell.text, weight=0.0,
                                  public_reason=why))
    problems = list(table.problems)
    for col in table.columns:
        if _is_second(col) and col not in seconds:
            problems.append((col, "second-derivative column not judged: "
                                  + ("the trace has no such input pair" if order2(trace) else "no inputs to differentiate")))
    return VerifyReport(cells, problems, table.source, tol, min_digits, list(notes), wrong_inputs)


def _carried_second(trace: Any, step: Any, env: Mapping[str, tuple]) -> dict[str, float]:
    """The second derivatives a step's operands' own (hand) numbers imply, or {} when
    they cannot be computed (a vector step)."""
    from .second import second_of_step

    try:
        if step.node is None or any(np.ndim(v[0]) for v in env.values()):
            return {}  # a component of a vector step: its second derivatives are not carried
        return {k: _float(v) for k, v in second_of_step(step.node, list(trace.wrt), env, trace.exact).items()}
    except (ValueError, ArithmeticError, TypeError):
        return {}


def _rounded_agrees(own: float, true: float, given: float, decimals: int | None, tol: Tolerance) -> bool:
    """Is ``given`` what the student's own rounded (correct) earlier numbers give?  Less
    than a unit of its last written place from the segment between the value of their
    rounded numbers and the true value: all rounded, all full precision, or a mix."""
    if not (math.isfinite(own) and math.isfinite(given)):
        return False
    if tol.kind != "digits" or decimals is None or not math.isfinite(true):
        return tol.accepts(own, given, decimals)
    lo, hi = min(own, true), max(own, true)
    d = 0.0 if lo <= given <= hi else min(abs(given - lo), abs(given - hi))
    return d < digits_tolerance(decimals) * (1 - 1e-12) + 1e-12 * max(abs(given), abs(own), 1e-300) or \
        tol.accepts(own, given, decimals)


def _judge_cell(step: str, column: str, truth: Truth, cell: HandCell | None, tol: Tolerance,
                min_digits: int, from_own: Any, slack: Any, dep_roots: list[str], dep_rough: list[str],
                dep_inputs: tuple[str, ...], input_text: Mapping[str, str],
                carry_forward: bool = True) -> tuple[Cell, str]:
    """(the judged cell, what it says about the row: true | drift | rough | slip | carried | offpoint)."""
    expected = truth.value
    if cell is None:
        why = "no cell for it in the hand table"
        return Cell(step, column, expected, None, "missing", why, public_reason=why), "true"
    if cell.mismatch or (cell.shape is not None and not cell.problem):
        # a list of the wrong shape: its own reason, never graded in part
        if not cell.mismatch and len(cell.items) == 1:
            cell = cell.items[0]  # [0.5] for one number
        else:
            why = cell.mismatch or (f"{len(cell.items)} numbers given in a list where {step} {column} "
                                    "is one number; a list of the wrong shape is not graded in part")
            return Cell(step, column, expected, None, "wrong", why, cell.text, public_reason=why), "slip"
    if cell.number is None:
        why = f"unreadable: {cell.problem}" if cell.problem else "empty cell"
        return Cell(step, column, expected, None, "missing", why, cell.text, public_reason=why), "true"
    given, decimals = cell.number, cell.decimals
    verdict, note = judge(truth, given, decimals, tol, min_digits)
    written = cell.text.strip() or _short(given)
    same = given == expected or (truth.interval is not None and truth.interval[0] <= given <= truth.interval[1])
    if verdict is not None:
        if verdict == "correct":
            return (Cell(step, column, expected, given, "correct", note, cell.text, public_reason=note),
                    "true" if same else "drift")
        why = f"expected {_short(expected)}, given {written}: {note}"
        return (Cell(step, column, expected, given, verdict, why, cell.text, public_reason=f"given {written}: {note}"),
                "true" if same else "rough")
    base = f"expected {_short(expected)}, given {written} ({tol.describe(decimals)})"
    public = f"given {written} ({tol.describe(decimals)})"
    if note:
        base, public = f"{base}; {note}", f"{public}; {note}"
    carried = from_own(column)
    if carried is None or not math.isfinite(carried):
        return Cell(step, column, expected, given, "wrong", base, cell.text, public_reason=public), "slip"
    shown = significant_digits(given, decimals)
    few = shown is not None and shown < min_digits and not (
        abs(given - carried) <= 1e-12 * max(1.0, abs(carried)))  # 48 from their own 24 + 24
    chain = bool(dep_roots or dep_rough or dep_inputs)
    if chain:
        agrees = tol.accepts(carried, given, decimals) or _near(carried, given, decimals, slack(column))
    else:
        agrees = _rounded_agrees(carried, expected, given, decimals, tol)
    if not agrees:
        return Cell(step, column, expected, given, "wrong", base, cell.text, carried, public_reason=public), "slip"
    if dep_inputs:
        given_inputs = ", ".join(input_text.get(i, i) for i in dep_inputs)
        why = (f"follows from your input {given_inputs} (they give {_short(carried)}), not from the input the "
               "worksheet gives: a table at other inputs earns no carried credit")
        return (Cell(step, column, expected, given, "wrong", f"{why}; {base}", cell.text, carried,
                     public_reason=f"follows from your input {given_inputs}, not from the input the worksheet "
                                   f"gives: a table at other inputs earns no carried credit; {public}"),
                "offpoint")
    if not (dep_roots or dep_rough):
        # only rounding moved the student's numbers: what their rounded numbers give is right
        why = f"what your rounded earlier values give ({_short(carried)}; the exact value is {_short(expected)})"
        pub = "what your rounded earlier values give"
        if few:
            too = too_few_digits(shown, min_digits)
            return (Cell(step, column, expected, given, "imprecise", f"{why}; {too}", cell.text, carried,
                         public_reason=f"{pub}; {too}"), "rough")
        return Cell(step, column, expected, given, "correct", why, cell.text, carried, public_reason=pub), "drift"
    if not carry_forward:
        return Cell(step, column, expected, given, "wrong", base, cell.text, carried, public_reason=public), "slip"
    roots_list = list(dict.fromkeys(dep_roots + dep_rough))
    roots = ", ".join(roots_list)
    if few:
        if dep_roots:  # few digits earn no carried credit from a real slip: a guess leaning on a slip
            return Cell(step, column, expected, given, "wrong", base, cell.text, carried, public_reason=public), "slip"
        too = too_few_digits(shown, min_digits)
        return (Cell(step, column, expected, given, "imprecise",
                     f"follows from your earlier value(s) of {roots}, but {too}; {base}", cell.text, carried,
                     public_reason=f"follows from your earlier value(s) of {roots}, but {too}; {public}"),
                "rough")
    return (Cell(step, column, expected, given, "carried",
                 f"follows from your earlier value(s) of {roots} (they give {_short(carried)}); {base}",
                 cell.text, carried, roots_list[0],
                 public_reason=f"follows from your earlier value(s) of {roots}; {public}"), "carried")
