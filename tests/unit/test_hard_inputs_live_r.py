"""Hard inputs against a live R (rpy2): what R returns or refuses, and hlm_py
the same (numbers, printed lines), or an HlmError where R errors.

R's numbers and texts come from the running R, never typed here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm

pytestmark = pytest.mark.live_r


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    return rsession.r()


def _py_frame(r_data: str, r) -> pd.DataFrame:
    cols = [str(c) for c in r(f"names({r_data})")]
    return pd.DataFrame({c: np.array(r(f"as.numeric({r_data}${c})"), dtype=float) for c in cols})


# ---------------------------------------------------------------------------
# logLik, AIC, BIC of an lm with a zero residual sum of squares


ZERO_RSS = [
    ("data.frame(y = c(1, 2, 3), x = c(1, 2, 3))", "y ~ x", None),
    ("data.frame(y = c(1, 2, 3), x = c(1, 2, 3))", "y ~ x", [1.0, 2.0, 0.0]),
    ("data.frame(y = c(1, 3, 2), x = c(0.5, 1, 4))", "y ~ x + I(x^2)", None),
    ("data.frame(y = c(2, 2, 2))", "y ~ 1", None),
]


@pytest.mark.parametrize("case", ZERO_RSS, ids=["line", "weighted", "saturated", "constant"])
def test_loglik_aic_bic_of_a_zero_rss_are_r_s(r, case):
    data, formula, w = case
    wr = "" if w is None else f", weights = c({', '.join(map(repr, w))})"
    r(f"zf <- lm({formula}, {data}{wr})")
    want = np.array(r("c(logLik(zf), AIC(zf), BIC(zf), logLik(zf, REML = TRUE))"), dtype=float)
    df = _py_frame(data, r)
    fit = hlm.lm(formula, df, weights=None if w is None else np.array(w))
    got = np.array([float(hlm.logLik(fit)), hlm.AIC(fit), hlm.BIC(fit),
                    float(hlm.logLik(fit, REML=True))])
    np.testing.assert_array_equal(got, want)  # Inf, -Inf, NaN exactly as R
    assert hlm.logLik(fit).df == int(r("attr(logLik(zf), 'df')")[0])


# ---------------------------------------------------------------------------
# nlme's likelihood-ratio table with lm fits: anova(lme, lm)

ANOVA_COLUMNS = ["Model", "df", "AIC", "BIC", "logLik", "L.Ratio", "p-value"]


@pytest.fixture(scope="module")
def orthodont_fits(r):
    r("lfml <- lme(distance ~ age, Orthodont, random = ~ 1 | Subject, method = 'ML')")
    r("lf <- lme(distance ~ age, Orthodont, random = ~ 1 | Subject)")
    r("lmo <- lm(distance ~ age, Orthodont)")
    r("lmo2 <- lm(distance ~ age + Sex, Orthodont)")
    o = hlm.datasets.load("Orthodont")
    return {
        "lfml": hlm.lme("distance ~ age", o, random="~ 1 | Subject", method="ML"),
        "lf": hlm.lme("distance ~ age", o, random="~ 1 | Subject"),
        "lmo": hlm.lm("distance ~ age", o),
        "lmo2": hlm.lm("distance ~ age + Sex", o),
    }


def _r_anova(r, names):
    """R's anova table (numbers, Test) and printed lines, with R's warnings."""
    r(f"aw <- character(0); at <- withCallingHandlers(anova({', '.join(names)}), "
      "warning = function(w) {aw <<- c(aw, conditionMessage(w)); invokeRestart('muffleWarning')})")
    cols = [str(c) for c in r("names(at)")]
    nums = {c: np.array(r(f"as.numeric(at[['{c}']])"), dtype=float)
            for c in ANOVA_COLUMNS if c in cols}
    test = [str(s) for s in r("as.character(at$Test)")] if "Test" in cols else None
    printed = str(r('paste(capture.output(print(at)), collapse = "\\n")')[0])
    warns = [str(s) for s in r("aw")]
    return nums, test, printed.splitlines(), warns


@pytest.mark.parametrize("names", [
    ("lfml", "lmo"), ("lf", "lmo"), ("lfml", "lmo", "lmo2"), ("lf", "lmo2"), ("lfml", "lmo2"),
], ids="-".join)
def test_anova_of_lme_and_lm_is_nlme_s_table(r, orthodont_fits, names):
    want, test, printed, r_warnings = _r_anova(r, names)
    fits = [orthodont_fits[n] for n in names]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = hlm.anova(*fits, names=list(names))
    assert [str(w.message) for w in record] == r_warnings  # nlme's REML warning, or none
    table = got.to_frame()
    assert list(table.index) == list(names)
    for col, values in want.items():
        np.testing.assert_allclose(table[col].to_numpy(dtype=float), values, rtol=1e-7,
                                   atol=0, equal_nan=True, err_msg=col)
    if test is not None:
        assert [str(t) for t in table["Test"]] == test
    assert str(got).splitlines() == printed


def test_anova_of_lm_then_lme_is_refused_as_r_refuses_it(r, orthodont_fits):
    msg = str(r("tryCatch(anova(lmo, lfml), error = function(e) conditionMessage(e))")[0])
    assert "models were not all fitted to the same size of dataset" in msg  # R stops
    with pytest.raises(hlm.HlmError, match=r"anova\(lme_fit, lm_fit\)"):
        hlm.anova(orthodont_fits["lmo"], orthodont_fits["lfml"])


# ---------------------------------------------------------------------------
# confint's parm: a name is one name, numbers are R's 1-based subscripts


@pytest.mark.parametrize("r_parm, parm", [
    ('"wt"', "wt"), ("1", 1), ("c(3, 2)", [3, 2]), ("-1", -1), ("c(0, 2)", [0, 2]),
    ('c("hp", "wt")', ["hp", "wt"]),
], ids=lambda v: str(v))
def test_confint_parm_is_r_s(r, r_parm, parm):
    r("cf <- confint(lm(mpg ~ wt + hp, mtcars), parm = " + r_parm + ")")
    fit = hlm.lm("mpg ~ wt + hp", hlm.datasets.load("mtcars"))
    got = hlm.confint(fit, parm=parm)
    assert list(got.table.index) == [str(s) for s in r("rownames(cf)")]
    np.testing.assert_allclose(got.table.to_numpy(), np.array(r("cf")), rtol=1e-12)
    assert str(got).splitlines() == str(
        r('paste(capture.output(print(cf)), collapse = "\\n")')[0]).splitlines()


def test_confint_parm_out_of_range_is_refused_where_r_gives_na(r):
    r("cf <- confint(lm(mpg ~ wt + hp, mtcars), parm = 5)")
    assert bool(r("nrow(cf) == 1 && is.na(rownames(cf)) && all(is.na(cf))")[0])  # R: an NA row
    fit = hlm.lm("mpg ~ wt + hp", hlm.datasets.load("mtcars"))
    with pytest.raises(hlm.HlmError, match="out of range"):
        hlm.confint(fit, parm=[5])
