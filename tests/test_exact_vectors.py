"""Exact traces (``exact=True`` / ``--exact``) of vector and matrix programs: the course's
networks with sympy numbers.  Every expected value is computed here independently:
Python ``Fraction`` arithmetic for the linear layers, sympy matrices for softmax, the
backpropagation formula and the sigmoid unit's Hessian."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import dualdiff as dd

TRACES = Path(__file__).resolve().parent.parent / "traces"


def load(name: str):
    return dd.load_program(TRACES / f"{name}.dd")


def F(x: float) -> Fraction:
    return Fraction(x)  # a binary float exactly, as exact mode reads a program's numbers


def is_zero(expr) -> bool:
    """Exactly 0 for rationals; else 0 to 60 digits (sympy's evalf, certified with strict)."""
    expr = sp.sympify(expr)
    if expr.is_Rational:
        return expr == 0
    try:
        return abs(expr.evalf(60, strict=True)) < sp.Float(10) ** -50
    except sp.core.evalf.PrecisionExhausted:  # cannot be told from 0 at 2000 bits
        return True


# ---------------------------------------------------------------------------
# linear layers collapse, exactly (course note 000)
# ---------------------------------------------------------------------------
W1 = [[1, 2, -1, 0.5], [0, -1, 3, 2]]
B1 = [0.5, -1]
W2 = [[2, -1], [1, 3]]
B2 = [1, -2]
X = [1, -2, 0.5, 3]


def matvec(M, v):
    return [sum(F(m) * F(x) for m, x in zip(row, v)) for row in M]


def test_linear_collapse_exact_values_and_jacobian():
    t = dd.trace_program(load("linear_collapse"), exact=True, wrt="x")
    W = [[sum(F(W2[i][k]) * F(W1[k][j]) for k in range(2)) for j in range(4)] for i in range(2)]
    b = [sum(F(W2[i][k]) * F(B1[k]) for k in range(2)) + F(B2[i]) for i in range(2)]
    want = [sum(W[i][j] * F(X[j]) for j in range(4)) + b[i] for i in range(2)]
    y = t["y"]
    assert y.value.dtype == object
    for i in range(2):
        assert y.value[i] == sp.Rational(want[i].numerator, want[i].denominator)
        for j in range(4):  # dy/dx = W2 W1, exactly
            assert y.derivs["x"][i, j] == sp.Rational(W[i][j].numerator, W[i][j].denominator)
            assert type(y.derivs["x"][i, j]).__module__.startswith("sympy")  # not a float 0.0 or 1.0


def test_exact_vector_inputs_from_text_are_decimal_fractions():
    t = dd.trace_program(load("linear_collapse"), at={"x": "[0.1, 0, 0, 0]"}, exact=True, wrt="x")
    z1 = t["z1"].value
    # W1 @ x + b1 with x = (1/10, 0, 0, 0): (1/10 + 1/2, -1)
    assert list(z1) == [sp.Rational(3, 5), -1]


# ---------------------------------------------------------------------------
# softmax (course sheet 001)
# ---------------------------------------------------------------------------
def test_softmax_exact_value_and_jacobian():
    t = dd.trace_program(load("softmax"), exact=True, wrt="z")
    z = [sp.Integer(1), sp.Integer(2), sp.Rational(1, 2)]
    S = sum(sp.exp(v) for v in z)
    s = [sp.exp(v) / S for v in z]
    got = t["s"]
    for i in range(3):
        assert is_zero(got.value[i] - s[i])
        for j in range(3):  # diag(s) - s s^T
            want = (s[i] if i == j else 0) - s[i] * s[j]
            assert is_zero(got.derivs["z"][i, j] - want)
    assert is_zero(t["total"].value - 1)
    # sum(s) is constant: its exact derivative cancels to 0, and the table says 0, not 1e-134
    for j in range(3):
        assert is_zero(t["total"].derivs["z"][j])
    row = [r for r in t.table("csv").splitlines() if r.startswith("total")][0]
    cells = row.split(",")
    assert cells[-3:] == ["0", "0", "0"], row
    doc = json.loads(t.to_json())
    assert doc["steps"][-1]["derivs"]["z"] == [0, 0, 0] or doc["steps"][-1]["derivs"]["z"] == [0.0, 0.0, 0.0]


def test_softmax_exact_second_derivatives():
    t = dd.trace_program(load("softmax"), exact=True, wrt="z", order=2)
    zs = sp.symbols("z0:3")
    s0 = sp.exp(zs[0]) / sum(sp.exp(v) for v in zs)
    at = {zs[0]: 1, zs[1]: 2, zs[2]: sp.Rational(1, 2)}
    H = t["s"].derivs2["z,z"]
    for j in range(3):
        for k in range(3):
            assert is_zero(H[0, j, k] - sp.diff(s0, zs[j], zs[k]).subs(at))


# ---------------------------------------------------------------------------
# the 2-layer network: gradient and adjoints (backpropagation), exactly
# ---------------------------------------------------------------------------
def two_layer_reference():
    src = (TRACES / "two_layer.dd").read_text()
    vals = {}
    for line in src.splitlines():
        if "=" in line and line.split("=")[0].strip() in ("W1", "b1", "W2", "b2", "x"):
            name, text = line.split("=", 1)
            vals[name.strip()] = json.loads(text)

    def m(v):
        return sp.Matrix([[sp.Rational(F(e)) for e in r] for r in v]) if isinstance(v[0], list) \
            else sp.Matrix([sp.Rational(F(e)) for e in v])
    W1_, b1_, W2_, b2_, x_ = (m(vals[k]) for k in ("W1", "b1", "W2", "b2", "x"))
    z1 = W1_ * x_ + b1_
    a1 = z1.applyfunc(lambda v: v if v > 0 else 0)
    mask = sp.diag(*[1 if v > 0 else 0 for v in z1])
    y = W2_ * a1 + b2_
    p = y.applyfunc(sp.exp) / sum(sp.exp(v) for v in y)
    g_y = p - sp.Matrix([1, 0])               # dL/dy for L = -log p[0]
    g_a1 = W2_.T * g_y
    g_z1 = mask * g_a1
    g_x = W1_.T * g_z1
    g_W1 = g_z1 * x_.T
    return {"L": -sp.log(p[0]), "x": g_x, "W1": g_W1, "z1": g_z1, "y": g_y}


def test_two_layer_exact_adjoints_and_gradient():
    ref = two_layer_reference()
    t = dd.trace_program(load("two_layer"), exact=True, wrt="x", adjoints=True)
    assert is_zero(t["L"].value - ref["L"])
    for name in ("x", "z1", "y"):
        adj = t[name].adjoint
        assert adj.dtype == object
        for i in range(len(adj)):
            assert is_zero(adj[i] - ref[name][i]), (name, i)
    for j in range(4):
        assert is_zero(t["L"].derivs["x"][j] - ref["x"][j])
    adjW = t["W1"].adjoint
    for i in range(2):
        for j in range(4):
            assert is_zero(adjW[i, j] - ref["W1"][i, j])


def test_two_layer_exact_agrees_with_the_float_trace():
    ex = dd.trace_program(load("two_layer"), exact=True, adjoints=True)
    fl = dd.trace_program(load("two_layer"), adjoints=True)
    for a, b in zip(ex.rows, fl.rows):
        np.testing.assert_allclose(np.asarray(a.value, dtype=float), b.value, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(np.asarray(a.adjoint, dtype=float), b.adjoint, rtol=1e-12, atol=1e-15)
        for w in fl.wrt:
            np.testing.assert_allclose(np.asarray(a.derivs[w], dtype=float), b.derivs[w], rtol=1e-12, atol=1e-15)


def test_two_layer_exact_symbolic_check_covers_vector_steps():
    t = dd.trace_program(load("two_layer"), exact=True, wrt="x")
    report = t.check_symbolic()
    assert report.ok
    components = sum(int(np.size(s.value)) for s in t.steps)
    assert len(report) == components * 4


# ---------------------------------------------------------------------------
# the sigmoid unit's Hessian, exactly
# ---------------------------------------------------------------------------
def test_sigmoid_hessian_exact():
    t = dd.trace_program(load("sigmoid_hessian"), exact=True, wrt="w,b", order=2)
    w, b = sp.symbols("w b")
    x, z = sp.Rational(3, 2), 1
    J = (1 / (1 + sp.exp(-(w * x + b))) - z) ** 2
    at = {w: sp.Rational(F(0.8)), b: sp.Rational(F(-0.3))}
    d2 = t["J"].derivs2
    assert is_zero(d2["w,w"] - sp.diff(J, w, w).subs(at))
    assert is_zero(d2["w,b"] - sp.diff(J, w, b).subs(at))
    assert is_zero(d2["b,b"] - sp.diff(J, b, b).subs(at))


# ---------------------------------------------------------------------------
# limits and what stays unsupported: one clear error
# ---------------------------------------------------------------------------
def test_exact_vector_too_many_entries_is_refused():
    src = "x = [" + ", ".join("1" for _ in range(200)) + "]\ny = sum(x * x)"
    with pytest.raises(dd.ProgramError, match="exact mode.*MAX_EXACT_ENTRIES"):
        dd.trace_program(src, exact=True)
    t = dd.trace_program(src, exact=True, wrt=[])  # no derivative columns: 200 numbers are fine
    assert t.output.value == 200


def test_exact_vector_input_nan_is_refused():
    with pytest.raises(dd.ProgramError, match="input x.*no exact value"):
        dd.trace_program("x = [1, 2]\ny = sum(x)", at={"x": np.array([1.0, np.nan])}, exact=True)


def test_exact_vector_growth_hits_the_digit_limit():
    src = "x = [3, 7]\n" + "".join(f"x{k} = {'x' if k == 1 else f'x{k-1}'} * {'x' if k == 1 else f'x{k-1}'}\n"
                                    for k in range(1, 16)) + "y = sum(x15)"
    with pytest.raises(dd.ProgramError, match="digits"):
        dd.trace_program(src, exact=True)


def test_cli_exact_network_table():
    r = subprocess.run([sys.executable, "-m", "dualdiff", "table", str(TRACES / "two_layer.dd"), "--exact",
                        "--wrt", "x", "--adjoints", "--format", "csv"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = {line.split(",")[0]: line for line in r.stdout.splitlines()}
    assert "z1[1]" in rows and "51881467707308109/288230376151711744" in rows["z1[1]"]  # its own entry
    assert "Traceback" not in r.stderr


def test_exact_vector_entry_that_is_not_real_is_an_error():
    # (-8) ** (1/3) has no real value in exact arithmetic: one clear error, not a complex entry
    with pytest.raises(dd.ProgramError, match="not a real number"):
        dd.trace_program("x = [-8, 8]\ny = sum(x ** (1/3))", exact=True)
