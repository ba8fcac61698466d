"""The program language: valid programs, error messages with positions, rendering."""

from __future__ import annotations

import keyword
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualdiff import parse as parse_mod
from dualdiff.errors import ProgramError
from dualdiff.parse import CONSTANTS, parse_program
from dualdiff.printing import expr_to_latex, expr_to_text, name_to_latex
from dualdiff.program import Assignment, BinOp, Call, Const, Name, Num, Program, UnaryOp, names_in
from dualdiff.rules import ARITY

WORKSHEET = """\
# the y = u5*v5 worksheet
x = 1
u1 = sin(x)
v1 = cos(x)
u2 = sin(u1 + v1)
v2 = cos(u1 + v1)
u3 = sin(u2 + v2)
v3 = cos(u2 + v2)
u4 = sin(u3 + v3)
v4 = cos(u3 + v3)
u5 = sin(u4 + v4)
v5 = cos(u4 + v4)
y = u5 * v5
"""


def rhs(source: str):
    """The tree of the last assignment of a program."""
    return parse_program(source).assignments[-1].expr


# ----------------------------------------------------------------------------- valid programs


def test_worksheet():
    p = parse_program(WORKSHEET)
    assert isinstance(p, Program)
    assert p.inputs == {"x": 1} and type(p.inputs["x"]) is int
    assert p.free_names == []
    assert [a.target for a in p.steps] == [
        "u1", "v1", "u2", "v2", "u3", "v3", "u4", "v4", "u5", "v5", "y"]
    assert [a.line for a in p.assignments] == list(range(2, 14))
    u2 = p.assignments[3]
    assert u2.expr == Call("sin", (BinOp("+", Name("u1"), Name("v1")),))
    assert u2.text == "sin(u1 + v1)" and not u2.is_input
    assert p.assignments[-1].expr == BinOp("*", Name("u5"), Name("v5"))
    assert p.assignments[0] == Assignment("x", Num(1, "1"), 2, 1, "1", True)
    assert p.source == WORKSHEET
    assert [expr_to_text(a.expr) for a in p.assignments] == [a.text for a in p.assignments]


def test_inputs_and_defaults():
    p = parse_program("a = -1.5\nn = 3\nb = +2\nc = 1e-3\nd = (-4)\ny = a*n + b*c*d\n")
    assert p.inputs == {"a": -1.5, "n": 3, "b": 2, "c": 0.001, "d": -4}
    assert type(p.inputs["n"]) is int and type(p.inputs["c"]) is float
    assert [a.is_input for a in p.assignments] == [True] * 5 + [False]
    assert len(p.steps) == 1


def test_constant_expressions_are_steps_not_inputs():
    p = parse_program("x = 1\nk = 2 * 3\nm = pi\nn = --1\ny = x * k")
    assert p.inputs == {"x": 1}
    assert [a.target for a in p.steps] == ["k", "m", "n", "y"]


def test_free_names_in_first_use_order():
    p = parse_program("x = 1\nh = w2 * x + b\ny = sin(w1 * h) + b + w2\n")
    assert p.free_names == ["w2", "b", "w1"]
    assert p.inputs == {"x": 1}


def test_input_declared_after_a_step():
    p = parse_program("x = 1\ny = sin(x)\nc = 2\nz = c * y\n")
    assert p.inputs == {"x": 1, "c": 2}
    assert [a.target for a in p.steps] == ["y", "z"]


def test_constants_and_all_functions():
    p = parse_program("y = e ** x + pi")
    assert p.assignments[0].expr == BinOp("+", BinOp("**", Const("e"), Name("x")), Const("pi"))
    assert p.free_names == ["x"]
    assert set(CONSTANTS) == {"pi", "e"}
    for f, (low, high) in ARITY.items():
        for n in range(low, high + 1):
            args = ", ".join(["x"] * n)
            assert rhs(f"y = {f}({args})") == Call(f, tuple(Name("x") for _ in range(n)))


@pytest.mark.parametrize("text, tree", [
    ("-x ** 2", UnaryOp("-", BinOp("**", Name("x"), Num(2, "2")))),
    ("(-x) ** 2", BinOp("**", UnaryOp("-", Name("x")), Num(2, "2"))),
    ("2 ** -1", BinOp("**", Num(2, "2"), UnaryOp("-", Num(1, "1")))),
    ("a ** b ** c", BinOp("**", Name("a"), BinOp("**", Name("b"), Name("c")))),
    ("a - b - c", BinOp("-", BinOp("-", Name("a"), Name("b")), Name("c"))),
    ("a - (b - c)", BinOp("-", Name("a"), BinOp("-", Name("b"), Name("c")))),
    ("a / b * c", BinOp("*", BinOp("/", Name("a"), Name("b")), Name("c"))),
    ("a + b * c", BinOp("+", Name("a"), BinOp("*", Name("b"), Name("c")))),
    ("-a * b", BinOp("*", UnaryOp("-", Name("a")), Name("b"))),
    ("- - a", UnaryOp("-", UnaryOp("-", Name("a")))),
    ("+a", UnaryOp("+", Name("a"))),
    ("((a))", Name("a")),
    ("log(x, 2)", Call("log", (Name("x"), Num(2, "2")))),
    ("leaky_relu(x, 0.1)", Call("leaky_relu", (Name("x"), Num(0.1, "0.1")))),
    ("2.5E+2 * .5 + 5. - 1e-3", BinOp("-", BinOp("+", BinOp("*", Num(250.0, "2.5E+2"),
                                                            Num(0.5, ".5")), Num(5.0, "5.")),
                                      Num(0.001, "1e-3"))),
])
def test_precedence(text, tree):
    assert rhs(f"y = {text}") == tree


def test_numbers_keep_int_and_text():
    n = rhs("y = 12345678901234567890123 * x").left
    assert n.value == 12345678901234567890123 and type(n.value) is int
    assert n.text == "12345678901234567890123"
    f = rhs("y = 1.50 * x").left
    assert type(f.value) is float and f.text == "1.50"


def test_line_endings_tabs_comments_bom():
    lf = parse_program("x = 1\ny = sin(x)\n")
    for variant in ["x = 1\r\ny = sin(x)\r\n", "x = 1\ry = sin(x)\r", "\ufeffx = 1\ny = sin(x)",
                    "x\t=\t1\n\ty = sin( x )   # comment = 3 'quote' é ü\n\n   \n# end",
                    b"\xef\xbb\xbfx = 1\r\ny = sin(x)  # \xc3\xa9\n"]:
        p = parse_program(variant)
        assert [(a.target, a.expr, a.is_input) for a in p.assignments] == [
            (a.target, a.expr, a.is_input) for a in lf.assignments]
    p = parse_program("x = 1\r\n\r\n# c\r\ny = sin(x)\r\n")
    assert [a.line for a in p.assignments] == [1, 4]


def test_positions_are_columns_of_the_original_line():
    p = parse_program("x = 1\n\ty =\tx +  sin(x)  # c")
    a = p.assignments[1]
    assert (a.line, a.col) == (2, 2)
    assert (a.expr.line, a.expr.col) == (2, 8)  # the '+'
    assert (a.expr.left.col, a.expr.right.col) == (6, 11)
    assert a.text == "x +  sin(x)"


def test_positions_do_not_affect_equality():
    assert Name("x", 1, 1) == Name("x", 5, 9)
    assert hash(BinOp("+", Name("x"), Num(1, "1"), 3, 4)) == hash(BinOp("+", Name("x"), Num(1, "1")))
    assert Num(1, "1") != Num(1.0, "1.0")


def test_names_in():
    e = rhs("y = sin(a * b) + a ** c - pi * log(d, e)")
    assert names_in(e) == ["a", "b", "c", "d"]


# ----------------------------------------------------------------------------- errors

ERRORS = [
    # (source, line, col, text in the message)
    ("x = 1\ny = foo(x)", 2, 5, "unknown function 'foo'"),
    ("y = sine(x)", 1, 5, "did you mean 'sin'"),
    ("y = ln(x)", 1, 5, "did you mean 'log'"),
    ("x = 1\ny = u2 + x\nu2 = 3", 2, 5, "'u2' is used before it is assigned (line 3)"),
    ("x = x + 1", 1, 5, "'x' is used before it is assigned (line 1)"),
    ("x = 1\ny = x\nx = 2", 3, 1, "'x' is assigned twice (first on line 1)"),
    ("sin = 3", 1, 1, "'sin' is a function name"),
    ("pi = 3", 1, 1, "'pi' is a constant"),
    ("  e = 3", 1, 3, "'e' is a constant"),
    ("lambda = 3", 1, 1, "reserved word"),
    ("__x = 3", 1, 1, "reserved"),
    ("y = sin(x, 2)", 1, 5, "sin() takes exactly 1 argument (2 given)"),
    ("y = pow(x)", 1, 5, "pow() takes exactly 2 arguments (1 given)"),
    ("y = log(x, 2, 3)", 1, 5, "log() takes 1 to 2 arguments (3 given)"),
    ("y = sin()", 1, 5, "(0 given)"),
    ("y = x.real", 1, 6, "attribute access"),
    ("y = (1).real", 1, 8, "attribute access"),
    ("y = 1.5.real", 1, 8, "attribute access"),
    ("y = x[a]", 1, 7, "an index must be a whole number"),
    ("y = x[0:1]", 1, 8, "slices"),
    ("y = [[[1]]]", 1, 7, "lists nest at most 2 deep"),
    ("y = lambda: 1", 1, 5, "lambda"),
    ("y = [i for i in x]", 1, 8, "comprehensions"),
    ("y = sin(i for i in x)", 1, 11, "comprehensions"),
    ("y = 'a'", 1, 5, "string literals"),
    ('y = x + "a"', 1, 9, "string literals"),
    ("y = f'{x}'", 1, 5, "f-strings"),
    ("y = b'x'", 1, 5, "bytes literals"),
    ("y = x < 1", 1, 7, "comparisons"),
    ("y = x == 1", 1, 7, "comparisons"),
    ("y = x is z", 1, 7, "comparisons"),
    ("y = leaky_relu(x, alpha=0.1)", 1, 19, "keyword arguments are not supported"),
    ("y = sin(*x)", 1, 9, "starred"),
    ("y = sin(**x)", 1, 9, "unpacking"),
    ("y = (z := 1)", 1, 8, "':='"),
    ("y = x and z", 1, 7, "boolean operators"),
    ("y = not x", 1, 5, "boolean operators"),
    ("y = x[]", 1, 7, "an index is missing"),
    ("y = x // 2", 1, 7, "'//'"),
    ("y = x % 2", 1, 7, "'%'"),
    ("y = x ^ 2", 1, 7, "x ** 2"),
    ("y = x | 2", 1, 7, "bitwise"),
    ("y = ~x", 1, 5, "bitwise"),
    ("y = x << 1", 1, 7, "bitwise"),
    ("y = x if z else 1", 1, 7, "conditional expressions"),
    ("y = True", 1, 5, "'True'"),
    ("y = {1}", 1, 5, "sets and dicts"),
    ("y = ...", 1, 5, "Ellipsis"),
    ("y = await x", 1, 5, "'await'"),
    ("x = 1\nsin(x)", 2, 1, "not an assignment"),
    ("x = 1\n  y", 2, 3, "not an assignment"),
    ("import os", 1, 1, "'import' statements are not supported"),
    ("x += 1", 1, 3, "augmented assignment"),
    ("x: float = 1", 1, 2, "annotations"),
    ("x.y = 1", 1, 1, "single plain name"),
    ("a, b = 1, 2", 1, 1, "single plain name"),
    ("y = x = 1", 1, 7, "chained assignment"),
    ("y = (1, 2)", 1, 7, "tuples"),
    ("y = 1, 2", 1, 6, "tuples"),
    ("y = x;z = 1", 1, 6, "';'"),
    ("y = x \\", 1, 7, "line continuation"),
    ("y =", 1, 3, "missing expression"),
    ("y = x +", 1, 8, "expected an expression after '+'"),
    ("y = (x", 1, 5, "'(' was never closed"),
    ("y = sin(x", 1, 8, "'(' was never closed"),
    ("y = x)", 1, 6, "unmatched ')'"),
    ("y = ()", 1, 5, "empty parentheses"),
    ("y = sin(x,)", 1, 11, "expected an argument"),
    ("y = 2x", 1, 5, "implicit multiplication"),
    ("y = 2 (x)", 1, 7, "implicit multiplication"),
    ("y = x y", 1, 7, "missing operator before 'y'"),
    ("y = sin", 1, 5, "'sin' is a function"),
    ("y = pi(2)", 1, 5, "'pi' is a constant, not a function"),
    ("y = sin(x)(2)", 1, 11, "implicit multiplication"),
    ("y = 0x1f", 1, 5, "hexadecimal"),
    ("y = 1_000", 1, 5, "digit separators"),
    ("y = 1j", 1, 5, "complex"),
    ("y = 007", 1, 5, "leading zeros"),
    ("y = 1e999 * x", 1, 5, "too large for a float"),
    ("y = 1e-999 * x", 1, 5, "too small for a float"),
    ("y = " + "9" * 101, 1, 5, "number literal is too long"),
    ("y = 9**9**9**9", 1, 9, "exponent too large"),
    ("y = x ** 1001", 1, 7, "exponent too large"),
    ("y = x ** -1001", 1, 7, "exponent too large"),
    ("y = pow(x, 2000)", 1, 5, "exponent too large"),
    ("y = x ** (10 * 101)", 1, 7, "exponent too large"),
    ("y = (9 ** 999) ** 999", 1, 16, "constant power too large"),
    ("y = \u0445 + 1", 1, 5, "U+0445 CYRILLIC SMALL LETTER HA"),
    ("y = x \u2212 1", 1, 7, "use '-'"),
    ("y = u\u2081", 1, 6, "u1 or u_1"),
    ("y = 2 * \u03b1", 1, 9, "e.g. 'alpha'"),
    ("y = x\x00", 1, 6, "NUL byte"),
    ("x = 1\n# \u202e hidden\ny = x", 2, 3, "U+202E"),
    ("y = x\x0c", 1, 6, "U+000C"),
]


@pytest.mark.parametrize("source, line, col, text", ERRORS)
def test_error_messages(source, line, col, text):
    with pytest.raises(ProgramError) as info:
        parse_program(source)
    err = info.value
    assert text in err.reason
    assert (err.line, err.col) == (line, col), str(err)
    assert str(err) == f"line {line}, col {col}: {err.reason}"


@pytest.mark.parametrize("source, text", [
    ("", "no assignments"),
    ("# just a comment\n\n   \n", "no assignments"),
    ("x = 1\nz = -2.5\n", "only declares inputs (x, z)"),
])
def test_whole_program_errors(source, text):
    with pytest.raises(ProgramError) as info:
        parse_program(source)
    assert text in str(info.value) and info.value.line is None


def test_invalid_utf8_position():
    with pytest.raises(ProgramError) as info:
        parse_program(b"x = 1\r\ny = x + \xff\n")
    assert (info.value.line, info.value.col) == (2, 9)
    assert "UTF-8" in info.value.reason


def test_first_error_in_text_order_is_reported():
    with pytest.raises(ProgramError) as info:
        parse_program("x = 1\ny = x + 1\ny = 2\nz = foo(")
    assert info.value.line == 3


def test_program_error_is_a_value_error_and_pickles():
    err = ProgramError("bad thing", 3, 7)
    assert isinstance(err, ValueError)
    assert (err.line, err.col, err.reason, str(err)) == (3, 7, "bad thing", "line 3, col 7: bad thing")
    again = pickle.loads(pickle.dumps(err))
    assert (again.line, again.col, again.reason, str(again)) == (3, 7, "bad thing", str(err))
    assert str(ProgramError("whole")) == "whole" and ProgramError("whole").line is None
    assert "line=3" in repr(err)


def test_non_string_source_is_a_type_error():
    with pytest.raises(TypeError):
        parse_program(42)  # type: ignore[arg-type]


def test_limits_are_enforced(monkeypatch):
    monkeypatch.setattr(parse_mod, "MAX_ASSIGNMENTS", 3)
    with pytest.raises(ProgramError, match="too many assignments") as info:
        parse_program("a = 1\nb = a\nc = b\nd = c\n")
    assert info.value.line == 4
    monkeypatch.setattr(parse_mod, "MAX_TOTAL_TOKENS", 10)
    with pytest.raises(ProgramError, match="more than 10 tokens"):
        parse_program("a = 1\nb = a + a + a + a\nc = b + b + b + b\n")
    monkeypatch.setattr(parse_mod, "MAX_EXPR_NODES", 5)
    monkeypatch.setattr(parse_mod, "MAX_TOTAL_TOKENS", 10_000)
    with pytest.raises(ProgramError, match="too large"):
        parse_program("y = a + b + c + d")


def test_nesting_limits_and_what_fits():
    ok = "y = " + "(" * parse_mod.MAX_PAREN_DEPTH + "x" + ")" * parse_mod.MAX_PAREN_DEPTH
    assert rhs(ok) == Name("x")
    with pytest.raises(ProgramError, match="nested parentheses") as info:
        parse_program("y = " + "(" * 51 + "x" + ")" * 51)
    assert info.value.col == 5 + 50
    assert rhs("y = " + " + ".join(["x"] * 100)).op == "+"
    with pytest.raises(ProgramError, match="nested too deeply"):
        parse_program("y = " + " + ".join(["x"] * 101))
    with pytest.raises(ProgramError, match="nested too deeply"):
        parse_program("y = " + "-" * 200 + "x")


@pytest.mark.parametrize("text", [
    "x ** 1000", "x ** -1000", "2 ** 1000", "9 ** 999", "10 ** 400", "x ** (1/3)",
    "x ** (2 ** 3)", "x ** 0.5", "x ** sin(1)", "x ** (2 * pi)", "pow(x, 3)", "x ** w ** z",
    "(1/2) ** 2", "x ** (1 / (2 + 1))", "e ** 1000",
])
def test_acceptable_powers(text):
    parse_program(f"y = {text}")


# ----------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("text, rendered", [
    ("sin(u1+v1)", "sin(u1 + v1)"),
    ("u5*v5", "u5 * v5"),
    ("-x**2", "-x ** 2"),
    ("(-x)**2", "(-x) ** 2"),
    ("-(x**2)", "-x ** 2"),
    ("(a**b)**c", "(a ** b) ** c"),
    ("a**(b**c)", "a ** b ** c"),
    ("a-(b-c)", "a - (b - c)"),
    ("(a-b)-c", "a - b - c"),
    ("a/(b*c)", "a / (b * c)"),
    ("(a+b)*(c-d)", "(a + b) * (c - d)"),
    ("a*-b", "a * (-b)"),
    ("x**-1", "x ** (-1)"),
    ("--x", "-(-x)"),
    ("log(x,2)+1e-3", "log(x, 2) + 1e-3"),
    ("2*pi*e", "2 * pi * e"),
])
def test_expr_to_text(text, rendered):
    tree = rhs(f"y = {text}")
    assert expr_to_text(tree) == rendered
    assert rhs(f"y = {rendered}") == tree


@pytest.mark.parametrize("text, latex", [
    ("sin(u1 + v1)", r"\sin(u_{1} + v_{1})"),
    ("u5 * v5", r"u_{5} \cdot v_{5}"),
    ("a / b", r"\frac{a}{b}"),
    ("x ** 2", "x^{2}"),
    ("sqrt(x)", r"\sqrt{x}"),
    ("sigmoid(x)", r"\sigma(x)"),
    ("relu(x)", r"\operatorname{relu}(x)"),
    ("leaky_relu(x, 0.1)", r"\operatorname{leaky\_relu}(x, 0.1)"),
    ("alpha * w12 + u_1", r"\alpha \cdot w_{12} + u_{1}"),
    ("(a + b) ** 2", r"\left(a + b\right)^{2}"),
    ("-(a + b)", r"-\left(a + b\right)"),
    ("exp(-x)", "e^{-x}"),
    ("log(x)", r"\ln(x)"),
    ("log(x, 2)", r"\log_{2}(x)"),
    ("abs(x)", r"\left|x\right|"),
    ("asin(x)", r"\arcsin(x)"),
    ("pi * e", r"\pi \cdot e"),
    ("1e-3 * x", r"1 \times 10^{-3} \cdot x"),
    ("pow(x, 3)", "x^{3}"),
    ("x_in * loss", r"x_{\mathrm{in}} \cdot \mathrm{loss}"),
])
def test_expr_to_latex(text, latex):
    assert expr_to_latex(rhs(f"y = {text}")) == latex


def test_expr_to_latex_custom_names():
    tree = rhs("y = u1 + h")
    assert expr_to_latex(tree, {"h": r"\hat{h}"}) == r"u_{1} + \hat{h}"
    assert expr_to_latex(tree, lambda n: n.upper()) == "U1 + H"
    assert name_to_latex("theta2") == r"\theta_{2}"


# ----------------------------------------------------------------------------- round trips

_RESERVED = set(ARITY) | set(CONSTANTS) | {"y", "z"}
names = st.from_regex(r"[a-x][a-z0-9]{0,3}", fullmatch=True).filter(
    lambda n: n not in _RESERVED and not keyword.iskeyword(n))
ints = st.integers(0, 10**30).map(lambda i: Num(i, str(i)))
floats = st.floats(0, 1e300, allow_nan=False, allow_infinity=False).map(
    lambda f: Num(f, repr(f)))
leaves = st.one_of(names.map(Name), ints, floats, st.sampled_from(CONSTANTS).map(Const))


def _calls(children):
    return st.sampled_from(sorted(ARITY)).flatmap(
        lambda f: st.lists(children, min_size=ARITY[f][0], max_size=ARITY[f][1]).map(
            lambda args: Call(f, tuple(args))))


def _extend(children):
    return st.one_of(
        st.builds(BinOp, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(BinOp, st.just("**"), children, children),
        st.builds(UnaryOp, st.sampled_from(["-", "+"]), children),
        _calls(children),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(trees)
def test_expr_to_text_round_trips(tree):
    text = expr_to_text(tree)
    try:
        program = parse_program(f"y = {text}\nz = y\n")
    except ProgramError as err:  # only the power bounds may refuse a generated tree
        assert "exponent" in err.reason or "constant power" in err.reason, (text, err)
        return
    assert program.assignments[0].expr == tree, text
    assert program.assignments[0].text == text
    expr_to_latex(tree)  # never fails on a valid tree
