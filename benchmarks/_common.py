"""Shared helpers for the benchmarks: paths, interleaved timing, peers, Markdown tables.

Every figure the benchmarks report is a *ratio* to a baseline timed in the same run
(the machine is shared and noisy: absolute times are printed only as context).

Timing method: each candidate is calibrated once (``number`` calls per sample, so
that one sample takes ~``target`` seconds), then ``repeat`` rounds are run in which
every candidate of the table is timed once, in turn; a candidate's time is the
minimum over rounds (``timeit``'s advice: the min is the least disturbed sample).
Interleaving the rounds means that a burst of load from another process hits all
candidates alike instead of one of them.  The spread (median / min) is reported too.
"""
from __future__ import annotations

import gc
import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# this work tree's dualdiff (DD_BENCH_DUALDIFF=/path/to/other/checkout measures another one,
# e.g. a `git worktree` of an older commit, for before/after figures)
sys.path.insert(0, os.environ.get("DD_BENCH_DUALDIFF", str(ROOT)))
sys.path.insert(0, str(ROOT.parent / "shared" / "bench"))       # the shared yardsticks

import naive_dual  # noqa: E402  (shared/bench)
import workloads  # noqa: E402  (shared/bench)

REPEAT = int(os.environ.get("DD_BENCH_REPEAT", "7"))
QUICK = os.environ.get("DD_BENCH_QUICK") == "1"


# ---------------------------------------------------------------------------
# peers: optional, skipped cleanly
# ---------------------------------------------------------------------------
def peer(name: str):
    """Import an optional peer library, or return None (with the reason in SKIPPED)."""
    try:
        return importlib.import_module(name)
    except Exception as exc:  # ImportError, or a broken install
        SKIPPED[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
        return None


SKIPPED: dict[str, str] = {}


def jax_cpu():
    """jax on one CPU thread in float64 (the workloads are checked to 1e-12), or None."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    jax = peer("jax")
    if jax is None:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


def torch_1thread():
    """torch with one intra-op thread (numpy's ufuncs are single-threaded), or None."""
    torch = peer("torch")
    if torch is None:
        return None
    torch.set_num_threads(1)
    return torch


# ---------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------
def calibrate(fn: Callable[[], object], target: float) -> int:
    """Calls per sample so that one sample takes about ``target`` seconds."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target * 0.5 or number >= 10**7:
            return max(1, int(number * target / max(dt, 1e-9)))
        number *= 10 if dt < target / 20 else 2


def sample(fn: Callable[[], object], number: int) -> float:
    gcold = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - t0) / number
    finally:
        if gcold:
            gc.enable()


def time_all(cands: dict[str, Callable[[], object]], repeat: int = REPEAT, target: float = 0.05,
             numbers: dict[str, int] | None = None) -> dict[str, dict]:
    """Interleaved timing of several candidates: {name: {"min", "median", "number"}} seconds/call."""
    numbers = dict(numbers or {})
    for name, fn in cands.items():
        fn()  # warm up (jit compiles, caches)
        if name not in numbers:
            numbers[name] = calibrate(fn, target)
    samples: dict[str, list[float]] = {name: [] for name in cands}
    for _ in range(repeat):
        for name, fn in cands.items():
            samples[name].append(sample(fn, numbers[name]))
    return {name: {"min": min(s), "median": statistics.median(s), "number": numbers[name],
                   "spread": statistics.median(s) / min(s)}
            for name, s in samples.items()}


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------
def fmt_time(t: float) -> str:
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.2f} µs"


def fmt_ratio(r: float) -> str:
    return f"{r:.2f}×" if r < 100 else f"{r:.0f}×"


def table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(headers))) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def machine_facts() -> str:
    import numpy

    lines = [
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}",
        f"- numpy {numpy.__version__}",
        f"- cores: {os.cpu_count()} (shared with other jobs: expect noise)",
        f"- CPU: {_cpu_name()}",
    ]
    vers = []
    for name in ("ad", "autograd", "algopy", "jax", "jaxlib", "torch"):
        try:
            from importlib.metadata import version

            vers.append(f"{name} {version(name)}")
        except Exception:
            vers.append(f"{name} (not installed)")
    lines.append("- peers: " + ", ".join(vers))
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def skipped_note() -> str:
    if not SKIPPED:
        return ""
    return "\n".join(f"- peer `{k}` skipped: {v}" for k, v in SKIPPED.items())


def check(label: str, ok_err: tuple[bool, float]) -> None:
    """Refuse to time a candidate whose result is wrong."""
    ok, err = ok_err
    if not ok:
        raise AssertionError(f"{label}: result differs from the reference (error {err:.3g})")
