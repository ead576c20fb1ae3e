"""R's terms.formula: expansion, order, factors coding, intercept, offsets."""

import numpy as np
import pytest

from hlm_py.errors import FormulaParseError
from hlm_py.formula.terms import delete_response, terms


def labels(f, cols=None):
    return terms(f, cols).term_labels


@pytest.mark.parametrize(
    "f, expected",
    [
        ("y ~ a*b", ["a", "b", "a:b"]),
        ("y ~ a*b*c", ["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]),
        ("y ~ (a+b+c)^2", ["a", "b", "c", "a:b", "a:c", "b:c"]),
        ("y ~ (a+b+c)^3 - a:b:c", ["a", "b", "c", "a:b", "a:c", "b:c"]),
        ("y ~ a/b", ["a", "a:b"]),
        ("y ~ a/(b+c)", ["a", "a:b", "a:c"]),
        ("y ~ (a+b)/c", ["a", "b", "a:b:c"]),
        ("y ~ b %in% a", ["b:a"]),
        ("y ~ a*b - a", ["b", "a:b"]),
        ("y ~ a + b + a", ["a", "b"]),
        ("y ~ b:a + a:b", ["b:a"]),
        ("y ~ c + b:a + a", ["c", "a", "b:a"]),
        ("log(y) ~ a:b:c + a", ["a", "a:b:c"]),
        ("y ~ x + I(x^2.0) + I(x^2)", ["x", "I(x^2)"]),
        ("y ~ a + offset(log(b)) + c", ["a", "c"]),
        # R's CrossTerms/NestTerms give nothing when the left side is empty
        ("y ~ 1*a", []),
        ("y ~ a*1", ["a"]),
        ("y ~ (b-b)/a + c", ["c"]),
    ],
)
def test_expansion_and_order(f, expected):
    assert labels(f) == expected


def test_order_is_degree():
    t = terms("y ~ a:b:c + a*b")
    assert t.order == sorted(t.order)
    assert t.order == [len(lab.split(":")) for lab in t.term_labels]


@pytest.mark.parametrize(
    "f, intercept",
    [("y ~ x", True), ("y ~ x - 1", False), ("y ~ x + 0", False), ("y ~ 0 + x", False),
     ("y ~ -1 + x", False), ("y ~ x - 1 + 1", True), ("y ~ 1", True), ("y ~ 0", False)],
)
def test_intercept(f, intercept):
    assert terms(f).intercept is intercept


def test_factors_matrix_coding():
    # a term whose margin is absent codes the other variable by indicators (2)
    t = terms("y ~ x + x:f")
    assert t.variables == ["y", "x", "f"]
    assert t.factors.tolist() == [[0, 0], [1, 2], [0, 1]]
    t = terms("y ~ a:b")
    assert t.factors[:, 0].tolist() == [0, 2, 2]
    t = terms("y ~ a*b")
    assert t.factors.tolist() == [[0, 0, 0], [1, 0, 1], [0, 1, 1]]
    assert set(np.unique(t.factors)) <= {0, 1, 2}


def test_offsets_are_variables_not_terms():
    t = terms("y ~ a + offset(log(b)) + c")
    assert t.variables == ["y", "a", "offset(log(b))", "c"]
    assert t.offsets == [2]
    assert "offset(log(b))" not in t.term_labels
    assert not t.factors[2].any()


def test_dot_expands_to_data_columns_but_response():
    cols = ["y", "a", "b", "c"]
    assert labels("y ~ .", cols) == ["a", "b", "c"]
    assert labels("y ~ . - a", cols) == ["b", "c"]
    assert labels("log(y) ~ . + log(a)", cols) == ["a", "b", "c", "log(a)"]
    assert terms("y ~ .", cols).formula == "y ~ a + b + c"
    assert terms("y ~ .^2", cols).formula == "y ~ (a + b + c)^2"
    with pytest.raises(FormulaParseError):
        terms("y ~ .")


def test_backquoted_names_keep_backticks_in_labels():
    t = terms("y ~ `my var` + log(`my var`)")
    assert t.term_labels == ["`my var`", "log(`my var`)"]
    assert t.variable_names == ["y", "my var", "log(`my var`)"]


def test_delete_response():
    t = delete_response(terms("y ~ a*b + offset(c)"))
    assert t.response is None
    assert t.variables == ["a", "b", "offset(c)"]
    assert t.offsets == [2]
    assert t.factors.shape == (3, 3)
    assert t.formula == "~a * b + offset(c)"


@pytest.mark.parametrize("f", ["y ~ a^x", "y ~ (a+b)^1", "y ~ a + 2", "y + x"])
def test_invalid_formulas(f):
    with pytest.raises(FormulaParseError):
        terms(f)


def test_5000_terms_expand_in_order_without_recursion():
    names = [f"v{i}" for i in range(5000)]
    t = terms("y ~ " + " + ".join(names) + " - v3 + v3:v4")
    assert t.term_labels == [n for n in names if n != "v3"] + ["v3:v4"]
    assert t.variables == ["y"] + names
    assert t.factors.shape == (5001, 5000)
    dot = terms("y ~ . - v0", ["y"] + names)
    assert dot.term_labels == names[1:]
    assert dot.formula == "y ~ (" + " + ".join(names) + ") - v0"
