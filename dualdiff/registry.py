"""Registries that let the lower layers call what the upper layers define, one way.

The rules (``rules.py``) are written with dualdiff's own functions (sin' = cos, so that
a derivative can be differentiated again), yet those functions are generated *from* the
rules (``functions.py``).  Instead of importing upwards, a rule calls through
:data:`ops`, a name → function registry that ``functions.py`` fills when it generates
each function.  Likewise ``dual.py`` and ``jet.py`` register their number types in
:data:`number_types`, so that each can step aside for the other (``NotImplemented``)
without importing it or guessing from type names.

Imports: this module imports nothing from dualdiff; ``rules``, ``dual``, ``jet`` and
``functions`` import it.

>>> from dualdiff.registry import ops
>>> import dualdiff
>>> ops.sin is dualdiff.sin
True
"""
from __future__ import annotations

from typing import Any, Callable

# The Dual and Jet classes, each registered by its own module.
number_types: set[type] = set()


class Registry:
    """name → callable; read as attributes (``ops.cos(x)``), filled with :meth:`register`."""

    def register(self, name: str, function: Callable[..., Any]) -> None:
        self.__dict__[name] = function

    def unregister(self, name: str) -> None:
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:  # only reached for a name never registered
        raise AttributeError(f"dualdiff function {name!r} is not registered "
                             "(dualdiff.functions registers every function of the rule table)")


# dualdiff's functions as the rules call them: ops.cos, ops.exp, ops.primal, ops.select, …
ops = Registry()


def dispatch_ufunc(handlers: dict, ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``__array_ufunc__`` of Dual and Jet: look the ufunc up in the type's handler table."""
    if method != "__call__" or kwargs.get("out") is not None:
        raise TypeError(f"numpy.{ufunc.__name__}.{method} with out= or reductions is not supported on "
                        f"dualdiff numbers; call the ufunc plainly (numpy.{ufunc.__name__}(x))")
    handler = handlers.get(ufunc)
    if handler is None:
        raise TypeError(f"numpy.{ufunc.__name__} is not supported on dualdiff numbers (Dual/Jet); "
                        "supported ufuncs: " + ", ".join(sorted({u.__name__ for u in handlers})))
    return handler(*inputs)


def dispatch_function(handlers: dict, func: Any, args: tuple, kwargs: dict) -> Any:
    """``__array_function__`` of Dual and Jet: a handler, or NotImplemented (numpy then raises
    ``TypeError: no implementation found for 'numpy.<name>'``)."""
    handler = handlers.get(func)
    if handler is None:
        return NotImplemented
    return handler(*args, **kwargs)
