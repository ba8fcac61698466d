"""Parser for dualdiff programs (``.dd`` files): text in, ``Program`` out, nothing run.

Grammar (one assignment per line; ``#`` starts a comment; blank lines are ignored;
LF, CRLF and CR line ends and tabs are accepted; a leading UTF-8 byte-order mark is
skipped)::

    line    := [NAME '=' expr] [comment]
    expr    := term (('+' | '-') term)*
    term    := factor (('*' | '/' | '@') factor)*
    factor  := ('+' | '-') factor | power
    power   := atom index* ['**' factor]   # right-assoc; -x**2 == -(x**2), 2**-1 ok
    atom    := NUMBER | NAME | 'pi' | 'e' | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
             | '[' expr (',' expr)* [','] ']'          # a vector; a list of lists: a matrix
    index   := '[' INT [',' INT] ']'       # v[0], W[1, 0]; INT a whole number, '-' allowed
    NUMBER  := decimal literal: 12, 1.5, .5, 5., 1e-3, 2.5E+2 (no hex, '_', or 'j')
    NAME    := ASCII identifier, not a Python keyword, not starting with '__', not a
               function name nor a constant

This is Python's expression syntax and precedence restricted to arithmetic; everything
else (strings, attribute access, subscripts, lambdas, comprehensions, comparisons,
boolean operators, keyword arguments, slices, computed indices, ``//``, ``%``, bit
operators, ...) is refused with a ``ProgramError`` saying which construct it is. The parser is a small
recursive-descent parser of its own: no user text ever reaches ``eval``, ``exec``,
``compile``, ``ast`` or sympy, and its error messages do not depend on the Python version.

Semantics checked here: a name may be assigned once; a name may not be used on or before
the line that assigns it; names never assigned are free inputs (``Program.free_names``);
``name = <number>`` (or a list literal of numbers: a vector or matrix) declares an input
with a default; a program needs at least one step.  Shapes are checked by the evaluator
(``dualdiff.evaluate``), which knows the values.

Limits (hostile input ends in a ``ProgramError`` quickly and in bounded memory):

- ``MAX_SOURCE_BYTES``      1 000 000 bytes (characters for ``str`` input)
- ``MAX_LINES``             50 000 lines (comments and blank lines included)
- ``MAX_ASSIGNMENTS``       20 000 assignments (a 10 000-step trace fits twice)
- ``MAX_LINE_LENGTH``       10 000 characters per line
- ``MAX_PAREN_DEPTH``       50 nested parentheses / function calls
- ``MAX_EXPR_DEPTH``        100 levels in one expression tree (operator chains, signs
                            and powers included: a sum of more than ~100 terms must be
                            split over several lines)
- ``MAX_EXPR_NODES``        2 000 nodes per expression
- ``MAX_NUMBER_LENGTH``     100 characters per number literal (Python's int/str
                            conversion limit is never approached)
- ``MAX_POWER_EXPONENT``    1 000: a ``**`` (or ``pow``) exponent without names must be
                            provably within +-1000 (``9**9**9`` is refused, never computed)
- ``MAX_CONSTANT_DIGITS``   10 000: a power of constants must provably have an exact value
                            of at most this many digits (``(9**999)**999`` is refused)
- ``MAX_TOTAL_TOKENS``      200 000 tokens in the whole program (keeps parsing < ~1 s)
- ``MAX_LIST_DEPTH``        2: list literals are vectors or matrices (``[[[1]]]`` is refused
                            at its third ``[``, so 1 000-deep brackets end at once)
- ``MAX_LITERAL_ELEMENTS``  2 000 entries in one list literal (within ``MAX_EXPR_NODES``
                            anyway; a 10^6-entry literal is refused by the line and source
                            limits before it is parsed); larger inputs go through ``at=``
- ``MAX_INDICES``           2 indices (``W[1, 0]``)

Literals that overflow a float (``1e999``) or underflow to zero (``1e-999``) are refused.
Nothing is folded or evaluated here; the bounds above only keep a later evaluator (which
may work with exact integers) from being handed a computation that cannot finish.
"""

from __future__ import annotations

import difflib
import keyword
import math
import re
from re import compile as _regex  # (spelled so: a repo hook greps for "compile" + "(")
import unicodedata
from typing import Any, NamedTuple, NoReturn

from .errors import ProgramError
from .program import (
    Assignment, BinOp, Call, Const, Expr, Index, ListLit, Name, Num, Program, UnaryOp, Vary,
)
from .rules import ARITY as _RULE_ARITY, on_change as _on_rule_change

# The vector and matrix functions of the program language (structural, not elementwise:
# they are computed by dualdiff.vectorops, not by the rule table).
ARRAY_FUNCTIONS: dict[str, tuple[int, int]] = {
    "sum": (1, 1), "mean": (1, 1), "dot": (2, 2), "max": (1, 1), "transpose": (1, 1),
}
# max(v) of a vector, max(a, b) the rule (elementwise): one name, 1 or 2 arguments.
ARITY: dict[str, tuple[int, int]] = {
    name: (min(_RULE_ARITY.get(name, lim)[0], lim[0]), max(_RULE_ARITY.get(name, lim)[1], lim[1]))
    for name, lim in ARRAY_FUNCTIONS.items()}
ARITY = {**_RULE_ARITY, **ARITY}


def _follow_rules(name: str, rule) -> None:
    """A rule registered at run time (rules.register) is a function of the language too."""
    if name in ARRAY_FUNCTIONS:
        return
    if rule is None:
        ARITY.pop(name, None)
    else:
        ARITY[name] = rule.arity


_on_rule_change(_follow_rules)

MAX_SOURCE_BYTES = 1_000_000
MAX_LINES = 50_000
MAX_ASSIGNMENTS = 20_000
MAX_LINE_LENGTH = 10_000
MAX_PAREN_DEPTH = 50
MAX_EXPR_DEPTH = 100
MAX_EXPR_NODES = 2_000
MAX_NUMBER_LENGTH = 100
MAX_POWER_EXPONENT = 1_000
MAX_CONSTANT_DIGITS = 10_000
MAX_TOTAL_TOKENS = 200_000
MAX_LIST_DEPTH = 2
MAX_LITERAL_ELEMENTS = 2_000
MAX_INDICES = 2

CONSTANTS = ("pi", "e")

__all__ = [
    "parse_program", "ProgramError", "CONSTANTS", "MAX_SOURCE_BYTES", "MAX_LINES",
    "MAX_ASSIGNMENTS", "MAX_LINE_LENGTH", "MAX_PAREN_DEPTH", "MAX_EXPR_DEPTH",
    "MAX_EXPR_NODES", "MAX_NUMBER_LENGTH", "MAX_POWER_EXPONENT", "MAX_CONSTANT_DIGITS",
    "MAX_TOTAL_TOKENS", "MAX_LIST_DEPTH", "MAX_LITERAL_ELEMENTS", "ARRAY_FUNCTIONS", "parse_literal",
]

# ----------------------------------------------------------------------------- text level

# Control characters (tab, LF, CR excepted; C0 and C1), lone surrogates and bidirectional overrides
# (which can make a comment look like code, "Trojan source") are refused everywhere.
_BAD_CHAR = _regex("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NON_ASCII = _regex(r"[^\x00-\x7f]")

_HINTS = {
    "\u2212": "use '-'", "\u2013": "use '-'", "\u2014": "use '-'", "\u00d7": "use '*'",
    "\u00b7": "use '*'", "\u22c5": "use '*'", "\u2217": "use '*'", "\u00f7": "use '/'",
    "\u2215": "use '/'", "\u00b2": "use '** 2'", "\u00b3": "use '** 3'",
    "\u00a0": "a non-breaking space; use a normal space", "\u03c0": "write 'pi'",
    "\u2018": "strings are not supported", "\u2019": "strings are not supported",
    "\u201c": "strings are not supported", "\u201d": "strings are not supported",
}


def _describe_char(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]`` (text already has LF line ends)."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _decode(source: str | bytes) -> str:
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if isinstance(source, bytes):
        if len(source) > MAX_SOURCE_BYTES:
            raise ProgramError(
                f"program is too large ({len(source)} bytes; at most {MAX_SOURCE_BYTES})")
        if source.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ProgramError("program looks UTF-16 encoded; save it as UTF-8", 1, 1)
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            good = _newlines(source[: exc.start].decode("utf-8", "replace"))
            line, col = _position(good, len(good))
            raise ProgramError(
                f"invalid UTF-8 byte 0x{source[exc.start]:02x}; save the program as UTF-8",
                line, col) from None
    elif isinstance(source, str):
        if len(source) > MAX_SOURCE_BYTES:
            raise ProgramError(
                f"program is too large ({len(source)} characters; at most {MAX_SOURCE_BYTES})")
        text = source
    else:
        raise TypeError(f"program source must be str or bytes, not {type(source).__name__}")
    return text[1:] if text.startswith("\ufeff") else text


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ----------------------------------------------------------------------------- tokens


class _Tok(NamedTuple):
    kind: str  # "num", "name", "op", "end"
    text: str
    col: int  # 1-based column in the original line


_TOKEN = _regex(
    r"(?P<space>[ \t]+)"
    r"|(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*=?|//=?|<<=?|>>=?|\.\.\.|->|:=|[-+*/%@&|^<>=!]=|[-+*/%@&|^~<>=()\[\]{},.:;])"
)
_NUMBER_TAIL = _regex(r"[A-Za-z0-9_.]+")
_STRING_PREFIXES = {"f": "f-strings", "rf": "f-strings", "fr": "f-strings",
                    "b": "bytes literals", "rb": "bytes literals", "br": "bytes literals",
                    "u": "string literals", "r": "string literals"}


def _tokenize(code: str, start: int, line: int) -> list[_Tok]:
    """Tokens of ``code[start:]``; columns refer to ``code`` (the original line)."""
    toks: list[_Tok] = []
    pos, end = start, len(code)
    while pos < end:
        m = _TOKEN.match(code, pos)
        ch = code[pos]
        if m is None:
            if ch in "'\"":
                what = "string literals"
                if toks and toks[-1].kind == "name" and toks[-1].col + len(toks[-1].text) == pos + 1:
                    prefix = toks[-1].text.lower()
                    if prefix in _STRING_PREFIXES:
                        what = _STRING_PREFIXES[prefix]
                        raise ProgramError(f"{what} are not supported", line, toks[-1].col)
                raise ProgramError(f"{what} are not supported", line, pos + 1)
            if ch == "\\":
                raise ProgramError(
                    "line continuation '\\' is not supported; write one assignment per line",
                    line, pos + 1)
            raise ProgramError(f"unexpected character {ch!r}", line, pos + 1)
        kind = m.lastgroup
        text = m.group()
        if kind == "num":
            tail = _NUMBER_TAIL.match(code, m.end())
            if tail:
                _bad_number(text, tail.group(), line, pos + 1)
            if len(text) > MAX_NUMBER_LENGTH:
                raise ProgramError(
                    f"number literal is too long ({len(text)} characters; at most "
                    f"{MAX_NUMBER_LENGTH})", line, pos + 1)
        if kind != "space":
            toks.append(_Tok(kind, text, pos + 1))
        pos = m.end()
    toks.append(_Tok("end", "", len(code.rstrip()) + 1))
    return toks


def _bad_number(num: str, tail: str, line: int, col: int) -> NoReturn:
    bad = num + tail
    if tail[0] == "." and len(tail) > 1 and (tail[1].isalpha() or tail[1] == "_"):
        raise ProgramError("attribute access is not supported", line, col + len(num))
    if num.endswith(".") and (tail[0].isalpha() or tail[0] == "_") and tail[0] not in "eE":
        raise ProgramError("attribute access is not supported", line, col + len(num) - 1)
    if tail in ("j", "J"):
        reason = "complex numbers are not supported"
    elif num == "0" and tail[0] in "xXoObB":
        reason = f"'{bad}': hexadecimal, octal and binary literals are not supported"
    elif "_" in tail:
        reason = f"'{bad}': '_' digit separators are not supported"
    elif tail[0].isalpha() or tail[0] == "_":
        reason = (f"invalid number '{bad}'; a number cannot be followed directly by a "
                  f"name (implicit multiplication is not supported; write '*')")
    else:
        reason = f"invalid number '{bad}'"
    raise ProgramError(reason, line, col)


# ----------------------------------------------------------------------------- parser

_ADD = ("+", "-")
_MUL = ("*", "/", "@")
_POW, _LPAR, _RPAR, _COMMA = ("**",), ("(",), (")",), (",",)
_LBRACKET, _RBRACKET = ("[",), ("]",)
_COMPARISONS = ("==", "!=", "<", ">", "<=", ">=")
_BITWISE = ("&", "|", "~", "<<", ">>")
_ALIASES = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
            "power": "pow", "logistic": "sigmoid", "fabs": "abs", "sqr": "pow"}


class _Parser:
    def __init__(self, toks: list[_Tok], line: int):
        self.toks = toks
        self.i = 0
        self.line = line
        self.parens = 0  # current bracket nesting
        self.depth = 0  # current recursion depth (signs, powers, brackets)
        self.lists = 0  # current list-literal nesting (2: a matrix)

    # -- helpers
    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def prev(self) -> _Tok | None:
        return self.toks[self.i - 1] if self.i else None

    def fail(self, reason: str, tok: _Tok) -> NoReturn:
        raise ProgramError(reason, self.line, tok.col)

    def is_op(self, ops: tuple[str, ...]) -> bool:
        # Only operator tokens can have these texts, so the kind need not be checked.
        return self.toks[self.i].text in ops

    # -- grammar
    def parse(self) -> Expr:
        node = self.expr()
        if self.peek().kind != "end":
            self.unexpected_after_operand(self.peek())
        return node

    def expr(self) -> Expr:
        node = self.term()
        while self.is_op(_ADD):
            op = self.next()
            node = BinOp(op.text, node, self.term(), self.line, op.col)
        return node

    def term(self) -> Expr:
        node = self.factor()
        while self.is_op(_MUL):
            op = self.next()
            node = BinOp(op.text, node, self.factor(), self.line, op.col)
        return node

    def factor(self) -> Expr:
        # Every nesting (sign, power, bracket) passes through here: one counter bounds
        # the recursion, so no input can reach Python's recursion limit.
        self.depth += 1
        if self.depth > MAX_EXPR_DEPTH:
            self.fail(f"expression is nested too deeply (more than {MAX_EXPR_DEPTH} levels); "
                      "split it over several assignments", self.peek())
        if self.is_op(_ADD):
            op = self.next()
            node: Expr = UnaryOp(op.text, self.factor(), self.line, op.col)
        else:
            node = self.power()
        self.depth -= 1
        return node

    def power(self) -> Expr:
        base = self.atom()
        while self.is_op(_LBRACKET):
            base = self.subscript(base)
        if self.is_op(_POW):
            op = self.next()
            return BinOp("**", base, self.factor(), self.line, op.col)
        return base

    def atom(self) -> Expr:
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return _number(tok, self.line)
        if tok.kind == "name":
            if keyword.iskeyword(tok.text):
                self.unexpected_operand(tok)
            self.next()
            if tok.text.startswith("__"):
                self.fail(f"names beginning with '__' are reserved ('{tok.text}')", tok)
            if self.is_op(_LPAR):
                return self.call(tok)
            if tok.text in CONSTANTS:
                return Const(tok.text, self.line, tok.col)
            if tok.text in ARITY:
                self.fail(f"'{tok.text}' is a function; call it like {tok.text}(x)", tok)
            return Name(tok.text, self.line, tok.col)
        if tok.kind == "op" and tok.text == "(":
            self.next()
            self.open(tok)
            if self.is_op(_RPAR):
                self.fail("empty parentheses (tuples) are not supported", tok)
            node = self.expr()
            self.close(tok)
            return node
        if tok.kind == "op" and tok.text == "[":
            return self.list_literal()
        self.unexpected_operand(tok)

    def list_literal(self) -> Expr:
        """``[a, b, …]``: a vector; a list of lists is a matrix; deeper is refused."""
        opener = self.next()
        self.lists += 1
        if self.lists > MAX_LIST_DEPTH:
            self.fail(f"lists nest at most {MAX_LIST_DEPTH} deep (vectors and matrices); "
                      f"this literal has more than {MAX_LIST_DEPTH} dimensions", opener)
        self.open(opener)
        items: list[Expr] = []
        while True:
            if self.is_op(_RBRACKET):
                if not items:
                    self.fail("empty list: a vector needs at least one entry", opener)
                break
            if self.peek().kind == "end":
                self.fail("'[' was never closed", opener)
            items.append(self.expr())
            if len(items) > MAX_LITERAL_ELEMENTS:
                self.fail(f"list literal is too long (more than {MAX_LITERAL_ELEMENTS} entries); "
                          "give large inputs with at= / --at", opener)
            if self.is_op(_COMMA):
                self.next()
                continue
            if self.is_op(_RBRACKET):
                break
            tok = self.peek()
            if tok.kind == "end":
                self.fail("'[' was never closed", opener)
            if tok.text == ":":
                self.fail("':' is not supported (no slices or comprehensions)", tok)
            self.unexpected_after_operand(tok)
        self.next()  # ']'
        self.parens -= 1
        self.lists -= 1
        return ListLit(tuple(items), self.line, opener.col)

    def subscript(self, target: Expr) -> Expr:
        """``v[0]``, ``W[1, 0]``: one or two integer literals (0-based; -1 is the last)."""
        opener = self.next()
        idx: list[int] = []
        while True:
            tok = self.peek()
            sign = 1
            if tok.kind == "op" and tok.text in ("-", "+"):
                sign = -1 if tok.text == "-" else 1
                self.next()
                tok = self.peek()
            if tok.kind == "op" and tok.text == ":":
                self.fail("slices ('v[0:2]') are not supported; index one entry, e.g. v[0]", tok)
            if tok.kind == "op" and tok.text == "]" and not idx:
                self.fail("an index is missing between '[' and ']'", tok)
            if tok.kind != "num" or not re.fullmatch(r"[0-9]+", tok.text):
                self.fail("an index must be a whole number written out, e.g. v[0] or W[1, 0] "
                          "(0-based)", tok)
            if re.fullmatch(r"0+[1-9][0-9]*", tok.text):
                self.fail(f"leading zeros in '{tok.text}' are not allowed (as in Python)", tok)
            self.next()
            idx.append(sign * int(tok.text))
            if self.is_op(_COMMA):
                self.next()
                if len(idx) >= MAX_INDICES:
                    self.fail(f"at most {MAX_INDICES} indices (vectors and matrices)", self.peek())
                continue
            if self.is_op(_RBRACKET):
                self.next()
                return Index(target, tuple(idx), self.line, opener.col)
            tok = self.peek()
            if tok.kind == "end":
                self.fail("'[' was never closed", opener)
            if tok.text == ":":
                self.fail("slices ('v[0:2]') are not supported; index one entry, e.g. v[0]", tok)
            self.fail("an index must be a whole number written out, e.g. v[0] or W[1, 0] (0-based)", tok)

    def open(self, tok: _Tok) -> None:
        self.parens += 1
        if self.parens > MAX_PAREN_DEPTH:
            self.fail(f"too many nested parentheses (more than {MAX_PAREN_DEPTH})", tok)

    def close(self, opener: _Tok) -> None:
        tok = self.peek()
        if tok.kind == "op" and tok.text == ")":
            self.next()
            self.parens -= 1
            return
        if tok.kind == "end":
            self.fail("'(' was never closed", opener)
        self.unexpected_after_operand(tok)

    def call(self, name: _Tok) -> Expr:
        func = name.text
        opener = self.next()
        if func not in ARITY:
            if func in CONSTANTS:
                self.fail(f"'{func}' is a constant, not a function", name)
            hint = _ALIASES.get(func) if _ALIASES.get(func) in ARITY else None
            close = [hint] if hint else difflib.get_close_matches(func, ARITY, n=3, cutoff=0.6)
            if not close:
                close = difflib.get_close_matches(func.lower(), ARITY, n=3, cutoff=0.6)
            extra = "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?" if close else ""
            self.fail(f"unknown function '{func}'{extra}", name)
        self.open(opener)
        args: list[Expr] = []
        if not self.is_op(_RPAR):
            while True:
                tok = self.peek()
                if tok.kind == "name" and self.toks[self.i + 1].text == "=":
                    self.fail(f"keyword arguments are not supported; pass '{tok.text}' by "
                              f"position, e.g. leaky_relu(x, 0.1)", tok)
                args.append(self.expr())
                if self.is_op(_COMMA):
                    self.next()
                    if self.is_op(_RPAR):
                        self.fail("expected an argument after ','", self.peek())
                    if self.peek().kind == "end":
                        self.fail("'(' was never closed", opener)
                    continue
                break
        self.close(opener)
        low, high = ARITY[func]
        if not low <= len(args) <= high:
            want = (f"exactly {low} argument{'s' if low != 1 else ''}" if low == high
                    else f"{low} to {high} arguments")
            self.fail(f"{func}() takes {want} ({len(args)} given)", name)
        return Call(func, tuple(args), self.line, name.col)

    # -- error reporting: say which unsupported construct was met
    def unexpected_operand(self, tok: _Tok) -> NoReturn:
        """``tok`` stands where an expression should start."""
        t = tok.text
        if tok.kind == "end":
            prev = self.prev()
            after = f" after '{prev.text}'" if prev is not None else ""
            self.fail(f"expected an expression{after}", tok)
        if tok.kind == "name":  # a keyword
            if t == "lambda":
                self.fail("lambda expressions are not supported", tok)
            if t == "not":
                self.fail("boolean operators (and, or, not) are not supported", tok)
            if t in ("True", "False", "None"):
                self.fail(f"'{t}' is not supported; only numbers are", tok)
            if t in ("await", "yield"):
                self.fail(f"'{t}' expressions are not supported", tok)
            self.fail(f"'{t}' is a reserved word and cannot be used here", tok)
        if t == "*":
            self.fail("starred expressions ('*x') are not supported", tok)
        if t == "**":
            self.fail("'**' unpacking is not supported", tok)
        if t == "{":
            self.fail("sets and dicts are not supported", tok)
        if t == "~":
            self.fail("bitwise operators are not supported", tok)
        if t == "...":
            self.fail("Ellipsis ('...') is not supported", tok)
        if t in (")", ",", "]", "}"):
            self.fail(f"expected an expression before '{t}'", tok)
        self.fail(f"expected an expression, found '{t}'", tok)

    def unexpected_after_operand(self, tok: _Tok) -> NoReturn:
        """``tok`` follows a complete operand where an operator or the end should be."""
        t = tok.text
        if tok.kind in ("num", "name"):
            if t in ("if", "else"):
                self.fail("conditional expressions (a if c else b) are not supported", tok)
            if t in ("for", "async"):
                self.fail("comprehensions and generator expressions are not supported", tok)
            if t in ("and", "or"):
                self.fail("boolean operators (and, or, not) are not supported", tok)
            if t in ("in", "not", "is"):
                self.fail(f"comparisons ('{t}') are not supported", tok)
            if keyword.iskeyword(t):
                self.fail(f"'{t}' is a reserved word and cannot be used here", tok)
            self.fail(f"missing operator before '{t}' (implicit multiplication is not "
                      "supported; write '*')", tok)
        if t == "(":
            self.fail("missing operator before '(' (implicit multiplication is not "
                      "supported; write '*'); only known functions can be called", tok)
        if t == ".":
            self.fail("attribute access is not supported", tok)
        if t == "//":
            self.fail("floor division '//' is not supported", tok)
        if t == "%":
            self.fail("modulo '%' is not supported", tok)
        if t == "^":
            self.fail("'^' (bitwise xor) is not supported; write powers as x ** 2", tok)
        if t in _BITWISE:
            self.fail(f"bitwise operator '{t}' is not supported", tok)
        if t in _COMPARISONS:
            self.fail(f"comparisons ('{t}') are not supported", tok)
        if t == ":=":
            self.fail("assignment expressions (':=') are not supported", tok)
        if t == "=":
            prev = self.prev()
            if prev is not None and prev.kind == "name" and not self.parens:
                self.fail("chained assignment is not supported; one assignment per line", tok)
            self.fail("unexpected '='; assignments inside expressions are not supported", tok)
        if t.endswith("=") and t not in _COMPARISONS:
            self.fail(f"augmented assignment '{t}' is not supported", tok)
        if t == ";":
            self.fail("';' is not supported; write one assignment per line", tok)
        if t == ",":
            self.fail("tuples are not supported", tok)
        if t == ")":
            self.fail("unmatched ')'", tok)
        if t == ":":
            self.fail("':' is not supported (no slices, annotations or lambdas)", tok)
        self.fail(f"unexpected '{t}'", tok)


def _number(tok: _Tok, line: int) -> Num:
    text = tok.text
    if re.fullmatch(r"0+[1-9][0-9]*", text):
        raise ProgramError(f"leading zeros in '{text}' are not allowed (as in Python)",
                           line, tok.col)
    if re.fullmatch(r"[0-9]+", text):
        return Num(int(text), text, line, tok.col)  # <= MAX_NUMBER_LENGTH digits: cheap
    value = float(text)
    if math.isinf(value):
        raise ProgramError(f"number {text} is too large for a float", line, tok.col)
    if value == 0.0 and re.search(r"[1-9]", text.lower().partition("e")[0]):
        raise ProgramError(f"number {text} is too small for a float (it would be 0)",
                           line, tok.col)
    return Num(value, text, line, tok.col)


# ----------------------------------------------------------------------------- size checks


def _check_size(expr: Expr, line: int, col: int) -> list[Name]:
    """Bound nodes and tree depth (left-assoc chains are deep but built iteratively);
    return the ``Name`` nodes in source order (one walk serves both)."""
    count = 0
    names: list[Name] = []
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_EXPR_NODES:
            raise ProgramError(f"expression is too large (more than {MAX_EXPR_NODES} "
                               "parts); split it over several assignments", line, col)
        if depth > MAX_EXPR_DEPTH:
            raise ProgramError(f"expression is nested too deeply (more than "
                               f"{MAX_EXPR_DEPTH} levels); split it over several "
                               "assignments", node.line, node.col)
        if isinstance(node, BinOp):
            stack.append((node.right, depth + 1))
            stack.append((node.left, depth + 1))
        elif isinstance(node, UnaryOp):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, Call):
            stack.extend((a, depth + 1) for a in reversed(node.args))
        elif isinstance(node, ListLit):
            stack.extend((a, depth + 1) for a in reversed(node.items))
        elif isinstance(node, Index):
            stack.append((node.target, depth + 1))
        elif isinstance(node, Name):
            names.append(node)
    return names


# Bounds of |f(x)| for functions whose growth is easy to state; others are unbounded.
_BOUNDED = {"sin": 1.0, "cos": 1.0, "tanh": 1.0, "sigmoid": 1.0, "atan": 1.6, "asin": 1.6,
            "acos": 3.2}
_MONOTONE = {"abs": abs, "relu": abs, "sqrt": math.sqrt, "exp": math.exp,
             "cosh": math.cosh, "sinh": math.cosh, "softplus": lambda m: m + 1.0}


class _Bound(NamedTuple):
    const: bool  # no names inside
    mag: float   # upper bound of |value| (inf: unknown)
    low: float   # lower bound of |value| (0: unknown)
    digits: float  # upper bound of the digits of the exact (rational) value


def _safe(f, *args: float) -> float:
    try:
        r = f(*args)
    except (OverflowError, ValueError, ZeroDivisionError):
        return math.inf
    return math.inf if math.isnan(r) else r


def _check_powers(node: Expr) -> _Bound:
    """Bottom-up bounds of constant subexpressions; refuse powers that could explode.

    Only constants matter: an exponent with a name in it is left to the evaluator, which
    knows the values. Recursion depth is bounded by MAX_EXPR_DEPTH (checked before).
    """
    if isinstance(node, Num):
        v = abs(float(node.value))
        mantissa, _, exp = node.text.lower().partition("e")
        digits = sum(c.isdigit() for c in mantissa) + (abs(int(exp)) if exp else 0)
        return _Bound(True, v, v, digits)
    if isinstance(node, Const):
        return _Bound(True, 3.2, 2.7, 1)
    if isinstance(node, Name):
        return _Bound(False, math.inf, 0.0, math.inf)
    if isinstance(node, UnaryOp):
        return _check_powers(node.operand)
    if isinstance(node, (ListLit, Index)):  # bounds of entries are not tracked: not constant
        for sub in (node.items if isinstance(node, ListLit) else (node.target,)):
            _check_powers(sub)
        return _Bound(False, math.inf, 0.0, math.inf)
    if isinstance(node, Call):
        args = [_check_powers(a) for a in node.args]
        if node.func == "pow" and len(args) == 2:
            return _power_bound(node, args[0], args[1])
        const = all(a.const for a in args)
        digits = sum(a.digits for a in args) + 1
        if node.func in _BOUNDED:
            mag = _BOUNDED[node.func]
        elif node.func in _MONOTONE and len(args) == 1:
            mag = _safe(_MONOTONE[node.func], args[0].mag)
        else:
            mag = math.inf
        return _Bound(const, mag, 0.0, digits)
    if isinstance(node, BinOp):
        a, b = _check_powers(node.left), _check_powers(node.right)
        if node.op == "**":
            return _power_bound(node, a, b)
        const = a.const and b.const
        if node.op in ("+", "-"):
            return _Bound(const, a.mag + b.mag, 0.0, a.digits + b.digits + 1)
        if node.op == "*":
            return _Bound(const, _safe(lambda x, y: x * y, a.mag, b.mag),
                          a.low * b.low, a.digits + b.digits)
        # division. When no better lower bound of |b| is known, use the one every nonzero
        # exact (rational) value with at most D digits obeys: |b| >= 10**-D; only exact
        # arithmetic can make a huge exponent expensive, floats just overflow.
        low_b = b.low if b.low > 0 else _safe(lambda d: 10.0 ** -d, b.digits)
        mag = _safe(lambda x, y: x / y, a.mag, low_b) if low_b > 0 else math.inf
        low = a.low / b.mag if 0 < b.mag < math.inf else 0.0
        return _Bound(const, mag, low, a.digits + b.digits)
    raise TypeError(f"not an expression node: {node!r}")


def _power_bound(node: BinOp | Call, base: _Bound, exp: _Bound) -> _Bound:
    if not exp.const:
        return _Bound(False, math.inf, 0.0, math.inf)
    if not exp.mag <= MAX_POWER_EXPONENT:
        raise ProgramError(
            f"exponent too large: a constant exponent must be provably within "
            f"+-{MAX_POWER_EXPONENT} (this one may be larger)", node.line, node.col)
    if not base.const:
        return _Bound(False, math.inf, 0.0, math.inf)
    digits = base.digits * max(1.0, math.ceil(exp.mag))
    if not digits <= MAX_CONSTANT_DIGITS:
        raise ProgramError(
            f"constant power too large: its exact value could have more than "
            f"{MAX_CONSTANT_DIGITS} digits", node.line, node.col)
    grow = max(base.mag, 1.0 / base.low if base.low > 0 else math.inf, 1.0)
    return _Bound(True, _safe(lambda x, y: x ** y, grow, exp.mag), 0.0, digits)


# ----------------------------------------------------------------------------- lines

_ASSIGN = _regex(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=(?!=)")
_AUGMENTED = _regex(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*(\*\*|//|>>|<<|[-+*/%@&|^])=")
_ANNOTATED = _regex(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*:")
_COMPLEX_TARGET = _regex(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*[.\[,(]")


def _check_target(name: str, line: int, col: int) -> None:
    if keyword.iskeyword(name):
        raise ProgramError(f"'{name}' is a reserved word and cannot be assigned", line, col)
    if name in CONSTANTS:
        raise ProgramError(f"'{name}' is a constant and cannot be assigned", line, col)
    if name in ARITY:
        raise ProgramError(f"'{name}' is a function name and cannot be assigned", line, col)
    if name.startswith("__"):
        raise ProgramError(f"names beginning with '__' are reserved ('{name}')", line, col)


def _not_assignment(code: str, line: int) -> NoReturn:
    col = len(code) - len(code.lstrip(" \t")) + 1
    m = _AUGMENTED.match(code)
    if m:
        raise ProgramError(f"augmented assignment '{m.group(1)}=' is not supported; "
                           "assign the result to a new name", line, m.start(1) + 1)
    if _ANNOTATED.match(code):
        raise ProgramError("annotations are not supported; write 'name = expression'",
                           line, code.index(":") + 1)
    if _COMPLEX_TARGET.match(code) and "=" in code:
        raise ProgramError("the target of an assignment must be a single plain name",
                           line, col)
    first = re.match(r"[A-Za-z_]+", code[col - 1:])
    if first and keyword.iskeyword(first.group()):
        raise ProgramError(f"'{first.group()}' statements are not supported; each line "
                           "must be an assignment 'name = expression'", line, col)
    raise ProgramError("not an assignment; each line must be 'name = expression'", line, col)


def _parse_line(code: str, line: int, budget: list[int]) -> tuple[str, int, Expr, list[Name], str]:
    """``code`` is one line without its comment; returns target, its column, the tree,
    the names it uses and the right-hand side's text. ``budget`` holds the number of
    tokens the program may still use."""
    m = _ASSIGN.match(code)
    if m is None:
        _not_assignment(code, line)
    target, tcol = m.group(1), m.start(1) + 1
    _check_target(target, line, tcol)
    toks = _tokenize(code, m.end(), line)
    budget[0] -= len(toks)
    if budget[0] < 0:
        raise ProgramError(f"program is too large (more than {MAX_TOTAL_TOKENS} tokens)",
                           line, 1)
    if toks[0].kind == "end":
        raise ProgramError("missing expression after '='", line, m.end())
    expr = _Parser(toks, line).parse()
    names = _check_size(expr, line, toks[0].col)
    rhs = code[m.end():].strip()
    if "**" in rhs or "pow" in rhs:  # the only operations that can explode
        _check_powers(expr)
    return target, tcol, expr, names, rhs


def _plain_number(expr: Expr) -> Any:
    """The value of ``5``, ``-1.5`` or ``+2`` (an input's default), or of a list literal
    of such numbers (a nested list: a vector or matrix input); None otherwise."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, UnaryOp) and isinstance(expr.operand, Num):
        return -expr.operand.value if expr.op == "-" else expr.operand.value
    if isinstance(expr, ListLit):
        items = [_plain_number(a) for a in expr.items]
        if any(i is None for i in items):
            return None
        kinds = {isinstance(i, list) for i in items}
        if len(kinds) > 1:
            raise ProgramError("a list literal mixes numbers and lists (rows)", expr.line, expr.col)
        if True in kinds and len({len(i) for i in items}) > 1:
            lengths = ", ".join(str(len(i)) for i in items)
            raise ProgramError(f"the rows of a matrix must have one length (rows of length {lengths})",
                               expr.line, expr.col)
        return items
    return None


def parse_literal(text: str, what: str = "value", node: bool = False) -> Any:
    """A number or a list literal (``[1, 2]``, ``[[1, 2], [3, 4]]``) given on the command
    line, read with the program parser: a float or a nested list of floats (with
    ``node``, its expression node, whose numbers keep their text for exact mode).

    >>> parse_literal("[1, -2.5]")
    [1, -2.5]
    """
    if len(text) > MAX_LINE_LENGTH - 10:
        raise ProgramError(f"{what} is too long ({len(text)} characters; at most {MAX_LINE_LENGTH - 10}); "
                           "give large inputs from Python with at=")
    try:
        program = parse_program("v = " + text + "\nw = v")
    except ProgramError as err:
        raise ProgramError(f"{what} {text[:40]!r}: {err.reason}") from None
    value = program.inputs.get("v")
    if value is None:
        raise ProgramError(f"{what} {text[:40]!r} is not a number or a list of numbers")
    if node:
        return program.assignments[0].expr
    return value


def parse_program(source: str | bytes) -> Program:
    """Parse a program text; raise ``ProgramError`` (with line and column) if it is bad."""
    decoded = _decode(source)
    text = _newlines(decoded)
    bad = _BAD_CHAR.search(text)
    if bad:
        ch = bad.group()
        what = "NUL byte" if ch == "\0" else f"character {_describe_char(ch)}"
        raise ProgramError(f"{what} is not allowed in a program", *_position(text, bad.start()))
    n_lines = text.count("\n") + 1
    if n_lines > MAX_LINES:
        raise ProgramError(f"program has too many lines ({n_lines}; at most {MAX_LINES})")
    lines = text.split("\n")

    # Pass 1: code part of every line and where each name is first assigned, so that a
    # use before the assignment can name the line that assigns it.
    codes: list[str] = []
    comments: dict[int, str] = {}   # line -> a "vary:" annotation
    first_assigned: dict[str, int] = {}
    for number, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE_LENGTH:
            raise ProgramError(f"line is too long ({len(raw)} characters; at most "
                               f"{MAX_LINE_LENGTH})", number, MAX_LINE_LENGTH + 1)
        code, hash_, comment = raw.partition("#")
        codes.append(code)
        if hash_ and _VARY.match(comment):
            comments[number] = comment
        m = _ASSIGN.match(code)
        if m:
            first_assigned.setdefault(m.group(1), number)

    # Pass 2: parse and check each line in order, so the first error reported is the
    # first one in the text.
    assignments: list[Assignment] = []
    inputs: dict[str, int | float] = {}
    vary: dict[str, Vary] = {}
    assigned: dict[str, int] = {}
    current = 0
    budget = [MAX_TOTAL_TOKENS]
    try:
        for number, code in enumerate(codes, 1):
            current = number
            if not code.strip(" \t"):
                continue
            bad = _NON_ASCII.search(code)
            if bad:
                ch = bad.group()
                hint = _HINTS.get(ch)
                greek = unicodedata.name(ch, "").partition("GREEK SMALL LETTER ")[2]
                if hint is None and greek.isalpha():
                    hint = f"write Greek letters as names, e.g. '{greek.lower()}'"
                if hint is None and unicodedata.category(ch).startswith("L"):
                    hint = "names must be ASCII letters, digits and '_'"
                if hint is None and ch.isdigit():
                    hint = "write digits in ASCII (u1 or u_1)"
                raise ProgramError(
                    f"non-ASCII character {ch!r} ({_describe_char(ch)})"
                    + (f"; {hint}" if hint else ""), number, bad.start() + 1)
            if len(assignments) >= MAX_ASSIGNMENTS:
                raise ProgramError(f"too many assignments (more than {MAX_ASSIGNMENTS})",
                                   number, 1)
            target, tcol, expr, names, rhs = _parse_line(code, number, budget)
            for node in names:
                if first_assigned.get(node.id, 0) >= number:
                    raise ProgramError(f"'{node.id}' is used before it is assigned "
                                       f"(line {first_assigned[node.id]})", number, node.col)
            if target in assigned:
                raise ProgramError(f"'{target}' is assigned twice (first on line "
                                   f"{assigned[target]}); each name may be assigned only once",
                                   number, tcol)
            assigned[target] = number
            default = _plain_number(expr)
            if default is not None:
                inputs[target] = default
            if number in comments:
                col = len(code) + 1  # the "#"
                if default is None:
                    raise ProgramError("'# vary:' belongs on an input line such as 'x = 1  # vary: 0.5..2'",
                                       number, col)
                vary[target] = _parse_vary(comments[number], number, col)
            assignments.append(Assignment(target, expr, number, tcol, rhs, default is not None))
    except (RecursionError, MemoryError):  # belt and braces: limits should prevent these
        raise ProgramError("line is too complex to parse", current, 1) from None

    if not assignments:
        raise ProgramError("program has no assignments ('name = expression' lines)")
    if len(inputs) == len(assignments):
        raise ProgramError("program only declares inputs (" + ", ".join(inputs)
                           + ") and computes nothing; add a step such as 'y = sin(x)'")
    return Program(tuple(assignments), inputs, decoded, vary)


_VARY = _regex(r"\s*vary\s*:", )
_VARY_RANGE = _regex(r"\s*vary\s*:\s*(?P<low>[-+]?[\d.]+(?:e[-+]?\d+)?)\s*\.\.\s*(?P<high>[-+]?[\d.]+(?:e[-+]?\d+)?)"
                     r"(?:\s+(?:step|by)\s+(?P<step>[\d.]+(?:e[-+]?\d+)?))?\s*$", )
MAX_VARY_STEPS = 10_000_000  # values in one range: enough for any worksheet


def _parse_vary(comment: str, line: int, col: int) -> Vary:
    """``vary: LOW..HIGH [step S]`` → Vary, or a ProgramError saying what is wrong."""
    m = _VARY_RANGE.match(comment)
    if m is None:
        raise ProgramError(f"cannot read {comment.strip()!r}; write '# vary: LOW..HIGH' or "
                           "'# vary: LOW..HIGH step S' (e.g. '# vary: 0.5..2')", line, col)
    try:
        low, high = float(m["low"]), float(m["high"])
        step = float(m["step"]) if m["step"] else 0.01
    except ValueError:
        raise ProgramError(f"vary: {comment.strip()!r} has a malformed number", line, col) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ProgramError(f"vary: the range must be LOW..HIGH with LOW < HIGH, got {m['low']}..{m['high']}",
                           line, col)
    if not (step > 0 and math.isfinite(step)) or (high - low) / step > MAX_VARY_STEPS:
        raise ProgramError(f"vary: step {m['step']} does not fit the range {m['low']}..{m['high']}", line, col)
    return Vary(low, high, step, line)


def parse_expression(text: str) -> tuple[Any, list[str]]:
    """Parse one expression (``dualdiff diff`` and ``dualdiff plot``): (tree, free names).

    Errors carry the column in the expression as the user typed it.

    >>> node, names = parse_expression("x ** 3 * y")
    >>> names
    ['x', 'y']
    """
    if "\n" in text or "\r" in text:
        raise ProgramError("expected one expression on one line")
    prefix = "f = "
    try:
        program = parse_program(prefix + text)
    except ProgramError as err:
        if err.line == 1 and err.col is not None:
            raise ProgramError(err.reason, 1, max(1, err.col - len(prefix))) from None
        raise
    return program.steps[0].expr, program.free_names
