"""Render the documentation gallery into docs/gallery/ (PNG, 100 dpi).

    python tools/make_gallery.py [OUTDIR] [--worksheet PROGRAM]

The figures are listed in ``GALLERY`` below; each is drawn by ``dualdiff.plotting.plot``.
Needs matplotlib (``pip install -e ".[plot]"``).  tests/test_plot.py and
tests/test_docs.py import this file to check the gallery.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # runs from a checkout without an install

from dualdiff.plotting import DPI, figure_classes, plot, save, worksheet_function  # noqa: E402


# (file stem, title, range, [(expression, label)], at)
GALLERY: list[tuple[str, str, tuple[float, float], list[tuple[str, str | None]]]] = [
    ("sigmoid", r"sigmoid  $\sigma(x) = 1/(1 + e^{-x})$,   $\sigma' = \sigma(x)\,\sigma(-x)$", (-6, 6), [("sigmoid(x)", None)]),
    ("tanh", r"$\tanh(x)$,   $\tanh' = 1 - \tanh^2(x)$", (-4, 4), [("tanh(x)", None)]),
    ("relu", r"ReLU$(x) = \max(0, x)$", (-3, 3), [("relu(x)", None)]),
    ("leaky_relu", r"leaky ReLU, $\alpha = 0.1$:  $\max(\alpha x, x)$", (-3, 3), [("leaky_relu(x, 0.1)", None)]),
    ("elu", r"ELU, $\alpha = 1$:  $x$ if $x > 0$ else $\alpha(e^x - 1)$", (-4, 3), [("elu(x)", None)]),
    ("selu", r"SELU:  $\lambda x$ if $x > 0$ else $\lambda\alpha(e^x - 1)$", (-4, 3), [("selu(x)", None)]),
    ("softplus", r"softplus$(x) = \log(1 + e^x)$,   softplus$' = \sigma(x)$", (-5, 5), [("softplus(x)", None)]),
    ("swish", r"swish$(x) = x\,\sigma(\beta x)$:  $\beta = 0$ linear, $\beta \to \infty$ ReLU", (-4, 4),
     [("swish(x, 0)", "β = 0"), ("swish(x, 1)", "β = 1"), ("swish(x, 10)", "β = 10")]),
    ("gelu", r"GELU$(x) = x\,\Phi(x)$", (-4, 4), [("gelu(x)", None)]),
]


def make_gallery(outdir: str | Path = "docs/gallery", worksheet: str | Path = "traces/sincos_worksheet.dd",
                 points: int = 801) -> list[Path]:
    """Render every gallery figure into ``outdir`` as PNG; return the paths written."""
    Figure, FigureCanvasAgg = figure_classes()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, title, rng, curves in GALLERY:
        if len(curves) == 1:
            fig = plot(curves[0][0], rng, points=points, title=title)
        else:
            fig = Figure(figsize=(6.4, 5.4), dpi=DPI, layout="constrained")
            FigureCanvasAgg(fig)
            axes = tuple(fig.subplots(2, 1, sharex=True))
            for expr, lab in curves:
                plot(expr, rng, points=points, ax=axes, title=title, label=lab)
            axes[0].set_ylabel("swish(x)")
            axes[1].set_ylabel("swish′(x)")
        written.append(save(fig, outdir / f"{stem}.png"))
    y = worksheet_function(worksheet)
    fig = plot(y, (-3, 3), at=1.0, points=points, title="the sin/cos worksheet: y = u5·v5 as a function of x")
    written.append(save(fig, outdir / "sincos_worksheet.png"))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python tools/make_gallery.py [DIR]``."""
    p = argparse.ArgumentParser(prog="python tools/make_gallery.py",
                                description="Render the documentation gallery (f and f′ of every activation).")
    p.add_argument("outdir", metavar="DIR", nargs="?", default="docs/gallery",
                   help="output folder (default docs/gallery)")
    p.add_argument("--worksheet", default="traces/sincos_worksheet.dd", help="the worksheet program")
    args = p.parse_args(argv)
    try:
        for path in make_gallery(args.outdir, args.worksheet):
            print(f"wrote {path}  ({path.stat().st_size // 1024} KB)")
    except (ImportError, ValueError, OSError) as exc:
        print(f"dualdiff: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)  # the default paths are the repository's
    sys.exit(main())
