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
from typing import Any, Callable

import numpy as np

from . import numerics as nx
from .numerics import SELU_ALPHA, SELU_LAMBDA, checked, mpmath_module as _mp, sympy_module as _sp
# dualdiff's own functions (ops.cos, ops.exp, …), resolved when a rule runs: they are
# generated from this table by functions.py, which fills the registry.
from .registry import ops

# The default of a parameter that must be given (pow(x, p)).
REQUIRED = object()


@dataclass(frozen=True)
class Rule:
    """One row of the table.  See the module docstring for the meaning of each field."""

    name: str
    sympy: Callable[..., Any]                       # (x, *params) -> sympy expression
    text: str                                       # display form, "{x}" stands for the argument
    latex: str = ""                                 # LaTeX template (str.format): {x} is the first
                                                    # argument, {args} all of them; "" = \operatorname
    doc: str = ""                                   # one line for the language reference
    deriv: Callable[..., Any] | None = None         # (x, y, *params) -> f'(x); None if composite
    derivative_text: str = ""                       # the rule as written in a derivative table
    float: Callable[..., Any] | None = None         # Python float kernel
    numpy: Callable[..., Any] | None = None         # ndarray kernel
    mpmath: Callable[..., Any] | None = None        # mpmath kernel
    define: Callable[..., Any] | None = None        # composite: formula in other functions
    uses_y: bool = False                            # deriv reads y = f(x)
    jet_deriv: Callable[..., Any] | None = None     # y-only derivative for Jet recursion
    params: tuple[tuple[str, Any], ...] = ()        # parameters with defaults (REQUIRED: none)
    kink: Callable[..., Any] | None = None          # (x, *params) -> True at a non-differentiable point
    kink_note: str = ""                             # the convention used at the kink
    family: str = "elementary"
    vector: bool = False                            # acts on a whole vector (softmax)
    ufuncs: tuple[str, ...] | None = None           # numpy ufunc names dispatching here (None: the
                                                    # rule's own name, where numpy has that ufunc)
    compose: Callable[..., Any] | None = None       # (f, x, *params) -> a call with parameters written
                                                    # with the one-argument function f (log(x, base))
    latex_params: str = ""                          # LaTeX template when parameters are given, with
                                                    # the parameters by name (log: \log_{{{base}}}({x}))
    partials: Callable[..., Any] | None = None      # binary function f(x, y): (x, y) -> (∂f/∂x, ∂f/∂y);
                                                    # the second argument is then params[0], REQUIRED
    arg: str = "x"                                  # the first argument's name (atan2(y, x))
    branches: tuple | None = None                   # kinked: (below, above), each (x, *params) -> f as a
                                                    # formula valid on that side of the kink
    kink_var: Callable[..., Any] | None = None      # kinked: (x, *params) -> the quantity whose sign picks
                                                    # the branch (None: x itself; max: x - y)

    def __post_init__(self):
        if not self.latex:
            object.__setattr__(self, "latex", "\\operatorname{{" + self.name.replace("_", "\\_") + "}}({args})")

    @property
    def arity(self) -> tuple[int, int]:
        """(fewest, most) arguments, the first argument included."""
        required = sum(1 for _, d in self.params if d is REQUIRED)
        return (1 + required, 1 + len(self.params))

    def numpy_names(self) -> tuple[str, ...]:
        """The numpy ufunc names that dispatch to this function (not all exist in every numpy)."""
        return (self.name,) if self.ufuncs is None else self.ufuncs

    def sympy_call(self, *args: Any) -> Any:
        """The sympy counterpart applied to the arguments of a call (parameters included)."""
        if self.compose is not None:
            return self.compose(self.sympy, *args)
        return self.sympy(*args)

    def to_text(self, args: list[str]) -> str:
        """A call as program text: ``leaky_relu(x, 0.2)``."""
        return f"{self.name}({', '.join(args)})"

    def to_latex(self, args: list[str]) -> str:
        """A call as LaTeX, from the arguments' LaTeX: ``\\sin(x)``, ``\\log_{2}(x)``."""
        if len(args) > 1 and self.latex_params:
            named = {p: a for (p, _), a in zip(self.params, args[1:])}
            return self.latex_params.format(x=args[0], args=", ".join(args), **named)
        return self.latex.format(x=args[0], args=", ".join(args))


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
        latex=latex or "",
        **kw,
    ))


# ---------------------------------------------------------------------------
# Helpers the rules use: piecewise-constant pieces have no derivative of their own
# ---------------------------------------------------------------------------
def _positive(x):
    """1 where the primal value of x is > 0, else 0 (a constant: its derivative is 0)."""
    v = ops.primal(x)
    if isinstance(v, np.ndarray):  # exact entries (object arrays) get exact 0 and 1, not floats
        if v.dtype == object:
            return np.array([1 if e > 0 else 0 for e in v.flat], dtype=object).reshape(v.shape)
        return (v > 0).astype(float)
    if _is_exact(v):
        return 1 if v > 0 else 0
    return 1.0 if v > 0 else 0.0


def _is_exact(v) -> bool:
    """A sympy number: a float 1.0 times it would make an exact derivative a Float."""
    return type(v).__module__.startswith("sympy")


def _sign(x):
    v = ops.primal(x)
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            return np.array([1 if e > 0 else (-1 if e < 0 else 0) for e in v.flat], dtype=object).reshape(v.shape)
        return np.sign(v).astype(float)
    if _is_exact(v):
        return 1 if v > 0 else (-1 if v < 0 else 0)
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


def _const(x, name):
    """π, √2, ln 2, ln 10 or SELU's λ and α in the precision of x's backend.

    A float constant (math.sqrt(math.pi)) would cap an mpmath result at 16 digits and
    turn an exact sympy result into a 15-digit Float.
    """
    kind = nx.backend_of(ops.primal(x))
    if kind == "mpmath":
        mp = _mp()
        if name.startswith("selu"):
            return nx.selu_constants_mp()[0 if name == "selu_lambda" else 1]
        return {"pi": mp.pi, "sqrt2": mp.sqrt(2), "ln2": mp.ln2, "ln10": mp.ln10}[name] * 1
    if kind == "sympy":
        sp = _sp()
        if name.startswith("selu"):  # SPEC §3 gives λ and α as these floats
            return sp.Float(SELU_LAMBDA if name == "selu_lambda" else SELU_ALPHA)
        return {"pi": sp.pi, "sqrt2": sp.sqrt(2), "ln2": sp.log(2), "ln10": sp.log(10)}[name]
    return {"pi": math.pi, "sqrt2": math.sqrt(2), "ln2": math.log(2), "ln10": math.log(10),
            "selu_lambda": SELU_LAMBDA, "selu_alpha": SELU_ALPHA}[name]


def _with_constant(j, c0):
    """Jet j with its constant term replaced by c0.

    The Jet rules of sigmoid and tanh need 1 - y (and 1 + y); once y rounds towards ±1
    the constant term cancels (tanh at x = 17: no correct digit), while the higher terms
    are just ∓y_k.  So the constant term is recomputed without cancellation:
    1 - σ(x) = σ(-x), 1 ∓ tanh(x) = 2σ(∓2x).
    """
    return type(j)([c0] + list(j.coeffs[1:]))


def _at_zero(x, *params):
    return ops.primal(x) == 0


def _mp_checked(name, need, ok, kernel=None):
    """mpmath returns complex numbers outside the real domain; dualdiff is real-valued."""
    compute = kernel or (lambda x: getattr(_mp(), name)(x))

    def checked_kernel(x):
        if not ok(x):
            raise ValueError(f"{name}: math domain error at x = {x} ({name} needs {need})")
        return compute(x)

    return checked_kernel


# ---------------------------------------------------------------------------
# Trigonometric
# ---------------------------------------------------------------------------
_elem("sin", math.sin, np.sin, lambda x, y: ops.cos(x),
      latex="\\sin({args})", derivative_text="cos(u)·u'", doc="sine")
_elem("cos", math.cos, np.cos, lambda x, y: -ops.sin(x),
      latex="\\cos({args})", derivative_text="-sin(u)·u'", doc="cosine")
_elem("tan", math.tan, np.tan, lambda x, y: 1 + y * y, uses_y=True,
      latex="\\tan({args})", derivative_text="sec²(u)·u'", doc="tangent")
_elem("cot", nx.cot_float, lambda x: 1 / np.tan(x), lambda x, y: -(1 + y * y), uses_y=True, need="x not a multiple of pi",
      latex="\\cot({args})", derivative_text="-csc²(u)·u'", doc="cotangent")
_elem("sec", nx.sec_float, lambda x: 1 / np.cos(x), lambda x, y: y * ops.tan(x), uses_y=True, need="cos(x) != 0",
      latex="\\sec({args})", derivative_text="sec(u)·tan(u)·u'", doc="secant")
_elem("csc", nx.csc_float, lambda x: 1 / np.sin(x), lambda x, y: -y * ops.cot(x), uses_y=True, need="x not a multiple of pi",
      latex="\\csc({args})", derivative_text="-csc(u)·cot(u)·u'", doc="cosecant")
_elem("asin", math.asin, np.arcsin, lambda x, y: 1 / ops.sqrt(1 - x * x), need="-1 <= x <= 1",
      ufuncs=("arcsin", "asin"),
      mpmath=_mp_checked("asin", "-1 <= x <= 1", lambda x: -1 <= x <= 1),
      latex="\\arcsin({args})", derivative_text="u'/√(1-u²)", doc="inverse sine")
_elem("acos", math.acos, np.arccos, lambda x, y: -1 / ops.sqrt(1 - x * x), need="-1 <= x <= 1",
      ufuncs=("arccos", "acos"),
      mpmath=_mp_checked("acos", "-1 <= x <= 1", lambda x: -1 <= x <= 1),
      latex="\\arccos({args})", derivative_text="-u'/√(1-u²)", doc="inverse cosine")
_elem("atan", math.atan, np.arctan, lambda x, y: 1 / (1 + x * x), ufuncs=("arctan", "atan"),
      latex="\\arctan({args})", derivative_text="u'/(1+u²)", doc="inverse tangent")

# ---------------------------------------------------------------------------
# Hyperbolic, exponential, logarithmic
# ---------------------------------------------------------------------------
_elem("sinh", math.sinh, np.sinh, lambda x, y: ops.cosh(x), need="|x| < 710",
      latex="\\sinh({args})", derivative_text="cosh(u)·u'", doc="hyperbolic sine")
_elem("cosh", math.cosh, np.cosh, lambda x, y: ops.sinh(x), need="|x| < 710",
      latex="\\cosh({args})", derivative_text="sinh(u)·u'", doc="hyperbolic cosine")
# tanh' = 1 - y² loses all digits once y rounds to ±1 (x > 19); 4σ(2x)σ(-2x) is the
# same number computed without cancellation.
_elem("tanh", math.tanh, np.tanh, lambda x, y: 4 * ops.sigmoid(2 * x) * ops.sigmoid(-2 * x),
      jet_deriv=lambda x, y: (_with_constant(1 - y, 2 * ops.sigmoid(-2 * x.coeffs[0]))
                              * _with_constant(1 + y, 2 * ops.sigmoid(2 * x.coeffs[0]))), uses_y=False,
      latex="\\tanh({args})", derivative_text="(1-tanh²(u))·u'", doc="hyperbolic tangent", family="activation")
_elem("exp", math.exp, np.exp, lambda x, y: y, uses_y=True, need="x < 709.78",
      latex="e^{{{x}}}", derivative_text="eᵘ·u'", doc="exponential")
_elem("log", math.log, np.log, lambda x, y: 1 / x, need="x > 0",
      mpmath=_mp_checked("log", "x > 0", lambda x: x > 0),
      latex="\\ln({x})", latex_params="\\log_{{{base}}}({x})", derivative_text="u'/u",
      doc="natural logarithm; log(x, base) = log(x)/log(base)",
      params=(("base", None),),
      # the only place where log's base is handled: every backend composes the same way
      compose=lambda log, x, base=None: log(x) if base is None else log(x) / log(base))
_elem("sqrt", math.sqrt, np.sqrt, lambda x, y: 1 / (2 * y), uses_y=True, need="x >= 0",
      mpmath=_mp_checked("sqrt", "x >= 0", lambda x: x >= 0),
      latex="\\sqrt{{{x}}}", derivative_text="u'/(2√u)", doc="square root")
# expm1' = e^x, not y + 1: for x << 0, y ≈ -1 and y + 1 cancels (x = -9 loses 3 digits).
_elem("expm1", math.expm1, np.expm1, lambda x, y: ops.exp(x), need="x < 709.78",
      sympy=lambda x: _sp().exp(x) - 1,
      derivative_text="eᵘ·u'", doc="exp(x) - 1, accurate near 0")
_elem("log1p", math.log1p, np.log1p, lambda x, y: 1 / (1 + x), need="x > -1",
      mpmath=_mp_checked("log1p", "x > -1", lambda x: x > -1),
      sympy=lambda x: _sp().log(1 + x),
      derivative_text="u'/(1+u)", doc="log(1 + x), accurate near 0")
_elem("erf", math.erf, nx.erf_np, lambda x, y: (2 / ops.sqrt(_const(x, "pi"))) * ops.exp(-(x * x)), derivative_text="(2/√π)·e^(-u²)·u'",
      doc="error function")
_elem("erfc", math.erfc, nx.erfc_np, lambda x, y: -(2 / ops.sqrt(_const(x, "pi"))) * ops.exp(-(x * x)), derivative_text="-(2/√π)·e^(-u²)·u'",
      doc="complementary error function 1 - erf(x), accurate where erf(x) is near 1")
_add(Rule(
    name="abs", ufuncs=("absolute", "fabs"), float=abs, numpy=np.abs, mpmath=lambda x: abs(x), sympy=lambda x: _sp().Abs(x),
    deriv=lambda x, y: _sign(x), kink=_at_zero, kink_note="abs'(0) = 0, taking sign(0) = 0",
    branches=(lambda x: -x, lambda x: +x),
    text="abs({x})", latex="\\left|{x}\\right|", derivative_text="sign(u)·u'", doc="absolute value",
))

# ---------------------------------------------------------------------------
# Inverse hyperbolic, reciprocal, inverse reciprocal, base-2/10, roots
# ---------------------------------------------------------------------------
_elem("asinh", math.asinh, np.arcsinh, lambda x, y: 1 / ops.sqrt(x * x + 1), ufuncs=("arcsinh", "asinh"),
      latex="\\operatorname{{arsinh}}({args})", derivative_text="u'/√(u²+1)", doc="inverse hyperbolic sine")
# √(x-1)·√(x+1), not √(x²-1): no cancellation near x = 1
_elem("acosh", math.acosh, np.arccosh, lambda x, y: 1 / (ops.sqrt(x - 1) * ops.sqrt(x + 1)), need="x >= 1",
      ufuncs=("arccosh", "acosh"), mpmath=_mp_checked("acosh", "x >= 1", lambda x: x >= 1),
      latex="\\operatorname{{arcosh}}({args})", derivative_text="u'/√(u²-1)", doc="inverse hyperbolic cosine")
_elem("atanh", math.atanh, np.arctanh, lambda x, y: 1 / ((1 - x) * (1 + x)), need="-1 < x < 1",
      ufuncs=("arctanh", "atanh"), mpmath=_mp_checked("atanh", "-1 < x < 1", lambda x: -1 < x < 1),
      latex="\\operatorname{{artanh}}({args})", derivative_text="u'/(1-u²)", doc="inverse hyperbolic tangent")
_elem("asec", nx.asec_float, lambda x: np.arccos(1 / x), need="|x| >= 1",
      deriv=lambda x, y: 1 / (ops.abs(x) * ops.sqrt((x - 1) * (x + 1))),
      mpmath=_mp_checked("asec", "|x| >= 1", lambda x: abs(x) >= 1),
      latex="\\operatorname{{arcsec}}({args})", derivative_text="u'/(|u|·√(u²-1))", doc="inverse secant, acos(1/x)")
_elem("acsc", nx.acsc_float, lambda x: np.arcsin(1 / x), need="|x| >= 1",
      deriv=lambda x, y: -1 / (ops.abs(x) * ops.sqrt((x - 1) * (x + 1))),
      mpmath=_mp_checked("acsc", "|x| >= 1", lambda x: abs(x) >= 1),
      latex="\\operatorname{{arccsc}}({args})", derivative_text="-u'/(|u|·√(u²-1))", doc="inverse cosecant, asin(1/x)")
_elem("acot", nx.acot_float, nx.acot_np, lambda x, y: -1 / (1 + x * x),
      latex="\\operatorname{{arccot}}({args})", derivative_text="-u'/(1+u²)",
      doc="inverse cotangent, atan(1/x) (as sympy and mpmath: a jump at 0, acot(0) = π/2)")
_elem("sech", nx.sech_float, nx.sech_np, lambda x, y: -y * ops.tanh(x), uses_y=True,
      latex="\\operatorname{{sech}}({args})", derivative_text="-sech(u)·tanh(u)·u'", doc="hyperbolic secant 1/cosh(x)")
_elem("csch", nx.csch_float, nx.csch_np, lambda x, y: -y * ops.coth(x), uses_y=True, need="x != 0",
      mpmath=_mp_checked("csch", "x != 0", lambda x: x != 0),
      latex="\\operatorname{{csch}}({args})", derivative_text="-csch(u)·coth(u)·u'", doc="hyperbolic cosecant 1/sinh(x)")
# coth' = -csch², not 1 - coth²: coth rounds to ±1 for |x| > 19 and 1 - y² cancels.
_elem("coth", nx.coth_float, lambda x: 1 / np.tanh(x), lambda x, y: -(ops.csch(x) * ops.csch(x)), need="x != 0",
      mpmath=_mp_checked("coth", "x != 0", lambda x: x != 0),
      latex="\\coth({args})", derivative_text="-csch²(u)·u'", doc="hyperbolic cotangent")
_elem("log2", math.log2, np.log2, lambda x, y: 1 / (x * _const(x, "ln2")), need="x > 0",
      mpmath=_mp_checked("log2", "x > 0", lambda x: x > 0, lambda x: _mp().log(x) / _mp().ln2),
      sympy=lambda x: _sp().log(x, 2),
      latex="\\log_{{2}}({x})", derivative_text="u'/(u·ln 2)", doc="base-2 logarithm")
_elem("log10", math.log10, np.log10, lambda x, y: 1 / (x * _const(x, "ln10")), need="x > 0",
      mpmath=_mp_checked("log10", "x > 0", lambda x: x > 0, lambda x: _mp().log(x) / _mp().ln10),
      sympy=lambda x: _sp().log(x, 10),
      latex="\\log_{{10}}({x})", derivative_text="u'/(u·ln 10)", doc="base-10 logarithm")
_elem("exp2", nx.exp2_float, np.exp2, lambda x, y: y * _const(x, "ln2"), uses_y=True, need="x < 1024",
      mpmath=lambda x: _mp().power(2, x), sympy=lambda x: _sp().Integer(2) ** x,
      latex="2^{{{x}}}", derivative_text="2ᵘ·ln 2·u'", doc="2 ** x")
# cbrt' = 1/(3y²) from y = cbrt(x); infinite at 0.
_elem("cbrt", nx.cbrt_float, np.cbrt, lambda x, y: 1 / (3 * (y * y)), uses_y=True,
      mpmath=lambda x: _mp().cbrt(x) if x >= 0 else -_mp().cbrt(-x), sympy=lambda x: _sp().real_root(x, 3),
      latex="\\sqrt[3]{{{x}}}", derivative_text="u'/(3·∛u²)", doc="real cube root (negative for x < 0)")
_elem("logit", nx.logit_float, nx.logit_np, lambda x, y: 1 / (x * (1 - x)), need="0 < x < 1",
      mpmath=_mp_checked("logit", "0 < x < 1", lambda x: 0 < x < 1, lambda x: _mp().log(x) - _mp().log1p(-x)),
      sympy=lambda x: _sp().log(x / (1 - x)),
      latex="\\operatorname{{logit}}({args})", derivative_text="u'/(u·(1-u))", doc="log(x/(1-x)), the inverse of sigmoid")

# ---------------------------------------------------------------------------
# Functions of two arguments: partials (∂f/∂x, ∂f/∂y) instead of deriv
# ---------------------------------------------------------------------------
def _binary(name, float_fn, np_fn, mp_fn, sp_fn, partials, **kw):
    _add(Rule(name=name, float=float_fn, numpy=np_fn, mpmath=mp_fn, sympy=sp_fn, partials=partials,
              params=((kw.pop("second", "y"), REQUIRED),), text=kw.pop("text", f"{name}({{x}})"), **kw))


def _tie(x, y):
    return ops.primal(x) == ops.primal(y)


def _ge(x, y):
    """1 where x > y, 0 where x < y, ½ at a tie (a constant: its derivative is 0)."""
    a, b = ops.primal(x), ops.primal(y)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if object in (getattr(a, "dtype", None), getattr(b, "dtype", None)):  # exact entries
            half = _sp().Rational(1, 2)
            return np.vectorize(lambda p, q: 1 if p > q else (half if p == q else 0), otypes=[object])(a, b)
        return np.where(np.asarray(a > b), 1.0, np.where(np.asarray(a == b), 0.5, 0.0))
    if _is_exact(a) or _is_exact(b):
        return 1 if a > b else (_sp().Rational(1, 2) if a == b else 0)
    return 1.0 if a > b else (0.5 if a == b else 0.0)


_binary("hypot", math.hypot, np.hypot, lambda x, y: _mp().hypot(x, y), lambda x, y: _sp().sqrt(x * x + y * y),
        lambda x, y: (x / ops.hypot(x, y), y / ops.hypot(x, y)),
        derivative_text="(u·u' + v·v')/hypot(u, v)", doc="√(x² + y²) without overflow")
_binary("atan2", math.atan2, np.arctan2, lambda y, x: _mp().atan2(y, x), lambda y, x: _sp().atan2(y, x),
        lambda y, x: (x / (x * x + y * y), -y / (x * x + y * y)), arg="y", second="x", ufuncs=("arctan2", "atan2"),
        latex="\\operatorname{{atan2}}({args})", derivative_text="(x·y' - y·x')/(x² + y²)",
        doc="the angle of the point (x, y), in (-π, π]")
_binary("max", nx.max_float, np.maximum, lambda x, y: x if x >= y else y, lambda x, y: _sp().Max(x, y),
        lambda x, y: (_ge(x, y), 1 - _ge(x, y)), ufuncs=("maximum",), kink=_tie,
        kink_var=lambda x, y: x - y, branches=(lambda x, y: y, lambda x, y: x),
        kink_note="max'(x, y) at a tie x = y: ½ to each argument (so max(x, x)' = 1)",
        derivative_text="u' if u > v else v'", doc="the larger of x and y")
_binary("min", nx.min_float, np.minimum, lambda x, y: x if x <= y else y, lambda x, y: _sp().Min(x, y),
        lambda x, y: (_ge(y, x), 1 - _ge(y, x)), ufuncs=("minimum",), kink=_tie,
        kink_var=lambda x, y: x - y, branches=(lambda x, y: x, lambda x, y: y),
        kink_note="min'(x, y) at a tie x = y: ½ to each argument (so min(x, x)' = 1)",
        derivative_text="u' if u < v else v'", doc="the smaller of x and y")
# logaddexp: ∂/∂x = σ(x - y), not 1 - σ(y - x), which cancels when y >> x.
_binary("logaddexp", nx.logaddexp_float, np.logaddexp,
        lambda x, y: _mp().log(_mp().exp(x) + _mp().exp(y)), lambda x, y: _sp().log(_sp().exp(x) + _sp().exp(y)),
        lambda x, y: (ops.sigmoid(x - y), ops.sigmoid(y - x)),
        derivative_text="σ(u - v)·u' + σ(v - u)·v'", doc="log(e^x + e^y), stable")

# ---------------------------------------------------------------------------
# Activations (deep learning)
# ---------------------------------------------------------------------------
_add(Rule(
    name="sigmoid", family="activation",
    float=nx.sigmoid_float, numpy=nx.sigmoid_np,
    mpmath=lambda x: 1 / (1 + _mp().exp(-x)),
    sympy=lambda x: 1 / (1 + _sp().exp(-x)),
    # σ' = σ(x)σ(-x): exact identity, and unlike y(1-y) it keeps its digits for large x.
    deriv=lambda x, y: y * ops.sigmoid(-x),
    jet_deriv=lambda x, y: y * _with_constant(1 - y, ops.sigmoid(-x.coeffs[0])), uses_y=True,
    text="sigmoid({x})", latex="\\sigma({args})", derivative_text="σ(u)·σ(-u)·u'",
    doc="logistic sigmoid 1/(1+e^-x), stable for large |x|",
))
_add(Rule(
    name="relu", family="activation",
    float=nx.relu_float, numpy=nx.relu_np, mpmath=lambda x: x if x > 0 else 0 * x,
    sympy=lambda x: _sp().Max(0, x),
    deriv=lambda x, y: _positive(x), kink=_at_zero, kink_note="relu'(0) = 0, as in PyTorch",
    branches=(lambda x: 0 * x, lambda x: +x),
    text="relu({x})", derivative_text="[u > 0]·u'",
    doc="max(0, x)",
))
_add(Rule(
    name="leaky_relu", family="activation", params=(("alpha", 0.01),),
    float=nx.leaky_relu_float, numpy=nx.leaky_relu_np,
    mpmath=lambda x, a=0.01: x if x > 0 else a * x,
    sympy=lambda x, a=0.01: _sp().Piecewise((x, x > 0), (a * x, True)),
    deriv=lambda x, y, a=0.01: ops.select(x, 1.0, a), kink=_at_zero,
    branches=(lambda x, a=0.01: a * x, lambda x, a=0.01: +x),
    kink_note="leaky_relu'(0) = alpha: the x <= 0 branch, as in PyTorch",
    text="leaky_relu({x})",
    derivative_text="(1 if u > 0 else α)·u'", doc="x if x > 0 else alpha·x (alpha = 0.01)",
))
_add(Rule(
    name="elu", family="activation", params=(("alpha", 1.0),),
    float=nx.elu_float, numpy=nx.elu_np,
    mpmath=lambda x, a=1.0: x if x > 0 else a * _mp().expm1(x),
    sympy=lambda x, a=1.0: _sp().Piecewise((x, x > 0), (a * (_sp().exp(x) - 1), True)),
    deriv=lambda x, y, a=1.0: ops.select(x, 1.0, a * ops.exp(x)), kink=_at_zero,
    branches=(lambda x, a=1.0: a * ops.expm1(x), lambda x, a=1.0: +x),
    kink_note="elu'(0) = alpha: the x <= 0 branch, as in PyTorch",
    text="elu({x})",
    derivative_text="(1 if u > 0 else α·eᵘ)·u'", doc="x if x > 0 else alpha·(e^x - 1) (alpha = 1)",
))
_add(Rule(
    name="selu", family="activation",
    float=nx.selu_float, numpy=nx.selu_np,
    # λ and α from their closed forms at the working precision (the floats are these rounded)
    mpmath=lambda x: _const(x, "selu_lambda") * (x if x > 0 else _const(x, "selu_alpha") * _mp().expm1(x)),
    sympy=lambda x: _sp().Piecewise(
        (_sp().Float(SELU_LAMBDA) * x, x > 0),
        (_sp().Float(SELU_LAMBDA) * _sp().Float(SELU_ALPHA) * (_sp().exp(x) - 1), True)),
    deriv=lambda x, y: ops.select(x, _const(x, "selu_lambda"),
                                  _const(x, "selu_lambda") * (_const(x, "selu_alpha") * ops.exp(x))), kink=_at_zero,
    branches=(lambda x: _const(x, "selu_lambda") * (_const(x, "selu_alpha") * ops.expm1(x)),
              lambda x: _const(x, "selu_lambda") * x),
    kink_note="selu'(0) = λα: the x <= 0 branch; the one-sided slopes are λ and λα",
    text="selu({x})",
    derivative_text="(λ if u > 0 else λα·eᵘ)·u'",
    doc="λx if x > 0 else λα(e^x - 1), λ = 1.0507009873554805, α = 1.6732632423543772",
))
_add(Rule(
    name="softplus", family="activation",
    float=checked("softplus", nx.softplus_float, "finite x"), numpy=nx.softplus_np,
    mpmath=lambda x: _mp().log1p(_mp().exp(x)),
    sympy=lambda x: _sp().log(1 + _sp().exp(x)),
    deriv=lambda x, y: ops.sigmoid(x),
    text="softplus({x})",
    derivative_text="σ(u)·u'", doc="log(1 + e^x), stable for large |x|",
))
_add(Rule(
    name="swish", family="activation", params=(("beta", 1.0),),
    define=lambda x, b=1.0: x * ops.sigmoid(b * x),
    sympy=lambda x, b=1.0: x / (1 + _sp().exp(-b * x)),
    text="swish({x})",
    derivative_text="(σ(βu) + βu·σ(βu)σ(-βu))·u'", doc="x·σ(beta·x) (beta = 1); beta = 0 gives x/2",
))
_add(Rule(
    name="gelu", family="activation",
    # Φ(x) = erfc(-x/√2)/2: unlike (1 + erf(x/√2))/2 it does not cancel for x << 0.
    define=lambda x: x * ops.erfc(-x / _const(x, "sqrt2")) / 2,
    sympy=lambda x: x / 2 * (1 + _sp().erf(x / _sp().sqrt(2))),
    text="gelu({x})",
    derivative_text="(Φ(u) + u·φ(u))·u'", doc="x·Φ(x) with Φ the normal CDF (exact erf form, as in PyTorch)",
))
_add(Rule(
    name="softmax", family="activation", vector=True,
    define=lambda x: ops.softmax_formula(x),
    sympy=lambda x: _sp().exp(x) / sum(_sp().exp(t) for t in x) if isinstance(x, (list, tuple)) else _sp().Integer(1),
    text="softmax({x})",
    derivative_text="s ⊙ (u' - Σ s·u')", doc="e^(x_j) / Σ_k e^(x_k) over a vector (stable)",
))
_add(Rule(
    name="logsumexp", family="activation", vector=True,
    define=lambda x: ops.logsumexp_formula(x),
    sympy=lambda x: _sp().log(sum(_sp().exp(t) for t in x)) if isinstance(x, (list, tuple)) else x,
    text="logsumexp({x})",
    derivative_text="Σ softmax(u)·u'", doc="log Σ e^(x_k) over a vector (stable)",
))
_add(Rule(
    name="pow", params=(("p", REQUIRED),),
    ufuncs=(),  # numpy.power dispatches as the ** operator
    define=lambda x, p: x ** p,
    sympy=lambda x, p: _sp().Pow(x, p),
    text="pow({x})", derivative_text="p·u^(p-1)·u' + ln(u)·u^p·p'",
    doc="x ** p",
))

# Arities for the program parser: name -> (min_args, max_args).
ARITY: dict[str, tuple[int, int]] = {name: r.arity for name, r in RULES.items()}


# ---------------------------------------------------------------------------
# Adding a rule at run time
# ---------------------------------------------------------------------------
# Everything generated from the table (public functions, numpy dispatch, the package's
# names) subscribes here, so that a rule registered later is served like the others.
_listeners: list[Callable[[str, Rule | None], None]] = []


def on_change(listener: Callable[[str, Rule | None], None]) -> None:
    """Call ``listener(name, rule)`` for every rule now and for every later change
    (``rule`` is None when a rule is removed)."""
    _listeners.append(listener)
    for name, rule in list(RULES.items()):
        listener(name, rule)


def register(rule: Rule) -> None:
    """Add (or replace) a rule; it becomes ``dualdiff.<name>`` with numpy dispatch, display
    and sympy counterpart, and the program language knows it.

    >>> import dualdiff as dd, math, numpy as np
    >>> from dualdiff.rules import Rule, register, remove
    >>> register(Rule(name="sq", float=lambda x: x * x, numpy=np.square, mpmath=lambda x: x * x,
    ...               sympy=lambda x: x ** 2, deriv=lambda x, y: 2 * x, text="sq({x})"))
    >>> dd.sq(dd.Dual(3.0, 1.0))
    Dual(9.0, 6.0)
    >>> remove("sq")
    """
    RULES[rule.name] = rule
    ARITY[rule.name] = rule.arity
    for listener in _listeners:
        listener(rule.name, rule)


def remove(name: str) -> None:
    """Undo :func:`register` (for tests and experiments)."""
    RULES.pop(name, None)
    ARITY.pop(name, None)
    for listener in _listeners:
        listener(name, None)


CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
