"""Differentiation operators: derivative, gradient, jacobian, jvp, hessian, taylor.

Each call seeds its input with a fresh tag (see :mod:`dualdiff.dual`), so operators
nest without perturbation confusion:

>>> import dualdiff as dd
>>> dd.derivative(lambda x: x * dd.derivative(lambda y: x + y, 1.0), 1.0)
1.0
>>> dd.gradient(lambda w: w[0] ** 3 * w[1] + 3 * w[0], [2.0, 3.0])
array([39.,  8.])
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Callable

import numpy as np

from .dual import Dual, full_deriv, new_tag, pack_objects
from .functions import one_side
from .jet import Jet
from .numerics import backend_of

# The highest Taylor order taylor() and nth_derivative() accept: a Jet of order n costs
# O(n²) per operation (O(n³) for a rule), so 1000 is already minutes of work.
MAX_TAYLOR_ORDER = 1000


@contextlib.contextmanager
def _on_side(side: str | None, who: str):
    """While f runs: kinked rules met exactly at their kink take this side's branch."""
    if side not in (None, "left", "right"):
        raise ValueError(f"{who}: side must be 'left', 'right' or None, got {side!r}")
    token = one_side.set(side)
    try:
        yield
    finally:
        one_side.reset(token)


# ---------------------------------------------------------------------------
# seeding and reading back
# ---------------------------------------------------------------------------
def _as_point(x: Any) -> Any:
    """Lists become float arrays; numpy integers Python ints (no wrap-around: int8(100)**3);
    Duals (an outer derivative) and exact values pass through; an object array or list of
    Duals becomes one array-valued Dual."""
    if isinstance(x, (np.integer, np.bool_)):
        return int(x)
    if isinstance(x, (list, tuple)):
        arr = np.asarray(x) if not any(type(e) is Dual for e in x) else np.array(x, dtype=object)
        if arr.dtype == object:
            return pack_objects(arr)
        return arr.astype(float) if arr.dtype.kind in "biu" else arr
    if isinstance(x, np.ndarray) and x.dtype == object:
        return pack_objects(x)
    if isinstance(x, np.ndarray) and x.dtype.kind in "biu":
        return x.astype(float)
    return x


def _one_like(x: Any) -> Any:
    kind = backend_of(x)
    if kind == "numpy":
        return np.ones(np.shape(x))
    if kind == "sympy":
        import sympy

        return sympy.Integer(1)
    return 1.0


def _zero_deriv(y: Any, ndir: int) -> Any:
    shape = np.shape(_primal(y))
    if ndir:
        return np.zeros(shape + (ndir,))
    return np.zeros(shape) if shape else 0.0


def _primal(y: Any) -> Any:
    while type(y) is Dual:
        y = y.value
    return y


def _split(y: Any, tag: int, ndir: int = 0) -> tuple[Any, Any]:
    """(value, derivative) of f's result for one tag, keeping tuples and lists."""
    if isinstance(y, (tuple, list)):
        parts = [_split(item, tag, ndir) for item in y]
        return type(y)(p[0] for p in parts), type(y)(p[1] for p in parts)
    if type(y) is np.ndarray and y.dtype == object:  # numpy code built an array of Duals
        y = pack_objects(y)
    elif type(y) is Jet and any(type(c) is Dual for c in y.coeffs):
        # a Jet whose coefficients depend on this input: differentiate each coefficient
        parts = [_split(c, tag, ndir) for c in y.coeffs]
        return Jet([p[0] for p in parts]), Jet([p[1] for p in parts])
    if type(y) is Dual and y.tag == tag:
        d = full_deriv(y)
        if isinstance(d, np.ndarray) and not d.flags.writeable:
            d = d.copy()
        return y.value, d
    # f's result does not depend on this input (it may still be an outer Dual).
    return y, _zero_deriv(y, ndir)


# ---------------------------------------------------------------------------
# first order
# ---------------------------------------------------------------------------
def value_and_derivative(f: Callable[[Any], Any], x: Any, side: str | None = None) -> tuple[Any, Any]:
    """(f(x), f'(x)) in one forward pass. Arrays are differentiated elementwise.

    ``side="left"`` or ``"right"``: where f meets a kink (relu, abs, … at 0), the
    one-sided derivative instead of the convention (which comes with a KinkWarning).

    >>> value_and_derivative(lambda x: x ** 2, 3.0)
    (9.0, 6.0)
    >>> import dualdiff as dd
    >>> value_and_derivative(dd.abs, 0.0, side="left")
    (0.0, -1.0)
    """
    if side is not None:
        with _on_side(side, "value_and_derivative"):
            return value_and_derivative(f, x)
    if type(x) is float:  # the common case, without the generic seeding and reading back
        tag = new_tag()
        y = f(Dual(x, 1.0, tag, 0))
        if type(y) is Dual and y.tag == tag and type(y.value) is float and type(y.deriv) is float:
            return y.value, y.deriv
        return _split(y, tag)
    x = _as_point(x)
    tag = new_tag()
    return _split(f(Dual(x, _one_like(x), tag, 0)), tag)


def derivative(f: Callable[[Any], Any], x: Any, side: str | None = None) -> Any:
    """f'(x). ``f`` may return a scalar, an array or a tuple; the result has its structure.

    ``side="left" | "right"`` gives one-sided derivatives at kinks (see value_and_derivative).

    >>> import dualdiff as dd
    >>> derivative(dd.sin, 0.0)
    1.0
    >>> derivative(dd.relu, 0.0, side="right")
    1.0
    """
    return value_and_derivative(f, x, side)[1]


# Inputs of up to ONE_PASS entries are differentiated in one pass with every direction
# at once (an n×n identity as seed); larger ones in passes of CHUNK directions each
# (ForwardDiff's chunk mode), so memory stays O(n·CHUNK) instead of O(n²): a gradient
# of 20,000 inputs seeds 20,000×CHUNK numbers per pass, not 20,000².  Each direction's
# arithmetic is the same in either mode, so the results are identical.
ONE_PASS = 1000
CHUNK = 128


def _chunks(w: Any, chunk: int | None) -> tuple[Any, tuple, int, int, list]:
    """(point, value shape, number of entries, tag, [(start, stop), ...]) for a seeding."""
    w = _as_point(w)
    shape = tuple(np.shape(_primal(w) if type(w) is Dual else w))
    n = int(np.prod(shape)) if shape else 1
    if chunk is not None and (not isinstance(chunk, (int, np.integer)) or chunk < 1):
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    size = chunk if chunk is not None else (n if n <= ONE_PASS else CHUNK)
    size = max(1, min(size, n)) if n else 1
    return w, shape, n, new_tag(), [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _seed(w: Any, shape: tuple, n: int, tag: int, lo: int, hi: int) -> Dual:
    """w with directions lo..hi-1 (unit tangents of those entries)."""
    c = hi - lo
    d = np.zeros((n, c))
    d[np.arange(lo, hi), np.arange(c)] = 1.0
    return Dual(w, d.reshape(shape + (c,)), tag, c)


def _join(parts: list, axis: int) -> Any:
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)


def gradient(f: Callable[[Any], Any], w: Any, *, chunk: int | None = None) -> np.ndarray:
    """∇f(w) for scalar f of an array w: all directions in one forward pass (in passes of
    ``chunk`` directions for a large w), shaped like w.

    >>> gradient(lambda w: w[0] * w[1], [2.0, 5.0])
    array([5., 2.])
    """
    w, shape, n, tag, spans = _chunks(w, chunk)
    if n == 0:
        y = f(Dual(w, np.zeros(shape), tag, 0))
        if np.ndim(_primal(y)) != 0:
            raise ValueError(f"gradient: f must return a scalar, got shape {np.shape(_primal(y))}; use jacobian")
        return np.zeros(shape)
    parts = []
    for lo, hi in spans:
        seed = _seed(w, shape, n, tag, lo, hi)
        y = f(seed)
        if type(y) is np.ndarray and y.dtype == object:
            y = pack_objects(y)
        if np.ndim(_primal(y)) != 0:
            raise ValueError(f"gradient: f must return a scalar, got shape {np.shape(_primal(y))}; use jacobian")
        parts.append(_split(y, tag, seed.ndir)[1])
    d = _join(parts, 0)
    return d if np.shape(d) == shape else np.reshape(d, shape)


def jacobian(f: Callable[[Any], Any], w: Any, *, chunk: int | None = None) -> np.ndarray:
    """The Jacobian J[i, j] = ∂f_i/∂w_j as a 2-D array (outputs and inputs flattened), in
    one forward pass (in passes of ``chunk`` directions for a large w).

    >>> jacobian(lambda w: [w[0] * w[1], w[0] + w[1]], [2.0, 5.0])
    array([[5., 2.],
           [1., 1.]])
    """
    w, shape, n, tag, spans = _chunks(w, chunk)
    if n == 0:
        y = _flat_rows(f(Dual(w, np.zeros(shape), tag, 0)), tag, 0, value_only=True)
        return np.zeros((np.size(y), 0))
    parts = [_flat_rows(f(_seed(w, shape, n, tag, lo, hi)), tag, hi - lo) for lo, hi in spans]
    return _join(parts, 1)


def _flat_rows(y: Any, tag: int, c: int, value_only: bool = False) -> Any:
    """f's result (a scalar, an array, a list or tuple of them) as rows: (outputs, c)."""
    if isinstance(y, (list, tuple)):
        rows = [_flat_rows(item, tag, c, value_only) for item in y]
        if value_only:
            return np.concatenate([np.ravel(r) for r in rows]) if rows else np.zeros(0)
        return _join(rows, 0) if rows else np.zeros((0, c))
    if type(y) is np.ndarray and y.dtype == object:
        y = pack_objects(y)
    if value_only:
        return np.asarray(_primal(y), dtype=float)
    _, d = _split(y, tag, c)
    return np.reshape(d, (-1, c))


def jvp(f: Callable[[Any], Any], w: Any, v: Any) -> tuple[Any, Any]:
    """(f(w), J·v): one forward pass along the direction v.

    >>> jvp(lambda w: w[0] * w[1], [2.0, 5.0], [1.0, 0.0])
    (10.0, 5.0)
    """
    w = _as_point(w)
    v = _as_point(v)
    tag = new_tag()
    return _split(f(Dual(w, v, tag, 0)), tag)


def hessian(f: Callable[[Any], Any], w: Any) -> np.ndarray:
    """The Hessian of scalar f at w: forward over forward, each level with its own tag.

    >>> hessian(lambda w: w[0] ** 2 * w[1], [1.0, 2.0])
    array([[4., 2.],
           [2., 0.]])
    """
    return jacobian(lambda u: gradient(f, u), w)


# ---------------------------------------------------------------------------
# higher order with Jets
# ---------------------------------------------------------------------------
def taylor(f: Callable[[Any], Any], x: Any, order: int, side: str | None = None) -> list:
    """Taylor coefficients [f(x), f'(x), f''(x)/2!, …] up to ``order``, in one Jet pass.

    ``order`` is at most MAX_TAYLOR_ORDER (1000).  ``side="left" | "right"``: at a kink,
    the coefficients of the branch on that side (one-sided derivatives).

    >>> import dualdiff as dd
    >>> taylor(dd.exp, 0.0, 3)
    [1.0, 1.0, 0.5, 0.16666666666666666]
    >>> taylor(dd.abs, 0.0, 2, side="left")
    [0.0, -1.0, 0.0]
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
        raise ValueError(f"taylor: order must be a non-negative integer, got {order!r}")
    if order > MAX_TAYLOR_ORDER:
        raise ValueError(f"taylor: order {order} is above the limit of {MAX_TAYLOR_ORDER} (MAX_TAYLOR_ORDER)")
    order = int(order)
    x = _as_point(x)
    one = _one_like(x)
    seed = Jet([x, one] + [0 * one] * (order - 1)) if order >= 1 else Jet([x])
    with _on_side(side, "taylor"):
        y = f(seed)
    return _coefficients(y, order)


def _coefficients(y: Any, order: int) -> list:
    """f's Taylor coefficients from its result: a Jet; an array, list or tuple of Jets and
    numbers (numpy code on Jets: np.array([t, t**2])), as one array per order; a constant."""
    if type(y) is Jet:
        return list(y.coeffs)
    if (type(y) is np.ndarray and y.dtype == object) or isinstance(y, (list, tuple)):
        flat_in = y.ravel() if type(y) is np.ndarray else y
        if any(type(e) is Jet for e in flat_in) or any(isinstance(e, (list, tuple, np.ndarray)) for e in flat_in):
            per = [_coefficients(e, order) for e in flat_in]
            out = []
            for k in range(order + 1):
                a = np.empty(len(per), dtype=object)
                a[:] = [p[k] for p in per]
                a = a.reshape(np.shape(y)) if type(y) is np.ndarray else a
                try:
                    a = a.astype(float)
                except (TypeError, ValueError):
                    pass
                out.append(a)
            return out
        y = np.asarray(y) if isinstance(y, (list, tuple)) else y
    return [y] + [0 * y] * order


def nth_derivative(f: Callable[[Any], Any], x: Any, n: int, side: str | None = None) -> Any:
    """The n-th derivative f⁽ⁿ⁾(x), from one Jet of order n (n <= MAX_TAYLOR_ORDER).

    >>> import dualdiff as dd
    >>> nth_derivative(dd.sin, 0.0, 3)
    -1.0
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"nth_derivative: n must be a non-negative integer, got {n!r}")
    if n > MAX_TAYLOR_ORDER:
        raise ValueError(f"nth_derivative: order {n} is above the limit of {MAX_TAYLOR_ORDER} (MAX_TAYLOR_ORDER)")
    return taylor(f, x, n, side)[n] * math.factorial(n)
