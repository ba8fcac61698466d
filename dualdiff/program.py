"""The parsed form of a dualdiff program: plain, immutable data, no calculus.

A program (see ``dualdiff.parse``) is a sequence of ``Assignment`` s whose right-hand
sides are small expression trees built from these nodes:

- ``Num``     a number literal; ``value`` is an ``int`` for integer literals (so exact
  and sympy modes can keep them exact) and a ``float`` otherwise; ``text`` is the
  literal exactly as written (``"1e-3"``).
- ``Name``    a variable (an input or an earlier step).
- ``Const``   ``pi`` or ``e``.
- ``UnaryOp`` ``-x`` / ``+x``.
- ``BinOp``   ``+ - * / **``.
- ``Call``    a call of a known function (``sin(x)``, ``log(x, 2)``).

Positions (``line``, ``col``, 1-based, columns count characters of the original line,
a tab being one column) are metadata: they are excluded from ``==`` and ``hash`` so
that two trees compare equal when they mean the same expression. A ``BinOp`` is placed
at its operator, a ``UnaryOp`` at its sign, a ``Call`` at the function name.

``names_in`` lists the variable names an expression uses; ``walk`` visits every node and
``fold`` computes a tree bottom-up.  Showing a tree as text or LaTeX is
``dualdiff.printing``'s job.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

# --------------------------------------------------------------------------- nodes


# The binary operators of the language, one place: every evaluator of program nodes
# (fold, the audit, backpropagation, the diagnosis) applies an operator through this.
BINARY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "@": operator.matmul,
}


def apply_binop(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for an operator of the language (``apply_binop("*", 2, 3) == 6``)."""
    return BINARY_OPS[op](a, b)


@dataclass(frozen=True, slots=True)
class Num:
    value: int | float
    text: str
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Const:
    name: str  # "pi" or "e"
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class UnaryOp:
    op: str  # "-" or "+"
    operand: "Expr"
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # "+", "-", "*", "/", "**"
    left: "Expr"
    right: "Expr"
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple["Expr", ...]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ListLit:
    """A list literal ``[a, b]`` (a vector) or ``[[a, b], [c, d]]`` (a matrix)."""

    items: tuple["Expr", ...]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Index:
    """``v[0]`` / ``W[1, 0]``: constant integer indices, 0-based (negative count from the end)."""

    target: "Expr"
    index: tuple[int, ...]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


Expr = Union[Num, Name, Const, UnaryOp, BinOp, Call, ListLit, Index]


@dataclass(frozen=True, slots=True)
class Assignment:
    """``target = expr`` on one line; ``text`` is the right-hand side as written.

    ``is_input`` is True when the right-hand side is a plain number literal (optionally
    signed): such a line declares an input whose default value is that number.
    """

    target: str
    expr: Expr
    line: int
    col: int
    text: str
    is_input: bool


@dataclass(frozen=True, slots=True)
class Vary:
    """A range an input may be drawn from for per-student variants
    (``x = 1  # vary: 0.5..2`` or ``# vary: 0.5..2 step 0.25``): drawn values are
    ``low + k·step`` (default step 0.01, so students compute with two decimals)."""

    low: float
    high: float
    step: float = 0.01
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Program:
    """A parsed program.

    ``inputs`` maps each declared input (``x = 1``) to its default, in program order.
    ``free_names`` are names used but never assigned: inputs that must be given by the
    caller (``at=``). ``steps`` are the assignments that compute something.
    ``vary`` maps an input to the range its ``# vary:`` comment declares.
    """

    assignments: tuple[Assignment, ...]
    inputs: dict[str, int | float]
    source: str
    vary: dict[str, Vary] = field(default_factory=dict)

    @property
    def steps(self) -> tuple[Assignment, ...]:
        return tuple(a for a in self.assignments if not a.is_input)

    @property
    def free_names(self) -> list[str]:
        assigned = {a.target for a in self.assignments}
        seen: dict[str, None] = {}
        for a in self.assignments:
            for name in names_in(a.expr):
                if name not in assigned:
                    seen.setdefault(name, None)
        return list(seen)


# --------------------------------------------------------------------------- walking


def _children(node: Expr) -> tuple[Expr, ...]:
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, UnaryOp):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, Index):
        return (node.target,)
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """All nodes of a tree in source (pre-)order; iterative, so depth is no concern."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


# The names each node uses, kept per node: a program's nodes are asked again for every
# trace of it (every variant of a class).  {id(node): (node, names)}; the entry holds the
# node, so its id cannot be reused while the entry lives.
_NAMES: dict[int, tuple[Expr, tuple[str, ...]]] = {}


def names_in(node: Expr) -> list[str]:
    """Variable names used by an expression, in first-use order, without repeats."""
    hit = _NAMES.get(id(node))
    if hit is not None and hit[0] is node:
        return list(hit[1])
    seen: dict[str, None] = {}
    for sub in walk(node):
        if isinstance(sub, Name):
            seen.setdefault(sub.id, None)
    if len(_NAMES) >= 20_000:  # bounded: programs come and go
        _NAMES.clear()
    _NAMES[id(node)] = (node, tuple(seen))
    return list(seen)


def fold(node: Expr, *, name: Callable[[str], object], num: Callable[[Num], object],
         const: Callable[[str], object], call: Callable[[str, list], object],
         power: Callable[[object, object], object] | None = None,
         matmul: Callable[[object, object], object] | None = None,
         listlit: Callable[[list], object] | None = None,
         index: Callable[[object, tuple], object] | None = None,
         check: Callable[[Expr, list], None] | None = None) -> object:
    """Compute a tree bottom-up: leaves and calls by the callables given, signs and
    ``+ - * / **`` by Python's operators (``power`` may replace ``**``); ``@``, list
    literals and indexing by ``matmul``, ``listlit`` and ``index``.  ``check(node,
    operands)`` (if given) sees every operator, call and index before it is computed
    (the tracer checks shapes there, so that an error can name the node's position).

    The tracer folds into dual numbers, the symbolic check into sympy expressions.
    Recursion is bounded by the parser's depth limit.

    >>> fold(BinOp("*", Num(2, "2"), Name("x")), name={"x": 3}.__getitem__,
    ...      num=lambda n: n.value, const=None, call=None)
    6
    """
    def go(n: Expr) -> object:
        kind = type(n)
        if kind is Name:
            return name(n.id)
        if kind is Num:
            return num(n)
        if kind is Const:
            return const(n.name)
        if kind is UnaryOp:
            v = go(n.operand)
            return -v if n.op == "-" else v
        if kind is BinOp:
            a, b = go(n.left), go(n.right)
            op = n.op
            if check is not None:
                check(n, [a, b])
            if op == "@":
                return matmul(a, b) if matmul is not None else a @ b
            if op == "**" and power is not None:
                return power(a, b)
            return apply_binop(op, a, b)
        if kind is Call:
            args = [go(a) for a in n.args]
            if check is not None:
                check(n, args)
            return call(n.func, args)
        if kind is ListLit:
            items = [go(a) for a in n.items]
            if check is not None:
                check(n, items)
            return listlit(items)
        if kind is Index:
            target = go(n.target)
            if check is not None:
                check(n, [target])
            return index(target, n.index)
        raise TypeError(f"not an expression node: {n!r}")

    return go(node)


def compile_scalar(node: Expr, *, num: Callable[[Num], object], const: Callable[[str], object],
                   function: Callable[[str, int], Callable[..., object] | None]) -> Callable[[Any], object] | None:
    """The tree as a Python function of an environment (``env[name]``), for re-evaluating
    one recorded expression many times (a variant's reference, a carried cell).

    It computes what :func:`fold` computes with the same leaves, but the tree is walked
    once, here: number literals and constants are made now (``num``/``const`` must not
    depend on when they are called), each call's function is looked up now
    (``function(name, number_of_arguments)``), and operators are bound to their Python
    operator.  Trees with ``@``, list literals or indexing (vectors), or a call whose
    ``function`` is None, give None: :func:`fold` does those.

    >>> f = compile_scalar(BinOp("*", Num(2, "2"), Name("x")), num=lambda n: n.value,
    ...                    const=None, function=None)
    >>> f({"x": 3}), f({"x": 5})
    (6, 10)
    """
    def go(n: Expr) -> Callable[[Any], object] | None:
        kind = type(n)
        if kind is Name:
            key = n.id
            return lambda env: env[key]
        if kind is Num or kind is Const:
            c = num(n) if kind is Num else const(n.name)
            return lambda env: c
        if kind is UnaryOp:
            a = go(n.operand)
            if a is None:
                return None
            if n.op == "-":
                return lambda env: -a(env)
            return a
        if kind is BinOp:
            if n.op == "@":
                return None
            a, b = go(n.left), go(n.right)
            if a is None or b is None:
                return None
            op = BINARY_OPS[n.op]
            return lambda env: op(a(env), b(env))
        if kind is Call:
            args = [go(x) for x in n.args]
            if any(x is None for x in args):
                return None
            f = function(n.func, len(args))
            if f is None:
                return None
            if len(args) == 1:
                a0 = args[0]
                return lambda env: f(a0(env))
            if len(args) == 2:
                a0, a1 = args
                return lambda env: f(a0(env), a1(env))
            return lambda env: f(*[x(env) for x in args])
        return None  # ListLit, Index

    return go(node)


__all__ = [
    "Num", "Name", "Const", "UnaryOp", "BinOp", "Call", "ListLit", "Index", "Expr", "Assignment", "Program",
    "names_in", "walk", "fold", "compile_scalar",
]
