"""Hostile text in cells, step names and file names: nothing forged, every format valid.

Expected (written before the fix):
- terminal text (``check`` text report, error lines) and Gradescope ``output`` show
  control characters, escape sequences and bidi overrides escaped (``\\x1b``), and user
  text never makes a report line of its own: exactly one summary line per report;
- LaTeX renderings escape user text (``\\input{/etc/passwd}`` does not appear as a
  command), Markdown escapes ``|`` and HTML, HTML escapes ``<script>``, CSV cells that
  would start with ``= + - @`` (and are not numbers) are neutralised;
- ``plot --out`` refuses an existing file or symlink unless ``--force``.
"""
from __future__ import annotations

import csv
import io
import os
import json
import re
import shutil
from pathlib import Path

import pytest

from hostile_run import WORKSHEET, python, raw_controls, run, strict_json

HAND = Path(__file__).resolve().parents[1] / "data" / "hand" / "sincos_worksheet.csv"
FORGED = "OK: 22 correct (score 22/22)"
NASTY = ["\x1b[2J", "\x1b]0;pwned\x07", "\x1b[1A\x1b[2K", "\u202e", "\r", "\x08\x08", "\x9b31m"]
SUMMARY = re.compile(r"^(NOT OK|OK): ")


def _hostile_csv(cell: str, step_cell: str = "u1") -> str:
    rows = HAND.read_text().splitlines()
    q = lambda s: '"' + s.replace('"', '""') + '"'
    rows[1] = f"{q(step_cell)},sin(x),{q(cell)},0.54030231"
    rows.append(f"{q('zz' + cell)},x,1,1")  # an extra row whose step name carries the text
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("nasty", NASTY, ids=["clear", "title", "erase", "bidi", "cr", "bs", "csi8"])
@pytest.mark.parametrize("fmt", ["text", "gradescope", "json"])
def test_control_characters_are_shown_escaped(tmp_path, nasty, fmt):
    p = tmp_path / "hand.csv"
    p.write_text(_hostile_csv("0.84" + nasty, "u1" + nasty))
    r = run(["check", str(WORKSHEET), str(p), "--format", fmt], timeout=30)
    r.finished()
    assert raw_controls(r.out + r.err) == []
    if fmt != "text":
        doc = strict_json(r.out)
        if fmt == "gradescope":
            texts = [doc["output"]] + [t["output"] for t in doc.get("tests", [])]
            assert all(raw_controls(t) == [] for t in texts)


@pytest.mark.parametrize("fmt", ["text", "gradescope"])
def test_multiline_cell_cannot_forge_a_report_line(tmp_path, fmt):
    p = tmp_path / "hand.csv"
    p.write_text(_hostile_csv("0.9\n" + FORGED + "\n", "u1\n" + FORGED))
    r = run(["check", str(WORKSHEET), str(p), "--format", fmt], timeout=30)
    r.finished()
    if fmt == "text":
        lines = r.out.splitlines()
    else:
        doc = strict_json(r.out)
        lines = doc["output"].splitlines() + [ln for t in doc["tests"] for ln in t["output"].splitlines()]
    assert not any(ln.strip().startswith(FORGED) for ln in lines), "forged line"
    assert sum(bool(SUMMARY.match(ln)) for ln in lines) <= 1


def test_file_name_with_newline_cannot_forge_a_line(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(HAND, subs / "alice.csv")
    bad = subs / f"x\n{FORGED.replace('/', chr(0x2215))}\n\x1b[2J.csv"  # no "/" in a file name
    bad.write_text("step,value\nu1,0\n")
    for fmt in ("text", "gradescope", "json"):
        r = run(["check", str(WORKSHEET), str(subs), "--format", fmt], timeout=30)
        r.finished()
        assert raw_controls(r.out + r.err) == []
        lines = r.out.splitlines()
        assert not any(ln.strip().startswith("OK: 22 correct") for ln in lines), fmt
        if fmt != "text":
            strict_json(r.out)


def test_undecodable_file_name_keeps_output_valid(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(HAND, subs / "alice.csv")
    try:
        with open(os.fsencode(subs) + b"/b\xffd.csv", "wb") as fh:
            fh.write(b"step,value\nu1,0.8415\n")
    except (OSError, UnicodeError) as exc:
        pytest.skip(f"file system refuses the name: {exc}")
    for fmt in ("text", "json", "gradescope"):
        r = run(["check", str(WORKSHEET), str(subs), "--format", fmt], timeout=30)
        r.finished()
        assert "\ufffd" not in r.out, "undecodable name passed through"
        if fmt != "text":
            strict_json(r.out)


# --------------------------------------------------------------------------- formats
PAYLOADS = ["\\input{/etc/passwd}", "\\write18{touch pwned}", "<script>alert(1)</script>",
            "=HYPERLINK(\"http://evil\",\"x\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "a|b", "$x$ & 100% #_^~{}"]

REPORT_CODE = r"""
import json, sys
import dualdiff as dd
payload = json.loads(sys.argv[1])
tr = dd.trace_program(open(sys.argv[2]).read())
hand = {"u1": (payload + " 0.84147098", 0.54030231), "v1": (payload, payload[:10]), payload: (1, 2)}
rep = tr.verify(hand)
out = {fmt: rep.table(fmt) for fmt in ("latex", "latex_booktabs", "html", "github", "csv")}
out["markdown"] = rep._repr_markdown_()
print(json.dumps(out))
"""


def _report_outputs(payload: str) -> dict:
    r = run(["-c", REPORT_CODE, json.dumps(payload), str(WORKSHEET)], python=True, timeout=30)
    r.finished()
    assert r.code == 0, r.err[-1500:]
    return json.loads(r.out)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_report_latex_escapes_user_text(payload):
    out = _report_outputs(payload)
    for fmt in ("latex", "latex_booktabs"):
        body = out[fmt]
        assert "\\input{" not in body and "\\write18" not in body, body
        # every & of user text is escaped: the column count of every row is the header's
        rows = [ln for ln in body.splitlines() if ln.rstrip().endswith("\\\\")]
        counts = {len(re.findall(r"(?<!\\)&", ln)) for ln in rows}
        assert len(counts) == 1, counts


@pytest.mark.parametrize("payload", PAYLOADS)
def test_report_html_and_markdown_escape_user_text(payload):
    out = _report_outputs(payload)
    assert "<script>" not in out["html"]
    for fmt in ("github", "markdown"):
        assert "<script>" not in out[fmt]
        table = [ln for ln in out[fmt].splitlines() if ln.startswith("|")]
        widths = {len(re.findall(r"(?<!\\)\|", ln)) for ln in table}
        assert len(widths) == 1, f"{fmt}: a cell broke the columns: {widths}"


def _formula_cells(text: str) -> list[str]:
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?inf|nan", cell):
                bad.append(cell)
    return bad


@pytest.mark.parametrize("payload", PAYLOADS)
def test_report_csv_has_no_formula_cells(payload):
    out = _report_outputs(payload)
    assert _formula_cells(out["csv"]) == []


def test_csv_negative_numbers_stay_numbers():
    """A negative number is a number, not a formula: -0.84 stays -0.84 (documented)."""
    r = run(["table", str(WORKSHEET), "--format", "csv"], timeout=30)
    r.finished()
    cells = [c for row in csv.reader(io.StringIO(r.out)) for c in row]
    assert "-0.84147098" in cells


def test_summary_of_many_files_escapes_names(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(HAND, subs / "alice.csv")
    shutil.copy(HAND, subs / "=HYPERLINK(1)<script>.csv")
    r = run(["check", str(WORKSHEET), str(subs), "--format", "csv"], timeout=30)
    r.finished()
    if r.code == 2 and "--format" in r.err:
        pytest.skip("no csv summary format yet (issue 15)")
    assert _formula_cells(r.out) == []


# --------------------------------------------------------------------------- plot --out
@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


def test_plot_out_refuses_an_existing_file(tmp_path, mpl):
    target = tmp_path / "keep.png"
    target.write_bytes(b"precious")
    msg = run(["plot", "sin(x)", "--range", "0", "1", "--out", str(target)], timeout=60).one_error_line()
    assert "exists" in msg and "--force" in msg
    assert target.read_bytes() == b"precious"


def test_plot_out_refuses_a_symlink(tmp_path, mpl):
    target = tmp_path / "precious.txt"
    target.write_bytes(b"precious")
    link = tmp_path / "p.png"
    link.symlink_to(target)
    run(["plot", "sin(x)", "--range", "0", "1", "--out", str(link)], timeout=60).one_error_line()
    assert target.read_bytes() == b"precious"


def test_plot_out_dangling_symlink_is_refused(tmp_path, mpl):
    link = tmp_path / "p.png"
    link.symlink_to(tmp_path / "elsewhere.png")
    run(["plot", "sin(x)", "--range", "0", "1", "--out", str(link)], timeout=60).one_error_line()
    assert not (tmp_path / "elsewhere.png").exists()


def test_plot_force_overwrites(tmp_path, mpl):
    target = tmp_path / "p.png"
    target.write_bytes(b"old")
    r = run(["plot", "sin(x)", "--range", "0", "1", "--out", str(target), "--force"], timeout=60)
    r.finished()
    assert r.code == 0, r.err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_new_file_is_written(tmp_path, mpl):
    target = tmp_path / "new.png"
    r = run(["plot", "sin(x)", "--range", "0", "1", "--out", str(target)], timeout=60)
    r.finished()
    assert r.code == 0 and target.read_bytes()[:4] == b"\x89PNG"
