"""Vector and matrix operations of the program language, on plain arrays and Duals.

The program language (``z1 = W1 @ x + b1``, ``sum(v)``, ``W[1, 0]``, ``[x1, x2]``) needs a
few structural operations besides the elementwise functions of the rule table: the
matrix product, sums, indexing, transposition, stacking a list literal.  They are all
linear (``max`` picks one entry), so their derivatives are the same operation applied to
the derivative arrays -- a matrix product of derivatives is a matrix product, never a
Python loop over entries.  Each function here works on a float, an ndarray, or a
``Dual`` (also a Dual of Duals, as the second-order trace uses), one layer at a time.

A derivative array has the value's shape plus, for a multi-direction Dual, a trailing
axis of directions (see :mod:`dualdiff.dual`); the leading (value) axes are where the
operations act, the trailing axis rides along.

Shapes are checked before anything is computed: a mismatch raises :class:`ShapeError`
(a ``ValueError``) naming both shapes; the evaluator adds the line and column.

The second half holds the vector-Jacobian products of the same operations, used by the
reverse sweep that computes adjoints (``∂L/∂step``, shaped like the step).

>>> import numpy as np
>>> from dualdiff.dual import Dual
>>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> y = matmul(W, Dual(np.array([1.0, 1.0]), np.eye(2), 1, 2))
>>> y.value, y.deriv            # dy/dx = W
(array([3., 7.]), array([[1., 2.],
       [3., 4.]]))
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .dual import Dual, full_deriv
from .errors import ShapeError

__all__ = ["ShapeError", "shape_of", "matmul", "matmul_shape", "broadcast_shape", "total", "mean", "amax",
           "transpose", "index", "stack", "dot", "unbroadcast", "vjp_matmul", "vjp_index", "vjp_amax",
           "argmax_index", "show_shape"]

_ndarray = np.ndarray


# ---------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------
def _primal(x: Any) -> Any:
    while type(x) is Dual:
        x = x.value
    return x


def shape_of(x: Any) -> tuple[int, ...]:
    """The value's shape under any number of Dual layers; () for a scalar."""
    x = _primal(x)
    if type(x) is float or type(x) is int:  # the common case, without numpy's dispatch
        return ()
    return tuple(np.shape(x))


def show_shape(shape: Sequence[int]) -> str:
    """``(2, 4)``, ``(3,)`` or ``scalar``: as numpy prints a shape, scalars said in words."""
    return "scalar" if len(shape) == 0 else str(tuple(shape))


def matmul_shape(sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of ``a @ b`` (vectors and matrices), or ShapeError naming both shapes."""
    if not sa or not sb:
        raise ShapeError(f"'@' needs vectors or matrices, got shapes {show_shape(sa)} and {show_shape(sb)}; "
                         "use '*' to multiply by a scalar")
    if sa[-1] != sb[0]:
        raise ShapeError(f"shapes {show_shape(sa)} and {show_shape(sb)} do not fit for '@' "
                         f"({sa[-1]} columns against {sb[0]} rows)")
    return sa[:-1] + sb[1:]


def broadcast_shape(op: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of an elementwise ``a op b`` (numpy broadcasting), or ShapeError."""
    try:
        return tuple(np.broadcast_shapes(sa, sb))
    except ValueError:
        raise ShapeError(f"shapes {show_shape(sa)} and {show_shape(sb)} do not match for '{op}'") from None


# ---------------------------------------------------------------------------
# layer splitting
# ---------------------------------------------------------------------------
def _top(*xs: Any) -> tuple[int | None, int]:
    """The outermost tag among the operands and its number of directions."""
    tag, ndir = None, 0
    for x in xs:
        if type(x) is Dual and (tag is None or x.tag > tag):
            tag, ndir = x.tag, x.ndir
    for x in xs:  # a same-tag operand may carry the directions when another has ndir 0
        if type(x) is Dual and x.tag == tag and x.ndir:
            ndir = x.ndir
    return tag, ndir


def _split(x: Any, tag: int, ndir: int) -> tuple[Any, Any]:
    """(value, full derivative) of x at layer ``tag``; derivative None for a constant."""
    if type(x) is Dual and x.tag == tag:
        d = full_deriv(x)
        if ndir and not x.ndir:  # a one-direction operand among many: widen (rare)
            d = np.broadcast_to(np.asarray(d)[..., None], np.shape(x.value) + (ndir,))
        return x.value, d
    return x, None


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _dirs_first(d: _ndarray) -> _ndarray:
    return np.moveaxis(d, -1, 0)


def _dirs_last(d: _ndarray) -> _ndarray:
    return np.moveaxis(d, 0, -1) if np.ndim(d) > 1 else d


def _need_array(d: Any) -> _ndarray:
    if type(d) is not _ndarray:  # a nested Dual under a multi-direction layer: not produced by dualdiff
        raise TypeError("array operations support nested Duals only with one direction in the outer layer")
    return d


# ---------------------------------------------------------------------------
# forward operations
# ---------------------------------------------------------------------------
def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` for vectors and matrices; derivative dA·B + A·dB (matrix products).

    On Duals numpy dispatches to the shared handler (:mod:`dualdiff.arrays`: one
    ``tensordot`` per operand, the direction axis carried along), the same code
    ``np.matmul`` on Duals runs in user code."""
    return _scalar(np.matmul(a, b))


def dot(a: Any, b: Any) -> Any:
    """The dot product of two vectors of one length."""
    return matmul(a, b)


def total(x: Any) -> Any:
    """Sum of all entries (on Duals numpy's ``sum`` handler: the derivative summed over the
    value axes only)."""
    return _scalar(np.sum(x))


def mean(x: Any) -> Any:
    size = int(np.prod(shape_of(x))) or 1
    return total(x) / size


def argmax_index(x: Any) -> tuple[tuple[int, ...], bool]:
    """Index of the (first) largest entry, and whether another entry ties with it."""
    v = np.asarray(_primal(x))  # exact entries compare exactly (no float rounding)
    k = int(np.argmax(v))
    tie = int(np.count_nonzero(v == v.flat[k])) > 1
    return tuple(int(i) for i in np.unravel_index(k, v.shape)), tie


def _tied(x: Any) -> list[tuple[int, ...]]:
    v = np.asarray(_primal(x))  # exact entries compare exactly (no float rounding)
    return [tuple(int(i) for i in ix) for ix in zip(*np.nonzero(v == np.max(v)))] or \
        [tuple(int(i) for i in np.unravel_index(int(np.argmax(v)), v.shape))]


def amax(x: Any) -> Any:
    """The largest entry.  At a tie its derivative is the mean of the tied entries' (as
    the rule max(x, y) gives ½ to each at x = y, so max([x, x])' = 1)."""
    tied = _tied(x)
    if len(tied) == 1:
        return index(x, tied[0])
    out = index(x, tied[0])
    for ix in tied[1:]:
        out = out + index(x, ix)
    return out / len(tied)


def transpose(x: Any) -> Any:
    """Rows and columns swapped (a vector or scalar is its own transpose)."""
    if len(shape_of(x)) < 2:
        return x
    return np.transpose(x)


def index(x: Any, idx: tuple[int, ...]) -> Any:
    """``x[i]`` / ``x[i, j]`` with non-negative, checked integer indices."""
    if type(x) is not Dual:
        return _scalar(np.asarray(x)[idx])
    d = full_deriv(x)
    d = d[idx] if x.ndir else index(d, idx)
    if isinstance(d, np.generic):
        d = d.item()
    return Dual(index(x.value, idx), d, x.tag, x.ndir)


def stack(items: Sequence[Any]) -> Any:
    """A list literal: scalars become a vector, vectors of one length a matrix."""
    tag, n = _top(*items)
    if tag is None:
        first = _primal(items[0]) if items else 0.0
        kind = object if type(first).__module__.split(".")[0] == "sympy" else float
        return np.array([np.asarray(i, dtype=kind) if np.ndim(i) else i for i in items], dtype=kind)
    vals, ders = [], []
    for it in items:
        v, d = _split(it, tag, n)
        vals.append(v)
        ders.append(d)
    y = stack(vals)
    inner = y.shape[1:] if type(y) is _ndarray else shape_of(y)[1:]
    full = tuple(inner) + ((n,) if n else ())
    if n:
        d = np.stack([np.zeros(full) if d is None else np.broadcast_to(d, full) for d in ders])
    else:
        d = stack([np.zeros(full) if d is None else d for d in ders])
    return Dual(y, d, tag, n)


# ---------------------------------------------------------------------------
# vector-Jacobian products (reverse sweep; plain arrays only)
# ---------------------------------------------------------------------------
def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum an adjoint over the axes broadcasting added, back to an operand's ``shape``."""
    g = np.asarray(g)
    if g.shape == tuple(shape):
        return _scalar(g[()]) if not shape else g
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return _scalar(g[()]) if not shape else g


def vjp_matmul(g: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Adjoints of A and B in ``A @ B`` given the adjoint g of the product."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 1 and b.ndim == 1:
        return g * b, g * a
    if a.ndim == 2 and b.ndim == 1:
        return np.outer(g, b), a.T @ g
    if a.ndim == 1 and b.ndim == 2:
        return b @ g, np.outer(a, g)
    return g @ b.T, a.T @ g


def _zeros_for(g: Any, shape: tuple[int, ...], exact: bool = False) -> _ndarray:
    """Zeros that can hold g's numbers: floats, or objects (mpmath numbers stay mpmath;
    exact traces: integer 0 in an object array, so that exact adjoints stay exact)."""
    if exact:
        return np.full(shape, 0, dtype=object)
    if type(g) is float or (isinstance(g, _ndarray) and g.dtype != object) or isinstance(g, (int, np.number)):
        return np.zeros(shape)
    return np.zeros(shape).astype(object)


def vjp_index(g: Any, shape: tuple[int, ...], idx: tuple[int, ...], exact: bool = False) -> _ndarray:
    out = _zeros_for(g, shape, exact)
    out[idx] = g
    return out


def vjp_amax(g: Any, x: Any, exact: bool = False) -> _ndarray:
    out = _zeros_for(g, np.shape(x), exact)
    tied = _tied(x)
    for ix in tied:
        out[ix] += g / len(tied)
    return out
