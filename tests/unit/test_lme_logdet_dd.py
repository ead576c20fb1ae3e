"""lme's log-determinants in double-double precision (``hlm_py.lme.logdet_dd``),
checked against 60-digit evaluations (mpmath) of ``log det V`` and ``log det
X'V^{-1}X`` from the raw data, on one level and on nested levels, where a
double-precision elimination is accurate and where it is not (difference P7)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlm_py.lme import lme
from hlm_py.lme.logdet_dd import LogDeterminants

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "property"))
import checks  # noqa: E402

_DATA = Path(__file__).parent / "data"


def _exact_logdets(X: np.ndarray, blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
                   ) -> tuple[float, float]:
    """``(log det V, log det X'V^{-1}X)`` in 60 digits, ``V = I + sum_l
    [same group] Z_l Lambda_l Lambda_l' Z_l'`` from ``(Z_l, codes_l, Lambda_l)``."""
    import mpmath as mp

    n = X.shape[0]
    with mp.workdps(60):
        V = mp.eye(n)
        for Z, codes, lam in blocks:
            Zm, Lm = mp.matrix(Z.tolist()), mp.matrix(lam.tolist())
            ZP = Zm * (Lm * Lm.T)
            for i in range(n):
                for j in range(n):
                    if codes[i] == codes[j]:
                        V[i, j] += mp.fsum(ZP[i, k] * Zm[j, k] for k in range(Z.shape[1]))
        Xm = mp.matrix(X.tolist())
        return float(mp.log(mp.det(V))), float(mp.log(mp.det(Xm.T * V ** -1 * Xm)))


def _nested_data(seed: int, slope_scale: float):
    """30 rows in 3 outer groups of 2-3 inner groups; ``Z`` per level (outer,
    inner), codes, parents, group counts and factors ``Lambda`` (outer, inner)
    with an inner slope variance ``slope_scale^2`` nearly perfectly correlated
    with the intercept."""
    rng = np.random.default_rng(seed)
    n = 30
    outer = np.repeat([0, 1, 2], 10)
    inner = np.repeat(np.arange(8), [4, 3, 3, 5, 5, 2, 4, 4])
    parents = [np.zeros(3, dtype=np.int64), np.array([0, 0, 0, 1, 1, 2, 2, 2])]
    x = rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(-2, 2, n)
    Zo = np.ones((n, 1))
    Zi = np.column_stack([np.ones(n), x])
    X = np.column_stack([np.ones(n), x, rng.standard_normal(n)])
    lam_o = np.array([[0.7]])
    lam_i = slope_scale * np.array([[1.0, 0.0], [0.9999, 1e-4]])
    return X, [Zo, Zi], [outer, inner], parents, [3, 8], [lam_o, lam_i]


@pytest.mark.parametrize("slope_scale", [1.0, 1e7])
def test_nested_levels_agree_with_60_digits(slope_scale: float) -> None:
    """On two nested levels, both well scaled and with an inner relative
    slope variance of 1e14 (eigenvalues of a group's ``M_g`` spanning 1e17)."""
    X, Z, codes, parents, n_groups, lams = _nested_data(3, slope_scale)
    got = LogDeterminants(Z, codes, parents, n_groups, X)(lams)
    assert got is not None
    want = _exact_logdets(X, list(zip(Z, codes, lams)))
    assert got[0] == pytest.approx(want[0], rel=1e-13, abs=1e-11)
    assert got[1] == pytest.approx(want[1], rel=1e-13, abs=1e-11)
    # without X only log det V, and the same
    ml = LogDeterminants(Z, codes, parents, n_groups, None)(lams)
    assert ml == (got[0], 0.0)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_an_ill_conditioned_fit_has_its_exact_loglik(method: str) -> None:
    """Thorough run, 2026-11-22: ``y ~ f * x1``, ``~ x1 | g`` (41 rows, a
    response 4e9 times its residual SD, a slope variance 2.8e15 times
    sigma^2). The QR elimination's ``log det V`` was 7.4e-6 off its exact
    value, and the reported logLik 3.3e-6 (REML) and 3.7e-6 (ML), 8e-9
    relative, where ``checks.P7_LOGLIK_RTOL`` is 1e-9. The double-double
    log-determinants are exact to 1e-11 at the fit's estimates, and the
    reported logLik to P7_LOGLIK_RTOL."""
    d = pd.read_csv(_DATA / "ill_conditioned_fixed_effects.csv")
    d["f"] = pd.Categorical(d["f"], categories=["L2", "L3", "L1"])
    d["g"] = pd.Categorical(d["g"], categories=[f"G{i}" for i in range(1, 11)])
    fit = lme("y ~ f * x1", d, random="~ x1 | g", method=method)
    assert checks.lme_p7_class(fit)
    checks.assert_exact_loglik(fit)
    g = fit.grouping
    lams = fit.likelihood.roots(fit.theta_opt)
    got = LogDeterminants(fit.Z, g.codes, g.parents, g.n_groups, fit.X)(lams)
    assert got is not None
    want = _exact_logdets(fit.X, [(fit.Z[0], np.asarray(g.codes[0]), lams[0])])
    assert got == pytest.approx(want, rel=0, abs=1e-10)
