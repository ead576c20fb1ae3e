"""Contrast matrices: R's shapes, names and defining identities."""

import numpy as np
import pandas as pd
import pytest

from hlm_py.errors import HlmError
from hlm_py.formula.contrasts import (
    contr_helmert,
    contr_poly,
    contr_SAS,
    contr_sum,
    contr_treatment,
    indicators,
    resolve_contrast,
)

LV = ["a", "b", "c", "d"]


def test_treatment_and_sas():
    m, names = contr_treatment(LV)
    assert names == ["b", "c", "d"]
    assert np.array_equal(m, np.eye(4)[:, 1:])
    m, names = contr_SAS(LV)
    assert names == ["a", "b", "c"]
    assert np.array_equal(m, np.eye(4)[:, :3])


def test_sum_and_helmert_columns_sum_to_zero():
    for fn in (contr_sum, contr_helmert):
        m, names = fn(LV)
        assert names is None
        assert m.shape == (4, 3)
        assert np.allclose(m.sum(axis=0), 0)
    m, _ = contr_helmert(LV)
    assert np.allclose(m.T @ m, np.diag(np.diag(m.T @ m)))  # orthogonal columns
    m, _ = contr_sum(LV)
    assert np.all(m[-1] == -1)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 7])
def test_poly_is_orthonormal_and_named(k):
    m, names = contr_poly([str(i) for i in range(k)])
    assert m.shape == (k, k - 1)
    assert np.allclose(m.T @ m, np.eye(k - 1))
    assert np.allclose(m.sum(axis=0), 0)
    expected = [".L", ".Q", ".C"] + [f"^{i}" for i in range(4, k)]
    assert names == expected[: k - 1]
    # linear column increases with the level, as R's does
    assert np.all(np.diff(m[:, 0]) > 0)


def test_indicators_are_identity_with_level_names():
    m, names = indicators(LV)
    assert names == LV and np.array_equal(m, np.eye(4))


def test_resolve_by_name_matrix_and_errors():
    m, names = resolve_contrast("contr.sum", LV)
    assert m.shape == (4, 3) and names is None
    df = pd.DataFrame(np.eye(4)[:, :2], columns=["X", "Y"])
    m, names = resolve_contrast(df, LV)
    assert names == ["X", "Y"] and m.shape == (4, 2)
    m, names = resolve_contrast(np.eye(4)[:, :3], LV)
    assert names is None
    with pytest.raises(HlmError, match="wrong number of contrast matrix rows"):
        resolve_contrast(np.eye(3), LV)
    with pytest.raises(HlmError, match="2 or more levels"):
        resolve_contrast("contr.treatment", ["a"])
    with pytest.raises(HlmError):
        resolve_contrast("contr.nonsense", LV)


def test_character_levels_sort_like_r():
    from hlm_py.rbase import r_sort

    # R (ICU collation in UTF-8 locales): case-insensitive first, lowercase first on ties
    assert r_sort(["b", "C", "a", "B"]) == ["a", "b", "B", "C"]
    assert r_sort(["Hi", "lo", "hi"]) == ["hi", "Hi", "lo"]
    assert r_sort(["z9", "Z10", "_x", "1"]) == ["_x", "1", "Z10", "z9"]
