"""Factor levels and grouping levels against a live R (rpy2).

R's ``factor()``/``as.factor()`` label levels with ``as.character`` (15
significant digits, R's fixed/scientific choice) and sort character values
in the locale's collation; hlm_py must label, merge and order levels as R
does. The data is sent to R exactly (hexadecimal doubles); every expected
label, order and number comes from the running R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm

pytestmark = pytest.mark.live_r


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    return rsession.r()


def _r_double(v: float) -> str:
    """A double as an exact R literal (hexadecimal)."""
    v = float(v)
    if np.isnan(v):
        return "NA_real_"
    if np.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    return v.hex()


def _r_vector(s: pd.Series) -> str:
    if pd.api.types.is_float_dtype(s.dtype):
        return "c(" + ", ".join(_r_double(v) for v in s) + ")"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "c(" + ", ".join(f"{int(v)}L" for v in s) + ")"
    return "c(" + ", ".join('"' + str(v).replace('"', '\\"') + '"' for v in s) + ")"


def _to_r(r, name: str, df: pd.DataFrame) -> None:
    cols = ", ".join(f"{c} = {_r_vector(df[c])}" for c in df.columns)
    r(f"{name} <- data.frame({cols}, stringsAsFactors = FALSE)")


def _strs(r, expr: str) -> list[str]:
    return [str(s) for s in r(expr)]


# ------------------------------------------------------------- lm: factor()


LM_GROUPS = {
    "same-label": [0.1 + 0.2, 0.3, 0.7],
    "scientific": [1e5, 2e5, 1e-4, 3.0],
    "digits": [1 / 3, 2 / 3, 1e15, 123456.0, -1e-5],
}


@pytest.mark.parametrize("values", list(LM_GROUPS.values()), ids=list(LM_GROUPS))
def test_lm_factor_of_numbers_as_r(r, values):
    k = len(values)
    d = pd.DataFrame({"x": values * 4, "y": np.arange(4.0 * k) ** 1.5})
    _to_r(r, "d", d)
    r("fit <- lm(y ~ factor(x), data = d)")
    fit = hlm.lm("y ~ factor(x)", d)
    assert list(fit.coefficients.index) == _strs(r, "names(coef(fit))")
    np.testing.assert_allclose(fit.coefficients.to_numpy(), np.array(r("unname(coef(fit))")),
                               rtol=1e-10, atol=1e-12)
    assert fit.design.frame.xlevels["factor(x)"] == _strs(r, 'fit$xlevels[["factor(x)"]]')
    new = d.head(k)
    np.testing.assert_allclose(hlm.predict(fit, newdata=new).to_numpy(),
                               np.array(r(f"unname(predict(fit, d[1:{k}, , drop = FALSE]))")),
                               rtol=1e-10)


def test_lm_character_column_order_as_r(r):
    d = pd.DataFrame({"s": ["a", "B", "c", "b", "A", "_z", "10", "9"] * 2,
                      "y": np.arange(16.0) ** 1.5})
    _to_r(r, "d", d)
    r("fit <- lm(y ~ s, data = d)")
    fit = hlm.lm("y ~ s", d)
    assert list(fit.coefficients.index) == _strs(r, "names(coef(fit))")
    assert fit.design.frame.xlevels["s"] == _strs(r, "fit$xlevels$s")


def test_factor_labels_and_levels_arguments_as_r(r):
    d = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 2})
    _to_r(r, "d", d)
    f = 'factor(x, labels = c("a", "a", "b"))'
    mm = hlm.model_matrix(f"~ {f}", d)
    r(f"mm <- model.matrix(~ {f}, data = d)")
    assert list(mm.columns) == _strs(r, "colnames(mm)")
    np.testing.assert_array_equal(mm.to_numpy(), np.array(r("unname(mm)")))
    msg = _strs(r, "tryCatch({factor(d$x, levels = c(1, 1, 2)); ''}, "
                   "error = function(e) conditionMessage(e))")[0]
    with pytest.raises(hlm.HlmError) as err:
        hlm.model_matrix("~ factor(x, levels = c(1, 1, 2))", d)
    assert str(err.value) == msg


def test_as_character_of_doubles_as_r(r):
    from hlm_py.rbase import as_character_double

    rng = np.random.default_rng(20240611)
    x = np.concatenate([
        rng.normal(size=200) * 10.0 ** rng.integers(-20, 20, size=200),
        np.round(rng.normal(size=100) * 1e6) * 10.0 ** rng.integers(-8, 12, size=100),
        rng.integers(-10**15 + 1, 10**15, size=100).astype(float),
        rng.integers(-999, 1000, size=100) * 10.0 ** rng.integers(0, 13, size=100),
        [0.1 + 0.2, 1e5, 2e5, 1e-4, 3.0, 1e15, 1e-5, 123456.0, 0.001, 1 / 3, 2 / 3, -0.0,
         999999999999999.0, 1e22, 1e23, 1e300, 5e-324, -1.7976931348623157e308,
         -1.921967143179395e-13, 7.300143095931905e-09, float("inf"), -float("inf")],
    ])
    r("x <- c(" + ", ".join(_r_double(v) for v in x) + ")")
    assert [as_character_double(float(v)) for v in x] == _strs(r, "as.character(x)")


# ------------------------------------------------------------- lme: grouping


GROUPINGS = {
    "same-label": [0.1 + 0.2, 0.3, 0.7, 1.5],
    "scientific": [1e5, 2e5, 1e-4, 3.0],
    "case": ["a", "B", "c"],
    "collation": ["a", "B", "c", "b", "A", "_z", "10", "9"],
}


@pytest.mark.parametrize("values", list(GROUPINGS.values()), ids=list(GROUPINGS))
def test_lme_group_labels_and_order_as_nlme(r, values):
    o = hlm.datasets.load("Orthodont")
    g = pd.Series(np.resize(np.array(values, dtype=object), len(o)))
    g = g.astype(float) if not isinstance(values[0], str) else g.astype(object)
    effect = pd.Series(np.resize(np.arange(len(values), dtype=float), len(o)) * 1.7)
    d = pd.DataFrame({"y": o["distance"].to_numpy() + effect.to_numpy(),
                      "age": o["age"].to_numpy(dtype=float), "g": g})
    _to_r(r, "d", d)
    r("fit <- nlme::lme(y ~ age, random = ~ 1 | g, data = d)")
    fit = hlm.lme("y ~ age", d, random="~ 1 | g")
    assert list(hlm.ranef(fit).index) == _strs(r, "rownames(nlme::ranef(fit))")
    assert fit.grouping.labels[0] == _strs(r, "levels(fit$groups$g)")
    # predictions at the groups, matched by label as nlme matches them
    new = d.head(len(values))
    np.testing.assert_allclose(
        hlm.predict(fit, newdata=new).to_numpy(),
        np.array(r(f"unname(predict(fit, d[1:{len(values)}, ]))")), rtol=1e-6)
