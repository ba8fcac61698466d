"""Symbolic cross-check: stepwise (linear in the steps) against whole (expression swell).

The program is the sin/cos recurrence of the worksheet with depth K
(u1 = sin x, v1 = cos x, u(k+1) = sin(u(k) + v(k)), v(k+1) = cos(u(k) + v(k)), y = uK·vK;
2K + 1 steps).  For each K: the time of ``trace.check_symbolic("stepwise")`` (min of
``DD_BENCH_REPEAT`` runs, sympy's cache cleared before each, so that no run reuses the
derivatives of the previous one), and for increasing K the time of ``"whole"`` with
``sympy.count_ops`` of the written-out output expression and of its derivative, until
the whole mode refuses (``max_ops`` = dualdiff.symbolic.MAX_OPS); two more depths are run
with the limit lifted to show the swell.

    python benchmarks/bench_symbolic.py
"""
from __future__ import annotations

import os
import time

import _common as C  # noqa: F401  (puts this work tree's dualdiff first on sys.path)

import dualdiff as dd
from dualdiff.symbolic import MAX_OPS, ExpressionTooLarge, check_symbolic

KS = [int(k) for k in os.environ.get("DD_BENCH_SYMBOLIC_K", "5,10,20,40,200,1000").split(",")]
REPEAT = 3 if not C.QUICK else 1


def recurrence(K: int) -> str:
    lines = ["x = 1", "u1 = sin(x)", "v1 = cos(x)"]
    for k in range(1, K):
        lines += [f"u{k + 1} = sin(u{k} + v{k})", f"v{k + 1} = cos(u{k} + v{k})"]
    return "\n".join(lines + [f"y = u{K} * v{K}"])


def timed(fn, repeat: int = REPEAT):
    from sympy.core.cache import clear_cache

    best, out = float("inf"), None
    for _ in range(repeat):
        clear_cache()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def stepwise_table() -> tuple[str, dict[int, float]]:
    rows, times = [], {}
    for K in KS:
        tr = dd.trace_program(recurrence(K))
        t, report = timed(lambda: tr.check_symbolic("stepwise"))
        assert report.ok, report.failures()[:3]
        times[K] = t
        rows.append([str(K), str(len(tr.steps)), C.fmt_time(t), C.fmt_time(t / len(tr.steps)),
                     report.summary().split(": ", 1)[1]])
    return C.table(["K", "steps", "stepwise check", "per step", "verdicts"], rows), times


def output_ops(K: int) -> tuple[int, int]:
    """count_ops of y written out in x, and of dy/dx (built directly, outside the check)."""
    import sympy

    x = sympy.Symbol("x", real=True)
    u, v = sympy.sin(x), sympy.cos(x)
    for _ in range(K - 1):
        u, v = sympy.sin(u + v), sympy.cos(u + v)
    y = u * v
    return int(sympy.count_ops(y)), int(sympy.count_ops(sympy.diff(y, x)))


def whole_table() -> str:
    rows = []
    K, extra = 1, 0
    while extra < 3:
        tr = dd.trace_program(recurrence(K))
        limit = MAX_OPS if extra == 0 else 10**9
        try:
            t, report = timed(lambda: check_symbolic(tr, "whole", max_ops=limit), repeat=1)
        except ExpressionTooLarge as exc:
            rows.append([str(K), str(len(tr.steps)), *map(str, output_ops(K)), "refused",
                         str(exc).split(";")[0].replace("whole mode: ", "")])
            extra = 1
            continue
        assert report.ok
        e_ops, d_ops = output_ops(K)
        t_step, _ = timed(lambda: tr.check_symbolic("stepwise"), repeat=1)
        rows.append([str(K), str(len(tr.steps)), str(e_ops), str(d_ops), C.fmt_time(t),
                     f"stepwise {C.fmt_time(t_step)}" + (" (limit lifted)" if extra else "")])
        if extra:
            extra += 1
        K += 1
    return C.table(["K", "steps", "count_ops(y)", "count_ops(dy/dx)", "whole check", "note"], rows)


def main() -> None:
    dd.trace_program(recurrence(2)).check_symbolic()   # import sympy outside the timings
    step_md, times = stepwise_table()
    print("### Stepwise check time against depth K\n")
    print(step_md)
    if 200 in times and 1000 in times:
        r = times[1000] / times[200]
        print(f"\nt(1000)/t(200) = {r:.2f} (linear: 5; steps 2001/401 = {2001 / 401:.2f})")
    print(f"\n### Whole-expression check (max_ops = {MAX_OPS})\n")
    print(whole_table())


if __name__ == "__main__":
    main()
