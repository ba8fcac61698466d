"""A catalogue of synthetic slips: each slip kind applied to every cell of several
programs; the diagnosis must name the slip that was applied.

Everything the expectations rest on is computed here, independently of dualdiff: the
true values and derivatives come from a forward evaluation of each program written
out below with the ``math`` module (its own derivative table), and each slip is
applied by construction (a string operation on the written number, or the wrong rule
evaluated with ``math``).  The expected diagnosis code is the slip applied.

Measured (and printed with ``-s``): recall = share of slipped cells whose diagnosis
names the applied slip; precision = share of cells given a diagnosis whose diagnosis
names the applied slip; and no diagnosis at all on a correct or carried cell.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

import dualdiff as dd

ROOT = Path(__file__).resolve().parent.parent


def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


# The function table of this test (values and derivatives, by hand).
VALUE: dict[str, Callable[[float], float]] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "sec": lambda a: 1 / math.cos(a),
    "log": math.log, "exp": math.exp, "sigmoid": sigmoid, "square": lambda a: a * a,
}
DERIV: dict[str, Callable[[float], float]] = {
    "sin": math.cos, "cos": lambda a: -math.sin(a), "tan": lambda a: 1 / math.cos(a) ** 2,
    "sec": lambda a: math.sin(a) / math.cos(a) ** 2, "log": lambda a: 1 / a, "exp": math.exp,
    "sigmoid": lambda a: sigmoid(a) * (1 - sigmoid(a)), "square": lambda a: 2 * a,
}
# The usual confusions a student makes (the table): f -> wrong derivatives.
CONFUSED: dict[str, list[Callable[[float], float]]] = {
    "sin": [lambda a: -math.sin(a)],                           # cos's rule used for sin
    "cos": [lambda a: math.sin(a), lambda a: -math.cos(a)],    # +sin; -cos (sin/cos)
    "tan": [lambda a: math.tan(a) / math.cos(a)],              # sec·tan for sec²
    "sec": [lambda a: 1 / math.cos(a) ** 2],                   # sec² for sec·tan
    "log": [math.log],                                         # log for 1/x
    "sigmoid": [sigmoid],                                      # σ for σ(1-σ)
}
TRIG = {"sin", "cos", "tan", "sec"}


@dataclass
class S:
    """One step: ``f(inner(deps))`` (kind "call"), ``a * b`` ("prod") or a plain
    function of its operands with hand-written partials ("lin")."""

    name: str
    deps: tuple[str, ...]
    kind: str
    inner: Callable[..., float] = lambda *v: v[0]
    partials: Callable[..., tuple] = lambda *v: (1.0,)   # ∂inner/∂dep for each dep
    f: str = ""


@dataclass
class Program:
    name: str
    source: str
    inputs: dict[str, float]
    wrt: list[str]
    steps: list[S] = field(default_factory=list)

    def evaluate(self, env_in: dict[str, tuple[float, dict[str, float]]] | None = None,
                 inputs: dict[str, float] | None = None) -> dict[str, tuple[float, dict[str, float]]]:
        """Forward evaluation; ``env_in`` overrides rows with a student's own numbers."""
        env: dict[str, tuple[float, dict[str, float]]] = {}
        for k, v in (inputs or self.inputs).items():
            env[k] = (float(v), {w: float(w == k) for w in self.wrt})
        for s in self.steps:
            env[s.name] = self.step_value(s, env)
            if env_in and s.name in env_in:
                env[s.name] = env_in[s.name]
        return env

    def step_value(self, s: S, env, rule: Callable[[float], float] | None = None,
                   chain: bool = True, keep: int | None = None, degrees: bool = False):
        vals = [env[d][0] for d in s.deps]
        if s.kind == "prod":
            a, b = s.deps
            (av, ad), (bv, bd) = env[a], env[b]
            ds = {w: (ad[w] * bv if keep in (None, 0) else 0.0) + (av * bd[w] if keep in (None, 1) else 0.0)
                  for w in self.wrt}
            return av * bv, ds
        g = s.inner(*vals)
        gp = {w: sum(p * env[d][1][w] for p, d in zip(s.partials(*vals), s.deps)) for w in self.wrt}
        if s.kind == "lin":
            return g, gp
        arg = g * math.pi / 180 if degrees else g
        fp = (rule or DERIV[s.f])(arg)
        return VALUE[s.f](arg), {w: fp * (gp[w] if chain else 1.0) for w in self.wrt}

    def trace(self):
        return dd.trace_program(self.source, wrt=self.wrt)


def sincos() -> Program:
    p = Program("sincos_worksheet", (ROOT / "traces/sincos_worksheet.dd").read_text(), {"x": 1.0}, ["x"])
    p.steps += [S("u1", ("x",), "call", f="sin"), S("v1", ("x",), "call", f="cos")]
    for k in range(2, 6):
        u, v = f"u{k - 1}", f"v{k - 1}"
        add = dict(inner=lambda a, b: a + b, partials=lambda a, b: (1.0, 1.0))
        p.steps += [S(f"u{k}", (u, v), "call", f="sin", **add), S(f"v{k}", (u, v), "call", f="cos", **add)]
    p.steps.append(S("y", ("u5", "v5"), "prod"))
    return p


def backprop() -> Program:
    p = Program("backprop", (ROOT / "traces/backprop.dd").read_text(), {"w1": 2.0, "w2": 3.0}, ["w1", "w2"])
    p.steps += [
        S("a", ("w1",), "lin", inner=lambda w: w ** 3, partials=lambda w: (3 * w ** 2,)),
        S("b", ("a", "w2"), "prod"),
        S("c", ("w1",), "lin", inner=lambda w: 3 * w, partials=lambda w: (3.0,)),
        S("g", ("b", "c"), "lin", inner=lambda b, c: b + c, partials=lambda b, c: (1.0, 1.0)),
    ]
    return p


def squared_error() -> Program:
    p = Program("squared_error", (ROOT / "traces/squared_error.dd").read_text(),
                {"w": 0.8, "b": -0.3, "x": 1.5, "z": 1.0}, ["w", "b"])
    p.steps += [
        S("s", ("w", "x", "b"), "lin", inner=lambda w, x, b: w * x + b, partials=lambda w, x, b: (x, w, 1.0)),
        S("y", ("s",), "call", f="sigmoid"),
        S("J", ("y", "z"), "call", f="square", inner=lambda y, z: y - z, partials=lambda y, z: (1.0, -1.0)),
    ]
    return p


def cross_entropy() -> Program:
    p = Program("cross_entropy", (ROOT / "traces/cross_entropy.dd").read_text(),
                {"w": 0.5, "x": 2.0, "y": 1.0}, ["w"])
    p.steps += [
        S("h", ("w", "x"), "prod"),
        S("yhat", ("h",), "call", f="sigmoid"),
        S("ce", ("y", "yhat"), "lin",
          inner=lambda y, q: -y * math.log(q) - (1 - y) * math.log(1 - q),
          partials=lambda y, q: (-math.log(q) + math.log(1 - q), -y / q + (1 - y) / (1 - q))),
        S("closed_form", ("yhat", "y", "x"), "lin", inner=lambda q, y, x: (q - y) * x,
          partials=lambda q, y, x: (x, -x, q - y)),
    ]
    return p


def trig_log() -> Program:
    src = "x = 0.7\nt = tan(x)\ns = sec(x)\nq = log(t + s)\nr = t * s\np = exp(q * x)\n"
    p = Program("trig_log", src, {"x": 0.7}, ["x"])
    p.steps += [
        S("t", ("x",), "call", f="tan"), S("s", ("x",), "call", f="sec"),
        S("q", ("t", "s"), "call", f="log", inner=lambda t, s: t + s, partials=lambda t, s: (1.0, 1.0)),
        S("r", ("t", "s"), "prod"),
        S("p", ("q", "x"), "call", f="exp", inner=lambda q, x: q * x, partials=lambda q, x: (x, q)),
    ]
    return p


PROGRAMS = [sincos(), backprop(), squared_error(), cross_entropy(), trig_log()]


# ---------------------------------------------------------------------------
# Writing numbers as a student does (4 to 8 significant digits)
# ---------------------------------------------------------------------------
def write(v: float, sig: int) -> str:
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))  # an exact integer written exactly
    places = max(0, sig - 1 - math.floor(math.log10(abs(v))))
    return f"{v:.{places}f}"


def read(text: str) -> float:
    return float(text)


def places(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def accepted(text: str, truth: float) -> bool:
    """Would a careful TA accept this written number (±1 unit in its last place)?"""
    return abs(read(text) - truth) <= 10.0 ** -places(text) * (1 + 1e-9) + 1e-12 * abs(truth)


def transpose(text: str) -> str | None:
    """Swap the first pair of neighbouring significant digits that differ."""
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    idx = [i for i, ch in enumerate(body) if ch.isdigit()]
    first = next((k for k, i in enumerate(idx) if body[i] != "0"), None)
    if first is None:
        return None
    sig = idx[first:]
    for a, b in zip(sig[1:], sig[2:]):  # keep the leading digit: 0.5403 -> 0.5043
        if body[a] != body[b]:
            chars = list(body)
            chars[a], chars[b] = chars[b], chars[a]
            return sign + "".join(chars)
    return None


def one_digit(text: str) -> str | None:
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    idx = [i for i, ch in enumerate(body) if ch.isdigit()]
    first = next((k for k, i in enumerate(idx) if body[i] != "0"), None)
    if first is None or len(idx) - first < 3:
        return None
    pos = idx[first + (len(idx) - first) // 2]
    chars = list(body)
    chars[pos] = str((int(chars[pos]) + 5) % 10)
    return sign + "".join(chars)


def digits_for(i: int, column: int) -> int:
    return 4 + (3 * i + column) % 5  # 4..8


# ---------------------------------------------------------------------------
# The slips
# ---------------------------------------------------------------------------
@dataclass
class Slip:
    code: str
    step: str
    column: str
    text: str


def columns(p: Program) -> list[str]:
    return ["value"] + [f"d/d{w}" for w in p.wrt]


def cell(env, step: str, column: str) -> float:
    v, ds = env[step]
    return v if column == "value" else ds[column[3:]]


def slips_for(p: Program, s: S, column: str, sig: int, env, true_env=None) -> list[Slip]:
    """Every slip of the catalogue that applies to one cell, computed from ``env`` (the
    values the student works from); a slip that gives a number a TA would accept (the
    true one, or what ``env`` gives) is no slip."""
    truth = cell({s.name: p.step_value(s, env)}, s.name, column)
    true_value = cell(true_env, s.name, column) if true_env is not None else truth
    out: list[Slip] = []
    w = None if column == "value" else column[3:]
    written = write(truth, sig)

    def add(code: str, number: float | str, digits: int = sig) -> None:
        text = number if isinstance(number, str) else write(number, digits)
        if text is not None and not accepted(text, truth) and not accepted(text, true_value) and "e" not in text:
            out.append(Slip(code, s.name, column, text))

    if "." in written:
        t = transpose(written)
        if t:
            add("transposed", t)
        o = one_digit(written)
        if o:
            add("digit", o)
    if truth != 0:
        add("sign", written[1:] if written.startswith("-") else "-" + written)
        add("decimal", truth * (10.0 if len(out) % 2 else 0.1))
    # rounded too early: the operands rounded to 2 significant digits
    rounded = {d: (float(f"{env[d][0]:.2g}"), {k: float(f"{x:.2g}") for k, x in env[d][1].items()})
               for d in s.deps}
    add("rounded-early", cell({s.name: p.step_value(s, {**env, **rounded})}, s.name, column), max(sig, 6))
    # another cell's value copied: the previous row's value
    names = [k for k in env]
    prev = names[max(0, names.index(s.name) - 1)]
    add("copied", env[prev][0])
    if s.kind == "call" and s.f in TRIG:
        add("degrees", cell({s.name: p.step_value(s, env, degrees=True)}, s.name, column))
    if w is not None:
        if s.kind == "call":
            for rule in CONFUSED.get(s.f, ()):
                add("wrong-rule", cell({s.name: p.step_value(s, env, rule=rule)}, s.name, column))
            add("chain-missing", cell({s.name: p.step_value(s, env, chain=False)}, s.name, column))
        if s.kind == "prod" and all(env[d][1][w] != 0 for d in s.deps):
            add("product-one-term", cell({s.name: p.step_value(s, env, keep=0)}, s.name, column))
    if true_env is not None:  # (another point: only for a table computed from the truth)
        return out
    # a value computed at another point: the first input doubled
    first = next(iter(p.inputs))
    other = p.evaluate(inputs={**p.inputs, first: 2 * p.inputs[first]})
    add("other-point", cell(other, s.name, column))
    return out


def hand_table(p: Program, env, overrides: dict[tuple[str, str], str]) -> dict[str, tuple[str, ...]]:
    rows = {}
    for i, s in enumerate(p.steps):
        rows[s.name] = tuple(overrides.get((s.name, c), write(cell(env, s.name, c), digits_for(i, j)))
                             for j, c in enumerate(columns(p)))
    return rows


def own_numbers(p: Program, rows: dict[str, tuple[str, ...]]):
    return {name: (read(t[0]), {w: read(x) for w, x in zip(p.wrt, t[1:])}) for name, t in rows.items()}


# ---------------------------------------------------------------------------
# The measurement
# ---------------------------------------------------------------------------
@dataclass
class Tally:
    slipped: int = 0
    named: int = 0
    sole: int = 0
    diagnosed: int = 0
    unclear: int = 0
    on_correct: list = field(default_factory=list)
    missed: list = field(default_factory=list)

    def recall(self) -> float:
        return self.named / self.slipped

    def precision(self) -> float:
        return self.named / self.diagnosed if self.diagnosed else 1.0


def judge(trace, rows, slips: list[Slip], tally: Tally, where: str) -> None:
    report = trace.verify(rows)
    slipped = {(s.step, s.column): s for s in slips}
    for c in report.cells:
        d = getattr(c, "diagnosis")
        sl = slipped.get((c.step, c.column))
        if sl is None:
            if d is not None:
                tally.on_correct.append((where, c.step, c.column, c.verdict, str(d)))
            continue
        if c.verdict == "carried" and sl is not slips[0]:
            # within what the student's earlier (rounded) numbers leave open: no slip
            tally.unclear += 1
            continue
        tally.slipped += 1
        assert c.verdict == "wrong", (where, sl, c.verdict, c.reason)
        if d is not None and d.found:
            tally.diagnosed += 1
        if d is not None and sl.code in d.codes:
            tally.named += 1
            tally.sole += d.codes == (sl.code,)
        else:
            tally.missed.append((where, sl.code, sl.step, sl.column, sl.text, str(d)))


def single_slips() -> Tally:
    tally = Tally()
    for p in PROGRAMS:
        trace = p.trace()
        env = p.evaluate()
        for i, s in enumerate(p.steps):
            for j, col in enumerate(columns(p)):
                for slip in slips_for(p, s, col, digits_for(i, j), env):
                    rows = hand_table(p, env, {(slip.step, slip.column): slip.text})
                    judge(trace, rows, [slip], tally, f"{p.name}")
    return tally


def combined_slips() -> Tally:
    """Two slips in one table, the student carrying the first forward: later cells are
    computed from the student's own written numbers, and the second slip is applied to
    what those numbers give."""
    tally = Tally()
    for p in PROGRAMS:
        trace = p.trace()
        truth = p.evaluate()
        steps = p.steps
        for i, first in enumerate(steps[:-1]):
            firsts = slips_for(p, first, "value", digits_for(i, 0), truth)
            if not firsts:
                continue
            slip1 = firsts[i % len(firsts)]
            # the student's table: correct up to the first slip, then carried forward
            rows = hand_table(p, truth, {(slip1.step, slip1.column): slip1.text})
            try:
                rows = _recarry(p, rows, i)
            except (ValueError, ZeroDivisionError):  # log of a negative: no table
                continue
            own = own_numbers(p, rows)
            # the second slip: a later step that uses the first slip's row
            for k in range(i + 1, len(steps)):
                s = steps[k]
                if first.name not in s.deps:
                    continue
                env = {**truth, **{n: own[n] for n in (x.name for x in steps[:k])}}
                seconds = slips_for(p, s, "value", digits_for(k, 0), env, truth)
                seconds += slips_for(p, s, columns(p)[-1], digits_for(k, len(p.wrt)), env, truth)
                for slip2 in seconds:
                    table = dict(rows)
                    j = columns(p).index(slip2.column)
                    table[s.name] = tuple(slip2.text if jj == j else t for jj, t in enumerate(rows[s.name]))
                    # later rows keep what the student's numbers before the second slip gave:
                    # they are carried from the second slip, or correct given the first
                    try:
                        table = _recarry(p, table, k)
                    except (ValueError, ZeroDivisionError):  # log of a negative: no table
                        continue
                    judge(trace, table, [slip1, slip2], tally, f"{p.name} combined")
    return tally


def _recarry(p: Program, table: dict, k: int) -> dict:
    """Rows after step k that depend on a slipped row (step k and the rows it feeds),
    recomputed from the student's own written numbers, as a student carries a slip."""
    truth = p.evaluate()
    own = own_numbers(p, table)
    tainted = {x.name for x in p.steps[:k + 1]
               if any(not accepted(t, cell(truth, x.name, c)) for t, c in zip(table[x.name], columns(p)))}
    for kk in range(k + 1, len(p.steps)):
        s = p.steps[kk]
        if not tainted & set(s.deps):
            continue
        tainted.add(s.name)
        env = {**truth, **{n: own[n] for n in (x.name for x in p.steps[:kk])}}
        v = p.step_value(s, env)
        table[s.name] = tuple(write(cell({s.name: v}, s.name, c), digits_for(kk, j))
                              for j, c in enumerate(columns(p)))
        own.update(own_numbers(p, {s.name: table[s.name]}))
    return table


def test_truth_of_this_file_agrees_with_dualdiff():
    """The hand-written forward evaluation above is the reference; check that it and
    dualdiff describe the same programs (else every expectation below is moot)."""
    for p in PROGRAMS:
        env = p.evaluate()
        trace = p.trace()
        for s in p.steps:
            step = trace[s.name]
            assert step.value == pytest.approx(env[s.name][0], rel=1e-12, abs=1e-14), (p.name, s.name)
            for w in p.wrt:
                assert step.derivs[w] == pytest.approx(env[s.name][1][w], rel=1e-12, abs=1e-14), (p.name, s.name, w)


def test_correct_tables_get_no_diagnosis():
    for p in PROGRAMS:
        env = p.evaluate()
        trace = p.trace()
        for shift in range(5):  # every cell at 4..8 digits
            rows = {s.name: tuple(write(cell(env, s.name, c), 4 + (i + j + shift) % 5)
                                  for j, c in enumerate(columns(p))) for i, s in enumerate(p.steps)}
            report = trace.verify(rows)
            assert report.counts["wrong"] == 0, (p.name, report.table())
            assert all(c.diagnosis is None for c in report.cells), p.name


def test_single_slips_are_named():
    tally = single_slips()
    print(f"\nsingle slips: {tally.slipped} cells, recall {tally.recall():.3f} "
          f"(sole explanation {tally.sole / tally.slipped:.3f}), precision {tally.precision():.3f}")
    for m in tally.missed[:40]:
        print("  missed:", m)
    assert tally.slipped > 300
    assert not tally.on_correct, tally.on_correct[:10]
    assert tally.recall() >= 0.95, tally.missed[:20]


def test_combined_slips_are_named_from_the_students_own_numbers():
    tally = combined_slips()
    print(f"\ncombined slips: {tally.slipped} cells, recall {tally.recall():.3f} "
          f"(sole {tally.sole / tally.slipped:.3f}), precision {tally.precision():.3f}")
    for m in tally.missed[:40]:
        print("  missed:", m)
    for m in tally.on_correct[:20]:
        print("  on a correct cell:", m)
    assert tally.slipped > 100
    assert not tally.on_correct, tally.on_correct[:10]
    assert tally.recall() >= 0.9, tally.missed[:20]


# ---------------------------------------------------------------------------
# The course worksheet's own slips (issue 13), verdicts and codes written down
# ---------------------------------------------------------------------------
def test_course_worksheet_slips():
    trace = dd.trace_program((ROOT / "traces/sincos_worksheet.dd").read_text())
    report = trace.verify({
        "u1": ("0.84147098", "0.54030231"),
        "v1": ("0.54030123", "-0.54030123"),   # transposed; then -cos 1 (their own cos 1) for -sin 1
        "u2": ("0.98218827", "-0.565894"),     # decimal point shifted
        "v2": ("0.18789942", "0.29580435"),
    })
    got = {(c.step, c.column): c.diagnosis.codes for c in report.cells if c.diagnosis}
    assert "transposed" in got[("v1", "value")]
    assert "wrong-rule" in got[("v1", "d/dx")]
    assert "decimal" in got[("u2", "d/dx")]
    assert set(got) == {("v1", "value"), ("v1", "d/dx"), ("u2", "d/dx")}


def test_unexplained_number_says_none_found():
    trace = dd.trace_program("x = 1\nu = sin(x)")
    report = trace.verify({"u": ("0.3772", "0.5403")})
    (c,) = [c for c in report.cells if c.verdict == "wrong"]
    assert c.diagnosis.codes == ("none",)
    assert "none found" in c.diagnosis.sentence


def test_two_explanations_are_both_given():
    # -cos(1) for sin'(1): both "sign dropped" and "-cos used for sin" reproduce it
    trace = dd.trace_program("x = 1\nu = sin(x)")
    report = trace.verify({"u": ("0.84147", "-0.54030")})
    (c,) = [c for c in report.cells if c.verdict == "wrong"]
    assert {"sign", "wrong-rule"} <= set(c.diagnosis.codes)
    assert " or " in c.diagnosis.sentence


def test_random_wrong_numbers_are_rarely_explained():
    """A number that is simply wrong (the true value times a random factor, random sign)
    must mostly get "none found": a catalogue that explains anything explains nothing."""
    import random

    rng = random.Random(13)
    total = explained = 0
    for p in PROGRAMS:
        trace, env = p.trace(), p.evaluate()
        for s in p.steps:
            for col in columns(p):
                t = cell(env, s.name, col)
                for _ in range(10):
                    text = write((t or 1.0) * rng.uniform(0.3, 3.0) * rng.choice((1, -1)), rng.randint(4, 8))
                    if accepted(text, t):
                        continue
                    report = trace.verify(hand_table(p, env, {(s.name, col): text}))
                    (c,) = [c for c in report.cells if (c.step, c.column) == (s.name, col)]
                    total += 1
                    explained += c.diagnosis.found
    print(f"\nrandom wrong numbers: {explained} of {total} explained")
    assert total > 500
    assert explained / total <= 0.02


def test_a_miswritten_earlier_cell_is_recognised():
    """u1' with its sign dropped and carried forward; v3 written with a digit wrong but
    the right v3 used for u4 and v4: u4' and v4' follow from the right v3."""
    p = sincos()
    truth = p.evaluate()
    env = dict(truth)
    env["u1"] = (truth["u1"][0], {"x": -truth["u1"][1]["x"]})
    for s in p.steps[1:]:
        env[s.name] = p.step_value(s, env)
    rows = {s.name: (write(env[s.name][0], 8), write(env[s.name][1]["x"], 8)) for s in p.steps}
    rows["u1"] = (rows["u1"][0], write(env["u1"][1]["x"], 8))
    v3 = rows["v3"][0]
    rows["v3"] = (v3[:4] + str((int(v3[4]) + 5) % 10) + v3[5:], rows["v3"][1])
    report = p.trace().verify(rows)
    got = {(c.step, c.column): c for c in report.cells if c.verdict == "wrong"}
    assert "digit" in got[("v3", "value")].diagnosis.codes
    assert "miswritten" in got[("u4", "d/dx")].diagnosis.codes
    assert "v3" in got[("u4", "d/dx")].diagnosis.sentence


def test_diagnosis_in_text_json_and_gradescope_output(capsys, tmp_path):
    import json

    from dualdiff.cli import main

    hand = tmp_path / "hand.csv"
    hand.write_text("step,value,d/dx\nu1,0.84147098,0.54030231\nv1,0.54030123,-0.84147098\n", encoding="utf-8")
    program = str(ROOT / "traces/sincos_worksheet.dd")
    main(["check", program, str(hand)])
    text = capsys.readouterr().out
    assert "[transposed] digits transposed" in text
    main(["check", program, str(hand), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    cell = next(c for c in doc["cells"] if (c["step"], c["column"]) == ("v1", "value"))
    assert cell["diagnosis"]["code"] == "transposed" and cell["diagnosis"]["codes"] == ["transposed"]
    main(["check", program, str(hand), "--format", "gradescope"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    tests = doc["tests"] if "tests" in doc else next(iter(doc.values()))["tests"]
    assert any("digits transposed" in t["output"] for t in tests)


def test_right_but_too_few_digits_is_said_so():
    trace = dd.trace_program("x = 1\nu = sin(x)")
    report = trace.verify({"u": ("0.84", "0.5403")}, tol={"rtol": 1e-6})
    c = next(c for c in report.cells if (c.step, c.column) == ("u", "value"))
    assert c.verdict == "wrong" and c.diagnosis.codes == ("too-few-digits",)
    report = trace.verify({"u": ("0.8", "0.5403")})       # one significant digit: imprecise
    c = next(c for c in report.cells if (c.step, c.column) == ("u", "value"))
    if c.verdict == "imprecise":
        assert c.diagnosis.codes == ("too-few-digits",)
