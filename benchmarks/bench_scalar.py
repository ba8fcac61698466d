"""Workload 1 (scalar): the worksheet's (y, dy/dx) at x = 1, one call at a time.

Baselines timed in the same run: the naive Dual of shared/bench/naive_dual.py and the
hand-written float forward mode ``workloads.recurrence_value_and_derivative_math``.
Targets: dualdiff ≤ 1.3× the naive Dual, and faster than every AD peer per call.

    python benchmarks/bench_scalar.py
"""
from __future__ import annotations

import _common as C
from _common import naive_dual as N, workloads as W

import dualdiff as dd
from dualdiff import Dual

X = W.X0
TARGET_VS_NAIVE = 1.3


def candidates() -> tuple[dict, dict]:
    """{label: callable returning (y, dy)}, {label: kind} -- each checked before timing."""
    c: dict = {}
    kind: dict = {}

    c["plain math floats (hand-written forward mode)"] = lambda: W.recurrence_value_and_derivative_math(X)
    kind["plain math floats (hand-written forward mode)"] = "floor"

    def naive():
        r = W.recurrence(N.Dual(X, 1.0), N.sin, N.cos)
        return r.val, r.der
    c["naive Dual (shared/bench)"] = naive
    kind["naive Dual (shared/bench)"] = "baseline"

    f = lambda x: W.recurrence(x, dd.sin, dd.cos)  # noqa: E731
    c["dualdiff value_and_derivative"] = lambda: dd.value_and_derivative(f, X)
    kind["dualdiff value_and_derivative"] = "dualdiff"

    def raw():
        r = W.recurrence(Dual(X, 1.0), dd.sin, dd.cos)
        return r.value, r.deriv
    c["dualdiff raw Dual(1.0, 1.0)"] = raw
    kind["dualdiff raw Dual(1.0, 1.0)"] = "dualdiff"

    ad = C.peer("ad")
    if ad is not None:
        from ad import admath, adnumber

        def run_ad():
            x = adnumber(X)
            y = W.recurrence(x, admath.sin, admath.cos)
            return y.x, y.d(x)
        c["ad (adnumber)"] = run_ad
        kind["ad (adnumber)"] = "peer"

    autograd = C.peer("autograd")
    if autograd is not None:
        import autograd.numpy as anp

        vg = autograd.value_and_grad(lambda x: W.recurrence(x, anp.sin, anp.cos))
        c["autograd value_and_grad"] = lambda: vg(X)
        kind["autograd value_and_grad"] = "peer"

    algopy = C.peer("algopy")
    if algopy is not None:
        import numpy as np

        def run_algopy():
            x = algopy.UTPM(np.array([[X], [1.0]]))
            y = W.recurrence(x, algopy.sin, algopy.cos)
            return y.data[0, 0], y.data[1, 0]
        c["algopy UTPM (forward)"] = run_algopy
        kind["algopy UTPM (forward)"] = "peer"

    jax = C.jax_cpu()
    if jax is not None:
        import jax.numpy as jnp

        g = lambda x: W.recurrence(x, jnp.sin, jnp.cos)  # noqa: E731
        jitted = jax.jit(lambda x: jax.jvp(g, (x,), (1.0,)))

        def run_jit():
            y, dy = jitted(X)
            return float(y), float(dy)

        def run_eager():
            y, dy = jax.jvp(g, (X,), (1.0,))
            return float(y), float(dy)
        c["jax jit(jvp) per call"] = run_jit
        kind["jax jit(jvp) per call"] = "peer"
        c["jax jvp eager"] = run_eager
        kind["jax jvp eager"] = "peer"

    torch = C.torch_1thread()
    if torch is not None:
        tf = lambda x: W.recurrence(x, torch.sin, torch.cos)  # noqa: E731
        one = torch.tensor(1.0, dtype=torch.float64)

        def run_torch_jvp():
            y, dy = torch.func.jvp(tf, (torch.tensor(X, dtype=torch.float64),), (one,))
            return y.item(), dy.item()

        def run_torch_bwd():
            x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
            y = tf(x)
            y.backward()
            return y.item(), x.grad.item()
        c["torch.func.jvp"] = run_torch_jvp
        kind["torch.func.jvp"] = "peer"
        c["torch autograd backward"] = run_torch_bwd
        kind["torch autograd backward"] = "peer"
    return c, kind


def run() -> tuple[str, dict]:
    cands, kind = candidates()
    for label, fn in cands.items():
        C.check(label, W.check_pair(fn()))
    res = C.time_all(cands, target=0.02 if C.QUICK else 0.05)
    t_naive = res["naive Dual (shared/bench)"]["min"]
    t_math = res["plain math floats (hand-written forward mode)"]["min"]
    rows = []
    for label, r in res.items():
        rows.append([label, C.fmt_time(r["min"]), C.fmt_ratio(r["min"] / t_naive),
                     C.fmt_ratio(r["min"] / t_math), f"{r['spread']:.2f}"])
    vad = res["dualdiff value_and_derivative"]["min"]
    raw = res["dualdiff raw Dual(1.0, 1.0)"]["min"]
    peers = {k: v["min"] for k, v in res.items() if kind[k] == "peer"}
    fastest_peer = min(peers, key=peers.get) if peers else None
    summary = {
        "vad_vs_naive": vad / t_naive, "raw_vs_naive": raw / t_naive,
        "vad_vs_math": vad / t_math, "raw_vs_math": raw / t_math,
        "target_naive_met": vad / t_naive <= TARGET_VS_NAIVE,
        "fastest_peer": fastest_peer,
        "vad_vs_fastest_peer": vad / peers[fastest_peer] if peers else None,
        "peers_met": all(vad < t for t in peers.values()),
    }
    md = ["## 1. Scalar: the worksheet's (y, dy/dx) at x = 1, per call", "",
          "Every candidate's (y, y′) is checked against `workloads.Y_REF`/`DY_REF` (1e-12) before "
          "it is timed. Time per call = min over interleaved rounds; spread = median/min.", "",
          C.table(["candidate", "time/call", "÷ naive Dual", "÷ math floats", "spread"], rows), "",
          f"- dualdiff `value_and_derivative` ÷ naive Dual = **{summary['vad_vs_naive']:.2f}×** "
          f"(target ≤ {TARGET_VS_NAIVE}×): {C.verdict(summary['target_naive_met'])}; "
          f"raw `Dual(1.0, 1.0)` path {summary['raw_vs_naive']:.2f}×.",
          f"- dualdiff ÷ plain math floats: {summary['vad_vs_math']:.1f}× (value_and_derivative), "
          f"{summary['raw_vs_math']:.1f}× (raw Dual); the naive Dual itself is "
          f"{t_naive / t_math:.1f}× the floats.",
          ]
    if peers:
        md.append(f"- faster than every AD peer per call: {C.verdict(summary['peers_met'])} "
                  f"(fastest peer: {fastest_peer}, {peers[fastest_peer] / vad:.1f}× slower than dualdiff).")
    return "\n".join(md), summary


if __name__ == "__main__":
    md, _ = run()
    print(md)
    note = C.skipped_note()
    if note:
        print("\n" + note)
