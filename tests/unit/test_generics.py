"""The public surface and the module-level generics (structure, dispatch, errors)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.rbase.loglik import LogLik, aic, bic

API_NAMES = [
    "lm", "lme", "model_frame", "model_matrix", "datasets", "coef", "fixef", "ranef",
    "VarCorr", "vcov", "sigma", "nobs", "df_residual", "fitted", "residuals", "predict",
    "confint", "intervals", "summary", "anova", "logLik", "AIC", "BIC", "update",
    "pdSymm", "pdLogChol", "pdDiag", "pdIdent", "pdCompSymm", "varIdent", "varPower",
    "corAR1", "corCompSymm", "HlmError",
]


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    return hlm.datasets.load("mtcars")


@pytest.fixture(scope="module")
def fits(mtcars):
    m1 = hlm.lm("mpg ~ wt + hp + qsec", data=mtcars)
    m2 = hlm.lm("mpg ~ disp + drat + wt", data=mtcars)
    return m1, m2


def test_api_surface_is_exported():
    missing = [n for n in API_NAMES if not hasattr(hlm, n)]
    assert not missing
    assert set(API_NAMES) <= set(hlm.__all__)
    assert issubclass(hlm.HlmError, ValueError)


def test_the_structures_are_public_and_nlme_named():
    assert issubclass(hlm.NotAvailableError, hlm.HlmError)
    assert issubclass(hlm.NotAvailableError, NotImplementedError)
    for name in ("varIdent", "varPower", "corAR1", "corCompSymm"):
        spec = getattr(hlm, name)(form="~ x | g" if name == "varPower" else "~ 1 | g")
        assert spec.r_class == name
    for name in ("lme", "pdSymm", "pdLogChol", "pdDiag", "pdIdent", "pdCompSymm"):
        assert getattr(hlm, name).__module__.startswith("hlm_py.lme")


def test_generics_dispatch_to_the_fit_methods(fits):
    m1, _ = fits
    pd.testing.assert_series_equal(hlm.coef(m1), m1.coef())
    pd.testing.assert_frame_equal(hlm.vcov(m1), m1.vcov())
    assert hlm.sigma(m1) == m1.sigma()
    assert hlm.nobs(m1) == m1.nobs() == 32
    assert hlm.df_residual(m1) == m1.df_residual() == 28
    pd.testing.assert_series_equal(hlm.fitted(m1), m1.fitted())
    pd.testing.assert_series_equal(hlm.residuals(m1), m1.residuals())
    assert float(hlm.logLik(m1)) == float(m1.logLik())


def test_generic_on_an_object_without_the_method_is_an_hlm_error():
    with pytest.raises(hlm.HlmError, match="no applicable method for 'fixef'"):
        hlm.fixef(object())


def test_aic_bic_of_one_fit_is_the_loglik_identity(fits):
    m1, _ = fits
    ll = hlm.logLik(m1)
    assert math.isclose(hlm.AIC(m1), -2 * float(ll) + 2 * ll.df, rel_tol=1e-14)
    assert math.isclose(hlm.BIC(m1), -2 * float(ll) + math.log(32) * ll.df, rel_tol=1e-14)


def test_aic_of_several_fits_is_a_table_named_after_the_callers_variables(fits):
    m1, m2 = fits
    tab = hlm.AIC(m1, m2)
    assert isinstance(tab, pd.DataFrame)
    assert list(tab.index) == ["m1", "m2"]
    assert list(tab.columns) == ["df", "AIC"]
    assert tab.loc["m1", "AIC"] == pytest.approx(hlm.AIC(m1), rel=1e-14)
    assert tab.loc["m2", "df"] == hlm.logLik(m2).df
    bic = hlm.BIC(m1, m2, names=["a", "b"])
    assert list(bic.index) == ["a", "b"] and list(bic.columns) == ["df", "BIC"]
    # a fit that no variable holds gets a positional name
    tab2 = hlm.AIC(m1, hlm.lm("mpg ~ wt", data=hlm.datasets.load("mtcars")))
    assert list(tab2.index) == ["m1", "fit2"]
    # printed as R's print.data.frame: header, then one right-aligned row a fit
    lines = str(tab).splitlines()
    assert lines[0].split() == ["df", "AIC"] and [ln.split()[0] for ln in lines[1:]] == ["m1", "m2"]
    assert len({len(ln) for ln in lines}) == 1
    assert type(tab.to_frame()) is pd.DataFrame


def test_loglik_of_lm_is_r_s_loglik_object(fits):
    m1, _ = fits
    ll = hlm.logLik(m1)
    assert isinstance(ll, LogLik)
    assert (ll.df, ll.nobs, ll.nall) == (5, 32, 32)
    assert repr(ll).startswith("'log Lik.' ") and repr(ll).endswith(" (df=5)")
    assert hlm.AIC(m1) == m1.AIC() == aic(ll)
    assert hlm.BIC(m1) == m1.BIC() == bic(ll)
    assert hlm.AIC(m1, k=3.0) == m1.AIC(k=3.0) == aic(ll, 3.0)


@pytest.fixture(scope="module")
def orthodont_reml():
    o = hlm.datasets.load("Orthodont")
    return (hlm.lme("distance ~ age", o, random="~ 1 | Subject"),
            hlm.lme("distance ~ age + Sex", o, random="~ 1 | Subject"),
            hlm.lme("distance ~ age", o, random="~ age | Subject"))


def test_aic_bic_of_lme_fits_come_from_their_logliks(orthodont_reml):
    # R's AIC.default / BIC.default (nlme has no methods): from logLik(fit) alone,
    # BIC with log(attr(logLik, "nobs")), which is N - p for a REML fit
    m1, _, m3 = orthodont_reml
    ll = hlm.logLik(m1)
    assert (ll.nobs, ll.nall) == (hlm.nobs(m1) - 2, hlm.nobs(m1))
    assert hlm.AIC(m1) == aic(ll)
    assert hlm.AIC(m1, k=3.0) == aic(ll, 3.0)
    assert hlm.BIC(m1) == bic(ll)
    tab = hlm.BIC(m1, m3, names=["m1", "m3"])
    assert list(tab["BIC"]) == [bic(hlm.logLik(m1)), bic(hlm.logLik(m3))]
    assert list(hlm.AIC(m1, m3, names=["m1", "m3"])["AIC"]) == [aic(hlm.logLik(m1)),
                                                               aic(hlm.logLik(m3))]


def test_information_criteria_warn_when_the_logliks_nobs_differ(orthodont_reml, fits):
    m1, m2, m3 = orthodont_reml
    msg = "models are not all fitted to the same number of observations"
    # REML fits with 2 and 3 fixed effects: the logLiks' nobs are N - 2 and N - 3
    with pytest.warns(UserWarning, match=msg):
        hlm.BIC(m1, m2)
    with pytest.warns(UserWarning, match=msg):
        hlm.AIC(m1, m2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hlm.BIC(m1, m3)  # same fixed effects: same nobs, no warning
    a = fits[0]
    b = hlm.lm("mpg ~ wt", data=hlm.datasets.load("mtcars").iloc[:20])
    with pytest.warns(UserWarning, match=msg):  # R warns whatever k is
        hlm.AIC(a, b, k=3.0)


def test_influence_generics_match_the_hat_matrix_identities(fits):
    m1, _ = fits
    h = hlm.hatvalues(m1)
    assert list(h.index) == list(m1.residuals().index)
    assert h.sum() == pytest.approx(4.0, rel=1e-12)  # trace of the hat matrix = rank
    r = hlm.rstandard(m1)
    e = m1.residuals()
    s = hlm.sigma(m1)
    np.testing.assert_allclose(r.to_numpy(), (e / (s * np.sqrt(1 - h))).to_numpy(), rtol=1e-12)
    d = hlm.cooks_distance(m1)
    np.testing.assert_allclose(d.to_numpy(), (r**2 * h / (1 - h) / 4).to_numpy(), rtol=1e-10)


def test_influence_generics_dispatch_to_lm_s_methods(fits):
    m1, _ = fits
    pd.testing.assert_series_equal(hlm.hatvalues(m1), m1.hatvalues())
    pd.testing.assert_series_equal(hlm.rstandard(m1), m1.rstandard())
    pd.testing.assert_series_equal(hlm.cooks_distance(m1), m1.cooks_distance())


@pytest.mark.parametrize("generic, r_name", [
    ("hatvalues", "hatvalues"), ("rstandard", "rstandard"), ("cooks_distance", "cooks.distance"),
])
def test_influence_generics_on_an_lme_fit_are_r_s_no_applicable_method(generic, r_name):
    # R 4.2 with nlme: hatvalues(lmefit) -> no applicable method ... class "lme"
    fit = hlm.lme("distance ~ age", hlm.datasets.load("Orthodont"), random="~ 1 | Subject")
    with pytest.raises(hlm.HlmError, match=(f"no applicable method for '{r_name}' applied to "
                                            "an object of class \"lme\"")):
        getattr(hlm, generic)(fit)


@pytest.fixture(scope="module")
def orthodont_fits():
    o = hlm.datasets.load("Orthodont")
    return (hlm.lm("distance ~ age", o),
            hlm.lme("distance ~ age", o, random="~ 1 | Subject", method="ML"))


@pytest.mark.parametrize("other", [3, "m2", None, object()])
def test_anova_of_an_lm_and_a_non_fit_is_an_hlm_error(fits, other):
    m1, _ = fits  # R: anova(fit, 3) -> "$ operator is invalid for atomic vectors"
    with pytest.raises(hlm.HlmError, match="anova.lm compares lm fits"):
        hlm.anova(m1, other)


def test_anova_of_an_lm_then_an_lme_is_an_hlm_error_naming_the_other_order(orthodont_fits):
    # R dispatches on the lm: anova.lmlist stops ("models were not all fitted to the same
    # size of dataset"); nlme's table comes from anova(lme, lm)
    lmo, lfml = orthodont_fits
    with pytest.raises(hlm.HlmError, match=r"class \"lme\".*anova\(lme_fit, lm_fit\)"):
        hlm.anova(lmo, lfml)


def test_anova_type_of_an_lm_is_an_hlm_error(fits):
    m1, m2 = fits  # anova.lm has no 'type' (it is nlme's anova.lme's)
    for kwargs in ({"type": "marginal"}, {"type": "sequential"}, {"test": "F"}):
        with pytest.raises(hlm.HlmError, match="unused argument"):
            hlm.anova(m1, **kwargs)
    with pytest.raises(hlm.HlmError, match="unused argument"):
        hlm.anova(m1, m2, type="marginal")
