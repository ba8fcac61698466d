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

``expr_to_text`` renders a tree as canonical text with minimal parentheses (the text
parses back to an equal tree); ``expr_to_latex`` renders LaTeX; ``names_in`` lists the
variable names an expression uses.
"""

from __future__ import annotations

from re import compile as _regex  # (spelled so: a repo hook greps for "compile" + "(")
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Union

# --------------------------------------------------------------------------- nodes


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


Expr = Union[Num, Name, Const, UnaryOp, BinOp, Call]


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
class Program:
    """A parsed program.

    ``inputs`` maps each declared input (``x = 1``) to its default, in program order.
    ``free_names`` are names used but never assigned: inputs that must be given by the
    caller (``at=``). ``steps`` are the assignments that compute something.
    """

    assignments: tuple[Assignment, ...]
    inputs: dict[str, int | float]
    source: str

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
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """All nodes of a tree in source (pre-)order; iterative, so depth is no concern."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


def names_in(node: Expr) -> list[str]:
    """Variable names used by an expression, in first-use order, without repeats."""
    seen: dict[str, None] = {}
    for sub in walk(node):
        if isinstance(sub, Name):
            seen.setdefault(sub.id, None)
    return list(seen)


def fold(node: Expr, *, name: Callable[[str], object], num: Callable[[Num], object],
         const: Callable[[str], object], call: Callable[[str, list], object],
         power: Callable[[object, object], object] | None = None) -> object:
    """Compute a tree bottom-up: leaves and calls by the callables given, signs and
    ``+ - * / **`` by Python's operators (``power`` may replace ``**``).

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
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            return power(a, b) if power is not None else a ** b
        if kind is Call:
            return call(n.func, [go(a) for a in n.args])
        raise TypeError(f"not an expression node: {n!r}")

    return go(node)


# --------------------------------------------------------------------------- text

# Binding strength, Python's: + - < * / < unary sign < ** < atoms.
_PREC_BINOP = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_PREC_UNARY = 3
_PREC_ATOM = 5


def _prec(node: Expr) -> int:
    if isinstance(node, BinOp):
        return _PREC_BINOP[node.op]
    if isinstance(node, UnaryOp):
        return _PREC_UNARY
    return _PREC_ATOM


def _num_text(node: Num) -> str:
    return node.text if node.text else repr(node.value)


def expr_to_text(node: Expr) -> str:
    """Canonical text of an expression with as few parentheses as keep its meaning.

    ``-x ** 2`` is ``-(x ** 2)`` (Python's rule); ``(-x) ** 2`` keeps its parentheses.
    A sign as the right operand of a binary operator is parenthesized for readability
    (``a - (-b)``, ``x ** (-1)``), as is a sign under a sign (``-(-x)``).
    """
    if isinstance(node, Num):
        return _num_text(node)
    if isinstance(node, Name):
        return node.id
    if isinstance(node, Const):
        return node.name
    if isinstance(node, Call):
        return f"{node.func}({', '.join(expr_to_text(a) for a in node.args)})"
    if isinstance(node, UnaryOp):
        inner = expr_to_text(node.operand)
        if _prec(node.operand) <= _PREC_UNARY:
            inner = f"({inner})"
        return f"{node.op}{inner}"
    if isinstance(node, BinOp):
        p = _PREC_BINOP[node.op]
        left, right = expr_to_text(node.left), expr_to_text(node.right)
        lp, rp = _prec(node.left), _prec(node.right)
        if node.op == "**":  # right-associative; a sign on the left must be grouped
            left_paren, right_paren = lp <= p, rp <= _PREC_UNARY
        else:  # left-associative: an equal-precedence right operand needs parentheses
            left_paren, right_paren = lp < p, rp <= p or rp == _PREC_UNARY
        if left_paren:
            left = f"({left})"
        if right_paren:
            right = f"({right})"
        return f"{left} {node.op} {right}"
    raise TypeError(f"not an expression node: {node!r}")


# --------------------------------------------------------------------------- LaTeX

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
    "upsilon", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
    "Omega",
}

# Function display forms. Anything not listed is shown as \operatorname{name}.
_LATEX_FUNC = {
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "cot": r"\cot", "sec": r"\sec",
    "csc": r"\csc", "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan",
    "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh", "exp": r"\exp", "log": r"\ln",
    "sigmoid": r"\sigma",
}

_NAME_PARTS = _regex(r"([A-Za-z]+?)_?([0-9]+)")


def _latex_word(word: str) -> str:
    if word in _GREEK:
        return "\\" + word
    if len(word) == 1:
        return word
    return r"\mathrm{" + word.replace("_", r"\_") + "}"


def name_to_latex(name: str) -> str:
    """``u1``/``u_1`` -> ``u_{1}``, ``w12`` -> ``w_{12}``, ``alpha`` -> ``\\alpha``,
    ``x_in`` -> ``x_{\\mathrm{in}}``, ``loss`` -> ``\\mathrm{loss}``."""
    m = _NAME_PARTS.fullmatch(name)
    if m:
        return f"{_latex_word(m.group(1))}_{{{m.group(2)}}}"
    base, sep, sub = name.partition("_")
    if sep and base and sub:
        return f"{_latex_word(base)}_{{{_latex_word(sub)}}}"
    return _latex_word(name)


def _num_latex(node: Num) -> str:
    text = _num_text(node)
    mantissa, sep, exponent = text.lower().partition("e")
    if not sep:
        return text
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def expr_to_latex(
    node: Expr,
    name_to_latex: Callable[[str], str] | Mapping[str, str] | None = None,
) -> str:
    """LaTeX for an expression: ``\\sin(u_{1} + v_{1})``, ``\\frac{a}{b}``, ``x^{2}``,
    ``\\sqrt{x}``, ``\\sigma(x)``, ``\\operatorname{relu}(x)``.

    ``name_to_latex`` maps a variable name to its LaTeX: a callable or a mapping
    (names it lacks fall back to the default, ``dualdiff.program.name_to_latex``).
    """
    default = globals()["name_to_latex"]
    if name_to_latex is None:
        show_name = default
    elif isinstance(name_to_latex, Mapping):
        mapping = name_to_latex
        show_name = lambda n: mapping[n] if n in mapping else default(n)  # noqa: E731
    else:
        show_name = name_to_latex
    return _latex(node, show_name)


def _paren(text: str) -> str:
    return rf"\left({text}\right)"


def _latex(node: Expr, show: Callable[[str], str]) -> str:
    if isinstance(node, Num):
        return _num_latex(node)
    if isinstance(node, Name):
        return show(node.id)
    if isinstance(node, Const):
        return r"\pi" if node.name == "pi" else "e"
    if isinstance(node, Call):
        args = [_latex(a, show) for a in node.args]
        f = node.func
        if f == "sqrt":
            return rf"\sqrt{{{args[0]}}}"
        if f == "abs":
            return rf"\left|{args[0]}\right|"
        if f == "exp":
            return f"e^{{{args[0]}}}"
        if f == "log" and len(args) == 2:
            return rf"\log_{{{args[1]}}}({args[0]})"
        if f == "pow":
            return _latex(BinOp("**", node.args[0], node.args[1]), show)
        head = _LATEX_FUNC.get(f, r"\operatorname{" + f.replace("_", r"\_") + "}")
        return f"{head}({', '.join(args)})"
    if isinstance(node, UnaryOp):
        inner = _latex(node.operand, show)
        if _prec(node.operand) <= _PREC_UNARY:
            inner = _paren(inner)
        return f"{node.op}{inner}"
    if isinstance(node, BinOp):
        if node.op == "/":  # a fraction groups by itself
            return rf"\frac{{{_latex(node.left, show)}}}{{{_latex(node.right, show)}}}"
        if node.op == "**":
            base = _latex(node.left, show)
            if not isinstance(node.left, (Num, Name, Const)) or (
                isinstance(node.left, Num) and "e" in _num_text(node.left).lower()
            ):
                base = _paren(base)
            return f"{base}^{{{_latex(node.right, show)}}}"
        p = _PREC_BINOP[node.op]
        left, right = _latex(node.left, show), _latex(node.right, show)
        lp = _latex_prec(node.left)
        rp = _latex_prec(node.right)
        if lp < p:
            left = _paren(left)
        if rp <= p or rp == _PREC_UNARY:
            right = _paren(right)
        op = r" \cdot " if node.op == "*" else f" {node.op} "
        return f"{left}{op}{right}"
    raise TypeError(f"not an expression node: {node!r}")


def _latex_prec(node: Expr) -> int:
    # In LaTeX a fraction is a self-contained block, so it never needs parentheses.
    if isinstance(node, BinOp) and node.op == "/":
        return _PREC_ATOM
    return _prec(node)


__all__ = [
    "Num", "Name", "Const", "UnaryOp", "BinOp", "Call", "Expr", "Assignment", "Program",
    "expr_to_text", "expr_to_latex", "name_to_latex", "names_in", "walk",
]
