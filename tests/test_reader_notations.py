"""The number reader against the notations people write: read right, or refused with a reason.

A hand-table cell is read as *one* number.  Whatever the notation -- Unicode minus, a sign
written as a factor of -1, brackets, LaTeX, scientific notation in five spellings, decimal
commas, digit groups -- the number read must be the number written (and its decimals the
places written), or the cell is refused with a reason; never a silently different number.

The expected values here come from Python's own decimal reading of the plain text
(``float(Decimal(...))``), never from dualdiff.  Hypothesis draws the numbers.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dualdiff.handtable import parse_number

# --------------------------------------------------------------------------- numbers as people write them
digits = st.integers(min_value=0, max_value=10**9)
places = st.integers(min_value=0, max_value=9)


@st.composite
def decimals_text(draw, positive: bool = False):
    """(plain text, value, decimals written): e.g. ("-0.0566", -0.0566, 4)."""
    n, k = draw(digits), draw(places)
    neg = False if positive else draw(st.booleans())
    d = Decimal(n).scaleb(-k)
    text = format(d, "f") if k else str(n)
    value = float(Decimal(text))
    return ("-" + text if neg else text), (-value if neg else value), k


NEGATIVE_FORMS = [
    "-{}", "\u2212{}", "-({})", "\u2212({})", "(-1)·{}", "(\u22121)·{}", "(-1)({})", "(−1)({})", "-1 × {}",
    "(-1)*{}", r"$(-1) \cdot {}$", "(-{})", "[-{}]", "(\u2212{})", "$-{}$", "**-{}**", "`-{}`",
    "-{} (rounded)", "≈ -{}", r"$\sin(1) = -{}$", "u_1 = -{}", "-{} -> step 3", "= -{}", "\u2013{}",
    "- {}", "-1({})", "-(-(-{}))", r"$-\left({}\right)$", "-{}\u00a0",
]
POSITIVE_FORMS = [
    "{}", "+{}", "({})", "[{}]", "$${}$$", "-(-{})", "(-1)·(-{})", "**{}**", "{} (4 d.p.)",
    r"\approx {}", "{} (at x = 1)", "~~9.99~~ {}", r"\text{{{}}}", "{} ± 0.01", "{} +- 0.01", r"{} \pm 0.01",
]


@settings(max_examples=150, deadline=None)
@given(decimals_text(positive=True), st.sampled_from(NEGATIVE_FORMS))
@example(("0.8415", 0.8415, 4), "(-1)·{}")
@example(("0.5", 0.5, 1), "-1({})")
def test_negative_numbers_in_every_notation(number, form):
    text, value, k = number
    got = parse_number(form.format(text))
    assert got == (-value, k, None), (form.format(text), got)   # (-0.0 == 0.0: "-0" is 0)


@settings(max_examples=150, deadline=None)
@given(decimals_text(positive=True), st.sampled_from(POSITIVE_FORMS))
def test_positive_numbers_in_every_notation(number, form):
    text, value, k = number
    got = parse_number(form.format(text))
    assert got[2] is None and got[0] == value and got[1] == k, (form.format(text), got)


SCIENTIFIC = ["{m}e{e}", "{m}E{e:+d}", "{m} × 10^{{{e}}}", "{m}·10^{e}", "{m} x 10^{e}", "{m}*10^{e}",
              r"${m} \times 10^{{{e}}}$", "{m} \u00d7 10{sup}"]
_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@settings(max_examples=150, deadline=None)
@given(decimals_text(), st.integers(min_value=-12, max_value=12), st.sampled_from(SCIENTIFIC))
@example(("-2", -2.0, 0), -3, "{m} x 10^{e}")
@example(("2", 2.0, 0), -3, "{m}e{e}")
def test_scientific_notation(number, e, form):
    m, _, k = number
    text = form.format(m=m, e=e, sup=str(e).translate(_SUP))
    value = float(Decimal(m.replace("\u2212", "-")).scaleb(e))
    got = parse_number(text)
    assert got == (value, k - e, None), (text, got)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=999), st.integers(min_value=1, max_value=9), st.booleans())
def test_decimal_comma_where_it_cannot_be_a_thousands_group(ip, fp_len, neg):
    # "0,5", "12,34": a single comma not followed by exactly three digits is a decimal comma
    if fp_len == 3 and ip != 0:
        fp_len = 4
    fp = "7" * fp_len
    text = f"{'-' if neg else ''}{ip},{fp}"
    value = float(f"{'-' if neg else ''}{ip}.{fp}")
    assert parse_number(text) == (value, fp_len, None)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1000, max_value=10**9), st.integers(min_value=0, max_value=4))
def test_thousands_groups_with_a_decimal_point(n, k):
    text = f"{n:,}" + ("." + "5" * k if k else "")
    value = float(text.replace(",", ""))
    got = parse_number(text)
    if k or text.count(",") > 1:
        assert got == (value, k, None), (text, got)
    else:
        assert got[0] is None and "ambiguous" in got[2]       # "1,234": said, not guessed


# --------------------------------------------------------------------------- calculations are refused
PRODUCTS = ["{a}·{b}", "{a} × {b}", "{a}({b})", "({a})({b})", "{a}*({b})", "({a})·({b})", "{a} ÷ {b}",
            "{a} - {b}", "{a} + {b}", "2(-1)·{b}", "{a} x {b}", "({b})^2", "({b})²", "--{b}", "+-{b}",
            "{a} (-{b})", "= {a} - {b}", "-({b})({a})", "{a} {b}"]


@settings(max_examples=200, deadline=None)
@given(decimals_text(positive=True), decimals_text(positive=True), st.sampled_from(PRODUCTS))
@example(("2", 2.0, 0), ("0.5", 0.5, 1), "2(-1)·{b}")
@example(("2", 2.0, 0), ("0.5", 0.5, 1), "{a}·{b}")
def test_a_calculation_is_refused_never_misread(a, b, form):
    text = form.format(a=a[0], b=b[0])
    number, decimals, problem = parse_number(text)
    assert number is None and problem, (text, number, problem)


@pytest.mark.parametrize("text, number, decimals", [
    ("2(-1)·0.5", None, None), ("2·(−0.5)", None, None), ("(−1)(0.5)", -0.5, 1), ("-2 x 10^-3", -0.002, 3),
    ("2e-3", 0.002, 3), ("−.5", -0.5, 1), ("0,5", 0.5, 1), ("-1(0.5)", -0.5, 1), ("(-1)·(-0.5)", 0.5, 1),
    ("-(-(0.5))", 0.5, 1), ("0.84 ± 0.01", 0.84, 2), ("(−1)·0.5 = −0.5", -0.5, 1),
])
def test_the_listed_forms(text, number, decimals):
    """The forms of the issue, each read right or refused (number None) with a reason."""
    got_n, got_d, problem = parse_number(text)
    assert (got_n, got_d) == (number, decimals)
    assert (problem is None) == (number is not None)


@pytest.mark.parametrize("text, fragment", [("½", "fraction"), ("1/2", "fraction"), ("-(1/2)", "fraction"),
                                            ("2 × 0.5", "calculation"), ("1 234.5", "side by side"),
                                            ("--0.5", "signs"), ("(0.5)(-1)", "calculation")])
def test_refusals_say_why(text, fragment):
    number, _, problem = parse_number(text)
    assert number is None and fragment in problem
