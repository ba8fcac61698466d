"""Tracing a Python callable: every elementary operation it performs becomes a step.

``trace(f, x=…)`` runs ``f`` once on stand-in numbers (``_Recorder``) that write each
operation down on a tape as a program assignment ``v1 = …``; the recorded program is
then traced like any other (``dualdiff.trace.trace_program``), so its table, checks and
verification are the same as for a ``.dd`` file.

>>> import dualdiff as dd
>>> t = dd.trace(lambda x: dd.sin(x) * x, x=1.0)
>>> [s.expr for s in t.steps]
['sin(x)', 'v1 * x']
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from . import functions as F
from .errors import ProgramError
from .evaluate import Evaluator, coerce_input
from .printing import expr_to_text
from .program import Assignment, BinOp, Call, Name, Num, Program, UnaryOp
from .trace import Trace, trace_program

__all__ = ["trace"]


# ---------------------------------------------------------------------------
# Tracing a Python callable: record every elementary operation
# ---------------------------------------------------------------------------
class _Recorder:
    """Stands in for a number while f runs, writing each operation down as a step."""

    __slots__ = ("name", "value", "tape")
    __array_priority__ = 1000

    def __init__(self, name: str, value: float, tape: "_Tape"):
        self.name, self.value, self.tape = name, value, tape

    def _bin(self, op: str, other: Any, reflected: bool = False) -> "_Recorder":
        left, right = (other, self) if reflected else (self, other)
        return self.tape.emit(BinOp(op, self.tape.ref(left), self.tape.ref(right)))

    def __add__(self, o): return self._bin("+", o)
    def __radd__(self, o): return self._bin("+", o, True)
    def __sub__(self, o): return self._bin("-", o)
    def __rsub__(self, o): return self._bin("-", o, True)
    def __mul__(self, o): return self._bin("*", o)
    def __rmul__(self, o): return self._bin("*", o, True)
    def __truediv__(self, o): return self._bin("/", o)
    def __rtruediv__(self, o): return self._bin("/", o, True)
    def __pow__(self, o): return self._bin("**", o)
    def __rpow__(self, o): return self._bin("**", o, True)
    def __neg__(self): return self.tape.emit(UnaryOp("-", Name(self.name)))
    def __pos__(self): return self
    def __abs__(self): return self.__dualdiff_apply__("abs", ())
    def __lt__(self, o): return self.value < _recorded_value(o)
    def __le__(self, o): return self.value <= _recorded_value(o)
    def __gt__(self, o): return self.value > _recorded_value(o)
    def __ge__(self, o): return self.value >= _recorded_value(o)

    def __float__(self):
        raise TypeError("dualdiff.trace: the traced function converted a value to float "
                        "(math.sin?); use dualdiff.sin / numpy.sin so the step is recorded")

    def __dualdiff_apply__(self, func: str, params: tuple) -> "_Recorder":
        args = (self.tape.ref(self),) + tuple(self.tape.ref(p) for p in params)
        return self.tape.emit(Call(func, args))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return F.numpy_ufunc(ufunc, method, inputs, kwargs)


def _recorded_value(o: Any) -> Any:
    return o.value if isinstance(o, _Recorder) else o


class _Tape:
    def __init__(self, inputs: Mapping[str, Any]):
        self.assignments: list[Assignment] = []
        self.count = 0
        self.taken = set(inputs)
        self.values: dict[str, Any] = {}

    def ref(self, x: Any) -> Any:
        if isinstance(x, _Recorder):
            return Name(x.name)
        if isinstance(x, (int, float, np.number)) and not isinstance(x, bool):
            v = float(x)
            if v < 0:
                return UnaryOp("-", Num(-v, repr(-v)))
            return Num(v, repr(v))
        raise TypeError(f"dualdiff.trace: cannot record an operation on {type(x).__name__}")

    def emit(self, node: Any) -> _Recorder:
        while True:
            self.count += 1
            name = f"v{self.count}"
            if name not in self.taken:
                break
        self.taken.add(name)
        line = len(self.assignments) + 1
        self.assignments.append(Assignment(name, node, line, 1, expr_to_text(node), False))
        value = Evaluator(False).evaluate(node, self.values)
        self.values[name] = value
        return _Recorder(name, value, self)


def trace(f: Callable[..., Any], *, wrt: Iterable[str] | None = None, adjoints: bool = False,
          **inputs: Any) -> Trace:
    """Trace a Python callable: each elementary operation becomes a step v1, v2, ….

    >>> import dualdiff as dd
    >>> t = dd.trace(lambda x1, x2: dd.log(x1) + x1 * x2 - dd.sin(x2), x1=2, x2=5)
    >>> [s.expr for s in t.steps]
    ['log(x1)', 'x1 * x2', 'v1 + v2', 'sin(x2)', 'v3 - v4']
    """
    if not inputs:
        raise ProgramError("dualdiff.trace needs the input values as keywords, e.g. trace(f, x=1.0)")
    tape = _Tape(inputs)
    recs = {}
    for name, v in inputs.items():
        value = coerce_input(name, v, False)
        tape.values[name] = value
        recs[name] = _Recorder(name, value, tape)
    result = f(**recs)
    if not isinstance(result, _Recorder):
        raise ProgramError("dualdiff.trace: the function's result does not depend on its inputs")
    if result.name in inputs:  # f returned an input unchanged: still one step
        tape.emit(UnaryOp("+", Name(result.name)))
    elif tape.assignments[-1].target != result.name:  # make the result the last step
        tape.emit(UnaryOp("+", Name(result.name)))
    program = Program(tuple(Assignment(n, Num(0.0, "0"), 0, 0, "0", True) for n in inputs)
                      + tuple(tape.assignments), {n: tape.values[n] for n in inputs}, "")
    return trace_program(program, at=dict(inputs), wrt=wrt, adjoints=adjoints)
