"""The grading truth table: hand tables with the verdicts a careful TA gives, written down first.

Every case below is a hand table (a dict, CSV, Markdown or JSON text, or a file under
``tests/data/truth/``) together with the verdict of every cell and the score, as a
teaching assistant applying the policy of SPEC section 7 would give them:

* a hand value is judged against the *true* value (mpmath here, never dualdiff's floats);
* it is correct when it differs from the true value by less than one unit in its last
  written decimal place (rounding and truncation both pass) AND shows at least
  ``min_digits`` (3) significant digits -- or is exactly the true value (``39`` for 39,
  ``0`` for an exact 0);
* a value with fewer significant digits that agrees at the precision written is
  ``imprecise`` (no points); one that does not agree is ``wrong``;
* a whole number gets no ±1: ``2`` for x = 1 is wrong;
* input rows are read and judged but earn no points: the worksheet is worth 22 points
  (11 steps × value and d/dx); an input written differently from the one given is not
  carried: the cells computed from it are wrong (round 3, docs/grading.md rule 5);
* a cell that is what the student's own rounded (correct) earlier cells give is correct:
  rounding carried forward is not a slip (round 3, rule 8);
* a calculation in a cell (``2(-1)·0.5``) is refused as unreadable, never read as its
  last number;
* at a kink, any derivative between the one-sided derivatives is correct, and the
  reason says it is a kink;
* a cell that is wrong only because the student's own earlier cells were wrong is
  ``carried`` (error carried forward).

The true numbers are computed in this file with mpmath at 40 digits, independently of
dualdiff (the worksheet by its chain rule written out by hand, the cross-entropy in closed
form).  Verdicts are literal strings: nothing here asks dualdiff what the answer is.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import mpmath as mp
import pytest

import dualdiff as dd

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "truth"
WORKSHEET = ROOT / "traces" / "sincos_worksheet.dd"
STEPS = ["u1", "v1", "u2", "v2", "u3", "v3", "u4", "v4", "u5", "v5", "y"]
CELLS = [(s, c) for s in STEPS for c in ("value", "d/dx")]

_SAVED_DPS, mp.mp.dps = mp.mp.dps, 40  # for building the cases below; restored at the end of them


# ---------------------------------------------------------------------------
# Independent references (mpmath, chain rule written out by hand)
# ---------------------------------------------------------------------------
def sincos_chain(x: Any, overrides: dict | None = None, decimals: int | None = None) -> dict:
    """The worksheet as a student computes it: each row from the student's own earlier
    rows (``overrides`` replaces cells by the student's slips; ``decimals`` rounds every
    cell as written, so later rows use the rounded numbers)."""
    with mp.workdps(max(40, mp.mp.dps)):  # never lower (mp.diff raises it)
        return _sincos_chain(x, overrides or {}, decimals)


def _sincos_chain(x: Any, overrides: dict, decimals: int | None) -> dict:
    def keep(v):
        return v if decimals is None else mp.mpf(str(round(Decimal(mp.nstr(v, 35)), decimals)))

    rows: dict[str, tuple] = {}

    def put(k, v, d):
        v = overrides.get((k, "value"), keep(v))
        d = overrides.get((k, "d/dx"), keep(d))
        rows[k] = (mp.mpf(v), mp.mpf(d))
        return rows[k]

    x = mp.mpf(x)
    u, du = put("u1", mp.sin(x), mp.cos(x))
    v, dv = put("v1", mp.cos(x), -mp.sin(x))
    for k in range(2, 6):
        s, ds = u + v, du + dv
        nu, ndu = put(f"u{k}", mp.sin(s), mp.cos(s) * ds)
        nv, ndv = put(f"v{k}", mp.cos(s), -mp.sin(s) * ds)
        u, du, v, dv = nu, ndu, nv, ndv
    put("y", u * v, du * v + u * dv)
    return rows


TRUE = sincos_chain(1)


@mp.workdps(40)
def test_reference_agrees_with_the_course_numbers():
    # the course's printed worksheet (traces/sincos_worksheet.md, 8 significant digits)
    assert mp.nstr(TRUE["u2"][1], 8) == "-0.056589421"
    assert mp.nstr(TRUE["y"][0], 8) == "0.32009128"
    assert mp.nstr(TRUE["y"][1], 8) == "-0.069185669"
    # and an independent numerical derivative of the whole chain
    def y_of(x):
        return sincos_chain(x)["y"][0]
    assert abs(mp.diff(y_of, 1) - TRUE["y"][1]) < mp.mpf("1e-30")


def sig(v: Any, k: int, mode: str = "round") -> str:
    """``v`` written with ``k`` significant digits, rounded or truncated, as a person would."""
    d = Decimal(mp.nstr(mp.mpf(v), 35, strip_zeros=False))
    if d == 0:
        return "0"
    q = Decimal(1).scaleb(d.adjusted() - k + 1)
    r = d.quantize(q, rounding=ROUND_HALF_EVEN if mode == "round" else ROUND_DOWN)
    return format(r, "f")


def dec(v: Any, places: int) -> str:
    """``v`` written with ``places`` decimals (rounded)."""
    return format(Decimal(mp.nstr(mp.mpf(v), 35, strip_zeros=False)).quantize(Decimal(1).scaleb(-places),
                                                                             rounding=ROUND_HALF_EVEN), "f")


def worksheet_dict(fmt=lambda v: dec(v, 4), rows=None) -> dict:
    rows = rows or TRUE
    return {k: (fmt(rows[k][0]), fmt(rows[k][1])) for k in STEPS}


def as_markdown(table: dict, header=("step", "value", "d/dx")) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [f"| {k} | " + " | ".join(str(c) for c in cells) + " |" for k, cells in table.items()]
    return "\n".join(lines) + "\n"


def as_csv(table: dict, header=("step", "value", "d/dx")) -> str:
    lines = [",".join(header)] + [",".join([k, *map(str, cells)]) for k, cells in table.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    hand: Any                              # dict, table text, or a Path
    verdicts: dict                         # (step, column) -> verdict, for every listed cell
    score: tuple                           # (points, max points) at carried credit 1
    program: Any = WORKSHEET
    at: dict | None = None
    wrt: list | None = None
    default: str | None = None             # verdict of every other worksheet cell
    options: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)   # (step, column) -> text the reason must contain
    given: dict = field(default_factory=dict)     # (step, column) -> number the reader must read
    half_score: tuple | None = None        # score at carried credit 0.5
    cells: list | None = None              # all scored cells when not the worksheet's


CASES: list[Case] = []
# Cases the current code gets wrong, marked xfail(strict=True): each is removed as it is fixed.
XFAIL: set[str] = {
}
NUMBER_SHOWN_XFAIL: set[str] = {}
GRADESCOPE_XFAIL = False


def add(case: Case) -> None:
    CASES.append(case)


FULL = (22, 22)
X_ROW_OK = {("x", "value"): "correct", ("x", "d/dx"): "correct"}

# -- rounding and truncation at 1..10 significant digits ---------------------------
# 1-2 significant digits agree with the truth but are too few: imprecise, 0 points;
# 3 and more: correct (rounding and truncation both within one unit of the last place).
for k in range(1, 11):
    for mode, render in (("round", as_markdown), ("trunc", as_csv)):
        table = {"x": ("1", "1"), **worksheet_dict(lambda v, k=k, mode=mode: sig(v, k, mode))}
        add(Case(f"{mode}-{k}-sig", render(table), dict(X_ROW_OK),
                 (0, 22) if k < 3 else FULL, default="imprecise" if k < 3 else "correct"))
# the same by decimal places: 2 decimals leave -0.06, 0.03 (1 significant digit)
t2 = worksheet_dict(lambda v: dec(v, 2))
add(Case("round-2-decimals", t2,
         {("u2", "d/dx"): "imprecise", ("u4", "d/dx"): "imprecise", ("u5", "d/dx"): "imprecise",
          ("v5", "d/dx"): "imprecise", ("y", "d/dx"): "imprecise", ("u3", "d/dx"): "imprecise",
          ("v4", "d/dx"): "imprecise", ("v3", "d/dx"): "imprecise", ("v2", "value"): "imprecise",
          ("v2", "d/dx"): "imprecise", ("v3", "value"): "imprecise", ("v4", "value"): "imprecise",
          ("v5", "value"): "imprecise", ("y", "value"): "imprecise", ("u1", "value"): "imprecise",
          ("u1", "d/dx"): "imprecise", ("v1", "value"): "imprecise", ("v1", "d/dx"): "imprecise",
          ("u2", "value"): "imprecise", ("u3", "value"): "imprecise", ("u4", "value"): "imprecise",
          ("u5", "value"): "imprecise"},
         (0, 22), reasons={("u1", "value"): "significant"}))
add(Case("round-3-decimals", worksheet_dict(lambda v: dec(v, 3)),
         # -0.057, 0.093, -0.033, 0.031, -0.085, -0.069 keep 2 significant digits
         {("u2", "d/dx"): "imprecise", ("u3", "d/dx"): "imprecise", ("u4", "d/dx"): "imprecise",
          ("u5", "d/dx"): "imprecise", ("v5", "d/dx"): "imprecise", ("y", "d/dx"): "imprecise"},
         (16, 22), default="correct"))
# min_digits is the course's choice
add(Case("min-digits-1", worksheet_dict(lambda v: sig(v, 1)), {}, FULL, default="correct",
         options={"min_digits": 1}))
add(Case("min-digits-5", worksheet_dict(lambda v: sig(v, 4)), {}, (0, 22), default="imprecise",
         options={"min_digits": 5}))
# one digit too many or a wrong last digit
t = worksheet_dict(lambda v: dec(v, 4))
t["v1"] = ("0.5463", t["v1"][1])           # a digit wrong
t["u2"] = ("0.9823", t["u2"][1])           # 0.98218827: neither rounding nor truncation at 4 places
add(Case("digit-wrong", t, {("v1", "value"): "wrong", ("u2", "value"): "wrong"}, (20, 22), default="correct"))

# -- rounding carried forward (round 3) -----------------------------------------------
# A student who writes every cell rounded (or truncated) to k significant digits and
# computes each later row from those rounded numbers, as written.  No slip is made, so a
# careful TA marks every cell correct at k >= 3 (the digits allowed), imprecise at k < 3 --
# even where rounding has moved a late cell more than one unit of its last place from the
# true value (round 2 marked such cells wrong: see test_rounded_chains_really_drift).
def rounded_chain(x: Any, k: int, mode: str) -> dict:
    """The worksheet as the student computes it from their own k-digit numbers (mpmath)."""
    with mp.workdps(40):
        rows: dict[str, tuple] = {}

        def put(name, v, d):
            rows[name] = (sig(v, k, mode), sig(d, k, mode))
            return mp.mpf(rows[name][0]), mp.mpf(rows[name][1])

        x = mp.mpf(x)
        u, du = put("u1", mp.sin(x), mp.cos(x))
        v, dv = put("v1", mp.cos(x), -mp.sin(x))
        for i in range(2, 6):
            s_, ds = u + v, du + dv
            nu, ndu = put(f"u{i}", mp.sin(s_), mp.cos(s_) * ds)
            nv, ndv = put(f"v{i}", mp.cos(s_), -mp.sin(s_) * ds)
            u, du, v, dv = nu, ndu, nv, ndv
        put("y", u * v, du * v + u * dv)
        return rows


ROUNDED_CHAINS = {(k, mode): rounded_chain(1, k, mode) for k in range(1, 11) for mode in ("round", "trunc")}
for (k, mode), rows in ROUNDED_CHAINS.items():
    render = as_markdown if mode == "round" else as_csv
    add(Case(f"carried-rounding-{mode}-{k}-sig", render({"x": ("1", "1"), **rows}), dict(X_ROW_OK),
             FULL if k >= 3 else (0, 22), default="correct" if k >= 3 else "imprecise"))
# the same 4-digit rounded chain with one real slip: u3 = its rounded value + 0.2 (a digit
# wrong), every later row computed from the student's own numbers.  A later cell is
# correct if it is within one unit of its last place of the true value, else carried
# (decided here with mpmath, cell by cell, before the code runs).
def _slipped_chain(k: int = 4) -> tuple[dict, dict]:
    with mp.workdps(40):
        rows: dict[str, tuple] = {}

        def put(name, v, d, bump=0):
            rows[name] = (sig(mp.mpf(sig(v, k)) + bump, k + 1) if bump else sig(v, k), sig(d, k))
            return mp.mpf(rows[name][0]), mp.mpf(rows[name][1])

        x = mp.mpf(1)
        u, du = put("u1", mp.sin(x), mp.cos(x))
        v, dv = put("v1", mp.cos(x), -mp.sin(x))
        for i in range(2, 6):
            s_, ds = u + v, du + dv
            nu, ndu = put(f"u{i}", mp.sin(s_), mp.cos(s_) * ds, mp.mpf("0.2") if i == 3 else 0)
            nv, ndv = put(f"v{i}", mp.cos(s_), -mp.sin(s_) * ds)
            u, du, v, dv = nu, ndu, nv, ndv
        put("y", u * v, du * v + u * dv)
    verdicts = {("u3", "value"): "wrong"}
    for name in ("u4", "v4", "u5", "v5", "y"):
        for j, col in enumerate(("value", "d/dx")):
            text = rows[name][j]
            places = len(text.split(".")[1]) if "." in text else 0
            close = abs(mp.mpf(text) - TRUE[name][j]) < mp.mpf(10) ** -places
            verdicts[(name, col)] = "correct" if close else "carried"
    return rows, verdicts


_rows, _verdicts = _slipped_chain()
add(Case("carried-rounding-with-a-slip", as_markdown(_rows), _verdicts,
         (21, 22), default="correct", reasons={("y", "value"): "u3"} if _verdicts[("y", "value")] == "carried" else {}))

# -- guessing ---------------------------------------------------------------------
# every value 0 or 1, every derivative 0: each agrees with the truth to within one unit
# of "1" but shows no significant digit -> imprecise everywhere, nothing scores
add(Case("lazy-zero-one", DATA / "lazy_zero_one.md", dict(X_ROW_OK), (0, 22), default="imprecise",
         reasons={("u1", "value"): "significant"}))
# all zero, input row included: x = 0 is wrong (reported, not scored); every "0" shows
# no significant digit and every true value is below 1 in size -> imprecise
add(Case("all-zero", DATA / "all_zero.csv", {("x", "value"): "wrong", ("x", "d/dx"): "wrong"},
         (0, 22), default="imprecise"))
# the input row copied everywhere: "1" agrees within a unit with values in (0, 2),
# but not with the negative derivatives v1' -0.84, u2' -0.057, v3' -0.22, u4' -0.033,
# v5' -0.085, y' -0.069 (more than one unit away) -> those are wrong
add(Case("input-copied", DATA / "input_copied.md",
         {**X_ROW_OK, ("v1", "d/dx"): "wrong", ("u2", "d/dx"): "wrong", ("v3", "d/dx"): "wrong",
          ("u4", "d/dx"): "wrong", ("v5", "d/dx"): "wrong", ("y", "d/dx"): "wrong"},
         (0, 22), default="imprecise"))
# one six-digit number in every cell: wrong everywhere (no cell follows from the others)
add(Case("all-equal", DATA / "all_equal.csv", {}, (0, 22), default="wrong"))
# sin 1 copied into every cell: only u1's value is right
add(Case("one-value-everywhere", DATA / "one_value_everywhere.md", {("u1", "value"): "correct"},
         (1, 22), default="wrong"))

# -- right answers at the wrong point ------------------------------------------------
AT2 = sincos_chain(2)
t = worksheet_dict(lambda v: dec(v, 6), AT2)
# SPEC §7 (the default, wrong_inputs="carry"): a wrong input is reported and carried
# forward like any slip, and a course prices carried cells with --carried-credit.
# Without an input row: u1, v1 (values and derivatives) are wrong, every later cell
# follows from the student's u1, v1 -> carried
add(Case("wrong-point-no-input-row", as_markdown(t),
         {("u1", "value"): "wrong", ("u1", "d/dx"): "wrong", ("v1", "value"): "wrong", ("v1", "d/dx"): "wrong"},
         (18, 22), default="carried", half_score=(9, 22)))
# with the input row x = 2: the input is wrong (reported, never scored) and carried forward
add(Case("wrong-point-input-row", {"x": ("2", "1"), **t},
         {("x", "value"): "wrong", ("x", "d/dx"): "correct"},
         (22, 22), default="carried", half_score=(11, 22),
         reasons={("x", "value"): "input"}))
# wrong_inputs="strict" (what Grader uses with per-student variants, where a table at
# other inputs is a classmate's): without an input row, the u1, v1 of x = 2 = x + 1 (one
# of the usual other points) -- judged as if the input row x = 2 had been written (rule 5),
# so every cell is wrong; leaving the input row out must not pay better than writing it
add(Case("wrong-point-no-input-row-strict", as_markdown(t), {("x", "value"): "wrong"}, (0, 22), default="wrong",
         half_score=(0, 22), options={"wrong_inputs": "strict"},
         reasons={("y", "value"): "input x = 2"}))
# one cell of the first rows at another point is a slip, not another point: carried as before
t1 = worksheet_dict(lambda v: dec(v, 6), sincos_chain(1, {("u1", "value"): AT2["u1"][0]}, decimals=6))
for opts, suffix in (({}, ""), ({"wrong_inputs": "strict"}, "-strict")):
    add(Case("one-cell-at-another-point" + suffix, as_markdown(t1),
             {("u1", "value"): "wrong", **{(s_, c): "carried" for s_ in STEPS[2:] for c in ("value", "d/dx")}},
             (21, 22), default="correct", options=opts))
# strict, with the input row x = 2: the input is wrong (reported, never scored) and the
# cells computed from it are wrong, the reason says they follow from x = 2
add(Case("wrong-point-input-row-strict", {"x": ("2", "1"), **t},
         {("x", "value"): "wrong", ("x", "d/dx"): "correct"},
         (0, 22), default="wrong", half_score=(0, 22), options={"wrong_inputs": "strict"},
         reasons={("x", "value"): "input", ("u1", "value"): "input x = 2", ("y", "d/dx"): "input x = 2"}))
# the right worksheet with a wrong input row: the input is reported, nothing else changes
add(Case("wrong-input-row-only", {"x": ("2", "1"), **worksheet_dict()},
         {("x", "value"): "wrong", ("x", "d/dx"): "correct"}, FULL, default="correct"))
add(Case("input-row-decimals", {"x": ("1.000", "1.0"), **worksheet_dict()}, dict(X_ROW_OK), FULL, default="correct"))

# -- carried errors -----------------------------------------------------------------
# u2 = 0.8822 (a digit wrong; true 0.98218827): u3..y follow from it (1 to 4 steps deep)
own = sincos_chain(1, {("u2", "value"): mp.mpf("0.8822")}, decimals=6)
t = worksheet_dict(lambda v: dec(v, 6), own)
t["u2"] = ("0.8822", t["u2"][1])
carried_u2 = {(s, c): "carried" for s in ("u3", "v3", "u4", "v4", "u5", "v5", "y") for c in ("value", "d/dx")}
add(Case("carried-from-u2", t, {("u2", "value"): "wrong", **carried_u2}, (21, 22), default="correct",
         half_score=(14, 22), reasons={("y", "value"): "u2"}))
add(Case("carried-from-u2-markdown", as_markdown(t), {("u2", "value"): "wrong", **carried_u2}, (21, 22),
         default="correct", half_score=(14, 22)))
# the same table without error carried forward: every later cell is wrong
add(Case("carried-from-u2-no-cf", t, {("u2", "value"): "wrong",
                                      **{k: "wrong" for k in carried_u2}}, (7, 22), default="correct",
         options={"carry_forward": False}))
# sign dropped in u1' (0.540302 written -0.540302): the values stay right, every later
# derivative follows from it
own = sincos_chain(1, {("u1", "d/dx"): mp.mpf("-0.540302")}, decimals=6)
t = worksheet_dict(lambda v: dec(v, 6), own)
add(Case("carried-derivative-sign", as_csv(t),
         {("u1", "d/dx"): "wrong",
          **{(s, "d/dx"): "carried" for s in ("u2", "v2", "u3", "v3", "u4", "v4", "u5", "v5", "y")}},
         (21, 22), default="correct", half_score=(16.5, 22)))
# two independent slips: u2 and later u4 (0.6664, not what the student's own u3, v3 give)
own = sincos_chain(1, {("u2", "value"): mp.mpf("0.8822"), ("u4", "value"): mp.mpf("0.6664")}, decimals=6)
t = worksheet_dict(lambda v: dec(v, 6), own)
t["u2"], t["u4"] = ("0.8822", t["u2"][1]), ("0.6664", t["u4"][1])
add(Case("two-slips", t,
         {("u2", "value"): "wrong", ("u4", "value"): "wrong",
          **{k: v for k, v in carried_u2.items() if k != ("u4", "value")}},
         (20, 22), default="correct", half_score=(13.5, 22)))

# -- signs and notations: the number read is the number written ----------------------
base = worksheet_dict()
NOTATIONS = {
    "unicode-minus": {("v1", "d/dx"): ("\u22120.8415", -0.8415), ("u2", "d/dx"): ("\u22120.0566", -0.0566),
                      ("y", "d/dx"): ("\u22120.0692", -0.0692)},
    "minus-parenthesis": {("v1", "d/dx"): ("-(0.8415)", -0.8415), ("u2", "d/dx"): ("-(0.0566)", -0.0566)},
    "minus-one-times": {("v1", "d/dx"): ("(-1)·0.8415", -0.8415), ("u2", "d/dx"): ("(\u22121)·0.0566", -0.0566),
                        ("v3", "d/dx"): (r"$(-1) \cdot 0.2203$", -0.2203)},
    "rounded-remark": {("u1", "value"): ("0.8415 (rounded)", 0.8415), ("u1", "d/dx"): ("0.5403 (rounded)", 0.5403),
                       ("u2", "d/dx"): ("-0.0566 (rounded)", -0.0566)},
    "arrow-to-step": {("v1", "d/dx"): ("-0.8415 -> step 3", -0.8415), ("u2", "value"): ("0.9822 → step 4", 0.9822)},
    "latex-formula": {("v1", "d/dx"): (r"$-\sin(1) = -0.8415$", -0.8415), ("u1", "d/dx"): (r"$\cos(1) = 0.5403$", 0.5403),
                      ("u2", "d/dx"): ("$-0.0566$", -0.0566)},
    "en-dash-and-space": {("v1", "d/dx"): ("\u20130.8415", -0.8415), ("u2", "d/dx"): ("\u2212 0.0566", -0.0566)},
    "bracketed-negative": {("v1", "d/dx"): ("(\u22120.8415)", -0.8415), ("y", "d/dx"): ("[-0.0692]", -0.0692)},
}
for name, cells in NOTATIONS.items():
    t = dict(base)
    for (step, col), (text, _) in cells.items():
        value, deriv = t[step]
        t[step] = (text, deriv) if col == "value" else (value, text)
    add(Case(f"notation-{name}", as_markdown(t), {}, FULL, default="correct",
             given={k: v for k, (_, v) in cells.items()}))
# a sign that really is wrong stays wrong
t = dict(base)
t["v1"] = (t["v1"][0], "+0.8415")
add(Case("notation-plus-is-wrong", as_markdown(t), {("v1", "d/dx"): "wrong"}, (21, 22), default="correct",
         given={("v1", "d/dx"): 0.8415}))
t = dict(base)
t["v1"] = (t["v1"][0], "-(-0.8415)")
add(Case("notation-double-minus-is-wrong", as_markdown(t), {("v1", "d/dx"): "wrong"}, (21, 22),
         default="correct", given={("v1", "d/dx"): 0.8415}))
# a calculation in a cell is not read as its last number: refused (missing, with the reason),
# never a silently different number (round 2 read "2(-1)·0.4207" as 0.4207, "2·(-0.4207)" as 2)
t = dict(base)
t["v1"] = (t["v1"][0], "2(-1)·0.4207")
t["u2"] = (t["u2"][0], "2·(\u22120.0283)")
t["v3"] = (t["v3"][0], "(0.2203)(-1)")
add(Case("notation-calculation-refused", as_markdown(t),
         {("v1", "d/dx"): "missing", ("u2", "d/dx"): "missing", ("v3", "d/dx"): "missing"}, (19, 22),
         default="correct", reasons={("v1", "d/dx"): "calculation", ("u2", "d/dx"): "calculation",
                                     ("v3", "d/dx"): "calculation"}))
# nested and double signs: -(-(0.5403)) is +0.5403 (correct); --0.8415 is refused
t = dict(base)
t["u1"] = (t["u1"][0], "-(-(0.5403))")
t["v1"] = (t["v1"][0], "--0.8415")
add(Case("notation-nested-signs", as_markdown(t), {("v1", "d/dx"): "missing"}, (21, 22), default="correct",
         given={("u1", "d/dx"): 0.5403}, reasons={("v1", "d/dx"): "signs"}))
# -- file formats and encodings ---------------------------------------------------------
good = {"x": ("1", "1"), **worksheet_dict(lambda v: sig(v, 5))}
add(Case("csv-5-sig", as_csv(good), dict(X_ROW_OK), FULL, default="correct"))
add(Case("json-pairs", json.dumps({k: list(v) for k, v in good.items()}), dict(X_ROW_OK), FULL,
         default="correct"))
add(Case("json-steps-wrapper",
         json.dumps({"steps": [{"name": k, "value": a, "derivs": {"x": b}} for k, (a, b) in good.items()]}),
         dict(X_ROW_OK), FULL, default="correct"))
add(Case("json-rows-wrapper",
         json.dumps({"rows": [{"step": k, "value": a, "d/dx": b} for k, (a, b) in good.items()]}),
         dict(X_ROW_OK), FULL, default="correct"))
add(Case("utf8-bom-csv", ("\ufeff" + as_csv(good)).encode("utf-8"), dict(X_ROW_OK), FULL, default="correct"))
add(Case("utf16-markdown", ("\ufeff" + as_markdown(good)).encode("utf-16-le"), dict(X_ROW_OK), FULL,
         default="correct"))
add(Case("utf16-be-csv", as_csv(good).encode("utf-16"), dict(X_ROW_OK), FULL, default="correct"))
add(Case("missing-rows", {k: v for k, v in good.items() if k not in ("v4", "y")},
         {("v4", "value"): "missing", ("v4", "d/dx"): "missing", ("y", "value"): "missing",
          ("y", "d/dx"): "missing", **X_ROW_OK}, (18, 22), default="correct"))

# -- exact integers (backprop: g = w1^3 w2 + 3 w1 at w = (2, 3)) -------------------------
BACKPROP = ROOT / "traces" / "backprop.dd"
BP_CELLS = [(s, c) for s in ("a", "b", "c", "g") for c in ("value", "d/dw1", "d/dw2")]
BP_HEADER = ("step", "value", "d/dw1", "d/dw2")
bp_true = {"w1": ("2", "1", "0"), "w2": ("3", "0", "1"), "a": ("8", "12", "0"), "b": ("24", "36", "8"),
           "c": ("6", "3", "0"), "g": ("30", "39", "8")}
BP_INPUTS_OK = {(i, c): "correct" for i in ("w1", "w2") for c in ("value", "d/dw1", "d/dw2")}
add(Case("exact-integers", as_markdown(bp_true, BP_HEADER), dict(BP_INPUTS_OK), (12, 12), program=BACKPROP, default="correct",
         cells=BP_CELLS))
bp = dict(bp_true)
bp["g"] = ("30.0", "39.00", "8.000")
bp["a"] = ("8", "12", "0.0")
add(Case("exact-integers-with-decimals", as_csv(bp, BP_HEADER), dict(BP_INPUTS_OK), (12, 12), program=BACKPROP,
         default="correct", cells=BP_CELLS))
bp = dict(bp_true)
bp["g"] = ("30", "40", "8")            # 40 for 39: a whole number gets no ±1
bp["c"] = ("7", "3", "0")              # 7 for 6
bp["b"] = ("24", "38.9", "8")          # 38.9 for 36: wrong (and g' = 40 follows neither from 36 + 3 nor 38.9 + 3)
add(Case("integers-off-by-one", as_markdown(bp, BP_HEADER),
         {("g", "d/dw1"): "wrong", ("b", "d/dw1"): "wrong", ("c", "value"): "wrong", **BP_INPUTS_OK},
         (9, 12), program=BACKPROP, default="correct", cells=BP_CELLS))
bp = dict(bp_true)
bp["w1"] = ("3", "1", "0")             # wrong input: reported and carried forward
add(Case("integer-input-wrong", as_markdown(bp, BP_HEADER),
         {("w1", "value"): "wrong", ("w1", "d/dw1"): "correct", ("w1", "d/dw2"): "correct",
          ("w2", "value"): "correct", ("w2", "d/dw1"): "correct", ("w2", "d/dw2"): "correct"},
         (12, 12), program=BACKPROP, default="correct", cells=BP_CELLS))

# -- kinks -------------------------------------------------------------------------
KINK = ROOT / "traces" / "relu_kink.dd"
K_CELLS = [(s, c) for s in ("r", "a", "l", "el") for c in ("value", "d/dx")]


def kink_table(r, a, l, el):
    return {"r": ("0", r), "a": ("0", a), "l": ("0", l), "el": ("0", el)}


for i, (r, a, l, el) in enumerate([("0", "0", "0.1", "1"), ("1", "1", "1", "1"), ("0.5", "-1", "0.55", "1.0"),
                                   ("1.0", "-0.5", "0.10", "1.000"), ("0.25", "0.3", "0.999", "1")]):
    kinked = {("r", "d/dx"), ("a", "d/dx"), ("l", "d/dx")}
    add(Case(f"kink-subgradients-{i}", as_markdown(kink_table(r, a, l, el)), {}, (8, 8), program=KINK,
             default="correct", cells=K_CELLS,
             reasons={k: "kink" for k in kinked if (k[0] != "r" or r != "0") and (k[0] != "a" or a != "0")
                      and (k[0] != "l" or l not in ("0.1", "0.10"))}))
add(Case("kink-outside", as_markdown(kink_table("1.5", "-1.2", "0.05", "0.5")),
         {("r", "d/dx"): "wrong", ("a", "d/dx"): "wrong", ("l", "d/dx"): "wrong", ("el", "d/dx"): "wrong"},
         (4, 8), program=KINK, default="correct", cells=K_CELLS))
# a kink inside a longer chain: y = 3 relu(x) + x has one-sided derivatives 1 and 4
KINK2 = "x = 0\nr = relu(x)\ny = 3 * r + x\n"
add(Case("kink-chain-inside", {"r": ("0", "0.5"), "y": ("0", "2.5")}, {}, (4, 4), program=KINK2,
         default="correct", cells=[(s, c) for s in ("r", "y") for c in ("value", "d/dx")],
         reasons={("y", "d/dx"): "kink"}))
add(Case("kink-chain-outside", {"r": ("0", "0.5"), "y": ("0", "4.5")}, {("y", "d/dx"): "wrong"}, (3, 4),
         program=KINK2, default="correct", cells=[(s, c) for s in ("r", "y") for c in ("value", "d/dx")]))
# relu(-2x) at 0: the inner derivative is negative, the one-sided derivatives are -2 and 0
KINK3 = "x = 0\nr = relu(-2 * x)\n"
add(Case("kink-negative-inner", {"r": ("0", "-1.5")}, {}, (2, 2), program=KINK3, default="correct",
         cells=[("r", "value"), ("r", "d/dx")], reasons={("r", "d/dx"): "kink"}))
add(Case("kink-negative-inner-wrong", {"r": ("0", "1")}, {("r", "d/dx"): "wrong"}, (1, 2), program=KINK3,
         default="correct", cells=[("r", "value"), ("r", "d/dx")]))
# -- a true value the float trace gets wrong: cross-entropy at w = 3, x = 12, y = 0 ------
CE = ROOT / "traces" / "cross_entropy.dd"
CE_CELLS = [(s, c) for s in ("h", "yhat", "ce", "closed_form") for c in ("value", "d/dw")]
w_, x_ = mp.mpf(3), mp.mpf(12)
s_ = 1 / (1 + mp.exp(-w_ * x_))
CE_TRUE = {"h": (w_ * x_, x_), "yhat": (s_, x_ * s_ * (1 - s_)),
           "ce": (mp.log(1 + mp.exp(w_ * x_)), x_ * s_),            # -log(1 - sigmoid(36)), (yhat - y) x
           "closed_form": (x_ * s_, x_ * x_ * s_ * (1 - s_))}


@mp.workdps(40)
def test_cross_entropy_reference():
    assert mp.nstr(CE_TRUE["ce"][0], 20) == "36.000000000000000232"
    assert mp.nstr(CE_TRUE["ce"][1], 8) == "12.0"
    # and the float trace really is off in the 2nd decimal (the reason for this case)
    tr = dd.trace_program(dd.load_program(CE), at={"w": 3, "x": 12, "y": 0}, wrt=["w"])
    assert abs(tr["ce"].value - 36) > 0.01


ce_hand = {"w": ("3", "1"), "x": ("12", "0"), "y": ("0", "0"), "h": ("36", "12"),
           "yhat": ("1.0000000", sig(CE_TRUE["yhat"][1], 3)), "ce": ("36.000000", "12.000000"),
           "closed_form": ("12.000000", sig(CE_TRUE["closed_form"][1], 3))}
CE_OPTS = dict(program=CE, at={"w": 3, "x": 12, "y": 0}, wrt=["w"], cells=CE_CELLS)
add(Case("cross-entropy-true-values", as_markdown(ce_hand, ("step", "value", "d/dw")),
         {(i, c): "correct" for i in ("w", "x", "y") for c in ("value", "d/dw")}, (8, 8),
         default="correct", **CE_OPTS))
ce_float = dict(ce_hand)
ce_float["ce"] = ("36.043653", "12.000000")   # what a float computation prints: wrong
add(Case("cross-entropy-float-value", as_markdown(ce_float, ("step", "value", "d/dw")),
         {("ce", "value"): "wrong", **{(i, c): "correct" for i in ("w", "x", "y") for c in ("value", "d/dw")}},
         (7, 8), default="correct", **CE_OPTS))
ce_short = dict(ce_hand)
ce_short["ce"] = ("36.0", "12.0")             # 3 significant digits: correct
add(Case("cross-entropy-three-digits", as_csv(ce_short, ("step", "value", "d/dw")),
         {(i, c): "correct" for i in ("w", "x", "y") for c in ("value", "d/dw")}, (8, 8),
         default="correct", **CE_OPTS))
mp.mp.dps = _SAVED_DPS  # other test modules expect mpmath's default precision


@mp.workdps(40)
def test_rounded_chains_really_drift():
    """The carried-rounding cases test something: in every chain of 3..10 digits some cell
    is more than one unit of its last written place away from the true value (so only
    "what their own rounded numbers give" makes it correct), while every cell is within
    one unit of what the student's own rounded numbers give (decided in mpmath)."""
    for (k, mode), rows in ROUNDED_CHAINS.items():
        if k < 3:
            continue
        far = 0
        for name in STEPS:
            for j in (0, 1):
                text = rows[name][j]
                places = len(text.split(".")[1]) if "." in text else 0
                if abs(mp.mpf(text) - TRUE[name][j]) >= mp.mpf(10) ** -places:
                    far += 1
        assert far >= 1, (k, mode)


# ---------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------
def test_there_are_enough_cases():
    assert len(CASES) >= 60


_traces: dict = {}


def _trace(case: Case):
    key = (str(case.program), json.dumps(case.at, sort_keys=True), json.dumps(case.wrt))
    if key not in _traces:
        prog = dd.load_program(case.program) if isinstance(case.program, Path) else case.program
        _traces[key] = dd.trace_program(prog, at=case.at, wrt=case.wrt)
    return _traces[key]


def _hand(case: Case, tmp_path: Path):
    if isinstance(case.hand, bytes):
        p = tmp_path / ("table.csv" if "csv" in case.id else "table.md")
        p.write_bytes(case.hand)
        return p
    return case.hand


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True)
                                               if c.id in XFAIL else ()) for c in CASES])
def test_truth_table(case: Case, tmp_path):
    report = _trace(case).verify(_hand(case, tmp_path), **case.options)
    got = {(c.step, c.column): c for c in report.cells}
    expected = dict(case.verdicts)
    for cell in (case.cells or CELLS):
        expected.setdefault(cell, case.default)
    wrong = {k: (got[k].verdict if k in got else "(no cell)", v) for k, v in expected.items()
             if v is not None and (k not in got or got[k].verdict != v)}
    assert not wrong, f"(got, expected) per cell: {wrong}\n{report}"
    unexpected = [k for k in got if k not in expected]
    assert not unexpected, f"cells not in the expectation: {unexpected}"
    assert report.score() == pytest.approx(case.score), report.summary()
    if case.half_score is not None:
        assert report.score(carried_credit=0.5) == pytest.approx(case.half_score)
    for k, text in case.reasons.items():
        assert text.lower() in got[k].reason.lower(), (k, got[k].reason)
    for k, number in case.given.items():
        assert got[k].given == pytest.approx(number, abs=0), (k, got[k].text, got[k].given)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True)
                                               if c.id in NUMBER_SHOWN_XFAIL else ()) for c in CASES if c.given])
def test_report_shows_the_number_read(case: Case, tmp_path):
    """A TA must see what was read: the report table shows the number beside the text."""
    report = _trace(case).verify(_hand(case, tmp_path), **case.options)
    text = report.table("github")
    for (step, col), number in case.given.items():
        line = next(ln for ln in text.splitlines() if re.match(rf"\|\s*{step}\s*\|\s*{re.escape(col)}\s*\|", ln))
        assert f"{number:g}" in line.replace("\u2212", "-"), line


# ---------------------------------------------------------------------------
# Gradescope's results.json schema, checked over every case's output
# ---------------------------------------------------------------------------
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def validate_gradescope(doc: Any) -> None:
    """The fields and types of Gradescope's documented autograder results.json."""
    assert isinstance(doc, dict), type(doc)
    assert isinstance(doc.get("score"), (int, float)) and not isinstance(doc["score"], bool)
    assert isinstance(doc.get("max_score", 0), (int, float))
    assert isinstance(doc.get("output", ""), str)
    assert doc.get("visibility", "visible") in VISIBILITY
    assert doc.get("stdout_visibility", "visible") in VISIBILITY
    allowed = {"score", "max_score", "output", "output_format", "visibility", "stdout_visibility",
               "tests", "leaderboard", "execution_time", "extra_data", "test_output_format",
               "test_name_format", "name"}
    assert not set(doc) - allowed, set(doc) - allowed
    assert 0 <= doc["score"] <= doc.get("max_score", doc["score"]) + 1e-9
    for t in doc.get("tests", []):
        assert isinstance(t, dict)
        assert isinstance(t.get("name", ""), str)
        assert isinstance(t.get("score", 0), (int, float)) and isinstance(t.get("max_score", 0), (int, float))
        assert t.get("status", "passed") in ("passed", "failed")
        assert isinstance(t.get("output", ""), str)
        assert t.get("visibility", "visible") in VISIBILITY
    if doc.get("tests") and "max_score" in doc:
        assert sum(t.get("score", 0) for t in doc["tests"]) == pytest.approx(doc["score"])
    # what students read states the same score as the score field
    m = re.search(r"score (\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)", doc.get("output", ""))
    assert m, doc.get("output")
    assert float(m.group(1)) == pytest.approx(doc["score"]) and float(m.group(2)) == pytest.approx(doc["max_score"])


@pytest.mark.parametrize("credit", [1.0] + [pytest.param(c, marks=pytest.mark.xfail(
    GRADESCOPE_XFAIL, strict=True, reason="output states the score at credit 1")) for c in (0.5, 0.0)])
def test_gradescope_schema_over_all_cases(credit, tmp_path):
    for case in CASES:
        if case.id in XFAIL:
            continue
        report = _trace(case).verify(_hand(case, tmp_path), **case.options)
        doc = json.loads(json.dumps(report.gradescope(carried_credit=credit)))
        validate_gradescope(doc)
        assert doc["score"] == pytest.approx(report.score(credit)[0])
