"""The precision audit covers every cell a table shows (SPEC §5): vector and matrix steps,
second derivatives (``order=2``) and adjoints (``adjoints=True``).

Each case is a cancellation built on purpose; the true values are closed forms evaluated
with mpmath at 50 digits (never dualdiff's own numbers):

- log(1 - sigmoid(z)) at a large logit z = 36: -log(1 - σ(z)) = softplus(z) = z + log1p(e^-z),
  d/dz = σ(z), d²/dz² = σ(z)(1 - σ(z)), and the adjoint of p = σ(z) is 1/(1 - p) = 1 + e^z;
- binary cross-entropy of a confident wrong class, in a vector;
- the same loss written the stable way (softmax and -log p[true]) is *not* flagged;
- the sum of a softmax, whose gradient is exactly 0.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import mpmath
import pytest

import dualdiff as dd

mp = mpmath
mp.mp.dps = 50


def sig(x):
    return 1 / (1 + mp.exp(-x))


def agree(text, want, digits=7):
    """A table/JSON number (text) equals the closed form to ``digits`` significant digits."""
    got = mp.mpf(text)
    assert abs(got - want) <= abs(want) * mp.mpf(10) ** (1 - digits), (text, mp.nstr(want, 20))


BCE = "z = [36, 2]\ny = [0, 1]\np = sigmoid(z)\nL = -sum(y * log(p) + (1 - y) * log(1 - p))"


def bce_truth():
    z0, z1 = mp.mpf(36), mp.mpf(2)
    L = z0 + mp.log1p(mp.exp(-z0)) + mp.log1p(mp.exp(-z1))   # softplus(36) - log σ(2)
    return {"L": L, "dL/dz0": sig(z0), "d2L/dz0": sig(z0) * (1 - sig(z0)),
            "adj p0": 1 + mp.exp(z0), "adj z0": sig(z0), "adj y0": -(z0 + mp.log1p(mp.exp(-z0))) - 0 * z0}


def test_vector_cancellation_is_flagged_in_every_column():
    t = dd.trace_program(BCE, wrt="z", adjoints=True, order=2)
    a = t.audit()
    truth = bce_truth()
    L = a["L"]
    assert L.value <= 3 and L.derivs["z"] <= 2 and L.extra["d2:z,z"] <= 1
    assert L.culprits["value"].describe() == "cancellation in 1 - p"
    assert L.culprits["d2:z,z"].operation == "1 - p"
    # the true values the notes quote are the closed forms
    agree(str(L.reference_value), truth["L"], 15)
    assert L.worst["z"][0] == (0,)
    agree(str(L.worst["z"][1]), truth["dL/dz0"], 15)
    agree(str(L.worst["d2:z,z"][1]), truth["d2L/dz0"], 15)
    p = a["p"]
    assert p.extra["adjoint"] <= 1 and p.worst["adjoint"][0] == (0,)
    agree(str(p.worst["adjoint"][1]), truth["adj p0"], 15)
    z = a["z"]
    assert z.extra["adjoint"] <= 2
    agree(str(z.worst["adjoint"][1]), truth["adj z0"], 15)
    # the components that are right are not flagged
    assert a["p"].cell("adjoint", (1,)) >= 14 and a["L"].cell("z", (1,)) >= 14
    assert not a.ok(8)


def test_vector_cancellation_in_the_table_and_json():
    t = dd.trace_program(BCE, wrt="z", adjoints=True, order=2)
    rows = {r[0]: r for r in csv.reader(io.StringIO(t.table("csv")))}
    header = rows["step"]
    L, p0, p1 = rows["L"], rows["p[0]"], rows["p[1]"]
    assert L[header.index("value")].endswith("*")
    assert L[header.index("d/dz[0]")].endswith("*") and not L[header.index("d/dz[1]")].endswith("*")
    assert L[header.index("d²/dz[0] dz[0]")].endswith("*")
    assert p0[header.index("∂L/∂step")].endswith("*") and not p1[header.index("∂L/∂step")].endswith("*")
    note = L[header.index("note")]
    assert "inaccurate: 3 correct digits (true 36.126928)" in note and "cancellation in 1 - p" in note
    assert "adjoint[0] inaccurate: 1 correct digit (true 4.3112315e15)" in p0[header.index("note")]
    for fmt in ("github", "latex", "html", "rst", "grid"):
        assert "cancellation in 1 - p" in t.table(fmt).replace("\\", "")
    data = json.loads(t.to_json())
    acc = {s["name"]: s["accuracy"] for s in data["steps"]}
    assert set(acc["L"]["inaccurate"]) == {"value", "z", "d2:z,z"}
    assert acc["L"]["derivs2"]["z,z"] <= 1 and acc["p"]["adjoint"] <= 1
    agree(acc["p"]["reference"]["other"]["adjoint"], bce_truth()["adj p0"], 15)
    assert acc["L"]["components"]["z"] == [[[0], acc["L"]["derivs"]["z"]]]


def test_the_stable_form_of_the_same_loss_is_not_flagged():
    # softmax over [36, 0] and -log p[1]: the true class has p ~ 2.3e-16, and the loss is
    # 36 + log1p(e^-36), which the stable softmax gets right
    t = dd.trace_program("z = [36, 0]\np = softmax(z)\nL = -log(p[1])", wrt="z", adjoints=True)
    a = t.audit()
    assert a["L"].value >= 15 and a["L"].derivs["z"] >= 14
    truth = mp.mpf(36) + mp.log1p(mp.exp(-36))
    assert abs(mp.mpf(t.output.value) - truth) < 1e-14 * truth
    assert "L" not in "".join(a.failures(8))


def test_second_derivatives_and_adjoints_of_a_scalar_trace():
    src = "w = 3\nx = 12\nyhat = sigmoid(w * x)\nce = -log(1 - yhat)"
    t = dd.trace_program(src, order=2, adjoints=True)
    a = t.audit()
    s = sig(mp.mpf(36))
    truth = {"d2:w,w": 144 * s * (1 - s), "d2:w,x": s + 36 * s * (1 - s), "d2:x,x": 9 * s * (1 - s)}
    ce = a["ce"]
    for col, want in truth.items():
        agree(str(ce.extra_reference[col]), want, 15)
    assert ce.extra["d2:w,w"] <= 1 and ce.extra["d2:x,x"] <= 1
    assert a["yhat"].extra["adjoint"] <= 1
    agree(str(a["yhat"].extra_reference["adjoint"]), 1 + mp.exp(36), 15)
    agree(str(a["w"].extra_reference["adjoint"]), 12 * s, 15)   # ∂ce/∂w = x σ(wx)
    assert a["w"].culprits["adjoint"].describe("w") == "cancellation in 1 - yhat (step ce)"
    assert "d²/dw² inaccurate: 0 correct digits (true 3.3401129e-14)" in a.note("ce")


def test_exact_zero_gradient_of_a_softmax_sum():
    t = dd.trace_program("z = [1, 2, 0.5]\ns = softmax(z)\ntotal = sum(s)", wrt="z")
    a = t.audit()
    assert a["total"].derivs["z"] == 0          # float leaves ~1e-17 of a true 0
    assert a["total"].worst["z"][1] == 0
    assert "(true 0)" in a.note("total")


def test_accurate_vector_traces_have_no_marks():
    for name in ("two_layer", "softmax_cross_entropy", "relu_net", "backprop"):
        t = dd.trace_program(dd.load_program(f"traces/{name}.dd"), adjoints=True)
        a = t.audit()
        assert a.ok(8), a.failures(8)
        rows = list(csv.reader(io.StringIO(t.table("csv"))))
        assert not any(c.endswith("*") for row in rows[1:] for c in row[2:]), name


def test_check_fails_on_an_inaccurate_vector_cell(tmp_path):
    pytest.importorskip("sympy")
    f = tmp_path / "bce.dd"
    f.write_text(BCE + "\n")
    r = subprocess.run([sys.executable, "-m", "dualdiff", "table", str(f), "--wrt", "z", "--adjoints", "--check"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "cancellation in 1 - p" in r.stdout + r.stderr
