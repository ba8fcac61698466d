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
from typing import Any

import numpy as np

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
        if ndir is None:  # a user's call: normalise; internal calls pass ndir
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
        y = o + self.value
        return Dual(y, _widen(self.deriv, y, self.ndir) if type(o) is _ndarray else self.deriv, self.tag, self.ndir)

    def __rsub__(self, o):
        y = o - self.value
        d = -self.deriv
        return Dual(y, _widen(d, y, self.ndir) if type(o) is _ndarray else d, self.tag, self.ndir)

    def __rmul__(self, o):
        if self.ndir and type(o) is _ndarray:
            return Dual(o * self.value, o[..., None] * self.deriv, self.tag, self.ndir)
        return Dual(o * self.value, o * self.deriv, self.tag, self.ndir)

    def __rtruediv__(self, o):
        # d(o/x) = -o/x² dx = -(y/x) dx
        b = self.value
        y = _div(o, b)
        q = -y / b
        if self.ndir:
            q = _ex(q)
        return Dual(y, q * self.deriv, self.tag, self.ndir)

    def __rpow__(self, a):
        # d(a**x) = a**x · ln(a) · dx
        y = ops.power_scalar(a, self.value)
        q = 0.0 * y if _is_zero_value(a) else y * ops.log(a)
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

    def sum(self):
        """Sum over all value axes (directions kept)."""
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
def _ex(a):
    """Give an array-valued factor a trailing axis so it scales every direction."""
    return a[..., None] if type(a) is _ndarray else a


def _widen(d, value, ndir):
    """A derivative broadcast to the shape of an array value that a constant array widened."""
    shape = np.shape(value) + ((ndir,) if ndir else ())
    if np.shape(d) == shape:
        return d
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
    """x**p with both parts varying: d = p·x^(p-1)·dx + ln(x)·x^p·dp."""
    a, b = x.value, p.value
    y = ops.power_scalar(a, b)
    dx_part = b * ops.power_scalar(a, b - 1)
    dp_part = 0.0 * y if _is_zero_value(a) else y * ops.log(a)
    n = x.ndir or p.ndir
    if n:
        dx_part, dp_part = _ex(dx_part), _ex(dp_part)
    return Dual(y, dx_part * x.deriv + dp_part * p.deriv, x.tag, n)


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
    return const(x, o)


def _add_const(x, c):
    y = x.value + c
    return Dual(y, _widen(x.deriv, y, x.ndir) if type(c) is _ndarray else x.deriv, x.tag, x.ndir)


def _sub_const(x, c):
    y = x.value - c
    return Dual(y, _widen(x.deriv, y, x.ndir) if type(c) is _ndarray else x.deriv, x.tag, x.ndir)


def _mul_const(x, c):
    if x.ndir and type(c) is _ndarray:
        return Dual(x.value * c, x.deriv * c[..., None], x.tag, x.ndir)
    return Dual(x.value * c, x.deriv * c, x.tag, x.ndir)


def _div_const(x, c):
    y = _div(x.value, c)
    if x.ndir and type(c) is _ndarray:
        return Dual(y, x.deriv / c[..., None], x.tag, x.ndir)
    return Dual(y, x.deriv / c, x.tag, x.ndir)


def _pow_const(x, p):
    power_scalar = ops.power_scalar  # shared with Jet; checks the domain
    a = x.value
    if _is_zero_exponent(p):
        return Dual(power_scalar(a, p), 0.0 * x.deriv, x.tag, x.ndir)
    y = power_scalar(a, p)
    q = p * power_scalar(a, p - 1)
    if x.ndir:
        q = _ex(q)
    return Dual(y, q * x.deriv, x.tag, x.ndir)
