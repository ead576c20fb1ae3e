"""The reported lme log-likelihood where the cross-product evaluation loses digits.

A random slope on a covariate that spans many orders of magnitude within
groups makes the per-group cross-products cancel: the cross-product deviance
of :mod:`hlm_py.lme.criterion` then moves by 1e-6 and more under
perturbations of 1e-13. The fit detects that and fits on the QR elimination
instead. No R numbers: the criterion's QR evaluation (apVar's) on a fresh
reduction of the data is checked against the cross-product one where both
are accurate, and the reported value against it and a 50-digit evaluation
where they are not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlm_py.lme import lme
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.reduce import reduce_data
from hlm_py.lme.runs import LOGLIK_NOISE_ABS, deviance_noise

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "property"))
import checks  # noqa: E402


def _wide_slope_data(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, n_groups = 60, 6
    g = np.r_[np.arange(n_groups), rng.integers(0, n_groups, n - n_groups)]
    x = rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(-3, 3, n)
    y = 1 + 0.5 * x + rng.standard_normal(n_groups)[g] + rng.standard_normal(n_groups)[g] * x \
        + rng.standard_normal(n)
    return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical([f"G{k}" for k in g])})


class _QRLogLik:
    """The logLik on the criterion's QR evaluator, on a fresh reduction of the data."""

    def __init__(self, fit) -> None:
        g = fit.grouping
        red = reduce_data(fit.X, fit.y, fit.Z, g.codes, g.parents, g.n_groups, triangular=True)
        self.lik = ProfiledLikelihood(red, [lv.pd for lv in fit.levels], fit.REML, qr=True)

    def profiled(self, psis) -> float:
        return -0.5 * self.lik.deviance(self.lik.theta_from_psi(psis))


def _qr(fit) -> _QRLogLik:
    return _QRLogLik(fit)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_qr_evaluation_equals_the_cross_products_where_both_are_accurate(method: str) -> None:
    rng = np.random.default_rng(0)
    n = 80
    g = rng.integers(0, 8, n)
    x = rng.standard_normal(n)
    d = pd.DataFrame({"y": x + rng.standard_normal(8)[g] + rng.standard_normal(n), "x": x,
                      "g": pd.Categorical([f"G{k}" for k in g]),
                      "h": pd.Categorical([f"H{k}" for k in rng.integers(0, 2, n)])})
    for random in ("~ x | g", "~ 1 | g/h"):
        fit = lme("y ~ x", d, random=random, method=method)
        assert deviance_noise(fit.likelihood, fit.theta_opt) < LOGLIK_NOISE_ABS
        assert _qr(fit).profiled(fit.psi) == pytest.approx(float(fit.logLik()), abs=1e-9)


def test_noisy_cross_products_send_the_fit_to_the_qr_elimination() -> None:
    d = _wide_slope_data()
    fit = lme("y ~ x", d, random="~ x | g")
    assert fit.qr_elimination
    lik = fit.likelihood
    cross = ProfiledLikelihood(lik.red, lik.pd, lik.reml)
    assert deviance_noise(cross, fit.theta_opt) > 100 * LOGLIK_NOISE_ABS
    assert deviance_noise(lik, fit.theta_opt) < LOGLIK_NOISE_ABS
    assert float(fit.logLik()) == pytest.approx(_qr(fit).profiled(fit.psi), abs=1e-9)
    # and that value is the log-likelihood at the estimates, to 1e-9
    g = d["g"].cat.codes.to_numpy()
    exact = checks.exact_lme_loglik(fit.X, fit.y, [(fit.Z[0], g, fit.psi[0])], reml=True)
    assert float(fit.logLik()) == pytest.approx(exact, abs=1e-9)
