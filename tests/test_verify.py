"""Verifying hand tables: every verdict is the one a careful teaching assistant gives.

Reference numbers (the worksheet at x = 1, mpmath at 40 digits, 17 shown):
    u1 0.84147098480789651  0.54030230586813972     v1 0.54030230586813972 -0.84147098480789651
    u2 0.98218827476587283 -0.056589420797062701    v2 0.18789942233130546  0.29580434518135678
    u3 0.9207848093656193   0.093310789376839288    v3 0.39007093565340153 -0.22026546854660326
    u4 0.96640525169842238 -0.032630289041628533    v4 0.25702313026206199  0.12268966867734821
    u5 0.94027198389963354  0.030658387019982748    v5 0.3404241417606091  -0.084680311558848399
    y  0.32009128314057801 -0.069185669457635229
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import dualdiff as dd
from dualdiff.cli import main
from dualdiff.verify import parse_tol

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "verify"
WORKSHEET = ROOT / "traces" / "sincos_worksheet.dd"

REF = {  # value, d/dx
    "u1": (0.84147098480789651, 0.54030230586813972), "v1": (0.54030230586813972, -0.84147098480789651),
    "u2": (0.98218827476587283, -0.056589420797062701), "v2": (0.18789942233130546, 0.29580434518135678),
    "u3": (0.9207848093656193, 0.093310789376839288), "v3": (0.39007093565340153, -0.22026546854660326),
    "u4": (0.96640525169842238, -0.032630289041628533), "v4": (0.25702313026206199, 0.12268966867734821),
    "u5": (0.94027198389963354, 0.030658387019982748), "v5": (0.3404241417606091, -0.084680311558848399),
    "y": (0.32009128314057801, -0.069185669457635229),
}


@pytest.fixture(scope="module")
def worksheet():
    return dd.trace_program(dd.load_program(WORKSHEET))


def rounded(decimals=4, truncate=False):
    def r(v):
        if truncate:
            return math.trunc(v * 10 ** decimals) / 10 ** decimals
        return round(v, decimals)
    return {k: (f"{r(a):.{decimals}f}", f"{r(b):.{decimals}f}") for k, (a, b) in REF.items()}


def verdicts(report):
    return {(c.step, c.column): c.verdict for c in report.cells}


def test_rounded_and_truncated_tables_pass(worksheet):
    for table in (rounded(4), rounded(4, truncate=True), rounded(6)):
        r = worksheet.verify(table)
        assert r.ok, r.summary()
        assert r.counts["correct"] == 22
    # SPEC 7 (revised): two decimals leave at most 2 significant digits here (0.84, -0.06):
    # right as far as they go, but too few digits to earn a mark (min_digits = 3)
    r = worksheet.verify(rounded(2))
    assert r.counts["imprecise"] == 22 and r.score() == (0, 22) and not r.ok


def test_wrong_digit_fails(worksheet):
    table = rounded(4)
    table["v1"] = ("0.5463", table["v1"][1])       # transposed digits of 0.5403
    r = worksheet.verify(table)
    assert verdicts(r)[("v1", "value")] == "wrong"
    assert "expected 0.5403023059" in next(c.reason for c in r.cells if c.step == "v1" and c.column == "value")


def test_transcribed_worksheet_with_slips(worksheet):
    r = worksheet.verify(DATA / "worksheet_slips.md")
    v = verdicts(r)
    # u2 = 0.9812: transposed digits (true 0.9822) -- the slip
    assert v[("u2", "value")] == "wrong"
    # u2' = -0.0566 is correct (rounded) and v2 = 0.1879 is computed from the *true* u1, v1
    assert v[("u2", "d/dx")] == "correct" and v[("v2", "value")] == "correct"
    # u3 = 0.9208 uses u2 + v2: the true values give 0.9208, the student's 0.9812 + 0.1879 would
    # give sin(1.1691) = 0.9206: the student clearly did not use their wrong u2 -> correct
    assert v[("u3", "value")] == "correct"
    # v3' = 0.2203: wrong sign
    assert v[("v3", "d/dx")] == "wrong"
    # u4' left empty -> missing
    assert v[("u4", "d/dx")] == "missing"
    # y = 0.32009 correct at 5 decimals, y' = -0.0692 correct (rounded)
    assert v[("y", "value")] == "correct" and v[("y", "d/dx")] == "correct"
    assert not r.ok
    assert r.first_slip.step == "u2"


def test_error_carried_forward(worksheet):
    """One wrong early value poisons the rest: later cells are 'carried', not 'wrong'."""
    table = {}
    u, du, v, dv = 0.8, 0.5403, 0.5403, -0.8415     # u1 = 0.8 is the slip (sin 1 = 0.8415)
    table["u1"], table["v1"] = ("0.8000", "0.5403"), ("0.5403", "-0.8415")
    for k in range(2, 6):                            # the student continues correctly from u1 = 0.8
        s, ds = u + v, du + dv
        u, du, v, dv = math.sin(s), math.cos(s) * ds, math.cos(s), -math.sin(s) * ds
        table[f"u{k}"], table[f"v{k}"] = (f"{u:.4f}", f"{du:.4f}"), (f"{v:.4f}", f"{dv:.4f}")
    table["y"] = (f"{u * v:.4f}", f"{du * v + u * dv:.4f}")
    r = worksheet.verify(table)
    v_ = verdicts(r)
    assert v_[("u1", "value")] == "wrong"
    assert v_[("u1", "d/dx")] == "correct" and v_[("v1", "value")] == "correct"
    for k in range(2, 6):
        assert v_[(f"u{k}", "value")] == "carried", k
        assert v_[(f"v{k}", "value")] == "carried", k
    assert v_[("y", "value")] == "carried"
    # one slip costs one mark: the only wrong cell is u1's value
    assert r.counts["wrong"] == 1 and r.counts["missing"] == 0 and r.counts["carried"] >= 16
    assert all(c.slip == "u1" for c in r.cells if c.verdict == "carried")
    assert r.score() == (21, 22)
    n_ok, n_carried = r.counts["correct"], r.counts["carried"]
    assert r.score(carried_credit=0.5) == (n_ok + 0.5 * n_carried, 22)
    no_cf = worksheet.verify(table, carry_forward=False)
    assert no_cf.counts["carried"] == 0 and no_cf.counts["wrong"] == 1 + n_carried


def test_suspicious_convenient_zero(worksheet):
    table = rounded(4)
    table["u1"] = ("0.0000", table["u1"][1])
    u, v = 0.0, 0.5403
    s = u + v
    table["u2"] = (f"{math.sin(s):.4f}", table["u2"][1])
    r = worksheet.verify(table)
    assert verdicts(r)[("u2", "value")] == "carried"
    assert r.suspicious == ["u1 value = 0.0000"]
    assert "look at" in r.summary()


def test_wrong_variable_derivative_is_wrong(worksheet):
    table = rounded(4)
    table["u2"] = (table["u2"][0], "-0.1700")  # cos(u1+v1) * u1' only: chain rule applied to the wrong variable
    r = worksheet.verify(table)
    assert verdicts(r)[("u2", "d/dx")] == "wrong"


def test_missing_and_extra_rows(worksheet):
    table = rounded(4)
    del table["v3"]
    table["w9"] = ("1.0", "2.0")
    r = worksheet.verify(table)
    v = verdicts(r)
    assert v[("v3", "value")] == "missing" and v[("v3", "d/dx")] == "missing"
    assert v[("w9", "value")] == "extra"
    assert r.counts["extra"] == 2 and not r.ok


def test_unreadable_cell_is_missing_with_reason(worksheet):
    table = rounded(4)
    table["u1"] = ("about a half", table["u1"][1])
    r = worksheet.verify(table)
    cell = next(c for c in r.cells if c.step == "u1" and c.column == "value")
    assert cell.verdict == "missing" and "unreadable" in cell.reason


def test_rtol_atol(worksheet):
    table = {k: (a * (1 + 1e-7), b) for k, (a, b) in REF.items()}
    assert worksheet.verify(table, tol={"rtol": 1e-6}).ok
    assert not worksheet.verify(table, tol={"rtol": 1e-9}).ok
    assert parse_tol("rtol=1e-6,atol=1e-9").atol == 1e-9
    with pytest.raises(ValueError):
        parse_tol("rtol=abc")


def test_report_api(worksheet):
    r = worksheet.verify(rounded(4))
    c = r.cells[0]
    assert {c.step, c.column} and c.verdict in ("correct",) and c.expected is not None and c.given is not None
    assert r.counts == {"correct": 22, "carried": 0, "imprecise": 0, "wrong": 0, "missing": 0, "extra": 0}
    assert "✓ correct" in r.table()
    d = json.loads(r.to_json())
    assert d["ok"] is True and len(d["cells"]) == 22


def test_gradescope_document(worksheet):
    table = rounded(4)
    table["v1"] = ("0.5463", table["v1"][1])
    doc = worksheet.verify(table).gradescope()
    assert set(doc) >= {"score", "max_score", "tests"}
    assert doc["max_score"] == 22 and doc["score"] == 21
    assert len(doc["tests"]) == 11
    for t in doc["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output"}
        assert t["status"] in ("passed", "failed")
    failed = [t for t in doc["tests"] if t["status"] == "failed"]
    assert [t["name"] for t in failed] == ["step v1"]


def test_weights(worksheet):
    table = rounded(4)
    table["y"] = ("0.9000", table["y"][1])
    r = worksheet.verify(table, weights={"y": 5})
    assert r.score() == (20 + 5, 20 + 10)


def test_grader_reuses_one_trace():
    g = dd.Grader(WORKSHEET)
    reports = [g.check(rounded(4)), g.check(rounded(5, truncate=True))]  # >= 3 significant digits each
    assert all(r.ok for r in reports)


# ---------------------------------------------------------------- CLI
def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def md(table):
    lines = ["| step | value | d/dx |", "|---|---|---|"]
    lines += [f"| {k} | {a} | {b} |" for k, (a, b) in table.items()]
    return "\n".join(lines) + "\n"


def test_cli_check_exit_codes(tmp_path, capsys):
    good = write(tmp_path, "good.md", md(rounded(4)))
    assert main(["check", str(WORKSHEET), good]) == 0
    bad_t = rounded(4)
    bad_t["u3"] = ("0.1234", bad_t["u3"][1])
    bad = write(tmp_path, "bad.md", md(bad_t))
    assert main(["check", str(WORKSHEET), bad]) == 1
    out = capsys.readouterr().out
    assert "first slip: u3 value" in out
    assert main(["check", str(WORKSHEET), str(tmp_path / "nope.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dualdiff: error:") and err.count("\n") == 1


def test_cli_gradescope(tmp_path, capsys):
    t = rounded(4)
    t["u1"] = ("0.8000", t["u1"][1])
    p = write(tmp_path, "s.md", md(t))
    code = main(["check", str(WORKSHEET), p, "--format", "gradescope", "--carried-credit", "0.5"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["max_score"] == 22 and doc["score"] == 21


@pytest.mark.parametrize("content, needle", [
    ("", "empty"),
    ("just some prose without a table\n", ""),
    ("1,2,3\n4,5,6\n", ""),
    (b"\x00\x01\x02binary", ""),
])
def test_cli_malformed_hand_tables(tmp_path, capsys, content, needle):
    p = tmp_path / "h.md"
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    code = main(["check", str(WORKSHEET), str(p)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("dualdiff: error:") and err.count("\n") == 1 and needle in err


def test_cli_duplicate_and_unknown_steps(tmp_path, capsys):
    text = md(rounded(4)) + "| u1 | 0.1 | 0.2 |\n| q7 | 1 | 1 |\n"
    code = main(["check", str(WORKSHEET), write(tmp_path, "d.md", text)])
    out = capsys.readouterr().out
    assert code == 0 and "extra" in out and "duplicate" in out.lower()  # extra rows are shown, not penalised


def test_cli_batch_folder(tmp_path, capsys):
    sub = tmp_path / "subs"
    sub.mkdir()
    (sub / "a.md").write_text(md(rounded(4)))
    t = rounded(4)
    t["v2"] = ("0.5", t["v2"][1])
    (sub / "b.md").write_text(md(t))
    code = main(["check", str(WORKSHEET), str(sub)])
    out = capsys.readouterr().out
    assert code == 1
    assert "a.md" in out and "b.md" in out and "v2 value" in out and "22/22" in out
    code = main(["check", str(WORKSHEET), str(sub / "*.md"), "--format", "json"])
    assert set(json.loads(capsys.readouterr().out)) == {str(sub / "a.md"), str(sub / "b.md")}


def test_cli_bad_tol_and_credit(tmp_path, capsys):
    good = write(tmp_path, "g.md", md(rounded(4)))
    assert main(["check", str(WORKSHEET), good, "--tol", "bogus"]) == 2
    assert main(["check", str(WORKSHEET), good, "--carried-credit", "2"]) == 2
    assert main(["check", str(WORKSHEET), good, "--tol", "rtol=1e-2"]) == 0


def test_cli_weights(tmp_path, capsys):
    t = rounded(4)
    t["y"] = ("0.9000", t["y"][1])
    p = write(tmp_path, "w.md", md(t))
    code = main(["check", str(WORKSHEET), p, "--format", "gradescope", "--weight", "y=5", "--weight", "u1:d/dx=3"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["max_score"] == 20 + 10 + 2 and doc["score"] == 20 + 5 + 2
    assert main(["check", str(WORKSHEET), p, "--weight", "y=-1"]) == 2
