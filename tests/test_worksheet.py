"""Worksheets (SPEC §8): blank cells, answer keys that are right, LaTeX that compiles,
per-student variants drawn reproducibly within declared ranges."""
from __future__ import annotations

import doctest
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import dualdiff as dd
from dualdiff import worksheet as W
from dualdiff.errors import ProgramError
from dualdiff.parse import parse_program
from dualdiff.worksheet import Student, blank_cells, draw_inputs, make_variants, read_roster, worksheet

ROOT = Path(__file__).resolve().parent.parent
SINCOS = (ROOT / "traces/sincos_worksheet.dd").read_text()
VARYING = SINCOS.replace("x = 1\n", "x = 1  # vary: 0.5..2\n")
PDFLATEX = shutil.which("pdflatex")


def test_module_doctests():
    assert doctest.testmod(W).failed == 0


def test_blank_choices():
    t = dd.trace_program(SINCOS)
    steps = [s.name for s in t.steps]
    assert blank_cells(t, "values") == {(s, "value") for s in steps}
    assert blank_cells(t, "derivs") == {(s, "d/dx") for s in steps}
    assert len(blank_cells(t, "all")) == 2 * len(steps)
    assert blank_cells(t, ["u2", "y"]) == {("u2", "value"), ("u2", "d/dx"), ("y", "value"), ("y", "d/dx")}
    with pytest.raises(ValueError, match="'u9' is not a step"):
        blank_cells(t, ["u9"])


def md_rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        if line.startswith("| $"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[re.sub(r"[${}_]", "", cells[0])] = cells[2:]
    return rows


def test_markdown_blanks_and_key_values_from_math():
    t = dd.trace_program(SINCOS)
    sheet = md_rows(worksheet(t, blank="values", fmt="markdown"))
    key = md_rows(worksheet(t, blank="values", answers=True, fmt="markdown"))
    assert sheet["x"] == ["1", "1"]                        # the input is given
    assert sheet["u1"] == ["", "0.540302"]                 # value blank, derivative shown
    assert key["u1"][0] == "**0.841471**"                  # sin 1 = 0.8414709848…
    assert key["v1"] == ["**0.540302**", "-0.841471"]      # cos 1, -sin 1
    u, v = math.sin(1), math.cos(1)
    for k in range(2, 6):
        u, v = math.sin(u + v), math.cos(u + v)
    assert key["y"][0] == f"**{u * v:.6f}**"


def test_filled_in_markdown_worksheet_is_a_hand_table_dualdiff_checks():
    t = dd.trace_program(SINCOS)
    key = worksheet(t, blank="all", answers=True, fmt="markdown")
    report = t.verify(key.replace("**", ""))
    assert report.counts["wrong"] == 0 and report.counts["missing"] == 0, report.table()
    blank = worksheet(t, blank="all", fmt="markdown")
    steps = {s.name for s in t.steps}
    assert not [c for c in t.verify(blank).cells if c.step in steps and c.verdict == "correct"]


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells = []

    def handle_starttag(self, tag, attrs):
        if tag == "td" and dict(attrs).get("data-step"):
            self.cells.append(dict(attrs))


def test_html_worksheet_escapes_and_marks_blanks():
    t = dd.trace_program(SINCOS)
    page = worksheet(t, blank="derivs", fmt="html", student=Student("s1", "<b>Zoë</b> & Co"))
    assert "&lt;b&gt;Zoë&lt;/b&gt; &amp; Co" in page and "<b>Zoë" not in page
    p = _Cells()
    p.feed(page)
    blanks = [c for c in p.cells if c["class"] == "blank"]
    assert {(c["data-step"], c["data-column"]) for c in blanks} == {(s.name, "d/dx") for s in t.steps}


LATEX_PROGRAMS = sorted(p for p in (ROOT / "traces").glob("*.dd"))


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex not installed (Debian: apt-get install texlive-latex-base)")
@pytest.mark.parametrize("path", LATEX_PROGRAMS, ids=lambda p: p.stem)
def test_latex_worksheets_compile(path, tmp_path):
    t = dd.trace_program(path.read_text())
    student = Student("o'brien_1", "O'Brien & Zoë {#1} 100% $x_1$ ~^\\")
    for answers in (False, True):
        tex = tmp_path / f"{path.stem}{'-key' if answers else ''}.tex"
        tex.write_text(worksheet(t, blank="all", answers=answers, fmt="latex", student=student), encoding="utf-8")
        proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-3000:]
        assert tex.with_suffix(".pdf").stat().st_size > 1000


def test_vary_annotation_is_parsed_and_checked():
    p = parse_program("x = 1  # vary: 0.5..2\nw = 3 # vary: 1..5 step 0.5\ny = x * w\n")
    assert (p.vary["x"].low, p.vary["x"].high, p.vary["x"].step) == (0.5, 2.0, 0.01)
    assert p.vary["w"].step == 0.5
    assert parse_program("x = 1  # just a comment\ny = x").vary == {}
    for bad, where in [("x = 1  # vary: 2..1\ny = x", (1, 8)), ("x = 1 # vary: a..b\ny = x", (1, 7)),
                       ("x = 1\ny = x  # vary: 0..1", (2, 8)), ("x = 1 # vary: 0..1 step 0\ny = x", (1, 7))]:
        with pytest.raises(ProgramError) as err:
            parse_program(bad)
        assert (err.value.line, err.value.col) == where, (bad, str(err.value))


def test_variants_are_reproducible_within_range_and_on_the_grid():
    prog = parse_program(VARYING)
    roster = [Student(f"s{i:03d}", f"Student {i}") for i in range(200)]
    a = make_variants(prog, roster, seed=7)
    b = make_variants(prog, roster, seed=7)
    c = make_variants(prog, roster, seed=8)
    xs = [v.inputs["x"] for v in a]
    assert xs == [v.inputs["x"] for v in b]                       # same seed, same draws
    assert sum(x != v.inputs["x"] for x, v in zip(xs, c)) > 150   # another seed, other draws
    assert all(0.5 <= x <= 2 and abs(x * 100 - round(x * 100)) < 1e-9 for x in xs)
    assert len(set(xs)) > 100                                     # students rarely share a variant
    # each variant's trace is the program at its own inputs (checked against math)
    for v in a[:20]:
        x = v.inputs["x"]
        assert v.trace["u1"].value == pytest.approx(math.sin(x), rel=1e-15)
        assert v.trace["v1"].derivs["x"] == pytest.approx(-math.sin(x), rel=1e-15)
    # the draw depends only on (seed, id, input): adding students changes nobody's variant
    assert draw_inputs(prog, "s005", 7) == a[5].inputs


def test_variants_redraw_where_the_program_is_undefined():
    prog = parse_program("x = 2  # vary: 0..3 step 1\ny = log(x - 1)\n")
    vs = make_variants(prog, [Student(f"s{i}", "") for i in range(30)], seed=1)
    assert all(v.inputs["x"] in (2.0, 3.0) for v in vs)
    with pytest.raises(ValueError, match="no usable inputs"):
        make_variants(parse_program("x = 0  # vary: 0..1 step 1\ny = log(x - 5)\n"), [Student("a", "")])
    with pytest.raises(ValueError, match="declares no ranges"):
        make_variants(parse_program(SINCOS), [Student("a", "")])


def test_roster_reading(tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text("name,email,ID\nAnn Lee,a@x,s001\nBo Chan,b@x,s002\n", encoding="utf-8")
    assert read_roster(f) == [Student("s001", "Ann Lee"), Student("s002", "Bo Chan")]
    f.write_text("\ufeffs001,Ann\ns002,Bo\n", encoding="utf-8")
    assert read_roster(f) == [Student("s001", "Ann"), Student("s002", "Bo")]
    for text, msg in [("id,name\ns1,A\ns1,B\n", "appears twice"), ("id,name\n../etc,A\n", "must be letters"),
                      ("", "no students"), ("id,name\n", "no students"), ("id,name\n,A\n", "must be letters")]:
        f.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=msg):
            read_roster(f)


def test_write_worksheets_refuses_to_overwrite(tmp_path):
    prog = parse_program(VARYING)
    roster = [Student("s001", "Ann"), Student("s002", "Bo")]
    files = W.write_worksheets(prog, tmp_path / "out", "markdown", "all", True, roster, seed=3)
    assert sorted(p.name for p in files) == ["s001-key.md", "s001.md", "s002-key.md", "s002.md"]
    before = (tmp_path / "out/s001.md").read_text()
    with pytest.raises(ValueError, match="exists.*--force"):
        W.write_worksheets(prog, tmp_path / "out", "markdown", "all", True, roster, seed=4)
    assert (tmp_path / "out/s001.md").read_text() == before
    W.write_worksheets(prog, tmp_path / "out", "markdown", "all", True, roster, seed=4, force=True)
    # each student's key is right for that student's own inputs
    for st in roster:
        key = (tmp_path / f"out/{st.id}-key.md").read_text()
        x = float(re.search(r"\$x = ([\d.]+)\$", key).group(1))
        assert x == draw_inputs(prog, st.id, 4)["x"]
        assert md_rows(key)["u1"][0] == f"**{math.sin(x):.6f}**".replace("**-", "**-")


# ---------------------------------------------------------------------------
# Grading each student against their own variant
# ---------------------------------------------------------------------------
def filled_key(variant) -> str:
    """A student's correct submission: the answer key with the bold marks removed."""
    return worksheet(variant.trace, "all", True, "markdown", student=variant.student).replace("**", "")


def test_match_student_by_file_name_or_line():
    roster = [Student("s001", "Ann"), Student("s0010", "Cy"), Student("s002", "Bo")]
    assert W.match_student("subs/s001.md", roster).id == "s001"
    assert W.match_student("subs/hw3_s0010_final.md", roster).id == "s0010"
    assert W.match_student("x", roster, "# Sheet\n\nStudent: Bo Chan (s002)\n").id == "s002"
    assert W.match_student("x", roster, "id: s001\n| u1 | 0.8 |").id == "s001"
    with pytest.raises(ValueError, match="no student of the roster"):
        W.match_student("subs/anon.md", roster, "| u1 | 0.8 |")
    with pytest.raises(ValueError, match="several students"):
        W.match_student("s001_and_s002.md", roster)


def test_grader_grades_each_student_against_their_own_variant(tmp_path):
    roster = [Student(f"s{i:03d}", f"S{i}") for i in range(6)]
    g = dd.Grader(VARYING, variants=roster, seed=11)
    files = []
    for st in roster:
        f = tmp_path / f"{st.id}.md"
        f.write_text(filled_key(g.variant(st.id)), encoding="utf-8")
        files.append(f)
    results = g.check_many(files)
    assert all(r is not None and r.counts["wrong"] == 0 for _, r, _ in results), results
    # a student who copies a classmate's numbers is wrong on their own variant
    xs = {st.id: g.variant(st.id).inputs["x"] for st in roster}
    a, b = next((p, q) for p in xs for q in xs if p != q and abs(xs[p] - xs[q]) > 0.05)
    copied = tmp_path / f"{b}_copied.md"
    # (on b's own sheet: b's x row and name, a's numbers in the cells)
    own_x_row = next(line for line in filled_key(g.variant(b)).splitlines() if line.startswith("| $x$"))
    text = "\n".join(own_x_row if line.startswith("| $x$") else line
                     for line in filled_key(g.variant(a)).splitlines())
    copied.write_text(text.replace(f"({a})", f"({b})"), encoding="utf-8")
    report = g.check(copied)
    # the cells computed from x are wrong; later cells are carried from them (one slip
    # costs one mark: a course using variants may want --carried-credit below 1)
    wrong = {(c.step, c.column): c for c in report.cells if c.verdict == "wrong"}
    assert {("u1", "value"), ("u1", "d/dx"), ("v1", "value"), ("v1", "d/dx")} <= set(wrong)
    # and the diagnosis says whose variant the numbers belong to
    for cell in wrong.values():
        assert "other-point" in cell.diagnosis.codes and a in cell.diagnosis.sentence, cell.diagnosis
    # a submission that names no student is unusable, with the reason
    anon = tmp_path / "anon.md"
    anon.write_text("| step | value |\n|---|---|\n| u1 | 0.8 |\n", encoding="utf-8")
    (_, rep, err), = g.check_many([anon])
    assert rep is None and "no student of the roster" in err


def test_grader_variants_need_ranges():
    with pytest.raises(ValueError, match="declares no ranges"):
        dd.Grader(SINCOS, variants=[Student("a", "")])


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------
def run(capsys, *argv):
    from dualdiff.cli import main

    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_worksheet_and_key(capsys, tmp_path):
    sheet = tmp_path / "sheet.dd"
    sheet.write_text(VARYING, encoding="utf-8")
    code, out, _ = run(capsys, "worksheet", ROOT / "traces/backprop.dd", "--blank", "a", "b", "--answers")
    assert code == 0 and "| $a$ | $w_{1}^{3}$ | **8** | **12** | **0** |" in out
    assert "| $c$ | $3 \\cdot w_{1}$ | 6 | 3 | 0 |" in out
    code, out, _ = run(capsys, "worksheet", sheet, "--format", "html", "--blank", "derivs")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    code, _, err = run(capsys, "worksheet", sheet, "--blank", "u9")
    assert code == 2 and err.startswith("dualdiff: error: --blank: 'u9' is not a step")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns001,Ann Lee\ns002,Bo Chan\n", encoding="utf-8")
    out_dir = tmp_path / "handout"
    code, out, _ = run(capsys, "worksheet", sheet, "--variants", roster, "--seed", "7", "--answers", "--out", out_dir)
    assert code == 0 and sorted(p.name for p in out_dir.iterdir()) == ["s001-key.md", "s001.md", "s002-key.md",
                                                                       "s002.md"]
    code, _, err = run(capsys, "worksheet", sheet, "--variants", roster, "--seed", "8", "--out", out_dir)
    assert code == 2 and "use --force" in err
    code, _, err = run(capsys, "worksheet", sheet, "--variants", roster, "--at", "x=2")
    assert code == 2 and "--at and --variants" in err
    # the students hand in their sheets filled in: graded against their own variants
    subs = tmp_path / "subs"
    subs.mkdir()
    for sid in ("s001", "s002"):
        key = (out_dir / f"{sid}-key.md").read_text(encoding="utf-8").replace("**", "")
        (subs / f"{sid}.md").write_text(key, encoding="utf-8")
    (subs / "stray.md").write_text("| step | value |\n|---|---|\n| u1 | 0.8 |\n", encoding="utf-8")
    report = tmp_path / "course.html"
    code, out, err = run(capsys, "check", sheet, subs / "s001.md", subs / "s002.md", "--variants", roster,
                         "--seed", "7", "--report", report)
    assert code == 0, out + err
    page = report.read_text(encoding="utf-8")
    assert "2 submission(s), 2 graded" in page and "<script" not in page
    code, out, err = run(capsys, "check", sheet, subs, "--variants", roster, "--seed", "7")
    assert code == 2 and "no student of the roster" in out
    # graded against the wrong seed, the same sheets are wrong
    code, out, _ = run(capsys, "check", sheet, subs / "s001.md", "--variants", roster, "--seed", "8")
    assert code == 1


def test_class_wide_hypotheses_equal_each_variants_own():
    """The Grader computes a class's diagnoses in array passes over all variants at once;
    they must be exactly what each variant's own diagnoser finds."""
    from dualdiff.diagnose import Diagnoser, diagnose_report
    from dualdiff.handtable import read_hand_table

    roster = [Student(f"s{i:03d}", "") for i in range(40)]
    g = dd.Grader(VARYING, variants=roster, seed=2)
    for k, st in enumerate(roster[:12]):
        v = g.variant(st.id)
        u1, du1 = v.trace["u1"].value, v.trace["u1"].derivs["x"]
        slips = [(f"{-du1:.6f}", "u1", 1), (f"{u1 * 10:.5f}", "u1", 0), (f"{math.sin(v.inputs['x'] * math.pi / 180):.6f}", "u1", 0)]
        text, step, col = slips[k % 3]
        hand = {s.name: (f"{s.value:.8f}", f"{s.derivs['x']:.8f}") for s in v.trace.steps}
        hand[step] = tuple(text if j == col else t for j, t in enumerate(hand[step]))
        shared = g.check(hand, student=st.id)
        table = read_hand_table(hand, wrt=["x"])
        alone = v.trace.verify(table, diagnose=False)
        diagnose_report(v.trace, alone, table, Diagnoser(v.trace))
        got = [(c.step, c.column, c.diagnosis.codes) for c in shared.cells if c.diagnosis]
        want = [(c.step, c.column, c.diagnosis.codes) for c in alone.cells if c.diagnosis]
        assert got == want and got, (st.id, got, want)
