"""nlme's EM start (``hlm_py.lme.em``) computed from the criterion's reduced cells.

The iterates are checked against a direct computation of nlme's EM step
from the rows (``_em_from_rows`` below, the fit's EM start before it worked
from the cells): the thetas agree to rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.errors import SingularFitError
from hlm_py.formula.grouping import build_grouping
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.em import em_start
from hlm_py.lme.pdmat import PdClass, pdCompSymm, pdDiag, pdIdent, pdLogChol, pdSymm
from hlm_py.lme.reduce import reduce_data


def _group_crossprod(cols: list[np.ndarray], codes: np.ndarray, G: int) -> np.ndarray:
    """``(k, k, G)``: each row group's cross-products of ``cols``, group by group."""
    A = np.column_stack(cols)
    return np.stack([A[codes == g].T @ A[codes == g] for g in range(G)], axis=2)


def _initial_theta(lik: ProfiledLikelihood, Z: list[np.ndarray], g) -> np.ndarray:
    """nlme's start: the precision factor ``0.375 sqrt(colSums(Z^2) / G)``, inverted."""
    ss = np.einsum("ij,ij->j", Z[0], Z[0]) / g.n_groups[0]
    return lik.pd[0].params(np.diag(1.0 / (0.375 * np.sqrt(np.where(ss > 0, ss, 1.0))) ** 2))


def _em_from_rows(lik: ProfiledLikelihood, X: np.ndarray, Z: list[np.ndarray], g,
                  theta0: np.ndarray, n_iter: int) -> np.ndarray:
    """nlme's EM iterations computed from the rows: ``Psi = (1/G) sum_g (b_g b_g' /
    sigma^2 + Var(b_g | y) / sigma^2)``, projected on the pd class."""
    z, codes, G = Z[0], g.codes[0], g.n_groups[0]
    q, p = z.shape[1], X.shape[1]
    cross = _group_crossprod([z[:, j] for j in range(q)] + [X[:, j] for j in range(p)], codes, G)
    ztz, ztx = np.moveaxis(cross[:q, :q], 2, 0), np.moveaxis(cross[:q, q:], 2, 0)
    theta = theta0
    for _ in range(n_iter):
        try:
            est = lik.estimates(theta)
        except SingularFitError:
            break
        lam = lik.roots(theta)[0]
        M = np.eye(q) + lam.T @ ztz @ lam
        C = lam @ np.linalg.solve(M, np.broadcast_to(lam.T, M.shape))
        if lik.reml and p:
            W = C @ ztx
            C = C + W @ est.xtvx_inv @ np.swapaxes(W, 1, 2)
        psi = (C.sum(axis=0) + est.b[0].T @ est.b[0] / est.sigma ** 2) / G
        name = lik.pd[0].name
        if name == "pdDiag":
            psi = np.diag(np.diag(psi))
        elif name == "pdIdent":
            psi = float(np.trace(psi)) / q * np.eye(q)
        theta = lik.theta_from_psi([0.5 * (psi + psi.T)])
    return theta


def _orthodont():
    d = hlm.datasets.load("Orthodont")
    g = build_grouping(d, ["Subject"])
    age = d["age"].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(d)), age])
    return X, d["distance"].to_numpy(dtype=float), [X.copy()], g


def _synthetic(seed: int = 5):
    rng = np.random.default_rng(seed)
    n, G = 90, 12
    codes = np.r_[np.arange(G), rng.integers(0, G, n - G)]
    x = 1e3 + 10 * rng.standard_normal(n)  # shifted and scaled: the cells' coordinates matter
    w = rng.standard_normal(n)
    X = np.column_stack([np.ones(n), x, w])
    Z = np.column_stack([np.ones(n), w])
    y = X @ [1.0, 0.01, 0.5] + rng.standard_normal(G)[codes] \
        + 0.4 * rng.standard_normal(G)[codes] * w + rng.standard_normal(n)
    d = pd.DataFrame({"g": pd.Categorical([f"G{k:02d}" for k in codes])})
    return X, y, [Z], build_grouping(d, ["g"])


@pytest.mark.parametrize("data", [_orthodont, _synthetic])
@pytest.mark.parametrize("pd_cls", [pdLogChol, pdDiag, pdSymm, pdIdent])
@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("triangular", [False, True])
def test_em_start_from_the_cells_is_the_fits(data, pd_cls: type[PdClass], reml: bool,
                                             triangular: bool) -> None:
    X, y, Z, g = data()
    red = reduce_data(X, y, Z, g.codes, g.parents, g.n_groups, triangular=triangular)
    lik = ProfiledLikelihood(red, [pd_cls()], reml, qr=triangular)
    theta0 = _initial_theta(lik, Z, g)
    for n_iter in (1, 25):
        old = _em_from_rows(lik, X, Z, g, theta0, n_iter)
        new = em_start(lik, theta0, n_iter)
        assert not np.array_equal(new, theta0)
        np.testing.assert_allclose(new, old, rtol=1e-10, atol=1e-12)


def test_em_start_leaves_a_start_it_has_no_step_for() -> None:
    X, y, Z, g = _orthodont()
    red = reduce_data(X, y, Z, g.codes, g.parents, g.n_groups)
    lik = ProfiledLikelihood(red, [pdCompSymm()], True)
    theta0 = _initial_theta(lik, Z, g)
    assert np.array_equal(em_start(lik, theta0, 25), theta0)
    lik = ProfiledLikelihood(reduce_data(X, y, Z, g.codes, g.parents, g.n_groups), [pdDiag()],
                             True)
    assert np.array_equal(em_start(lik, theta0[:2], 0), theta0[:2])
