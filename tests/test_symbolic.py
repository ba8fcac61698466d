"""The symbolic cross-check (dualdiff.symbolic): sympy against the dual numbers.

Expected derivatives are independent of dualdiff: closed forms worked by hand
(backpropagation: dg/dw1 = 3·w1²·w2 + 3 = 39, dg/dw2 = w1³ = 8; Baydin–Pearlmutter:
df/dx1 = 1/x1 + x2 = 11/2, df/dx2 = x1 - cos(x2)) and the worksheet's d/dx computed with
mpmath at 40 digits (tests/test_handtable.py).  A deliberately broken rule checks that a
wrong derivative is caught at the step where it happens.
"""
from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd
import dualdiff.functions as F
from dualdiff import cli
from dualdiff.program import Call, walk
from dualdiff.rules import REQUIRED, RULES
from dualdiff.symbolic import ExpressionTooLarge, check_symbolic

ROOT = Path(__file__).resolve().parent.parent
TRACES = sorted((ROOT / "traces").glob("*.dd"))
WORKSHEET = ROOT / "traces" / "sincos_worksheet.dd"

# d/dx of the worksheet at x = 1 (mpmath, 40 digits; see tests/test_handtable.py)
WORKSHEET_DX = {"u1": 0.5403023058681398, "v1": -0.8414709848078965, "u2": -0.0565894207970627,
                "v2": 0.2958043451813568, "u5": 0.030658387019982747, "v5": -0.08468031155884839,
                "y": -0.06918566945763523}

BACKPROP = "w1 = 2\nw2 = 3\na = w1**3\nb = a*w2\nc = 3*w1\ng = b + c\n"
BAYDIN = "x1 = 2\nx2 = 5\nf = log(x1) + x1 * x2 - sin(x2)\n"

def every_function_program(x: float = 0.3) -> str:
    """A program calling every function of the rule table, derived from the table itself.

    Each function is called at x (or at 1/x where x is outside its domain, as for acosh),
    on the other side of 0 too if it has a kink there, with its optional parameters given,
    and with a varying required parameter (pow(x, 2*x)).  The program is built from
    dd.RULES, so a new rule is checked without editing this test.
    """
    calls = []
    for name, rule in RULES.items():
        f = getattr(dd, name)
        first = "x"
        try:
            f(x, *[2.0 * x for _, d in rule.params if d is REQUIRED])
        except (ValueError, ZeroDivisionError):
            first = "1 / x"
        required = ["2 * x" for _, d in rule.params if d is REQUIRED]
        if rule.vector:  # softmax, logsumexp: a vector argument (a scalar is an error)
            pick = "[0]" if np.ndim(f([x, 2.0 * x])) else ""
            calls.append(f"{name}([{first}, 2 * x]){pick}")
            continue
        calls.append(f"{name}({', '.join([first] + required)})")
        if rule.kink is not None:
            calls.append(f"{name}({', '.join(['-' + first] + required)})")
        if rule.arity[1] > rule.arity[0]:
            calls.append(f"{name}({', '.join([first] + required + ['2'] * (rule.arity[1] - rule.arity[0]))})")
    lines = [f"x = {x}"] + [f"t{i} = {c}" for i, c in enumerate(calls)]
    lines.append("s = " + " + ".join(f"t{i}" for i in range(len(calls))))
    lines.append("y = s * t0 + s / t1 + t2 ** 2 - pi * e")
    return "\n".join(lines) + "\n"


EVERY_FUNCTION = every_function_program()

MODES = ["stepwise", "whole"]


def recurrence(K: int) -> str:
    lines = ["x = 1", "u1 = sin(x)", "v1 = cos(x)"]
    for k in range(1, K):
        lines += [f"u{k + 1} = sin(u{k} + v{k})", f"v{k + 1} = cos(u{k} + v{k})"]
    return "\n".join(lines + [f"y = u{K} * v{K}"])


def break_rule(monkeypatch, name: str, deriv) -> None:
    """Make the dual numbers use a wrong derivative for ``name`` (the table entry stays right)."""
    rule = dataclasses.replace(RULES[name], deriv=deriv)
    monkeypatch.setattr(F, name, F._public(rule, F._make(rule)))


def check(source, mode="stepwise", **kw):
    tr = dd.trace_program(source, **{k: v for k, v in kw.items() if k in ("at", "wrt", "expand", "exact")})
    return tr.check_symbolic(mode)


# ---------------------------------------------------------------------------
# Worked examples agree, in both modes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_worksheet_agrees_with_mpmath_reference(mode):
    report = check(dd.load_program(WORKSHEET), mode)
    assert report.ok and report.mode == mode
    assert [r.step for r in report.rows] == ["u1", "v1", "u2", "v2", "u3", "v3", "u4", "v4", "u5", "v5", "y"]
    assert {r.verdict for r in report.rows} == {"ok"}
    by_step = {r.step: r for r in report.rows}
    for step, ref in WORKSHEET_DX.items():
        assert float(by_step[step].sympy_value) == pytest.approx(ref, rel=1e-14)
        assert abs(float(by_step[step].difference)) <= 1e-12 * abs(ref)
    assert by_step["u1"].sympy_text == "cos(x)"


def test_stepwise_text_is_the_chain_rule_in_operands():
    report = check(dd.load_program(WORKSHEET))
    u2 = report.rows_for("u2")[0]
    assert "cos(u1 + v1)" in u2.sympy_text and "du1/dx" in u2.sympy_text and "dv1/dx" in u2.sympy_text


@pytest.mark.parametrize("mode", MODES)
def test_worksheet_exact(mode):
    report = check(dd.load_program(WORKSHEET), mode, exact=True)
    assert report.ok and report.exact
    assert all(r.difference == 0 for r in report.rows)
    assert all("could not prove" not in r.note for r in report.rows)
    assert str(report.rows[0].sympy_value) == "cos(1)"
    table = report.table()
    assert "exact" in table.splitlines()[0] and "cos(1)" in table
    assert float(report.rows[-1].sympy_value) == pytest.approx(WORKSHEET_DX["y"], rel=1e-15)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exact", [False, True])
def test_backpropagation_example(mode, exact):
    report = check(BACKPROP, mode, exact=exact)
    assert report.ok
    g = {r.input: float(r.sympy_value) for r in report.rows_for("g")}
    assert g == {"w1": 39, "w2": 8}
    assert {r.input for r in report.rows} == {"w1", "w2"} and len(report) == 8


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("expand", [False, True])
def test_baydin_pearlmutter_example(mode, expand):
    tr = dd.trace_program(BAYDIN, expand=expand)
    report = tr.check_symbolic(mode)
    assert report.ok
    assert len(report) == 2 * len(tr.steps) and len(tr.steps) == (5 if expand else 1)
    f = {r.input: float(r.sympy_value) for r in report.rows_for("f")}
    assert f["x1"] == pytest.approx(5.5, rel=1e-15)
    assert f["x2"] == pytest.approx(2 - math.cos(5), rel=1e-15)


def test_traced_callable():
    tr = dd.trace(lambda x1, x2: dd.log(x1) + x1 * x2 - dd.sin(x2), x1=2, x2=5)
    assert tr.check_symbolic().ok and tr.check_symbolic("whole").ok


@pytest.mark.parametrize("mode", MODES)
def test_every_function_in_the_rule_table(mode):
    program = dd.trace_program(EVERY_FUNCTION)
    used = {n.func for s in program.steps for n in walk(s.node) if type(n) is Call}
    assert used == set(RULES), f"add {set(RULES) - used} to EVERY_FUNCTION"
    report = program.check_symbolic(mode)
    assert report.ok, "\n".join(report.failures())
    assert {r.verdict for r in report.rows} == {"ok"}


@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
@pytest.mark.parametrize("mode", MODES)
def test_every_trace_in_traces(path, mode):
    tr = dd.trace_program(dd.load_program(path))
    try:
        report = tr.check_symbolic(mode)
    except ExpressionTooLarge:
        pytest.skip("whole mode is not feasible for this program")
    # A worked example may show float losing digits (cross_entropy_saturated): there sympy's
    # whole expression, evaluated exactly, disagrees with the float derivative -- exactly
    # where the precision audit (an independent mpmath re-evaluation) marks a cell.
    audit = tr.audit()
    lost = {(c.step, c.column) for c in audit.inaccurate()} if audit is not None else set()
    if not lost:
        assert report.ok, "\n".join(report.failures())
    else:
        bad = {(r.step, r.input) for r in report.rows if r.verdict not in ("ok", "kink")}
        lost_derivs = {(step, col) for step, col in lost if col != "value"}
        if not tr.has_arrays:
            assert bad == (lost_derivs if mode == "whole" else set()), (bad, lost)
        else:
            # vector traces are audited component by component: a true 0 that float leaves as
            # ~1e-17 (d sum(softmax(z))/dz) has no right digit for the audit, while sympy's
            # comparison of a 0 is absolute and accepts it; sympy never objects elsewhere
            base = {(step.split("[")[0], inp.split("[")[0]) for step, inp in bad}
            assert base <= (lost_derivs if mode == "whole" else set()), (bad, lost)
    # one row per (step component, input component): steps x inputs for scalar programs
    components = sum(int(np.size(s.value)) for s in tr.steps)
    assert len(report) == components * sum(int(np.size(tr.inputs[w])) for w in tr.wrt)


@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
def test_every_trace_exact_stepwise(path):
    # vector and matrix programs too (round 3): exact traces of the course's networks
    report = dd.trace_program(dd.load_program(path), exact=True).check_symbolic()
    assert report.ok, "\n".join(report.failures())


# ---------------------------------------------------------------------------
# Whole mode refuses what would swell
# ---------------------------------------------------------------------------
def test_whole_mode_refuses_a_swelling_expression():
    tr = dd.trace_program(recurrence(14))
    with pytest.raises(ExpressionTooLarge) as info:
        tr.check_symbolic("whole")
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert "max_ops=2000" in msg and "stepwise" in msg and "operations" in msg
    assert tr.check_symbolic().ok                       # stepwise has no trouble
    # A raised limit lets a swelling program through.  Seven pairs already cross the default
    # limit (the written-out d/dx of y has ~2 400 operations) yet stay cheap to check whole;
    # fourteen pairs, raised, would spend minutes in sympy for the same point.
    small = dd.trace_program(recurrence(7))
    with pytest.raises(ExpressionTooLarge, match="max_ops=2000"):
        small.check_symbolic("whole")
    raised = check_symbolic(small, "whole", max_ops=10**5)
    assert raised.ok and raised.stats["derivative_ops"] > 2000


def test_unknown_mode():
    with pytest.raises(ValueError, match="stepwise"):
        dd.trace_program(BAYDIN).check_symbolic("everything")


# ---------------------------------------------------------------------------
# A wrong derivative is caught, at the right step
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_broken_rule_is_caught_where_it_is_used(monkeypatch, mode):
    break_rule(monkeypatch, "tanh", lambda x, y: 1.5 * (1 - y * y))
    report = check("x = 0.7\na = x * x\nb = tanh(a)\nc = b + x\n", mode)
    assert not report.ok
    assert report.verdict_for("a") == "ok"
    assert report.verdict_for("b") == "MISMATCH"
    assert report.verdict_for("c") == "MISMATCH"
    failures = report.failures()
    assert failures[0].startswith("b d/dx: MISMATCH")
    if mode == "stepwise":  # stepwise tells the wrong step from the ones that carry its error
        assert "this step is wrong" in report.rows_for("b")[0].note
        assert "earlier steps" in report.rows_for("c")[0].note


def test_broken_rule_names_only_the_affected_input(monkeypatch):
    break_rule(monkeypatch, "log", lambda x, y: 2 / x)
    report = check("x1 = 2\nx2 = 5\nf = log(x1) + x2\n")
    assert report.verdict_for("f") == "MISMATCH (d/dx1), ok"
    assert len(report.failures()) == 1 and report.failures()[0].startswith("f d/dx1: MISMATCH")


def test_broken_sin_on_the_worksheet(monkeypatch):
    break_rule(monkeypatch, "sin", lambda x, y: F.cos(x) * 1.000001)
    report = check(dd.load_program(WORKSHEET))
    assert not report.ok
    assert report.failures()[0].startswith("u1 d/dx: MISMATCH")
    assert report.verdict_for("v1") == "ok"


# ---------------------------------------------------------------------------
# Kinks: reported as kink with both conventions, never as a disagreement
# ---------------------------------------------------------------------------
KINKS = {  # function: (left, right, sympy's own f'(0)) -- one-sided slopes by hand
    "relu": (0, 1, 0.5),
    "abs": (-1, 1, 0),
    "leaky_relu": (0.01, 1, 0.01),
    "elu": (1, 1, 1),
    "selu": (1.0507009873554805 * 1.6732632423543772, 1.0507009873554805, 1.0507009873554805 * 1.6732632423543772),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("func", sorted(KINKS))
def test_kink_at_zero(func, mode):
    report = check(f"x = 0\nr = {func}(x)\ny = 3 * r + x\n", mode)
    r = report.rows_for("r")[0]
    assert r.verdict == "kink" and report.verdict_for("r") == "kink"
    left, right, own = KINKS[func]
    assert float(r.one_sided[0]) == pytest.approx(left, rel=1e-14)
    assert float(r.one_sided[1]) == pytest.approx(right, rel=1e-14)
    assert float(r.sympy_value) == pytest.approx(own, rel=1e-14)
    assert RULES[func].kink_note in r.note and "one-sided" in r.note
    y = report.rows_for("y")[0]  # downstream: the dual's convention value is inherited, and said so
    assert y.verdict == "ok" and "kink step r" in y.note
    assert report.ok  # a kink is not a failure ...
    assert report.counts["kink"] == 1  # ... and not a silent pass either


@pytest.mark.parametrize("mode", MODES)
def test_kink_composed_and_nested(mode):
    report = check("x = 0\nz = relu(x - x * x) * x + relu(-2 * x)\nw = relu(relu(x))\n", mode)
    z, w = report.rows_for("z")[0], report.rows_for("w")[0]
    assert z.verdict == w.verdict == "kink"
    assert [float(v) for v in z.one_sided] == [-2, 0]   # relu(-2x) slopes -2 from the left
    assert [float(v) for v in w.one_sided] == [0, 1]    # relu(relu(x)) = relu(x)


def test_kink_met_by_a_float_literal():
    report = check("x = 0.1\nr = relu(x - 0.1)\n")   # 0.1 - 0.1 is 0.0 for the dual
    assert report.rows[0].verdict == "kink"


def test_kink_exact_trace():
    report = check(dd.load_program(ROOT / "traces" / "relu_kink.dd"), exact=True)
    assert {r.verdict for r in report.rows} == {"kink"}
    import sympy

    r = report.rows_for("r")[0]
    assert r.sympy_value == sympy.Rational(1, 2) and r.one_sided == (0, 1)  # Heaviside(0) = 1/2, exactly


def test_wrong_kink_convention_is_a_mismatch(monkeypatch):
    break_rule(monkeypatch, "relu", lambda x, y: F.select(x, 1.0, 5.0))  # relu'(0) = 5: outside [0, 1]
    report = check("x = 0\nr = relu(x)\n")
    assert report.rows[0].verdict == "MISMATCH" and "outside" in report.rows[0].note
    assert not report.ok


def test_away_from_the_kink_is_ok():
    report = check("x = -0.5\nr = relu(x) + abs(x) + leaky_relu(x) + elu(x) + selu(x)\n")
    assert report.ok and report.rows[0].verdict == "ok"


# ---------------------------------------------------------------------------
# Functions without a usable sympy counterpart
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("counterpart", [None, lambda x: 1 / 0, lambda x: "erf"])
def test_unusable_counterpart_is_unchecked(monkeypatch, mode, counterpart):
    monkeypatch.setitem(RULES, "erf", dataclasses.replace(RULES["erf"], sympy=counterpart))
    report = check("x = 0.5\na = erf(x)\nb = a * x\n", mode)
    assert report.verdict_for("a") == "unchecked"
    assert "erf" in report.rows_for("a")[0].note
    assert report.verdict_for("b") == "ok" and "unchecked step a" in report.rows_for("b")[0].note
    assert not report.ok and report.failures()[0].startswith("a d/dx: unchecked")


# ---------------------------------------------------------------------------
# The report as data and as a table
# ---------------------------------------------------------------------------
def test_report_rendering_and_dict():
    report = check(BACKPROP)
    table = report.table(fmt="github", digits=8)
    header = table.splitlines()[0]
    for column in ("step", "sympy derivative", "sympy value", "dual value", "difference", "verdict"):
        assert column in header
    assert "| 3*w1**2 " in table and "| da/dw1*w2 " in table  # stepwise texts are in the operands
    assert report._repr_markdown_().endswith(table)
    assert "8 ok" in str(report) and "8 ok" in repr(report)
    d = report.to_dict()
    assert d["ok"] is True and d["mode"] == "stepwise" and len(d["rows"]) == 8
    assert set(d["rows"][0]) >= {"step", "input", "sympy", "sympy_value", "dual_value", "difference", "verdict"}
    assert json.loads(report.to_json())["counts"]["ok"] == 8
    assert report.table("csv").splitlines()[0].startswith("step,d/d,sympy derivative")
    assert json.loads(report.table("json"))["ok"] is True
    with pytest.raises(KeyError):
        report.verdict_for("nope")


def test_trace_table_check_column():
    tr = dd.trace_program(dd.load_program(WORKSHEET))
    table = tr.table(check=tr.check_symbolic())
    assert table.splitlines()[0].rstrip("|").split("|")[-1].strip() == "check"
    assert table.count("| ok ") == len(tr.steps)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def test_cli_table_check(capsys):
    assert cli.main(["table", str(WORKSHEET), "--check"]) == 0
    out = capsys.readouterr().out
    assert "check" in out.splitlines()[0] and out.count(" ok ") == 11


def test_cli_table_check_broken_rule(capsys, monkeypatch):
    break_rule(monkeypatch, "cos", lambda x, y: -F.sin(x) * 1.01)
    assert cli.main(["table", str(WORKSHEET), "--check"]) == 1
    captured = capsys.readouterr()
    assert "MISMATCH" in captured.out
    first = captured.err.splitlines()[0]
    assert first.startswith("dualdiff: symbolic check failed: v1 d/dx: MISMATCH")


# ---------------------------------------------------------------------------
# sympy is imported only when a check runs
# ---------------------------------------------------------------------------
def test_sympy_is_imported_only_by_a_check():
    code = (
        "import sys, dualdiff\n"
        "t = dualdiff.trace_program('x = 1\\ny = sin(x)')\n"
        "assert 'sympy' not in sys.modules, 'tracing imported sympy'\n"
        "assert t.check_symbolic().ok\n"
        "assert 'sympy' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
