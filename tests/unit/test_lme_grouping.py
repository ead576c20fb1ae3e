"""Grouping factors: nlme's nesting, order and names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hlm_py.errors import GroupingError, HlmError, MissingValueError, UnknownVariableError
from hlm_py.formula.grouping import as_factor, build_grouping


def test_nested_names_and_order():
    data = pd.DataFrame({
        "a": pd.Categorical(["y", "x", "y", "x", "y"], categories=["y", "x"], ordered=True),
        "b": ["B", "A", "A", "B", "B"],
    })
    g = build_grouping(data, ["a", "b"])
    # outer in the factor's level order (y before x), inner sorted
    assert g.labels[0] == ["y", "x"]
    assert g.labels[1] == ["y/A", "y/B", "x/A", "x/B"]
    assert list(g.parents[1]) == [0, 0, 1, 1]
    # each row's labels agree with its values
    for i in range(len(data)):
        assert g.labels[1][g.codes[1][i]] == f"{data.a[i]}/{data.b[i]}"
        assert g.labels[0][g.codes[0][i]] == data.a[i]
    order = g.order
    assert np.all(np.diff(g.codes[1][order]) >= 0)


def test_numbers_sort_numerically_and_print_as_r():
    codes, labels, ordered = as_factor(pd.Series([10, 9, 2.5, 10]))
    assert labels == ["2.5", "9", "10"] and not ordered
    assert list(codes) == [2, 1, 0, 2]


def test_unused_categories_dropped():
    s = pd.Series(pd.Categorical(["b", "b", "c"], categories=["a", "b", "c"]))
    codes, labels, _ = as_factor(s)
    assert labels == ["b", "c"] and list(codes) == [0, 0, 1]


def test_one_level_is_an_error():
    with pytest.raises(GroupingError):
        build_grouping(pd.DataFrame({"g": ["a", "a", "a"]}), ["g"])


def test_missing_variable_and_na():
    with pytest.raises(UnknownVariableError):
        build_grouping(pd.DataFrame({"g": ["a", "b"]}), ["h"])
    with pytest.raises(MissingValueError):
        build_grouping(pd.DataFrame({"g": ["a", None, "b"]}), ["g"])


def test_numbers_with_one_label_are_one_group():
    # R's as.factor: 0.1 + 0.2 and 0.3 are both "0.3", one group
    g = build_grouping(pd.DataFrame({"g": [0.1 + 0.2, 0.3, 0.7] * 2}), ["g"])
    assert g.labels[0] == ["0.3", "0.7"]
    assert list(g.codes[0]) == [0, 0, 1] * 2


def test_categories_that_print_the_same_are_refused():
    g = pd.Categorical([1, "1", 2, "2"] * 10, categories=[1, "1", 2, "2"])
    with pytest.raises(HlmError, match='"1"'):
        build_grouping(pd.DataFrame({"g": g}), ["g"])


def test_lme_refuses_categories_that_print_the_same():
    import hlm_py as hlm

    o = hlm.datasets.load("Orthodont").iloc[:40].copy()
    o["g"] = pd.Categorical([1, "1", 2, "2"] * 10, categories=[1, "1", 2, "2"])
    with pytest.raises(HlmError, match='"1"'):
        hlm.lme("distance ~ age", o, random="~ 1 | g")
