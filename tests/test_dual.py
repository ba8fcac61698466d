"""Dual semantics (SPEC §2): operators, conversions, numpy interop, directions, domain errors."""
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import Dual


def approx(a, b, rel=1e-12, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("other", [2, 2.0, np.float64(2.0)])
def test_operators_both_sides_with_numbers(other):
    x = Dual(3.0, 1.0)
    cases = [  # (result, value, derivative) by hand: d/dx at x = 3 with c = 2
        (x + other, 5.0, 1.0), (other + x, 5.0, 1.0),
        (x - other, 1.0, 1.0), (other - x, -1.0, -1.0),
        (x * other, 6.0, 2.0), (other * x, 6.0, 2.0),
        (x / other, 1.5, 0.5), (other / x, 2 / 3, -2 / 9),
        (x ** other, 9.0, 6.0), (other ** x, 8.0, 8.0 * math.log(2.0)),
    ]
    for r, v, d in cases:
        assert type(r) is Dual
        assert approx(r.value, v, 1e-15) and approx(r.deriv, d, 1e-15), (r, v, d)


def test_operators_with_arrays():
    x = Dual(2.0, 1.0)
    a = np.array([1.0, 2.0, 3.0])
    for r, v, d in [(x * a, 2 * a, a), (a * x, 2 * a, a), (a + x, a + 2, np.ones(3)),
                    (a - x, a - 2, -np.ones(3)), (a / x, a / 2, -a / 4), (x / a, 2 / a, 1 / a),
                    (x ** a, 2.0 ** a, a * 2.0 ** (a - 1))]:
        assert type(r) is Dual
        np.testing.assert_allclose(r.value, v, rtol=1e-15)
        np.testing.assert_allclose(np.broadcast_to(r.deriv, np.shape(v)), d, rtol=1e-15)


def test_dual_with_dual():
    a, b = Dual(3.0, 1.0), Dual(2.0, 0.5)
    assert (a + b).deriv == 1.5 and (a - b).deriv == 0.5
    assert (a * b).deriv == 1.0 * 2.0 + 3.0 * 0.5                       # product rule
    assert approx((a / b).deriv, (1.0 * 2.0 - 3.0 * 0.5) / 4.0, 1e-15)  # quotient rule
    # u^v: v u^(v-1) u' + ln(u) u^v v'
    r = a ** b
    assert r.value == 9.0
    assert approx(r.deriv, 2.0 * 3.0 * 1.0 + math.log(3.0) * 9.0 * 0.5, 1e-15)


def test_unary_ops():
    x = Dual(-2.0, 3.0)
    assert ((-x).value, (-x).deriv) == (2.0, -3.0)
    assert ((+x).value, (+x).deriv) == (-2.0, 3.0)
    assert (abs(x).value, abs(x).deriv) == (2.0, -3.0)


def test_comparisons_compare_values():
    a, b = Dual(1.0, 5.0), Dual(1.0, -5.0)
    assert a == b and not (a != b)
    assert a == 1.0 and 1.0 == a
    assert Dual(1.0, 0.0) < 2 and 2 > Dual(1.0, 0.0) and Dual(3.0, 0) >= 3 and Dual(3.0, 0) <= 3.0
    assert max(Dual(1.0, 1.0), Dual(2.0, 7.0)).deriv == 7.0


def test_repr_and_str():
    d = dd.sin(Dual(1.0, 1.0))
    assert repr(d) == "Dual(0.8414709848078965, 0.5403023058681398)"
    assert "0.8414709848078965" in str(d)


def test_no_silent_float_conversion():
    d = Dual(1.0, 1.0)
    for convert in (float, int, math.sin, math.exp):
        with pytest.raises(TypeError, match="dualdiff.sin"):
            convert(d)


def test_numpy_ufuncs_return_duals():
    d = Dual(1.0, 1.0)
    r = np.sin(d)
    assert type(r) is Dual and (r.value, r.deriv) == (math.sin(1.0), math.cos(1.0))
    r = np.exp(d)
    assert type(r) is Dual and r.deriv == math.exp(1.0)
    r = np.multiply(2.0, d)
    assert type(r) is Dual and r.deriv == 2.0


def test_unsupported_ufunc_names_itself():
    with pytest.raises(TypeError, match="floor"):
        np.floor(Dual(1.5, 1.0))


def test_multi_direction_partials():
    # value shape (3,), two directions: d = [[1, 0], [0, 1], [1, 1]]
    x = Dual(np.array([1.0, 2.0, 3.0]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    assert x.ndir == 2
    y = dd.sin(x) * x
    # d/dk (sin(x_i) x_i) = (cos x_i · x_i + sin x_i) · seed_ik
    local = np.cos(x.value) * x.value + np.sin(x.value)
    np.testing.assert_allclose(y.deriv, local[:, None] * x.deriv, rtol=1e-15)
    s = y.sum()
    np.testing.assert_allclose(s.deriv, (local[:, None] * x.deriv).sum(axis=0), rtol=1e-15)
    with pytest.raises(ValueError):
        Dual(np.zeros(3), np.zeros((3, 2, 2)))


def test_directions_with_scalar_value():
    # f(a, b) = a·b at (2, 5) with both partials at once
    a = Dual(2.0, np.array([1.0, 0.0]))
    b = Dual(5.0, np.array([0.0, 1.0]))
    np.testing.assert_array_equal((a * b).deriv, [5.0, 2.0])
    np.testing.assert_array_equal(dd.exp(a).deriv, [math.exp(2.0), 0.0])


# ---------------------------------------------------------------------------
# domain errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("f, x, name", [(dd.log, -1.0, "log"), (dd.sqrt, -1.0, "sqrt"),
                                        (dd.asin, 2.0, "asin"), (dd.acos, -1.5, "acos"),
                                        (dd.log, 0.0, "log"), (dd.log1p, -2.0, "log1p")])
def test_domain_errors_name_function_and_value(f, x, name):
    for arg in (x, Dual(x, 1.0)):
        with pytest.raises(ValueError) as err:
            f(arg)
        assert name in str(err.value) and repr(x) in str(err.value)


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError) as err:
        1 / Dual(0.0, 1.0)
    assert "0.0" in str(err.value) and "division" in str(err.value)
    with pytest.raises(ZeroDivisionError):
        Dual(1.0, 1.0) / 0.0
    with pytest.raises(ZeroDivisionError):
        Dual(1.0, 1.0) / Dual(0.0, 1.0)


def test_arrays_follow_numpy():
    x = Dual(np.array([-1.0, 0.0, 4.0]), 1.0)
    with pytest.warns(RuntimeWarning):
        y = dd.log(x)
    assert np.isnan(y.value[0]) and y.value[1] == -np.inf and y.value[2] == math.log(4.0)
    with pytest.warns(RuntimeWarning):
        y = dd.sqrt(x)
    assert np.isnan(y.value[0]) and y.value[2] == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = 1 / Dual(np.array([0.0, 2.0]), 1.0)
    assert y.value[0] == np.inf and y.value[1] == 0.5


# ---------------------------------------------------------------------------
# algebraic properties on random duals
# ---------------------------------------------------------------------------
finite = st.floats(-100, 100)
duals = st.builds(Dual, finite, finite)


def close(a, b, scale):
    return abs(a - b) <= 1e-12 * scale + 1e-300


@settings(max_examples=100, deadline=None)
@given(a=duals, b=duals, c=duals)
def test_ring_laws(a, b, c):
    s1, s2 = (a + b) + c, a + (b + c)
    assert close(s1.deriv, s2.deriv, abs(a.deriv) + abs(b.deriv) + abs(c.deriv))
    m1, m2 = a * (b + c), a * b + a * c
    scale = (abs(a.value) + 1) * (abs(b.deriv) + abs(c.deriv) + abs(b.value) + abs(c.value)) * (abs(a.deriv) + 1)
    assert close(m1.value, m2.value, scale) and close(m1.deriv, m2.deriv, scale)
    p1, p2 = (a * b) * c, a * (b * c)
    scale = (abs(a.value) + abs(a.deriv)) * (abs(b.value) + abs(b.deriv)) * (abs(c.value) + abs(c.deriv))
    assert close(p1.deriv, p2.deriv, scale)


@settings(max_examples=100, deadline=None)
@given(a=duals, b=duals)
def test_product_and_quotient_rules(a, b):
    p = a * b
    assert p.deriv == a.deriv * b.value + a.value * b.deriv or close(
        p.deriv, a.deriv * b.value + a.value * b.deriv, abs(a.deriv * b.value) + abs(a.value * b.deriv))
    if abs(b.value) > 1e-3:
        q = a / b
        want = (a.deriv * b.value - a.value * b.deriv) / b.value ** 2
        scale = (abs(a.deriv * b.value) + abs(a.value * b.deriv)) / b.value ** 2
        assert close(q.deriv, want, scale * 10)


@settings(max_examples=50, deadline=None)
@given(x=st.floats(0.1, 5), p=st.floats(-3, 3))
def test_power_rules(x, p):
    # (x^p)' = p x^(p-1); (p^x)' with base 2: 2^x ln 2; x^x: x^x (ln x + 1)
    assert approx(dd.derivative(lambda t: t ** p, x), p * x ** (p - 1), 1e-13, 1e-300)
    assert approx(dd.derivative(lambda t: 2.0 ** t, x), 2.0 ** x * math.log(2.0), 1e-13)
    assert approx(dd.derivative(lambda t: t ** t, x), x ** x * (math.log(x) + 1), 1e-12, 1e-300)


# ---------------------------------------------------------------------------
# import cost: the core must not pull in the heavy optional libraries
# ---------------------------------------------------------------------------
def test_import_is_light():
    code = ("import sys, dualdiff; "
            "bad = [m for m in ('sympy', 'matplotlib', 'mpmath') if m in sys.modules]; "
            "print(','.join(bad))")
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert out.stdout.strip() == "", f"import dualdiff imported {out.stdout.strip()}"


def test_array_dual_deriv_has_value_shape():
    """SPEC §2: for a numpy value, deriv has the same shape (never a lazily broadcast scalar)."""
    a = Dual(np.array([1.0, 2.0, 3.0]))
    assert a.deriv.shape == (3,) and not a.deriv.any()
    b = Dual(np.array([1.0, 2.0]), 1.0)
    assert b.deriv.shape == (2,)
    c = Dual(1.0, 1.0) + np.array([1.0, 2.0])
    assert c.deriv.shape == (2,) and list(c.deriv) == [1.0, 1.0]
    d = np.array([1.0, 2.0]) - Dual(1.0, 1.0)
    assert list(d.deriv) == [-1.0, -1.0]


def test_array_rules_share_work_but_never_what_the_user_holds():
    """sin(s) then cos(s) on one array Dual reuse cos(s.value) internally (a speed-up);
    results are the closed forms, and arrays handed out are never reused afterwards."""
    x = np.linspace(-2.0, 2.0, 7)
    s = Dual(x, np.full(7, 2.0))
    u = dd.sin(s)
    v = dd.cos(s)
    assert np.array_equal(u.value, np.sin(x)) and np.array_equal(u.deriv, 2 * np.cos(x))
    assert np.array_equal(v.value, np.cos(x)) and np.array_equal(v.deriv, -2 * np.sin(x))
    u.value[:] = 99.0          # the user mutates what was handed out ...
    v.value[:] = 42.0
    again = dd.cos(s)          # ... and later results do not see it
    assert np.array_equal(again.value, np.cos(x)) and np.array_equal(again.deriv, -2 * np.sin(x))
    assert dd.sin(s).value is not u.value
    # a different Dual over a different array starts afresh
    w = Dual(x + 1.0, np.ones(7))
    assert np.array_equal(dd.cos(w).value, np.cos(x + 1.0))


def test_array_sharing_with_several_directions_and_plain_arrays():
    x = np.array([0.3, 1.2])
    s = Dual(x, np.eye(2))                 # two directions
    c = dd.cos(s)
    t = dd.sin(s)
    assert np.allclose(t.deriv, np.diag(np.cos(x))) and np.allclose(c.deriv, np.diag(-np.sin(x)))
    # plain arrays are never memoised: in-place changes between calls are seen
    a = np.array([0.1, 0.2])
    first = dd.sin(a)
    a[:] = [1.0, 2.0]
    assert np.array_equal(dd.sin(a), np.sin([1.0, 2.0])) and not np.array_equal(first, dd.sin(a))


# ---------------------------------------------------------------------------
# Powers at their edges (SPEC §2): closed forms worked by hand
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("base, p, value, slope", [
    (0.0, 2.0, 0.0, 0.0),        # d/dx x² = 2x = 0
    (0.0, 2, 0.0, 0.0),
    (0.0, 1.0, 0.0, 1.0),
    (0.0, 3.0, 0.0, 0.0),
    (-2.0, 2.0, 4.0, -4.0),      # 2x at -2
    (-2.0, 3, -8.0, 12.0),       # 3x² at -2
    (-2.0, -1.0, -0.5, -0.25),   # -1/x² at -2
    (-2.0, -2, 0.25, 0.25),      # -2/x³ at -2
])
def test_integral_powers_at_zero_and_negative_bases(base, p, value, slope):
    d = dd.Dual(base, 1.0) ** p
    assert (d.value, d.deriv) == (value, slope)
    e = dd.Dual(base, 1.0) ** dd.Dual(float(p), 0.0)   # an exponent that does not vary here
    assert (e.value, e.deriv) == (value, slope)


def test_zero_base_with_a_positive_varying_exponent_is_zero():
    for y in (0.5, 2.0, 3):
        d = 0 ** dd.Dual(float(y), 1.0)
        assert (d.value, d.deriv) == (0.0, 0.0)   # 0**y = 0 for every y > 0 nearby
        d = 0.0 ** dd.Dual(float(y), 1.0)
        assert (d.value, d.deriv) == (0.0, 0.0)


@pytest.mark.parametrize("make, error, words", [
    (lambda: 0 ** dd.Dual(-1.0, 1.0), ZeroDivisionError, ["pow", "-1"]),
    (lambda: dd.Dual(0.0, 1.0) ** -1, ZeroDivisionError, ["pow", "-1"]),
    (lambda: dd.Dual(-8.0, 1.0) ** (1 / 3), ValueError, ["pow", "-8", "not a real number"]),
    (lambda: dd.Dual(0.0, 1.0) ** 0.5, ZeroDivisionError, ["pow", "infinite", "0.0"]),
    (lambda: (-2.0) ** dd.Dual(2.0, 1.0), ValueError, ["pow", "-2.0"]),
    (lambda: dd.Dual(-2.0, 1.0) ** dd.Dual(2.0, 1.0), ValueError, ["pow", "-2.0"]),
    (lambda: dd.Dual(mpmath.mpf(-8), 1) ** (mpmath.mpf(1) / 3), ValueError, ["pow", "-8"]),
])
def test_undefined_powers_raise_naming_function_and_value(make, error, words):
    with pytest.raises(error) as info:
        make()
    for w in words:
        assert w in str(info.value)


# ---------------------------------------------------------------------------
# Precision of constants with mpmath (SPEC §2), against mpmath at 50 digits
# ---------------------------------------------------------------------------
def test_mpmath_precision_of_log_bases_and_power_bases():
    with mpmath.workdps(50):
        tol = mpmath.mpf(10) ** -48
        x = mpmath.mpf("0.5")
        assert mpmath.almosteq(dd.log(x, 10), mpmath.log(x) / mpmath.log(10), rel_eps=tol)
        assert mpmath.almosteq(dd.log(x, 2), mpmath.log(x) / mpmath.log(2), rel_eps=tol)
        t = mpmath.mpf("0.3")
        for base in (2, 10, 2.0):
            d = base ** dd.Dual(t, mpmath.mpf(1))
            want = mpmath.power(base, t)
            assert mpmath.almosteq(d.value, want, rel_eps=tol)
            assert mpmath.almosteq(d.deriv, want * mpmath.log(base), rel_eps=tol)
        d = dd.log(dd.Dual(t, mpmath.mpf(1)), 10)
        assert mpmath.almosteq(d.deriv, 1 / (t * mpmath.log(10)), rel_eps=tol)
        for name, want in [("log2", 1 / (t * mpmath.log(2))), ("log10", 1 / (t * mpmath.log(10))),
                           ("exp2", mpmath.power(2, t) * mpmath.log(2))]:
            assert mpmath.almosteq(getattr(dd, name)(dd.Dual(t, mpmath.mpf(1))).deriv, want, rel_eps=tol), name
        # gelu's √2 and erf's √π at the working precision: x/2·erfc(-x/√2)
        g = dd.gelu(dd.Dual(t, mpmath.mpf(1)))
        assert mpmath.almosteq(g.value, t / 2 * mpmath.erfc(-t / mpmath.sqrt(2)), rel_eps=tol)
