"""Workload 8 (networks): a traced 2-layer network and its adjoints, against plain numpy.

The program (``z1 = W1 @ x + b1``, ``a1 = relu(z1)``, ``y = W2 @ a1 + b2``,
``p = softmax(y)``, ``L = -log(p[0])``) with a hidden layer of width h (W1 is h×h, x has
h entries, 10 classes) is traced by ``dualdiff.trace_program(…, adjoints=True)``: every
step's value, then one reverse sweep giving ∂L/∂step for every step, W1 and W2
included (the backpropagation table).  Baseline: the same forward pass in plain numpy,
timed in the same run.  Floor: a hand-written numpy forward + backward pass.

Target: the ratio does not grow with the width (the derivatives of a matrix product are
matrix products, not Python loops over entries): the growth ratio(2h)/ratio(h) ≤ 1.2.
For contrast, forward-mode derivative columns with respect to x (``wrt=["x"]``: h
directions) are timed too: their cost grows with h by design.

    python benchmarks/bench_network.py
"""
from __future__ import annotations

import numpy as np

import _common as C

import dualdiff as dd
from dualdiff.parse import parse_program

PROGRAM = parse_program("z1 = W1 @ x + b1\na1 = relu(z1)\ny = W2 @ a1 + b2\np = softmax(y)\nL = -log(p[0])\n")
CLASSES = 10
WIDTHS = (64, 128)
GROWTH_TARGET = 1.2


def point(h: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(h, h)) / np.sqrt(h), "b1": rng.normal(size=h) * 0.1,
            "W2": rng.normal(size=(CLASSES, h)) / np.sqrt(h), "b2": rng.normal(size=CLASSES) * 0.1,
            "x": rng.normal(size=h)}


def numpy_forward(W1, b1, W2, b2, x):
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0.0)
    y = W2 @ a1 + b2
    e = np.exp(y - y.max())
    p = e / e.sum()
    return -np.log(p[0])


def numpy_forward_backward(W1, b1, W2, b2, x):
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0.0)
    y = W2 @ a1 + b2
    e = np.exp(y - y.max())
    p = e / e.sum()
    gy = p.copy()
    gy[0] -= 1.0
    ga1 = W2.T @ gy
    gz1 = ga1 * (z1 > 0)
    return -np.log(p[0]), np.outer(gz1, x), np.outer(gy, a1), W1.T @ gz1


def check(h: int) -> float:
    """Largest relative difference of dualdiff's adjoints from the hand backward pass."""
    at = point(h)
    t = dd.trace_program(PROGRAM, at=at, wrt=[], adjoints=True)
    L, gW1, gW2, gx = numpy_forward_backward(**at)
    worst = abs(t.output.value - L) / abs(L)
    for name, ref in (("W1", gW1), ("W2", gW2), ("x", gx)):
        worst = max(worst, float(np.max(np.abs(t[name].adjoint - ref)) / np.max(np.abs(ref))))
    return worst


def run() -> tuple[str, dict]:
    rows, ratios, fwd = [], {}, {}
    for h in WIDTHS:
        at = point(h)
        err = check(h)
        assert err < 1e-12, f"adjoints disagree with the hand backward pass: {err:.2e}"
        cands = {
            "numpy forward (baseline)": lambda: numpy_forward(**at),
            "numpy forward + backward by hand (floor)": lambda: numpy_forward_backward(**at),
            "dualdiff trace + adjoints": lambda: dd.trace_program(PROGRAM, at=at, wrt=[], adjoints=True),
            f"dualdiff trace, wrt x ({h} directions)": lambda: dd.trace_program(PROGRAM, at=at, wrt=["x"]),
        }
        res = C.time_all(cands, repeat=3 if C.QUICK else C.REPEAT, target=0.02 if C.QUICK else 0.05)
        base = res["numpy forward (baseline)"]["min"]
        for name, r in res.items():
            rows.append([f"h = {h}", name, C.fmt_time(r["min"]), C.fmt_ratio(r["min"] / base),
                         f"{r['spread']:.2f}"])
        ratios[h] = res["dualdiff trace + adjoints"]["min"] / base
        fwd[h] = res[f"dualdiff trace, wrt x ({h} directions)"]["min"] / base
    h0, h1 = WIDTHS
    growth = ratios[h1] / ratios[h0]
    fwd_growth = fwd[h1] / fwd[h0]
    md = "\n".join([
        "## 8. A 2-layer network: trace and adjoints",
        "",
        "Command: `python benchmarks/bench_network.py`. Hidden width h (W1 is h×h), 10 classes; "
        "ratio = time ÷ the numpy forward pass of the same width; adjoints checked against the "
        "hand-written backward pass (relative difference < 1e-12) before timing.",
        "",
        C.table(["width", "candidate", "time (min)", "÷ numpy forward", "spread"], rows),
        "",
        f"- trace + adjoints ratio: {ratios[h0]:.1f}× at h = {h0}, {ratios[h1]:.1f}× at h = {h1}: growth "
        f"{growth:.2f} (target ≤ {GROWTH_TARGET}) — {C.verdict(growth <= GROWTH_TARGET)}",
        f"- forward-mode columns wrt x (h directions): growth {fwd_growth:.2f} when h doubles "
        "(expected: forward mode pays per direction)",
    ])
    return md, {"ratio": ratios, "growth": growth, "fwd_growth": fwd_growth,
                "target_met": growth <= GROWTH_TARGET}


def main() -> None:
    md, _ = run()
    print(md)


if __name__ == "__main__":
    main()
