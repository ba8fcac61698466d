"""Property tests: random valid programs trace to the values and derivatives mpmath gives,
and hostile files end in one clean error line from the command line, fast."""
from __future__ import annotations

import time

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.cli import main

# Expression trees as (text, mpmath function of x).  Bounded functions keep values finite.
LEAVES = st.sampled_from([("x", lambda x: x), ("2", lambda x: mpmath.mpf(2)), ("0.5", lambda x: mpmath.mpf("0.5"))])
UNARY = [("sin", mpmath.sin), ("cos", mpmath.cos), ("tanh", mpmath.tanh), ("atan", mpmath.atan),
         ("sigmoid", lambda t: 1 / (1 + mpmath.exp(-t)))]


def extend(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(
        lambda p: (f"{p[0][0]}({p[1][0]})", lambda x, f=p[0][1], g=p[1][1]: f(g(x))))
    binary = st.tuples(st.sampled_from(["+", "-", "*"]), children, children).map(
        lambda p: (f"({p[1][0]}) {p[0]} ({p[2][0]})",
                   {"+": lambda x, a=p[1][1], b=p[2][1]: a(x) + b(x),
                    "-": lambda x, a=p[1][1], b=p[2][1]: a(x) - b(x),
                    "*": lambda x, a=p[1][1], b=p[2][1]: a(x) * b(x)}[p[0]]))
    return unary | binary


EXPRS = st.recursive(LEAVES, extend, max_leaves=8)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs=st.lists(EXPRS, min_size=1, max_size=4), x0=st.floats(-2, 2))
def test_random_programs_match_mpmath(exprs, x0):
    # each step may use the previous one as well as x
    lines = ["x = 1"]
    refs = []
    for i, (text, f) in enumerate(exprs):
        if i:
            text = f"s{i} * 0.5 + ({text})"
            prev = refs[-1]
            f = (lambda x, f=f, prev=prev: prev(x) * mpmath.mpf("0.5") + f(x))
        else:
            text = f"0 * x + ({text})"  # a bare number would declare an input, not a step
        lines.append(f"s{i + 1} = {text}")
        refs.append(f)
    t = dd.trace_program("\n".join(lines), at={"x": x0})
    with mpmath.workdps(40):
        for step, ref in zip(t.steps, refs):
            v = ref(mpmath.mpf(x0))
            d = mpmath.diff(ref, mpmath.mpf(x0))
            assert abs(step.value - v) <= 1e-12 * max(1, abs(v))
            assert abs(step.derivs["x"] - d) <= 1e-11 * max(1, abs(d))


@pytest.mark.parametrize("make", [
    lambda p: p.write_bytes(b"x = 1\n" + b"y = x\n" * 3_500_000),                    # ~20 MB
    lambda p: p.write_text("x = 1\ny = " + "(" * 100_000 + "x" + ")" * 100_000 + "\n"),
    lambda p: p.write_text("x = 1\ny = 9**9**9**9\n"),
    lambda p: p.write_text("x = 1\n" + "".join(f"a{i} = x\n" for i in range(1_000_000))),
    lambda p: p.write_text("x = __import__('os').system('touch SENTINEL')\n"),
    lambda p: p.write_bytes(b"x = 1\ny = x\x00\n"),
    lambda p: p.write_bytes(b"x = 1\ny = \xff\xfe\n"),
    lambda p: p.write_text("x = 1\ny = x.__class__\n"),
    lambda p: p.write_text("x = 1\ny = [t for t in x]\n"),
    lambda p: p.write_text("x = 1\ny = (lambda: 1)()\n"),
], ids=["20MB", "deep-parens", "huge-power", "million-assignments", "import", "NUL", "bad-utf8",
        "attribute", "comprehension", "lambda"])
def test_hostile_files_fail_fast_through_the_cli(tmp_path, capsys, make, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "hostile.dd"
    make(p)
    t0 = time.perf_counter()
    code = main(["table", str(p)])
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("dualdiff: error:") and err.count("\n") == 1, err[:200]
    assert elapsed < 3.0
    assert not (tmp_path / "SENTINEL").exists()
