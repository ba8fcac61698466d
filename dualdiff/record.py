"""Tracing a Python callable: every elementary operation it performs becomes a step.

``trace(f, x=…)`` runs ``f`` once on stand-in numbers (``_Recorder``) that write each
operation down on a tape as a program assignment ``v1 = …``; the recorded program is
then traced like any other (``dualdiff.trace.trace_program``), so its table, checks and
verification are the same as for a ``.dd`` file.

>>> import dualdiff as dd
>>> t = dd.trace(lambda x: dd.sin(x) * x, x=1.0)
>>> [s.expr for s in t.steps]
['sin(x)', 'v1 * x']

Vectors and matrices are recorded as the program language's steps (``W @ x``,
``tanh(v1)``, ``sum(v2)``, ``x[0]``, ``dot(x, x)``; a constant array becomes a list
literal); a numpy function the language has no step for (``np.cumsum``, ``axis=``,
slices) raises ``TypeError`` instead of leaving a step out of the trace.

>>> import numpy as np
>>> t = dd.trace(lambda W, x: np.tanh(W @ x).sum(), W=np.eye(2), x=np.array([0.5, 1.0]))
>>> [s.expr for s in t.steps]
['W @ x', 'tanh(v1)', 'sum(v2)']
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from . import functions as F
from .errors import ProgramError
from .evaluate import Evaluator, coerce_input
from .printing import expr_to_text
from .program import Assignment, BinOp, Call, Index, ListLit, Name, Num, Program, UnaryOp
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
        if ufunc is np.matmul and method == "__call__" and len(inputs) == 2 and not kwargs:
            return self.tape.emit(BinOp("@", self.tape.ref(inputs[0]), self.tape.ref(inputs[1])))
        return F.numpy_ufunc(ufunc, method, inputs, kwargs)

    # -- vectors and matrices: the program language's operations, recorded as its steps --
    def __matmul__(self, o): return self._bin("@", o)
    def __rmatmul__(self, o): return self._bin("@", o, True)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("dualdiff.trace: len() of a scalar")
        return self.shape[0]

    def __iter__(self):  # for v in x: one indexing step per entry
        return (self[i] for i in range(len(self)))

    def __getitem__(self, key: Any) -> "_Recorder":
        key = key if isinstance(key, tuple) else (key,)
        if not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in key):
            raise TypeError(f"dualdiff.trace: indexing with {key!r} is not recorded; only integer indices "
                            "(x[0], W[1, 0]) are (the program language has no slices)")
        shape = self.shape
        if len(key) > len(shape) or any(not -n <= int(k) < n for k, n in zip(key, shape)):
            raise IndexError(f"dualdiff.trace: index {key} is out of range for shape {shape}")
        return self.tape.emit(Index(Name(self.name), tuple(int(k) % n for k, n in zip(key, shape))))

    def _reduce(self, func: str, axis: Any = None, **rest: Any) -> "_Recorder":
        extra = {k: v for k, v in rest.items() if v is not None and v is not False and v is not np._NoValue}
        if axis is not None or extra:
            given = ", ".join(([f"axis={axis!r}"] if axis is not None else []) + [f"{k}=" for k in extra])
            raise TypeError(f"dualdiff.trace: {func}(…, {given}) is not recorded; the program language's "
                            f"{func} reduces over every entry")
        return self.__dualdiff_apply__(func, ())

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        return self._reduce("sum", axis, dtype=dtype, out=out, keepdims=keepdims, **kw)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        return self._reduce("mean", axis, dtype=dtype, out=out, keepdims=keepdims, **kw)

    def max(self, axis=None, out=None, keepdims=False, **kw):
        return self._reduce("max", axis, out=out, keepdims=keepdims, **kw)

    def dot(self, o):
        return self.tape.emit(Call("dot", (self.tape.ref(self), self.tape.ref(o))))

    @property
    def T(self) -> "_Recorder":
        return self.__dualdiff_apply__("transpose", ())

    def __array_function__(self, func, types, args, kwargs):
        handler = _NUMPY_FUNCTIONS.get(func)
        if handler is None:
            raise TypeError(f"dualdiff.trace: numpy.{func.__name__} is not recorded (a trace would miss its "
                            f"step); use @, sum, mean, max, dot, transpose, indexing and elementwise "
                            "functions, or dualdiff.jacobian for other numpy code")
        return handler(*args, **kwargs)


def _first_recorder(*xs: Any) -> "_Recorder":
    return next(x for x in xs if isinstance(x, _Recorder))


def _np_dot(a: Any, b: Any, out: Any = None) -> _Recorder:
    if out is not None:
        raise TypeError("dualdiff.trace: numpy.dot(…, out=) is not recorded")
    r = _first_recorder(a, b)
    if np.ndim(_recorded_value(a)) == 1 and np.ndim(_recorded_value(b)) == 1:
        return r.tape.emit(Call("dot", (r.tape.ref(a), r.tape.ref(b))))
    return r.tape.emit(BinOp("@", r.tape.ref(a), r.tape.ref(b)))


_NUMPY_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: lambda a, axis=None, **kw: a._reduce("sum", axis, **kw),
    np.mean: lambda a, axis=None, **kw: a._reduce("mean", axis, **kw),
    np.max: lambda a, axis=None, **kw: a._reduce("max", axis, **kw),
    np.amax: lambda a, axis=None, **kw: a._reduce("max", axis, **kw),
    np.dot: _np_dot,
    np.transpose: lambda a, axes=None: a.T if axes is None else _no_axes(),
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: a.size if axis is None else a.shape[axis],
}


def _no_axes() -> Any:
    raise TypeError("dualdiff.trace: numpy.transpose(…, axes=) is not recorded")


def _recorded_value(o: Any) -> Any:
    return o.value if isinstance(o, _Recorder) else o


MAX_CONSTANT_ENTRIES = 10_000  # a constant array written into a step's expression


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
        if isinstance(x, (np.ndarray, list, tuple)):  # a constant array: a list literal in the step
            arr = np.asarray(x)
            if arr.dtype.kind not in "iuf" or arr.ndim not in (1, 2) or arr.size > MAX_CONSTANT_ENTRIES:
                raise TypeError(f"dualdiff.trace: a constant array of shape {arr.shape} ({arr.dtype}) cannot be "
                                f"written into a step (numbers, vectors and matrices of at most "
                                f"{MAX_CONSTANT_ENTRIES} entries); pass it as an input")
            if arr.ndim == 1:
                return ListLit(tuple(self.ref(v) for v in arr.tolist()))
            return ListLit(tuple(ListLit(tuple(self.ref(v) for v in row)) for row in arr.tolist()))
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
