"""dualdiff: forward-mode automatic differentiation with dual numbers that shows its work.

>>> import dualdiff as dd
>>> dd.derivative(dd.sin, 0.0)
1.0

Importing dualdiff imports numpy only; sympy and matplotlib are imported when a
symbolic or plotting feature is first used.
"""
from .dual import Dual
from .jet import Jet
from .functions import (  # noqa: F401  (generated from the rule table)
    abs, acos, asin, atan, cos, cosh, cot, csc, e, elu, erf, erfc, exp, expm1, gelu, leaky_relu, log,
    log1p, logsumexp, pi, pow, relu, sec, selu, sigmoid, sin, sinh, softmax, softplus, sqrt, swish,
    tan, tanh,
)
from .operators import derivative, gradient, hessian, jacobian, jvp, nth_derivative, taylor, value_and_derivative
from .rules import RULES
from .errors import ProgramError
from .trace import Step, Trace, load_program, trace, trace_program

__version__ = "0.1.0"

__all__ = [
    "Dual", "Jet", "RULES", "ProgramError", "Grader", "Step", "Trace", "trace_program", "load_program", "trace",
    "derivative", "value_and_derivative", "gradient", "jacobian", "jvp", "hessian", "taylor", "nth_derivative",
    "abs", "acos", "asin", "atan", "cos", "cosh", "cot", "csc", "e", "elu", "erf", "erfc", "exp", "expm1", "gelu",
    "leaky_relu", "log", "log1p", "logsumexp", "pi", "pow", "relu", "sec", "selu", "sigmoid", "sin", "sinh",
    "softmax", "softplus", "sqrt", "swish", "tan", "tanh",
]


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
