"""f and f′ on one figure (the ``plot`` extra: matplotlib).

    f′ on the whole grid comes from ONE forward pass: the grid x₀ … x_N is seeded as the
    elementwise dual number x + 1·ε, so f(x + ε) = f(x) + f′(x)·ε gives every f′(x_i)
    at once (``value_and_derivative`` on an array).

Kinks.  For an expression string, every call of a function with a kink (relu, abs,
leaky_relu, elu, selu) is located where its argument crosses 0 on the range.  There f′
is drawn with the usual notation: hollow circles at the one-sided limits, a filled dot at
the value dualdiff uses (the convention of ``RULES[name].kink_note``), and the curve is
broken instead of joined by a vertical segment.

matplotlib is imported only here and only when a plot is made (``import dualdiff`` stays
fast), through ``matplotlib.figure.Figure`` and the Agg canvas: no pyplot, no global
backend, no state shared with the caller's own figures.

>>> from dualdiff.plotting import plot
>>> fig = plot("sigmoid(x)", (-6, 6), at=1.0)                # doctest: +SKIP
>>> fig.savefig("sigmoid.png")                               # doctest: +SKIP

The public face is ``dualdiff.plot``, a callable module: ``dualdiff.plot(...)`` is
``plot(...)`` here.  The ``dualdiff plot`` command is in ``dualdiff.cli``; the
documentation gallery is drawn by ``tools/make_gallery.py``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["plot", "save", "worksheet_function", "figure_classes", "MATPLOTLIB_HINT"]

MATPLOTLIB_HINT = 'plotting needs matplotlib: pip install "dualdiff-trace[plot]"'
MAX_POINTS = 1_000_000            # a grid larger than this is a typo, not a plot
FORMATS = (".png", ".svg", ".pdf")
DPI = 100


# ---------------------------------------------------------------------------
# matplotlib, lazily
# ---------------------------------------------------------------------------
def figure_classes() -> tuple[Any, Any]:
    """(Figure, FigureCanvasAgg), or ImportError with the install hint."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(MATPLOTLIB_HINT) from None
    return Figure, FigureCanvasAgg


# ---------------------------------------------------------------------------
# Expression strings: parse once, evaluate on Dual arrays, find the kinks
# ---------------------------------------------------------------------------
def _evaluate(node: Any, env: dict[str, Any]) -> Any:
    """The tracer's evaluator, on whole grids (a plot finds its kinks itself, see ``kinks``)."""
    from .evaluate import Evaluator

    return Evaluator().evaluate(node, env)


def _calls(node: Any) -> list[Any]:
    from .program import walk

    return [n for n in walk(node) if type(n).__name__ == "Call"]


@dataclass
class _Expression:
    """An expression string of one variable, ready to evaluate on a grid."""

    text: str
    node: Any
    var: str

    @classmethod
    def parse(cls, text: str) -> "_Expression":
        from .errors import ProgramError
        from .parse import parse_expression

        node, names = parse_expression(text)
        if len(names) > 1:
            raise ProgramError(f"plot needs an expression of one variable, got {', '.join(names)}")
        return cls(text.strip(), node, names[0] if names else "x")

    def __call__(self, x: Any) -> Any:
        return _evaluate(self.node, {self.var: x})

    def kinks(self, a: float, b: float, grid: np.ndarray) -> list[tuple[float, str]]:
        """(x, kink note) for every point of [a, b] where a kinked call's argument is 0."""
        from .rules import RULES

        found: list[tuple[float, str]] = []
        for call in _calls(self.node):
            rule = RULES.get(call.func)
            if rule is None or rule.kink is None or not call.args:
                continue
            arg = call.args[0]
            g = lambda t, _arg=arg: _evaluate(_arg, {self.var: t})  # noqa: E731
            with np.errstate(all="ignore"):
                values = np.broadcast_to(np.asarray(g(grid), dtype=float), grid.shape)
            for x0 in _zeros(g, grid, values):
                found.append((x0, rule.kink_note or f"{call.func} has a kink here"))
        found.sort()
        out: list[tuple[float, str]] = []
        for x0, note in found:                      # one marker per point, notes joined
            if out and abs(out[-1][0] - x0) <= 1e-12 * max(1.0, abs(x0)):
                if note not in out[-1][1]:
                    out[-1] = (out[-1][0], out[-1][1] + "; " + note)
            else:
                out.append((x0, note))
        return out


def _zeros(g: Callable[[float], Any], grid: np.ndarray, values: np.ndarray) -> list[float]:
    """Points where g is 0 on the grid or changes sign between two grid points (bisection)."""
    zeros = [float(x) for x in grid[values == 0]]
    s = np.sign(values)
    for i in np.nonzero((s[:-1] * s[1:]) < 0)[0]:
        lo, hi = float(grid[i]), float(grid[i + 1])
        glo = values[i]
        try:
            for _ in range(80):
                mid = 0.5 * (lo + hi)
                if mid in (lo, hi):
                    break
                gm = float(g(mid))
                if gm == 0:
                    lo = hi = mid
                    break
                if (gm < 0) == (glo < 0):
                    lo, glo = mid, gm
                else:
                    hi = mid
        except (ValueError, ArithmeticError, TypeError):
            pass                                    # keep the bracket found so far
        zeros.append(_snap(g, lo, hi))
    return zeros


def _snap(g: Callable[[float], Any], lo: float, hi: float) -> float:
    """The shortest decimal in [lo, hi] where g is exactly 0 (x = 0, not 2e-27), else the middle."""
    for digits in range(0, 16):
        for c in (round(lo, digits), round(hi, digits)):
            if lo <= c <= hi:
                try:
                    if float(g(c)) == 0:
                        return c + 0.0              # -0.0 -> 0.0
                except (ValueError, ArithmeticError, TypeError):
                    pass
    return 0.5 * (lo + hi)


# ---------------------------------------------------------------------------
# Numbers for the figure
# ---------------------------------------------------------------------------
def _grid(rng: Sequence[float], points: int) -> tuple[float, float, np.ndarray]:
    try:
        a, b = (float(v) for v in rng)
    except (TypeError, ValueError):
        raise ValueError(f"plot: range must be two numbers (A, B), got {rng!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)) or not a < b:
        raise ValueError(f"plot: range must be finite with A < B, got {a:g} {b:g}")
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"plot: points must be an integer from 2 to {MAX_POINTS}, got {points!r}")
    return a, b, np.linspace(a, b, int(points))


def _on_grid(f: Callable[[Any], Any], grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and f′ on the whole grid in one vectorized forward pass."""
    from .operators import value_and_derivative

    with np.errstate(all="ignore"):                 # domain errors become nan gaps in the plot
        y, dy = value_and_derivative(f, grid)
    y = np.broadcast_to(np.asarray(y, dtype=float), grid.shape)
    dy = np.array(np.broadcast_to(np.asarray(dy, dtype=float), grid.shape))
    dy[np.isnan(y)] = np.nan                        # no slope where f itself is undefined (log x, x < 0)
    return np.array(y), dy


def _at(f: Callable[[Any], Any], x0: float) -> tuple[float, float]:
    from .operators import value_and_derivative

    with np.errstate(all="ignore"):
        y, dy = value_and_derivative(f, float(x0))
    return float(y), float(dy)


def _finite(y: np.ndarray) -> np.ndarray:
    """inf drawn as a gap: matplotlib's autoscale must not see it."""
    y = np.array(y, dtype=float)
    y[~np.isfinite(y)] = np.nan
    return y


def _robust_ylim(*arrays: np.ndarray) -> tuple[float, float] | None:
    """Limits that ignore a few huge values near a pole (tan, 1/x), or None to autoscale."""
    y = np.concatenate([np.ravel(a) for a in arrays])
    y = y[np.isfinite(y)]
    if y.size < 10:
        return None
    lo, hi = np.percentile(y, [2, 98])
    full = y.max() - y.min()
    if full <= 10 * (hi - lo) or hi <= lo:
        return None
    pad = 0.15 * (hi - lo)
    return float(lo - pad), float(hi + pad)


def _break_poles(x: np.ndarray, y: np.ndarray, lim: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """No line from +∞ to −∞ across a pole (tan at π/2): a gap where y leaps across the window."""
    if lim is None or len(y) < 2:
        return x, y
    lo, hi = lim
    leap = ((y[:-1] > hi) & (y[1:] < lo)) | ((y[:-1] < lo) & (y[1:] > hi))
    idx = np.nonzero(leap)[0] + 1
    if idx.size == 0:
        return x, y
    return np.insert(x, idx, 0.5 * (x[idx - 1] + x[idx])), np.insert(y, idx, np.nan)


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    return f"{v:.4g}".replace("-", "−")


# ---------------------------------------------------------------------------
# The plot
# ---------------------------------------------------------------------------
def plot(f: Callable[[Any], Any] | str, range: Sequence[float], at: float | None = None,  # noqa: A002
         out: str | Path | None = None, points: int = 801, ax: Any = None, title: str | None = None,
         *, label: str | None = None, color: str | None = None, force: bool = True):
    """Plot f (top) and f′ (bottom, sharing x) on [A, B]; return the matplotlib Figure.

    ``f`` is a callable built from dualdiff functions and operators, or an expression
    string of one variable (``"relu(x)"``, ``"x * sigmoid(10*x)"``).  f′ is computed by
    dualdiff on the whole grid of ``points`` points in one vectorized pass.

    ``at=x0`` draws the tangent line at x0 and marks f′(x0).  For expression strings,
    kinks are marked on f′ (hollow circles: one-sided limits; filled dot: the value
    dualdiff uses there, with its convention in the legend).  ``out`` saves the figure
    (``.png``, ``.svg`` or ``.pdf``).  ``ax`` draws into existing axes instead of a new
    figure: a pair ``(ax_f, ax_df)``, or a single Axes for both curves.  ``label`` and
    ``color`` name and colour this f when several are drawn on the same axes.

    Raises ImportError (with the install hint) without matplotlib, ValueError for a bad
    range or points, ``ProgramError`` for a bad expression.
    """
    a, b, grid = _grid(range, points)
    if out is not None:
        out = Path(out)
        if out.suffix.lower() not in FORMATS:
            raise ValueError(f"plot: --out must end in {', '.join(FORMATS)}, got {str(out)!r}")
    if at is not None:
        at = float(at)
        if not math.isfinite(at):
            raise ValueError(f"plot: --at must be a finite number, got {at}")
    expr = _Expression.parse(f) if isinstance(f, str) else None
    func = expr if expr is not None else f
    if not callable(func):
        raise TypeError(f"plot: f must be a callable or an expression string, got {type(f).__name__}")
    var = expr.var if expr is not None else "x"
    fname = "f" if expr is not None else _callable_name(f)
    name = title if title is not None else (f"f({var}) = {expr.text}" if expr is not None else "")

    y, dy = _on_grid(func, grid)
    kinks = expr.kinks(a, b, grid) if expr is not None else []
    Figure, FigureCanvasAgg = figure_classes()

    # -- axes --------------------------------------------------------------------------
    if ax is None:
        fig = Figure(figsize=(6.4, 5.4), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax_f, ax_d = fig.subplots(2, 1, sharex=True)
    elif isinstance(ax, (list, tuple)) and len(ax) == 2:
        ax_f, ax_d = ax
        fig = ax_f.figure
    else:
        ax_f = ax_d = ax
        fig = ax.figure
    single = ax_f is ax_d

    # -- f and f′ ----------------------------------------------------------------------------
    lim_f, lim_d = (_robust_ylim(y), _robust_ylim(dy)) if not single else (_robust_ylim(y, dy),) * 2
    f_label = label if label is not None else f"{fname}({var})"
    (line_f,) = ax_f.plot(*_break_poles(grid, _finite(y), lim_f), color=color, lw=2, label=f_label, zorder=3)
    d_color = line_f.get_color() if (label is not None or color is not None) else "C3"
    d_label = (label if not single else f"{label}: derivative") if label is not None else f"{fname}′({var})"
    xd, yd = _break_at_jumps(func, grid, dy, kinks)
    ax_d.plot(*_break_poles(xd, _finite(yd), lim_d), color=d_color, lw=2, ls="--" if single else "-", label=d_label, zorder=3)

    # -- kinks ------------------------------------------------------------------------------
    notes: dict[str, list[str]] = {}
    for x0, note in kinks:
        left, right, used = _one_sided(func, x0, a, b)
        for ax_ in {id(ax_f): ax_f, id(ax_d): ax_d}.values():
            ax_.axvline(x0, color="0.6", lw=0.8, ls=":", zorder=1)
        limits = [v for v in (left, right) if v is not None and math.isfinite(v)]
        ax_d.plot([x0] * len(limits), limits, ls="none", marker="o", ms=8, mfc="white",
                  mec=d_color, mew=1.6, zorder=5, clip_on=False)
        ax_d.plot([x0], [used], ls="none", marker="o", ms=4.5, color="black", zorder=6, clip_on=False)
        notes.setdefault(note, []).append(_fmt(x0))
    if notes:                                       # the conventions, above the f′ panel
        lines = [f"● kink at {var} = {', '.join(xs)}: {note}" for note, xs in notes.items()]
        ax_d.set_title("\n".join(lines), fontsize=8, loc="left", color="0.2")

    # -- axes lines and margins before the tangent freezes the f limits
    for ax_ in ((ax_f,) if single else (ax_f, ax_d)):
        ax_.axhline(0, color="0.75", lw=0.8, zorder=0)
        ax_.grid(True, color="0.9", lw=0.6)
        ax_.margins(y=0.08)

    # -- tangent -------------------------------------------------------------------------------
    if at is not None:
        y0, d0 = _at(func, at)
        ylim = ax_f.get_ylim()
        t = np.array([a, b])
        ax_f.plot(t, y0 + d0 * (t - at), color="0.25", lw=1.2, ls="--", zorder=4,
                  label=f"tangent at {var} = {_fmt(at)} (slope {_fmt(d0)})")
        ax_f.plot([at], [y0], ls="none", marker="o", ms=6, color="0.15", zorder=6, clip_on=False)
        ax_d.plot([at], [d0], ls="none", marker="s", ms=5.5, color="0.15", zorder=6, clip_on=False,
                  label=f"{fname}′({_fmt(at)}) = {_fmt(d0)}")
        ax_f.set_ylim(ylim)                         # the tangent must not rescale f

    # -- decoration ------------------------------------------------------------------------------
    ax_f.set_xlim(a, b)
    for ax_, lim in ((ax_f, lim_f), (ax_d, lim_d)):
        if lim is not None:
            ax_.set_ylim(lim)
    if single:
        ax_f.set_ylabel(f"{fname}({var}), {fname}′({var})")
        ax_f.set_xlabel(var)
    else:
        ax_f.set_ylabel(f"{fname}({var})")
        ax_d.set_ylabel(f"{fname}′({var})")
        ax_d.set_xlabel(var)
    if name:
        ax_f.set_title(name, fontsize=11)
    for ax_ in ((ax_f,) if single else (ax_f, ax_d)):
        ax_.legend(loc="best", fontsize=8, framealpha=0.9)

    if out is not None:
        save(fig, out, force)
    return fig


def save(fig: Any, out: str | Path, force: bool = True) -> Path:
    """Save a figure; SVG and PDF without a creation date so that files are reproducible.

    ``force=False`` refuses an existing file or symlink (``FileExistsError``); with
    ``force`` a symlink is replaced, never written through.
    """
    from .files import open_output

    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else None
    with open_output(out, force) as fh:
        fig.savefig(fh, format=fmt, dpi=DPI, metadata=metadata)
    return out


def _callable_name(f: Any) -> str:
    """``sigmoid`` for dd.sigmoid, ``f`` for a lambda: the name used in labels."""
    name = getattr(f, "__name__", "")
    return name if name.isidentifier() else "f"


def _one_sided(f: Callable[[Any], Any], x0: float, a: float, b: float) -> tuple[float | None, float | None, float]:
    """f′ just left of x0, just right of x0 (None outside the range), and f′(x0) itself."""
    h = 1e-9 * max(1.0, abs(x0), b - a)
    left = _at(f, x0 - h)[1] if x0 - h >= a else None
    right = _at(f, x0 + h)[1] if x0 + h <= b else None
    return left, right, _at(f, x0)[1]


def _break_at_jumps(f: Callable[[Any], Any], grid: np.ndarray, dy: np.ndarray,
                    kinks: list[tuple[float, str]]) -> tuple[np.ndarray, np.ndarray]:
    """f′ with a gap (nan) at every kink where it jumps, instead of a vertical segment.

    A grid point exactly on the kink is left out of the curve: it is drawn as a marker.
    """
    if not kinks:
        return grid, dy
    xs, ys = list(grid), list(dy)
    a, b = float(grid[0]), float(grid[-1])
    for x0, _ in sorted(kinks, reverse=True):
        left, right, _used = _one_sided(f, x0, a, b)
        if left is None or right is None or abs(left - right) <= 1e-6 * (1 + abs(left) + abs(right)):
            continue
        i = int(np.searchsorted(np.asarray(xs, dtype=float), x0))
        if i < len(xs) and xs[i] == x0:
            ys[i] = math.nan
        else:
            xs.insert(i, x0)
            ys.insert(i, math.nan)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


# ---------------------------------------------------------------------------
# A worksheet program as a function of its input
# ---------------------------------------------------------------------------
def program_function(path: str | Path, wrt: str | None = None,
                     at: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    """A program's (scalar) output as a function of one scalar input ``wrt``, the other
    inputs held at their values (``at`` or the program's defaults); vectors and matrices
    inside the program are fine.  On a grid it is evaluated point by point (a program's
    own vectors fix its shapes, so the grid cannot ride along as one more axis).

    >>> f = program_function("traces/relu_net.dd", "x1")
    >>> float(f(0.5))
    2.25
    """
    from .dual import Dual
    from .errors import ProgramError
    from .evaluate import Evaluator, coerce_input
    from .trace import load_program

    program = load_program(path)
    names = list(program.inputs) + [n for n in program.free_names if n not in program.inputs]
    values = {**program.inputs, **(at or {})}
    scalars = [n for n in names if n in values and not np.ndim(values[n])]
    if wrt is None:
        if len(scalars) != 1:
            raise ProgramError(f"{path}: name the input to plot against with --wrt "
                               f"(scalar inputs: {', '.join(scalars) or 'none'})")
        wrt = scalars[0]
    if wrt not in names:
        raise ProgramError(f"--wrt {wrt}: not an input of {path} (inputs: {', '.join(names)})")
    if np.ndim(values.get(wrt, 0.0)):
        raise ProgramError(f"--wrt {wrt}: a plot needs a scalar input; {wrt} is a vector or matrix")
    missing = [n for n in names if n not in values and n != wrt]
    if missing:
        raise ProgramError(f"no value for input {', '.join(missing)}")
    fixed = {n: coerce_input(n, values[n], False) for n in names if n != wrt}
    steps = program.steps

    def one(x: Any) -> Any:
        env: dict[str, Any] = {**fixed, wrt: x}
        for s in steps:
            env[s.target] = Evaluator().evaluate(s.expr, env)
        y = env[steps[-1].target]
        if np.ndim(y if type(y) is not Dual else y.value):
            raise ProgramError(f"{path}: a plot needs a scalar output; {steps[-1].target} is a vector")
        return y

    def f(x: Any) -> Any:
        v = x.value if type(x) is Dual else x
        if not np.ndim(v):
            return one(x)
        ys = [one(x[i]) for i in range(len(v))]  # x[i] keeps the Dual's tag
        if type(x) is Dual:
            vals = np.array([y.value if type(y) is Dual and y.tag == x.tag else y for y in ys], dtype=float)
            ders = np.array([y.deriv if type(y) is Dual and y.tag == x.tag else 0.0 for y in ys], dtype=float)
            return Dual(vals, ders, x.tag, 0)
        return np.array(ys, dtype=float)

    f.__name__ = steps[-1].target
    return f


def worksheet_function(path: str | Path) -> Callable[[Any], Any]:
    """The output of a one-input ``.dd`` program as a function of that input (arrays too)."""
    from .errors import ProgramError
    from .trace import load_program

    program = load_program(path)
    names = list(program.inputs) + [n for n in program.free_names if n not in program.inputs]
    if len(names) != 1:
        raise ProgramError(f"{path}: a plotted program needs exactly one input, got {', '.join(names) or 'none'}")
    var = names[0]
    steps = program.steps

    def f(x: Any) -> Any:
        env: dict[str, Any] = {var: x}
        for s in steps:
            env[s.target] = _evaluate(s.expr, env)
        return env[steps[-1].target]

    f.__name__ = "y"
    return f
