"""R's ``deparse`` of calls and formulas, with its line breaking.

Mirrors ``deparse(expr)`` in R's ``src/main/deparse.c`` for the expressions a
model call holds (names, numbers, strings, calls with named arguments, unary
and binary operators, parentheses): the canonical spacing (``a + b``,
``a:b``, ``x^2``, ``a/b``, ``a %in% b``) and the line breaking with
``width.cutoff = 60``: after ``"op "`` of a spaced binary operator and after
the ``", "`` between arguments, a new line starts once the current line is
longer than 60 bytes; continuation lines are indented by four spaces per
level.  ``print(fit$call)`` joins the lines with newlines, so
:func:`deparse_text` returns ``"\\n".join(lines)``.

This is a small R expression reader of its own (the formula layer parses
formulas for model building); it is only used to print what R prints.
Differences: ``->``, ``<-``, ``=`` as an operator, ``if``/``function`` and
indexing are not supported (they never occur in a model call).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from hlm_py.errors import FormulaParseError

__all__ = ["Expr", "parse_expr", "deparse_lines", "deparse_text", "deparse_call", "r_string"]

WIDTH_CUTOFF = 60

# binary operators: precedence (higher binds tighter), right-associative, spaced
_BINARY = {
    "~": (1, False, True),
    "||": (2, False, True),
    "|": (2, False, True),
    "&&": (3, False, True),
    "&": (3, False, True),
    "==": (5, False, True),
    "!=": (5, False, True),
    "<": (5, False, True),
    ">": (5, False, True),
    "<=": (5, False, True),
    ">=": (5, False, True),
    "+": (6, False, True),
    "-": (6, False, True),
    "*": (7, False, True),
    "/": (7, False, False),
    "%%": (8, False, False),
    "%/%": (8, False, False),
    "%*%": (8, False, True),
    "|>": (8, False, True),
    ":": (9, False, False),
    "^": (11, True, False),
    "$": (12, False, False),
    "@": (12, False, False),
}
_UNARY_PREC = {"~": 1, "!": 4, "-": 10, "+": 10}


@dataclass
class Expr:
    """A node of an R expression: ``kind`` in name/num/str/call/binop/unop/paren."""

    kind: str
    value: str = ""
    args: list[tuple[str | None, Expr]] = field(default_factory=list)


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<bq>`[^`]*`)
  | (?P<name>(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*|\.)
  | (?P<op>%[^%]*%|\|\||&&|==|!=|<=|>=|\|>|[-+*/^:~<>!&|$@(),=\[\]])
    """,
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FormulaParseError("unexpected input", text, pos)
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, what: str) -> FormulaParseError:
        _, val, pos = self.peek()
        return FormulaParseError(f"{what} '{val}'" if val else what, self.text, pos)

    def expect(self, op: str) -> None:
        kind, val, _ = self.peek()
        if kind != "op" or val != op:
            raise self.fail("unexpected symbol" if kind != "end" else "unexpected end of input")
        self.take()

    def parse(self, min_prec: int = 0) -> Expr:
        kind, val, _ = self.peek()
        if kind == "op" and val in _UNARY_PREC:
            self.take()
            operand = self.parse(_UNARY_PREC[val])
            left = Expr("unop", val, [(None, operand)])
        else:
            left = self.primary()
        while True:
            kind, val, _ = self.peek()
            if kind == "op" and val.startswith("%") and val not in _BINARY:
                info = (8, False, True)
            elif kind == "op" and val in _BINARY:
                info = _BINARY[val]
            else:
                break
            prec, right, _spaced = info
            if prec < min_prec or (prec == min_prec and not right):
                break
            self.take()
            rhs = self.parse(prec if right else prec + 1)
            left = Expr("binop", val, [(None, left), (None, rhs)])
        return left

    def primary(self) -> Expr:
        kind, val, _ = self.take()
        if kind == "num":
            node = Expr("num", val)
        elif kind == "str":
            node = Expr("str", _unquote(val))
        elif kind in ("name", "bq"):
            node = Expr("name", val)
        elif kind == "op" and val == "(":
            inner = self.parse(0)
            self.expect(")")
            node = Expr("paren", "", [(None, inner)])
        else:
            self.i -= 1
            raise self.fail("unexpected symbol" if kind != "end" else "unexpected end of input")
        while self.peek()[0] == "op" and self.peek()[1] == "(":
            self.take()
            args: list[tuple[str | None, Expr]] = []
            if not (self.peek()[0] == "op" and self.peek()[1] == ")"):
                while True:
                    name = None
                    k1, v1, _ = self.peek()
                    k2, v2, _ = self.toks[self.i + 1]
                    if k1 in ("name", "bq", "str") and k2 == "op" and v2 == "=":
                        name = v1 if k1 != "str" else _unquote(v1)
                        self.i += 2
                    args.append((name, self.parse(0)))
                    if self.peek()[0] == "op" and self.peek()[1] == ",":
                        self.take()
                        continue
                    break
            self.expect(")")
            node = Expr("call", "", [(None, node)] + args)
        return node


def _unquote(tok: str) -> str:
    body = tok[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def r_string(s: str) -> str:
    """A character string as R deparses it (double quotes, escapes)."""
    esc = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{esc}"'


def parse_expr(text: str) -> Expr:
    """Read one R expression (raises FormulaParseError with the position)."""
    p = _Parser(text)
    node = p.parse(0)
    if p.peek()[0] != "end":
        raise p.fail("unexpected symbol")
    return node


def _format_number(tok: str) -> str:
    """A numeric constant as R deparses it (15 significant digits, R's
    fixed-versus-scientific width rule)."""
    if tok.endswith("L"):
        return tok
    x = float(tok)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "Inf" if x > 0 else "-Inf"
    for sig in range(1, 16):
        if float(f"{x:.{sig - 1}e}") == float(f"{x:.14e}"):
            break
    mant, exp = f"{x:.{sig - 1}e}".split("e")
    e = int(exp)
    sci = f"{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"
    decimals = max(0, sig - 1 - e)
    fixed = f"{x:.{decimals}f}"
    return sci if len(fixed) > len(sci) else fixed


class _Writer:
    def __init__(self, cutoff: int):
        self.cutoff = cutoff
        self.lines: list[str] = []
        self.cur = ""
        self.indent = 0
        self.startline = True

    def put(self, s: str) -> None:
        if self.startline:
            self.startline = False
            for i in range(1, self.indent + 1):
                self.cur += "    " if i <= 4 else "  "
        self.cur += s

    def writeline(self) -> None:
        self.lines.append(self.cur)
        self.cur = ""
        self.startline = True

    def linebreak(self, lbreak: bool) -> bool:
        if len(self.cur.encode()) > self.cutoff:
            if not lbreak:
                lbreak = True
                self.indent += 1
            self.writeline()
        return lbreak

    def expr(self, e: Expr) -> None:
        if e.kind in ("name", "str", "num"):
            if e.kind == "str":
                self.put(r_string(e.value))
            elif e.kind == "num":
                self.put(_format_number(e.value))
            else:
                self.put(e.value)
        elif e.kind == "paren":
            self.put("(")
            self.expr(e.args[0][1])
            self.put(")")
        elif e.kind == "unop":
            self.put(e.value)
            self.expr(e.args[0][1])
        elif e.kind == "binop":
            spaced = _BINARY.get(e.value, (8, False, True))[2]
            left, right = e.args[0][1], e.args[1][1]
            self.expr(left)
            if spaced:
                self.put(f" {e.value} ")
                lbreak = self.linebreak(False)
                self.expr(right)
                if lbreak:
                    self.indent -= 1
            else:
                self.put(e.value)
                self.expr(right)
        elif e.kind == "call":
            self.expr(e.args[0][1])
            self.put("(")
            self.arglist(e.args[1:])
            self.put(")")
        else:  # pragma: no cover - parser never builds other kinds
            raise ValueError(e.kind)

    def arglist(self, args: list[tuple[str | None, Expr]]) -> None:
        lbreak = False
        for i, (name, value) in enumerate(args):
            if name is not None:
                self.put(f"{name} = ")
            self.expr(value)
            if i < len(args) - 1:
                self.put(", ")
                lbreak = self.linebreak(lbreak)
        if lbreak:
            self.indent -= 1

    def finish(self) -> list[str]:
        if self.cur or not self.lines:
            self.lines.append(self.cur)
        return self.lines


def deparse_lines(expr: str | Expr, cutoff: int = WIDTH_CUTOFF) -> list[str]:
    """R's ``deparse(expr, width.cutoff = cutoff)``: a list of lines."""
    node = parse_expr(expr) if isinstance(expr, str) else expr
    w = _Writer(cutoff)
    w.expr(node)
    return w.finish()


def deparse_text(expr: str | Expr, cutoff: int = WIDTH_CUTOFF) -> str:
    """``paste(deparse(expr), collapse = "\\n")``."""
    return "\n".join(deparse_lines(expr, cutoff))


def deparse_call(fn: str, args: list[tuple[str | None, str | Expr]], cutoff: int = WIDTH_CUTOFF) -> str:
    """Deparse the call ``fn(name = value, ...)`` as R prints a matched call.

    Values are R expression texts (parsed here) or :class:`Expr` nodes.
    """
    nodes = [(n, parse_expr(v) if isinstance(v, str) else v) for n, v in args]
    call = Expr("call", "", [(None, Expr("name", fn))] + nodes)
    return deparse_text(call, cutoff)
