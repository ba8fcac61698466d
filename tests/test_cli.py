"""The command line: output, exit codes, one-line errors, python -m."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dualdiff.cli import main

ROOT = Path(__file__).resolve().parent.parent
WORKSHEET = str(ROOT / "traces" / "sincos_worksheet.dd")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_default(capsys):
    code, out, err = run(capsys, "table", WORKSHEET)
    assert code == 0 and err == ""
    assert out.splitlines()[0].startswith("| step")
    assert "| y      | u5 * v5      | 0.32009128 | -0.069185669 |" in out


def test_table_at_wrt_and_formats(capsys):
    code, out, _ = run(capsys, "table", WORKSHEET, "--at", "x=2", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["inputs"] == {"x": 2.0}
    code, out, _ = run(capsys, "table", str(ROOT / "traces" / "squared_error.dd"), "--wrt", "w", "--format", "csv")
    assert out.splitlines()[0] == "step,expression,value,d/dw"
    code, out, _ = run(capsys, "table", WORKSHEET, "--format", "latex", "--digits", "4")
    assert "\\begin{tabular}" in out and "0.8415" in out


def test_expand_and_adjoints(capsys):
    code, out, _ = run(capsys, "table", str(ROOT / "traces" / "baydin.dd"), "--expand")
    assert code == 0 and out.count("\n") == 2 + 2 + 5
    code, out, _ = run(capsys, "table", str(ROOT / "traces" / "backprop.dd"), "--adjoints")
    assert "39" in out


def test_diff(capsys):
    code, out, _ = run(capsys, "diff", "x**3*y + 3*x", "--at", "x=2,y=3")
    assert code == 0
    assert [line.split()[-1] for line in out.splitlines()[2:]] == ["30", "39", "8"]
    code, out, _ = run(capsys, "diff", "sin(x)", "--at", "x=0", "--order", "3", "--format", "plain")
    assert [line.split()[-1] for line in out.splitlines()[1:]] == ["0", "1", "0", "-1"]


@pytest.mark.parametrize("argv, needle", [
    (["table", "missing.dd"], "cannot read"),
    (["table", WORKSHEET, "--at", "z=1"], "does not use"),
    (["table", WORKSHEET, "--at", "x=abc"], "not a number"),
    (["table", WORKSHEET, "--at", "x"], "NAME=VALUE"),
    (["table", WORKSHEET, "--format", "nope"], "unknown table format"),
    (["table", WORKSHEET, "--wrt", "q"], "not an input"),
    (["tabel"], "invalid choice"),
    ([], "required"),
    (["diff", "sin(", "--at", "x=1"], "col"),
    (["diff", "y", "--at", "x=1"], "no value for y"),
    (["diff", "__import__('os')", "--at", "x=1"], ""),
    (["diff", "log(x)", "--at", "x=-1"], "log"),
])
def test_errors_are_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("dualdiff: error:") and err.count("\n") == 1, err
    assert needle in err
    assert "Traceback" not in err


def test_bad_program_file(capsys, tmp_path):
    bad = tmp_path / "bad.dd"
    bad.write_text("x = 1\ny = foo(x)\n")
    code, _, err = run(capsys, "table", str(bad))
    assert code == 2 and "line 2" in err and "foo" in err
    binary = tmp_path / "bin.dd"
    binary.write_bytes(b"\x00\xff\xfe")
    code, _, err = run(capsys, "table", str(binary))
    assert code == 2 and err.count("\n") == 1


@pytest.mark.parametrize("cmd", ["table", "diff", "check", "plot"])
def test_help_has_example(capsys, cmd):
    code, out, _ = run(capsys, cmd, "--help")
    assert code == 0 and "example" in out


def test_python_m_matches_console_script():
    a = subprocess.run([sys.executable, "-m", "dualdiff", "table", WORKSHEET], capture_output=True, text=True)
    b = subprocess.run(["dualdiff", "table", WORKSHEET], capture_output=True, text=True)
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout and a.stdout


def test_no_traceback_from_subprocess(tmp_path):
    r = subprocess.run([sys.executable, "-m", "dualdiff", "table", str(tmp_path / "nope.dd")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("dualdiff: error:") and "Traceback" not in r.stderr


def test_table_path_does_not_import_sympy():
    code = ("import sys; from dualdiff.cli import main; main(['table', %r]); "
            "print('SYMPY' if 'sympy' in sys.modules else 'NOSYMPY', file=sys.stderr)" % WORKSHEET)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "NOSYMPY" in r.stderr


def test_at_and_wrt_take_several_values(capsys):
    prog = str(ROOT / "traces" / "squared_error.dd")
    code, a, _ = run(capsys, "table", prog, "--at", "w=1", "b=0", "--wrt", "w", "b", "--format", "csv")
    code2, b, _ = run(capsys, "table", prog, "--at", "w=1,b=0", "--wrt", "w,b", "--format", "csv")
    assert code == code2 == 0 and a == b
    assert a.splitlines()[0] == "step,expression,value,d/dw,d/db"
    assert a.splitlines()[1] == "w,input,1,1,0"
