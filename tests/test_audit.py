"""The precision audit (SPEC §5): every digit a float trace shows is right, or the cell says so.

References are independent of dualdiff: closed forms evaluated with mpmath at 50 digits
(the cross-entropy of the slides at w = 3, x = 12, y = 0 is log(1 + e^36) with derivative
12·σ(36); 3·0.1 − 0.3 is 0; sin(π) is 0).  "k correct digits" is defined once, here, as a
reader checks a number: the float rounded to k significant digits is a faithful rounding
of the true value (less than one unit of its k-th digit away); the count is the largest
such k (at most 17, the most a double can show).
"""
from __future__ import annotations

import json
import re
from decimal import Decimal, localcontext
from pathlib import Path

import mpmath
import pytest
from hypothesis import given, settings, strategies as st

import dualdiff as dd
from dualdiff.cli import main

ROOT = Path(__file__).resolve().parent.parent
CE = str(ROOT / "traces" / "cross_entropy.dd")
WORKSHEET = str(ROOT / "traces" / "sincos_worksheet.dd")
SATURATED = {"w": 3, "x": 12, "y": 0}



@pytest.fixture(autouse=True)
def _fifty_digits():
    """Every test computes its references at 50 digits, whatever other tests left set."""
    with mpmath.workdps(50):
        yield



@pytest.fixture(autouse=True)
def _fifty_digits():
    """Other test modules set mpmath's global precision when they are imported (collection
    imports them all before any test runs): set this module's 50 digits for each test."""
    with mpmath.workdps(50):
        yield


def correct_digits(f: float, truth) -> int:
    """The test's own count of correct significant digits of the float f (see above).

    Units are those of the true value's digits: 1e-16 is not "one digit right" of 1e-61.
    """
    with localcontext() as ctx:
        ctx.prec = 80
        if isinstance(truth, Decimal):
            t = truth
        else:
            t = Decimal(mpmath.nstr(truth, 60, min_fixed=-10**6, max_fixed=10**6)) if truth else Decimal(0)
        if Decimal(f) == t:   # the binary value itself, exactly
            return 17
        if t == 0:
            return 0
        for k in range(17, 0, -1):
            d = Decimal(f"{f:.{k - 1}e}")
            if abs(d - t) < Decimal(10) ** (t.adjusted() - k + 1):
                return k
        return 0


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sigma(z):
    return 1 / (1 + mpmath.exp(-z))


# True values of the saturated cross-entropy, from closed forms (y = 0: CE = -log(1 - σ(wx))).
with mpmath.workdps(50):
    CE_TRUE = mpmath.log(1 + mpmath.exp(36))      # = 36.000000000000000231…
    DCE_TRUE = 12 * sigma(36)                     # = 11.999999999999997216…


def test_the_test_reference_is_what_the_issue_says():
    assert mpmath.almosteq(CE_TRUE, 36, rel_eps=1e-15) and mpmath.almosteq(DCE_TRUE, 12, rel_eps=1e-15)
    assert correct_digits(36.04365338911715, CE_TRUE) == 3      # "36.0" is right, "36.04" is not
    assert correct_digits(12.535443, DCE_TRUE) == 1             # "13" is not a rounding of 12
    assert correct_digits(0.5, mpmath.mpf(1) / 2) == 17


# ---------------------------------------------------------------------------------------
# The reference itself
# ---------------------------------------------------------------------------------------
def test_reference_of_the_saturated_cross_entropy():
    from dualdiff.reference import reference_of

    t = dd.trace_program(CE, at=SATURATED, wrt="w")
    ref = reference_of(t)
    assert mpmath.almosteq(ref.value("ce"), CE_TRUE, rel_eps=mpmath.mpf(10) ** -22)
    assert mpmath.almosteq(ref.deriv("ce", "w"), DCE_TRUE, rel_eps=mpmath.mpf(10) ** -22)
    assert mpmath.almosteq(ref.value("yhat"), sigma(36), rel_eps=mpmath.mpf(10) ** -38)
    assert mpmath.almosteq(ref.deriv("closed_form", "w"), 144 * sigma(36) * (1 - sigma(36)),
                           rel_eps=mpmath.mpf(10) ** -22)
    assert ref.certain_digits("ce", "value") >= 20   # ill-conditioned, yet known to 20+ digits
    assert reference_of(t) is ref  # computed once, cached on the trace


def test_trace_reference_method_is_the_cached_reference():
    from dualdiff.reference import reference_of

    t = dd.trace_program(CE, at=SATURATED, wrt="w")
    assert t.reference() is reference_of(t) is t.reference()


def test_reference_of_the_worksheet_matches_an_independent_recursion():
    from dualdiff.reference import reference_of

    t = dd.trace_program(WORKSHEET)
    ref = reference_of(t)
    # u_{k+1} = sin(u_k + v_k), v_{k+1} = cos(u_k + v_k) at x = 1, derivatives by the chain rule.
    u, v, du, dv = mpmath.sin(1), mpmath.cos(1), mpmath.cos(1), -mpmath.sin(1)
    truth = {"u1": (u, du), "v1": (v, dv)}
    for k in range(2, 6):
        s, ds = u + v, du + dv
        u, v, du, dv = mpmath.sin(s), mpmath.cos(s), mpmath.cos(s) * ds, -mpmath.sin(s) * ds
        truth[f"u{k}"], truth[f"v{k}"] = (u, du), (v, dv)
    truth["y"] = (u * v, du * v + u * dv)
    for name, (val, der) in truth.items():
        assert mpmath.almosteq(ref.value(name), val, rel_eps=mpmath.mpf(10) ** -38), name
        assert mpmath.almosteq(ref.deriv(name, "x"), der, rel_eps=mpmath.mpf(10) ** -38), name
        assert ref.certain_digits(name, "value") >= 35 and ref.certain_digits(name, "x") >= 35


def test_numbers_are_the_decimals_written():
    from dualdiff.reference import reference_of

    t = dd.trace_program("x = 0.1\ny = 3 * x - 0.3")
    assert t.output.value == pytest.approx(5.551115123125783e-17)   # float's answer
    assert abs(reference_of(t).value("y")) < mpmath.mpf(10) ** -50  # the program's: 0
    t = dd.trace_program("x = 1\ny = sin(pi * x)")
    assert abs(reference_of(t).value("y")) < mpmath.mpf(10) ** -35
    assert mpmath.almosteq(reference_of(t).deriv("y", "x"), -mpmath.pi, rel_eps=mpmath.mpf(10) ** -38)


def test_exact_and_mpmath_traces_are_their_own_reference():
    from dualdiff.reference import reference_of

    t = dd.trace_program(WORKSHEET, exact=True)
    ref = reference_of(t)
    assert ref.own
    with mpmath.workdps(60):  # sin(1) at the reference's precision, whatever the global one is
        assert mpmath.almosteq(ref.value("u1"), mpmath.sin(1), rel_eps=mpmath.mpf(10) ** -45)
    t = dd.trace_program("x = 1\ny = exp(x)", at={"x": mpmath.mpf(2)})
    assert reference_of(t).own and reference_of(t).value("y") == t.output.value


def test_a_step_the_reference_cannot_compute_is_listed_with_its_dependents():
    from dualdiff.reference import reference_of

    # float: 3*0.1 - 0.3 = 5.6e-17 > 0, so log works; the program's value is log(0).
    t = dd.trace_program("x = 0.1\nd = 3 * x - 0.3\nl = log(d)\nz = l + 1\nw = x * 2")
    ref = reference_of(t)
    assert "l" in ref.failed and "z" in ref.failed and "w" not in ref.failed
    assert "log" in ref.failed["l"] and "l" in ref.failed["z"]


# ---------------------------------------------------------------------------------------
# The audit: digits, culprit, table, JSON, --check
# ---------------------------------------------------------------------------------------
def test_audit_counts_the_correct_digits_of_every_cell():
    from dualdiff.audit import audit_of

    t = dd.trace_program(CE, at=SATURATED, wrt="w")
    a = audit_of(t)
    ce = a["ce"]
    assert ce.value == correct_digits(t["ce"].value, CE_TRUE) == 3
    assert ce.derivs["w"] == correct_digits(t["ce"].derivs["w"], DCE_TRUE) == 1
    assert ce.culprit is not None and ce.culprit.operation == "1 - yhat" and ce.culprit.kind == "cancellation"
    assert a["yhat"].value >= 15 and a["closed_form"].value >= 15 and a["h"].derivs["w"] == 17
    assert not a.ok(digits=8) and a.ok(digits=2) is False  # the derivative has 1 correct digit
    assert [(c.step, c.column) for c in a.inaccurate(digits=8)] == [("ce", "value"), ("ce", "w")]


def test_expanded_trace_names_the_step_that_cancels():
    from dualdiff.audit import audit_of

    t = dd.trace_program(CE, at=SATURATED, wrt="w", expand=True)
    a = audit_of(t)
    one_minus = next(s for s in t.steps if s.expr == "1 - yhat")
    assert a[one_minus.name].value <= 1
    assert a["ce"].culprit.step == one_minus.name and a["ce"].culprit.kind == "cancellation"


def test_table_marks_the_inaccurate_cells_and_gives_the_true_digits(capsys):
    code, out, err = run(capsys, "table", CE, "--at", "w=3", "x=12", "y=0", "--wrt", "w")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("| ce "))
    assert "36.043653*" in row and "12.535443*" in row
    assert "inaccurate: 3 correct digits" in row and "inaccurate: 1 correct digit" in row
    assert "36.000000" in row and "12.000000" in row          # the true values, 8 digits
    assert "cancellation in 1 - yhat" in row
    assert "inaccurate" not in out.replace(row, "")           # no other cell is marked


def test_json_carries_accuracy(capsys):
    code, out, _ = run(capsys, "table", CE, "--at", "w=3", "x=12", "y=0", "--wrt", "w", "--format", "json")
    d = json.loads(out)
    steps = {s["name"]: s for s in d["steps"]}
    acc = steps["ce"]["accuracy"]
    assert acc["value"] == 3 and acc["derivs"] == {"w": 1}
    assert acc["culprit"]["operation"] == "1 - yhat" and acc["culprit"]["kind"] == "cancellation"
    assert float(acc["reference"]["value"]) == pytest.approx(36.0, rel=1e-15)
    assert float(acc["reference"]["derivs"]["w"]) == pytest.approx(12.0, rel=1e-15)
    assert acc["inaccurate"] == ["value", "w"]
    assert steps["h"]["accuracy"]["value"] == 17 and "culprit" not in steps["h"]["accuracy"]


def test_check_fails_on_an_inaccurate_cell(capsys):
    code, out, err = run(capsys, "table", CE, "--at", "w=3", "x=12", "y=0", "--wrt", "w", "--check")
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("| ce "))
    assert "inaccurate" in row.split("|")[5]                    # the check column says it
    assert "ce" in err and "correct digit" in err and "1 - yhat" in err


def test_well_conditioned_traces_are_not_marked(capsys):
    for prog in ("sincos_worksheet", "backprop", "squared_error", "swish", "baydin"):
        code, out, _ = run(capsys, "table", str(ROOT / "traces" / f"{prog}.dd"), "--check")
        assert code == 0 and "inaccurate" not in out and not re.search(r"\d\*", out), prog
    from dualdiff.audit import audit_of

    t = dd.trace_program(WORKSHEET)
    a = audit_of(t)
    for s in t.rows:   # every cell of the worksheet has 15 or more correct digits
        truth_ok = a[s.name]
        assert truth_ok.value >= 15 and truth_ok.derivs["x"] >= 15, s.name


def test_a_true_zero_shown_as_a_tiny_number_is_inaccurate(capsys):
    from dualdiff.audit import audit_of

    t = dd.trace_program("x = 1\ny = sin(pi * x)")
    assert audit_of(t)["y"].value == 0
    assert audit_of(t)["y"].derivs["x"] >= 15
    assert "sin(pi * x)" in audit_of(t)["y"].culprit.operation
    t = dd.trace_program("x = 0.1\ny = 3 * x - 0.3")
    assert audit_of(t)["y"].value == 0 and audit_of(t)["y"].culprit.kind == "cancellation"
    assert "inaccurate: 0 correct digits" in t.table()


def test_underflow_is_reported_with_the_true_value():
    from dualdiff.audit import audit_of

    t = dd.trace_program("x = 400\ny = exp(-2 * x) / exp(-x)")   # float: 0 / 1.9e-174
    assert t.output.value == 0.0
    a = audit_of(t)
    assert a["y"].value == 0
    assert a["y"].culprit.operation == "exp(-2 * x)" and a["y"].culprit.kind == "underflow"
    truth = mpmath.exp(-400)
    assert f"(true {float(truth):.7e}" in t.table()


def test_unverifiable_cells_say_so():
    t = dd.trace_program("x = 0.1\nd = 3 * x - 0.3\nl = log(d)")
    text = t.table()
    row = next(line for line in text.splitlines() if line.startswith("| l "))
    assert "not verified" in row
    d = json.loads(t.to_json())
    assert d["steps"][1]["accuracy"]["audited"] is False and "log" in d["steps"][1]["accuracy"]["reason"]


def test_digits_option_decides_what_is_marked(capsys):
    # (1 + x) - 1 at x = 1e-10: the float keeps about 6 of the digits of x.
    t = dd.trace_program("x = 1e-10\ny = (1 + x) - 1")
    k = correct_digits(t.output.value, mpmath.mpf("1e-10"))
    assert 4 <= k <= 8
    assert f"inaccurate: {k} correct digits" in t.table(digits=k + 1)
    assert "inaccurate" not in t.table(digits=k)


def test_exact_and_mpmath_traces_are_not_audited(capsys):
    code, out, _ = run(capsys, "table", CE, "--at", "w=3", "x=12", "y=0", "--wrt", "w", "--exact", "--check")
    assert code == 0 and "inaccurate" not in out
    code, out, _ = run(capsys, "table", CE, "--at", "w=3", "x=12", "y=0", "--wrt", "w", "--exact", "--format", "json")
    assert all("accuracy" not in s for s in json.loads(out)["steps"])


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e-14, max_value=1e3, allow_nan=False, allow_infinity=False))
def test_property_cancellation_digits_match_an_independent_count(x):
    from dualdiff.audit import audit_of

    t = dd.trace_program("x = 1\ny = (1 + x) - 1", at={"x": x})
    truth = Decimal(repr(x))                          # the program's value: x itself, exactly
    expected = correct_digits(t.output.value, truth)
    assert audit_of(t)["y"].value == expected
    assert ("inaccurate" in t.table()) == (expected < 8)


def test_audit_module_doctests():
    import doctest

    import dualdiff.audit
    import dualdiff.reference

    for mod in (dualdiff.reference, dualdiff.audit):
        assert doctest.testmod(mod).failed == 0, mod.__name__


def test_worksheet_answer_key_shows_the_true_values(capsys):
    # the key is what students are graded against: 36 and 12, not float's 36.0437 and 12.5354
    code, out, _ = run(capsys, "worksheet", str(ROOT / "traces" / "cross_entropy_saturated.dd"), "--answers")
    assert code == 0
    row = next(line for line in out.splitlines() if "ln(1 - " in line)
    cells = [c.strip().strip("*") for c in row.split("|")[3:-1]]
    assert cells[0] == f"{float(CE_TRUE):#.6g}" == "36.0000"
    assert cells[1] == f"{float(DCE_TRUE):#.6g}" == "12.0000"
    assert "36.0437" not in out and "12.5354" not in out
