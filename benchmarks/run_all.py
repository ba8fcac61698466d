"""Run every benchmark and write benchmarks/RESULTS.md (figures are ratios within this run).

    python benchmarks/run_all.py              # full run (~3 min on 2 busy cores), writes RESULTS.md
    python benchmarks/run_all.py --no-write   # print only
    DD_BENCH_QUICK=1 python benchmarks/run_all.py --no-write   # smoke run (10⁵ points, fewer rounds)

Everything below the findings marker in RESULTS.md is hand-written analysis and is kept.
"""
from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time

import _common as C

MARKER = "<!-- findings: hand-written below this line, kept by run_all.py -->"


def _git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=C.ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "dualdiff"], cwd=C.ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + (" (dualdiff/ has uncommitted changes)" if dirty else "")
    except Exception:
        return "unknown"


class _printed:
    """Adapt a benchmark whose main() prints Markdown to the run() -> (md, summary) shape."""

    def __init__(self, module, title: str):
        self.module, self.title = module, title

    def run(self):
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.module.main()
        body = out.getvalue().strip().replace("\n## ", "\n### ")
        if body.startswith("## "):
            body = "#" + body
        cmd = f"python benchmarks/{self.module.__name__}.py"
        return f"## {self.title}\n\nCommand: `{cmd}`.\n\n{body}", {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print the results, do not write RESULTS.md")
    ap.add_argument("--only", nargs="*", choices=["scalar", "vectorized", "gradient", "import", "trace", "verify", "course",
                                                 "network", "exact"],
                    help="run only these workloads")
    args = ap.parse_args()

    import bench_gradient
    import bench_import
    import bench_scalar
    import bench_vectorized

    import bench_course
    import bench_exact
    import bench_network
    import bench_trace
    import bench_verify

    mods = {"scalar": bench_scalar, "vectorized": bench_vectorized, "gradient": bench_gradient,
            "import": bench_import, "trace": _printed(bench_trace, "5. Tracer and command line"),
            "verify": _printed(bench_verify, "6. Grading hand tables"),
            "course": _printed(bench_course, "7. A course: diagnosis and per-student variants"),
            "network": bench_network,
            "exact": _printed(bench_exact, "8. Exact mode on a mid-size program")}
    sections, summaries = [], {}
    t0 = time.perf_counter()
    for name, mod in mods.items():
        if args.only and name not in args.only:
            continue
        t = time.perf_counter()
        md, summary = mod.run()
        print(md + "\n", flush=True)
        print(f"[{name}: {time.perf_counter() - t:.0f} s]\n", file=sys.stderr, flush=True)
        sections.append(md)
        summaries[name] = summary
    elapsed = time.perf_counter() - t0

    rows = []
    if "scalar" in summaries:
        s = summaries["scalar"]
        rows.append(["1 scalar: value_and_derivative ÷ naive Dual", "≤ 1.3×", f"{s['vad_vs_naive']:.2f}×",
                     C.verdict(s["target_naive_met"])])
        rows.append(["1 scalar: raw Dual(1.0, 1.0) ÷ naive Dual", "(≤ 1.3×)", f"{s['raw_vs_naive']:.2f}×",
                     C.verdict(s["raw_vs_naive"] <= 1.3)])
        if s["fastest_peer"]:
            rows.append([f"1 scalar: ÷ fastest AD peer ({s['fastest_peer']})", "< 1×",
                         f"{s['vad_vs_fastest_peer']:.2f}×", C.verdict(s["peers_met"])])
        rows.append(["1 scalar: value_and_derivative ÷ plain math floats", "(report)",
                     f"{s['vad_vs_math']:.1f}×", "–"])
    if "vectorized" in summaries:
        s = summaries["vectorized"]
        rows.append(["2 vectorized: (value + derivative) ÷ numpy value alone", "≤ 2.5×", f"{s['ratio']:.2f}×",
                     C.verdict(s["target_met"])])
        rows.append(["2 vectorized: ÷ hand-fused numpy floor", "(report)", f"{s['vs_floor']:.2f}×", "–"])
        rows.append(["2 vectorized: peak memory ÷ naive Dual", "≤ 1×",
                     f"{s['mem_dd_mib'] / s['mem_naive_mib']:.3f}× ({s['mem_diff_bytes']:+d} B)",
                     C.verdict(s["mem_met"])])
    if "gradient" in summaries:
        for n, s in summaries["gradient"].items():
            rows.append([f"3 gradient n={n}: n separate passes ÷ one pass", "(report)",
                         f"{s['sep_vs_grad']:.0f}×", "–"])
    if "network" in summaries:
        s = summaries["network"]
        h0, h1 = sorted(s["ratio"])
        rows.append([f"8 network: trace + adjoints ÷ numpy forward, h = {h0} → {h1}", "growth ≤ 1.2",
                     f"{s['ratio'][h0]:.1f}× → {s['ratio'][h1]:.1f}× (growth {s['growth']:.2f})",
                     C.verdict(s["target_met"])])
    if "import" in summaries:
        s = summaries["import"]
        rows.append(["4 import dualdiff ÷ import numpy", "≤ 1.5×", f"{s['ratio']:.2f}×", C.verdict(s["target_met"])])

    cmd = "python benchmarks/run_all.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    head = ["# dualdiff benchmarks: results", "",
            "Every figure is a ratio to a baseline timed in the same run (absolute times are context "
            "only: the machine is shared). Generated by `benchmarks/run_all.py`; see "
            "`benchmarks/README.md` for the method.", "",
            f"- command: `{cmd}` (from the project root), {elapsed:.0f} s, "
            f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
            f"- dualdiff: commit {_git_rev()}",
            C.machine_facts(),
            f"- timing: best of {C.REPEAT} interleaved rounds (gradient n = 1000: best of "
            f"{max(3, C.REPEAT - 2)}), gc disabled during a sample",
            ]
    note = C.skipped_note()
    if note:
        head.append(note)
    head += ["", "## Summary", "", C.table(["figure", "target", "this run", "verdict"], rows), ""]
    text = "\n".join(head) + "\n" + "\n\n".join(sections) + "\n"
    print("\n".join(head))
    if args.no_write:
        return
    path = C.HERE / "RESULTS.md"
    findings = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if MARKER in old:
            findings = old.split(MARKER, 1)[1]
    path.write_text(text + "\n" + MARKER + findings, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
