"""The course's activation identities and the kink conventions of SPEC §3."""
import math
import warnings

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import derivative

LAMBDA, ALPHA = 1.0507009873554805, 1.6732632423543772  # SPEC §3


def mp_sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


@settings(max_examples=100, deadline=None)
@given(z=st.floats(-40, 40))
def test_sigmoid_derivative_identity(z):
    # exercise sheet: σ'(z) = σ(z)σ(-z); reference: that product in mpmath at 50 digits
    with mpmath.workdps(50):
        want = mp_sigmoid(mpmath.mpf(z)) * mp_sigmoid(-mpmath.mpf(z))
        got = derivative(dd.sigmoid, z)
        assert abs(got - want) <= 1e-13 * want


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-15, 15))
def test_tanh_is_shifted_sigmoid(x):
    # exercise sheet: tanh(x) + 1 = 2σ(2x); derivatives: tanh'(x) = 4σ(2x)σ(-2x).
    # Both sides against 2σ(2x) in mpmath; the left side adds 1 to tanh(x) ≈ -1 for x << 0,
    # so its value is held to an absolute 1e-15 only (the sum cancels, dualdiff does not).
    lhs, dlhs = dd.value_and_derivative(lambda t: dd.tanh(t) + 1, x)
    rhs, drhs = dd.value_and_derivative(lambda t: 2 * dd.sigmoid(2 * t), x)
    with mpmath.workdps(50):
        X = mpmath.mpf(x)
        want, dwant = 2 * mp_sigmoid(2 * X), 4 * mp_sigmoid(2 * X) * mp_sigmoid(-2 * X)
        assert abs(lhs - want) <= 1e-15
        assert abs(rhs - want) <= 1e-15 * want
        assert abs(dlhs - dwant) <= 1e-13 * dwant
        assert abs(drhs - dwant) <= 1e-13 * dwant
    assert nth_equal(lambda t: dd.tanh(t) + 1, lambda t: 2 * dd.sigmoid(2 * t), x)


def nth_equal(f, g, x):
    """Second derivatives agree (nested duals), to 1e-12 relative or 1e-15 absolute."""
    a = derivative(lambda t: derivative(f, t), x)
    b = derivative(lambda t: derivative(g, t), x)
    return abs(a - b) <= 1e-12 * abs(b) + 1e-15


def test_sigmoid_far_tails_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in (-1000.0, 1000.0, -745.0, 800.0):
            y, d = dd.value_and_derivative(dd.sigmoid, x)
            assert math.isfinite(y) and math.isfinite(d)
        # σ(-1000) = e^-1000/(1 + e^-1000) ≈ 5e-435 (mpmath), below the smallest double 4.9e-324:
        # the correctly rounded value and derivative are exactly 0.0 (and never negative or nan).
        with mpmath.workdps(30):
            assert mpmath.exp(-1000) / (1 + mpmath.exp(-1000)) < mpmath.mpf("4.9e-324") / 2
        assert dd.value_and_derivative(dd.sigmoid, -1000.0) == (0.0, 0.0)
        assert dd.sigmoid(1000.0) == 1.0
        import numpy as np
        y = dd.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        assert list(y) == [0.0, 0.5, 1.0]
        with mpmath.workdps(50):
            y = dd.sigmoid(mpmath.mpf(-1000))
            assert abs(y - mpmath.exp(-1000) / (1 + mpmath.exp(-1000))) <= mpmath.mpf("1e-45") * y


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.5, 7.0])
def test_swish_beta_zero_is_half_x(x):
    v, d = dd.value_and_derivative(lambda t: dd.swish(t, 0.0), x)
    assert v == x / 2
    assert d == 0.5
    v, d = dd.value_and_derivative(lambda t: dd.swish(t, beta=0.0), x)
    assert (v, d) == (x / 2, 0.5)


def test_selu_one_sided_slopes():
    # right of 0 the slope is λ; left of 0 it is λα·e^x -> λα
    assert derivative(dd.selu, 1e-12) == pytest.approx(LAMBDA, rel=1e-15)
    assert derivative(dd.selu, -1e-12) == pytest.approx(LAMBDA * ALPHA, rel=1e-11)
    # documented convention: selu'(0) = λα (the x <= 0 branch)
    assert derivative(dd.selu, 0.0) == pytest.approx(LAMBDA * ALPHA, rel=1e-15)
    assert dd.selu(0.0) == 0.0


def test_kink_conventions():
    assert derivative(dd.relu, 0.0) == 0.0          # as in PyTorch
    assert derivative(dd.abs, 0.0) == 0.0           # sign(0) = 0
    assert derivative(dd.leaky_relu, 0.0) == 0.01   # the x <= 0 branch, alpha = 0.01
    assert derivative(lambda x: dd.leaky_relu(x, 0.2), 0.0) == 0.2
    assert derivative(dd.elu, 0.0) == 1.0           # alpha·e^0 with alpha = 1
    assert derivative(lambda x: dd.elu(x, 0.5), 0.0) == 0.5
    assert derivative(lambda x: dd.elu(x, alpha=0.3), 0.0) == 0.3
    assert derivative(abs, -2.0) == -1.0 and derivative(abs, 2.0) == 1.0  # the builtin abs


def test_kinks_are_marked_in_the_table():
    for name in ("relu", "abs", "leaky_relu", "elu", "selu"):
        rule = dd.RULES[name]
        assert rule.kink is not None and rule.kink(0.0) and not rule.kink(1.0), name
        assert rule.kink_note, name


@settings(max_examples=50, deadline=None)
@given(x=st.floats(-30, 30))
def test_softplus_derivative_is_sigmoid(x):
    with mpmath.workdps(50):
        assert derivative(dd.softplus, x) == pytest.approx(float(mp_sigmoid(mpmath.mpf(x))), rel=1e-14)


def test_softplus_far_tails():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dd.softplus(1000.0) == 1000.0
        assert dd.softplus(-1000.0) == 0.0
        assert derivative(dd.softplus, -1000.0) == 0.0


def test_sigmoid_symmetry():
    # σ(-z) + σ(z) = 1 (exercise sheet)
    for z in (-5.0, -0.1, 0.0, 2.0, 30.0):
        assert dd.sigmoid(z) + dd.sigmoid(-z) == pytest.approx(1.0, rel=1e-15)


def test_softmax_sums_to_one():
    import numpy as np

    s = dd.softmax([1.0, 2.0, 1000.0, -1000.0])
    assert s.sum() == pytest.approx(1.0, rel=1e-15)
    assert np.all(np.isfinite(s))
    assert dd.logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + math.log(2.0), rel=1e-15)


def test_gelu_closed_form():
    # gelu'(x) = Φ(x) + x·φ(x)
    for x in (-0.3, 0.0, 1.0, 2.5):
        Phi = 0.5 * (1 + math.erf(x / math.sqrt(2)))
        phi = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        assert derivative(dd.gelu, x) == pytest.approx(Phi + x * phi, rel=1e-14)
