"""Tracer and command-line speed (issue 4), as ratios to baselines timed in the same run.

1. Cold start of ``dualdiff table traces/sincos_worksheet.dd`` (a fresh process) over
   ``python -c "import numpy"``; target ≤ 2×.  sympy must not be imported on this path.
   The precision audit's share of it (mpmath imported on first use) is timed on its own,
   in fresh processes, and so is the audit of generated programs of 100 and 1 000 steps.
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


AUDIT_COLD = ("import time, dualdiff as dd\n"
              "t = dd.trace_program('traces/sincos_worksheet.dd')\n"
              "t0 = time.perf_counter(); t.audit(); print(time.perf_counter() - t0)")


def audit_cold(repeats: int = 15) -> float:
    """The audit's time in a fresh process (mpmath not yet imported), as the table pays it."""
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", AUDIT_COLD], check=True, capture_output=True, text=True,
                             cwd=ROOT).stdout
        times.append(float(out))
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
    t_audit = audit_cold()
    print(f"| of which the precision audit (mpmath import, 40- and 60-digit re-evaluation, digit counts) "
          f"| {t_audit:.3f} | {t_audit / t_numpy:.2f} |")
    print(f"\nAudit's cost on the worksheet table: {t_audit * 1000:.0f} ms of the {t_table * 1000:.0f} ms cold start "
          f"({t_audit / t_table:.0%}); the table without it would be {(t_table - t_audit) / t_numpy:.2f}× "
          f"`import numpy`.")

    print("\n## Auditing a generated program (warm: mpmath already imported; best of 3)\n")
    print("| steps | trace (s) | audit (s) | audit ÷ trace |")
    print("|---|---|---|---|")
    for n in (100, 1000):
        prog = parse_program(program(n))
        tt = best(lambda: dd.trace_program(prog))
        ta = best(lambda: dd.trace_program(prog).audit(), repeats=3) - tt
        print(f"| {n:,} | {tt:.4f} | {ta:.4f} | {ta / tt:.0f}× |")

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
