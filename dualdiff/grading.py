"""Grading: verdicts to scores, Gradescope ``results.json``, and checking many submissions.

For grading scripts, trace the program once and reuse it:

>>> import dualdiff as dd
>>> g = dd.Grader("x = 1\\nu = sin(x)\\ny = u * u")
>>> g.check({"u": (0.8415, 0.5403), "y": (0.7081, 0.7)}).counts["wrong"]
1

The ``dualdiff check`` command is :func:`run_check`.
"""
from __future__ import annotations

import glob
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .handtable import HandTableError
from .verify import VerifyReport, cell_notes, parse_tol, verify

HAND_SUFFIXES = (".md", ".markdown", ".csv", ".tsv", ".json", ".txt", ".tex")


class Grader:
    """One traced program, checked against many hand tables."""

    def __init__(self, program: Any, at: Mapping[str, Any] | None = None, wrt: Any = None,
                 tol: Any = "digits", carry_forward: bool = True, carried_credit: float = 1.0,
                 weights: Mapping[Any, float] | None = None):
        from .trace import Trace, load_program, trace_program

        if isinstance(program, Trace):
            self.trace = program
        else:
            if isinstance(program, (str, os.PathLike)) and Path(program).suffix == ".dd" and Path(program).exists():
                program = load_program(program)
            self.trace = trace_program(program, at=at, wrt=wrt)
        self.tol = parse_tol(tol)
        self.carry_forward = carry_forward
        if not 0.0 <= carried_credit <= 1.0:
            raise ValueError(f"carried credit must be between 0 and 1, got {carried_credit}")
        self.carried_credit = carried_credit
        self.weights = dict(weights or {})

    def check(self, hand: Any) -> VerifyReport:
        """Verify one hand table (dict, path, text or HandTable)."""
        return verify(self.trace, hand, tol=self.tol, carry_forward=self.carry_forward, weights=self.weights)

    def check_many(self, sources: Iterable[Any]) -> list[tuple[str, VerifyReport | None, str]]:
        """(name, report or None, error) for each source; unusable files do not stop the batch."""
        out = []
        for src in sources:
            name = str(src)
            try:
                out.append((name, self.check(src), ""))
            except (HandTableError, ValueError, OSError) as exc:
                out.append((name, None, " ".join(str(exc).split())))
        return out

    def score(self, report: VerifyReport) -> tuple[float, float]:
        return report.score(self.carried_credit)


def gradescope_results(report: VerifyReport, carried_credit: float = 1.0, name: str = "") -> dict:
    """A Gradescope autograder ``results.json`` document: one test per step."""
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
# The `dualdiff check` command
# ---------------------------------------------------------------------------
def expand_sources(items: Iterable[str]) -> list[str]:
    """Files, folders (their hand tables) and globs, in a stable order."""
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(str(f) for f in p.iterdir() if f.suffix.lower() in HAND_SUFFIXES and f.is_file())
        elif any(ch in item for ch in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise ValueError(f"no file matches {item!r}")
            out += matches
        else:
            out.append(item)
    return out


def parse_weights(items: Iterable[str] | None) -> dict[Any, float]:
    """``["y=3", "u1:d/dx=2"]`` → {"y": 3.0, ("u1", "d/dx"): 2.0}."""
    out: dict[Any, float] = {}
    for item in items or ():
        key, sep, value = item.rpartition("=")
        try:
            w = float(value)
        except ValueError:
            w = -1.0
        if not sep or not key or not (w >= 0):
            raise ValueError(f"--weight expects STEP=W or STEP:COLUMN=W with W >= 0, got {item!r}")
        step, colon, column = key.partition(":")
        out[(step.strip(), column.strip()) if colon else step.strip()] = w
    return out


def run_check(args: Any) -> int:
    from .cli import UsageError, _at_pairs, _number, wrt_names

    at = {k: _number(k, v) for k, v in _at_pairs(args.at).items()}
    if not 0.0 <= args.carried_credit <= 1.0:
        raise UsageError(f"--carried-credit must be between 0 and 1, got {args.carried_credit:g}")
    grader = Grader(args.program, at=at, wrt=wrt_names(args.wrt), tol=args.tol, carry_forward=not args.no_carry_forward,
                    carried_credit=args.carried_credit, weights=parse_weights(getattr(args, "weight", None)))
    sources = expand_sources(args.hand)
    if not sources:
        raise UsageError("no hand tables found")
    if len(sources) == 1:
        report = grader.check(sources[0])  # unusable input raises: one line, exit 2
        _print_report(report, args.format, grader, name=sources[0])
        return 0 if report.ok else 1
    results = grader.check_many(sources)
    if args.format == "gradescope":
        doc = {name: (gradescope_results(rep, grader.carried_credit, name) if rep else {"error": err})
               for name, rep, err in results}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    elif args.format == "json":
        print(json.dumps({name: (rep.to_dict() if rep else {"error": err}) for name, rep, err in results},
                         indent=2, ensure_ascii=False))
    else:
        print(summary_table(results, grader))
    if any(rep is None for _, rep, _ in results):
        return 2
    return 0 if all(rep.ok for _, rep, _ in results) else 1


def summary_table(results: list, grader: Grader, fmt: str = "github") -> str:
    from .render import render_table

    rows = []
    for name, rep, err in results:
        if rep is None:
            rows.append([name, "", "", f"unusable: {err}"])
            continue
        got, total = grader.score(rep)
        slip = rep.first_slip
        rows.append([name, f"{got:g}/{total:g}", "yes" if rep.ok else "no",
                     f"{slip.step} {slip.column}" if slip else ""])
    return render_table(["file", "score", "ok", "first slip"], rows, fmt)


def _print_report(report: VerifyReport, fmt: str, grader: Grader, name: str = "") -> None:
    if fmt == "gradescope":
        print(json.dumps(gradescope_results(report, grader.carried_credit), indent=2, ensure_ascii=False))
    elif fmt == "json":
        print(report.to_json())
    else:
        print(report.table("simple"))
        print(report.summary())
        for where, why in report.problems:
            print(f"note: {where}: {why}")
