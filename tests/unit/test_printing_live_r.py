"""The printing layer against R itself, live (rpy2): format rules on many
numbers, and each lm renderer on a stand-in built from R's own objects,
compared with ``capture.output(print(...))`` line for line.

Every number here comes from R during the test run; nothing is typed in.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hlm_py.printing import coefmat, matrixprint, reports
from hlm_py.printing import rformat as rf
from hlm_py.rbase.formatnum import format_real

pytestmark = pytest.mark.live_r

MODELS = {
    "seed1": "lm(mpg ~ wt + hp + qsec, data = mtcars)",
    "seed2": "lm(mpg ~ disp + drat + wt, data = mtcars)",
    "inter": "lm(mpg ~ factor(cyl) * wt, data = mtcars)",
    "small": "lm(mpg ~ wt, data = mtcars[1:6, ])",
    "alias": "lm(mpg ~ wt + I(2 * wt) + hp, data = mtcars)",
    "weighted": "lm(mpg ~ wt + hp, data = mtcars, weights = cyl)",
    "missing": "lm(y ~ x, data = data.frame(x = c(1:10, NA), y = c(2.1, 3.9, 6.2, 7.8, 10.1, 12.2, 13.8, 16.1, 18, 20.2, 5)))",
    "empty": "lm(mpg ~ 1, data = mtcars)",
    "noint": "lm(mpg ~ 0 + wt, data = mtcars)",
    "perfect": "lm(y ~ x, data = data.frame(x = 1:3, y = c(1, 2, 3)))",
    "tiny": "lm(y ~ x, data = data.frame(x = 1:20, y = (1:20) * 1e-10 + rep(c(1e-12, -1e-12), 10)))",
    "poly": "lm(log(mpg) ~ poly(hp, 2) + am, data = mtcars)",
    "all": "lm(mpg ~ ., data = mtcars)",
}


@pytest.fixture(scope="module")
def R():
    from r_reference import rsession

    return rsession.r()


def _vec(R, expr):
    return np.array(R(expr), dtype=float)


def _strs(R, expr):
    return [str(s) for s in R(expr)]


def _printed(R, expr):
    return str(R(f'paste(capture.output(print({expr})), collapse = "\\n")')[0])


def _summary_standin(R, fit):
    s = f"summary({fit})"
    cn = _strs(R, f"colnames(coef({s}))")
    rn = _strs(R, f"rownames(coef({s}))")
    cf = _vec(R, f"coef({s})").reshape(len(rn), len(cn), order="F")
    aliased = pd.Series(np.array(R(f"{s}$aliased"), dtype=bool), index=_strs(R, f"names({s}$aliased)"))
    res = pd.Series(_vec(R, f"{s}$residuals"), index=_strs(R, f"names({s}$residuals)"))
    fs = None
    if bool(R(f"!is.null({s}$fstatistic)")[0]):
        v = _vec(R, f"{s}$fstatistic")
        fs = {"value": v[0], "numdf": v[1], "dendf": v[2]}
    w = _vec(R, f"{s}$weights") if bool(R(f"!is.null({s}$weights)")[0]) else None
    na = None
    if bool(R(f"!is.null({s}$na.action)")[0]):
        na = SimpleNamespace(kind="omit", omitted_positions=_vec(R, f"as.vector({s}$na.action)"))
    return SimpleNamespace(
        call=str(R(f'paste(deparse({s}$call), collapse = "\\n")')[0]),
        residuals=res, coefficients=pd.DataFrame(cf, index=rn, columns=cn), aliased=aliased,
        sigma=_vec(R, f"{s}$sigma")[0], df=tuple(int(v) for v in _vec(R, f"{s}$df")),
        r_squared=_vec(R, f"{s}$r.squared")[0], adj_r_squared=_vec(R, f"{s}$adj.r.squared")[0],
        fstatistic=fs, weights=w, na_action=na)


def _table(R, expr):
    R(f".hlm_t <- {expr}")
    cn = _strs(R, "colnames(.hlm_t)")
    rn = _strs(R, "rownames(.hlm_t)")
    m = _vec(R, "as.matrix(.hlm_t)").reshape(len(rn), len(cn), order="F")
    return pd.DataFrame(m, index=rn, columns=cn)


@pytest.mark.parametrize("name", list(MODELS))
def test_lm_renderers_match_r(R, name):
    R(f".hlm_fit <- {MODELS[name]}")
    fit = SimpleNamespace(
        call=str(R('paste(deparse(.hlm_fit$call), collapse = "\\n")')[0]),
        coefficients=pd.Series(_vec(R, "coef(.hlm_fit)"), index=_strs(R, "names(coef(.hlm_fit))")))
    assert reports.render_lm(fit) == _printed(R, ".hlm_fit")
    assert reports.render_lm_summary(_summary_standin(R, ".hlm_fit")) == _printed(R, "summary(.hlm_fit)")
    assert reports.render_confint(SimpleNamespace(table=_table(R, "confint(.hlm_fit)"))) == \
        _printed(R, "confint(.hlm_fit)")
    if name != "empty":
        heading = _strs(R, 'as.character(attr(anova(.hlm_fit), "heading"))')
        a = SimpleNamespace(table=_table(R, "anova(.hlm_fit)"), heading=heading)
        assert reports.render_anova(a) == _printed(R, "anova(.hlm_fit)")


def test_anova_model_comparison_matches_r(R):
    expr = "anova(lm(mpg ~ wt, mtcars), lm(mpg ~ wt + hp + qsec, mtcars), lm(mpg ~ ., mtcars))"
    heading = _strs(R, f'as.character(attr({expr}, "heading"))')
    a = SimpleNamespace(table=_table(R, expr), heading=heading)
    assert reports.render_anova(a) == _printed(R, expr)


@pytest.fixture(scope="module")
def numbers():
    rng = np.random.default_rng(20221031)
    x = rng.uniform(-10, 10, 3000) * 10.0 ** rng.integers(-20, 20, 3000)
    wide = rng.uniform(1, 10, 500) * 10.0 ** rng.integers(-320, 308, 500)
    rounded = np.array([round(a, int(b)) for a, b in zip(rng.uniform(-100, 100, 500), rng.integers(0, 6, 500))])
    edge = [0.0, 9996.0, 99999.5, 0.5, 1.5, 2.5, 0.15, 0.25, 1e15, 1e5, 1e-5, 99.99995, 1 - 1e-10]
    return np.concatenate([edge, x, wide, rounded])


def _send(R, name, x):
    import rpy2.robjects as ro

    ro.globalenv[name] = ro.FloatVector(x)


@pytest.mark.parametrize("digits", [1, 3, 4, 5, 7, 15])
def test_format_single_numbers_match_r(R, numbers, digits):
    _send(R, ".hlm_x", numbers)
    theirs = _strs(R, f"unlist(format(as.list(.hlm_x), digits = {digits}))")
    mine = [format_real([v], digits=digits, trim=True)[0] for v in numbers]
    assert mine == theirs


@pytest.mark.parametrize("digits", [2, 4, 7])
def test_format_common_vectors_match_r(R, numbers, digits):
    _send(R, ".hlm_x", numbers)
    theirs = _strs(R, f"vapply(split(.hlm_x, (seq_along(.hlm_x) - 1) %/% 4), "
                      f"function(v) paste(format(c(v, NA), digits = {digits}), collapse = '|'), '')")
    groups = [list(numbers[i:i + 4]) + [float("nan")] for i in range(0, len(numbers), 4)]
    mine = ["|".join(format_real(g, digits=digits)) for g in groups]
    assert mine == theirs


def test_signif_round_formatc_pval_match_r(R, numbers):
    _send(R, ".hlm_x", numbers)
    for d in (1, 4, 6):
        assert [rf.signif(v, d) for v in numbers] == list(_vec(R, f"signif(.hlm_x, {d})"))
    for d in (0, 2, 5, -1):
        assert [rf.round_r(v, d) for v in numbers] == list(_vec(R, f"round(.hlm_x, {d})"))
    assert rf.format_c(numbers, digits=4) == _strs(R, "formatC(.hlm_x, digits = 4)")
    assert rf.format_c(numbers, digits=3, format="fg") == _strs(R, 'formatC(.hlm_x, digits = 3, format = "fg")')
    pv = np.abs(numbers[:400]) / 1e4
    _send(R, ".hlm_p", pv)
    assert rf.format_pval(pv, digits=3) == _strs(R, "format.pval(.hlm_p, digits = 3)")


def test_matrix_and_vector_prints_match_r(R):
    import rpy2.robjects as ro

    rng = np.random.default_rng(7)
    for _t in range(12):
        nr, nc = int(rng.integers(1, 6)), int(rng.integers(1, 13))
        m = rng.normal(size=(nr, nc)) * 10.0 ** rng.integers(-6, 8, size=nc)
        m[0, 0] = np.nan
        rn = [f"row{'x' * int(rng.integers(0, 10))}{i}" for i in range(nr)]
        cn = [f"col{'y' * int(rng.integers(0, 8))}{j}" for j in range(nc)]
        ro.globalenv[".hlm_m"] = ro.r.matrix(ro.FloatVector(m.ravel(order="F")), nrow=nr)
        ro.globalenv[".hlm_rn"] = ro.StrVector(rn)
        ro.globalenv[".hlm_cn"] = ro.StrVector(cn)
        R(".hlm_m[is.nan(.hlm_m)] <- NA; dimnames(.hlm_m) <- list(.hlm_rn, .hlm_cn)")
        assert matrixprint.print_matrix(m, rn, cn) == _printed(R, ".hlm_m")
        assert matrixprint.print_data_frame(pd.DataFrame(m, index=rn, columns=cn)) == \
            _printed(R, "as.data.frame(.hlm_m)")
        v = m.ravel()
        assert matrixprint.print_vector(v) == _printed(R, "as.vector(t(.hlm_m))")
        names = [f"n{'z' * int(rng.integers(0, 12))}" for _ in v]
        ro.globalenv[".hlm_nn"] = ro.StrVector(names)
        assert matrixprint.print_named_vector(v, names, digits=4) == \
            _printed(R, "setNames(as.vector(t(.hlm_m)), .hlm_nn), digits = 4")


def test_legend_matches_r(R):
    theirs = str(R('attr(symnum(0.5, corr = FALSE, na = FALSE, cutpoints = c(0, .001, .01, .05, .1, 1), '
                   'symbols = c("***", "**", "*", ".", " ")), "legend")')[0])
    assert coefmat.signif_legend() == theirs


def test_abbreviate_matches_r(R):
    import rpy2.robjects as ro

    cases = [["(Intercept)", "age", "SexFemale", "age:SexFemale"],
             ["cses", "meanses", "sectorCatholic", "cses:sectorCatholic"],
             ["aaaa", "aaab", "aaac", "aaaaa"], ["hello world foo", "hello world bar", "x y"],
             ["Straße", "éléphant moyen", "naïve Ölmühle"]]
    for names in cases:
        ro.globalenv[".hlm_nn"] = ro.StrVector(names)
        for m in (1, 4, 6, 8):
            assert rf.abbreviate(names, m) == _strs(R, f"unname(abbreviate(.hlm_nn, minlength = {m}))")


def test_nlme_style_rows_match_r(R):
    R("suppressPackageStartupMessages(library(nlme)); "
      ".hlm_f <- lme(distance ~ age, data = Orthodont, random = ~ 1 | Subject)")
    sd = _vec(R, "c(as.numeric(VarCorr(.hlm_f)[1, 2]), .hlm_f$sigma)")
    assert matrixprint.print_row(sd, "StdDev:", ["(Intercept)", "Residual"]) == _printed(
        R, 'array(c(as.numeric(VarCorr(.hlm_f)[1, 2]), .hlm_f$sigma), c(1, 2), '
           'list("StdDev:", c("(Intercept)", "Residual")))')
    res = _vec(R, 'residuals(.hlm_f, type = "pearson")')
    assert reports.residual_quantiles(res, 7, names=("Min", "Q1", "Med", "Q3", "Max"), zap=False) == \
        _printed(R, "summary(.hlm_f)$residuals")
