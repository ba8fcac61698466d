"""Grading output that never breaks an autograder: one results.json per run, CSV per submission.

Gradescope runs ``run_autograder`` once per student and reads one ``results.json``: an empty
or doubled document is a broken autograder for that student, not a grade.  Every run of
``dualdiff check --format gradescope`` must therefore print exactly one document that
validates against Gradescope's schema, whatever the student handed in.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dualdiff.cli import main

from test_truth_table import TRUE, STEPS, dec, validate_gradescope

ROOT = Path(__file__).resolve().parent.parent
WORKSHEET = str(ROOT / "traces" / "sincos_worksheet.dd")


def md(rows: dict) -> str:
    return "| step | value | d/dx |\n|---|---|---|\n" + "".join(
        f"| {k} | {a} | {b} |\n" for k, (a, b) in rows.items())


GOOD = {k: (dec(TRUE[k][0], 4), dec(TRUE[k][1], 4)) for k in STEPS}


def slip_table() -> dict:
    """u1 = 0.8000 (sin 1 = 0.8415) and every later row computed from it: 1 wrong, 18 carried."""
    import mpmath as mp
    from test_truth_table import sincos_chain

    own = sincos_chain(1, {("u1", "value"): mp.mpf("0.8")}, decimals=6)
    t = {k: (dec(own[k][0], 6), dec(own[k][1], 6)) for k in STEPS}
    t["u1"] = ("0.8000", t["u1"][1])
    return t


def run(capsys, *args):
    code = main(["check", WORKSHEET, *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_document(out: str) -> dict:
    doc = json.loads(out)          # exactly one JSON document: json.loads refuses trailing text
    validate_gradescope(doc)
    return doc


UNUSABLE = {
    "empty.md": b"",
    "prose.md": b"I did not do the worksheet, sorry.\n",
    "binary.md": b"\x00\x01\x02\x03binary",
    "latin1.md": "| step | value |\n|---|---|\n| u1 | 0,8415 \xe9 |\n".encode("latin-1"),
    "noheader.csv": b"1,2,3\n4,5,6\n",
    "badjson.json": b'{"u1": [0.84,',
}


@pytest.mark.parametrize("name", sorted(UNUSABLE))
def test_unusable_submission_is_a_zero_with_a_reason(tmp_path, capsys, name):
    p = tmp_path / name
    p.write_bytes(UNUSABLE[name])
    code, out, err = run(capsys, p, "--format", "gradescope")
    assert code == 0, err
    doc = one_document(out)
    assert doc["score"] == 0 and doc["max_score"] == 22
    assert name in doc["output"] or "hand table" in doc["output"]
    assert len(doc["output"]) > 30  # a reason, not just a number


def test_missing_file_is_a_zero_with_a_reason(tmp_path, capsys):
    code, out, _ = run(capsys, tmp_path / "nothing.md", "--format", "gradescope")
    assert code == 0
    doc = one_document(out)
    assert doc["score"] == 0 and "not found" in doc["output"]


def test_stray_readme_beside_the_table_gives_one_document(tmp_path, capsys):
    (tmp_path / "table.md").write_text(md(GOOD))
    (tmp_path / "README.md").write_text("# my submission\nsee table.md\n")
    code, out, _ = run(capsys, tmp_path, "--format", "gradescope")
    doc = one_document(out)
    assert doc["score"] == 22 and doc["max_score"] == 22
    assert "README.md" in doc["output"]          # the ignored file is named, with its reason
    assert code == 0


def test_two_tables_give_one_document_with_the_best(tmp_path, capsys):
    bad = dict(GOOD)
    bad["v2"] = ("0.5", bad["v2"][1])
    (tmp_path / "a.md").write_text(md(bad))
    (tmp_path / "b.md").write_text(md(GOOD))
    code, out, _ = run(capsys, tmp_path / "a.md", tmp_path / "b.md", "--format", "gradescope")
    doc = one_document(out)
    assert doc["score"] == 22
    assert "a.md" in doc["output"] and "b.md" in doc["output"]


@pytest.mark.parametrize("credit", ["1", "0.5", "0.25", "0"])
def test_output_states_the_same_score(tmp_path, capsys, credit):
    p = tmp_path / "s.md"
    p.write_text(md(slip_table()))
    code, out, _ = run(capsys, p, "--format", "gradescope", "--carried-credit", credit)
    doc = one_document(out)     # validate_gradescope compares "score a/b" in output with the fields
    assert doc["score"] == pytest.approx(3 + 18 * float(credit))
    assert code == 1                   # a wrong cell: exit 1 (only unusable input is forgiven with 0)


def test_hide_expected_keeps_true_values_out(tmp_path, capsys):
    t = dict(GOOD)
    t["u3"] = ("0.1234", t["u3"][1])
    p = tmp_path / "s.md"
    p.write_text(md(t))
    code, out, _ = run(capsys, p, "--format", "gradescope", "--hide-expected")
    doc = one_document(out)
    text = json.dumps(doc)
    for k in STEPS:
        for v in TRUE[k]:
            for digits in (6, 8, 10):
                import mpmath as mp
                assert mp.nstr(v, digits) not in text, (k, mp.nstr(v, digits))
    assert "0.1234" in text and "wrong" in text
    code, out, _ = run(capsys, p, "--format", "gradescope")
    assert "0.92078" in out            # without the flag the expected value is shown


def test_csv_one_row_per_submission(tmp_path, capsys):
    (tmp_path / "a.md").write_text(md(GOOD))
    (tmp_path / "b.md").write_text(md(slip_table()))
    (tmp_path / "c.md").write_bytes(b"\x00\x00")
    (tmp_path / "d.md").write_bytes("| step | value | d/dx |\n|---|---|---|\n| u1 | 0.84 | 0.54 |\n"
                                    .encode("utf-16"))
    code, out, err = run(capsys, tmp_path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [Path(r["file"]).name for r in rows] == ["a.md", "b.md", "c.md", "d.md"]
    assert {"file", "score", "max", "correct", "carried", "wrong", "imprecise", "missing",
            "first slip"} <= set(rows[0])
    by = {Path(r["file"]).name: r for r in rows}
    assert float(by["a.md"]["score"]) == 22 and float(by["a.md"]["max"]) == 22
    assert by["b.md"]["wrong"] == "1" and by["b.md"]["carried"] == "18" and "u1" in by["b.md"]["first slip"]
    assert float(by["c.md"]["score"]) == 0 and by["c.md"]["error"]       # unusable: its own row, a reason
    assert by["d.md"]["imprecise"] == "2" and by["d.md"]["missing"] == "20"  # UTF-16 read: u1 only, 2 digits
    assert code == 2 or code == 1


def test_batch_isolation_text_report(tmp_path, capsys):
    (tmp_path / "a.md").write_text(md(GOOD))
    (tmp_path / "b.json").write_text('{"rows": 3}')
    (tmp_path / "c.md").write_bytes(b"\xff\xfe\x00")
    code, out, err = run(capsys, tmp_path)
    assert "a.md" in out and "22/22" in out
    assert "b.json" in out and "c.md" in out
    assert "Traceback" not in out + err
