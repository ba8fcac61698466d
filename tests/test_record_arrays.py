"""``dualdiff.trace(f, …)`` of numpy code on vectors and matrices: the recorded trace has
the vector steps a program trace has, and numpy code it cannot record is refused with a
``TypeError`` (never a trace with a step missing).  References: closed forms in numpy."""
from __future__ import annotations

import numpy as np
import pytest

import dualdiff as dd

W = np.array([[0.5, -0.2, 0.3], [-0.4, 0.6, 0.1]])
X = np.array([1.0, 0.5, -1.0])


def test_tanh_layer_steps_gradient_and_adjoints():
    t = dd.trace(lambda W, x: np.tanh(W @ x).sum(), W=W, x=X, adjoints=True)
    assert [s.expr for s in t.steps] == ["W @ x", "tanh(v1)", "sum(v2)"]
    z = W @ X
    s = 1 - np.tanh(z) ** 2                      # d tanh
    np.testing.assert_allclose(t.output.value, np.tanh(z).sum(), rtol=1e-15)
    np.testing.assert_allclose(t.output.derivs["x"], W.T @ s, rtol=1e-14)
    np.testing.assert_allclose(t.output.derivs["W"], np.outer(s, X), rtol=1e-14)
    np.testing.assert_allclose(t["v1"].adjoint, s, rtol=1e-14)
    np.testing.assert_allclose(t["W"].adjoint, np.outer(s, X), rtol=1e-14)
    # the same trace as the program written by hand
    p = dd.trace_program("W = [[0.5, -0.2, 0.3], [-0.4, 0.6, 0.1]]\nx = [1, 0.5, -1]\n"
                         "z = W @ x\na = tanh(z)\nL = sum(a)", adjoints=True)
    np.testing.assert_allclose(t.output.derivs["W"], p.output.derivs["W"], rtol=1e-15)


def test_constant_matrix_indexing_dot_and_softmax():
    def f(x):
        p = dd.softmax(W @ x)
        return -np.log(p[1]) + 0.5 * x.dot(x) + np.mean(x) + x.max()
    t = dd.trace(f, x=X)
    exprs = [s.expr for s in t.steps]
    assert exprs[0].startswith("[[0.5, -0.2, 0.3], [-0.4, 0.6, 0.1]] @ x")
    assert "dot(x, x)" in exprs and "mean(x)" in exprs and "max(x)" in exprs
    y = W @ X
    p = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
    grad = W.T @ (p - np.array([0.0, 1.0])) + X + np.full(3, 1 / 3) + np.array([1.0, 0, 0])
    np.testing.assert_allclose(t.output.derivs["x"], grad, rtol=1e-13)


def test_iteration_and_len_record_index_steps():
    t = dd.trace(lambda x: sum(x[i] ** 2 for i in range(len(x))), x=X)
    assert any(s.expr == "x[2]" for s in t.steps)
    np.testing.assert_allclose(t.output.derivs["x"], 2 * X, rtol=1e-15)
    t2 = dd.trace(lambda x: sum(v * v for v in x), x=X)
    np.testing.assert_allclose(t2.output.derivs["x"], 2 * X, rtol=1e-15)


@pytest.mark.parametrize("f, what", [
    (lambda x: np.cumsum(x).sum(), "numpy.cumsum is not recorded"),
    (lambda x: x.sum(axis=0), "axis=0"),
    (lambda x: np.sum(x, axis=0), "axis=0"),
    (lambda x: x[0:2].sum(), "only integer indices"),
    (lambda x: np.linalg.norm(x), "not recorded"),
    (lambda x: np.concatenate([x, x]).sum(), "numpy.concatenate is not recorded"),
])
def test_numpy_code_without_a_step_is_refused(f, what):
    with pytest.raises(TypeError, match=what):
        dd.trace(f, x=X)


def test_index_out_of_range_and_huge_constant():
    with pytest.raises(IndexError, match="out of range"):
        dd.trace(lambda x: x[3] * 2, x=X)
    big = np.ones((20_000, 3))  # 60,000 entries cannot be written into a step's expression
    with pytest.raises(TypeError, match="pass it as an input"):
        dd.trace(lambda x: (big @ x).sum(), x=X)
    t = dd.trace(lambda B, x: (B @ x).sum(), B=np.ones((300, 3)), x=X)  # as an input it is fine
    np.testing.assert_allclose(t.output.derivs["x"], np.full(3, 300.0))
