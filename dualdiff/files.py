"""Bounded reading and walking of user files: only regular files, a size cap held while
reading, symlinks of submissions kept inside their folder, walks that never loop.

A grading script reads hundreds of files it did not write.  A FIFO or a device has
``st_size == 0`` and never ends (or never starts); a symlink can point at the
instructor's key; ``subs/**/*.md`` through a link ``up -> ..`` never ends either.  So:

* the type is checked with ``os.stat`` before opening (FIFOs, devices, sockets and
  folders are refused by type), the file is opened with ``O_NONBLOCK`` (a FIFO swapped in
  after the check cannot block the open) and checked again with ``fstat`` on the open
  descriptor, and at most ``limit + 1`` bytes are ever read;
* with ``confine=True`` (hand tables: submissions) a symlink is followed only when its
  target stays inside the folder that holds it; the refusal names the link, never the
  target, and reads nothing;
* :func:`walk_glob` and :func:`list_folder` never follow a symlinked folder and stop
  with a message after :data:`MAX_VISITED` entries.

>>> from pathlib import Path
>>> read_limited(Path("no/such.dd"), 10, ValueError, "program")
Traceback (most recent call last):
...
ValueError: cannot read no/such.dd: No such file or directory
"""
from __future__ import annotations

import fnmatch
import os
import stat
from pathlib import Path
from typing import Callable

__all__ = ["read_limited", "walk_glob", "list_folder", "MAX_VISITED", "has_magic"]

MAX_VISITED = 100_000  # folder entries one glob or folder walk may look at
_CHUNK = 1 << 16


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _outside(path: Path) -> bool:
    """True when ``path`` resolves to somewhere outside the folder that holds it."""
    parent = os.path.realpath(path.parent)
    real = os.path.realpath(path)
    try:
        return os.path.commonpath([parent, real]) != parent
    except ValueError:  # different drives
        return True


def read_limited(path: str | Path, limit: int, error: type[Exception], what: str,
                 confine: bool = False) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    ``error`` (with a one-line reason naming ``path`` as given) when the file is missing,
    not a regular file (a folder, FIFO, device or socket: refused before any read), over
    ``limit`` bytes (counted while reading, not trusted from ``st_size``), or, with
    ``confine``, a symlink leading out of its folder.
    """
    p = Path(path)
    try:
        if confine and p.is_symlink() and _outside(p):
            raise error(f"{path}: a symbolic link to a file outside its folder; not read")
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise error(f"{path}: is a directory, not a {what}")
            raise error(f"{path}: {_kind(st.st_mode)}, not a regular file; a {what} must be a regular file")
        if st.st_size > limit:
            raise error(f"{path}: file too large ({st.st_size} bytes; a {what} is limited to {limit} bytes)")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(p, flags)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a FIFO after the check
                raise error(f"{path}: not a regular file; a {what} must be a regular file")
            chunks, total = [], 0
            while total <= limit:
                chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            if total > limit:
                raise error(f"{path}: file too large (more than {limit} bytes; a {what} is limited to {limit} bytes)")
            return b"".join(chunks)
        finally:
            os.close(fd)
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------
# Globs and folders
# ---------------------------------------------------------------------------
def has_magic(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _too_many(what: str) -> ValueError:
    return ValueError(f"{what}: more than {MAX_VISITED} folder entries visited; give a narrower pattern or folder")


def list_folder(folder: str | Path, keep: Callable[[Path], bool]) -> list[str]:
    """The entries of ``folder`` (not recursive) that ``keep`` accepts, sorted; capped."""
    out = []
    with os.scandir(folder) as it:
        for n, entry in enumerate(it):
            if n >= MAX_VISITED:
                raise _too_many(str(folder))
            p = Path(folder) / entry.name
            if keep(p):
                out.append(str(p))
    return sorted(out)


def _match_parts(parts: list[str], pats: list[str]) -> bool:
    """Glob match of path components: ``**`` is any number of folders, others per name."""
    # dynamic programming over (component, pattern) positions: linear in their product
    n, m = len(parts), len(pats)
    reach = [[False] * (m + 1) for _ in range(n + 1)]
    reach[0][0] = True
    for i in range(n + 1):
        for j in range(m + 1):
            if not reach[i][j]:
                continue
            if j < m and pats[j] == "**":
                reach[i][j + 1] = True
                if i < n and not parts[i].startswith("."):
                    reach[i + 1][j] = True
            elif i < n and j < m:
                name, pat = parts[i], pats[j]
                if name.startswith(".") and not pat.startswith("."):
                    continue  # like glob: hidden names need a pattern that starts with "."
                if fnmatch.fnmatchcase(name, pat):
                    reach[i + 1][j + 1] = True
    return reach[n][m]


def walk_glob(pattern: str) -> list[str]:
    """Paths matching ``pattern`` (``*``, ``?``, ``[…]``, recursive ``**``), sorted.

    Like :func:`glob.glob` with ``recursive=True``, except that a symlink to a folder is
    never entered (so ``up -> ..`` cannot loop) and the walk stops with a ``ValueError``
    after :data:`MAX_VISITED` entries.
    """
    parts = pattern.split(os.sep) if os.sep in pattern else [pattern]
    if os.altsep:
        parts = [q for part in parts for q in part.split(os.altsep)]
    base_parts: list[str] = []
    while parts and not has_magic(parts[0]):
        base_parts.append(parts.pop(0))
    if not parts:
        return [pattern] if os.path.lexists(pattern) else []
    base = os.sep.join(base_parts) if base_parts else ""
    if pattern.startswith(os.sep) and not base:
        base = os.sep
    start = base or os.curdir
    recursive = "**" in parts
    depth_cap = None if recursive else len(parts)
    out: list[str] = []
    visited = 0
    stack = [(start, [])]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            visited += 1
            if visited > MAX_VISITED:
                raise _too_many(pattern)
            child = rel + [entry.name]
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if _match_parts(child, parts):
                out.append(os.path.join(base, *child) if base else os.path.join(*child))
            if is_dir and (depth_cap is None or len(child) < depth_cap):
                stack.append((entry.path, child))
    return sorted(out)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def refuse_existing(path: str | Path, force: bool, option: str = "--out") -> None:
    """``FileExistsError`` (one line) when ``path`` exists (a symlink, even dangling, too)
    and ``force`` is off: checked before any work, so nothing is computed for nothing."""
    if not force and os.path.lexists(path):
        raise FileExistsError(f"{option} {path}: the file exists; give --force to overwrite it")


def open_output(path: str | Path, force: bool = False, option: str = "--out"):
    """A new binary file at ``path``.

    Without ``force`` the file is created exclusively (``O_EXCL``: an existing file or
    symlink is refused, whatever appeared since :func:`refuse_existing`); with ``force``
    a symlink is removed first, so its target is never written through.
    """
    if force:
        if os.path.islink(path):
            os.unlink(path)
        return open(path, "wb")
    try:
        return open(path, "xb")
    except FileExistsError:
        raise FileExistsError(f"{option} {path}: the file exists; give --force to overwrite it") from None
