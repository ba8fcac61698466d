"""Kinks are never silent (SPEC §3, issue 11 item 5): in traces and in ``dualdiff diff``.

A trace marks the kinked step *and every row computed from it* (``kink (from r)``), in
tables and JSON.  ``dualdiff diff`` prints a note when it meets a kink, saying which
one-sided derivatives the printed column sits between, and ``--side left|right`` gives
the one-sided column.  References are closed forms: SELU's λ and α as SPEC §3 gives them
(negative branch λα(eˣ − 1), so f′ = λα, f″ = λα, f‴ = λα from the left and f′ = λ, then
0, from the right); relu′ is 0 from the left and 1 from the right; (|x|)² = x² has f″ = 2.
"""
from __future__ import annotations

import json

import pytest

import dualdiff as dd
from dualdiff.cli import main

LAM, ALPHA = 1.0507009873554805, 1.6732632423543772
LA = LAM * ALPHA


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def g12(v: float) -> str:
    """How `dualdiff diff` prints a number (12 significant digits)."""
    return f"{v:#.12g}"


# ---------------------------------------------------------------------------------------
# Traces: the mark travels downstream
# ---------------------------------------------------------------------------------------
PROG = "x = 0\nb = 2\nr = relu(x)\ns = r * 2 + b\nz = sin(s)\nq = b * 3\n"


def note_of(table: str, step: str) -> str:
    row = next(line for line in table.splitlines() if line.startswith(f"| {step} "))
    return row.split("|")[-2].strip()


def test_rows_computed_from_a_kink_carry_the_mark():
    t = dd.trace_program(PROG)
    table = t.table()
    assert note_of(table, "r").startswith("kink: relu at 0")
    assert note_of(table, "s") == "kink (from r)"
    assert note_of(table, "z") == "kink (from r)"        # transitively
    assert note_of(table, "q") == ""                      # q does not use r
    assert note_of(table, "x") == ""


def test_json_kink_at_and_from():
    d = json.loads(dd.trace_program(PROG).to_json())
    steps = {s["name"]: s for s in d["steps"]}
    assert steps["r"]["kink"] == {"at": ["relu at 0"], "from": []}
    assert steps["s"]["kink"] == {"at": [], "from": ["r"]}
    assert steps["z"]["kink"] == {"at": [], "from": ["r"]}
    assert "kink" not in steps["q"]


def test_several_kinks_are_all_named_in_program_order():
    t = dd.trace_program("x = 0\na = abs(x)\nr = relu(x)\ny = a + r\nw = y * y")
    assert note_of(t.table(), "y") == "kink (from a, r)"
    assert note_of(t.table(), "w") == "kink (from a, r)"
    assert dd.trace_program("x = 0\na = abs(x)\nr = relu(x)\ny = a + r").to_dict()["steps"][2]["kink"]["from"] == ["a", "r"]


def test_expanded_trace_marks_temporaries_too():
    t = dd.trace_program("x = 0\ny = sin(relu(x)) + 1", expand=True)
    notes = {s.name: note_of(t.table(), s.name) for s in t.steps}
    kinked = [n for n, v in notes.items() if v.startswith("kink: relu")]
    assert len(kinked) == 1
    assert all(v == f"kink (from {kinked[0]})" for n, v in notes.items() if n != kinked[0])


def test_no_kink_no_note():
    t = dd.trace_program("x = 1\nr = relu(x)\ny = r * 2")
    assert "note" not in t.table().splitlines()[0] and "kink" not in t.to_json()


# ---------------------------------------------------------------------------------------
# dualdiff diff: a note, the one-sided values, --side
# ---------------------------------------------------------------------------------------
def test_diff_selu_at_its_kink_says_so(capsys):
    code, out, err = run(capsys, "diff", "selu(x)", "--at", "x=0", "--order", "3")
    assert code == 0
    assert "kink" in out and "selu at 0" in out
    # the note gives both one-sided first derivatives and says the column is a convention
    assert g12(LA) in out.split("note", 1)[1] and g12(LAM) in out.split("note", 1)[1]
    assert "left" in out and "right" in out and "--side" in out


@pytest.mark.parametrize("side, expected", [
    ("right", [0.0, LAM, 0.0, 0.0]),
    ("left", [0.0, LA, LA, LA]),
])
def test_diff_side(capsys, side, expected):
    code, out, _ = run(capsys, "diff", "selu(x)", "--at", "x=0", "--order", "3", "--side", side,
                       "--format", "json")
    assert code == 0
    d = json.loads(out)
    got = [d["rows"][k] for k in ("f", "f'", "f''", "f'''")]
    assert got == pytest.approx(expected, rel=1e-15, abs=0)
    assert d["side"] == side and any("selu at 0" in n for n in d["notes"])


def test_diff_side_for_relu_and_abs_squared(capsys):
    code, out, _ = run(capsys, "diff", "relu(x)", "--at", "x=0", "--side", "right", "--format", "json")
    assert json.loads(out)["rows"]["f'"] == 1.0
    code, out, _ = run(capsys, "diff", "relu(x)", "--at", "x=0", "--side", "left", "--format", "json")
    assert json.loads(out)["rows"]["f'"] == 0.0
    # |x|^2 = x^2: both sides agree that f'' = 2 (the convention column alone gives 0)
    for side in ("left", "right"):
        code, out, _ = run(capsys, "diff", "abs(x)**2", "--at", "x=0", "--order", "2", "--side", side,
                           "--format", "json")
        assert json.loads(out)["rows"]["f''"] == pytest.approx(2.0), side
    code, out, _ = run(capsys, "diff", "abs(x)**2", "--at", "x=0", "--order", "2")
    assert "kink" in out and "abs at 0" in out


def test_diff_several_variables_notes_kinks(capsys):
    code, out, _ = run(capsys, "diff", "relu(x) + y", "--at", "x=0", "y=1")
    assert code == 0 and "kink" in out and "relu at 0" in out


def test_diff_smooth_has_no_note(capsys):
    code, out, _ = run(capsys, "diff", "selu(x)", "--at", "x=0.5", "--order", "3")
    assert code == 0 and "note" not in out and "kink" not in out
    code, out, _ = run(capsys, "diff", "x**2", "--at", "x=1", "--format", "json")
    assert json.loads(out).get("notes", []) == []


def test_diff_bad_side_is_a_usage_error(capsys):
    code, out, err = run(capsys, "diff", "selu(x)", "--at", "x=0", "--side", "up")
    assert code == 2 and err.startswith("dualdiff: error:") and "side" in err


def test_rechecking_a_marked_kink_prints_no_python_warning(tmp_path):
    """The trace marks the kink once; its reference, the subgradient bounds and the
    diagnosis re-evaluate the same steps and must not add a KinkWarning per pass."""
    import subprocess
    import sys
    import warnings

    import dualdiff as dd

    hand = tmp_path / "hand.csv"
    hand.write_text("step,value,d/dx\nx,0,1\nr,0,0.5\na,0,0.3\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dualdiff", "check", "traces/relu_kink.dd", str(hand)],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr  # l and el are missing
    assert "Warning" not in r.stderr and "Warning" not in r.stdout
    t = dd.trace_program(dd.load_program("traces/relu_kink.dd"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = t.verify({"r": (0, 0.5), "a": (0, 3)})
    assert report.counts["correct"] == 3 and report.counts["wrong"] == 1  # two values, 0.5 in [0, 1]; 3 outside [-1, 1]
