"""Grading: verdicts to scores, Gradescope ``results.json``, and checking many submissions.

For grading scripts, trace the program once and reuse it:

>>> import dualdiff as dd
>>> g = dd.Grader("x = 1\\nu = sin(x)\\ny = u * u")
>>> g.check({"u": (0.8415, 0.5403), "y": (0.7081, 0.7)}).counts["wrong"]
1

The ``dualdiff check`` command (in ``dualdiff.cli``) is a thin front end to :class:`Grader`,
:func:`expand_sources`, :func:`parse_weights` and :func:`summary_table`.
"""
from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import HandTableError
from .verify import VerifyReport, gradescope_results, parse_tol, verify

__all__ = ["Grader", "gradescope_results", "expand_sources", "parse_weights", "summary_table"]

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


# ---------------------------------------------------------------------------
# Batches: many submissions, one summary (the `dualdiff check` command's library side)
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
