"""R's deparse rules for printed calls and formulas (spacing, numbers, line breaking)."""

from __future__ import annotations

import pytest

from hlm_py.errors import FormulaParseError
from hlm_py.lm.deparse import deparse_call, deparse_lines, deparse_text


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
