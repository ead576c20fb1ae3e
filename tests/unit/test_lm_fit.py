"""lm fitting: least-squares identities, aliasing, weights, offsets, NA actions, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.errors import FormulaParseError, HlmError, NonFiniteError
from hlm_py.lm import lm
from hlm_py.lm.fit import LmFit


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    return hlm.datasets.load("mtcars")


@pytest.fixture(scope="module")
def airquality() -> pd.DataFrame:
    return hlm.datasets.load("airquality")


def test_residuals_orthogonal_to_x_and_effects_reproduce_rss(mtcars):
    fit = lm("mpg ~ wt + hp + qsec", mtcars)
    assert isinstance(fit, LmFit)
    X = fit.model_matrix().to_numpy()
    r = fit.residuals().to_numpy()
    np.testing.assert_allclose(X.T @ r, 0.0, atol=1e-9)
    eff = fit.effects.to_numpy()
    assert np.sum(eff[fit.rank:] ** 2) == pytest.approx(fit.deviance(), rel=1e-10)
    np.testing.assert_allclose(fit.fitted() + fit.residuals(), mtcars["mpg"].to_numpy(), atol=1e-10)
    assert list(fit.effects.index[: fit.rank]) == ["(Intercept)", "wt", "hp", "qsec"]
    assert set(fit.effects.index[fit.rank:]) == {""}


def test_coefficients_solve_the_normal_equations(mtcars):
    fit = lm("mpg ~ wt + hp", mtcars)
    X = fit.model_matrix().to_numpy()
    y = mtcars["mpg"].to_numpy()
    ref = np.linalg.solve(X.T @ X, X.T @ y)
    np.testing.assert_allclose(fit.coef().to_numpy(), ref, rtol=1e-10)
    assert list(fit.coef().index) == ["(Intercept)", "wt", "hp"]
    assert fit.df_residual() == 32 - 3
    assert fit.nobs() == 32


def test_exact_duplicate_column_is_aliased(mtcars):
    fit = lm("mpg ~ wt + I(2 * wt) + cyl", mtcars)
    cf = fit.coef()
    assert fit.rank == 3
    assert list(cf.index) == ["(Intercept)", "wt", "I(2 * wt)", "cyl"]
    assert np.isnan(cf["I(2 * wt)"]) and cf.drop("I(2 * wt)").notna().all()
    ref = lm("mpg ~ wt + cyl", mtcars).coef()
    np.testing.assert_allclose(cf.drop("I(2 * wt)").to_numpy(), ref.to_numpy(), rtol=1e-10)
    s = fit.summary()
    assert s.df == (3, 29, 4)
    assert list(s.coefficients.index) == ["(Intercept)", "wt", "cyl"]
    assert s.aliased.to_dict() == {"(Intercept)": False, "wt": False, "I(2 * wt)": True, "cyl": False}
    v = fit.vcov()
    assert v.shape == (4, 4)
    assert v.loc["I(2 * wt)"].isna().all() and v["I(2 * wt)"].isna().all()


def test_empty_cell_interaction_is_aliased():
    d = pd.DataFrame({
        "y": [1.0, 3, 2, 5, 4, 6, 8, 7, 9, 12],
        "a": list("ppqqrrpqrp"),
        "b": list("uvuvuuuuuv"),
    })
    fit = lm("y ~ a * b", d)
    cf = fit.coef()
    assert fit.rank == 5
    assert np.isnan(cf["ar:bv"]) and cf.drop("ar:bv").notna().all()
    r = fit.residuals().to_numpy()
    X = fit.model_matrix().to_numpy()
    np.testing.assert_allclose(X.T @ r, 0.0, atol=1e-9)


def test_weights_match_scaled_ordinary_least_squares(mtcars):
    fit = lm("mpg ~ wt + hp", mtcars, weights="disp")
    w = mtcars["disp"].to_numpy()
    X = fit.model_matrix().to_numpy()
    y = mtcars["mpg"].to_numpy()
    ref = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
    np.testing.assert_allclose(fit.coef().to_numpy(), ref, rtol=1e-10)
    r = fit.residuals().to_numpy()
    np.testing.assert_allclose(X.T @ (w * r), 0.0, atol=1e-7)
    assert fit.deviance() == pytest.approx(float(np.sum(w * r**2)), rel=1e-12)


def test_zero_weights_are_dropped_from_df_but_get_fitted_values(mtcars):
    d = mtcars.copy()
    w = np.where(np.arange(1, 33) % 5 == 0, 0.0, d["carb"].to_numpy())
    d["w"] = w
    fit = lm("mpg ~ wt + hp", d, weights="w")
    kept = d[w != 0]
    ref = lm("mpg ~ wt + hp", kept, weights="w")
    np.testing.assert_allclose(fit.coef().to_numpy(), ref.coef().to_numpy(), rtol=1e-10)
    assert fit.df_residual() == ref.df_residual() == int(np.sum(w != 0)) - 3
    assert fit.nobs() == int(np.sum(w != 0))
    assert len(fit.residuals()) == 32
    X = fit.model_matrix().to_numpy()
    np.testing.assert_allclose(fit.fitted().to_numpy(), X @ fit.coef().to_numpy(), atol=1e-10)
    assert len(fit.effects) == int(np.sum(w != 0))
    assert len(fit.hatvalues()) == int(np.sum(w != 0))


def test_offset_in_formula_and_argument_agree(mtcars):
    a = lm("mpg ~ wt + offset(log(hp))", mtcars)
    b = lm("mpg ~ wt", mtcars, offset="log(hp)")
    c = lm("mpg ~ wt", mtcars, offset=np.log(mtcars["hp"].to_numpy()))
    for f in (b, c):
        np.testing.assert_allclose(f.coef().to_numpy(), a.coef().to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(f.fitted().to_numpy(), a.fitted().to_numpy(), rtol=1e-12)
    ref = lm("I(mpg - log(hp)) ~ wt", mtcars)
    np.testing.assert_allclose(a.coef().to_numpy(), ref.coef().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.fitted() - np.log(mtcars["hp"].to_numpy()), ref.fitted(), atol=1e-10)
    assert b.call.endswith("offset = log(hp))")


def test_na_omit_and_na_exclude(airquality):
    f_omit = lm("Ozone ~ Solar.R + Wind + Temp", airquality)
    f_excl = lm("Ozone ~ Solar.R + Wind + Temp", airquality, na_action="na.exclude")
    complete = airquality[["Ozone", "Solar.R", "Wind", "Temp"]].notna().all(axis=1)
    n_ok = int(complete.sum())
    assert f_omit.nobs() == n_ok and len(f_omit.residuals()) == n_ok
    np.testing.assert_allclose(f_excl.coef().to_numpy(), f_omit.coef().to_numpy(), rtol=1e-12)
    r = f_excl.residuals()
    assert len(r) == len(airquality)
    assert list(r.index) == list(airquality.index)
    assert r.isna().to_numpy().tolist() == (~complete).to_numpy().tolist()
    np.testing.assert_allclose(r.dropna().to_numpy(), f_omit.residuals().to_numpy())
    assert f_excl.fitted().isna().sum() == len(airquality) - n_ok
    assert f_excl.predict().isna().sum() == len(airquality) - n_ok
    h = f_excl.hatvalues()
    assert len(h) == len(airquality) and (h[~complete.to_numpy()] == 0).all()
    assert f_excl.rstandard()[~complete.to_numpy()].isna().all()
    assert "na.action = na.exclude" in f_excl.call
    assert "na.action" not in f_omit.call


def test_subset_equals_fitting_the_subset(mtcars):
    a = lm("mpg ~ wt", mtcars, subset="cyl > 4")
    b = lm("mpg ~ wt", mtcars[mtcars["cyl"] > 4])
    np.testing.assert_allclose(a.coef().to_numpy(), b.coef().to_numpy(), rtol=1e-12)
    assert "subset = cyl > 4" in a.call


def test_no_intercept_and_empty_models(mtcars):
    f = lm("mpg ~ 0 + wt", mtcars)
    assert list(f.coef().index) == ["wt"]
    x = mtcars["wt"].to_numpy()
    y = mtcars["mpg"].to_numpy()
    assert f.coef()["wt"] == pytest.approx(float(x @ y / (x @ x)), rel=1e-12)
    e = lm("mpg ~ 0", mtcars)
    assert e.rank == 0 and len(e.coef()) == 0
    np.testing.assert_allclose(e.residuals().to_numpy(), y)
    assert e.df_residual() == 32
    s = e.summary()
    assert s.df == (0, 32, 0) and s.fstatistic is None


def test_non_finite_data_and_no_rows_raise(mtcars):
    d = mtcars.copy()
    d.loc[d.index[0], "wt"] = np.inf
    with pytest.raises(NonFiniteError, match="NA/NaN/Inf in 'x'"):
        lm("mpg ~ wt", d)
    d = mtcars.copy()
    d.loc[d.index[0], "mpg"] = -np.inf
    with pytest.raises(NonFiniteError, match="NA/NaN/Inf in 'y'"):
        lm("mpg ~ wt", d)
    d = mtcars.copy()
    d["z"] = np.nan
    with pytest.raises(HlmError, match="0 \\(non-NA\\) cases"):
        lm("mpg ~ z", d)


def test_call_deparse_and_update(mtcars):
    fit = lm("mpg~wt+hp", mtcars)
    assert fit.call == "lm(formula = mpg ~ wt + hp, data = mtcars)"
    d = mtcars.copy()
    d.attrs = {"name": "cars"}
    d["g"] = pd.Categorical(d["gear"].astype(int).astype(str))
    c = lm("mpg ~ g", d, contrasts={"g": "contr.sum"})
    assert c.call == 'lm(formula = mpg ~ g, data = cars, contrasts = list(g = "contr.sum"))'
    long = lm("mpg ~ wt + hp + qsec + disp + drat + gear + carb + am + vs", mtcars)
    lines = long.call.split("\n")
    assert len(lines) == 2
    assert len(lines[0]) > 60 and lines[0].endswith("+ ")
    assert lines[1].startswith("    ") and not lines[1].startswith("     ")
    up = fit.update(". ~ . - hp + qsec")
    assert up.formula == "mpg ~ wt + qsec"
    assert up.call == "lm(formula = mpg ~ wt + qsec, data = mtcars)"
    np.testing.assert_allclose(up.coef().to_numpy(), lm("mpg ~ wt + qsec", mtcars).coef().to_numpy())
    assert fit.update("~ . + I(hp^2)").formula == "mpg ~ wt + hp + I(hp^2)"
    assert fit.update(". ~ . - 1").formula == "mpg ~ wt + hp - 1"
    assert fit.update("log(.) ~ .").formula == "log(mpg) ~ wt + hp"
    w = fit.update(weights="disp")
    assert w.call == "lm(formula = mpg ~ wt + hp, data = mtcars, weights = disp)"


@pytest.mark.parametrize("formula, message", [
    (None, "argument is not a valid model"),   # R: lm(NULL, mtcars)
    (42, "invalid formula"),                   # R: lm(42, mtcars)
    (b"mpg ~ wt", "invalid formula"),
    (["mpg ~ wt"], "invalid formula"),         # R: lm(list("mpg ~ wt"), mtcars)
])
def test_a_formula_that_is_not_a_string_is_an_hlm_error(mtcars, formula, message):
    for fn in (hlm.lm, hlm.model_frame, hlm.model_matrix):
        with pytest.raises(HlmError, match=message):
            fn(formula, mtcars)


def _scaled(mtcars: pd.DataFrame, col: str, top: float) -> pd.DataFrame:
    d = mtcars.copy()
    d[col] = d[col] / d[col].max() * top
    return d


@pytest.mark.parametrize("formula, col, top", [
    ("mpg ~ wt", "wt", 1.7e308),      # R: NaN coefficients
    ("mpg ~ 0 + wt", "wt", 1.7e308),  # R: a slope of 0 (it is 1.3e-307)
    ("mpg ~ wt", "mpg", 1.7e308),     # R: NaN coefficients
    ("mpg ~ wt", "wt", 1e-320),       # subnormal: R: NaN coefficients
])
def test_numbers_beyond_double_precision_are_refused(mtcars, formula, col, top):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warnings either
        with pytest.raises(HlmError, match="double precision"):
            lm(formula, _scaled(mtcars, col, top))


def test_a_predictor_near_the_top_of_the_range_is_fitted(mtcars):
    fit = lm("mpg ~ wt", _scaled(mtcars, "wt", 1e307))
    ref = lm("mpg ~ wt", mtcars)
    assert fit.coef()["wt"] == pytest.approx(ref.coef()["wt"] * mtcars.wt.max() / 1e307,
                                             rel=1e-12)


@pytest.mark.live_r
def test_r_has_no_numbers_for_an_overflowing_predictor():
    from r_reference import rsession

    r = rsession.r()
    coef = np.array(r("coef(lm(mpg ~ I(wt / max(wt) * 1.7e308), mtcars))"))
    assert np.all(np.isnan(coef))
    slope = float(r("coef(lm(mpg ~ 0 + I(wt / max(wt) * 1.7e308), mtcars))")[0])
    assert slope == 0.0  # the least-squares slope is 1.3e-307
    near = np.array(r("coef(lm(mpg ~ I(wt / max(wt) * 1e307), mtcars))"))
    d = hlm.datasets.load("mtcars")
    np.testing.assert_allclose(lm("mpg ~ wt", _scaled(d, "wt", 1e307)).coef().to_numpy(), near,
                               rtol=1e-12)


# -- wide and deep formulas: no RecursionError -------------------------------


def _wide(n, p, seed):
    d = pd.DataFrame(np.random.default_rng(seed).normal(size=(n, p))).add_prefix("v")
    d["y"] = d.sum(axis=1) + np.random.default_rng(seed + 1).normal(scale=0.1, size=n)
    return d


def test_dot_formula_on_300_columns_fits():
    d = _wide(400, 300, 0)
    fit = lm("y ~ .", d)
    X = np.column_stack([np.ones(400), d.drop(columns="y").to_numpy()])
    ref = np.linalg.lstsq(X, d["y"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(fit.coefficients.to_numpy(), ref, rtol=1e-8, atol=1e-10)
    assert fit.formula.startswith("y ~ v0 + v1 + v2")


def test_formula_of_1000_terms_fits_as_the_dot_formula():
    d = _wide(1010, 1000, 1)
    rhs = " + ".join(f"v{i}" for i in range(1000))
    fit = lm("y ~ " + rhs, d)
    assert list(fit.coefficients.index) == ["(Intercept)"] + [f"v{i}" for i in range(1000)]
    X = np.column_stack([np.ones(1010), d.drop(columns="y").to_numpy()])
    ref = np.linalg.lstsq(X, d["y"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(fit.coefficients.to_numpy(), ref, rtol=1e-6, atol=1e-8)
    mm = hlm.model_matrix("y ~ .", d)
    assert list(mm.columns) == list(fit.coefficients.index)
    assert fit.formula == "y ~ " + rhs


def test_deeply_nested_expression_within_the_limit_fits(mtcars):
    # 150 unary minus signs: parse, terms, deparse, evaluation all nest 150 deep
    fit = lm("mpg ~ I(" + "-" * 150 + "wt)", mtcars)
    ref = lm("mpg ~ wt", mtcars)
    np.testing.assert_allclose(fit.coefficients.to_numpy()[1], ref.coefficients.to_numpy()[1])
    with pytest.raises(FormulaParseError, match="contextstack overflow"):
        lm("mpg ~ " + "(" * 5000 + "wt" + ")" * 5000, mtcars)


# -- data that R's lm would reject, with R's words ----------------------------


def test_multiindex_columns_say_so_and_how_to_flatten(mtcars):
    m = mtcars.copy()
    m.columns = pd.MultiIndex.from_tuples([("a", c) for c in m.columns])
    with pytest.raises(HlmError, match="MultiIndex columns, which are not supported: flatten"):
        lm("mpg ~ wt", m)
    m2 = mtcars[["mpg", "wt"]].copy()
    m2.columns = pd.MultiIndex.from_tuples([("mpg", ""), ("wt", "")])
    with pytest.raises(HlmError, match="MultiIndex columns, which are not supported"):
        lm("mpg ~ wt", m2)
    with pytest.raises(HlmError, match="MultiIndex columns, which are not supported"):
        hlm.lme("mpg ~ wt", m, random="~ 1 | cyl")


@pytest.mark.parametrize("column", [[None, None, None], [np.nan, np.nan, np.nan],
                                    pd.array([None, None, None], dtype="boolean")])
def test_all_na_column_is_r_zero_non_na_cases(column):
    # R: lm(y ~ x, data.frame(y = 1:3, x = NA)) -> "0 (non-NA) cases"
    d = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": pd.Series(column, dtype=object)
                      if isinstance(column, list) and column[0] is None else column})
    with pytest.raises(HlmError, match=r"^0 \(non-NA\) cases$"):
        lm("y ~ x", d)
