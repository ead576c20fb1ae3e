"""lme inference: containment DF, summary, VarCorr, anova, apVar, intervals and their prints.

Identities and invariants only; R's numbers reach the tests through the goldens
(tests/golden/test_golden_lme.py) and tests/unit/test_lme_intervals_differences.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.lme import apvar as lme_apvar
from hlm_py.lme import inference as inf
from hlm_py.lme.results import AnovaLme, IntervalsLme, LmeSummary, VarCorrLme
from hlm_py.verify.compare import Row
from hlm_py.verify.lme_cases import PrintedText


def _data(n_groups=15, per=6, seed=1):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, per + 1, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    n = g.size
    x = rng.normal(size=n)              # varies within groups
    w = rng.normal(size=n_groups)[g]    # constant within groups
    b0 = rng.normal(size=n_groups) * 1.2
    b1 = rng.normal(size=n_groups) * 0.5
    y = 1 + 0.7 * x + 0.4 * w + b0[g] + b1[g] * x + rng.normal(size=n)
    df = pd.DataFrame({"y": y, "x": x, "w": w, "g": [f"G{k:02d}" for k in g]})
    df.attrs["name"] = "dat"
    return df


def _nested(seed=2):
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(5):
        ua = rng.normal() * 1.5
        for b in range(3):
            ub = rng.normal()
            for _ in range(4):
                x = rng.normal()
                rows.append({"y": 3 + 0.5 * x + ua + ub + rng.normal(), "x": x,
                             "A": f"a{a}", "B": f"b{b}"})
    df = pd.DataFrame(rows)
    df.attrs["name"] = "nest"
    return df


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def fit(data):
    return hlm.lme("y ~ x + w", data, random="~ x | g")


@pytest.fixture(scope="module")
def fit_ml(data):
    return hlm.lme("y ~ x + w", data, random="~ 1 | g", method="ML")


# ---------------------------------------------------------------------------
# containment degrees of freedom


def test_fixdf_empty_model_is_n_minus_groups(data):
    f = hlm.lme("y ~ 1", data, random="~ 1 | g")
    fd = inf.fix_df(f)
    G = data["g"].nunique()
    assert fd.X["(Intercept)"] == len(data) - G
    assert fd.terms["(Intercept)"] == len(data) - G


def test_fixdf_inner_and_outer(fit, data):
    fd = inf.fix_df(fit)
    N, G = len(data), data["g"].nunique()
    # x varies within groups: residual stratum, N - G - 1 (one within column)
    assert fd.X["x"] == N - G - 1
    # w is constant within groups: group stratum, G - 1 (intercept) - 1 (w)
    assert fd.X["w"] == G - 2
    # the intercept gets the largest stratum DF
    assert fd.X["(Intercept)"] == N - G - 1
    assert list(fd.terms.index) == ["(Intercept)", "x", "w"]
    assert fd.assign == {"(Intercept)": [0], "x": [1], "w": [2]}


def test_fixdf_nested_levels():
    d = _nested()
    d["u"] = d.groupby(["A", "B"])["x"].transform("mean")  # constant within A/B
    f = hlm.lme("y ~ x + u", d, random="~ 1 | A/B")
    fd = inf.fix_df(f)
    n_a, n_ab, N = 5, 15, len(d)
    assert fd.X["u"] == (n_ab - n_a) - 1
    assert fd.X["x"] == (N - n_ab) - 1
    assert fd.X["(Intercept)"] == N - n_ab - 1


# ---------------------------------------------------------------------------
# summary


def test_summary_table_identities(fit):
    s = hlm.summary(fit)
    assert isinstance(s, LmeSummary)
    t = s.tTable
    assert list(t.columns) == ["Value", "Std.Error", "DF", "t-value", "p-value"]
    np.testing.assert_allclose(t["Value"], hlm.fixef(fit))
    np.testing.assert_allclose(t["Std.Error"], np.sqrt(np.diag(hlm.vcov(fit))))
    np.testing.assert_allclose(t["t-value"], t["Value"] / t["Std.Error"])
    np.testing.assert_allclose(t["p-value"], 2 * stats.t.sf(np.abs(t["t-value"]), t["DF"]))
    c = s.corFixed.to_numpy()
    np.testing.assert_allclose(np.diag(c), 1.0)
    np.testing.assert_allclose(c, c.T)
    assert list(s.residuals.index) == ["Min", "Q1", "Med", "Q3", "Max"]
    r = hlm.residuals(fit, type="pearson").to_numpy()
    assert s.residuals["Min"] == r.min() and s.residuals["Max"] == r.max()
    assert s.residuals["Med"] == pytest.approx(np.median(r))
    assert s.AIC == pytest.approx(hlm.AIC(fit)) and s.BIC == pytest.approx(hlm.BIC(fit))
    pd.testing.assert_frame_equal(s.to_frame(), t)


def test_summary_ml_adjusts_sigma(fit_ml):
    t = hlm.summary(fit_ml).tTable
    n, p = hlm.nobs(fit_ml), t.shape[0]
    np.testing.assert_allclose(t["Std.Error"], np.sqrt(np.diag(hlm.vcov(fit_ml)) * n / (n - p)))
    t0 = hlm.summary(fit_ml, adjustSigma=False).tTable
    np.testing.assert_allclose(t0["Std.Error"], np.sqrt(np.diag(hlm.vcov(fit_ml))))


# ---------------------------------------------------------------------------
# anova


def test_anova_single_df_terms_are_squared_t(fit, fit_ml):
    for f in (fit, fit_ml):
        t = hlm.summary(f).tTable
        marg = hlm.anova(f, type="marginal").to_frame()
        np.testing.assert_allclose(marg["F-value"].to_numpy(), t["t-value"].to_numpy() ** 2,
                                   rtol=1e-9)
        seq = hlm.anova(f).to_frame()
        # the last term is adjusted for all others in both
        assert seq["F-value"].iloc[-1] == pytest.approx(marg["F-value"].iloc[-1], rel=1e-9)
        np.testing.assert_allclose(seq["p-value"], stats.f.sf(seq["F-value"], seq["numDF"],
                                                              seq["denDF"]))
        np.testing.assert_array_equal(seq["denDF"], inf.fix_df(f).terms.to_numpy())


def test_anova_sequential_is_order_dependent_marginal_sums(data):
    d = data.assign(f=pd.Categorical(np.where(data["x"] > 0, "hi", np.where(data["w"] > 0, "mid", "lo"))))
    f = hlm.lme("y ~ f + x", d, random="~ 1 | g")
    a = hlm.anova(f).to_frame()
    assert list(a.columns) == ["numDF", "denDF", "F-value", "p-value"]
    assert a.loc["f", "numDF"] == 2
    # the Wald statistic of all non-intercept terms, once
    b = hlm.fixef(f).to_numpy()[1:]
    V = hlm.vcov(f).to_numpy()[1:, 1:]
    w_all = b @ np.linalg.solve(V, b)
    num = a["numDF"].to_numpy()[1:]
    assert float((a["F-value"].to_numpy()[1:] * num).sum()) == pytest.approx(w_all, rel=1e-9)


def test_anova_compare_lrt(data):
    m0 = hlm.lme("y ~ x", data, random="~ 1 | g", method="ML")
    m1 = hlm.lme("y ~ x + w", data, random="~ 1 | g", method="ML")
    a = hlm.anova(m0, m1)
    assert isinstance(a, AnovaLme) and a.kind == "compare"
    t = a.to_frame()
    assert list(t.index) == ["m0", "m1"]
    assert list(t.columns) == ["Model", "df", "AIC", "BIC", "logLik", "Test", "L.Ratio", "p-value"]
    lr = 2 * abs(float(hlm.logLik(m1)) - float(hlm.logLik(m0)))
    assert t["L.Ratio"].iloc[1] == pytest.approx(lr)
    assert t["p-value"].iloc[1] == pytest.approx(stats.chi2.sf(lr, 1))
    assert math.isnan(t["L.Ratio"].iloc[0]) and t["Test"].iloc[1] == "1 vs 2"
    assert t["AIC"].iloc[0] == pytest.approx(hlm.AIC(m0))
    assert list(hlm.anova(m0, m1, names=["a", "b"]).to_frame().index) == ["a", "b"]


def test_anova_compare_rules(data):
    r0 = hlm.lme("y ~ x", data, random="~ 1 | g")
    r1 = hlm.lme("y ~ x + w", data, random="~ 1 | g")
    with pytest.warns(UserWarning, match="fitted objects with different fixed effects. "
                                         "REML comparisons are not meaningful."):
        t = hlm.anova(r0, r1).to_frame()
    assert t.shape[0] == 2
    m1 = hlm.lme("y ~ x + w", data, random="~ 1 | g", method="ML")
    with pytest.raises(HlmError, match="same estimation method"):
        hlm.anova(r0, m1)
    # same fixed effects under REML: no warning
    r2 = hlm.lme("y ~ x", data, random="~ x | g")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hlm.anova(r0, r2)


# ---------------------------------------------------------------------------
# VarCorr


def test_varcorr_numbers(fit):
    vc = hlm.VarCorr(fit)
    assert isinstance(vc, VarCorrLme)
    fr = vc.to_frame()
    s = hlm.sigma(fit)
    assert list(fr.index) == ["(Intercept)", "x", "Residual"]
    np.testing.assert_allclose(fr["Variance"].iloc[:2], s ** 2 * np.diag(fit.psi[0]))
    np.testing.assert_allclose(fr["StdDev"] ** 2, fr["Variance"])
    assert fr["Variance"].iloc[-1] == pytest.approx(s ** 2)
    c = fit.psi[0][0, 1] / math.sqrt(fit.psi[0][0, 0] * fit.psi[0][1, 1])
    assert fr.loc["x", "Corr"] == pytest.approx(c)
    text = str(vc).split("\n")
    assert text[0] == "g = pdLogChol(x) "
    assert text[1].split() == ["Variance", "StdDev", "Corr"]
    assert text[-1].startswith("Residual")


def test_varcorr_several_levels_print():
    f = hlm.lme("y ~ x", _nested(), random="~ 1 | A/B")
    lines = str(hlm.VarCorr(f)).split("\n")
    assert lines[1].startswith("A =") and "pdLogChol(1)" in lines[1]
    assert lines[3].startswith("B =")
    assert lines[-1].startswith("Residual")
    s = str(hlm.summary(f))
    assert " Formula: ~1 | B %in% A" in s
    assert "Number of Groups: " in s and "B %in% A" in s.split("Number of Groups: ")[1]


# ---------------------------------------------------------------------------
# apVar and intervals


def test_apvar_natural_parameters(fit):
    av = lme_apvar.apvar(fit)
    pars = av.Pars
    assert list(pars.index) == ["reStruct.g1", "reStruct.g2", "reStruct.g3", "lSigma"]
    vc = hlm.VarCorr(fit).to_frame()
    assert pars["reStruct.g1"] == pytest.approx(math.log(vc["StdDev"].iloc[0]))
    assert pars["reStruct.g2"] == pytest.approx(math.log(vc["StdDev"].iloc[1]))
    r = vc.loc["x", "Corr"]
    assert pars["reStruct.g3"] == pytest.approx(math.log((1 + r) / (1 - r)))
    assert pars["lSigma"] == pytest.approx(math.log(hlm.sigma(fit)))
    M = av.matrix.to_numpy()
    np.testing.assert_allclose(M, M.T, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(M) > 0)


def test_apvar_function_is_the_loglik(fit):
    """The QR path equals the fit's own likelihood up to nlme's constant."""
    f = lme_apvar.natural_loglik(fit)
    p0 = lme_apvar.natural_params(fit).to_numpy()
    lik = fit.likelihood
    diffs = []
    for shift in (0.0, 0.1, -0.2):
        p = p0 + shift
        sigma = math.exp(p[-1])
        D = fit.levels[0].pd.matrix_of_natural(p[:3], 2)
        theta = lik.theta_from_psi([D / sigma ** 2])
        diffs.append(f(p) - lik.loglik_fixed_sigma(theta, sigma))
    const = lik.n_eff / 2 * math.log(2 * math.pi)
    np.testing.assert_allclose(diffs, const, rtol=1e-10)
    # the maximum over sigma with Psi fixed is at the estimate: gradient ~ 0
    _, grad, H = lme_apvar.fd_hessian(p0, f, rel_step=1e-4, min_abs_par=1.0)
    assert np.max(np.abs(grad)) < 1e-4 * np.max(np.abs(H))


def test_apvar_hessian_step_invariance(fit):
    f = lme_apvar.natural_loglik(fit)
    p0 = lme_apvar.natural_params(fit).to_numpy()
    H1 = lme_apvar.central_hessian(p0, f, rel_step=1e-3)
    H2 = lme_apvar.central_hessian(p0, f, rel_step=5e-4)
    np.testing.assert_allclose(H1, H2, rtol=1e-5, atol=1e-6 * np.abs(H1).max())
    # nlme's design agrees to its own (coarser) accuracy
    H3 = lme_apvar.fd_hessian(p0, f)[2]
    np.testing.assert_allclose(H3, H1, rtol=1e-2, atol=1e-2 * np.abs(H1).max())


def test_fd_hessian_exact_on_quadratics():
    A = np.array([[-3.0, 0.5, 0.2], [0.5, -2.0, 0.1], [0.2, 0.1, -1.0]])
    b = np.array([0.3, -0.2, 0.1])
    fun = lambda p: 0.5 * p @ A @ p + b @ p + 4.0  # noqa: E731
    mean, grad, H = lme_apvar.fd_hessian(np.array([1.0, -2.0, 0.5]), fun)
    np.testing.assert_allclose(H, A, rtol=1e-3)
    np.testing.assert_allclose(grad, A @ np.array([1.0, -2.0, 0.5]) + b, rtol=1e-6)
    np.testing.assert_allclose(lme_apvar.central_hessian(np.array([1.0, -2.0, 0.5]), fun), A, rtol=1e-6)


def test_intervals_structure(fit):
    iv = hlm.intervals(fit)
    assert isinstance(iv, IntervalsLme)
    np.testing.assert_allclose(iv.fixed["est."], hlm.fixef(fit))
    assert (iv.fixed["lower"] < iv.fixed["est."]).all() and (iv.fixed["est."] < iv.fixed["upper"]).all()
    half = iv.fixed["upper"] - iv.fixed["est."]
    dfx = inf.fix_df(fit).X
    np.testing.assert_allclose(half, stats.t.ppf(0.975, dfx) * np.sqrt(np.diag(hlm.vcov(fit))))
    re = iv.reStruct["g"]
    assert list(re.index) == ["sd((Intercept))", "sd(x)", "cor((Intercept),x)"]
    assert list(re.columns) == ["lower", "est.", "upper"]
    assert (re["lower"] < re["est."]).all() and (re["est."] < re["upper"]).all()
    assert iv.sigma["est."] == pytest.approx(hlm.sigma(fit))
    narrow = hlm.intervals(fit, level=0.5)
    assert (narrow.reStruct["g"]["upper"] < re["upper"]).all()
    only = hlm.intervals(fit, which="fixed")
    assert only.reStruct is None and only.sigma is None
    text = str(iv)
    assert text.startswith("Approximate 95% confidence intervals\n\n Fixed effects:")
    assert "  Level: g " in text and " Within-group standard error:" in text
    assert str(narrow).startswith("Approximate 50% confidence intervals")


def test_intervals_refused_at_the_boundary():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(10), 5)
    d = pd.DataFrame({"y": rng.normal(size=50), "g": [f"g{k}" for k in g]})
    # no group effect at all in the data: the variance goes to the boundary
    d["y"] = d["y"] - d.groupby("g")["y"].transform("mean") + 0.0
    f = hlm.lme("y ~ 1", d, random="~ 1 | g")
    with pytest.raises(HlmError, match="Non-positive definite approximate variance-covariance"):
        hlm.intervals(f)
    assert hlm.intervals(f, which="fixed").fixed is not None
    with pytest.raises(HlmError, match="'arg' should be one of"):
        hlm.intervals(f, which="nonsense")


# ---------------------------------------------------------------------------
# printing


def test_print_fit_and_summary_layout(fit, fit_ml):
    p = str(fit).split("\n")
    assert p[0] == "Linear mixed-effects model fit by REML"
    assert p[1] == "  Data: dat "
    assert p[2].startswith("  Log-restricted-likelihood: ")
    assert p[3] == "  Fixed: y ~ x + w "
    assert p[-2].startswith("Number of Observations: ")
    assert p[-1] == f"Number of Groups: {fit.grouping.n_groups[0]} "
    assert str(fit_ml).split("\n")[2].startswith("  Log-likelihood: ")
    s = str(hlm.summary(fit)).split("\n")
    assert s[2].split() == ["AIC", "BIC", "logLik"]
    assert "Fixed effects:  y ~ x + w " in s
    assert " Correlation: " in s
    assert "Standardized Within-Group Residuals:" in s
    i = s.index("Standardized Within-Group Residuals:")
    assert s[i + 1].split() == ["Min", "Q1", "Med", "Q3", "Max"]
    assert "maximum likelihood" in str(hlm.summary(fit_ml)).split("\n")[0]


def test_print_anova(fit):
    lines = str(hlm.anova(fit)).split("\n")
    assert lines[0].split() == ["numDF", "denDF", "F-value", "p-value"]
    assert [ln.split()[0] for ln in lines[1:]] == ["(Intercept)", "x", "w"]


# ---------------------------------------------------------------------------
# the early-stop rule of lme_cases


def test_printed_text_rule():
    r = "a 1.0001\nb 2"
    ok = PrintedText("a 1.0002\nb 2", lambda: "a 1.0001\nb 2").compare("c", "printed:x", r)
    assert isinstance(ok, Row) and ok.ok and "early stop" in ok.detail
    bad = PrintedText("a 1.0002\nb 2", lambda: "a  1.0001\nb 2").compare("c", "printed:x", r)
    assert not bad.ok
    none = PrintedText("a 1.0002\nb 2").compare("c", "printed:x", r)
    assert not none.ok
    same = PrintedText(r, lambda: "anything").compare("c", "printed:x", r)
    assert same.ok


# ---------------------------------------------------------------------------
# the documented differences from R (docs/differences.md, "lme: ..." sections)
#
# The sizes are asserted by the comparison itself (hlm_py.verify.lme_rules:
# a declared row larger than its size fails, a declaration no row needs fails);
# these tests keep the declarations, the goldens and the page consistent.


def _golden_cases():
    from hlm_py.verify.goldens import default_golden_dir, golden_files, load_golden

    return [load_golden(p) for kind in ("lme", "gls", "lme_struct")
            for p in golden_files(default_golden_dir(), kind)]


def test_documented_lme_differences_are_on_the_page_and_in_the_catalogue():
    from pathlib import Path

    from hlm_py.verify.lme_rules import DOCUMENTED

    page = (Path(__file__).resolve().parents[2] / "docs" / "differences.md").read_text(
        encoding="utf-8")
    names = {g["case"]["name"] for g in _golden_cases()}
    for d in DOCUMENTED:
        assert d.case in names, d
        assert f"## {d.where}" in page, d
        assert d.case in page, d
        assert d.size > 0


def test_declared_rows_fail_beyond_their_size_and_when_gone():
    from hlm_py.verify import lme_rules
    from hlm_py.verify.compare import Row

    entry = lme_rules.Documented("caseX", "intervals/reStruct/*", 0.01, "lme intervals")
    old = list(lme_rules.DOCUMENTED)
    try:
        lme_rules.DOCUMENTED[:] = [entry]
        within = Row("caseX", "intervals/reStruct/g", 3, 0.005, False, "d")
        beyond = Row("caseX", "intervals/reStruct/g", 3, 0.02, False, "d")
        gone = Row("caseX", "intervals/reStruct/g", 3, 1e-4, True)
        (r1,) = lme_rules.apply_lme_rules("caseX", [within], {}, {})
        assert r1.ok and r1.documented
        (r2,) = lme_rules.apply_lme_rules("caseX", [beyond], {}, {})
        assert not r2.ok
        rows = lme_rules.apply_lme_rules("caseX", [gone], {}, {})
        assert rows[0].ok and not rows[1].ok and "gone" in rows[1].detail
    finally:
        lme_rules.DOCUMENTED[:] = old


def test_boundary_levels_from_golden():
    from hlm_py.verify.compare import golden_targets
    from hlm_py.verify.lme_rules import BOUNDARY_SD_RATIO, boundary_levels

    found = {}
    for g in _golden_cases():
        lev = boundary_levels(golden_targets("lme", g))
        if lev:
            found[g["case"]["name"]] = lev
    for name in ("synthetic_boundary", "synthetic_boundary_ml", "dyestuff2_boundary"):
        assert name in found and all(v < BOUNDARY_SD_RATIO for v in found[name].values())
    assert "dyestuff" not in found


def test_anova_compare_takes_lm_fits_as_nlme_does(data):
    # nlme's anova.lme: an lm has no estimation method and joins the fits' method
    m0 = hlm.lme("y ~ x", data, random="~ 1 | g", method="ML")
    l0 = hlm.lm("y ~ x", data)
    l1 = hlm.lm("y ~ x + w", data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = hlm.anova(m0, l0, l1).to_frame()
    assert list(t.index) == ["m0", "l0", "l1"]
    ll = hlm.logLik(l0)
    assert t.loc["l0", "logLik"] == float(ll) and t.loc["l0", "df"] == ll.df == 3
    assert t.loc["l1", "AIC"] == pytest.approx(hlm.AIC(l1), rel=1e-14)
    assert t.loc["l1", "BIC"] == pytest.approx(hlm.BIC(l1), rel=1e-14)
    lr = 2 * abs(float(hlm.logLik(m0)) - float(ll))
    assert t["L.Ratio"].iloc[1] == pytest.approx(lr, rel=1e-12)
    assert list(t["Test"]) == ["", "1 vs 2", "2 vs 3"]
    # REML: the lm's REML log-likelihood; different fixed effects warn as nlme
    r0 = hlm.lme("y ~ x", data, random="~ 1 | g")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = hlm.anova(r0, l0).to_frame()
    assert t.loc["l0", "logLik"] == float(hlm.logLik(l0, REML=True))
    assert t.loc["l0", "BIC"] == pytest.approx(
        -2 * float(hlm.logLik(l0, REML=True)) + math.log(data.shape[0] - 2) * 3, rel=1e-14)
    with pytest.warns(UserWarning, match="fitted objects with different fixed effects"):
        hlm.anova(r0, l1)


def test_anova_compare_refuses_what_is_not_a_fit(data):
    m0 = hlm.lme("y ~ x", data, random="~ 1 | g", method="ML")
    for other in (3, "fit", None):
        with pytest.raises(HlmError, match='objects must inherit from classes "gls", "gnls", '
                                           '"lm"'):
            hlm.anova(m0, other)
    with pytest.raises(HlmError, match="same number of observations"):
        hlm.anova(m0, hlm.lm("y ~ x", data.iloc[:-3]))
