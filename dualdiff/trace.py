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
from .dual import Dual, new_tag
from .errors import ProgramError
from .evaluate import Evaluator, coerce_input, expand_assignments
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

    # -- navigation ----------------------------------------------------------
    @property
    def output(self) -> Step:
        return self.steps[-1]

    @property
    def rows(self) -> list[Step]:
        """Inputs first, then the steps: what a table shows."""
        return self.input_steps + self.steps

    def __getitem__(self, name: str) -> Step:
        for s in self.rows:
            if s.name == name:
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
        y = Evaluator(self.exact).evaluate(step.node, scope)
        return _unpack(y, tag, self.wrt)

    def local_partials(self, step: Step | str) -> dict[str, Any]:
        """∂step/∂operand for each name the step uses, at the trace's own values."""
        step = self[step] if isinstance(step, str) else step
        deps = step.deps
        if not deps:
            return {}
        values = {s.name: s.value for s in self.rows}
        tag = new_tag()
        n = len(deps)
        scope = {dep: Dual(values[dep], _unit(i, n, self.exact), tag, n if n > 1 else 0)
                 for i, dep in enumerate(deps)}
        y = Evaluator(self.exact).evaluate(step.node, scope)
        _, d = _unpack(y, tag, deps)
        return d

    def compute_adjoints(self) -> None:
        """Reverse sweep: adjoint(output) = 1, adjoint(u) = Σ adjoint(s)·∂s/∂u over users s."""
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

    def _repr_markdown_(self) -> str:
        return self.table("github")

    def _repr_html_(self) -> str:
        return self.table("html")

    def __str__(self) -> str:
        return self.table("simple")


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


def _unpack(y: Any, tag: int, names: list[str]) -> tuple[Any, dict[str, Any]]:
    """Value and per-name derivatives of an evaluated expression."""
    if type(y) is Dual and y.tag == tag:
        d = y.deriv
        if len(names) > 1:
            d = np.broadcast_to(d, (len(names),))
            return y.value, {w: _scalar(d[i]) for i, w in enumerate(names)}
        return y.value, {names[0]: _scalar(d)}
    zero = 0 if not isinstance(F.primal(y), float) else 0.0
    return y, {w: zero for w in names}


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
              wrt: Iterable[str] | str | None, exact: bool, adjoints: bool) -> Trace:
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
        raise ProgramError(f"no value for input {', '.join(missing)}: give it with at={{...}} or --at "
                           f"{missing[0]}=VALUE, or assign it a number in the program")
    order = [a.target for a in program.assignments if a.is_input and a.target in inputs] + free
    order += [k for k in inputs if k not in order]
    values = {k: coerce_input(k, inputs[k], exact) for k in order}

    if wrt is None:
        wrt_list = list(order)
    else:
        wrt_list = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else list(wrt)
        bad = [w for w in wrt_list if w not in values]
        if bad:
            raise ProgramError(f"wrt names {', '.join(bad)}, which is not an input "
                               f"(inputs: {', '.join(order) or 'none'})")
    if not program.steps:
        raise ProgramError("the program has inputs but no step to compute")

    n = len(wrt_list)
    tag = new_tag()
    env: dict[str, Any] = {}
    input_steps: list[Step] = []
    for name in order:
        v = values[name]
        if name in wrt_list:
            i = wrt_list.index(name)
            env[name] = Dual(v, _unit(i, n, exact), tag, n if n > 1 else 0)
        else:
            env[name] = v
        derivs = {w: (1 if w == name else 0) if exact else (1.0 if w == name else 0.0) for w in wrt_list}
        input_steps.append(Step(name, "input", v, derivs, None, 0, True))

    steps: list[Step] = []
    seen_nonfinite = False
    for a in assignments:
        if a.is_input:
            continue
        ev = Evaluator(exact)
        try:
            y = ev.evaluate(a.expr, env)
        except ProgramError:
            raise
        except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, TypeError) as exc:
            raise _error_at(exc, a) from None
        env[a.target] = y
        value, derivs = _unpack(y, tag, wrt_list) if n else (y, {})
        step = Step(a.target, a.text, value, derivs, a.expr, a.line, False, tuple(ev.kinks))
        if not seen_nonfinite and not exact and not _all_finite(value, derivs):
            step.nonfinite = seen_nonfinite = True
        steps.append(step)
    trace = Trace(steps, {k: values[k] for k in order}, wrt_list, input_steps, exact, False, program.source)
    if adjoints:
        trace.compute_adjoints()
    return trace


def _all_finite(value: Any, derivs: Mapping[str, Any]) -> bool:
    try:
        return all(math.isfinite(float(v)) for v in (value, *derivs.values()))
    except (TypeError, ValueError, OverflowError):
        return True


def trace_program(source: str | bytes | Program, at: Mapping[str, Any] | None = None,
                  wrt: Iterable[str] | str | None = None, *, expand: bool = False,
                  adjoints: bool = False, exact: bool = False) -> Trace:
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
    return _evaluate(program, assignments, at, wrt, exact, adjoints)


def load_program(path: str | Path) -> Program:
    """Read and parse a ``.dd`` file (errors name the file; a huge file is refused unread)."""
    from .files import read_limited
    from .parse import MAX_SOURCE_BYTES, parse_program

    return parse_program(read_limited(path, MAX_SOURCE_BYTES, ProgramError, "program"))
