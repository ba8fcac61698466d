"""dualdiff.plot and ``dualdiff plot``: files, plotted data against closed forms, kinks, errors.

The plotted f′ is compared with derivatives written out by hand in numpy (σ(1−σ), cos,
1 − tanh², …), never with dualdiff itself.
"""
from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd

ROOT = Path(__file__).resolve().parent.parent
HINT = 'plotting needs matplotlib: pip install "dualdiff-trace[plot]"'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SELU_L, SELU_A = 1.0507009873554805, 1.6732632423543772


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


# ---------------------------------------------------------------------------
# Without matplotlib (these run first and need no matplotlib at all)
# ---------------------------------------------------------------------------
def test_import_dualdiff_does_not_import_matplotlib():
    r = _run("""
        import sys
        import dualdiff, dualdiff.plot, dualdiff.cli
        assert sys.modules.get('matplotlib') is None, 'matplotlib imported'
        print('ok')
    """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_cli_plot_without_matplotlib_is_one_line_exit_2(tmp_path):
    r = _run(f"""
        import sys
        sys.modules['matplotlib'] = None          # as if matplotlib were not installed
        from dualdiff.cli import main
        sys.exit(main(['plot', 'sin(x)', '--range', '0', '1', '--out', {str(tmp_path / 'x.png')!r}]))
    """)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == f"dualdiff: error: {HINT}\n"
    assert not (tmp_path / "x.png").exists()


def test_plot_without_matplotlib_raises_importerror_with_hint():
    r = _run(f"""
        import sys
        sys.modules['matplotlib'] = None
        import dualdiff.plot
        try:
            dualdiff.plot('sin(x)', (0, 1))
        except ImportError as exc:
            assert str(exc) == {HINT!r}, str(exc)
            print('ok')
    """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


# ---------------------------------------------------------------------------
# With matplotlib
# ---------------------------------------------------------------------------
import importlib.util  # noqa: E402

import dualdiff.plot as ddplot  # noqa: E402  (importing it does not import matplotlib)
from dualdiff.cli import main  # noqa: E402

WITHOUT_MATPLOTLIB = {"test_import_dualdiff_does_not_import_matplotlib",
                      "test_cli_plot_without_matplotlib_is_one_line_exit_2",
                      "test_plot_without_matplotlib_raises_importerror_with_hint"}


@pytest.fixture(autouse=True)
def _needs_matplotlib(request):
    """matplotlib is the optional plot extra: without it only the tests above run."""
    if request.node.originalname not in WITHOUT_MATPLOTLIB and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("needs matplotlib (the plot extra)")


def _curve(ax, label=None):
    """x, y of the first plotted curve (of a given label) on an Axes."""
    for line in ax.get_lines():
        if label is None and line.get_linestyle() != "None" or line.get_label() == label:
            x, y = line.get_xdata(), line.get_ydata()
            return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    raise AssertionError(f"no curve {label!r} in {[l.get_label() for l in ax.get_lines()]}")


def _markers(ax, filled: bool):
    pts = []
    for line in ax.get_lines():
        if line.get_linestyle() == "None" and line.get_marker() == "o":
            from matplotlib.colors import same_color

            is_filled = same_color(line.get_markerfacecolor(), "black")
            if is_filled == filled:
                pts += list(zip(line.get_xdata(), line.get_ydata()))
    return sorted((float(a), float(b)) for a, b in pts)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gelu_prime(x):
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    Phi = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    return Phi + x * phi


CLOSED_FORMS = [
    ("sin(x)", (-3, 3), np.sin, np.cos),
    ("sigmoid(x)", (-6, 6), _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    ("tanh(x)", (-4, 4), np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    ("softplus(x)", (-5, 5), lambda x: np.log1p(np.exp(x)), _sigmoid),
    ("x * sigmoid(10*x)", (-2, 2), lambda x: x * _sigmoid(10 * x),
     lambda x: _sigmoid(10 * x) + 10 * x * _sigmoid(10 * x) * (1 - _sigmoid(10 * x))),
    ("gelu(x)", (-4, 4), None, _gelu_prime),
    ("exp(-x**2)", (-2, 2), lambda x: np.exp(-x ** 2), lambda x: -2 * x * np.exp(-x ** 2)),
    ("selu(x)", (-3, 2), None, lambda x: np.where(x > 0, SELU_L, SELU_L * SELU_A * np.exp(x))),
]


@pytest.mark.parametrize("expr, rng, f, fprime", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_plotted_curves_match_closed_forms(expr, rng, f, fprime):
    fig = ddplot.plot(expr, rng, points=401)
    ax_f, ax_d = fig.axes
    x, y = _curve(ax_f)
    assert len(x) == 401 and x[0] == rng[0] and x[-1] == rng[1]
    if f is not None:
        np.testing.assert_allclose(y, f(x), rtol=1e-12, atol=1e-14)
    xd, yd = _curve(ax_d)
    keep = np.isfinite(yd)                                # gaps at jumps (selu at 0)
    assert keep.sum() >= 399
    np.testing.assert_allclose(yd[keep], fprime(xd[keep]), rtol=1e-12, atol=1e-14)


def test_callable_is_plotted_and_named():
    fig = ddplot.plot(dd.sigmoid, (-6, 6), points=101)
    ax_f, ax_d = fig.axes
    x, yd = _curve(ax_d)
    np.testing.assert_allclose(yd, _sigmoid(x) * (1 - _sigmoid(x)), rtol=1e-12)
    assert ax_f.get_ylabel() == "sigmoid(x)" and ax_d.get_ylabel() == "sigmoid′(x)"
    assert ax_d.get_xlabel() == "x"
    assert [t.get_text() for t in ax_d.get_legend().get_texts()] == ["sigmoid′(x)"]


def test_f_prime_comes_from_one_vectorized_pass():
    calls = []

    def f(x):
        calls.append(x)
        return dd.sin(x) * x

    fig = ddplot.plot(f, (0, 2), points=301)
    assert len(calls) == 1
    (arg,) = calls
    assert isinstance(arg, dd.Dual) and np.shape(arg.value) == (301,)
    x, yd = _curve(fig.axes[1])
    np.testing.assert_allclose(yd, np.cos(x) * x + np.sin(x), rtol=1e-12, atol=1e-15)


def test_module_is_callable():
    fig = dualdiff_plot_module()("cos(x)", (0, 1), points=11)
    assert len(fig.axes) == 2


def dualdiff_plot_module():
    import dualdiff.plot

    return dualdiff.plot


# -- files ------------------------------------------------------------------------------------
def test_png_and_svg_files(tmp_path):
    png, svg = tmp_path / "s.png", tmp_path / "s.svg"
    ddplot.plot("sigmoid(x)", (-6, 6), at=1.0, out=png)
    ddplot.plot("relu(x)", (-2, 2), at=1.0, out=svg)
    data = png.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000
    assert svg.stat().st_size > 10_000
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"<dc:date>" not in svg.read_bytes()      # no creation date: reproducible


def test_cli_plot_writes_png_and_svg(tmp_path, capsys):
    for name in ("p.png", "p.svg"):
        out = tmp_path / name
        assert main(["plot", "relu(x)", "--range", "-2", "2", "--at", "1", "--out", str(out), "--points", "201"]) == 0
        assert capsys.readouterr().out == f"wrote {out}\n"
        assert out.stat().st_size > 10_000
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG_MAGIC
    assert ET.parse(tmp_path / "p.svg").getroot().tag.endswith("svg")


def test_python_m_dualdiff_plot(tmp_path):
    out = tmp_path / "t.png"
    r = subprocess.run([sys.executable, "-m", "dualdiff", "plot", "tanh(x)", "--range", "-3", "3", "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC


# -- tangent ----------------------------------------------------------------------------------
def test_tangent_line_and_marked_slope():
    fig = ddplot.plot("sin(x)", (-3, 3), at=1.0, points=101)
    ax_f, ax_d = fig.axes
    label = "tangent at x = 1 (slope 0.5403)"
    t, yt = _curve(ax_f, label)
    np.testing.assert_allclose(yt, math.sin(1) + math.cos(1) * (t - 1), rtol=1e-14)
    labels = [t.get_text() for t in ax_d.get_legend().get_texts()]
    assert "f′(1) = 0.5403" in labels
    # the tangent must not stretch the f panel
    lo, hi = ax_f.get_ylim()
    assert -1.3 < lo < -0.9 and 0.9 < hi < 1.3


# -- kinks ------------------------------------------------------------------------------------
def test_relu_kink_markers_gap_and_note():
    fig = ddplot.plot("relu(x)", (-2, 2), points=401)
    ax_d = fig.axes[1]
    assert _markers(ax_d, filled=False) == [(0.0, 0.0), (0.0, 1.0)]    # one-sided limits
    assert _markers(ax_d, filled=True) == [(0.0, 0.0)]                  # relu'(0) = 0
    x, y = _curve(ax_d)
    assert np.isnan(y[x == 0]).all() and np.isnan(y).sum() == 1          # no vertical segment
    assert not np.any((y > 0) & (y < 1))
    assert dd.RULES["relu"].kink_note in ax_d.get_title(loc="left")


@pytest.mark.parametrize("expr, at0, left, right", [
    ("abs(x)", 0.0, -1.0, 1.0),
    ("leaky_relu(x, 0.1)", 0.1, 0.1, 1.0),
    ("elu(x, 0.5)", 0.5, 0.5, 1.0),
    ("selu(x)", SELU_L * SELU_A, SELU_L * SELU_A, SELU_L),
])
def test_kink_conventions_are_drawn(expr, at0, left, right):
    fig = ddplot.plot(expr, (-3, 2), points=301)            # 0 is not a grid point here
    ax_d = fig.axes[1]
    (filled,) = _markers(ax_d, filled=True)
    assert filled[0] == 0.0 and math.isclose(filled[1], at0, rel_tol=1e-12)
    hollow = _markers(ax_d, filled=False)
    assert [h[0] for h in hollow] == [0.0, 0.0]
    assert sorted(h[1] for h in hollow) == pytest.approx(sorted([left, right]), rel=1e-6)
    name = expr.split("(")[0]
    assert dd.RULES[name].kink_note in ax_d.get_title(loc="left")


def test_kinks_of_inner_arguments_are_found():
    fig = ddplot.plot("abs(x**2 - 1) + relu(x - 0.5)", (-2, 2), points=400)
    ax_d = fig.axes[1]
    xs = sorted({p[0] for p in _markers(ax_d, filled=True)})
    assert xs == pytest.approx([-1.0, 0.5, 1.0], abs=1e-12)
    title = ax_d.get_title(loc="left")
    assert "abs'(0)" in title and "relu'(0)" in title


def test_elu_default_is_continuous_so_no_gap():
    fig = ddplot.plot("elu(x)", (-2, 2), points=201)
    x, y = _curve(fig.axes[1])
    assert np.isfinite(y).all()


def test_no_kink_marks_for_smooth_functions():
    fig = ddplot.plot("sigmoid(x) + x**2", (-2, 2), points=101)
    assert _markers(fig.axes[1], filled=True) == []
    assert fig.axes[1].get_title(loc="left") == ""


# -- awkward functions -----------------------------------------------------------------------
def test_domain_gaps_are_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = ddplot.plot("log(x)", (-1, 2), points=301)
    x, y = _curve(fig.axes[0])
    xd, yd = _curve(fig.axes[1])
    assert np.isnan(y[x < 0]).all() and np.isnan(yd[xd < 0]).all()     # no slope where f is undefined
    np.testing.assert_allclose(yd[xd > 0], 1 / xd[xd > 0], rtol=1e-12)


def test_poles_do_not_draw_vertical_lines():
    fig = ddplot.plot("tan(x)", (-3, 3), points=601)
    x, y = _curve(fig.axes[0])
    lo, hi = fig.axes[0].get_ylim()
    assert hi < 100 and lo > -100                                      # not squashed by the poles
    finite = np.isfinite(y)
    a, b = y[:-1], y[1:]
    leaps = finite[:-1] & finite[1:] & (((a > hi) & (b < lo)) | ((a < lo) & (b > hi)))
    assert not leaps.any()                                             # no +big -> -big segment
    assert np.isnan(y).sum() == 2                                      # one gap per pole


def test_several_functions_on_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    axes = tuple(fig.subplots(2, 1, sharex=True))
    for beta in (0, 1, 10):
        out = ddplot.plot(f"swish(x, {beta})", (-4, 4), ax=axes, label=f"β = {beta}", points=201)
        assert out is fig
    ax_f, ax_d = axes
    assert [t.get_text() for t in ax_f.get_legend().get_texts()] == ["β = 0", "β = 1", "β = 10"]
    x, yd = _curve(ax_d, "β = 0")
    np.testing.assert_allclose(yd, 0.5, rtol=1e-15)                   # swish(x, 0) = x/2
    x, yd = _curve(ax_d, "β = 10")
    s = _sigmoid(10 * x)
    np.testing.assert_allclose(yd, s + 10 * x * s * (1 - s), rtol=1e-11, atol=1e-15)
    colors = [l.get_color() for l in ax_f.get_lines()]
    assert colors == [l.get_color() for l in ax_d.get_lines()]        # f and f′ of one β share a colour


def test_single_axes_holds_both_curves():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ddplot.plot("sin(x)", (0, 3), ax=ax, points=51)
    assert [l.get_label() for l in ax.get_lines() if not l.get_label().startswith("_")] == ["f(x)", "f′(x)"]
    assert len(fig.axes) == 1


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(f="sin(x)", range=(1, 1)), "A < B"),
    (dict(f="sin(x)", range=(2, 1)), "A < B"),
    (dict(f="sin(x)", range=(0, float("inf"))), "finite"),
    (dict(f="sin(x)", range=(0, 1), points=1), "points"),
    (dict(f="sin(x)", range=(0, 1), points=10**9), "points"),
    (dict(f="sin(x)", range=(0, 1), out="a.jpg"), ".png"),
    (dict(f="x * y", range=(0, 1)), "one variable"),
    (dict(f="sin(x", range=(0, 1)), "line 1"),
    (dict(f="sin(x)\nimport os", range=(0, 1)), "one line"),
])
def test_bad_input_raises_valueerror(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ddplot.plot(**kwargs)


def test_expression_error_columns_count_from_the_expression():
    with pytest.raises(dd.ProgramError) as info:
        ddplot.plot("sinn(x)", (0, 1))
    assert (info.value.line, info.value.col) == (1, 1)


@pytest.mark.parametrize("argv", [
    ["plot", "sin(x)", "--range", "1", "0"],
    ["plot", "x*y", "--range", "0", "1"],
    ["plot", "__import__('os')", "--range", "0", "1"],
    ["plot", "sin(x)", "--range", "0", "1", "--out", "x.gif"],
    ["plot", "sin(x)", "--range", "0"],
])
def test_cli_errors_are_one_line_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.startswith("dualdiff: error: ") and cap.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_plot_unwritable_output(capsys, tmp_path):
    assert main(["plot", "sin(x)", "--range", "0", "1", "--out", str(tmp_path / "no" / "dir" / "x.png")]) == 2
    assert capsys.readouterr().err.startswith("dualdiff: error: ")


# -- the gallery --------------------------------------------------------------------------------
def _gallery_tool():
    """tools/make_gallery.py, which draws the documentation gallery."""
    spec = importlib.util.spec_from_file_location("make_gallery", ROOT / "tools" / "make_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gallery_regenerates_small_pngs(tmp_path):
    gallery = _gallery_tool()
    paths = gallery.make_gallery(tmp_path, ROOT / "traces" / "sincos_worksheet.dd", points=401)
    names = sorted(p.name for p in paths)
    assert names == sorted([f"{stem}.png" for stem, *_ in gallery.GALLERY] + ["sincos_worksheet.png"])
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == PNG_MAGIC and 10_000 < len(data) <= 80_000, (p.name, len(data))


def test_worksheet_function_matches_the_trace():
    y = ddplot.worksheet_function(ROOT / "traces" / "sincos_worksheet.dd")
    grid = np.array([-1.0, 0.0, 1.0, 2.5])
    value, slope = dd.value_and_derivative(y, grid)
    for i, x0 in enumerate(grid):
        t = dd.trace_program((ROOT / "traces" / "sincos_worksheet.dd").read_text(), at={"x": float(x0)})
        assert value[i] == pytest.approx(t.output.value, rel=1e-14)
        assert slope[i] == pytest.approx(t.output.derivs["x"], rel=1e-12, abs=1e-15)
