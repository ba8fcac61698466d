"""Run dualdiff in a child process with caps on time, memory and output size.

Every hostile case runs in its own process so that a hang, a memory blow-up or a
flood of output is a failed test, not a stuck or killed test session:

* wall time: ``timeout=`` (the child is killed and the test fails with "hung");
* address space: ``RLIMIT_AS`` (1.5 GiB by default; numpy + sympy need ~0.6 GiB);
* bytes written to any file, stdout included: ``RLIMIT_FSIZE`` (stdout and stderr go
  to files, so a 300 MB output is cut at the cap instead of filling the test's memory);
* CPU seconds: ``RLIMIT_CPU`` slightly above the wall-time cap.

What the suite expects of every entry point (written down before the code was fixed):

1. It ends: exit 0/1 with a result, or exit 2 with ONE line ``dualdiff: error: …`` on
   stderr, never a traceback, never a hang, never gigabytes of memory or output.
2. Nothing leaks: a file the user did not submit is never read into the output.
3. Nothing is forged: user text (cells, step names, file names) reaches a terminal
   with control characters, escape sequences and bidi overrides shown escaped (``\\x1b``),
   and never starts a report line of its own.
4. Every output is valid in its language: LaTeX compiles without running or reading
   anything, HTML and Markdown are escaped, CSV cells cannot run as formulas, JSON parses
   with a strict parser (no NaN/Infinity).
5. Bounded work: a valid but huge request is refused with a message naming the limit.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GiB = 1 << 30


@dataclass
class Result:
    code: int | None  # None when the child was killed for the time cap
    out: str
    err: str
    hung: bool
    signal: int | None

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]

    def one_error_line(self) -> str:
        """Assert the dualdiff error contract and return the message."""
        assert not self.hung, "hung (killed at the time cap)"
        assert self.signal is None, f"killed by signal {self.signal} (memory or output cap)"
        assert self.code == 2, f"exit {self.code}, stderr: {self.err[-500:]!r}"
        assert "Traceback" not in self.err, self.err[-2000:]
        assert len(self.err_lines) == 1, f"expected one error line, got: {self.err[-1000:]!r}"
        assert self.err_lines[0].startswith("dualdiff: error: "), self.err_lines[0]
        return self.err_lines[0]

    def finished(self) -> None:
        assert not self.hung, "hung (killed at the time cap)"
        assert self.signal is None, f"killed by signal {self.signal} (memory or output cap)"
        assert "Traceback" not in self.err, self.err[-2000:]


def _limits(mem: int, fsize: int, cpu: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        os.setsid()  # its own process group: the cap kills the child and anything it started
    return apply


def run(argv: list[str], *, timeout: float = 30, mem: int = 3 * GiB // 2, fsize: int = 20 << 20,
        cwd: str | Path | None = None, stdin: bytes | None = None, python: bool = False) -> Result:
    """``python -m dualdiff *argv`` (or ``python *argv`` with python=True) under the caps."""
    cmd = [sys.executable, *argv] if python else [sys.executable, "-m", "dualdiff", *argv]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8", MPLBACKEND="Agg")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=out, stderr=err, cwd=cwd, env=env,
                                preexec_fn=_limits(mem, fsize, int(timeout) + 5))
        hung = False
        try:
            proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            hung = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.seek(0)
        err.seek(0)
        o = out.read().decode("utf-8", "replace")
        e = err.read().decode("utf-8", "replace")
    code = proc.returncode
    sig = -code if code is not None and code < 0 and not hung else None
    return Result(None if hung else code, o, e, hung, sig)


def python(code: str, **kw) -> Result:
    """Run a Python snippet (``import dualdiff`` available) under the same caps."""
    return run(["-c", code], python=True, **kw)


def strict_json(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity (as JSON itself does)."""
    def bad(name: str):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=bad)


CONTROL = {chr(c) for c in range(0x20) if chr(c) not in "\n\t"} | {"\x7f"} | {chr(c) for c in range(0x80, 0xa0)}
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def raw_controls(text: str) -> list[str]:
    """Control characters and bidi overrides that would reach a terminal as written."""
    return sorted({repr(ch) for ch in text if ch in CONTROL or ch in BIDI})


WORKSHEET = REPO / "traces" / "sincos_worksheet.dd"
