"""Properties of ``lme`` that need no R.

* lm is the boundary of the random-effects model (random variance 0): the
  maximised (RE)ML log-likelihood of lme is never below lm's (same method);
  when the data carry no between-group variation at all the random variance
  goes to 0 and lme's fixed effects approach lm's coefficients.
* A balanced one-way random-intercept model with group-level covariates has
  closed-form estimates: fixed effects = OLS (on the group means) for REML and
  ML alike, sigma^2 = within-group SS / (N - k), and the between-group
  variance tau = sigma^2 + n sigma_b^2 estimated by SSB / (k - p) (REML) or
  SSB / k (ML), SSB being n times the RSS of the group means' regression.
* Row order and the labels of the groups do not change the fit.

Tolerances: the estimates of an iterative fit are known to the precision of
its convergence, not to rounding. The log-likelihood at the optimum is flat:
two points whose logLik differ by delta differ by about sqrt(2 delta)
standard errors. We ask logLik to 1e-7 absolute (the brief's bound versus
nlme) and estimates to 1e-4 of their standard error / relative.
"""

from __future__ import annotations

import warnings

import calls
import checks
import numpy as np
import pandas as pd
import strategies as S
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from reproducer import emit

import hlm_py as hlm
from hlm_py.errors import HlmError

LL_TOL = 1e-7


def _emit(p: S.Problem, title: str, extra_py: str = "", extra_r: str = "") -> None:
    emit(title, p.data, f"fit <- {calls.lme_r_call(p)}\n{extra_r}".rstrip(),
         f"fit = {calls.lme_py_call(p)}\n{extra_py}".rstrip(), kind="lme",
         args=calls.lme_case_args(p))


def _lme(p: S.Problem, data: pd.DataFrame | None = None, method: str | None = None,
         refusals: list[HlmError] | None = None):
    """The fit, or None where hlm_py refuses (the error appended to ``refusals``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return calls.fit_lme(p, data=data, method=method)
        except HlmError as exc:
            note(f"hlm_py lme refused: {exc}")
            if refusals is not None:
                refusals.append(exc)
            return None


def _lm(formula: str, data: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hlm.lm(formula, data)


def _se(fit) -> pd.Series:
    return hlm.summary(fit).tTable["Std.Error"]


@settings(max_examples=examples(0.75))
@given(p=S.lme_problems())
def test_lme_loglik_not_below_lm(p: S.Problem) -> None:
    """lm is lme with zero random variance: lme's maximum is at least lm's."""
    _emit(p, "test_lme_loglik_not_below_lm", f"hlm.logLik(hlm.lm({p.formula!r}, d), "
          f"REML={p.method == 'REML'})", f"logLik(lm({p.formula}, d), REML = "
          f"{'TRUE' if p.method == 'REML' else 'FALSE'})")
    fit = _lme(p)
    assume(fit is not None)
    lmfit = _lm(p.formula, p.data)
    assume(not hlm.coef(lmfit).isna().any())
    ll_lm = float(hlm.logLik(lmfit, REML=(p.method == "REML")))
    ll = float(hlm.logLik(fit))
    note(f"logLik lme {ll!r}, lm {ll_lm!r}")
    assert ll >= ll_lm - LL_TOL, f"lme logLik {ll!r} below lm's {ll_lm!r} by {ll_lm - ll:.3g}"


def _no_between_variation(p: S.Problem) -> pd.DataFrame | None:
    """y = X b + e with e orthogonal to the fixed effects *and* to the group
    indicators: lm's residuals have zero group sums."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            X = hlm.model_matrix(p.formula, p.data).to_numpy(dtype=float)
        except HlmError:
            return None
    Z = pd.get_dummies(p.data["g"].astype(object)).to_numpy(dtype=float)
    A = np.hstack([X, Z])
    rng = np.random.default_rng(len(p.data))
    u = rng.standard_normal(len(p.data))
    q, r = np.linalg.qr(A)
    rank = int(np.sum(np.abs(np.diag(r)) > 1e-10 * np.abs(r).max()))
    if len(p.data) - rank < 3:
        return None
    e = u - q @ (q.T @ u)
    beta = rng.standard_normal(X.shape[1])
    d2 = p.data.copy()
    d2["y"] = X @ beta + e
    return d2


@settings(max_examples=examples(0.5))
@given(p=S.lme_problems().filter(lambda p: p.random == "~ 1 | g"))
def test_lme_without_between_variation_is_lm(p: S.Problem) -> None:
    """No between-group variation: the random variance goes to 0, lme -> lm."""
    d2 = _no_between_variation(p)
    assume(d2 is not None)
    p = S.Problem(d2, p.formula, p.meta, random=p.random, method=p.method)
    _emit(p, "test_lme_without_between_variation_is_lm", f"hlm.coef(hlm.lm({p.formula!r}, d))")
    fit = _lme(p)
    assume(fit is not None)
    lmfit = _lm(p.formula, p.data)
    coef = hlm.coef(lmfit)
    assume(not coef.isna().any())
    # an essentially perfect fit (R's summary.lm rule: residual variance below
    # 1e-30 of the fitted values' mean square): the residuals are rounding,
    # whose group structure the random effects take up (P6)
    f = np.asarray(hlm.fitted(lmfit), dtype=float)
    r = np.asarray(hlm.residuals(lmfit), dtype=float)
    rdf = lmfit.df_residual()
    assume(rdf > 0 and float(r @ r) / rdf >= (f.mean() ** 2 + f.var(ddof=1)) * 1e-30)
    fe = hlm.fixef(fit)
    se = hlm.summary(lmfit).coefficients["Std. Error"]
    assert list(fe.index) == list(coef.index)
    checks.assert_close("fixef - lm coef (in standard errors)",
                        ((fe - coef) / se).to_numpy(dtype=float), np.zeros(len(fe)), rtol=0.0,
                        atol=1e-4, names=list(fe.index))
    ll_lm = float(hlm.logLik(lmfit, REML=(p.method == "REML")))
    ll = float(hlm.logLik(fit))
    assert ll >= ll_lm - LL_TOL
    assert ll - ll_lm <= 1e-6, f"lme logLik {ll!r} above lm's {ll_lm!r} with no between variation"


@st.composite
def balanced_one_way(draw: st.DrawFn) -> S.Problem:
    k = draw(st.integers(3, 10), label="groups")
    n = draw(st.integers(2, 6), label="per group")
    p_cov = draw(st.integers(0, 2), label="group-level covariates")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    g = np.repeat(np.arange(k), n)
    cols: dict[str, object] = {}
    for j in range(p_cov):
        cols[f"w{j + 1}"] = np.round(rng.standard_normal(k), 2)[g]
    sb = draw(st.sampled_from([1.0, 2.0, 5.0]))
    scale = 10.0 ** draw(st.integers(-4, 4))
    y = (1.0 + sum(np.asarray(v) for v in cols.values()) + sb * rng.standard_normal(k)[g]
         + rng.standard_normal(k * n)) * scale
    labels = [f"G{i + 1}" for i in range(k)]
    df = pd.DataFrame({"y": y, **cols, "g": pd.Categorical([labels[i] for i in g],
                                                           categories=labels)},
                      index=pd.RangeIndex(1, k * n + 1))
    perm = rng.permutation(k * n) if draw(st.booleans()) else np.arange(k * n)
    df = df.iloc[perm]
    rhs = " + ".join(cols) or "1"
    meta = S.Meta(numeric=list(cols), group=["g"])
    return S.Problem(df, f"y ~ {rhs}", meta, random="~ 1 | g", method="REML")


@settings(max_examples=examples(0.5))
@given(p=balanced_one_way())
def test_balanced_one_way_closed_form(p: S.Problem) -> None:
    """REML and ML agree on the fixed effects (OLS) and on sigma; their
    between-group variances are the ANOVA estimators with k - p and k."""
    _emit(p, "test_balanced_one_way_closed_form", "hlm.VarCorr(fit)")
    d = p.data
    k = d["g"].nunique()
    n = len(d) // k
    gm = d.groupby("g", observed=True)["y"].transform("mean").to_numpy()
    y = d["y"].to_numpy()
    ssw = float(np.sum((y - gm) ** 2))
    sigma2 = ssw / (len(d) - k)
    lmfit = _lm(p.formula, d)
    means = d.groupby("g", observed=True).first()
    means["y"] = d.groupby("g", observed=True)["y"].mean()
    mlm = _lm(p.formula, means.reset_index())
    pcols = len(hlm.coef(mlm))
    assume(k - pcols >= 1)  # the REML estimator needs a between-group residual df
    ssb = n * float(np.sum(np.asarray(hlm.residuals(mlm)) ** 2))
    tau = {"REML": ssb / (k - pcols), "ML": ssb / k}
    assume(tau["ML"] > 1.01 * sigma2)  # interior optimum for both methods
    for method in ("REML", "ML"):
        fit = _lme(p, method=method)
        assert fit is not None, f"hlm_py refuses the balanced one-way model ({method})"
        fe = hlm.fixef(fit)
        coef = hlm.coef(lmfit)
        se = _se(fit)
        checks.assert_close(f"{method} fixef - OLS (in standard errors)",
                            ((fe - coef) / se).to_numpy(dtype=float), np.zeros(len(fe)),
                            rtol=0.0, atol=1e-6, names=list(fe.index))
        checks.assert_close(f"{method} sigma^2", [hlm.sigma(fit) ** 2], [sigma2], rtol=1e-5)
        vc = hlm.VarCorr(fit).to_frame()
        checks.assert_close(f"{method} between-group variance", [vc["Variance"].iloc[0]],
                            [(tau[method] - sigma2) / n], rtol=1e-4)


@settings(max_examples=examples(0.5))
@given(p=S.lme_problems(), data=st.data())
def test_lme_row_order_and_group_labels_do_not_matter(p: S.Problem, data: st.DataObject) -> None:
    """Permuting rows and renaming the groups leaves logLik, fixef and sigma."""
    perm = data.draw(st.permutations(range(len(p.data))), label="row order")
    d2 = p.data.iloc[list(perm)].copy()
    cats = [str(c) for c in d2["g"].cat.categories]
    new_names = data.draw(st.permutations([f"N{i}" for i in range(len(cats))]), label="names")
    d2["g"] = d2["g"].cat.rename_categories(list(new_names))
    _emit(p, "test_lme_row_order_and_group_labels_do_not_matter",
          f"d2 = d.iloc[{list(perm)!r}].copy()\n"
          f"d2['g'] = d2['g'].cat.rename_categories({list(new_names)!r})")
    fit1 = _lme(p)
    assume(fit1 is not None)
    refusals: list[HlmError] = []
    fit2 = _lme(p, data=d2, refusals=refusals)
    assert fit2 is not None, "hlm_py refuses the same data in another row order"
    ll1, ll2 = float(hlm.logLik(fit1)), float(hlm.logLik(fit2))
    if checks.lme_p7_class(fit1) or checks.lme_p7_class(fit2):
        # P7: a single elimination would be at its rounding; hlm_py's refined
        # values are exact to P7_LOGLIK_RTOL
        ex1, ex2 = checks.assert_exact_loglik(fit1), checks.assert_exact_loglik(fit2)
        note(f"P7: exact logLik {ex1!r} vs {ex2!r}")
    assert abs(ll1 - ll2) <= LL_TOL, f"logLik {ll1!r} vs {ll2!r}"
    if checks.lme_residual_sd_unidentified(fit1):
        return  # P8: flat toward a residual SD of 0, estimates not determined
    fe1, fe2 = hlm.fixef(fit1), hlm.fixef(fit2)
    se = _se(fit1)
    checks.assert_close("fixef difference (in standard errors)",
                        ((fe2 - fe1) / se).to_numpy(dtype=float), np.zeros(len(fe1)),
                        rtol=0.0, atol=1e-4, names=list(fe1.index))
    checks.assert_close("sigma", [hlm.sigma(fit2)], [hlm.sigma(fit1)], rtol=1e-4)
