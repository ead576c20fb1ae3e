"""R's parser, restricted to what model formulas and model calls use.

:func:`parse` turns formula text into a syntax tree shaped like R's own: every
operator is a :class:`Call` whose ``fn`` is the operator's name (``"+"``,
``"~"``, ``"("``, ``"%in%"``), so structural equality of two nodes is R's
``MatchVar`` (the test ``terms.formula`` uses to decide that two variables are
the same). Numbers compare by value, as in R (``x^2`` and ``x^2.0`` match).

The grammar covers formulas and the arguments of a model call: names
(backquoted too), numbers, strings, calls with named arguments, unary and
binary operators (arithmetic, comparison, logical, ``%op%``, ``$``, ``@``,
``|>``) and parentheses. :mod:`hlm_py.formula.deparse` writes the trees back
as R's ``deparse`` does.

Nesting: at most :data:`CONTEXT_LIMIT` (50) brackets open at once, R's own
limit (``contextstack overflow``); at most :data:`NESTING_LIMIT` levels of
operator nesting, where R's parser allows more (``- - - x`` thousands deep).
Left-associative chains (``a + b + ... + z``, thousands of terms) are built
in a loop, not by recursion, so their length is not limited.

Differences from R: no ``if``/``function``/``{`` constructs, no ``[``/``[[``
indexing; assignment operators are rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from ..errors import FormulaParseError

__all__ = [
    "Name",
    "Num",
    "Str",
    "Call",
    "Node",
    "parse",
    "is_syntactic_name",
    "walk_names",
    "BINARY_PRECEDENCE",
    "PREFIX_PRECEDENCE",
    "PERCENT_PRECEDENCE",
    "RIGHT_ASSOCIATIVE",
    "CONTEXT_LIMIT",
    "NESTING_LIMIT",
]

#: R's ``CONTEXTSTACK_SIZE`` (gram.y): brackets open at once
CONTEXT_LIMIT = 50
#: levels of nesting (operands of operators, parentheses, call arguments);
#: keeps every recursive walk of a tree far from Python's recursion limit
NESTING_LIMIT = 200


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


@dataclass(frozen=True, eq=False)
class Call:
    """A call ``fn(args)``; operators are calls too (``a + b`` is ``+(a, b)``).

    ``args`` is a tuple of ``(name_or_None, node)`` pairs. Equality and hash
    are structural (R's MatchVar), computed without recursion: a left-deep
    chain ``a + b + ... + z`` may be thousands of levels deep.
    """

    fn: str
    args: tuple
    pos: int = field(default=-1, compare=False, repr=False)

    @property
    def values(self) -> list:
        return [a for _, a in self.args]

    def _structure(self) -> tuple:
        key = self.__dict__.get("_key")
        if key is None:
            key = _structure_key(self)
            object.__setattr__(self, "_key", key)
        return key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Call):
            return NotImplemented
        return self is other or self._structure() == other._structure()

    def __hash__(self) -> int:
        return hash(self._structure())


def _structure_key(node: Call) -> tuple:
    """The tree in preorder as a flat tuple (equal trees, equal keys)."""
    out: list[tuple] = []
    stack: list = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Call):
            out.append(("call", n.fn, tuple(k for k, _ in n.args)))
            stack.extend(v for _, v in reversed(n.args))
        elif isinstance(n, Name):
            out.append(("name", n.name))
        elif isinstance(n, Num):
            out.append(("num", n.value))
        else:
            out.append(("str", n.value))
    return tuple(out)


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
    contexts = 0  # R's contextstack: brackets open at this point
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
                if op in ("(", "[", "{"):
                    contexts += 1
                    if contexts > CONTEXT_LIMIT:
                        raise FormulaParseError(
                            f"contextstack overflow: more than {CONTEXT_LIMIT} nested "
                            "parentheses (R's parser limit)", text, i)
                elif op in (")", "]", "}"):
                    contexts = max(contexts - 1, 0)
                toks.append(_Tok("op", op, i))
                i += len(op)
                break
        else:
            raise FormulaParseError(f"unexpected input '{c}'", text, i)
    toks.append(_Tok("eof", "", n))
    return toks


# ---------------------------------------------------------------- parser

# binding powers (higher binds tighter), following R's ?Syntax
BINARY_PRECEDENCE = {
    "~": 10, "||": 20, "|": 20, "&&": 30, "&": 30,
    "==": 50, "!=": 50, "<": 50, ">": 50, "<=": 50, ">=": 50,
    "+": 60, "-": 60, "*": 70, "/": 70, "|>": 80, ":": 90, "^": 110,
    "$": 120, "@": 120,
}
RIGHT_ASSOCIATIVE = {"^"}
_NONASSOC = {"==", "!=", "<", ">", "<=", ">="}
PREFIX_PRECEDENCE = {"~": 10, "!": 40, "-": 100, "+": 100}
PERCENT_PRECEDENCE = 80


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[min(self.i, len(self.toks) - 1)]  # the eof token, once reached

    def next(self) -> _Tok:
        t = self.peek()
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
        if tok.text in BINARY_PRECEDENCE:
            return BINARY_PRECEDENCE[tok.text]
        if tok.text.startswith("%") and len(tok.text) >= 2:
            return PERCENT_PRECEDENCE
        if tok.text in ("<-", "<<-", "->", "=", "?"):
            self.fail(tok, f"unexpected '{tok.text}' (assignment is not allowed in a formula)")
        return None

    def expr(self, min_bp: int) -> Node:
        self.depth += 1
        if self.depth > NESTING_LIMIT:
            raise FormulaParseError(
                f"expression nested too deeply (more than {NESTING_LIMIT} levels)",
                self.text, self.peek().pos)
        try:
            left = self.prefix()
            while True:  # a left-associative chain grows here, not by recursion
                tok = self.peek()
                if tok.kind == "op" and tok.text == "(":
                    left = self.call(left)
                    continue
                bp = self.binary_bp(tok)
                if bp is None or bp < min_bp or (bp == min_bp and tok.text not in RIGHT_ASSOCIATIVE):
                    if bp is not None and bp == min_bp and tok.text in _NONASSOC:
                        self.fail(tok)
                    return left
                self.next()
                rbp = bp if tok.text in RIGHT_ASSOCIATIVE else bp + 1
                if tok.text in ("$", "@"):
                    nt = self.next()
                    if nt.kind not in ("name", "str"):
                        self.fail(nt)
                    right: Node = Name(str(nt.value), nt.pos)
                else:
                    right = self.expr(rbp)
                left = Call(tok.text, ((None, left), (None, right)), tok.pos)
        finally:
            self.depth -= 1

    def prefix(self) -> Node:
        tok = self.next()
        if tok.kind == "num":
            val, is_int = cast(tuple[float, bool], tok.value)
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
            if tok.text in PREFIX_PRECEDENCE:
                operand = self.expr(PREFIX_PRECEDENCE[tok.text])
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
            t0, t1 = self.peek(), self.toks[min(self.i + 1, len(self.toks) - 1)]
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


def walk_names(node: Node, include_functions: bool = True):
    """Yield every symbol in a tree (function names too, as R's CheckRHS sees them)."""
    stack = [node]
    while stack:  # depth-first, left to right, without recursion
        n = stack.pop()
        if isinstance(n, Name):
            yield n.name
        elif isinstance(n, Call):
            if include_functions:
                yield n.fn
            stack.extend(a for _, a in reversed(n.args))
