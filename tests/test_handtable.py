"""Tests for dualdiff.handtable: reading hand-written derivative tables and the
digits tolerance.  Reference values of the sin/cos worksheet at x = 1 were
computed with mpmath at 40 digits (u1 = sin x, v1 = cos x,
u_{k+1} = sin(u_k + v_k), v_{k+1} = cos(u_k + v_k), y = u5 * v5)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualdiff.handtable import (
    HandCell,
    HandTable,
    HandTableError,
    digits_tolerance,
    normalize_step_name,
    parse_number,
    read_hand_table,
    within_digits,
)

DATA = Path(__file__).parent / "data" / "hand"

# step -> (value, d/dx), mpmath at 40 digits, rounded to doubles.
WORKSHEET = {
    "u1": (0.8414709848078965, 0.5403023058681398),
    "v1": (0.5403023058681398, -0.8414709848078965),
    "u2": (0.9821882747658728, -0.0565894207970627),
    "v2": (0.18789942233130547, 0.2958043451813568),
    "u3": (0.9207848093656193, 0.09331078937683929),
    "v3": (0.3900709356534015, -0.22026546854660325),
    "u4": (0.9664052516984224, -0.03263028904162853),
    "v4": (0.25702313026206197, 0.12268966867734821),
    "u5": (0.9402719838996335, 0.030658387019982747),
    "v5": (0.3404241417606091, -0.08468031155884839),
    "y": (0.32009128314057805, -0.06918566945763523),
}


def test_reference_values_follow_the_recurrence():
    # Plain floats, independent of mpmath: the table above is the worksheet.
    u, v, du, dv = math.sin(1.0), math.cos(1.0), math.cos(1.0), -math.sin(1.0)
    got = {"u1": (u, du), "v1": (v, dv)}
    for k in range(2, 6):
        s, ds = u + v, du + dv
        u, v, du, dv = math.sin(s), math.cos(s), math.cos(s) * ds, -math.sin(s) * ds
        got[f"u{k}"], got[f"v{k}"] = (u, du), (v, dv)
    got["y"] = (u * v, du * v + u * dv)
    for step, (value, deriv) in WORKSHEET.items():
        assert got[step][0] == pytest.approx(value, rel=1e-13, abs=1e-15)
        assert got[step][1] == pytest.approx(deriv, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------
# The worksheet in every format
# ---------------------------------------------------------------------------

WORKSHEET_FILES = [
    "sincos_worksheet.md",
    "sincos_worksheet.csv",
    "sincos_worksheet.json",
    "sincos_pairs.json",
    "sincos_fields.json",
    "sincos_worksheet.tex",
    "sincos_euro.csv",
]


@pytest.mark.parametrize("name", WORKSHEET_FILES)
def test_worksheet_reads_in_every_format(name):
    table = read_hand_table(DATA / name, ["x"])
    assert isinstance(table, HandTable)
    assert table.columns == ["value", "d/dx"]
    assert list(table.rows) == list(WORKSHEET)  # file order kept
    assert table.problems == []
    assert table.source.endswith(name)
    for step, (value, deriv) in WORKSHEET.items():
        cells = table.rows[step]
        for column, true in (("value", value), ("d/dx", deriv)):
            cell = cells[column]
            assert cell.problem is None, (step, column, cell)
            assert cell.decimals == 8, (step, column, cell)
            assert within_digits(true, cell.number, cell.decimals), (step, column, cell)


def test_markdown_worksheet_keeps_raw_text_and_skips_the_rubric_table():
    table = read_hand_table(str(DATA / "sincos_worksheet.md"), ["x"])
    assert table.rows["u1"]["value"].text == r"$\sin(1) = 0.84147098$"
    assert table.rows["v1"]["d/dx"].number == -0.84147098  # unicode minus
    assert table.rows["u4"]["value"].number == 0.96640525  # \, digit grouping
    assert table.rows["u4"]["d/dx"] == HandCell(r"$-3.263029 \times 10^{-2}$", -0.03263029, 8, None)
    assert table.rows["y"]["d/dx"].number == -0.06918567


def test_json_numbers_keep_their_written_decimals(tmp_path):
    p = tmp_path / "t.json"
    p.write_text('{"u1": [0.8410, 0.54], "v1": {"value": 1.20e-3, "derivative": 12}}')
    table = read_hand_table(p, ["x"])
    assert table.rows["u1"]["value"] == HandCell("0.8410", 0.841, 4, None)
    assert table.rows["u1"]["d/dx"].decimals == 2
    assert table.rows["v1"]["value"] == HandCell("1.20e-3", 0.0012, 5, None)
    assert table.rows["v1"]["d/dx"] == HandCell("12", 12.0, 0, None)


def test_json_to_json_style_with_several_inputs():
    doc = {
        "inputs": {"w1": 2, "w2": 3},
        "wrt": ["w1", "w2"],
        "steps": [
            {"name": "a", "expr": "w1**3", "value": 8.0, "derivs": {"w1": 12.0, "w2": 0.0}},
            {"name": "g", "expr": "a*w2 + 3*w1", "value": 30.0, "derivs": {"w1": 39.0, "w2": 8.0},
             "adjoint": 1.0},
        ],
    }
    table = read_hand_table(json.dumps(doc), ["w1", "w2"])
    assert table.columns == ["value", "d/dw1", "d/dw2"]
    assert table.rows["g"]["d/dw1"].number == 39.0
    assert table.problems == []
    # An input the caller does not ask about is reported once, not per step.
    only_w1 = read_hand_table(json.dumps(doc), ["w1"])
    assert only_w1.columns == ["value", "d/dw1"]
    assert len(only_w1.problems) == 1 and "w2" in only_w1.problems[0][1]


def test_dict_source_maps_tuples_in_wrt_order():
    table = read_hand_table(
        {"$u_1$": (0.8415, 0.5403, 0), "u₂": [0.98, "-0,0566"], "y": 0.32, "z": None},
        ["x", "t"],
    )
    assert table.source == "<dict>"
    assert table.columns == ["value", "d/dx", "d/dt"]
    assert list(table.rows) == ["u1", "u2", "y", "z"]
    assert table.rows["u1"]["d/dx"] == HandCell("0.5403", 0.5403, 4, None)
    assert table.rows["u1"]["d/dt"] == HandCell("0", 0.0, 0, None)
    assert table.rows["u2"]["d/dx"].number == -0.0566
    assert table.rows["u2"]["d/dt"] == HandCell("", None, None, None)
    assert table.rows["y"]["d/dx"] == HandCell("", None, None, None)
    assert table.rows["z"]["value"] == HandCell("", None, None, None)


def test_dict_source_problems():
    table = read_hand_table({"u1": (1.0, 2.0, 3.0), "u_1": (5.0,), "v1": (True,)}, ["x"])
    reasons = " / ".join(r for _, r in table.problems)
    assert "expected at most 2" in reasons
    assert "duplicate step 'u1'" in reasons
    assert table.rows["u1"]["value"].number == 1.0  # the first one is kept
    assert table.rows["v1"]["value"].problem == "True is not a number"


def test_dict_with_header_keys():
    table = read_hand_table({"u1": {"Value": "0.84", r"$\frac{\partial}{\partial x}$": "0.54",
                                    "expression": "sin(x)"}}, ["x"])
    assert table.columns == ["value", "d/dx"]
    assert table.rows["u1"]["d/dx"].number == 0.54
    assert table.problems == []


def test_mapping_of_step_objects_and_unknown_keys_reported_once():
    table = read_hand_table({
        "u1": {"value": 0.84, "derivs": {"x": 0.54}, "colour": "red"},
        "v1": {"value": 0.54, "derivs": {"x": -0.84}, "colour": "blue"},
    }, ["x"])
    assert table.columns == ["value", "d/dx"]
    assert table.rows["v1"]["d/dx"].number == -0.84
    assert table.problems == [("<dict> key 'u1'", "key 'colour' not recognised")]


def test_a_possessive_is_not_a_prime():
    table = read_hand_table("step,student's value,u'\nu1,0.84,0.54\n", ["x"])
    assert table.columns == ["value", "d/dx"]


def test_text_string_source_is_sniffed():
    csv_text = "step,value,d/dx\nu1,0.8415,0.5403\n"
    md_text = "Some prose.\n\n| step | value | d/dx |\n|---|---|---|\n| u_1 | 0.8415 | 0.5403 |\n"
    for text in (csv_text, md_text):
        table = read_hand_table(text, ["x"])
        assert table.rows["u1"]["d/dx"].number == 0.5403
        assert table.source == "<text>"


def test_markdown_without_separator_row_and_grid_format():
    text = "| node | val | deriv |\n| u1 | 1.5 | 2.5 |\n"
    assert read_hand_table(text, ["x"]).rows["u1"]["d/dx"].number == 2.5
    grid = ("+------+---------+--------+\n| step | value   | d/dx   |\n+======+=========+========+\n"
            "| u1   | 0.8415  | 0.5403 |\n+------+---------+--------+\n| v1   | 0.5403  | -0.8415|\n"
            "+------+---------+--------+\n")
    table = read_hand_table(grid, ["x"])
    assert list(table.rows) == ["u1", "v1"] and table.rows["v1"]["d/dx"].number == -0.8415


def test_markdown_first_table_with_a_step_column_wins():
    text = ("| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "| step | value |\n|---|---|\n| u1 | 1.0 |\n\n"
            "| step | value |\n|---|---|\n| u1 | 2.0 |\n")
    assert read_hand_table(text, ["x"]).rows["u1"]["value"].number == 1.0


def test_semicolon_and_tab_separated():
    assert read_hand_table("step;value\nu1;0,5\n", ["x"]).rows["u1"]["value"].number == 0.5
    assert read_hand_table("step\tvalue\td/dx\nu1\t0.5\t1.5\n", ["x"]).rows["u1"]["d/dx"].number == 1.5


# ---------------------------------------------------------------------------
# Number extraction
# ---------------------------------------------------------------------------

NUMBER_CASES = [
    # the two examples of the issue
    (r"$\sin(1) = 0.84147096$", 0.84147096, 8),
    (r"$u_5 \cdot \frac{\partial v_5}{\partial x} + v_5 \cdot \frac{\partial u_5}{\partial x} = -0.069816$",
     -0.069816, 6),
    # plain
    ("0.8415", 0.8415, 4),
    ("12", 12.0, 0),
    ("-3", -3.0, 0),
    (".5", 0.5, 1),
    ("0.50", 0.5, 2),
    ("−0.5403", -0.5403, 4),  # U+2212
    ("– 0.5403", -0.5403, 4),  # en dash typed as minus, with a space
    ("+0.25", 0.25, 2),
    # scientific notation
    ("1.2e-3", 0.0012, 4),
    ("1.20e-3", 0.0012, 5),
    ("1.2E+03", 1200.0, -2),
    (r"1.2 \times 10^{-3}", 0.0012, 4),
    (r"$1.2\times10^{-3}$", 0.0012, 4),
    ("1.2·10⁻³", 0.0012, 4),
    ("1.2*10^-3", 0.0012, 4),
    (r"$3 \cdot 10^{2}$", 300.0, -2),
    (r"$10^{-3}$", 0.001, 3),
    (r"\boxed{1.2\times10^{-3}}", 0.0012, 4),
    # separators
    ("1,234.5", 1234.5, 1),
    ("1,234,567", 1234567.0, 0),
    ("0,8415", 0.8415, 4),
    ("1,5", 1.5, 1),
    ("0,841", 0.841, 3),
    ("1.234,5", 1234.5, 1),
    (r"1\,234.5", 1234.5, 1),
    (r"$0.841\,470\,98$", 0.84147098, 8),
    ("1\u202f234.5", 1234.5, 1),  # U+202F narrow no-break space as thousands separator
    # LaTeX and prose around the number
    (r"$\cos(1) = 0.54030231$", 0.54030231, 8),
    (r"$-\sin(1) = −0.84147098$", -0.84147098, 8),
    (r"$\cos(u_2+v_2) \cdot 0.23921493 \approx 0.09331079$", 0.09331079, 8),
    (r"$0.94027198 \times 0.34042414 = 0.32009128$", 0.32009128, 8),
    (r"0.84 = \sin(1)", 0.84, 2),
    ("**0.5403**", 0.5403, 4),
    ("`0.5403`", 0.5403, 4),
    (r"$\mathbf{0.5403}$", 0.5403, 4),
    (r"\textbf{0.5403} \\", 0.5403, 4),
    ("&nbsp;0.5403&nbsp;", 0.5403, 4),
    ("0.8415 (4 d.p.)", 0.8415, 4),
    ("~~0.8514~~ 0.8415", 0.8415, 4),
    ("0.84<br>(rounded)", 0.84, 2),
    ("$x^2 = 4$", 4.0, 0),
    (r"$u_{5} v_{5} = 0.320$", 0.32, 3),
    ("u₁ = 0.84", 0.84, 2),
    ("(-0.07)", -0.07, 2),
    ("-0.0692 → -0.06918567", -0.06918567, 8),
    ("0.8414...", 0.8414, 4),
    ("0.84 (at x = 1)", 0.84, 2),  # a bracketed remark after the result
    (r"0.84 (\approx \sin 1)", 0.84, 2),
    ("y = 0.32 (check: 0.94 × 0.34)", 0.32, 2),
    ("(0.84)(0.34) = 0.2856", 0.2856, 4),
    ("cos 1 = 0.54", 0.54, 2),
    (r"0.84 \pm 0.01", 0.84, 2),
    (r"\log_{10} 100 = 2", 2.0, 0),
    ("inf", math.inf, 0),
    (r"$-\infty$", -math.inf, 0),
]


@pytest.mark.parametrize("text, number, decimals", NUMBER_CASES)
def test_parse_number(text, number, decimals):
    got_number, got_decimals, problem = parse_number(text)
    assert problem is None
    assert got_number == number
    assert got_decimals == decimals


@pytest.mark.parametrize("text", ["", "   ", "-", "—", "n/a", "N/A"])
def test_blank_cells_have_no_number_and_no_problem(text):
    assert parse_number(text) == (None, None, None)


@pytest.mark.parametrize("text, fragment", [
    ("about a half", "no number found"),
    ("cos(1)", "no number found"),  # the 1 is an argument, not a result
    (r"$\sin(u_4 + v_4)$", "no number found"),
    ("1/2", "fractions"),
    (r"$\frac{1}{2}$", "fractions"),
    ("1,234", "ambiguous"),
    ("12,345", "ambiguous"),
    ("1.2.3", "several decimal points"),
    ("1,23,4", "several commas"),
    ("1,234.567,8", "do not form a number"),
    ("1e999", "out of"),
    ("5e99999", "out of range"),
    ("u_{12}", "no number found"),
    ("2x", "no number found"),
    (r"\sin 1", "no number found"),
    ("x" * 5000, "too long"),
    # a subtraction is neither -0.5 nor (as round 1 read it) 0.5: refused, never a different number
    ("= 3 - 0.5", "calculation"),
])
def test_unreadable_cells(text, fragment):
    number, decimals, problem = parse_number(text)
    assert number is None and decimals is None
    assert problem is not None and fragment in problem


def test_decimal_comma_context_settles_the_ambiguous_case():
    assert parse_number("1,234", decimal_comma=True) == (1.234, 3, None)
    assert parse_number("1,234", decimal_comma=False) == (1234.0, 0, None)
    # Unambiguous cells are not reinterpreted by the context.
    assert parse_number("0.5", decimal_comma=True) == (0.5, 1, None)
    assert parse_number("0,5", decimal_comma=False) == (0.5, 1, None)


def test_column_convention_reads_ambiguous_cells():
    commas = read_hand_table("step;value\nu1;0,8415\nu2;1,234\n", ["x"])
    assert commas.rows["u2"]["value"] == HandCell("1,234", 1.234, 3, None)
    periods = read_hand_table('step,value\nu1,0.8415\nu2,"1,234"\n', ["x"])
    assert periods.rows["u2"]["value"] == HandCell("1,234", 1234.0, 0, None)
    mixed = read_hand_table('step,value\nu1,0.8415\nu2,"0,5"\nu3,"1,234"\n', ["x"])
    assert mixed.rows["u3"]["value"].number is None
    assert "ambiguous" in mixed.rows["u3"]["value"].problem
    alone = read_hand_table('step,value\nu3,"1,234"\n', ["x"])
    assert alone.rows["u3"]["value"].number is None


# ---------------------------------------------------------------------------
# Step names and headers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, name", [
    ("u1", "u1"),
    ("u_1", "u1"),
    ("$u_1$", "u1"),
    ("u_{1}", "u1"),
    ("$u_{1}$", "u1"),
    ("u₁", "u1"),
    ("**u1**", "u1"),
    ("**v_5**", "v5"),
    ("*u1*", "u1"),
    ("`u_1`", "u1"),
    (r"$\mathbf{u_1}$", "u1"),
    ("u_{10}", "u10"),
    ("v₁₂", "v12"),
    (" y ", "y"),
    ("y (output)", "y"),
    (r"$u_1 = \sin x$", "u1"),
    ("u1:", "u1"),
    ("&nbsp;u1", "u1"),
    ("$v_{-1}$", "v-1"),
    ("U1", "U1"),
])
def test_normalize_step_name(text, name):
    assert normalize_step_name(text) == name


@pytest.mark.parametrize("header, column", [
    ("value", "value"), ("val", "value"), ("v", "value"), ("Value", "value"),
    ("$u_i$ value", "value"), ("**Value**", "value"),
    ("d/dx", "d/dx"), ("dy/dx", "d/dx"), ("du/dx", "d/dx"),
    (r"$\frac{\partial}{\partial x}$", "d/dx"), ("∂/∂x", "d/dx"), (r"$\partial/\partial x$", "d/dx"),
    (r"$\frac{d}{dx}$", "d/dx"), (r"$\frac{\mathrm{d}y}{\mathrm{d}x}$", "d/dx"),
    (r"$\frac{\partial u_i}{\partial x}$", "d/dx"),
    ("derivative", "d/dx"), ("deriv", "d/dx"), ("Derivative w.r.t. x", "d/dx"),
    (r"$\dot v_i$", "d/dx"), ("u'", "d/dx"),
])
def test_headers_single_input(header, column):
    table = read_hand_table({"u1": {header: "0.5"}}, ["x"])
    assert table.columns == [column]
    assert table.rows["u1"][column].number == 0.5


def test_headers_with_several_inputs():
    text = ("| name | formula | value | d/dw1 | $\\partial/\\partial w_2$ | derivative | d/dt | notes |\n"
            "|---|---|---|---|---|---|---|---|\n"
            "| g | w1^3 w2 | 30 | 39 | 8 | 1 | 2 | ok |\n")
    table = read_hand_table(text, ["w1", "w2"])
    assert table.columns == ["value", "d/dw1", "d/dw2"]
    assert table.rows["g"]["d/dw2"].number == 8.0
    reasons = " / ".join(r for _, r in table.problems)
    assert "second d/dw1 column" in reasons  # "derivative" means the first input
    assert "'t' is not an input" in reasons


@pytest.mark.parametrize("step_header", ["step", "node", "variable", "name", "", "$i$", "#", "Step"])
def test_step_headers(step_header):
    text = f"| {step_header} | expression | value |\n|---|---|---|\n| u_1 | sin(x) | 0.84 |\n"
    table = read_hand_table(text, ["x"])
    assert list(table.rows) == ["u1"]


def test_input_names_with_underscores_match_headers():
    table = read_hand_table("step,value,d/dx_1\nu1,1,2\n", ["x_1"])
    assert table.columns == ["value", "d/dx_1"]


def test_generic_variable_maps_to_the_only_input_but_not_to_a_step():
    table = read_hand_table("step,value,dy/dx\nu1,1,2\n", ["t"])
    assert table.columns == ["value", "d/dt"]
    adjoint_like = read_hand_table("step,value,dy/du1\nu1,1,2\n", ["x"])
    assert adjoint_like.columns == ["value"]
    assert any("u1" in r for _, r in adjoint_like.problems)


def test_unknown_columns_are_problems():
    table = read_hand_table("step,value,colour\nu1,1,red\n", ["x"])
    assert table.columns == ["value"]
    assert table.problems == [("column 3", "column 'colour' not recognised")]


# ---------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------

def test_duplicate_step_names_and_rows_without_a_name():
    table = read_hand_table(DATA / "duplicate_steps.md", ["x"])
    assert list(table.rows) == ["u1", "v1"]
    assert table.rows["u1"]["value"].number == 0.8415  # the first one is kept
    assert table.problems == [("line 4", "duplicate step 'u1': the first one is kept"),
                              ("line 6", "row has no step name")]


def test_text_where_numbers_belong():
    table = read_hand_table(DATA / "text_cells.csv", ["x"])
    assert table.columns == ["value", "d/dx"]  # the notes column is ignored
    assert table.rows["u1"]["d/dx"] == HandCell("cos(1)", None, None, "no number found")
    assert table.rows["v1"]["value"].problem == "no number found"
    assert "fractions" in table.rows["u2"]["value"].problem
    assert table.rows["u2"]["d/dx"] == HandCell("", None, None, None)


@pytest.mark.parametrize("name, fragment", [
    ("empty.md", "empty"),
    ("noheader.csv", "no header"),
    ("prose_only.md", "no table found"),
    ("does_not_exist.csv", "file not found"),
])
def test_unusable_files(name, fragment):
    with pytest.raises(HandTableError, match=fragment):
        read_hand_table(DATA / name, ["x"])


def test_unusable_inputs(tmp_path):
    binary = tmp_path / "scan.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(HandTableError, match="binary"):
        read_hand_table(binary, ["x"])
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("step,value\nu1,0.84 \u00b1 0.01\n".encode("latin-1"))
    with pytest.raises(HandTableError, match="UTF-8"):
        read_hand_table(latin1, ["x"])
    big = tmp_path / "big.csv"
    big.write_bytes(b"step,value\n" + b"u1,1\n" * (1_100_000))
    with pytest.raises(HandTableError, match="too large"):
        read_hand_table(big, ["x"])
    with pytest.raises(HandTableError, match="no step column"):
        read_hand_table("value,d/dx\n0.5,0.2\n", ["x"])
    with pytest.raises(HandTableError, match="invalid JSON"):
        read_hand_table('{"u1": [0.5,', ["x"])
    with pytest.raises(HandTableError, match="directory"):
        read_hand_table(tmp_path, ["x"])
    with pytest.raises(HandTableError):
        read_hand_table(42, ["x"])


def test_hand_table_error_is_a_value_error_with_one_line():
    with pytest.raises(ValueError) as info:
        read_hand_table(DATA / "noheader.csv", ["x"])
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------
# The digits tolerance
# ---------------------------------------------------------------------------

SIN1 = 0.8414709848078965


@pytest.mark.parametrize("expected, text, ok", [
    # The example cell is itself a slip: sin(1) = 0.84147098|48..., so
    # 0.84147096 is 2.5 units of the 8th place off and fails at 8 decimals.
    (SIN1, "0.84147096", False),
    (SIN1, "0.84147098", True),
    (SIN1, "0.84147099", True),  # rounded up in the last place
    (SIN1, "0.8415", True),  # rounded
    (SIN1, "0.8414", True),  # truncated
    (SIN1, "0.8416", False),
    (SIN1, "0.84", True),  # judged at 2 decimals
    (SIN1, "0.83", False),
    (SIN1, "0.841471", True),
    (SIN1, "0.841470", True),
    (SIN1, "0.841472", False),
    (SIN1, "1", True),  # 0 decimals: within one unit
    (0.5403023058681398, "0.5403", True),
    (0.5403023058681398, "0.5463", False),  # the spec's transposed digit
    (-0.06918566945763523, "-0.069816", False),  # the example cell
    (-0.06918566945763523, "-0.06918567", True),
    (-0.06918566945763523, "-0.0692", True),
    (-0.06918566945763523, "-0.0691", True),
    (-0.06918566945763523, "0.0692", False),  # sign slip
    (0.0012, r"1.2 \times 10^{-3}", True),
    (0.00125, "1.2e-3", True),
    (0.00131, "1.2e-3", False),
    (1234.5, "1,234.5", True),
    (0.5, "0.4", True),  # exactly one unit: binary rounding must not reject it
    (0.5, "0.6", True),
    (0.5, "0.39", False),
])
def test_within_digits(expected, text, ok):
    number, decimals, problem = parse_number(text)
    assert problem is None
    assert within_digits(expected, number, decimals) is ok


def test_within_digits_direct_cases():
    assert within_digits(SIN1, 0.8415, 4) and within_digits(SIN1, 0.8414, 4)
    assert not within_digits(SIN1, 0.8416, 4)
    assert within_digits(SIN1, 0.84, 2) and not within_digits(SIN1, 0.83, 2)
    assert not within_digits(-0.06918566945763523, -0.069816, 6)
    assert within_digits(1200.0, 1234.0, -2) and not within_digits(1200.0, 1500.0, -2)
    assert within_digits(math.inf, math.inf, 0) and not within_digits(math.inf, -math.inf, 0)
    assert within_digits(math.nan, math.nan, 0) and not within_digits(1.0, math.nan, 0)
    assert within_digits(1e300, 1e300, -500)


def test_digits_tolerance():
    assert digits_tolerance(4) == pytest.approx(1e-4)
    assert digits_tolerance(0) == 1.0
    assert digits_tolerance(-2) == 100.0
    assert digits_tolerance(-1000) == math.inf
    assert digits_tolerance(1000) == 0.0


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(x=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), k=st.integers(0, 12))
def test_formatted_float_round_trips(x, k):
    text = f"{x:.{k}f}"
    number, decimals, problem = parse_number(text)
    assert problem is None
    assert decimals == k
    assert abs(number - x) <= 10.0 ** -k
    assert within_digits(x, number, decimals)


SUPERSCRIPT_DIGITS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@settings(max_examples=200, deadline=None)
@given(x=st.floats(min_value=1e-30, max_value=1e30), k=st.integers(0, 10),
       style=st.sampled_from(["e", "latex", "unicode"]))
def test_scientific_round_trips(x, k, style):
    mantissa, exponent = f"{x:.{k}e}".split("e")
    e = int(exponent)
    text = {"e": f"{mantissa}e{e}",
            "latex": rf"$ {mantissa} \times 10^{{{e}}} $",
            "unicode": f"{mantissa}·10" + str(e).translate(SUPERSCRIPT_DIGITS)}[style]
    number, decimals, problem = parse_number(text)
    assert problem is None, text
    assert decimals == k - e
    assert math.isclose(number, float(f"{mantissa}e{e}"), rel_tol=1e-15)
    assert within_digits(x, number, decimals)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_number_never_raises(text):
    number, decimals, problem = parse_number(text)
    assert (number is None) == (decimals is None)
    if number is None and text.strip():
        assert problem is None or isinstance(problem, str)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-+eE^{}_\\$ x×·⁻³=()|/")), max_size=60))
def test_parse_number_never_raises_on_number_like_text(text):
    parse_number(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_read_hand_table_raises_only_hand_table_error(text):
    try:
        table = read_hand_table("step,value\n" + text, ["x"])
    except HandTableError:
        return
    assert isinstance(table, HandTable)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_normalize_step_name_never_raises(text):
    assert isinstance(normalize_step_name(text), str)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**12), st.integers(0, 12), st.booleans())
def test_plain_decimal_fast_path_agrees_with_general_reader(digits, places, negative):
    from dualdiff.handtable.cells import _read_general, read_cell

    text = str(digits)
    if places:
        text = text.rjust(places + 1, "0")
        text = text[:-places] + "." + text[-places:]
    if negative:
        text = "-" + text
    assert read_cell.__wrapped__(text) == _read_general(text)
