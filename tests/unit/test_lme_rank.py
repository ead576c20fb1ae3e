"""lme's rank decision on the fixed effects, and the Wald F-tests of nearly collinear designs.

nlme refuses a fixed-effects design when ``dqrdc2`` (tolerance
``sqrt(.Machine$double.eps)``) finds a column of the *whitened* design
negligible; hlm_py makes that decision on the same matrix at its estimates
(docs/differences.md, P5). No R numbers here: the tests state the rule and
invariances that hold whatever R prints.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hlm_py.errors import SingularFitError
from hlm_py.lme import lme
from hlm_py.lme.inference import anova
from hlm_py.lme.rank import NLME_QR_TOL, PREFIT_QR_TOL, fixed_relative_residuals


def _near_1e4(seed: int = 7, spread: float = 5.0) -> pd.DataFrame:
    """Two covariates near 1e4 (small spread) and groups: ``x2 * x1`` is nearly collinear."""
    rng = np.random.default_rng(seed)
    n, n_groups = 40, 6
    g = np.r_[np.arange(n_groups), rng.integers(0, n_groups, n - n_groups)]
    x1 = 1e4 + spread * rng.standard_normal(n)
    x2 = 1e4 + spread * rng.standard_normal(n)
    y = 0.3 * (x1 - 1e4) + 2 * rng.standard_normal(n_groups)[g] + rng.standard_normal(n)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x1c": x1 - 1e4, "x2c": x2 - 1e4,
                         "g": pd.Categorical([f"s{k + 1}" for k in g])})


def test_nlme_tolerance_is_sqrt_eps() -> None:
    assert NLME_QR_TOL == pytest.approx(1.4901161193847656e-08, rel=1e-15)
    assert PREFIT_QR_TOL < NLME_QR_TOL


def test_exact_collinearity_is_refused_before_the_fit_naming_the_column() -> None:
    d = _near_1e4()
    d["z"] = 2 * d["x1c"] - d["x2c"]
    with pytest.raises(SingularFitError, match=r"column\(s\) z are linear combinations"):
        lme("y ~ x1c + x2c + z", d, random="~ 1 | g")


def test_a_nearly_collinear_design_that_nlme_fits_is_fitted() -> None:
    # the column-scaled condition number is above 1e7 (an old rule refused it);
    # the whitened design's columns stay far above nlme's tolerance
    d = _near_1e4()
    X = np.column_stack([np.ones(len(d)), d.x2, d.x1, d.x2 * d.x1])
    Xs = X / np.linalg.norm(X, axis=0)
    s = np.linalg.svd(Xs, compute_uv=False)
    assert s[-1] / s[0] < 1e-7
    fit = lme("y ~ x2 * x1", d, random="~ 1 | g")
    rel = fixed_relative_residuals(fit.likelihood.fixed_factor(fit.theta_opt))
    assert rel.min() > NLME_QR_TOL
    # the same model space as the centred covariates: the same likelihood
    centred = lme("y ~ x2c * x1c", d, random="~ 1 | g")
    assert float(fit.logLik()) == pytest.approx(float(centred.logLik()), abs=1e-8)


def test_below_nlme_tolerance_at_the_estimates_is_refused_with_the_estimates() -> None:
    d = _near_1e4()
    rng = np.random.default_rng(3)
    # a column whose residual on the others is ~1e-10 of its norm: above the
    # pre-fit bound, below nlme's tolerance on the whitened design
    d["z"] = d["x1c"] + 1e-10 * np.abs(d["x1c"]).mean() * rng.standard_normal(len(d))
    with pytest.raises(SingularFitError, match="at the estimates") as info:
        lme("y ~ x1c + z", d, random="~ 1 | g")
    exc = info.value
    assert PREFIT_QR_TOL < exc.relative_residual < NLME_QR_TOL
    assert len(exc.psi) == 1 and exc.psi[0].shape == (1, 1) and exc.psi[0][0, 0] > 0
    assert np.isfinite(exc.loglik)


@pytest.mark.parametrize("kind", ["sequential", "marginal"])
def test_wald_f_of_the_interaction_is_invariant_to_shifting_the_covariates(kind: str) -> None:
    # the interaction's test given the main effects does not depend on where
    # x1 and x2 are centred; a nearly collinear parametrisation (near 1e4)
    # must give the well-conditioned one's F to rounding of the likelihood
    d = _near_1e4()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = anova(lme("y ~ x2 * x1", d, random="~ 1 | g"), type=kind).table
        centred = anova(lme("y ~ x2c * x1c", d, random="~ 1 | g"), type=kind).table
    assert raw["F-value"].iloc[-1] == pytest.approx(centred["F-value"].iloc[-1], rel=1e-6)
    if kind == "sequential":  # each sequential term's test is invariant too
        np.testing.assert_allclose(raw["F-value"].to_numpy()[1:],
                                   centred["F-value"].to_numpy()[1:], rtol=1e-6)
