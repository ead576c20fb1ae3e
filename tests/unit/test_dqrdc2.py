"""LINPACK dqrdc2/dqrsl: identities of the decomposition and R's limited pivoting."""

from __future__ import annotations

import numpy as np
import pytest

from hlm_py.linalg.dqrdc2 import (
    chol2inv,
    dqrdc2,
    qr_coef,
    qr_fitted,
    qr_Q,
    qr_qty,
    qr_qy,
    qr_R,
    qr_resid,
)


@pytest.fixture()
def full_rank() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.column_stack([np.ones(40), rng.normal(size=(40, 3))])


def test_q_times_r_reproduces_x(full_rank):
    q = dqrdc2(full_rank)
    assert q.rank == 4
    assert list(q.pivot) == [0, 1, 2, 3]
    Q = qr_Q(q)
    R = qr_R(q)
    np.testing.assert_allclose(Q @ R, full_rank, atol=1e-12)
    np.testing.assert_allclose(Q.T @ Q, np.eye(4), atol=1e-12)


def test_linpack_sign_conventions(full_rank):
    q = dqrdc2(full_rank)
    # R[l, l] = -sign(x_ll) * norm, so a positive leading column gives a negative diagonal
    assert q.qr[0, 0] == pytest.approx(-np.sqrt(40.0))
    # qraux holds 1 + |x_ll| / norm, between 1 and 2
    assert np.all((q.qraux[:4] >= 1.0) & (q.qraux[:4] <= 2.0))


def test_qty_and_qy_are_inverse(full_rank):
    q = dqrdc2(full_rank)
    y = np.linspace(-1, 3, 40)
    np.testing.assert_allclose(qr_qy(q, qr_qty(q, y)), y, atol=1e-12)
    # the effects reproduce the residual sum of squares
    eff = qr_qty(q, y)
    rss = np.sum(qr_resid(q, y) ** 2)
    assert np.sum(eff[q.rank:] ** 2) == pytest.approx(rss, rel=1e-12)


def test_coef_fitted_resid_are_least_squares(full_rank):
    q = dqrdc2(full_rank)
    y = np.sin(np.arange(40.0))
    b = qr_coef(q, y)
    ref, *_ = np.linalg.lstsq(full_rank, y, rcond=None)
    np.testing.assert_allclose(b, ref, rtol=1e-10)
    np.testing.assert_allclose(qr_fitted(q, y) + qr_resid(q, y), y, atol=1e-12)
    np.testing.assert_allclose(full_rank.T @ qr_resid(q, y), 0.0, atol=1e-10)


def test_limited_pivoting_moves_only_the_dependent_column():
    rng = np.random.default_rng(3)
    a = rng.normal(size=30)
    b = rng.normal(size=30)
    x = np.column_stack([np.ones(30), a, 2 * a, b])
    q = dqrdc2(x)
    assert q.rank == 3
    # the duplicate column goes to the end; the others keep their order
    assert list(q.pivot) == [0, 1, 3, 2]
    coef = qr_coef(q, rng.normal(size=30))
    assert np.isnan(coef[2]) and not np.any(np.isnan(coef[[0, 1, 3]]))


def test_zero_column_is_pivoted_and_rank_capped_by_rows():
    x = np.column_stack([np.zeros(5), np.arange(5.0), np.ones(5)])
    q = dqrdc2(x)
    assert q.rank == 2
    assert list(q.pivot) == [1, 2, 0]
    wide = np.arange(12.0).reshape(3, 4) ** 1.5
    assert dqrdc2(wide).rank <= 3


def test_chol2inv_is_inverse_of_crossprod(full_rank):
    q = dqrdc2(full_rank)
    R = np.triu(q.qr[:4, :4])
    np.testing.assert_allclose(chol2inv(R), np.linalg.inv(full_rank.T @ full_rank), rtol=1e-10)


def test_input_is_not_modified(full_rank):
    before = full_rank.copy()
    dqrdc2(full_rank)
    np.testing.assert_array_equal(full_rank, before)


def test_exact_kernels_sum_left_to_right():
    from hlm_py.linalg.dqrdc2 import _dnrm2, _reflect_columns

    rng = np.random.default_rng(11)
    x = rng.normal(size=1001) * np.exp(rng.normal(size=1001) * 4)
    y = rng.normal(size=(1001, 3))
    tmp = np.empty(1001)
    for c in range(3):
        acc = 0.5 * y[0, c]
        for a, b in zip(x[1:].tolist(), y[1:, c].tolist()):
            acc += a * b
        block = y[1:, c:c + 1].copy()
        t = _reflect_columns(x[1:], 2.0, block, first=0.5 * y[0, c:c + 1])
        assert t[0] == -acc / 2.0  # ddot in reference order, then -ddot / divisor
        assert np.array_equal(block[:, 0], y[1:, c] + t[0] * x[1:])  # daxpy
    # several columns at once: the same bits as one at a time
    many = y.copy()
    t_all = _reflect_columns(x, 3.0, many)
    for c in range(3):
        one = y[:, c:c + 1].copy()
        assert _reflect_columns(x, 3.0, one)[0] == t_all[c]
        assert np.array_equal(one[:, 0], many[:, c])
    sq = 0.0
    for a in x.tolist():
        sq += a * a
    assert _dnrm2(x, tmp) == np.sqrt(sq)
    # extreme magnitudes neither overflow nor underflow
    assert _dnrm2(np.array([1e200, 1e200]), tmp) == pytest.approx(np.sqrt(2) * 1e200)
    assert _dnrm2(np.array([1e-200, 1e-200]), tmp) == pytest.approx(np.sqrt(2) * 1e-200)


def _overflowing() -> np.ndarray:
    """mtcars' ``cbind(1, wt / max(wt) * 1.7e308)``: its norm, and the dot
    products of the first reflection, overflow."""
    import hlm_py as hlm

    wt = hlm.datasets.load("mtcars").wt.to_numpy()
    return np.column_stack([np.ones(wt.size), wt / wt.max() * 1.7e308])


def test_an_overflowing_column_keeps_linpacks_rank():
    # LINPACK's dmax1(tt, 0) is 0 where tt is NaN (inf / inf), so the column's
    # norm is recomputed (inf) rather than left NaN and pivoted out
    with np.errstate(all="ignore"):
        qr = dqrdc2(_overflowing())
    assert qr.rank == 2
    assert list(qr.pivot) == [0, 1]
    assert np.isnan(qr.qraux[1])


@pytest.mark.live_r
def test_an_overflowing_column_decomposes_as_in_r():
    from r_reference import rsession

    r = rsession.r()
    X = _overflowing()
    r("q <- qr(cbind(1, mtcars$wt / max(mtcars$wt) * 1.7e308))")
    with np.errstate(all="ignore"):
        qr = dqrdc2(X)
    assert qr.rank == int(r("q$rank")[0])
    np.testing.assert_array_equal(qr.pivot + 1, np.array(r("q$pivot")))
    np.testing.assert_array_equal(qr.qraux, np.array(r("q$qraux")))  # NaN where R's is
    np.testing.assert_array_equal(qr.qr, np.array(r("q$qr")))
