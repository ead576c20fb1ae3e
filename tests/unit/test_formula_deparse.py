"""R's deparse rules for printed calls and formulas (spacing, numbers, line breaking)."""

from __future__ import annotations

import pytest

from hlm_py.errors import FormulaParseError
from hlm_py.formula.deparse import deparse, deparse_call, deparse_lines, deparse_text
from hlm_py.formula.parser import Call, Name, Num, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y~x+z", "y ~ x + z"),
        ("y ~ a/b + a%in%b + c^2 - 1", "y ~ a/b + a %in% b + c^2 - 1"),
        ("y~ -1+x", "y ~ -1 + x"),
        ("~x+y", "~x + y"),
        ("log( y )~poly(x,2)+I(x^2)", "log(y) ~ poly(x, 2) + I(x^2)"),
        ("x + 2.50", "x + 2.5"),
        ("x + 100000", "x + 1e+05"),
        ("x + 1000", "x + 1000"),
        ("(a+b)*c", "(a + b) * c"),
        ("`my var` + z", "`my var` + z"),
        ("x>=2 & z!='a'", 'x >= 2 & z != "a"'),
    ],
)
def test_canonical_spacing(text, expected):
    assert deparse_text(text) == expected


def test_binary_operators_bind_as_r():
    # unary minus binds tighter than ':' but looser than '^'
    assert deparse_text("-1:3") == "-1:3"
    assert deparse_text("-2^2") == "-2^2"


def test_long_calls_break_after_operator_or_comma_past_60_bytes():
    rhs = " + ".join(f"variable{i}" for i in range(12))
    text = deparse_call("lm", [("formula", f"y ~ {rhs}"), ("data", "d")])
    lines = text.split("\n")
    assert len(lines) >= 2
    for line in lines[:-1]:
        # a line is closed at the first break point after it passed the cut-off
        assert len(line) > 60
        assert line.endswith("+ ") or line.endswith(", ")
    for line in lines[1:]:
        assert line.startswith("    ") and not line.startswith("     ")
    assert "".join(line.strip() + " " for line in lines).replace("  ", " ").strip().startswith(
        "lm(formula = y ~ variable0")


def test_short_call_is_one_line():
    assert deparse_lines("lm(formula = y ~ x, data = d)") == ["lm(formula = y ~ x, data = d)"]


def test_parse_error_has_position():
    with pytest.raises(FormulaParseError):
        deparse_text("y ~ (x + ")


def test_one_line_deparse_is_the_writer_without_breaks():
    rhs = " + ".join(f"variable{i}" for i in range(12))
    node = parse(f"lm(formula = y ~ {rhs}, data = d)")
    assert deparse(node) == deparse_text(node, cutoff=float("inf"))
    assert "\n" not in deparse(node)
    joined = " ".join(line.strip() for line in deparse_lines(node))
    assert joined == deparse(node).replace("  ", " ")


def test_prefix_operator_on_the_right_keeps_no_parentheses():
    # R's needsparens: a unary operator right of a binary one is never wrapped
    assert deparse_text("x^-1") == "x^-1"
    assert deparse_text("I(x^-1)") == "I(x^-1)"
    neg = Call("-", ((None, Name("a")),))
    assert deparse(Call("^", ((None, Name("x")), (None, neg)))) == "x^-a"
    assert deparse(Call("^", ((None, neg), (None, Num(2.0))))) == "(-a)^2"


def test_names_strings_and_named_arguments():
    assert deparse_text("`x` + `my var`") == "x + `my var`"
    assert deparse_text("f('a b' = 1, k = \"s\\n\")") == 'f(`a b` = 1, k = "s\\n")'
    assert deparse_text("x + 2L") == "x + 2L"
    assert deparse_text("subset(d, a == 1 & !b)") == "subset(d, a == 1 & !b)"
    assert deparse_call("lm", [("formula", "y ~ x"), ("subset", Call("(", ((None, Name("s")),)))]) == (
        "lm(formula = y ~ x, subset = (s))")


def test_a_break_inside_a_broken_operand_indents_one_level_more():
    # '*' binds tighter than '+': the product is the right operand of '+', so a
    # break inside it is a second continuation level
    a, b = "a" * 61, "b" * 65
    lines = deparse_lines(f"y ~ {a} + {b} * c")
    assert lines == [f"y ~ {a} + ", f"    {b} * ", "        c"]
