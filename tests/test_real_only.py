"""A real computation never carries a complex number (issue 14, item 6, direct API calls).

Python's ``(-8) ** (1/3)`` is complex (1.0000000000000002+1.7320508075688772j): a derivative
built on it is not the derivative of a real function.  Each case's expected outcome was
written before the code ran: a ValueError naming the operation and the complex operand.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import dualdiff as dd

COMPLEX_CASES = [
    ("mul", lambda x: x * (-8) ** (1 / 3)),
    ("mul", lambda x: (-8) ** (1 / 3) * x),
    ("add", lambda x: x + 1j),
    ("add", lambda x: 1j + x),
    ("sub", lambda x: 1j - x),
    ("sub", lambda x: x - 2j),
    ("truediv", lambda x: x / np.complex128(2)),
    ("truediv", lambda x: np.complex128(2) / x),
    ("pow", lambda x: x ** (0.5 + 0j)),
    ("pow", lambda x: (1j) ** x),
    ("mul", lambda x: x * np.array([1j, 2.0])),
]


@pytest.mark.parametrize("op, f", COMPLEX_CASES)
@pytest.mark.parametrize("api", ["derivative", "taylor", "gradient", "hessian"])
def test_a_complex_operand_is_a_domain_error(op, f, api):
    call = {"derivative": lambda: dd.derivative(f, 1.0),
            "taylor": lambda: dd.taylor(f, 1.0, 3),
            "gradient": lambda: dd.gradient(lambda w: f(w[0]), [1.0]),
            "hessian": lambda: dd.hessian(lambda w: f(w[0]), [1.0])}[api]
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(op + " ") and "complex" in msg and "domain error" in msg


def test_the_error_names_the_value():
    with pytest.raises(ValueError, match=r"\(1\.0000000000000002\+1\.7320508075688772j\)"):
        dd.derivative(lambda x: x * (-8) ** (1 / 3), 1.0)


def test_mpmath_and_sympy_complex_constants_are_refused():
    mpmath = pytest.importorskip("mpmath")
    sympy = pytest.importorskip("sympy")
    with pytest.raises(ValueError, match="complex"):
        dd.derivative(lambda x: x * mpmath.mpc(1, 2), mpmath.mpf(1))
    with pytest.raises(ValueError, match="complex"):
        dd.derivative(lambda x: x * (1 + sympy.I), sympy.Integer(1))


def test_real_constants_of_every_kind_still_work():
    mpmath = pytest.importorskip("mpmath")
    sympy = pytest.importorskip("sympy")
    # the real cube root the hint names: d/dx (x * cbrt(-8)) = -2
    assert dd.derivative(lambda x: x * dd.cbrt(-8.0), 1.0) == pytest.approx(-2.0, abs=1e-15)
    assert dd.derivative(lambda x: x * np.float64(3.0) + np.array(1.0), 1.0) == 3.0
    assert dd.derivative(lambda x: x * mpmath.mpf(3), mpmath.mpf(1)) == 3
    assert dd.derivative(lambda x: x * sympy.Rational(1, 3), sympy.Integer(1)) == sympy.Rational(1, 3)
    # a complex number that happens to be real-valued is still a complex type: refused
    with pytest.raises(ValueError, match="complex"):
        dd.derivative(lambda x: x * complex(2, 0), 1.0)


# A vector step must refuse what the same scalar step refuses: numpy only warns and writes
# nan where math.log(-1) raises.  Verdicts written from the mathematics: each named entry is
# outside its function's real domain; a nan *input* is the user's own (nan in, nan out).
@pytest.mark.parametrize("src, entry", [
    ("x = [-8, 8]\ny = x ** (1/3)", "y[0]"),
    ("x = [2, -1]\ny = log(x)", "y[1]"),
    ("W = [[1, -2], [0, 1]]\nx = [1, 1]\ny = sqrt(W @ x)\nL = sum(y)", "y[0]"),
    ("W = [[1, 2], [3, 4]]\ny = log(W - 2)", "y[0, 0]"),
])
def test_vector_step_outside_its_domain_is_a_domain_error(src, entry):
    import warnings

    from dualdiff import ProgramError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ProgramError, match=r"while computing y: domain error: " + re.escape(entry)):
            dd.trace_program(src)


def test_scalar_and_vector_agree_on_a_domain_error():
    from dualdiff import ProgramError

    with pytest.raises(ProgramError, match="while computing y"):
        dd.trace_program("x = -1\ny = log(x)")


def test_a_nan_input_entry_is_carried_not_refused():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t = dd.trace_program("y = log(x)", {"x": [float("nan"), 1.0]})
    assert np.isnan(t.output.value[0]) and t.output.value[1] == 0.0
