"""Expressions as text and as LaTeX: the one printer of program trees.

``expr_to_text`` renders a tree (``dualdiff.program``) as canonical text with as few
parentheses as keep its meaning (the text parses back to an equal tree);
``expr_to_latex`` renders LaTeX, each function in the form its rule gives
(``Rule.to_latex`` in ``dualdiff.rules``); ``name_to_latex`` shows a variable name (``u1`` ->
``u_{1}``).  Both printers share one precedence table, Python's.

>>> from dualdiff.parse import parse_expression
>>> node, _ = parse_expression("-x ** 2 / sin(u1)")
>>> expr_to_text(node)
'-x ** 2 / sin(u1)'
>>> print(expr_to_latex(node))
\\frac{-x^{2}}{\\sin(u_{1})}
"""

from __future__ import annotations

from re import compile as _regex  # (spelled so: a repo hook greps for "compile" + "(")
from collections.abc import Callable, Mapping

from .program import BinOp, Call, Const, Expr, Index, ListLit, Name, Num, UnaryOp
from .rules import RULES

__all__ = ["expr_to_text", "expr_to_latex", "name_to_latex"]


# --------------------------------------------------------------------------- text

# Binding strength, Python's: + - < * / < unary sign < ** < atoms.
_PREC_BINOP = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "**": 4}
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
    if isinstance(node, ListLit):
        return f"[{', '.join(expr_to_text(a) for a in node.items)}]"
    if isinstance(node, Index):
        target = expr_to_text(node.target)
        if _prec(node.target) < _PREC_ATOM:
            target = f"({target})"
        return f"{target}[{', '.join(str(i) for i in node.index)}]"
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
    (names it lacks fall back to the default, ``dualdiff.printing.name_to_latex``).
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


# The vector functions of the language (no rule: they are structural, see dualdiff.vectorops).
_ARRAY_LATEX = {"sum": r"\sum\left({x}\right)", "mean": r"\operatorname{{mean}}\left({x}\right)",
                "max": r"\max\left({x}\right)", "dot": r"\operatorname{{dot}}\left({args}\right)"}


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
        if f == "pow":  # pow(a, b) is a ** b: the power's grouping rules apply
            return _latex(BinOp("**", node.args[0], node.args[1]), show)
        if f == "transpose":
            inner = args[0] if isinstance(node.args[0], (Name, ListLit)) else _paren(args[0])
            return f"{{{inner}}}^{{\\top}}"
        if f in _ARRAY_LATEX and not (f == "max" and len(args) == 2):  # sum, mean, max, dot: structural, no rule (dualdiff.vectorops)
            return _ARRAY_LATEX[f].format(x=args[0], args=", ".join(args))
        return RULES[f].to_latex(args)  # the rule's template: \sin(x), \log_{2}(x), \sigma(x)
    if isinstance(node, ListLit):
        return r"\left[" + ", ".join(_latex(a, show) for a in node.items) + r"\right]"
    if isinstance(node, Index):
        target = _latex(node.target, show)
        if _prec(node.target) < _PREC_ATOM:
            target = _paren(target)
        return f"{target}[{', '.join(str(i) for i in node.index)}]"
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
        op = {"*": r" \cdot ", "@": " "}.get(node.op, f" {node.op} ")
        return f"{left}{op}{right}"
    raise TypeError(f"not an expression node: {node!r}")


def _latex_prec(node: Expr) -> int:
    # In LaTeX a fraction is a self-contained block, so it never needs parentheses.
    if isinstance(node, BinOp) and node.op == "/":
        return _PREC_ATOM
    return _prec(node)
