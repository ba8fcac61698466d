"""Public functions, generated from the rule table (one generic wrapper per rule).

Every ``dualdiff.<name>(x)`` accepts a Dual, a Jet, a Python or numpy scalar, a numpy
array (or list), an ``mpmath.mpf`` or a sympy expression:

>>> import dualdiff as dd
>>> dd.sigmoid(0.0)
0.5
>>> dd.sin(dd.Dual(0.0, 1.0))
Dual(0.0, 1.0)

Scalars go through :mod:`math` (domain errors raise ``ValueError`` naming the function
and the value); arrays through numpy (nan/inf and numpy's warnings, never an exception
half-way through an array).
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable

import numpy as np

from . import numerics as nx
from .dual import Dual
from .jet import Jet, jet_apply
from .rules import RULES, Rule, fn

_ndarray = np.ndarray

__all__ = sorted(RULES) + ["pi", "e", "primal", "select"]

pi = math.pi
e = math.e


# ---------------------------------------------------------------------------
# Small generic helpers the rules use
# ---------------------------------------------------------------------------
def primal(x: Any) -> Any:
    """The plain value under any number of Dual/Jet layers; plain numbers pass through.

    >>> primal(Dual(Dual(2.0, 1.0), 3.0))
    2.0
    """
    while True:
        t = type(x)
        if t is Dual:
            x = x.value
        elif t is Jet:
            x = x.coeffs[0]
        else:
            return x


def select(x: Any, a: Any, b: Any) -> Any:
    """``a`` where the primal value of ``x`` is > 0, else ``b`` (elementwise on arrays).

    The condition is on values only: the branches carry the derivatives.
    """
    v = primal(x)
    if type(v) is _ndarray:
        return _where(v > 0, a, b)
    return a if v > 0 else b


def _where(mask, a, b):
    ta, tb = type(a), type(b)
    if ta is Dual or tb is Dual:
        tag = max(a.tag if ta is Dual else -1, b.tag if tb is Dual else -1)
        ndir = (a.ndir if ta is Dual and a.tag == tag else 0) or (b.ndir if tb is Dual and b.tag == tag else 0)
        av, ad = (a.value, a.deriv) if ta is Dual and a.tag == tag else (a, 0.0)
        bv, bd = (b.value, b.deriv) if tb is Dual and b.tag == tag else (b, 0.0)
        dmask = mask[..., None] if ndir else mask
        return Dual(_where(mask, av, bv), _where(dmask, ad, bd), tag, ndir)
    if ta is Jet or tb is Jet:
        n = len(a.coeffs) if ta is Jet else len(b.coeffs)
        ac = a.coeffs if ta is Jet else [a] + [0.0] * (n - 1)
        bc = b.coeffs if tb is Jet else [b] + [0.0] * (n - 1)
        return Jet([_where(mask, p, q) for p, q in zip(ac, bc)])
    return np.where(mask, a, b)


def _total(x):
    """Sum over all value axes, for any number type."""
    t = type(x)
    if t is Dual or t is Jet:
        return x.sum()
    return np.sum(x)


def softmax_formula(x):
    """e^(x - m) / Σ e^(x - m), with m = max(x) held constant (it cancels exactly)."""
    if type(x) not in (Dual, Jet):
        return nx.softmax_np(x)
    m = np.max(primal(x))
    z = fn.exp(x - m)
    return z / _total(z)


def logsumexp_formula(x):
    """x_k + log1p(Σ_{j≠k} e^(x_j - x_k)), k = argmax: exact, stable, differentiable in every x_j."""
    if type(x) not in (Dual, Jet):
        return nx.logsumexp_np(x)
    v = np.asarray(primal(x))
    if v.ndim == 0:
        return x
    flat = v.ravel()
    k = np.unravel_index(int(np.argmax(flat)), v.shape)
    others = np.ones(v.shape, dtype=bool)
    others[k] = False
    top = x[k]
    if not others.any():
        return top
    return top + fn.log1p(_total(fn.exp(x[others] - top)))


def power_scalar(a, p):
    """a ** p for primal values, with real-domain checks on scalars (as math.pow does)."""
    try:
        r = a ** p
    except ZeroDivisionError:
        raise ZeroDivisionError(f"pow: 0 cannot be raised to the negative power {p!r}") from None
    except OverflowError:
        raise OverflowError(f"pow: result too large for {a!r} ** {p!r}") from None
    if type(r) is complex:
        raise ValueError(f"pow: math domain error: negative base {a!r} with non-integer exponent {p!r}")
    return r


# ---------------------------------------------------------------------------
# The generic wrapper: one per rule
# ---------------------------------------------------------------------------
def _make(rule: Rule) -> Callable[..., Any]:
    name = rule.name
    if rule.float is None:  # composite: differentiate through the formula
        define = rule.define

        def core(x, *params):
            if type(x) in (list, tuple):
                x = np.asarray(x, dtype=float)
            elif hasattr(type(x), "__dualdiff_apply__"):  # a recorder: one step, not its formula
                return x.__dualdiff_apply__(name, params)
            return define(x, *params)

        return core

    kf, kn, kmp, ksp, deriv = rule.float, rule.numpy, rule.mpmath, rule.sympy, rule.deriv

    def core(x, *params):
        t = type(x)
        if t is float or t is int:
            return kf(x, *params)
        if t is Dual:
            v = x.value
            if type(v) is _ndarray and not params and v.dtype == np.float64:
                return _on_array(x, v, name, kn, deriv)
            y = kf(v, *params) if type(v) is float else core(v, *params)
            try:
                fp = deriv(v, y, *params)
            except ZeroDivisionError:
                raise ZeroDivisionError(f"{name}: the derivative is infinite at x = {v!r}") from None
            if x.ndir and type(fp) is _ndarray:
                fp = fp[..., None]
            return Dual(y, fp * x.deriv, x.tag, x.ndir)
        if t is _ndarray:
            if x is _memo[0] and not params:  # inside a rule on this very array: reuse
                d = _memo[1]
                r = d.get(name)
                if r is None:
                    r = kn(x)
                    if name not in _memo[2]:  # keep only what a later rule can still use
                        d[name] = r
                return r
            return kn(x, *params)
        if t is Jet:
            return jet_apply(rule, core, x, params)
        kind = nx.backend_of(x)
        if kind == "float":
            return kf(x, *params)
        if kind == "mpmath":
            return kmp(x, *params)
        if kind == "sympy":
            _sympy_domain_check(kf, x, params)
            return ksp(x, *params)
        if kind == "sequence":
            return kn(np.asarray(x, dtype=float), *params)
        if hasattr(type(x), "__dualdiff_apply__"):  # dualdiff.trace's recorder
            return x.__dualdiff_apply__(name, params)
        return kf(x, *params)

    if rule.params:
        return core

    # The same for a rule without parameters, with plain calls instead of ``*params``:
    # CPython inlines a call to a fixed-arity function but not a ``*args`` one, which
    # makes sin(Dual) about a third cheaper.  Anything but a float or a Dual of a float
    # goes to the generic ``core`` above.
    def core1(x):
        t = type(x)
        if t is float:
            return kf(x)
        if t is Dual:
            v = x.value
            if type(v) is float:
                y = kf(v)
                try:
                    fp = deriv(v, y)
                except ZeroDivisionError:
                    raise ZeroDivisionError(f"{name}: the derivative is infinite at x = {v!r}") from None
                if x.ndir and type(fp) is _ndarray:
                    fp = fp[..., None]
                return Dual(y, fp * x.deriv, x.tag, x.ndir)
        return core(x)

    return core1


# While a rule runs on an array-valued Dual: (the array, its memo, names already handed out).
_memo: list = [None, None, None]


def _on_array(x: Dual, v: np.ndarray, name: str, kn: Callable, deriv: Callable) -> Dual:
    """f(x) for a Dual with a float64 array value, sharing kernel work between rules.

    u = sin(s); v = cos(s) needs sin and cos of the same array twice: sin's derivative
    already computes cos(s.value).  Such *internal* results (never handed to the user)
    are kept on the Dual; a later rule on the same Dual hands one out once and forgets
    it.  A result already handed out is never reused, so nothing the user holds is
    shared; and an array changed in place under a Dual invalidates that Dual's
    derivative anyway.
    """
    memo = getattr(x, "_memo", None)
    if memo is None or memo[0] is not v:
        memo = x._memo = (v, {}, set())
    found, given = memo[1], memo[2]
    y = found.pop(name, None)
    if y is None:
        y = kn(v)
    given.add(name)
    outer = _memo[:]
    _memo[:] = memo
    try:
        fp = deriv(v, y)
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{name}: the derivative is infinite at x = {v!r}") from None
    finally:
        _memo[:] = outer
    if x.ndir and type(fp) is _ndarray:
        fp = fp[..., None]
    return Dual(y, fp * x.deriv, x.tag, x.ndir)


def _sympy_domain_check(kf, x, params):
    """Exact values obey the same real domain: log(-1) is an error, not I·pi."""
    if not getattr(x, "is_number", False) or not getattr(x, "is_real", False):
        return
    try:
        xf = float(x)
    except (TypeError, ValueError, OverflowError):
        return
    if xf == 0.0 and x != 0:  # underflowed: the float says nothing about the domain
        return
    try:
        kf(xf, *(float(p) for p in params))
    except (ValueError, ZeroDivisionError) as exc:
        raise type(exc)(str(exc).replace(repr(xf), str(x))) from None
    except OverflowError:
        pass


def _public(rule: Rule, core: Callable[..., Any]) -> Callable[..., Any]:
    """Give the generated function its name, signature and docstring."""
    if rule.params:
        names = [p for p, _ in rule.params]
        defaults = [d for _, d in rule.params]

        if rule.name == "log":  # log(x, base) = log(x)/log(base), by composition
            def f(x, base=None):
                if base is None:
                    return core(x)
                return core(x) / core(base)
        elif rule.name == "pow":
            def f(x, p):
                return core(x, p)
        else:
            def f(x, *args, **kw):
                if kw:
                    args = list(args) + defaults[len(args):]
                    for k, val in kw.items():
                        if k not in names:
                            raise TypeError(f"{rule.name}() got an unexpected keyword argument {k!r}")
                        args[names.index(k)] = val
                if len(args) > len(names):
                    raise TypeError(f"{rule.name}() takes at most {len(names) + 1} arguments")
                return core(x, *args)
    else:
        f = core
    sig = ", ".join(["x"] + [f"{p}={d!r}" for p, d in rule.params])
    if rule.name == "pow":
        sig = "x, p"
    f.__name__ = f.__qualname__ = rule.name
    f.__module__ = "dualdiff"
    f.__doc__ = (f"{rule.name}({sig}): {rule.doc}.\n\n"
                 f"Derivative: d/dx {rule.text.format(x='u')} = {rule.derivative_text}"
                 + (f"\nKink convention: {rule.kink_note}." if rule.kink_note else ""))
    return f


for _name, _rule in RULES.items():
    globals()[_name] = _public(_rule, _make(_rule))

fn.__dict__.update({name: globals()[name] for name in RULES})
fn.primal = primal
fn.select = select
fn.softmax_formula = softmax_formula
fn.logsumexp_formula = logsumexp_formula
fn.power_scalar = power_scalar


# ---------------------------------------------------------------------------
# numpy protocol: numpy.sin(dual) -> dualdiff.sin(dual)
# ---------------------------------------------------------------------------
_BINARY = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
}
_COMPARE = {np.less: operator.lt, np.less_equal: operator.le, np.greater: operator.gt,
            np.greater_equal: operator.ge, np.equal: operator.eq, np.not_equal: operator.ne}
_UNARY_NAMES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "absolute": "abs", "fabs": "abs"}


def _unary_table() -> dict:
    table = {np.negative: operator.neg, np.positive: operator.pos,
             np.square: lambda x: x * x, np.reciprocal: lambda x: 1 / x}
    for name in RULES:
        uf = getattr(np, name, None)
        if isinstance(uf, np.ufunc) and uf.nin == 1:
            table[uf] = globals()[name]
    for np_name, dd_name in _UNARY_NAMES.items():
        table[getattr(np, np_name)] = globals()[dd_name]
    return table


_UNARY = _unary_table()


def _ours(x) -> bool:
    return type(x) is Dual or type(x) is Jet or hasattr(type(x), "__dualdiff_apply__")


def numpy_ufunc(ufunc, method, inputs, kwargs):
    if method != "__call__" or kwargs.get("out") is not None:
        raise TypeError(f"numpy.{ufunc.__name__}.{method} with out= or reductions is not supported on "
                        "dualdiff numbers; call the ufunc plainly (numpy.{ufunc.__name__}(x))")
    if ufunc in _UNARY:
        return _UNARY[ufunc](inputs[0])
    if ufunc in _BINARY:
        a, b = inputs
        fwd, rev = _BINARY[ufunc]
        r = getattr(a, fwd)(b) if _ours(a) else getattr(b, rev)(a)
        if r is NotImplemented:
            raise TypeError(f"numpy.{ufunc.__name__} cannot mix {type(a).__name__} and {type(b).__name__}")
        return r
    if ufunc in _COMPARE:
        return _COMPARE[ufunc](primal(inputs[0]), primal(inputs[1]))
    raise TypeError(f"numpy.{ufunc.__name__} is not supported on dualdiff numbers (Dual/Jet); "
                    "supported ufuncs: " + ", ".join(sorted(u.__name__ for u in (*_UNARY, *_BINARY))))


def numpy_function(func, args, kwargs):
    if func is np.sum and not kwargs.get("axis"):
        return args[0].sum()
    if func is np.ndim:
        return np.ndim(primal(args[0]))
    if func is np.shape:
        return np.shape(primal(args[0]))
    if func is np.size:
        return np.size(primal(args[0]))
    return NotImplemented
