"""Stable primal kernels for Python floats and numpy arrays, and the backend dispatch.

A *backend* is the kind of number a primal value is: ``"float"`` (Python and numpy
scalars, computed with :mod:`math` so that domain errors raise like ``math`` does),
``"numpy"`` (arrays: numpy semantics, nan/inf with numpy's warnings), ``"mpmath"``
(arbitrary precision) or ``"sympy"`` (exact).  Nothing here knows about derivatives.

The activations are written so that no intermediate overflows:

* sigmoid(x) = 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0,
* softplus(x) = max(x, 0) + log1p(e^-|x|),
* logsumexp(x) = x_k + log1p(sum_{j != k} e^(x_j - x_k)) with k = argmax(x): the
  largest term is exactly 1, so it is left out of the sum rather than added and lost.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

# ---------------------------------------------------------------------------
# Backend classification (cached per type: the hot path is one dict lookup)
# ---------------------------------------------------------------------------
_BACKEND: dict[type, str] = {float: "float", int: "float", bool: "float", np.ndarray: "numpy"}


def backend_of(x: Any) -> str:
    """Name the backend of a primal value: float, numpy, mpmath, sympy or other."""
    t = type(x)
    b = _BACKEND.get(t)
    if b is None:
        mod = t.__module__ or ""
        if issubclass(t, (np.floating, np.integer, np.bool_)):
            b = "float"
        elif issubclass(t, np.ndarray):
            b = "numpy"
        elif mod.startswith("mpmath"):
            b = "mpmath"
        elif mod.startswith("sympy"):
            b = "sympy"
        elif isinstance(x, (list, tuple)):
            b = "sequence"
        else:
            b = "other"
        _BACKEND[t] = b
    return b


_LAZY: dict[str, Any] = {}  # the lazily imported modules, once imported (a kernel asks per call)


def is_complex_number(v: Any) -> bool:
    """A complex constant (Python, numpy scalar or array, mpmath mpc) or a sympy number that
    is not real.  Python's own ``(-8) ** (1/3)`` is complex: a Dual or Jet that met one would
    carry a complex value through a real computation."""
    t = type(v)
    if t is float or t is int:  # the hot path: one or two identity checks
        return False
    if t is complex or isinstance(v, np.complexfloating):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind == "c"
    kind = backend_of(v)
    if kind == "mpmath":
        return t.__name__ == "mpc"
    if kind == "sympy" and getattr(v, "is_number", False):
        return v.is_real is False or (v.is_real is None and v.is_extended_real is False)
    return False


_OP_WORDS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}


def refuse_complex(v: Any, op: str) -> None:
    """Raise the domain error of a real computation that met a complex constant ``v`` in
    the operation ``op`` (``"mul"``, ``"__rmul__"``, ...); nothing for a real one."""
    if is_complex_number(v):
        name = op.strip("_").removeprefix("r") if op.startswith("__r") else op.strip("_")
        raise ValueError(
            f"{name} ({_OP_WORDS.get(name, name)}): domain error: the operand {v!r} is complex, and dualdiff differentiates real "
            f"functions (in Python, a negative base to a fractional power such as (-8) ** (1/3) is "
            f"complex; for a real cube root write dualdiff.cbrt(-8))"[:400])


def mpmath_module():
    m = _LAZY.get("mpmath")
    if m is None:
        import mpmath  # only reached when an mpmath value is already in play

        m = _LAZY["mpmath"] = mpmath
    return m


def sympy_module():
    m = _LAZY.get("sympy")
    if m is None:
        import sympy  # lazy: importing sympy costs ~0.5 s

        m = _LAZY["sympy"] = sympy
    return m


# ---------------------------------------------------------------------------
# Domain-checked scalar kernels: math's errors, re-raised with name and value
# ---------------------------------------------------------------------------
def checked(name: str, fn: Callable[..., float], need: str) -> Callable[..., float]:
    """Wrap a math function so a domain error names the function and the value.

    math.log(-1.0) says only "math domain error"; a user debugging a trace needs
    to know which function and which value.
    """

    def kernel(x, *params):
        try:
            return fn(x, *params)
        except (ValueError, OverflowError) as exc:
            kind = type(exc)
            if kind is ValueError:
                raise ValueError(f"{name}: math domain error at x = {x!r} ({name} needs {need})") from None
            raise OverflowError(f"{name}: result too large at x = {x!r}") from None
        except ZeroDivisionError:
            raise ZeroDivisionError(f"{name}: division by zero at x = {x!r} ({name} needs {need})") from None

    kernel.__name__ = name
    return kernel


def cot_float(x: float) -> float:
    return math.cos(x) / math.sin(x)


def sec_float(x: float) -> float:
    return 1.0 / math.cos(x)


def csc_float(x: float) -> float:
    return 1.0 / math.sin(x)


# --- sigmoid and friends, scalar -------------------------------------------
def sigmoid_float(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def softplus_float(x: float) -> float:
    return (x if x > 0 else 0.0) + math.log1p(math.exp(-abs(x)))


def relu_float(x: float) -> float:
    return x if x > 0 else 0.0 * x  # 0*x keeps the sign of zero out: relu(-0.0) = -0.0*0


def leaky_relu_float(x: float, alpha: float = 0.01) -> float:
    return x if x > 0 else alpha * x


def elu_float(x: float, alpha: float = 1.0) -> float:
    return x if x > 0 else alpha * math.expm1(x)


SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


def selu_float(x: float) -> float:
    return SELU_LAMBDA * x if x > 0 else SELU_LAMBDA * SELU_ALPHA * math.expm1(x)


# --- numpy ------------------------------------------------------------------
def sigmoid_np(x):
    x = np.asarray(x, dtype=float)
    z = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def softplus_np(x):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def relu_np(x):
    return np.where(x > 0, x, 0.0)


def leaky_relu_np(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)


def elu_np(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def selu_np(x):
    return np.where(x > 0, SELU_LAMBDA * x, SELU_LAMBDA * SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def erf_np(x):
    # numpy has no erf and scipy is not a dependency: math.erf element by element.
    return np.asarray(_erf_ufunc(np.asarray(x, dtype=float)), dtype=float)


_erfc_ufunc = np.frompyfunc(math.erfc, 1, 1)


def erfc_np(x):
    return np.asarray(_erfc_ufunc(np.asarray(x, dtype=float)), dtype=float)


def holds_mpmath(x: Any) -> bool:
    """An object array holding mpmath numbers (a high-precision vector or matrix)."""
    return type(x) is np.ndarray and x.dtype == object and any(backend_of(e) == "mpmath" for e in x.flat)


def mp_elementwise(f: Any, *args: Any) -> np.ndarray:
    """``f`` applied element by element over broadcast object arrays (mpmath has no ufuncs)."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    arrays = [np.broadcast_to(np.asarray(a, dtype=object), shape) for a in args]
    out = np.empty(shape, dtype=object)
    for ix in np.ndindex(*shape):
        out[ix] = f(*(a[ix] for a in arrays))
    return out


def softmax_np(x):
    if holds_mpmath(x):
        mp = mpmath_module()
        m = max(x.flat)
        z = mp_elementwise(lambda t: mp.exp(t - m), x)
        return z / mp.fsum(z.flat)
    x = np.asarray(x, dtype=float)
    z = np.exp(x - np.max(x))
    return z / np.sum(z)


def logsumexp_np(x):
    if holds_mpmath(x):
        mp = mpmath_module()
        m = max(x.flat)
        return m + mp.log(mp.fsum(mp.exp(t - m) for t in x.flat))
    x = np.asarray(x, dtype=float).ravel()
    if x.size == 0:
        return -np.inf
    k = int(np.argmax(x))
    m = x[k]
    if not np.isfinite(m):
        return m
    rest = np.delete(x, k)
    return m + np.log1p(np.sum(np.exp(rest - m)))


# --- inverse and reciprocal functions, scalar and numpy ---------------------
# sech, csch through e^-|x|: 1/cosh(x) would overflow (math.cosh(1000) raises) where the
# true value is a tiny number.
def sech_float(x: float) -> float:
    z = math.exp(-abs(x))
    return 2.0 * z / (1.0 + z * z)


def sech_np(x):
    z = np.exp(-np.abs(x))
    return 2.0 * z / (1.0 + z * z)


def csch_float(x: float) -> float:
    a = abs(x)
    return math.copysign(2.0 * math.exp(-a) / -math.expm1(-2.0 * a), x)  # 1/sinh(x); x = 0 divides by 0


def csch_np(x):
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a == 0, np.copysign(np.inf, x), np.sign(x) * 2.0 * np.exp(-a) / -np.expm1(-2.0 * a))


def coth_float(x: float) -> float:
    return 1.0 / math.tanh(x)


def acot_float(x: float) -> float:
    # acot(x) = atan(1/x), as sympy and mpmath define it (a jump at 0, where it is π/2)
    return math.pi / 2 if x == 0 else math.atan(1.0 / x)


def acot_np(x):
    with np.errstate(divide="ignore"):
        return np.where(x == 0, np.pi / 2, np.arctan(1.0 / np.where(x == 0, 1.0, x)))


def asec_float(x: float) -> float:
    return math.acos(1.0 / x)


def acsc_float(x: float) -> float:
    return math.asin(1.0 / x)


def cbrt_float(x: float) -> float:
    # the real cube root; math.cbrt is Python >= 3.11 only
    return math.copysign(abs(x) ** (1.0 / 3.0), x) if not hasattr(math, "cbrt") else math.cbrt(x)


def exp2_float(x: float) -> float:
    return 2.0 ** x


def logit_float(x: float) -> float:
    # log(x) - log1p(-x): no cancellation in 1 - x for small x, and exact where x/(1-x) rounds
    return math.log(x) - math.log1p(-x)


def logit_np(x):
    return np.log(x) - np.log1p(-x)


def max_float(x: float, y: float) -> float:
    if x != x or y != y:  # nan propagates, as numpy.maximum
        return math.nan
    return x if x >= y else y


def min_float(x: float, y: float) -> float:
    if x != x or y != y:
        return math.nan
    return x if x <= y else y


def logaddexp_float(x: float, y: float) -> float:
    # max + log1p(e^-|x-y|): the larger term is factored out, so nothing overflows
    m = x if x >= y else y
    if m == -math.inf or m == math.inf:
        return m
    return m + math.log1p(math.exp(-abs(x - y)))


# ---------------------------------------------------------------------------
# Constants in the precision of the computation
# ---------------------------------------------------------------------------
def lift_constant(c: Any, like: Any) -> Any:
    """A plain int/float constant in the precision of ``like``'s backend.

    With mpmath values, math.log(10) would cap ``log(x, 10)`` at 16 digits: the constant
    becomes an mpf instead (a float by the decimal it was written as, 0.01 -> 1/100 at the
    working precision).  With sympy values an integral constant becomes exact.
    """
    if type(c) is not int and type(c) is not float:
        return c
    kind = backend_of(like)
    if kind == "mpmath":
        return mpmath_module().mpf(c if type(c) is int else repr(c))
    if kind == "sympy" and float(c).is_integer():
        return sympy_module().Integer(int(c))
    return c


_selu_cache: dict = {}


def selu_constants_mp() -> tuple:
    """SELU's λ and α at mpmath's working precision, from their closed forms
    (Klambauer et al. 2017); the floats SELU_LAMBDA/SELU_ALPHA are these rounded."""
    mp = mpmath_module()
    key = mp.mp.prec
    if key not in _selu_cache:
        with mp.workprec(key + 20):
            e1 = mp.erfc(1 / mp.sqrt(2))
            alpha = -mp.sqrt(2 / mp.pi) / (e1 * mp.exp(mp.mpf(1) / 2) - 1)
            lam = (1 - e1 * mp.sqrt(mp.e)) * mp.sqrt(2 * mp.pi) * (
                2 * mp.erfc(mp.sqrt(2)) * mp.e ** 2 + mp.pi * e1 ** 2 * mp.e
                - 2 * (2 + mp.pi) * e1 * mp.sqrt(mp.e) + mp.pi + 2) ** (-mp.mpf(1) / 2)
        _selu_cache[key] = (+lam, +alpha)
    return _selu_cache[key]
