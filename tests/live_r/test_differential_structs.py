"""Differential tests: ``gls`` and ``lme`` with variance functions and
correlation structures, hlm_py against nlme now.

Drawn data (``strategies.struct_frames``): 5 to 15 groups of 2 to 8 rows, a
continuous covariate ``x``, a 2-level factor ``f``, integer positions ``t``
within groups (sometimes with gaps) and continuous times ``time``, rows in
group order or shuffled. Drawn fits:

* gls (``strategies.gls_struct_problems``) with corAR1 (``~ 1 | g``, ``~ t |
  g``), corCompSymm, corSymm (groups of at most 4 positions), corCAR1 and
  corExp (``~ time | g``), and/or varIdent(``~ 1 | f``), varPower(``~ x``),
  varExp(``~ x``); REML and ML;
* lme with a random intercept (``strategies.lme_struct_problems``) and
  varIdent or varPower(``~ x``), and/or corAR1, corCompSymm, corExp(``~ time
  | g``); REML and ML;
* sometimes one mutation that nlme may refuse (``strategies.STRUCT_HOSTILE``):
  a duplicated position within a group, a zero varPower covariate, fractional
  positions, an lme correlation grouped by something other than lme's groups.

nlme fits each with its default control and with the goldens' tight refits
(``r_reference/cases/structs.py``: ``GLS_TIGHT_CONTROLS`` -- nlminb with
raised limits, optim's BFGS and Nelder-Mead with ``msTol = 1e-15`` -- and
``LME_TIGHT_CONTROLS``); R's *best* fit is the one of highest logLik.

* logLik: hlm_py's is not below R's best by more than 1e-7 (hence not below
  its default fit's).
* The same function: hlm_py evaluated at R's best parameters
  (``GlsFit.at(theta)``, ``LmeFit.at(params)`` with ``theta``/``params`` R's
  ``coef(fit$modelStruct)``: the reStruct's first, then the corStruct's, then
  the varStruct's; names checked) gives R's logLik to 1e-9 relative to
  ``max(1, |logLik|)`` (or to the rounding of an evaluation near a
  corAR1 / corCompSymm boundary, ``_rounding``), R's sigma to 1e-9 relative and R's fixed effects to
  1e-6 of their standard errors (a weighted least-squares solve at the same
  parameters: two backward-stable solves differ by ``eps`` times the
  condition of the whitened design, far below this on these designs).
* Where both reach the same optimum (logLik within 1e-6), the estimates agree
  to ``3 sqrt(2 |dlogLik| + 1e-12)`` standard errors with a floor of 1e-4, as
  ``test_differential_lme.py`` reasons (two points whose log-likelihoods
  differ by delta lie about ``sqrt(2 delta)`` standard errors apart): the
  fixed effects in R's standard errors; the variance and correlation
  parameters in apVar's coordinates (gls: ``coef(glsStruct)`` with corSymm's
  natural, and ``lSigma``; lme: ``natural_params``) in hlm_py's apVar standard
  errors. Where apVar does not exist (hlm_py's Hessian is not negative
  definite: a parameter at its boundary, e.g. a range or a CAR(1) phi heading
  to 0, or a random-intercept SD to 0, where the likelihood is flat) what
  remains identified is compared at the same bound: sigma and the fitted
  values. A random-intercept lme with corCompSymm in the same groups is not
  identified (``sigma^2 rho`` and the intercept variance trade off one for
  the other: a flat direction of the likelihood): there the identified
  ``sigma^2 (1 - rho)`` and ``sigma^2 rho + sigma_b^2`` are compared, and the
  population fitted values. Other directions the data do not identify (corAR1
  in groups of 2 with a random intercept, a varIdent stratum whose rows fixed
  effects fit exactly, a residual SD heading to 0: ``_flat_between``,
  ``_flat_toward_zero_sd``) leave only the logLik and the same-function checks.
* Where nlme refuses the input (other than failing to converge), hlm_py
  raises HlmError; where nlme fits it, hlm_py fits it.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
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
from hlm_py.errors import HlmError, UnboundedLikelihoodError  # noqa: E402
from hlm_py.gls.inference import _natural_pars  # noqa: E402
from hlm_py.lme.apvar import apvar, natural_params  # noqa: E402
from r_reference.cases.structs import tight_lines  # noqa: E402

pytestmark = [
    pytest.mark.live_r,
]

LL_TOL = 1e-7
SAME_OPTIMUM = 1e-6
#: relative agreement of the two log-likelihood functions (and sigma) at one point
SAME_FUNCTION = 1e-9
#: the fixed effects at the same parameters, in their standard errors
SAME_BETA = 1e-6
#: a random-intercept SD below this times sigma on both sides is at the boundary
BOUNDARY = 1e-3
#: nlme's correlation parameter lies beyond double precision where the rounding
#: of a logLik evaluation there (``_rounding``) exceeds this: the same-function
#: checks at its parameters would compare rounding (measured: nlme's Nelder-Mead
#: refit at corCompSymm's u = -35.7, 1e-9 above its default fit at u = -23.4,
#: where the whitened data's QR is rank 1 or 2 by rounding); the likelihood is
#: flat toward that boundary, where sigma and the fitted values are compared
BEYOND_DOUBLE = 1e-6

# nlme's numerical breakdowns (not refusals of the input): its optimiser did not
# converge, or a solve() inside it met a numerically singular matrix, or
# ``coef<-.corARMA`` (corAR1's) met an iterate whose phi rounds to +-1
# ("Coefficient matrix not invertible": measured on a corAR1 + varIdent lme
# whose optimum has phi = -0.52, default and optim controls alike)
CONVERGENCE = ("converge", "iteration limit", "singular convergence", "false convergence",
               "nlminb", "optim", "computationally singular", "not invertible")

_R_TAIL = r"""
cands <- sapply(fit_tight_fits, function(f) as.numeric(logLik(f)))
list(
  logLik_default = as.numeric(logLik(fit)),
  logLik = as.numeric(logLik(fit_tight)),
  best = names(fit_tight_fits)[which.max(cands)],
  candidates = .hlm_vec(cands),
  coef = .hlm_vec({coef}),
  se = sqrt(diag(as.matrix({varbeta}))),
  sigma = fit_tight$sigma,
  ms = .hlm_vec(coef(fit_tight$modelStruct)),
  fitted = as.numeric({fitted}),
  {extra}
  n = nrow(d)
)
"""

R_GLS = "fit <- {call}\n{tight}" + _R_TAIL.format(
    coef="coef(fit_tight)", varbeta="fit_tight$varBeta", fitted="fitted(fit_tight)", extra="")

R_LME = "fit <- {call}\n{tight}" + _R_TAIL.format(
    coef="fixef(fit_tight)", varbeta="fit_tight$varFix",
    fitted="fitted(fit_tight, level = 0)",
    extra="psi = as.numeric(as.matrix(fit_tight$modelStruct$reStruct[[1]])),\n  "
          "rho = if (inherits(fit_tight$modelStruct$corStruct, \"corCompSymm\")) "
          "as.numeric(coef(fit_tight$modelStruct$corStruct, unconstrained = FALSE)) "
          "else NULL,")

TIGHT_GLS = "\n".join(tight_lines("fit", "gls"))
TIGHT_LME = "\n".join(tight_lines("fit", "lme"))


def _emit_gls(p: S.Problem, title: str) -> None:
    emit(title, p.data, f"fit <- {calls.gls_r_call(p)}\n{TIGHT_GLS}\nprint(summary(fit_tight))",
         f"fit = {calls.gls_py_call(p)}\nprint(hlm.summary(fit))", kind="gls",
         args=calls.gls_case_args(p))


def _emit_lme(p: S.Problem, title: str) -> None:
    emit(title, p.data,
         f"fit <- {calls.lme_struct_r_call(p)}\n{TIGHT_LME}\nprint(summary(fit_tight))",
         f"fit = {calls.lme_struct_py_call(p)}\nprint(hlm.summary(fit))", kind="lme_struct",
         args=calls.lme_struct_case_args(p))


def _quiet(fn, p: S.Problem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(p)


def _refused(p: S.Problem, r: rbridge.RResult, fit_fn) -> None:
    """nlme refused: hlm_py raises HlmError (after a convergence failure of
    nlme's only that hlm_py does not crash)."""
    note(f"nlme refused: {r.error}")
    try:
        fit = _quiet(fit_fn, p)
    except UnboundedLikelihoodError as exc:
        _check_unbounded(p, exc)
        return
    except HlmError as exc:
        note(f"hlm_py refused: {exc}")
        return
    if any(w in r.error.lower() for w in CONVERGENCE):
        note(f"nlme's optimiser failed; hlm_py fits (logLik {float(hlm.logLik(fit))!r})")
        return
    raise AssertionError(f"nlme refuses ({r.error.strip()}) but hlm_py fits "
                         f"(logLik {float(hlm.logLik(fit))!r})")


#: how far toward the edge the two fixed-structure fits of ``_check_unbounded``
#: sit (corCompSymm: Rho's distance to its bound; varIdent: the vanishing
#: stratum's SD ratio to the others'). The rise reaches its rate only once the
#: vanishing variance is small against how well the fixed effects are
#: determined by the groups' means (measured: two groups of 6 whose mean x are
#: close, the logLik -21.14, -20.31, -22.02, -19.54, -14.96, -10.36 at 1e-2,
#: 1e-3, 1e-4, 1e-6, 1e-8, 1e-10 from the bound; then 2.30 per factor 10, the
#: rate): corCompSymm's steps are deep (its whitening scales by the square
#: root only); a varIdent ratio of 1e-6 already scales rows by 1e6
UNBOUNDED_STEPS = {"corStruct": (1e-8, 1e-11), "varStruct": (1e-3, 1e-6),
                   # corSymm: lambda of (1 - lambda) C_0 + lambda I, C_0 the singular
                   # limit hlm_py reports (measured: the rise at its rate from 1e-6;
                   # between 1e-4 and 1e-5 some were still 0.79 of 1.15 per factor 10)
                   "corSymm": (1e-6, 1e-9)}


def _check_unbounded(p: S.Problem, exc: UnboundedLikelihoodError) -> None:
    """hlm_py refuses a fit whose likelihood has no maximum
    (``hlm_py/structs/unbounded.py``): nlme witnesses it. Two nlme gls fits
    with the structure fixed nearer and nearer the edge (the random effects'
    SDs at 0, the limit an lme's likelihood tends to) must rise by at least
    half the predicted ``rate log(step ratio)`` (``rate``: k/2 for corCompSymm's
    k largest groups and for corSymm's k groups holding the positions that
    turn singular, ``n_s`` for a varIdent stratum of n_s rows); the other
    parameters are nlme's estimates at each fixed value."""
    note(f"hlm_py: {exc}")
    det = exc.detail or {}
    fits = []
    steps = UNBOUNDED_STEPS[exc.component]
    if det.get("class") == "corSymm":
        # the k groups holding the positions lose an eigenvalue lambda: k/2 log(1/lambda)
        rate = det["rate"]
        steps = UNBOUNDED_STEPS["corSymm"]
        limit = np.asarray(det["limit"], dtype=float)
        for e in steps:
            args = {**p.correlation["args"], "value": [float(v) for v in (1 - e) * limit],
                    "fixed": True}
            # hlm_py's check is at the variance function's start, weights 1 (a
            # free varPower beside the fixed corSymm: nlme's evaluation limit)
            fits.append({"correlation": {"class": "corSymm", "args": args}, "variance": None})
    elif exc.component == "corStruct":
        rate = det["groups"] / 2
        for e in UNBOUNDED_STEPS["corStruct"]:
            args = {**p.correlation["args"], "value": det["bound"] + e, "fixed": True}
            fits.append({"correlation": {"class": "corCompSymm", "args": args}})
    else:
        assert exc.component == "varStruct", exc.component
        rate = det["n"]
        levels = [str(v) for v in pd.unique(p.data["f"].astype(str))]
        others = [v for v in levels if v != det["reference"]]
        for e in UNBOUNDED_STEPS["varStruct"]:
            if det["stratum"] == det["reference"]:
                fixed = {v: 1 / e for v in others}
            else:
                fixed = {v: (e if v == det["stratum"] else 1.0) for v in others}
            fits.append({"variance": {"class": "varIdent",
                                      "args": {**p.variance["args"], "fixed": fixed}}})
    probs = [dataclasses.replace(p, random=None, **f) for f in fits]
    code = "\n".join(f"f{i} <- {calls.gls_r_call(q)}" for i, q in enumerate(probs))
    r = rbridge.run(code + "\nc(as.numeric(logLik(f0)), as.numeric(logLik(f1)))", d=p.data)
    assert r.ok, f"hlm_py says the likelihood is unbounded ({exc}); nlme's witness fits " \
                 f"fail: {r.error}"
    ll = np.asarray(r.value, dtype=float)
    predicted = rate * math.log(steps[0] / steps[1])
    note(f"nlme's logLik toward the edge: {ll!r}, rise {ll[1] - ll[0]:.4g} "
         f"(predicted {predicted:.4g})")
    assert ll[1] - ll[0] >= 0.5 * predicted, (
        f"hlm_py says the likelihood is unbounded ({exc}), but nlme's logLik rises by only "
        f"{ll[1] - ll[0]:.4g} toward the edge (predicted {predicted:.4g})")


def _check_loglik(ll_py: float, ll_r: float, ll_default: float) -> None:
    note(f"logLik nlme default {ll_default!r}, best {ll_r!r}, hlm_py {ll_py!r}, "
         f"diff {ll_py - ll_r:.3g}")
    assert ll_r >= ll_default  # the best fit is at least the default one
    assert ll_py >= ll_r - LL_TOL, (
        f"hlm_py's logLik {ll_py!r} is worse than nlme's best {ll_r!r} by {ll_r - ll_py:.3g}")


def _rounding(rv, n: int) -> float:
    """The rounding of a logLik evaluation near a correlation structure's
    boundary: corAR1's and corCompSymm's unconstrained parameter ``u`` puts the
    correlation matrix's condition at about ``exp(|u|)`` (``1 - |phi|`` is
    about ``2 exp(-|u|)``), and its factor, determinant and solve lose that
    many digits: ``n eps exp(|u|)`` (measured: a corAR1 at ``u = -21``, two
    evaluations 1.0e-7 apart)."""
    u = [abs(float(v)) for v, name in zip(rv["ms"].values, rv["ms"].names)
         if name.startswith("corStruct")]
    return n * np.finfo(float).eps * math.exp(min(50.0, max(u, default=0.0)))


def _check_at_r(at, rv, coef_py, names_py: list[str]) -> None:
    """hlm_py's numbers at R's parameters are R's (the same function)."""
    ll_r = float(rv["logLik"][0])
    ll_at = float(hlm.logLik(at))
    note(f"hlm_py's logLik at nlme's best parameters {ll_at!r} (nlme's {ll_r!r}, "
         f"diff {ll_at - ll_r:.3g})")
    assert abs(ll_at - ll_r) <= max(SAME_FUNCTION * max(1.0, abs(ll_r)),
                                    _rounding(rv, len(rv["fitted"]))), (
        f"at nlme's parameters hlm_py's logLik is {ll_at!r}, nlme's {ll_r!r} "
        f"(diff {ll_at - ll_r:.3g})")
    checks.assert_close("sigma at nlme's parameters", [hlm.sigma(at)], rv["sigma"],
                        rtol=SAME_FUNCTION)
    se = np.asarray(rv["se"], dtype=float)
    assert list(coef_py.index) == rv["coef"].names, f"{list(coef_py.index)} vs {rv['coef'].names}"
    checks.assert_close("fixed effects at nlme's parameters (in standard errors)",
                        (coef_py.to_numpy(dtype=float) - rv["coef"].values) / se,
                        np.zeros(se.size), rtol=0.0, atol=SAME_BETA, names=rv["coef"].names)


def _flat_between(loglik_at, mine: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether the log-likelihood is flat (within 1e-9 relative) on the line
    through the two fits' parameters, at both, half-way and as far again
    beyond nlme's: a direction the data do not identify (a random intercept
    with corCompSymm or with corAR1 in groups of 2, a varIdent stratum whose
    one row a fixed effect fits exactly), along which the estimates are not
    determined and only the logLik is compared."""
    if np.allclose(mine, theirs, rtol=0.0, atol=1e-8):
        return False
    try:
        vals = [float(loglik_at(mine + a * (theirs - mine))) for a in (0.0, 0.5, 1.0, 2.0)]
    except (HlmError, FloatingPointError, np.linalg.LinAlgError, ValueError):
        return False
    return bool(np.all(np.isfinite(vals))
                and max(vals) - min(vals) <= SAME_FUNCTION * max(1.0, abs(vals[0])))


def _tolerance(gap: float) -> float:
    return max(1e-4, 3 * math.sqrt(2 * abs(gap) + 1e-12))


def _fit_both(p: S.Problem, r_code: str, fit_fn):
    """nlme's fits (``r_code``) and hlm_py's, their logLiks checked; None
    where either refuses (the refusal checked)."""
    r = rbridge.run(r_code, d=p.data)
    if not r.ok:
        _refused(p, r, fit_fn)
        return None
    note(f"nlme's warnings: {r.warnings}" if r.warnings else "nlme: no warnings")
    try:
        fit = _quiet(fit_fn, p)
    except UnboundedLikelihoodError as exc:
        _check_unbounded(p, exc)
        return None
    except HlmError as exc:
        raise AssertionError(f"nlme fits this model but hlm_py raised "
                             f"{type(exc).__name__}: {exc}") from exc
    rv = r.value
    note(f"nlme's fits: {dict(zip(rv['candidates'].names, rv['candidates'].values))}, "
         f"best {rv['best']}")
    _check_loglik(float(hlm.logLik(fit)), float(rv["logLik"][0]), float(rv["logLik_default"][0]))
    return fit, rv


# --------------------------------------------------------------------------
# gls


@settings(max_examples=examples(0.75))
@given(p=S.gls_struct_problems())
def test_gls_structs_match_nlme(p: S.Problem) -> None:
    _emit_gls(p, "test_gls_structs_match_nlme")
    both = _fit_both(p, R_GLS.format(call=calls.gls_r_call(p), tight=TIGHT_GLS), calls.fit_gls)
    if both is None:
        return
    fit, rv = both
    theta_r = np.asarray(rv["ms"].values, dtype=float)
    assert fit.theta_names == rv["ms"].names, f"{fit.theta_names} vs {rv['ms'].names}"
    note(f"parameters: hlm_py {fit.theta!r}, nlme {theta_r!r}")
    gap = float(hlm.logLik(fit)) - float(rv["logLik"][0])
    if _rounding(rv, len(rv["fitted"])) > BEYOND_DOUBLE:
        note("nlme's correlation parameter is beyond where double precision evaluates the "
             "logLik to 1e-6 (the likelihood is flat toward the boundary there): compared "
             "at the boundary")
        _compare_identified(fit, rv, p, _tolerance(gap))
        return
    at = fit.at(theta_r)
    _check_at_r(at, rv, hlm.coef(at), fit.theta_names)
    if abs(gap) > SAME_OPTIMUM:
        note("hlm_py found a higher optimum than nlme: estimates not compared")
        return
    if _flat_between(lambda th: hlm.logLik(fit.at(th)), np.asarray(fit.theta, dtype=float),
                     theta_r):
        note("the logLik is flat between the two fits' parameters: estimates not compared")
        return
    tol = _tolerance(gap)
    se = np.asarray(rv["se"], dtype=float)
    checks.assert_close("fixed effects (in nlme's standard errors)",
                        (hlm.coef(fit).to_numpy(dtype=float) - rv["coef"].values) / se,
                        np.zeros(se.size), rtol=0.0, atol=tol, names=rv["coef"].names)
    try:
        av = fit.apVar
    except HlmError as exc:
        av = None
        note(f"hlm_py's apVar: {exc}")
    if av is not None:
        pars_r = np.r_[_natural_pars(at)[0], math.log(float(rv["sigma"][0]))]
        pars_se = np.sqrt(np.diag(av.matrix.to_numpy(dtype=float)))
        checks.assert_close("variance and correlation parameters (in apVar's standard errors)",
                            (av.Pars.to_numpy(dtype=float) - pars_r) / pars_se,
                            np.zeros(pars_se.size), rtol=0.0, atol=tol,
                            names=list(av.Pars.index))
        return
    # a flat likelihood (a parameter at its boundary): what stays identified
    _compare_identified(fit, rv, p, tol)


def _compare_identified(fit, rv, p: S.Problem, tol: float) -> None:
    """At a parameter's boundary (a flat likelihood): sigma and the fitted values."""
    checks.assert_close("sigma", [hlm.sigma(fit)], rv["sigma"], rtol=tol)
    y = p.data["y"].to_numpy(dtype=float)
    checks.assert_close("fitted values", hlm.fitted(fit).to_numpy(dtype=float),
                        rv["fitted"], rtol=tol,
                        atol=tol * float(np.max(np.abs(y - y.mean()))))


# --------------------------------------------------------------------------
# lme


def _confounded(p: S.Problem) -> bool:
    """A random intercept with corCompSymm in the same groups: not identified."""
    return bool(p.correlation and p.correlation["class"] == "corCompSymm"
                and p.correlation["args"]["form"] == "~ 1 | g")


def _cs_identified(fit_like_sigma: float, tau2_rel: float, rho: float) -> np.ndarray:
    """``sigma^2 (1 - rho)`` and ``sigma^2 rho + sigma_b^2`` (``tau2_rel`` =
    ``sigma_b^2 / sigma^2``)."""
    s2 = fit_like_sigma ** 2
    return np.array([s2 * (1 - rho), s2 * rho + s2 * tau2_rel])


def _py_rho(fit) -> float:
    cor = fit.model.cor
    return float(np.asarray(cor.coef(fit.component_theta("corStruct"),
                                     unconstrained=False), dtype=float)[0])


def _flat_toward_zero_sd(fit) -> str | None:
    """Difference P8's kind: the log-likelihood changes by less than 1e-7 when
    a residual SD moves tenfold toward 0 with every other SD kept (sigma and,
    with varIdent, each stratum's SD): the supremum lies at that SD of 0 and
    the estimates along the flat direction are not determined. ``None``, or
    which SD."""
    params = np.r_[np.asarray(fit.theta_opt, dtype=float), np.asarray(fit.phi, dtype=float)
                   if fit.phi is not None else np.zeros(0)]
    k = params.size - (0 if fit.phi is None else np.asarray(fit.phi).size)
    names = list(fit.model.struct_names) if fit.structured else []
    ll0 = float(fit.loglik)
    ln10 = math.log(10.0)
    directions = {}
    d = np.zeros(params.size)
    d[:k] = ln10  # random-effects SDs relative to sigma: kept by sigma / 10 ...
    var_pos = [k + i for i, n in enumerate(names) if n.startswith("varStruct")]
    if fit.model.var is not None and fit.model.var.r_class == "varIdent":
        d[var_pos] = ln10  # ... and every other stratum's SD relative to the first
        directions["the first stratum's residual SD"] = d
        for j in var_pos:
            e = np.zeros(params.size)
            e[j] = -ln10
            directions[f"the residual SD of stratum {names[j - k]}"] = e
    else:
        directions["the residual SD"] = d
    for what, step in directions.items():
        try:
            ll = float(fit.at(params + step).loglik)
        except (HlmError, FloatingPointError, np.linalg.LinAlgError):
            continue
        if abs(ll - ll0) < 1e-7:
            return what
    return None


@settings(max_examples=examples(0.75))
@given(p=S.lme_struct_problems())
def test_lme_structs_match_nlme(p: S.Problem) -> None:
    _emit_lme(p, "test_lme_structs_match_nlme")
    both = _fit_both(p, R_LME.format(call=calls.lme_struct_r_call(p), tight=TIGHT_LME),
                     calls.fit_lme_struct)
    if both is None:
        return
    fit, rv = both
    params_r = np.asarray(rv["ms"].values, dtype=float)
    at = fit.at(params_r)
    note(f"parameters: nlme {dict(zip(rv['ms'].names, params_r))}; hlm_py "
         f"psi {fit.psi!r}, structures {fit.phi!r}")
    _check_at_r(at, rv, hlm.fixef(at), [])
    gap = float(hlm.logLik(fit)) - float(rv["logLik"][0])
    if abs(gap) > SAME_OPTIMUM:
        note("hlm_py found a higher optimum than nlme: estimates not compared")
        return
    flat = _flat_toward_zero_sd(fit)
    mine = np.r_[np.asarray(fit.theta_opt, dtype=float), np.asarray(fit.phi, dtype=float)]
    if not flat and not _confounded(p) and \
            _flat_between(lambda th: hlm.logLik(fit.at(th)), mine, params_r):
        flat = "nlme's parameters (a direction the data do not identify)"
    if flat:
        note(f"flat toward {flat}: estimates not compared")
        return
    tol = _tolerance(gap)
    se = np.asarray(rv["se"], dtype=float)
    checks.assert_close("fixed effects (in nlme's standard errors)",
                        (hlm.fixef(fit).to_numpy(dtype=float) - rv["coef"].values) / se,
                        np.zeros(se.size), rtol=0.0, atol=tol, names=rv["coef"].names)
    sigma_r = float(rv["sigma"][0])
    tau2_r = float(rv["psi"][0])
    if _confounded(p):
        # not identified: sigma^2 (1 - rho) and sigma^2 rho + sigma_b^2 are
        ident_py = _cs_identified(hlm.sigma(fit), float(fit.psi[0][0, 0]), _py_rho(fit))
        ident_r = _cs_identified(sigma_r, tau2_r, float(rv["rho"][0]))
        note(f"identified variances: hlm_py {ident_py!r}, nlme {ident_r!r}")
        checks.assert_close("sigma^2 (1 - rho), sigma^2 rho + sigma_b^2", ident_py, ident_r,
                            rtol=tol, atol=tol * 1e-8 * float(np.sum(ident_r)),
                            names=["sigma^2 (1 - rho)", "sigma^2 rho + sigma_b^2"])
        checks.assert_close("population fitted values", hlm.fitted(fit, level=0).to_numpy(float),
                            rv["fitted"], rtol=tol,
                            atol=tol * float(np.max(se)))
        return
    try:
        pars_se = np.sqrt(np.diag(apvar(fit).matrix.to_numpy(dtype=float)))
    except HlmError as exc:
        pars_se = None
        note(f"hlm_py's apVar: {exc}")
    if pars_se is not None:
        pars_py = natural_params(fit)
        pars_r = natural_params(at).to_numpy()
        keep = np.ones(len(pars_r), dtype=bool)
        if max(float(fit.psi[0][0, 0]), tau2_r) < BOUNDARY ** 2:
            keep[0] = False  # the random intercept at the boundary on both sides
        checks.assert_close("variance parameters (in apVar's standard errors)",
                            ((pars_py.to_numpy() - pars_r) / pars_se)[keep],
                            np.zeros(int(keep.sum())), rtol=0.0, atol=tol,
                            names=list(pars_py.index[keep]))
        return
    checks.assert_close("sigma", [hlm.sigma(fit)], [sigma_r], rtol=tol)
    checks.assert_close("population fitted values", hlm.fitted(fit, level=0).to_numpy(float),
                        rv["fitted"], rtol=tol,
                        atol=tol * float(np.max(se)))
