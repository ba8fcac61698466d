"""ForwardDiff.jl's hard-coded cases, bug-fix regressions and perturbation-confusion tests.

Origins: JuliaDiff/ForwardDiff.jl test/GradientTest.jl, HessianTest.jl, JacobianTest.jl,
DerivativeTest.jl, ConfusionTest.jl.  Expected values are ForwardDiff's published numbers
(quoted), closed forms worked out in the comments, or mpmath (60 digits).
"""
import math

import numpy as np
import pytest

import dualdiff as dd

import peer_cases as pc
from peer_cases import close


# ------------------------------------------------------------------ GradientTest / HessianTest
def test_forwarddiff_rosenbrock_1_hardcoded_gradient():
    # GradientTest.jl "hardcoded test": x = [0.1, 0.2, 0.3], g = [-9.4, 15.6, 52.0]
    x = [0.1, 0.2, 0.3]
    close(dd.gradient(pc.rosenbrock_1, x), [-9.4, 15.6, 52.0], rtol=1e-13)
    close(pc.rosenbrock_1(np.array(x)), pc.mp_value(pc.rosenbrock_1, x), rtol=1e-14)


def test_forwarddiff_rosenbrock_1_hardcoded_hessian():
    # HessianTest.jl: h = [-66 -40 0; -40 130 -80; 0 -80 200]
    h = [[-66.0, -40.0, 0.0], [-40.0, 130.0, -80.0], [0.0, -80.0, 200.0]]
    close(dd.hessian(pc.rosenbrock_1, [0.1, 0.2, 0.3]), h, rtol=1e-13, atol_scale=1e-14)


@pytest.mark.parametrize("f", [pc.rosenbrock_1, pc.rosenbrock_3], ids=["loop", "slices"])
def test_forwarddiff_rosenbrock_hardcoded_both_spellings(f):
    # the loop and the slice spelling of the same function give the published numbers
    x = [0.1, 0.2, 0.3]
    close(dd.gradient(f, x), [-9.4, 15.6, 52.0], rtol=1e-13)
    close(dd.hessian(f, x), [[-66.0, -40.0, 0.0], [-40.0, 130.0, -80.0], [0.0, -80.0, 200.0]],
          rtol=1e-13, atol_scale=1e-14)


@pytest.mark.parametrize("y, expected", [(1.5, [0.0, 0.0])])
def test_forwarddiff_exponential_at_base_zero_gradient(y, expected):
    # GradientTest.jl "exponential function at base zero": gradient(t -> t[1]^t[2], [0, 1.5])
    # == [0, 0]: d/dx x^1.5 = 1.5·0^0.5 = 0 and d/dy 0^y = 0 for y > 0.
    close(dd.gradient(lambda t: t[0] ** t[1], [0.0, y]), expected, rtol=0, atol_scale=0)


def test_forwarddiff_chunk_size_zero():
    # GradientTest.jl issue 399: a constant function; an empty input gives an empty gradient
    assert list(dd.gradient(lambda x: 1.0, [1.0])) == [0.0]
    g = dd.gradient(lambda x: 1.0, np.zeros(0))
    assert np.shape(g) == (0,)


def test_forwarddiff_dimension_error_for_gradient():
    # GradientTest.jl: gradient of a non-scalar function is an error (ours: ValueError)
    with pytest.raises(ValueError):
        dd.gradient(lambda x: x, np.full(2, 2 * math.pi))


def _det2(A):
    return (A[0, 0] * (A[1, 1] * A[2, 2] - A[1, 2] * A[2, 1])
            - A[0, 1] * (A[1, 0] * A[2, 2] - A[1, 2] * A[2, 0])
            + A[0, 2] * (A[1, 0] * A[2, 1] - A[1, 1] * A[2, 0]))


_A197 = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, math.pi, 3.0]])
_GRAD197 = [[6.0, 0.0, 0.0], [0.0, 3.0, -math.pi], [0.0, 0.0, 2.0]]


def test_forwarddiff_det_with_branches_det2():
    # GradientTest.jl "det with branches" (issue 197): ∇A = [6 0 0; 0 3 -π; 0 0 2]
    close(dd.gradient(_det2, _A197), _GRAD197, rtol=1e-15, atol_scale=1e-15)


def test_forwarddiff_det_with_branches_det():
    close(dd.gradient(np.linalg.det, _A197), _GRAD197, rtol=1e-13, atol_scale=1e-14)


def test_forwarddiff_hessian_det_equals_det2():
    # issue 407: hessian(det, A) ≈ hessian(det2, A); the reference is mpmath's Hessian of det2
    ref = pc.mp_hessian(lambda A, m: _det2(A), _A197).reshape(9, 9)
    close(dd.hessian(_det2, _A197).reshape(9, 9), ref, rtol=1e-10, atol_scale=1e-12)
    close(dd.hessian(np.linalg.det, _A197).reshape(9, 9), ref, rtol=1e-10, atol_scale=1e-12)


def test_forwarddiff_log_det_of_cholesky_factor():
    # discourse 77961: gradient(L -> log(det(L)), L) for L = chol([1 .8; .8 1]).L is
    # inv(L)ᵀ = [1 -4/3; 0 5/3] (d log det L = tr(L⁻¹ dL))
    L = np.linalg.cholesky(np.array([[1.0, 0.8], [0.8, 1.0]]))
    close(dd.gradient(lambda M: np.log(np.linalg.det(M)), L), [[1.0, -4.0 / 3.0], [0.0, 5.0 / 3.0]],
          rtol=1e-12, atol_scale=1e-14)


def test_forwarddiff_branches_in_mul():
    # issue 536: derivative(x -> sum(x*a*b), 0) ≈ sum(a*b)
    a, b = pc.P3, pc.M3
    close(dd.derivative(lambda x: np.sum(x * a @ b), 0.0), np.sum(a @ b), rtol=1e-14)


@pytest.mark.parametrize("n", [3, 10, 20])
def test_forwarddiff_triangular_gradients(n):
    # issue 738 (structure aside: numpy has no triangular type): gradient(sum, T) = ones,
    # gradient(x -> dot(M, x), T) = M (dot of matrices = Frobenius product)
    rng = np.random.default_rng(n)
    M = rng.random((n, n))
    T = np.tril(rng.standard_normal((n, n)))
    close(dd.gradient(np.sum, T), np.ones((n, n)), rtol=0, atol_scale=0)
    close(dd.gradient(lambda x: np.sum(M * x), T), M, rtol=1e-15, atol_scale=0)


def test_forwarddiff_nan_safe_log_zero_raises():
    # issue 774: log(0·x[1] + x[2]) at [1, 0]: log(0) is outside log's domain; ForwardDiff
    # returns NaN/Inf, dualdiff's documented behaviour on floats is a ValueError naming log
    with pytest.raises(ValueError, match="log"):
        dd.gradient(lambda x: dd.log(0 * x[0] + x[1]), [1.0, 0.0])


def test_forwarddiff_branches_in_dot_hessian():
    # HessianTest.jl issue 551: hessian(x -> dot(x, H, x)) = H + Hᵀ
    H = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    ref = [[2.0, 6, 10], [6, 10, 14], [10, 14, 18]]
    for x0 in (np.full(3, 0.00001), np.zeros(3)):
        close(dd.hessian(lambda x: np.dot(x, H @ x), x0), ref, rtol=1e-13, atol_scale=0)
        close(dd.hessian(lambda x: x @ H @ x, x0), ref, rtol=1e-13, atol_scale=0)


def test_forwarddiff_static_hessian_case():
    # HessianTest.jl issue 720: g(r) = (r1² - 3)(r2² - 2) at (0.5, 2.8):
    # H = [[2(r2² - 2), 4 r1 r2], [4 r1 r2, 2(r1² - 3)]]
    r1, r2 = 0.5, 2.8
    H = dd.hessian(lambda r: (r[0] ** 2 - 3) * (r[1] ** 2 - 2), [r1, r2])
    close(H, [[2 * (r2 ** 2 - 2), 4 * r1 * r2], [4 * r1 * r2, 2 * (r1 ** 2 - 3)]], rtol=1e-14)


# ------------------------------------------------------------------ JacobianTest.jl
def _jac_f(x):
    y = [0.0] * 4
    y[0] = x[0] * x[1]
    y[0] *= np.sin(x[2] ** 2)
    y[1] = y[0] + x[2]
    y[2] = y[0] / y[1]
    y[3] = x[2]
    return np.array(y)


def test_forwarddiff_jacobian_hardcoded():
    # JacobianTest.jl hardcoded test, x = [1, 2, 3] (integers in the peer's test too)
    j = [[0.8242369704835132, 0.4121184852417566, -10.933563142616123],
         [0.8242369704835132, 0.4121184852417566, -9.933563142616123],
         [0.169076696546684, 0.084538348273342, -2.299173530851733],
         [0.0, 0.0, 1.0]]
    close(dd.jacobian(_jac_f, [1, 2, 3]), j, rtol=1e-13, atol_scale=1e-15)


def test_forwarddiff_jacobian_hardcoded_as_list():
    # the same function returning a Python list instead of an array
    J = dd.jacobian(lambda x: list(_jac_f(x)), [1.0, 2.0, 3.0])
    close(J, pc.mp_jacobian(lambda x, m: np.array(_jac_f_mp(x, m)), [1.0, 2.0, 3.0]), rtol=1e-13, atol_scale=1e-15)


def _jac_f_mp(x, m):
    y = [0] * 4
    y[0] = x[0] * x[1]
    y[0] *= m.sin(x[2] ** 2)
    y[1] = y[0] + x[2]
    y[2] = y[0] / y[1]
    y[3] = x[2]
    return y


def test_forwarddiff_jacobian_diff_dims1():
    # JacobianTest.jl: jacobian(A -> diff(A; dims=1), x) for a 3×3 x: linear, so the
    # reference is numpy's diff applied to the unit basis
    x = pc.M3
    ref = np.stack([np.diff(np.eye(9)[k].reshape(3, 3), axis=0).ravel() for k in range(9)], axis=-1)
    close(dd.jacobian(lambda A: A[1:, :] - A[:-1, :], x), ref, rtol=0, atol_scale=0)


def test_forwarddiff_dimension_error_for_jacobian():
    # jacobian(sum, fill(2π, 2)) is a DimensionMismatch in ForwardDiff; a scalar output has
    # a 1×n Jacobian in dualdiff — either way never a silently wrong shape: check the values
    J = dd.jacobian(np.sum, np.full(2, 2 * math.pi))
    close(np.reshape(J, (-1,)), [1.0, 1.0], rtol=0, atol_scale=0)


def test_forwarddiff_eigvals_symmetric_outer():
    # JacobianTest.jl "eigen": jacobian(x -> eigvals(Symmetric(x*x')), [1, 2]) ≈ [0 0; 2 4]
    # x xᵀ has eigenvalues 0 and |x|², so the Jacobian rows are 0 and 2x.  numpy's eigvalsh
    # on a Dual is not supported: it must raise TypeError naming itself, never drop a
    # derivative.
    with pytest.raises(TypeError, match="eigvalsh"):
        dd.jacobian(lambda x: np.linalg.eigvalsh(np.outer(x, x)), [1.0, 2.0])


# ------------------------------------------------------------------ DerivativeTest.jl
@pytest.mark.parametrize("y", [0.5, 1.5])
def test_forwarddiff_derivative_exponential_at_base_zero(y):
    # derivative(y -> 0^y, 0.5) === 0.0 and at 1.5 === 0.0 (0^y = 0 for every y > 0)
    assert dd.derivative(lambda t: 0.0 ** t, y) == 0.0


def test_forwarddiff_derivative_base_zero_negative_exponent_raises():
    # derivative(y -> 0^y, -0.5) is -Inf in ForwardDiff; 0^y is infinite there, and
    # dualdiff raises naming pow rather than return an infinite number
    with pytest.raises((ZeroDivisionError, ValueError), match="pow|power|0"):
        dd.derivative(lambda t: 0.0 ** t, -0.5)


def test_forwarddiff_power_float_exponent():
    # derivative(x -> x^2.0, 2.0) == 4.0; x^0.5 at -1 is a DomainError (ours: ValueError)
    assert dd.derivative(lambda x: x ** 2.0, 2.0) == 4.0
    with pytest.raises(ValueError):
        dd.derivative(lambda x: x ** 0.5, -1.0)


def test_forwarddiff_nan_safe_log_of_zero():
    # derivative(log ∘ zero, 1.0): log(0) outside the domain: ValueError naming log
    with pytest.raises(ValueError, match="log"):
        dd.derivative(lambda x: dd.log(0 * x), 1.0)


# ------------------------------------------------------------------ ConfusionTest.jl
def test_forwarddiff_confusion_issue_83():
    D = dd.derivative
    assert D(lambda x: x * D(lambda y: x + y, 1.0), 1.0) == 1.0
    # gradient(v -> sum(v) * D(y -> y * norm(v), 1), [1]) == gradient(v -> sum(v) * norm(v), [1]) == [2]
    g1 = dd.gradient(lambda v: np.sum(v) * D(lambda y: y * np.linalg.norm(v), 1.0), [1.0])
    g2 = dd.gradient(lambda v: np.sum(v) * np.linalg.norm(v), [1.0])
    assert list(g1) == list(g2) == [2.0]


def test_forwarddiff_confusion_jacobian_of_gradient():
    # A == jacobian(x -> gradient(y -> dot(y, A*x), y), x): the gradient in y is A x, whose
    # Jacobian in x is A
    rng = np.random.default_rng(83)
    A, y, x = rng.random((10, 8)), rng.random(10), rng.random(8)
    J = dd.jacobian(lambda x_: dd.gradient(lambda y_: np.dot(y_, A @ x_), y), x)
    close(J, A, rtol=1e-15, atol_scale=0)


def test_forwarddiff_confusion_issue_238_lagrangian():
    # L(t, q, q̇) = m/2 q̇·q̇ - m g q[2]; ∂L/∂q̇ = m q̇ does not depend on q: its Jacobian in q is 0
    m, g = 1.0, 9.8
    t, q, qd = 1.0, [1.0, 2.0], [3.0, 4.0]

    def L(t, q, qd):
        return m / 2 * np.dot(qd, qd) - m * g * q[1]

    J = dd.jacobian(lambda a: dd.gradient(lambda b: L(t, a, b), qd), q)
    close(J, np.zeros((2, 2)), rtol=0, atol_scale=0)


def test_forwarddiff_confusion_legendre_transformation():
    # H(q, p) from L by a Legendre transformation written with hessian/gradient/solve:
    # H = p²/2m + m g q2, so ∂H/∂q = [0, m g] = [0, 9.8]
    m, g = 1.0, 9.8
    t, q, p = 1.0, [1.0, 2.0], [5.0, 6.0]

    def L(t, q, qd):
        return m / 2 * np.dot(qd, qd) - m * g * q[1]

    def legendre(F, w):
        z = np.zeros(np.shape(w))
        M = dd.hessian(F, z)
        b = dd.gradient(F, z)
        v = np.linalg.solve(M, w - b)
        return np.dot(w, v) - F(v)

    grad = dd.gradient(lambda a: legendre(lambda qd: L(t, a, qd), np.array(p)), q)
    close(grad, [0.0, g], rtol=1e-15, atol_scale=0)


def test_forwarddiff_confusion_let_scoping_267():
    # hessian of x -> x[1] (through two closures) is zeros(1, 1)
    def f83a(z, x):
        return x[0]
    z = [(1, (2), [(3, (4, 5, [1, 2, (3, (4, 5), [5])]), (5))])]

    def g(x):
        return f83a(z, x)

    def h(x):
        return g(x)
    H = dd.hessian(h, [1.0])
    assert np.shape(H) == (1, 1) and H[0, 0] == 0.0


def test_forwarddiff_confusion_inner_constant():
    # derivative(x -> derivative(y -> x, x), 1.0) == 0.0
    assert dd.derivative(lambda x: dd.derivative(lambda y: x, x), 1.0) == 0.0
