"""``dualdiff diff EXPR --at x=1 [--order N]``: the value and derivatives of one expression.

One variable: f, f', …, f⁽ᴺ⁾ from a single Jet pass.  Several variables: the value and
the gradient from one multi-direction Dual pass (order 1 only).
"""
from __future__ import annotations

import math
from typing import Mapping

from .errors import ProgramError
from .numfmt import format_number, json_number
from .render import render_table

MAX_ORDER = 30


def diff_expression(expr: str, at: Mapping[str, str], order: int = 1, fmt: str = "simple",
                    digits: int = 12) -> str:
    """Render the value and derivatives of ``expr`` at the point ``at``.

    >>> print(diff_expression("x ** 3", {"x": "2"}, order=2, fmt="plain"))
    derivative    value
    f             8
    f'            12
    f''           12
    """
    from .operators import taylor
    from .parse import parse_expression
    from .evaluate import Evaluator
    from .trace import trace_program

    node, names = parse_expression(expr)
    missing = [n for n in names if n not in at]
    if missing:
        raise ProgramError(f"no value for {', '.join(missing)}: give it with --at {missing[0]}=VALUE")
    extra = [n for n in at if n not in names]
    if extra:
        raise ProgramError(f"--at names {', '.join(extra)}, which the expression does not use")
    point = {}
    for n in names:
        try:
            point[n] = float(at[n])
        except ValueError:
            raise ProgramError(f"--at {n}={at[n]}: {at[n]!r} is not a number") from None
    if not isinstance(order, int) or not 0 <= order <= MAX_ORDER:
        raise ProgramError(f"--order must be an integer from 0 to {MAX_ORDER}, got {order}")

    if len(names) > 1 and order > 1:
        raise ProgramError("--order above 1 needs an expression of one variable")
    if len(names) <= 1:
        var = names[0] if names else "x"
        x0 = point.get(var, 0.0)
        try:
            coeffs = taylor(lambda t: Evaluator().evaluate(node, {var: t}), x0, order)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise ProgramError(str(exc)) from None
        rows = [[("f" + "'" * k) if k <= 3 else f"f({k})", coeffs[k] * math.factorial(k)]
                for k in range(order + 1)]
    else:
        tr = trace_program(f"f = {expr}", at=point)
        rows = [["f", tr.output.value]] + [[f"∂f/∂{w}", tr.output.derivs[w]] for w in tr.wrt]
    if fmt == "json":
        import json

        return json.dumps({"expr": expr, "at": point, "rows": {r[0]: json_number(r[1]) for r in rows}}, indent=2)
    return render_table(["derivative", "value"], [[r[0], format_number(r[1], digits)] for r in rows], fmt)
