"""The reduction's cross-products (QR by groups) against the rows of W~.

``reduce_data`` forms the cells from each group's R factor and one QR of the
stacked factors; ``reduce_data(..., triangular=True)`` forms ``X~``, ``y~``,
``Z~`` row by row (Householder QR of all of ``X``) and its cells are the
cross-products of those rows. Both are the same numbers to rounding.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from hlm_py.lme.reduce import group_order, group_triangular, reduce_data


def _data(n: int, G: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, G, size=n)
    x = rng.normal(size=(n, 3))
    X = np.asfortranarray(np.c_[np.ones(n), x])
    y = 2.0 + x @ np.array([0.5, -1.0, 0.25]) + rng.normal(size=G)[codes] + rng.normal(size=n)
    return X, y, codes, rng


def _both(X, y, Z, codes, G):
    if len(Z) == 1:
        args = (X, y, Z, [codes], [np.zeros(G, dtype=np.int64)], [G])
    else:  # an outer level of 4 inner groups each
        outer = (G + 3) // 4
        args = (X, y, Z, [codes // 4, codes], [np.zeros(outer, dtype=np.int64),
                                                np.arange(G) // 4], [outer, G])
    return reduce_data(*args), reduce_data(*args, triangular=True)


def _cells_close(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference relative to ``sqrt(b_ii b_jj)`` (absolute where that is 0)."""
    d = np.sqrt(np.abs(np.einsum("iig->ig", b)))
    den = d[:, None, :] * d[None, :, :]
    return float(np.max(np.abs(a - b) / np.where(den > 0, den, 1.0)))


CASES = {
    "slope": lambda X, rng: [X[:, :2].copy()],
    "own columns": lambda X, rng: [np.c_[np.ones(X.shape[0]), rng.normal(size=X.shape[0])]],
    "non-leading X columns": lambda X, rng: [X[:, [0, 2]].copy()],
    "two levels": lambda X, rng: [X[:, :1].copy(), X[:, :2].copy()],
    "rank-deficient Z": lambda X, rng: [np.c_[np.ones(X.shape[0]), np.ones(X.shape[0])]],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("n,G", [(600, 12), (300, 120)])  # the second with groups smaller than k
def test_cells_are_the_cross_products_of_the_rows(case, n, G):
    X, y, codes, rng = _data(n, G)
    Z = CASES[case](X, rng)
    fast, rows = _both(X, y, Z, codes, G)
    assert fast.cells.shape == rows.cells.shape
    assert _cells_close(fast.cells, rows.cells) < 1e-12
    assert np.array_equal(fast.cells, fast.cells.transpose(1, 0, 2))
    np.testing.assert_allclose(fast.x_factor, rows.x_factor, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fast.beta_offset, rows.beta_offset, rtol=1e-12, atol=1e-13)
    for a, b in zip(fast.z_factors, rows.z_factors):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
    assert fast.x_singular is rows.x_singular is False
    assert fast.factors is None


def test_shared_columns_give_equal_cells():
    X, y, codes, _ = _data(500, 10)
    fast, _ = _both(X, y, [X[:, :2].copy()], codes, 10)
    c = fast.cells  # W~ = [Z~0 Z~1 X~0 ... X~3 y~], Z~ = X~'s leading columns
    assert np.array_equal(c[:2], c[2:4])
    assert np.array_equal(c[:, :2], c[:, 2:4])


def test_no_fixed_effects_and_empty_groups():
    X, y, codes, _ = _data(400, 8)
    codes = np.where(codes == 3, 4, codes)  # group 3 has no rows
    Z = [np.ones((400, 1))]
    fast, rows = _both(np.zeros((400, 0)), y, Z, codes, 8)
    assert _cells_close(fast.cells, rows.cells) < 1e-12
    assert np.all(fast.cells[:, :, 3] == 0)
    assert fast.x_factor.shape == (0, 0) and fast.beta_offset.shape == (0,)


def test_a_zero_fixed_effects_column_is_marked_singular():
    X, y, codes, _ = _data(300, 6)
    Xz = np.c_[X, np.zeros(300)]
    fast, rows = _both(Xz, y, [X[:, :2].copy()], codes, 6)
    assert fast.x_singular and rows.x_singular
    np.testing.assert_array_equal(fast.x_factor, np.eye(5))


def test_shifted_columns_keep_their_digits():
    """``x = 1e4 + z``, ``y = 1e5 + ...``: the cells of the orthonormal
    columns to 1e-13 of the exact ones (mpmath), where the cross-products of
    the raw rows, transformed, lose ten digits."""
    X, y, codes, rng = _data(240, 6)
    X = np.c_[X[:, :1], 1e4 + X[:, 1], X[:, 2] * 1e-6]
    y = y + 1e5
    fast, _ = _both(X, y, [X[:, :2].copy()], codes, 6)
    mp.mp.dps = 40
    A, Y = mp.matrix(X.tolist()), mp.matrix(y.tolist())
    XtX = A.T * A
    Xt = A * (mp.cholesky(XtX).T) ** -1
    yt = Y - A * mp.lu_solve(XtX, A.T * Y)
    W = [[Xt[i, 0], Xt[i, 1]] + [Xt[i, j] for j in range(3)] + [yt[i]] for i in range(240)]
    exact = np.zeros_like(fast.cells)
    for g in range(6):
        rows = np.flatnonzero(codes == g)
        for a in range(6):
            for b in range(6):
                exact[a, b, g] = float(mp.fsum(W[r][a] * W[r][b] for r in rows))
    assert _cells_close(fast.cells, exact) < 1e-13


@pytest.mark.parametrize("G", [5, 70_000])
def test_group_order_is_the_stable_sort(G):
    rng = np.random.default_rng(1)
    codes = rng.integers(0, G, size=200_000)
    np.testing.assert_array_equal(group_order(codes, G), np.argsort(codes, kind="stable"))


def test_group_triangular_factors_the_groups_rows():
    X, y, codes, _ = _data(300, 40)
    cols = [X[:, j] for j in range(4)] + [y]
    T = group_triangular(cols, codes, 40)
    W = np.c_[X, y]
    for g in range(40):
        Wg = W[codes == g]
        np.testing.assert_allclose(T[g].T @ T[g], Wg.T @ Wg, rtol=1e-12, atol=1e-12)
        assert np.all(np.tril(T[g], -1) == 0)
