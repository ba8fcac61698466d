"""Perturbation confusion (Siskind & Pearlmutter 2005): nested derivatives must not mix.

Each expected value is worked out by hand in the comment beside it.  An implementation
that confuses the inner perturbation with the outer one gets a different number, given in
the comment too where it is instructive.
"""
import math

import numpy as np

import dualdiff as dd
from dualdiff import derivative, gradient, hessian


def test_spec_example():
    # inner: d/dy (x + y) = 1, so the outer function is x·1 and its derivative is 1.
    # A confused implementation lets the inner ε see x's perturbation and returns 2.
    assert derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0) == 1.0


def test_siskind_pearlmutter_product():
    # D(λx. x · D(λy. x·y)(2))(1): the inner derivative w.r.t. y of x·y is x (whatever y
    # is), so the outer function is x·x, whose derivative at x = 1 is 2·x = 2.
    assert derivative(lambda x: x * derivative(lambda y: x * y, 2.0), 1.0) == 2.0
    # Same shape at other points: d/dx (x · x) = 2x = 10 at x = 5.
    assert derivative(lambda x: x * derivative(lambda y: x * y, 3.0), 5.0) == 10.0


def test_inner_constant_in_outer_variable():
    # D(λx. D(λy. x)(2))(3): the inner function is constant in y, so its derivative is 0
    # (not 1, which is what mixing x's perturbation in would give); d/dx 0 = 0.
    assert derivative(lambda x: derivative(lambda y: x, 2.0), 3.0) == 0.0
    # ... and the inner derivative of y·x is x, whose outer derivative is 1.
    assert derivative(lambda x: derivative(lambda y: y * x, 2.0), 3.0) == 1.0


def test_function_returning_outer_dual_unchanged():
    # f(x) = D(λy. x)(1) · x + x: the inner call returns the outer Dual x untouched; its
    # derivative in y is 0, so f(x) = x and f'(x) = 1.
    assert derivative(lambda x: derivative(lambda y: x, 1.0) * x + x, 4.0) == 1.0
    v, d = dd.value_and_derivative(lambda x: dd.value_and_derivative(lambda y: x, 1.0)[0] * 2, 3.0)
    # the inner value is x itself (an outer Dual): f(x) = 2x
    assert (v, d) == (6.0, 2.0)


def test_nested_three_deep():
    # D_x D_y D_z (x·y·z) = 1 for all points; and D_x (x · D_y (y · D_z (x·y·z))):
    # innermost D_z = x·y; middle: D_y (y·x·y) = 2xy; outer: D_x (x·2xy) = 4xy at y = 3 -> 12x,
    # at x = 2: 24.
    assert derivative(lambda x: derivative(lambda y: derivative(lambda z: x * y * z, 5.0), 3.0), 2.0) == 1.0
    got = derivative(lambda x: x * derivative(lambda y: y * derivative(lambda z: x * y * z, 7.0), 3.0), 2.0)
    assert got == 24.0


def test_hessian_of_function_that_calls_derivative():
    # f(w) = w0 · D_t(w1 · sin(w0·t))(1) = w0 · w1 · w0 · cos(w0) = w0² w1 cos(w0)
    def f(w):
        return w[0] * derivative(lambda t: w[1] * dd.sin(w[0] * t), 1.0)

    a, b = 0.7, -1.3
    c, s = math.cos(a), math.sin(a)
    want = np.array([[b * (2 * c - 4 * a * s - a * a * c), 2 * a * c - a * a * s],
                     [2 * a * c - a * a * s, 0.0]])
    np.testing.assert_allclose(hessian(f, [a, b]), want, rtol=1e-14, atol=1e-15)


def test_gradient_inside_derivative():
    # g(s) = ∇_w (s · w0² · w1) at w = (1, 2) = (2 s w0 w1, s w0²) = (4s, s); d/ds = (4, 1).
    got = derivative(lambda s: gradient(lambda w: s * w[0] ** 2 * w[1], [1.0, 2.0]), 0.5)
    np.testing.assert_array_equal(np.asarray(got, dtype=float), [4.0, 1.0])


def test_derivative_inside_gradient():
    # F(w) = w1 · D_t(w0·t²)(3) = w1 · 6 w0 -> ∇F = (6 w1, 6 w0) = (12, 6) at w = (1, 2).
    got = gradient(lambda w: w[1] * derivative(lambda t: w[0] * t * t, 3.0), [1.0, 2.0])
    np.testing.assert_array_equal(got, [12.0, 6.0])


def test_jet_inside_derivative():
    # d/dx f''(x)/2 for f(t) = x·t³ at t = 1: f'' = 6x, coefficient 3x -> d/dx = 3.
    got = derivative(lambda x: dd.taylor(lambda t: x * t ** 3, 1.0, 2)[2], 2.0)
    assert got == 3.0


# ---------------------------------------------------------------- third order and beyond
# (issue 11 item 2: nesting to any depth; exact references: the functions are polynomials
# or closed forms whose derivatives are written out, or sympy's.)
def test_hessian_nested_in_gradient_of_one_entry():
    # H(y)[0, 1] of x0² x1 is 2 y0, whose gradient is (2, 0).  A confused implementation
    # returned (0, 0).
    got = gradient(lambda y: hessian(lambda x: x[0] ** 2 * x[1], y)[0, 1], [1.0, 2.0])
    np.testing.assert_array_equal(got, [2.0, 0.0])


def test_jacobian_of_a_hessian_is_the_third_derivative_tensor():
    # f = x0² x1 + x1³ + x0 x2²: the only third derivatives are
    # f_001 = 2, f_111 = 6, f_022 = 2 (and their permutations), at any point.
    def f(x):
        return x[0] ** 2 * x[1] + x[1] ** 3 + x[0] * x[2] ** 2

    T = dd.jacobian(lambda w: hessian(f, w), [0.5, -1.0, 2.0]).reshape(3, 3, 3)
    want = np.zeros((3, 3, 3))
    for i, j, k in ((0, 0, 1), (0, 1, 0), (1, 0, 0)):
        want[i, j, k] = 2.0
    want[1, 1, 1] = 6.0
    for i, j, k in ((0, 2, 2), (2, 0, 2), (2, 2, 0)):
        want[i, j, k] = 2.0
    np.testing.assert_array_equal(T, want)


def test_hessian_inside_a_gradient():
    # f = x0³ x1 + sin(x1): tr ∇²f = 6 x0 x1 - sin(x1); its gradient is (6 x1, 6 x0 - cos x1)
    def f(x):
        return x[0] ** 3 * x[1] + dd.sin(x[1])

    y = [0.4, 1.3]
    got = gradient(lambda u: np.trace(hessian(f, u)), y)
    np.testing.assert_allclose(got, [6 * y[1], 6 * y[0] - math.cos(y[1])], rtol=1e-15)


def test_fourth_order_hessian_of_a_hessian_entry():
    # f = x0⁴ x1: ∂²f/∂x0² = 12 x0² x1, whose Hessian is [[24 x1, 24 x0], [24 x0, 0]]
    x = [0.75, -2.0]
    got = hessian(lambda w: hessian(lambda u: u[0] ** 4 * u[1], w)[0, 0], x)
    np.testing.assert_array_equal(got, [[24 * x[1], 24 * x[0]], [24 * x[0], 0.0]])


def test_third_order_tensor_of_rosenbrock_against_sympy():
    import sympy

    n = 4
    xs = sympy.symbols(f"x0:{n}")
    rosen_sym = sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1))
    point = [0.5, -0.25, 0.75, 1.0]  # binary fractions: the exact tensor is exact in floats
    subs = dict(zip(xs, [sympy.Rational(str(p)) for p in point]))
    want = np.array([[[float(sympy.diff(rosen_sym, xs[i], xs[j], xs[k]).subs(subs))
                       for k in range(n)] for j in range(n)] for i in range(n)])

    def rosen(x):  # written with slices, as numpy code is
        return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    T = dd.jacobian(lambda w: hessian(rosen, w), point).reshape(n, n, n)
    np.testing.assert_array_equal(T, want)
    # and the Hessian itself, against sympy
    H = np.array([[float(sympy.diff(rosen_sym, xs[i], xs[j]).subs(subs)) for j in range(n)] for i in range(n)])
    np.testing.assert_array_equal(hessian(rosen, point), H)
