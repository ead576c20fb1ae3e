"""R's ``terms.formula``: expansion of a model formula into terms.

This follows the algorithm of R's C function ``termsform`` (stats/src/model.c):

1. the *variables* are collected left to right (response first), two
   variables being the same when their trees are equal (R's ``MatchVar``);
2. the right-hand side is expanded into a list of terms, each a bit set over
   the variables: ``a + b`` concatenates, ``a:b`` takes the pairwise union,
   ``a * b`` is ``a + b + a:b``, ``a / b`` is ``a + (all of a):b``,
   ``b %in% a`` is ``b:(all of a)``, ``(...)^k`` repeats ``:`` k-1 times,
   ``-`` removes terms (and the intercept under ``-1``; ``0`` removes it,
   ``1`` restores it), duplicates are dropped keeping the first;
3. terms that contain an ``offset()`` variable are removed;
4. terms are sorted by their number of variables, keeping the order of
   appearance within one degree;
5. the ``factors`` matrix codes each variable of each term 1 (coded by
   contrasts) or 2 (coded by indicators): 2 when the term with that variable
   taken out is not contained in any *preceding* term (the margin is absent),
   per Chambers & Hastie, *Statistical Models in S*, p. 38.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import FormulaParseError
from .deparse import deparse
from .parser import Call, Name, Node, Num, Str, parse, walk_names

__all__ = ["Terms", "terms", "delete_response"]


@dataclass
class Terms:
    """R's ``terms`` object.

    ``variables`` are R's deparsed variables as they label the rows of
    ``factors`` (non-syntactic names in backticks), ``variable_names`` the
    names ``model.frame`` gives them (a bare symbol unquoted), ``nodes`` their
    trees. ``offsets`` are 0-based indices into ``variables``.
    """

    response: str | None
    variables: list[str]
    factors: np.ndarray
    term_labels: list[str]
    order: list[int]
    intercept: bool
    offsets: list[int]
    formula: str
    nodes: list[Node] = field(default_factory=list)
    variable_names: list[str] = field(default_factory=list)
    term_bits: list[int] = field(default_factory=list)
    response_index: int | None = None

    @property
    def has_response(self) -> bool:
        return self.response is not None


class _TermsBuilder:
    def __init__(self, text: str, frame_names: Sequence[str] | None):
        self.text = text
        self.frame_names = list(frame_names) if frame_names is not None else None
        self.varlist: list[Node] = []
        self.var_index: dict[Node, int] = {}
        self.intercept = True
        self.parity = True
        self.response = False
        self.have_dot = False

    # -- errors
    def fail(self, msg: str, node: Node | None = None):
        pos = getattr(node, "pos", -1) if node is not None else -1
        raise FormulaParseError(msg, self.text, pos if pos is not None and pos >= 0 else None)

    # -- variables (R's ExtractVars / InstallVar)
    def install(self, var: Node) -> int:
        i = self.var_index.get(var)  # trees equal as R's MatchVar: equal nodes
        if i is not None:
            return i
        if isinstance(var, Num) and var.value not in (0.0, 1.0):
            self.fail("invalid term in model formula", var)
        self.varlist.append(var)
        self.var_index[var] = len(self.varlist) - 1
        return len(self.varlist) - 1

    def extract(self, f: Node | None) -> None:
        if f is None or _is_zero_one(f):
            return
        if isinstance(f, Name):
            if f.name == ".":
                self.have_dot = True
            if self.have_dot and self.frame_names is not None:
                # as R: once '.' has been seen, a symbol re-installs the data's
                # columns instead of itself (symbols that are not columns are
                # then appended while the terms are expanded)
                for nm in self.frame_names:
                    v = Name(nm)
                    if not (self.varlist and self.varlist[0] == v):
                        self.install(v)
                return
            self.install(f)
            return
        if isinstance(f, Call):
            a = f.values
            fn = f.fn
            if fn == "~":
                if self.response:
                    self.fail("invalid model formula", f)
                if len(a) == 1:
                    self.response = False
                    self.extract(a[0])
                else:
                    self.response = True
                    self.install(a[0])
                    self.extract(a[1])
                return
            if fn in _BINARY and len(a) == 2:
                # the left spine in a loop (a + b + ... is left-deep), then the
                # right operands bottom-up: R's order, without deep recursion
                spine = [f]
                while _binary_formula_call(spine[-1].args[0][1]):
                    spine.append(spine[-1].args[0][1])
                for c in spine:
                    if c.fn == "^" and not isinstance(c.args[1][1], Num):
                        self.fail("invalid power in formula", c.args[1][1])
                self.extract(spine[-1].args[0][1])
                for c in reversed(spine):
                    if c.fn != "^":
                        self.extract(c.args[1][1])
                return
            if fn in ("+", "-") and len(a) == 1:
                self.extract(a[0])
                return
            if fn == "(" and len(a) == 1:
                self.extract(a[0])
                return
            self.install(f)
            return
        self.fail("invalid model formula in ExtractVars", f)

    # -- expansion (R's EncodeVars), terms are Python ints used as bit sets
    def bit(self, var: Node) -> int:
        return 1 << self.install(var)

    @staticmethod
    def trim(terms: list[int]) -> list[int]:
        out: list[int] = []
        seen: set[int] = set()
        for t in terms:
            if t == 0 or t in seen:
                continue
            seen.add(t)
            out.append(t)
        return out

    def check_power(self, p: Node) -> int:
        ip = int(p.value) if isinstance(p, Num) else -1
        if ip <= 1:
            self.fail("invalid power in formula", p)
        return ip

    def combine(self, fn: str, left: list[int], right_node: Node) -> list[int]:
        """One binary formula operator on the left's terms and the right operand."""
        if fn == "-":
            self.parity = not self.parity
            right = self.encode(right_node)
            self.parity = not self.parity
            for t in right:
                if t == 0:
                    self.intercept = False
                left = [x for x in left if x != t]
            return left
        if fn == "^":
            ip = self.check_power(right_node)
            out = left
            for _ in range(1, ip):
                out = self.trim([lt | rt for lt in left for rt in out])
            return out
        right = self.encode(right_node)
        if fn == "+":
            return self.trim(left + right)
        if fn == ":":
            return self.trim([lt | rt for lt in left for rt in right])
        if fn == "*":
            if not left:  # R's CrossTerms returns nothing when the left side is empty
                return []
            return self.trim(left + right + [lt | rt for lt in left for rt in right])
        if fn == "%in%":
            allr = 0
            for t in right:
                allr |= t
            return self.trim([t | allr for t in left])
        # "/"
        if not left:  # R's NestTerms returns nothing when the left side is empty
            return []
        alll = 0
        for t in left:
            alll |= t
        return self.trim(left + [t | alll for t in right])

    def encode(self, f: Node | None) -> list[int]:
        if f is None:
            return []
        if isinstance(f, Num) and f.value == 1.0:
            self.intercept = self.parity
            return []
        if isinstance(f, Num) and f.value == 0.0:
            self.intercept = not self.parity
            return []
        if isinstance(f, Name):
            if f.name == "." and self.frame_names is not None:
                names_seen: set[str] = set()
                out = []
                for nm in self.frame_names:
                    if nm in names_seen:
                        self.fail(f"duplicated name '{nm}' in data frame using '.'", f)
                    names_seen.add(nm)
                    out.append(self.bit(Name(nm)))
                return out
            return [self.bit(f)]
        if isinstance(f, Call):
            a = f.values
            fn = f.fn
            if fn == "~":
                return self.encode(a[0] if len(a) == 1 else a[1])
            if fn in _BINARY and len(a) == 2:
                # fold the left spine bottom-up (a + b + ... is left-deep)
                spine = [f]
                while _binary_formula_call(spine[-1].args[0][1]):
                    spine.append(spine[-1].args[0][1])
                for c in spine:
                    if c.fn == "^":
                        self.check_power(c.args[1][1])
                acc = self.encode(spine[-1].args[0][1])
                seen: set[int] | None = None  # acc's terms, while '+' extends it
                for c in reversed(spine):
                    if c.fn == "+":  # trim(acc + right), acc being trimmed already
                        if seen is None:
                            seen = set(acc)
                        for t in self.encode(c.args[1][1]):
                            if t and t not in seen:
                                seen.add(t)
                                acc.append(t)
                    else:
                        acc = self.combine(c.fn, acc, c.args[1][1])
                        seen = None
                return acc
            if fn == "+" and len(a) == 1:
                return self.encode(a[0])
            if fn == "-" and len(a) == 1:
                return self.combine("-", [], a[0])
            if fn == "(":
                return self.encode(a[0])
            return [self.bit(f)]
        self.fail("invalid model formula in EncodeVars", f)
        return []


_BINARY = ("+", "-", ":", "*", "%in%", "/", "^")


def _binary_formula_call(node: Node) -> bool:
    return isinstance(node, Call) and node.fn in _BINARY and len(node.args) == 2


def _bits(t: int) -> list[int]:
    """The variables (bit positions, ascending) of a term."""
    out = []
    while t:
        low = t & -t
        out.append(low.bit_length() - 1)
        t ^= low
    return out


def _is_zero_one(node: Node) -> bool:
    return isinstance(node, Num) and node.value in (0.0, 1.0)


def _expand_dots(node: Node, value: Node) -> Node:
    """R's ExpandDots: substitute the data's columns for ``.`` in the formula."""
    op = value.fn if isinstance(value, Call) else None
    pm = ("+", "-")
    # per operator, the operators of `value` that need parentheses around it
    # in place of a `.` on the left and on the right ("+" needs none)
    rules = {"+": ((), ()), "-": (pm, pm), "*": (pm, pm), "/": (pm, pm),
             ":": (pm + ("*", "/"), pm), "^": (pm + ("*", "/", ":"), pm)}

    def sub(n: Node, ops: tuple[str, ...]) -> Node:
        if isinstance(n, Name) and n.name == ".":
            return Call("(", ((None, value),)) if op in ops else value
        return _expand_dots(n, value)

    if isinstance(node, Name):
        return value if node.name == "." else node
    if not isinstance(node, Call):
        return node
    if node.fn in rules and len(node.args) == 2:
        # the left spine in a loop (a + b + ... is left-deep)
        spine = [node]
        while True:
            left = spine[-1].args[0][1]
            if not (isinstance(left, Call) and left.fn in rules and len(left.args) == 2):
                break
            spine.append(left)
        acc = sub(spine[-1].args[0][1], rules[spine[-1].fn][0])
        for c in reversed(spine):
            (k0, _), (k1, right) = c.args
            acc = Call(c.fn, ((k0, acc), (k1, sub(right, rules[c.fn][1]))), c.pos)
        return acc
    if node.fn in ("-", "*", "/"):
        new = tuple((k, sub(v, pm)) for k, v in node.args)
    else:
        new = tuple((k, _expand_dots(v, value)) for k, v in node.args)
    return Call(node.fn, new, node.pos)


def terms(
    formula: str | Node,
    data_columns: Sequence[str] | None = None,
    keep_order: bool = False,
) -> Terms:
    """R's ``terms.formula(formula, data = data)``.

    ``data_columns`` are the names of the data's columns, needed to expand
    ``.`` (all columns not named on the left-hand side).
    """
    if formula is None:  # R's terms(NULL)
        raise FormulaParseError("argument is not a valid model (a formula is a string such as 'y ~ x')")
    if not isinstance(formula, (str, Name, Num, Str, Call)):  # R's formula(42)
        raise FormulaParseError(
            f"invalid formula: a formula is a string such as 'y ~ x', not {type(formula).__name__}")
    text = formula if isinstance(formula, str) else deparse(formula)
    node = parse(formula) if isinstance(formula, str) else formula
    if not (isinstance(node, Call) and node.fn == "~" and len(node.args) in (1, 2)):
        raise FormulaParseError("argument is not a valid model (a formula needs '~')", text, 0)

    frame_names = list(data_columns) if data_columns is not None else None
    if frame_names is not None and len(node.args) == 2:
        lhs_syms = set(walk_names(node.args[0][1]))
        frame_names = [nm for nm in frame_names if nm not in lhs_syms]

    b = _TermsBuilder(text, frame_names)
    b.extract(node)
    if b.have_dot and frame_names is None:
        raise FormulaParseError("'.' in formula and no 'data' argument", text, None)
    term_list = b.encode(node)
    nvar = len(b.varlist)

    labels_bt = [deparse(v, backtick=True) for v in b.varlist]
    names_frame = [deparse(v, backtick=not isinstance(v, Name)) for v in b.varlist]
    start = 1 if b.response else 0
    offsets = [i for i in range(start, nvar) if labels_bt[i].startswith("offset(")]
    if offsets:
        off_bits = 0
        for i in offsets:
            off_bits |= 1 << i
        term_list = [t for t in term_list if not (t & off_bits)]

    counts = [bin(t).count("1") for t in term_list]
    if keep_order:
        ordered, order = term_list, counts
    else:
        idx = sorted(range(len(term_list)), key=lambda k: counts[k])
        ordered = [term_list[k] for k in idx]
        order = [counts[k] for k in idx]

    nterm = len(ordered)
    factors = np.zeros((nvar, nterm), dtype=int)
    term_vars = [_bits(t) for t in ordered]
    for j, t in enumerate(ordered):
        for i in term_vars[j]:
            rest = t & ~(1 << i)
            code = 2
            if rest == 0 or any((rest & ~ordered[k]) == 0 for k in range(j)):
                code = 1
            factors[i, j] = code
    term_labels = [":".join(labels_bt[i] for i in iv) for iv in term_vars]

    if b.have_dot and frame_names:
        rhs: Node = Name(frame_names[0])
        for nm in frame_names[1:]:
            rhs = Call("+", ((None, rhs), (None, Name(nm))))
        args = node.args
        if len(args) == 2:
            node = Call("~", (args[0], (None, _expand_dots(args[1][1], rhs))))
        else:
            node = Call("~", ((None, _expand_dots(args[0][1], rhs)),))

    return Terms(
        response=labels_bt[0] if b.response else None,
        variables=labels_bt,
        factors=factors,
        term_labels=term_labels,
        order=order,
        intercept=bool(b.intercept),
        offsets=offsets,
        formula=deparse(node),
        nodes=list(b.varlist),
        variable_names=names_frame,
        term_bits=ordered,
        response_index=0 if b.response else None,
    )


def delete_response(t: Terms) -> Terms:
    """R's ``delete.response``: the same terms without the response variable."""
    if not t.has_response:
        return t
    node = parse(t.formula)
    assert isinstance(node, Call)
    rhs = Call("~", (node.args[1],))
    return Terms(
        response=None,
        variables=t.variables[1:],
        factors=t.factors[1:, :] if t.factors.size else np.zeros((len(t.variables) - 1, 0), dtype=int),
        term_labels=list(t.term_labels),
        order=list(t.order),
        intercept=t.intercept,
        offsets=[i - 1 for i in t.offsets],
        formula=deparse(rhs),
        nodes=t.nodes[1:],
        variable_names=t.variable_names[1:],
        term_bits=[b >> 1 for b in t.term_bits],
        response_index=None,
    )
