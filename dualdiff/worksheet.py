r"""Worksheets for students: the trace table with blank cells, its answer key, and one
variant per student of a roster.

* :func:`worksheet` renders a trace as a worksheet (Markdown, LaTeX or HTML) with the
  cells named by ``blank`` left empty (``"values"``, ``"derivs"``, ``"all"`` or a list
  of step names); ``answers=True`` gives the answer key (the blanks filled in, marked).
* :func:`make_variants` draws each student's inputs reproducibly from the student's id
  and a seed, within the ranges the program declares (``x = 1  # vary: 0.5..2``),
  rounded to the range's step (default 0.01) so that a student can compute by hand.
  The program is parsed once; each variant is a trace of it at the drawn inputs.
* :func:`read_roster` reads a roster CSV (columns ``id`` and ``name``).

A filled-in Markdown worksheet is a hand table that ``dualdiff check`` reads.

>>> import dualdiff as dd
>>> t = dd.trace_program("x = 1\nu = sin(x)")
>>> print(worksheet(t, blank="derivs", fmt="markdown", title="W"), end="")
# W
<BLANKLINE>
Evaluated at $x = 1$.
<BLANKLINE>
| step | expression | value | $\frac{\partial}{\partial x}$ |
|---|---|---|---|
| $x$ | input | 1 | 1 |
| $u$ | $\sin(x)$ | 0.841471 |  |
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["worksheet", "make_variants", "draw_inputs", "read_roster", "Student", "Variant",
           "write_worksheets", "FORMATS", "blank_cells", "match_student"]

FORMATS = {"markdown": ".md", "md": ".md", "latex": ".tex", "tex": ".tex", "html": ".html"}
MAX_ROSTER = 100_000
_ID_OK = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


@dataclass(frozen=True)
class Student:
    id: str
    name: str


@dataclass
class Variant:
    """One student's variant: the drawn inputs and the trace at them."""

    student: Student
    inputs: dict[str, float]
    trace: Any


# ---------------------------------------------------------------------------
# Which cells are blank
# ---------------------------------------------------------------------------
def blank_cells(trace: Any, blank: str | Sequence[str] = "all") -> set[tuple[str, str]]:
    """The (step, column) cells left for the student: ``"values"``, ``"derivs"``,
    ``"all"`` or step names (their value and derivative cells).  Inputs are given."""
    columns = ["value"] + [f"d/d{w}" for w in trace.wrt]
    steps = [s.name for s in trace.steps]
    if isinstance(blank, str):
        blank = [blank]
    blank = list(blank)
    if blank in (["all"], ["values"], ["derivs"]):
        which = {"all": columns, "values": ["value"], "derivs": columns[1:]}[blank[0]]
        return {(s, c) for s in steps for c in which}
    unknown = [b for b in blank if b not in steps]
    if unknown:
        raise ValueError(f"--blank: {', '.join(map(repr, unknown))} is not a step of the program; "
                         f"use values, derivs, all or steps among {', '.join(steps)}")
    return {(s, c) for s in blank for c in columns}


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------
def _num(v: Any, digits: int) -> str:
    from .numfmt import format_number

    return format_number(v, digits)


def _input_text(v: Any) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


def _cells(trace: Any, blanks: set[tuple[str, str]], answers: bool, digits: int):
    """Rows of (step name, expression node or None, [(text, is_blank)])."""
    columns = ["value"] + [f"d/d{w}" for w in trace.wrt]
    # an answer key must be right: where float lost digits (the precision audit), the
    # high-precision reference is shown instead of the float's digits
    audit = trace.audit() if callable(getattr(trace, "audit", None)) else None
    for s in trace.rows:
        cells = []
        lost = audit[s.name].inaccurate(digits) if audit is not None and s.name in audit.steps else []
        for c in columns:
            col = "value" if c == "value" else c[3:]
            v = s.value if c == "value" else s.derivs.get(col)
            if col in lost:
                v = audit[s.name].reference_value if col == "value" else audit[s.name].reference_derivs[col]
            text = _input_text(v) if s.is_input and c == "value" else _num(v, digits)
            is_blank = (s.name, c) in blanks
            cells.append(("" if is_blank and not answers else text, is_blank))
        yield s, cells


def worksheet(trace: Any, blank: str | Sequence[str] = "all", answers: bool = False, fmt: str = "markdown",
              digits: int = 6, title: str = "Forward mode by hand", student: Student | None = None) -> str:
    """The worksheet (or with ``answers=True`` its key) in ``markdown``, ``latex`` or ``html``."""
    kind = {"md": "markdown", "tex": "latex"}.get(fmt, fmt)
    if kind not in ("markdown", "latex", "html"):
        raise ValueError(f"worksheet format must be markdown, latex or html, got {fmt!r}")
    if not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an integer from 1 to 17, got {digits!r}")
    if getattr(trace, "has_arrays", False):  # vectors and matrices: one row per component
        trace = trace.component_view()
    blanks = blank_cells(trace, blank)
    title = title + (" — answer key" if answers else "")
    return {"markdown": _markdown, "latex": _latex, "html": _html}[kind](trace, blanks, answers, digits, title,
                                                                        student)


def _point(trace: Any, latex: bool) -> str:
    from .printing import name_to_latex

    parts = [f"{name_to_latex(s.name) if latex else s.name} = {_input_text(s.value)}" for s in trace.input_steps]
    return ", ".join(parts)


def _markdown(trace, blanks, answers, digits, title, student) -> str:
    from .printing import expr_to_latex, name_to_latex

    lines = [f"# {_md_text(title)}", ""]
    if student is not None:
        lines += [f"Student: {_md_text(student.name)} ({_md_text(student.id)})", ""]
    lines += [f"Evaluated at ${_point(trace, True)}$.", ""]
    heads = ["step", "expression", "value"] + [f"$\\frac{{\\partial}}{{\\partial {name_to_latex(w)}}}$"
                                               for w in trace.wrt]
    lines += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for s, cells in _cells(trace, blanks, answers, digits):
        expr = ("input" if s.is_input else _md_text(s.expr)) if s.node is None else f"${expr_to_latex(s.node)}$"
        texts = [f"**{t}**" if answers and b and t else t for t, b in cells]
        lines.append("| " + " | ".join([f"${name_to_latex(s.name)}$", expr] + texts) + " |")
    if answers:
        lines += ["", "Cells in bold are the ones the students fill in."]
    return "\n".join(lines) + "\n"


def _md_text(s: str) -> str:
    """Plain text safe inside Markdown (no table pipes, no markup)."""
    return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", " ".join(str(s).split()))


_TEX_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0308": '"', "\u0302": "^", "\u0303": "~", "\u0327": "c",
                "\u030c": "v", "\u0304": "="}
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "\u2014": "---", "\u2013": "--", "\u2019": "'", "\u2018": "`", "\u00df": r"{\ss}"}


def _tex_char(ch: str) -> str:
    """One character as plain pdflatex (no Unicode fonts) sets it: accented Latin letters
    as accent commands (ë → \\"{e}), anything else it cannot set as ?."""
    import unicodedata

    if ch in _TEX_SPECIAL:
        return _TEX_SPECIAL[ch]
    if ord(ch) < 128:
        return ch
    base, *marks = unicodedata.normalize("NFD", ch)
    if ord(base) < 128 and base.isalpha() and len(marks) == 1 and marks[0] in _TEX_ACCENTS:
        return f"\\{_TEX_ACCENTS[marks[0]]}{{{base}}}"
    return "?"


def _tex_text(s: str) -> str:
    return "".join(_tex_char(ch) for ch in " ".join(str(s).split()))


def _latex(trace, blanks, answers, digits, title, student) -> str:
    from .printing import expr_to_latex, name_to_latex

    ncols = 1 + len(trace.wrt)
    heads = [r"step", r"expression", r"value"] + [rf"$\frac{{\partial}}{{\partial {name_to_latex(w)}}}$"
                                                 for w in trace.wrt]
    rows = []
    for s, cells in _cells(trace, blanks, answers, digits):
        expr = ("input" if s.is_input else _tex_text(s.expr)) if s.node is None else f"${expr_to_latex(s.node)}$"
        texts = [(rf"\textbf{{{t}}}" if answers and b else f"${t}$" if t else "") for t, b in cells]
        rows.append(" & ".join([f"${name_to_latex(s.name)}$", expr] + texts) + r" \\[1.2ex] \hline")
    who = rf"Student: {_tex_text(student.name)} ({_tex_text(student.id)})\\" + "\n" if student else ""
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath}",
        r"\begin{document}",
        rf"\section*{{{_tex_text(title)}}}",
        r"\noindent " + who + rf"Evaluated at ${_point(trace, True)}$.",
        r"",
        r"\renewcommand{\arraystretch}{1.6}",
        r"\noindent\begin{tabular}{|l|l|" + "p{3.2cm}|" * ncols + "}",
        r"\hline",
        " & ".join(heads) + r" \\ \hline",
        *rows,
        r"\end{tabular}",
        r"",
        (r"\medskip Cells in bold are the ones the students fill in." if answers else ""),
        r"\end{document}",
        "",
    ])


_CSS = """
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #888; padding: 0.4em 0.8em; text-align: left; }
td.blank { min-width: 8em; background: #fff; }
td.answer { font-weight: bold; background: #eef6ee; }
td.num { font-family: monospace; }
"""


def _html(trace, blanks, answers, digits, title, student) -> str:
    from .printing import expr_to_text

    e = html.escape
    heads = ["step", "expression", "value"] + [f"∂/∂{w}" for w in trace.wrt]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
           f"<style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    if student is not None:
        out.append(f'<p class="student">Student: {e(student.name)} ({e(student.id)})</p>')
    out.append(f"<p>Evaluated at {e(_point(trace, False))}.</p>")
    out.append('<table class="worksheet"><thead><tr>' + "".join(f"<th>{e(h)}</th>" for h in heads)
               + "</tr></thead><tbody>")
    for s, cells in _cells(trace, blanks, answers, digits):
        expr = ("input" if s.is_input else s.expr) if s.node is None else expr_to_text(s.node)
        tds = []
        for (text, is_blank), col in zip(cells, ["value"] + [f"d/d{w}" for w in trace.wrt]):
            cls = "answer num" if answers and is_blank else "blank" if is_blank else "num"
            tds.append(f'<td class="{cls}" data-step="{e(s.name)}" data-column="{e(col)}">{e(text)}</td>')
        out.append(f"<tr><td>{e(s.name)}</td><td><code>{e(expr)}</code></td>{''.join(tds)}</tr>")
    out.append("</tbody></table>")
    if answers:
        out.append("<p>Highlighted cells are the ones the students fill in.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Rosters and variants
# ---------------------------------------------------------------------------
def read_roster(path: str | Path) -> list[Student]:
    """Students of a roster CSV: a header with ``id`` and ``name`` columns (any order,
    other columns ignored), or two columns id,name without a header."""
    from .files import read_limited

    raw = read_limited(path, 10 * 1024 * 1024, ValueError, "roster")
    text = raw.decode("utf-8-sig", errors="replace") if isinstance(raw, bytes) else str(raw)
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"roster {path}: no students")
    head = [c.strip().lower() for c in rows[0]]
    if "id" in head:
        i_id, i_name = head.index("id"), head.index("name") if "name" in head else None
        rows = rows[1:]
    else:
        i_id, i_name = 0, 1 if len(rows[0]) > 1 else None
    students: list[Student] = []
    seen: set[str] = set()
    for n, r in enumerate(rows, 2 if "id" in head else 1):
        sid = r[i_id].strip() if i_id < len(r) else ""
        name = r[i_name].strip() if i_name is not None and i_name < len(r) else ""
        if not _ID_OK.fullmatch(sid):
            raise ValueError(f"roster {path}, row {n}: student id {sid!r} must be letters, digits and . _ @ + - "
                             "(it names the student's files)")
        if sid in seen:
            raise ValueError(f"roster {path}, row {n}: student id {sid!r} appears twice")
        seen.add(sid)
        students.append(Student(sid, name))
        if len(students) > MAX_ROSTER:
            raise ValueError(f"roster {path}: more than {MAX_ROSTER} students")
    if not students:
        raise ValueError(f"roster {path}: no students")
    return students


def _decimals(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def draw_inputs(program: Any, student_id: str, seed: int | str = 0, attempt: int = 0) -> dict[str, float]:
    """The inputs of one student's variant: each input with a ``# vary:`` range drawn
    from sha256(seed, id, input, attempt) — the same on every machine and Python —
    as ``low + k·step``; inputs without a range keep their default."""
    out: dict[str, float] = {}
    for name, default in program.inputs.items():
        vary = program.vary.get(name)
        if vary is None:
            out[name] = float(default)
            continue
        n = int(math.floor((vary.high - vary.low) / vary.step + 1e-9))
        h = hashlib.sha256(f"{seed}\x00{student_id}\x00{name}\x00{attempt}".encode()).digest()
        k = int.from_bytes(h[:8], "big") % (n + 1)
        out[name] = round(vary.low + k * vary.step, _decimals(vary.step))
    return out


def make_variants(program: Any, students: Iterable[Student], seed: int | str = 0, wrt: Any = None,
                  tries: int = 20) -> list[Variant]:
    """One variant per student (see :func:`draw_inputs`).  A draw where the program is
    undefined or not finite (log of a negative, a division by 0) is drawn again, up to
    ``tries`` times, then refused with the reason."""
    from .trace import trace_program

    if isinstance(program, (str, Path)) and str(program).endswith(".dd"):
        from .trace import load_program

        program = load_program(program)
    elif isinstance(program, str):
        from .parse import parse_program

        program = parse_program(program)
    if not program.vary:
        raise ValueError("the program declares no ranges to vary; add one to an input, e.g. 'x = 1  # vary: 0.5..2'")
    out = []
    for st in students:
        last = ""
        for attempt in range(tries):
            inputs = draw_inputs(program, st.id, seed, attempt)
            try:
                tr = trace_program(program, at=inputs, wrt=wrt)
            except (ValueError, ArithmeticError) as exc:
                last = str(exc)
                continue
            if all(_finite(s.value) and all(_finite(d) for d in s.derivs.values()) for s in tr.rows):
                out.append(Variant(st, inputs, tr))
                break
            last = "a value or derivative is not finite"
        else:
            raise ValueError(f"student {st.id}: no usable inputs in {tries} draws ({last}); narrow the '# vary:' range")
    return out


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError, OverflowError):
        return True  # vectors: their own checks


def write_worksheets(program: Any, out_dir: str | Path, fmt: str = "markdown", blank: Any = "all",
                     answers: bool = False, students: Sequence[Student] | None = None, seed: int | str = 0,
                     force: bool = False, digits: int = 6, title: str = "Forward mode by hand",
                     at: Mapping[str, float] | None = None, wrt: Any = None) -> list[Path]:
    """Write worksheets (and keys with ``answers``) into ``out_dir``: ``worksheet.EXT``
    (and ``worksheet-key.EXT``), or per student ``ID.EXT`` (and ``ID-key.EXT``).
    Existing files are refused unless ``force``; nothing is written then."""
    from .trace import trace_program

    kind = {"md": "markdown", "tex": "latex"}.get(fmt, fmt)
    if kind not in ("markdown", "latex", "html"):
        raise ValueError(f"worksheet format must be markdown, latex or html, got {fmt!r}")
    ext = FORMATS[kind]
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: not a folder")
    jobs: list[tuple[Path, str]] = []
    if students:
        for v in make_variants(program, students, seed, wrt=wrt):
            jobs.append((out / f"{v.student.id}{ext}", worksheet(v.trace, blank, False, kind, digits, title, v.student)))
            if answers:
                jobs.append((out / f"{v.student.id}-key{ext}",
                             worksheet(v.trace, blank, True, kind, digits, title, v.student)))
    else:
        tr = trace_program(program, at=at, wrt=wrt)
        jobs.append((out / f"worksheet{ext}", worksheet(tr, blank, False, kind, digits, title)))
        if answers:
            jobs.append((out / f"worksheet-key{ext}", worksheet(tr, blank, True, kind, digits, title)))
    if not force:
        existing = [p for p, _ in jobs if p.exists()]
        if existing:
            raise ValueError(f"{existing[0]} exists ({len(existing)} file(s) would be overwritten); "
                             "use --force to overwrite")
    out.mkdir(parents=True, exist_ok=True)
    for path, text in jobs:
        path.write_text(text, encoding="utf-8")
    return [p for p, _ in jobs]


# ---------------------------------------------------------------------------
# Matching submissions to students
# ---------------------------------------------------------------------------
_STUDENT_LINE = re.compile(r"^\W*(?:student|id|student id)\b[^\n]*?[\s(:]([A-Za-z0-9][A-Za-z0-9._@+-]*)\)?\s*$",
                           re.IGNORECASE | re.MULTILINE)


def match_student(source: Any, students: Sequence[Student], text: str | None = None) -> Student:
    """The student a submission belongs to.

    1. The file name: the longest roster id that occurs in it as a whole token
       (``s001.md``, ``hw3_s001_final.md``; ``s0010.md`` is not ``s001``).
    2. Else a line of the submission naming the id, as the worksheets print it:
       ``Student: Ann Lee (s001)``, ``id: s001``.
    Two ids matching equally, or none, is an error naming the file.
    """
    by_id = {s.id: s for s in students}
    name = Path(str(source)).name
    hits = [sid for sid in by_id
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(sid)}(?![A-Za-z0-9])", name)]
    if hits:
        best = max(len(h) for h in hits)
        top = [h for h in hits if len(h) == best]
        if len(top) > 1:
            raise ValueError(f"{source}: the file name matches several students ({', '.join(sorted(top))})")
        return by_id[top[0]]
    if text is None:
        try:
            from .files import read_limited

            text = read_limited(source, 5 * 1024 * 1024, ValueError, "hand table").decode("utf-8", "replace")
        except ValueError:
            text = ""
    found = {m.group(1) for m in _STUDENT_LINE.finditer(text or "") if m.group(1) in by_id}
    if len(found) == 1:
        return by_id[found.pop()]
    if found:
        raise ValueError(f"{source}: names several students ({', '.join(sorted(found))})")
    raise ValueError(f"{source}: no student of the roster matches (put the student's id in the file name, "
                     "e.g. s001.md, or a line 'Student: NAME (ID)')")
