"""Dual numbers: value + deriv·ε with ε² = 0, tagged, one or many directions.

Maths.  For a + a'ε and b + b'ε:

    (a + a'ε)(b + b'ε) = ab + (a'b + ab')ε,      f(a + a'ε) = f(a) + f'(a)a'ε.

Directions.  ``deriv`` has the shape of ``value`` (one direction) or that shape plus a
trailing axis of n partials (n directions at once: a whole gradient in one pass).
``ndir`` is 0 for one direction and n otherwise; the chain rule then multiplies an
array-valued local partial by ``deriv`` with an extra ``[..., None]``.  A derivative may
be stored "lazily broadcast" (a scalar 1.0 beside an array value); readers broadcast
it with :func:`full_deriv`.

Tags.  Each call of a differentiation operator gets a fresh, larger tag
(:func:`new_tag`).  When two Duals with different tags meet, the one with the larger
tag is the outer layer and the other is a constant to it, so a derivative taken inside
another never mixes its perturbation with the outer one (Siskind & Pearlmutter's
perturbation confusion).  Duals made by hand have tag 0.
"""
from __future__ import annotations

import itertools
import operator
from typing import Any

import numpy as np

from . import numerics as nx
from .registry import dispatch_function, dispatch_ufunc, number_types, ops

_tags = itertools.count(1)


def new_tag() -> int:
    """A fresh tag, larger than every tag handed out before."""
    return next(_tags)


_ndarray = np.ndarray


class Dual:
    """A first-order dual number ``value + deriv·ε``.

    >>> import dualdiff as dd
    >>> dd.sin(dd.Dual(1.0, 1.0))
    Dual(0.8414709848078965, 0.5403023058681398)
    >>> (dd.Dual(2.0, 1.0) ** 3).deriv
    12.0
    """

    # _memo (never set for scalars): kernel results on an array value computed while
    # differentiating, kept for the next rule on the same Dual (see functions._on_array).
    __slots__ = ("value", "deriv", "tag", "ndir", "_memo")
    __array_priority__ = 1000  # ndarray <op> Dual defers to Dual
    _op_priority = 20.0        # sympy <op> Dual defers to Dual (sympy's own Expr has 10.0)

    def __init__(self, value: Any, deriv: Any = 0.0, tag: int = 0, ndir: int | None = None):
        if ndir is None:  # a user's call: check and normalise; internal calls pass ndir
            value = _checked_part(value, "value")
            deriv = _checked_part(deriv, "deriv")
            if isinstance(value, (list, tuple)):
                value = np.asarray(value, dtype=float)
            if isinstance(deriv, (list, tuple)):
                deriv = np.asarray(deriv, dtype=float)
            ndir = 0
            if isinstance(deriv, _ndarray) and deriv.ndim > np.ndim(value):
                if deriv.ndim != np.ndim(value) + 1:
                    raise ValueError(
                        f"Dual: deriv has shape {deriv.shape}, value has shape {np.shape(value)}; "
                        "deriv must have the value's shape, plus at most one trailing axis of directions")
                ndir = deriv.shape[-1]
            elif isinstance(value, _ndarray) and np.shape(deriv) != value.shape:
                deriv = np.broadcast_to(deriv, value.shape).astype(float if not isinstance(deriv, _ndarray)
                                                                 else deriv.dtype, copy=True)
            if isinstance(value, _ndarray):
                self._memo = NO_MEMO  # the user may change this array in place (functions._on_array)
        self.value = value
        self.deriv = deriv
        self.tag = tag
        self.ndir = ndir

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.deriv!r})"

    def __str__(self) -> str:
        return f"{self.value} + {self.deriv}ε"

    # ------------------------------------------------------------------ no silent loss
    def _refuse(self, *_):
        raise TypeError(
            "a Dual cannot be converted to a plain number: its derivative would be lost. "
            "Use dualdiff.sin (or numpy.sin) instead of math.sin, or read .value explicitly")

    __float__ = __int__ = __complex__ = __index__ = _refuse

    # ------------------------------------------------------------------ arithmetic
    # Each operator: two Duals of one tag combine (inline: the hot path of a scalar
    # worksheet); every other case goes through _mixed, the one place that says which
    # layer acts when tags differ.  The reflected operators see only constants (a Dual
    # of a smaller tag, a number, an array).
    def __add__(self, o):
        if type(o) is Dual and o.tag == self.tag:
            return Dual(self.value + o.value, self.deriv + o.deriv, self.tag, self.ndir or o.ndir)
        return _mixed(self, o, "__radd__", _add_const)

    def __sub__(self, o):
        if type(o) is Dual and o.tag == self.tag:
            return Dual(self.value - o.value, self.deriv - o.deriv, self.tag, self.ndir or o.ndir)
        return _mixed(self, o, "__rsub__", _sub_const)

    def __mul__(self, o):
        if type(o) is Dual and o.tag == self.tag:
            a, b = self.value, o.value
            n = self.ndir or o.ndir
            if n:
                return Dual(a * b, self.deriv * _ex(b) + _ex(a) * o.deriv, self.tag, n)
            return Dual(a * b, self.deriv * b + a * o.deriv, self.tag, 0)
        return _mixed(self, o, "__rmul__", _mul_const)

    def __truediv__(self, o):
        if type(o) is Dual and o.tag == self.tag:
            b = o.value
            y = _div(self.value, b)
            n = self.ndir or o.ndir
            if n:
                return Dual(y, (self.deriv - _ex(y) * o.deriv) / _ex(b), self.tag, n)
            return Dual(y, (self.deriv - y * o.deriv) / b, self.tag, 0)
        return _mixed(self, o, "__rtruediv__", _div_const)

    def __pow__(self, p):
        if type(p) is Dual and p.tag == self.tag:
            return _pow_dual(self, p)
        return _mixed(self, p, "__rpow__", _pow_const)

    def __radd__(self, o):
        if type(o) is not float and type(o) is not int:
            nx.refuse_complex(o, "__radd__")
        y = o + self.value
        return Dual(y, _widen(self.deriv, y, self.ndir) if _is_array(o) else self.deriv, self.tag, self.ndir)

    def __rsub__(self, o):
        if type(o) is not float and type(o) is not int:
            nx.refuse_complex(o, "__rsub__")
        y = o - self.value
        d = -self.deriv
        return Dual(y, _widen(d, y, self.ndir) if _is_array(o) else d, self.tag, self.ndir)

    def __rmul__(self, o):
        if type(o) is not float and type(o) is not int:
            nx.refuse_complex(o, "__rmul__")
        if self.ndir and _is_array(o):
            return Dual(o * self.value, _ex(o) * self.deriv, self.tag, self.ndir)
        return Dual(o * self.value, o * self.deriv, self.tag, self.ndir)

    def __rtruediv__(self, o):
        if type(o) is not float and type(o) is not int:
            nx.refuse_complex(o, "__rtruediv__")
        # d(o/x) = -o/x² dx = -(y/x) dx
        b = self.value
        y = _div(o, b)
        q = -y / b
        if self.ndir:
            q = _ex(q)
        return Dual(y, q * self.deriv, self.tag, self.ndir)

    def __rpow__(self, a):
        if type(a) is not float and type(a) is not int:
            nx.refuse_complex(a, "__rpow__")
        # d(a**x) = a**x · ln(a) · dx;  0**x = 0 for x > 0, so its slope there is 0
        if type(self.value) is not float:  # 0.1 ** x with an mpf x: the base 1/10, not a binary float
            a = nx.lift_constant(a, self.value)
        y = ops.power_scalar(a, self.value)
        q = 0.0 * y if _is_zero_value(a) else y * _log_of_base(a, self.value)
        if self.ndir:
            q = _ex(q)
        return Dual(y, q * self.deriv, self.tag, self.ndir)

    def __neg__(self):
        return Dual(-self.value, -self.deriv, self.tag, self.ndir)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    # ------------------------------------------------------------------ comparisons: values only
    def __lt__(self, o):
        return self.value < _value(o)

    def __le__(self, o):
        return self.value <= _value(o)

    def __gt__(self, o):
        return self.value > _value(o)

    def __ge__(self, o):
        return self.value >= _value(o)

    def __eq__(self, o):
        return self.value == _value(o)

    def __ne__(self, o):
        return self.value != _value(o)

    __hash__ = None  # equal values with different derivatives must not collide in a set

    def __bool__(self):
        return bool(self.value)

    # ------------------------------------------------------------------ array-valued Duals
    @property
    def shape(self) -> tuple:
        return np.shape(self.value)

    @property
    def ndim(self) -> int:
        return np.ndim(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, idx):
        v = self.value[idx]
        d = full_deriv(self)
        if self.ndir:
            if idx is Ellipsis or (isinstance(idx, tuple) and any(i is Ellipsis for i in idx)):
                idx = (idx if isinstance(idx, tuple) else (idx,)) + (slice(None),)
            d = d[idx]
        else:
            d = d[idx]
        if isinstance(v, np.generic):  # Python floats are several times faster than numpy scalars
            v = v.item()
            if not self.ndir and isinstance(d, np.generic):
                d = d.item()
        return Dual(v, d, self.tag, self.ndir)

    def __iter__(self):
        for i in range(len(self.value)):
            yield self[i]

    @property
    def size(self) -> int:
        return int(np.size(self.value))

    # numpy's array methods: each calls the numpy function, whose handler (with the
    # derivative rule) lives in dualdiff.arrays
    @property
    def T(self) -> "Dual":
        return np.transpose(self)

    def __matmul__(self, o):
        return np.matmul(self, o)

    def __rmatmul__(self, o):
        return np.matmul(o, self)

    def reshape(self, *shape, order="C"):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def transpose(self, *axes):
        return np.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)

    def ravel(self, order="C"):
        return np.ravel(self, order=order)

    def flatten(self, order="C"):
        return np.ravel(self, order=order)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis=axis)

    def swapaxes(self, axis1, axis2):
        return np.swapaxes(self, axis1, axis2)

    def copy(self):
        return Dual(np.copy(self.value) if type(self.value) is _ndarray else self.value,
                    np.copy(self.deriv) if type(self.deriv) is _ndarray else self.deriv, self.tag, self.ndir)

    def dot(self, o):
        return np.dot(self, o)

    def mean(self, axis=None, keepdims=False):
        return np.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return np.prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None):
        return np.cumsum(self, axis=axis)

    def trace(self, offset=0, axis1=0, axis2=1):
        return np.trace(self, offset, axis1, axis2)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return np.diagonal(self, offset, axis1, axis2)

    def sum(self, axis=None, keepdims=False):
        """Sum over all value axes (directions kept), or over ``axis`` as numpy does."""
        if axis is not None or keepdims:
            return np.sum(self, axis=axis, keepdims=keepdims)
        d = full_deriv(self)
        if self.ndir:
            s = d.reshape(-1, self.ndir).sum(axis=0)
        else:
            s = np.sum(d)
        v = np.sum(self.value)
        if isinstance(v, np.generic):
            v = v.item()
        return Dual(v, s, self.tag, self.ndir)

    # ------------------------------------------------------------------ numpy protocol
    # numpy.sin(d) -> dualdiff.sin(d): the handlers live in the tables below, which
    # dualdiff.functions fills from the rule table.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return dispatch_ufunc(HANDLED_UFUNCS, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return dispatch_function(HANDLED_FUNCTIONS, func, args, kwargs)


# numpy ufunc -> handler(*inputs), numpy function -> handler(*args, **kwargs).
HANDLED_UFUNCS: dict = {}
HANDLED_FUNCTIONS: dict = {}
number_types.add(Dual)


# ---------------------------------------------------------------------- helpers
# A user-built Dual's array is never used to keep kernel results (functions._on_array).
NO_MEMO = ("no memo",)


def _checked_part(x: Any, what: str) -> Any:
    """A user's value or deriv: a real number, an array, an mpmath or sympy number or a Dual.

    Strings, None and complex numbers would fail later, far from the cause (or, worse,
    compute something: 'a' * 3); numpy integers would wrap around (int8(100)**3 = 64).
    """
    t = type(x)
    if t is float or t is int or t is Dual or t is list or t is tuple:  # the common cases first
        return x
    if t is bool:
        return int(x)
    if isinstance(x, np.integer):
        return int(x)             # Python ints do not wrap around
    if isinstance(x, np.floating):
        return x
    if isinstance(x, _ndarray):
        if x.dtype.kind in "iub":
            return x.astype(float)
        if x.dtype.kind == "f" or x.dtype.kind == "O":
            return x
        raise TypeError(f"Dual: {what} must be a real number or array, got an array of dtype {x.dtype}")
    kind = nx.backend_of(x)
    if kind == "mpmath" and t.__name__ != "mpc":
        return x
    if kind == "sympy" and getattr(x, "is_real", None) is not False and not getattr(x, "is_Boolean", False):
        return x
    if t in number_types:  # a Jet inside a Dual
        return x
    raise TypeError(f"Dual: {what} must be a real number (int, float, numpy, mpmath, sympy) or an array, "
                    f"got {type(x).__name__} {x!r}"[:300])


def per_direction(a):
    """Give an array-valued factor a trailing axis so it scales every direction.

    The factor may be an array-valued Dual of a smaller tag (the value of an outer
    derivative, inside a Hessian): it gets the axis too (Dual.__getitem__ keeps its own
    directions last)."""
    t = type(a)
    if t is _ndarray:
        return a[..., None]
    if t is Dual and a.ndim:
        return a[..., None]
    return a


_ex = per_direction


def _is_array(a) -> bool:
    """An ndarray, or a Dual whose value is an array (a constant to a Dual of larger tag)."""
    t = type(a)
    return t is _ndarray or (t is Dual and a.ndim > 0)


def _widen(d, value, ndir):
    """A derivative broadcast to the shape of an array value that a constant array widened."""
    shape = np.shape(value) + ((ndir,) if ndir else ())
    if np.shape(d) == shape:
        return d
    if type(d) is Dual:  # a derivative that is itself a Dual (inside a Hessian)
        return np.broadcast_to(d, shape)
    return np.array(np.broadcast_to(d, shape))


def _value(o):
    return o.value if type(o) is Dual else o


def _div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}") from None


def _is_zero_exponent(p) -> bool:
    return type(p) in (int, float) and p == 0


def _is_zero_value(a) -> bool:
    try:
        return bool(a == 0)
    except (TypeError, ValueError):
        return False


def _pow_dual(x: Dual, p: Dual) -> Dual:
    """x**p with both parts varying: d = p·x^(p-1)·dx + ln(x)·x^p·dp.

    An exponent that does not vary here (dp = 0, e.g. Dual(2.0, 0.0)) contributes
    nothing, so a negative base is fine with an integral exponent; 0**p (p > 0) is 0 for
    every p nearby, so its slope in p is 0.
    """
    a, b = x.value, p.value
    y = ops.power_scalar(a, b)
    dx_part = _power_slope(a, b)
    if _is_zero_value(a) or _all_zero(p.deriv):
        dp_part = 0.0 * y
    else:
        dp_part = y * _log_of_base(a, b)
    n = x.ndir or p.ndir
    if n:
        dx_part, dp_part = _ex(dx_part), _ex(dp_part)
    return Dual(y, dx_part * x.deriv + dp_part * p.deriv, x.tag, n)


def _power_slope(a, p):
    """d(a**p)/da = p·a**(p-1); at a = 0 with 0 < p < 1 it is infinite: say so."""
    if _is_zero_exponent(p):
        return 0.0 * a
    try:
        return p * ops.power_scalar(a, p - 1)
    except ZeroDivisionError:
        raise ZeroDivisionError(f"pow: the derivative of x ** {p!r} is infinite at x = {a!r}") from None


def _log_of_base(a, like):
    """ln(a) for the slope of a**x in x: a plain-number base in x's precision (mpmath: the
    working precision, not math.log's 16 digits); a negative base has no such slope."""
    a = nx.lift_constant(a, like)
    if type(a) is not _ndarray and not isinstance(a, Dual) and nx.backend_of(a) in ("float", "mpmath") and a < 0:
        raise ValueError(f"pow: a ** x with a varying exponent x needs a base a > 0; the base is {a!r}")
    return ops.log(a)


def _all_zero(d) -> bool:
    if type(d) is float or type(d) is int:
        return d == 0
    if type(d) is _ndarray:
        return not d.any()
    return False


def full_deriv(d: Dual):
    """d.deriv broadcast to value.shape (+ (ndir,)), undoing lazy broadcasting."""
    der = d.deriv
    if type(der) is float and not d.ndir and type(d.value) is float:
        return der  # the scalar case, without np.shape's ~1 µs per call
    shape = np.shape(d.value)
    if d.ndir:
        shape = shape + (d.ndir,)
    der = d.deriv
    if np.shape(der) == shape:
        return der
    return np.broadcast_to(der, shape)


# ---------------------------------------------------------------------- binary operators
# The tag logic of every binary operator is written once, in _mixed (ForwardDiff's
# @define_binary_dual_op): a Dual of a larger tag is the outer layer and acts (through
# its reflected operator, x then being its constant); another dualdiff number type
# (Jet) is left to decide (NotImplemented); anything else is a constant, handled by the
# operator's ``const(x, c)``.
def _mixed(x: Dual, o: Any, reflected: str, const):
    """x <op> o when o is not a Dual of x's tag."""
    if type(o) is Dual:
        if o.tag > x.tag:
            return getattr(o, reflected)(x)
    elif type(o) in number_types:
        return NotImplemented
    elif type(o) is _ndarray and o.dtype == object:
        # an object array of Duals (numpy code built it: np.array([x, x**2])): one
        # array-valued Dual, then the operator again, so no derivative is dropped
        packed = pack_objects(o)
        if packed is not o:
            return _FORWARD[reflected](x, packed)
    if type(o) is not float and type(o) is not int:
        nx.refuse_complex(o, reflected)  # (-8) ** (1/3) is complex in Python: never carried silently
    return const(x, o)


_FORWARD = {"__radd__": operator.add, "__rsub__": operator.sub, "__rmul__": operator.mul,
            "__rtruediv__": operator.truediv, "__rpow__": operator.pow}


def pack_objects(a: np.ndarray) -> Any:
    """An object array whose entries are numbers and scalar Duals, as one array-valued Dual
    (layer by layer for nested tags); the array itself when it holds no Dual.

    >>> import numpy as np
    >>> pack_objects(np.array([Dual(2.0, 1.0), 3.0], dtype=object))
    Dual(array([2., 3.]), array([1., 0.]))
    """
    flat = a.ravel()
    tag, n, found = -1, 0, False
    for e in flat:
        if type(e) is Dual:
            if e.ndim:
                raise TypeError("an object array holding array-valued Duals is not supported; "
                                "build the array with numpy.stack or numpy.concatenate")
            found = True
            if e.tag > tag:
                tag, n = e.tag, e.ndir
            elif e.tag == tag:
                n = n or e.ndir
    if not found:
        return a
    values = np.empty(a.shape, dtype=object)
    derivs = np.empty(a.shape + ((n,) if n else ()), dtype=object)
    zero = np.zeros(n) if n else 0.0
    for i, e in enumerate(flat):
        idx = np.unravel_index(i, a.shape)
        if type(e) is Dual and e.tag == tag:
            values[idx] = e.value
            derivs[idx] = e.deriv if (n == 0 or e.ndir) else np.full(n, e.deriv)
        else:
            values[idx] = e
            derivs[idx] = zero
    return Dual(_settle(values), _settle(derivs), tag, n)


def _settle(a: np.ndarray) -> Any:
    """An object array as floats, or packed again when it still holds (smaller-tag) Duals."""
    packed = pack_objects(a)
    if packed is not a:
        return packed
    try:
        return a.astype(float)
    except (TypeError, ValueError):
        return a


def _add_const(x, c):
    y = x.value + c
    return Dual(y, _widen(x.deriv, y, x.ndir) if _is_array(c) else x.deriv, x.tag, x.ndir)


def _sub_const(x, c):
    y = x.value - c
    return Dual(y, _widen(x.deriv, y, x.ndir) if _is_array(c) else x.deriv, x.tag, x.ndir)


def _mul_const(x, c):
    if x.ndir and _is_array(c):
        return Dual(x.value * c, x.deriv * _ex(c), x.tag, x.ndir)
    return Dual(x.value * c, x.deriv * c, x.tag, x.ndir)


def _div_const(x, c):
    y = _div(x.value, c)
    if x.ndir and _is_array(c):
        return Dual(y, x.deriv / _ex(c), x.tag, x.ndir)
    return Dual(y, x.deriv / c, x.tag, x.ndir)


def _pow_const(x, p):
    power_scalar = ops.power_scalar  # shared with Jet; checks the domain
    a = x.value
    if type(a) is not float and type(p) is float:  # x ** 0.1 with an mpf x: the exponent 1/10
        p = nx.lift_constant(p, a)
    if _is_zero_exponent(p):
        return Dual(power_scalar(a, p), 0.0 * x.deriv, x.tag, x.ndir)
    y = power_scalar(a, p)
    q = _power_slope(a, p)
    if x.ndir:
        q = _ex(q)
    return Dual(y, q * x.deriv, x.tag, x.ndir)
