"""Networks on paper (issue 12): vectors, matrices and second derivatives in programs.

Every expected number comes from an independent source: numpy closed forms (W = W2·W1,
diag(s) − s sᵀ, p − onehot, U = Σ v_i w_i over active units), sympy (the sigmoid unit's
Hessian) or mpmath; never from dualdiff itself.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import ProgramError
from dualdiff.cli import main

ROOT = Path(__file__).resolve().parent.parent
NETS = ROOT / "traces"


TODO = pytest.mark.xfail(strict=True, reason="issue 12: not implemented yet")


def src(name: str) -> str:
    return (NETS / f"{name}.dd").read_text(encoding="utf-8")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the course's numbers, written out here (not read from the programs) ----------------
W1 = np.array([[1, 2, -1, 0.5], [0, -1, 3, 2]], dtype=float)
B1 = np.array([0.5, -1.0])
W2 = np.array([[2, -1], [1, 3]], dtype=float)
B2 = np.array([1.0, -2.0])
X4 = np.array([1, -2, 0.5, 3], dtype=float)


# ---------------------------------------------------------------------------------------
# 000: stacked linear layers collapse to one layer
# ---------------------------------------------------------------------------------------
def test_linear_layers_collapse_value_and_jacobian():
    t = dd.trace_program(src("linear_collapse"), wrt=["x"])
    W = W2 @ W1                      # 2x2 . 2x4 = 2x4 (the note's shapes)
    b = W2 @ B1 + B2
    y = t.output
    assert y.name == "y"
    assert np.shape(y.value) == (2,)
    np.testing.assert_allclose(y.value, W @ X4 + b, rtol=1e-15, atol=1e-14)
    assert np.shape(y.derivs["x"]) == (2, 4)          # dy_i/dx_j
    np.testing.assert_allclose(y.derivs["x"], W, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(t["z1"].derivs["x"], W1, rtol=0, atol=0)


def test_linear_layers_collapse_derivative_wrt_a_weight_matrix():
    # dy_i/dW1[j,k] = W2[i,j] x_k: derivatives have the input's shape behind the step's.
    t = dd.trace_program(src("linear_collapse"), wrt=["W1", "b1"])
    d = t.output.derivs["W1"]
    assert np.shape(d) == (2, 2, 4)
    np.testing.assert_allclose(d, np.einsum("ij,k->ijk", W2, X4), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(t.output.derivs["b1"], W2, rtol=0, atol=0)


def test_linear_collapse_with_an_input_given_as_list_and_as_numpy():
    x = [0.25, 1.5, -3, 2]
    for given in (x, np.array(x)):
        t = dd.trace_program(src("linear_collapse"), at={"x": given}, wrt=["x"])
        np.testing.assert_allclose(t.output.value, (W2 @ W1) @ np.array(x) + W2 @ B1 + B2, rtol=1e-14)


def test_adjoints_are_shaped_like_steps_and_are_the_backprop_table():
    # L = sum(y): dL/dy = 1, dL/dz1 = W2^T 1, dL/dW1 = (W2^T 1) x^T, dL/dx = W^T 1.
    prog = src("linear_collapse") + "L = sum(y)\n"
    t = dd.trace_program(prog, wrt=["x"], adjoints=True)
    ones = np.ones(2)
    np.testing.assert_allclose(t["y"].adjoint, ones)
    np.testing.assert_allclose(t["z1"].adjoint, W2.T @ ones)
    np.testing.assert_allclose(t["W1"].adjoint, np.outer(W2.T @ ones, X4))
    np.testing.assert_allclose(t["b2"].adjoint, ones)
    np.testing.assert_allclose(t["x"].adjoint, (W2 @ W1).T @ ones)
    assert np.shape(t["W2"].adjoint) == (2, 2)
    # forward and reverse agree: dL/dx from the derivative column
    np.testing.assert_allclose(t.output.derivs["x"], (W2 @ W1).T @ ones, rtol=1e-15)


# ---------------------------------------------------------------------------------------
# 001: softmax sums to 1, Jacobian diag(s) - s s^T
# ---------------------------------------------------------------------------------------
def test_softmax_sums_to_one_and_jacobian_is_diag_minus_outer():
    t = dd.trace_program(src("softmax"), wrt=["z"])
    z = np.array([1, 2, 0.5])
    s = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(t["s"].value, s, rtol=1e-15)
    assert t["total"].value == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(t["s"].derivs["z"], np.diag(s) - np.outer(s, s), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(t["total"].derivs["z"], np.zeros(3), atol=1e-15)


def test_softmax_of_a_scalar_is_an_error_naming_both():
    with pytest.raises(ProgramError) as err:
        dd.trace_program("z1 = 2\np = softmax(z1)")
    msg = str(err.value)
    assert "softmax" in msg and "z1" in msg and "scalar" in msg
    assert err.value.line == 2


# ---------------------------------------------------------------------------------------
# 003: cross-entropy over classes, gradient p - onehot, (yhat - y) x
# ---------------------------------------------------------------------------------------
def _ce_reference():
    W = np.array([[0.2, -0.5], [1.5, 0.3], [-1, 0.8]])
    b = np.array([0.1, -0.2, 0.3])
    x = np.array([1.0, 2.0])
    onehot = np.array([0.0, 1.0, 0.0])
    z = W @ x + b
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    return W, b, x, onehot, z, p


def test_cross_entropy_gradient_is_p_minus_onehot():
    W, b, x, onehot, z, p = _ce_reference()
    t = dd.trace_program(src("softmax_cross_entropy"), wrt=["b"])
    assert t.output.value == pytest.approx(-math.log(p[1]), rel=1e-14)
    np.testing.assert_allclose(t.output.derivs["b"], p - onehot, rtol=1e-13, atol=1e-15)
    # z is a step: dL/dz by reverse mode (the adjoint); dL/dW, dL/db by forward mode
    t = dd.trace_program(src("softmax_cross_entropy"), wrt=["W", "b"], adjoints=True)
    np.testing.assert_allclose(t["z"].adjoint, p - onehot, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t.output.derivs["b"], p - onehot, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t.output.derivs["W"], np.outer(p - onehot, x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t["W"].adjoint, np.outer(p - onehot, x), rtol=1e-13, atol=1e-15)


def test_cross_entropy_by_index_and_logsumexp_agree():
    W, b, x, onehot, z, p = _ce_reference()
    prog = ("W = [[0.2, -0.5], [1.5, 0.3], [-1, 0.8]]\nb = [0.1, -0.2, 0.3]\nx = [1, 2]\n"
            "z = W @ x + b\nL1 = -log(softmax(z)[1])\nL2 = logsumexp(z) - z[1]\n")
    t = dd.trace_program(prog, wrt=["b"])
    for name in ("L1", "L2"):
        assert t[name].value == pytest.approx(-math.log(p[1]), rel=1e-13)
        np.testing.assert_allclose(t[name].derivs["b"], p - onehot, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------
# 004: ReLU network, slope U = sum over active units of v_i w_i
# ---------------------------------------------------------------------------------------
RW = np.array([[1, -1], [0.5, 2]])
RV = np.array([1.5, -2])


@pytest.mark.parametrize("x1,x2", [(0.5, -1), (1, 1), (-1, 1), (-1, -1), (2, -0.1), (-0.3, 0.2)])
def test_relu_network_slope_is_sum_over_active_units(x1, x2):
    t = dd.trace_program(src("relu_net"), at={"x1": x1, "x2": x2})
    z = RW @ np.array([x1, x2])
    active = z > 0
    U = (RV[active, None] * RW[active]).sum(axis=0)        # the thread's U = v w
    assert t.output.value == pytest.approx(float(RV @ np.maximum(z, 0)), abs=1e-15)
    assert t.output.derivs["x1"] == pytest.approx(U[0], abs=1e-15)
    assert t.output.derivs["x2"] == pytest.approx(U[1], abs=1e-15)


def test_relu_network_covers_all_four_linear_regions():
    patterns = set()
    for x1, x2 in [(0.5, -1), (1, 1), (-1, 1), (-1, -1), (2, -0.1), (-0.3, 0.2)]:
        patterns.add(tuple(RW @ np.array([x1, x2]) > 0))
    assert len(patterns) == 4   # the test above really visits every region


# ---------------------------------------------------------------------------------------
# sigmoid unit: squared error, gradient and Hessian against sympy
# ---------------------------------------------------------------------------------------
def _sympy_sigmoid_unit(w0, b0, x0=1.5, z0=1):
    import sympy as sp

    w, b = sp.symbols("w b")
    J = (1 / (1 + sp.exp(-(w * x0 + b))) - z0) ** 2
    at = {w: sp.Rational(str(w0)), b: sp.Rational(str(b0))}
    grad = [float(sp.diff(J, v).subs(at).evalf(30)) for v in (w, b)]
    hess = [[float(sp.diff(J, u, v).subs(at).evalf(30)) for v in (w, b)] for u in (w, b)]
    return grad, hess


@pytest.mark.parametrize("w0,b0", [(0.8, -0.3), (-1.25, 2), (3, -4.5)])
def test_sigmoid_unit_gradient_and_full_hessian_against_sympy(w0, b0):
    grad, hess = _sympy_sigmoid_unit(w0, b0)
    t = dd.trace_program(src("sigmoid_hessian"), at={"w": w0, "b": b0}, wrt=["w", "b"], order=2)
    J = t.output
    assert J.derivs["w"] == pytest.approx(grad[0], rel=1e-13)
    assert J.derivs["b"] == pytest.approx(grad[1], rel=1e-13)
    assert J.derivs2["w,w"] == pytest.approx(hess[0][0], rel=1e-12)
    assert J.derivs2["w,b"] == pytest.approx(hess[0][1], rel=1e-12)
    assert J.derivs2["b,b"] == pytest.approx(hess[1][1], rel=1e-12)
    assert J.derivs2[("b", "w")] == J.derivs2["w,b"]           # symmetric, either spelling


def test_order_two_json_has_derivs2():
    t = dd.trace_program(src("sigmoid_hessian"), wrt=["w", "b"], order=2)
    data = json.loads(t.to_json())
    last = data["steps"][-1]
    grad, hess = _sympy_sigmoid_unit(0.8, -0.3)
    assert last["derivs2"]["w,w"] == pytest.approx(hess[0][0], rel=1e-12)
    assert last["derivs2"]["w,b"] == pytest.approx(hess[0][1], rel=1e-12)
    assert last["derivs2"]["b,b"] == pytest.approx(hess[1][1], rel=1e-12)


def test_order_two_second_derivative_of_a_vector_step():
    # y = W @ x with x = [w, b]-like inputs squared: d2(sum(x**3))/dx_i dx_j = diag(6 x)
    t = dd.trace_program("x = [1, -2, 0.5]\nc = sum(x ** 3)", wrt=["x"], order=2)
    np.testing.assert_allclose(t.output.derivs2["x,x"], np.diag([6.0, -12.0, 3.0]), rtol=1e-15)


def test_table_order_2_cli_has_second_derivative_columns(capsys):
    code, out, err = run(capsys, "table", str(NETS / "sigmoid_hessian.dd"), "--wrt", "w,b", "--order", "2")
    assert code == 0, err
    header = out.splitlines()[0]
    for col in ("d/dw", "d/db", "d²/dw²", "d²/dw db", "d²/db²"):
        assert col in header


def test_table_order_2_check_uses_sympy_second_derivatives(capsys):
    code, out, err = run(capsys, "table", str(NETS / "sigmoid_hessian.dd"), "--wrt", "w,b", "--order", "2",
                         "--check", "--format", "csv")
    assert code == 0, err
    t = dd.trace_program(src("sigmoid_hessian"), wrt=["w", "b"], order=2)
    report = t.check_symbolic()
    grad, hess = _sympy_sigmoid_unit(0.8, -0.3)
    rows = {(r.step, r.input): r for r in report.rows}
    assert rows[("J", "w,b")].verdict == "ok"
    assert float(rows[("J", "w,b")].sympy_value) == pytest.approx(hess[0][1], rel=1e-13)
    assert float(rows[("J", "b,b")].sympy_value) == pytest.approx(hess[1][1], rel=1e-13)


def test_check_catches_a_wrong_second_derivative():
    t = dd.trace_program(src("sigmoid_hessian"), wrt=["w", "b"], order=2)
    t.output.derivs2 = type(t.output.derivs2)({**t.output.derivs2, "w,b": t.output.derivs2["w,b"] * 1.001})
    report = t.check_symbolic()
    assert not report.ok
    assert any(r.step == "J" and r.input == "w,b" and r.verdict == "MISMATCH" for r in report.rows)


def test_check_catches_a_wrong_vector_derivative():
    t = dd.trace_program(src("softmax"), wrt=["z"])
    t["s"].derivs["z"][1, 2] += 1e-6
    report = t.check_symbolic()
    assert not report.ok
    assert [(r.step, r.input) for r in report.rows if r.verdict == "MISMATCH"] == [("s[1]", "z[2]")]


def test_diff_order_2_prints_gradient_and_hessian(capsys):
    grad, hess = _sympy_sigmoid_unit(0.8, -0.3)
    code, out, err = run(capsys, "diff", "(sigmoid(w*1.5 + b) - 1)**2", "--at", "w=0.8,b=-0.3",
                         "--order", "2", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["gradient"] == pytest.approx(grad, rel=1e-13)
    np.testing.assert_allclose(data["hessian"], hess, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# the 2-layer network: tables in every format, JSON nested lists
# ---------------------------------------------------------------------------------------
def _two_layer_reference():
    W1 = np.array([[0.5, -0.2, 0.3, 0.1], [-0.4, 0.6, 0.1, 0.2]])
    b1 = np.array([0.01, -0.02])
    W2 = np.array([[0.5, -0.3], [0.2, 0.8]])
    b2 = np.array([0.1, -0.1])
    x = np.array([1, 0.5, -1, 2])
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0)
    y = W2 @ a1 + b2
    p = np.exp(y) / np.exp(y).sum()
    L = -np.log(p[0])
    dy = p - np.array([1.0, 0.0])
    da1 = W2.T @ dy
    dz1 = da1 * (z1 > 0)
    return dict(W1=W1, b1=b1, W2=W2, b2=b2, x=x, z1=z1, a1=a1, y=y, p=p, L=L,
                dy=dy, dz1=dz1, dW1=np.outer(dz1, x), dW2=np.outer(dy, a1), dx=W1.T @ dz1)


def test_two_layer_network_backprop_table():
    r = _two_layer_reference()
    assert (r["z1"] > 0.1).all()     # both hidden units clearly active: no kink nearby
    t = dd.trace_program(src("two_layer"), wrt=["x"], adjoints=True)
    assert t.output.value == pytest.approx(r["L"], rel=1e-14)
    np.testing.assert_allclose(t.output.derivs["x"], r["dx"], rtol=1e-13)
    np.testing.assert_allclose(t["y"].adjoint, r["dy"], rtol=1e-13)
    np.testing.assert_allclose(t["z1"].adjoint, r["dz1"], rtol=1e-13)
    np.testing.assert_allclose(t["W1"].adjoint, r["dW1"], rtol=1e-13)
    np.testing.assert_allclose(t["W2"].adjoint, r["dW2"], rtol=1e-13)
    np.testing.assert_allclose(t["x"].adjoint, r["dx"], rtol=1e-13)


def test_two_layer_json_has_nested_lists():
    r = _two_layer_reference()
    t = dd.trace_program(src("two_layer"), wrt=["x", "W2"], adjoints=True)
    data = json.loads(t.to_json())
    assert data["inputs"]["W1"] == r["W1"].tolist()
    steps = {s["name"]: s for s in data["steps"]}
    np.testing.assert_allclose(steps["z1"]["value"], r["z1"], rtol=1e-15)
    assert np.shape(steps["z1"]["derivs"]["x"]) == (2, 4)
    assert np.shape(steps["y"]["derivs"]["W2"]) == (2, 2, 2)
    np.testing.assert_allclose(steps["z1"]["adjoint"], r["dz1"], rtol=1e-13)
    assert np.shape(steps["L"]["derivs"]["W2"]) == (2, 2)


@pytest.mark.parametrize("fmt", ["github", "plain", "simple", "grid", "latex", "latex_booktabs", "html",
                                 "csv"])
def test_two_layer_table_every_format_one_row_per_component(fmt):
    r = _two_layer_reference()
    t = dd.trace_program(src("two_layer"), wrt=["x"], adjoints=True)
    text = t.table(fmt, digits=8)
    # one row per component of a vector/matrix step, derivative columns per input component
    for name in ("z1", "a1", "y", "p"):
        for i in range(2):
            assert any(form in text for form in (f"{name}[{i}]", f"{name}_{{{1}}}[{i}]", f"[{i}]")), name
    assert any(form in text for form in ("W1[1,3]", "W₁[1,3]", "$W_{1}$[1,3]")), text
    for j in range(4):
        assert f"x[{j}]" in text
    assert dd.render.format_number(r["z1"][0], 8) in text
    assert dd.render.format_number(r["dW1"][1, 3], 8) in text


def test_two_layer_csv_rows_parse_back_to_the_numbers():
    import csv
    import io

    r = _two_layer_reference()
    t = dd.trace_program(src("two_layer"), wrt=["x"])
    rows = list(csv.reader(io.StringIO(t.table("csv", digits=17))))
    # at 17 digits a float cell with only 16 right carries the audit's mark "*" (SPEC §5)
    rows = [[c[:-1] if c.endswith("*") else c for c in row] for row in rows]
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    col = header.index("d/dx[2]")
    assert float(body["z1[1]"][2]) == pytest.approx(r["z1"][1], rel=1e-15)
    assert float(body["z1[1]"][col]) == pytest.approx(r["W1"][1, 2], rel=1e-15)
    assert float(body["L"][col]) == pytest.approx(r["dx"][2], rel=1e-13)


def test_expand_splits_vector_operations():
    t = dd.trace_program(src("two_layer"), wrt=["x"], expand=True)
    exprs = [s.expr for s in t.steps]
    assert "W1 @ x" in exprs
    r = _two_layer_reference()
    assert t.output.value == pytest.approx(r["L"], rel=1e-14)


def test_symbolic_check_covers_vector_steps():
    for name in ("linear_collapse", "softmax", "softmax_cross_entropy", "relu_net", "two_layer"):
        t = dd.trace_program(src(name))
        report = t.check_symbolic()
        assert report.ok, name


def test_verify_hand_table_given_per_component_and_as_list():
    r = _two_layer_reference()
    t = dd.trace_program(src("softmax"), wrt=["z"])
    z = np.array([1, 2, 0.5])
    s = np.exp(z) / np.exp(z).sum()
    J = np.diag(s) - np.outer(s, s)
    hand = {f"s[{i}]": (round(s[i], 6),) + tuple(round(J[i, j], 6) for j in range(3)) for i in range(3)}
    report = t.verify(hand)
    assert report.counts.get("wrong", 0) == 0
    assert report.counts.get("correct", 0) >= 12
    wrong = dict(hand)
    wrong["s[1]"] = (round(s[0], 6),) + hand["s[1]"][1:]
    report = t.verify(wrong)
    assert report.counts.get("wrong", 0) >= 1
    del r


# ---------------------------------------------------------------------------------------
# hostile vector programs: one clear error, within the existing limits
# ---------------------------------------------------------------------------------------
def test_million_element_literal_is_refused_quickly():
    text = "x = [" + ", ".join(["1"] * 10**6) + "]\ny = sum(x)"
    with pytest.raises(ProgramError):
        dd.trace_program(text)


def test_million_element_input_from_command_line_is_refused(capsys):
    big = "[" + ",".join(["1"] * 10**6) + "]"
    code, out, err = run(capsys, "table", str(NETS / "softmax.dd"), "--at", f"z={big}")
    assert code == 2 and err.startswith("dualdiff: error:") and len(err.splitlines()) == 1


def test_thousand_deep_brackets_are_refused():
    with pytest.raises(ProgramError) as err:
        dd.trace_program("x = " + "[" * 1000 + "1" + "]" * 1000 + "\ny = sum(x)")
    assert err.value.line == 1


def test_three_dimensional_literal_is_refused():
    with pytest.raises(ProgramError) as err:
        dd.trace_program("x = [[[1, 2]], [[3, 4]]]\ny = sum(x)")
    assert "dimension" in str(err.value)


def test_mismatched_shapes_name_line_column_and_both_shapes():
    with pytest.raises(ProgramError) as err:
        dd.trace_program("W = [[1, 2], [3, 4]]\nx = [1, 2, 3]\ny = W @ x")
    e = err.value
    assert e.line == 3 and e.col == 7
    assert "(2, 2)" in str(e) and "(3,)" in str(e)
    with pytest.raises(ProgramError) as err:
        dd.trace_program("a = [1, 2]\nb = [1, 2, 3]\nc = a + b")
    assert err.value.line == 3 and "(2,)" in str(err.value) and "(3,)" in str(err.value)


def test_index_out_of_range():
    with pytest.raises(ProgramError) as err:
        dd.trace_program("v = [1, 2, 3]\ny = v[3]")
    assert err.value.line == 2 and "3" in str(err.value) and "(3,)" in str(err.value)
    with pytest.raises(ProgramError):
        dd.trace_program("W = [[1, 2], [3, 4]]\ny = W[0, 2]")
    with pytest.raises(ProgramError):
        dd.trace_program("W = [[1, 2], [3, 4]]\ny = W[0, 0, 0]")
    with pytest.raises(ProgramError):
        dd.trace_program("v = [1, 2]\ny = v[0.5]")


def test_matrix_of_strings_is_refused():
    with pytest.raises(ProgramError) as err:
        dd.trace_program('W = [["a", "b"], ["c", "d"]]\ny = sum(W)')
    assert "string" in str(err.value)
    with pytest.raises(ProgramError):
        dd.trace_program("W = [[1, 2], [3, 4]]\ny = sum(W)", at={"W": [["a", "b"], ["c", "d"]]})


def test_ragged_literal_is_refused():
    with pytest.raises(ProgramError) as err:
        dd.trace_program("W = [[1, 2], [3]]\ny = sum(W)")
    assert "row" in str(err.value) or "length" in str(err.value)


def test_at_input_shape_must_match_the_declared_shape():
    with pytest.raises(ProgramError) as err:
        dd.trace_program(src("linear_collapse"), at={"x": [1, 2]})
    assert "(4,)" in str(err.value) and "(2,)" in str(err.value)


def test_cli_vector_input(capsys):
    code, out, err = run(capsys, "table", str(NETS / "softmax.dd"), "--at", "z=[0, 0, 0]", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    np.testing.assert_allclose(data["steps"][0]["value"], [1 / 3] * 3, rtol=1e-15)


def test_plot_program_against_one_input(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "relu.png"
    code, _, err = run(capsys, "plot", str(NETS / "relu_net.dd"), "--range", "-2", "2", "--wrt", "x1",
                       "--out", str(out))
    assert code == 0, err
    assert out.stat().st_size > 1000


def test_matrix_product_of_scalars_is_an_error_with_position():
    with pytest.raises(ProgramError) as err:
        dd.trace_program("y = 2\nz = y @ y")
    assert err.value.line == 2 and err.value.col == 7 and "scalar" in str(err.value)


def test_order_two_hessian_of_the_two_layer_network_closed_form():
    # relu is locally linear: d2L/dx2 = J^T (diag(p) - p p^T) J with J = W2 D W1 (D: active units)
    r = _two_layer_reference()
    D = np.diag((r["z1"] > 0).astype(float))
    J = r["W2"] @ D @ r["W1"]
    Hy = np.diag(r["p"]) - np.outer(r["p"], r["p"])
    t = dd.trace_program(src("two_layer"), wrt=["x"], order=2)
    np.testing.assert_allclose(t.output.derivs2["x,x"], J.T @ Hy @ J, rtol=1e-12, atol=1e-16)
    assert np.shape(t["z1"].derivs2["x,x"]) == (2, 4, 4)
    np.testing.assert_allclose(t["z1"].derivs2["x,x"], 0, atol=0)


def test_program_function_is_the_piecewise_linear_network():
    from dualdiff.operators import value_and_derivative
    from dualdiff.plotting import program_function

    f = program_function(NETS / "relu_net.dd", "x1")
    grid = np.array([-1.5, -0.5, 0.0, 1.0, 3.0])
    y, dy = value_and_derivative(f, grid)
    x2 = -1.0
    for x1, yv, dv in zip(grid, y, dy):
        z = RW @ np.array([x1, x2])
        active = z > 0
        assert yv == pytest.approx(float(RV @ np.maximum(z, 0)), abs=1e-15)
        assert dv == pytest.approx(float((RV[active] * RW[active, 0]).sum()), abs=1e-15)
    with pytest.raises(ProgramError):
        program_function(NETS / "relu_net.dd", "W")      # a matrix is not an x axis
    with pytest.raises(ProgramError):
        program_function(NETS / "relu_net.dd")           # two scalar inputs: say which


def test_verify_markdown_with_component_rows_written_three_ways():
    z = np.array([1, 2, 0.5])
    s = np.exp(z) / np.exp(z).sum()
    J = np.diag(s) - np.outer(s, s)
    lines = ["| step | value | d/dz[0] | d/dz[1] | d/dz[2] |", "|---|---|---|---|---|"]
    for i, name in enumerate(["s[0]", "s_1", "s₂"]):
        lines.append(f"| {name} | {s[i]:.6f} | " + " | ".join(f"{J[i, j]:.6f}" for j in range(3)) + " |")
    lines.append("| total | 1.000000 | | | |")
    t = dd.trace_program(NETS / "softmax.dd", wrt=["z"])
    report = t.verify("\n".join(lines) + "\n")
    judged = {(c.step, c.column): c.verdict for c in report.cells if not c.step.startswith("z")}
    assert [k for k, v in judged.items() if v != "correct"] == [("total", f"d/dz[{j}]") for j in range(3)]
    assert all(judged[(f"s[{i}]", col)] == "correct" for i in range(3)
               for col in ("value", "d/dz[0]", "d/dz[1]", "d/dz[2]"))
    lines[3] = lines[3].replace(f"{J[1, 2]:.6f}", f"{J[1, 0]:.6f}")   # a copied cell in row s_1
    report = t.verify("\n".join(lines) + "\n")
    assert [(c.step, c.column) for c in report.cells if c.verdict == "wrong"] == [("s[1]", "d/dz[2]")]


def test_check_command_grades_a_vector_program_per_component(tmp_path, capsys):
    z = np.array([1, 2, 0.5])
    s = np.exp(z) / np.exp(z).sum()
    J = np.diag(s) - np.outer(s, s)
    rows = ["| step | value | d/dz[0] | d/dz[1] | d/dz[2] |", "|---|---|---|---|---|"]
    for i in range(3):
        rows.append(f"| s_{i} | {s[i]:.6f} | " + " | ".join(f"{J[i, j]:.6f}" for j in range(3)) + " |")
    hand = tmp_path / "hand.md"
    hand.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "check", str(NETS / "softmax.dd"), str(hand), "--format", "json")
    data = json.loads(out)
    cells = [c for c in data["cells"] if c["verdict"] != "correct"]
    assert all(c["step"] == "total" and c["verdict"] == "missing" for c in cells), cells
    assert sum(c["verdict"] == "correct" for c in data["cells"]) == 12
    assert code == 1   # the total row is missing


def test_json_of_a_vector_trace_is_audited_step_by_step():
    # vector traces are audited like scalar ones (SPEC §5): "accuracy" per step, nothing
    # at the top level that says otherwise
    data = json.loads(dd.trace_program(NETS / "softmax.dd").to_json())
    assert "accuracy" not in data
    acc = {s["name"]: s["accuracy"] for s in data["steps"]}
    assert acc["s"]["value"] >= 15 and acc["s"]["inaccurate"] == []
    # d(sum(softmax(z)))/dz is exactly 0; the float sum leaves ~1e-17, which no digit of is right
    assert "z" in acc["total"]["inaccurate"] and acc["total"]["derivs"]["z"] == 0
