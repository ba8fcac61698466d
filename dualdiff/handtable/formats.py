r"""Hand-table formats: dict, CSV/TSV, JSON, Markdown and LaTeX tables into a ``HandTable``.

Accepted sources
================

* **dict** ``{step: (value, d/d<wrt[0]>, d/d<wrt[1]>, ...)}`` -- a tuple/list in
  ``wrt`` order, a bare number (value only), or a dict keyed by column headers
  (``{"value": 0.84, "d/dx": 0.54}``).  Entries may be numbers or strings; a
  float's decimals are those of its shortest ``repr``.
* **CSV** (``.csv``; ``.tsv`` and ``;``-separated files too): a header row
  ``step,value,d/dx,...`` then one row per step.
* **JSON** (``.json``), any of::

      {"u1": [0.8415, 0.5403], ...}
      {"u1": {"value": 0.8415, "d/dx": 0.5403}, ...}
      {"steps": [{"name": "u1", "value": 0.8415, "derivs": {"x": 0.5403}}, ...]}

  (the last is dualdiff's own ``to_json``; a bare list of such step objects is
  accepted as well).  Numbers keep the digits written in the file.
* **Markdown** (``.md``, ``.markdown``): the *first* pipe table in the file that
  has a step column is used; prose, headings and other tables (a grading rubric,
  say) before or after it are ignored.  A GitHub separator row is optional;
  ``tabulate``'s ``grid`` rules (``+----+``) are skipped.
* **LaTeX tabular** rows (``u_1 & 0.8415 & 0.5403 \\``), used when no pipe table
  is present (``.tex``, or sniffed).
* ``.txt`` files and text strings are sniffed: JSON if they start with ``{`` or
  ``[``, Markdown if they hold a pipe table, LaTeX if they hold ``&``-rows,
  otherwise CSV.

Limits and errors
=================

A ``str`` source is a file path unless it holds a newline, starts with ``{`` or
``[``, or contains ``|``; then it is the table itself.  :class:`HandTableError`
(a ``ValueError`` with a one-line message) is raised for a missing file, a
directory, a file over 5 MB, a binary file (NUL bytes) or one that is not UTF-8,
an empty file, invalid JSON, no table, a first row of numbers (no header), no
step column, or no value/derivative column.  Everything smaller is recorded, not
raised: unreadable cells carry a ``problem``; duplicate steps (the first is
kept), rows without a step name, unknown columns and surplus cells go to
:attr:`HandTable.problems` as ``(where, reason)``.  Cells over 4096 characters
are not read.
"""
from __future__ import annotations

import contextvars
import csv
import io
import json
import numbers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..files import read_limited
from .cells import is_blank_text, make_cell, read_cell
from .headers import classify_header, deriv2_name, normalize_step_name, second_derivative_pair, var_key
from .markup import quote
from .model import HandCell, HandTable, HandTableError

__all__ = ["read_hand_table", "MAX_BYTES"]

MAX_BYTES = 5 * 1024 * 1024  # a hand table is a page or two; anything bigger is a mistake


# ---------------------------------------------------------------------------
# From a grid of text cells to a HandTable
# ---------------------------------------------------------------------------

@dataclass
class _Builder:
    """Collects rows and problems; numbers are read at the end, per column, so
    that a column's decimal-comma convention can settle ambiguous cells."""

    wrt: list[str]
    source: str
    groups: list[str] = field(default_factory=lambda: list(_GROUPS.get()))  # vector inputs: "d/dx" holds a list
    columns: list[str] = field(default_factory=list)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    loose: dict[str, str] = field(default_factory=dict)  # column -> variable named, mapped loosely

    def column_for(self, kind: str, var: str | None, header: str, where: str) -> str | None:
        if kind == "value":
            return "value"
        if kind == "deriv2":
            pair = second_derivative_pair(var or "", self.wrt)
            if isinstance(pair, str):
                self.problems.append((where, f"second-derivative column {quote(header)}: {pair}"))
                return None
            return deriv2_name(*pair)
        if kind != "deriv":
            return None
        keys = {var_key(w): w for w in self.wrt}
        if var is None:
            if not self.wrt:
                self.problems.append(
                    (where, f"derivative column {quote(header)} names no input and wrt is empty"))
                return None
            return "d/d" + self.wrt[0]
        if var_key(var) in keys:
            return "d/d" + keys[var_key(var)]
        groups = {var_key(g): g for g in self.groups}
        if var_key(var) in groups:
            return "d/d" + groups[var_key(var)]
        if not self.wrt:
            return "d/d" + var
        if len(self.wrt) == 1:
            col = "d/d" + self.wrt[0]
            self.loose[col] = var_key(var)
            return col
        inputs = ", ".join(self.wrt)
        reason = f"column {quote(header)}: {quote(var)} is not an input (inputs: {inputs})"
        self.problems.append((where, reason))
        return None

    def add_column(self, col: str, where: str, header: str) -> bool:
        if col in self.columns:
            self.problems.append((where, f"second {col} column {quote(header)} ignored"))
            return False
        self.columns.append(col)
        return True

    def add_row(self, name_text: str, cells: Mapping[str, Any], where: str) -> None:
        name = normalize_step_name(name_text) if name_text is not None else ""
        if not name:
            if any(not _is_blank(v) for v in cells.values()):
                self.problems.append((where, "row has no step name"))
            return
        if name in self.raw:
            self.problems.append((where, f"duplicate step {quote(name)}: the first one is kept"))
            return
        self.raw[name] = dict(cells)

    def build(self) -> HandTable:
        # A loosely mapped "dy/du" with one input is really an adjoint-style
        # column when "u" is a step of this very table: do not guess then.
        for col, var in self.loose.items():
            if var in self.raw:
                self.problems.append(
                    (col, f"derivative column names step {quote(var)}, not the input {self.wrt[0]!r}"))
                self.columns.remove(col)
        order = (["value"] if "value" in self.columns else []) + \
                ["d/d" + w for w in self.wrt if "d/d" + w in self.columns]
        order += [c for c in self.columns if c not in order]
        rows: dict[str, dict[str, HandCell]] = {}
        modes = {c: self._decimal_comma_mode(c) for c in order}
        for name, cells in self.raw.items():
            rows[name] = {c: make_cell(cells.get(c), modes[c]) for c in order}
        return HandTable(order, rows, self.problems, self.source)

    def _decimal_comma_mode(self, col: str) -> bool | None:
        styles = set()
        for cells in self.raw.values():
            v = cells.get(col)
            if isinstance(v, str):
                styles.add(read_cell(v).style)
        styles.discard(None)
        if styles == {"comma"}:
            return True
        if styles == {"period"}:
            return False
        return None


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and is_blank_text(v))


# ---------------------------------------------------------------------------
# Grids: CSV, Markdown, LaTeX
# ---------------------------------------------------------------------------

def _looks_like_data(cells: list[str]) -> bool:
    """A 'header' whose cells after the first are plain numbers is a data row."""
    rest = [c for c in cells[1:] if c.strip()]
    return bool(rest) and all(re.fullmatch(r"\s*[+\-−]?\d[\d.,eE+\-]*\s*", c) for c in rest)


def _grid_to_table(grid: list[tuple[str, list[str]]], wrt: list[str], source: str) -> HandTable:
    """grid: (where, cells) with the header first.  Raises HandTableError."""
    if not grid:
        raise HandTableError(f"{source}: no table found")
    where0, header = grid[0]
    if _looks_like_data(header):
        raise HandTableError(
            f"{source}: no header row ({where0} holds numbers: {quote(', '.join(header[:3]))})")
    kinds = [classify_header(h, i) for i, h in enumerate(header)]
    step_idx = next((i for i, (k, _) in enumerate(kinds) if k == "step"), None)
    if step_idx is None and kinds and kinds[0][0] == "unknown" and \
            any(k in ("value", "deriv", "deriv2") for k, _ in kinds[1:]):
        step_idx = 0
    if step_idx is None:
        shown = quote(" | ".join(h.strip() for h in header), 80)
        raise HandTableError(f"{source}: no step column in header {shown}")
    b = _Builder(wrt, source)
    colmap: dict[int, str] = {}
    for i, (h, (kind, var)) in enumerate(zip(header, kinds)):
        if i == step_idx or kind in ("expr", "ignore"):
            continue
        if kind == "step":
            b.problems.append((f"column {i + 1}", f"second step column {quote(h.strip())} ignored"))
            continue
        if kind == "unknown":
            if h.strip():
                b.problems.append((f"column {i + 1}", f"column {quote(h.strip())} not recognised"))
            continue
        col = b.column_for(kind, var, h.strip(), f"column {i + 1}")
        if col is not None and b.add_column(col, f"column {i + 1}", h.strip()):
            colmap[i] = col
    norm_header = [c.strip() for c in header]
    for where, cells in grid[1:]:
        if [c.strip() for c in cells] == norm_header:
            continue  # header repeated after a page break
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            b.problems.append(
                (where, f"{len(cells)} cells but the header has {len(header)}; extra cells ignored"))
        name = cells[step_idx] if step_idx < len(cells) else ""
        row = {col: (cells[i] if i < len(cells) else "") for i, col in colmap.items()}
        b.add_row(name, row, where)
    if not colmap:
        raise HandTableError(f"{source}: no value or derivative column in header "
                             f"{quote(' | '.join(h.strip() for h in header), 80)}")
    if not b.raw:
        b.problems.append((source, "table has no rows"))
    return b.build()


_SEPARATOR_ROW = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?")  # fullmatch on a stripped line
_GRID_RULE = re.compile(r"^\s*\+[-=+:]+\+\s*$")


_UNESCAPED_BAR = re.compile(r"(?<!\\)\|")


def _split_pipe_row(line: str) -> list[str]:
    """The cells of a ``| a | b |`` row; ``\\|`` is a literal bar inside a cell.

    A bar right after a backslash is always that escape (a backslash pairs only with a
    following bar), so the real bars are those without a backslash before them.

    >>> _split_pipe_row(r"| a \\| b | c |")
    ['a | b', 'c']
    """
    s = line.strip()
    if "\\|" in s:
        cells = [c.replace("\\|", "|") for c in _UNESCAPED_BAR.split(s)]
    else:
        cells = s.split("|")
    if s.startswith("|"):
        cells = cells[1:]
    if s.endswith("|") and not s.endswith("\\|") and cells:
        cells = cells[:-1]
    return [c.strip() for c in cells]


def _has_pipe(line: str) -> bool:
    return "|" in line.replace("\\|", "")


def _pipe_blocks(lines: list[str]) -> list[list[tuple[str, list[str]]]]:
    blocks, cur = [], []
    for n, line in enumerate(lines, 1):
        if _has_pipe(line) or (cur and _GRID_RULE.match(line)):
            if _SEPARATOR_ROW.fullmatch(line.strip()) or _GRID_RULE.match(line):
                continue
            cur.append((f"line {n}", _split_pipe_row(line)))
        else:
            if cur:
                blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    # A lone line with a "|" in prose ("P(y | x)") is not a table: a table has
    # a header and at least one more row.
    return [blk for blk in blocks if len(blk) >= 2]


_LATEX_SKIP = re.compile(r"^\s*\\(?:hline|toprule|midrule|bottomrule|cline\{[^}]*\}|begin|end)\b.*$|^\s*%")


def _latex_blocks(lines: list[str]) -> list[list[tuple[str, list[str]]]]:
    blocks, cur = [], []
    for n, line in enumerate(lines, 1):
        body = re.sub(r"\\(?:hline|toprule|midrule|bottomrule)", "", line)
        if "&" in body.replace("\\&", "") and not _LATEX_SKIP.match(line):
            body = re.sub(r"\\\\\s*$", "", body.rstrip())
            cells = [c.strip() for c in re.split(r"(?<!\\)&", body)]
            cur.append((f"line {n}", cells))
        elif _LATEX_SKIP.match(line) or not line.strip():
            if not line.strip() and cur:
                blocks.append(cur)
                cur = []
        else:
            if cur:
                blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def _first_usable(blocks: list[list[tuple[str, list[str]]]], wrt: list[str], source: str,
                  kind: str) -> HandTable:
    first_error: HandTableError | None = None
    for block in blocks:
        try:
            return _grid_to_table(block, wrt, source)
        except HandTableError as e:
            first_error = first_error or e
    if first_error is not None and len(blocks) == 1:
        raise first_error
    if blocks:
        raise HandTableError(f"{source}: none of the {len(blocks)} {kind} tables has a step column")
    raise HandTableError(f"{source}: no table found")


def _read_markdown(text: str, wrt: list[str], source: str) -> HandTable:
    lines = text.splitlines()
    # "\begin{tabular}{l|r}" has a pipe but is not a pipe-table row.
    pipe_lines = ["" if re.match(r"\s*\\(?:begin|end)\b", ln) else ln for ln in lines]
    blocks = _pipe_blocks(pipe_lines)
    latex = _latex_blocks(lines)
    if blocks:
        try:
            return _first_usable(blocks, wrt, source, "pipe")
        except HandTableError:
            if not latex:
                raise
    if latex:
        return _first_usable(latex, wrt, source, "LaTeX")
    raise HandTableError(f"{source}: no table found (expected a Markdown pipe table)")


def _read_csv(text: str, wrt: list[str], source: str) -> HandTable:
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if "\t" in first:
        delimiter = "\t"
    elif ";" in first and "," not in first:
        delimiter = ";"  # the usual delimiter where the comma is the decimal mark
    else:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    grid = []
    try:
        for row in reader:
            if any(c.strip() for c in row):
                grid.append((f"line {reader.line_num}", [c.strip() for c in row]))
    except csv.Error as e:
        raise HandTableError(f"{source}: not readable as CSV: {e}") from None
    if not grid:
        raise HandTableError(f"{source}: no table found")
    if len(grid[0][1]) < 2:
        raise HandTableError(f"{source}: no table found (the first line has a single column)")
    return _grid_to_table(grid, wrt, source)


# ---------------------------------------------------------------------------
# JSON and dict
# ---------------------------------------------------------------------------

class _JsonNumber(str):
    """A number from a JSON file kept as written, so "0.8410" keeps 4 decimals."""


_STEP_OBJECT_KEYS = {"name", "step", "node", "id"}
_STEP_OBJECT_IGNORED = {"expr", "expression", "formula", "adjoint", "kink", "nonfinite", "note", "notes",
                        "accuracy"}


def _object_cells(item: Mapping[Any, Any], b: _Builder, reported: set[str], where: str) -> dict[str, Any]:
    """Cells of one step object: ``{"value": v, "d/dx": d}`` or, as ``to_json``
    writes it, ``{"value": v, "derivs": {"x": d}}``.  A key that cannot be used
    is reported once for the whole table, not once per step."""
    cells: dict[str, Any] = {}

    def use(col: str | None, v: Any) -> None:
        if col is not None and col not in cells:
            if col not in b.columns:
                b.columns.append(col)
            cells[col] = v

    def report(key: str, reason: str) -> None:
        if key not in reported:
            reported.add(key)
            b.problems.append((where, reason))

    keys = {var_key(w): w for w in b.wrt}
    for k, v in item.items():
        k = str(k)
        if k in _STEP_OBJECT_KEYS or k in _STEP_OBJECT_IGNORED:
            continue
        if k == "derivs2" and isinstance(v, Mapping):  # to_json of an order-2 trace: {"w,b": …}
            for pair, d in v.items():
                names = [p.strip() for p in str(pair).split(",")]
                found = [keys.get(var_key(n)) for n in names]
                if len(found) == 2 and None not in found:
                    a, c = sorted(found, key=b.wrt.index)
                    use(deriv2_name(a, c), d)
                else:
                    report("derivs2." + str(pair), f"second derivative {quote(str(pair))}: not a pair of wrt {b.wrt}")
            continue
        if k == "derivs" and isinstance(v, Mapping):
            for var, d in v.items():
                vk = var_key(str(var))
                if vk in keys:
                    use("d/d" + keys[vk], d)
                elif not b.wrt:
                    use("d/d" + str(var), d)
                else:
                    report("derivs." + vk, f"derivative w.r.t. {quote(str(var))}: not in wrt {b.wrt}")
            continue
        kind, var = classify_header(k, 1)
        if kind in ("value", "deriv", "deriv2"):
            if k in reported:
                continue
            col = b.column_for(kind, var, k, where)
            if col is None:
                reported.add(k)
            use(col, v)
        elif kind == "unknown":
            report(k, f"key {quote(k)} not recognised")
    return cells


def _from_mapping(data: Mapping[Any, Any], wrt: list[str], source: str) -> HandTable:
    """``{step: (value, d/dx, ...)}``, ``{step: {"value": v, ...}}`` or ``{step: v}``."""
    if "steps" in data and isinstance(data["steps"], list):
        return _from_step_list(data["steps"], wrt, source)
    b = _Builder(wrt, source)
    reported: set[str] = set()
    positional = ["value"] + ["d/d" + w for w in wrt]
    for key, entry in data.items():
        where = f"{source} key {quote(str(key))}"
        cells: dict[str, Any] = {}
        if isinstance(entry, (list, tuple)):
            if len(entry) > len(positional):
                b.problems.append((where, f"{len(entry)} entries, expected at most {len(positional)} "
                                          f"(value, then one derivative per input in wrt {wrt})"))
            for col, v in zip(positional, entry):
                if col not in b.columns:
                    b.columns.append(col)
                cells[col] = v
        elif isinstance(entry, Mapping):
            cells = _object_cells(entry, b, reported, where)
        elif entry is None or isinstance(entry, (str, numbers.Real)):
            if "value" not in b.columns:
                b.columns.append("value")
            cells["value"] = entry
        else:
            b.problems.append((where, f"a {type(entry).__name__} is not a row"))
            continue
        b.add_row(str(key), cells, where)
    return b.build()


def _from_step_list(steps: list[Any], wrt: list[str], source: str) -> HandTable:
    """``[{"name": "u1", "value": v, "derivs": {"x": d}}, ...]`` (``to_json``'s steps)."""
    b = _Builder(wrt, source)
    reported: set[str] = set()
    for i, item in enumerate(steps):
        where = f"steps[{i}]"
        if not isinstance(item, Mapping):
            b.problems.append((where, "not an object"))
            continue
        name = next((item[k] for k in _STEP_OBJECT_KEYS if k in item), None)
        cells = _object_cells(item, b, reported, where)
        b.add_row(None if name is None else str(name), cells, where)
    return b.build()


# Keys that wrap a table rather than name a step: {"rows": [...]}, {"table": {...}}.
_WRAPPERS = ("rows", "steps", "table", "cells", "entries", "results", "answers", "worksheet",
             "hand_table", "handtable", "data")
_ONLY_WRAPPERS = _WRAPPERS[:-1]  # "data" might be a step's name: refused only when it is a list of rows


def _is_row_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, (Mapping, list)) for i in v)


def _is_row_mapping(v: Any) -> bool:
    if not isinstance(v, Mapping) or not v:
        return False
    kinds = [classify_header(str(k), 1)[0] for k in v]
    return not any(k in ("value", "deriv", "deriv2") for k in kinds) and "derivs" not in v


def _unwrap(data: Mapping[Any, Any], wrt: list[str], source: str) -> HandTable:
    """A JSON object that wraps the table (``{"rows": [...]}``, ``{"steps": [...]}``,
    ``{"student": "Ann", "table": {...}}``): the wrapped rows are read, other keys are
    noted; a wrapper holding no rows is refused with the reason (never a step "rows")."""
    keys = {str(k).strip().lower(): k for k in data}
    for word in _WRAPPERS:
        if word not in keys:
            continue
        key, inner = keys[word], data[keys[word]]
        if _is_row_list(inner):
            if all(isinstance(i, list) for i in inner):
                table = _from_row_lists(inner, wrt, source)
            else:
                table = _from_step_list(inner, wrt, source)
        elif _is_row_mapping(inner):
            table = _from_mapping(inner, wrt, source)
        elif word in _ONLY_WRAPPERS:
            what = "nothing" if inner is None else ("an empty " if not inner else "a ") + (
                "number" if isinstance(inner, str) else type(inner).__name__)
            raise HandTableError(f"{source}: key {quote(str(key))} holds {what}, not the table's rows "
                                 "(expected a list of steps or an object of steps)")
        else:
            continue
        others = [str(k) for k in data if k != key and str(k) not in ("inputs", "wrt")]  # to_json's own
        if others:
            table.problems.append((source, f"keys beside {quote(str(key))} ignored: "
                                           + ", ".join(quote(k) for k in others[:5])))
        return table
    return _from_mapping(data, wrt, source)


def _from_row_lists(rows: list[Any], wrt: list[str], source: str) -> HandTable:
    """``[["u1", 0.84, 0.54], ...]``: a step name, then the value and the derivatives."""
    if not all(r and type(r[0]) is str for r in rows):  # JSON numbers arrive as _JsonNumber
        raise HandTableError(f"{source}: rows given as lists must start with the step name")
    return _from_mapping({r[0]: list(r[1:]) for r in rows}, wrt, source)


def _read_json(text: str, wrt: list[str], source: str) -> HandTable:
    try:
        data = json.loads(text, parse_float=_JsonNumber, parse_int=_JsonNumber,
                          parse_constant=_JsonNumber)
    except json.JSONDecodeError as e:
        raise HandTableError(
            f"{source}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise HandTableError(f"{source}: JSON nested too deeply") from None
    if isinstance(data, list):
        return _from_step_list(data, wrt, source)
    if isinstance(data, dict):
        if not data:
            raise HandTableError(f"{source}: empty JSON object, no table found")
        return _unwrap(data, wrt, source)
    raise HandTableError(f"{source}: JSON holds a {type(data).__name__}, not a table")


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".md": "markdown",
                   ".markdown": "markdown", ".tex": "markdown"}


def _sniff(text: str) -> str:
    head = text.lstrip()
    if head.startswith(("{", "[")):
        return "json"
    lines = text.splitlines()
    if any(_has_pipe(ln) for ln in lines):
        return "markdown"
    if any("&" in ln and ln.rstrip().endswith("\\\\") for ln in lines):
        return "markdown"
    return "csv"


def _read_file(path: Path) -> str:
    # confine: a submission that is a symlink out of its folder (to the key) is not read
    return _decode(read_limited(path, MAX_BYTES, HandTableError, "hand table", confine=True), str(path))


def _unicode_encoding(data: bytes) -> str | None:
    """UTF-32/UTF-16 by their byte-order mark (Notepad's "Unicode" is UTF-16 LE with
    one), or UTF-16 without one when the first bytes are ASCII text with NULs between."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:200]
    if len(head) >= 8 and len(head) % 2 == 0:
        even, odd = head[0::2], head[1::2]
        if not odd.strip(b"\x00") and b"\x00" not in even:
            return "utf-16-le"
        if not even.strip(b"\x00") and b"\x00" not in odd:
            return "utf-16-be"
    return None


def _decode(data: bytes, source: str) -> str:
    encoding = _unicode_encoding(data)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as e:
            raise HandTableError(f"{source}: not valid {encoding.upper()} text (byte {e.start}); "
                                 "save the table as UTF-8") from None
        text = text.lstrip("\ufeff")
        if "\x00" in text:
            raise HandTableError(f"{source}: binary file (NUL characters), not a hand table")
        return text
    if b"\x00" in data:
        raise HandTableError(f"{source}: binary file (NUL bytes), not a hand table")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HandTableError(
            f"{source}: not UTF-8 text (byte {e.start}); save the table as UTF-8 (or UTF-16)") from None


def read_hand_table(source: Any, wrt: Iterable[str] | str | None = None,
                    groups: Iterable[str] = ()) -> HandTable:
    """Read a hand table from a dict, a file path or table text.

    ``wrt`` lists the inputs in derivative-column order; it maps tuple entries
    and generic headers (``derivative``) to ``"d/d<input>"`` columns.  ``groups``
    names vector or matrix inputs whose whole-input column (``d/dx`` beside the
    components ``x[0]``, ``x[1]`` in ``wrt``) a table may have, holding lists.
    Raises :class:`HandTableError` when nothing usable can be read.
    """
    token = _GROUPS.set(tuple(groups))
    try:
        return _read_hand_table(source, wrt)
    finally:
        _GROUPS.reset(token)


# The groups of the read under way (a context variable rather than a parameter of every
# reader below: the CSV, Markdown, LaTeX, JSON and dict readers all build their columns
# through _Builder, which reads it).
_GROUPS: "contextvars.ContextVar[tuple[str, ...]]" = contextvars.ContextVar("dualdiff_hand_groups", default=())


def _read_hand_table(source: Any, wrt: Iterable[str] | str | None) -> HandTable:
    wrt_list = [wrt] if isinstance(wrt, str) else list(wrt or [])
    if isinstance(source, HandTable):
        return source
    if isinstance(source, Mapping):
        return _from_mapping(source, wrt_list, "<dict>")
    if isinstance(source, bytes):
        if len(source) > MAX_BYTES:
            raise HandTableError("<bytes>: table too large (hand tables are limited to 5 MB)")
        text, name, fmt = _decode(source, "<bytes>"), "<bytes>", None
    elif isinstance(source, (str, os.PathLike)):
        # Table text, not a path: several lines, or one line of JSON or pipes.
        if isinstance(source, str) and ("\n" in source or "\r" in source
                                        or source.lstrip().startswith(("{", "[")) or "|" in source):
            text, name, fmt = source, "<text>", None
            if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
                raise HandTableError("<text>: table text too large (hand tables are limited to 5 MB)")
            if "\x00" in text:
                raise HandTableError("<text>: binary data (NUL characters), not a hand table")
        else:
            path = Path(source)
            try:
                exists = path.exists()
            except (OSError, ValueError):
                exists = False
            if not exists:
                raise HandTableError(f"{source}: file not found")
            text, name = _read_file(path), str(path)
            fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    else:
        raise HandTableError(f"cannot read a hand table from a {type(source).__name__}")
    if not text.strip():
        raise HandTableError(f"{name}: empty, no table found")
    fmt = fmt or _sniff(text)
    if fmt == "json":
        return _read_json(text, wrt_list, name)
    if fmt == "markdown":
        return _read_markdown(text, wrt_list, name)
    return _read_csv(text, wrt_list, name)
