"""The profiled (RE)ML criterion: dense identity, exact gradient."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hlm_py.formula.grouping import build_grouping
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.pdmat import pdCompSymm, pdDiag, pdLogChol, pdSymm
from hlm_py.lme.reduce import reduce_data


def _problem(nested: bool, q: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 90
    a = rng.integers(0, 5, n)
    b = rng.integers(0, 3, n)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x, rng.normal(size=n)])
    y = X @ [1.0, 0.5, -0.3] + rng.normal(size=5)[a] + rng.normal(size=n)
    Zq = np.column_stack([np.ones(n), x, x ** 2][:q])
    data = pd.DataFrame({"a": a, "b": b})
    names = ["a", "b"] if nested else ["a"]
    g = build_grouping(data, names)
    Z = [Zq, np.ones((n, 1))] if nested else [Zq]
    red = reduce_data(X, y, Z, g.codes, g.parents, g.n_groups)
    return X, y, Z, g, red


def _dense_deviance(X, y, Z, g, psis, reml):
    n, p = X.shape
    V = np.eye(n)
    for z, codes, psi in zip(Z, g.codes, psis):
        G = codes.max() + 1
        # block-diagonal Z for this level
        Zfull = np.zeros((n, G * z.shape[1]))
        for i in range(n):
            Zfull[i, codes[i] * z.shape[1]:(codes[i] + 1) * z.shape[1]] = z[i]
        V += Zfull @ np.kron(np.eye(G), psi) @ Zfull.T
    Vi = np.linalg.inv(V)
    A = X.T @ Vi @ X
    beta = np.linalg.solve(A, X.T @ Vi @ y)
    r = y - X @ beta
    rss = r @ Vi @ r
    ne = n - (p if reml else 0)
    dev = ne * (np.log(2 * np.pi) + 1 + np.log(rss / ne)) + np.linalg.slogdet(V)[1]
    if reml:
        dev += np.linalg.slogdet(A)[1]
    return dev, beta


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("nested", [False, True])
def test_deviance_matches_dense_formula(reml, nested):
    X, y, Z, g, red = _problem(nested, 2)
    pds = [pdLogChol(), pdLogChol()] if nested else [pdLogChol()]
    lik = ProfiledLikelihood(red, pds[:len(Z)], reml)
    theta = np.linspace(-0.3, 0.4, lik.n_params)
    psis = lik.psis(theta)
    dense, beta = _dense_deviance(X, y, Z, g, psis, reml)
    assert lik.deviance(theta) == pytest.approx(dense, rel=1e-11)
    est = lik.estimates(theta)
    np.testing.assert_allclose(est.beta, beta, rtol=1e-9)
    assert est.loglik == pytest.approx(-dense / 2, rel=1e-11)


@pytest.mark.parametrize("pd_cls", [pdLogChol, pdSymm, pdDiag, pdCompSymm])
@pytest.mark.parametrize("nested", [False, True])
def test_gradient_agrees_with_finite_differences(pd_cls, nested):
    X, y, Z, g, red = _problem(nested, 3, seed=3)
    pds = [pd_cls(), pdDiag()] if nested else [pd_cls()]
    lik = ProfiledLikelihood(red, pds, reml=True)
    rng = np.random.default_rng(1)
    theta = rng.normal(scale=0.3, size=lik.n_params)
    _, grad = lik.deviance_and_gradient(theta)
    for j in range(theta.size):
        h = 1e-5
        e = np.zeros_like(theta)
        e[j] = h
        fd = (lik.deviance(theta + e) - lik.deviance(theta - e)) / (2 * h)
        assert grad[j] == pytest.approx(fd, rel=1e-5, abs=1e-5)


def test_fixed_sigma_loglik_agrees_at_estimate():
    _, _, _, _, red = _problem(False, 2)
    lik = ProfiledLikelihood(red, [pdLogChol()], reml=True)
    theta = np.array([0.1, -0.2, 0.05])
    est = lik.estimates(theta)
    assert lik.loglik_fixed_sigma(theta, est.sigma) == pytest.approx(est.loglik, rel=1e-12)
    assert lik.loglik_fixed_sigma(theta, est.sigma * 1.1) < est.loglik


def test_a_singular_psi_has_finite_precision_parameters() -> None:
    """A start at a singular Psi (a correlation of -1, as the covariance
    parametrisation reaches and a second round of the QR path starts from:
    thorough run, 2026-11-22, a raw ``LinAlgError: Singular matrix``) gets
    finite precision parameters, which map back to a Psi whose correlation is
    -1 to 1e-12 and whose variances are the start's to 1e-7 (the factor's
    singular values are floored at ``SINGULAR_FACTOR_FLOOR``, 1.5e-8 of the
    largest)."""
    X, y, Z, g, red = _problem(False, 2)
    lik = ProfiledLikelihood(red, [pdLogChol()], True)
    theta = np.array([1.2, -1e5, -0.7])  # L22 = exp(-1e5) = 0: Psi is exactly singular
    psi = lik.psis(theta)[0]
    assert np.linalg.svd(lik.roots(theta)[0], compute_uv=False)[-1] == 0.0
    phi = lik.work_from_theta(theta, "precision")
    assert np.all(np.isfinite(phi))
    back = lik.psis(lik.theta_from_work(phi, "precision"))[0]
    assert back[0, 1] / np.sqrt(back[0, 0] * back[1, 1]) == pytest.approx(-1.0, abs=1e-12)
    np.testing.assert_allclose(np.diag(back), np.diag(psi), rtol=1e-7)
    assert np.isfinite(lik.deviance(lik.theta_from_work(phi, "precision")))
