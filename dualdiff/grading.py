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

import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import HandTableError
from .files import has_magic, list_folder, walk_glob
from .sanitize import csv_text, one_line
from .handtable import HandTable
from .tolerance import DEFAULT_MIN_DIGITS
from .verify import VERDICTS, VerifyReport, check_weights, gradescope_results, parse_tol, verify

__all__ = ["Grader", "gradescope_results", "gradescope_document", "expand_sources", "parse_weights",
           "summary_table", "summary_csv"]

HAND_SUFFIXES = (".md", ".markdown", ".csv", ".tsv", ".json", ".txt", ".tex")


class Grader:
    """One traced program, checked against many hand tables.

    With ``variants`` (a roster CSV path or a list of :class:`dualdiff.worksheet.Student`)
    and ``seed``, every student is graded against their own variant of the program
    (inputs drawn from the ``# vary:`` ranges, as ``dualdiff worksheet --variants``
    drew them); the program is parsed once and each variant traced on first use.

    >>> import dualdiff as dd
    >>> from dualdiff.worksheet import Student
    >>> g = dd.Grader("x = 1  # vary: 0.5..2\\ny = x * x", variants=[Student("s1", "Ann")], seed=3)
    >>> x = g.variant("s1").inputs["x"]
    >>> g.check({"y": (f"{x * x:.4f}", f"{2 * x:.4f}")}, student="s1").ok
    True
    """

    def __init__(self, program: Any, at: Mapping[str, Any] | None = None, wrt: Any = None,
                 tol: Any = "digits", carry_forward: bool = True, carried_credit: float = 1.0,
                 weights: Mapping[Any, float] | None = None, variants: Any = None, seed: int | str = 0,
                 min_digits: int = DEFAULT_MIN_DIGITS, order: int = 1, wrong_inputs: str | None = None):
        from .trace import Trace, load_program, trace_program

        self.program = None
        if isinstance(program, Trace):
            self.trace = program
        else:
            if isinstance(program, (str, os.PathLike)) and Path(program).suffix == ".dd" and Path(program).exists():
                program = load_program(program)
            if isinstance(program, str):
                from .parse import parse_program

                program = parse_program(program)
            self.program = program
            # order=2: the second-derivative columns (d²/dw², d²/dw db) are part of the table
            self.trace = trace_program(program, at=at, wrt=wrt, order=order)
        self.tol = parse_tol(tol)
        self.carry_forward = carry_forward
        if not 0.0 <= carried_credit <= 1.0:
            raise ValueError(f"carried credit must be between 0 and 1, got {carried_credit}")
        self.carried_credit = carried_credit
        self.weights = check_weights(self.trace, weights)  # one line naming a bad weight, before any grading
        if isinstance(min_digits, bool) or not isinstance(min_digits, int) or min_digits < 0:
            raise ValueError(f"min digits must be a whole number >= 0, got {min_digits!r}")
        self.min_digits = min_digits
        # a wrong input row: carried forward (SPEC §7) -- except with per-student variants,
        # where the inputs are the student's own and a table at other inputs is a classmate's
        if wrong_inputs not in (None, "carry", "strict"):
            raise ValueError(f"wrong inputs must be 'carry' or 'strict', got {wrong_inputs!r}")
        self.wrong_inputs = wrong_inputs or ("strict" if variants is not None else "carry")
        self._max: float | None = None
        self.seed = seed
        self.students: list[Any] = []
        self._variants: dict[str, Any] = {}
        self._by_id: tuple[list, int, dict[str, Any]] | None = None  # the roster by id
        self._class: Any = None
        if variants is not None:
            from .worksheet import read_roster

            if self.program is None:
                raise ValueError("per-student variants need the program, not a trace")
            if not self.program.vary:
                raise ValueError("--variants: the program declares no ranges to vary; "
                                 "add one to an input, e.g. 'x = 1  # vary: 0.5..2'")
            self.students = list(variants) if not isinstance(variants, (str, os.PathLike)) else read_roster(variants)
            self._wrt = wrt

    def variant(self, student_id: str) -> Any:
        """The student's variant (inputs and trace), made once."""
        v = self._variants.get(student_id)
        if v is None:
            from .worksheet import make_variants

            roster = self.students
            if self._by_id is None or self._by_id[0] is not roster or self._by_id[1] != len(roster):
                by_id: dict[str, Any] = {}
                for s in roster:  # the first student of an id, as a scan of the roster finds
                    by_id.setdefault(s.id, s)
                self._by_id = (roster, len(roster), by_id)
            student = self._by_id[2].get(student_id)
            if student is None:
                raise ValueError(f"no student {student_id!r} in the roster")
            v = self._variants[student_id] = make_variants(self.program, [student], self.seed, wrt=self._wrt)[0]
            # the variant's diagnosis reads the hypotheses computed for the whole class at once
            from .diagnose import diagnoser_for

            index = self.class_index()
            if student_id in index.position and v.inputs == index.inputs[index.position[student_id]]:
                diagnoser_for(v.trace).shared = (index, index.position[student_id])
        return v

    def class_index(self) -> Any:
        """Every roster student's true cells, from one array pass over the recorded steps
        (made once): a wrong cell that equals a classmate's is explained by it."""
        if self._class is None:
            from .diagnose import ClassIndex
            from .trace import trace_program
            from .worksheet import draw_inputs

            inputs = [draw_inputs(self.program, s.id, self.seed) for s in self.students]
            self._class = ClassIndex(trace_program(self.program, wrt=self._wrt), [s.id for s in self.students], inputs)
        return self._class

    def student_for(self, hand: Any) -> Any:
        """The roster student a submission belongs to (see :func:`dualdiff.worksheet.match_student`)."""
        from .worksheet import match_student

        if isinstance(hand, str) and ("\n" in hand or "|" in hand):
            return match_student("<text>", self.students, hand)
        if isinstance(hand, (str, os.PathLike)):
            return match_student(hand, self.students)
        raise ValueError("give student= to grade a dict or table against a student's variant")

    def check(self, hand: Any, student: str | None = None) -> VerifyReport:
        """Verify one hand table (dict, path, text or HandTable); with variants, against
        the variant of ``student`` (default: the student the submission names)."""
        trace = self.trace
        if self.students:
            sid = student if student is not None else self.student_for(hand).id
            vtrace = self.variant(sid).trace
            if not isinstance(hand, HandTable) and not vtrace.has_arrays:
                from .handtable import read_hand_table

                hand = read_hand_table(hand, wrt=list(vtrace.wrt))
            report = verify(vtrace, hand, tol=self.tol, carry_forward=self.carry_forward,
                            weights=self.weights, min_digits=self.min_digits,
                            wrong_inputs=self.wrong_inputs)
            point = self._point_of(report, hand, vtrace, sid) if self.wrong_inputs == "strict" else None
            if point is not None:
                # the table is another variant's, input row left out: judged as if that
                # input row had been written (cells at other inputs earn no carried credit)
                report = verify(vtrace, point[0], tol=self.tol, carry_forward=self.carry_forward,
                                weights=self.weights, min_digits=self.min_digits,
                            wrong_inputs=self.wrong_inputs)
                report.notes.append(point[1])
            self._classmates(report, sid)
            return report
        if student is not None:
            raise ValueError("student= needs a Grader made with variants=")
        return verify(trace, hand, tol=self.tol, carry_forward=self.carry_forward, weights=self.weights,
                      min_digits=self.min_digits, wrong_inputs=self.wrong_inputs)

    def _point_of(self, report: VerifyReport, table: Any, trace: Any, sid: str) -> tuple[HandTable, str] | None:
        """Was the table computed at another variant's inputs?  When the wrong cells of the
        first rows (the steps computed from the inputs alone; at least two cells) are all,
        to the digits written, the cells of one other variant of the class, the student
        worked that variant -- whether the input row is left out or shows the student's
        own inputs.  Returns the table with those inputs written into its input rows (so
        that rule 5 applies: cells at other inputs earn no carried credit) and a note;
        None otherwise (see :func:`dualdiff.verify.other_point` for the same with the
        usual other points, which ``verify`` tries first)."""
        if not isinstance(table, HandTable) or any("(inferred" in c.text for c in report.cells if not c.scored):
            return None
        from .verify import first_row_misses, table_at_point

        found = first_row_misses(trace, table, report)
        if found is None or len(found[1]) < 2:
            return None
        written, wrong = found
        index = self.class_index()
        common: set[int] | None = None
        for c, decimals in wrong:
            hits = index.matches(c.step, c.column, float(c.given), decimals)
            common = hits if common is None else common & hits
            if not common:
                return None
        mine = {s.name: float(s.value) for s in trace.input_steps}
        others = sorted(i for i in common or () if index.inputs[i] != mine)
        if not others:
            return None
        return table_at_point(trace, table, index.inputs[others[0]], written, "another variant of the class")

    def _classmates(self, report: VerifyReport, sid: str) -> None:
        """A wrong cell equal to the same cell of a classmate's variant: say whose."""
        from .diagnose import with_explanation

        wrong = [c for c in report.cells if c.diagnosis is not None and c.given is not None]
        if not wrong:
            return
        index = self.class_index()
        for c in wrong:
            decimals = _decimals_of(c.text)
            others = index.explain(c.step, c.column, float(c.given), decimals, sid)
            if others:
                c.diagnosis = with_explanation(c.diagnosis, "other-point",
                                               "the value of another student's variant: " + ", ".join(others))

    def check_many(self, sources: Iterable[Any]) -> list[tuple[str, VerifyReport | None, str]]:
        """(name, report or None, error) for each source; one unusable file (unreadable,
        undecodable, not a table -- or anything else going wrong with it) becomes its own
        entry with the reason and never stops the batch.  With variants the name says which
        student a file was matched to."""
        out = []
        for src in sources:
            name = str(src)
            try:
                if self.students:
                    st = self.student_for(src)
                    if st.id not in Path(name).name:
                        name = f"{name} ({st.id})"
                    out.append((name, self.check(src, student=st.id), ""))
                else:
                    out.append((name, self.check(src), ""))
            except (HandTableError, ValueError, OSError) as exc:
                out.append((name, None, " ".join(str(exc).split())))
            except (RecursionError, MemoryError) as exc:
                out.append((name, None, f"too large or too deeply nested to read ({type(exc).__name__})"))
            except Exception as exc:  # a bug must not cost the other students their grades
                out.append((name, None, f"internal error while grading ({type(exc).__name__}: "
                                        f"{' '.join(str(exc).split())[:200]}); please report it"))
        return out

    def max_score(self) -> float:
        """The points a table earns when every cell is right (what an empty table misses)."""
        if self._max is None:
            self._max = verify(self.trace, HandTable([], {}, [], "<empty>"), weights=self.weights,
                               diagnose=False).score()[1]
        return self._max

    def score(self, report: VerifyReport) -> tuple[float, float]:
        return report.score(self.carried_credit)


# ---------------------------------------------------------------------------
# Batches: many submissions, one summary (the `dualdiff check` command's library side)
# ---------------------------------------------------------------------------
def _decimals_of(text: str) -> int | None:
    from .handtable import parse_number

    return parse_number(text or "")[1]


def expand_sources(items: Iterable[str]) -> list[str]:
    """Files, folders (their hand tables) and globs, in a stable order.

    Folders are listed without descending; globs (``subs/**/*.md``) never enter a
    symlinked folder, so a link loop cannot make the walk endless, and both stop with a
    message after :data:`dualdiff.files.MAX_VISITED` entries.
    """
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += list_folder(p, lambda f: f.suffix.lower() in HAND_SUFFIXES and f.is_file())
        elif has_magic(item) and not p.exists():  # "[draft] hand.csv" that exists is a file
            matches = walk_glob(item)
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
        if not sep or not key or not (0 <= w < math.inf):
            raise ValueError(f"--weight expects STEP=W or STEP:COLUMN=W with W a finite number >= 0, "
                             f"got {one_line(repr(item))}")
        step, colon, column = key.partition(":")
        out[(step.strip(), column.strip()) if colon else step.strip()] = w
    return out


def gradescope_document(results: list[tuple[str, VerifyReport | None, str]], grader: Grader,
                        hide_expected: bool = False) -> dict:
    """One Gradescope ``results.json`` for one student's submission, whatever it holds.

    Gradescope runs the autograder once per student and reads one document, so several
    files make one document too: the usable hand table with the best score is graded
    (the first one on a tie) and ``output`` lists every file with its score or the reason
    it could not be used (a stray README.md, say).  With no usable table the score is 0
    of the full marks and ``output`` says why -- never an empty or broken document.
    """
    usable = [(name, rep) for name, rep, _ in results if rep is not None]
    if not usable:
        reasons = "\n".join(f"{one_line(name)}: {one_line(err)}" for name, _, err in results) or "no file was submitted"
        total = round(grader.max_score(), 6)
        return {"score": 0, "max_score": total,
                "output": f"NOT OK: no usable hand table (score 0/{total:g})\n{reasons}",
                "visibility": "visible", "stdout_visibility": "visible", "tests": []}
    best_name, best = max(usable, key=lambda nr: (grader.score(nr[1])[0], -usable.index(nr)))
    doc = gradescope_results(best, grader.carried_credit, hide_expected=hide_expected)
    if len(results) > 1:
        lines = [f"Graded {one_line(best_name)}; {len(results)} files were submitted:"]
        for name, rep, err in results:
            if rep is None:
                lines.append(f"- {one_line(name)}: not used ({one_line(err)})")
            else:
                got, total = grader.score(rep)
                lines.append(f"- {one_line(name)}: score {got:g}/{total:g}" + (" (graded)" if name == best_name else ""))
        doc["output"] += "\n" + "\n".join(lines)
    return doc


_CSV_VERDICTS = [v for v in VERDICTS if v != "extra"] + ["extra"]


def summary_csv(results: list[tuple[str, VerifyReport | None, str]], grader: Grader) -> str:
    """One CSV row per submission: file, score, max, a count per verdict, the first slip
    and, for an unusable file, the reason (score 0).  Written by :func:`dualdiff.sanitize.csv_text`,
    the one CSV path: file names and reasons cannot run as spreadsheet formulas or break lines."""
    rows = []
    total = grader.max_score()
    for name, rep, err in results:
        if rep is None:
            rows.append([name, 0, f"{total:g}", *([""] * len(_CSV_VERDICTS)), "", err])
            continue
        got, mx = grader.score(rep)
        counts = rep.counts
        slip = rep.first_slip
        rows.append([name, f"{got:g}", f"{mx:g}", *(counts[v] for v in _CSV_VERDICTS),
                     f"{slip.step} {slip.column}" if slip else "", ""])
    return csv_text(["file", "score", "max", *_CSV_VERDICTS, "first slip", "error"], rows)


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
