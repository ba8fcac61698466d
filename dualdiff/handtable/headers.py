r"""Step names and column headers of a hand table: what each column holds.

Headers
=======

The step column is the first column headed ``step``, ``node``, ``variable``,
``name``, ``$i$``, ``#``, ... or left empty; failing that, the first column when
its header is not a value/derivative/expression header.  Value columns:
``value``, ``val``, ``v``, ``Value``, ``$u_i$ value``, ``primal``, ...
Derivative columns: ``d/dx``, ``dy/dx``, ``du/dx``, ``∂/∂x``,
``$\partial/\partial x$``, ``$\frac{\partial}{\partial x}$``, ``$\frac{d}{dx}$``,
``d/dw1``, ``derivative w.r.t. x``; the variable named is matched against
``wrt`` (ignoring ``_``, braces and subscript style).  A header naming no
variable (``derivative``, ``deriv``, ``tangent``, ``$\dot v$``, ``u'``) means the
first input of ``wrt``; a header naming a variable that is not an input means
the only input when ``wrt`` has exactly one and the name is not a step of the
table (``dy/dx`` for ``wrt=["t"]``), otherwise the column is reported unknown.
``expression``/``expr``/``formula`` and ``notes``/``comment`` columns are
ignored; any other column is recorded in :attr:`HandTable.problems`.
Canonical column names are ``"value"`` and ``"d/d<input>"`` (``"d/dx"``,
``"d/dw1"``).

Step names
==========

``u1``, ``u_1``, ``$u_1$``, ``u_{1}``, ``u₁``, ``**u1**``, ```u1```,
``\mathbf{u_1}`` all mean ``u1`` (:func:`normalize_step_name`): markup, ``_``,
braces and spaces are dropped, unicode subscripts become digits, a trailing
``= formula`` or `` (remark)`` is cut off.  Case is kept.  Verification should
pass the trace's own step names through the same function.
"""
from __future__ import annotations

import functools
import re

from .cells import MAX_CELL
from .markup import repeat_sub, strip_markup

__all__ = ["normalize_step_name", "var_key", "classify_header"]


@functools.lru_cache(maxsize=16384)  # pure; the same step names recur in every submission
def normalize_step_name(text: str) -> str:
    r"""Canonical step name: ``"$u_{1}$"`` -> ``"u1"``, ``"u₁"`` -> ``"u1"``,
    ``"**v_5**"`` -> ``"v5"``, ``"y = u_5 v_5"`` -> ``"y"``."""
    s = strip_markup(str(text))
    s = s.replace("*", "").replace("__", "")
    s = re.split(r"=|:=|≈|\\approx", s, maxsplit=1)[0]
    s = s.strip()
    if s.endswith(")"):  # "y (output)" -> "y"; "f(x)" stays (no space before "(")
        i = s.rfind("(")
        if i > 0 and s[i - 1].isspace() and ")" not in s[i + 1:-1]:
            s = s[:i]
    s = re.sub(r"\\([A-Za-z]+)", r"\1", s)  # \alpha_1 -> alpha1
    s = re.sub(r"[\s_{}]", "", s)
    return s.strip(":;,.")


def var_key(name: str) -> str:
    """How an input name is compared: subscripts, braces and case of markup ignored."""
    return normalize_step_name(name)


_STEP_HEADERS = {
    "step", "steps", "node", "nodes", "variable", "variables", "var", "name", "names",
    "i", "k", "j", "n", "#", "no", "no.", "id", "intermediate", "symbol", "quantity",
    "row", "stepname", "label", "item",
}
_EXPR_WORDS = re.compile(r"expr|formula|definition|^def$|operation|^op$|computation|rule|equation|"
                         r"assignment|how", re.IGNORECASE)
_IGNORED_WORDS = re.compile(r"^(notes?|comments?|remarks?|check|points?|score|marks?)$", re.IGNORECASE)
_VALUE_WORDS = re.compile(r"\b(value|values|val|primal|result|number)\b|^v$|^f$", re.IGNORECASE)
# (a component of a vector or matrix input: d/dx[2], d/dW1[1,0])
_DERIV_SLASH = re.compile(r"[d∂δ](?P<num>[A-Za-z][\w']*)?/[d∂δ](?P<var>[A-Za-z]\w*(?:\[[0-9]+(?:,[0-9]+)?\])?)")
_DERIV_WRT = re.compile(r"(?:w\.?r\.?t\.?|withrespectto|resp\.?)(?P<var>[A-Za-z]\w*)", re.IGNORECASE)
# A prime only right after a letter ("u'", "f'(x)"), so "student's value" is no derivative.
_DERIV_WORDS = re.compile(
    r"deriv|tangent|\bdot\b|\\dot|[A-Za-z][′']+(?:\(|\s*$)|\u0307|slope|^d/d$|^∂/∂$", re.IGNORECASE
)
_ADJOINT_WORDS = re.compile(r"adjoint|\\bar|\\overline|backward|reverse|grad", re.IGNORECASE)


def _header_text(text: str) -> str:
    s = strip_markup(str(text))
    s = s.replace("*", "").replace("__", "")
    s = s.replace("\\partial", "∂")
    s = repeat_sub(re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}"), r"\1/\2", s)
    return s.strip()


def classify_header(text: str, position: int) -> tuple[str, str | None]:
    """("step" | "expr" | "ignore" | "value" | "deriv" | "unknown", variable or None)."""
    if len(text) > MAX_CELL:
        return "unknown", None
    s = _header_text(text)
    compact = re.sub(r"[\s{}_]", "", s)
    lower = compact.lower()
    if not compact:
        return ("step", None) if position == 0 else ("unknown", None)
    if lower in _STEP_HEADERS or lower.strip(".:") in _STEP_HEADERS:
        return "step", None
    if _ADJOINT_WORDS.search(s):
        return "unknown", None
    m = _DERIV_SLASH.search(compact)
    if m:
        return "deriv", m.group("var")
    m = _DERIV_WRT.search(compact)
    if m and _DERIV_WORDS.search(s):
        return "deriv", m.group("var")
    m = re.fullmatch(r"∂(?P<var>[A-Za-z]\w*)", compact)  # "\partial_x"
    if m:
        return "deriv", m.group("var")
    if _DERIV_WORDS.search(s):
        return "deriv", None
    if _EXPR_WORDS.search(lower):
        return "expr", None
    if _IGNORED_WORDS.match(lower):
        return "ignore", None
    if _VALUE_WORDS.search(s):
        return "value", None
    return "unknown", None
