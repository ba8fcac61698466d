"""Exact mode (``--exact``) on a mid-size program, as a ratio to the float trace timed in
the same run (issue 14, item 7: exact forms kept as a shared graph, so the cost grows
linearly in the steps instead of doubling each step).

The program is the worksheet recurrence grown to P sin/cos pairs (2P + 2 steps).  For each
P: the float trace and the exact trace (sympy numbers, ``trace_program(..., exact=True)``),
median of R runs each, interleaved; every exact result is checked against the float one
(relative 1e-12, value and derivative) before it is timed.  Target: linear growth of the
exact trace in P (reported as the time ratio P ÷ P/2, ideal 2).

    python benchmarks/bench_exact.py            # DD_BENCH_QUICK=1: fewer runs
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUICK = os.environ.get("DD_BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
PAIRS = (10, 20, 40)


def program(pairs: int) -> str:
    lines = ["x = 1", "u1 = sin(x)", "v1 = cos(x)"]
    for k in range(1, pairs):
        lines += [f"u{k + 1} = sin(u{k} + v{k})", f"v{k + 1} = cos(u{k} + v{k})"]
    return "\n".join(lines + [f"y = u{pairs} * v{pairs}"])


def _median_pair(fa, fb, runs: int) -> tuple[float, float]:
    ta, tb = [], []
    for _ in range(runs):  # interleaved: load changes hit both alike
        t0 = time.perf_counter()
        fa()
        ta.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fb()
        tb.append(time.perf_counter() - t0)
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    import dualdiff as dd
    from dualdiff.parse import parse_program

    print("## Exact mode (`--exact`): the worksheet recurrence of P sin/cos pairs\n")
    print(f"Median of {RUNS} interleaved runs; the exact output is checked against the float output "
          "(value and d/dx, relative 1e-12) first.\n")
    print("| pairs | steps | float trace (s) | exact trace (s) | exact ÷ float | exact growth vs half the pairs |")
    print("|---|---|---|---|---|---|")
    prev = None
    for p in PAIRS:
        prog = parse_program(program(p))
        fl = dd.trace_program(prog)
        ex = dd.trace_program(prog, exact=True)
        for a, b in ((fl.output.value, ex.output.value), (fl.output.derivs["x"], ex.output.derivs["x"])):
            b = float(b)
            assert abs(a - b) <= 1e-12 * max(1.0, abs(a)), (p, a, b)
        tf, te = _median_pair(lambda: dd.trace_program(prog), lambda: dd.trace_program(prog, exact=True), RUNS)
        growth = f"{te / prev:.2f} (ideal {2 if p == 2 * PAIRS[PAIRS.index(p) - 1] else '–'})" if prev else "–"
        print(f"| {p} | {len(prog.steps)} | {tf:.4f} | {te:.4f} | {te / tf:.0f}× | {growth} |")
        prev = te


if __name__ == "__main__":
    main()
