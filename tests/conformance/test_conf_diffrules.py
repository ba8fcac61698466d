"""DiffRules.jl's rule table, checked rule by rule against mpmath.

Origin: JuliaDiff/DiffRules.jl src/rules.jl (the rules) and test/runtests.jl (the
points: rand() in [0, 1), shifted by +1.5 for asec/acsc/acosh/acoth and the base of
log(b, x), by +0.5 for log and the base of ^).  Every rule that maps to a function
dualdiff has (SPEC §3) is here, plus LogExpFunctions' rules that are compositions of
dualdiff functions.  References: mpmath.diff / mpmath.taylor at 60 digits.

A rule whose dualdiff function does not exist yet is an expected failure *only while it
does not exist* (the mark is computed from ``hasattr(dualdiff, name)``), so adding the
function turns these cases into real tests automatically.
"""
import math

import mpmath
import numpy as np
import pytest

import dualdiff as dd

import peer_cases as pc
from peer_cases import close


def _dd(name):
    """dualdiff's function ``name``, looked up when the case runs."""
    def f(*args):
        return getattr(dd, name)(*args)
    return f


def _missing(*names):
    gone = [n for n in names if not hasattr(dd, n)]
    return [pytest.mark.xfail(strict=True, raises=AttributeError,
                              reason=f"dualdiff.{', '.join(gone)} not yet defined (SPEC §3)")] if gone else []


_ln10, _ln2 = math.log(10.0), math.log(2.0)

# name: (dualdiff callable, mpmath callable, points, dualdiff names it needs)
_U = [0.1, 0.35, 0.8]            # rand() draws in [0, 1)
_SHIFT15 = [1.6, 1.85, 2.3]      # rand() + 1.5
_SHIFT05 = [0.6, 0.85, 1.3]      # rand() + 0.5
UNARY = {
    "+x": (lambda x: +x, lambda x: +x, _U, ()),
    "-x": (lambda x: -x, lambda x: -x, _U, ()),
    "sqrt": (_dd("sqrt"), mpmath.sqrt, _U, ("sqrt",)),
    "cbrt": (_dd("cbrt"), mpmath.cbrt, _U, ("cbrt",)),
    "abs2": (lambda x: np.square(x), lambda x: x * x, _U, ()),
    "inv": (lambda x: 1 / x, lambda x: 1 / x, _U, ()),
    "log": (_dd("log"), mpmath.log, _SHIFT05, ("log",)),
    "log10": (_dd("log10"), mpmath.log10, _U, ("log10",)),
    "log2": (_dd("log2"), lambda x: mpmath.log(x, 2), _U, ("log2",)),
    "log1p": (_dd("log1p"), mpmath.log1p, _U, ("log1p",)),
    "exp": (_dd("exp"), mpmath.exp, _U, ("exp",)),
    "exp2": (_dd("exp2"), lambda x: mpmath.mpf(2) ** x, _U, ("exp2",)),
    "exp10": (lambda x: 10 ** x, lambda x: mpmath.mpf(10) ** x, _U, ()),
    "expm1": (_dd("expm1"), mpmath.expm1, _U, ("expm1",)),
    "sin": (_dd("sin"), mpmath.sin, _U, ("sin",)),
    "cos": (_dd("cos"), mpmath.cos, _U, ("cos",)),
    "tan": (_dd("tan"), mpmath.tan, _U, ("tan",)),
    "sec": (_dd("sec"), mpmath.sec, _U, ("sec",)),
    "csc": (_dd("csc"), mpmath.csc, _U, ("csc",)),
    "cot": (_dd("cot"), mpmath.cot, _U, ("cot",)),
    "asin": (_dd("asin"), mpmath.asin, _U, ("asin",)),
    "acos": (_dd("acos"), mpmath.acos, _U, ("acos",)),
    "atan": (_dd("atan"), mpmath.atan, _U, ("atan",)),
    "asec": (_dd("asec"), mpmath.asec, _SHIFT15, ("asec",)),
    "acsc": (_dd("acsc"), mpmath.acsc, _SHIFT15, ("acsc",)),
    "acot": (_dd("acot"), mpmath.acot, _U, ("acot",)),
    "sinh": (_dd("sinh"), mpmath.sinh, _U, ("sinh",)),
    "cosh": (_dd("cosh"), mpmath.cosh, _U, ("cosh",)),
    "tanh": (_dd("tanh"), mpmath.tanh, _U, ("tanh",)),
    "sech": (_dd("sech"), mpmath.sech, _U, ("sech",)),
    "csch": (_dd("csch"), mpmath.csch, _U, ("csch",)),
    "coth": (_dd("coth"), mpmath.coth, _U, ("coth",)),
    "asinh": (_dd("asinh"), mpmath.asinh, _U, ("asinh",)),
    "acosh": (_dd("acosh"), mpmath.acosh, _SHIFT15, ("acosh",)),
    "atanh": (_dd("atanh"), mpmath.atanh, _U, ("atanh",)),
    "abs": (_dd("abs"), abs, [0.35, -0.35, -1.2], ("abs",)),
    "erf": (_dd("erf"), mpmath.erf, _U, ("erf",)),
    "erfc": (_dd("erfc"), mpmath.erfc, _U, ("erfc",)),
    # LogExpFunctions.jl rules (DiffRules src/rules.jl, LogExpFunctions section)
    "logistic": (_dd("sigmoid"), lambda x: 1 / (1 + mpmath.exp(-x)), _U, ("sigmoid",)),
    "logit": (_dd("logit"), lambda x: mpmath.log(x / (1 - x)), _U, ("logit",)),
    "log1pexp": (_dd("softplus"), lambda x: mpmath.log1p(mpmath.exp(x)), _U, ("softplus",)),
    "xlogx": (lambda x: x * dd.log(x), lambda x: x * mpmath.log(x), _U, ()),
    "log1psq": (lambda x: dd.log1p(x * x), lambda x: mpmath.log1p(x * x), _U, ()),
    "log1mexp": (lambda x: dd.log(-dd.expm1(x)), lambda x: mpmath.log(-mpmath.expm1(x)), [-0.9, -0.65, -0.2], ()),
    "logexpm1": (lambda x: dd.log(dd.expm1(x)), lambda x: mpmath.log(mpmath.expm1(x)), _U, ()),
    "log1pmx": (lambda x: dd.log1p(x) - x, lambda x: mpmath.log1p(x) - x, _U, ()),
    "logmxp1": (lambda x: dd.log(x) - x + 1, lambda x: mpmath.log(x) - x + 1, _SHIFT05, ()),
}

UNARY_CASES = [pytest.param(name, x, id=f"{name}-{x}", marks=_missing(*spec[3]))
               for name, spec in UNARY.items() for x in spec[2]]


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_diffrules_unary_derivative(name, x):
    f, f_mp, _, _ = UNARY[name]
    v, d = dd.value_and_derivative(f, x)
    ref = pc.mp_derivatives(f_mp, x, 1)
    close(v, ref[0], rtol=1e-14)
    close(d, ref[1], rtol=1e-13)


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_diffrules_unary_second_derivative(name, x):
    # the rule differentiated again (forward over forward): its own derivative must be
    # written with differentiable functions
    f, f_mp, _, _ = UNARY[name]
    ref = pc.mp_derivatives(f_mp, x, 2)[2]
    close(dd.derivative(lambda y: dd.derivative(f, y), x), ref, rtol=1e-12)


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_diffrules_unary_taylor(name, x):
    f, f_mp, _, _ = UNARY[name]
    close(dd.taylor(f, x, 4), pc.mp_taylor(f_mp, x, 4), rtol=1e-11, atol_scale=1e-13)


@pytest.mark.parametrize("name", [pytest.param(n, marks=_missing(*UNARY[n][3])) for n in UNARY])
def test_diffrules_unary_on_array(name):
    # all points at once as one array-valued Dual (the vectorised kernels)
    f, f_mp, points, _ = UNARY[name]
    v, d = dd.value_and_derivative(f, np.array(points))
    refs = [pc.mp_derivatives(f_mp, x, 1) for x in points]
    close(v, [r[0] for r in refs], rtol=1e-14)
    close(d, [r[1] for r in refs], rtol=1e-13)


# binary rules: name: (dualdiff f(x, y), mpmath f(x, y), points (x, y), names it needs)
_P = [(0.3, 0.7), (0.85, 0.15), (0.55, 0.6)]
BINARY = {
    "+": (lambda x, y: x + y, lambda x, y: x + y, _P, ()),
    "-": (lambda x, y: x - y, lambda x, y: x - y, _P, ()),
    "*": (lambda x, y: x * y, lambda x, y: x * y, _P, ()),
    "/": (lambda x, y: x / y, lambda x, y: x / y, _P, ()),
    "\\": (lambda x, y: y / x, lambda x, y: y / x, _P, ()),
    "^": (lambda x, y: x ** y, lambda x, y: x ** y, [(x + 0.5, y) for x, y in _P], ()),
    # Julia's atan(x, y) is atan2 with y first: atan(y, x) = atan2(y, x)
    "atan": (_dd("atan2"), mpmath.atan2, _P, ("atan2",)),
    "hypot": (_dd("hypot"), mpmath.hypot, _P, ("hypot",)),
    "log(b, x)": (lambda b, x: dd.log(x, b), lambda b, x: mpmath.log(x, b), [(b + 1.5, x) for b, x in _P], ()),
    "max": (_dd("max"), max, _P, ("max",)),
    "min": (_dd("min"), min, _P, ("min",)),
    # LogExpFunctions
    "xlogy": (lambda x, y: x * dd.log(y), lambda x, y: x * mpmath.log(y), _P, ()),
    "logaddexp": (lambda x, y: dd.log(dd.exp(x) + dd.exp(y)), lambda x, y: mpmath.log(mpmath.exp(x) + mpmath.exp(y)),
                  _P, ()),
}
BINARY_CASES = [pytest.param(name, p, id=f"{name}-{p[0]}-{p[1]}", marks=_missing(*spec[3]))
                for name, spec in BINARY.items() for p in spec[2]]


def _mp_partials(f_mp, p, orders):
    with mpmath.workdps(pc.DPS):
        return float(mpmath.diff(f_mp, (mpmath.mpf(p[0]), mpmath.mpf(p[1])), orders))


@pytest.mark.parametrize("name, p", BINARY_CASES)
def test_diffrules_binary_gradient(name, p):
    f, f_mp, _, _ = BINARY[name]
    g = dd.gradient(lambda w: f(w[0], w[1]), list(p))
    close(g, [_mp_partials(f_mp, p, (1, 0)), _mp_partials(f_mp, p, (0, 1))], rtol=1e-13)
    # each partial also as a plain derivative with the other argument a constant
    close(dd.derivative(lambda x: f(x, p[1]), p[0]), _mp_partials(f_mp, p, (1, 0)), rtol=1e-13)
    close(dd.derivative(lambda y: f(p[0], y), p[1]), _mp_partials(f_mp, p, (0, 1)), rtol=1e-13)


@pytest.mark.parametrize("name, p", BINARY_CASES)
def test_diffrules_binary_hessian(name, p):
    f, f_mp, _, _ = BINARY[name]
    H = dd.hessian(lambda w: f(w[0], w[1]), list(p))
    ref = [[_mp_partials(f_mp, p, (2, 0)), _mp_partials(f_mp, p, (1, 1))],
           [_mp_partials(f_mp, p, (1, 1)), _mp_partials(f_mp, p, (0, 2))]]
    close(H, ref, rtol=1e-11, atol_scale=1e-12)
