"""Hostile command-line options and valid-but-huge requests: bounded, one-line refusals.

Expected (written before the fix):
- ``--digits`` beyond its limit (tables 1..17, ``diff`` the same): one line naming the
  limit, no output flood;
- ``--points`` beyond its limit: one line;
- ``--wrt x,x`` (or ``--wrt x x``): an error naming the duplicate, for table and check;
- ``--exact`` with a number too large to hold exactly (``x=1e1000000000``), repeated
  squaring, ``x**1000`` at 1.0000001: refused with dualdiff's own limit, never Python's
  "4300 digits" message, never a hang;
- ``--at x=nan --format json``: the output parses as strict JSON (nan as a string);
- a real program whose value turns complex (``(-8) ** (1/3)``): a domain error naming
  the step, exit 2; ``check`` never accepts a ``nan`` cell for it;
- exact mode keeps a shared graph: the worksheet recurrence with 20 sin/cos pairs
  under ``--exact`` is linear in the pairs (ratio of 20 to 10 pairs, same run), and
  ``--check`` on a 20,000-step program ends (a limit with a message, or a result).
"""
from __future__ import annotations

import json

import pytest

from hostile_run import WORKSHEET, python, run, strict_json


@pytest.mark.parametrize("argv", [
    ["diff", "sin(x)", "--at", "x=1", "--digits", "100000000"],
    ["diff", "sin(x)", "--at", "x=1", "--digits", "0"],
    ["diff", "sin(x)", "--at", "x=1", "--digits", "-5"],
    ["table", str(WORKSHEET), "--digits", "100000000"],
    ["table", str(WORKSHEET), "--digits", "0"],
    ["table", str(WORKSHEET), "--digits", "99999999999999999999999999"],
], ids=["diff-huge", "diff-zero", "diff-negative", "table-huge", "table-zero", "table-bigint"])
def test_digits_limit(argv):
    msg = run(argv, timeout=30, fsize=1 << 20).one_error_line()
    assert "digits" in msg


@pytest.mark.parametrize("points", ["1000000000000", "10000001", "1", "-3"])
def test_points_limit(points, tmp_path):
    pytest.importorskip("matplotlib")
    msg = run(["plot", "sin(x)", "--range", "0", "1", "--points", points, "--out", str(tmp_path / "p.png")],
              timeout=60).one_error_line()
    assert "points" in msg


@pytest.mark.parametrize("wrt", [["--wrt", "x,x"], ["--wrt", "x", "x"], ["--wrt", "x", "--wrt", "x"]])
def test_duplicate_wrt_in_table(wrt):
    msg = run(["table", str(WORKSHEET), *wrt], timeout=30).one_error_line()
    assert "x" in msg and "twice" in msg or "duplicate" in msg


def test_duplicate_wrt_in_check():
    hand = WORKSHEET.parents[1] / "tests" / "data" / "hand" / "sincos_worksheet.csv"
    msg = run(["check", str(WORKSHEET), str(hand), "--wrt", "x,x"], timeout=30).one_error_line()
    assert "twice" in msg or "duplicate" in msg


def test_duplicate_wrt_in_the_api():
    r = python("import dualdiff as dd\n"
               "try:\n    dd.trace_program('x = 1\\ny = x * x', wrt=['x', 'x'])\n"
               "except ValueError as e:\n    print('refused:', e)\n", timeout=30)
    r.finished()
    assert r.out.startswith("refused:"), r.out + r.err


@pytest.mark.parametrize("value", ["1e1000000000", "1e-1000000000", "1" + "0" * 5000])
def test_exact_huge_input_is_refused(value, tmp_path):
    p = tmp_path / "p.dd"
    p.write_text("x = 1\ny = x * x\n")
    msg = run(["table", str(p), "--exact", "--at", f"x={value}"], timeout=30).one_error_line()
    assert "exact" in msg and "limit" in msg or "too large" in msg


def test_exact_repeated_squaring_is_bounded(tmp_path):
    p = tmp_path / "p.dd"
    p.write_text("x = 1.1\n" + "".join(f"a{i} = {'x' if i == 1 else f'a{i-1}'} * {'x' if i == 1 else f'a{i-1}'}\n"
                                       for i in range(1, 16)))
    r = run(["table", str(p), "--exact"], timeout=30)
    r.finished()
    if r.code == 2:
        assert "exact" in r.err and "limit" in r.err, r.err
    else:
        assert r.code == 0


def test_exact_power_1000_has_no_python_digit_message(tmp_path):
    p = tmp_path / "p.dd"
    p.write_text("x = 1.0000001\ny = x ** 1000\n")
    r = run(["table", str(p), "--exact"], timeout=30)
    r.finished()
    assert "4300" not in r.err and "int_max_str_digits" not in r.err
    assert r.code == 0 or (r.code == 2 and "limit" in r.err), r.err


@pytest.mark.parametrize("argv", [
    ["diff", "x", "--at", "x=nan", "--format", "json"],
    ["diff", "x*y", "--at", "x=inf", "y=0", "--format", "json"],
    ["diff", "exp(x)", "--at", "x=1000", "--format", "json"],
    ["table", str(WORKSHEET), "--at", "x=nan", "--format", "json"],
    ["table", str(WORKSHEET), "--at", "x=inf", "--format", "json"],
])
def test_json_output_parses_strictly(argv):
    r = run(argv, timeout=30)
    r.finished()
    if r.code == 0:
        strict_json(r.out)
    else:
        r.one_error_line()


def test_check_json_with_nan_cells_parses_strictly(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("step,value,d/dx\nu1,nan,inf\nv1,-inf,NaN\ny,0.32009128,-0.069185669\n")
    for fmt in ("json", "gradescope"):
        r = run(["check", str(WORKSHEET), str(p), "--format", fmt], timeout=30)
        r.finished()
        strict_json(r.out)


@pytest.mark.parametrize("program", [
    "x = 1\ny = x * (-8) ** (1/3)\n",
    "x = -8\ny = x ** (1/3)\n",
    "x = -2\ny = x ** 0.5\n",
])
def test_complex_value_is_a_domain_error_naming_the_step(program, tmp_path):
    p = tmp_path / "p.dd"
    p.write_text(program)
    msg = run(["table", str(p)], timeout=30).one_error_line()
    assert "y" in msg and ("domain" in msg or "real" in msg or "complex" in msg), msg
    assert "line 2" in msg


def test_complex_value_in_the_api_is_refused():
    r = python("import dualdiff as dd\n"
               "try:\n    t = dd.trace_program('x = 1\\ny = x * (-8) ** (1/3)')\n    print('traced', t.output.value)\n"
               "except ValueError as e:\n    print('refused:', e)\n", timeout=30)
    r.finished()
    assert r.out.startswith("refused:"), r.out


def test_check_never_accepts_nan_for_a_complex_step(tmp_path):
    prog = tmp_path / "p.dd"
    prog.write_text("x = 1\ny = x * (-8) ** (1/3)\n")
    hand = tmp_path / "h.csv"
    hand.write_text("step,value,d/dx\ny,nan,nan\n")
    r = run(["check", str(prog), str(hand)], timeout=30)
    r.finished()
    assert r.code != 0 and "OK:" not in r.out


def _sincos(pairs: int) -> str:
    lines = ["x = 1", "u1 = sin(x)", "v1 = cos(x)"]
    for k in range(2, pairs + 1):
        lines += [f"u{k} = sin(u{k-1} + v{k-1})", f"v{k} = cos(u{k-1} + v{k-1})"]
    lines.append(f"y = u{pairs} * v{pairs}")
    return "\n".join(lines) + "\n"


def test_exact_mode_is_linear_in_the_steps():
    """10 pairs took over 60 s before (exponential); 20 pairs must cost about twice 10."""
    code = ("import json, time\nimport dualdiff as dd\n"
            f"progs = {json.dumps([_sincos(5), _sincos(10), _sincos(20)])}\n"
            "dd.trace_program(progs[0], exact=True).table()\n"
            "ts = []\n"
            "for p in progs[1:]:\n"
            "    t = time.perf_counter()\n"
            "    tr = dd.trace_program(p, exact=True)\n"
            "    tr.table()\n"
            "    ts.append(time.perf_counter() - t)\n"
            "print(json.dumps(ts))\n")
    r = python(code, timeout=60)
    r.finished()
    assert r.code == 0, r.err[-1500:]
    t10, t20 = json.loads(r.out.strip().splitlines()[-1])
    assert t20 < 0.05 or t20 / t10 < 4.5, f"10 pairs {t10:.3f} s, 20 pairs {t20:.3f} s"


def test_exact_worksheet_value_is_right():
    """The exact trace's value agrees with mpmath at 30 digits (an independent reference)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    u, v = mpmath.sin(1), mpmath.cos(1)
    for _ in range(9):
        u, v = mpmath.sin(u + v), mpmath.cos(u + v)
    expected = u * v
    r = python("import dualdiff as dd\n"
               f"tr = dd.trace_program({_sincos(10)!r}, exact=True)\n"
               "import sympy\nprint(sympy.N(tr.output.value, 35))\n", timeout=60)
    r.finished()
    assert r.code == 0, r.err[-1500:]
    got = mpmath.mpf(r.out.strip().splitlines()[-1])
    assert abs(got - expected) < mpmath.mpf(10) ** -30


def test_check_on_20000_steps_is_bounded(tmp_path):
    p = tmp_path / "long.dd"
    p.write_text("x = 1\nv0 = x\n" + "".join(f"v{i} = sin(v{i-1}) + 0.5\n" for i in range(1, 19998)))
    r = run(["table", str(p), "--check", "--format", "csv"], timeout=40, fsize=50 << 20)
    r.finished()
    assert r.code in (0, 1) or (r.code == 2 and "limit" in r.err), r.err[-500:]


def test_exact_on_20000_steps_is_bounded(tmp_path):
    p = tmp_path / "long.dd"
    p.write_text("x = 1\nv0 = x\n" + "".join(f"v{i} = sin(v{i-1}) + 0.5\n" for i in range(1, 19998)))
    r = run(["table", str(p), "--exact", "--format", "csv"], timeout=40, fsize=50 << 20)
    r.finished()
    assert r.code in (0, 1) or (r.code == 2 and "limit" in r.err), r.err[-500:]


def test_exact_big_rational_input_is_fine():
    """A reasonable exact input stays exact (no limit hit by ordinary numbers)."""
    r = python("import dualdiff as dd\n"
               "t = dd.trace_program('x = 1\\ny = x ** 3', at={'x': '123456789/1000'}, exact=True)\n"
               "print(t.output.value)\n", timeout=30)
    r.finished()
    assert r.out.strip() == str(123456789 ** 3) + "/" + str(1000 ** 3)
