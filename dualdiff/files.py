"""Reading user files with a size limit, so that a huge file is refused before it is read.

>>> from pathlib import Path
>>> read_limited(Path("no/such.dd"), 10, ValueError, "program")
Traceback (most recent call last):
...
ValueError: cannot read no/such.dd: No such file or directory
"""
from __future__ import annotations

from pathlib import Path


def read_limited(path: str | Path, limit: int, error: type[Exception], what: str) -> bytes:
    """The bytes of ``path``; ``error`` with a one-line reason if it is missing, a folder or over ``limit``."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise error(f"{path}: is a directory, not a {what}")
        if size > limit:
            raise error(f"{path}: file too large ({size} bytes; a {what} is limited to {limit} bytes)")
        return p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
