"""gls: the fit's stages, its generics and nlme's refusals (without R; the
numbers against R are the golden and live-R tiers')."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.gls.criterion import GlsCriterion
from hlm_py.gls.design import gls_design
from hlm_py.gls.model import gls_fit


@pytest.fixture(scope="module")
def orth() -> pd.DataFrame:
    return hlm.datasets.load("Orthodont")


@pytest.fixture(scope="module")
def fit(orth):
    return hlm.gls("distance ~ Sex * I(age - 11)", orth,
                   correlation=hlm.corSymm(form="~ 1 | Subject"),
                   weights=hlm.varIdent(form="~ 1 | age"))


def test_without_structures_gls_is_lm_with_the_reml_loglik(orth):
    g = hlm.gls("distance ~ age + Sex", orth)
    m = hlm.lm("distance ~ age + Sex", orth)
    np.testing.assert_allclose(hlm.coef(g).to_numpy(), hlm.coef(m).to_numpy(), rtol=1e-12)
    assert math.isclose(hlm.sigma(g), hlm.sigma(m), rel_tol=1e-12)
    ml = hlm.gls("distance ~ age + Sex", orth, method="ML")
    assert math.isclose(float(hlm.logLik(ml)), float(hlm.logLik(m)), rel_tol=1e-12)


def test_the_stages_give_what_gls_gives(orth, fit):
    d = gls_design("distance ~ Sex * I(age - 11)", orth,
                   correlation=hlm.corSymm(form="~ 1 | Subject"),
                   weights=hlm.varIdent(form="~ 1 | age"))
    assert d.n_params == 9 and d.theta_names[0] == "corStruct1"
    f = gls_fit(d)
    np.testing.assert_allclose(f.theta, fit.theta, rtol=0, atol=1e-9)
    crit = GlsCriterion(d)
    assert math.isclose(crit.loglik(fit.theta), float(hlm.logLik(fit)), rel_tol=1e-12)


def test_the_optimum_is_stationary(fit):
    from hlm_py.linalg.minimise import central_gradient

    g = central_gradient(fit.criterion.deviance, fit.theta, step=1e-5)
    assert np.max(np.abs(g)) < 1e-5


def test_at_r_parameters_reproduces_the_fit_at_its_own(fit):
    again = fit.at(fit.theta)
    assert float(hlm.logLik(again)) == float(hlm.logLik(fit))
    with pytest.raises(HlmError, match="theta must have 9 values"):
        fit.at(np.zeros(3))


def test_update_matches_arguments_partially_as_nlme(fit):
    f2 = hlm.update(fit, corr=hlm.corCompSymm(form="~ 1 | Subject"))
    assert f2.model.cor.r_class == "corCompSymm"
    f3 = hlm.update(f2, weights=None)
    assert f3.model.var is None and f3.model.n_params == 1
    with pytest.raises(HlmError, match="unused argument"):
        hlm.update(fit, nonsense=1)


def test_generics(fit):
    s = hlm.summary(fit)
    assert list(s.tTable.columns) == ["Value", "Std.Error", "t-value", "p-value"]
    a = hlm.anova(fit)
    assert list(a.to_frame().columns) == ["numDF", "F-value", "p-value"]
    assert str(a).startswith("Denom. DF: 104 \n")
    iv = hlm.intervals(fit)
    assert list(iv.corStruct.index)[0] == "cor(1,2)"
    v = hlm.getVarCov(fit)
    assert v.to_frame().shape == (4, 4)
    r = hlm.residuals(fit, type="normalized")
    assert r.shape == (108,)
    assert hlm.nobs(fit) == 108
    with pytest.raises(HlmError, match="no applicable method"):
        hlm.fixef(fit)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(model="~ age"), "model must be a formula"),
    (dict(method="XML"), "should be one of"),
    (dict(correlation="corAR1"), "must be a correlation structure"),
    (dict(correlation=hlm.corAR1(form="~ age | Sex")), "unique values within groups"),
    (dict(weights=hlm.varIdent(form="~ 1 | Sex", fixed={"Nobody": 1.0})), "fixed"),
    (dict(control={"maxIters": 3}), "unknown setting"),
])
def test_bad_input_is_an_hlm_error(orth, kwargs, message):
    args = dict(model="distance ~ age", data=orth)
    args.update(kwargs)
    with pytest.raises(HlmError, match=message):
        hlm.gls(**args)


def test_a_value_outside_the_parameter_space_is_refused_at_construction():
    with pytest.raises(HlmError, match="between -1 and 1"):
        hlm.corAR1(value=1.5, form="~ 1 | Subject")


def test_a_covariate_with_na_fails_as_na_fail(orth):
    d = orth.copy()
    d.loc[d.index[3], "age"] = np.nan
    with pytest.raises(HlmError):
        hlm.gls("distance ~ Sex", d, correlation=hlm.corCAR1(form="~ age | Subject"))


def test_a_singular_model_is_refused(orth):
    d = orth.assign(age2=orth["age"] * 2.0)
    with pytest.raises(HlmError, match="singular"):
        hlm.gls("distance ~ age + age2", d, correlation=hlm.corAR1(form="~ 1 | Subject"))
