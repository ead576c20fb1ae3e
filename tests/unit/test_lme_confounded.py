"""lme where the fixed effects absorb a level's random effects (confounding).

When every random-effects column of a level (each group's block of ``Z``,
zero outside the group) lies in the column space of ``X``, the REML criterion
does not depend on that level's ``Psi``: nlme returns its starting values
without a word (``docs/differences.md``, "lme: confounded random effects").
hlm_py finds this before the optimiser, keeps nlme's start and warns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.lme import strategy
from hlm_py.lme.span import CONFOUNDED_TOL, confounded_levels


def _groups(G: int = 5, m: int = 4, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(G), m)
    x = np.tile(np.arange(m, dtype=float), G) + rng.uniform(0, 0.5, G * m)
    y = 1 + 0.5 * x + rng.standard_normal(G)[g] + 0.3 * rng.standard_normal(G) [g] * x \
        + rng.standard_normal(G * m)
    return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical([f"g{k}" for k in g])})


def _no_search(*args, **kwargs):
    raise AssertionError("the optimiser ran on a criterion that does not depend on Psi")


def test_fully_confounded_reml_keeps_nlmes_start_without_a_search(monkeypatch):
    d = _groups()
    monkeypatch.setattr(strategy, "optimise_runs", _no_search)
    monkeypatch.setattr(strategy, "refit_qr", _no_search)
    with pytest.warns(UserWarning, match="column space of the fixed effects"):
        fit = hlm.lme("y ~ x * g", d, random="~ x | g")
    # nlme's start: the precision factor 0.375 sqrt(colSums(Z^2) / G)
    Z = np.column_stack([np.ones(len(d)), d.x.to_numpy()])
    delta2 = 0.375 ** 2 * (Z ** 2).sum(axis=0) / 5
    np.testing.assert_allclose(fit.psi[0], np.diag(1 / delta2), rtol=1e-12)
    assert fit.converged
    # the fixed effects and sigma are lm's: the criterion is lm's REML
    ref = hlm.lm("y ~ x * g", d)
    np.testing.assert_allclose(fit.fixef().to_numpy(), ref.coef().to_numpy(), rtol=1e-9)
    assert fit.sigma() == pytest.approx(ref.sigma(), rel=1e-12)


def test_fully_confounded_ml_is_fitted_and_warned():
    with pytest.warns(UserWarning, match="column space of the fixed effects"):
        fit = hlm.lme("y ~ g", _groups(), random="~ 1 | g", method="ML")
    assert fit.converged
    assert np.max(fit.psi[0]) < 1e-6  # the ML supremum is at Psi = 0


def test_a_confounded_outer_level_is_warned_about():
    d = hlm.datasets.load("Oats")
    with pytest.warns(UserWarning, match="level 'Block'"):
        hlm.lme("yield ~ nitro + Block", d, random="~ 1 | Block/Variety")


def _decide(fixed: str, d: pd.DataFrame, random: str = "~ x") -> bool:
    X = hlm.model_matrix(fixed, d).to_numpy()
    Z = hlm.model_matrix(random, d).to_numpy()
    codes = d.g.cat.codes.to_numpy()
    return confounded_levels(X, [Z], [codes], [len(d.g.cat.categories)])[0]


@pytest.mark.parametrize("fixed", ["~ x", "~ x + g", "~ x:g", "~ g + I(x^2)"])
def test_within_group_span_alone_is_not_confounding(fixed):
    # with "~ x" each group's Z_g lies in the span of X's rows of that group,
    # yet the block-diagonal Z does not lie in col(X)
    assert not _decide(fixed, _groups())


@pytest.mark.parametrize("fixed", ["~ x * g", "~ g / x", "~ 0 + g + g:x", "~ x * g + I(x^2)"])
def test_subject_intercepts_and_slopes_confound(fixed):
    assert _decide(fixed, _groups())


def test_a_fit_that_is_not_confounded_says_nothing():
    o = hlm.datasets.load("Orthodont")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hlm.lme("distance ~ age", o, random="~ age | Subject")


def test_confounding_decision_has_a_wide_margin():
    d = _groups()
    assert _decide("~ x * g", d)
    # x perturbed by 1e-4 in X only (not in Z) for one group's rows
    d2 = d.assign(x2=d.x + np.where(d.g == "g0", 1e-4 * np.arange(len(d)) ** 2, 0.0))
    X = hlm.model_matrix("~ x2 * g", d2).to_numpy()
    Z = hlm.model_matrix("~ x", d).to_numpy()
    assert confounded_levels(X, [Z], [d.g.cat.codes.to_numpy()], [5]) == [False]
    assert 1e-12 < CONFOUNDED_TOL < 1e-5


@pytest.mark.live_r
def test_orthodont_confounded_matches_nlme():
    from r_reference import rsession

    r = rsession.r()
    o = hlm.datasets.load("Orthodont")
    with pytest.warns(UserWarning, match="level 'Subject'"):
        fit = hlm.lme("distance ~ age * Subject", o, random="~ age | Subject")
    r("ff <- nlme::lme(distance ~ age * Subject, nlme::Orthodont, random = ~ age | Subject)")
    assert fit.loglik == pytest.approx(float(r("c(logLik(ff))")[0]), abs=1e-8)
    assert fit.sigma() == pytest.approx(float(r("ff$sigma")[0]), rel=1e-9)
    np.testing.assert_allclose(fit.fixef().to_numpy(), np.array(r("nlme::fixef(ff)")),
                               rtol=1e-7, atol=1e-10)
    # nlme's start, where its nlminb stops after moving on rounding only
    sd_r = np.array(r("sqrt(diag(as.matrix(ff$modelStruct$reStruct[[1]]))) * ff$sigma"))
    sds = np.sqrt(np.diag(fit.psi[0])) * fit.sigma()
    np.testing.assert_allclose(sds, sd_r, rtol=1e-4)
