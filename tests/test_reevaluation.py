"""A recorded program re-evaluated, not re-traced: what the speed-ups of grading rest on.

Grading re-uses work that does not depend on the student (issues 13 and 15, speed): the
program's steps compiled once and re-run at new inputs (every variant of a class, every
carried cell), the high-precision reference computed once per trace, a step's local
partials kept, mpmath results reused within one evaluation, pipe rows split with
``str.split``.  These tests pin down that each of them gives what the slow way gave --
against independent references (mpmath evaluated here by hand, a closed form, the
plain character loop a reader would write) -- and that the reference is computed once
per program and once per variant, never per submission.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

import mpmath
import pytest
from hypothesis import given, settings, strategies as st

import dualdiff as dd
from dualdiff import reference as reference_module
from dualdiff.evaluate import Evaluator, compiled_scalar
from dualdiff.functions import reused_mpmath_results
from dualdiff.handtable.formats import _split_pipe_row
from dualdiff.parse import parse_expression, parse_program
from dualdiff.program import fold
from dualdiff.reference import reference_of
from dualdiff.worksheet import Student, draw_inputs

ROOT = Path(__file__).resolve().parent.parent
WORKSHEET = (ROOT / "traces" / "sincos_worksheet.dd").read_text().replace("x = 1\n", "x = 1  # vary: 0.5..2\n")


def _worksheet_by_hand(x: mpmath.mpf) -> tuple[mpmath.mpf, mpmath.mpf]:
    """y = u5·v5 of the worksheet and dy/dx, by mpmath directly (the chain rule by hand)."""
    u, du, v, dv = mpmath.sin(x), mpmath.cos(x), mpmath.cos(x), -mpmath.sin(x)
    for _ in range(4):
        s, ds = u + v, du + dv
        u, du, v, dv = mpmath.sin(s), mpmath.cos(s) * ds, mpmath.cos(s), -mpmath.sin(s) * ds
    return u * v, du * v + u * dv


# ---------------------------------------------------------------------------
# the reference of a variant
# ---------------------------------------------------------------------------
def test_variant_reference_equals_mpmath_at_the_variants_inputs():
    roster = [Student(f"s{i:03d}", "") for i in range(12)]
    g = dd.Grader(WORKSHEET, variants=roster, seed=7)
    xs = set()
    for st_ in roster:
        v = g.variant(st_.id)
        x = v.inputs["x"]
        xs.add(x)
        ref = reference_of(v.trace)
        with mpmath.workdps(80):
            y, dy = _worksheet_by_hand(mpmath.mpf(repr(x)))  # the decimal the student is given
            assert abs(ref.value("y") - y) <= mpmath.mpf(10) ** -55 * max(1, abs(y))
            assert abs(ref.deriv("y", "x") - dy) <= mpmath.mpf(10) ** -55 * max(1, abs(dy))
    assert len(xs) > 6  # the variants really differ


def test_reference_is_computed_once_per_program_and_per_variant(monkeypatch):
    calls = []
    real = reference_module.evaluate_reference

    def counting(trace, dps):
        calls.append((id(trace), dps))
        return real(trace, dps)

    monkeypatch.setattr(reference_module, "evaluate_reference", counting)
    g = dd.Grader(WORKSHEET)
    table = {"u1": ("0.8415", "0.5403"), "y": ("0.1", "0.2")}
    for _ in range(5):
        g.check(table)
    assert sorted(dps for _, dps in calls) == [reference_module.REFERENCE_DPS, reference_module.CHECK_DPS]

    calls.clear()
    roster = [Student("a", ""), Student("b", "")]
    gv = dd.Grader(WORKSHEET, variants=roster, seed=3)
    for _ in range(3):
        for s in roster:
            gv.check(table, student=s.id)
    assert len(calls) == 4  # two precisions for each of the two variants, whatever the submissions
    assert len({t for t, _ in calls}) == 2


def test_variant_trace_equals_a_fresh_trace_at_its_inputs():
    """The variant's float trace (compiled steps) equals the Evaluator's, bit for bit."""
    program = parse_program(WORKSHEET)
    for sid in ("a", "b", "c"):
        x = draw_inputs(program, sid, 11)["x"]
        t = dd.trace_program(program, at={"x": x})
        u, du = math.sin(x), math.cos(x)
        assert t["u1"].value == u and t["u1"].derivs["x"] == du
        env = {"x": dd.Dual(x, 1.0)}
        for s in t.steps:
            y = Evaluator(False).evaluate(s.node, env)
            env[s.name] = y
            assert s.value == y.value and s.derivs["x"] == y.deriv


# ---------------------------------------------------------------------------
# compiled nodes against fold
# ---------------------------------------------------------------------------
EXPRESSIONS = [
    "sin(x) * cos(y) + x / y", "-x ** 2 + 3 * y", "exp(-x) - log(y)", "tanh(x * y) ** 2",
    "sigmoid(x) * (1 - sigmoid(x))", "log(x, 2) + sqrt(y)", "atan2(y, x) + hypot(x, y)",
    "relu(x - 1) + abs(y - 2)", "max(x, y) * pi - e", "softplus(-x) + leaky_relu(y - 3, 0.1)",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_compiled_node_equals_the_evaluator(text):
    node, _ = parse_expression(text)
    fn = compiled_scalar(node)
    assert fn is not None
    rng = random.Random(text)
    for _ in range(20):
        x, y = rng.uniform(0.1, 4), rng.uniform(0.1, 4)
        env = {"x": dd.Dual(x, 1.0), "y": dd.Dual(y, 0.5)}
        a, b = fn(env), Evaluator(False).evaluate(node, env)
        assert (a.value, a.deriv) == (b.value, b.deriv)
        assert fn({"x": x, "y": y}) == Evaluator(False).evaluate(node, {"x": x, "y": y})


def test_compiled_node_refuses_what_needs_the_evaluator():
    for text in ("sum(v)", "v @ w", "[x, y]", "v[0]", "softmax(v)"):
        node, _ = parse_expression(text)
        assert compiled_scalar(node) is None, text
    node, _ = parse_expression("relu(x) + 1")
    assert compiled_scalar(node) is not None
    assert compiled_scalar(node, kink_free=True) is None  # the tracer records where a kink was met


def test_kinks_still_marked_when_steps_are_compiled():
    t = dd.trace_program("x = 1\nu = x - 1\nr = relu(u)\ny = sin(x) * r + u")
    assert t["r"].kinks and not t["y"].kinks and t.kink_sources()["y"] == ("r",)


def test_reference_compiled_at_each_precision():
    """The literal 0.1 is 1/10 at 40 and at 60 digits (each precision compiles its own)."""
    t = dd.trace_program("x = 0.1\ny = 3 * x - 0.3")
    ref = reference_of(t)
    assert abs(ref.value("y")) < mpmath.mpf(10) ** -58
    assert ref.certain_digits("x", "value") >= 40


# ---------------------------------------------------------------------------
# mpmath results reused within one evaluation
# ---------------------------------------------------------------------------
def test_reused_mpmath_results_equal_fresh_ones_and_end_with_the_block():
    with mpmath.workdps(50):
        x = mpmath.mpf("0.7")
        with reused_mpmath_results():
            a, b = dd.sin(x), dd.sin(x)
            c = dd.cos(dd.Dual(x, mpmath.mpf(1)))
        assert a is b and a == mpmath.sin(x)
        assert c.value == mpmath.cos(x) and c.deriv == -mpmath.sin(x)
        assert dd.sin(x) is not a  # no memo outside the block
    with reused_mpmath_results():  # another precision is another number
        with mpmath.workdps(20):
            lo = dd.exp(mpmath.mpf(1))
        with mpmath.workdps(60):
            hi = dd.exp(mpmath.mpf(1))
            assert hi != lo and abs(hi - mpmath.e) < mpmath.mpf(10) ** -55
            assert abs(lo - mpmath.e) > mpmath.mpf(10) ** -30  # the 20-digit one kept its 20 digits


# ---------------------------------------------------------------------------
# local partials kept per trace
# ---------------------------------------------------------------------------
def test_local_partials_kept_and_equal_to_the_closed_form():
    t = dd.trace_program("x = 0.5\ny = 2\nu = sin(x) * y\nw = u / x")
    p1 = t.local_partials("u")
    assert p1 == {"x": pytest.approx(math.cos(0.5) * 2, rel=1e-15), "y": pytest.approx(math.sin(0.5), rel=1e-15)}
    p1["x"] = 99.0  # a caller changing its copy changes nothing kept
    p2 = t.local_partials("u")
    assert p2["x"] == pytest.approx(math.cos(0.5) * 2, rel=1e-15)
    u = math.sin(0.5) * 2
    assert t.local_partials("w") == {"u": pytest.approx(1 / 0.5), "x": pytest.approx(-u / 0.25)}


# ---------------------------------------------------------------------------
# pipe rows
# ---------------------------------------------------------------------------
def _split_by_hand(line: str) -> list[str]:
    """The reader's rule written as a character loop: ``\\|`` is a bar inside a cell."""
    s = line.strip()
    cells, cur, i = [], [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if s[i] == "|":
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(s[i])
        i += 1
    cells.append("".join(cur))
    if s.startswith("|"):
        cells = cells[1:]
    if s.endswith("|") and not s.endswith("\\|") and cells:
        cells = cells[:-1]
    return [c.strip() for c in cells]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="\\| a1.-$", max_size=24))
def test_pipe_rows_split_as_the_character_loop(line):
    assert _split_pipe_row(line) == _split_by_hand(line)


def test_pipe_rows_examples():
    assert _split_pipe_row(r"| $u_1$ | 0.84 \| 0.85 | 0.54 |") == ["$u_1$", "0.84 | 0.85", "0.54"]
    assert _split_pipe_row("a | b") == ["a", "b"]
    assert _split_pipe_row(r"| a \\| b |") == ["a \\| b"]  # a backslash, then the escape \|


# ---------------------------------------------------------------------------
# grading results unchanged by the caches
# ---------------------------------------------------------------------------
def test_grading_twice_gives_the_same_report():
    """Caches filled by the first submission change nothing for the next one."""
    g = dd.Grader(ROOT / "traces" / "sincos_worksheet.dd")
    x = 1.0
    u, du, v, dv = math.sin(x), math.cos(x), math.cos(x), -math.sin(x)
    hand = {"u1": (f"{u:.5f}", f"{-du:.5f}"), "v1": (f"{v:.5f}", f"{dv:.5f}")}
    first = g.check(hand)
    fresh = dd.Grader(ROOT / "traces" / "sincos_worksheet.dd").check(hand)
    again = g.check(hand)
    for a, b, c in zip(first.cells, fresh.cells, again.cells):
        assert (a.step, a.column, a.verdict, a.reason) == (b.step, b.column, b.verdict, b.reason) \
            == (c.step, c.column, c.verdict, c.reason)
        da, db = a.diagnosis, b.diagnosis
        assert (da is None) == (db is None) and (da is None or (da.codes, da.sentence) == (db.codes, db.sentence))
    u1d = next(c for c in first.cells if (c.step, c.column) == ("u1", "d/dx"))
    assert u1d.verdict == "wrong" and "sign" in u1d.diagnosis.codes
