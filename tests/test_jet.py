"""Jet (Taylor arithmetic) against nested Duals and closed forms: two implementations
checking each other (the per-rule comparison with mpmath.taylor is in test_rules.py)."""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import Jet, derivative, nth_derivative, taylor

from test_rules import REFERENCES

# Rules that are smooth everywhere on their test range (kinks are excluded from the
# ranges anyway, but the point of this test is nested Dual vs Jet on smooth functions).
SMOOTH = [n for n, r in dd.RULES.items() if not r.vector and r.kink is None]


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivative_jet_equals_nested_dual(name):
    ref = REFERENCES[name]
    f = getattr(dd, name)

    @settings(max_examples=15, deadline=None)
    @given(x=ref.x if ref.jet_x is None else ref.jet_x, params=ref.params)
    def check(x, params):
        g = lambda t: f(t, *params)  # noqa: E731
        jet = nth_derivative(g, x, 2)
        nested = derivative(lambda t: derivative(g, t), x)
        # scale: the second derivative or, where it happens to vanish, the first
        scale = abs(nested) + 1e-6 * abs(derivative(g, x)) + 1e-300
        assert abs(jet - nested) <= 1e-10 * scale, (name, x, params, jet, nested)

    check()


def test_third_derivative_nested_three_deep():
    for x in (-1.0, 0.3, 2.0):
        f = lambda t: dd.sin(t) * dd.exp(t / 2)  # noqa: E731
        nested = derivative(lambda a: derivative(lambda b: derivative(f, b), a), x)
        assert nth_derivative(f, x, 3) == pytest.approx(nested, rel=1e-12)


# ---------------------------------------------------------------------------
# Jet arithmetic against closed forms
# ---------------------------------------------------------------------------
def test_variable_and_derivatives():
    j = Jet.variable(2.0, 3)
    assert j.coeffs == [2.0, 1.0, 0.0, 0.0] and j.order == 3
    # (x³) at 2: 8, 12, 12, 6 as derivatives; coefficients 8, 12, 6, 1
    c = j ** 3
    assert c.coeffs == [8.0, 12.0, 6.0, 1.0]
    assert c.derivatives() == [8.0, 12.0, 12.0, 6.0]


def test_jet_division_and_power():
    # 1/(1 - t) = 1 + t + t² + …  ; sqrt(1 + t) = 1 + t/2 - t²/8 + t³/16
    t = Jet.variable(0.0, 4)
    assert (1 / (1 - t)).coeffs == [1.0, 1.0, 1.0, 1.0, 1.0]
    got = (1 + t) ** 0.5
    for g, w in zip(got.coeffs, [1, 0.5, -0.125, 0.0625, -5 / 128]):
        assert g == pytest.approx(w, rel=1e-15)
    got = dd.sqrt(1 + t)
    for g, w in zip(got.coeffs, [1, 0.5, -0.125, 0.0625, -5 / 128]):
        assert g == pytest.approx(w, rel=1e-15)


def test_jet_integer_power_at_zero():
    # t^2 at t = 0 is exactly [0, 0, 1, 0]; the general recurrence would divide by 0
    assert (Jet.variable(0.0, 3) ** 2).coeffs == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        Jet.variable(0.0, 3) ** 0.5


def test_jet_pow_jet():
    # x^x at 1: derivatives 1, 1, 2, 3 (x^x = e^{x ln x})
    t = Jet.variable(1.0, 3)
    got = (t ** t).derivatives()
    for g, w in zip(got, [1.0, 1.0, 2.0, 3.0]):
        assert g == pytest.approx(w, rel=1e-14)
    # 2^x at 0: (ln 2)^k
    got = (2.0 ** Jet.variable(0.0, 3)).derivatives()
    for k, g in enumerate(got):
        assert g == pytest.approx(math.log(2.0) ** k, rel=1e-14)


def test_jet_refuses_float():
    with pytest.raises(TypeError, match="dualdiff.sin"):
        float(Jet([1.0, 1.0]))
    with pytest.raises(ValueError):
        Jet([1.0, 1.0]) + Jet([1.0, 1.0, 0.0])


@settings(max_examples=30, deadline=None)
@given(x=st.floats(-2, 2), order=st.integers(1, 8))
def test_taylor_of_composite_against_mpmath(x, order):
    f = lambda t: dd.exp(dd.sin(t)) / (2 + dd.cos(t))  # noqa: E731
    with mpmath.workdps(50):
        want = mpmath.taylor(lambda t: mpmath.exp(mpmath.sin(t)) / (2 + mpmath.cos(t)), mpmath.mpf(x), order)
    got = taylor(f, x, order)
    scale = max(abs(w) for w in want)
    for g, w in zip(got, want):
        assert abs(g - w) <= 1e-12 * scale


def test_taylor_with_array_point():
    # elementwise Taylor coefficients of exp at several points
    x = np.array([0.0, 1.0])
    got = taylor(dd.exp, x, 2)
    np.testing.assert_allclose(got[2], np.exp(x) / 2, rtol=1e-15)


def test_jet_from_a_plain_number_is_a_constant():
    assert dd.Jet(2.0).coeffs == [2.0]
    assert (dd.Jet(2.0) * 3).coeffs == [6.0]
    with pytest.raises(ValueError):
        dd.Jet([])


# ---------------------------------------------------------------------------
# Powers at their edges in Taylor mode (SPEC §2): closed-form coefficients
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("f, x, want", [
    (lambda x: x ** 2, 0.0, [0, 0, 1, 0]),
    (lambda x: x ** 2.0, 0.0, [0, 0, 1, 0]),
    (lambda x: x ** 3 - x, 0.0, [0, -1, 0, 1]),
    (lambda x: dd.exp(x) * x ** 2, 0.0, [0, 0, 1, 1]),           # x² + x³ + x⁴/2 + …
    (lambda x: x ** 2.0, -1.5, [2.25, -3, 1, 0]),
    (lambda x: x ** -1.0, -2.0, [-0.5, -0.25, -0.125, -0.0625]),  # 1/x = -1/2 Σ (t/2)^k… at -2
    (lambda x: 0.0 ** x, 1.0, [0, 0, 0, 0]),
    (lambda x: 0 ** x, 2.5, [0, 0, 0, 0]),
    (lambda x: (-2.0) ** (x * 0 + 2.0), 0.0, [4, 0, 0, 0]),
])
def test_taylor_of_powers_at_their_edges(f, x, want):
    assert taylor(f, x, 3) == want


def test_taylor_of_truly_undefined_powers_raises_naming_pow():
    for f, x in [(lambda x: x ** 0.5, 0.0), (lambda x: x ** -1.0, 0.0), (lambda x: 0.0 ** x, -1.0),
                 (lambda x: (-2.0) ** x, 1.0)]:
        with pytest.raises((ValueError, ZeroDivisionError), match="pow"):
            taylor(f, x, 2)


@pytest.mark.parametrize("expr", ["x**2", "x**3 - x", "exp(x)*x**2"])
@pytest.mark.parametrize("order", ["1", "3"])
def test_cli_diff_of_powers_at_zero(expr, order):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "dualdiff", "diff", expr, "--at", "x=0", "--order", order],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# At the edge of a domain the Taylor recurrence divides by zero somewhere inside a rule;
# the message must name the function the user wrote and the point (issue 14: it said
# "Jet denominator has value 0.0").  Expected words written down from the mathematics:
# log is undefined at 0, sqrt/asin/acosh are finite there but their slopes are infinite.
@pytest.mark.parametrize("f, x, words", [
    (dd.log, 0.0, ["log", "x = 0.0"]),
    (dd.sqrt, 0.0, ["sqrt", "infinite", "0.0"]),
    (dd.asin, 1.0, ["asin", "infinite", "1.0"]),
    (dd.acosh, 1.0, ["acosh", "infinite", "1.0"]),
    (lambda x: dd.exp(dd.sqrt(x)), 0.0, ["sqrt", "infinite"]),
    (lambda x: 1 / x, 0.0, ["division by zero", "/ 0.0"]),
])
@pytest.mark.parametrize("order", [1, 3])
def test_taylor_at_a_domain_edge_names_the_function(f, x, words, order):
    with pytest.raises((ValueError, ZeroDivisionError)) as info:
        taylor(f, x, order)
    msg = str(info.value)
    assert "Jet" not in msg
    for w in words:
        assert w in msg, msg


def test_cli_diff_at_a_domain_edge_names_the_function():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "dualdiff", "diff", "log(x)", "--at", "x=0"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith("dualdiff: error: log") and "Jet" not in r.stderr
    assert r.stderr.count("\n") == 1
