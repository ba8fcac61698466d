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
            raise FormulaError(f"cannot read {text[pos]!r} at column {pos + 1}")
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


def compare(trace: Any, step: str, column: str, cell_text: str,
            own: Mapping[str, tuple[float, Mapping[str, float]]]) -> FormulaNote | None:
    """Read the formula in ``cell_text`` (None if there is none), evaluate it with the
    student's numbers ``own`` (step → (value, {input: derivative})) and compare it with
    the program's step (or, for a derivative column, with the program's rule applied to
    the student's numbers)."""
    from . import functions as F
    from .printing import expr_to_text
    from .program import fold

    text = formula_text(cell_text, step)
    if text is None:
        return None
    wrt = None if column == "value" else column[3:]
    try:
        tree = read_formula(text, wrt)
    except FormulaError as exc:
        return FormulaNote(text, None, False, None, f"could not read the formula {text!r}: {exc}")
    written = expr_to_text(tree)
    names: dict[str, float] = {}
    for name, (v, ds) in own.items():
        names[name] = float(v)
        for w, d in ds.items():
            names[derivative_name(name, w)] = float(d)
    try:
        value = float(F.primal(fold(tree, name=names.__getitem__, num=lambda n: float(n.value),
                                    const=lambda c: math.pi if c == "pi" else math.e,
                                    call=lambda f, a: getattr(F, f)(*a))))
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
    agrees = math.isfinite(expected) and abs(value - expected) <= 1e-9 * max(1.0, abs(expected))
    if wrt is None:
        if agrees:
            return FormulaNote(text, written, True, value, f"wrote {written}, as the program ({program})")
        return FormulaNote(text, written, False, value,
                           f"wrote {written}, the program has {program} (with your numbers: "
                           f"{_fmt(value)} against {_fmt(expected)})")
    if agrees:
        return FormulaNote(text, written, True, value, f"wrote {written}: the chain rule applied right")
    return FormulaNote(text, written, False, value,
                       f"wrote {written} = {_fmt(value)} with your numbers; the derivative of {program} "
                       f"is {_fmt(expected)} with them")
