"""lme's optimiser and likelihood on hard data: boundary fits, shifted columns,
random slopes on a large scale, row order.

Each test generates its data (the shapes the property tier found failing)
and checks hlm_py's maximised log-likelihood against an independent
computation: lm's (RE)ML log-likelihood (the limit of the model as the
random variance goes to zero) and a brute-force maximisation of the dense
(RE)ML criterion (``V = I + Z Psi Z'`` formed explicitly, generalised least
squares by QR) from a grid of starting points.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.lme.optimize import maximize_profiled

LL_TOL = 1e-7


def _frame(n: int, G: int, seed: int, *, shifted: tuple[str, ...] = (), group_sd: float = 0.0,
           scale: float = 1.0, balanced: bool = True, wide: tuple[str, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {}
    for name in ("x1", "x2", "x3"):
        z = rng.standard_normal(n)
        cols[name] = 1e4 + z if name in shifted else z
        if name in wide:  # magnitudes across decades
            cols[name] = z * 10.0 ** rng.integers(-3, 4, size=n)
    codes = np.arange(n) % G if balanced else np.r_[np.arange(G), rng.integers(0, G, n - G)]
    y = 1.0 + 0.5 * cols["x1"] - 0.25 * cols["x2"] + rng.standard_normal(n)
    y = y + group_sd * rng.standard_normal(G)[codes]
    return pd.DataFrame({"y": y * scale, **cols,
                         "g": pd.Categorical([f"G{c + 1}" for c in codes])})


def _lme(fixed: str, d: pd.DataFrame, random: str, method: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fit that does not converge must say so
        return hlm.lme(fixed, d, random=random, method=method)


def _lm_limit(fixed: str, d: pd.DataFrame, method: str) -> float:
    return float(hlm.logLik(hlm.lm(fixed, d), REML=method == "REML"))


def _dense_loglik(X: np.ndarray, y: np.ndarray, Zf: np.ndarray, psi_blocks: np.ndarray,
                  reml: bool) -> float:
    """(RE)ML log-likelihood with nlme's constants, from the dense V (stable GLS)."""
    n, p = X.shape
    V = np.eye(n) + Zf @ psi_blocks @ Zf.T
    L = np.linalg.cholesky(V)
    Xw = np.linalg.solve(L, X)
    yw = np.linalg.solve(L, y)
    Q, R = np.linalg.qr(Xw)
    r = yw - Q @ (Q.T @ yw)
    rss = float(r @ r)
    ne = n - (p if reml else 0)
    dev = ne * (np.log(2 * np.pi) + 1 + np.log(rss / ne)) + 2 * np.log(np.diag(L)).sum()
    if reml:
        dev += 2 * np.log(np.abs(np.diag(R))).sum()
    return -0.5 * dev


def _brute_force(fit, d: pd.DataFrame, random_cols: list[str]) -> float:
    """Dense maximisation over Psi from a grid of starts (Z's slope columns
    centred: the same model for a general Psi, better scaled for Nelder-Mead).
    A reference the fit must not fall below; 2000 Nelder-Mead steps a start
    keep it to seconds (a shorter search only lowers the reference)."""
    X = fit.X
    y = fit.y
    codes = fit.grouping.codes[0]
    G = codes.max() + 1
    zc = [np.ones(len(d))] + [d[c].to_numpy() - d[c].mean() for c in random_cols]
    Z = np.column_stack(zc)
    q = Z.shape[1]
    Zf = np.zeros((len(d), G * q))
    for i, c in enumerate(codes):
        Zf[i, c * q:(c + 1) * q] = Z[i]

    def negll(t: np.ndarray) -> float:
        Lc = np.zeros((q, q))
        Lc[np.tril_indices(q)] = t
        Lc[np.diag_indices(q)] = np.exp(Lc[np.diag_indices(q)])
        psi = Lc @ Lc.T
        return -_dense_loglik(X, y, Zf, np.kron(np.eye(G), psi), fit.REML)

    k = q * (q + 1) // 2
    best = -np.inf
    diag = [i for i, (r, c) in enumerate(zip(*np.tril_indices(q))) if r == c]
    for start in (-6.0, -2.0, 0.0, 2.0):
        t0 = np.zeros(k)
        t0[diag] = start
        res = optimize.minimize(negll, t0, method="Nelder-Mead",
                                options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 2000})
        best = max(best, -res.fun)
    return best


# 1. starting values: a non-finite start backs off, and no finite start is an error
def test_non_finite_start_backs_off_and_all_non_finite_is_reported():
    def fg(t):
        if t[0] > -1.0:  # undefined at the start and for large variances
            return np.inf, np.full(1, np.nan)
        return float((t[0] + 3.0) ** 2), np.array([2 * (t[0] + 3.0)])

    res = maximize_profiled(fg, np.array([0.0]), boundary=[0])
    assert res.converged and abs(res.theta[0] + 3.0) < 1e-6

    with pytest.raises(FloatingPointError):
        maximize_profiled(lambda t: (np.inf, np.full(1, np.nan)), np.array([0.0]), boundary=[0])


def test_no_between_group_variation_with_interaction():
    # the shape of the reported failure: y ~ x2 * x1, no group effect, shifted x1
    d = _frame(24, 3, 11, shifted=("x1",), scale=1e6)
    fit = _lme("y ~ x2 * x1", d, "~ 1 | g", "REML")
    assert fit.converged
    assert fit.loglik >= _lm_limit("y ~ x2 * x1", d, "REML") - LL_TOL


# 2. a variance component is followed all the way to zero
@pytest.mark.parametrize("seed", [3, 8, 149])
def test_boundary_reaches_the_lm_limit(seed):
    d = _frame(18, 4, seed)
    for method in ("REML", "ML"):
        fit = _lme("y ~ x1", d, "~ 1 | g", method)
        assert fit.loglik >= _lm_limit("y ~ x1", d, method) - LL_TOL
        assert fit.loglik >= _brute_force(fit, d, []) - LL_TOL


# 3. a shifted covariate (x1 = 1e4 + z): the profiled criterion stays accurate
@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_shifted_covariate_small_sample(seed):
    d = _frame(12, 3, seed, shifted=("x1",), group_sd=0.3)
    fit = _lme("y ~ x1", d, "~ 1 | g", "REML")
    assert fit.loglik >= _lm_limit("y ~ x1", d, "REML") - LL_TOL
    assert fit.loglik >= _brute_force(fit, d, []) - LL_TOL


# 4. a random slope on a large-scale covariate converges
@pytest.mark.parametrize("seed", [0, 4])
def test_random_slope_on_shifted_covariate_converges(seed):
    d = _frame(24, 4, seed, shifted=("x1",), group_sd=1.0, balanced=False)
    fit = _lme("y ~ 1", d, "~ x1 | g", "ML")
    assert fit.converged
    assert fit.loglik >= _brute_force(fit, d, ["x1"]) - LL_TOL


# 5. row order does not change the fit
@pytest.mark.parametrize("seed", [0, 7])
def test_row_order_random_slope(seed):
    d = _frame(47, 6, seed, group_sd=1.0, balanced=False)
    fit = _lme("y ~ x3 + x2", d, "~ x1 | g", "REML")
    perm = np.random.default_rng(seed + 100).permutation(len(d))
    fit2 = _lme("y ~ x3 + x2", d.iloc[perm], "~ x1 | g", "REML")
    assert abs(fit.loglik - fit2.loglik) <= LL_TOL
    assert fit.loglik >= _brute_force(fit, d, ["x1"]) - LL_TOL


# 6. at the boundary the limit is reached to rounding, not to 1e-7
@pytest.mark.parametrize("seed", [2, 30])
def test_boundary_limit_to_rounding(seed):
    d = _frame(30, 3, seed)
    fit = _lme("y ~ x1 + x3", d, "~ 1 | g", "REML")
    limit = _lm_limit("y ~ x1 + x3", d, "REML")
    if fit.sigma_ > 0 and fit.psi[0][0, 0] < 1e-12:
        assert abs(fit.loglik - limit) <= 1e-9
    assert fit.loglik >= limit - 1e-9


@pytest.mark.parametrize("seed", [1])
def test_row_order_random_slope_on_wide_covariate(seed):
    # a random slope on a covariate spanning decades: large, strongly correlated
    # variances, a ridge in the covariance factor's off-diagonal
    d = _frame(45, 6, seed, group_sd=1.0, balanced=False, wide=("x1",))
    fit = _lme("y ~ x2", d, "~ x1 | g", "REML")
    perm = np.random.default_rng(seed + 100).permutation(len(d))
    fit2 = _lme("y ~ x2", d.iloc[perm], "~ x1 | g", "REML")
    assert abs(fit.loglik - fit2.loglik) <= LL_TOL
    assert fit.loglik >= _brute_force(fit, d, ["x1"]) - LL_TOL


def test_non_convergence_still_reported():
    d = _frame(47, 6, 0, group_sd=1.0, balanced=False)
    with pytest.raises(HlmError, match="did not converge"):
        hlm.lme("y ~ x3 + x2", d, random="~ x1 | g", control={"msMaxIter": 1, "maxIter": 1})
