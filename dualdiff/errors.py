"""Exceptions raised for bad user input.

``ProgramError`` is what every mistake in a program text becomes: the parser raises it,
the evaluator may raise it for errors it can place on a line, and the command line prints
``str(error)`` (never a traceback).  ``HandTableError`` is the same for a hand table that
cannot be used at all.
"""

from __future__ import annotations


class ProgramError(ValueError):
    """A program text is not a valid dualdiff program.

    ``.line`` and ``.col`` are 1-based (``None`` when the error concerns the program as a
    whole), ``.reason`` is the bare message; ``str(error)`` is
    ``"line L, col C: reason"`` (or just the reason when there is no position).
    It is a ``ValueError`` so that callers who only know "bad value" still catch it.
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        self.reason = message
        self.line = line
        self.col = col
        super().__init__(self._format())

    def _format(self) -> str:
        if self.line is None:
            return self.reason
        if self.col is None:
            return f"line {self.line}: {self.reason}"
        return f"line {self.line}, col {self.col}: {self.reason}"

    def __str__(self) -> str:
        return self._format()

    def __repr__(self) -> str:
        return f"ProgramError({self.reason!r}, line={self.line!r}, col={self.col!r})"

    def __reduce__(self):  # keep line/col across pickling (multiprocessing, pytest-xdist)
        return (type(self), (self.reason, self.line, self.col))


class HandTableError(ValueError):
    """A hand table that cannot be used at all (one-line reason in the message)."""


class ShapeError(ProgramError):
    """Operands of a vector/matrix operation whose shapes do not fit (the message names
    both shapes). Raised without a position by :mod:`dualdiff.vectorops`; the evaluator
    re-raises it as a ``ProgramError`` at the operation's line and column."""


class KinkWarning(UserWarning):
    """A function was differentiated exactly at a kink (relu, abs, … at 0; max/min at a tie).

    The derivative there is a convention (see ``dualdiff.RULES[name].kink_note``), not a
    derivative; ``derivative(f, x, side="left" | "right")`` gives a one-sided one instead.
    Silence it deliberately with ``warnings.filterwarnings("ignore", category=KinkWarning)``.
    """


def kinks_marked_elsewhere(func):
    """Run ``func`` with :class:`KinkWarning` silenced: for dualdiff's own re-evaluations of
    a trace (its high-precision reference, the diagnosis of a cell), whose kinks the trace
    already marks in its rows, so a TA sees the mark once and not a Python warning per
    re-evaluation."""
    import functools
    import warnings

    @functools.wraps(func)
    def quiet(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KinkWarning)
            return func(*args, **kwargs)

    return quiet
