"""The tracer: values and derivatives of every step against independent references."""
from __future__ import annotations

import math
from pathlib import Path

import mpmath
import numpy as np
import pytest

import dualdiff as dd
from dualdiff import ProgramError

ROOT = Path(__file__).resolve().parent.parent
WORKSHEET = (ROOT / "traces" / "sincos_worksheet.dd").read_text()


def mp_worksheet(x0, dps=50):
    """The worksheet's u_k, v_k and derivatives, by hand-written forward mode in mpmath."""
    with mpmath.workdps(dps):
        x = mpmath.mpf(x0)
        u, du, v, dv = mpmath.sin(x), mpmath.cos(x), mpmath.cos(x), -mpmath.sin(x)
        rows = {"u1": (u, du), "v1": (v, dv)}
        for k in range(2, 6):
            s, ds = u + v, du + dv
            u, du, v, dv = mpmath.sin(s), mpmath.cos(s) * ds, mpmath.cos(s), -mpmath.sin(s) * ds
            rows[f"u{k}"], rows[f"v{k}"] = (u, du), (v, dv)
        rows["y"] = (u * v, du * v + u * dv)
        return rows


@pytest.mark.parametrize("x0", [1, 2, -0.5, 3.25])
def test_worksheet_every_step_matches_mpmath(x0):
    t = dd.trace_program(WORKSHEET, at={"x": x0})
    ref = mp_worksheet(x0)
    assert [s.name for s in t.steps] == list(ref)
    for s in t.steps:
        val, der = ref[s.name]
        assert abs(s.value - float(val)) <= 1e-12 * max(1, abs(float(val)))
        assert abs(s.derivs["x"] - float(der)) <= 1e-12 * max(1, abs(float(der)))


def test_worksheet_published_values():
    t = dd.trace_program(WORKSHEET)
    assert t.output.name == "y"
    assert t.output.value == pytest.approx(0.32009128314057805, rel=1e-15)
    assert t.output.derivs["x"] == pytest.approx(-0.06918566945763523, rel=1e-14)
    assert t.inputs == {"x": 1.0}
    assert t.wrt == ["x"]


def test_at_changes_values():
    a = dd.trace_program(WORKSHEET)
    b = dd.trace_program(WORKSHEET, at={"x": 2})
    assert b["u1"].value == pytest.approx(math.sin(2))
    assert a["u1"].value != b["u1"].value


def test_wrt_selects_columns():
    src = "w = 0.8\nb = -0.3\nx = 1.5\nz = 1\ns = w * x + b\ny = sigmoid(s)\nJ = (y - z) ** 2"
    t = dd.trace_program(src, wrt=["w", "b"])
    assert t.wrt == ["w", "b"]
    s = 0.8 * 1.5 - 0.3
    sig = 1 / (1 + math.exp(-s))
    dJ_ds = 2 * (sig - 1) * sig * (1 - sig)   # closed form
    assert t.output.derivs["w"] == pytest.approx(dJ_ds * 1.5, rel=1e-13)
    assert t.output.derivs["b"] == pytest.approx(dJ_ds, rel=1e-13)
    assert set(t.output.derivs) == {"w", "b"}
    t2 = dd.trace_program(src, wrt="b")
    assert t2.wrt == ["b"]


def test_cross_entropy_gradient_is_yhat_minus_y_times_x():
    t = dd.trace_program((ROOT / "traces" / "cross_entropy.dd").read_text(), wrt=["w"])
    yhat = 1 / (1 + math.exp(-1.0))
    assert t["ce"].derivs["w"] == pytest.approx((yhat - 1) * 2, rel=1e-14)
    assert t["ce"].derivs["w"] == pytest.approx(t["closed_form"].value, rel=1e-14)


def test_expand_baydin_five_elementary_steps():
    t = dd.trace_program("x1 = 2\nx2 = 5\nf = log(x1) + x1 * x2 - sin(x2)", expand=True)
    assert len(t.steps) == 5
    assert [s.expr for s in t.steps] == ["log(x1)", "x1 * x2", "v1 + v2", "sin(x2)", "v3 - v4"]
    assert t.output.name == "f"
    # tangents by hand (Baydin et al. 2018, table 2): dv/dx1 and dv/dx2 of each step
    expected = {
        "v1": (math.log(2), 0.5, 0.0),
        "v2": (10.0, 5.0, 2.0),
        "v3": (math.log(2) + 10, 5.5, 2.0),
        "v4": (math.sin(5), 0.0, math.cos(5)),
        "f": (math.log(2) + 10 - math.sin(5), 5.5, 2 - math.cos(5)),
    }
    for s in t.steps:
        v, d1, d2 = expected[s.name]
        assert s.value == pytest.approx(v, rel=1e-15)
        assert s.derivs["x1"] == pytest.approx(d1, abs=1e-15)
        assert s.derivs["x2"] == pytest.approx(d2, abs=1e-15)


def test_expand_keeps_user_names_and_avoids_clashes():
    t = dd.trace_program("x = 1\nv1 = sin(x) * cos(x)\ny = v1 + x", expand=True)
    names = [s.name for s in t.steps]
    assert names.count("v1") == 1 and "y" == names[-1]
    assert t.output.value == pytest.approx(math.sin(1) * math.cos(1) + 1)


def test_adjoints_backprop_slides():
    t = dd.trace_program("w1 = 2\nw2 = 3\na = w1 ** 3\nb = a * w2\nc = 3 * w1\ng = b + c", adjoints=True)
    adj = {s.name: s.adjoint for s in t.rows}
    assert adj == {"g": 1, "b": 1, "c": 1, "a": 3, "w2": 8, "w1": 39}
    # forward columns agree with the reverse sweep (two independent routes to the gradient)
    assert t.output.derivs == {"w1": 39, "w2": 8}


def test_adjoints_equal_forward_gradient_on_worksheet():
    t = dd.trace_program(WORKSHEET, adjoints=True)
    assert t["x"].adjoint == pytest.approx(float(mp_worksheet(1)["y"][1]), rel=1e-13)


def test_trace_callable_wengert_list():
    t = dd.trace(lambda x1, x2: dd.log(x1) + x1 * x2 - dd.sin(x2), x1=2, x2=5)
    assert [s.name for s in t.steps] == ["v1", "v2", "v3", "v4", "v5"]
    assert t.output.derivs["x1"] == pytest.approx(5.5)
    assert t.output.derivs["x2"] == pytest.approx(2 - math.cos(5))
    t2 = dd.trace(lambda x: np.sin(x) * 3 - 1 / x, x=0.5)
    assert t2.output.derivs["x"] == pytest.approx(3 * math.cos(0.5) + 1 / 0.25)


def test_trace_callable_rejects_float_conversion():
    with pytest.raises(TypeError, match="dualdiff.sin"):
        dd.trace(lambda x: math.sin(x), x=1.0)


def test_kinks_are_flagged():
    t = dd.trace_program("x = 0\nr = relu(x)\na = abs(x)\ns = sin(x)")
    assert t["r"].kink and t["a"].kink and not t["s"].kink
    assert t["r"].derivs["x"] == 0 and t["a"].derivs["x"] == 0
    assert not dd.trace_program("x = 0.5\nr = relu(x)")["r"].kink


def test_first_nonfinite_step_is_marked():
    t = dd.trace_program("x = 1e200\ny = x * x\nz = y * 2\nw = sin(x)")
    assert t["y"].nonfinite and not t["z"].nonfinite
    assert math.isinf(t["y"].value)
    assert "first nan/inf" in t.table()


def test_exact_mode_worksheet_matches_sympy_diff():
    import sympy

    t = dd.trace_program(WORKSHEET, exact=True)
    x = sympy.Symbol("x")
    u, v = sympy.sin(x), sympy.cos(x)
    for _ in range(4):
        u, v = sympy.sin(u + v), sympy.cos(u + v)
    expr = u * v
    assert sympy.simplify(t.output.value - expr.subs(x, 1)) == 0
    assert sympy.simplify(t.output.derivs["x"] - sympy.diff(expr, x).subs(x, 1)) == 0


def test_to_json_shape():
    import json

    t = dd.trace_program(WORKSHEET)
    d = json.loads(t.to_json())
    assert set(d) == {"inputs", "wrt", "steps"}
    assert d["inputs"] == {"x": 1.0} and d["wrt"] == ["x"]
    last = d["steps"][-1]
    assert set(last) == {"name", "expr", "value", "derivs", "accuracy"}   # SPEC §5: audited per step
    assert last["accuracy"] == {"value": last["accuracy"]["value"], "derivs": {"x": last["accuracy"]["derivs"]["x"]},
                                "inaccurate": []}
    assert last["value"] == 0.32009128314057805                   # full precision
    assert last["derivs"]["x"] == t.output.derivs["x"]
    ta = dd.trace_program(WORKSHEET, adjoints=True)
    assert "adjoint" in json.loads(ta.to_json())["steps"][0]


def test_evaluate_step_from_hand_values():
    t = dd.trace_program(WORKSHEET)
    # u2 = sin(u1 + v1), from (possibly wrong) hand values of u1 and v1
    val, der = t.evaluate_step("u2", {"u1": (0.5, {"x": 1.0}), "v1": (0.25, {"x": 2.0})})
    assert val == pytest.approx(math.sin(0.75))
    assert der["x"] == pytest.approx(math.cos(0.75) * 3.0)


def test_local_partials():
    t = dd.trace_program("x = 2\ny = 3\nz = x * sin(y)")
    p = t.local_partials("z")
    assert p["x"] == pytest.approx(math.sin(3)) and p["y"] == pytest.approx(2 * math.cos(3))


def test_jupyter_reprs():
    t = dd.trace_program(WORKSHEET)
    assert t._repr_markdown_().startswith("| step")
    assert "<table>" in t._repr_html_()


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("src, at, match", [
    ("y = sin(x)", None, "no value for input x"),
    ("x = 1\ny = log(x - 1)", None, "log: math domain error"),
    ("x = 1\ny = sqrt(-x)", None, "sqrt"),
    ("x = 0\ny = 1 / x", None, "division by zero"),
    ("x = 2\ny = asin(x)", None, "asin"),
    ("x = 1\ny = x", {"z": 1}, "does not use as an input"),
    ("x = 1", None, "computes nothing"),
])
def test_program_errors(src, at, match):
    with pytest.raises(ProgramError, match=match) as info:
        dd.trace_program(src, at=at)
    assert isinstance(info.value, ValueError)


def test_runtime_error_names_line():
    with pytest.raises(ProgramError) as info:
        dd.trace_program("x = 1\nu = x + 1\ny = log(x - 1)")
    assert info.value.line == 3 and "line 3" in str(info.value)


def test_wrt_unknown_name():
    with pytest.raises(ProgramError, match="not an input"):
        dd.trace_program(WORKSHEET, wrt=["q"])


def test_load_program(tmp_path):
    p = tmp_path / "w.dd"
    p.write_text(WORKSHEET)
    t = dd.trace_program(dd.load_program(p))
    assert t.output.value == pytest.approx(0.32009128314057805)
    with pytest.raises(ProgramError, match="cannot read"):
        dd.load_program(tmp_path / "missing.dd")


def test_trace_program_accepts_a_path():
    from pathlib import Path

    t = dd.trace_program(ROOT / "traces" / "backprop.dd")
    assert t.output.derivs == {"w1": 39.0, "w2": 8.0}
    assert isinstance(ROOT, Path)


def test_trace_at_high_precision_with_mpmath_input():
    with mpmath.workdps(50):
        t = dd.trace_program(WORKSHEET, at={"x": mpmath.mpf(1)})
        ref = mp_worksheet(1, dps=50)
        for s in t.steps:
            val, der = ref[s.name]
            assert abs(s.value - val) < mpmath.mpf(10) ** -45
            assert abs(s.derivs["x"] - der) < mpmath.mpf(10) ** -45
