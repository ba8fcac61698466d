"""dualdiff: forward-mode automatic differentiation with dual numbers that shows its work.

>>> import dualdiff as dd
>>> dd.derivative(dd.sin, 0.0)
1.0

Importing dualdiff imports numpy only; sympy and matplotlib are imported when a
symbolic or plotting feature is first used.
"""
from . import functions as _functions
from . import arrays as _arrays  # noqa: F401  (numpy's array functions on Duals, with derivatives)
from .dual import Dual
from .errors import KinkWarning, ProgramError
from .functions import e, pi
from .jet import Jet
from .operators import derivative, gradient, hessian, jacobian, jvp, nth_derivative, taylor, value_and_derivative
from .record import trace
from .rules import RULES, on_change as _on_change
from .trace import Step, Trace, load_program, trace_program

__version__ = "0.1.0"

__all__ = [
    "Dual", "Jet", "RULES", "ProgramError", "KinkWarning", "Grader", "Step", "Trace", "trace_program", "load_program", "trace",
    "derivative", "value_and_derivative", "gradient", "jacobian", "jvp", "hessian", "taylor", "nth_derivative",
    "pi", "e",
]


def _export(name: str, rule) -> None:
    """Every function of the rule table is ``dualdiff.<name>`` (and in ``__all__``)."""
    if rule is None:
        globals().pop(name, None)
        if name in __all__:
            __all__.remove(name)
        return
    globals()[name] = getattr(_functions, name)
    if name not in __all__:
        __all__.append(name)


_on_change(_export)


def __getattr__(name: str):
    # The grading stack (hand-table readers: ~20 regexes) loads on first use, keeping
    # `import dualdiff` close to `import numpy`.
    if name == "Grader":
        from .grading import Grader

        return Grader
    if name == "plot":  # dualdiff.plot(f, range, …): the module is callable; matplotlib loads on use
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'dualdiff' has no attribute {name!r}")
