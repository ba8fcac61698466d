"""Taylor mode at high order (issue 14, item 7): iterative, no recursion limit touched,
right to the documented limit (MAX_TAYLOR_ORDER = 1000).

References are closed-form series evaluated in mpmath at 50 digits, never dualdiff:
exp(x0 + t) = e^x0 Σ t^k/k!, sin(x0 + t) = Σ sin(x0 + kπ/2) t^k/k!,
1/(1 - x) at x0: 1/(1 - x0)^(k+1), log(1 + x) at x0: (-1)^(k+1) / (k (1 + x0)^k).
"""
from __future__ import annotations

import sys
import threading

import mpmath
import pytest

import dualdiff as dd

TINY = 1e-290  # below this a float coefficient has underflowed (1/k! for k > 170): compared absolutely


def close(got: list, ref: list, rel: float) -> None:
    assert len(got) == len(ref)
    for k, (g, r) in enumerate(zip(got, ref)):
        r = float(r)
        if abs(r) < TINY:
            assert abs(float(g)) < 1e-280, (k, g, r)
        else:
            assert abs(float(g) - r) <= rel * abs(r), (k, g, r)


def exp_ref(x0, n):
    return [mpmath.exp(x0) / mpmath.factorial(k) for k in range(n + 1)]


def sin_ref(x0, n):
    return [mpmath.sin(x0 + k * mpmath.pi / 2) / mpmath.factorial(k) for k in range(n + 1)]


def geom_ref(x0, n):
    return [1 / (1 - mpmath.mpf(x0)) ** (k + 1) for k in range(n + 1)]


def log1p_ref(x0, n):
    return [mpmath.log1p(x0)] + [(-1) ** (k + 1) / (k * (1 + mpmath.mpf(x0)) ** k) for k in range(1, n + 1)]


CASES = [
    ("exp", dd.exp, exp_ref, 0.25, 1000, 1e-12),
    ("sin", dd.sin, sin_ref, 0.5, 1000, 1e-9),
    ("1/(1-x)", lambda x: 1 / (1 - x), geom_ref, 0.5, 1000, 1e-13),
    ("log(1+x)", lambda x: dd.log(1 + x), log1p_ref, 0.5, 1000, 1e-10),
    ("log1p", dd.log1p, log1p_ref, 0.5, 1000, 1e-10),
]


@pytest.mark.parametrize("name, f, ref, x0, n, rel", CASES, ids=[c[0] for c in CASES])
def test_series_at_the_order_limit(name, f, ref, x0, n, rel):
    close(dd.taylor(f, x0, n), ref(x0, n), rel)


def test_a_low_recursion_limit_is_enough_and_is_not_changed():
    seen = []

    def f(x):
        seen.append(sys.getrecursionlimit())
        return dd.sin(dd.exp(x)) * dd.tanh(x)

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(250)  # far below one Python frame per order
    try:
        dd.taylor(dd.sin, 0.5, 1000)
        dd.taylor(dd.tan, 0.3, 200)
        coeffs = dd.taylor(f, 0.2, 300)
        assert seen == [250]  # the call ran under the caller's limit, untouched
    finally:
        sys.setrecursionlimit(old)
    # and the nested composition is right: its 4th derivative vs mpmath's own differentiation
    g = lambda t: mpmath.sin(mpmath.exp(t)) * mpmath.tanh(t)  # noqa: E731
    assert float(coeffs[4] * 24) == pytest.approx(float(mpmath.diff(g, mpmath.mpf("0.2"), 4)), rel=1e-10)


def test_nth_derivative_at_the_limit():
    # d^1000/dx^1000 exp(x) = exp(x); the Jet route goes through 1/1000! (underflow) only
    # in its coefficients, so compare with a function whose coefficients stay normal
    got = dd.nth_derivative(lambda x: 1 / (1 - x), 0.0, 170)
    assert got == pytest.approx(float(mpmath.factorial(170)), rel=1e-13)


@pytest.fixture(autouse=True)
def fifty_digits():
    with mpmath.workdps(50):
        yield


def test_mpmath_coefficients_keep_their_precision_at_high_order():
    x0 = mpmath.mpf(1) / 3
    got = dd.taylor(dd.exp, x0, 200)
    ref = exp_ref(x0, 200)
    for g, r in zip(got, ref):
        assert isinstance(g, mpmath.mpf)
        assert abs(g - r) <= mpmath.mpf(10) ** -40 * abs(r)


def test_binary_functions_climb_too():
    # hypot(x, 1) = sqrt(1 + x^2) at 0: binomial series, c_2k = binom(1/2, k)
    n = 400
    got = dd.taylor(lambda x: dd.hypot(x, 1.0), 0.0, n)
    for k in range(n + 1):
        r = mpmath.binomial(mpmath.mpf(1) / 2, k // 2) if k % 2 == 0 else 0
        assert float(got[k]) == pytest.approx(float(r), rel=1e-9, abs=1e-300)


def test_threads_get_the_same_coefficients():
    want = {x0: dd.taylor(lambda x: dd.sin(x) * dd.exp(-x), x0, 120) for x0 in (0.1, 0.2, 0.3, 0.4)}
    # the single-threaded coefficients are themselves right: sin(x)·e^(-x) = Im e^((i-1)x),
    # so c_k = Im((i-1)^k e^((i-1)x0)) / k!
    with mpmath.workdps(40):
        for x0, coeffs in want.items():
            z = mpmath.mpc(-1, 1)
            for k in (0, 1, 2, 7, 30, 120):
                ref = mpmath.im(z ** k * mpmath.exp(z * x0)) / mpmath.factorial(k)
                # float Cauchy products cancel: terms of size up to 2^k/k! (sin's and exp's
                # coefficients), so the bound is relative to that, not to the tiny c_k
                assert abs(coeffs[k] - ref) <= 1e-12 * max(abs(ref), mpmath.mpf(2) ** k / mpmath.factorial(k)), (x0, k)
    got: dict = {}
    errors: list = []

    def work(x0):
        try:
            for _ in range(3):
                got.setdefault(x0, []).append(dd.taylor(lambda x: dd.sin(x) * dd.exp(-x), x0, 120))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(x0,)) for x0 in (0.1, 0.2, 0.3, 0.4) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for x0, runs in got.items():
        assert all(r == want[x0] for r in runs)
