"""Evaluating program expressions with dualdiff numbers, and the Wengert expansion.

``Evaluator`` computes one expression tree (``dualdiff.program``) with whatever numbers
its environment holds -- floats, Duals, Jets, arrays of them, exact sympy numbers -- by
calling the generated functions of the rule table; it notes the kinks (relu/abs at
exactly 0) it passes through.  The tracer, ``dualdiff diff`` and ``dualdiff plot`` all
evaluate with it, so an expression means the same thing everywhere.

``expand_assignments`` rewrites a program into one assignment per elementary operation
(the Wengert list, temporaries ``v1, v2, …``); ``coerce_input`` turns an input value
(a number or its text) into the number a trace computes with.

>>> from dualdiff.parse import parse_expression
>>> node, names = parse_expression("x ** 2 + sin(x)")
>>> round(Evaluator().evaluate(node, {"x": 2.0}), 6)
4.909297
"""
from __future__ import annotations

import math
import re
import warnings
from fractions import Fraction
from typing import Any, Iterable, Mapping

import numpy as np

from . import vectorops as A
from . import functions as F
from .errors import KinkWarning, ProgramError, ShapeError
from .program import Assignment, BinOp, Call, Const, Index, ListLit, Name, Num, UnaryOp, compile_scalar, fold, walk
from .printing import expr_to_text
from .rules import RULES

MAX_INPUT_ELEMENTS = 100_000   # entries of one vector/matrix input (at= / --at)
MAX_ARRAY_ELEMENTS = 1_000_000  # entries of any value a program computes (W @ x can grow)

__all__ = ["Evaluator", "expand_assignments", "coerce_input", "compiled_scalar"]


# ---------------------------------------------------------------------------
# Evaluation of expression trees
# ---------------------------------------------------------------------------
# Exact mode holds numbers exactly, so their size is bounded instead of their precision:
# 4000 decimal digits in a numerator or denominator (below Python's 4300-digit limit for
# int <-> str, so every exact number can still be printed).  Documented in
# docs/conventions.md.
MAX_EXACT_DIGITS = 4000
_MAX_EXACT_BITS = int(MAX_EXACT_DIGITS * 3.3219280948873626)
_DECIMAL = re.compile(r"\s*[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*")


def exact_size_error(what: str) -> OverflowError:
    return OverflowError(f"exact mode: {what} has more than {MAX_EXACT_DIGITS} digits "
                         f"(the exact-number size limit); use the float trace or smaller numbers")


def exact_fraction(text: str, what: str) -> Fraction:
    """``Fraction(text)``, refusing text whose exact value would exceed the size limit
    before building it (``Fraction("1e1000000000")`` would build a billion-digit integer)."""
    m = _DECIMAL.fullmatch(text)
    if m is not None:
        digits = len(m.group(1) or "") + len(m.group(2) or "")
        exp = m.group(3) or "0"
        if len(exp.lstrip("+-")) > 7 or digits + abs(int(exp)) > MAX_EXACT_DIGITS:
            raise exact_size_error(what)
    elif len(text) > 2 * MAX_EXACT_DIGITS + 3:
        raise exact_size_error(what)
    return Fraction(text)


# An exact form is a tree: u(k+1) = sin(u(k) + v(k)) holds both earlier trees, so the
# forms double with each step.  Past this many tree nodes a step is refused (one message)
# instead of taking minutes (documented in docs/conventions.md).
MAX_EXACT_TERMS = 20_000
MAX_EXACT_STEPS = 5000  # exact steps cost milliseconds each (60-digit values of shared forms)


# A vector step of an exact trace holds an exact number per entry and per entry of each
# derivative; sympy arithmetic costs microseconds per number, so the entries a step may
# hold (value entries times 1 + derivative columns) are bounded too.
MAX_EXACT_ENTRIES = 20_000


def exact_zeros(shape: tuple[int, ...], exact: bool) -> np.ndarray:
    """Zeros of ``shape``: floats, or an object array of sympy 0 in exact mode (a float
    0.0 added to an exact number would make it a float)."""
    if not exact:
        return np.zeros(shape)
    import sympy

    return np.full(shape, sympy.Integer(0), dtype=object)


def check_exact_size(v: Any, what: str) -> None:
    """``OverflowError`` when an exact number ``v`` exceeds a limit: a rational's digits
    (:data:`MAX_EXACT_DIGITS`, in every rational of the form) or the form's tree size
    (:data:`MAX_EXACT_TERMS`).  The walk stops at the limit, so the check is bounded.
    An object array (a vector step) counts as one form: its entries' trees together."""
    stack, seen = (list(v.flat) if isinstance(v, np.ndarray) and v.dtype == object else [v]), 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_EXACT_TERMS:
            raise OverflowError(f"exact mode: the exact form of {what} has more than {MAX_EXACT_TERMS} terms "
                                f"(the exact-form size limit); use the float trace")
        p, q = getattr(node, "p", None), getattr(node, "q", None)
        if isinstance(p, int) and isinstance(q, int):
            if max(abs(p).bit_length(), q.bit_length()) > _MAX_EXACT_BITS:
                raise exact_size_error(what)
        stack.extend(getattr(node, "args", ()))


class Evaluator:
    """Evaluates program nodes with dualdiff numbers; notes kinks it passes through."""

    MAX_EXACT_EXPONENT = 10_000  # sympy would try to expand 9**(9**9) exactly

    def __init__(self, exact: bool = False, precise: bool = False):
        self.exact = exact
        self.precise = precise  # mpmath: literals are the decimals written, pi and e at working precision
        self.kinks: list[str] = []
        if exact:
            import sympy

            self._sympy = sympy
        if precise:
            import mpmath

            self._mpmath = mpmath

    def number(self, node: Num) -> Any:
        if self.exact:
            frac = exact_fraction(node.text, "a number of the program") if node.text else Fraction(node.value)
            return self._sympy.Rational(frac.numerator, frac.denominator)
        if self.precise:  # the literal 0.1 is 1/10, not the binary float nearest to it
            mp = self._mpmath
            try:
                return mp.mpf(node.text.replace("_", "")) if node.text else mp.mpf(node.value)
            except (ValueError, TypeError):
                f = Fraction(node.value)
                return mp.mpf(f.numerator) / f.denominator
        return float(node.value)

    def const(self, name: str) -> Any:
        if self.exact:
            return self._sympy.pi if name == "pi" else self._sympy.E
        if self.precise:
            return +self._mpmath.pi if name == "pi" else +self._mpmath.e
        return math.pi if name == "pi" else math.e

    def evaluate(self, node: Any, env: Mapping[str, Any]) -> Any:
        return fold(node, name=env.__getitem__, num=self.number, const=self.const, call=self.call,
                    power=self.power, matmul=A.matmul, listlit=self.listlit, index=A.index,
                    check=self.check)

    def listlit(self, items: list) -> Any:
        return A.stack(items)

    def check(self, node: Any, operands: list) -> None:
        """Shapes of an operation's operands, checked before it runs; a misfit is a
        ProgramError at the operation's line and column naming both shapes."""
        shapes = [A.shape_of(o) for o in operands]
        if not any(shapes) and ((type(node) is BinOp and node.op != "@") or
                                (type(node) is Call and node.func not in _NEEDS_VECTOR
                                 and node.func != "transpose")):
            return  # scalars only: the common case, nothing to check
        try:
            _check_shapes(node, shapes)
        except ShapeError as err:
            raise ProgramError(err.reason, node.line, node.col) from None

    def power(self, a: Any, b: Any) -> Any:
        if self.exact:
            self._check_exact_power(b)
            base, e = F.primal(a), F.primal(b)
            if getattr(e, "is_Integer", False) and getattr(base, "is_Rational", False):
                bits = max(abs(base.p).bit_length(), base.q.bit_length())
                if bits * abs(int(e)) > _MAX_EXACT_BITS:  # refuse before computing it
                    raise exact_size_error("a power")
        return a ** b

    def call(self, func: str, args: list) -> Any:
        if func in _ARRAY_CALLS and not (func == "max" and len(args) == 2):  # max(a, b): the rule
            if func == "max" and A.argmax_index(args[0])[1]:
                self.kinks.append("max at a tie")
            return _ARRAY_CALLS[func](*args)
        rule = RULES[func]
        if rule.kink is not None:
            at = F.primal(args[0])
            if np.any(rule.kink(at, *args[1:])):  # any() so that array inputs work too
                self.kinks.append(f"{func} at {_short(at)}")
                with warnings.catch_warnings():  # the trace marks the step: no Python warning too
                    warnings.simplefilter("ignore", KinkWarning)
                    return getattr(F, func)(*args)
        return getattr(F, func)(*args)

    def _check_exact_power(self, p: Any) -> None:
        v = F.primal(p)
        if getattr(v, "is_number", False) and v.is_finite and abs(v) > self.MAX_EXACT_EXPONENT:
            raise OverflowError(f"pow: exponent {v} is too large for exact arithmetic "
                                f"(limit {self.MAX_EXACT_EXPONENT})")


# Each program node compiled once for scalar floats (and Duals of them); every trace of
# the program -- every variant of a class, every carried cell -- re-evaluates it.
# {id(node): (node, fn or None)}; the entry holds the node, so its id is not reused.
_COMPILED_FLOAT: dict[int, tuple[Any, Any]] = {}


def compiled_scalar(node: Any, kink_free: bool = False) -> Any:
    """``node`` as a function of an environment of scalar floats or Duals of floats
    (non-exact), computing what :meth:`Evaluator.evaluate` computes there; None when the
    node needs the evaluator (vectors, array calls, functions that want a vector) -- and,
    with ``kink_free``, when it calls a function with a kink (the evaluator records
    where a kink was met; the compiled function does not).

    >>> from dualdiff.parse import parse_expression
    >>> node, _ = parse_expression("sin(x) * 2")
    >>> f = compiled_scalar(node)
    >>> round(f({"x": 0.5}), 12)
    0.958851077208
    """
    hit = _COMPILED_FLOAT.get(id(node))
    if hit is None or hit[0] is not node:
        fn = compile_scalar(node, num=lambda n: float(n.value),
                            const=lambda c: math.pi if c == "pi" else math.e, function=_scalar_function)
        kinked = any(type(n) is Call and RULES[n.func].kink is not None for n in walk(node)
                     if type(n) is Call and n.func in RULES)
        if len(_COMPILED_FLOAT) >= 20_000:
            _COMPILED_FLOAT.clear()
        hit = _COMPILED_FLOAT[id(node)] = (node, fn, kinked)
    return None if kink_free and hit[2] else hit[1]


def _scalar_function(func: str, nargs: int) -> Any:
    """What :meth:`Evaluator.call` calls for scalar arguments, or None (see above)."""
    if func == "max" and nargs == 2:
        pass  # max(a, b): the rule, elementwise
    elif func in _ARRAY_CALLS or func in _NEEDS_VECTOR or func == "transpose":
        return None
    if func not in RULES or RULES[func].vector:
        return None
    rule, f = RULES[func], getattr(F, func)
    if rule.kink is None:
        return f
    kink = rule.kink

    def at_kink_quietly(*args: Any) -> Any:
        # as Evaluator.call: the trace marks a kink, so no Python warning is raised for it
        if np.any(kink(F.primal(args[0]), *args[1:])):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", KinkWarning)
                return f(*args)
        return f(*args)

    return at_kink_quietly


def _short(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return "an entry 0"
    return f"{v:g}" if isinstance(v, float) else str(v)


_ARRAY_CALLS = {"sum": A.total, "mean": A.mean, "dot": A.dot, "max": A.amax, "transpose": A.transpose}
_NEEDS_VECTOR = {"sum", "mean", "max", "softmax", "logsumexp", "dot"}


def _check_shapes(node: Any, shapes: list[tuple[int, ...]]) -> None:
    kind = type(node)
    if kind is BinOp:
        if node.op == "@":
            out = A.matmul_shape(shapes[0], shapes[1])
        else:
            out = A.broadcast_shape(node.op, shapes[0], shapes[1])
        _check_size(out)
    elif kind is Call:
        func = node.func
        what = expr_to_text(node.args[0])
        binary = getattr(RULES.get(func), "partials", None) is not None  # hypot, atan2, max(a, b), …
        if binary and len(shapes) == 2:
            A.broadcast_shape(func, shapes[0], shapes[1])
            return
        if func in _NEEDS_VECTOR and not shapes[0]:
            raise ShapeError(f"{func}({what}): {func} needs a vector, but {what} is a scalar")
        if func in ("softmax", "logsumexp") and len(shapes[0]) != 1:
            raise ShapeError(f"{func}({what}): {func} needs a vector, but {what} has shape "
                             f"{A.show_shape(shapes[0])}")
        if func == "dot" and (len(shapes[0]) != 1 or shapes[0] != shapes[1]):
            raise ShapeError(f"dot needs two vectors of one length, got shapes {A.show_shape(shapes[0])} "
                             f"and {A.show_shape(shapes[1])}")
        if func == "transpose" and not shapes[0]:
            raise ShapeError(f"transpose({what}): {what} is a scalar, not a matrix")
        if func == "pow":
            A.broadcast_shape("pow", shapes[0], shapes[1])
        elif func not in _ARRAY_CALLS:
            for i, sh in enumerate(shapes[1:], 1):
                if sh:
                    raise ShapeError(f"{func}: its parameter {expr_to_text(node.args[i])} must be a scalar, "
                                     f"got shape {A.show_shape(sh)}")
    elif kind is Index:
        shape, idx = shapes[0], node.index
        what = expr_to_text(node.target)
        if len(idx) > len(shape):
            raise ShapeError(f"{what} has shape {A.show_shape(shape)}: {len(idx)} "
                             f"ind{'ex' if len(idx) == 1 else 'ices'} is too many")
        for i, n in zip(idx, shape):
            if not -n <= i < n:
                raise ShapeError(f"index {i} is out of range for {what} with shape {A.show_shape(shape)} "
                                 f"(indices are 0-based: 0 to {n - 1})")
    elif kind is ListLit:
        first = shapes[0]
        for sh in shapes[1:]:
            if sh != first:
                raise ShapeError(f"the entries of a list literal must have one shape, got {A.show_shape(first)} "
                                 f"and {A.show_shape(sh)} (rows of different lengths?)")
        if len(first) > 1:
            raise ShapeError("a list of matrices would have 3 dimensions; vectors and matrices only")
        _check_size((len(shapes),) + first)


def _check_size(shape: tuple[int, ...]) -> None:
    size = int(np.prod(shape)) if shape else 1
    if size > MAX_ARRAY_ELEMENTS:
        raise ShapeError(f"the result would have shape {shape} ({size} entries; at most {MAX_ARRAY_ELEMENTS})")



# ---------------------------------------------------------------------------
# Expansion into elementary operations (Wengert list)
# ---------------------------------------------------------------------------
def _is_literal(node: Any) -> bool:
    if type(node) in (Num, Const):
        return True
    if type(node) is ListLit:
        return all(_is_literal(item) for item in node.items)
    return type(node) is UnaryOp and _is_literal(node.operand)


def expand_assignments(assignments: Iterable[Assignment], taken: set[str]) -> list[Assignment]:
    """Rewrite each assignment into one assignment per elementary operation.

    Temporaries are named v1, v2, … (skipping names the program already uses); the
    last operation of each assignment keeps the user's name, so outputs stay named.
    """
    counter = [0]
    out: list[Assignment] = []

    def fresh() -> str:
        while True:
            counter[0] += 1
            name = f"v{counter[0]}"
            if name not in taken:
                taken.add(name)
                return name

    def flatten(node: Any, a: Assignment, target: str | None) -> Any:
        """Return a leaf (Name or literal) standing for node, emitting steps for operations."""
        kind = type(node)
        if kind is Name or _is_literal(node):
            if target is None:
                return node
            inner = node  # y = x: still one step, so the user's name appears
        elif kind is UnaryOp:
            inner = UnaryOp(node.op, flatten(node.operand, a, None), node.line, node.col)
        elif kind is BinOp:
            inner = BinOp(node.op, flatten(node.left, a, None), flatten(node.right, a, None), node.line, node.col)
        elif kind is ListLit:
            inner = ListLit(tuple(flatten(item, a, None) for item in node.items), node.line, node.col)
        elif kind is Index:
            inner = Index(flatten(node.target, a, None), node.index, node.line, node.col)
        else:  # a call: its operands (every argument of a vector function; the first otherwise)
            every = (node.func in _ARRAY_CALLS or node.func == "pow"
                     or getattr(RULES.get(node.func), "partials", None) is not None)
            args = tuple(flatten(arg, a, None) if i == 0 or every else arg for i, arg in enumerate(node.args))
            inner = Call(node.func, args, node.line, node.col)
        name = target or fresh()
        out.append(Assignment(name, inner, a.line, a.col, expr_to_text(inner), False))
        return Name(name, node.line, node.col)

    for a in assignments:
        if a.is_input:
            out.append(a)
        else:
            flatten(a.expr, a, a.target)
    return out



# ---------------------------------------------------------------------------
# Input values
# ---------------------------------------------------------------------------
def coerce_input(name: str, value: Any, exact: bool) -> Any:
    """An input value as the tracer computes with it: a float, or an exact sympy number
    when ``exact``; mpmath and sympy values pass through; text is parsed."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        from .parse import parse_literal

        if exact:  # the decimals as written (0.1 is 1/10), as for a scalar given as text
            node = parse_literal(value.strip(), f"input {name}", node=True)
            probe = _coerce_array(name, parse_literal(value.strip(), f"input {name}"), False)
            if probe.size > MAX_EXACT_ENTRIES:
                raise ProgramError(f"input {name} has {probe.size} entries; exact mode takes at most "
                                   f"{MAX_EXACT_ENTRIES}")
            return np.asarray(Evaluator(True).evaluate(node, {}), dtype=object).reshape(probe.shape)
        value = parse_literal(value.strip(), f"input {name}")
    if isinstance(value, (list, tuple, np.ndarray)):
        return _coerce_array(name, value, exact)
    if isinstance(value, str):
        try:
            value = exact_fraction(value, f"input {name}") if exact else float(value)
        except (ValueError, ZeroDivisionError):
            raise ProgramError(f"input {name}: {value!r} is not a number") from None
    foreign = type(value).__module__.split(".")[0] in ("sympy", "mpmath")  # exact / high precision
    if isinstance(value, (complex, np.complexfloating)) or type(value).__name__ == "mpc" or (
            foreign and getattr(value, "is_real", None) is False):
        # a real trace of a complex input would drop the imaginary part silently (numpy's
        # float() of complex128 only warns): refuse it by name
        raise ProgramError(f"input {name}: {value!r} is not a real number")
    if isinstance(value, bool) or not (isinstance(value, (int, float, Fraction, np.number)) or foreign):
        raise ProgramError(f"input {name}: {value!r} is not a number")
    if exact:
        import sympy

        if isinstance(value, (int, Fraction, np.integer)):
            f = Fraction(int(value)) if not isinstance(value, Fraction) else value
            out = sympy.Rational(f.numerator, f.denominator)
            check_exact_size(out, f"input {name}")
            return out
        if isinstance(value, (float, np.floating)):
            f = Fraction(float(value))  # the binary float exactly: no digits invented
            return sympy.Rational(f.numerator, f.denominator)
        return value
    return value if foreign else float(value)


def _coerce_array(name: str, value: Any, exact: bool) -> np.ndarray:
    """A vector or matrix input as a fresh float array (the caller's array is not kept);
    with ``exact`` an object array of sympy Rationals (each float exactly, as for scalars)."""
    if exact and not isinstance(value, np.ndarray):
        return _exact_nested(name, value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf" or value.dtype.kind == "b":
            raise ProgramError(f"input {name}: an array of {value.dtype} is not an array of numbers")
        if value.size > MAX_INPUT_ELEMENTS:
            raise ProgramError(f"input {name} has {value.size} entries; at most {MAX_INPUT_ELEMENTS}")
        arr = np.array(value, dtype=float)
    else:
        arr = _nested_to_array(name, value)
    if arr.ndim > 2:
        raise ProgramError(f"input {name} has shape {arr.shape}: vectors and matrices (at most 2 "
                           "dimensions) only")
    if arr.size == 0:
        raise ProgramError(f"input {name} is empty")
    if exact:
        return exact_array(arr, name)
    return arr


def exact_array(arr: np.ndarray, name: str) -> np.ndarray:
    """A float array as an object array of sympy Rationals (the binary floats exactly)."""
    if arr.size > MAX_EXACT_ENTRIES:
        raise ProgramError(f"input {name} has {arr.size} entries; exact mode takes at most {MAX_EXACT_ENTRIES}")
    import sympy

    out = np.empty(arr.shape, dtype=object)
    for ix, v in np.ndenumerate(arr):
        if not math.isfinite(v):
            raise ProgramError(f"input {name}: {v} has no exact value")
        f = Fraction(float(v))
        out[ix] = sympy.Rational(f.numerator, f.denominator)
    return out


def _exact_nested(name: str, value: Any) -> np.ndarray:
    """Exact entries of a nested list: ints, Fractions and decimal text exactly, floats as
    their binary value (what ``coerce_input`` does for one number)."""
    shape_probe = _nested_to_array(name, [[0.0 if _is_num(v) else v for v in r] if isinstance(r, (list, tuple))
                                          else (0.0 if _is_num(r) else r) for r in value])
    flat = [v for r in value for v in r] if shape_probe.ndim == 2 else list(value)
    if len(flat) > MAX_EXACT_ENTRIES:
        raise ProgramError(f"input {name} has {len(flat)} entries; exact mode takes at most {MAX_EXACT_ENTRIES}")
    out = np.empty(len(flat), dtype=object)
    for i, v in enumerate(flat):
        out[i] = coerce_input(name, v, True)
    return out.reshape(shape_probe.shape)


def _is_num(v: Any) -> bool:
    return isinstance(v, (Fraction, np.number)) or type(v).__module__.split(".")[0] in ("sympy",)


def _nested_to_array(name: str, value: Any) -> np.ndarray:
    count = 0
    rows = value
    flat: list = []
    shape: tuple[int, ...]
    if all(not isinstance(v, (list, tuple, np.ndarray)) for v in rows):
        flat = list(rows)
        shape = (len(rows),)
    else:
        if not all(isinstance(v, (list, tuple, np.ndarray)) for v in rows):
            raise ProgramError(f"input {name}: a list mixes numbers and rows")
        lengths = {len(r) for r in rows}
        if len(lengths) != 1:
            raise ProgramError(f"input {name}: the rows of a matrix must have one length "
                               f"(got lengths {', '.join(str(len(r)) for r in rows)})")
        for r in rows:
            if any(isinstance(v, (list, tuple, np.ndarray)) for v in r):
                raise ProgramError(f"input {name}: vectors and matrices (at most 2 dimensions) only")
            flat.extend(r)
        shape = (len(rows), lengths.pop())
    count = len(flat)
    if count > MAX_INPUT_ELEMENTS:
        raise ProgramError(f"input {name} has {count} entries; at most {MAX_INPUT_ELEMENTS}")
    out = []
    for v in flat:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ProgramError(f"input {name}: {v!r} is not a number")
        out.append(float(v))
    return np.array(out, dtype=float).reshape(shape)
