"""A hand table's vector and matrix steps as the trace table's component cells.

A trace table shows a vector step one row per component (``z1[0]``) and a derivative
with respect to a vector input one column per component (``d/dx[2]``); a student may
write the same numbers that way, or as a bracketed list in one cell (``[0.1, 0.2]``,
``[[1, 2], [3, 4]]``, read by :mod:`dualdiff.handtable.lists`):

- a row named for the step (``s``) with a list in its ``value`` column gives every
  component's value; in a ``d/dz[j]`` column, that column of the Jacobian for every
  component; in a ``d/dz`` column (the whole vector input), the Jacobian itself, shaped
  step + input (a row per component of the step);
- a component row (``s[1]``) with a list in a ``d/dz`` column gives that row of the
  Jacobian; a matrix step's row (``W1[1]``) may hold that row's entries.

A list whose shape is not the one the cell stands for is never graded in part: every
component it stands for is ``wrong``, with the reason naming both shapes.  A component
given twice (in a list and in its own row) keeps the first and says so.

>>> import dualdiff as dd
>>> from dualdiff.handtable import read_hand_table
>>> t = dd.trace_program("z = [1, 2]\\ns = 2 * z", wrt="z")
>>> table = spread_lists(read_hand_table({"s": {"value": "[2, 4]"}}, wrt=["z[0]", "z[1]"], groups=["z"]), t)
>>> {k: v["value"].number for k, v in table.rows.items()}
{'s[0]': 2.0, 's[1]': 4.0}
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np

from .dual import Dual, full_deriv, new_tag
from .evaluate import Evaluator
from .handtable import HandCell, HandTable
from .trace import Trace

__all__ = ["spread_lists", "shape_text", "component_trace", "ComponentTrace"]

_INDEX = re.compile(r"^(?P<base>.+?)\[(?P<ix>\d+(?:,\d+)*)\]$")


def shape_text(shape: tuple[int, ...]) -> str:
    """``()`` -> "one number", ``(3,)`` -> "3 numbers", ``(2, 4)`` -> "a 2×4 matrix"."""
    if not shape:
        return "one number"
    if len(shape) == 1:
        return f"{shape[0]} number{'' if shape[0] == 1 else 's'}"
    return "a " + "×".join(str(n) for n in shape) + " matrix"


def _components(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    return [tuple(int(i) for i in ix) for ix in np.ndindex(*shape)] if shape else [()]


def _ix_text(ix: tuple[int, ...]) -> str:
    return f"[{','.join(str(i) for i in ix)}]" if ix else ""


def _fits(given: tuple[int, ...], wanted: tuple[int, ...]) -> bool:
    """Same entries in the same order: equal shapes, or equal once 1-long axes are dropped
    (a column ``[[1], [2]]`` for a vector of 2, ``[0.5]`` for one number)."""
    return given == wanted or (int(np.prod(given)) == int(np.prod(wanted))
                               and [n for n in given if n != 1] == [n for n in wanted if n != 1])


def spread_lists(table: HandTable, trace: Any) -> HandTable:
    """``table`` with every list cell of a vector or matrix step spread over the component
    cells of the trace table (see the module docstring); other rows as they are."""
    shapes = {s.name: tuple(np.shape(s.value)) for s in trace.rows}
    wshapes = {w: tuple(np.shape(trace.inputs[w])) for w in trace.wrt}
    rows: dict[str, dict[str, HandCell]] = {}
    problems = list(table.problems)

    def put(row: str, col: str, cell: HandCell) -> None:
        have = rows.setdefault(row, {})
        old = have.get(col)
        if old is not None and (old.number is not None or old.problem or old.mismatch or old.shape is not None):
            if cell.number is not None or cell.problem or cell.mismatch:
                problems.append((f"{row} {col}", "given twice (in a list and in its own row, or in two "
                                                 "lists): the first is judged"))
            return
        have[col] = cell

    def row_target(key: str) -> tuple[str, tuple[int, ...]] | None:
        if key in shapes:
            return key, ()
        m = _INDEX.match(key)
        if not m or m.group("base") not in shapes:
            return None
        ix = tuple(int(i) for i in m.group("ix").split(","))
        shape = shapes[m.group("base")]
        if len(ix) > len(shape) or any(i >= n for i, n in zip(ix, shape)):
            return None
        return m.group("base"), ix

    def col_target(col: str) -> tuple[str | None, tuple[int, ...], tuple[int, ...]] | None:
        if col == "value":
            return None, (), ()
        if not col.startswith("d/d"):
            return None  # second-derivative columns: one number per cell
        var = col[3:]
        if var in wshapes:
            return var, (), wshapes[var]
        m = _INDEX.match(var)
        if m and m.group("base") in wshapes:
            ix = tuple(int(i) for i in m.group("ix").split(","))
            shape = wshapes[m.group("base")]
            if len(ix) <= len(shape) and all(i < n for i, n in zip(ix, shape)):
                return m.group("base"), ix, shape[len(ix):]
        return None

    def col_name(w: str | None, ix: tuple[int, ...]) -> str:
        return "value" if w is None else f"d/d{w}{_ix_text(ix)}"

    for key, row in table.rows.items():
        target = row_target(key)
        for col, cell in row.items():
            ct = col_target(col) if target is not None else None
            if target is None or ct is None:
                if target is not None and shapes[target[0]][len(target[1]):]:
                    rows.setdefault(key, {})[col] = cell  # a vector row's d² cell: judged as written
                    continue
                name = key if target is None else target[0] + _ix_text(target[1])
                put(name, col, cell)
                continue
            step, idx = target
            w, wix, extra = ct
            rest = shapes[step][len(idx):]
            wanted = rest + extra
            names = [(step + _ix_text(idx + r), col_name(w, wix + c))
                     for r in _components(rest) for c in _components(extra)]
            if cell.shape is None and not wanted:
                put(*names[0], cell)
                continue
            if cell.shape is None and cell.number is None and cell.problem is None:
                continue  # an empty cell: its components are missing, as they would be
            where = f"{key} {col}"
            if cell.shape is not None and cell.problem:
                for r, c in names:
                    put(r, c, HandCell(cell.text, None, None, cell.problem))
                continue
            given = cell.shape if cell.shape is not None else ()
            if _fits(given, wanted):
                for (r, c), item in zip(names, cell.items):
                    put(r, c, item)
                continue
            why = (f"{where}: {shape_text(given)} given where {step}{_ix_text(idx)} needs "
                   f"{shape_text(wanted)}; a list of the wrong shape is not graded in part")
            for r, c in names:
                put(r, c, HandCell(cell.text, None, None, None, mismatch=why))
    columns = ["value"] + [c for c in (f"d/d{w}" for w in getattr(trace, "view_wrt", ())) if c]
    seen = {c for r in rows.values() for c in r}
    order = [c for c in table.columns if c in seen and not _is_group(c, wshapes)]
    for r in rows.values():
        for c in r:
            if c not in order:
                order.append(c)
    del columns
    return HandTable(order, rows, problems, table.source)


def _is_group(col: str, wshapes: dict[str, tuple[int, ...]]) -> bool:
    return col.startswith("d/d") and col[3:] in wshapes and bool(wshapes[col[3:]])


# ---------------------------------------------------------------------------
# Error carried forward across vector steps
# ---------------------------------------------------------------------------
def component_trace(trace: Any) -> Any:
    """The trace's component view (one scalar row per component, ``Trace.component_view``)
    that can also re-evaluate a component from a hand table's own earlier components, so
    a wrong ``z1[0]`` is carried into ``a1[0]``, ``y[…]``, ``p[…]`` and ``L`` as a scalar
    slip is: each component row depends on every component of the steps its vector step
    uses, and is evaluated by evaluating the whole vector step with the student's numbers.

    >>> import dualdiff as dd
    >>> t = dd.trace_program("x = [1, 2]\\nz = 3 * x\\ny = sum(z)", wrt="x")
    >>> v = component_trace(t)
    >>> v["z[1]"].deps
    ['x[0]', 'x[1]']
    >>> v.evaluate_step("y", {"z[0]": (3.5, {"x[0]": 3.0, "x[1]": 0.0}), "z[1]": (6.0, {"x[0]": 0.0, "x[1]": 3.0})})
    (9.5, {'x[0]': 3.0, 'x[1]': 3.0})
    """
    cached = vars(trace).get("_dualdiff_component_trace")
    if cached is not None:  # once per trace: its truths and Jacobians serve every submission
        return cached
    view = trace.component_view()
    view.__class__ = ComponentTrace
    view.components_of = trace  # (Trace.component_view sets it too: the array trace the rows come from)
    view.where = {}
    by_step: dict[str, list[str]] = {}
    for s in trace.rows:
        for ix in _components(tuple(np.shape(s.value))):
            name = s.name + _ix_text(ix)
            view.where[name] = (s.name, ix)
            by_step.setdefault(s.name, []).append(name)
    view.by_step = by_step
    second = any(s.derivs2 is not None for s in trace.steps)
    pairs = [(a, b) for i, a in enumerate(trace.wrt) for b in trace.wrt[i:]]
    for row in view.rows:
        parent = trace[view.where[row.name][0]] if row.name in view.where else None
        deps = [] if parent is None or parent.is_input else [c for d in parent.deps for c in by_step.get(d, [])]
        row.__dict__["_deps"] = deps
        if second and parent is not None and parent.derivs2 is not None:
            row.derivs2 = _component_seconds(parent, view.where[row.name][1], pairs, trace)
    vars(view)["_dualdiff_order2_asked"] = vars(trace).get("_dualdiff_order2_asked", True)
    vars(trace)["_dualdiff_component_trace"] = view
    assert isinstance(view, Trace)
    return view


def _component_seconds(step: Any, ix: tuple[int, ...], pairs: list[tuple[str, str]], trace: Any) -> dict[str, Any]:
    """``{"x[0],x[1]": d²step[ix]/dx[0]dx[1], …}``: the second derivatives of one component,
    keyed by the component view's input names (each unordered pair once, in its order)."""
    out: dict[str, Any] = {}
    for a, b in pairs:
        block = step.derivs2[f"{a},{b}"]
        ca = _components(tuple(np.shape(trace.inputs[a])))
        cb = _components(tuple(np.shape(trace.inputs[b])))
        for ka, ia in enumerate(ca):
            for kb, ib in enumerate(cb):
                if a == b and kb < ka:
                    continue
                v = np.asarray(block, dtype=object)[ix + ia + ib] if np.ndim(block) else block
                out[f"{a}{_ix_text(ia)},{b}{_ix_text(ib)}"] = v.item() if isinstance(v, np.generic) else v
    return out


class ComponentTrace(Trace):
    """A component view that re-evaluates components from given numbers (see
    :func:`component_trace`)."""

    def _evaluate_parent(self, step_name: str, env: Mapping[str, Any]) -> tuple:
        parent = self.components_of
        step = parent[step_name]
        n = len(self.wrt)
        tag = new_tag()
        scope: dict[str, Any] = {}
        for dep in step.deps:
            shape = tuple(np.shape(parent[dep].value))
            names = self.by_step[dep]
            vals = np.empty(len(names), dtype=object)
            ders = np.zeros((len(names), max(n, 1)))
            for k, c in enumerate(names):
                entry = env.get(c)
                if entry is None:  # not given: the trace's own number
                    row = self[c]
                    entry = (row.value, row.derivs)
                value, derivs = entry if isinstance(entry, tuple) else (entry, {})
                vals[k] = float(value)
                for j, w in enumerate(self.wrt):
                    ders[k, j] = float(derivs.get(w, 0.0) or 0.0)
            v = vals.astype(float).reshape(shape) if shape else float(vals[0])
            if n == 1:
                d = ders[:, 0].reshape(shape) if shape else float(ders[0, 0])
                scope[dep] = Dual(v, d, tag, 0)
            else:
                d = ders.reshape(shape + (n,)) if shape else ders[0]
                scope[dep] = Dual(v, d, tag, n)
        y = Evaluator(False).evaluate(step.node, scope)
        if type(y) is Dual and y.tag == tag:
            value = np.asarray(y.value, dtype=float)
            d = np.asarray(full_deriv(y), dtype=float)
            if n == 1:
                d = d[..., None]
        else:
            value = np.asarray(y, dtype=float)
            d = np.zeros(value.shape + (n,))
        return value, d

    def evaluate_step(self, name: str, env: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        step_name, ix = self.where[name]
        # the components of one vector step are judged one after another from the same
        # numbers: the whole step is evaluated once for them
        key = (step_name, tuple((c, _key(e)) for c, e in sorted(env.items())))
        last = self.__dict__.get("_component_last")
        if last is None or last[0] != key:
            last = self.__dict__["_component_last"] = (key, self._evaluate_parent(step_name, env))
        value, d = last[1]
        return float(value[ix]), {w: float(d[ix + (j,)]) for j, w in enumerate(self.wrt)}

    def local_partials(self, step: Any) -> dict[str, Any]:
        name = step if isinstance(step, str) else step.name
        cache = self.__dict__.setdefault("_component_partials", {})
        if name not in cache:
            cache[name] = self._partials(name)
        return cache[name]

    def _partials(self, name: str) -> dict[str, Any]:
        """∂component/∂(each component of each operand) at the trace's own values."""
        step_name, ix = self.where[name]
        jac = self.__dict__.setdefault("_component_jacobians", {})
        if step_name not in jac:
            jac[step_name] = self._jacobian(step_name)
        names, d = jac[step_name]
        if d is None:
            return {c: 0.0 for c in names}
        return {c: float(d[ix + (j,)]) for j, c in enumerate(names)}

    def _jacobian(self, step_name: str) -> tuple[list[str], Any]:
        """The operands' component names and ∂step/∂(each of them), shape step + (m,)."""
        parent = self.components_of
        step = parent[step_name]
        if step.is_input or not step.deps:
            return [], None
        names = [c for d in step.deps for c in self.by_step[d]]
        tag = new_tag()
        m = len(names)
        scope, k = {}, 0
        for dep in step.deps:
            value = np.asarray(parent[dep].value, dtype=float)
            size = value.size
            seed = np.zeros((size, m))
            seed[np.arange(size), k + np.arange(size)] = 1.0
            k += size
            if value.ndim:
                scope[dep] = Dual(value, seed.reshape(value.shape + (m,)), tag, m)
            else:
                scope[dep] = Dual(float(value), seed[0] if m > 1 else float(seed[0, 0]), tag, m if m > 1 else 0)
        y = Evaluator(False).evaluate(step.node, scope)
        if not (type(y) is Dual and y.tag == tag):
            return names, None
        d = np.asarray(full_deriv(y), dtype=float)
        if m == 1:
            d = d[..., None]
        return names, d





def _key(entry: Any) -> Any:
    """A hashable form of one ``env`` entry: ``(value, {input: derivative})`` or a value."""
    if isinstance(entry, tuple):
        value, derivs = (entry + ({},))[:2]
        return (float(value), tuple(sorted((k, float(v)) for k, v in (derivs or {}).items())))
    return float(entry)
