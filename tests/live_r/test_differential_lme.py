"""Differential tests: ``lme`` on drawn data, hlm_py against nlme now.

Random intercepts, random intercepts and slopes, nested random intercepts,
REML and ML, on small unbalanced data with singleton groups and groups of
very different between-group spread (including none: boundary fits).

nlme is fitted twice over: with its default control (what a user gets) and
with the tight refits of the golden catalogue (``r_reference/cases/lme.py``,
``tight_lines``: nlminb with tight limits, optim BFGS, optim with finer
difference steps); R's *best* fit is the one of highest logLik. nlme's default
control stops early (by up to 4e-4 relative in the estimates, DEVELOPERS.md),
so the estimates are compared with the best fit, as the goldens do.

* logLik: hlm_py's is never worse than nlme's best fit (hence its default
  fit) by more than 1e-7.
* The same function: from nlme's estimates to hlm_py's, hlm_py's
  log-likelihood changes by what the two fits' logLiks differ, to 1e-9
  relative (``natural_loglik``, apVar's function, evaluated at both points).
* Where the two reach the same optimum (logLik within 1e-6), the estimates
  agree to 3 sqrt(2 |dlogLik| + 1e-12) standard errors, with a floor of 1e-4
  (two points whose log-likelihoods differ by delta lie about sqrt(2 delta)
  standard errors apart): the fixed effects in nlme's standard errors, the
  variance parameters (log SDs, transformed correlations, log sigma: apVar's
  coordinates) in hlm_py's apVar standard errors, except those of a level at
  the boundary on both sides (every SD below 1e-3 sigma, where the likelihood
  is flat rather than quadratic). Where apVar does not exist
  (a flat likelihood: an SD at the boundary, or nested levels with the same
  groups, whose shared variance any split fits), what the model identifies
  is compared at the same bound: sigma and the fitted values.
* The denominator degrees of freedom of the tTable are equal.
* Where nlme refuses the input (other than failing to converge), hlm_py
  raises HlmError, or (P5: nlme's "Singularity in backsolve" on nearly
  collinear fixed effects) fits where nlme's rank rule is met only on its way
  or at its tolerance (``_check_fit_nlme_calls_singular``, as in the rank
  test below); where nlme accepts it, hlm_py fits it.
* Difference P7 (``checks.lme_p7_class``: a fit on the QR elimination whose
  response varies over 1e5 times its residual SD): nlme's logLik is at the
  rounding of a single elimination there (up to ``checks.p7_rounding``), so
  the exact (50-digit) values at both fits' estimates decide in place of
  the logLik and same-function checks; hlm_py's refined value must be its
  exact one (``checks.P7_LOGLIK_RTOL``).

Nearly singular fixed effects (``test_lme_rank_decisions_match_nlme``): nlme
stops with "Singularity in backsolve" where its QR of the whitened fixed-effects
columns finds one negligible (tolerance ``sqrt(.Machine$double.eps)``); hlm_py
makes the same decision on the same matrix at its estimates. Where nlme fits,
hlm_py fits with a logLik not below nlme's minus 1e-7 (on these designs both
evaluations are at their rounding noise, so a shortfall is decided by the
log-likelihood in 50-digit arithmetic at both estimates), or refuses at an
optimum at least as good as nlme's fit, where nlme's own rule finds the
design deficient. Where nlme refuses, hlm_py refuses, except at nlme's
tolerance (a relative residual within a factor 2 of it) or where the design
is rank deficient only at an iterate on nlme's way: there nlme itself,
started at hlm_py's estimates, fits the model to hlm_py's logLik
(difference P5).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, note, settings

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "property"),
                str(Path(__file__).resolve().parents[1])]

import calls  # noqa: E402
import checks  # noqa: E402
import rbridge  # noqa: E402
import strategies as S  # noqa: E402
from hypothesis_profiles import examples  # noqa: E402
from reproducer import emit  # noqa: E402

import hlm_py as hlm  # noqa: E402
from hlm_py.errors import HlmError, SingularFitError  # noqa: E402
from hlm_py.lme.apvar import apvar, natural_loglik, natural_params  # noqa: E402
from hlm_py.lme.rank import NLME_QR_TOL, fixed_relative_residuals  # noqa: E402
from r_reference.cases.lme import tight_lines  # noqa: E402

pytestmark = [
    pytest.mark.live_r,
]

LL_TOL = 1e-7
SAME_OPTIMUM = 1e-6
#: a random-effects level whose every SD is below this times sigma on both
#: sides is at the boundary (the golden rule of hlm_py/verify/lme_rules.py)
BOUNDARY = 1e-3
#: relative agreement of the two log-likelihood functions at one point
SAME_FUNCTION = 1e-9

R_LME = r"""
fit <- {call}
{tight}
s <- summary(fit_tight)
vc <- VarCorr(fit_tight)
list(
  logLik_default = as.numeric(logLik(fit)),
  logLik = as.numeric(logLik(fit_tight)),
  fixef = .hlm_vec(fixef(fit_tight)),
  sigma = fit_tight$sigma,
  ttable = .hlm_mat(s$tTable),
  vc_sd = suppressWarnings(as.numeric(vc[, "StdDev"])),
  vc_names = rownames(vc),
  fitted = as.numeric(fitted(fit_tight)),
  psi = lapply(as.list(fit_tight$modelStruct$reStruct), function(p) .hlm_mat(as.matrix(p)))
)
"""

#: R lines of the tight refits; ``fit_tight`` is R's best fit
TIGHT = "\n".join(tight_lines("fit"))

# nlme's numerical breakdowns (not refusals of the input): its optimiser did not
# converge, or a solve() inside it met a numerically singular matrix
CONVERGENCE = ("converge", "iteration limit", "singular convergence", "false convergence",
               "nlminb", "optim", "computationally singular")


def _emit(p: S.Problem, title: str) -> None:
    emit(title, p.data, f"fit <- {calls.lme_r_call(p)}\n{TIGHT}\nprint(summary(fit_tight))",
         f"fit = {calls.lme_py_call(p)}\nprint(hlm.summary(fit))", kind="lme",
         args=calls.lme_case_args(p))


def _fit_py(p: S.Problem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calls.fit_lme(p)


@settings(max_examples=examples(0.75))
@given(p=S.lme_problems(na=False))
def test_lme_matches_nlme(p: S.Problem) -> None:
    _emit(p, "test_lme_matches_nlme")
    r = rbridge.run(R_LME.format(call=calls.lme_r_call(p), tight=TIGHT), d=p.data)
    if not r.ok:
        note(f"nlme refused: {r.error}")
        if any(w in r.error.lower() for w in CONVERGENCE):
            # nlme's optimiser failed; hlm_py may do better: only no crash
            try:
                _fit_py(p)
            except HlmError:
                pass
            return
        try:
            fit = _fit_py(p)
        except HlmError:
            return
        assert "Singularity" in r.error, f"nlme refuses ({r.error}) but hlm_py fits"
        _check_fit_nlme_calls_singular(p, fit)  # P5
        return
    try:
        fit = _fit_py(p)
    except HlmError as exc:
        if getattr(exc, "degenerate", False):
            # P8: hlm_py's fit heads to a residual SD of 0; nlme's answer is
            # then not the maximum: the exact logLik where hlm_py stopped is higher
            ex_py = _exact_loglik(p, exc.psi)
            ll_r = float(r.value["logLik"][0])
            note(f"P8: exact logLik where hlm_py stopped {ex_py!r}, nlme's best {ll_r!r}")
            assert ex_py > ll_r + 1.0, (
                f"hlm_py calls the likelihood unbounded, but its exact value {ex_py!r} where "
                f"hlm_py stopped is not above nlme's {ll_r!r}")
            return
        raise AssertionError(f"nlme fits this model but hlm_py raised "
                             f"{type(exc).__name__}: {exc}") from exc
    rv = r.value
    ll_r = float(rv["logLik"][0])
    ll_default = float(rv["logLik_default"][0])
    ll_py = float(hlm.logLik(fit))
    note(f"logLik nlme default {ll_default!r}, best {ll_r!r}, hlm_py {ll_py!r}, "
         f"diff {ll_py - ll_r:.3g}")
    assert ll_r >= ll_default  # the best fit is at least the default one
    psis_r = [np.asarray(rv["psi"][lv.name].values, dtype=float) for lv in fit.levels]
    sigma_r = float(rv["sigma"][0])
    pars_r = natural_params(fit, psis_r, sigma_r).to_numpy()

    tt_py = hlm.summary(fit).tTable
    tt_r = rv["ttable"]
    assert list(tt_py.index) == tt_r.rownames, f"{list(tt_py.index)} vs {tt_r.rownames}"
    df_col = tt_r.colnames.index("DF")
    checks.assert_close("tTable DF", tt_py["DF"].to_numpy(dtype=float), tt_r.values[:, df_col],
                        rtol=0.0, names=tt_r.rownames)
    if checks.lme_p7_class(fit):
        # P7: nlme's value is at the rounding of a single elimination; the
        # exact values at the two fits' estimates decide, hlm_py's (refined)
        # value must be its exact one, and nlme's within its rounding of its
        # own (which also checks that its estimates were read right)
        ex_py = checks.assert_exact_loglik(fit)
        ex_r = checks.exact_fit_loglik(fit, psis_r)
        note(f"P7: exact logLik at hlm_py's estimates {ex_py!r}, at nlme's {ex_r!r}")
        assert ex_py >= ex_r - LL_TOL, (
            f"hlm_py's logLik is worse than nlme's best by {ll_r - ll_py:.3g} "
            f"(exactly: by {ex_r - ex_py:.3g})")
        assert abs(ll_r - ex_r) <= checks.p7_rounding(fit), (
            f"nlme's logLik {ll_r!r} is off the exact value at its estimates {ex_r!r} by "
            f"{ll_r - ex_r:.3g}, beyond n eps max|y|/sigma = {checks.p7_rounding(fit):.3g}")
        gap = ex_py - ex_r
    else:
        assert ll_py >= ll_r - LL_TOL, (
            f"hlm_py's logLik {ll_py!r} is worse than nlme's best {ll_r!r} by "
            f"{ll_r - ll_py:.3g}")
        # the same function: between nlme's estimates and hlm_py's, hlm_py's
        # log-likelihood changes as nlme's does (natural_loglik is apVar's
        # function, which leaves out a constant)
        loglik = natural_loglik(fit)
        pars_py = natural_params(fit).to_numpy()
        change = loglik(pars_py) - loglik(pars_r) if np.all(np.isfinite(np.r_[pars_py, pars_r])) \
            else ll_py - ll_r  # a singular Psi (a correlation of +-1, an SD of 0): no coordinates
        if not np.isfinite(change):  # natural_loglik's Cholesky failed at a singular Psi
            change = ll_py - ll_r
        note(f"logLik change from nlme's estimates to hlm_py's: {change!r}")
        assert abs(change - (ll_py - ll_r)) <= SAME_FUNCTION * max(1.0, abs(ll_r)), (
            f"from nlme's estimates to hlm_py's, hlm_py's logLik changes by {change!r}, "
            f"the two fits' by {ll_py - ll_r!r}")
        gap = ll_py - ll_r
    if abs(gap) > SAME_OPTIMUM:
        note("hlm_py found a higher optimum than nlme: estimates not compared")
        return
    if checks.lme_residual_sd_unidentified(fit):
        note("P8: flat toward a residual SD of 0: estimates not compared")
        return
    tol = max(1e-4, 3 * np.sqrt(2 * abs(gap) + 1e-12))
    se = tt_r.values[:, tt_r.colnames.index("Std.Error")]
    fe_py = hlm.fixef(fit)
    fe_r = rv["fixef"]
    assert list(fe_py.index) == fe_r.names
    # the fixed effects are a function of the variance parameters, whose
    # difference is judged below: at nlme's Psi, hlm_py's must be nlme's.
    # (Directly, the two fits' can differ by more than the variance
    # parameters' difference in their standard errors: at a flat P7 optimum,
    # logLiks 1.6e-12 apart (hlm_py's the higher, exactly) and relative
    # variances 2.6e-6 apart moved the intercept by 1.3e-4 of its standard
    # error at fixed Psi; thorough run 2026-11-22, third session)
    fe_at_r = checks.fixef_at(fit, psis_r)
    checks.assert_close("fixef difference at nlme's Psi (in standard errors)",
                        (fe_at_r - fe_r.values) / se, np.zeros(len(se)),
                        rtol=0.0, atol=tol, names=fe_r.names)
    try:
        pars_se = np.sqrt(np.diag(apvar(fit).matrix.to_numpy(dtype=float)))
    except HlmError:
        pars_se = None  # a flat or boundary likelihood: relative SDs below
    if any(a == b for a, b in zip(fit.grouping.n_groups, fit.grouping.n_groups[1:])):
        # nested levels with the same groups (every inner group alone in its
        # outer one): their variances are identified only in sum, and apVar,
        # where it exists, is nearly singular (thorough run: the split 1.6e-4
        # of its standard errors apart at logLiks 5e-11 apart)
        pars_se = None
    if pars_se is not None:
        # log SDs, transformed correlations and log sigma, in their standard errors;
        # a level at the boundary on both sides (every SD below 1e-3 sigma: the
        # likelihood is flat there, not quadratic) is not compared
        pars_py = natural_params(fit)
        keep = np.ones(len(pars_r), dtype=bool)
        pos = 0
        for li in range(fit.Q - 1, -1, -1):  # natural_params' order: innermost first
            k = fit.levels[li].pd.n_params(len(fit.random_names[li]))
            if max(np.sqrt(np.diag(fit.psi[li])).max(), np.sqrt(np.diag(psis_r[li])).max()) \
                    < BOUNDARY:
                keep[pos:pos + k] = False
            pos += k
        checks.assert_close("variance parameters difference (in standard errors)",
                            ((pars_py.to_numpy() - pars_r) / pars_se)[keep],
                            np.zeros(int(keep.sum())), rtol=0.0, atol=tol,
                            names=list(pars_py.index[keep]))
        return
    # no apVar: a flat direction, at a boundary or not identified (nested levels
    # with the same groups share one variance between them, split differently
    # by nlme and hlm_py at the same likelihood); what the model identifies
    # is compared: sigma and the fitted values (innermost level)
    checks.assert_close("sigma", [hlm.sigma(fit)], [sigma_r], rtol=tol)
    y = p.data[p.meta.response].to_numpy(dtype=float)
    checks.assert_close("fitted values", hlm.fitted(fit).to_numpy(dtype=float), rv["fitted"],
                        rtol=tol, atol=tol * float(np.max(np.abs(y - y.mean()))))
    vc = hlm.VarCorr(fit).to_frame()
    keep = ~np.isnan(np.asarray(rv["vc_sd"], dtype=float))
    assert len(vc) == int(keep.sum()), f"VarCorr rows {list(vc.index)} vs {rv['vc_names']}"

R_RANK = r"""
fit <- {call}
list(logLik = as.numeric(logLik(fit)),
     psi = lapply(as.list(fit$modelStruct$reStruct), function(p) .hlm_mat(as.matrix(p))))
"""

R_FROM_START = r"""
fit <- lme({fixed}, data = d, random = {start}, method = {method},
           control = lmeControl(niterEM = 0, msMaxIter = 1, returnObject = TRUE))
as.numeric(logLik(fit))
"""

#: where nlme's decision can go either way: a column whose relative residual
#: at the optimum is within this factor above nlme's tolerance can fall below
#: it at an iterate on nlme's way, or in nlme's rounding (difference P5)
RANK_BAND = 2.0


def _r_matrix(m: np.ndarray) -> str:
    vals = ", ".join(repr(float(v)) for v in np.asarray(m, dtype=float).ravel(order="F"))
    return f"matrix(c({vals}), {m.shape[0]}, {m.shape[1]})"


def _random_parts(p: S.Problem) -> tuple[str, list[str]]:
    lhs, groups = (part.strip() for part in p.random.lstrip("~ ").split("|"))
    return lhs, groups.split("/")


def _r_start(p: S.Problem, psis: list[np.ndarray]) -> str:
    """nlme's ``random`` argument that starts at relative ``psis`` (outer to inner)."""
    lhs, names = _random_parts(p)
    parts = [f"{g} = pdLogChol({_r_matrix(psi)}, form = ~{lhs})" for g, psi in zip(names, psis)]
    return "list(" + ", ".join(parts) + ")"


def _exact_loglik(p: S.Problem, psis: list[np.ndarray]) -> float:
    """The (RE)ML log-likelihood at relative ``psis`` (outer to inner), in 50 digits."""
    d = p.data
    X = hlm.model_matrix("~" + p.formula.split("~", 1)[1], d).to_numpy(dtype=float)
    lhs, names = _random_parts(p)
    n = len(d)
    Z = np.ones((n, 1)) if lhs == "1" else np.column_stack([np.ones(n), d[lhs].to_numpy(float)])
    codes = np.zeros(n, dtype=np.int64)
    blocks = []
    for name, psi in zip(names, psis):  # outer to inner: an inner group lies in its outer one
        col = d[name].astype("category").cat.codes.to_numpy(dtype=np.int64)
        codes = codes * (int(col.max()) + 1) + col
        blocks.append((Z, codes.copy(), psi))
    return checks.exact_lme_loglik(X, d[p.meta.response].to_numpy(float), blocks,
                                   p.method == "REML")


@settings(max_examples=examples(0.5))
@given(p=S.near_singular_lme_problems())
def test_lme_rank_decisions_match_nlme(p: S.Problem) -> None:
    _emit(p, "test_lme_rank_decisions_match_nlme")
    r = rbridge.run(R_RANK.format(call=calls.lme_r_call(p)), d=p.data)
    try:
        fit = _fit_py(p)
    except HlmError as exc:
        fit, py_error = None, exc
    if r.ok:
        _, names = _random_parts(p)
        psis_r = [r.value["psi"][g].values for g in names]
        ll_r = float(r.value["logLik"][0])
        if fit is None:
            # nlme fits, hlm_py refuses: at hlm_py's optimum nlme's rank rule finds the
            # design deficient, and nlme's fit is no better than that optimum (P5)
            assert isinstance(py_error, SingularFitError) and hasattr(py_error, "psi"), (
                f"nlme fits this model but hlm_py raised {type(py_error).__name__}: {py_error}")
            ex_py, ex_r = _exact_loglik(p, py_error.psi), _exact_loglik(p, psis_r)
            note(f"exact logLik at hlm_py's optimum {ex_py!r}, at nlme's estimates {ex_r!r}")
            assert ex_py >= ex_r - LL_TOL
            return
        ll_py = float(hlm.logLik(fit))
        note(f"logLik nlme {ll_r!r}, hlm_py {ll_py!r}")
        if ll_py < ll_r - LL_TOL:
            # both evaluations at their rounding noise: the exact values decide
            ex_py, ex_r = _exact_loglik(p, fit.psi), _exact_loglik(p, psis_r)
            note(f"exact logLik at hlm_py's estimates {ex_py!r}, at nlme's {ex_r!r}")
            assert ex_py >= ex_r - LL_TOL, (
                f"hlm_py's logLik is worse than nlme's by {ll_r - ll_py:.3g} "
                f"(exactly: by {ex_r - ex_py:.3g})")
            assert abs(ll_py - ex_py) <= LL_TOL, f"hlm_py's logLik is off by {ll_py - ex_py:.3g}"
        return
    note(f"nlme refused: {r.error}")
    if "Singularity" not in r.error:
        return  # nlme's numerical breakdown (P2): only that hlm_py did not crash
    if fit is None:
        assert isinstance(py_error, SingularFitError), f"{type(py_error).__name__}: {py_error}"
        return
    _check_fit_nlme_calls_singular(p, fit)


def _check_fit_nlme_calls_singular(p: S.Problem, fit) -> None:
    """P5: nlme stopped with "Singularity in backsolve" where hlm_py fits: a
    fixed-effects column at nlme's rank tolerance at hlm_py's estimates, or a
    design deficient only on nlme's way, which nlme started at hlm_py's
    estimates fits to hlm_py's logLik."""
    rel = float(np.min(fixed_relative_residuals(fit.likelihood.fixed_factor(fit.theta_opt))))
    note(f"smallest relative residual of a fixed-effects column at hlm_py's estimates: {rel:.3g}")
    if rel < RANK_BAND * NLME_QR_TOL:
        return  # P5: at nlme's tolerance
    # P5: rank deficient only on nlme's way; nlme started at hlm_py's estimates fits
    code = R_FROM_START.format(fixed=p.formula, start=_r_start(p, fit.psi),
                              method=f'"{p.method}"')
    note(f"nlme from hlm_py's estimates:\n{code}")
    r0 = rbridge.run(code, d=p.data)
    assert r0.ok, f"nlme refuses also from hlm_py's estimates: {r0.error}"
    ll_py = float(hlm.logLik(fit))
    assert abs(float(r0.value[0]) - ll_py) <= SAME_OPTIMUM, (
        f"nlme from hlm_py's estimates: logLik {float(r0.value[0])!r}, hlm_py {ll_py!r}")
