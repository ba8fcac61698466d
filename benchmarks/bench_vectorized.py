"""Workload 2 (vectorized): the worksheet over 10⁶ points as numpy arrays.

Ratio = (value + derivative) time / (value alone with numpy: ``recurrence(x, np.sin, np.cos)``),
both timed in the same run.  Target: dualdiff ≤ 2.5×.  The hand-fused numpy forward mode
(``workloads.recurrence_value_and_derivative_np``) is the floor.  Peak extra memory of one
call (tracemalloc) for dualdiff and the naive Dual: dualdiff's must be ≤ the naive Dual's.

    python benchmarks/bench_vectorized.py          # DD_BENCH_N=100000 for a smaller grid
"""
from __future__ import annotations

import os
import tracemalloc

import numpy as np

import _common as C
from _common import naive_dual as N, workloads as W

import dualdiff as dd

NPTS = int(os.environ.get("DD_BENCH_N", str(10**5 if C.QUICK else 10**6)))
TARGET = 2.5
MEM_SLACK = 4096  # bytes: Python objects, not arrays
CHECK_AT = NPTS // 3  # this point is set to x = 1 exactly, to check against Y_REF / DY_REF


def grid() -> np.ndarray:
    x = np.linspace(-3.0, 3.0, NPTS)
    x[CHECK_AT] = W.X0
    return x


def candidates(x: np.ndarray) -> tuple[dict, dict]:
    """{label: callable returning (y, dy) arrays (or y alone for the baseline)}, {label: kind}."""
    c: dict = {}
    kind: dict = {}
    c["numpy value alone (baseline)"] = lambda: W.recurrence(x, np.sin, np.cos)
    kind["numpy value alone (baseline)"] = "baseline"
    c["hand-fused numpy forward mode (floor)"] = lambda: W.recurrence_value_and_derivative_np(x, np)
    kind["hand-fused numpy forward mode (floor)"] = "floor"

    f = lambda u: W.recurrence(u, dd.sin, dd.cos)  # noqa: E731
    c["dualdiff value_and_derivative (dd.sin/dd.cos)"] = lambda: dd.value_and_derivative(f, x)
    kind["dualdiff value_and_derivative (dd.sin/dd.cos)"] = "dualdiff"
    fnp = lambda u: W.recurrence(u, np.sin, np.cos)  # noqa: E731
    c["dualdiff value_and_derivative (np.sin/np.cos on Dual)"] = lambda: dd.value_and_derivative(fnp, x)
    kind["dualdiff value_and_derivative (np.sin/np.cos on Dual)"] = "dualdiff"

    nsin, ncos, _, _ = N.make_functions(np)

    def naive():
        r = W.recurrence(N.Dual(x, np.ones_like(x)), nsin, ncos)
        return r.val, r.der
    c["naive Dual on arrays"] = naive
    kind["naive Dual on arrays"] = "naive"

    autograd = C.peer("autograd")
    if autograd is not None:
        import autograd.numpy as anp

        g = lambda u: W.recurrence(u, anp.sin, anp.cos)  # noqa: E731
        eg = autograd.elementwise_grad(g)

        def ag_vjp():
            vjp, y = autograd.make_vjp(g)(x)
            return y, vjp(np.ones_like(y))
        c["autograd make_vjp (value + derivative)"] = ag_vjp
        kind["autograd make_vjp (value + derivative)"] = "peer"
        c["autograd elementwise_grad (derivative only)"] = lambda: (None, eg(x))
        kind["autograd elementwise_grad (derivative only)"] = "peer-donly"

    algopy = C.peer("algopy")
    if algopy is not None:
        def run_algopy():
            u = algopy.UTPM(np.stack([x, np.ones_like(x)])[:, None, :])
            y = W.recurrence(u, algopy.sin, algopy.cos)
            return y.data[0, 0], y.data[1, 0]
        c["algopy UTPM"] = run_algopy
        kind["algopy UTPM"] = "peer"

    jax = C.jax_cpu()
    if jax is not None:
        import jax.numpy as jnp

        jf = lambda u: W.recurrence(u, jnp.sin, jnp.cos)  # noqa: E731
        xj = jnp.asarray(x)
        tj = jnp.ones_like(xj)
        jitted = jax.jit(lambda u, t: jax.jvp(jf, (u,), (t,)))

        def run_jit():
            y, dy = jitted(xj, tj)
            return y.block_until_ready(), dy.block_until_ready()

        def run_eager():
            y, dy = jax.jvp(jf, (xj,), (tj,))
            return y.block_until_ready(), dy.block_until_ready()
        c["jax jit(jvp) (fused by XLA)"] = run_jit
        kind["jax jit(jvp) (fused by XLA)"] = "peer"
        c["jax jvp eager"] = run_eager
        kind["jax jvp eager"] = "peer"

    torch = C.torch_1thread()
    if torch is not None:
        tf = lambda u: W.recurrence(u, torch.sin, torch.cos)  # noqa: E731
        xt = torch.from_numpy(x)
        ones = torch.ones_like(xt)

        def run_jvp():
            y, dy = torch.func.jvp(tf, (xt,), (ones,))
            return y.numpy(), dy.numpy()

        def run_bwd():
            u = torch.from_numpy(x).requires_grad_(True)
            y = tf(u)
            y.sum().backward()
            return y.detach().numpy(), u.grad.numpy()
        c["torch.func.jvp"] = run_jvp
        kind["torch.func.jvp"] = "peer"
        c["torch autograd backward on sum"] = run_bwd
        kind["torch autograd backward on sum"] = "peer"
    return c, kind


def verify(label: str, res, ref_y: np.ndarray, ref_dy: np.ndarray) -> None:
    if label.startswith("numpy value alone"):
        y, dy = res, None
    else:
        y, dy = res
    pairs = [(y, ref_y), (dy, ref_dy)]
    for got, ref in pairs:
        if got is None:
            continue
        got = np.asarray(got, dtype=float)
        err = float(np.max(np.abs(got - ref) / np.maximum(1.0, np.abs(ref))))
        C.check(label + " (whole array vs hand-fused numpy)", (err <= 1e-12, err))
    if y is not None and dy is not None:
        C.check(label + " (x = 1)", W.check_pair((np.asarray(y)[CHECK_AT], np.asarray(dy)[CHECK_AT])))
    elif y is not None:
        C.check(label + " (x = 1)", W.check_value(np.asarray(y)[CHECK_AT]))
    else:
        C.check(label + " (x = 1)", W.close(np.asarray(dy)[CHECK_AT], W.DY_REF))


def peak_extra(fn) -> int:
    """Peak bytes allocated during one call, above what was allocated before it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        r = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del r
    finally:
        tracemalloc.stop()
    return peak - base


def run() -> tuple[str, dict]:
    x = grid()
    ref_y, ref_dy = W.recurrence_value_and_derivative_np(x, np)
    cands, kind = candidates(x)
    for label, fn in cands.items():
        verify(label, fn(), ref_y, ref_dy)
    res = C.time_all(cands, target=0.05)
    t0 = res["numpy value alone (baseline)"]["min"]
    t_floor = res["hand-fused numpy forward mode (floor)"]["min"]
    rows = [[label, C.fmt_time(r["min"]), C.fmt_ratio(r["min"] / t0), C.fmt_ratio(r["min"] / t_floor),
             f"{r['spread']:.2f}"] for label, r in res.items()]

    mem_labels = ["numpy value alone (baseline)", "hand-fused numpy forward mode (floor)",
                  "dualdiff value_and_derivative (dd.sin/dd.cos)",
                  "dualdiff value_and_derivative (np.sin/np.cos on Dual)", "naive Dual on arrays"]
    if "autograd make_vjp (value + derivative)" in cands:
        mem_labels.append("autograd make_vjp (value + derivative)")
    mem = {label: peak_extra(cands[label]) for label in mem_labels}
    one = x.nbytes
    mem_rows = [[label, f"{mem[label] / 2**20:.1f} MiB", f"{mem[label] / one:.1f}",
                 C.fmt_ratio(mem[label] / mem["naive Dual on arrays"])] for label in mem_labels]

    t_dd = res["dualdiff value_and_derivative (dd.sin/dd.cos)"]["min"]
    t_naive = res["naive Dual on arrays"]["min"]
    m_dd = mem["dualdiff value_and_derivative (dd.sin/dd.cos)"]
    m_naive = mem["naive Dual on arrays"]
    summary = {"ratio": t_dd / t0, "target_met": t_dd / t0 <= TARGET, "vs_floor": t_dd / t_floor,
               "floor_ratio": t_floor / t0, "vs_naive": t_dd / t_naive,
               "mem_dd_mib": m_dd / 2**20, "mem_naive_mib": m_naive / 2**20,
               "mem_diff_bytes": m_dd - m_naive,
               # equal array traffic; allow a few hundred bytes of Python objects (tags, slots)
               "mem_met": m_dd <= m_naive + MEM_SLACK}
    md = ["## 2. Vectorized: the worksheet over "
          f"{NPTS:,} points (numpy arrays)".replace(",", " "), "",
          "Every candidate's arrays are checked against the hand-fused numpy forward mode "
          "(max relative error ≤ 1e-12) and at the point x = 1 against Y_REF/DY_REF before timing. "
          "jax and torch run on one CPU thread in float64 (numpy's ufuncs use one thread).", "",
          C.table(["candidate", "time/call", "÷ numpy value alone", "÷ hand-fused floor", "spread"], rows),
          "",
          f"- dualdiff (value + derivative) ÷ numpy value alone = **{summary['ratio']:.2f}×** "
          f"(target ≤ {TARGET}×): {C.verdict(summary['target_met'])}.",
          f"- the hand-fused floor is {summary['floor_ratio']:.2f}× the value alone; dualdiff is "
          f"{summary['vs_floor']:.2f}× the floor and {summary['vs_naive']:.2f}× the naive Dual on arrays.",
          "",
          "Peak extra memory of one call (tracemalloc; numpy's buffers are traced; one array of "
          f"the grid = {one / 2**20:.1f} MiB; outputs included):", "",
          C.table(["candidate", "peak extra", "× one array", "÷ naive Dual"], mem_rows), "",
          f"- dualdiff peak ≤ naive Dual's: {C.verdict(summary['mem_met'])} ({m_dd:,} B vs {m_naive:,} B: "
          f"{summary['mem_diff_bytes']:+,} B, i.e. the same arrays; the bytes of difference are Python "
          f"objects, below the {MEM_SLACK:,} B allowed for them)."]
    return "\n".join(md), summary


if __name__ == "__main__":
    md, _ = run()
    print(md)
    note = C.skipped_note()
    if note:
        print("\n" + note)
