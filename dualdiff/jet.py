"""Jet: truncated Taylor arithmetic of any order.

A Jet of order n holds the Taylor coefficients ``[f, f', f''/2!, …, f⁽ⁿ⁾/n!]`` of a
function at a point.  Arithmetic works on coefficients:

* sum:        (a + b)_k = a_k + b_k
* product:    (a·b)_k = Σ_{j=0..k} a_j b_{k-j}                  (Cauchy product)
* quotient:   y = a/b  =>  y_k = (a_k - Σ_{j=1..k} b_j y_{k-j}) / b_0
* power:      y = u^p  =>  y_k = 1/(k u_0) Σ_{j=1..k} (p·j - (k-j)) u_j y_{k-j}  (u_0 ≠ 0)
* any rule:   y = f(u), y' = f'(u)·u'  =>  y_k = (1/k) Σ_{j=1..k} j·u_j·(f'(u))_{k-j}

The last line lets every entry of the rule table drive Jets with no extra code:
f'(u) is computed by the rule as a Jet one order lower (see :func:`jet_apply`).

>>> import dualdiff as dd
>>> dd.exp(dd.Jet([0.0, 1.0, 0.0, 0.0])).coeffs
[1.0, 1.0, 0.5, 0.16666666666666666]
"""
from __future__ import annotations

import threading
from array import array as _array
from typing import Any, Callable, Sequence

import numpy as np

from . import numerics as nx
from .registry import dispatch_function, dispatch_ufunc, number_types, ops


class Jet:
    """Truncated Taylor polynomial ``Σ coeffs[k]·t^k`` (coefficients, not derivatives)."""

    __slots__ = ("coeffs",)
    __array_priority__ = 1000
    _op_priority = 20.0  # sympy <op> Jet defers to Jet (sympy's own Expr has 10.0)

    def __init__(self, coeffs: Sequence[Any] | Any):
        if not isinstance(coeffs, (list, tuple)) and np.ndim(coeffs) == 0:
            coeffs = [coeffs]  # a plain number is a constant jet of order 0
        coeffs = list(coeffs)
        if not coeffs:
            raise ValueError("Jet needs at least one coefficient")
        self.coeffs = coeffs

    @classmethod
    def variable(cls, x: Any, order: int) -> "Jet":
        """The jet of the identity at x: [x, 1, 0, …, 0]."""
        return cls([x, 1.0] + [0.0] * (order - 1)) if order >= 1 else cls([x])

    @property
    def order(self) -> int:
        return len(self.coeffs) - 1

    def derivatives(self) -> list:
        """[f, f', f'', …]: coefficients times k!."""
        out, fact = [], 1
        for k, c in enumerate(self.coeffs):
            if k:
                fact *= k
            out.append(c * fact)
        return out

    def __repr__(self) -> str:
        return f"Jet({self.coeffs!r})"

    def _refuse(self, *_):
        raise TypeError("a Jet cannot be converted to a plain number: its Taylor coefficients would be "
                        "lost. Use dualdiff.sin (or numpy.sin) instead of math.sin, or read .coeffs[0]")

    __float__ = __int__ = __complex__ = __index__ = _refuse

    # ------------------------------------------------------------------ helpers
    def _lift(self, o) -> list:
        """Coefficients of o as a jet of this order (a constant has zeros after c0)."""
        if type(o) is Jet:
            if len(o.coeffs) != len(self.coeffs):
                raise ValueError(f"cannot combine Jets of order {self.order} and {o.order}")
            return o.coeffs
        return [o] + [0.0] * self.order

    # ------------------------------------------------------------------ arithmetic
    # The binary operators are assembled by _binary_op (end of this module) from two
    # cases each: Jet with Jet (same order), and Jet with a constant.
    def __radd__(self, o):
        return self.__add__(o)

    def __rsub__(self, o):
        nx.refuse_complex(o, "__rsub__")
        return Jet([o - self.coeffs[0]] + [-c for c in self.coeffs[1:]])

    def __neg__(self):
        return Jet([-c for c in self.coeffs])

    def __pos__(self):
        return self

    def __rmul__(self, o):
        nx.refuse_complex(o, "__rmul__")
        return Jet([o * c for c in self.coeffs])

    def __rtruediv__(self, o):
        nx.refuse_complex(o, "__rtruediv__")
        return _div_same(Jet(self._lift(o)), self)

    def __rpow__(self, a):
        nx.refuse_complex(a, "__rpow__")
        # a^u = exp(u·ln a) for a > 0.  0^u = 0 near any u_0 > 0: a zero jet.  A negative
        # base has a real power only for a constant, integral u.
        u0 = self.coeffs[0]
        if _is_zero(a):
            if ops.primal(u0) > 0:
                return Jet([ops.power_scalar(a, u0)] + [0.0 * c for c in self.coeffs[1:]])
            raise ZeroDivisionError(f"pow: 0 ** u is not differentiable at u = {u0!r} (it needs u > 0)")
        if ops.primal(a) < 0:
            if all(_is_zero(c) for c in self.coeffs[1:]):
                return Jet([ops.power_scalar(a, u0)] + [0.0] * self.order)
            raise ValueError(f"pow: a ** u with a varying exponent u needs a base a > 0; the base is {a!r}")
        return ops.exp(self * ops.log(nx.lift_constant(a, ops.primal(u0))))

    def __abs__(self):
        return ops.abs(self)

    # ------------------------------------------------------------------ comparisons: values only
    def __lt__(self, o):
        return self.coeffs[0] < ops.primal(o)

    def __le__(self, o):
        return self.coeffs[0] <= ops.primal(o)

    def __gt__(self, o):
        return self.coeffs[0] > ops.primal(o)

    def __ge__(self, o):
        return self.coeffs[0] >= ops.primal(o)

    def __eq__(self, o):
        return self.coeffs[0] == ops.primal(o)

    def __ne__(self, o):
        return self.coeffs[0] != ops.primal(o)

    __hash__ = None

    def __getitem__(self, idx) -> "Jet":
        """Index an array-valued Jet: every coefficient is indexed alike."""
        return Jet([np.asarray(c)[idx] if np.ndim(c) else c for c in self.coeffs])

    def sum(self) -> "Jet":
        return Jet([np.sum(c) for c in self.coeffs])

    # numpy.sin(j) -> dualdiff.sin(j): dualdiff.functions fills these tables from the rule table.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return dispatch_ufunc(HANDLED_UFUNCS, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return dispatch_function(HANDLED_FUNCTIONS, func, args, kwargs)


HANDLED_UFUNCS: dict = {}
HANDLED_FUNCTIONS: dict = {}
number_types.add(Jet)


def _foreign(o) -> bool:
    # Jets do not mix with Duals (or any other dualdiff number type): Taylor mode here is
    # for one variable at a time.
    return type(o) in number_types and type(o) is not Jet


def _is_zero(c) -> bool:
    try:
        return bool(np.all(c == 0))
    except (TypeError, ValueError):
        return False


def _dot(a, b, k):
    s = a[0] * b[k]
    for j in range(1, k + 1):
        s = s + a[j] * b[k - j]
    return s


def _int_power(u: Jet, p: int) -> Jet:
    """u**p by repeated squaring: exact at u_0 = 0, where the general recurrence divides by u_0."""
    result = Jet([1.0] + [0.0] * u.order)
    base = u
    while p:
        if p & 1:
            result = result * base
        p >>= 1
        if p:
            base = base * base
    return result


def jet_apply(rule, f, u: Jet, params: tuple) -> Jet:
    """f(u) for a Jet u, from the rule's first derivative alone (see module docstring).

    Built order by order (:func:`climb`): y up to order j comes from y up to order j-1
    and f'(u) up to order j-1, so no Python recursion grows with the order.
    """
    c = u.coeffs
    if len(c) == 1:
        return Jet([f(c[0], *params)])
    dfun = rule.jet_deriv or rule.deriv
    uses_y = rule.uses_y or rule.jet_deriv is not None

    def step(j: int, prev: list | None) -> list:
        if j == 0:
            return [f(c[0], *params)]
        # f'(u) to order j-1, from u to order j-1 (and y to order j-1: prev)
        fp = dfun(Jet(c[:j]), Jet(prev) if uses_y else None, *params)
        fpc = fp.coeffs if type(fp) is Jet else [fp] + [0.0] * (j - 1)
        s = c[1] * fpc[j - 1]
        for i in range(2, j + 1):
            s = s + i * c[i] * fpc[j - i]
        return prev + [s / j]

    def full() -> list:  # every order at once from f'(u) to order n-1 (f' not using y)
        n = len(c) - 1
        fp = dfun(Jet(c[:-1]), None, *params)
        fpc = fp.coeffs if type(fp) is Jet else [fp] + [0.0] * (n - 1)
        y = [f(c[0], *params)]
        for k in range(1, n + 1):
            s = c[1] * fpc[k - 1]
            for j in range(2, k + 1):
                s = s + j * c[j] * fpc[k - j]
            y.append(s / k)
        return y

    return Jet(climb((id(rule), f, _param_key(params)), (c,), step, None if uses_y else full))


# ---------------------------------------------------------------------- order by order
# While a Jet function is being built (in this thread): {(function, inputs' coefficients
# to order m): coefficients of the result to order m}.  Created by the outermost call and
# dropped when it returns, so nothing outlives a call or crosses threads.
_building = threading.local()


def climb(ident: tuple, cols: tuple, step: Callable[[int, list | None], list],
          full: Callable[[], list] | None = None) -> list:
    """The coefficients of F(inputs) to order n = len(cols[0]) - 1, without deep recursion.

    ``step(j, prev)`` returns F's coefficients to order j from ``prev`` (those to order
    j-1; None for j = 0), the inputs being read to order j only; ``full()`` (optional)
    returns all n+1 at once.  A rule's derivative f'(u) to order n-1 calls other
    functions (cos for sin, f itself for exp) on u truncated to order n-1, which call
    others to order n-2, and so on: a chain as long as the order.  The first SHALLOW
    links are computed directly (``full``, or order n-1 then ``step``); past that depth
    F is built upwards from the highest order already known, one ``step`` at a time.
    The functions that a step needs to order j-1 were computed, on the same numbers,
    one step earlier and are found in the memo: the Python stack stays flat whatever the
    order (no recursion limit to raise) and each order costs one step.  Keys are the
    coefficients' exact bits and types, so a hit is the same computation on the same numbers.
    """
    st = _building
    memo = getattr(st, "memo", None)
    outer = memo is None
    if outer:
        memo = st.memo = {}
        st.depth = 0
    try:
        n = len(cols[0]) - 1
        keys: dict[int, tuple] = {}

        def key(m: int) -> tuple:
            k = keys.get(m)
            if k is None:
                k = keys[m] = (ident, tuple(_coeff_key(c, m) for c in cols))
            return k

        hit = memo.get(key(n))
        if hit is not None:
            return hit
        if st.depth < SHALLOW:
            st.depth += 1
            try:
                if full is not None:
                    out = full()
                elif n == 0:
                    out = step(0, None)
                else:
                    out = step(n, climb(ident, tuple(c[:n] for c in cols), step))
            finally:
                st.depth -= 1
            memo[key(n)] = out
            return out
        m = n - 1
        while m >= 0 and key(m) not in memo:  # usually found at once
            m -= 1
        prev = memo[key(m)] if m >= 0 else None
        for j in range(m + 1, n + 1):
            prev = step(j, prev)
            memo[key(j)] = prev
        return prev
    finally:
        if outer:
            st.memo = None


# Links of a derivative chain computed directly before climbing (see climb): deep enough
# that ordinary orders never climb, shallow enough for any recursion limit.
SHALLOW = 24


def _coeff_key(c: list, m: int):
    """A hashable key for c[:m+1] that tells apart what computes differently: the exact
    bits of floats (-0.0, nan), the type of every number (1 vs 1.0 vs mpf(1))."""
    seg = c[:m + 1]
    if all(type(v) is float for v in seg):
        return _array("d", seg).tobytes()
    return tuple(_one_key(v) for v in seg)


def _one_key(v):
    t = type(v)
    if isinstance(v, float):
        return (t, v.hex())
    if t is np.ndarray:
        return (t, v.dtype.str, v.shape, v.tobytes() if v.dtype != object else repr(v))
    try:
        hash(v)
    except TypeError:
        return (t, repr(v))
    return (t, v)


def _param_key(params: tuple):
    try:
        hash(params)
        return params
    except TypeError:
        return repr(params)


# ---------------------------------------------------------------------- binary operators
def _binary_op(name: str, same, const):
    """An operator of Jet: another dualdiff number type decides (NotImplemented)."""
    def op(self, o):
        if type(o) is Jet:
            return same(self, o)
        if type(o) in number_types:
            return NotImplemented
        if type(o) is not float and type(o) is not int:
            nx.refuse_complex(o, name)  # a real Taylor series never takes a complex constant
        return const(self, o)

    op.__name__ = op.__qualname__ = name
    return op


def _add_same(u: Jet, v: Jet) -> Jet:
    return Jet([a + b for a, b in zip(u.coeffs, u._lift(v))])


def _add_const(u: Jet, c) -> Jet:
    return Jet([u.coeffs[0] + c] + u.coeffs[1:])


def _sub_same(u: Jet, v: Jet) -> Jet:
    return Jet([a - b for a, b in zip(u.coeffs, u._lift(v))])


def _sub_const(u: Jet, c) -> Jet:
    return Jet([u.coeffs[0] - c] + u.coeffs[1:])


def _mul_same(u: Jet, v: Jet) -> Jet:
    a, b = u.coeffs, u._lift(v)
    return Jet([_dot(a, b, k) for k in range(len(a))])


def _mul_const(u: Jet, c) -> Jet:
    return Jet([a * c for a in u.coeffs])


def _div_same(u: Jet, v: Jet) -> Jet:
    a, b = u.coeffs, u._lift(v)
    if _is_zero(b[0]):
        raise ZeroDivisionError(f"division by zero: {a[0]!r} / {b[0]!r}")
    y: list = []
    for k in range(len(a)):
        s = a[k]
        for j in range(1, k + 1):
            s = s - b[j] * y[k - j]
        y.append(s / b[0])
    return Jet(y)


def _div_const(u: Jet, c) -> Jet:
    return Jet([a / c for a in u.coeffs])


def _pow_same(u: Jet, p: Jet) -> Jet:  # u^p = exp(p·log u)
    return ops.exp(p * ops.log(u))


def _pow_const(self: Jet, p) -> Jet:
    u = self.coeffs
    if type(p) is float:  # u ** 0.1 with mpf coefficients: the exponent 1/10, not a binary float
        p = nx.lift_constant(p, ops.primal(u[0]))
    if ops.is_integral(p) and p >= 0:
        # repeated squaring: exact at u_0 = 0 and for u_0 < 0, where the recurrence below
        # divides by u_0 (and 2.0 is as whole as 2: taylor(x ** 2.0, 0) = [0, 0, 1])
        return _int_power(self, int(p))
    if _is_zero(u[0]):
        if all(_is_zero(c) for c in u):
            return Jet([ops.power_scalar(u[0], p)] + [0.0] * self.order)
        if ops.is_integral(p):
            raise ZeroDivisionError(f"pow: 0 cannot be raised to the negative power {p!r}")
        raise ValueError(f"pow: u ** {p!r} has no Taylor series where u = 0 "
                         f"(its derivative of order {int(p) + 1 if p > 0 else 1} is infinite there)")
    y = [ops.power_scalar(u[0], p)]
    for k in range(1, len(u)):
        s = 0.0
        for j in range(1, k + 1):
            s = s + (p * j - (k - j)) * u[j] * y[k - j]
        y.append(s / (k * u[0]))
    return Jet(y)


Jet.__add__ = _binary_op("__add__", _add_same, _add_const)
Jet.__sub__ = _binary_op("__sub__", _sub_same, _sub_const)
Jet.__mul__ = _binary_op("__mul__", _mul_same, _mul_const)
Jet.__truediv__ = _binary_op("__truediv__", _div_same, _div_const)
Jet.__pow__ = _binary_op("__pow__", _pow_same, _pow_const)
