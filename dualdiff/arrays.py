"""Array code on Duals: numpy's array functions with their derivatives (SPEC §2).

An array-valued Dual holds ``value`` (an ndarray, or an array-valued Dual of a smaller
tag inside a Hessian) and ``deriv`` with the value's shape plus, when ``ndir`` > 0, a
trailing axis of directions.  Every numpy function below is linear or bilinear in its
array arguments, or selects entries of them, so its derivative is the same function
applied to the derivative with the direction axis carried along:

    sum(x, axis)'      = sum(x', axis)                 (axes counted on the value)
    (a @ b)'           = a' @ b + a @ b'               (tensordot keeps directions last)
    reshape(x, s)'     = reshape(x', s + (n,))
    max(x, axis)'      = x' at the arg-max entry of each slice
    solve(A, b)'       = solve(A, b' - A' x),   inv(A)' = -A⁻¹ A' A⁻¹,   det(A)' = det(A) tr(A⁻¹ A')

Values are computed by numpy itself on the values (so they are numpy's, bit for bit);
derivatives by numpy functions on the derivatives, which dispatch back here when they
are Duals themselves, so nesting works at any depth.  The handlers are registered in
``dual.HANDLED_FUNCTIONS`` / ``HANDLED_UFUNCS``; a numpy function without a handler
raises numpy's ``TypeError: no implementation found for 'numpy.<name>'`` — a derivative
is never dropped.

>>> import numpy as np, dualdiff as dd
>>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> dd.jacobian(lambda x: np.sum(W @ x, axis=0, keepdims=True), [1.0, 1.0])
array([[4., 6.]])
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .dual import HANDLED_FUNCTIONS, HANDLED_UFUNCS, Dual, full_deriv, pack_objects
from .registry import ops

try:  # the kink warning class of the rule table's conventions, once it exists
    from .errors import KinkWarning as _KinkWarning
except ImportError:  # pragma: no cover - until errors.KinkWarning lands
    _KinkWarning = UserWarning

_ndarray = np.ndarray

__all__ = ["pack_objects", "unpack"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _implements(*funcs: Callable) -> Callable:
    def register(handler):
        for f in funcs:
            HANDLED_FUNCTIONS[f] = handler
        return handler
    return register


def _obj(x: Any) -> Any:
    """Object arrays of Duals become one Dual; lists and tuples of Duals too."""
    if type(x) is _ndarray and x.dtype == object:
        return pack_objects(x)
    if isinstance(x, (list, tuple)) and _holds_dual(x):
        return pack_objects(_object_array(x))
    return x


def _object_array(seq) -> np.ndarray:
    try:
        a = np.array(seq, dtype=object)
    except ValueError:
        raise TypeError("a ragged list of Duals cannot be made an array") from None
    return a


def _holds_dual(seq) -> bool:
    for e in seq:
        if type(e) is Dual or (isinstance(e, (list, tuple)) and _holds_dual(e)):
            return True
        if type(e) is _ndarray and e.dtype == object and any(type(v) is Dual for v in e.ravel()):
            return True
    return False


def _top(*xs: Any) -> tuple[int, int]:
    """(tag, ndir) of the outermost Dual layer among the arguments."""
    tag, n = -1, 0
    for x in xs:
        if type(x) is Dual:
            if x.tag > tag:
                tag, n = x.tag, x.ndir
            elif x.tag == tag:
                n = n or x.ndir
    return tag, n


def _split(x: Any, tag: int, n: int) -> tuple[Any, Any]:
    """(value, derivative with n directions) of x at layer ``tag``; None for a constant."""
    if type(x) is Dual and x.tag == tag:
        d = full_deriv(x)
        if n and not x.ndir:  # a one-direction Dual among n-direction ones: same on each
            d = d[..., None] if type(d) is not float else np.full(n, d)
        return x.value, d
    return x, None


def _value_at(x: Any, tag: int) -> Any:
    """x's value at layer ``tag`` (x itself for a constant), without building the zero
    derivative of a constant (h x h x n zeros for a constant matrix)."""
    return x.value if type(x) is Dual and x.tag == tag else x


def _zeros(shape: tuple, n: int) -> np.ndarray:
    return np.zeros(tuple(shape) + ((n,) if n else ()))


def _dual(v: Any, d: Any, tag: int, n: int) -> Dual:
    """A Dual from computed parts; numpy scalars become Python floats (as indexing does)."""
    if isinstance(v, np.generic):
        v = v.item()
    if not n and isinstance(d, np.generic):
        d = d.item()
    return Dual(v, d, tag, n)


def _ndim(x: Any) -> int:
    return np.ndim(x)


def _axes(axis: Any, ndim: int) -> tuple | None:
    """axis (None, int or tuple, possibly negative) as a tuple of non-negative value axes."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(_axis(a, ndim) for a in axis)
    return (_axis(axis, ndim),)


def _axis(a: Any, ndim: int) -> int:
    a = int(a)
    if not -ndim <= a < max(ndim, 1):
        raise np.exceptions.AxisError(a, ndim) if hasattr(np, "exceptions") else ValueError(
            f"axis {a} is out of bounds for array of dimension {ndim}")
    return a % max(ndim, 1)


def _no_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(f"numpy.{name} with out= is not supported on Duals (the derivative has no place there)")


def _reject(name: str, **given: Any) -> None:
    for k, v in given.items():
        if v is not None and v is not np._NoValue:
            raise TypeError(f"numpy.{name}: the argument {k}= is not supported on Duals")


# ---------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------
def _reduction(name: str, a: Any, out: Any, rejected: dict, axis: Any, keepdims: bool,
               body: Callable[[Dual, tuple, int], Any], **numpy_kw: Any) -> Any:
    """What every reduction handler shares: ``out=`` and unsupported arguments refused,
    object arrays of Duals packed, plain arrays handed back to numpy, and for a Dual the
    reduced value axes (all of them for ``axis=None``) and how many entries each result
    reduces; ``body(a, axes, count)`` computes the Dual."""
    _no_out(name, out)
    _reject(name, **rejected)
    a = _obj(a)
    if type(a) is not Dual:
        return getattr(np, name)(a, axis=axis, keepdims=keepdims, **numpy_kw)
    shape = np.shape(a.value)
    ax = _axes(axis, len(shape))
    if ax is None:
        ax = tuple(range(len(shape)))
    count = int(np.prod([shape[i] for i in ax]))
    return body(a, ax, count)


@_implements(np.sum)
def _sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    return _reduction("sum", a, out, dict(dtype=dtype, initial=initial, where=where), axis, keepdims,
                      lambda a, ax, count: _dual(np.sum(a.value, axis=axis, keepdims=keepdims),
                                                 np.sum(full_deriv(a), axis=ax, keepdims=keepdims), a.tag, a.ndir))


@_implements(np.mean)
def _mean(a, axis=None, dtype=None, out=None, keepdims=False, where=np._NoValue):
    def body(a, ax, count):
        d = np.sum(full_deriv(a), axis=ax, keepdims=keepdims)
        return _dual(np.mean(a.value, axis=axis, keepdims=keepdims), d / count if count else d * np.nan,
                     a.tag, a.ndir)
    return _reduction("mean", a, out, dict(dtype=dtype, where=where), axis, keepdims, body)


def _spread(name: str, a, axis, dtype, out, ddof, keepdims, where, mean, correction) -> Any:
    """var and std: the derivative through var = Σ (x - mean)² / (N - ddof), the value numpy's;
    d sqrt(var) = d var / (2 std) (infinite where every entry is equal: a kink of std)."""
    def body(a, ax, count):
        centred = a - _mean(a, axis=axis, keepdims=True)
        dvar = _sum(centred * centred, axis=axis, keepdims=keepdims).deriv / (count - ddof)
        y = getattr(np, name)(a.value, axis=axis, ddof=ddof, keepdims=keepdims)
        if name == "std":
            dvar = dvar / (2 * (y[..., None] if a.ndir and np.ndim(y) else y))
        return _dual(y, dvar, a.tag, a.ndir)
    return _reduction(name, a, out, dict(dtype=dtype, where=where, mean=mean, correction=correction), axis,
                      keepdims, body, ddof=ddof)


@_implements(np.var)
def _var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue, mean=np._NoValue,
         correction=np._NoValue):
    return _spread("var", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


@_implements(np.std)
def _std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue, mean=np._NoValue,
         correction=np._NoValue):
    return _spread("std", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


def _to_last(x: Any, ax: tuple, ndim: int, n: int) -> Any:
    """x with the value axes ``ax`` moved to the end and merged into one (directions,
    when there are any, stay last)."""
    rest = [i for i in range(ndim) if i not in ax]
    order = rest + list(ax) + ([ndim] if n else [])
    shape = np.shape(x)
    y = np.transpose(x, order) if order != list(range(len(order))) else x
    new = tuple(shape[i] for i in rest) + (int(np.prod([shape[i] for i in ax])),) + ((n,) if n else ())
    return np.reshape(y, new)


def _keep(x: Any, shape: tuple, ax: tuple, keepdims: bool, n: int) -> Any:
    if not keepdims:
        return x
    kept = tuple(1 if i in ax else s for i, s in enumerate(shape)) + ((n,) if n else ())
    return np.reshape(x, kept)


@_implements(np.prod)
def _prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    def body(a, ax, count):
        v, d, n = a.value, full_deriv(a), a.ndir
        shape = np.shape(v)
        y = np.prod(v, axis=axis, keepdims=keepdims)
        V = _to_last(v, ax, len(shape), 0)        # rest + (K,)
        D = _to_last(d, ax, len(shape), n)        # rest + (K,) [+ (n,)]
        K = np.shape(V)[-1]
        # the product of the *other* entries of each slice, without dividing (zeros allowed):
        # exclusive running products from the left and from the right
        if type(V) is _ndarray:
            ones = np.ones(np.shape(V)[:-1] + (1,))
            left = np.cumprod(np.concatenate([ones, V[..., :-1]], axis=-1), axis=-1)
            right = np.cumprod(np.concatenate([ones, V[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
            others = left * right
        else:  # a Dual value (nested): the same running products, entry by entry
            lefts, acc = [], 1.0
            for k in range(K):
                lefts.append(acc)
                acc = acc * V[..., k]
            rights, acc = [None] * K, 1.0
            for k in range(K - 1, -1, -1):
                rights[k] = acc
                acc = acc * V[..., k]
            others = np.stack([_broadcast_like(lefts[k] * rights[k], np.shape(V)[:-1]) for k in range(K)], axis=-1) \
                if K else _zeros(np.shape(V), 0)
        if n:
            others = others[..., None]
        dy = np.sum(others * D, axis=-2 if n else -1)
        return _dual(y, _keep(dy, shape, ax, keepdims, n) if keepdims else dy, a.tag, n)
    return _reduction("prod", a, out, dict(dtype=dtype, initial=initial, where=where), axis, keepdims, body)


def _broadcast_like(x: Any, shape: tuple) -> Any:
    if np.shape(x) == tuple(shape):
        return x
    return np.broadcast_to(x, shape) if type(x) is Dual else np.broadcast_to(np.asarray(x, dtype=float), shape)


def _extremum(name: str, pick: Callable) -> Callable:
    def handler(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
        def body(a, ax, count):
            v, d, n = a.value, full_deriv(a), a.ndir
            shape = np.shape(v)
            if 0 in shape:
                raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
            P = ops.primal(v)
            Pl = _to_last(np.asarray(P), ax, len(shape), 0)
            k = pick(Pl, axis=-1)                       # the first arg-max/arg-min of each slice
            if len(shape) and np.any(np.sum(Pl == np.take_along_axis(Pl, k[..., None], axis=-1), axis=-1) > 1):
                _tie_warning(name)
            index = tuple(np.indices(k.shape)) + (k,)
            y = _to_last(v, ax, len(shape), 0)[index]
            dy = _to_last(d, ax, len(shape), n)[index]
            return _dual(_keep(y, shape, ax, keepdims, 0), _keep(dy, shape, ax, keepdims, n), a.tag, n)
        return _reduction(name, a, out, dict(initial=initial, where=where), axis, keepdims, body)
    return handler


def _tie_warning(name: str) -> None:
    # A tie is a kink of max/min: the derivative taken is that of the first entry
    # (numpy's argmax/argmin), which is one of the one-sided choices.
    warnings.warn(f"{name}: a tie between entries is a kink; the derivative is that of the first "
                  f"of the tied entries (numpy's arg{name})", _KinkWarning, stacklevel=4)


HANDLED_FUNCTIONS[np.max] = HANDLED_FUNCTIONS[np.amax] = _extremum("max", np.argmax)
HANDLED_FUNCTIONS[np.min] = HANDLED_FUNCTIONS[np.amin] = _extremum("min", np.argmin)


@_implements(np.cumsum)
def _cumsum(a, axis=None, dtype=None, out=None):
    _no_out("cumsum", out)
    a = _obj(a)
    if type(a) is not Dual:
        return np.cumsum(a, axis=axis)
    if axis is None:
        a = _ravel(a)
        axis = 0
    ax = _axis(axis, a.ndim)
    return _dual(np.cumsum(a.value, axis=ax), np.cumsum(full_deriv(a), axis=ax), a.tag, a.ndir)


# ---------------------------------------------------------------------------
# layout: the same map on the value and on the derivative
# ---------------------------------------------------------------------------
def _layout(a: Any, on_value: Callable, on_deriv: Callable) -> Any:
    a = _obj(a)
    if type(a) is not Dual:
        return on_value(a)
    return _dual(on_value(a.value), on_deriv(full_deriv(a), a.ndir), a.tag, a.ndir)


@_implements(np.reshape)
def _reshape(a, newshape=None, order="C", *, shape=None, copy=None):
    target = shape if shape is not None else newshape
    if isinstance(target, (int, np.integer)):
        target = (int(target),)
    target = tuple(target)
    if order not in ("C", "F"):
        raise TypeError(f"numpy.reshape: order={order!r} is not supported on Duals")
    a = _obj(a)
    if type(a) is not Dual:
        return np.reshape(a, target, order=order)
    v = np.reshape(a.value, target, order=order)
    new = np.shape(v)
    d, n = full_deriv(a), a.ndir
    if not n:
        dd_ = np.reshape(d, new, order=order)
    elif order == "C":  # C order: the trailing direction axis stays the fastest
        dd_ = np.reshape(d, new + (n,))
    else:  # F order: put the directions first, where F order keeps them apart
        dd_ = np.moveaxis(np.reshape(np.moveaxis(d, -1, 0), (n,) + new, order="F"), 0, -1)
    return _dual(v, dd_, a.tag, n)


def _ravel(a, order="C"):
    return _reshape(a, (-1,), order=order)


HANDLED_FUNCTIONS[np.ravel] = _ravel


@_implements(np.transpose)
def _transpose(a, axes=None):
    a = _obj(a)
    if type(a) is not Dual:
        return np.transpose(a, axes)
    nd = a.ndim
    ax = tuple(reversed(range(nd))) if axes is None else tuple(_axis(i, nd) for i in axes)
    return _layout(a, lambda v: np.transpose(v, ax),
                   lambda d, n: np.transpose(d, ax + ((nd,) if n else ())))


@_implements(np.swapaxes)
def _swapaxes(a, axis1, axis2):
    a = _obj(a)
    nd = np.ndim(a)
    i, j = _axis(axis1, nd), _axis(axis2, nd)
    return _layout(a, lambda v: np.swapaxes(v, i, j), lambda d, n: np.swapaxes(d, i, j))


@_implements(np.moveaxis)
def _moveaxis(a, source, destination):
    a = _obj(a)
    nd = np.ndim(a)
    src = _axes(source, nd)
    dst = _axes(destination, nd)
    return _layout(a, lambda v: np.moveaxis(v, src, dst), lambda d, n: np.moveaxis(d, src, dst))


@_implements(np.squeeze)
def _squeeze(a, axis=None):
    a = _obj(a)
    nd = np.ndim(a)
    shape = np.shape(a)
    ax = _axes(axis, nd) if axis is not None else tuple(i for i, s in enumerate(shape) if s == 1)
    return _layout(a, lambda v: np.squeeze(v, axis=ax), lambda d, n: np.squeeze(d, axis=ax))


@_implements(np.expand_dims)
def _expand_dims(a, axis):
    a = _obj(a)
    nd = np.ndim(a)
    k = len(axis) if isinstance(axis, (tuple, list)) else 1
    ax = _axes(axis, nd + k)
    return _layout(a, lambda v: np.expand_dims(v, ax), lambda d, n: np.expand_dims(d, ax))


@_implements(np.broadcast_to)
def _broadcast_to(a, shape, subok=False):
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _layout(a, lambda v: np.broadcast_to(v, shape),
                   lambda d, n: np.broadcast_to(d, shape + ((n,) if n else ())))


@_implements(np.flip)
def _flip(a, axis=None):
    a = _obj(a)
    nd = np.ndim(a)
    ax = _axes(axis, nd) if axis is not None else tuple(range(nd))
    return _layout(a, lambda v: np.flip(v, ax), lambda d, n: np.flip(d, ax))


HANDLED_FUNCTIONS[np.fliplr] = lambda a: _flip(a, 1)
HANDLED_FUNCTIONS[np.flipud] = lambda a: _flip(a, 0)


@_implements(np.diagonal)
def _diagonal(a, offset=0, axis1=0, axis2=1):
    a = _obj(a)
    nd = np.ndim(a)
    i, j = _axis(axis1, nd), _axis(axis2, nd)

    def on_deriv(d, n):
        r = np.diagonal(d, offset, i, j)  # numpy puts the diagonal last: after the directions
        return np.moveaxis(r, -1, -2) if n else r
    return _layout(a, lambda v: np.diagonal(v, offset, i, j), on_deriv)


@_implements(np.trace)
def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _no_out("trace", out)
    a = _obj(a)
    if type(a) is not Dual:
        return np.trace(a, offset, axis1, axis2)
    diag = _diagonal(a, offset, axis1, axis2)
    return _dual(np.trace(a.value, offset, axis1, axis2), _sum(diag, axis=-1).deriv, a.tag, a.ndir)


def _triangle(name: str) -> Callable:
    def handler(m, k=0):
        m = _obj(m)
        if type(m) is not Dual:
            return getattr(np, name)(m, k)
        shape = np.shape(m)
        mask = getattr(np, name)(np.ones(shape[-2:], dtype=bool), k)
        return _where(mask, m, 0.0)
    return handler


HANDLED_FUNCTIONS[np.triu] = _triangle("triu")
HANDLED_FUNCTIONS[np.tril] = _triangle("tril")


@_implements(np.diff)
def _diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    _reject("diff", prepend=prepend, append=append)
    a = _obj(a)
    if type(a) is not Dual:
        return np.diff(a, n, axis)
    ax = _axis(axis, a.ndim)
    for _ in range(n):
        hi = tuple(slice(1, None) if i == ax else slice(None) for i in range(a.ndim))
        lo = tuple(slice(None, -1) if i == ax else slice(None) for i in range(a.ndim))
        a = a[hi] - a[lo]
    return a


@_implements(np.copy)
def _copy(a, order="K", subok=False):
    a = _obj(a)
    return a.copy() if type(a) is Dual else np.copy(a)


def _constant_like(name: str) -> Callable:
    # zeros_like(x) of a Dual is a constant array of x's shape: it does not depend on x
    def handler(a, *args, **kwargs):
        return getattr(np, name)(np.asarray(ops.primal(_obj(a))), *args, **kwargs)
    return handler


for _name in ("zeros_like", "ones_like", "empty_like", "full_like"):
    HANDLED_FUNCTIONS[getattr(np, _name)] = _constant_like(_name)


# ---------------------------------------------------------------------------
# joining and selecting
# ---------------------------------------------------------------------------
def _parts(arrays, tag: int, n: int) -> tuple[list, list]:
    values, derivs = [], []
    for x in arrays:
        v, d = _split(x, tag, n)
        values.append(v)
        derivs.append(_zeros(np.shape(v), n) if d is None else d)
    return values, derivs


@_implements(np.concatenate)
def _concatenate(arrays, axis=0, out=None, dtype=None, casting=None):
    _no_out("concatenate", out)
    arrays = [_obj(x) for x in arrays]
    tag, n = _top(*arrays)
    if tag < 0:
        return np.concatenate(arrays, axis=axis)
    if axis is None:
        arrays = [_ravel(x) if type(x) is Dual else np.ravel(x) for x in arrays]
        axis = 0
    values, derivs = _parts(arrays, tag, n)
    ax = _axis(axis, np.ndim(values[0]))
    return _dual(np.concatenate(values, axis=ax), np.concatenate(derivs, axis=ax), tag, n)


@_implements(np.stack)
def _stack(arrays, axis=0, out=None, dtype=None, casting=None):
    _no_out("stack", out)
    arrays = [_obj(x) for x in arrays]
    tag, n = _top(*arrays)
    if tag < 0:
        return np.stack(arrays, axis=axis)
    values, derivs = _parts(arrays, tag, n)
    shapes = {np.shape(v) for v in values}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    ax = _axis(axis, np.ndim(values[0]) + 1)
    return _dual(np.stack(values, axis=ax), np.stack(derivs, axis=ax), tag, n)


@_implements(np.hstack)
def _hstack(tup, dtype=None, casting=None):
    arrays = [_atleast(_obj(x), 1) for x in tup]
    return _concatenate(arrays, axis=0 if np.ndim(arrays[0]) == 1 else 1)


@_implements(np.vstack)
def _vstack(tup, dtype=None, casting=None):
    return _concatenate([_atleast(_obj(x), 2) for x in tup], axis=0)


def _atleast(x: Any, k: int) -> Any:
    nd = np.ndim(x)
    if nd >= k:
        return x
    if k == 1:
        return _reshape(x, (1,)) if type(x) is Dual else np.atleast_1d(x)
    return _reshape(x, (1,) * (2 - nd) + tuple(np.shape(x))) if type(x) is Dual else np.atleast_2d(x)


@_implements(np.append)
def _append(arr, values, axis=None):
    arr, values = _obj(arr), _obj(values)
    if axis is None:
        arr = _ravel(arr) if type(arr) is Dual else np.ravel(arr)
        values = _ravel(values) if type(values) is Dual else np.ravel(values)
        axis = 0
    return _concatenate([arr, values], axis=axis)


@_implements(np.where)
def _where(condition, x=None, y=None):
    if x is None and y is None:
        return np.where(np.asarray(ops.primal(_obj(condition))))
    condition = _obj(condition)
    if type(condition) is Dual:
        condition = ops.primal(condition)  # the condition is a value: the branches carry derivatives
    x, y = _obj(x), _obj(y)
    tag, n = _top(x, y)
    if tag < 0:
        return np.where(condition, x, y)
    (xv, yv), (xd, yd) = _parts([x, y], tag, n)
    v = np.where(condition, xv, yv)
    shape = np.shape(v)
    tail = (n,) if n else ()
    c = np.asarray(condition)
    c = np.broadcast_to(c, shape)
    xd = _broadcast_like(xd, shape + tail)
    yd = _broadcast_like(yd, shape + tail)
    return _dual(v, np.where(c[..., None] if n else c, xd, yd), tag, n)


# ---------------------------------------------------------------------------
# products: a' b + a b', the direction axis kept last (tensordot does the work)
# ---------------------------------------------------------------------------
@_implements(np.tensordot)
def _tensordot(a, b, axes=2):
    a, b = _obj(a), _obj(b)
    tag, n = _top(a, b)
    if tag < 0:
        return np.tensordot(a, b, axes)
    av, bv = _value_at(a, tag), _value_at(b, tag)
    na, nb = np.ndim(av), np.ndim(bv)
    if isinstance(axes, (int, np.integer)):
        ia, ib = list(range(na - axes, na)), list(range(axes))
    else:
        ia, ib = axes
        ia = [ia] if isinstance(ia, (int, np.integer)) else list(ia)
        ib = [ib] if isinstance(ib, (int, np.integer)) else list(ib)
        ia, ib = [_axis(i, na) for i in ia], [_axis(i, nb) for i in ib]
    v = np.tensordot(av, bv, (ia, ib))
    return _dual(v, _bilinear_deriv(a, b, av, bv, tag, n,
                                    lambda p, q: np.tensordot(p, q, (ia, ib)), na - len(ia)), tag, n)


def _bilinear_deriv(a, b, av, bv, tag, n, op, free_a: int):
    """d op(a, b) for op bilinear, computed as op(a', b) + op(a, b'), where op contracts
    value axes only and puts a's free axes first: with directions a's trailing axis
    lands right after a's free axes and is moved to the end."""
    d = None
    if type(a) is Dual and a.tag == tag:
        da = _split(a, tag, n)[1]
        t = op(da, bv)
        if n:
            t = np.moveaxis(t, free_a, -1)
        d = t
    if type(b) is Dual and b.tag == tag:
        db = _split(b, tag, n)[1]
        t = op(av, db)
        d = t if d is None else d + t
    return d


def _matmul(a, b):
    a, b = _obj(a), _obj(b)
    tag, n = _top(a, b)
    if tag < 0:
        return np.matmul(a, b)
    av, bv = _value_at(a, tag), _value_at(b, tag)
    na, nb = np.ndim(av), np.ndim(bv)
    if na == 0 or nb == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    if na > 2 or nb > 2:
        raise TypeError("numpy.matmul of stacks of matrices (more than 2 dimensions) is not supported on Duals; "
                        "use numpy.tensordot or a loop over the stack")
    v = np.matmul(av, bv)
    ia, ib = [na - 1], [0]
    return _dual(v, _bilinear_deriv(a, b, av, bv, tag, n, lambda p, q: np.tensordot(p, q, (ia, ib)), na - 1),
                 tag, n)


HANDLED_UFUNCS[np.matmul] = _matmul


@_implements(np.dot)
def _dot(a, b, out=None):
    _no_out("dot", out)
    a, b = _obj(a), _obj(b)
    tag, n = _top(a, b)
    if tag < 0:
        return np.dot(a, b)
    av, bv = _value_at(a, tag), _value_at(b, tag)
    na, nb = np.ndim(av), np.ndim(bv)
    if na == 0 or nb == 0:
        return a * b
    ia, ib = [na - 1], [max(nb - 2, 0)]
    v = np.dot(av, bv)
    return _dual(v, _bilinear_deriv(a, b, av, bv, tag, n, lambda p, q: np.tensordot(p, q, (ia, ib)), na - 1),
                 tag, n)


@_implements(np.inner)
def _inner(a, b):
    a, b = _obj(a), _obj(b)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    return _tensordot(a, b, ([-1], [-1]))


@_implements(np.vdot)
def _vdot(a, b):
    a, b = _obj(a), _obj(b)
    fa = _ravel(a) if type(a) is Dual else np.ravel(a)
    fb = _ravel(b) if type(b) is Dual else np.ravel(b)
    return _tensordot(fa, fb, ([0], [0]))


@_implements(np.outer)
def _outer(a, b, out=None):
    _no_out("outer", out)
    a, b = _obj(a), _obj(b)
    fa = _ravel(a) if type(a) is Dual else np.ravel(a)
    fb = _ravel(b) if type(b) is Dual else np.ravel(b)
    return fa[:, None] * fb[None, :]


# ---------------------------------------------------------------------------
# linear algebra
# ---------------------------------------------------------------------------
def _square(name: str, a: Any) -> None:
    s = np.shape(a)
    if len(s) != 2 or s[0] != s[1]:
        raise TypeError(f"numpy.linalg.{name} on Duals needs one square matrix (got shape {s}); "
                        "stacks of matrices are not supported")


@_implements(np.linalg.inv)
def _inv(a):
    a = _obj(a)
    if type(a) is not Dual:
        return np.linalg.inv(a)
    _square("inv", a)
    V = np.linalg.inv(a.value)
    n = a.ndir
    dA = full_deriv(a)
    # d(A⁻¹) = -A⁻¹ dA A⁻¹
    t = np.tensordot(dA, V, ([1], [0]))            # (m, k[, n]) x (k, p) -> (m[, n], p)
    if n:
        t = np.moveaxis(t, 1, -1)                  # (m, p, n)
    return _dual(V, -np.tensordot(V, t, ([1], [0])), a.tag, n)


@_implements(np.linalg.det)
def _det(a):
    a = _obj(a)
    if type(a) is not Dual:
        return np.linalg.det(a)
    _square("det", a)
    v = np.linalg.det(a.value)
    # d det(A) = det(A) · tr(A⁻¹ dA) = det(A) · Σ_ij (A⁻¹)_ji dA_ij
    Ainv_T = np.transpose(np.linalg.inv(a.value))
    return _dual(v, v * np.tensordot(Ainv_T, full_deriv(a), ([0, 1], [0, 1])), a.tag, a.ndir)


@_implements(np.linalg.solve)
def _solve(a, b):
    a, b = _obj(a), _obj(b)
    tag, n = _top(a, b)
    if tag < 0:
        return np.linalg.solve(a, b)
    (av, bv), (da, db) = _parts([a, b], tag, n)
    _square("solve", av)
    if np.ndim(bv) not in (1, 2):
        raise TypeError("numpy.linalg.solve on Duals: b must be a vector or a matrix")
    x = np.linalg.solve(av, bv)
    # A x = b  =>  A dx = db - dA x
    rhs = db
    if type(a) is Dual and a.tag == tag:
        t = np.tensordot(da, x, ([1], [0]))        # (k, k[, n]) x (k[, p]) -> (k[, n][, p])
        if n and np.ndim(x) == 2:
            t = np.moveaxis(t, 1, -1)
        rhs = rhs - t
    k = np.shape(av)[0]
    shape = np.shape(rhs)
    dx = np.reshape(np.linalg.solve(av, np.reshape(rhs, (k, -1))), shape)
    return _dual(x, dx, tag, n)


@_implements(np.linalg.norm)
def _norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or axis is not None or keepdims:
        raise TypeError("numpy.linalg.norm on Duals: only the default norm (2-norm of a vector, "
                        "Frobenius norm of a matrix, no axis) is supported")
    x = _obj(x)
    if type(x) is not Dual:
        return np.linalg.norm(x, ord, axis, keepdims)
    if ord == 2 and x.ndim == 2:
        raise TypeError("numpy.linalg.norm(ord=2) of a matrix (its largest singular value) is not supported on Duals")
    return ops.sqrt(_sum(x * x))


# ---------------------------------------------------------------------------
# arithmetic with an object array of Duals on the left (np.array([x, 2.0]) * y): numpy
# hands it to Dual's ufunc handler, which must see one Dual, not an array of them
# ---------------------------------------------------------------------------
def _packing(handler: Callable) -> Callable:
    def packed(*inputs):
        return handler(*(_obj(x) if type(x) is _ndarray and x.dtype == object else x for x in inputs))
    return packed


for _ufunc in (np.add, np.subtract, np.multiply, np.true_divide, np.power):
    if _ufunc in HANDLED_UFUNCS:
        HANDLED_UFUNCS[_ufunc] = _packing(HANDLED_UFUNCS[_ufunc])


# ---------------------------------------------------------------------------
# results of f: object arrays, lists and tuples holding Duals
# ---------------------------------------------------------------------------
def unpack(y: Any) -> Any:
    """f's result with every object array of Duals made one array-valued Dual (lists and
    tuples keep their structure: the operators differentiate each item)."""
    if type(y) is _ndarray and y.dtype == object:
        return pack_objects(y)
    return y
