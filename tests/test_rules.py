"""Every rule of dualdiff.RULES against an independent mpmath reference at 50 digits.

REFERENCES below is the table these tests walk: one entry per rule, giving the function
written with mpmath, the points where it is tested and its parameters.  Its keys must be
exactly the keys of dualdiff.RULES, so a new rule without a reference fails at once.
Derivatives are never taken from dualdiff: they come from ``mpmath.diff`` (and
``mpmath.taylor`` for Jets) of the mpmath reference at 50 digits.

Point ranges (the ``x`` strategies) are chosen where the function and its derivative are
well conditioned, so that a relative error of 1e-13 is a fair demand on double precision:

* trigonometric functions: x in [-1.4, -0.1] ∪ [0.1, 1.4] ∪ [1.75, 3.0], away from the
  zeros and poles at multiples of π/2, where sin, cos, tan and their derivatives vanish
  or blow up;
* asin/acos: |x| <= 0.99 (the derivative has a pole at ±1);
* kinks (abs, relu, leaky_relu, elu, selu): |x| >= 1e-3, so mpmath.diff's stencil does not
  straddle the kink (the kink conventions are tested in test_activations.py);
* swish: x in [-40, -6] ∪ [-0.5, 20] with β in [0.5, 2], away from the zero of swish' near
  βx ≈ -1.28, where the derivative is a difference of nearly equal terms;
* gelu: x in [-20, 8] (computed as x/2·erfc(-x/√2), which does not cancel for x << 0)
  except [-0.77, -0.73]: the derivative Φ(x) + x·φ(x) has a zero near x ≈ -0.7518, a
  difference of two terms near 0.23, so only its absolute error is small there
  (test_gelu_derivative_near_its_zero; hypothesis found 4.4e-13 relative at -0.7519);
* log: x in [1e-3, 1e3], base in [0.1, 0.7] ∪ [1.5, 10] (not near 1, where log(base) → 0);
* asec/acsc: |x| >= 1.01, acosh: x >= 1.01 (poles of the derivative at ±1); atanh |x| <= 0.99;
  acot, csch, coth: |x| >= 0.01 (a jump or a pole at 0); logit: x in [1e-3, 0.999];
* two arguments: hypot and atan2 with the second argument away from 0 (at (0, 0) the
  derivative is undefined); max and min with |x| >= 1 and y in {-0.5, 0, 0.5}, never a tie;
* the rest: wide ranges where double precision holds (exp in [-50, 50], tanh and
  sigmoid up to |x| = 30/40, softplus in [-30, 30], pow: x in [0.1, 10], p in [-3, 3]).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.rules import REQUIRED

SELU_LAMBDA = 1.0507009873554805   # SPEC §3, as floats (the reference uses these exact binary values)
SELU_ALPHA = 1.6732632423543772

DPS = 50
DIFF_DPS = 80


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------
def floats(lo: float, hi: float):
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if lo <= 0 <= hi:
        # Tiny nonzero points (hypothesis likes 1e-300) are replaced by 0: there
        # mpmath.diff's finite-difference stencil would cancel every digit of, e.g.,
        # cosh'(1e-300) = 1e-300, and the reference would be wrong, not dualdiff.
        s = s.map(lambda x: 0.0 if abs(x) < 1e-8 else x)
    return s


def union(*ranges):
    return st.one_of(*(floats(lo, hi) for lo, hi in ranges))


TRIG = union((-1.4, -0.1), (0.1, 1.4), (1.75, 3.0))
AWAY_FROM_KINK = union((-10.0, -1e-3), (1e-3, 10.0))
AWAY_FROM_ZERO = union((-100.0, -0.1), (0.1, 100.0))
OUTSIDE_UNIT = union((-100.0, -1.01), (1.01, 100.0))
TIE_FREE = st.sampled_from([(0.5,), (-0.5,), (0.0,)])       # second argument of max/min, |x| >= 1
NO_PARAMS = st.just(())


# ---------------------------------------------------------------------------
# the reference table
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Ref:
    f: Callable[..., Any]                  # mpmath reference: (x, *params) -> value
    x: Any                                 # strategy of test points (floats)
    params: Any = NO_PARAMS                # strategy of parameter tuples (floats or None)
    vector: bool = False                   # f takes a list of values (softmax, logsumexp)
    float_constants: bool = False          # the definition itself holds float constants
    sympy_points: tuple = (Fraction(1, 2), Fraction(-1, 3), Fraction(1))
    jet_x: Any = None                      # points for the Jet test, if narrower than x


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def _mp_log(x, base=None):
    return mpmath.log(x) if base is None else mpmath.log(x) / mpmath.log(base)


def _mp_softmax(xs):
    es = [mpmath.exp(v) for v in xs]
    s = mpmath.fsum(es)
    return [e / s for e in es]


def _mp_logsumexp(xs):
    return mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))


def _selu_constants():
    """λ and α from their closed forms (Klambauer et al. 2017, eq. 14) at the working
    precision; SPEC §3's floats are these rounded (checked in test_selu_constants)."""
    e1 = mpmath.erfc(1 / mpmath.sqrt(2))
    se = mpmath.sqrt(mpmath.e)
    alpha = -mpmath.sqrt(2 / mpmath.pi) / (e1 * se - 1)
    lam = (1 - e1 * se) * mpmath.sqrt(2 * mpmath.pi) / mpmath.sqrt(
        2 * mpmath.erfc(mpmath.sqrt(2)) * mpmath.e ** 2 + mpmath.pi * e1 ** 2 * mpmath.e
        - 2 * (2 + mpmath.pi) * e1 * se + mpmath.pi + 2)
    return lam, alpha


def _mp_selu(x):
    lam, alpha = _selu_constants()
    return lam * x if x > 0 else lam * alpha * (mpmath.exp(x) - 1)


def test_selu_constants():
    with mpmath.workdps(DPS):
        lam, alpha = _selu_constants()
        assert (float(lam), float(alpha)) == (SELU_LAMBDA, SELU_ALPHA)
        assert mpmath.almosteq(alpha, mpmath.mpf("1.6732632423543772848170429916717"), rel_eps=mpmath.mpf(10) ** -31)


POSITIVE = (Fraction(1, 2), Fraction(1), Fraction(3, 2))
IN_UNIT = (Fraction(1, 2), Fraction(-1, 3), Fraction(1, 5))

REFERENCES: dict[str, Ref] = {
    # trigonometric
    "sin":        Ref(mpmath.sin, TRIG),
    "cos":        Ref(mpmath.cos, TRIG),
    "tan":        Ref(mpmath.tan, TRIG),
    "cot":        Ref(lambda x: mpmath.cos(x) / mpmath.sin(x), TRIG),
    "sec":        Ref(lambda x: 1 / mpmath.cos(x), TRIG),
    "csc":        Ref(lambda x: 1 / mpmath.sin(x), TRIG),
    "asin":       Ref(mpmath.asin, floats(-0.99, 0.99), sympy_points=IN_UNIT),
    "acos":       Ref(mpmath.acos, floats(-0.99, 0.99), sympy_points=IN_UNIT),
    "atan":       Ref(mpmath.atan, floats(-100.0, 100.0)),
    # hyperbolic, exponential, logarithmic
    "sinh":       Ref(mpmath.sinh, floats(-20.0, 20.0)),
    "cosh":       Ref(mpmath.cosh, floats(-20.0, 20.0)),
    "tanh":       Ref(mpmath.tanh, floats(-30.0, 30.0)),
    "exp":        Ref(mpmath.exp, floats(-50.0, 50.0)),
    "log":        Ref(_mp_log, floats(1e-3, 1e3),
                      st.one_of(st.just(()), union((0.1, 0.7), (1.5, 10.0)).map(lambda b: (b,))),
                      sympy_points=POSITIVE),
    "sqrt":       Ref(mpmath.sqrt, floats(1e-6, 1e6), sympy_points=POSITIVE),
    "expm1":      Ref(mpmath.expm1, floats(-20.0, 20.0)),
    "log1p":      Ref(mpmath.log1p, floats(-0.9, 10.0)),
    "erf":        Ref(mpmath.erf, floats(-4.0, 4.0)),
    "erfc":       Ref(mpmath.erfc, floats(-4.0, 20.0), jet_x=floats(-4.0, 4.0)),  # mpmath.taylor loses erfc(x > 6)
    "abs":        Ref(mpmath.fabs, AWAY_FROM_KINK),
    # inverse hyperbolic, reciprocal, inverse reciprocal, base 2 and 10, roots
    "asinh":      Ref(mpmath.asinh, floats(-50.0, 50.0)),
    "acosh":      Ref(mpmath.acosh, floats(1.01, 1e3), sympy_points=(Fraction(3, 2), Fraction(2), Fraction(7, 3))),
    "atanh":      Ref(mpmath.atanh, floats(-0.99, 0.99), sympy_points=IN_UNIT),
    "asec":       Ref(mpmath.asec, OUTSIDE_UNIT, sympy_points=(Fraction(3, 2), Fraction(-2), Fraction(7, 3))),
    "acsc":       Ref(mpmath.acsc, OUTSIDE_UNIT, sympy_points=(Fraction(3, 2), Fraction(-2), Fraction(7, 3))),
    "acot":       Ref(mpmath.acot, union((-100.0, -0.01), (0.01, 100.0))),
    "sech":       Ref(mpmath.sech, floats(-30.0, 30.0)),
    "csch":       Ref(mpmath.csch, union((-30.0, -0.01), (0.01, 30.0))),
    "coth":       Ref(mpmath.coth, union((-30.0, -0.01), (0.01, 30.0))),
    "log2":       Ref(lambda x: mpmath.log(x, 2), floats(1e-3, 1e3), sympy_points=POSITIVE),
    "log10":      Ref(mpmath.log10, floats(1e-3, 1e3), sympy_points=POSITIVE),
    "exp2":       Ref(lambda x: mpmath.power(2, x), floats(-50.0, 50.0)),
    "cbrt":       Ref(lambda x: mpmath.sign(x) * mpmath.cbrt(abs(x)), union((-1e3, -1e-3), (1e-3, 1e3))),
    "logit":      Ref(lambda x: mpmath.log(x / (1 - x)), floats(1e-3, 0.999),
                      sympy_points=(Fraction(1, 2), Fraction(1, 5), Fraction(3, 4))),
    # two arguments: the second is drawn as a parameter (its own derivative: test_second_argument)
    "hypot":      Ref(mpmath.hypot, floats(-100.0, 100.0), AWAY_FROM_ZERO.map(lambda y: (y,))),
    # atan2(y, x) jumps by 2π across y = 0 for x < 0 (there mpmath.diff's stencil straddles the cut)
    "atan2":      Ref(mpmath.atan2, AWAY_FROM_ZERO, AWAY_FROM_ZERO.map(lambda x: (x,))),
    "max":        Ref(lambda x, y: x if x > y else y, union((-10.0, -1.0), (1.0, 10.0)), TIE_FREE),
    "min":        Ref(lambda x, y: x if x < y else y, union((-10.0, -1.0), (1.0, 10.0)), TIE_FREE),
    "logaddexp":  Ref(lambda x, y: mpmath.log(mpmath.exp(x) + mpmath.exp(y)), floats(-30.0, 30.0),
                      floats(-30.0, 30.0).map(lambda y: (y,))),
    "pow":        Ref(mpmath.power, floats(0.1, 10.0), floats(-3.0, 3.0).map(lambda p: (p,)),
                      sympy_points=POSITIVE),
    # activations
    "sigmoid":    Ref(_mp_sigmoid, floats(-40.0, 40.0)),
    "relu":       Ref(lambda x: x if x > 0 else 0 * x, AWAY_FROM_KINK),
    # the default alpha is the decimal 0.01 (1/100 at the working precision), as documented
    "leaky_relu": Ref(lambda x, a=None: x if x > 0 else (mpmath.mpf("0.01") if a is None else a) * x, AWAY_FROM_KINK,
                      st.one_of(st.just(()), floats(1e-3, 0.5).map(lambda a: (a,))),
                      float_constants=True),
    "elu":        Ref(lambda x, a=1.0: x if x > 0 else a * mpmath.expm1(x), AWAY_FROM_KINK,
                      st.one_of(st.just(()), floats(0.1, 2.0).map(lambda a: (a,))),
                      float_constants=True),
    "selu":       Ref(_mp_selu, AWAY_FROM_KINK, float_constants=True),
    "softplus":   Ref(lambda x: mpmath.log1p(mpmath.exp(x)), floats(-30.0, 30.0)),
    "swish":      Ref(lambda x, b=1.0: x * _mp_sigmoid(b * x), union((-40.0, -6.0), (-0.5, 20.0)),
                      st.one_of(st.just(()), floats(0.5, 2.0).map(lambda b: (b,))),
                      float_constants=True),
    "gelu":       Ref(lambda x: x / 2 * mpmath.erfc(-x / mpmath.sqrt(2)), union((-20.0, -0.77), (-0.73, 8.0)),
                      jet_x=union((-6.0, -0.77), (-0.73, 8.0))),
    "softmax":    Ref(_mp_softmax, st.lists(floats(-20.0, 20.0), min_size=1, max_size=4), vector=True),
    "logsumexp":  Ref(_mp_logsumexp, st.lists(floats(-20.0, 20.0), min_size=1, max_size=4), vector=True),
}

SCALAR = [name for name in dd.RULES if not REFERENCES.get(name, Ref(None, None)).vector]
VECTOR = [name for name in dd.RULES if REFERENCES.get(name, Ref(None, None)).vector]


def mpf(v):
    return None if v is None else mpmath.mpf(v)


def close(got, ref, rel, what=""):
    """|got - ref| <= rel·|ref| (an exact zero reference must be met exactly, up to 1e-300)."""
    got, ref = mpmath.mpf(got), mpmath.mpf(ref)
    err = abs(got - ref)
    assert err <= rel * abs(ref) + mpmath.mpf("1e-300"), (
        f"{what}: got {mpmath.nstr(got, 20)}, expected {mpmath.nstr(ref, 20)}, "
        f"relative error {mpmath.nstr(err / abs(ref), 3) if ref else err}")


def ref_value_and_deriv(ref: Ref, x: float, params: tuple):
    """f(x) at 50 digits and f'(x) by mpmath.diff at 80 digits (the finite-difference
    stencil cancels up to ~8 digits at |x| ~ 1e-8), rounded to 50."""
    with mpmath.workdps(DIFF_DPS):
        p = [mpf(v) for v in params]
        fx = lambda t: ref.f(t, *p)  # noqa: E731
        d = mpmath.diff(fx, mpf(x))
    with mpmath.workdps(DPS):
        return fx(mpf(x)), +d


def public(name: str) -> Callable[..., Any]:
    return getattr(dd, name)


# ---------------------------------------------------------------------------
# the table is complete
# ---------------------------------------------------------------------------
def test_every_rule_has_a_reference():
    assert set(REFERENCES) == set(dd.RULES)


def test_every_rule_is_public():
    for name in dd.RULES:
        assert callable(public(name)), name


# ---------------------------------------------------------------------------
# float backend: value and derivative to 1e-13
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCALAR)
def test_rule_float(name):
    ref = REFERENCES[name]
    f = public(name)

    @settings(max_examples=40, deadline=None)
    @given(x=ref.x, params=ref.params)
    def check(x, params):
        y_ref, d_ref = ref_value_and_deriv(ref, x, params)
        y = f(x, *params)
        assert isinstance(y, float)
        close(y, y_ref, 1e-13, f"{name}({x}, {params})")
        v, d = dd.value_and_derivative(lambda t: f(t, *params), x)
        assert v == y  # the Dual path computes the same primal
        close(d, d_ref, 1e-13, f"{name}'({x}, {params})")

    check()


@pytest.mark.parametrize("name", VECTOR)
def test_vector_rule_float(name):
    ref = REFERENCES[name]
    f = public(name)

    @settings(max_examples=25, deadline=None)
    @given(xs=ref.x)
    def check(xs):
        n = len(xs)
        with mpmath.workdps(DPS):
            ys_ref = ref.f([mpf(v) for v in xs])
            scalar_out = not isinstance(ys_ref, list)
            outs = [ys_ref] if scalar_out else ys_ref
            # J[i][j] = ∂out_i/∂x_j by mpmath.diff of each component in each coordinate
            jac_ref = []
            for i in range(len(outs)):
                comp = (lambda *t, _i=i: ref.f(list(t))) if scalar_out else \
                       (lambda *t, _i=i: ref.f(list(t))[_i])
                jac_ref.append([mpmath.diff(comp, [mpf(v) for v in xs],
                                            tuple(int(k == j) for k in range(n))) for j in range(n)])
        y = f(np.array(xs))
        for got, want in zip(np.ravel(y), outs):
            scale = abs(want)
            err = abs(mpmath.mpf(got) - want)
            assert err <= 1e-13 * scale, (name, xs, got, want)
        if scalar_out:
            jac = dd.gradient(f, np.array(xs))[None, :]
        else:
            jac = dd.jacobian(f, np.array(xs))
        # softmax derivatives s_i(δ_ij - s_j) are formed (by the quotient rule) as a
        # difference of terms of size s_i; when one s_i ≈ 1 dominates, 1 - s_i cancels.
        # So each row is measured against s_i (for logsumexp, whose row is s, against 1).
        for i in range(len(outs)):
            scale = 1 if scalar_out else abs(outs[i])
            for j in range(n):
                err = abs(mpmath.mpf(jac[i, j]) - jac_ref[i][j])
                assert err <= 1e-13 * scale, (name, xs, i, j, jac[i, j], jac_ref[i][j])

    check()


# ---------------------------------------------------------------------------
# mpmath backend: 45 correct digits at 50-digit working precision
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCALAR)
def test_rule_mpmath(name):
    ref = REFERENCES[name]
    f = public(name)

    @settings(max_examples=15, deadline=None)
    @given(x=ref.x, params=ref.params)
    def check(x, params):
        y_ref, d_ref = ref_value_and_deriv(ref, x, params)
        with mpmath.workdps(DPS):
            p = [mpf(v) for v in params]
            d = f(dd.Dual(mpmath.mpf(x), mpmath.mpf(1)), *p)
            assert isinstance(d.value, mpmath.mpf) and isinstance(d.deriv, mpmath.mpf), (d.value, d.deriv)
            close(d.value, y_ref, 1e-45, f"mpmath {name}({x}, {params})")
            close(d.deriv, d_ref, 1e-45, f"mpmath {name}'({x}, {params})")

    check()


# ---------------------------------------------------------------------------
# sympy backend: exact values, compared with mpmath after evalf(60)
# ---------------------------------------------------------------------------
def _sym_defaults(name):
    """Parameters for the sympy test: an exact 5/2 for every required one (pow's p, hypot's y)."""
    return tuple(sympy.Rational(5, 2) for _, d in dd.RULES[name].params if d is REQUIRED)


@pytest.mark.parametrize("name", SCALAR)
def test_rule_sympy(name):
    ref = REFERENCES[name]
    f = public(name)
    params = _sym_defaults(name)
    # Rules whose very definition holds Python floats (SELU's λ and α, leaky_relu's 0.01,
    # elu's alpha = 1.0, swish's beta = 1.0) can only be as exact as those floats: sympy then
    # computes in 15-digit Floats.  Every other rule must give exact values.
    rel = 1e-14 if ref.float_constants else 1e-45
    for q in ref.sympy_points:
        xs = sympy.Rational(q.numerator, q.denominator)
        d = f(dd.Dual(xs, sympy.Integer(1)), *params)
        with mpmath.workdps(DPS):
            xm = mpmath.mpf(q.numerator) / q.denominator
            pm = [mpmath.mpf(sympy.N(p, 60)) for p in params]
            fx = lambda t: ref.f(t, *pm)  # noqa: E731
            y_ref, d_ref = fx(xm), mpmath.diff(fx, xm)
            close(mpmath.mpf(str(sympy.N(d.value, 60))), y_ref, rel, f"sympy {name}({q}) = {d.value}")
            close(mpmath.mpf(str(sympy.N(d.deriv, 60))), d_ref, rel, f"sympy {name}'({q}) = {d.deriv}")
        if not ref.float_constants:  # exact: no Floats except whole numbers (abs' = 1.0)
            for part in (d.value, d.deriv):
                if isinstance(part, sympy.Basic):
                    assert all(float(a).is_integer() for a in part.atoms(sympy.Float)), part


def test_sympy_sin_cos_are_exact():
    d = dd.sin(dd.Dual(sympy.Integer(1), 1))
    assert d.value == sympy.sin(1)
    assert d.deriv == sympy.cos(1)
    d = dd.cos(dd.Dual(sympy.Integer(1), 1))
    assert d.value == sympy.cos(1)
    assert sympy.simplify(d.deriv + sympy.sin(1)) == 0


def test_sympy_course_table_exact():
    """The course's derivative table, rule by rule, with sympy.diff as the reference."""
    x = sympy.Symbol("x")
    one = dd.Dual(sympy.Integer(2), 1)   # u = x at x = 2 (inside every domain below)
    a = sympy.Integer(3)
    cases = [
        (lambda u: 7 + 0 * u,            sympy.Integer(7) + 0 * x),       # d/dx a = 0
        (lambda u: u,                    x),                             # d/dx x = 1
        (lambda u: a * u,                a * x),                         # (au)' = a u'
        (lambda u: u + u * u - dd.sin(u), x + x**2 - sympy.sin(x)),       # (u + v - w)'
        (lambda u: u * dd.exp(u),        x * sympy.exp(x)),              # product
        (lambda u: dd.sin(u) / u,        sympy.sin(x) / x),              # quotient
        (lambda u: u ** 5,               x**5),                          # u^n
        (lambda u: dd.sqrt(u),           sympy.sqrt(x)),                 # √u
        (lambda u: 1 / u,                1 / x),                         # 1/u
        (lambda u: 1 / u ** 3,           1 / x**3),                      # 1/u^n
        (lambda u: dd.sin(u * u),        sympy.sin(x**2)),               # chain rule
        (lambda u: dd.log(u),            sympy.log(x)),                  # ln u
        (lambda u: dd.log(u, a),         sympy.log(x, a)),               # log_a u
        (lambda u: dd.exp(u),            sympy.exp(x)),                  # e^u
        (lambda u: a ** u,               a**x),                          # a^u
        (lambda u: u ** (u * u),         x**(x**2)),                     # u^v
        (lambda u: dd.sin(u),            sympy.sin(x)),
        (lambda u: dd.cos(u),            sympy.cos(x)),
        (lambda u: dd.tan(u),            sympy.tan(x)),
        (lambda u: dd.cot(u),            sympy.cot(x)),
        (lambda u: dd.sec(u),            sympy.sec(x)),
        (lambda u: dd.csc(u),            sympy.csc(x)),
    ]
    for f, expr in cases:
        d = f(one)
        value = d.value if isinstance(d, dd.Dual) else d
        deriv = d.deriv if isinstance(d, dd.Dual) else 0
        assert sympy.simplify(value - expr.subs(x, 2)) == 0, (expr, value)
        assert sympy.simplify(deriv - sympy.diff(expr, x).subs(x, 2)) == 0, (expr, deriv)


# ---------------------------------------------------------------------------
# numpy arrays: elementwise the scalar results
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCALAR)
def test_rule_numpy_elementwise(name):
    ref = REFERENCES[name]
    f = public(name)

    @settings(max_examples=15, deadline=None)
    @given(xs=st.lists(ref.x, min_size=1, max_size=6), params=ref.params)
    def check(xs, params):
        arr = np.array(xs)
        y = f(arr, *params)
        d = f(dd.Dual(arr, np.ones_like(arr)), *params)
        assert isinstance(y, np.ndarray) and y.shape == arr.shape
        want_y = [f(x, *params) for x in xs]
        want_d = [dd.derivative(lambda t: f(t, *params), x) for x in xs]
        # numpy's and math's kernels may round differently in the last bit or two.
        np.testing.assert_allclose(y, want_y, rtol=1e-14, atol=0)
        np.testing.assert_allclose(d.value, want_y, rtol=1e-14, atol=0)
        np.testing.assert_allclose(np.broadcast_to(d.deriv, arr.shape), want_d, rtol=1e-14, atol=0)

    check()


# ---------------------------------------------------------------------------
# Jets: Taylor coefficients of order 4 against mpmath.taylor at 50 digits
# ---------------------------------------------------------------------------
def _taylor_close(got, want, what):
    """Each coefficient to 1e-10, relative to itself or (for coefficients that happen to be
    tiny) to the largest coefficient of the expansion."""
    scale = max(abs(w) for w in want)
    for k, (g, w) in enumerate(zip(got, want)):
        err = abs(mpmath.mpf(g) - w)
        assert err <= 1e-10 * max(abs(w), 1e-6 * scale) + mpmath.mpf("1e-300"), (
            f"{what}: coefficient {k} is {g}, expected {mpmath.nstr(w, 17)}")


@pytest.mark.parametrize("name", SCALAR)
def test_rule_jet(name):
    ref = REFERENCES[name]
    f = public(name)

    @settings(max_examples=10, deadline=None)
    @given(x=ref.x if ref.jet_x is None else ref.jet_x, params=ref.params)
    def check(x, params):
        with mpmath.workdps(DPS):
            p = [mpf(v) for v in params]
            want = mpmath.taylor(lambda t: ref.f(t, *p), mpf(x), 4)
        got = dd.taylor(lambda t: f(t, *params), x, 4)
        assert len(got) == 5
        _taylor_close(got, want, f"taylor of {name} at {x}, {params}")

    check()


@pytest.mark.parametrize("name", VECTOR)
def test_vector_rule_jet(name):
    """Along a line x0 + t·v: the Taylor coefficients in t of each output component."""
    ref = REFERENCES[name]
    f = public(name)

    @settings(max_examples=8, deadline=None)
    @given(xs=st.lists(floats(-5.0, 5.0), min_size=2, max_size=4),
           v=st.lists(floats(-1.0, 1.0), min_size=4, max_size=4))
    def check(xs, v):
        x0, dv = np.array(xs), np.array(v[:len(xs)])
        got = dd.taylor(lambda t: f(x0 + t * dv), 0.0, 4)
        with mpmath.workdps(DPS):
            line = lambda t: ref.f([mpf(a) + t * mpf(b) for a, b in zip(x0, dv)])  # noqa: E731
            if isinstance(ref.f([mpf(a) for a in x0]), list):
                for i in range(len(xs)):
                    want = mpmath.taylor(lambda t, _i=i: line(t)[_i], 0, 4)
                    _taylor_close([np.ravel(c)[i] if np.ndim(c) else c for c in got], want,
                                  f"taylor of {name} component {i}")
            else:
                want = mpmath.taylor(line, 0, 4)
                _taylor_close(got, want, f"taylor of {name}")

    check()


# Regression: the Jet rules of sigmoid and tanh once used y(1 - y) and 1 - y², which
# cancel once y rounds towards 1 (tanh's Taylor coefficients at x = 17 had no correct digit).
@pytest.mark.parametrize("name, x", [("tanh", 17.0), ("tanh", -17.0), ("sigmoid", 30.0), ("softplus", 30.0)])
def test_jet_large_argument(name, x):
    ref = REFERENCES[name]
    with mpmath.workdps(DPS):
        want = mpmath.taylor(ref.f, mpf(x), 3)
    got = dd.taylor(public(name), x, 3)
    for k in range(1, 4):  # each derivative coefficient to 1e-10 of itself
        close(got[k], want[k], 1e-10, f"taylor coefficient {k} of {name} at {x}")


# ---------------------------------------------------------------------------
# functions of two arguments: the derivative in the second argument too
# ---------------------------------------------------------------------------
SECOND = [name for name in SCALAR if any(d is REQUIRED for _, d in dd.RULES[name].params)]


@pytest.mark.parametrize("name", SECOND)
def test_second_argument(name):
    ref = REFERENCES[name]
    f = public(name)

    @settings(max_examples=25, deadline=None)
    @given(x=ref.x, params=ref.params)
    def check(x, params):
        (p,) = params
        with mpmath.workdps(DIFF_DPS):
            d_ref = mpmath.diff(lambda t: ref.f(mpf(x), t), mpf(p))
        d = dd.derivative(lambda t: f(x, t), p)
        close(d, d_ref, 1e-13, f"d/dp {name}({x}, {p})")
        # both arguments varying at once: the directional derivative along (1, 1)
        with mpmath.workdps(DIFF_DPS):
            both = mpmath.diff(lambda t: ref.f(mpf(x) + t, mpf(p) + t), 0)
            d_first = mpmath.diff(lambda t: ref.f(t, mpf(p)), mpf(x))
        # The directional derivative is the sum of the two partials; where they nearly
        # cancel (hypot(100 - 0.004, -100): 0.707 - 0.707) even an exact float sum of
        # correctly rounded partials is off by ~1e-16·(|∂x f| + |∂p f|), so the bound is
        # relative to the partials' sizes, not to their small sum.
        got = mpmath.mpf(dd.derivative(lambda t: f(x + t, p + t), 0.0))
        scale = abs(d_first) + abs(d_ref)
        assert abs(got - both) <= 1e-13 * scale + mpmath.mpf("1e-300"), (
            f"d/dt {name}({x}+t, {p}+t): got {mpmath.nstr(got, 20)}, expected {mpmath.nstr(both, 20)}")

    check()


# ---------------------------------------------------------------------------
# Adding a function is one table entry: a rule registered at run time is served like
# the others, with nothing else changed
# ---------------------------------------------------------------------------
def test_a_rule_registered_at_run_time_is_a_public_function_everywhere():
    from dualdiff.parse import parse_expression
    from dualdiff.printing import expr_to_latex, expr_to_text
    from dualdiff.rules import Rule, register, remove

    name = "throwaway_cube"
    assert not hasattr(dd, name) and np.spacing not in dd.dual.HANDLED_UFUNCS
    register(Rule(name=name, float=lambda x: x * x * x, numpy=lambda x: x * x * x, mpmath=lambda x: x ** 3,
                  sympy=lambda x: x ** 3, deriv=lambda x, y: 3 * x * x, text=f"{name}({{x}})",
                  latex="\\mathcal{{C}}({x})", ufuncs=("spacing",), doc="x³ (a test)"))
    try:
        f = getattr(dd, name)
        assert name in dd.__all__ and f.__name__ == name
        d = f(dd.Dual(2.0, 1.0))                            # 2³ = 8, 3·2² = 12
        assert (d.value, d.deriv) == (8.0, 12.0)
        assert dd.taylor(f, 2.0, 3) == [8.0, 12.0, 6.0, 1.0]
        d = np.spacing(dd.Dual(np.array([1.0, 2.0]), 1.0))  # numpy dispatch through the table
        np.testing.assert_array_equal(d.value, [1.0, 8.0])
        np.testing.assert_array_equal(d.deriv, [3.0, 12.0])
        node, _ = parse_expression(f"{name}(x + 1)")
        assert expr_to_text(node) == f"{name}(x + 1)"
        assert expr_to_latex(node) == "\\mathcal{C}(x + 1)"
        tr = dd.trace_program(f"x = 2\ny = {name}(x)")
        assert tr.output.value == 8.0
        report = tr.check_symbolic()
        assert report.ok and {r.verdict for r in report.rows} == {"ok"}
    finally:
        remove(name)
    assert not hasattr(dd, name) and name not in dd.__all__ and np.spacing not in dd.dual.HANDLED_UFUNCS
    with pytest.raises(TypeError, match="spacing"):
        np.spacing(dd.Dual(1.0, 1.0))


def test_gelu_derivative_near_its_zero():
    # Near the zero of gelu' (x ≈ -0.75179) the float derivative is a difference of terms
    # of size ~0.23: it is right to a few units of 1e-16 absolute, not relative.
    ref = REFERENCES["gelu"]
    for x in np.linspace(-0.77, -0.73, 41):
        _, d_ref = ref_value_and_deriv(ref, float(x), ())
        d = dd.derivative(dd.gelu, float(x))
        assert abs(mpmath.mpf(d) - d_ref) <= mpmath.mpf("2e-16"), (x, d, d_ref)
