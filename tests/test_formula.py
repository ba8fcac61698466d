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


# ---------------------------------------------------------------------------
# Structure, not only the value: the same formula written another way agrees; another
# formula that happens to give the student's number is named (expectations written down
# by hand: the identities and non-identities below are school algebra).
# ---------------------------------------------------------------------------
PRODUCT = "x = 1\nu = sin(x)\nv = cos(x)\ny = u * v\n"


def test_the_product_rule_in_latex_agrees_with_the_programs_step():
    t = dd.trace_program(PRODUCT)
    for written in (r"u \cdot \frac{\partial v}{\partial x} + v \cdot \frac{\partial u}{\partial x}",
                    r"\frac{du}{dx} v + u \frac{dv}{dx}",
                    r"v u' + u v'",
                    r"\cos^2 x - \sin^2 x",            # the same derivative, through the program's u = sin x, v = cos x
                    r"\cos(2x)"):
        note = compare(t, "y", "d/dx", f"${written} = -0.41615$", own(t))
        assert note.agrees, (written, note.sentence)
        assert "the program has" not in note.sentence


def test_the_product_rule_with_one_term_is_named_with_the_programs_rule():
    t = dd.trace_program(PRODUCT)
    note = compare(t, "y", "d/dx", r"$u \cdot \frac{\partial v}{\partial x} = -0.708$", own(t))
    assert not note.agrees
    assert "wrote u * dv_dx" in note.sentence
    rule = note.sentence.split("the derivative of u * v is ")[1]
    assert "du_dx" in rule and "dv_dx" in rule          # the program's product rule, both terms


def test_another_formula_with_the_same_number_is_named():
    # y = x * x at x = 2: x + x also gives 4, but it is another formula
    t = dd.trace_program("x = 2\ny = x * x\n")
    note = compare(t, "y", "value", "$x + x = 4$", own(t))
    assert not note.agrees
    assert note.sentence.startswith("wrote x + x, the program has x * x")
    assert "another formula" in note.sentence
    # u = x ** 2 at x = 0.5: u' = 2x = 1, and so is x + 0.5 -- a different rule
    t = dd.trace_program("x = 0.5\nu = x ** 2\n")
    note = compare(t, "u", "d/dx", "$x + 0.5 = 1$", own(t))
    assert not note.agrees and "another formula" in note.sentence
    assert compare(t, "u", "d/dx", "$2x = 1$", own(t)).agrees


def test_algebraically_equal_formulas_are_never_called_different():
    t = dd.trace_program("x = 0.8\ny = sin(x)\n")
    for written in (r"2 \sin(\frac{x}{2}) \cos(\frac{x}{2})", r"\sin(\pi - x)", r"-\sin(-x)"):
        note = compare(t, "y", "value", f"${written} = 0.71736$", own(t))
        assert note.agrees, (written, note.sentence)
    # the student's own v2 is off: sin(u2 + cos(u1 + v1)) is still the program's u3
    w = dd.trace_program(WORKSHEET)
    mine = own(w)
    mine["v2"] = (0.5, mine["v2"][1])
    note = compare(w, "u3", "value", r"$\sin(u_2 + \cos(u_1 + v_1)) = 0.96$", mine)
    assert note.agrees, note.sentence


def test_a_formula_that_only_rounds_the_programs_number_is_not_called_the_same():
    t = dd.trace_program("x = 1\ny = sin(x)\n")
    note = compare(t, "y", "value", r"$x - \frac{x^3}{6} = 0.8333$", own(t))
    assert not note.agrees and "the program has sin(x)" in note.sentence


# ---------------------------------------------------------------------------
# LaTeX text macros and accents in cells: reported as unreadable, never a crash, never a
# changed verdict, and the LaTeX/HTML output stays valid
# ---------------------------------------------------------------------------
ACCENTED = [r'$\"{i} = 0.84147$', r"$na\"{\i}ve\ \sin x = 0.84147$", r"$\text{na\"{i}ve}(x) = 0.84147$",
            r"$\'{e}t\'{e} = 0.84147$", r"$\c{c} = 0.84147$", r"$\ss = 0.84147$", r"$\sin(x)\% = 0.84147$",
            r"$\textbf{sin}(x) = 0.84147$", "$\\\\ = 0.84147$", r"$\sin(x) \text{ (calculator) } = 0.84147$"]


@pytest.mark.parametrize("cell", ACCENTED)
def test_text_macros_are_unreadable_formulas_not_crashes(cell):
    t = dd.trace_program("x = 1\nu = sin(x)\n")
    note = compare(t, "u", "value", cell, own(t))
    assert note is not None
    if note.program_text is None:
        assert "could not read" in note.sentence
    r = t.verify({"x": ("1", "1"), "u": (cell, "0.54030")})
    c = next(c for c in r.cells if (c.step, c.column) == ("u", "value"))
    plain = t.verify({"x": ("1", "1"), "u": ("0.84147", "0.54030")})
    assert c.verdict == next(p for p in plain.cells if (p.step, p.column) == ("u", "value")).verdict
    assert c.diagnosis is None


@pytest.mark.parametrize("cell", ACCENTED)
def test_text_macros_in_cells_keep_the_latex_and_html_reports_valid(cell):
    import html.parser

    t = dd.trace_program("x = 1\nu = sin(x)\n")
    r = t.verify({"x": ("1", "1"), "u": (cell, "0.5")})
    latex = r.table("latex")
    # every brace balanced, no raw accent command or % comment left from the student's text
    depth = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2
            continue
        depth += ch == "{"
        depth -= ch == "}"
        assert depth >= 0, latex
        i += 1
    assert depth == 0, latex
    assert '\\"' not in latex and "\\'" not in latex and "\\c{" not in latex
    assert "%" not in latex.replace("\\%", "")

    class Strict(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag in {"table", "thead", "tbody", "tr", "th", "td", "span", "div", "p", "code", "br"}, tag

    Strict().feed(r.table("html"))


def test_text_macros_in_cells_compile_with_pdflatex(tmp_path):
    from test_output_languages import LATEX_FORMATS, PDFLATEX, compile_latex

    if PDFLATEX is None:
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended lmodern)")
    t = dd.trace_program("x = 1\nu = sin(x)\n")
    parts = []
    for cell in ACCENTED:
        r = t.verify({"x": ("1", "1"), "u": (cell, cell.replace("0.84147", "0.6"))})
        parts += [r.table(fmt) for fmt in LATEX_FORMATS]
    ok, log, _ = compile_latex("\n\n".join(parts), tmp_path)
    assert ok, log


def test_a_data_input_written_as_its_value_is_the_same_formula():
    # ce = -y log(yhat) - (1 - y) log(1 - yhat) with the label y = 1 (not differentiated by)
    t = dd.trace_program("w = 0.5\nx = 2\ny = 1\nyhat = sigmoid(w * x)\nce = -y * log(yhat) - (1 - y) * log(1 - yhat)\n",
                         wrt=["w"])
    assert compare(t, "ce", "value", r"$-\ln(\hat{y}) = 0.3133$", own(t)).agrees
    assert not compare(t, "ce", "value", r"$-\ln(1 - \hat{y}) = 1.3133$", own(t)).agrees
