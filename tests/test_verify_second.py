"""Hand tables with second-derivative columns (d²/dw², d²/dw db), judged like first derivatives.

Expected values come from sympy (closed forms of the sigmoid unit's squared error) and
mpmath, never from dualdiff; verdicts were written down before the code ran, as a careful
TA would give them.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import sympy as sp

import dualdiff as dd
from dualdiff.cli import main
from dualdiff.handtable import read_hand_table
from dualdiff.handtable.headers import classify_header, second_derivative_pair

NETS = Path(__file__).resolve().parent.parent / "traces"
W0, B0, X0, Z0 = sp.Rational(8, 10), sp.Rational(-3, 10), sp.Rational(3, 2), 1


def _sympy_table() -> dict[str, dict[str, float]]:
    """Every cell of the sigmoid unit's order-2 table, from sympy at 30 digits."""
    w, b = sp.symbols("w b")
    s = w * X0 + b
    y = 1 / (1 + sp.exp(-s))
    J = (y - Z0) ** 2
    out = {}
    for name, e in (("s", s), ("y", y), ("J", J)):
        at = {w: W0, b: B0}
        out[name] = {
            "value": float(sp.N(e.subs(at), 30)),
            "d/dw": float(sp.N(sp.diff(e, w).subs(at), 30)),
            "d/db": float(sp.N(sp.diff(e, b).subs(at), 30)),
            "d²/dw²": float(sp.N(sp.diff(e, w, 2).subs(at), 30)),
            "d²/dw db": float(sp.N(sp.diff(e, w, b).subs(at), 30)),
            "d²/db²": float(sp.N(sp.diff(e, b, 2).subs(at), 30)),
        }
    return out


TRUE = _sympy_table()
COLS = ["value", "d/dw", "d/db", "d²/dw²", "d²/dw db", "d²/db²"]


def _md(cells: dict[str, dict[str, str]], headers: list[str] | None = None) -> str:
    headers = headers or COLS
    lines = ["| step | " + " | ".join(headers) + " |", "|" + "---|" * (len(headers) + 1)]
    for step, row in cells.items():
        lines.append(f"| {step} | " + " | ".join(row[c] for c in COLS) + " |")
    return "\n".join(lines) + "\n"


def _written(digits: int = 6) -> dict[str, dict[str, str]]:
    return {step: {c: f"{v:.{digits}g}" for c, v in row.items()} for step, row in TRUE.items()}


def _trace(order: int = 2):
    return dd.trace_program(NETS / "sigmoid_hessian.dd", wrt=["w", "b"], order=order)


# ---------------------------------------------------------------------------------------
# the header spellings: liberal, never ambiguous
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("header, pair", [
    ("d²/dw²", ("w", "w")), ("d2/dw2", ("w", "w")), ("d^2/dw^2", ("w", "w")), ("d^{2}/dw^{2}", ("w", "w")),
    ("∂²/∂w²", ("w", "w")), ("∂²J/∂w²", ("w", "w")), ("$\\partial^2 J/\\partial w^2$", ("w", "w")),
    ("$\\frac{\\partial^2 J}{\\partial w^2}$", ("w", "w")), ("d²y/dw²", ("w", "w")),
    ("∂²y/∂w∂b", ("w", "b")), ("d^2/dw db", ("w", "b")), ("d²/db dw", ("w", "b")), ("d2/dwdb", ("w", "b")),
    ("d^2/(dw db)", ("w", "b")), ("$\\frac{\\partial^2 J}{\\partial w \\, \\partial b}$", ("w", "b")),
    ("d²/dw·db", ("w", "b")), ("**d²/db²**", ("b", "b")), ("∂^2/∂b^2", ("b", "b")),
])
def test_second_derivative_headers_are_read(header, pair):
    kind, den = classify_header(header, 3)
    assert kind == "deriv2"
    assert second_derivative_pair(den, ["w", "b"]) == pair


@pytest.mark.parametrize("header, wrt, why", [
    ("d²/dt²", ["w", "b"], "does not name two inputs"),         # t is no input
    ("d²/dw", ["w", "b"], "does not name two inputs"),          # one differential for order 2
    ("d²/dw db dx", ["w", "b", "x"], "does not name two inputs"),  # three differentials
    ("d2/dxddb", ["x", "xd", "b", "db"], "ambiguous"),          # dx ddb or dxd db?
])
def test_second_derivative_headers_refused_with_the_reason(header, wrt, why):
    kind, den = classify_header(header, 3)
    assert kind == "deriv2"
    assert why in second_derivative_pair(den, wrt)
    table = read_hand_table(f"| step | value | {header} |\n|---|---|---|\n| y | 1 | 2 |\n", wrt=wrt)
    assert [c for c in table.columns if c.startswith("d²")] == []
    assert any(why in reason for _, reason in table.problems)


def test_first_derivative_headers_keep_their_meaning():
    assert classify_header("d/dw", 2) == ("deriv", "w")
    assert classify_header("d/dx[2]", 2) == ("deriv", "x[2]")
    assert classify_header("dy/dw2", 2) == ("deriv", "w2")      # w2 an input: first order
    assert classify_header("derivative", 2) == ("deriv", None)


def test_header_d2_dw2_with_an_input_named_w2_is_the_second_derivative_in_w():
    # 'd2/dw2': order 2 needs two differentials, so dw2 is dw squared
    assert second_derivative_pair(classify_header("d2/dw2", 1)[1], ["w", "w2"]) == ("w", "w")
    assert second_derivative_pair(classify_header("d²/dw2²", 1)[1], ["w", "w2"]) == ("w2", "w2")


# ---------------------------------------------------------------------------------------
# a full table: correct; each single slip found at its cell; guessing fails
# ---------------------------------------------------------------------------------------
def test_full_correct_second_order_table_passes():
    report = _trace().verify(_md(_written()))
    assert report.ok, report.summary()
    judged = {(c.step, c.column) for c in report.cells if c.scored}
    assert judged == {(s, c) for s in ("s", "y", "J") for c in COLS}
    assert all(c.verdict == "correct" for c in report.cells if c.scored)


@pytest.mark.parametrize("step", ["y", "J"])
@pytest.mark.parametrize("col", ["d²/dw²", "d²/dw db", "d²/db²"])
def test_every_single_second_derivative_slip_is_found_at_its_cell(step, col):
    cells = _written()
    true = TRUE[step][col]
    cells[step][col] = f"{-true:.6g}"                     # sign dropped
    report = _trace().verify(_md(cells))
    bad = [(c.step, c.column, c.verdict) for c in report.cells if c.verdict != "correct"]
    assert bad == [(step, col, "wrong")]
    assert report.first_slip.column == col


def test_second_derivative_slip_in_y_is_carried_into_J():
    cells = _written(8)
    y, yw = TRUE["y"]["value"], TRUE["y"]["d/dw"]
    wrong_yww = -0.2051                                   # a slip: the true value is -0.19507584...
    cells["y"]["d²/dw²"] = "-0.2051"
    # the student's own J_ww = 2 (y_w² + (y - z) y_ww) from their y_ww (closed form by hand)
    cells["J"]["d²/dw²"] = f"{2 * (yw ** 2 + (y - 1) * wrong_yww):.8g}"
    report = _trace().verify(_md(cells))
    verdicts = {(c.step, c.column): c.verdict for c in report.cells if c.verdict != "correct"}
    assert verdicts == {("y", "d²/dw²"): "wrong", ("J", "d²/dw²"): "carried"}
    carried = next(c for c in report.cells if c.verdict == "carried")
    assert carried.slip == "y"
    assert report.score(carried_credit=0.5) == (16.5, 18.0)   # 16 correct, 1 wrong, 1 carried at half


def test_guessing_zeros_and_ones_earns_nothing_in_second_derivative_columns():
    cells = {step: {c: ("1" if i % 2 else "0") for i, c in enumerate(COLS)} for step in TRUE}
    report = _trace().verify(_md(cells))
    seconds = [c for c in report.cells if c.column.startswith("d²") and c.step in ("y", "J")]
    assert len(seconds) == 6
    assert all(c.verdict in ("wrong", "imprecise") for c in seconds)
    assert not report.ok


def test_too_few_digits_in_a_second_derivative_is_imprecise():
    cells = _written()
    cells["J"]["d²/dw²"] = "0.3"                          # 0.30281023...: right as far as it goes
    report = _trace().verify(_md(cells))
    cell = next(c for c in report.cells if (c.step, c.column) == ("J", "d²/dw²"))
    assert cell.verdict == "imprecise"
    assert "significant digit" in cell.reason


def test_an_order_2_trace_requires_its_second_derivative_columns():
    md = ("| step | value | d/dw | d/db |\n|---|---|---|---|\n"
          + "".join(f"| {s} | {TRUE[s]['value']:.6g} | {TRUE[s]['d/dw']:.6g} | {TRUE[s]['d/db']:.6g} |\n"
                    for s in TRUE))
    report = _trace(order=2).verify(md)
    missing = {(c.step, c.column) for c in report.cells if c.verdict == "missing"}
    assert missing == {(s, c) for s in TRUE for c in COLS[3:]}
    assert _trace(order=1).verify(md).ok            # an order-1 trace asks for first derivatives only


def test_an_order_1_trace_judges_the_second_derivative_columns_a_table_has():
    md = ("| step | value | d/dw | d/db | d²J/dw² |\n|---|---|---|---|---|\n"
          + "".join(f"| {s} | {TRUE[s]['value']:.6g} | {TRUE[s]['d/dw']:.6g} | {TRUE[s]['d/db']:.6g} "
                    f"| {TRUE[s]['d²/dw²']:.6g} |\n" for s in TRUE))
    t = _trace(order=1)
    report = t.verify(md)
    assert report.ok
    assert {c.column for c in report.cells} == {"value", "d/dw", "d/db", "d²/dw²"}
    assert all(s.derivs2 is None for s in t.steps)  # the user's trace is left as it was
    wrong = md.replace(f"{TRUE['J']['d²/dw²']:.6g}", "0.320281")
    assert [(c.step, c.column) for c in t.verify(wrong).cells if c.verdict == "wrong"] == [("J", "d²/dw²")]


def test_second_derivatives_at_a_kink_accept_the_one_sided_interval():
    # y = relu(x)**2 at x = 0: y'' is 0 from the left and 2 from the right (by hand)
    t = dd.trace_program("x = 0\ny = relu(x) ** 2\nq = 3 * y", order=2)
    for given, verdict in (("0", "correct"), ("1", "correct"), ("2", "correct"), ("2.5", "wrong")):
        md = f"| step | value | d/dx | d²/dx² |\n|---|---|---|---|\n| y | 0 | 0 | {given} |\n| q | 0 | 0 | 3 |\n"
        report = t.verify(md)
        cell = next(c for c in report.cells if (c.step, c.column) == ("y", "d²/dx²"))
        assert cell.verdict == verdict, (given, cell.reason)
        if verdict == "correct" and given != "0":
            assert "kink" in cell.reason


def test_dualdiff_own_json_with_derivs2_is_a_hand_table():
    t = _trace()
    hand = {"steps": [{"name": s, "value": f"{TRUE[s]['value']:.8g}",
                       "derivs": {"w": f"{TRUE[s]['d/dw']:.8g}", "b": f"{TRUE[s]['d/db']:.8g}"},
                       "derivs2": {"w,w": f"{TRUE[s]['d²/dw²']:.8g}", "w,b": f"{TRUE[s]['d²/dw db']:.8g}",
                                   "b,b": f"{TRUE[s]['d²/db²']:.8g}"}} for s in TRUE]}
    report = t.verify(json.dumps(hand))
    assert report.ok and report.counts["correct"] == 18


def test_check_command_judges_second_derivative_columns(tmp_path, capsys):
    hand = tmp_path / "hand.md"
    hand.write_text(_md(_written()), encoding="utf-8")
    assert main(["check", str(NETS / "sigmoid_hessian.dd"), str(hand), "--wrt", "w,b", "--order", "2"]) == 0
    cells = _written()
    cells["J"]["d²/dw db"] = "0.210187"                   # digits swapped: true 0.20187349
    hand.write_text(_md(cells), encoding="utf-8")
    capsys.readouterr()
    code = main(["check", str(NETS / "sigmoid_hessian.dd"), str(hand), "--wrt", "w,b", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(c["step"], c["column"]) for c in data["cells"] if c["verdict"] == "wrong"] == [("J", "d²/dw db")]
    md = "| step | value | d/dw | d/db |\n|---|---|---|---|\n" + "".join(
        f"| {s} | {TRUE[s]['value']:.6g} | {TRUE[s]['d/dw']:.6g} | {TRUE[s]['d/db']:.6g} |\n" for s in TRUE)
    hand.write_text(md, encoding="utf-8")
    assert main(["check", str(NETS / "sigmoid_hessian.dd"), str(hand), "--wrt", "w,b"]) == 0
    assert main(["check", str(NETS / "sigmoid_hessian.dd"), str(hand), "--wrt", "w,b", "--order", "2"]) == 1


def test_second_derivatives_of_a_vector_input_per_component():
    # L = -log(softmax(z)[0]) = logsumexp(z) - z0: its Hessian is diag(s) - s sᵀ (by hand)
    z = [1.0, 2.0]
    s = [math.exp(v) for v in z]
    s = [v / sum(s) for v in s]
    H = [[s[0] - s[0] ** 2, -s[0] * s[1]], [-s[0] * s[1], s[1] - s[1] ** 2]]
    md = ("| step | value | d/dz | d²/dz[0] dz[0] | d²/dz[0] dz[1] | d²/dz[1] dz[1] |\n|---|---|---|---|---|---|\n"
          f"| L | {-math.log(s[0]):.8f} | [{s[0] - 1:.8f}, {s[1]:.8f}] | {H[0][0]:.8f} | {H[0][1]:.8f} | {H[1][1]:.8f} |\n")
    for order in (1, 2):
        t = dd.trace_program("z = [1, 2]\ns = softmax(z)\nL = -log(s[0])", wrt=["z"], order=order)
        cells = {c.column: c.verdict for c in t.verify(md).cells if c.step == "L"}
        assert cells == {"value": "correct", "d/dz[0]": "correct", "d/dz[1]": "correct",
                         "d²/dz[0] dz[0]": "correct", "d²/dz[0] dz[1]": "correct", "d²/dz[1] dz[1]": "correct"}
    wrong = md.replace(f"{H[0][1]:.8f}", f"{-H[0][1]:.8f}")
    cells = {c.column: c.verdict for c in t.verify(wrong).cells if c.step == "L"}
    assert [k for k, v in cells.items() if v != "correct"] == ["d²/dz[0] dz[1]"]
