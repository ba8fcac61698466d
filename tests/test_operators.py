"""Differentiation operators against closed forms, published values and mpmath."""
import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import derivative, gradient, hessian, jacobian, jvp, nth_derivative, taylor, value_and_derivative


# ---------------------------------------------------------------------------
# the y = u5·v5 worksheet (SPEC §5): u1 = sin x, v1 = cos x,
# u(k+1) = sin(u(k) + v(k)), v(k+1) = cos(u(k) + v(k)), y = u5·v5, at x = 1
# ---------------------------------------------------------------------------
def worksheet(x, sin, cos):
    u, v = sin(x), cos(x)
    for _ in range(4):
        u, v = sin(u + v), cos(u + v)
    return u * v


WORKSHEET_Y = 0.32009128314057805      # the course worksheet's values at x = 1
WORKSHEET_DY = -0.06918566945763523


def test_worksheet_float():
    y, dy = value_and_derivative(lambda x: worksheet(x, dd.sin, dd.cos), 1.0)
    assert y == pytest.approx(WORKSHEET_Y, rel=1e-15, abs=0)
    assert dy == pytest.approx(WORKSHEET_DY, rel=1e-15, abs=0)


def test_worksheet_mpmath_45_digits():
    with mpmath.workdps(50):
        f = lambda t: worksheet(t, mpmath.sin, mpmath.cos)  # noqa: E731  (mpmath only)
        want_y, want_dy = f(mpmath.mpf(1)), mpmath.diff(f, mpmath.mpf(1))
        d = worksheet(dd.Dual(mpmath.mpf(1), mpmath.mpf(1)), dd.sin, dd.cos)
        assert abs(d.value - want_y) <= mpmath.mpf("1e-45") * abs(want_y)
        assert abs(d.deriv - want_dy) <= mpmath.mpf("1e-45") * abs(want_dy)
        assert abs(want_y - WORKSHEET_Y) < 1e-16 and abs(want_dy - WORKSHEET_DY) < 1e-16


def test_worksheet_sympy_exact():
    x = sympy.Symbol("x")
    expr = worksheet(x, sympy.sin, sympy.cos)
    d = worksheet(dd.Dual(sympy.Integer(1), sympy.Integer(1)), dd.sin, dd.cos)
    want_y = expr.subs(x, 1)
    want_dy = sympy.diff(expr, x).subs(x, 1)
    assert sympy.N(d.value - want_y, 60) == 0 or abs(sympy.N(d.value - want_y, 60)) < 1e-55
    assert abs(sympy.N(d.deriv - want_dy, 60)) < 1e-55
    assert abs(float(d.deriv) - WORKSHEET_DY) < 1e-16
    assert not d.deriv.atoms(sympy.Float)  # exact: no floating-point number inside


# ---------------------------------------------------------------------------
# gradients, Hessians, Jacobians
# ---------------------------------------------------------------------------
def test_course_gradient():
    # g(w) = w1³ w2 + 3 w1 at w = [2, 3]: ∂/∂w1 = 3 w1² w2 + 3 = 39, ∂/∂w2 = w1³ = 8 (course slides)
    g = gradient(lambda w: w[0] ** 3 * w[1] + 3 * w[0], [2, 3])
    assert isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g, [39.0, 8.0])


def test_rosenbrock_hessian():
    def rosen(w):
        return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2

    np.testing.assert_array_equal(hessian(rosen, [1.0, 1.0]), [[802.0, -400.0], [-400.0, 200.0]])
    np.testing.assert_array_equal(gradient(rosen, [1.0, 1.0]), [0.0, 0.0])


@pytest.mark.parametrize("n", [10, 100])
def test_cyclic_gradient(n):
    # f(w) = Σ_i (w_i³ w_{i+1} + 3 w_i), indices mod n:
    # ∂f/∂w_i = 3 w_i² w_{i+1} + 3 + w_{i-1}³
    rng = np.random.default_rng(n)
    w = rng.uniform(-2, 2, n)

    def f(v):
        total = 0.0
        for i in range(n):
            total = total + v[i] ** 3 * v[(i + 1) % n] + 3 * v[i]
        return total

    want = 3 * w ** 2 * np.roll(w, -1) + 3 + np.roll(w, 1) ** 3
    np.testing.assert_allclose(gradient(f, w), want, rtol=1e-13, atol=1e-13)


def test_softmax_jacobian_closed_form():
    x = np.array([0.3, -1.2, 2.0, 0.5])
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(jacobian(dd.softmax, x), np.diag(s) - np.outer(s, s), rtol=1e-13, atol=1e-16)


def test_logsumexp_gradient_is_softmax():
    x = np.array([0.3, -1.2, 2.0, 0.5])
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(gradient(dd.logsumexp, x), s, rtol=1e-14)


def test_jacobian_of_list_output():
    # f(w) = [w0·w1, sin(w0)] -> J = [[w1, w0], [cos w0, 0]]
    J = jacobian(lambda w: [w[0] * w[1], dd.sin(w[0])], [2.0, 5.0])
    np.testing.assert_allclose(J, [[5.0, 2.0], [math.cos(2.0), 0.0]], rtol=1e-15)


def test_jvp():
    # f(w) = (w0² w1, exp(w1)) along v: J v = (2 w0 w1 v0 + w0² v1, e^{w1} v1)
    w, v = np.array([1.5, -0.5]), np.array([0.25, 2.0])
    value, tangent = jvp(lambda u: u[0] ** 2 * u[1] + dd.exp(u[1]), w, v)
    assert value == pytest.approx(1.5 ** 2 * -0.5 + math.exp(-0.5), rel=1e-15)
    assert tangent == pytest.approx(2 * 1.5 * -0.5 * 0.25 + 1.5 ** 2 * 2.0 + math.exp(-0.5) * 2.0, rel=1e-15)
    assert jvp(lambda u: u[0] * u[1], [2.0, 5.0], [1.0, 0.0]) == (10.0, 5.0)


@settings(max_examples=50, deadline=None)
@given(w=st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       v=st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_jvp_is_jacobian_times_v(w, v):
    def f(u):
        return [u[0] * dd.sin(u[1]), u[1] * u[2] + u[0], dd.exp(u[2] / 4) * u[0]]

    _, t = jvp(f, w, v)
    np.testing.assert_allclose(np.asarray(t, dtype=float), jacobian(f, w) @ np.array(v), rtol=1e-12, atol=1e-12)


def test_derivative_structures():
    # tuple and array outputs keep their structure
    v, d = value_and_derivative(lambda x: (x * x, dd.sin(x)), 2.0)
    assert v == (4.0, math.sin(2.0)) and d == (4.0, math.cos(2.0))
    d = derivative(lambda x: x ** 3, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(d, [3.0, 12.0, 27.0])
    assert derivative(lambda x: 5.0, 1.0) == 0.0  # a constant function


# ---------------------------------------------------------------------------
# taylor and nth_derivative
# ---------------------------------------------------------------------------
def test_taylor_exp():
    got = taylor(dd.exp, 0.0, 5)
    want = [1, 1, Fraction(1, 2), Fraction(1, 6), Fraction(1, 24), Fraction(1, 120)]
    assert len(got) == 6
    for g, w in zip(got, want):
        assert g == pytest.approx(float(w), rel=1e-15)


def test_taylor_sigmoid():
    # σ(x) = 1/2 + x/4 - x³/48 + x⁵/480 + O(x⁷)
    got = taylor(dd.sigmoid, 0.0, 5)
    want = [0.5, 0.25, 0.0, -1 / 48, 0.0, 1 / 480]
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-14, abs=1e-17)


def test_taylor_order_zero_and_constant():
    assert taylor(dd.sin, 0.5, 0) == [math.sin(0.5)]
    assert taylor(lambda x: 3.0, 1.0, 2) == [3.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        taylor(dd.sin, 0.0, -1)


@pytest.mark.parametrize("n, want", [(0, math.sin(0.3)), (1, math.cos(0.3)), (2, -math.sin(0.3)),
                                     (3, -math.cos(0.3)), (4, math.sin(0.3)), (7, -math.cos(0.3))])
def test_nth_derivative_sin(n, want):
    assert nth_derivative(dd.sin, 0.3, n) == pytest.approx(want, rel=1e-13)


def test_nth_derivative_polynomial():
    # d⁴/dx⁴ x⁶ = 360 x² ; d⁶ = 720 ; d⁷ = 0
    assert nth_derivative(lambda x: x ** 6, 2.0, 4) == pytest.approx(1440.0, rel=1e-15)
    assert nth_derivative(lambda x: x ** 6, 2.0, 6) == pytest.approx(720.0, rel=1e-15)
    assert nth_derivative(lambda x: x ** 6, 2.0, 7) == 0.0


def test_nth_derivative_mpmath():
    with mpmath.workdps(50):
        f = lambda t: t * mpmath.exp(-t * t)  # noqa: E731
        want = mpmath.diff(f, mpmath.mpf("0.5"), 5)
        got = nth_derivative(lambda t: t * dd.exp(-t * t), mpmath.mpf("0.5"), 5)
        assert abs(got - want) <= mpmath.mpf("1e-40") * abs(want)


# ---------------------------------------------------------------------------
# Kinks: never silent; one-sided derivatives on request (SPEC §3).  Closed forms.
# ---------------------------------------------------------------------------
LAMBDA, ALPHA = 1.0507009873554805, 1.6732632423543772   # SPEC §3


def test_kink_warning_is_a_public_user_warning():
    assert issubclass(dd.KinkWarning, UserWarning) and "KinkWarning" in dd.__all__


@pytest.mark.parametrize("f, name", [
    (dd.relu, "relu"), (dd.abs, "abs"), (dd.leaky_relu, "leaky_relu"), (dd.elu, "elu"), (dd.selu, "selu"),
    (lambda x: dd.leaky_relu(x, 0.2), "leaky_relu"), (lambda x: dd.max(x, 0.0), "max"),
    (lambda x: dd.min(0.0, x), "min"), (lambda x: abs(x) ** 2, "abs"),
])
def test_a_kink_met_while_differentiating_warns_naming_function_and_point(f, name):
    for run in (lambda: dd.derivative(f, 0.0), lambda: dd.taylor(f, 0.0, 3), lambda: f(dd.Dual(0.0, 1.0))):
        with pytest.warns(dd.KinkWarning, match=rf"{name}.*0"):
            run()


def test_taylor_of_relu_at_int_zero_warns():
    with pytest.warns(dd.KinkWarning, match="relu"):
        assert dd.taylor(dd.relu, 0, 3) == [0, 0, 0, 0]


def test_no_warning_away_from_kinks_or_without_derivatives():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dd.derivative(dd.relu, 1.0)
        dd.taylor(dd.selu, -0.5, 3)
        dd.relu(0.0)                       # a plain value: no derivative, nothing to warn about
        dd.derivative(lambda x: dd.max(x, 1.0), 0.0)
        dd.derivative(dd.relu, 0.0, side="right")


def test_selu_one_sided_taylor_coefficients():
    # right of 0: selu = λx;  left: λα(eˣ - 1) = λα(x + x²/2 + …)
    assert dd.taylor(dd.selu, 0.0, 2, side="right") == [0, LAMBDA, 0]
    left = dd.taylor(dd.selu, 0.0, 2, side="left")
    assert left[0] == 0 and left[1] == pytest.approx(LAMBDA * ALPHA, rel=1e-15)
    assert left[2] == pytest.approx(LAMBDA * ALPHA / 2, rel=1e-15)


@pytest.mark.parametrize("f, left, right", [
    (dd.relu, 0.0, 1.0),
    (dd.abs, -1.0, 1.0),
    (lambda x: dd.leaky_relu(x, 0.2), 0.2, 1.0),
    (lambda x: dd.elu(x, 2.0), 2.0, 1.0),
    (dd.selu, LAMBDA * ALPHA, LAMBDA),
    (lambda x: dd.relu(-x), -1.0, 0.0),            # -x moves the other way
    (lambda x: dd.max(x, 0.0), 0.0, 1.0),
    (lambda x: dd.min(x, 0.0), 1.0, 0.0),
    (lambda x: dd.max(x, 2 * x), 1.0, 2.0),        # t < 0: t > 2t;  t > 0: 2t > t
    (lambda x: dd.max(x, x), 1.0, 1.0),            # a tie that never breaks
])
def test_one_sided_first_derivatives(f, left, right):
    for side, want in (("left", left), ("right", right)):
        v, d = dd.value_and_derivative(f, 0.0, side=side)
        assert d == pytest.approx(want, rel=1e-15), side
        assert dd.derivative(f, 0.0, side=side) == d
        assert dd.nth_derivative(f, 0.0, 1, side=side) == pytest.approx(want, rel=1e-15)


def test_abs_squared_second_derivative_is_two_from_either_side():
    with pytest.warns(dd.KinkWarning, match="abs"):
        dd.taylor(lambda x: abs(x) ** 2, 0.0, 2)     # the convention abs'(0) = 0 gives 0 here: warned
    for side in ("left", "right"):
        assert dd.nth_derivative(lambda x: abs(x) ** 2, 0.0, 2, side=side) == 2.0
        assert dd.nth_derivative(lambda x: dd.relu(x) ** 2, 0.0, 2, side=side) == (2.0 if side == "right" else 0.0)


def test_side_must_be_left_or_right():
    with pytest.raises(ValueError, match="side"):
        dd.derivative(dd.relu, 0.0, side="up")


# ---------------------------------------------------------------------------
# Bounded work and real inputs (issue 14)
# ---------------------------------------------------------------------------
def test_taylor_is_not_limited_by_python_recursion():
    c = dd.taylor(dd.sin, 0.5, 300)
    assert len(c) == 301
    assert c[3] == pytest.approx(-math.cos(0.5) / 6, rel=1e-12)      # sin''' = -cos
    assert c[20] == pytest.approx(math.sin(0.5) / math.factorial(20), rel=1e-9)   # sin⁽²⁰⁾ = sin
    assert abs(c[300]) < 1e-300                  # sin(0.5)/300! ≈ 2e-615 is below every double


def test_taylor_order_limit_is_one_line_naming_the_limit():
    for call in (lambda: dd.taylor(dd.sin, 0.0, 10 ** 9), lambda: dd.nth_derivative(dd.sin, 0.0, 10 ** 9),
                 lambda: dd.taylor(dd.sin, 0.0, 1001)):
        with pytest.raises(ValueError, match="1000") as info:
            call()
        assert "\n" not in str(info.value)
    from dualdiff.operators import MAX_TAYLOR_ORDER
    assert MAX_TAYLOR_ORDER == 1000


@pytest.mark.parametrize("value", ["a", None, 1j, b"1", {}, mpmath.mpc(1, 2)])
def test_non_numeric_dual_values_are_refused_at_construction(value):
    with pytest.raises(TypeError, match="Dual"):
        dd.Dual(value)
    with pytest.raises(TypeError, match="Dual"):
        dd.Dual(1.0, value)


@pytest.mark.parametrize("x", [np.int8(100), np.int16(100), np.uint8(100), np.int64(100)])
def test_numpy_integer_inputs_are_promoted_not_wrapped(x):
    assert dd.value_and_derivative(lambda t: t * t * t, x) == (1000000, 30000)   # 100³, 3·100²
    d = dd.Dual(x, 1.0) ** 3
    assert (d.value, d.deriv) == (1000000, 30000)


def test_array_kernels_follow_changes_in_place():
    grid = np.linspace(-1.0, 1.0, 11)
    dual = dd.Dual(grid, 1.0)
    dd.sin(dual)                                  # sin' computes cos(grid)
    for f in (dd.exp, dd.sin, dd.cos):
        f(grid)
    grid[:] = np.linspace(2.0, 3.0, 11)
    np.testing.assert_array_equal(dd.exp(grid), np.exp(np.linspace(2.0, 3.0, 11)))
    np.testing.assert_array_equal(dd.cos(dual).value, np.cos(np.linspace(2.0, 3.0, 11)))


def test_operators_from_eight_threads_agree_with_one_thread():
    import threading

    rng = np.random.default_rng(7)
    shared = rng.uniform(-2.0, 2.0, 20000)

    def work():
        s = dd.Dual(shared, 1.0)
        u, v = dd.sin(s), dd.cos(s)
        for _ in range(3):
            s = u + v
            u, v = dd.sin(s), dd.cos(s)
        y = u * v
        return (y.value.copy(), np.broadcast_to(y.deriv, shared.shape).copy(),
                dd.exp(shared), dd.tanh(shared), dd.derivative(lambda x: dd.sin(x) * dd.cos(x), shared))

    want = work()
    results: list = [None] * 8
    errors: list = []

    def run(i):
        try:
            for _ in range(5):
                got = work()
                for a, b in zip(got, want):
                    np.testing.assert_array_equal(a, b)
            results[i] = True
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert all(results)
