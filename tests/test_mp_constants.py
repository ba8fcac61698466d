"""Every function of the rule table keeps mpmath precision through its constants.

The audit's reference (``dualdiff.reference``) evaluates programs with ``mpmath.mpf``
numbers through the same rule table as the float trace, so any constant a rule holds as a
binary float (``math.log(2)``, a default parameter such as leaky_relu's 0.01) would cap
the reference at 16 digits.  Here every rule of ``RULES`` -- called with its default
parameters, with decimal parameters given as Python floats (``0.01`` means 1/100), and
with mpf parameters -- is compared at mpf points with a closed form written with mpmath
at 60 digits: value, first derivative (a Dual) and second derivative (a Jet) must agree to
45 digits.  The closed forms are independent of dualdiff; derivatives come from
``mpmath.diff`` of the closed form.  ``test_every_rule_is_probed`` fails when a rule is
added without a closed form here.
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

import dualdiff as dd
from dualdiff.rules import RULES

DPS = 60
DIGITS = 45
mp = mpmath


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _selu_constants():
    e1 = mp.erfc(1 / mp.sqrt(2))
    se = mp.sqrt(mp.e)
    alpha = -mp.sqrt(2 / mp.pi) / (e1 * se - 1)
    lam = (1 - e1 * se) * mp.sqrt(2 * mp.pi) / mp.sqrt(
        2 * mp.erfc(mp.sqrt(2)) * mp.e ** 2 + mp.pi * e1 ** 2 * mp.e
        - 2 * (2 + mp.pi) * e1 * se + mp.pi + 2)
    return lam, alpha


def D(text):
    """A decimal as the number it names (0.01 -> 1/100 at the working precision)."""
    return mp.mpf(text)


# name -> list of (points, params as passed to dualdiff, closed form f(x))
# Params are passed as Python floats written as decimals, or omitted (the rule's default):
# the closed form uses the decimal's exact value.
CASES = {
    "sin": [(["0.7", "-2.5"], (), mp.sin)],
    "cos": [(["0.7", "-2.5"], (), mp.cos)],
    "tan": [(["0.7", "-1.1"], (), mp.tan)],
    "cot": [(["0.7", "-2.5"], (), lambda x: mp.cos(x) / mp.sin(x))],
    "sec": [(["0.7", "-2.5"], (), lambda x: 1 / mp.cos(x))],
    "csc": [(["0.7", "-2.5"], (), lambda x: 1 / mp.sin(x))],
    "asin": [(["0.3", "-0.9"], (), mp.asin)],
    "acos": [(["0.3", "-0.9"], (), mp.acos)],
    "atan": [(["0.3", "-7.5"], (), mp.atan)],
    "sinh": [(["0.3", "-7.5"], (), mp.sinh)],
    "cosh": [(["0.3", "-7.5"], (), mp.cosh)],
    "tanh": [(["0.3", "-7.5"], (), mp.tanh)],
    "exp": [(["0.3", "-7.5"], (), mp.exp)],
    "log": [(["0.3", "7.5"], (), mp.log),
            (["0.3", "7.5"], (10,), lambda x: mp.log(x) / mp.log(10)),
            (["0.3", "7.5"], (2,), lambda x: mp.log(x) / mp.log(2)),
            (["0.3", "7.5"], (0.1,), lambda x: mp.log(x) / mp.log(D("0.1"))),
            (["0.3", "7.5"], (mp.e,), mp.log)],
    "sqrt": [(["0.3", "7.5"], (), mp.sqrt)],
    "expm1": [(["1e-12", "-0.3"], (), mp.expm1)],
    "log1p": [(["1e-12", "-0.3"], (), mp.log1p)],
    "erf": [(["0.3", "-1.7"], (), mp.erf)],
    "erfc": [(["0.3", "5.5"], (), mp.erfc)],
    "abs": [(["0.3", "-1.7"], (), mp.fabs)],
    "asinh": [(["0.3", "-7.5"], (), mp.asinh)],
    "acosh": [(["1.3", "7.5"], (), mp.acosh)],
    "atanh": [(["0.3", "-0.9"], (), mp.atanh)],
    "asec": [(["1.3", "-7.5"], (), lambda x: mp.acos(1 / x))],
    "acsc": [(["1.3", "-7.5"], (), lambda x: mp.asin(1 / x))],
    "acot": [(["0.3", "7.5"], (), lambda x: mp.atan(1 / x))],
    "sech": [(["0.3", "-7.5"], (), lambda x: 1 / mp.cosh(x))],
    "csch": [(["0.3", "-7.5"], (), lambda x: 1 / mp.sinh(x))],
    "coth": [(["0.3", "-7.5"], (), lambda x: mp.cosh(x) / mp.sinh(x))],
    "log2": [(["0.3", "7.5"], (), lambda x: mp.log(x) / mp.log(2))],
    "log10": [(["0.3", "7.5"], (), lambda x: mp.log(x) / mp.log(10))],
    "exp2": [(["0.3", "-7.5"], (), lambda x: mp.exp(x * mp.log(2)))],
    "cbrt": [(["0.3", "-7.5"], (), lambda x: mp.sign(x) * mp.root(abs(x), 3))],
    "logit": [(["0.3", "0.999"], (), lambda x: mp.log(x) - mp.log(1 - x))],
    "hypot": [(["0.3", "-7.5"], (0.4,), lambda x: mp.sqrt(x * x + D("0.4") ** 2))],
    "atan2": [(["0.3", "-7.5"], (0.4,), lambda y: mp.atan2(y, D("0.4"))),
              (["0.3", "-7.5"], (-0.4,), lambda y: mp.atan2(y, D("-0.4")))],
    "max": [(["0.3", "-7.5"], (0.1,), lambda x: x if x > D("0.1") else D("0.1") + 0 * x)],
    "min": [(["0.3", "-7.5"], (0.1,), lambda x: x if x < D("0.1") else D("0.1") + 0 * x)],
    "logaddexp": [(["0.3", "-7.5"], (0.1,), lambda x: mp.log(mp.exp(x) + mp.exp(D("0.1"))))],
    "sigmoid": [(["0.3", "-7.5", "40.5"], (), _sig)],
    "relu": [(["0.3", "-7.5"], (), lambda x: x if x > 0 else 0 * x)],
    "leaky_relu": [(["0.3", "-7.5"], (), lambda x: x if x > 0 else D("0.01") * x),
                   (["0.3", "-7.5"], (0.01,), lambda x: x if x > 0 else D("0.01") * x),
                   (["0.3", "-7.5"], (0.2,), lambda x: x if x > 0 else D("0.2") * x)],
    "elu": [(["0.3", "-7.5"], (), lambda x: x if x > 0 else mp.expm1(x)),
            (["0.3", "-7.5"], (0.3,), lambda x: x if x > 0 else D("0.3") * mp.expm1(x))],
    "selu": [(["0.3", "-7.5"], (), lambda x: _selu_constants()[0] * (x if x > 0 else _selu_constants()[1] * mp.expm1(x)))],
    "softplus": [(["0.3", "-7.5", "40.5"], (), lambda x: mp.log(1 + mp.exp(x)))],
    "swish": [(["0.3", "-7.5"], (), lambda x: x * _sig(x)),
              (["0.3", "-7.5"], (0.1,), lambda x: x * _sig(D("0.1") * x))],
    "gelu": [(["0.3", "-7.5"], (), lambda x: x / 2 * (1 + mp.erf(x / mp.sqrt(2))))],
    "pow": [(["0.3", "7.5"], (3,), lambda x: x ** 3),
            (["0.3", "7.5"], (0.1,), lambda x: x ** D("0.1")),
            (["0.3", "7.5"], (-2.5,), lambda x: x ** D("-2.5"))],
    # vector rules: probed on vectors below
    "softmax": [],
    "logsumexp": [],
}


def test_every_rule_is_probed():
    assert sorted(CASES) == sorted(RULES), set(CASES) ^ set(RULES)


def _agree(got, want, what):
    got = mp.mpf(got)
    scale = max(abs(want), mp.mpf(10) ** -25)  # a true 0: mpmath.diff's own noise is ~1e-75
    assert abs(got - want) <= scale * mp.mpf(10) ** -DIGITS, f"{what}: got {mp.nstr(got, 50)}, true {mp.nstr(want, 50)}"


SCALAR_CASES = [(name, i, x) for name, cases in CASES.items() for i, (xs, _, _) in enumerate(cases) for x in xs]


@pytest.mark.parametrize("name,case,x", SCALAR_CASES, ids=[f"{n}-{i}-{x}" for n, i, x in SCALAR_CASES])
def test_rule_at_mpf_agrees_with_closed_form(name, case, x):
    _, params, f = CASES[name][case]
    fn = getattr(dd, name)
    with mp.workdps(DPS):
        xm = mp.mpf(x)
        want = f(xm)
        want1 = mp.diff(f, xm)
        want2 = mp.diff(f, xm, 2)
        _agree(fn(xm, *params), want, f"{name}({x}, {params})")
        d = fn(dd.Dual(xm, mp.mpf(1)), *params)
        _agree(d.value, want, f"{name}(Dual) value")
        _agree(d.deriv, want1, f"{name}'({x}, {params})")
        j = fn(dd.Jet([xm, mp.mpf(1), mp.mpf(0)]), *params)
        _agree(j.coeffs[1], want1, f"{name} Jet c1")
        _agree(2 * j.coeffs[2], want2, f"{name}''({x}, {params})")


def test_float_base_power_of_mpf_is_the_decimal():
    """0.1 ** x, 2 ** x, x ** 0.1 with an mpf Dual or Jet x: the float is the decimal written."""
    with mp.workdps(DPS):
        x = mp.mpf("-2")
        d = 0.1 ** dd.Dual(x, mp.mpf(1))
        _agree(d.value, mp.mpf(100), "0.1 ** Dual value")
        _agree(d.deriv, 100 * mp.log(D("0.1")), "d/dx 0.1 ** x")
        _agree((dd.Dual(mp.mpf(3), mp.mpf(1)) ** 0.1).value, mp.mpf(3) ** D("0.1"), "3 ** 0.1")
        _agree((2 ** dd.Dual(x, mp.mpf(1))).deriv, mp.log(2) / 4, "d/dx 2 ** x")
        _agree((dd.Jet([mp.mpf(3), mp.mpf(1)]) ** 0.1).coeffs[1],
               D("0.1") * mp.mpf(3) ** D("-0.9"), "Jet 3 ** 0.1")


VECTORS = [["0.3", "-7.5", "2"], ["40", "0", "-40"]]


@pytest.mark.parametrize("xs", VECTORS)
def test_vector_rules_at_mpf(xs):
    with mp.workdps(DPS):
        v = np.array([mp.mpf(t) for t in xs], dtype=object)
        es = [mp.exp(t) for t in v]
        s = mp.fsum(es)
        want_sm = [e / s for e in es]
        got = dd.softmax(v)
        for g, w in zip(got, want_sm):
            _agree(g, w, "softmax")
        _agree(dd.logsumexp(v), mp.log(s), "logsumexp")
        # derivatives: d softmax_i / d v_j = s_i (δij - s_j); d logsumexp / d v_j = s_j
        d = dd.Dual(v, np.eye(3, dtype=object) * mp.mpf(1), 0, 3)
        J = dd.softmax(d).deriv
        for i in range(3):
            for j in range(3):
                _agree(J[i][j], want_sm[i] * ((1 if i == j else 0) - want_sm[j]), f"dsoftmax[{i},{j}]")
        g = dd.logsumexp(d).deriv
        for j in range(3):
            _agree(g[j], want_sm[j], f"dlogsumexp[{j}]")
