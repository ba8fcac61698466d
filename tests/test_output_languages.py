"""Every output format is valid in its own language (SPEC §5, issue 15 item 5).

LaTeX: the table of every ``traces/*.dd`` (every LaTeX table format, with the check,
adjoint and note columns) and of hand-table reports, wrapped in a minimal document,
compiles with a real ``pdflatex`` run without shell escape, and a report holding
``\\input{/etc/passwd}`` or ``\\write18{…}`` in a cell neither reads that file nor runs
anything.  Without pdflatex the tests skip with the reason (the README says how to
install it).  JSON parses with a strict parser; HTML and CSV are checked in
``tests/hostile/test_hostile_outputs.py``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import dualdiff as dd

REPO = Path(__file__).resolve().parents[1]
TRACES = sorted((REPO / "traces").glob("*.dd"))
PDFLATEX = shutil.which("pdflatex")
needs_latex = pytest.mark.skipif(
    PDFLATEX is None,
    reason="pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended lmodern)")

PREAMBLE = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage{longtable}
\begin{document}
"""
LATEX_FORMATS = ("latex", "latex_booktabs", "latex_longtable", "latex_raw")


def compile_latex(body: str, workdir: Path) -> tuple[bool, str, str]:
    """(compiled, log tail, list of files TeX read) for one document holding ``body``."""
    tex = workdir / "doc.tex"
    tex.write_text(PREAMBLE + body + "\n\\end{document}\n", encoding="utf-8")
    proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                           "-recorder", "doc.tex"], cwd=workdir, capture_output=True, timeout=120)
    log = proc.stdout.decode("utf-8", "replace")
    fls = (workdir / "doc.fls").read_text(errors="replace") if (workdir / "doc.fls").exists() else ""
    return proc.returncode == 0 and (workdir / "doc.pdf").exists(), log[-3000:], fls


def _trace_tables(path: Path) -> str:
    src = path.read_text()
    parts = []
    tr = dd.trace_program(src)
    report = tr.check_symbolic()
    for fmt in LATEX_FORMATS:
        parts.append(tr.table(fmt))
        try:  # adjoints are not available for every program (vector steps): then without them
            parts.append(tr.table(fmt, digits=4, check=report, adjoints=True))
        except ValueError:
            parts.append(tr.table(fmt, digits=4, check=report))
    try:
        ex = dd.trace_program(src, exact=True)
    except (ValueError, ArithmeticError, TypeError):
        ex = None  # a program exact mode cannot hold (floats in a matrix, …) has no exact table
    if ex is not None:
        parts.append(ex.table("latex", exact_forms=True))
    return "\n\n\\bigskip\n\n".join(parts)


@needs_latex
@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
def test_every_trace_compiles(path, tmp_path):
    ok, log, _ = compile_latex(_trace_tables(path), tmp_path)
    assert ok, log


KINKS = """x = 0
a = relu(x)
b = leaky_relu(x)
c = abs(x)
d = elu(x)
y = a + b + c + d
"""


@needs_latex
def test_kink_notes_compile(tmp_path):
    tr = dd.trace_program(KINKS)
    body = "\n\n".join(tr.table(fmt) for fmt in LATEX_FORMATS)
    ok, log, _ = compile_latex(body, tmp_path)
    assert ok, log


HOSTILE_CELLS = ["\\input{/etc/passwd}", "\\write18{touch pwned}", "\\immediate\\write18{touch pwned}",
                 "$x$ & 100% #_^~{}", "}{\\end{tabular}", "\\\\ \\hline", "λ ∂ − é ☃", "\\def\\a{\\a}\\a",
                 "\\catcode`\\{=12", "<script>", "\\verb|x|", "^^5cinput{/etc/passwd}"]


@needs_latex
def test_hostile_report_compiles_and_runs_nothing(tmp_path):
    tr = dd.trace_program((REPO / "traces" / "sincos_worksheet.dd").read_text())
    parts = []
    for i, cell in enumerate(HOSTILE_CELLS):
        rep = tr.verify({"u1": (cell + " 0.84147098", 0.54030231), f"{cell}": (1, 2), "v1": (cell, cell)})
        for fmt in LATEX_FORMATS:
            parts.append(rep.table(fmt))
    ok, log, fls = compile_latex("\n\n".join(parts), tmp_path)
    assert ok, log
    assert "/etc/passwd" not in fls
    assert not (tmp_path / "pwned").exists()


@needs_latex
def test_diff_table_compiles(tmp_path):
    from dualdiff.diffexpr import diff_expression

    body = "\n\n".join([diff_expression("sin(x)**2", {"x": "1"}, order=3, fmt="latex"),
                        diff_expression("x*y", {"x": "1", "y": "2"}, fmt="latex_booktabs")])
    ok, log, _ = compile_latex(body, tmp_path)
    assert ok, log


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_trace_json_parses_strictly(value):
    def bad(name):
        raise ValueError(name)

    tr = dd.trace_program("x = 1\ny = x * x\nz = y / y", at={"x": float(value)})
    doc = json.loads(tr.to_json(), parse_constant=bad)
    assert doc["inputs"]["x"] == value  # documented in docs/conventions.md: nan/inf as strings
    rep = tr.verify({"y": (float("nan"), float("inf"))})
    json.loads(rep.to_json(), parse_constant=bad)
