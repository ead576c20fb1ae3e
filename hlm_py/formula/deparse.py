"""R's ``deparse`` of the trees :func:`hlm_py.formula.parser.parse` builds.

One writer serves both uses R has for ``deparse``:

* :func:`deparse`: one line (R's ``deparse1line``), as ``terms`` labels its
  variables and terms and as ``formula(fit)`` prints;
* :func:`deparse_lines` / :func:`deparse_text` / :func:`deparse_call`: R's
  ``deparse(expr, width.cutoff = 60)`` with its line breaking, as
  ``print(fit$call)`` and ``anova``'s headings show long calls and formulas.

Mirrors ``deparse2buff`` in R's ``src/main/deparse.c`` for the expressions a
model call holds (names, numbers, strings, calls with named arguments, unary
and binary operators, parentheses): spaces around ``+ - * ~ == != < > <= >=
& | && || |>`` and ``%op%``, none around ``/ ^ : $ @ %% %/%``; numbers with
15 significant digits and R's fixed/scientific choice; non-syntactic names
in backticks. Parentheses are added where a built tree needs them (R's
``needsparens``: a prefix operator on the right of a binary one never needs
them). Line breaking (R's ``linebreak``): after ``" op "`` of a spaced
binary operator and after the ``", "`` between arguments, a new line starts
once the current line is longer than ``cutoff`` bytes; continuation lines are
indented by four spaces per level (two past the fourth).

Differences from R: no ``if``/``function``/``{`` constructs and no indexing
(the parser does not build them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..rbase.ascharacter import as_character_double
from .parser import (
    BINARY_PRECEDENCE,
    PERCENT_PRECEDENCE,
    PREFIX_PRECEDENCE,
    RIGHT_ASSOCIATIVE,
    Call,
    Name,
    Node,
    Num,
    Str,
    is_syntactic_name,
    parse,
)

__all__ = [
    "WIDTH_CUTOFF",
    "deparse",
    "deparse_call",
    "deparse_lines",
    "deparse_text",
    "operator_precedence",
    "r_string",
]

WIDTH_CUTOFF = 60

_SPACED = {"+", "-", "*", "~", "==", "!=", "<", ">", "<=", ">=", "&", "&&", "|", "||", "|>"}
_UNSPACED = {"/", "^", ":", "$", "@", "%%", "%/%"}
_COMPARE = {"==", "!=", "<", ">", "<=", ">="}
_CONSTANTS = {"TRUE", "FALSE", "NULL", "NA", "Inf", "NaN", "NA_integer_", "NA_real_", "NA_character_"}


def r_string(s: str) -> str:
    """A character string as R deparses it (double quotes, escapes)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def _name(name: str, backtick: bool = True) -> str:
    if name in _CONSTANTS:
        return name
    if backtick and not is_syntactic_name(name):
        return "`" + name.replace("`", "\\`") + "`"
    return name


def _is_binary(node: Call) -> bool:
    fn = node.fn
    is_percent = fn.startswith("%") and fn.endswith("%") and len(fn) >= 2
    return len(node.args) == 2 and (fn in _SPACED or fn in _UNSPACED or is_percent)


def operator_precedence(node: Node) -> int | None:
    """Binding power of an operator call (the parser's scale); None for
    names, constants, parentheses and ordinary calls."""
    if not isinstance(node, Call) or any(k is not None for k, _ in node.args):
        return None
    if len(node.args) == 2:
        if node.fn in BINARY_PRECEDENCE:
            return BINARY_PRECEDENCE[node.fn]
        if node.fn.startswith("%") and node.fn.endswith("%") and len(node.fn) >= 2:
            return PERCENT_PRECEDENCE
    if len(node.args) == 1 and node.fn in PREFIX_PRECEDENCE:
        return PREFIX_PRECEDENCE[node.fn]
    return None


def _is_prefix(node: Node) -> bool:
    return isinstance(node, Call) and len(node.args) == 1 and operator_precedence(node) is not None


def _is_binary_call(node: Node) -> bool:
    return isinstance(node, Call) and all(k is None for k, _ in node.args) and _is_binary(node)


def _parens(node: Call) -> tuple[bool, bool]:
    """Whether the left and the right operand of a binary call need parentheses."""
    fn = node.fn
    prec = operator_precedence(node)
    left, right = node.args[0][1], node.args[1][1]
    lp, rp = operator_precedence(left), operator_precedence(right)
    left_parens = lp is not None and prec is not None and (
        lp < prec or (lp == prec and (fn in RIGHT_ASSOCIATIVE or fn in _COMPARE)))
    right_parens = rp is not None and prec is not None and not _is_prefix(right) and (
        rp < prec or (rp == prec and fn not in RIGHT_ASSOCIATIVE))
    return left_parens, right_parens


class _Writer:
    """R's ``LocalParseData``: the lines so far, the current line, the indent."""

    def __init__(self, cutoff: float):
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

    def finish(self) -> list[str]:
        if self.cur or not self.lines:
            self.lines.append(self.cur)
        return self.lines

    def node(self, node: Node, parens: bool = False) -> None:
        """Write a tree, in parentheses when ``parens`` (one frame per level of
        nesting; the left spine of a binary chain is walked in a loop)."""
        if parens:
            self.put("(")
        if isinstance(node, Name):
            self.put(_name(node.name))
        elif isinstance(node, Num):
            # R deparses a double as as.character writes it (15 significant digits)
            self.put(f"{int(node.value)}L" if node.is_int else as_character_double(node.value))
        elif isinstance(node, Str):
            self.put(r_string(node.value))
        else:
            fn, args = node.fn, node.args
            named = any(a[0] is not None for a in args)
            if not named and fn == "(" and len(args) == 1:
                self.node(args[0][1], True)
            elif not named and _is_binary(node):
                self.binary(node)
            elif not named and len(args) == 1 and fn in PREFIX_PRECEDENCE:
                ip = operator_precedence(args[0][1])
                self.put(fn)
                self.node(args[0][1], ip is not None and ip < PREFIX_PRECEDENCE[fn])
            else:
                self.put(_name(fn) + "(")
                self.arglist(args)
                self.put(")")
        if parens:
            self.put(")")

    def binary(self, node: Call) -> None:
        # a + b + c is ((a + b) + c): collect the left spine, then write it
        # bottom-up, each operator followed by its right operand
        spine = [node]
        while _is_binary_call(spine[-1].args[0][1]):
            spine.append(spine[-1].args[0][1])
        wrap = [_parens(n) for n in spine]
        for i in range(1, len(spine)):
            if wrap[i - 1][0]:
                self.put("(")
        self.node(spine[-1].args[0][1], wrap[-1][0])
        for i in range(len(spine) - 1, -1, -1):
            fn, right = spine[i].fn, spine[i].args[1][1]
            if fn in _UNSPACED:
                self.put(fn)
                self.node(right, wrap[i][1])
            else:
                self.put(f" {fn} ")
                lbreak = self.linebreak(False)
                self.node(right, wrap[i][1])
                if lbreak:
                    self.indent -= 1
            if i > 0 and wrap[i - 1][0]:
                self.put(")")

    def arglist(self, args: tuple) -> None:
        lbreak = False
        for i, (name, value) in enumerate(args):
            if name is not None:
                self.put(f"{_name(name)} = ")
            self.node(value)
            if i < len(args) - 1:
                self.put(", ")
                lbreak = self.linebreak(lbreak)
        if lbreak:
            self.indent -= 1


def deparse(node: Node, backtick: bool = True) -> str:
    """R's ``deparse`` of a tree on one line (R's ``deparse1line``).

    ``backtick=False`` leaves a bare non-syntactic symbol unquoted, as R's
    ``model.frame`` names its columns (``deparse2``); calls always quote.
    """
    if isinstance(node, Name) and not backtick:
        return _name(node.name, backtick=False)
    w = _Writer(math.inf)
    w.node(node)
    return "".join(w.finish())


def deparse_lines(expr: str | Node, cutoff: float = WIDTH_CUTOFF) -> list[str]:
    """R's ``deparse(expr, width.cutoff = cutoff)``: a list of lines.

    ``expr`` is R expression text (parsed here) or a tree.
    """
    node = parse(expr) if isinstance(expr, str) else expr
    w = _Writer(cutoff)
    w.node(node)
    return w.finish()


def deparse_text(expr: str | Node, cutoff: float = WIDTH_CUTOFF) -> str:
    """``paste(deparse(expr), collapse = "\\n")``."""
    return "\n".join(deparse_lines(expr, cutoff))


def deparse_call(fn: str, args: Sequence[tuple[str | None, str | Node]], cutoff: float = WIDTH_CUTOFF) -> str:
    """Deparse the call ``fn(name = value, ...)`` as R prints a matched call.

    Values are R expression texts (parsed here) or trees.
    """
    nodes = tuple((n, parse(v) if isinstance(v, str) else v) for n, v in args)
    return deparse_text(Call(fn, nodes), cutoff)
