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

import builtins
import contextlib
import contextvars
import math
import threading
import warnings
import operator
from typing import Any, Callable, Iterator

import numpy as np

from . import dual as _dual_module, jet as _jet_module, numerics as nx
from .dual import NO_MEMO, Dual, per_direction as _ex
from .errors import KinkWarning
from .jet import Jet, climb, jet_apply
from .registry import dispatch_function, dispatch_ufunc, ops
from .rules import REQUIRED, RULES, Rule, on_change

_ndarray = np.ndarray

# The generated functions' names join __all__ as they are generated (see the end).
__all__ = ["pi", "e", "primal", "select"]

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
        tag = builtins.max(a.tag if ta is Dual else -1, b.tag if tb is Dual else -1)  # dualdiff.max shadows max here
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


def exact_map(f: Callable[..., Any], x: np.ndarray, params: tuple = ()) -> np.ndarray:
    """``f`` applied to each entry of an object array (exact sympy numbers): numpy's
    kernels would turn them into floats, or fail."""
    out = np.empty(x.shape, dtype=object)
    for ix, v in np.ndenumerate(x):
        out[ix] = f(v, *params)
    return out


def exact_map2(f: Callable[[Any, Any], Any], x: Any, y: Any) -> np.ndarray:
    """``f(x, y)`` entry by entry over the broadcast shape, for object arrays."""
    bx, by = np.broadcast_arrays(np.asarray(x, dtype=object), np.asarray(y, dtype=object))
    out = np.empty(bx.shape, dtype=object)
    for ix in np.ndindex(bx.shape):
        out[ix] = f(bx[ix], by[ix])
    return out


def _is_exact_array(x: Any) -> bool:
    return type(x) is _ndarray and x.dtype == object


def softmax_formula(x):
    """e^(x - m) / Σ e^(x - m), with m = max(x) held constant (it cancels exactly)."""
    if type(x) not in (Dual, Jet) and not _is_exact_array(x):
        return nx.softmax_np(x)
    m = np.max(primal(x))
    z = ops.exp(x - m)
    return z / _total(z)


def logsumexp_formula(x):
    """x_k + log1p(Σ_{j≠k} e^(x_j - x_k)), k = argmax: exact, stable, differentiable in every x_j."""
    if type(x) not in (Dual, Jet) and not _is_exact_array(x):
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
    return top + ops.log1p(_total(ops.exp(x[others] - top)))


def power_scalar(a, p):
    """a ** p for primal values, with real-domain checks on scalars (as math.pow does)."""
    try:
        r = a ** p
    except ZeroDivisionError:
        raise ZeroDivisionError(f"pow: 0 cannot be raised to the negative power {p!r}") from None
    except OverflowError:
        raise OverflowError(f"pow: result too large for {a!r} ** {p!r}") from None
    if type(r) is complex or _is_complex(r):
        raise ValueError(f"pow: math domain error: negative base {a!r} with non-integer exponent {p!r} "
                         "(the result is not a real number)")
    return r


def _is_complex(r) -> bool:
    """An mpmath mpc or a sympy number that is not real: (-8) ** (1/3) in those backends."""
    kind = nx.backend_of(r)
    if kind == "mpmath":
        return type(r).__name__ == "mpc"
    if kind == "sympy":
        return bool(getattr(r, "is_number", False)) and r.is_real is False
    return False


def is_integral(p) -> bool:
    """p is a whole number (2, 2.0, mpf(2), sympy 2), so that x ** p is defined for x <= 0."""
    if type(p) is int or isinstance(p, np.integer):
        return True
    try:
        return bool(p == int(p))
    except (TypeError, ValueError, OverflowError):
        return False


def _high_precision(x, args: tuple) -> Any:
    """The first mpmath primal among ``x`` and ``args`` (None when there is none): the
    precision that plain float constants beside it must be lifted to."""
    for a in (x, *args):
        v = primal(a)
        if type(v) is not float and nx.backend_of(v) == "mpmath":
            return v
    return None


def _lift_params(x, params: tuple) -> tuple:
    """Plain int/float parameters in the precision of x (see numerics.lift_constant)."""
    like = primal(x)
    if nx.backend_of(like) in ("mpmath", "sympy"):
        return tuple(nx.lift_constant(p, like) for p in params)
    return params


# ---------------------------------------------------------------------------
# The generic wrapper: one per rule
# ---------------------------------------------------------------------------
def _make(rule: Rule) -> Callable[..., Any]:
    core = _make_smooth(rule)
    return core if rule.kink is None else _at_kinks(rule, core)


def _make_smooth(rule: Rule) -> Callable[..., Any]:
    name = rule.name
    if rule.partials is not None:
        return _make_binary(rule)
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
        if params:
            params = _lift_params(x, params)
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
            if x.ndir:  # an array factor (or array-valued outer Dual) scales every direction
                fp = _ex(fp)
            return Dual(y, fp * x.deriv, x.tag, x.ndir)
        if t is _ndarray:
            if x.dtype == object:  # exact numbers in a vector (exact traces): entry by entry
                return exact_map(core, x, params)
            active = getattr(_running, "memo", None)
            if active is not None and x is active[0] and not params:  # inside a rule on this very array
                d = active[1]
                r = d.get(name)
                if r is None:
                    r = kn(x)
                    if name not in active[2]:  # keep only what a later rule can still use
                        d[name] = r
                return r
            if x.dtype == object and nx.holds_mpmath(x):  # a high-precision vector: mpf by mpf
                return nx.mp_elementwise(lambda e: core(e, *params), x)
            return kn(x, *params)
        if t is Jet:
            try:
                return jet_apply(rule, core, x, params)
            except ZeroDivisionError:
                # at the edge of a domain the Taylor recurrence divides by zero somewhere
                # inside the rule: name the function and the point, as the Dual path does
                # (the value itself raises the function's own domain error first, if undefined)
                c0 = x.coeffs[0]
                core(c0, *params)
                raise ZeroDivisionError(f"{name}: the derivative is infinite at x = {c0!r}") from None
        kind = nx.backend_of(x)
        if kind == "float":
            return kf(x, *params)
        if kind == "mpmath":
            memo = getattr(_running, "mpmath_memo", None)
            if memo is None:
                return kmp(x, *params)
            try:
                # the number's raw form as the key: hashing it is cheaper than hashing the mpf
                key = (name, getattr(x, "_mpf_", None) or x, params, x.context.prec)
                hit = memo.get(key)
            except (TypeError, AttributeError):  # an unhashable parameter: computed as usual
                return kmp(x, *params)
            if hit is None:
                hit = memo[key] = kmp(x, *params)
            return hit
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
                if x.ndir:  # an array factor (or array-valued outer Dual) scales every direction
                    fp = _ex(fp)
                return Dual(y, fp * x.deriv, x.tag, x.ndir)
        return core(x)

    return core1


def _make_binary(rule: Rule) -> Callable[[Any, Any], Any]:
    """f(x, y) from its kernels and partials: y' = f_x·x' + f_y·y' (Dual), and for Jets
    y_k = (1/k) Σ_{j=1..k} j·(x_j·(f_x)_{k-j} + y_j·(f_y)_{k-j}), the partials being Jets
    one order lower."""
    name, partials = rule.name, rule.partials
    kf, kn, kmp, ksp = rule.float, rule.numpy, rule.mpmath, rule.sympy

    def slopes(x, y):
        try:
            return partials(x, y)
        except ZeroDivisionError:
            raise ZeroDivisionError(f"{name}: the derivative is undefined at ({primal(x)!r}, {primal(y)!r})") from None

    def core(x, y):
        tx, ty = type(x), type(y)
        if tx is Dual or ty is Dual:
            if tx is Jet or ty is Jet:
                raise TypeError(f"{name}: cannot mix a Dual and a Jet")
            tag = builtins.max(x.tag if tx is Dual else -1, y.tag if ty is Dual else -1)
            xs = tx is Dual and x.tag == tag  # x varies at this layer
            ys = ty is Dual and y.tag == tag
            xv, yv = (x.value if xs else x), (y.value if ys else y)
            n = (x.ndir if xs else 0) or (y.ndir if ys else 0)
            fx, fy = slopes(xv, yv)
            d = None
            if xs:
                d = (_ex(fx) if n else fx) * x.deriv
            if ys:
                dy = (_ex(fy) if n else fy) * y.deriv
                d = dy if d is None else d + dy
            return Dual(core(xv, yv), d, tag, n)
        if tx is Jet or ty is Jet:
            order = len(x.coeffs) if tx is Jet else len(y.coeffs)
            xc = x.coeffs if tx is Jet else [x] + [0.0] * (order - 1)
            yc = y.coeffs if ty is Jet else [y] + [0.0] * (order - 1)
            if len(xc) != len(yc):
                raise ValueError(f"{name}: cannot combine Jets of order {len(xc) - 1} and {len(yc) - 1}")
            if order == 1:
                return Jet([core(xc[0], yc[0])])

            def step(j: int, prev: list | None) -> list:  # one more order (jet.climb)
                if j == 0:
                    return [core(xc[0], yc[0])]
                fx, fy = slopes(Jet(xc[:j]), Jet(yc[:j]))
                fxc = fx.coeffs if type(fx) is Jet else [fx] + [0.0] * (j - 1)
                fyc = fy.coeffs if type(fy) is Jet else [fy] + [0.0] * (j - 1)
                s = 0.0
                for i in range(1, j + 1):
                    s = s + i * (xc[i] * fxc[j - i] + yc[i] * fyc[j - i])
                return prev + [s / j]

            def full() -> list:  # every order at once from the partials to order-1
                fx, fy = slopes(Jet(xc[:-1]), Jet(yc[:-1]))
                fxc = fx.coeffs if type(fx) is Jet else [fx] + [0.0] * (order - 2)
                fyc = fy.coeffs if type(fy) is Jet else [fy] + [0.0] * (order - 2)
                out = [core(xc[0], yc[0])]
                for k in range(1, order):
                    s = 0.0
                    for j in range(1, k + 1):
                        s = s + j * (xc[j] * fxc[k - j] + yc[j] * fyc[k - j])
                    out.append(s / k)
                return out

            return Jet(climb((id(rule), "binary"), (xc, yc), step, full))
        if hasattr(tx, "__dualdiff_apply__"):  # dualdiff.trace's recorder
            return x.__dualdiff_apply__(name, (y,))
        if hasattr(ty, "__dualdiff_apply__"):
            raise TypeError(f"dualdiff.trace: {name}(number, traced value) cannot be recorded; "
                            f"write the traced value first or make the number an input")
        if (tx is _ndarray and x.dtype == object) or (ty is _ndarray and y.dtype == object):
            return exact_map2(core, x, y)  # exact numbers in a vector: entry by entry
        kinds = (nx.backend_of(x), nx.backend_of(y))
        if "numpy" in kinds and (nx.holds_mpmath(x) or nx.holds_mpmath(y)):  # mpf by mpf
            return nx.mp_elementwise(core, x, y)
        if "numpy" in kinds or "sequence" in kinds:
            return kn(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        if "sympy" in kinds:
            return ksp(x, y)
        if "mpmath" in kinds:
            return kmp(x, y)
        return kf(x, y)

    return core


# ---------------------------------------------------------------------------
# Kinks: never silent, and one-sided on request
# ---------------------------------------------------------------------------
# The side a differentiation operator asked for (derivative(f, x, side="right")), while
# it evaluates f; None: the rule's convention, with a KinkWarning.
one_side: contextvars.ContextVar[str | None] = contextvars.ContextVar("dualdiff_one_side", default=None)


def _at_kinks(rule: Rule, core: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a kinked rule: differentiated exactly at its kink, it takes the branch of the
    side asked for, or else keeps its convention and warns (KinkWarning)."""
    name, kink, note = rule.name, rule.kink, rule.kink_note

    def kinked(x, *params):
        if (type(x) is Dual or type(x) is Jet) or (params and (type(params[0]) is Dual or type(params[0]) is Jet)):
            v = primal(x)
            hit = kink(v, *params)
            if type(hit) is _ndarray or type(v) is _ndarray:
                if np.any(hit):
                    _warn_kink(name, note, f"{int(np.count_nonzero(hit))} element(s) at the kink")
            elif hit:
                side = one_side.get()
                s = _side_of(rule, x, params, side) if side is not None else 0
                if s is None:  # the input stays at the kink: every branch gives the same result
                    return core(x, *params)
                if s:
                    below, above = rule.branches
                    return (above if s > 0 else below)(x, *params)
                where = f"x = y = {v!r}" if rule.partials is not None else f"x = {v!r}"
                _warn_kink(name, note, f"at {where}" + ("" if side is None else
                                                        f" (side={side!r} cannot tell the side: several directions at once)"))
        return core(x, *params)

    return kinked


def _warn_kink(name: str, note: str, where: str) -> None:
    warnings.warn(KinkWarning(
        f"{name} differentiated at its kink, {where}: the derivative there is a convention "
        f"({note}); pass side='left' or side='right' for a one-sided derivative"), stacklevel=4)


def _side_of(rule: Rule, x, params, side: str) -> int:
    """+1 if the kink variable moves above its kink on the requested side, -1 below, None
    if it does not move (to the order computed: every branch then agrees, the kinked rules
    being Lipschitz), 0 if that cannot be told (several directions at once)."""
    u = rule.kink_var(x, *params) if rule.kink_var is not None else x
    if type(u) is Dual:
        if u.ndir or type(u.value) is _ndarray:
            return 0
        c = primal(u.deriv)
        if type(c) is _ndarray:
            return 0
        if c == 0:
            return None
        s, k = (1 if c > 0 else -1), 1
    elif type(u) is Jet:
        for k, c in enumerate(u.coeffs[1:], 1):
            c = primal(c)
            if type(c) is _ndarray:
                return 0
            if c != 0:
                s = 1 if c > 0 else -1
                break
        else:
            return None
    else:
        return 0
    # u(t) - u(0) ≈ c_k t^k: for t < 0 its sign flips when k is odd
    return s if side == "right" or k % 2 == 0 else -s


# While a rule's derivative runs on an array-valued Dual, in this thread only:
# .memo = (the array, its memo, names already handed out).  Per thread, so that another
# thread never reads it; restored when the rule returns, so it never outlives the call.
_running = threading.local()


@contextlib.contextmanager
def reused_mpmath_results() -> Iterator[None]:
    """Within the block (in this thread only), a function computed again on the same
    mpmath number at the same precision gives the result it gave before.

    A high-precision run of ``u = sin(s); v = cos(s)`` asks for sin(s) and cos(s) twice
    each (each rule's derivative needs the other): mpmath numbers are immutable, so the
    second answer can be the first one, and half the work is saved.  The memo lives as
    long as the block (one evaluation), never longer.

    >>> import mpmath
    >>> with reused_mpmath_results():
    ...     a = sin(mpmath.mpf(1)); b = sin(mpmath.mpf(1))
    >>> a is b, a == mpmath.sin(1)
    (True, True)
    """
    outer = getattr(_running, "mpmath_memo", None)
    _running.mpmath_memo = {} if outer is None else outer
    try:
        yield
    finally:
        _running.mpmath_memo = outer


def _on_array(x: Dual, v: np.ndarray, name: str, kn: Callable, deriv: Callable) -> Dual:
    """f(x) for a Dual with a float64 array value, sharing kernel work between rules.

    u = sin(s); v = cos(s) needs sin and cos of the same array twice: sin's derivative
    already computes cos(s.value).  Such *internal* results (never handed to the user)
    are kept on the Dual; a later rule on the same Dual hands one out once and forgets
    it.  A result already handed out is never reused, so nothing the user holds is
    shared.  Only Duals that dualdiff made keep such results: a Dual built by the user
    (``Dual(grid, 1.0)``) wraps an array the user may change in place between two calls,
    so it never keeps any (``dual.NO_MEMO``).
    """
    memo = x._memo if hasattr(x, "_memo") else None
    if memo is NO_MEMO:
        y = kn(v)
        try:
            fp = deriv(v, y)
        except ZeroDivisionError:
            raise ZeroDivisionError(f"{name}: the derivative is infinite at x = {v!r}") from None
    else:
        if memo is None or memo[0] is not v:
            memo = x._memo = (v, {}, set())
        found, given = memo[1], memo[2]
        y = found.pop(name, None)
        if y is None:
            y = kn(v)
        given.add(name)
        outer = getattr(_running, "memo", None)
        _running.memo = memo
        try:
            fp = deriv(v, y)
        except ZeroDivisionError:
            raise ZeroDivisionError(f"{name}: the derivative is infinite at x = {v!r}") from None
        finally:
            _running.memo = outer
    if x.ndir:  # an array factor (or array-valued outer Dual) scales every direction
        fp = _ex(fp)
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
    if rule.compose is not None:  # log(x, base) = log(x)/log(base): the rule says how
        compose = rule.compose

        def f(x, *args):
            if len(args) > len(rule.params):
                raise TypeError(f"{rule.name}() takes at most {len(rule.params) + 1} arguments")
            return compose(core, x, *_lift_params(x, args))
    elif rule.params:
        names = [p for p, _ in rule.params]
        defaults = [d for _, d in rule.params]
        lo, hi = rule.arity

        def f(x, *args, **kw):
            if kw:
                args = list(args) + defaults[len(args):]
                for k, val in kw.items():
                    if k not in names:
                        raise TypeError(f"{rule.name}() got an unexpected keyword argument {k!r}")
                    args[names.index(k)] = val
            if len(args) > len(names):
                raise TypeError(f"{rule.name}() takes at most {hi} arguments")
            if len(args) < lo - 1 or any(a is REQUIRED for a in args):
                missing = [n for n, a in zip(names, list(args) + defaults[len(args):]) if a is REQUIRED]
                raise TypeError(f"{rule.name}() missing required argument: {', '.join(missing)}")
            like = _high_precision(x, args)
            if like is not None:
                # mpmath: every constant at the working precision, the defaults included
                # (leaky_relu's 0.01 is 1/100, not the binary float nearest to it)
                x = nx.lift_constant(x, like)
                args = tuple(nx.lift_constant(a, like) for a in (*args, *defaults[len(args):]))
            return core(x, *args)
    else:
        f = core
    sig = ", ".join(["x"] + [p if d is REQUIRED else f"{p}={d!r}" for p, d in rule.params])
    f.__name__ = f.__qualname__ = rule.name
    f.__module__ = "dualdiff"
    f.__doc__ = (f"{rule.name}({sig}): {rule.doc}.\n\n"
                 f"Derivative: d/dx {rule.text.format(x='u')} = {rule.derivative_text}"
                 + (f"\nKink convention: {rule.kink_note}." if rule.kink_note else ""))
    return f


# ---------------------------------------------------------------------------
# numpy protocol: numpy.sin(dual) -> dualdiff.sin(dual), through the tables that
# dual.py and jet.py own
# ---------------------------------------------------------------------------
_HANDLED_UFUNCS = (_dual_module.HANDLED_UFUNCS, _jet_module.HANDLED_UFUNCS)
_HANDLED_FUNCTIONS = (_dual_module.HANDLED_FUNCTIONS, _jet_module.HANDLED_FUNCTIONS)


def _handle_ufunc(ufunc: Any, handler: Callable[..., Any] | None) -> None:
    for table in _HANDLED_UFUNCS:
        if handler is None:
            table.pop(ufunc, None)
        else:
            table[ufunc] = handler


def _handle_function(func: Any, handler: Callable[..., Any]) -> None:
    for table in _HANDLED_FUNCTIONS:
        table[func] = handler


def _operator(name: str, reflected: str) -> Callable[[Any, Any], Any]:
    """numpy.add(a, b) on dualdiff numbers: the operator, from whichever side is ours."""
    def handler(a, b):
        r = getattr(a, name)(b) if _ours(a) else getattr(b, reflected)(a)
        if r is NotImplemented:
            raise TypeError(f"numpy {name.strip('_')} cannot mix {type(a).__name__} and {type(b).__name__}")
        return r
    return handler


def _comparison(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: op(primal(a), primal(b))


for _ufunc, (_fwd, _rev) in {np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
                             np.multiply: ("__mul__", "__rmul__"), np.true_divide: ("__truediv__", "__rtruediv__"),
                             np.power: ("__pow__", "__rpow__")}.items():
    _handle_ufunc(_ufunc, _operator(_fwd, _rev))
for _ufunc, _op in {np.less: operator.lt, np.less_equal: operator.le, np.greater: operator.gt,
                    np.greater_equal: operator.ge, np.equal: operator.eq, np.not_equal: operator.ne}.items():
    _handle_ufunc(_ufunc, _comparison(_op))
_handle_ufunc(np.negative, operator.neg)
_handle_ufunc(np.positive, operator.pos)
_handle_ufunc(np.square, lambda x: x * x)
_handle_ufunc(np.reciprocal, lambda x: 1 / x)


def _ours(x) -> bool:
    return type(x) is Dual or type(x) is Jet or hasattr(type(x), "__dualdiff_apply__")


def _np_sum(a, axis=None, **kwargs):
    if axis is not None or kwargs:
        return NotImplemented
    return a.sum()


_handle_function(np.sum, _np_sum)
_handle_function(np.ndim, lambda a: np.ndim(primal(a)))
_handle_function(np.shape, lambda a: np.shape(primal(a)))
_handle_function(np.size, lambda a, axis=None: np.size(primal(a), axis))


# ---------------------------------------------------------------------------
# Generation: one public function per rule, now and for every rule registered later
# ---------------------------------------------------------------------------
def _ufuncs_of(rule: Rule) -> list:
    """The numpy ufuncs of a rule's numpy names that this numpy has (np.asin: numpy >= 2)."""
    found = []
    for np_name in rule.numpy_names():
        uf = getattr(np, np_name, None)
        if isinstance(uf, np.ufunc) and uf.nin == rule.arity[0] and uf not in found:
            found.append(uf)
    return found


_generated_ufuncs: dict[str, list] = {}


# numpy's ufunc on an object array (np.exp(np.array([Dual(...), ...], dtype=object)))
# calls each element's method of the ufunc's name: Dual.exp, Jet.arcsin, ...  Generated
# with the ufunc handlers, so an object array of Duals or Jets works as numpy code expects.
_NUMBER_CLASSES = (Dual, Jet)
_methods_made: dict[str, list] = {}


def _element_method(f: Callable[..., Any], uf_name: str) -> Callable[..., Any]:
    def method(self):
        return f(self)
    method.__name__ = method.__qualname__ = uf_name
    method.__doc__ = f"numpy.{uf_name} on an object array calls this for each element: dualdiff's {f.__name__}."
    return method


def _refusing_method(uf_name: str) -> Callable[..., Any]:
    def method(self):
        raise TypeError(f"numpy.{uf_name} is not supported on an object array of dualdiff numbers "
                        f"({type(self).__name__}): no rule for {uf_name}; numpy asked each element "
                        f"for a .{uf_name}() method")
    method.__name__ = method.__qualname__ = uf_name
    method._refusing = True
    return method


def _refuse_unhandled_object_ufuncs() -> None:
    """numpy ufuncs with an object loop (which calls each element's method of the ufunc's
    name) and no rule: the element raises TypeError naming the call, instead of numpy's
    'no callable floor method' or a float conversion error.  Generated rules replace
    these methods (see _generate)."""
    for uf in list(vars(np).values()):  # vars, not dir+getattr: that would import numpy's lazy submodules
        if not isinstance(uf, np.ufunc) or uf.nin != 1 or uf.nout != 1 or "O->O" not in uf.types:
            continue
        if uf.__name__ in ("conjugate", "negative", "positive", "absolute", "square", "reciprocal"):
            continue  # conj(x) = x, operators: numpy and dualdiff handle these through operators
        for cls in _NUMBER_CLASSES:
            if not hasattr(cls, uf.__name__):
                setattr(cls, uf.__name__, _refusing_method(uf.__name__))
    for cls in _NUMBER_CLASSES:
        cls.conjugate = lambda self: self  # a real number is its own conjugate (numpy.conj)
        # math.floor / numpy.floor on an object array: piecewise constant, no derivative to keep
        for dunder in ("__floor__", "__ceil__", "__trunc__"):
            setattr(cls, dunder, _refusing_rounding(dunder.strip("_")))


def _refusing_rounding(fname: str) -> Callable[..., Any]:
    def method(self, *_):
        raise TypeError(f"{fname} (math.{fname} or numpy.{fname}) is not supported on dualdiff numbers "
                        f"({type(self).__name__}): it is piecewise constant and dualdiff has no rule for it; "
                        f"apply it to the value (.value / .coeffs[0]) if that is what you mean")
    method.__name__ = method.__qualname__ = f"__{fname}__"
    return method


def _generate(name: str, rule: Rule | None) -> None:
    for uf in _generated_ufuncs.pop(name, []):
        _handle_ufunc(uf, None)
    for uf_name in _methods_made.pop(name, []):
        for cls in _NUMBER_CLASSES:
            if uf_name in cls.__dict__:
                setattr(cls, uf_name, _refusing_method(uf_name))
    if rule is None:
        globals().pop(name, None)
        ops.unregister(name)
        if name in __all__:
            __all__.remove(name)
        return
    f = _public(rule, _make(rule))
    globals()[name] = f
    ops.register(name, f)
    if name not in __all__:
        __all__.append(name)
    _generated_ufuncs[name] = _ufuncs_of(rule)
    for uf in _generated_ufuncs[name]:
        _handle_ufunc(uf, f)
        if uf.nin == 1 and not any(uf.__name__ in c.__dict__ and not getattr(c.__dict__[uf.__name__], "_refusing", False)
                                   for c in _NUMBER_CLASSES):
            for cls in _NUMBER_CLASSES:
                setattr(cls, uf.__name__, _element_method(f, uf.__name__))
            _methods_made.setdefault(name, []).append(uf.__name__)


for _helper in (primal, select, softmax_formula, logsumexp_formula, power_scalar, is_integral):
    ops.register(_helper.__name__, _helper)
on_change(_generate)
_refuse_unhandled_object_ufuncs()


def numpy_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """numpy's ufunc protocol for other number-like types (the tracer's recorder): the
    handlers Dual uses."""
    return dispatch_ufunc(_dual_module.HANDLED_UFUNCS, ufunc, method, inputs, kwargs)


def numpy_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """numpy's function protocol for other number-like types, as :func:`numpy_ufunc`."""
    return dispatch_function(_dual_module.HANDLED_FUNCTIONS, func, args, kwargs)
