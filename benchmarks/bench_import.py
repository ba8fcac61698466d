"""Workload 4: ``import dualdiff`` time as a ratio to ``import numpy`` alone.

Fresh interpreters, interleaved: each round runs ``python -c "pass"``,
``python -c "import numpy"`` and ``python -c "import dualdiff"`` once; import time =
(wall time − the empty interpreter's), min over rounds (the median is shown too).
Target: ≤ 1.5×.  One ``python -X importtime -c "import dualdiff"`` run says where the
time goes, and a last check confirms that sympy and matplotlib are not imported.

    python benchmarks/bench_import.py
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import _common as C

ROUNDS = int(os.environ.get("DD_BENCH_IMPORT_ROUNDS", "10" if C.QUICK else "30"))
TARGET = 1.5
DD_PATH = os.environ.get("DD_BENCH_DUALDIFF", str(C.ROOT))


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = DD_PATH + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONSTARTUP", None)
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def _wall(code: str, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=C.HERE)
    return time.perf_counter() - t0


def importtime_selfs(code: str, env: dict) -> dict[str, int]:
    """{module: self µs} from one ``python -X importtime -c code`` run."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env,
                         check=True, cwd=C.HERE, capture_output=True, text=True).stderr
    selfs = {}
    for line in out.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        selfus, _, name = line[len("import time:"):].split("|")
        selfs[name.strip()] = int(selfus)
    return selfs


def run() -> tuple[str, dict]:
    env = _env()
    codes = {"empty": "pass", "numpy": "import numpy", "dualdiff": "import dualdiff"}
    for code in codes.values():  # warm the file cache and the .pyc files
        _wall(code, env)
    samples: dict[str, list[float]] = {k: [] for k in codes}
    for _ in range(ROUNDS):
        for k, code in codes.items():
            samples[k].append(_wall(code, env))
    mins = {k: min(v) for k, v in samples.items()}
    meds = {k: statistics.median(v) for k, v in samples.items()}
    np_min, dd_min = mins["numpy"] - mins["empty"], mins["dualdiff"] - mins["empty"]
    np_med, dd_med = meds["numpy"] - meds["empty"], meds["dualdiff"] - meds["empty"]
    ratio, ratio_med = dd_min / np_min, dd_med / np_med

    # what `import dualdiff` imports beyond `import numpy` (and interpreter start-up)
    dd_selfs = importtime_selfs("import dualdiff", env)
    np_selfs = importtime_selfs("import numpy", env)
    extra = {m: us for m, us in dd_selfs.items() if m not in np_selfs}
    extra_total = sum(extra.values())
    own = sorted(((m, us) for m, us in extra.items() if m.startswith("dualdiff")), key=lambda r: -r[1])
    stdlib = sorted(((m, us) for m, us in extra.items() if not m.startswith("dualdiff")), key=lambda r: -r[1])
    heavy = subprocess.run([sys.executable, "-c",
                            "import sys, dualdiff; print(' '.join(sorted(m for m in ('sympy', 'matplotlib', "
                            "'mpmath', 'tabulate') if m in sys.modules)))"],
                           env=env, check=True, cwd=C.HERE, capture_output=True, text=True).stdout.strip()

    table_rows = [
        ["python -c pass (interpreter start)", C.fmt_time(mins["empty"]), "–", "–"],
        ["import numpy", C.fmt_time(np_min), "1.00×", "1.00×"],
        ["import dualdiff (numpy included)", C.fmt_time(dd_min), C.fmt_ratio(ratio), C.fmt_ratio(ratio_med)],
    ]
    summary = {"ratio": ratio, "ratio_median": ratio_med, "target_met": ratio <= TARGET, "heavy": heavy}
    md = ["## 4. `import dualdiff` time", "",
          f"{ROUNDS} interleaved rounds of fresh interpreters; import time = wall − empty interpreter.", "",
          C.table(["command", "import time (min)", "÷ import numpy (min)", "÷ import numpy (median)"],
                  table_rows), "",
          f"- `import dualdiff` ÷ `import numpy` = **{ratio:.2f}×** (median-based {ratio_med:.2f}×; "
          f"target ≤ {TARGET}×): {C.verdict(summary['target_met'])}.",
          f"- `-X importtime` (one run each): the modules `import dualdiff` loads beyond `import numpy` "
          f"take {extra_total / 1000:.1f} ms (self times summed): dualdiff's own "
          + ", ".join(f"`{m}` {us / 1000:.1f} ms" for m, us in own[:6])
          + "; other modules it adds: " + (", ".join(f"`{m}` {us / 1000:.1f} ms" for m, us in stdlib[:6]) or "none")
          + ".",
          f"- heavy modules in `sys.modules` after `import dualdiff`: {heavy or 'none'} "
          "(sympy and matplotlib must not be there)."]
    return "\n".join(md), summary


if __name__ == "__main__":
    md, _ = run()
    print(md)
