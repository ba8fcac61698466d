"""Tables: number formatting, every format, verbatim expected output."""
from __future__ import annotations

import csv
import io
import json
import math

import pytest
import tabulate

import dualdiff as dd
from dualdiff.render import format_number, table_formats

PROGRAM = "x = 1\nu1 = sin(x)\nv1 = cos(x)\ny = u1 * v1"


@pytest.mark.parametrize("value, digits, text", [
    (0.32009128314057805, 8, "0.32009128"),
    (-0.06918566945763523, 8, "-0.069185669"),
    (0.5, 8, "0.50000000"),          # trailing zeros kept: they state the precision
    (39.0, 8, "39"),
    (-0.0, 8, "0"),                  # -0 shown as 0
    (-1e-30, 3, "-1.00e-30"),
    (1.23456789e-7, 4, "1.235e-7"),
    (float("nan"), 8, "nan"),
    (float("-inf"), 8, "-inf"),
    (2, 8, "2"),
    (0.84147098480789650, 3, "0.841"),
])
def test_format_number(value, digits, text):
    assert format_number(value, digits) == text


def test_github_table_verbatim():
    t = dd.trace_program(PROGRAM)
    expected = (
        "| step   | expression   | value      | d/dx        |\n"
        "|--------|--------------|------------|-------------|\n"
        "| x      | input        | 1          | 1           |\n"
        "| u1     | sin(x)       | 0.84147098 | 0.54030231  |\n"
        "| v1     | cos(x)       | 0.54030231 | -0.84147098 |\n"
        "| y      | u1 * v1      | 0.45464871 | -0.41614684 |"
    )
    assert t.table() == expected
    # independent check of the numbers shown: sin(2)/2 and cos(2)
    assert f"{math.sin(2) / 2:.8f}" == "0.45464871"
    assert f"{math.cos(2):.8f}" == "-0.41614684"


def test_trailing_zeros_survive_tabulate():
    t = dd.trace_program("x = 0.5\ny = x * 1")
    out = t.table("plain")
    assert "0.50000000" in out


@pytest.mark.parametrize("fmt", sorted(tabulate.tabulate_formats))
def test_every_tabulate_format_renders(fmt):
    out = dd.trace_program(PROGRAM).table(fmt)
    assert out and ("0.84147098" in out)


def test_formats_list_includes_csv_and_json():
    fmts = table_formats()
    assert "csv" in fmts and "json" in fmts and "github" in fmts and "latex_booktabs" in fmts


def test_csv_parses():
    rows = list(csv.reader(io.StringIO(dd.trace_program(PROGRAM).table("csv"))))
    assert rows[0] == ["step", "expression", "value", "d/dx"]
    assert rows[-1] == ["y", "u1 * v1", "0.45464871", "-0.41614684"]


def test_json_format_is_to_json():
    t = dd.trace_program(PROGRAM)
    assert json.loads(t.table("json")) == json.loads(t.to_json())


def test_latex_names_and_formulas():
    out = dd.trace_program("x = 1\nu1 = sin(x)\nv1 = cos(x)\nu2 = sin(u1 + v1)").table("latex")
    assert "$u_{1}$" in out and "\\sin" in out and "u_{1} + v_{1}" in out
    assert "\\$" not in out  # not escaped
    booktabs = dd.trace_program(PROGRAM).table("latex_booktabs")
    assert "\\toprule" in booktabs and "$u_{1}$" in booktabs


def test_unicode_subscripts_in_terminal_formats():
    out = dd.trace_program(PROGRAM).table("simple")
    assert "u₁" in out and "v₁" in out


def test_digits_option():
    out = dd.trace_program(PROGRAM).table("plain", digits=4)
    assert "0.8415" in out and "0.84147" not in out
    with pytest.raises(ValueError, match="digits"):
        dd.trace_program(PROGRAM).table(digits=0)


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown table format 'nope'"):
        dd.trace_program(PROGRAM).table("nope")


def test_adjoint_column_and_kink_note():
    t = dd.trace_program("w1 = 2\nw2 = 3\na = w1 ** 3\nb = a * w2\nc = 3 * w1\ng = b + c", adjoints=True)
    lines = t.table().splitlines()
    assert "∂g/∂step" in lines[0]
    assert lines[2].split("|")[-2].strip() == "39"
    kink = dd.trace_program("x = 0\nr = relu(x)").table()
    assert "kink: relu at 0" in kink and "PyTorch" in kink


def test_output_is_stable():
    t1 = dd.trace_program(PROGRAM, wrt=["x"]).table("grid")
    t2 = dd.trace_program(PROGRAM, wrt=["x"]).table("grid")
    assert t1 == t2
