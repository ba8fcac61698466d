r"""A vector or matrix written in one hand-table cell: ``[0.1, 0.2]``, ``[0.1 0.2]``,
``(0.1, 0.2)``, ``[−0.1; 0.2]``, ``[[1, 2], [3, 4]]``, ``$s = [0.23, 0.63, 0.14]$``.

Rules (liberal, never ambiguous):

- After markup is removed, the cell (or what follows its last ``=``) is one bracketed
  group: ``[...]`` always, ``(...)`` only with a separator inside (``(-0.07)`` is a number).
  A trailing ``^T`` or ``ᵀ`` (a column written as a transposed row) is ignored.
- Entries at one level are separated by ``;`` when there is one at that level (then a
  decimal comma may be used: ``[0,5; 0,7]``), else by ``,``, else by spaces.
- A matrix is a bracketed list of bracketed rows of one length; at most 2 levels.
- Every entry is read like any other cell (Unicode minus, ``1.2e-3``, ``\,``
  digit groups ...); an entry that is not a number makes the list's cells unreadable.

What the shape must be is decided by the verifier, which knows the step: this module only
reads the numbers and their shape.

>>> cells = read_list("[0.1, −0.25]")
>>> cells.shape, [c.number for c in cells.items]
((2,), [0.1, -0.25])
>>> read_list("[[1, 2], [3, 4]]").shape
(2, 2)
>>> read_list("(-0.07)") is None, read_list("0.84 (at x = 1)") is None
(True, True)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .cells import MAX_CELL, read_cell
from .markup import strip_markup

__all__ = ["ListCells", "read_list", "looks_like_list"]

_CLOSE = {"[": "]", "(": ")"}
_TRANSPOSE = re.compile(r"(?:\^\s*\{?\s*T\s*\}?|ᵀ|\^\s*\{?\s*\\top\s*\}?)\s*$")
_MAX_DEPTH = 2
# "2, 3" or "2 3" inside one entry: a separator the split did not use ("[1; 2, 3]")
_TWO_NUMBERS = re.compile(r"\d\s*[,;]\s+[+\-−–]?\.?\d|\d\s+[+\-−–]?\.?\d")


@dataclass(frozen=True)
class ListCells:
    """The entries of a bracketed list (C order) and its shape, or why it cannot be read."""

    shape: tuple[int, ...]
    items: tuple  # HandCell per entry (model.HandCell)
    problem: str | None = None


def looks_like_list(text: str) -> bool:
    """Cheap test: could the cell hold a bracketed list at all?"""
    return isinstance(text, str) and ("[" in text or "(" in text) and len(text) <= MAX_CELL


def _body(text: str) -> str | None:
    s = strip_markup(text).strip()
    s = re.sub(r"\\(?:left|right|big|Big)(?=[\[\]()])", "", s)
    if "=" in s:
        tail = s.rsplit("=", 1)[1].strip()
        if tail[:1] in _CLOSE:
            s = tail
    s = _TRANSPOSE.sub("", s).strip()
    if len(s) < 2 or s[0] not in _CLOSE or s[-1] != _CLOSE[s[0]]:
        return None
    return s


def _parse(s: str, pos: int, depth: int) -> tuple[list, int, bool]:
    """The group opening at ``s[pos]``: (children, position after it, had a separator).
    Children are strings (entries) or lists (nested groups).  Raises ValueError."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"nested more than {_MAX_DEPTH} deep (vectors and matrices only)")
    close = _CLOSE[s[pos]]
    i = pos + 1
    groups: list = []
    text: list[str] = []
    seps = set()
    while i < len(s):
        ch = s[i]
        if ch in _CLOSE:
            if "".join(text).replace(",", " ").replace(";", " ").strip():
                raise ValueError("an entry beside a bracketed row")
            child, i, _ = _parse(s, i, depth + 1)
            groups.append(child)
            continue
        if ch == close:
            break
        if ch in ")]":
            raise ValueError("brackets do not match")
        if ch in ",;":
            seps.add(ch)
        text.append(ch)
        i += 1
    else:
        raise ValueError("a bracket is not closed")
    inner = "".join(text)
    if groups:
        if inner.replace(",", " ").replace(";", " ").strip():
            raise ValueError("an entry beside a bracketed row")
        return groups, i + 1, True
    if ";" in seps:
        parts, sep = inner.split(";"), True
    elif "," in seps:
        parts, sep = inner.split(","), True
    else:
        parts = inner.split()
        sep = len(parts) > 1
        if not parts:
            parts = [""]
    return [p.strip() for p in parts], i + 1, sep


def read_list(text: str, make_cell=None) -> ListCells | None:
    """The list a cell holds, or None when the cell is not a bracketed list."""
    if not looks_like_list(text):
        return None
    s = _body(text)
    if s is None:
        return None
    try:
        children, end, sep = _parse(s, 0, 1)
    except ValueError as exc:
        return ListCells((), (), f"not a readable list: {exc}")
    except RecursionError:  # pragma: no cover - the depth limit comes first
        return ListCells((), (), "not a readable list: nested too deeply")
    if end != len(s):
        if s[0] == "[":
            return ListCells((), (), "not a readable list: more than one bracketed group")
        return None  # "(0.1) (0.2)": not one group, read as any cell
    if s[0] == "(" and not sep and not any(isinstance(c, list) for c in children):
        return None  # "(-0.07)": a number in parentheses
    if all(isinstance(c, list) for c in children):
        lengths = {len(c) for c in children}
        if len(lengths) != 1:
            return ListCells((), (), "not a readable list: rows of different lengths "
                                     + str(sorted(lengths)))
        shape = (len(children), lengths.pop())
        leaves = [x for row in children for x in row]
        if any(isinstance(x, list) for x in leaves):
            return ListCells((), (), f"not a readable list: nested more than {_MAX_DEPTH} deep")
    else:
        shape = (len(children),)
        leaves = children
    if leaves == [""]:
        return ListCells((0,), (), "not a readable list: it is empty")
    if any(x == "" for x in leaves):
        return ListCells(shape, (), "not a readable list: an empty entry")
    from .model import HandCell

    items = []
    for leaf in leaves:
        if _TWO_NUMBERS.search(leaf):
            return ListCells(shape, (), f"not a readable list: entry {leaf!r} holds two numbers "
                                        "(separate entries by ',' or by ';', not both)")
        r = read_cell(leaf, None)
        if r.number is None:
            why = r.problem or "no number"
            return ListCells(shape, (), f"not a readable list: entry {leaf!r}: {why}")
        items.append(HandCell(leaf, r.number, r.decimals, None))
    return ListCells(shape, tuple(items))
