"""numpy array code on Jets (issue 11 item 1, Taylor mode): object arrays of Jets through
numpy's functions, ufuncs on object arrays of Duals and Jets, and Taylor coefficients of
array-valued results.  References are closed forms (coefficient k of e^{at} is a^k/k!, of
a polynomial its own coefficients), written before the code ran.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualdiff as dd

ORDER = 5


def exp_coeffs(a: float, x0: float, n: int = ORDER) -> np.ndarray:
    """Coefficients of e^{a t} at t = x0: e^{a x0} a^k / k!."""
    return np.array([math.exp(a * x0) * a ** k / math.factorial(k) for k in range(n + 1)])


def poly_coeffs(p: list[float], x0: float, n: int = ORDER) -> np.ndarray:
    """Coefficients of the polynomial Σ p_i t^i re-expanded at x0 (numpy's own Polynomial)."""
    P = np.polynomial.Polynomial(p)
    out, fact = [], 1
    for k in range(n + 1):
        out.append(P.deriv(k)(x0) / math.factorial(k) if k else P(x0))
    return np.array(out)


def coeffs(f, x0=0.3, n=ORDER):
    return np.array(dd.taylor(f, x0, n), dtype=float)


REDUCTIONS = [
    # name, f(t) on an object array of Jets, reference coefficients at x0 = 0.3
    ("sum", lambda t: np.sum(np.exp(np.array([t, 2 * t]))), exp_coeffs(1, .3) + exp_coeffs(2, .3)),
    ("mean", lambda t: np.mean(np.array([t, t * t, 1.0])), poly_coeffs([1, 1, 1], .3) / 3),
    ("dot", lambda t: np.dot(np.array([t, t * t]), np.array([3.0, -1.0])), poly_coeffs([0, 3, -1], .3)),
    ("matmul", lambda t: np.array([2.0, 5.0]) @ np.array([t * t, t ** 3]), poly_coeffs([0, 0, 2, 5], .3)),
    ("prod", lambda t: np.prod(np.array([t, t + 1.0, 2.0])), poly_coeffs([0, 2, 2], .3)),
    ("where", lambda t: np.sum(np.where([True, False, True], np.array([t, t * t, t ** 3]), 0.0)),
     poly_coeffs([0, 1, 0, 1], .3)),
    ("max", lambda t: np.max(np.array([t, t * t, t + 10.0])), poly_coeffs([10, 1], .3)),
    ("exp ufunc", lambda t: np.exp(np.array([t, 2 * t]))[1], exp_coeffs(2, .3)),
    ("sin ufunc", lambda t: np.sum(np.sin(np.array([t, t]))), None),
]


@pytest.mark.parametrize("name, f, ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_numpy_functions_on_object_arrays_of_jets(name, f, ref):
    got = coeffs(f)
    if ref is None:  # 2 sin(t): coefficients 2 sin(x0 + kπ/2)/k!
        ref = np.array([2 * math.sin(.3 + k * math.pi / 2) / math.factorial(k) for k in range(ORDER + 1)])
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)


def test_array_valued_result_gives_one_array_per_order():
    # [t, t², 3] at 1: coefficients [1,1,3], [1,2,0], [0,1,0], [0,0,0]
    got = dd.taylor(lambda t: np.array([t, t * t, 3.0]), 1.0, 3)
    np.testing.assert_array_equal(np.array(got), [[1, 1, 3], [1, 2, 0], [0, 1, 0], [0, 0, 0]])
    assert dd.nth_derivative(lambda t: [t ** 3, t], 2.0, 2).tolist() == [12.0, 0.0]  # (t³)'' = 6t
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = dd.taylor(lambda t: M @ np.array([t, t * t]), 1.0, 2)
    np.testing.assert_array_equal(np.array(got), [[3, 7], [5, 11], [2, 4]])


@pytest.mark.parametrize("kind", ["dual", "jet"])
@pytest.mark.parametrize("ufunc, ref", [(np.exp, math.exp), (np.arcsin, math.asin), (np.sqrt, math.sqrt),
                                        (np.tanh, math.tanh), (np.log1p, math.log1p)])
def test_ufuncs_on_object_arrays_act_elementwise(kind, ufunc, ref):
    xs = [0.25, 0.5]
    elem = (lambda v: dd.Dual(v, 1.0)) if kind == "dual" else (lambda v: dd.Jet([v, 1.0]))
    out = ufunc(np.array([elem(v) for v in xs], dtype=object))
    assert out.dtype == object
    for o, v in zip(out, xs):
        val = o.value if kind == "dual" else o.coeffs[0]
        der = o.deriv if kind == "dual" else o.coeffs[1]
        h = 1e-6  # the derivative vs a central difference of the math function (independent)
        assert val == pytest.approx(ref(v), rel=1e-15)
        assert der == pytest.approx((ref(v + h) - ref(v - h)) / (2 * h), rel=1e-8)


@pytest.mark.parametrize("kind", ["dual", "jet"])
@pytest.mark.parametrize("ufunc", [np.floor, np.rint, np.deg2rad, np.ceil, np.trunc])
def test_unsupported_ufuncs_on_object_arrays_name_the_call(kind, ufunc):
    elem = dd.Dual(1.5, 1.0) if kind == "dual" else dd.Jet([1.5, 1.0])
    with pytest.raises(TypeError, match=rf"\b{ufunc.__name__}\b.*not supported"):
        ufunc(np.array([elem, elem], dtype=object))


def test_conjugate_of_a_real_number_is_itself():
    a = np.array([dd.Dual(1.5, 2.0)], dtype=object)
    c = np.conj(a)[0]
    assert (c.value, c.deriv) == (1.5, 2.0)
