"""The rule table: every elementary function and activation, in one place.

Each entry says, for one function f:

* how to compute f on each backend (Python float via :mod:`math`, numpy arrays,
  mpmath, sympy) -- the *primal*;
* its derivative rule ``deriv(x, y, *params) -> f'(x)``, written with dualdiff's own
  functions so that it can be differentiated again (Hessians, Taylor jets); ``y`` is
  f(x), already computed, so a rule may reuse it (exp' = y);
* its sympy counterpart (used by the symbolic cross-check and for exact values),
* how it is displayed (text and LaTeX), and where it has a kink.

A *composite* entry has no derivative rule of its own: it is defined by a formula in
other functions (swish(x) = x·σ(βx)) and differentiates through that formula.

``Jet`` (Taylor arithmetic) uses the same rules through

    y = f(u),  y' = f'(u)·u'   =>   y_k = (1/k) Σ_{j=1..k} j·u_j·(f'(u))_{k-j},

where f'(u) is itself a Jet one order lower.  For that recursion to stay linear in the
order, a rule that uses ``y`` must not also call another function of ``x``; the two
rules that do so for accuracy (sigmoid, tanh) give an ``jet_deriv`` in terms of y alone.

Adding a function = one entry below + one line in tests/test_rules.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from . import numerics as nx
from .numerics import SELU_ALPHA, SELU_LAMBDA, checked, mpmath_module as _mp, sympy_module as _sp

# The public functions, filled in by functions.py once they are generated.  Rules
# refer to them late (fn.cos) because the functions are generated from these rules.
fn = SimpleNamespace()


@dataclass(frozen=True)
class Rule:
    """One row of the table.  See the module docstring for the meaning of each field."""

    name: str
    sympy: Callable[..., Any]                       # (x, *params) -> sympy expression
    text: str                                       # display form, "{x}" stands for the argument
    latex: str                                      # LaTeX form
    doc: str                                        # one line for the language reference
    deriv: Callable[..., Any] | None = None         # (x, y, *params) -> f'(x); None if composite
    derivative_text: str = ""                       # the rule as written in a derivative table
    float: Callable[..., Any] | None = None         # Python float kernel
    numpy: Callable[..., Any] | None = None         # ndarray kernel
    mpmath: Callable[..., Any] | None = None        # mpmath kernel
    define: Callable[..., Any] | None = None        # composite: formula in other functions
    uses_y: bool = False                            # deriv reads y = f(x)
    jet_deriv: Callable[..., Any] | None = None     # y-only derivative for Jet recursion
    params: tuple[tuple[str, Any], ...] = ()        # optional parameters with defaults
    kink: Callable[..., Any] | None = None          # (x, *params) -> True at a non-differentiable point
    kink_note: str = ""                             # the convention used at the kink
    family: str = "elementary"
    vector: bool = False                            # acts on a whole vector (softmax)

    @property
    def arity(self) -> tuple[int, int]:
        return (1, 1 + len(self.params))


RULES: dict[str, Rule] = {}


def _add(rule: Rule) -> None:
    RULES[rule.name] = rule


def _elem(name, math_fn, np_fn, deriv, *, need=None, mp=None, sp=None, latex=None, **kw):
    """An elementary function whose kernels all carry the same name in math/numpy/mpmath/sympy."""
    kernel = checked(name, math_fn, need) if need else math_fn
    mp_name = mp or name
    sp_name = sp or name
    _add(Rule(
        name=name,
        float=kernel,
        numpy=np_fn,
        mpmath=kw.pop("mpmath", None) or (lambda x, _n=mp_name: getattr(_mp(), _n)(x)),
        sympy=kw.pop("sympy", None) or (lambda x, _n=sp_name: getattr(_sp(), _n)(x)),
        deriv=deriv,
        text=kw.pop("text", f"{name}({{x}})"),
        latex=latex or f"\\{name}\\left({{x}}\\right)",
        **kw,
    ))


# ---------------------------------------------------------------------------
# Helpers the rules use: piecewise-constant pieces have no derivative of their own
# ---------------------------------------------------------------------------
def _positive(x):
    """1 where the primal value of x is > 0, else 0 (a constant: its derivative is 0)."""
    v = fn.primal(x)
    if isinstance(v, np.ndarray):
        return (v > 0).astype(float)
    return 1.0 if v > 0 else 0.0


def _sign(x):
    v = fn.primal(x)
    if isinstance(v, np.ndarray):
        return np.sign(v).astype(float)
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


def _const(x, name):
    """π or √2 in the precision of x's backend.

    A float constant (math.sqrt(math.pi)) would cap an mpmath result at 16 digits and
    turn an exact sympy result into a 15-digit Float.
    """
    kind = nx.backend_of(fn.primal(x))
    if kind == "mpmath":
        return +_mp().pi if name == "pi" else _mp().sqrt(2)
    if kind == "sympy":
        return _sp().pi if name == "pi" else _sp().sqrt(2)
    return math.pi if name == "pi" else math.sqrt(2)


def _with_constant(j, c0):
    """Jet j with its constant term replaced by c0.

    The Jet rules of sigmoid and tanh need 1 - y (and 1 + y); once y rounds towards ±1
    the constant term cancels (tanh at x = 17: no correct digit), while the higher terms
    are just ∓y_k.  So the constant term is recomputed without cancellation:
    1 - σ(x) = σ(-x), 1 ∓ tanh(x) = 2σ(∓2x).
    """
    return type(j)([c0] + list(j.coeffs[1:]))


def _at_zero(x, *params):
    return fn.primal(x) == 0


def _mp_checked(name, need, ok):
    """mpmath returns complex numbers outside the real domain; dualdiff is real-valued."""

    def kernel(x):
        if not ok(x):
            raise ValueError(f"{name}: math domain error at x = {x} ({name} needs {need})")
        return getattr(_mp(), name)(x)

    return kernel


# ---------------------------------------------------------------------------
# Trigonometric
# ---------------------------------------------------------------------------
_elem("sin", math.sin, np.sin, lambda x, y: fn.cos(x),
      derivative_text="cos(u)·u'", doc="sine")
_elem("cos", math.cos, np.cos, lambda x, y: -fn.sin(x),
      derivative_text="-sin(u)·u'", doc="cosine")
_elem("tan", math.tan, np.tan, lambda x, y: 1 + y * y, uses_y=True,
      derivative_text="sec²(u)·u'", doc="tangent")
_elem("cot", nx._cot, lambda x: 1 / np.tan(x), lambda x, y: -(1 + y * y), uses_y=True, need="x not a multiple of pi",
      derivative_text="-csc²(u)·u'", doc="cotangent")
_elem("sec", nx._sec, lambda x: 1 / np.cos(x), lambda x, y: y * fn.tan(x), uses_y=True, need="cos(x) != 0",
      derivative_text="sec(u)·tan(u)·u'", doc="secant")
_elem("csc", nx._csc, lambda x: 1 / np.sin(x), lambda x, y: -y * fn.cot(x), uses_y=True, need="x not a multiple of pi",
      derivative_text="-csc(u)·cot(u)·u'", doc="cosecant")
_elem("asin", math.asin, np.arcsin, lambda x, y: 1 / fn.sqrt(1 - x * x), need="-1 <= x <= 1",
      mpmath=_mp_checked("asin", "-1 <= x <= 1", lambda x: -1 <= x <= 1),
      latex="\\arcsin\\left({x}\\right)", derivative_text="u'/√(1-u²)", doc="inverse sine")
_elem("acos", math.acos, np.arccos, lambda x, y: -1 / fn.sqrt(1 - x * x), need="-1 <= x <= 1",
      mpmath=_mp_checked("acos", "-1 <= x <= 1", lambda x: -1 <= x <= 1),
      latex="\\arccos\\left({x}\\right)", derivative_text="-u'/√(1-u²)", doc="inverse cosine")
_elem("atan", math.atan, np.arctan, lambda x, y: 1 / (1 + x * x),
      latex="\\arctan\\left({x}\\right)", derivative_text="u'/(1+u²)", doc="inverse tangent")

# ---------------------------------------------------------------------------
# Hyperbolic, exponential, logarithmic
# ---------------------------------------------------------------------------
_elem("sinh", math.sinh, np.sinh, lambda x, y: fn.cosh(x), need="|x| < 710",
      derivative_text="cosh(u)·u'", doc="hyperbolic sine")
_elem("cosh", math.cosh, np.cosh, lambda x, y: fn.sinh(x), need="|x| < 710",
      derivative_text="sinh(u)·u'", doc="hyperbolic cosine")
# tanh' = 1 - y² loses all digits once y rounds to ±1 (x > 19); 4σ(2x)σ(-2x) is the
# same number computed without cancellation.
_elem("tanh", math.tanh, np.tanh, lambda x, y: 4 * fn.sigmoid(2 * x) * fn.sigmoid(-2 * x),
      jet_deriv=lambda x, y: (_with_constant(1 - y, 2 * fn.sigmoid(-2 * x.coeffs[0]))
                              * _with_constant(1 + y, 2 * fn.sigmoid(2 * x.coeffs[0]))), uses_y=False,
      derivative_text="(1-tanh²(u))·u'", doc="hyperbolic tangent", family="activation")
_elem("exp", math.exp, np.exp, lambda x, y: y, uses_y=True, need="x < 709.78",
      latex="e^{{{x}}}", derivative_text="eᵘ·u'", doc="exponential")
_elem("log", math.log, np.log, lambda x, y: 1 / x, need="x > 0",
      mpmath=_mp_checked("log", "x > 0", lambda x: x > 0),
      latex="\\ln\\left({x}\\right)", derivative_text="u'/u",
      doc="natural logarithm; log(x, base) = log(x)/log(base)",
      params=(("base", None),))
_elem("sqrt", math.sqrt, np.sqrt, lambda x, y: 1 / (2 * y), uses_y=True, need="x >= 0",
      mpmath=_mp_checked("sqrt", "x >= 0", lambda x: x >= 0),
      latex="\\sqrt{{{x}}}", derivative_text="u'/(2√u)", doc="square root")
# expm1' = e^x, not y + 1: for x << 0, y ≈ -1 and y + 1 cancels (x = -9 loses 3 digits).
_elem("expm1", math.expm1, np.expm1, lambda x, y: fn.exp(x), need="x < 709.78",
      sympy=lambda x: _sp().exp(x) - 1,
      latex="\\left(e^{{{x}}} - 1\\right)", derivative_text="eᵘ·u'", doc="exp(x) - 1, accurate near 0")
_elem("log1p", math.log1p, np.log1p, lambda x, y: 1 / (1 + x), need="x > -1",
      mpmath=_mp_checked("log1p", "x > -1", lambda x: x > -1),
      sympy=lambda x: _sp().log(1 + x),
      latex="\\ln\\left(1 + {x}\\right)", derivative_text="u'/(1+u)", doc="log(1 + x), accurate near 0")
_elem("erf", math.erf, nx.erf_np, lambda x, y: (2 / fn.sqrt(_const(x, "pi"))) * fn.exp(-(x * x)),
      latex="\\operatorname{{erf}}\\left({x}\\right)", derivative_text="(2/√π)·e^(-u²)·u'",
      doc="error function")
_elem("erfc", math.erfc, nx.erfc_np, lambda x, y: -(2 / fn.sqrt(_const(x, "pi"))) * fn.exp(-(x * x)),
      latex="\\operatorname{{erfc}}\\left({x}\\right)", derivative_text="-(2/√π)·e^(-u²)·u'",
      doc="complementary error function 1 - erf(x), accurate where erf(x) is near 1")
_add(Rule(
    name="abs", float=abs, numpy=np.abs, mpmath=lambda x: abs(x), sympy=lambda x: _sp().Abs(x),
    deriv=lambda x, y: _sign(x), kink=_at_zero, kink_note="abs'(0) = 0, taking sign(0) = 0",
    text="abs({x})", latex="\\left|{x}\\right|", derivative_text="sign(u)·u'", doc="absolute value",
))

# ---------------------------------------------------------------------------
# Activations (deep learning)
# ---------------------------------------------------------------------------
_add(Rule(
    name="sigmoid", family="activation",
    float=nx.sigmoid_float, numpy=nx.sigmoid_np,
    mpmath=lambda x: 1 / (1 + _mp().exp(-x)),
    sympy=lambda x: 1 / (1 + _sp().exp(-x)),
    # σ' = σ(x)σ(-x): exact identity, and unlike y(1-y) it keeps its digits for large x.
    deriv=lambda x, y: y * fn.sigmoid(-x),
    jet_deriv=lambda x, y: y * _with_constant(1 - y, fn.sigmoid(-x.coeffs[0])), uses_y=True,
    text="sigmoid({x})", latex="\\sigma\\left({x}\\right)", derivative_text="σ(u)·σ(-u)·u'",
    doc="logistic sigmoid 1/(1+e^-x), stable for large |x|",
))
_add(Rule(
    name="relu", family="activation",
    float=nx.relu_float, numpy=nx.relu_np, mpmath=lambda x: x if x > 0 else 0 * x,
    sympy=lambda x: _sp().Max(0, x),
    deriv=lambda x, y: _positive(x), kink=_at_zero, kink_note="relu'(0) = 0, as in PyTorch",
    text="relu({x})", latex="\\operatorname{{relu}}\\left({x}\\right)", derivative_text="[u > 0]·u'",
    doc="max(0, x)",
))
_add(Rule(
    name="leaky_relu", family="activation", params=(("alpha", 0.01),),
    float=nx.leaky_relu_float, numpy=nx.leaky_relu_np,
    mpmath=lambda x, a=0.01: x if x > 0 else a * x,
    sympy=lambda x, a=0.01: _sp().Piecewise((x, x > 0), (a * x, True)),
    deriv=lambda x, y, a=0.01: fn.select(x, 1.0, a), kink=_at_zero,
    kink_note="leaky_relu'(0) = alpha: the x <= 0 branch, as in PyTorch",
    text="leaky_relu({x})", latex="\\operatorname{{leaky\\_relu}}\\left({x}\\right)",
    derivative_text="(1 if u > 0 else α)·u'", doc="x if x > 0 else alpha·x (alpha = 0.01)",
))
_add(Rule(
    name="elu", family="activation", params=(("alpha", 1.0),),
    float=nx.elu_float, numpy=nx.elu_np,
    mpmath=lambda x, a=1.0: x if x > 0 else a * _mp().expm1(x),
    sympy=lambda x, a=1.0: _sp().Piecewise((x, x > 0), (a * (_sp().exp(x) - 1), True)),
    deriv=lambda x, y, a=1.0: fn.select(x, 1.0, a * fn.exp(x)), kink=_at_zero,
    kink_note="elu'(0) = alpha: the x <= 0 branch, as in PyTorch",
    text="elu({x})", latex="\\operatorname{{elu}}\\left({x}\\right)",
    derivative_text="(1 if u > 0 else α·eᵘ)·u'", doc="x if x > 0 else alpha·(e^x - 1) (alpha = 1)",
))
_add(Rule(
    name="selu", family="activation",
    float=nx.selu_float, numpy=nx.selu_np,
    # λ·(α·…), not (λ·α)·…: the float product λ·α is rounded, which caps mpmath at 16 digits.
    mpmath=lambda x: SELU_LAMBDA * x if x > 0 else SELU_LAMBDA * (SELU_ALPHA * _mp().expm1(x)),
    sympy=lambda x: _sp().Piecewise(
        (_sp().Float(SELU_LAMBDA) * x, x > 0),
        (_sp().Float(SELU_LAMBDA) * _sp().Float(SELU_ALPHA) * (_sp().exp(x) - 1), True)),
    deriv=lambda x, y: fn.select(x, SELU_LAMBDA, SELU_LAMBDA * (SELU_ALPHA * fn.exp(x))), kink=_at_zero,
    kink_note="selu'(0) = λα: the x <= 0 branch; the one-sided slopes are λ and λα",
    text="selu({x})", latex="\\operatorname{{selu}}\\left({x}\\right)",
    derivative_text="(λ if u > 0 else λα·eᵘ)·u'",
    doc="λx if x > 0 else λα(e^x - 1), λ = 1.0507009873554805, α = 1.6732632423543772",
))
_add(Rule(
    name="softplus", family="activation",
    float=checked("softplus", nx.softplus_float, "finite x"), numpy=nx.softplus_np,
    mpmath=lambda x: _mp().log1p(_mp().exp(x)),
    sympy=lambda x: _sp().log(1 + _sp().exp(x)),
    deriv=lambda x, y: fn.sigmoid(x),
    text="softplus({x})", latex="\\operatorname{{softplus}}\\left({x}\\right)",
    derivative_text="σ(u)·u'", doc="log(1 + e^x), stable for large |x|",
))
_add(Rule(
    name="swish", family="activation", params=(("beta", 1.0),),
    define=lambda x, b=1.0: x * fn.sigmoid(b * x),
    sympy=lambda x, b=1.0: x / (1 + _sp().exp(-b * x)),
    text="swish({x})", latex="\\operatorname{{swish}}\\left({x}\\right)",
    derivative_text="(σ(βu) + βu·σ(βu)σ(-βu))·u'", doc="x·σ(beta·x) (beta = 1); beta = 0 gives x/2",
))
_add(Rule(
    name="gelu", family="activation",
    # Φ(x) = erfc(-x/√2)/2: unlike (1 + erf(x/√2))/2 it does not cancel for x << 0.
    define=lambda x: x * fn.erfc(-x / _const(x, "sqrt2")) / 2,
    sympy=lambda x: x / 2 * (1 + _sp().erf(x / _sp().sqrt(2))),
    text="gelu({x})", latex="\\operatorname{{gelu}}\\left({x}\\right)",
    derivative_text="(Φ(u) + u·φ(u))·u'", doc="x·Φ(x) with Φ the normal CDF (exact erf form, as in PyTorch)",
))
_add(Rule(
    name="softmax", family="activation", vector=True,
    define=lambda x: fn.softmax_formula(x),
    sympy=lambda x: _sp().exp(x) / sum(_sp().exp(t) for t in x) if isinstance(x, (list, tuple)) else _sp().Integer(1),
    text="softmax({x})", latex="\\operatorname{{softmax}}\\left({x}\\right)",
    derivative_text="s ⊙ (u' - Σ s·u')", doc="e^(x_j) / Σ_k e^(x_k) over a vector (stable)",
))
_add(Rule(
    name="logsumexp", family="activation", vector=True,
    define=lambda x: fn.logsumexp_formula(x),
    sympy=lambda x: _sp().log(sum(_sp().exp(t) for t in x)) if isinstance(x, (list, tuple)) else x,
    text="logsumexp({x})", latex="\\log\\sum e^{{{x}}}",
    derivative_text="Σ softmax(u)·u'", doc="log Σ e^(x_k) over a vector (stable)",
))
_add(Rule(
    name="pow", params=(("p", None),),
    define=lambda x, p: x ** p,
    sympy=lambda x, p: _sp().Pow(x, p),
    text="pow({x})", latex="{x}^{{p}}", derivative_text="p·u^(p-1)·u' + ln(u)·u^p·p'",
    doc="x ** p",
))

# Arities for the program parser: name -> (min_args, max_args).
ARITY: dict[str, tuple[int, int]] = {name: r.arity for name, r in RULES.items()}
ARITY["pow"] = (2, 2)

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
