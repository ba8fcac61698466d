"""Reading hand-written derivative tables.

A hand table is what a student or instructor wrote down: one row per step of a
computation, with the step's value and its derivative with respect to each input.
:func:`read_hand_table` turns any of the accepted forms into a :class:`HandTable`
whose cells keep the text as written, the number read from it, and how many
decimal places were written (the ``digits`` tolerance judges a hand value at the
precision its author used).  This package uses the standard library only and knows
nothing about traces; verification and its tolerances live in ``dualdiff.verify`` and
``dualdiff.tolerance``.

- ``model``    HandTable, HandCell, HandTableError: the data read;
- ``markup``   text clean-up shared by cells, step names and headers;
- ``cells``    the number a cell holds, and the decimals written;
- ``headers``  step names, and what each column header means;
- ``formats``  dict, CSV/TSV, JSON, Markdown and LaTeX tables; :func:`read_hand_table`.
"""
from __future__ import annotations

from ..tolerance import digits_tolerance, within_digits  # re-exported from their old home
from .cells import parse_number
from .formats import MAX_BYTES, read_hand_table
from .headers import deriv2_name, normalize_step_name
from .model import HandCell, HandTable, HandTableError

__all__ = [
    "HandCell",
    "HandTable",
    "HandTableError",
    "read_hand_table",
    "normalize_step_name",
    "deriv2_name",
    "parse_number",
    "within_digits",
    "digits_tolerance",
    "MAX_BYTES",
]
