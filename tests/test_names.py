"""Names (SPEC §5): an undefined name is an error at its first use, with a suggestion."""
from __future__ import annotations

import pytest

import dualdiff as dd
from dualdiff.cli import main

SRC = "x = 1\nu1 = sin(x)\nv1 = cos(x)\nu2 = sin(u1 + vl)\ny = u2 * v1\n"


def test_undefined_name_has_line_column_and_suggestion():
    with pytest.raises(dd.ProgramError) as e:
        dd.trace_program(SRC)
    assert (e.value.line, e.value.col) == (4, 15)
    assert str(e.value) == "line 4, col 15: 'vl' is not defined; did you mean 'v1'?"


def test_unassigned_name_given_with_at_still_works():
    t = dd.trace_program("y = sin(z)", at={"z": 0})
    assert t.output.value == 0.0


def test_at_for_a_name_the_program_does_not_use_names_the_inputs():
    with pytest.raises(dd.ProgramError) as e:
        dd.trace_program(SRC.replace("vl", "v1"), at={"w": 2})
    assert "w" in str(e.value) and "inputs: x" in str(e.value)


def test_cli_prints_one_line(tmp_path, capsys):
    p = tmp_path / "p.dd"
    p.write_text(SRC)
    assert main(["table", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 4, col 15: 'vl' is not defined; did you mean 'v1'?" in err


# A real trace of a complex input: numpy's float() of a complex128 only warns and drops the
# imaginary part, so 1+2j would have been traced as 1.0.  Every complex kind is refused by
# name, before anything is computed (issue 14: trace_program took sympy.I and mpmath.mpc).
def _complex_inputs():
    import mpmath
    import numpy as np
    import sympy

    return [1j, np.complex128(1 + 0j), np.complex64(2 + 1j), sympy.I, 1 + sympy.I, mpmath.mpc(1, 2)]


@pytest.mark.parametrize("value", _complex_inputs(), ids=repr)
def test_complex_inputs_are_refused_by_name(value):
    import warnings

    from dualdiff import ProgramError, trace_program

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        with pytest.raises(ProgramError, match=r"input x: .* is not a real number"):
            trace_program("y = x * x", {"x": value})


def test_real_foreign_inputs_still_pass():
    import mpmath
    import sympy

    from dualdiff import trace_program

    assert trace_program("y = x * x", {"x": sympy.Rational(1, 3)}).output.value == sympy.Rational(1, 9)
    assert abs(trace_program("y = x * x", {"x": mpmath.mpf(2)}).output.value - 4) == 0
