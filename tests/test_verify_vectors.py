"""Hand tables of the course's networks: vector steps as bracketed lists or as component
rows, verified per component.

Expected values are numpy closed forms written out by hand (z1 = W1 x + b1, dz1/dx = W1,
the softmax Jacobian diag(s) - s sᵀ, dL/dx = (p - e0)ᵀ W2 W1, ...); verdicts were written
down before the code ran.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.cli import main
from dualdiff.handtable.cells import make_cell

NETS = Path(__file__).resolve().parent.parent / "traces"


def num(x: float, digits: int = 8) -> str:
    """A number as a careful student writes it: ``digits`` decimals, trailing zeros kept."""
    return f"{float(x):.{digits}f}"


def lst(a, digits: int = 8, sep: str = ", ") -> str:
    a = np.asarray(a, dtype=float)
    if a.ndim == 2:
        return "[" + sep.join(lst(r, digits, sep) for r in a) + "]"
    return "[" + sep.join(num(x, digits) for x in a) + "]"


# ---------------------------------------------------------------------------------------
# closed forms of the course networks
# ---------------------------------------------------------------------------------------
def softmax_closed():
    z = np.array([1, 2, 0.5])
    s = np.exp(z) / np.exp(z).sum()
    return {"s": (s, np.diag(s) - np.outer(s, s))}


def two_layer_closed():
    W1 = np.array([[0.5, -0.2, 0.3, 0.1], [-0.4, 0.6, 0.1, 0.2]])
    b1 = np.array([0.01, -0.02])
    W2 = np.array([[0.5, -0.3], [0.2, 0.8]])
    b2 = np.array([0.1, -0.1])
    x = np.array([1, 0.5, -1, 2])
    z1 = W1 @ x + b1
    assert (z1 > 0).all()                  # both units active: relu passes z1 and its Jacobian
    y = W2 @ z1 + b2
    p = np.exp(y) / np.exp(y).sum()
    Jp = (np.diag(p) - np.outer(p, p)) @ W2 @ W1
    e0 = np.array([1.0, 0.0])
    return {"z1": (z1, W1), "a1": (z1, W1), "y": (y, W2 @ W1), "p": (p, Jp),
            "L": (np.array(-np.log(p[0])), (p - e0) @ W2 @ W1)}


def md_lists(closed, wrt: str, digits: int = 8) -> str:
    """Each step one row: its value as a list, its Jacobian as a matrix in the d/d<wrt> column."""
    lines = [f"| step | value | d/d{wrt} |", "|---|---|---|"]
    for name, (v, J) in closed.items():
        vv = lst(v, digits) if np.ndim(v) else num(v, digits)
        lines.append(f"| {name} | {vv} | {lst(J, digits)} |")
    return "\n".join(lines) + "\n"


def md_components(closed, n_in: int, wrt: str, digits: int = 8, names=lambda s, i: f"{s}[{i}]") -> str:
    lines = [f"| step | value | " + " | ".join(f"d/d{wrt}[{j}]" for j in range(n_in)) + " |",
             "|" + "---|" * (n_in + 2)]
    for name, (v, J) in closed.items():
        if np.ndim(v):
            for i in range(len(v)):
                lines.append(f"| {names(name, i)} | {num(v[i], digits)} | "
                             + " | ".join(num(J[i, j], digits) for j in range(n_in)) + " |")
        else:
            lines.append(f"| {name} | {num(v, digits)} | " + " | ".join(num(J[j], digits) for j in range(n_in)) + " |")
    return "\n".join(lines) + "\n"


def two_layer():
    return dd.trace_program(NETS / "two_layer.dd", wrt=["x"])


def softmax():
    return dd.trace_program(NETS / "softmax.dd", wrt=["z"])


def scored(report):
    return [c for c in report.cells if c.scored and c.verdict != "extra"]


# ---------------------------------------------------------------------------------------
# reading lists
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, shape, numbers", [
    ("[0.1, 0.2]", (2,), [0.1, 0.2]),
    ("[0.1 0.2]", (2,), [0.1, 0.2]),
    ("(0.1, 0.2)", (2,), [0.1, 0.2]),
    ("[−0.1, −0.2]", (2,), [-0.1, -0.2]),
    ("[[1, 2], [3, 4]]", (2, 2), [1, 2, 3, 4]),
    ("[[1 2] [3 4]]", (2, 2), [1, 2, 3, 4]),
    ("$s = [0.23, 0.63, 0.14]$", (3,), [0.23, 0.63, 0.14]),
    ("[0,5; 0,7]", (2,), [0.5, 0.7]),
    ("$\\left[0.5, -1\\right]$", (2,), [0.5, -1]),
    ("[1.2e-3, 2×10^{-3}]", (2,), [0.0012, 0.002]),
    ("[0.5]", (1,), [0.5]),
])
def test_bracketed_lists_are_read_entry_by_entry(text, shape, numbers):
    cell = make_cell(text, None)
    assert cell.number is None and cell.problem is None
    assert cell.shape == shape
    assert [c.number for c in cell.items] == pytest.approx(numbers)


@pytest.mark.parametrize("text, why", [
    ("[[1, 2], [3]]", "rows of different lengths"),
    ("[1; 2, 3]", "two numbers"),
    ("[1, x]", "entry 'x'"),
    ("[]", "empty"),
    ("[[[1]]]", "nested more than 2 deep"),
    ("[1, 2] [3]", "more than one bracketed group"),
    ("[1, , 2]", "empty entry"),
])
def test_unreadable_lists_say_why(text, why):
    cell = make_cell(text, None)
    assert cell.number is None and why in cell.problem


@pytest.mark.parametrize("text, number", [("(-0.07)", -0.07), ("0.84 (at x = 1)", 0.84), ("-(0.8415)", -0.8415)])
def test_a_number_in_parentheses_is_still_a_number(text, number):
    assert make_cell(text, None).number == pytest.approx(number)


# ---------------------------------------------------------------------------------------
# full tables pass, in every layout
# ---------------------------------------------------------------------------------------
def test_softmax_as_lists_passes():
    report = softmax().verify(md_lists(softmax_closed(), "z"))
    assert all(c.verdict == "correct" for c in scored(report) if c.step != "total"), report.summary()
    assert len([c for c in scored(report) if c.step.startswith("s")]) == 12


def test_two_layer_as_lists_passes():
    report = two_layer().verify(md_lists(two_layer_closed(), "x"))
    assert report.ok, report.summary()
    assert len(scored(report)) == 9 * 5


@pytest.mark.parametrize("names", [lambda s, i: f"{s}[{i}]", lambda s, i: f"{s}_{i}",
                                   lambda s, i: s + "₀₁₂"[i], lambda s, i: f"${s}_{{{i}}}$"])
def test_two_layer_as_component_rows_passes(names):
    report = two_layer().verify(md_components(two_layer_closed(), 4, "x", names=names))
    assert report.ok, report.summary()
    assert len(scored(report)) == 45


def test_two_layer_mixing_lists_and_component_rows():
    closed = two_layer_closed()
    text = md_lists({k: closed[k] for k in ("z1", "a1")}, "x")
    comps = md_components({k: closed[k] for k in ("y", "p", "L")}, 4, "x").splitlines()[2:]
    # y given as a list value row, and y[0], y[1] as component rows with derivatives
    lines = ["| step | value | d/dx | d/dx[0] | d/dx[1] | d/dx[2] | d/dx[3] |", "|---|---|---|---|---|---|---|"]
    for row in text.splitlines()[2:]:
        lines.append(row + " | | | | |")
    for row in comps:
        cells = [c.strip() for c in row.strip("|").split("|")]
        lines.append(f"| {cells[0]} | {cells[1]} | | " + " | ".join(cells[2:]) + " |")
    report = two_layer().verify("\n".join(lines) + "\n")
    assert report.ok, report.summary()
    assert len(scored(report)) == 45


def test_relu_net_with_scalar_inputs_and_vector_steps():
    # z = W x = [1.5, -1.75]; unit 2 inactive: a = [1.5, 0], y = 1.5 * 1.5 = 2.25
    md = """| step | value | d/dx1 | d/dx2 |
|---|---|---|---|
| x | [0.5, −1] | [1, 0] | [0, 1] |
| z | [1.5, −1.75] | [1, 0.5] | [−1, 2] |
| a | [1.5, 0] | [1, 0] | [−1, 0] |
| y | 2.25 | 1.5 | −1.5 |
"""
    t = dd.trace_program(NETS / "relu_net.dd", wrt=["x1", "x2"])
    report = t.verify(md)
    assert report.ok, report.summary()
    assert len(scored(report)) == 7 * 3       # x = [x1, x2] is a step: x, z, a two rows each, y one
    wrong = md.replace("| [1, 0] | [−1, 0] |", "| [1, 0] | [−1, 2] |")   # relu' not applied to unit 2
    report = t.verify(wrong)
    assert [(c.step, c.column) for c in report.cells if c.verdict == "wrong"] == [("a[1]", "d/dx2")]


def test_json_hand_table_with_nested_lists():
    closed = softmax_closed()
    s, J = closed["s"]
    hand = {"s": {"value": [num(x) for x in s], "d/dz": [[num(x) for x in r] for r in J]},
            "total": {"value": 1, "d/dz": ["2.08e-17", "1.39e-17", 0]}}
    report = softmax().verify(json.dumps(hand))
    assert all(c.verdict == "correct" for c in report.cells if c.step.startswith("s")), report.summary()
    assert len([c for c in report.cells if c.step.startswith("s")]) == 12
    report = softmax().verify(hand)           # the same as a Python dict
    assert all(c.verdict == "correct" for c in report.cells if c.step.startswith("s")), report.summary()


def test_matrix_input_rows_as_matrices():
    # an input row given as a matrix is read and judged per component, never scored
    W1 = "[[0.5, -0.2, 0.3, 0.1], [-0.4, 0.6, 0.1, 0.2]]"
    md = md_lists(two_layer_closed(), "x") + f"| W1 | {W1} | |\n"
    report = two_layer().verify(md)
    w = [c for c in report.cells if c.step.startswith("W1")]
    assert len(w) == 8 and all(c.verdict == "correct" and not c.scored for c in w)
    bad = md.replace(W1, "[[0.5, -0.4], [-0.2, 0.6], [0.3, 0.1], [0.1, 0.2]]")  # W1ᵀ written
    report = two_layer().verify(bad)
    w = [c for c in report.cells if c.step.startswith("W1")]
    assert all(c.verdict == "wrong" and "4×2 matrix given" in c.reason for c in w)


# ---------------------------------------------------------------------------------------
# a wrong shape is its own verdict, never a partial grade
# ---------------------------------------------------------------------------------------
def test_a_list_too_short_marks_every_component_wrong_with_the_shapes():
    closed = softmax_closed()
    s, J = closed["s"]
    md = md_lists(closed, "z").replace(lst(s), lst(s[:2]))     # the right first two entries
    report = softmax().verify(md)
    cells = [c for c in report.cells if c.column == "value" and c.step.startswith("s[")]
    assert [c.verdict for c in cells] == ["wrong"] * 3
    assert all("2 numbers given where s needs 3 numbers" in c.reason for c in cells)
    assert all(c.verdict == "correct" for c in report.cells if c.column != "value" and c.step.startswith("s["))


def test_a_transposed_or_flat_jacobian_is_a_shape_verdict():
    closed = two_layer_closed()
    z1, W1 = closed["z1"]
    md = md_lists(closed, "x").replace(lst(W1), lst(W1.ravel()))   # 8 numbers, not a 2×4 matrix
    report = two_layer().verify(md)
    cells = [c for c in report.cells if c.step.startswith("z1[") and c.column.startswith("d/dx")]
    assert len(cells) == 8 and all(c.verdict == "wrong" for c in cells)
    assert "8 numbers given where z1 needs a 2×4 matrix" in cells[0].reason


def test_one_number_for_a_vector_step_is_a_shape_verdict():
    md = md_lists(softmax_closed(), "z").replace(lst(softmax_closed()["s"][0]), "0.5")
    report = softmax().verify(md)
    cells = [c for c in report.cells if c.column == "value" and c.step.startswith("s[")]
    assert all(c.verdict == "wrong" and "one number given where s needs 3 numbers" in c.reason for c in cells)


def test_a_list_for_a_scalar_step_is_a_shape_verdict():
    t = dd.trace_program("x = 1\ny = sin(x)")
    report = t.verify("| step | value | d/dx |\n|---|---|---|\n| y | [0.841471, 0.5] | 0.540302 |\n")
    cell = next(c for c in report.cells if c.column == "value")
    assert cell.verdict == "wrong" and "2 numbers given in a list" in cell.reason
    ok = t.verify("| step | value | d/dx |\n|---|---|---|\n| y | [0.841471] | 0.540302 |\n")
    assert ok.ok                                # one number in brackets is that number


def test_a_component_given_twice_keeps_the_first_and_says_so():
    closed = softmax_closed()
    s, J = closed["s"]
    md = md_lists(closed, "z") + f"| s[1] | {s[0]:.8g} | |\n"        # a second, different s[1]
    report = softmax().verify(md)
    assert all(c.verdict == "correct" for c in report.cells if c.step.startswith("s"))
    assert any("s[1] value" in w and "given twice" in why for w, why in report.problems)


# ---------------------------------------------------------------------------------------
# every single-cell slip is found at its component; guessing fails
# ---------------------------------------------------------------------------------------
def _slipped_tables(closed):
    for name, (v, J) in closed.items():
        for i in np.ndindex(*np.shape(v)):
            vv = np.array(v, dtype=float).copy()
            vv[i] = vv[i] * 1.1 + 0.01
            yield name, i, "value", {**closed, name: (vv, J)}
        for k in np.ndindex(*np.shape(J)):
            JJ = np.array(J, dtype=float).copy()
            JJ[k] = JJ[k] * 1.1 + 0.01
            yield name, k[:-1], f"d/dx[{k[-1]}]", {**closed, name: (v, JJ)}


def test_every_single_cell_slip_in_two_layer_is_found_at_its_component():
    t = two_layer()
    closed = two_layer_closed()
    n = 0
    for name, i, col, table in _slipped_tables(closed):
        report = t.verify(md_lists(table, "x"), diagnose=False)
        step = f"{name}[{i[0]}]" if i else name
        bad = [(c.step, c.column, c.verdict) for c in report.cells if c.verdict != "correct"]
        assert bad == [(step, col, "wrong")], (step, col, bad)
        n += 1
    assert n == 45


def test_guessing_zeros_and_ones_fails_the_two_layer_table():
    closed = two_layer_closed()
    guess = {k: (np.round(np.abs(v)) % 2, np.round(np.abs(J)) % 2) for k, (v, J) in closed.items()}
    report = two_layer().verify(md_lists(guess, "x", digits=0))      # "0" and "1", as a guesser writes
    assert not report.ok
    got, total = report.score()
    assert total == 45 and got == 0
    # zeros written with many decimals carry into later zeros (as for scalar steps): the
    # report names the zero slips that later carried cells lean on
    report = two_layer().verify(md_lists(guess, "x", digits=8))
    assert not report.ok and all(c.verdict != "correct" for c in scored(report))
    assert any(x.startswith("z1[0] value") for x in report.suspicious)


def test_check_command_reads_list_cells(tmp_path, capsys):
    hand = tmp_path / "hand.md"
    hand.write_text(md_lists(two_layer_closed(), "x"), encoding="utf-8")
    assert main(["check", str(NETS / "two_layer.dd"), str(hand), "--wrt", "x"]) == 0
    closed = softmax_closed()
    s, J = closed["s"]
    hand.write_text(md_lists(closed, "z").replace(lst(s), lst(s[:2])), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(NETS / "softmax.dd"), str(hand), "--wrt", "z", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    wrong = [c for c in data["cells"] if c["verdict"] == "wrong"]
    assert [c["step"] for c in wrong] == ["s[0]", "s[1]", "s[2]"]
    assert all("needs 3 numbers" in c["reason"] for c in wrong)


# ---------------------------------------------------------------------------------------
# error carried forward across vector steps
# ---------------------------------------------------------------------------------------
def test_a_wrong_component_is_carried_through_the_two_layer_network():
    W1 = np.array([[0.5, -0.2, 0.3, 0.1], [-0.4, 0.6, 0.1, 0.2]])
    W2 = np.array([[0.5, -0.3], [0.2, 0.8]])
    b2 = np.array([0.1, -0.1])
    closed = two_layer_closed()
    # the student's slip: z1[0] = 0.35 (true 0.31); everything after from their own numbers
    z1 = np.array([0.35, closed["z1"][0][1]])
    y = W2 @ z1 + b2
    p = np.exp(y) / np.exp(y).sum()
    Jp = (np.diag(p) - np.outer(p, p)) @ W2 @ W1
    own = {"z1": (z1, W1), "a1": (z1, W1), "y": (y, W2 @ W1), "p": (p, Jp),
           "L": (np.array(-np.log(p[0])), (p - np.array([1.0, 0.0])) @ W2 @ W1)}
    report = two_layer().verify(md_lists(own, "x"))
    verdicts = {(c.step, c.column): c.verdict for c in scored(report)}
    assert verdicts.pop(("z1[0]", "value")) == "wrong"
    # by hand: every later value depends on z1[0]; so do p's and L's derivatives; the
    # Jacobians of z1, a1 and y (W1, W1, W2 W1) do not, and are simply correct
    carried = {("a1[0]", "value"), ("y[0]", "value"), ("y[1]", "value"), ("p[0]", "value"), ("p[1]", "value"),
               ("L", "value")} | {(f"p[{i}]", f"d/dx[{j}]") for i in range(2) for j in range(4)} \
        | {("L", f"d/dx[{j}]") for j in range(4)}
    assert {k for k, v in verdicts.items() if v == "carried"} == carried
    assert all(v == "correct" for k, v in verdicts.items() if k not in carried)
    assert {c.slip for c in report.cells if c.verdict == "carried"} == {"z1[0]"}
    got, total = report.score(carried_credit=0.5)
    assert (got, total) == (45 - 1 - len(carried) * 0.5, 45)


def test_a_sign_slip_in_a_relu_unit_is_carried_into_its_output():
    # z[1] written as +1.75 (true -1.75): the student's relu passes it, so (by hand)
    # a = [1.5, 1.75], da/dx1 = [1, 0.5], da/dx2 = [-1, 2], y = 2.25 - 3.5 = -1.25,
    # dy/dx1 = 1.5 - 1 = 0.5, dy/dx2 = -1.5 - 4 = -5.5
    md = """| step | value | d/dx1 | d/dx2 |
|---|---|---|---|
| x | [0.5, −1] | [1, 0] | [0, 1] |
| z | [1.5, 1.75] | [1, 0.5] | [−1, 2] |
| a | [1.5, 1.75] | [1, 0.5] | [−1, 2] |
| y | −1.25 | 0.5 | −5.5 |
"""
    t = dd.trace_program(NETS / "relu_net.dd", wrt=["x1", "x2"])
    report = t.verify(md)
    verdicts = {(c.step, c.column): c.verdict for c in scored(report)}
    assert verdicts == {
        ("x[0]", "value"): "correct", ("x[0]", "d/dx1"): "correct", ("x[0]", "d/dx2"): "correct",
        ("x[1]", "value"): "correct", ("x[1]", "d/dx1"): "correct", ("x[1]", "d/dx2"): "correct",
        ("z[0]", "value"): "correct", ("z[0]", "d/dx1"): "correct", ("z[0]", "d/dx2"): "correct",
        ("z[1]", "value"): "wrong", ("z[1]", "d/dx1"): "correct", ("z[1]", "d/dx2"): "correct",
        ("a[0]", "value"): "correct", ("a[0]", "d/dx1"): "correct", ("a[0]", "d/dx2"): "correct",
        ("a[1]", "value"): "carried", ("a[1]", "d/dx1"): "carried", ("a[1]", "d/dx2"): "carried",
        ("y", "value"): "carried", ("y", "d/dx1"): "carried", ("y", "d/dx2"): "carried",
    }
    assert report.first_slip.step == "z[1]"
    report = t.verify(md, carry_forward=False)
    assert sum(c.verdict == "wrong" for c in report.cells) == 7


def _x2_miscopied() -> str:
    # x[2] copied as +1 (true -1); z1 = W1 x' + b1 by hand
    W1 = np.array([[0.5, -0.2, 0.3, 0.1], [-0.4, 0.6, 0.1, 0.2]])
    x = np.array([1, 0.5, 1, 2])
    z1 = W1 @ x + np.array([0.01, -0.02])
    return f"| step | value |\n|---|---|\n| x | {lst(x)} |\n| z1 | {lst(z1)} |\n"


def test_a_wrong_input_component_is_carried_but_never_scored():
    # SPEC §7, the default: a wrong input is reported and carried forward, never scored
    report = two_layer().verify(_x2_miscopied())
    verdicts = {(c.step, c.column): (c.verdict, c.scored) for c in report.cells if c.column == "value"
                and c.step.startswith(("x", "z1"))}
    assert verdicts[("x[2]", "value")] == ("wrong", False)
    assert verdicts[("z1[0]", "value")] == ("carried", True)
    assert verdicts[("z1[1]", "value")] == ("carried", True)


def test_a_wrong_input_component_under_strict_inputs_is_not_carried():
    # wrong_inputs="strict" (docs/grading.md rule 5): cells that follow from a changed
    # input earn no carried credit, and the reason names the input component changed
    report = two_layer().verify(_x2_miscopied(), wrong_inputs="strict")
    cells = {c.step: c for c in report.cells if c.column == "value" and c.step.startswith(("x", "z1"))}
    assert (cells["x[2]"].verdict, cells["x[2]"].scored) == ("wrong", False)
    assert all(cells[f"x[{i}]"].verdict == "correct" for i in (0, 1, 3))
    for name in ("z1[0]", "z1[1]"):
        assert (cells[name].verdict, cells[name].scored) == ("wrong", True)
        assert "follows from your input x[2] = 1.00000000" in cells[name].reason


# ---------------------------------------------------------------------------------------
# the list reader, property-based: what is written is what is read
# ---------------------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

_finite = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e12, max_value=1e12)


@settings(max_examples=200, deadline=None)
@given(st.lists(_finite, min_size=1, max_size=8), st.sampled_from([", ", ",", " ", "; ", ";"]),
       st.sampled_from(["[]", "()"]), st.booleans())
def test_written_lists_read_back(values, sep, brackets, unicode_minus):
    if brackets == "()" and len(values) == 1:
        return  # "(0.5)" is a number in parentheses, not a list
    texts = [repr(v) for v in values]
    if unicode_minus:
        texts = [t.replace("-", "−") if t.startswith("-") else t for t in texts]
    cell = make_cell(brackets[0] + sep.join(texts) + brackets[1], None)
    assert cell.problem is None and cell.shape == (len(values),)
    assert [c.number for c in cell.items] == values


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_written_matrices_read_back(m, n, data):
    rows = [data.draw(st.lists(_finite, min_size=n, max_size=n)) for _ in range(m)]
    text = "[" + ", ".join("[" + ", ".join(repr(v) for v in r) + "]" for r in rows) + "]"
    cell = make_cell(text, None)
    assert cell.problem is None and cell.shape == (m, n)
    assert [c.number for c in cell.items] == [v for r in rows for v in r]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[](),; 0123456789.-−e", max_size=60))
def test_any_bracket_text_is_read_or_refused_never_a_crash(text):
    cell = make_cell(text, None)
    if cell.shape is not None and cell.problem is None:
        assert len(cell.items) == int(np.prod(cell.shape))


def test_deeply_nested_brackets_are_refused_quickly():
    cell = make_cell("[" * 2000 + "1" + "]" * 2000, None)
    assert cell.number is None and cell.problem


# ---------------------------------------------------------------------------------------
# vector cells are judged against the high-precision reference, not the float trace
# ---------------------------------------------------------------------------------------
def test_vector_cells_are_judged_against_the_high_precision_reference():
    # sum(softmax(z)) is exactly 1 and its derivatives exactly 0 (by hand); the float trace
    # has 2.08e-17 and 1.39e-17, which a student's exact 0 must not be judged against
    report = softmax().verify(md_lists(softmax_closed(), "z") + "| total | 1 | [0, 0, 0] |\n")
    assert report.ok, report.summary()
    assert all(c.verdict == "correct" for c in report.cells if c.step == "total")
    assert not any("float trace" in n for n in report.notes)
    # z1[0] = 0.5 - 0.1 - 0.3 + 0.2 + 0.01 = 0.31 exactly (float: 0.31000000000000005)
    t = two_layer()
    md = "| step | value |\n|---|---|\n| z1 | [0.31, 0.18] |\n"
    cells = {c.step: c for c in t.verify(md).cells if c.column == "value"}
    assert cells["z1[0]"].verdict == "correct" and cells["z1[1]"].verdict == "correct"
    assert not any("float trace" in n for n in t.verify(md).notes)


def test_second_derivative_cells_are_judged_against_the_high_precision_reference():
    t = dd.trace_program(NETS / "sigmoid_hessian.dd", wrt=["w", "b"], order=2)
    report = t.verify({"J": ("0.0835502",)})
    assert not any("float trace" in n for n in report.notes)
    # d²/dw² of (w x + b)**2 at w = 0.1, x = 3, b = 0.2: 2 x² = 18 exactly (float products of 0.1)
    t = dd.trace_program("w = 0.1\nx = 3\nb = 0.2\nq = (w * x + b) ** 2", wrt=["w", "b"], order=2)
    report = t.verify("| step | value | d/dw | d/db | d²/dw² | d²/dw db | d²/db² |\n|---|---|---|---|---|---|---|\n"
                      "| q | 0.25 | 3 | 1 | 18 | 6 | 2 |\n")
    assert report.ok, report.table()


def test_vector_second_derivatives_are_judged_against_the_high_precision_reference():
    t = dd.trace_program("z = [1, 2]\ns = softmax(z)\nL = -log(s[0])", wrt=["z"], order=2)
    # -s0 s1 = -e^3 / (e + e^2)^2 = -0.196611933241... (by hand)
    report = t.verify("| step | value | d²/dz[0] dz[1] |\n|---|---|---|\n| L | 1.31326169 | -0.19661193 |\n")
    assert not report.notes
    assert {c.column: c.verdict for c in report.cells if c.step == "L"}["d²/dz[0] dz[1]"] == "correct"
