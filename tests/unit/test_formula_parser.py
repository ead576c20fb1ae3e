"""R's parser and deparse for formulas (structure only; no numbers from R)."""

import pytest

from hlm_py.errors import FormulaParseError, HlmError
from hlm_py.formula.deparse import deparse, deparse_lines
from hlm_py.formula.parser import Call, Name, Num, parse
from hlm_py.rbase import as_character_double


@pytest.mark.parametrize(
    "text, expected",
    [
        ("y~a+b", "y ~ a + b"),
        ("y ~ a*b", "y ~ a * b"),
        ("y ~ a/b", "y ~ a/b"),
        ("y ~ a:b", "y ~ a:b"),
        ("y ~ (a+b+c)^2", "y ~ (a + b + c)^2"),
        ("y ~ b %in% a", "y ~ b %in% a"),
        ("y ~ -1 + x", "y ~ -1 + x"),
        ("y ~ 0 + x", "y ~ 0 + x"),
        ("log(y) ~ log(x+1)", "log(y) ~ log(x + 1)"),
        ("y ~ I(x^2.0)", "y ~ I(x^2)"),
        ("y ~ poly(x,2)", "y ~ poly(x, 2)"),
        ("y ~ poly(x, 2, raw=TRUE)", "y ~ poly(x, 2, raw = TRUE)"),
        ("y ~ `my var`", "y ~ `my var`"),
        ("~ a", "~a"),
        ("y ~ I(a == 1 & !b)", "y ~ I(a == 1 & !b)"),
        ("y ~ x %% 2", "y ~ x%%2"),
    ],
)
def test_deparse_matches_r_spacing(text, expected):
    assert deparse(parse(text)) == expected


def test_backtick_only_when_asked():
    node = parse("`my var`")
    assert deparse(node, backtick=True) == "`my var`"
    assert deparse(node, backtick=False) == "my var"


@pytest.mark.parametrize(
    "x, s",
    [(1e5, "1e+05"), (1e-4, "1e-04"), (1000.0, "1000"), (0.1, "0.1"), (123456.0, "123456"),
     (2.0, "2"), (-0.5, "-0.5"), (1 / 3, "0.333333333333333")],
)
def test_number_format_is_r_fifteen_digits(x, s):
    assert as_character_double(x) == s  # what deparse writes for a double


def test_precedence_follows_r():
    # unary minus binds tighter than ':' but looser than '^'
    n = parse("-a:b")
    assert isinstance(n, Call) and n.fn == ":"
    n = parse("-a^2")
    assert isinstance(n, Call) and n.fn == "-"
    n = parse("a^b^c")
    assert n.fn == "^" and n.args[1][1].fn == "^"
    n = parse("!x == 1")
    assert n.fn == "!"
    n = parse("y ~ a + b:c")
    assert n.args[1][1].fn == "+"


def test_numbers_compare_by_value():
    assert parse("x^2") == parse("x^2.0")
    assert parse("x^2") == parse("x^2L")
    assert parse("f(x)") != parse("f(x = x)")
    assert isinstance(parse("2L"), Num) and parse("2L").is_int
    assert parse("a") == Name("a")


@pytest.mark.parametrize("text, pos", [("y ~ a +", 7), ("y ~ (a + b", 10), ("y ~ a b", 6), ("y ~ a $$ b", 7)])
def test_parse_errors_name_the_position(text, pos):
    with pytest.raises(FormulaParseError) as ei:
        parse(text)
    assert isinstance(ei.value, HlmError)
    assert ei.value.position == pos
    assert f"position {pos + 1}" in str(ei.value)


def test_empty_formula_is_an_error():
    with pytest.raises(FormulaParseError):
        parse("")


def test_assignment_is_rejected():
    with pytest.raises(FormulaParseError):
        parse("y ~ (a <- b)")


def test_deparse_adds_parentheses_for_built_trees():
    a, b = Name("a"), Name("b")
    plus = Call("+", ((None, a), (None, b)))
    assert deparse(Call("+", ((None, Name("x")), (None, plus)))) == "x + (a + b)"
    assert deparse(Call("+", ((None, plus), (None, Name("x"))))) == "a + b + x"
    neg = Call("-", ((None, a),))
    assert deparse(Call("^", ((None, neg), (None, Num(2.0))))) == "(-a)^2"
    assert deparse(Call("-", ((None, plus),))) == "-(a + b)"


@pytest.mark.parametrize("text", ["y ~ poly(x1,", "y ~ f(a,", "y ~ f(", "y ~ g(a = "])
def test_unterminated_call_is_a_parse_error(text):
    # found by the differential tests: a truncated call ran off the token list
    with pytest.raises(FormulaParseError, match="unexpected end of input"):
        parse(text)


# -- depth: long '+' chains are left-deep trees; nesting has R's limit --------

R_CONTEXT_LIMIT = 50  # R's CONTEXTSTACK_SIZE (gram.y): open brackets at once


def test_long_plus_chain_parses_and_deparses():
    names = [f"v{i}" for i in range(5000)]
    text = "y ~ " + " + ".join(names)
    node = parse(text)
    assert deparse(node) == text
    lines = deparse_lines(node)
    assert "".join(line.strip() + " " for line in lines).split() == text.split()
    assert all(len(line) < 80 for line in lines)


def test_long_interaction_and_minus_chains_deparse():
    text = "y ~ " + ":".join(f"v{i}" for i in range(3000)) + " - " + " - ".join(
        f"w{i}" for i in range(3000))
    assert deparse(parse(text)) == text


def test_parentheses_nest_to_r_limit():
    ok = "y ~ " + "(" * R_CONTEXT_LIMIT + "x" + ")" * R_CONTEXT_LIMIT
    assert deparse(parse(ok)) == ok
    calls = "y ~ " + "log(" * R_CONTEXT_LIMIT + "x" + ")" * R_CONTEXT_LIMIT
    assert deparse(parse(calls)) == calls


@pytest.mark.parametrize("depth", [R_CONTEXT_LIMIT + 1, 5000])
@pytest.mark.parametrize("opener", ["(", "log("])
def test_parentheses_beyond_r_limit_are_r_contextstack_error(depth, opener):
    text = "y ~ " + opener * depth + "x" + ")" * depth
    with pytest.raises(FormulaParseError, match="contextstack overflow"):
        parse(text)


@pytest.mark.parametrize("text", ["y ~ " + "-" * 5000 + "x", "y ~ " + "x^" * 5000 + "x",
                                  "~" * 5000 + "x", "y ~ " + "!" * 5000 + "x"])
def test_deep_operator_nesting_is_a_parse_error_not_recursion(text):
    with pytest.raises(FormulaParseError, match="nested too deeply"):
        parse(text)


def test_moderate_operator_nesting_parses():
    text = "y ~ " + "-" * 150 + "x"
    assert isinstance(parse(text), Call)
    text = "y ~ " + "x^" * 150 + "x"
    assert deparse(parse(text)) == text


@pytest.mark.live_r
def test_parenthesis_limit_matches_live_r():
    from r_reference import rsession

    r = rsession.r()
    for depth in (R_CONTEXT_LIMIT, R_CONTEXT_LIMIT + 1):
        text = "y ~ " + "(" * depth + "x" + ")" * depth
        r_ok = bool(r(f'!inherits(try(parse(text = "{text}"), silent = TRUE), "try-error")')[0])
        try:
            parse(text)
            ours = True
        except FormulaParseError:
            ours = False
        assert ours == r_ok, depth
