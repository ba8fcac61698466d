"""Workload 3 (gradient): f(w) = Σ (w_i³ w_{i+1} + 3 w_i) at w = linspace(0.5, 2, n).

``dualdiff.gradient`` (one forward pass carrying all n directions) against n separate
single-direction passes (``dualdiff.jvp`` with the unit vectors), for n = 10, 100, 1000,
and against f(w) itself on Python floats (the primal), all timed in the same run.
For n = 1000 the n separate passes are timed on a subset of K unit vectors spread over
the coordinates and extrapolated (× n / K); the table says so.

    python benchmarks/bench_gradient.py
"""
from __future__ import annotations

import os

import numpy as np

import _common as C
from _common import naive_dual as N, workloads as W

import dualdiff as dd

SIZES = [int(s) for s in os.environ.get("DD_BENCH_GRAD_N", "10,100,1000").split(",")]
SUBSET = 50  # unit vectors timed when n > SUBSET_ABOVE (then extrapolated)
SUBSET_ABOVE = 200


def run() -> tuple[str, dict]:
    rows = []
    per_n = {}
    for n in SIZES:
        w = W.w3_point(n)
        wl = w.tolist()
        eye = np.eye(n)
        cols = list(range(n)) if n <= SUBSET_ABOVE else [int(j) for j in np.linspace(0, n - 1, SUBSET)]

        # verify before timing: one pass, and every separate pass that is timed
        g = dd.gradient(W.f_loop, w)
        C.check(f"gradient n={n}", W.check_grad(g, w))
        sep = g.copy()
        for j in cols:
            sep[j] = dd.jvp(W.f_loop, w, eye[j])[1]
        C.check(f"jvp passes n={n}", W.check_grad(sep, w))
        y_dd = dd.jvp(W.f_loop, w, eye[0])[0]
        C.check(f"value n={n}", W.close(y_dd, W.f_loop(wl)))

        def naive():  # the shared naive Dual with n-vector derivatives: the same one pass
            return W.f_loop([N.Dual(wl[i], eye[i]) for i in range(n)]).der
        C.check(f"naive one pass n={n}", W.check_grad(naive(), w))

        def passes():
            return [dd.jvp(W.f_loop, w, eye[j])[1] for j in cols]

        cands = {"f(w) on floats": lambda: W.f_loop(wl),
                 "gradient (one pass)": lambda: dd.gradient(W.f_loop, w),
                 "separate passes": passes,
                 "naive Dual, one pass": naive}
        res = C.time_all(cands, repeat=C.REPEAT if n <= SUBSET_ABOVE else max(3, C.REPEAT - 2),
                         target=0.05)
        t_f = res["f(w) on floats"]["min"]
        t_g = res["gradient (one pass)"]["min"]
        t_sep = res["separate passes"]["min"] * n / len(cols)
        per_n[n] = {"t_f": t_f, "t_g": t_g, "t_sep": t_sep, "subset": len(cols),
                    "t_naive": res["naive Dual, one pass"]["min"],
                    "spread": max(r["spread"] for r in res.values())}

    prev = None
    for n, r in per_n.items():
        growth = f"{r['t_g'] / per_n[prev]['t_g']:.1f}× (n ×{n // prev})" if prev else "–"
        sep_note = "" if r["subset"] == n else f" (extrapolated from {r['subset']} passes)"
        rows.append([str(n), C.fmt_time(r["t_f"]), C.fmt_time(r["t_g"]), C.fmt_ratio(r["t_g"] / r["t_f"]),
                     growth, C.fmt_ratio(r["t_g"] / r["t_naive"]),
                     C.fmt_time(r["t_sep"]) + sep_note, C.fmt_ratio(r["t_sep"] / r["t_g"]),
                     f"{r['spread']:.2f}"])
        prev = n
    summary = {n: {"grad_vs_f": r["t_g"] / r["t_f"], "sep_vs_grad": r["t_sep"] / r["t_g"],
                   "grad_vs_naive": r["t_g"] / r["t_naive"]}
               for n, r in per_n.items()}
    md = ["## 3. Gradient of f(w) = Σ (w_i³ w_{i+1} + 3 w_i) (`workloads.f_loop`)", "",
          "`dualdiff.gradient` (one pass, n directions at once) vs n separate single-direction "
          "passes (`dualdiff.jvp(f, w, e_j)`), both checked with `workloads.check_grad` before timing; "
          "f(w) on Python floats is the primal baseline; the naive Dual of shared/bench seeded with the "
          "rows of the identity (n-vector derivatives, one pass) is the yardstick for the same method.", "",
          C.table(["n", "f(w) floats", "gradient, 1 pass", "÷ f(w)", "growth of gradient", "÷ naive Dual 1 pass",
                   "n separate passes", "separate ÷ 1 pass", "spread"], rows), "",
          "- The one-pass gradient carries an n-vector of partials through each of the ~6n scalar "
          "operations, so its cost is O(n) Python operations plus O(n²) flops; n single-direction "
          "passes cost O(n²) Python operations."]
    return "\n".join(md), summary


if __name__ == "__main__":
    md, _ = run()
    print(md)
