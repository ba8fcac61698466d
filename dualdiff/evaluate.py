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
from fractions import Fraction
from typing import Any, Iterable, Mapping

import numpy as np

from . import functions as F
from .errors import ProgramError
from .program import Assignment, BinOp, Call, Const, Name, Num, UnaryOp, fold
from .printing import expr_to_text
from .rules import RULES

__all__ = ["Evaluator", "expand_assignments", "coerce_input"]


# ---------------------------------------------------------------------------
# Evaluation of expression trees
# ---------------------------------------------------------------------------
class Evaluator:
    """Evaluates program nodes with dualdiff numbers; notes kinks it passes through."""

    MAX_EXACT_EXPONENT = 10_000  # sympy would try to expand 9**(9**9) exactly

    def __init__(self, exact: bool = False):
        self.exact = exact
        self.kinks: list[str] = []
        if exact:
            import sympy

            self._sympy = sympy

    def number(self, node: Num) -> Any:
        if self.exact:
            frac = Fraction(node.text) if node.text else Fraction(node.value)
            return self._sympy.Rational(frac.numerator, frac.denominator)
        return float(node.value)

    def const(self, name: str) -> Any:
        if self.exact:
            return self._sympy.pi if name == "pi" else self._sympy.E
        return math.pi if name == "pi" else math.e

    def evaluate(self, node: Any, env: Mapping[str, Any]) -> Any:
        return fold(node, name=env.__getitem__, num=self.number, const=self.const, call=self.call,
                    power=self.power)

    def power(self, a: Any, b: Any) -> Any:
        if self.exact:
            self._check_exact_power(b)
        return a ** b

    def call(self, func: str, args: list) -> Any:
        rule = RULES[func]
        if rule.kink is not None:
            at = F.primal(args[0])
            if np.any(rule.kink(at, *args[1:])):  # any() so that array inputs work too
                self.kinks.append(f"{func} at {_short(at)}")
        return getattr(F, func)(*args)

    def _check_exact_power(self, p: Any) -> None:
        v = F.primal(p)
        if getattr(v, "is_number", False) and v.is_finite and abs(v) > self.MAX_EXACT_EXPONENT:
            raise OverflowError(f"pow: exponent {v} is too large for exact arithmetic "
                                f"(limit {self.MAX_EXACT_EXPONENT})")


def _short(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)



# ---------------------------------------------------------------------------
# Expansion into elementary operations (Wengert list)
# ---------------------------------------------------------------------------
def _is_literal(node: Any) -> bool:
    if type(node) in (Num, Const):
        return True
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
        else:
            args = tuple(flatten(arg, a, None) if i == 0 else arg for i, arg in enumerate(node.args))
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
    if isinstance(value, str):
        try:
            value = Fraction(value) if exact else float(value)
        except (ValueError, ZeroDivisionError):
            raise ProgramError(f"input {name}: {value!r} is not a number") from None
    foreign = type(value).__module__.split(".")[0] in ("sympy", "mpmath")  # exact / high precision
    if isinstance(value, bool) or not (isinstance(value, (int, float, Fraction, np.number)) or foreign):
        raise ProgramError(f"input {name}: {value!r} is not a number")
    if exact:
        import sympy

        if isinstance(value, (int, Fraction, np.integer)):
            f = Fraction(int(value)) if not isinstance(value, Fraction) else value
            return sympy.Rational(f.numerator, f.denominator)
        if isinstance(value, (float, np.floating)):
            f = Fraction(float(value))  # the binary float exactly: no digits invented
            return sympy.Rational(f.numerator, f.denominator)
        return value
    return value if foreign else float(value)

