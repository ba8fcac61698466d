"""A course (issue 13): grading with diagnosis, and a class with a variant per student.

Two figures, both measured in the same run:

1. Grading with diagnosis: 1 000 worksheet submissions (Markdown texts in memory) against
   one traced program; a third correct, a third with one slip carried forward, a third
   with two slips (a sign and a digit); submissions per second, and the same grading
   with ``diagnose=False`` for the share the diagnosis costs.  Target ≥ 500/s.
2. A class of 1 000 students, each with their own variant (x drawn from ``# vary:``):
   drawing the variants, tracing each, grading each submission against its own variant
   and writing the HTML course report, per submission ÷ grading 1 000 submissions of
   one shared variant and writing its report.  Target ≤ 2×.

Times are CPU time of this process (``time.process_time``): the machine is shared, and
CPU time is what "on one core" means.  Run: ``python benchmarks/bench_course.py`` (``DD_BENCH_QUICK=1`` for 200 submissions).
"""
from __future__ import annotations

import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N = 200 if os.environ.get("DD_BENCH_QUICK") == "1" else 1000
PROGRAM = (ROOT / "traces" / "sincos_worksheet.dd").read_text().replace("x = 1\n", "x = 1  # vary: 0.5..2\n")


def submission(rng: random.Random, x: float, kind: int, student: str = "") -> str:
    """The worksheet at x computed by hand (math module), with 0, 1 or 2 slips carried."""
    u, du, v, dv = math.sin(x), math.cos(x), math.cos(x), -math.sin(x)
    if kind >= 1:
        du = -du                       # a sign slip in u1', carried forward
    rows = [("u_1", u, du), ("v_1", v, dv)]
    for k in range(2, 6):
        s, ds = u + v, du + dv
        u, du, v, dv = math.sin(s), math.cos(s) * ds, math.cos(s), -math.sin(s) * ds
        rows += [(f"u_{k}", u, du), (f"v_{k}", v, dv)]
    rows.append(("y", u * v, du * v + u * dv))
    # each student rounds each row to 4-6 decimals: students' numbers differ, as in a course
    cells = [(n, f"{a:.{d}f}", f"{b:.{d}f}") for (n, a, b), d in zip(rows, (rng.choice([4, 5, 6]) for _ in rows))]
    if kind == 2:                      # and one digit wrong in v3's value (not carried)
        n, a, b = cells[5]
        i = len(a) - 2
        cells[5] = (n, a[:i] + str((int(a[i]) + 5) % 10) + a[i + 1:], b)
    lines = ([f"Student: {student}", ""] if student else []) + [
        "| $i$ | value | $\\frac{\\partial}{\\partial x}$ |", "|---|---|---|", f"| $x$ | {x:g} | 1 |"]
    lines += [f"| ${n}$ | {a} | {b} |" for n, a, b in cells]
    return "\n".join(lines) + "\n"


def main() -> None:
    import dualdiff as dd
    from dualdiff.parse import parse_program
    from dualdiff.report import course_report
    from dualdiff.verify import verify
    from dualdiff.worksheet import Student, draw_inputs

    rng = random.Random(13)
    program = parse_program(PROGRAM)
    texts = [submission(rng, 1.0, i % 3) for i in range(N)]

    # 1. one shared variant: grading with and without diagnosis, then the report
    grader = dd.Grader(program)
    grader.check(texts[1])
    t0 = time.process_time()
    reports = [grader.check(t) for t in texts]
    t_grade = time.process_time() - t0
    t0 = time.process_time()
    for t in texts:
        verify(grader.trace, t, diagnose=False)
    t_nodiag = time.process_time() - t0
    t0 = time.process_time()
    course_report([(f"s{i}.md", r, "") for i, r in enumerate(reports)])
    t_report = time.process_time() - t0
    t_shared = t_grade + t_report
    diagnosed = sum(1 for r in reports for c in r.cells if c.diagnosis is not None and c.diagnosis.found)
    wrong = sum(r.counts["wrong"] for r in reports)

    # 2. a class: a variant per student (record the program once, trace each variant)
    roster = [Student(f"s{i:04d}", f"Student {i}") for i in range(N)]
    class_texts = [(st, submission(rng, draw_inputs(program, st.id, 5)["x"], i % 3, f"{st.name} ({st.id})"))
                   for i, st in enumerate(roster)]
    t0 = time.process_time()
    g = dd.Grader(program, variants=roster, seed=5)
    class_reports = [(st.id, g.check(text, student=st.id), "") for st, text in class_texts]
    course_report(class_reports)
    t_class = time.process_time() - t0
    class_wrong = sum(r.counts["wrong"] for _, r, _ in class_reports)

    print("## A course: diagnosis and per-student variants\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| submissions graded with diagnosis, per second | {N / t_grade:,.0f} (target ≥ 500) |")
    print(f"| the same without diagnosis, per second | {N / t_nodiag:,.0f} |")
    print(f"| diagnosis share of grading time | {(t_grade - t_nodiag) / t_grade:.0%} |")
    print(f"| wrong cells / cells with a slip named | {wrong} / {diagnosed} |")
    print(f"| shared variant: grading + report, per submission | {t_shared / N * 1e3:.2f} ms |")
    print(f"| class of {N} with own variants: variants + traces + grading + report, per submission | "
          f"{t_class / N * 1e3:.2f} ms |")
    print(f"| ratio class ÷ shared | {t_class / t_shared:.2f}× (target ≤ 2×) |")
    print(f"| wrong cells, shared / class (the same slips) | {wrong} / {class_wrong} |")


if __name__ == "__main__":
    main()
