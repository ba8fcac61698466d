"""The data a hand table is read into: cells as written, the number read, decimals written."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import HandTableError

__all__ = ["HandCell", "HandTable", "HandTableError"]


@dataclass(frozen=True)
class HandCell:
    text: str  # the raw cell text as written
    number: float | None  # parsed number, or None
    decimals: int | None  # decimal places as written, exponent accounted for
    problem: str | None  # why no number was read; None for an empty cell
    shape: tuple[int, ...] | None = None  # a bracketed list ([0.1, 0.2], [[1, 2], [3, 4]]): its shape
    items: tuple = ()                     # ... and its entries (HandCells, C order)
    mismatch: str | None = None           # set by the verifier: a list of the wrong shape for its cell


@dataclass
class HandTable:
    columns: list[str]
    rows: dict[str, dict[str, HandCell]]
    problems: list[tuple[str, str]] = field(default_factory=list)
    source: str = "<dict>"
