"""Tracer and command-line speed (issue 4), as ratios to baselines timed in the same run.

1. Cold start of ``dualdiff table traces/sincos_worksheet.dd`` (a fresh process) over
   ``python -c "import numpy"``; target ≤ 2×.  sympy must not be imported on this path.
2. Tracing a generated program of N steps (the sin/cos recurrence, 2 steps per k):
   time per step for N = 1 000 … 10 000 and the growth ratio (target: linear).

Run: ``python benchmarks/bench_trace.py`` from the project root.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cold(cmd: list[str], repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def program(n_steps: int) -> str:
    """The worksheet recurrence grown to exactly n_steps steps (2k + 1, plus one if even)."""
    k = (n_steps - 1) // 2
    lines = ["x = 1", "u1 = sin(x)", "v1 = cos(x)"]
    for i in range(1, k):
        lines += [f"u{i + 1} = sin(u{i} + v{i})", f"v{i + 1} = cos(u{i} + v{i})"]
    lines.append(f"y = u{k} * v{k}")
    if n_steps % 2 == 0:
        lines.append("z = 2 * y")
    return "\n".join(lines)


def best(fn, repeats: int = 5) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main() -> None:
    import dualdiff as dd
    from dualdiff.parse import parse_program

    exe = sys.executable
    t_numpy = cold([exe, "-c", "import numpy"])
    t_table = cold([exe, "-m", "dualdiff", "table", "traces/sincos_worksheet.dd"])
    t_python = cold([exe, "-c", "pass"])
    print("## Command-line cold start (median of 15 fresh processes)\n")
    print("| command | seconds | ratio to `import numpy` |")
    print("|---|---|---|")
    print(f"| `python -c pass` | {t_python:.3f} | {t_python / t_numpy:.2f} |")
    print(f"| `python -c \"import numpy\"` | {t_numpy:.3f} | 1.00 |")
    print(f"| `python -m dualdiff table traces/sincos_worksheet.dd` | {t_table:.3f} | {t_table / t_numpy:.2f} |")

    print("\n## Tracing a generated program (best of 5)\n")
    print("| steps | parse (s) | trace (s) | µs per step (parse+trace) | growth vs 1 000 |")
    print("|---|---|---|---|---|")
    base = None
    for n in (1000, 2000, 5000, 10000):
        src = program(n)
        prog = parse_program(src)
        assert len(prog.steps) == n, (len(prog.steps), n)
        tp = best(lambda: parse_program(src))
        tt = best(lambda: dd.trace_program(prog))
        per = (tp + tt) / n * 1e6
        base = base or (tp + tt)
        print(f"| {n:,} | {tp:.3f} | {tt:.3f} | {per:.1f} | {(tp + tt) / base:.2f} (ideal {n / 1000:.0f}) |")


if __name__ == "__main__":
    main()
