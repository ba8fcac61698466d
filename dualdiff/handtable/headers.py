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

__all__ = ["normalize_step_name", "var_key", "classify_header", "second_derivative_pair", "deriv2_name"]


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


@functools.lru_cache(maxsize=4096)  # pure; a course's tables share their headers
def classify_header(text: str, position: int) -> tuple[str, str | None]:
    """("step" | "expr" | "ignore" | "value" | "deriv" | "deriv2" | "unknown", variable or None).

    For ``"deriv2"`` the second item is the header's denominator, compacted (``"dwdb"``,
    ``"∂w^2"``): :func:`second_derivative_pair` reads it against the inputs."""
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
    d2 = _second_order_denominator(s)
    if d2 is not None:
        return "deriv2", d2
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


# ---------------------------------------------------------------------------
# Second-derivative columns
# ---------------------------------------------------------------------------
# The numerator says "second order": d², d^2, d^{2}, d2, ∂², \partial^2 (after
# _header_text: "^{2}" or "^2"), optionally followed by the function's name (y, J, L).
_ORDER2 = re.compile(r"^[d∂δ]\s*(?:\^\s*\{?\s*2\s*\}?|2)\s*(?P<num>[A-Za-z][\w']*)?\s*/\s*(?P<den>.+)$")
_POWER2 = re.compile(r"\^\s*\{\s*2\s*\}|\^\s*2")


def _second_order_denominator(s: str) -> str | None:
    """The compacted denominator of a second-derivative header, or None."""
    m = _ORDER2.match(s.strip())
    if not m:
        return None
    den = m.group("den").strip()
    if den.startswith("(") and den.endswith(")"):
        den = den[1:-1]
    den = _POWER2.sub("^", den)  # one spelling of "squared": "^"
    # separators between the differentials: spaces, thin spaces, ·, *, and commas outside [..]
    out, depth = [], 0
    for ch in den:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch in " \\,;·⋅*\t" and not (ch == "," and depth):
            continue
        out.append(ch)
    den = "".join(out)
    return den if den and den[0] in "d∂δ" else None


def deriv2_name(a: str, b: str) -> str:
    """The canonical column of ∂²/∂a∂b, as trace tables head it: ``d²/dw²``, ``d²/dw db``,
    ``d²/dx[0] dx[1]``."""
    if a == b and "[" not in a:
        return f"d²/d{a}²"
    return f"d²/d{a} d{b}"


def second_derivative_pair(den: str, wrt: list[str]) -> tuple[str, str] | str:
    """The pair of inputs (in ``wrt`` order) a compacted second-order denominator names, or
    the reason it names none.  Every way of reading the denominator as two differentials of
    inputs (``dw^`` or ``dw2`` is ``dw dw``; ``dwdb`` is ``dw db``) is tried; more than one
    pair is ambiguous and refused, never guessed.

    >>> second_derivative_pair("dw^", ["w", "b"]), second_derivative_pair("∂w∂b", ["w", "b"])
    (('w', 'w'), ('w', 'b'))
    >>> second_derivative_pair("dbdw", ["w", "b"]), second_derivative_pair("dw2", ["w", "w2"])
    (('w', 'b'), ('w', 'w'))
    >>> second_derivative_pair("dxddb", ["x", "xd", "b", "db"])
    'ambiguous: it reads as d²/dx ddb or d²/dxd db'
    """
    keys: dict[str, str] = {}
    for w in wrt:
        keys.setdefault(var_key(w), w)
    found: set[tuple[str, str]] = set()

    def walk(pos: int, got: tuple[str, ...]) -> None:
        if len(got) > 2 or len(found) > 4:
            return
        if pos == len(den):
            if len(got) == 2:
                a, b = sorted(got, key=wrt.index)
                found.add((a, b))
            return
        if den[pos] not in "d∂δ":
            return
        for key, w in keys.items():
            if not den.startswith(key, pos + 1):
                continue
            end = pos + 1 + len(key)
            walk(end, got + (w,))
            if den.startswith("^", end) or den.startswith("2", end):
                walk(end + 1, got + (w, w))

    walk(0, ())
    if len(found) == 1:
        return found.pop()
    if not found:
        names = ", ".join(wrt) if wrt else "none"
        return f"does not name two inputs (inputs: {names})"
    shown = " or ".join(deriv2_name(a, b) for a, b in sorted(found))
    return f"ambiguous: it reads as {shown}"
