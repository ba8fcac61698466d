"""Evaluation traces: every step of a program with its value and its derivatives.

The tracer evaluates a parsed program (``dualdiff.parse``) with dual numbers: one
forward pass carries one derivative column per input in ``wrt`` (a multi-direction
Dual when there are several).  It records, per step, the value, the derivatives, kinks
met (relu/abs at exactly 0) and the first non-finite number; it knows no calculus of
its own -- every derivative comes from the rule table through ``Dual``.

>>> import dualdiff as dd
>>> t = dd.trace_program("x = 2\\ny = x ** 2 + sin(x)")
>>> t.output.name, round(t.output.derivs["x"], 6)
('y', 3.583853)

Modes: ``expand=True`` rewrites each assignment into elementary operations (the Wengert
list, temporaries ``v1, v2, …``); ``adjoints=True`` adds ∂output/∂step for every row by a
reverse sweep over the recorded steps (each step's local partials come from a small
forward pass over its own operands); ``exact=True`` computes with sympy numbers.

Expressions are computed by ``dualdiff.evaluate`` (which also does the Wengert
expansion); ``dualdiff.record`` traces a Python callable into the same ``Trace``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from . import functions as F
from .dual import Dual, full_deriv, new_tag
from .errors import ProgramError
from .evaluate import (MAX_EXACT_ENTRIES, MAX_EXACT_STEPS, Evaluator, check_exact_size, coerce_input,
                       compiled_scalar, exact_zeros, expand_assignments)
from .exactgraph import share
from .program import Assignment, Program, names_in

__all__ = ["Step", "Trace", "trace_program", "load_program"]


# ---------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------
@dataclass
class Step:
    """One row of a trace: ``name = expr`` with its value and derivatives."""

    name: str
    expr: str
    value: Any
    derivs: dict[str, Any]
    node: Any = None                       # expression tree (None for an input)
    line: int = 0
    is_input: bool = False
    kinks: tuple[str, ...] = ()            # e.g. ("relu at 0",)
    nonfinite: bool = False                # the first step whose value or derivative is nan/inf
    adjoint: Any = None                    # ∂output/∂(this step), when asked for
    derivs2: dict[str, Any] | None = None  # second derivatives "w,b" -> d²/dw db (order=2)

    @property
    def deps(self) -> list[str]:
        """Names this step's expression uses (computed once: verification asks often)."""
        cached = self.__dict__.get("_deps")
        if cached is None:
            cached = self.__dict__["_deps"] = names_in(self.node) if self.node is not None else []
        return cached

    @property
    def kink(self) -> bool:
        return bool(self.kinks)

    def __repr__(self) -> str:
        return f"Step({self.name} = {self.expr}: value={self.value!r}, derivs={self.derivs!r})"


@dataclass
class Trace:
    """The evaluation trace of a program.  Inputs are rows too (``input_steps``)."""

    steps: list[Step]
    inputs: dict[str, Any]
    wrt: list[str]
    input_steps: list[Step] = field(default_factory=list)
    exact: bool = False
    has_adjoints: bool = False
    source: str = ""
    precise: bool = False  # an mpmath re-evaluation (dualdiff.reference): literals as decimals

    # -- navigation ----------------------------------------------------------
    @property
    def output(self) -> Step:
        return self.steps[-1]

    @property
    def rows(self) -> list[Step]:
        """Inputs first, then the steps: what a table shows."""
        return self.input_steps + self.steps

    def __getitem__(self, name: str) -> Step:
        # an index by name, made on first use and remade if the rows changed
        # (verification looks steps up once per cell, for every submission)
        index = self.__dict__.get("_index")
        if index is None or index[0] != len(self.input_steps) + len(self.steps):
            rows = self.rows
            by_name: dict[str, Step] = {}
            for s in rows:
                by_name.setdefault(s.name, s)
            index = self.__dict__["_index"] = (len(rows), by_name)
        s = index[1].get(name)
        if s is not None:
            return s
        raise KeyError(f"no step named {name!r}; steps are {', '.join(s.name for s in self.rows)}")

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    # -- re-evaluation (for adjoints, error carried forward, symbolic checks) ---
    def evaluate_step(self, name: str, env: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Evaluate one step from given values of what it uses.

        ``env`` maps each name the step uses to ``(value, {input: derivative})``
        (or a bare value, whose derivatives are taken as 0).  Returns the step's
        ``(value, {input: derivative})`` -- what a hand table's earlier rows imply.
        """
        step = self[name]
        n = len(self.wrt)
        tag = new_tag()
        scope: dict[str, Any] = {}
        for dep in step.deps:
            entry = env[dep]
            value, derivs = entry if isinstance(entry, tuple) else (entry, {})
            d = [derivs.get(w, 0.0) for w in self.wrt]
            scope[dep] = Dual(value, np.array(d, dtype=float) if n > 1 else d[0], tag, n if n > 1 else 0)
        y = self._run(step.node, scope)
        return _unpack(y, tag, self.wrt)

    def _run(self, node: Any, scope: Mapping[str, Any]) -> Any:
        """``node`` evaluated in ``scope``: compiled once for scalar floats (every carried
        cell of every submission re-evaluates a step), by the Evaluator otherwise."""
        if not self.exact and not self.precise and all(_float_scalar(v) for v in scope.values()):
            fn = compiled_scalar(node)
            if fn is not None:
                return fn(scope)
        return Evaluator(self.exact, self.precise).evaluate(node, scope)

    def local_partials(self, step: Step | str) -> dict[str, Any]:
        """∂step/∂operand for each name the step uses, at the trace's own values."""
        step = self[step] if isinstance(step, str) else step
        deps = step.deps
        if not deps:
            return {}
        # They depend on the trace's own values only: computed once per step and kept
        # (grading asks for them for every carried cell of every submission).
        cache = self.__dict__.setdefault("_local_partials", {})
        hit = cache.get(step.name)
        if hit is not None and hit[0] is step:
            return dict(hit[1])
        values = self._values()
        tag = new_tag()
        n = len(deps)
        scope = {dep: Dual(values[dep], _unit(i, n, self.exact), tag, n if n > 1 else 0)
                 for i, dep in enumerate(deps)}
        y = self._run(step.node, scope)
        _, d = _unpack(y, tag, deps)
        cache[step.name] = (step, d)
        return dict(d)

    def _values(self) -> dict[str, Any]:
        """Each row's value by name (kept; remade if the rows changed)."""
        rows = self.rows
        kept = self.__dict__.get("_row_values")
        if kept is None or kept[0] != len(rows):
            kept = self.__dict__["_row_values"] = (len(rows), {s.name: s.value for s in rows})
        return kept[1]

    @property
    def has_arrays(self) -> bool:
        """True when some row holds a vector or matrix."""
        rows = self.rows
        cached = self.__dict__.get("_has_arrays")  # asked once per graded submission
        if cached is None or cached[0] != len(rows):
            cached = self.__dict__["_has_arrays"] = (len(rows), any(np.ndim(s.value) for s in rows))
        return cached[1]

    def compute_adjoints(self) -> None:
        """Reverse sweep: adjoint(output) = 1, adjoint(u) = Σ adjoint(s)·∂s/∂u over users s.

        With vectors and matrices each adjoint has its step's shape, and the sweep runs
        vector-Jacobian products (``W.T @ g``, ``outer(g, x)``) instead of Jacobians."""
        if self.has_arrays:
            from .backprop import array_adjoints

            adj = array_adjoints(self)
            for s in self.rows:
                s.adjoint = adj[s.name]
            self.has_adjoints = True
            return
        adj: dict[str, Any] = {s.name: 0 for s in self.rows}
        adj[self.output.name] = 1
        for step in reversed(self.steps):
            a = adj[step.name]
            if _is_zero(a):
                continue
            for dep, p in self.local_partials(step).items():
                adj[dep] = adj[dep] + a * p
        for s in self.rows:
            s.adjoint = adj[s.name]
        self.has_adjoints = True

    # -- what the numbers can be trusted for -------------------------------------
    def kink_sources(self) -> dict[str, tuple[str, ...]]:
        """For every row, the earlier kinked steps it is computed from (transitively).

        A derivative computed from a kinked step inherits the kink's convention, so the
        table marks such rows ``kink (from r)``; a kinked step itself lists only the
        kinked steps *before* it.

        >>> t = trace_program("x = 0\nr = relu(x)\ny = 2 * r + 1\nq = x * 3")
        >>> t.kink_sources()["y"], t.kink_sources()["q"]
        (('r',), ())
        """
        cached = self.__dict__.get("_kink_sources")
        if cached is None:
            sources: dict[str, tuple[str, ...]] = {s.name: () for s in self.input_steps}
            order = {s.name: i for i, s in enumerate(self.rows)}
            kinked = {s.name for s in self.steps if s.kinks}
            for s in self.steps:
                found: set[str] = set()
                for dep in s.deps:
                    found.update(sources.get(dep, ()))
                    if dep in kinked:
                        found.add(dep)
                sources[s.name] = tuple(sorted(found, key=order.__getitem__))
            cached = self.__dict__["_kink_sources"] = sources
        return cached

    def reference(self):
        """The high-precision reference (``dualdiff.reference``), computed once."""
        from .reference import reference_of

        return reference_of(self)

    def audit(self):
        """The precision audit (``dualdiff.audit``); ``None`` for exact and mpmath traces."""
        from .audit import audit_of

        return audit_of(self)

    # -- presentation (render.py, symbolic.py and verify.py only read the trace) --
    # These methods import their module inside the body: those modules sit above
    # trace.py and import it, so trace.py never imports them at module level
    # (the allowed "lazy upward" imports; see docs/architecture.md).
    def table(self, fmt: str = "github", digits: int = 8, **options: Any) -> str:
        """The trace as a table in any tabulate format, or "csv"/"json"."""
        from .render import render_trace

        return render_trace(self, fmt=fmt, digits=digits, **options)

    def to_json(self, indent: int | None = 2, digits: int = 8) -> str:
        from .render import trace_to_json

        return trace_to_json(self, indent=indent, digits=digits)

    def to_dict(self, digits: int = 8) -> dict:
        from .render import trace_to_dict

        return trace_to_dict(self, digits)

    def check_symbolic(self, mode: str = "stepwise", **options: Any):
        from .symbolic import check_symbolic

        return check_symbolic(self, mode=mode, **options)

    def verify(self, hand: Any, tol: Any = "digits", carry_forward: bool = True, **options: Any):
        from .verify import verify

        return verify(self, hand, tol=tol, carry_forward=carry_forward, **options)

    def component_view(self) -> "Trace":
        """The trace with one scalar row per component (``z1[0]``, ``W1[1,3]``) and one
        derivative column per input component (``d/dx[2]``): the table's layout, as a
        trace of numbers, so a hand table can be verified cell by cell.  Its rows have no
        expression to re-evaluate, so errors are not carried forward across vector steps."""
        from .render import component_rows, deriv_columns, row_name

        cols = deriv_columns(self)
        wrt = [row_name(_Named(w), ix) for w, ix in cols]

        def cell(v: Any, idx: tuple) -> Any:
            return _scalar(np.asarray(v)[idx]) if idx else v

        steps, inputs = [], []
        for s, ix in component_rows(self):
            derivs = {name: cell(s.derivs.get(w), ix + wix) for name, (w, wix) in zip(wrt, cols)}
            expr = s.expr if s.is_input or not ix else f"({s.expr}){_index_text(ix)}"
            row = Step(row_name(s, ix), expr,
                       cell(s.value, ix), derivs, None, s.line, s.is_input, s.kinks, s.nonfinite)
            (inputs if s.is_input else steps).append(row)
        values = {r.name: r.value for r in inputs}
        view = Trace(steps, values, wrt, inputs, self.exact, False, self.source)
        view.components_of = self  # the array trace, for what the rows cannot say (diagnosis)
        return view

    def _repr_markdown_(self) -> str:
        return self.table("github")

    def _repr_html_(self) -> str:
        return self.table("html")

    def __str__(self) -> str:
        return self.table("simple")


def alias_components(table: Any, trace: "Trace") -> None:
    """Rows a student named ``z1_0`` or ``z1₀`` (read as ``z10``) are the component
    ``z1[0]`` of a vector step ``z1`` -- unless the program has a step of that name."""
    names = {s.name for s in trace.rows}
    vectors = sorted(((s.name, len(s.value)) for s in trace.rows if np.ndim(s.value) == 1),
                     key=lambda v: -len(v[0]))
    for key in list(table.rows):
        if key in names or "[" in key:
            continue
        for name, size in vectors:
            rest = key[len(name):]
            if key.startswith(name) and rest.isdigit() and int(rest) < size:
                new = f"{name}[{int(rest)}]"
                if new not in table.rows:
                    table.rows[new] = table.rows.pop(key)
                break


class _Named:
    def __init__(self, name: str):
        self.name = name


def _index_text(ix: tuple) -> str:
    return f"[{','.join(str(i) for i in ix)}]" if ix else ""


def exact_eye(size: int, exact: bool) -> np.ndarray:
    """The identity, of exact sympy 0 and 1 when ``exact``."""
    d = exact_zeros((size, size), exact)
    d[np.arange(size), np.arange(size)] = _unit(0, 1, exact)
    return d


def _unit(i: int, n: int, exact: bool = False):
    """The i-th of n seed directions (exact 1 and 0 for sympy traces)."""
    if exact:
        import sympy

        if n == 1:
            return sympy.Integer(1)
        return np.array([sympy.Integer(int(j == i)) for j in range(n)], dtype=object)
    if n == 1:
        return 1.0
    e = np.zeros(n)
    e[i] = 1.0
    return e


def _is_zero(a: Any) -> bool:
    try:
        return bool(a == 0)
    except (TypeError, ValueError):
        return False


def _share_entries(value: Any, derivs: dict[str, Any], target: str) -> tuple[Any, dict[str, Any]]:
    """:func:`dualdiff.exactgraph.share` on every entry of an exact vector step and of its
    derivatives, each large entry named for its place (``z1[0]``, ``dz1[0]/dW1[1,2]``)."""
    def entries(arr: Any, name: Any) -> Any:
        if not (isinstance(arr, np.ndarray) and arr.dtype == object):
            return share(arr, name(()))
        out = np.empty(arr.shape, dtype=object)
        for ix, v in np.ndenumerate(arr):
            out[ix] = share(v, name(ix))
        return out

    vshape = len(np.shape(value))
    new_value = entries(value, lambda ix: f"{target}{_index_text(ix)}")
    new_derivs = {w: entries(d, lambda ix, w=w: f"d{target}{_index_text(ix[:vshape])}/d{w}{_index_text(ix[vshape:])}")
                  for w, d in derivs.items()}
    return new_value, new_derivs


def _relayout(y: Any, value: Any, derivs: Mapping[str, Any], layout: "_Layout", tag: int) -> Any:
    """A multi-direction Dual again from an exact step's (shared) value and derivatives."""
    if not (type(y) is Dual and y.tag == tag):
        return value
    vshape = tuple(np.shape(value))
    d = np.empty(vshape + (layout.ndir,), dtype=object)
    for w, (offset, size, _shape) in layout.blocks.items():
        d[..., offset:offset + size] = np.reshape(np.asarray(derivs[w], dtype=object), vshape + (size,))
    return Dual(value, d, tag, layout.ndir)


def _unpack(y: Any, tag: int, names: list[str], exact: bool = False) -> tuple[Any, dict[str, Any]]:
    """Value and per-name derivatives of an evaluated expression."""
    if type(y) is Dual and y.tag == tag and type(y.value) is float and len(names) == 1:
        return y.value, {names[0]: _scalar(y.deriv)}  # a scalar step, one input: the common case
    if np.ndim(F.primal(y)):  # a vector step of scalar inputs: derivatives shaped like the step
        shape = np.shape(F.primal(y))
        if type(y) is Dual and y.tag == tag:
            d = np.asarray(full_deriv(y))
            if len(names) > 1:
                return y.value, {w: np.array(d[..., i]) for i, w in enumerate(names)}
            return y.value, {names[0]: np.array(np.broadcast_to(d, shape))}
        return y, {w: exact_zeros(shape, exact) for w in names}
    if type(y) is Dual and y.tag == tag:
        d = y.deriv
        if len(names) > 1:
            if type(d) is np.ndarray and d.dtype == np.float64 and d.shape == (len(names),):
                return y.value, dict(zip(names, d.tolist()))  # Python floats, as _scalar gives
            d = np.broadcast_to(d, (len(names),))
            return y.value, {w: _scalar(d[i]) for i, w in enumerate(names)}
        return y.value, {names[0]: _scalar(d)}
    zero = 0 if not isinstance(F.primal(y), float) else 0.0
    return y, {w: zero for w in names}


def _repack(y: Any, value: Any, derivs: Mapping[str, Any], tag: int, names: list[str]) -> Any:
    """The inverse of :func:`_unpack`: a Dual (or plain value) holding ``value`` and ``derivs``."""
    if not (type(y) is Dual and y.tag == tag):
        return value
    if len(names) == 1:
        return Dual(value, derivs[names[0]], tag, 0)
    return Dual(value, np.array([derivs[w] for w in names], dtype=object), tag, len(names))


def _scalar(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _error_at(exc: BaseException, assignment: Any) -> ProgramError:
    reason = str(exc) or type(exc).__name__
    return ProgramError(f"while computing {assignment.target}: {reason}",
                        line=assignment.line, col=assignment.col)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------
def _evaluate(program: Program, assignments: list[Assignment], at: Mapping[str, Any] | None,
              wrt: Iterable[str] | str | None, exact: bool, adjoints: bool, deriv_order: int = 1) -> Trace:
    at = dict(at or {})
    inputs: dict[str, Any] = dict(program.inputs)
    free = program.free_names
    unknown = [k for k in at if k not in inputs and k not in free]
    if unknown:
        known = list(inputs) + free
        raise ProgramError(f"--at names {', '.join(unknown)}, which the program does not use as an input "
                           f"(inputs: {', '.join(known) or 'none'})")
    inputs.update({k: v for k, v in at.items()})
    missing = [name for name in free if name not in inputs]
    if missing:
        raise _undefined(program, missing, list(inputs))
    order = [a.target for a in program.assignments if a.is_input and a.target in inputs] + free
    order += [k for k in inputs if k not in order]
    values = {k: coerce_input(k, inputs[k], exact) for k in order}
    for k, default in program.inputs.items():
        if k in at and np.shape(values[k]) != np.shape(default):
            raise ProgramError(f"input {k}: the program declares shape {_shape_text(default)}, "
                               f"the value given has shape {_shape_text(values[k])}")

    if wrt is None:
        wrt_list = list(order)
    else:
        wrt_list = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else list(wrt)
        bad = [w for w in wrt_list if w not in values]
        if bad:
            raise ProgramError(f"wrt names {', '.join(bad)}, which is not an input "
                               f"(inputs: {', '.join(order) or 'none'})")
        twice = [w for i, w in enumerate(wrt_list) if w in wrt_list[:i]]
        if twice:  # two seeds for one input would make both columns wrong (all zero)
            raise ProgramError(f"wrt names {', '.join(dict.fromkeys(twice))} twice; name each input once")
    if not program.steps:
        raise ProgramError("the program has inputs but no step to compute")
    if exact and len(assignments) > MAX_EXACT_STEPS:
        raise ProgramError(f"exact mode: {len(assignments)} steps is over the limit of {MAX_EXACT_STEPS} steps "
                           f"(dualdiff.evaluate.MAX_EXACT_STEPS); use the float trace")

    n = len(wrt_list)
    layout = _Layout(wrt_list, values, exact) if n and any(np.ndim(values[w]) for w in wrt_list) else None
    if exact:
        ndir = layout.ndir if layout is not None else n
        widest = max((np.size(v) for v in values.values()), default=1)
        if widest * (1 + ndir) > MAX_EXACT_ENTRIES:
            raise ProgramError(f"exact mode: {widest} entries with {ndir} derivative columns is over the limit of "
                               f"{MAX_EXACT_ENTRIES} exact numbers per step (dualdiff.evaluate.MAX_EXACT_ENTRIES); "
                               "use the float trace or differentiate with respect to fewer inputs (--wrt)")
    if layout is not None and (layout.ndir > MAX_DIRECTIONS
                               or layout.ndir * max(np.size(v) for v in values.values()) > MAX_DERIV_ENTRIES):
        raise ProgramError(f"too many derivative columns: {layout.ndir} input components in wrt "
                           f"({', '.join(wrt_list)}); differentiate with respect to fewer inputs "
                           "(wrt= / --wrt), or ask for adjoints (one reverse sweep) instead")
    tag = new_tag()
    env: dict[str, Any] = {}
    input_steps: list[Step] = []
    for name in order:
        v = values[name]
        if layout is not None:
            env[name] = layout.seed(name, v, tag) if name in wrt_list else v
            derivs = layout.input_derivs(name, v)
        else:
            if name in wrt_list:
                i = wrt_list.index(name)
                env[name] = Dual(v, _unit(i, n, exact), tag, n if n > 1 else 0)
            else:
                env[name] = v
            derivs = {w: (1 if w == name else 0) if exact else (1.0 if w == name else 0.0) for w in wrt_list}
            if np.ndim(v):  # a vector input outside wrt, with scalar wrt inputs
                derivs = {w: exact_zeros(np.shape(v), exact) for w in wrt_list}
        input_steps.append(Step(name, "input", v, derivs, None, 0, True))

    steps: list[Step] = []
    seen_nonfinite = False
    for a in assignments:
        if a.is_input:
            continue
        ev = Evaluator(exact)
        # a scalar step without kinks: the program's compiled node (made once, re-run for
        # every variant of a class); anything else through the evaluator, which checks
        # shapes and records kinks
        fn = compiled_scalar(a.expr, kink_free=True) if not exact and layout is None else None
        try:
            if fn is not None and all(_float_scalar(env[d]) for d in names_in(a.expr) if d in env):
                y = fn(env)
            else:
                y = ev.evaluate(a.expr, env)
        except ProgramError:
            raise
        except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError) as exc:
            raise _error_at(exc, a) from None
        if layout is not None:
            value, derivs = layout.unpack(y, tag)
            if exact:  # the same sharing, entry by entry (names like z1[0], dz1[0]/dW1[1,2])
                value, derivs = _share_entries(value, derivs, a.target)
                y = _relayout(y, value, derivs, layout, tag)
        else:
            value, derivs = _unpack(y, tag, wrt_list, exact) if n else (y, {})
            if exact and np.ndim(value):
                value, derivs = _share_entries(value, derivs, a.target)
                y = _repack(y, value, derivs, tag, wrt_list)
            elif exact:  # large exact forms become step symbols: a shared graph, linear in the steps
                shared = share(value, a.target)
                shared_d = {w: share(d, f"d{a.target}/d{w}") for w, d in derivs.items()}
                if shared is not value or any(shared_d[w] is not derivs[w] for w in derivs):
                    value, derivs = shared, shared_d
                    y = _repack(y, value, derivs, tag, wrt_list)
        env[a.target] = y
        if exact:
            try:  # exact numbers grow (squaring doubles their digits): bounded step by step
                for v in (value, *derivs.values()):
                    check_exact_size(v, "the result")
            except OverflowError as exc:
                raise _error_at(exc, a) from None
        if _not_real(value) or any(_not_real(d) for d in derivs.values()):
            raise ProgramError(f"while computing {a.target}: domain error: the result is not a real number "
                               f"({_short_text(value)}); e.g. a negative number to a fractional power",
                               line=a.line, col=a.col)
        if not exact and np.ndim(value):
            # numpy only warns where a scalar step raises (log(-1), (-8) ** (1/3)): an entry
            # that turns nan from finite operands is the same domain error, by component
            bad = _new_nan(value, [env[d] for d in names_in(a.expr) if d in env and d != a.target])
            if bad is not None:
                raise ProgramError(f"while computing {a.target}: domain error: {a.target}{list(bad)} is not a "
                                   "real number (nan from finite operands); e.g. log or sqrt of a negative "
                                   "entry, or a negative entry to a fractional power", line=a.line, col=a.col)
        step = Step(a.target, a.text, value, derivs, a.expr, a.line, False, tuple(ev.kinks))
        if not seen_nonfinite and not exact and not _all_finite(value, derivs):
            step.nonfinite = seen_nonfinite = True
        steps.append(step)
    trace = Trace(steps, {k: values[k] for k in order}, wrt_list, input_steps, exact, False, program.source)
    if deriv_order == 2 and n:
        from .second import second_derivatives

        second_derivatives(trace, assignments, values, exact)
    if adjoints:
        trace.compute_adjoints()
    return trace


def _new_nan(value: Any, operands: list) -> tuple[int, ...] | None:
    """The index of the first nan entry of a float array computed from finite operands
    (None when there is none, or an operand is itself not finite: nan in, nan out)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if not np.isnan(arr).any():
        return None
    for v in operands:
        p = v.value if type(v) is Dual else v
        try:
            if not np.all(np.isfinite(np.asarray(p, dtype=float))):
                return None
        except (TypeError, ValueError):
            return None
    return tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])


def _float_scalar(v: Any) -> bool:
    return type(v) is float or (type(v) is Dual and type(v.value) is float)


def _not_real(v: Any) -> bool:
    """A complex number (Python, numpy, mpmath) or a sympy number that is not real."""
    if isinstance(v, (complex, np.complexfloating)):
        return True
    if isinstance(v, np.ndarray):
        if v.dtype == object:  # exact entries: each decided by its value
            return any(_not_real(e) for e in v.flat)
        return np.iscomplexobj(v)
    kind = type(v).__module__.split(".")[0]
    if kind == "sympy":  # decided by its value: sympy's assumptions can answer False wrongly
        if not getattr(v, "is_number", False):
            return False
        try:
            return complex(v.evalf(30)).imag != 0
        except (TypeError, ValueError, OverflowError):
            return False
    if kind == "mpmath":
        return type(v).__name__ == "mpc"
    return False


def _short_text(v: Any) -> str:
    text = str(v)
    return text if len(text) <= 60 else text[:59] + "…"


def _undefined(program: Program, missing: list[str], known: list[str]) -> ProgramError:
    """A used name neither assigned nor given: where it is first used, and the closest
    defined name (``'vl' is not defined; did you mean 'v1'?``)."""
    import difflib

    from .program import Name, walk

    name = missing[0]
    line = col = None
    for a in program.assignments:
        hit = next((n for n in walk(a.expr) if isinstance(n, Name) and n.id == name), None)
        if hit is not None:
            line, col = (hit.line or a.line), (hit.col or None)
            break
    defined = [a.target for a in program.assignments] + [k for k in known if k not in missing]
    close = difflib.get_close_matches(name, list(dict.fromkeys(defined)), n=1, cutoff=0.5)
    if close:
        return ProgramError(f"{name!r} is not defined; did you mean {close[0]!r}?", line=line, col=col)
    return ProgramError(f"{name!r} is not defined: no value for input {', '.join(missing)}: give it with "
                        f"at={{...}} or --at {name}=VALUE, or assign it a number in the program", line=line, col=col)


def _all_finite(value: Any, derivs: Mapping[str, Any]) -> bool:
    try:
        return all(bool(np.all(np.isfinite(np.asarray(v, dtype=float)))) if np.ndim(v)
                   else math.isfinite(float(v)) for v in (value, *derivs.values()))
    except (TypeError, ValueError, OverflowError):
        return True


MAX_DIRECTIONS = 20_000        # derivative columns (input components in wrt) of one trace
MAX_DERIV_ENTRIES = 20_000_000  # entries of one input's derivative array (160 MB of floats)


def _shape_text(v: Any) -> str:
    from .vectorops import show_shape

    return show_shape(np.shape(v))


class _Layout:
    """Where each wrt input's components sit among the directions of one multi-direction
    Dual: a derivative with respect to a vector or matrix input has the input's shape
    (behind the step's own shape), cut out of the trailing direction axis."""

    def __init__(self, wrt: list[str], values: Mapping[str, Any], exact: bool = False):
        self.wrt = wrt
        self.exact = exact
        self.blocks: dict[str, tuple[int, int, tuple[int, ...]]] = {}
        offset = 0
        for w in wrt:
            shape = tuple(np.shape(values[w]))
            size = int(np.prod(shape)) if shape else 1
            self.blocks[w] = (offset, size, shape)
            offset += size
        self.ndir = offset

    def seed(self, name: str, v: Any, tag: int) -> Dual:
        offset, size, shape = self.blocks[name]
        d = exact_zeros((size, self.ndir), self.exact)
        d[np.arange(size), offset + np.arange(size)] = _unit(0, 1, self.exact)
        return Dual(v, d.reshape(shape + (self.ndir,)), tag, self.ndir)

    def input_derivs(self, name: str, v: Any) -> dict[str, Any]:
        out = {}
        vshape = tuple(np.shape(v))
        for w, (_, size, shape) in self.blocks.items():
            if w == name:
                d = exact_eye(size, self.exact).reshape(vshape + shape) if vshape else _unit(0, 1, self.exact)
            else:
                d = exact_zeros(vshape + shape, self.exact) if vshape or shape else (0 if self.exact else 0.0)
            out[w] = d
        return out

    def unpack(self, y: Any, tag: int) -> tuple[Any, dict[str, Any]]:
        if type(y) is Dual and y.tag == tag:
            value, d = y.value, np.asarray(full_deriv(y))
        else:
            value, d = y, exact_zeros(np.shape(y) + (self.ndir,), self.exact)
        vshape = tuple(np.shape(value))
        out = {}
        for w, (offset, size, shape) in self.blocks.items():
            block = d[..., offset:offset + size].reshape(vshape + shape)
            out[w] = _scalar(block[()]) if not block.ndim else block
        return _scalar(value), out


def trace_program(source: str | bytes | Program, at: Mapping[str, Any] | None = None,
                  wrt: Iterable[str] | str | None = None, *, expand: bool = False,
                  adjoints: bool = False, exact: bool = False, order: int = 1) -> Trace:
    """Evaluate a program and record every step with its value and derivatives.

    ``at`` overrides input values, ``wrt`` chooses the inputs to differentiate with
    respect to (default: all, one derivative column each, in one forward pass).

    >>> t = trace_program("x = 1\\nu1 = sin(x)\\nv1 = cos(x)\\ny = u1 * v1")
    >>> [s.name for s in t.steps]
    ['u1', 'v1', 'y']
    >>> round(t.output.derivs["x"], 12)   # cos(2x)
    -0.416146836547
    """
    from .parse import parse_program

    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                     and source.endswith(".dd") and Path(source).is_file()):
        source = load_program(source)
    program = source if isinstance(source, Program) else parse_program(source)
    assignments = list(program.assignments)
    if expand:
        taken = {a.target for a in assignments} | set(program.free_names)
        assignments = expand_assignments(assignments, taken)
    if order not in (1, 2):
        raise ProgramError(f"order must be 1 or 2, got {order!r}")
    return _evaluate(program, assignments, at, wrt, exact, adjoints, order)


def load_program(path: str | Path) -> Program:
    """Read and parse a ``.dd`` file (errors name the file; a huge file is refused unread)."""
    from .files import read_limited
    from .parse import MAX_SOURCE_BYTES, parse_program

    return parse_program(read_limited(path, MAX_SOURCE_BYTES, ProgramError, "program"))
