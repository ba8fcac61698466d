"""``dualdiff diff EXPR --at x=1 [--order N]``: the value and derivatives of one expression.

One variable: f, f', …, f⁽ᴺ⁾ from a single Jet pass.  Several variables: the value and
the gradient from one multi-direction Dual pass; with ``--order 2`` also the Hessian
(every ∂²f/∂a∂b, forward over forward; JSON adds ``"gradient"`` and ``"hessian"`` in
the order the variables first appear).  Kinks met are noted below the table, with the
one-sided derivatives beside the convention's.
"""
from __future__ import annotations

import math
from typing import Mapping

from .errors import ProgramError
from .numfmt import check_digits, format_number, json_number
from .sanitize import dumps
from .render import render_table

MAX_ORDER = 30


def diff_expression(expr: str, at: Mapping[str, str], order: int = 1, fmt: str = "simple",
                    digits: int = 12, side: str | None = None) -> str:
    """Render the value and derivatives of ``expr`` at the point ``at``.

    At a kink (relu, abs, selu, … at exactly 0) the derivatives depend on the side, so the
    table is never silent: a note names the kink and the convention the ``value`` column
    follows, and ``left``/``right`` columns give the one-sided derivatives.  ``side``
    ("left" or "right") prints that one-sided column instead of the convention.

    >>> print(diff_expression("x ** 3", {"x": "2"}, order=2, fmt="plain"))
    derivative    value
    f             8
    f'            12
    f''           12
    """
    from .parse import parse_expression
    from .trace import trace_program

    check_digits(digits)
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
    if side not in (None, "left", "right"):
        raise ProgramError(f"--side must be left or right, got {side!r}")

    if len(names) > 1 and order > 2:
        raise ProgramError("--order above 2 needs an expression of one variable "
                           "(with several variables: --order 2 gives the Hessian)")
    sides: dict[str, list] = {}
    extra_json: dict = {}
    if len(names) <= 1:
        var = names[0] if names else "x"
        x0 = point.get(var, 0.0)
        values, kinks = _taylor(node, var, x0, order, side)
        if kinks and side is None:  # the convention, and both one-sided columns
            sides = {s: _taylor(node, var, x0, order, s)[0] for s in ("left", "right")}
        labels = [("f" + "'" * k) if k <= 3 else f"f({k})" for k in range(order + 1)]
    else:
        if side is not None:
            raise ProgramError("--side needs an expression of one variable")
        tr = trace_program(f"f = {expr}", at=point, wrt=names, order=max(order, 1))
        out = tr.output
        kinks = list(out.kinks)
        values = [out.value] + ([out.derivs[w] for w in tr.wrt] if order else [])
        labels = ["f"] + ([f"∂f/∂{w}" for w in tr.wrt] if order else [])
        extra_json["variables"] = list(tr.wrt)
        if order:
            extra_json["gradient"] = [json_number(out.derivs[w]) for w in tr.wrt]
        if order == 2:
            for i, a in enumerate(tr.wrt):
                for b in tr.wrt[i:]:
                    labels.append(f"∂²f/∂{a}²" if a == b else f"∂²f/∂{a}∂{b}")
                    values.append(out.derivs2[a, b])
            extra_json["hessian"] = [[json_number(out.derivs2[a, b]) for b in tr.wrt] for a in tr.wrt]
    notes = _kink_notes(kinks, side, labels, values, sides, digits)
    column = "value" if side is None else side
    if fmt == "json":
        doc = {"expr": expr, "at": point, "side": side,
               "rows": {lab: json_number(v) for lab, v in zip(labels, values)}}
        for s, vals in sides.items():
            doc[s] = {lab: json_number(v) for lab, v in zip(labels, vals)}
        doc["notes"] = notes
        doc.update(extra_json)
        return dumps(doc)
    headers = ["derivative", column] + list(sides)
    rows = [[lab, format_number(v, digits)] + [format_number(sides[s][i], digits) for s in sides]
            for i, (lab, v) in enumerate(zip(labels, values))]
    table = render_table(headers, rows, fmt)
    return table + "".join(f"\nnote: {n}" for n in notes)


def _taylor(node, var: str, x0: float, order: int, side: str | None) -> tuple[list, list[str]]:
    """f, f', …, f⁽ᴺ⁾ at x0 (one-sided when ``side`` is given) and the kinks met on the way."""
    from .evaluate import Evaluator
    from .operators import taylor

    ev = Evaluator()
    try:
        coeffs = taylor(lambda t: ev.evaluate(node, {var: t}), x0, order, side=side)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise ProgramError(str(exc)) from None
    return [coeffs[k] * math.factorial(k) for k in range(order + 1)], list(dict.fromkeys(ev.kinks))


def _kink_notes(kinks: list[str], side: str | None, labels: list[str], values: list,
                sides: dict[str, list], digits: int) -> list[str]:
    """One line per kink met: where, the convention, and how the one-sided values differ."""
    from .rules import RULES

    notes = []
    for k in kinks:
        fname = k.split(" ")[0]
        conv = RULES[fname].kink_note if fname in RULES else ""
        text = f"kink: {k}" + (f" ({conv})" if conv else "")
        if side is not None:
            text += f"; the column holds the {side}-sided derivatives"
        elif sides:
            jumps = [f"{lab} jumps from {format_number(lv, digits)} (left) to {format_number(rv, digits)} (right)"
                     for lab, lv, rv in zip(labels, sides["left"], sides["right"]) if lv != rv]
            if jumps:
                text += "; " + ", ".join(jumps)
            text += "; the value column is the convention, left and right are one-sided (--side left|right)"
        else:
            text += "; the derivatives follow this convention, one-sided ones differ"
        notes.append(text)
    return notes
