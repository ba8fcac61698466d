"""Inputs are given, not computed: a table at other inputs earns no carried credit.

With per-student variants (``dualdiff check … --variants ROSTER.csv --seed S``) each student's
worksheet gives them their own x.  Round 2 carried a wrong input forward like any slip, and
input rows earn no points, so a student who copied a classmate's whole table (input row
included) scored full marks at carried credit 1.  The verdicts a careful TA gives, written
down before the code ran:

* the student's own table, with or without the input row: every cell correct, 22/22;
* a classmate's table with the classmate's input row: the input is wrong (reported, not
  scored) and every cell computed from it is wrong ("follows from your input x = …"): 0/22;
* the same table without its input row, or with the student's own x written above the
  classmate's numbers: the first rows are the classmate's variant -> judged the same, 0/22,
  with a note saying so;
* the student's own table with one real slip (u1 written with a digit wrong): one wrong
  cell, the cells after it carried -- nothing here is mistaken for another variant.

True values: the worksheet chain in mpmath (``test_truth_table.sincos_chain``), never dualdiff's.
"""
from __future__ import annotations

from pathlib import Path

import mpmath as mp
import pytest

import dualdiff as dd
from dualdiff.cli import main
from dualdiff.worksheet import Student, draw_inputs

from test_truth_table import STEPS, dec, sincos_chain

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = (ROOT / "traces" / "sincos_worksheet.dd").read_text().replace("\nx = 1\n", "\nx = 1  # vary: 0.5..2\n", 1)
ROSTER = [Student(f"s{i:02d}", f"Student {i}") for i in range(1, 21)]
SEED = 11


@pytest.fixture(scope="module")
def grader():
    return dd.Grader(PROGRAM, variants=ROSTER, seed=SEED)


def point(sid: str) -> float:
    from dualdiff.parse import parse_program

    return draw_inputs(parse_program(PROGRAM), sid, SEED)["x"]


def table(x: float, places: int = 6, input_row: str | None = None, overrides: dict | None = None) -> dict:
    rows = sincos_chain(mp.mpf(repr(x)), overrides, decimals=places)
    out = {} if input_row is None else {"x": (input_row, "1")}
    out.update({k: (dec(rows[k][0], places), dec(rows[k][1], places)) for k in STEPS})
    return out


def verdicts(report) -> dict:
    return {(c.step, c.column): c.verdict for c in report.cells if c.scored}


def test_the_two_students_have_different_points():
    assert point("s01") != point("s02")


@pytest.mark.parametrize("with_input", [True, False])
def test_own_table_is_full_marks(grader, with_input):
    x = point("s01")
    r = grader.check(table(x, input_row=repr(x) if with_input else None), student="s01")
    assert set(verdicts(r).values()) == {"correct"} and r.score() == (22, 22), r.summary()


def test_a_classmates_table_with_its_input_row_earns_nothing(grader):
    other = point("s02")
    r = grader.check(table(other, input_row=repr(other)), student="s01")
    assert set(verdicts(r).values()) == {"wrong"}
    assert r.score() == (0, 22) and r.score(carried_credit=1.0) == (0, 22)
    x_cell = next(c for c in r.cells if (c.step, c.column) == ("x", "value"))
    assert x_cell.verdict == "wrong" and not x_cell.scored and "input" in x_cell.reason
    y = next(c for c in r.cells if (c.step, c.column) == ("y", "d/dx"))
    assert f"input x = {other!r}" in y.reason and "no carried credit" in y.reason
    assert "no carried credit" in r.summary()


def test_a_classmates_table_without_its_input_row_earns_nothing(grader):
    r = grader.check(table(point("s02")), student="s01")
    assert set(verdicts(r).values()) == {"wrong"} and r.score() == (0, 22), r.summary()
    assert any("another variant" in n for n in r.notes)


def test_a_classmates_numbers_under_ones_own_input_row_earn_nothing(grader):
    r = grader.check(table(point("s02"), input_row=repr(point("s01"))), student="s01")
    assert set(verdicts(r).values()) == {"wrong"} and r.score() == (0, 22), r.summary()
    assert any("another variant" in n for n in r.notes)
    x_cell = next(c for c in r.cells if (c.step, c.column) == ("x", "value"))
    assert "written: " + repr(point("s01")) in x_cell.text      # what was written stays visible


def test_one_real_slip_is_still_carried(grader):
    x = point("s01")
    true_u1 = mp.sin(mp.mpf(repr(x)))
    slip = mp.mpf(dec(true_u1, 6)) + mp.mpf("0.3")              # a digit wrong: not any variant's sin(x)
    r = grader.check(table(x, overrides={("u1", "value"): slip}), student="s01")
    v = verdicts(r)
    assert v[("u1", "value")] == "wrong"
    assert not r.notes or not any("another variant" in n for n in r.notes)
    # every later value and derivative that depends on u1's value follows from the slip
    later = {k: verdict for k, verdict in v.items() if k[0] not in ("u1", "v1")}
    assert set(later.values()) <= {"carried", "correct"} and "carried" in later.values()
    got, total = r.score()
    assert total == 22 and got == 21


def test_min_digits_applies_to_variants_too():
    g = dd.Grader(PROGRAM, variants=ROSTER, seed=SEED, min_digits=1)
    x = point("s01")
    r = g.check(table(x, places=2), student="s01")
    assert "imprecise" not in verdicts(r).values(), r.summary()


def test_cli_copy_of_a_classmate_scores_zero(tmp_path, capsys):
    sheet = tmp_path / "sheet.dd"
    sheet.write_text(PROGRAM)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"{s.id},{s.name}\n" for s in ROSTER))
    rows = table(point("s02"), input_row=repr(point("s02")))
    text = "| step | value | d/dx |\n|---|---|---|\n" + "".join(f"| {k} | {a} | {b} |\n" for k, (a, b) in rows.items())
    (tmp_path / "s01.md").write_text(text)
    (tmp_path / "s02.md").write_text(text)
    code = main(["check", str(sheet), str(tmp_path / "s01.md"), str(tmp_path / "s02.md"), "--variants", str(roster),
                 "--seed", str(SEED), "--format", "csv"])
    out = capsys.readouterr().out
    import csv
    import io

    by = {Path(r["file"].split(" ")[0]).name: r for r in csv.DictReader(io.StringIO(out))}
    assert float(by["s01.md"]["score"]) == 0 and float(by["s02.md"]["score"]) == 22, out
    assert code == 1


def test_cli_wrong_inputs_carry_by_default_and_strict_on_request(tmp_path):
    """A table worked consistently at x = 2 on an x = 1 worksheet, input row included.
    Verdicts written down from the policy (docs/grading.md rule 5): by default the input is
    carried forward (4 carried cells: 4/4 at credit 1, 2/4 at credit 0.5); with
    --wrong-inputs strict nothing scores."""
    import json
    import math

    from dualdiff.cli import main

    prog = tmp_path / "p.dd"
    prog.write_text("x = 1\nu = sin(x)\ny = u * x\n")
    x = 2.0
    rows = [("x", x, 1.0), ("u", math.sin(x), math.cos(x)), ("y", x * math.sin(x), math.sin(x) + x * math.cos(x))]
    hand = tmp_path / "hand.csv"
    hand.write_text("step,value,d/dx\n" + "".join(f"{n},{v:.6f},{d:.6f}\n" for n, v, d in rows))

    def score(*extra):
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            main(["check", str(prog), str(hand), "--format", "gradescope", *extra])
        doc = json.loads(buf.getvalue())
        return doc["score"], doc["max_score"]

    assert score() == (4.0, 4.0)
    assert score("--carried-credit", "0.5") == (2.0, 4.0)
    assert score("--wrong-inputs", "strict") == (0.0, 4.0)
