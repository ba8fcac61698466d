"""The course report (--report FILE.html): self-contained, rendered by a real headless
Chromium and checked on the DOM it builds (and on the colours it computes)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import dualdiff as dd
from dualdiff.report import VERDICT_COLOURS, course_report

ROOT = Path(__file__).resolve().parent.parent
WORKSHEET = ROOT / "traces" / "sincos_worksheet.dd"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def results():
    g = dd.Grader(dd.load_program(WORKSHEET))
    hostile = {"u1": ('<script>alert("x")</script> 0.84147098', "0.54030231"),
               "v1": ("0.54030123", "-0.84147098")}  # digits transposed
    out = g.check_many([ROOT / "docs/examples/hand_slip.md", ROOT / "docs/examples/hand_correct.csv",
                        ROOT / "no_such_submission.md"])
    out.append(("hostile <b>name</b>.md", g.check(hostile), ""))
    return out


def test_page_is_self_contained_and_escaped():
    page = course_report(results())
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "hostile &lt;b&gt;name&lt;/b&gt;.md" in page
    assert "<svg" in page and "<img" not in page


def _chromium(tmp: Path, args: list[str], timeout: int = 90) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-extensions", f"--user-data-dir={tmp / 'profile'}", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (Debian: apt-get install chromium)")
def test_rendered_dom_in_headless_chromium(tmp_path):
    page = course_report(results())
    # A probe (test-only, appended here: the report itself has no script) reads what the
    # browser computed: the colour of every verdict cell and the histogram's bars.
    probe = """<script>
    const out = [];
    for (const td of document.querySelectorAll('tr.cell td[class^="verdict-"]'))
      out.push(td.className + '=' + getComputedStyle(td).backgroundColor);
    const bars = [...document.querySelectorAll('svg.histogram rect.bar')].map(r => r.getAttribute('data-count'));
    const pre = document.createElement('pre'); pre.id = 'probe';
    pre.textContent = JSON.stringify({cells: out, bars: bars,
      sections: document.querySelectorAll('section.submission').length,
      svgWidth: document.querySelector('svg.histogram').getBoundingClientRect().width});
    document.body.appendChild(pre);
    </script></body>"""
    html_file = tmp_path / "report.html"
    html_file.write_text(page.replace("</body>", probe), encoding="utf-8")
    proc = _chromium(tmp_path, ["--dump-dom", html_file.as_uri()])
    dom = proc.stdout
    assert "<pre id=\"probe\">" in dom, proc.stderr[-2000:]
    import html as _html
    import json

    data = json.loads(_html.unescape(dom.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0]))
    assert data["sections"] == 3                       # three usable submissions
    assert sum(int(b) for b in data["bars"]) == 3      # each in one histogram bin
    assert data["svgWidth"] > 100                      # the inline SVG is laid out
    colours = {}
    for item in data["cells"]:
        cls, rgb = item.split("=", 1)
        colours.setdefault(cls, set()).add(rgb)

    def rgb(hex_: str) -> str:
        return f"rgb({int(hex_[1:3], 16)}, {int(hex_[3:5], 16)}, {int(hex_[5:7], 16)})"

    for verdict in ("correct", "carried", "wrong"):
        assert colours[f"verdict-{verdict}"] == {rgb(VERDICT_COLOURS[verdict])}
    # the script injected by the student's cell is text, not an element
    assert "alert(" in dom and dom.count("<script>") == 1
    # the diagnosis is beside the wrong cells
    wrong_rows = re.findall(r'<tr class="cell" data-verdict="wrong">(.*?)</tr>', dom, re.S)
    assert wrong_rows and all("diagnosis-codes" in r for r in wrong_rows)
    assert any("transposed" in r for r in wrong_rows)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (Debian: apt-get install chromium)")
def test_screenshot_renders(tmp_path):
    html_file = tmp_path / "report.html"
    html_file.write_text(course_report(results()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, [f"--screenshot={shot}", "--window-size=1200,900", html_file.as_uri()])
    assert shot.exists() and shot.stat().st_size > 10_000
