"""Exact traces as a shared graph: a large exact form becomes a symbol defined by earlier ones.

An exact trace (``exact=True``, ``--exact``) computes with sympy numbers.  Written out as
trees, exact forms double with every step of a recurrence such as the worksheet's
``u(k+1) = sin(u(k) + v(k))``, ``v(k+1) = cos(u(k) + v(k))``: both earlier trees are
inside each new one, so ten pairs took over a minute and twenty would never end.  Here a
step's exact value or derivative whose tree has more than :data:`SHARE_ABOVE` nodes (1000) is
replaced by a :class:`StepSymbol` -- a sympy symbol named after the step (``u9``,
``du9/dx``) that carries its exact definition in terms of earlier steps' symbols
(``sin(u8 + v8)``), its numeric value (60 digits, computed once from the earlier
symbols' stored values) and
the sign assumptions that value implies (so ``relu`` and ``abs`` still decide exactly as
before).  Every step then holds a short form, and the cost grows linearly in the steps,
as in the stepwise symbolic check.  Small forms (below the threshold) stay as they are.

>>> import dualdiff as dd
>>> src = "x = 1\\nu1 = sin(x)\\nv1 = cos(x)\\n" + "".join(
...     f"u{k} = sin(u{k-1} + v{k-1})\\nv{k} = cos(u{k-1} + v{k-1})\\n" for k in range(2, 21))
>>> tr = dd.trace_program(src + "y = u20 * v20", exact=True)
>>> "du18/dx" in str(exact_form(tr["u20"].derivs["x"]))  # written with earlier steps' symbols
True
>>> round(float(tr["u20"].value), 12)  # mpmath, 30 digits: 0.951715247643773160...
0.951715247644
"""
from __future__ import annotations

from typing import Any

__all__ = ["SHARE_ABOVE", "share", "exact_form", "tree_size"]

SHARE_ABOVE = 1000  # tree nodes: above this an exact form is shared as a step symbol
# (the worksheet's largest exact form has 628 nodes: small traces keep their full forms)
NUMERIC_DPS = 60   # digits kept of every step symbol's value
_CLASS: Any = None


def tree_size(expr: Any, cap: int) -> int:
    """Nodes of ``expr`` as a tree, counting stops just above ``cap`` (bounded work)."""
    stack, seen = [expr], 0
    while stack and seen <= cap:
        node = stack.pop()
        seen += 1
        stack.extend(getattr(node, "args", ()))
    return seen


def _step_symbol_class() -> Any:
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import sympy
    from sympy.core.evalf import prec_to_dps

    class StepSymbol(sympy.Dummy):
        """A step's exact form, shared: a symbol with its definition and its value."""

        def __new__(cls, name: str, definition: Any) -> "StepSymbol":
            # The value from the earlier symbols' stored values (never from their
            # definitions again: that recursion would make the cost exponential again).
            earlier = {a: a.numeric for a in definition.atoms(cls)}
            num = sympy.N(definition.xreplace(earlier) if earlier else definition, NUMERIC_DPS)
            assumptions: dict[str, bool] = {"real": True}
            if num.is_Number and abs(num) > sympy.Float(10) ** (-NUMERIC_DPS + 10):
                assumptions["positive" if num > 0 else "negative"] = True
            obj = super().__new__(cls, name, **assumptions)
            obj.definition = definition
            obj.numeric = num
            return obj

        def _eval_evalf(self, prec: int) -> Any:
            # at most NUMERIC_DPS digits: a step symbol's value is stored, not recomputed
            return sympy.Float(self.numeric, min(prec_to_dps(prec), NUMERIC_DPS))

        def _sympystr(self, printer: Any) -> str:
            return self.name

        def _latex(self, printer: Any) -> str:
            return sympy.latex(sympy.Symbol(self.name))

        def __reduce__(self):  # pragma: no cover - pickling keeps the definition
            return (StepSymbol, (self.name, self.definition))

    _CLASS = StepSymbol
    return _CLASS


def share(expr: Any, name: str) -> Any:
    """``expr``, or a step symbol named ``name`` standing for it when its tree is large."""
    if type(expr).__module__.split(".")[0] != "sympy" or tree_size(expr, SHARE_ABOVE) <= SHARE_ABOVE:
        return expr
    return _step_symbol_class()(name, expr)


def exact_form(v: Any) -> Any:
    """What to show as a step's exact form: a step symbol's definition, else the value."""
    return getattr(v, "definition", v)
