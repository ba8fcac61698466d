"""Verify a hand-written table against the true trace, cell by cell, like a careful TA.

Every (step, column) cell gets one verdict:

* ``correct`` -- within tolerance of the true value;
* ``carried`` -- wrong, but exactly what the student's *own* earlier (wrong) values
  imply: error carried forward, so one slip costs one mark;
* ``wrong``   -- neither; the first wrong cell of a chain is its *slip*;
* ``missing`` -- no cell, an empty cell, or text with no readable number (the reason
  says which);
* ``extra``   -- a row for a step the program does not have.

Tolerances: ``tol="digits"`` (default) accepts a hand value that differs from the true
value by at most one unit in its last written decimal place, so rounding and
truncation both pass (0.8414 and 0.8415 for 0.84147…) while 0.5463 for 0.54030…
fails; ``tol={"rtol": …, "atol": …}`` uses :func:`numpy.isclose`'s rule.

>>> import dualdiff as dd
>>> t = dd.trace_program("x = 1\\nu = sin(x)\\ny = u * u")
>>> r = t.verify({"u": (0.8415, 0.5403), "y": (0.7081, 0.9093)})
>>> r.ok, r.counts["correct"]
(True, 4)
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .handtable import HandCell, HandTable, normalize_step_name, read_hand_table
from .tolerance import Tolerance, parse_tol  # parse_tol: re-exported

VERDICTS = ("correct", "carried", "wrong", "missing", "extra")
MARKS = {"correct": "✓", "carried": "↪", "wrong": "✗", "missing": "?", "extra": "+"}


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

    @property
    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for c in self.cells:
            out[c.verdict] += 1
        return out

    @property
    def ok(self) -> bool:
        """True when no cell is wrong or missing (carried cells are forgiven)."""
        return not any(c.verdict in ("wrong", "missing") for c in self.cells)

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
            if c.verdict == "extra":
                continue
            total += c.weight
            if c.verdict == "correct":
                got += c.weight
            elif c.verdict == "carried":
                got += c.weight * carried_credit
        return got, total

    # -- presentation ---------------------------------------------------------
    def table(self, fmt: str = "github", digits: int = 8) -> str:
        from .numfmt import format_number
        from .render import render_table

        if fmt == "json":
            return self.to_json()
        headers = ["step", "column", "given", "expected", "verdict", "reason"]
        rows = [[c.step, c.column, _given_text(c, digits),
                 format_number(c.expected, digits), f"{c.mark} {c.verdict}", c.reason] for c in self.cells]
        if any(c.diagnosis is not None or c.formula is not None for c in self.cells):
            headers.append("diagnosis")
            for row, c in zip(rows, self.cells):
                row.append(cell_notes(c))
        return render_table(headers, rows, fmt)

    def summary(self) -> str:
        counts = self.counts
        got, total = self.score()
        parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v]]
        line = f"{'OK' if self.ok else 'NOT OK'}: " + ", ".join(parts) + f" (score {got:g}/{total:g})"
        slip = self.first_slip
        if slip is not None:
            line += f"; first slip: {slip.step} {slip.column}"
        if self.suspicious:
            line += "; look at: " + ", ".join(self.suspicious) + " (later carried cells rely on it)"
        return line

    def to_dict(self) -> dict:
        from .numfmt import json_number

        return {
            "source": self.source,
            "ok": self.ok,
            "counts": self.counts,
            "tolerance": self.tolerance.describe(None) if self.tolerance.kind != "digits" else "digits",
            "first_slip": None if self.first_slip is None else
            {"step": self.first_slip.step, "column": self.first_slip.column},
            "suspicious": self.suspicious,
            "problems": [{"where": w, "reason": r} for w, r in self.problems],
            "cells": [{"step": c.step, "column": c.column, "given": json_number(c.given), "text": c.text,
                       "expected": json_number(c.expected), "verdict": c.verdict, "reason": c.reason,
                       **({"carried_expected": json_number(c.carried_expected), "slip": c.slip}
                          if c.verdict == "carried" else {}),
                       **({"diagnosis": c.diagnosis.to_dict()} if c.diagnosis is not None else {}),
                       **({"formula": c.formula.to_dict()} if c.formula is not None else {})}
                      for c in self.cells],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def gradescope(self, carried_credit: float = 1.0, name: str = "") -> dict:
        return gradescope_results(self, carried_credit=carried_credit, name=name)

    def _repr_markdown_(self) -> str:
        return self.summary() + "\n\n" + self.table("github")

    def __str__(self) -> str:
        return self.table("simple") + "\n" + self.summary()


# ---------------------------------------------------------------------------
# Gradescope
# ---------------------------------------------------------------------------
def gradescope_results(report: VerifyReport, carried_credit: float = 1.0, name: str = "") -> dict:
    """A Gradescope autograder ``results.json`` document: one test per step.

    (A report format like ``to_dict``: it lives beside the report, and grading re-exports it.)
    """
    got, total = report.score(carried_credit)
    by_step: dict[str, list] = {}
    for c in report.cells:
        if c.verdict != "extra":
            by_step.setdefault(c.step, []).append(c)
    tests = []
    for step, cells in by_step.items():
        earned = sum(c.weight * (1.0 if c.verdict == "correct" else carried_credit if c.verdict == "carried" else 0.0)
                     for c in cells)
        possible = sum(c.weight for c in cells)
        lines = [f"{c.column}: {c.mark} {c.verdict}" + (f" - {c.reason}" if c.reason else "")
                 + (f"\n  {cell_notes(c)}" if cell_notes(c) else "") for c in cells]
        tests.append({
            "name": f"step {step}",
            "score": round(earned, 6),
            "max_score": round(possible, 6),
            "status": "passed" if all(c.verdict in ("correct", "carried") for c in cells) else "failed",
            "output": "\n".join(lines),
            "visibility": "visible",
        })
    extra = [c for c in report.cells if c.verdict == "extra"]
    output = report.summary()
    if extra:
        output += "\nRows for steps the program does not have: " + ", ".join(dict.fromkeys(c.step for c in extra))
    if report.problems:
        output += "\nProblems reading the table: " + "; ".join(f"{w}: {r}" for w, r in report.problems)
    return {"score": round(got, 6), "max_score": round(total, 6), "output": output,
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


def _given_text(c: Cell, digits: int) -> str:
    """The cell as written when short, else the number read from it."""
    from .numfmt import format_number

    text = " ".join(c.text.split())
    if text and len(text) <= 24:
        return text
    return format_number(c.given, digits) if c.given is not None else text[:24] + "…"


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _short(v: float) -> str:
    from .numfmt import format_number

    return format_number(v, 10)


def verify(trace: Any, hand: Any, tol: Any = "digits", carry_forward: bool = True,
           weights: Mapping[Any, float] | None = None, diagnose: bool = True) -> VerifyReport:
    """Judge every cell of ``hand`` against ``trace`` (see the module docstring).

    ``hand`` is a dict, a path, a table text or an already read :class:`HandTable`.
    ``weights`` maps a step name, or a (step, column) pair, to a cell weight
    (default 1) for partial credit.  ``diagnose`` (default True) explains every wrong
    cell (``cell.diagnosis``, see :mod:`dualdiff.diagnose`).
    """
    tolerance = parse_tol(tol)
    table = hand if isinstance(hand, HandTable) else read_hand_table(hand, wrt=list(trace.wrt))
    report = _judge(trace, table, tolerance, carry_forward, weights or {})
    if diagnose:
        from .diagnose import diagnose_report

        diagnose_report(trace, report, table)
    return report


def _judge(trace: Any, table: HandTable, tol: Tolerance, carry_forward: bool,
           weights: Mapping[Any, float]) -> VerifyReport:
    columns = ["value"] + [f"d/d{w}" for w in trace.wrt]
    truth: dict[str, tuple[float, dict[str, float]]] = {}
    for s in trace.rows:
        truth[s.name] = (_float(s.value), {w: _float(s.derivs.get(w)) for w in trace.wrt})
    inputs = {s.name for s in trace.input_steps}
    # The student's own numbers (readable cells only), falling back on the truth.
    own: dict[str, tuple[float, dict[str, float]]] = {}
    units: dict[str, dict[str, float]] = {}  # how precisely each hand cell was written
    differs: dict[str, bool] = {}     # does the student's row differ from the truth?
    root: dict[str, str | None] = {}  # where a differing row's chain went wrong
    cells: list[Cell] = []

    def weight(step: str, column: str) -> float:
        return float(weights.get((step, column), weights.get(step, 1.0)))

    for s in trace.rows:
        name = s.name
        row = table.rows.get(name)
        if row is None:
            row = table.rows.get(normalize_step_name(name))
        if row is None and name in inputs:
            own[name], differs[name], root[name] = truth[name], False, None
            units[name] = {}
            continue
        expected_v, expected_d = truth[name]
        carried_v: float | None = None
        carried_d: dict[str, float] = {}
        dep_roots = [root[d] or d for d in s.deps if differs.get(d)]
        if carry_forward and dep_roots and not s.is_input:
            try:
                val, der = trace.evaluate_step(name, {d: own[d] for d in s.deps})
                carried_v, carried_d = _float(val), {w: _float(der.get(w)) for w in trace.wrt}
            except (ValueError, ArithmeticError, TypeError):
                carried_v = None
        own_v, own_d = expected_v, dict(expected_d)
        row_differs = False
        units[name] = {}
        partials = trace.local_partials(s) if carried_v is not None else {}
        for col in columns:
            exp = expected_v if col == "value" else expected_d[col[3:]]
            cexp = carried_v if col == "value" else carried_d.get(col[3:])
            cell = (row or {}).get(col)
            if cell is not None and cell.number is not None and cell.decimals is not None:
                units[name][col] = 10.0 ** -cell.decimals
            # The student's earlier cells are only known to ±1 unit of their last written
            # place; what they imply is uncertain by Σ |∂step/∂dep|·unit(dep).
            slack = sum(abs(_float(p)) * units.get(d, {}).get(col, 0.0) for d, p in partials.items())
            c = _judge_cell(name, col, exp, cexp, cell, tol, dep_roots, slack)
            c.weight = weight(name, col)
            if name in inputs and c.verdict == "missing":
                continue  # inputs are given; a table need not repeat them
            cells.append(c)
            if c.given is not None:
                if col == "value":
                    own_v = c.given
                else:
                    own_d[col[3:]] = c.given
            if c.verdict in ("wrong", "carried"):
                row_differs = True
        own[name] = (own_v, own_d)
        differs[name] = row_differs
        # a row that is wrong itself is its chain's root; a carried row passes its root on
        if row_differs:
            wrong_here = any(c.step == name and c.verdict == "wrong" for c in cells)
            root[name] = name if wrong_here or not dep_roots else dep_roots[0]
        else:
            root[name] = None

    known = {s.name for s in trace.rows} | {normalize_step_name(s.name) for s in trace.rows}
    for name, row in table.rows.items():
        if name not in known:
            for col, cell in row.items():
                cells.append(Cell(name, col, None, cell.number, "extra",
                                  f"the program has no step {name!r}", cell.text, weight=0.0))
    return VerifyReport(cells, list(table.problems), table.source, tol)


def _judge_cell(step: str, column: str, expected: float, carried: float | None, cell: HandCell | None,
                tol: Tolerance, dep_roots: list[str], slack: float = 0.0) -> Cell:
    if cell is None:
        return Cell(step, column, expected, None, "missing", "no cell for it in the hand table")
    if cell.number is None:
        why = f"unreadable: {cell.problem}" if cell.problem else "empty cell"
        return Cell(step, column, expected, None, "missing", why, cell.text)
    given, decimals = cell.number, cell.decimals
    if tol.accepts(expected, given, decimals):
        return Cell(step, column, expected, given, "correct", "", cell.text)
    base = f"expected {_short(expected)}, given {cell.text.strip() or _short(given)} ({tol.describe(decimals)})"
    if carried is not None and (tol.accepts(carried, given, decimals) or _near(carried, given, decimals, slack)):
        slip = dep_roots[0]
        return Cell(step, column, expected, given, "carried",
                    f"follows from your earlier value(s) of {', '.join(dict.fromkeys(dep_roots))} "
                    f"(they give {_short(carried)}); {base}", cell.text, carried, slip)
    return Cell(step, column, expected, given, "wrong", base, cell.text, carried)
