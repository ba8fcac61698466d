"""A course report for a TA: one self-contained HTML page for many graded submissions.

The page has no scripts and loads nothing (styles inline, the histogram an inline SVG),
so it can be mailed, archived or opened offline.  At the top a summary: the score
histogram, the number of cells per verdict, the most common diagnoses and the
submissions that could not be read; below, every submission's table with each cell
coloured by its verdict, the number read beside the text written, and the diagnosis
beside each wrong cell.

>>> import dualdiff as dd
>>> t = dd.trace_program("x = 1\\nu = sin(x)")
>>> page = course_report([("ann.md", t.verify({"u": ("0.8415", "0.5403")}), "")])
>>> page.startswith("<!DOCTYPE html>") and "<script" not in page
True
"""
from __future__ import annotations

import html
from collections import Counter
from typing import Any, Sequence

__all__ = ["course_report", "VERDICT_COLOURS", "histogram_svg"]

VERDICT_COLOURS = {
    "correct": "#cdeccd", "carried": "#fff0b3", "wrong": "#f6c1c1", "imprecise": "#ffd8a8",
    "missing": "#e2e2e2", "extra": "#dde6ff",
}

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { margin-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #aaa; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.num { font-family: ui-monospace, monospace; white-space: nowrap; }
td.diagnosis { max-width: 40em; font-size: 0.92em; }
section.submission { border-top: 2px solid #ccc; margin-top: 1em; }
.summary-grid { display: flex; gap: 3em; flex-wrap: wrap; align-items: flex-start; }
.unusable { color: #a00; }
""" + "\n".join(f"td.verdict-{v}, span.verdict-{v} {{ background: {c}; }}" for v, c in VERDICT_COLOURS.items())


def _e(s: Any) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def histogram_svg(percentages: Sequence[float], bins: int = 10, width: int = 420, height: int = 180) -> str:
    """Scores (0–100) as an inline SVG bar chart with ``bins`` bins and labelled axes."""
    counts = [0] * bins
    for p in percentages:
        i = min(bins - 1, max(0, int(p / (100 / bins))))
        counts[i] += 1
    top = max(counts) or 1
    pad_l, pad_b, pad_t = 34, 26, 10
    bw = (width - pad_l - 6) / bins
    ph = height - pad_b - pad_t
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="histogram" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="score histogram">',
             f'<line x1="{pad_l}" y1="{pad_t + ph}" x2="{width - 4}" y2="{pad_t + ph}" stroke="#444"/>',
             f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + ph}" stroke="#444"/>']
    for i, c in enumerate(counts):
        h = ph * c / top
        x = pad_l + i * bw + 1
        lo, hi = int(i * 100 / bins), int((i + 1) * 100 / bins)
        parts.append(f'<rect class="bar" data-bin="{lo}-{hi}" data-count="{c}" x="{x:.1f}" y="{pad_t + ph - h:.1f}" '
                     f'width="{bw - 2:.1f}" height="{h:.1f}" fill="#5b8bd0"><title>{lo}–{hi} %: {c}</title></rect>')
        if c:
            parts.append(f'<text x="{x + (bw - 2) / 2:.1f}" y="{pad_t + ph - h - 2:.1f}" font-size="10" '
                         f'text-anchor="middle">{c}</text>')
    for i in range(0, bins + 1, 2):
        x = pad_l + i * bw
        anchor = "end" if i == bins else "middle"
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10" text-anchor="{anchor}">{i * 100 // bins}%</text>')
    parts.append(f'<text x="4" y="{pad_t + 8}" font-size="10">{top}</text>')
    parts.append("</svg>")
    return "".join(parts)


def course_report(results: Sequence[tuple[str, Any, str]], title: str = "dualdiff course report",
                  carried_credit: float = 1.0, hide_expected: bool = False, digits: int = 8) -> str:
    """The HTML page for ``results``: (submission name, report or None, error) triples,
    as :meth:`dualdiff.Grader.check_many` returns them."""
    from .numfmt import format_number
    from .diagnose import CATALOGUE

    usable = [(n, r) for n, r, _ in results if r is not None]
    unusable = [(n, err) for n, r, err in results if r is None]
    verdicts: Counter[str] = Counter()
    diagnoses: Counter[str] = Counter()
    percentages = []
    for _, r in usable:
        got, total = r.score(carried_credit)
        percentages.append(100.0 * got / total if total else 0.0)
        for c in r.cells:
            verdicts[c.verdict] += 1
            d = getattr(c, "diagnosis", None)
            if d is not None:
                for code in d.codes:
                    diagnoses[code] += 1
    mean = sum(percentages) / len(percentages) if percentages else 0.0
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>{_e(title)}</h1>",
           f'<p id="overview">{len(results)} submission(s), {len(usable)} graded, {len(unusable)} unusable; '
           f"mean score {mean:.1f} %.</p>",
           '<section id="summary"><h2>Summary</h2><div class="summary-grid">',
           f'<div><h3>Scores</h3>{histogram_svg(percentages)}</div>',
           '<div><h3>Cells per verdict</h3><table id="verdict-counts"><tr><th>verdict</th><th>cells</th></tr>']
    for v in VERDICT_COLOURS:
        if verdicts[v]:
            out.append(f'<tr><td class="verdict-{v}">{v}</td><td class="num" data-verdict="{v}">{verdicts[v]}</td></tr>')
    out.append('</table></div><div><h3>Most common diagnoses</h3><table id="diagnosis-counts">'
               "<tr><th>diagnosis</th><th>cells</th></tr>")
    for code, n in diagnoses.most_common(12):
        out.append(f'<tr><td>{_e(CATALOGUE.get(code, code))} <code>{_e(code)}</code></td>'
                   f'<td class="num" data-code="{_e(code)}">{n}</td></tr>')
    out.append("</table></div></div>")
    if unusable:
        out.append('<h3>Unusable submissions</h3><ul id="unusable">')
        out += [f'<li class="unusable"><b>{_e(n)}</b>: {_e(err)}</li>' for n, err in unusable]
        out.append("</ul>")
    out.append("</section>")
    for i, (name, r) in enumerate(usable, 1):
        got, total = r.score(carried_credit)
        out.append(f'<section class="submission" id="submission-{i}" data-name="{_e(name)}">'
                   f"<h2>{_e(name)}</h2><p>score {got:g}/{total:g}; {_e(r.summary())}</p>")
        heads = ["step", "column", "written", "read as"] + ([] if hide_expected else ["expected"]) + \
                ["verdict", "reason", "diagnosis"]
        out.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>")
        for c in r.cells:
            d = getattr(c, "diagnosis", None)
            f = getattr(c, "formula", None)
            notes = []
            if d is not None:
                notes.append(f'<span class="diagnosis-codes">[{_e(", ".join(d.codes))}]</span> {_e(d.sentence)}')
            if f is not None and not f.agrees:
                notes.append(f'<span class="formula">formula: {_e(f.sentence)}</span>')
            tds = [f"<td>{_e(c.step)}</td>", f"<td>{_e(c.column)}</td>",
                   f'<td class="num">{_e(" ".join((c.text or "").split()))}</td>',
                   f'<td class="num">{_e(format_number(c.given, digits) if c.given is not None else "")}</td>']
            if not hide_expected:
                tds.append(f'<td class="num">{_e(format_number(c.expected, digits))}</td>')
            tds += [f'<td class="verdict-{_e(c.verdict)}">{_e(c.verdict)}</td>', f"<td>{_e(c.reason)}</td>",
                    f'<td class="diagnosis">{"<br>".join(notes)}</td>']
            out.append(f'<tr class="cell" data-verdict="{_e(c.verdict)}">' + "".join(tds) + "</tr>")
        out.append("</table>")
        if r.problems:
            out.append("<p>Problems reading the table: " + _e("; ".join(f"{w}: {p}" for w, p in r.problems)) + "</p>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
