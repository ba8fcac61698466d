"""Golden files: every traces/*.md is exactly what `python tools/make_traces.py` writes."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "traces").glob("*.dd"))


def _maker():
    spec = importlib.util.spec_from_file_location("make_traces", ROOT / "tools" / "make_traces.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_there_are_worked_examples():
    names = {p.stem for p in PROGRAMS}
    assert {"sincos_worksheet", "backprop", "cross_entropy", "squared_error", "swish", "small_inputs",
            "linear_collapse", "softmax", "softmax_cross_entropy", "relu_net", "sigmoid_hessian", "two_layer"} <= names


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_golden_trace_is_current(program):
    target = program.with_suffix(".md")
    assert target.exists(), f"{target.name} missing: run python tools/make_traces.py"
    assert _maker().render(program) == target.read_text(encoding="utf-8"), \
        f"{target.name} is out of date: run python tools/make_traces.py and review the diff"
