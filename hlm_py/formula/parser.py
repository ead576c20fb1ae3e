"""R's parser, restricted to what model formulas use, and R's ``deparse``.

:func:`parse` turns formula text into a syntax tree shaped like R's own: every
operator is a :class:`Call` whose ``fn`` is the operator's name (``"+"``,
``"~"``, ``"("``, ``"%in%"``), so structural equality of two nodes is R's
``MatchVar`` (the test ``terms.formula`` uses to decide that two variables are
the same). Numbers compare by value, as in R (``x^2`` and ``x^2.0`` match).

:func:`deparse` mirrors R's ``deparse`` for these trees: spaces around
``+ - * ~ == != < > <= >= & | && || %op%``, none around ``/ ^ : %% %/% $``,
numbers printed with 15 significant digits and R's fixed/scientific choice,
non-syntactic names in backticks when ``backtick=True``.

Differences from R: no ``if``/``function``/``{`` constructs, no ``[``/``[[``
indexing; assignment operators are rejected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import FormulaParseError

__all__ = [
    "Name",
    "Num",
    "Str",
    "Call",
    "Node",
    "parse",
    "deparse",
    "format_number",
    "is_syntactic_name",
]


@dataclass(frozen=True)
class Name:
    """A symbol (R ``name``)."""

    name: str
    pos: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True)
class Num:
    """A numeric constant; ``is_int`` for R's ``2L``. Equality is by value (R's MatchVar)."""

    value: float
    is_int: bool = field(default=False, compare=False)
    pos: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True)
class Str:
    """A character constant."""

    value: str
    pos: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    """A call ``fn(args)``; operators are calls too (``a + b`` is ``+(a, b)``).

    ``args`` is a tuple of ``(name_or_None, node)`` pairs.
    """

    fn: str
    args: tuple
    pos: int = field(default=-1, compare=False, repr=False)

    @property
    def values(self) -> list:
        return [a for _, a in self.args]


Node = Name | Num | Str | Call

_RESERVED = {
    "if", "else", "repeat", "while", "function", "for", "next", "break", "in",
    "TRUE", "FALSE", "NULL", "Inf", "NaN", "NA", "NA_integer_", "NA_real_",
    "NA_character_", "NA_complex_",
}
_SYNTACTIC = re.compile(r"^((([A-Za-z]|[.][._A-Za-z])[._A-Za-z0-9]*)|[.])$")


def is_syntactic_name(name: str) -> bool:
    """R's test for a name that needs no backticks."""
    return bool(_SYNTACTIC.match(name)) and name not in _RESERVED


# ---------------------------------------------------------------- tokenizer

_OPERATORS = [
    "%%", "<=", ">=", "==", "!=", "&&", "||", "|>", "<-", "<<-", "->",
    "~", "+", "-", "*", "/", "^", ":", "(", ")", ",", "=", "<", ">", "!",
    "&", "|", "$", "@", "[", "]", "{", "}", "?",
]
_OPERATORS.sort(key=len, reverse=True)
_NUMBER = re.compile(
    r"(0[xX][0-9a-fA-F]+L?)|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?L?)"
)
_IDENT = re.compile(r"(?:[^\W\d_]|[.](?![0-9]))[\w.]*|[.]")


@dataclass
class _Tok:
    kind: str  # "num", "str", "name", "op", "eof"
    text: str
    pos: int
    value: object = None


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
            continue
        if c == "#":
            raise FormulaParseError("unexpected '#' (comments are not allowed)", text, i)
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            assert m is not None
            s = m.group(0)
            is_int = s.endswith("L")
            body = s[:-1] if is_int else s
            val = float(int(body, 16)) if body[:2].lower() == "0x" else float(body)
            toks.append(_Tok("num", s, i, (val, is_int)))
            i = m.end()
            continue
        if c.isalpha() or c == "." or (c.isidentifier() and c != "_"):
            m = _IDENT.match(text, i)
            assert m is not None
            toks.append(_Tok("name", m.group(0), i, m.group(0)))
            i = m.end()
            continue
        if c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise FormulaParseError("unterminated backquoted name", text, i)
            if j == i + 1:
                raise FormulaParseError("attempt to use zero-length variable name", text, i)
            toks.append(_Tok("name", text[i : j + 1], i, text[i + 1 : j]))
            i = j + 1
            continue
        if c in "\"'":
            j = i + 1
            buf = []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    esc = text[j + 1]
                    buf.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}.get(esc, esc))
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                raise FormulaParseError("unterminated string", text, i)
            toks.append(_Tok("str", text[i : j + 1], i, "".join(buf)))
            i = j + 1
            continue
        if c == "%":
            j = text.find("%", i + 1)
            if j < 0:
                raise FormulaParseError("unexpected input '%'", text, i)
            toks.append(_Tok("op", text[i : j + 1], i))
            i = j + 1
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                toks.append(_Tok("op", op, i))
                i += len(op)
                break
        else:
            raise FormulaParseError(f"unexpected input '{c}'", text, i)
    toks.append(_Tok("eof", "", n))
    return toks


# ---------------------------------------------------------------- parser

# binding powers (higher binds tighter), following R's ?Syntax
_BINARY = {
    "~": 10, "||": 20, "|": 20, "&&": 30, "&": 30,
    "==": 50, "!=": 50, "<": 50, ">": 50, "<=": 50, ">=": 50,
    "+": 60, "-": 60, "*": 70, "/": 70, "|>": 80, ":": 90, "^": 110,
    "$": 120, "@": 120,
}
_RIGHT_ASSOC = {"^"}
_NONASSOC = {"==", "!=", "<", ">", "<=", ">="}
_PREFIX = {"~": 10, "!": 40, "-": 100, "+": 100}
_PERCENT_BP = 80


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, tok: _Tok, what: str | None = None):
        if tok.kind == "eof":
            raise FormulaParseError("unexpected end of input", self.text, tok.pos)
        kind = {"num": "numeric constant", "str": "string constant", "name": "symbol"}.get(
            tok.kind, f"'{tok.text}'"
        )
        raise FormulaParseError(what or f"unexpected {kind}", self.text, tok.pos)

    def binary_bp(self, tok: _Tok) -> int | None:
        if tok.kind != "op":
            return None
        if tok.text in _BINARY:
            return _BINARY[tok.text]
        if tok.text.startswith("%") and len(tok.text) >= 2:
            return _PERCENT_BP
        if tok.text in ("<-", "<<-", "->", "=", "?"):
            self.fail(tok, f"unexpected '{tok.text}' (assignment is not allowed in a formula)")
        return None

    def expr(self, min_bp: int) -> Node:
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text == "(":
                left = self.call(left)
                continue
            bp = self.binary_bp(tok)
            if bp is None or bp < min_bp or (bp == min_bp and tok.text not in _RIGHT_ASSOC):
                if bp is not None and bp == min_bp and tok.text in _NONASSOC:
                    self.fail(tok)
                return left
            self.next()
            rbp = bp if tok.text in _RIGHT_ASSOC else bp + 1
            if tok.text in ("$", "@"):
                nt = self.next()
                if nt.kind not in ("name", "str"):
                    self.fail(nt)
                right: Node = Name(str(nt.value), nt.pos)
            else:
                right = self.expr(rbp)
            left = Call(tok.text, ((None, left), (None, right)), tok.pos)

    def prefix(self) -> Node:
        tok = self.next()
        if tok.kind == "num":
            val, is_int = tok.value  # type: ignore[misc]
            return Num(val, is_int, tok.pos)
        if tok.kind == "str":
            return Str(str(tok.value), tok.pos)
        if tok.kind == "name":
            return Name(str(tok.value), tok.pos)
        if tok.kind == "op":
            if tok.text == "(":
                inner = self.expr(0)
                close = self.next()
                if close.text != ")" or close.kind != "op":
                    self.fail(close)
                return Call("(", ((None, inner),), tok.pos)
            if tok.text in _PREFIX:
                operand = self.expr(_PREFIX[tok.text])
                return Call(tok.text, ((None, operand),), tok.pos)
        self.fail(tok)
        raise AssertionError  # pragma: no cover

    def call(self, fn_node: Node) -> Node:
        open_tok = self.next()
        if isinstance(fn_node, Name):
            fn = fn_node.name
        else:
            self.fail(open_tok, "only calls of named functions are supported")
        args: list[tuple[str | None, Node]] = []
        if self.peek().kind == "op" and self.peek().text == ")":
            self.next()
            return Call(fn, (), fn_node.pos)
        while True:
            name = None
            t0, t1 = self.peek(), self.toks[self.i + 1]
            if t0.kind in ("name", "str") and t1.kind == "op" and t1.text == "=":
                name = str(t0.value)
                self.i += 2
            args.append((name, self.expr(0)))
            t = self.next()
            if t.kind == "op" and t.text == ",":
                continue
            if t.kind == "op" and t.text == ")":
                break
            self.fail(t)
        return Call(fn, tuple(args), fn_node.pos)


def parse(text: str) -> Node:
    """Parse R expression text (a formula or a plain expression) into a tree.

    Mirrors R's ``parse(text=)`` for the formula grammar; a text that does not
    parse raises :class:`~hlm_py.errors.FormulaParseError` naming the position.
    """
    if not isinstance(text, str):
        raise FormulaParseError(f"a formula must be a string, not {type(text).__name__}")
    p = _Parser(text)
    if p.peek().kind == "eof":
        raise FormulaParseError("empty formula", text, 0)
    node = p.expr(0)
    tok = p.peek()
    if tok.kind != "eof":
        p.fail(tok)
    return node


# ---------------------------------------------------------------- deparse

_SPACED = {"+", "-", "*", "~", "==", "!=", "<", ">", "<=", ">=", "&", "&&", "|", "||", "|>"}
_UNSPACED = {"/", "^", ":", "$", "@", "%%", "%/%"}


def format_number(x: float, digits: int = 15) -> str:
    """R's formatting of one double with ``digits`` significant digits.

    The fewest significant digits (at most ``digits``) that represent the value
    to ``digits`` digits, then fixed notation unless scientific is narrower
    (R's ``formatReal`` with ``scipen = 0``). Used by ``deparse`` and
    ``as.character``.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0"
    ref = float(f"{x:.{digits - 1}e}")
    sig = digits
    for d in range(1, digits + 1):
        if float(f"{x:.{d - 1}e}") == ref:
            sig = d
            break
    mant_s, exp_s = f"{ref:.{sig - 1}e}".split("e")
    e = int(exp_s)
    sci = f"{mant_s}e{'-' if e < 0 else '+'}{abs(e):02d}"
    decimals = max(0, sig - 1 - e)
    fixed = f"{ref:.{decimals}f}"
    return fixed if len(fixed) <= len(sci) else sci


_CONSTANTS = {"TRUE", "FALSE", "NULL", "NA", "Inf", "NaN", "NA_integer_", "NA_real_", "NA_character_"}


def _deparse_name(name: str, backtick: bool) -> str:
    if name in _CONSTANTS:
        return name
    if backtick and not is_syntactic_name(name):
        return "`" + name.replace("`", "\\`") + "`"
    return name


def _deparse_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def deparse(node: Node, backtick: bool = True) -> str:
    """R's ``deparse`` of a tree on one line (R's ``deparse1line``).

    ``backtick=False`` leaves a bare non-syntactic symbol unquoted, as R's
    ``model.frame`` names its columns (``deparse2``); calls always quote.
    """
    if isinstance(node, Name):
        return _deparse_name(node.name, backtick)
    if isinstance(node, Num):
        if node.is_int:
            return f"{int(node.value)}L"
        return format_number(node.value)
    if isinstance(node, Str):
        return _deparse_str(node.value)
    return _deparse_call(node)


def _op_prec(node: Node) -> int | None:
    """Binding power of an operator call (None for atoms, calls and parentheses)."""
    if not isinstance(node, Call) or any(k is not None for k, _ in node.args):
        return None
    if len(node.args) == 2:
        if node.fn in _BINARY:
            return _BINARY[node.fn]
        if node.fn.startswith("%") and node.fn.endswith("%") and len(node.fn) >= 2:
            return _PERCENT_BP
    if len(node.args) == 1 and node.fn in _PREFIX:
        return _PREFIX[node.fn]
    return None


def _deparse_call(node: Call) -> str:
    fn, args = node.fn, node.args
    named = any(a[0] is not None for a in args)
    is_percent = fn.startswith("%") and fn.endswith("%") and len(fn) >= 2
    if not named and fn == "(" and len(args) == 1:
        return "(" + deparse(args[0][1]) + ")"
    if not named and len(args) == 2 and (fn in _SPACED or fn in _UNSPACED or is_percent):
        prec = _op_prec(node)
        left, right = deparse(args[0][1]), deparse(args[1][1])
        lp, rp = _op_prec(args[0][1]), _op_prec(args[1][1])
        if lp is not None and prec is not None and (lp < prec or (lp == prec and fn in _RIGHT_ASSOC)):
            left = f"({left})"
        if rp is not None and prec is not None and (rp < prec or (rp == prec and fn not in _RIGHT_ASSOC)):
            right = f"({right})"
        if fn in _UNSPACED:
            return f"{left}{fn}{right}"
        return f"{left} {fn} {right}"
    if not named and len(args) == 1 and fn in ("-", "+", "!", "~"):
        inner = deparse(args[0][1])
        ip = _op_prec(args[0][1])
        if ip is not None and ip < _PREFIX[fn]:
            inner = f"({inner})"
        return fn + inner
    parts = []
    for name, val in args:
        v = deparse(val)
        parts.append(f"{_deparse_name(name, True)} = {v}" if name is not None else v)
    return f"{_deparse_name(fn, True)}({', '.join(parts)})"


def walk_names(node: Node, include_functions: bool = True):
    """Yield every symbol in a tree (function names too, as R's CheckRHS sees them)."""
    if isinstance(node, Name):
        yield node.name
    elif isinstance(node, Call):
        if include_functions:
            yield node.fn
        for _, a in node.args:
            yield from walk_names(a, include_functions)
