r"""The student's formula: LaTeX (or plain text) before '=' in a cell, translated into the
program language.  Expected translations are written down here in the program language
and compared as parsed trees (positions ignored)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

import dualdiff as dd
from dualdiff.formula import FormulaError, compare, formula_text, read_formula, to_program
from dualdiff.parse import parse_expression

CASES = [
    (r"$\sin(u_1+u_2)$", "sin(u1 + u2)"),
    (r"\cos(u_1 + v_1)", "cos(u1 + v1)"),
    (r"u_5 \cdot \frac{\partial v_5}{\partial x} + v_5 \cdot \frac{\partial u_5}{\partial x}",
     "u5 * dv5_dx + v5 * du5_dx"),
    (r"u_5 \frac{dv_5}{dx} + v_5 \frac{du_5}{dx}", "u5 * dv5_dx + v5 * du5_dx"),
    (r"\frac{a}{b}", "a / b"),
    (r"\frac{u_1 + 1}{v_1}", "(u1 + 1) / v1"),
    (r"a \cdot b", "a * b"),
    (r"a \times b", "a * b"),
    (r"u_1", "u1"),
    (r"u_{1}", "u1"),
    (r"u_{12} + v_{3}", "u12 + v3"),
    (r"\left( u_1 + v_1 \right)^{2}", "(u1 + v1) ** 2"),
    (r"\left[ u_1 + v_1 \right]^2", "(u1 + v1) ** 2"),
    (r"-\sin(x)", "-sin(x)"),
    (r"\cos 1", "cos(1)"),
    (r"\sin x", "sin(x)"),
    (r"e^{-x}", "e ** (-x)"),
    (r"\exp(-x)", "exp(-x)"),
    (r"2u_1", "2 * u1"),
    (r"u_5 v_5", "u5 * v5"),
    (r"\sigma(h)", "sigmoid(h)"),
    (r"\sigma(h)\,(1 - \sigma(h))", "sigmoid(h) * (1 - sigmoid(h))"),
    (r"\ln(y)", "log(y)"),
    (r"\log y", "log(y)"),
    (r"\sqrt{x}", "sqrt(x)"),
    (r"\sin^2(x)", "sin(x) ** 2"),
    (r"\cos(u_1 + v_1)\cdot(\cos(1) - \sin(1))", "cos(u1 + v1) * (cos(1) - sin(1))"),
    ("sin(u1 + v1)", "sin(u1 + v1)"),
    ("sin(u₁ + v₁)", "sin(u1 + v1)"),
    ("u₅·v₅", "u5 * v5"),
    ("−sin(1)", "-sin(1)"),
    ("w1**3", "w1 ** 3"),
    (r"3 w_1^2", "3 * w1 ** 2"),
    (r"\mathrm{ReLU}(z)", "relu(z)"),
    (r"\operatorname{relu}(z)", "relu(z)"),
    (r"\hat{y} - y", "yhat - y"),
    (r"\pi / 2", "pi / 2"),
]


@pytest.mark.parametrize("latex, program", CASES)
def test_translation(latex, program):
    assert read_formula(latex) == parse_expression(program)[0]


def test_prime_needs_and_uses_the_input():
    assert to_program("u_5 v_5' + v_5 u_5'", wrt="x") == "u5 * dv5_dx + v5 * du5_dx"
    with pytest.raises(FormulaError):
        to_program("v_5'")


@pytest.mark.parametrize("bad", [
    r"\int_0^1 x\,dx", r"\sin(", r"u_1 +", "__import__('os')", "a; b", r"\frac{a}", "{{{",
    r"\begin{matrix}", "x @ y", "", r"\foo(x)", "(" * 200 + "x" + ")" * 200, "a" * 500,
])
def test_unreadable_formulas_raise_formula_error(bad):
    with pytest.raises(FormulaError):
        read_formula(bad)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(r"\{}()[]^_'+-*/=$ .,0123456789abdeinosuvxy") + [
    r"\frac", r"\sin", r"\cdot", r"\partial", r"\left(", r"\right)", "u_1", "v_{2}"]), max_size=40).map("".join))
def test_any_text_reads_or_raises_formula_error(text):
    try:
        tree = read_formula(text)
    except FormulaError:
        return
    assert tree is not None


@pytest.mark.parametrize("cell, formula", [
    (r"$\sin(u_1+u_2) = 0.91$", r"\sin(u_1+u_2)"),
    (r"$u_2 = \sin(u_1+v_1) = 0.98$", r"\sin(u_1+v_1)"),
    ("0.98218827", None),
    (r"$0.98$", None),
    (r"$u_2 = 0.98$", None),
    (r"\cos(1) \approx 0.5403", r"\cos(1)"),
])
def test_formula_part_of_a_cell(cell, formula):
    assert formula_text(cell, "u2") == formula


WORKSHEET = "x = 1\nu1 = sin(x)\nv1 = cos(x)\nu2 = sin(u1 + v1)\nv2 = cos(u1 + v1)\nu3 = sin(u2 + v2)\n"


def own(trace):
    return {s.name: (s.value, dict(s.derivs)) for s in trace.rows}


def test_compare_names_the_difference_from_the_program():
    t = dd.trace_program(WORKSHEET)
    note = compare(t, "u3", "value", r"$\sin(u_1+u_2) = 0.91$", own(t))
    assert not note.agrees
    assert note.sentence.startswith("wrote sin(u1 + u2), the program has sin(u2 + v2)")
    same = compare(t, "u3", "value", r"$\sin(v_2 + u_2) = 0.92$", own(t))
    assert same.agrees  # the same step written another way


def test_compare_derivative_formula_with_the_students_numbers():
    t = dd.trace_program(WORKSHEET)
    ok = compare(t, "u2", "d/dx", r"$\cos(u_1+v_1)\cdot(\frac{du_1}{dx} + \frac{dv_1}{dx}) = -0.0566$", own(t))
    assert ok.agrees
    bad = compare(t, "u2", "d/dx", r"$\cos(u_1+v_1) = 0.188$", own(t))
    assert not bad.agrees and "derivative of sin(u1 + v1)" in bad.sentence


def test_unreadable_or_unknown_names_are_reported_not_raised():
    t = dd.trace_program(WORKSHEET)
    note = compare(t, "u2", "value", r"$\int f = 0.98$", own(t))
    assert note.program_text is None and "could not read" in note.sentence
    note = compare(t, "u2", "value", r"$\sin(u_1 + w_7) = 0.98$", own(t))
    assert not note.agrees and "w7" in note.sentence


def test_formula_never_changes_a_verdict():
    t = dd.trace_program(WORKSHEET)
    hand = {"u1": ("0.84147098", "0.54030231"), "v1": ("0.54030231", "-0.84147098"),
            "u2": (r"$\sin(u_1 + u_1) = 0.98218827$", "-0.056589421")}
    r = t.verify(hand)
    cell = next(c for c in r.cells if (c.step, c.column) == ("u2", "value"))
    assert cell.verdict == "correct"
    assert cell.formula is not None and not cell.formula.agrees
    assert cell.diagnosis is None
