r"""The student's own formula: read the text or LaTeX before ``=`` in a hand-table cell.

A cell such as ``$\sin(u_1+u_2) = 0.91$`` says how the student computed the number.
:func:`to_program` translates the formula into the program language with a small
LaTeX tokenizer of its own (``\sin``, ``\cos``, ``\exp``, ``\ln``, ``\frac{a}{b}``,
``\cdot``, ``\times``, ``u_1``, ``u_{1}``, ``u₁``, ``^{…}``, ``\left(``/``\right)``,
``\frac{\partial v_5}{\partial x}`` as the derivative name ``dv5_dx``); the result is
parsed by the program language's own safe parser (never ``eval``, never sympy's LaTeX
parser).  :func:`compare` evaluates it with the student's numbers and says where it
differs from the program's step.  A formula never changes a verdict.

>>> to_program(r"$\sin(u_1+u_2)$")
'sin(u1 + u2)'
>>> to_program(r"u_5 \cdot \frac{\partial v_5}{\partial x}")
'u5 * dv5_dx'
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["FormulaError", "to_program", "read_formula", "formula_text", "compare", "derivative_name",
           "FormulaNote"]

MAX_FORMULA = 400  # characters: a cell's formula is a line, not a page


class FormulaError(ValueError):
    """The formula cannot be read (the reason says why)."""


_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "sec": "sec", "csc": "csc", "cot": "cot",
    "exp": "exp", "ln": "log", "log": "log", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "asin": "asin", "acos": "acos", "atan": "atan",
    "sqrt": "sqrt", "sigmoid": "sigmoid", "relu": "relu", "ReLU": "relu", "abs": "abs", "erf": "erf",
    "softplus": "softplus", "swish": "swish", "gelu": "gelu", "elu": "elu", "selu": "selu",
}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "nu", "rho",
          "tau", "phi", "psi", "omega", "eta", "zeta", "kappa", "xi", "chi"}
_IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
            "displaystyle", "textstyle", "mathrm", "mathit", "operatorname", "text"}
_SPACES = re.compile(r"\\[,;:! ]|\\q?quad(?![A-Za-z])|~")
_ACCENTS = set("\"'^`~=.")  # \"{i}, \'{e}, …: LaTeX text accents, never part of a formula
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUPERSCRIPTS = {"²": "2", "³": "3"}
_TOKEN = re.compile(r"""
    (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<cmd>\\[A-Za-z]+)
  | (?P<name>[A-Za-z][A-Za-z0-9]*)
  | (?P<op>\*\*|[-+*/^_(){}\[\],'])
  | (?P<space>\s+)
""", re.VERBOSE)


def derivative_name(step: str, wrt: str) -> str:
    """The program-language name a formula uses for d(step)/d(wrt): ``dv5_dx``."""
    return f"d{step}_d{wrt}"


def _clean(text: str) -> str:
    s = text.strip().strip("$").strip()
    if s.startswith("\\(") and s.endswith("\\)"):
        s = s[2:-2]
    s = _SPACES.sub(" ", s)
    s = s.translate(_SUBSCRIPTS)
    s = re.sub(r"([A-Za-z])(\d+)", r"\1\2", s)
    for k, v in _SUPERSCRIPTS.items():
        s = s.replace(k, "^" + v)
    s = (s.replace("·", "*").replace("⋅", "*").replace("×", "*").replace("−", "-").replace("–", "-")
         .replace("′", "'").replace("÷", "/").replace("σ", "\\sigma ").replace("π", "\\pi "))
    return s


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text.startswith("\\", pos) and text[pos + 1:pos + 2] in _ACCENTS:
                raise FormulaError(f"cannot read the text accent {text[pos:pos + 2]} at column {pos + 1}: "
                                   "a formula holds no text")
            raise FormulaError(f"cannot read '{text[pos]}' at column {pos + 1}")
        pos = m.end()
        kind = m.lastgroup
        tok = m.group()
        if kind == "space":
            continue
        if kind == "cmd":
            word = tok[1:]
            if word in _IGNORED:
                if word in ("mathrm", "mathit", "operatorname", "text") and text.startswith("{", pos):
                    end = text.find("}", pos)
                    if end < 0:
                        raise FormulaError("unbalanced braces")
                    inner = text[pos + 1:end].strip()
                    out.append(inner if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", inner) else "?" + inner)
                    pos = end + 1
                continue
            if word in ("cdot", "times", "ast"):
                out.append("*")
                continue
            if word == "div":
                out.append("/")
                continue
        out.append(tok)
    return out


class _Reader:
    """Recursive descent over LaTeX tokens, producing program-language text."""

    def __init__(self, tokens: list[str], wrt: str | None):
        self.toks = tokens
        self.i = 0
        self.wrt = wrt
        self.depth = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None:
            raise FormulaError("the formula ends too early" + (f" (expected {want!r})" if want else ""))
        if want is not None and tok != want:
            raise FormulaError(f"expected {want!r}, found {tok!r}")
        self.i += 1
        return tok

    def expr(self) -> str:
        self.depth += 1
        if self.depth > 60:
            raise FormulaError("the formula is nested too deeply")
        out = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            out = f"{out} {op} {self.term()}"
        self.depth -= 1
        return out

    def term(self) -> str:
        out = self.unary()
        while True:
            tok = self.peek()
            if tok in ("*", "/"):
                self.take()
                out = f"{out} {tok} {self.unary()}"
            elif tok is not None and self._starts_atom(tok):  # implicit product: 2u_1, u_5 v_5
                out = f"{out} * {self.unary()}"
            else:
                return out

    def unary(self) -> str:
        if self.peek() in ("-", "+"):
            op = self.take()
            inner = self.unary()
            return f"-({inner})" if op == "-" else inner
        return self.power()

    def power(self) -> str:
        base = self.atom()
        while self.peek() in ("^", "**", "'"):
            tok = self.take()
            if tok == "'":
                base = self._prime(base)
                continue
            base = f"({base}) ** ({self.script()})"
        return base

    def script(self) -> str:
        """A superscript or subscript: {…} or one token."""
        if self.peek() == "{":
            self.take()
            inner = self.expr()
            self.take("}")
            return inner
        if self.peek() in ("-", "+"):
            return self.unary()
        return self.atom()

    def _starts_atom(self, tok: str) -> bool:
        return (tok[0].isdigit() or tok[0] == "." or tok[0].isalpha() or tok in ("(", "{", "[")
                or (tok.startswith("\\") and tok[1:] not in ("right",)))

    def _prime(self, base: str) -> str:
        if not re.fullmatch(r"[A-Za-z]\w*", base):
            raise FormulaError(f"cannot read the prime on {base!r}")
        if self.wrt is None:
            raise FormulaError(f"{base}' : with respect to which input?")
        return derivative_name(base, self.wrt)

    def group(self) -> str:
        self.take("{")
        inner = self.expr()
        self.take("}")
        return inner

    def name_with_subscript(self, head: str) -> str:
        name = head
        if self.peek() == "_":
            self.take()
            if self.peek() == "{":
                self.take()
                parts = []
                while self.peek() not in ("}", None):
                    parts.append(self.take())
                self.take("}")
                sub = "".join(parts)
            else:
                sub = self.take()
            if not re.fullmatch(r"[A-Za-z0-9]+", sub):
                raise FormulaError(f"cannot read the subscript {sub!r}")
            name += sub
        return name

    def atom(self) -> str:
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            return tok
        if tok in ("(", "["):
            inner = self.expr()
            self.take(")" if tok == "(" else "]")
            return f"({inner})"
        if tok == "{":
            inner = self.expr()
            self.take("}")
            return f"({inner})"
        if tok.startswith("?"):
            raise FormulaError(f"cannot read {tok[1:]!r}")
        if tok.startswith("\\"):
            return self.command(tok[1:])
        if tok[0].isalpha():
            if tok in _FUNCS and self.peek() in ("(", "^", "{") or tok in ("sin", "cos", "tan", "exp", "ln", "log"):
                return self.call(_FUNCS[tok])
            return self.name_with_subscript(tok)
        raise FormulaError(f"unexpected {tok!r}")

    def command(self, word: str) -> str:
        if word == "frac" or word in ("dfrac", "tfrac"):
            return self.fraction()
        if word == "sqrt":
            return f"sqrt({self.group()})" if self.peek() == "{" else f"sqrt({self.atom()})"
        if word == "pi":
            return "pi"
        if word == "sigma" and self.peek() in ("(", "\\left"):
            return self.call("sigmoid")
        if word in _FUNCS:
            return self.call(_FUNCS[word])
        if word in _GREEK or word == "sigma":
            return self.name_with_subscript(word)
        if word in ("hat", "bar", "tilde"):
            inner = self.group() if self.peek() == "{" else self.atom()
            return self.name_with_subscript(inner + word)
        if word == "partial":
            raise FormulaError("∂ outside a fraction")
        raise FormulaError(f"cannot read \\{word}")

    def call(self, func: str) -> str:
        power = None
        if self.peek() == "^":  # \sin^2(x) = (sin x)^2
            self.take()
            power = self.script()
        if self.peek() in ("(", "["):
            arg = self.atom()
        elif self.peek() == "{":
            arg = self.group()
        else:  # \sin x, \cos 1: one factor
            arg = self.power()
        out = f"{func}({arg})"
        return f"({out}) ** ({power})" if power is not None else out

    def fraction(self) -> str:
        num = self._derivative_part()
        den = self._derivative_part()
        if num is not None and den is not None and num[0] and den[0]:
            return derivative_name(num[1], den[1])
        top = num[1] if num is not None and not num[0] else None
        bottom = den[1] if den is not None and not den[0] else None
        if top is None or bottom is None:
            raise FormulaError("cannot read a derivative fraction that is not d(step)/d(input)")
        return f"({top}) / ({bottom})"

    def _derivative_part(self) -> tuple[bool, str] | None:
        """One braced part of a fraction: (True, name) for ∂name or d name, else (False, text)."""
        if self.peek() != "{":
            return False, self.atom()
        start = self.i
        self.take("{")
        tok = self.peek()
        if tok in ("\\partial", "d", "\\mathrm") or (tok is not None and re.fullmatch(r"d[A-Za-z]\w*", tok)
                                                     and self.toks[self.i + 1:self.i + 2] in (["_"], ["}"])):
            self.take()
            if tok.startswith("d") and len(tok) > 1:
                name = self.name_with_subscript(tok[1:])
            else:
                head = self.take()
                name = self.name_with_subscript(head) if head[0].isalpha() else None
                if head.startswith("\\") and head[1:] in _GREEK:
                    name = self.name_with_subscript(head[1:])
            if name is not None and self.peek() == "}":
                self.take()
                return True, name
            self.i = start
            self.take("{")
        inner = self.expr()
        self.take("}")
        return False, inner


def to_program(text: str, wrt: str | None = None) -> str:
    """Translate a formula (LaTeX or plain) into program-language text, canonical form.

    ``wrt`` is the input a prime (``v_5'``) differentiates by.  Raises
    :class:`FormulaError` when the formula cannot be read.
    """
    from .printing import expr_to_text

    return expr_to_text(read_formula(text, wrt))


def read_formula(text: str, wrt: str | None = None) -> Any:
    """The formula as a program-language expression tree (see :func:`to_program`)."""
    from .errors import ProgramError
    from .parse import parse_expression

    if len(text) > MAX_FORMULA:
        raise FormulaError(f"formula too long ({len(text)} characters; at most {MAX_FORMULA})")
    reader = _Reader(_tokens(_clean(text)), wrt)
    if reader.peek() is None:
        raise FormulaError("empty formula")
    try:
        program_text = reader.expr()
    except RecursionError:
        raise FormulaError("the formula is nested too deeply") from None
    if reader.peek() is not None:
        raise FormulaError(f"cannot read {reader.peek()!r} after {program_text!r}")
    try:
        return parse_expression(program_text)[0]
    except ProgramError as exc:
        raise FormulaError(f"not a formula: {exc.reason if hasattr(exc, 'reason') else exc}") from None


_SPLIT = re.compile(r"=|≈|\\approx(?![A-Za-z])|:=")


def formula_text(cell_text: str, step: str | None = None) -> str | None:
    """The formula part of a cell (``$u_2 = \\sin(u_1+v_1) = 0.98$`` → ``\\sin(u_1+v_1)``),
    or None when the cell holds only a number."""
    s = cell_text.strip().strip("$").strip()
    parts = [p.strip().strip("$").strip() for p in _SPLIT.split(s)]
    if len(parts) < 2:
        return None
    candidates = [p for p in parts[:-1] if p]
    if step is not None:
        plain = {step, step.replace("_", "")}
        candidates = [p for p in candidates
                      if re.sub(r"[\s${}_]", "", p.translate(_SUBSCRIPTS)) not in plain]
    return candidates[-1] if candidates else None


@dataclass(frozen=True)
class FormulaNote:
    """What a cell's formula says next to the program's step."""

    formula: str                 # the formula as written
    program_text: str | None     # its translation, None when unreadable
    agrees: bool                 # same as the program's step with the student's numbers
    value: float | None          # the formula evaluated with the student's numbers
    sentence: str

    def to_dict(self) -> dict:
        return {"formula": self.formula, "read_as": self.program_text, "agrees": self.agrees,
                "value": self.value, "sentence": self.sentence}

    def __str__(self) -> str:
        return self.sentence


def _fmt(v: float) -> str:
    return f"{v:.8g}"


def _evaluate(tree: Any, names: Mapping[str, float]) -> float:
    """The formula's value with ``names`` (KeyError for a name it does not know)."""
    from . import functions as F
    from .program import fold

    return float(F.primal(fold(tree, name=names.__getitem__, num=lambda n: float(n.value),
                                const=lambda c: math.pi if c == "pi" else math.e,
                                call=lambda f, a: getattr(F, f)(*a))))


def _names(env: Mapping[str, tuple[float, Mapping[str, float]]]) -> dict[str, float]:
    """Step values and derivative names (``dv5_dx``) of an environment."""
    names: dict[str, float] = {}
    for name, (v, ds) in env.items():
        names[name] = float(v)
        for w, d in ds.items():
            names[derivative_name(name, w)] = float(d)
    return names


_POINTS = 5          # random points of the identity test
_SEED = 20261128     # the points are the same for every run: a note never flips


def _random_points(trace: Any) -> list[dict[str, float]]:
    """The whole trace at a few random points near its inputs, as formula names (step
    values and derivatives): two formulas that agree at all of them are the same
    function of the inputs differentiated by (kept on the trace: once per program)."""
    import random

    got = vars(trace).get("_dualdiff_formula_points")
    if got is not None:
        return got
    rng = random.Random(_SEED)
    # the inputs differentiated by move; data and constants (a label y = 1) stay: a student
    # who writes their value into a formula (-log(yhat) for -y log(yhat) - ...) is right
    moving = set(trace.wrt) or {s.name for s in trace.input_steps}
    points: list[dict[str, float]] = []
    for _ in range(3 * _POINTS):
        if len(points) >= _POINTS:
            break
        env: dict[str, tuple[Any, dict[str, Any]]] = {}
        try:
            for s in trace.input_steps:
                v = float(s.value)
                if s.name in moving:
                    v = v * (1 + rng.uniform(-0.3, 0.3)) + rng.uniform(-0.05, 0.05)
                env[s.name] = (v, {w: float(w == s.name) for w in trace.wrt})
            for s in trace.steps:
                env[s.name] = trace.evaluate_step(s.name, env)
            names = _names(env)
        except (ValueError, ArithmeticError, TypeError, KeyError):
            continue  # outside the program's domain there: another point
        if all(math.isfinite(x) for x in names.values()):
            points.append(names)
    vars(trace)["_dualdiff_formula_points"] = points
    return points


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _same_function(tree: Any, target: str, points: list[dict[str, float]]) -> bool | None:
    """Does the formula equal the program's ``target`` (a step or a derivative name) at
    every random point?  None when too few points could be evaluated to say."""
    tried = 0
    for names in points:
        try:
            mine = _evaluate(tree, names)
        except KeyError:
            return None  # a name the program does not have (reported elsewhere)
        except (ValueError, ArithmeticError, TypeError, AttributeError):
            continue
        if not math.isfinite(mine):
            continue
        tried += 1
        if not _close(mine, names[target]):
            return False
    return True if tried >= 2 else None


def rule_text(node: Any, wrt: str, inputs: Any) -> str | None:
    """The derivative of a step's expression by ``wrt``, written with the program's
    derivative names (``du5_dx * v5 + u5 * dv5_dx``), or None where the rule is not one
    of the usual ones written out here (the text is only shown, never evaluated as the
    reference: :func:`compare` checks it at random points before showing it).

    >>> from dualdiff.parse import parse_expression
    >>> rule_text(parse_expression("u5 * v5")[0], "x", ["x"])
    'du5_dx * v5 + u5 * dv5_dx'
    """
    from .printing import expr_to_text
    from .program import BinOp, Call, Const, Name, Num, UnaryOp

    zero, one = Num(0, "0"), Num(1, "1")

    def is_num(n: Any, v: float) -> bool:
        return type(n) is Num and n.value == v

    def mul(a: Any, b: Any) -> Any:
        if is_num(a, 0) or is_num(b, 0):
            return zero
        if is_num(a, 1):
            return b
        if is_num(b, 1):
            return a
        return BinOp("*", a, b)

    def plus(a: Any, b: Any, op: str = "+") -> Any:
        if is_num(b, 0):
            return a
        if is_num(a, 0):
            return b if op == "+" else UnaryOp("-", b)
        return BinOp(op, a, b)

    def call(f: str, a: Any) -> Any:
        return Call(f, (a,))

    derivs = {
        "sin": lambda a: call("cos", a), "cos": lambda a: UnaryOp("-", call("sin", a)),
        "tan": lambda a: BinOp("**", call("sec", a), Num(2, "2")), "exp": lambda a: call("exp", a),
        "log": lambda a: BinOp("/", one, a), "sqrt": lambda a: BinOp("/", one, BinOp("*", Num(2, "2"), call("sqrt", a))),
        "sec": lambda a: BinOp("*", call("sec", a), call("tan", a)), "sinh": lambda a: call("cosh", a),
        "cosh": lambda a: call("sinh", a), "tanh": lambda a: BinOp("-", one, BinOp("**", call("tanh", a), Num(2, "2"))),
        "sigmoid": lambda a: BinOp("*", call("sigmoid", a), BinOp("-", one, call("sigmoid", a))),
    }

    class Unknown(Exception):
        pass

    def d(n: Any) -> Any:
        kind = type(n)
        if kind in (Num, Const):
            return zero
        if kind is Name:
            if n.id in inputs:
                return one if n.id == wrt else zero
            return Name(derivative_name(n.id, wrt))
        if kind is UnaryOp:
            inner = d(n.operand)
            return inner if n.op == "+" or is_num(inner, 0) else UnaryOp("-", inner)
        if kind is BinOp:
            da, db = d(n.left), d(n.right)
            if n.op in ("+", "-"):
                return plus(da, db, n.op)
            if n.op == "*":
                return plus(mul(da, n.right), mul(n.left, db))
            if n.op == "/":
                top = plus(mul(da, n.right), mul(n.left, db), "-")
                return zero if is_num(top, 0) else BinOp("/", top, BinOp("**", n.right, Num(2, "2")))
            if n.op == "**" and type(n.right) is Num:
                k = n.right
                lower = Num(k.value - 1, _fmt(k.value - 1))
                return mul(mul(k, BinOp("**", n.left, lower)), da)
            raise Unknown
        if kind is Call and len(n.args) == 1 and n.func in derivs:
            return mul(derivs[n.func](n.args[0]), d(n.args[0]))
        raise Unknown

    try:
        return expr_to_text(d(node))
    except Unknown:
        return None


def compare(trace: Any, step: str, column: str, cell_text: str,
            own: Mapping[str, tuple[float, Mapping[str, float]]]) -> FormulaNote | None:
    """Read the formula in ``cell_text`` (None if there is none), evaluate it with the
    student's numbers ``own`` (step → (value, {input: derivative})) and compare it with
    the program's step (or, for a derivative column, with the program's rule applied to
    the student's numbers).

    The comparison is of the formula, not only of the number: the formula and the
    program's step are also evaluated at a few random points of the program's inputs
    (every step and derivative recomputed there), so a formula that equals the program
    algebraically agrees even where the student's own numbers are off, and another
    formula that happens to give the same number is named as such."""
    from .printing import expr_to_text

    text = formula_text(cell_text, step)
    if text is None:
        return None
    wrt = None if column == "value" else column[3:]
    try:
        tree = read_formula(text, wrt)
    except FormulaError as exc:
        return FormulaNote(text, None, False, None, f"could not read the formula '{text}': {exc}")
    written = expr_to_text(tree)
    names = _names(own)
    try:
        value = _evaluate(tree, names)
    except KeyError as exc:
        return FormulaNote(text, written, False, None,
                           f"wrote {written}: {exc.args[0]!r} is not a step of the program")
    except (ValueError, ArithmeticError, TypeError, AttributeError) as exc:
        return FormulaNote(text, written, False, None, f"wrote {written}: it cannot be evaluated ({exc})")
    s = trace[step]
    program = s.expr if s.node is None else expr_to_text(s.node)
    try:
        pv, pd = trace.evaluate_step(step, {d: own[d] for d in s.deps}) if s.node is not None else (
            own[step][0], own[step][1])
        expected = float(pv) if wrt is None else float(pd[wrt])
    except (KeyError, ValueError, ArithmeticError, TypeError):
        expected = math.nan
    here = math.isfinite(expected) and _close(value, expected)
    same: bool | None = None
    rule = None
    if s.node is not None and not getattr(trace, "has_arrays", False):
        points = _random_points(trace)
        target = step if wrt is None else derivative_name(step, wrt)
        same = _same_function(tree, target, points)
        if wrt is not None:
            rule = rule_text(s.node, wrt, [i.name for i in trace.input_steps])
            if rule is not None:  # shown only when it is the program's own derivative
                from .parse import parse_expression

                try:
                    if _same_function(parse_expression(rule)[0], target, points) is not True:
                        rule = None
                except ValueError:
                    rule = None
    agrees = here if same is None else same
    if wrt is None:
        if agrees:
            return FormulaNote(text, written, True, value, f"wrote {written}, as the program ({program})")
        if here:
            return FormulaNote(text, written, False, value,
                               f"wrote {written}, the program has {program}: the same number with your "
                               f"values ({_fmt(value)}), but another formula")
        return FormulaNote(text, written, False, value,
                           f"wrote {written}, the program has {program} (with your numbers: "
                           f"{_fmt(value)} against {_fmt(expected)})")
    if agrees:
        how = f"the program's rule ({rule})" if rule else "the chain rule"
        return FormulaNote(text, written, True, value, f"wrote {written}: {how} applied right")
    of = f"the derivative of {program} is " + (f"{rule}" if rule else "")
    if here:
        return FormulaNote(text, written, False, value,
                           f"wrote {written}; {of}{', ' if rule else ''}the same number with your values "
                           f"({_fmt(value)}), but another formula")
    return FormulaNote(text, written, False, value,
                       f"wrote {written} = {_fmt(value)} with your numbers; {of}"
                       f"{' = ' if rule else ''}{_fmt(expected)} with them")
