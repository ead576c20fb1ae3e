"""lm generics: summary, anova, predict, confint, influence and logLik identities."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.lm import AnovaTable, ConfintTable, LmPrediction, LmSummary, lm
from hlm_py.lm.inference import format_perc


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    return hlm.datasets.load("mtcars")


@pytest.fixture(scope="module")
def fit(mtcars):
    return lm("mpg ~ wt + hp + qsec", mtcars)


def test_summary_fields_and_identities(fit, mtcars):
    s = fit.summary()
    assert isinstance(s, LmSummary)
    assert list(s.coefficients.columns) == ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]
    y = mtcars["mpg"].to_numpy()
    tss = float(np.sum((y - y.mean()) ** 2))
    assert s.r_squared == pytest.approx(1 - fit.deviance() / tss, rel=1e-12)
    n, p = 32, 4
    assert s.adj_r_squared == pytest.approx(1 - (1 - s.r_squared) * (n - 1) / (n - p), rel=1e-12)
    assert s.sigma == pytest.approx(math.sqrt(fit.deviance() / (n - p)), rel=1e-12)
    assert s.sigma == pytest.approx(fit.sigma(), rel=1e-12)
    f = s.fstatistic
    assert (f["numdf"], f["dendf"]) == (3, 28)
    assert f["value"] == pytest.approx((s.r_squared / 3) / ((1 - s.r_squared) / 28), rel=1e-10)
    t = s.coefficients["Estimate"] / s.coefficients["Std. Error"]
    np.testing.assert_allclose(s.coefficients["t value"], t, rtol=1e-12)
    np.testing.assert_allclose(s.coefficients["Pr(>|t|)"], 2 * stats.t.sf(np.abs(t), 28), rtol=1e-12)
    X = fit.model_matrix().to_numpy()
    np.testing.assert_allclose(s.cov_unscaled.to_numpy(), np.linalg.inv(X.T @ X), rtol=1e-9)
    np.testing.assert_allclose(fit.vcov().to_numpy(), s.cov_unscaled.to_numpy() * s.sigma**2)
    assert s.df == (4, 28, 4)
    assert not s.aliased.any()
    assert s.na_action is None and s.weights is None
    pd.testing.assert_frame_equal(s.to_frame(), s.coefficients)


def test_summary_r_squared_rules_without_intercept(mtcars):
    f = lm("mpg ~ 0 + wt + hp", mtcars)
    s = f.summary()
    y = mtcars["mpg"].to_numpy()
    assert s.r_squared == pytest.approx(1 - f.deviance() / float(y @ y), rel=1e-12)
    assert s.fstatistic["numdf"] == 2
    one = lm("mpg ~ 1", mtcars).summary()
    assert one.r_squared == 0 and one.adj_r_squared == 0 and one.fstatistic is None


def test_weighted_summary_residuals(mtcars):
    f = lm("mpg ~ wt", mtcars, weights="disp")
    s = f.summary()
    np.testing.assert_allclose(s.residuals.to_numpy(),
                               np.sqrt(mtcars["disp"].to_numpy()) * f.residuals().to_numpy())
    assert s.weights is not None


def test_anova_sums_to_total(fit, mtcars):
    a = fit.anova()
    assert isinstance(a, AnovaTable)
    assert list(a.table.index) == ["wt", "hp", "qsec", "Residuals"]
    assert list(a.table.columns) == ["Df", "Sum Sq", "Mean Sq", "F value", "Pr(>F)"]
    y = mtcars["mpg"].to_numpy()
    assert a.table["Sum Sq"].sum() == pytest.approx(float(np.sum((y - y.mean()) ** 2)), rel=1e-12)
    assert a.table["Df"].sum() == 31
    assert a.table.loc["Residuals", "Sum Sq"] == pytest.approx(fit.deviance(), rel=1e-12)
    assert np.isnan(a.table.loc["Residuals", "F value"])
    assert a.heading == ["Analysis of Variance Table\n", "Response: mpg"]
    # sequential: the first row is the SS explained by wt alone
    rss1 = lm("mpg ~ wt", mtcars).deviance()
    tss = float(np.sum((y - y.mean()) ** 2))
    assert a.table.loc["wt", "Sum Sq"] == pytest.approx(tss - rss1, rel=1e-10)


def test_anova_of_factors_and_weights(mtcars):
    f = lm("mpg ~ factor(cyl) * wt", mtcars, weights="disp")
    a = f.anova().table
    assert list(a.index) == ["factor(cyl)", "wt", "factor(cyl):wt", "Residuals"]
    assert list(a["Df"]) == [2, 1, 2, 26]
    w = mtcars["disp"].to_numpy()
    y = mtcars["mpg"].to_numpy()
    m = np.sum(w * y) / np.sum(w)
    assert a["Sum Sq"].sum() == pytest.approx(float(np.sum(w * (y - m) ** 2)), rel=1e-10)


def test_anova_comparison_of_nested_fits(mtcars):
    m1 = lm("mpg ~ wt", mtcars)
    m2 = lm("mpg ~ wt + hp + qsec", mtcars)
    a = m1.anova(m2)
    t = a.table
    assert list(t.columns) == ["Res.Df", "RSS", "Df", "Sum of Sq", "F", "Pr(>F)"]
    assert list(t.index) == ["1", "2"]
    assert a.heading[0] == "Analysis of Variance Table\n"
    assert a.heading[1] == "Model 1: mpg ~ wt\nModel 2: mpg ~ wt + hp + qsec"
    fval = ((m1.deviance() - m2.deviance()) / 2) / (m2.deviance() / 28)
    assert t.loc["2", "F"] == pytest.approx(fval, rel=1e-12)
    assert t.loc["2", "Pr(>F)"] == pytest.approx(stats.f.sf(fval, 2, 28), rel=1e-10)
    assert np.isnan(t.loc["1", "F"])
    with pytest.raises(HlmError, match="same size of dataset"):
        m1.anova(lm("mpg ~ wt", mtcars.iloc[:20]))
    with pytest.warns(UserWarning, match="response differs"):
        m1.anova(lm("log(mpg) ~ wt", mtcars), m2)


def test_predict_newdata_training_equals_fitted(fit, mtcars):
    p = fit.predict(mtcars)
    np.testing.assert_allclose(p.to_numpy(), fit.fitted().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fit.predict().to_numpy(), fit.fitted().to_numpy(), rtol=1e-12)
    se_new = fit.predict(mtcars, se_fit=True)
    se_old = fit.predict(se_fit=True)
    assert isinstance(se_old, LmPrediction)
    np.testing.assert_allclose(se_new.se_fit.to_numpy(), se_old.se_fit.to_numpy(), rtol=1e-10)
    h = fit.hatvalues().to_numpy()
    np.testing.assert_allclose(se_old.se_fit.to_numpy(), fit.sigma() * np.sqrt(h), rtol=1e-10)
    assert se_old["se.fit"] is se_old.se_fit and se_old.df == 28


def test_predict_intervals(fit, mtcars):
    nd = mtcars.iloc[:3]
    ci = fit.predict(nd, interval="confidence", level=0.9)
    assert list(ci.columns) == ["fit", "lwr", "upr"]
    se = fit.predict(nd, se_fit=True).se_fit.to_numpy()
    q = stats.t.ppf(0.95, 28)
    np.testing.assert_allclose((ci["upr"] - ci["fit"]).to_numpy(), q * se, rtol=1e-10)
    pi = fit.predict(nd, interval="prediction")
    half = (pi["upr"] - pi["fit"]).to_numpy()
    np.testing.assert_allclose(half, stats.t.ppf(0.975, 28) * np.sqrt(se**2 + fit.sigma() ** 2),
                               rtol=1e-10)
    with pytest.warns(UserWarning, match="_future_ responses"):
        fit.predict(interval="prediction")


def test_rank_deficient_prediction_warns(mtcars):
    f = lm("mpg ~ wt + I(2 * wt) + cyl", mtcars)
    with pytest.warns(UserWarning, match="rank-deficient"):
        p = f.predict(mtcars)
    np.testing.assert_allclose(p.to_numpy(), f.fitted().to_numpy(), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f.predict()


def test_confint(fit):
    ci = fit.confint()
    assert isinstance(ci, ConfintTable)
    assert list(ci.table.columns) == ["2.5 %", "97.5 %"]
    s = fit.summary().coefficients
    q = stats.t.ppf(0.975, 28)
    np.testing.assert_allclose(ci.table["97.5 %"], s["Estimate"] + q * s["Std. Error"], rtol=1e-12)
    sub = fit.confint(level=0.9, parm=["wt", "hp"]).table
    assert list(sub.index) == ["wt", "hp"] and list(sub.columns) == ["5 %", "95 %"]
    assert list(fit.confint(parm=[2]).table.index) == ["wt"]
    assert format_perc([0.005, 0.995]) == ["0.5 %", "99.5 %"]
    assert format_perc([0.0005, 0.9995]) == ["0.05 %", "99.95 %"]


def test_confint_aliased_is_nan(mtcars):
    ci = lm("mpg ~ wt + I(2 * wt)", mtcars).confint().table
    assert ci.loc["I(2 * wt)"].isna().all() and ci.loc["wt"].notna().all()


def test_influence_measures(fit):
    h = fit.hatvalues()
    assert h.sum() == pytest.approx(fit.rank, rel=1e-12)
    X = fit.model_matrix().to_numpy()
    np.testing.assert_allclose(h.to_numpy(), np.diag(X @ np.linalg.inv(X.T @ X) @ X.T), rtol=1e-10)
    e = fit.residuals().to_numpy()
    s = fit.sigma()
    rs = fit.rstandard().to_numpy()
    np.testing.assert_allclose(rs, e / (s * np.sqrt(1 - h.to_numpy())), rtol=1e-12)
    # rstudent from the leave-one-out sigma
    n, p = 32, fit.rank
    s_i = np.sqrt((fit.deviance() - e**2 / (1 - h.to_numpy())) / (n - p - 1))
    np.testing.assert_allclose(fit.rstudent().to_numpy(), e / (s_i * np.sqrt(1 - h.to_numpy())),
                               rtol=1e-10)
    cd = fit.cooks_distance().to_numpy()
    np.testing.assert_allclose(cd, rs**2 * h.to_numpy() / ((1 - h.to_numpy()) * p), rtol=1e-10)
    assert list(fit.cooks_distance().index) == list(fit.residuals().index)


def test_loglik_aic_bic(fit, mtcars):
    ll = fit.logLik()
    n = 32
    assert float(ll) == pytest.approx(
        float(np.sum(stats.norm.logpdf(fit.residuals(), scale=math.sqrt(fit.deviance() / n)))),
        rel=1e-12)
    assert ll.df == 5 and ll.nobs == 32
    assert fit.AIC() == pytest.approx(-2 * float(ll) + 10, rel=1e-12)
    assert fit.BIC() == pytest.approx(-2 * float(ll) + math.log(32) * 5, rel=1e-12)
    reml = fit.logLik(REML=True)
    assert reml.nobs == 28 and float(reml) != float(ll)
    w = lm("mpg ~ wt", mtcars, weights="disp")
    wl = w.logLik()
    wv = mtcars["disp"].to_numpy()
    s2 = w.deviance() / n
    ref = float(np.sum(stats.norm.logpdf(w.residuals().to_numpy(), scale=np.sqrt(s2 / wv))))
    assert float(wl) == pytest.approx(ref, rel=1e-12)
    assert "'log Lik.'" in repr(ll) and "(df=5)" in repr(ll)


def test_zero_residual_df_gives_nan_not_errors():
    d = pd.DataFrame({"y": [1.0, 3.0, 2.0], "x": [0.5, 1.0, 4.0]})
    f = lm("y ~ x + I(x^2)", d)
    assert f.df_residual() == 0
    s = f.summary()
    assert np.isnan(s.sigma) and s.coefficients["Std. Error"].isna().all()
    a = f.anova().table
    assert a["F value"].isna().all()
    assert np.isnan(f.sigma())


def test_zero_rss_loglik_is_inf_and_aic_bic_minus_inf():
    # R's logLik.lm: log(0) = -Inf in the formula gives Inf (no error)
    f = lm("y ~ x", pd.DataFrame({"y": [1.0, 2, 3], "x": [1.0, 2, 3]}))
    ll = hlm.logLik(f)
    assert float(ll) == math.inf and ll.df == 3
    assert hlm.AIC(f) == -math.inf and hlm.BIC(f) == -math.inf
    assert float(hlm.logLik(f, REML=True)) == math.inf
    tab = hlm.AIC(f, f, names=["a", "b"])
    assert (tab["AIC"] == -math.inf).all()


@pytest.mark.parametrize("parm, rows", [
    ("wt", ["wt"]),                       # one name, not the characters 'w', 't'
    (["wt", "hp"], ["wt", "hp"]),
    (1, ["(Intercept)"]),                 # R's 1-based positions
    ([2], ["wt"]),
    (np.array([4, 2]), ["qsec", "wt"]),
    ([2, 2], ["wt", "wt"]),
    (-1, ["wt", "hp", "qsec"]),           # R's negative subscripts drop
    ([0, 2], ["wt"]),                     # and zeros are left out
    (2.0, ["wt"]),
])
def test_confint_parm_selects_as_r_subscripts(fit, parm, rows):
    ci = hlm.confint(fit, parm=parm).table
    assert list(ci.index) == rows
    full = fit.confint().table
    np.testing.assert_array_equal(ci.to_numpy(), full.loc[rows].to_numpy())


@pytest.mark.parametrize("parm, message", [
    ([5], "out of range"),                # R: an NA row
    (5, "out of range"),
    (["zz"], "unknown coefficient 'zz'"),  # R: an NA row
    ([-1, 2], "only 0's may be mixed with negative subscripts"),
    (1.5, "'parm' must be coefficient names or positions"),
    (True, "'parm' must be coefficient names or positions"),
    ([None], "'parm' must be coefficient names or positions"),
    (object(), "'parm' must be coefficient names or positions"),
])
def test_confint_bad_parm_is_an_hlm_error(fit, parm, message):
    with pytest.raises(HlmError, match=message):
        hlm.confint(fit, parm=parm)



BAD_LEVELS = ["a", 25, 1.25, -0.5, 0, 1, 0.0, 1.0, math.nan, math.inf, None, True, [0.9],
              np.array([0.9, 0.95])]


@pytest.mark.parametrize("level", BAD_LEVELS, ids=repr)
def test_a_level_outside_0_1_is_an_hlm_error(fit, mtcars, level):
    # R: confint(level = 25) gives NA columns `-1200 %`, predict gives lwr > upr
    msg = "'level' must be a number strictly between 0 and 1"
    with pytest.raises(HlmError, match=msg):
        hlm.confint(fit, level=level)
    for interval in ("confidence", "prediction"):
        with pytest.raises(HlmError, match=msg):
            hlm.predict(fit, mtcars.head(3), interval=interval, level=level)
    o = hlm.datasets.load("Orthodont")
    with pytest.raises(HlmError, match=msg):
        hlm.intervals(hlm.lme("distance ~ age", o, random="~ 1 | Subject"), level=level)


def test_good_levels_are_taken(fit, mtcars):
    assert list(hlm.confint(fit, level=np.float64(0.9)).table.columns) == ["5 %", "95 %"]
    assert list(hlm.confint(fit, level=0.5).table.columns) == ["25 %", "75 %"]
    p = hlm.predict(fit, mtcars.head(3), interval="confidence", level=0.99)
    assert (p["lwr"] < p["fit"]).all() and (p["fit"] < p["upr"]).all()


# -- predict with an offset= argument: read with R's rules, as when fitting ----

OFFSET_CASES = [
    ("mpg ~ wt", "wt^2"),
    ("mpg ~ wt", "log(hp)"),
    ("mpg ~ wt + offset(log(hp))", "wt^2"),
    ("mpg ~ wt", "ifelse(am == 1, 2, -1) * wt"),
    ("mpg ~ wt", "qsec"),
]


@pytest.mark.parametrize("formula, offset", OFFSET_CASES)
def test_predict_offset_argument_is_read_as_when_fitting(mtcars, formula, offset):
    fit = lm(formula, mtcars, offset=offset)
    np.testing.assert_allclose(hlm.predict(fit, newdata=mtcars).to_numpy(),
                               fit.fitted().to_numpy(), rtol=1e-13)


def test_predict_offset_missing_in_newdata_is_r_object_not_found(mtcars):
    fit = lm("mpg ~ wt", mtcars, offset="log(hp)")
    with pytest.raises(hlm.HlmError, match="object 'hp' not found"):
        hlm.predict(fit, newdata=pd.DataFrame({"wt": [2.5, 3.0]}))
    nd = pd.DataFrame({"wt": [2.5, 3.0], "hp": ["a", "b"]})
    with pytest.raises(hlm.HlmError, match="non-numeric argument"):
        hlm.predict(fit, newdata=nd)


@pytest.mark.parametrize("offset", ["factor(cyl)", "as.character(cyl)", "am == 1"])
def test_non_numeric_offset_argument_is_refused_as_r(mtcars, offset):
    # R's model.offset: "'offset' must be numeric" (a logical one too, when alone)
    with pytest.raises(hlm.HlmError, match="'offset' must be numeric"):
        lm("mpg ~ wt", mtcars, offset=offset)
    fit = lm("mpg ~ wt + offset(qsec)", mtcars, offset="am == 1") if offset == "am == 1" else None
    if fit is not None:
        ref = lm("mpg ~ wt + offset(qsec)", mtcars.assign(am1=(mtcars.am == 1) * 1.0), offset="am1")
        np.testing.assert_allclose(fit.coefficients.to_numpy(), ref.coefficients.to_numpy())


@pytest.mark.live_r
@pytest.mark.parametrize("formula, offset", OFFSET_CASES)
def test_predict_offset_argument_matches_live_r(mtcars, formula, offset):
    from r_reference import rsession

    r = rsession.r()
    r(f"ff <- lm({formula}, data = mtcars, offset = {offset})")
    nd = mtcars.iloc[[0, 5, 9, 20]].copy()
    nd.loc[nd.index[1], "wt"] = np.nan
    r("nd <- mtcars[c(1, 6, 10, 21), ]; nd$wt[2] <- NA")
    ref = np.array(r("unname(predict(ff, newdata = nd))"), dtype=float)
    fit = lm(formula, mtcars, offset=offset)
    np.testing.assert_allclose(hlm.predict(fit, newdata=nd).to_numpy(), ref, rtol=1e-12)
    ref_se = np.array(r("unname(predict(ff, newdata = nd, se.fit = TRUE)$se.fit)"), dtype=float)
    np.testing.assert_allclose(hlm.predict(fit, newdata=nd, se_fit=True).se_fit.to_numpy(),
                               ref_se, rtol=1e-10)
