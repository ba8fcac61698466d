"""``dualdiff.plot``: f and f′ on one figure -- a callable module.

``dualdiff.plot(f, range, …)`` is :func:`dualdiff.plotting.plot`; this module only
gives the plotting library its public, callable name (matplotlib still loads on first
use, not on import).

>>> import dualdiff.plot
>>> fig = dualdiff.plot("sigmoid(x)", (-6, 6), at=1.0)       # doctest: +SKIP
"""
from __future__ import annotations

import sys
import types
from typing import Any

from .plotting import DPI, FORMATS, MATPLOTLIB_HINT, MAX_POINTS, figure_classes, plot, save, worksheet_function

__all__ = ["plot", "save", "worksheet_function", "figure_classes", "MATPLOTLIB_HINT", "FORMATS", "MAX_POINTS", "DPI"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return plot(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
