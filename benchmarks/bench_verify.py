"""Grading at scale (issue 6): 1 000 hand tables of the worksheet against one traced program.

Reports submissions per second on one core and the ratio of one check to tracing the
program once.  Submissions are Markdown files on disk (as a grading script sees them),
half of them with one slip that poisons the rest (so error-carried-forward runs).
Each rate is given twice: by the wall clock, and by the CPU time of this process
(``time.process_time``), which is what "on one core" means and what a machine shared
with other jobs does not inflate (a wall-clock figure there counts the other jobs too).
Run: ``python benchmarks/bench_verify.py``.
"""
from __future__ import annotations

import math
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def submission(rng: random.Random, slip: bool) -> str:
    u, du, v, dv = math.sin(1), math.cos(1), math.cos(1), -math.sin(1)
    if slip:
        u += rng.choice([-0.05, 0.05])
    rows = [("u_1", u, du), ("v_1", v, dv)]
    for k in range(2, 6):
        s, ds = u + v, du + dv
        u, du, v, dv = math.sin(s), math.cos(s) * ds, math.cos(s), -math.sin(s) * ds
        rows += [(f"u_{k}", u, du), (f"v_{k}", v, dv)]
    rows.append(("y", u * v, du * v + u * dv))
    d = rng.choice([3, 4, 5, 6])
    lines = ["| $i$ | value | $\\frac{\\partial}{\\partial x}$ |", "|---|---|---|"]
    lines += [f"| ${n}$ | {a:.{d}f} | {b:.{d}f} |" for n, a, b in rows]
    return "\n".join(lines) + "\n"


def main(n: int = 1000) -> None:
    import dualdiff as dd

    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n):
            p = Path(tmp) / f"s{i:04d}.md"
            p.write_text(submission(rng, slip=i % 2 == 1))
            paths.append(p)
        program = dd.load_program(ROOT / "traces" / "sincos_worksheet.dd")
        t0 = time.perf_counter()
        for _ in range(20):
            dd.trace_program(program)
        t_trace = (time.perf_counter() - t0) / 20
        grader = dd.Grader(program)
        t0, c0 = time.perf_counter(), time.process_time()
        reports = [grader.check(p) for p in paths]
        t_all, c_all = time.perf_counter() - t0, time.process_time() - c0
        carried = sum(r.counts["carried"] for r in reports)
        from dualdiff.handtable.cells import read_cell
        from dualdiff.handtable.headers import normalize_step_name
        from dualdiff.handtable.markup import strip_markup

        caches = (read_cell, strip_markup, normalize_step_name)
        t0, c0 = time.perf_counter(), time.process_time()
        for p in paths:
            for c in caches:
                c.cache_clear()
            grader.check(p)
        t_cold, c_cold = time.perf_counter() - t0, time.process_time() - c0
        texts = [p.read_text() for p in paths]
        t0, c0 = time.perf_counter(), time.process_time()
        for t in texts:
            grader.check(t)
        t_mem, c_mem = time.perf_counter() - t0, time.process_time() - c0
    per = t_all / n
    print("## Grading 1 000 worksheet submissions (one traced program)\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| tracing the program once | {t_trace * 1e3:.3f} ms |")
    print(f"| checking one submission (Markdown file) | {per * 1e3:.3f} ms = {per / t_trace:.1f}× one trace |")
    print(f"| submissions per second, files on disk | {n / t_all:,.0f} |")
    print(f"| submissions per second, texts in memory | {n / t_mem:,.0f} |")
    print(f"| submissions per second, files, cell caches cleared before each | {n / t_cold:,.0f} |")
    print(f"| submissions per second, files on disk, CPU time (one core; target ≥ 1 000) | {n / c_all:,.0f} |")
    print(f"| submissions per second, texts in memory, CPU time | {n / c_mem:,.0f} |")
    print(f"| submissions per second, files, cell caches cleared, CPU time | {n / c_cold:,.0f} |")
    print(f"| carried cells judged (half the submissions have a slip) | {carried:,} |")


if __name__ == "__main__":
    main()
