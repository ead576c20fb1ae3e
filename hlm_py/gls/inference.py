"""gls's generics beyond the fit: summary, anova, apVar, intervals,
getVarCov, ACF and Variogram, as nlme's ``summary.gls``, ``anova.gls``,
``glsApVar``, ``intervals.gls``, ``getVarCov.gls``, ``ACF.gls`` and
``Variogram.gls`` (its numbers: :func:`hlm_py.lme.empirical.fit_variogram`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hlm_py.errors import HlmError
from hlm_py.formula.grouping import build_grouping, group_names
from hlm_py.gls.reduced import pattern_criterion
from hlm_py.gls.results import GlsSummary, IntervalsGls
from hlm_py.linalg.qt import qt
from hlm_py.linalg.threads import one_blas_thread
from hlm_py.lme.apvar import (
    APVAR_MIN_ABS_PAR,
    APVAR_NOT_PD,
    APVAR_SINGULAR,
    central_hessian,
)
from hlm_py.lme.empirical import fit_variogram
from hlm_py.lme.inference import _compare_table
from hlm_py.lme.results import ACFResult, AnovaLme, ApVar, VarCov, VariogramResult
from hlm_py.lme.wald import wald_linear, wald_terms
from hlm_py.rbase.loglik import aic, bic
from hlm_py.rbase.quantile import quantile7
from hlm_py.structs.empirical import acf

#: ``fit`` below is a :class:`hlm_py.gls.model.GlsFit` (typed ``Any``: the
#: fit's methods call these, so this module does not import the fit's)


def match_arg(value: Any, choices: tuple[str, ...], what: str) -> str:
    """R's ``match.arg``: a unique prefix of one of ``choices``."""
    hits = [c for c in choices if isinstance(value, str) and value and c.startswith(value)]
    if len(hits) != 1:
        opts = ", ".join(f'"{c}"' for c in choices)
        raise HlmError(f"'{what}' should be one of {opts}, not {value!r}")
    return hits[0]


__all__ = ["match_arg", "summary", "anova", "apvar", "compute_apvar", "intervals", "getVarCov", "ACF",
           "Variogram", "variogram_inputs"]


def summary(fit: Any) -> GlsSummary:
    """nlme's ``summary.gls``."""
    beta = fit.coefficients
    V = fit.varBeta.to_numpy()
    se = np.sqrt(np.diag(V))
    t = beta.to_numpy() / se
    p = 2 * stats.t.sf(np.abs(t), fit.n - fit.p)
    ttab = pd.DataFrame({"Value": beta.to_numpy(), "Std.Error": se, "t-value": t, "p-value": p},
                        index=beta.index.copy())
    cor = pd.DataFrame(V / se[:, None] / se[None, :], index=beta.index.copy(),
                       columns=beta.index.copy())
    r = fit.residuals(type="pearson").to_numpy()
    if r.size > 5:
        res = pd.Series(quantile7(r, [0, 0.25, 0.5, 0.75, 1]),
                        index=["Min", "Q1", "Med", "Q3", "Max"])
    else:
        res = pd.Series(r, index=fit.row_names)
    ll = fit.logLik()
    return GlsSummary(fit=fit, tTable=ttab, corBeta=cor, residuals=res, AIC=aic(ll),
                      BIC=bic(ll), logLik=float(ll), sigma=fit.sigma())


def _assign(fit: Any) -> dict[str, list[int]]:
    """nlme's ``parAssign``: term -> columns of the model matrix."""
    mm = fit.design.X
    labels = (["(Intercept)"] if fit.design.terms.intercept else []) + \
        list(fit.design.terms.term_labels)
    out: dict[str, list[int]] = {}
    for j, a in enumerate(mm.assign):
        name = labels[a] if fit.design.terms.intercept else labels[a - 1]
        out.setdefault(name, []).append(j)
    return out


def _beta_factor(fit: Any, adjust_sigma: bool) -> np.ndarray:
    """nlme's ``varBetaFact`` (``F'F = varBeta``); under ML with
    ``adjustSigma`` scaled by ``sqrt((N - p) / N)``."""
    n, p = fit.n, fit.p
    n_r = n - (p if fit.REML else 0)
    F = (fit.sigma() * fit.estimates.r_inv * math.sqrt(n_r / (n - p))).T
    if not fit.REML and adjust_sigma:
        F = F * math.sqrt((n - p) / n)
    return F


def anova(fit: Any, *others: Any, test: bool = True, type: str = "sequential",  # noqa: A002
          adjustSigma: bool | None = None, Terms: Any = None, L: Any = None,  # noqa: N803
          names: list[str] | None = None) -> AnovaLme:
    """nlme's ``anova.gls``: one fit's Wald F-tests (denominator DF ``N - p``,
    printed as nlme's ``Denom. DF:`` line), ``Terms=``/``L=`` tests, or the
    likelihood-ratio table of several gls / lme / lm fits (nlme's
    ``anova.lme``)."""
    if others:
        return _compare_table([fit, *others], names, test)
    adjust = bool(adjustSigma) if adjustSigma is not None else False
    F = _beta_factor(fit, adjust)
    beta = fit.coefficients.to_numpy()
    assign = _assign(fit)
    ddf = fit.n - fit.p
    lab = f"Denom. DF: {ddf} \n"
    if Terms is None and L is None:
        kind = match_arg(type, ("sequential", "marginal"), "type")
        w = wald_terms(F, beta, assign, [ddf] * len(assign), kind)
        return AnovaLme(table=w.table.drop(columns="denDF"), kind="wald", type=kind, label=lab,
                        den_df_column=False)
    names_ = list(fit.coefficients.index)
    w = wald_linear(F, beta, names_, assign, {}, [ddf] * len(names_), terms=Terms, L=L,
                    single_df=float(ddf))
    return AnovaLme(table=w.table.drop(columns="denDF"), kind="wald", type=None,
                    label=lab + " " + (w.label or ""), L=w.L, den_df_column=False)


# ---------------------------------------------------------------------------
# apVar and intervals


def _natural_pars(fit: Any) -> tuple[np.ndarray, bool]:
    """``coef(glsSt)`` with corSymm's block on the natural scale (nlme's
    ``corNatural``, when ``natural``), and whether it was converted."""
    theta = fit.theta.copy()
    d = fit.model
    natural = bool(fit.control.natural) and d.cor is not None and d.cor_spec is not None \
        and d.cor_spec.r_class == "corSymm"
    if natural and d.cor is not None:
        blocks = d.split(theta)
        theta = np.concatenate([d.cor.natural(blocks["corStruct"])]
                               + ([blocks["varStruct"]] if "varStruct" in blocks else []))
    return theta, natural


def _from_pars(fit: Any, pars: np.ndarray, natural: bool) -> np.ndarray:
    d = fit.model
    if not natural or d.cor is None:
        return pars
    k = d.cor.n_params
    return np.concatenate([d.cor.from_natural(pars[:k]), pars[k:]])


def _full_loglik(fit: Any, natural: bool):
    """nlme's ``glsApVar.fullGlsLogLik`` in ``(pars, log sigma)``: on the
    pattern criterion where the structures keep the reduction (the same
    function, its evaluations free of n: :mod:`hlm_py.gls.reduced`), else on
    the whitening of all rows."""
    crit = pattern_criterion(fit.model) or fit.criterion

    def f(pars: np.ndarray) -> float:
        return crit.full_loglik(_from_pars(fit, pars[:-1], natural), pars[-1])
    return f


#: apVar's central-difference steps for gls (relative, floored at
#: APVAR_MIN_ABS_PAR): gls's criterion is a QR of the whitened rows, whose
#: noise allows 1e-4 where 1e-3 left a truncation error of 2e-3 in a
#: cross term (ovary_gls_ar1_varPower; 1e-4 and 1e-5 agree to 1e-4)
GLS_APVAR_REL_STEP = 1e-4


@one_blas_thread
def compute_apvar(fit: Any) -> ApVar | HlmError:
    """nlme's ``glsApVar``: ``solve(-H)`` of the Hessian of the log-likelihood
    in ``(coef(glsSt), lSigma)`` (corSymm's on the natural scale), or the
    :class:`HlmError` with nlme's message when it is not negative definite.
    The Hessian by central differences, as lme's apVar
    (``docs/differences.md``, "lme intervals")."""
    if not fit.control.apVar:
        return HlmError("Approximate variance-covariance matrix not available")
    pars0, natural = _natural_pars(fit)
    if pars0.size == 0:
        return HlmError("no variance or correlation parameters")
    pars = np.r_[pars0, math.log(fit.sigma())]
    names = fit.theta_names + ["lSigma"]
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            H = central_hessian(pars, _full_loglik(fit, natural), rel_step=GLS_APVAR_REL_STEP,
                                min_abs_par=APVAR_MIN_ABS_PAR)
        if not np.all(np.isfinite(H)):
            raise HlmError(APVAR_NOT_PD)
        ev = np.linalg.eigvalsh(0.5 * (H + H.T))
        if not np.all(ev < -APVAR_SINGULAR * np.max(np.abs(ev))):
            raise HlmError(APVAR_NOT_PD)
        M = np.linalg.solve(-H, np.eye(H.shape[0]))
        idx = pd.Index(names)
        return ApVar(matrix=pd.DataFrame(M, index=idx, columns=idx),
                     Pars=pd.Series(pars, index=idx))
    except HlmError as exc:
        return exc


def apvar(fit: Any) -> ApVar:
    out = fit._apvar
    if isinstance(out, HlmError):
        raise out
    return out


def intervals(fit: Any, level: float = 0.95, which: str = "all") -> IntervalsGls:
    """nlme's ``intervals.gls(object, level, which = "all")``: the
    coefficients with ``t`` quantiles on ``N - p`` DF; the structures'
    parameters and sigma with normal intervals from apVar, transformed to
    the constrained scale as nlme does (each column of bounds through
    ``coef<-`` and ``coef(unconstrained = FALSE)``)."""
    which = match_arg(which, ("all", "var-cov", "coef"), "which")
    if not (isinstance(level, (int, float)) and 0 < float(level) < 1):
        raise HlmError(f"'level' must be a number between 0 and 1, not {level!r}")
    coef = None
    if which != "var-cov":
        est = fit.coefficients.to_numpy()
        half = -qt((1 - level) / 2, fit.n - fit.p) * np.sqrt(np.diag(fit.varBeta.to_numpy()))
        coef = pd.DataFrame({"lower": est - half, "est.": est, "upper": est + half},
                            index=fit.coefficients.index.copy())
    cor_t = var_t = sig = None
    if which != "coef":
        d = fit.model
        if d.n_params == 0:
            n_r = fit.n - (fit.p if fit.REML else 0)
            est_s = fit.sigma() * math.sqrt(n_r)
            sig = pd.Series([est_s / math.sqrt(stats.chi2.ppf((1 + level) / 2, n_r)),
                             fit.sigma(),
                             est_s / math.sqrt(stats.chi2.ppf((1 - level) / 2, n_r))],
                            index=["lower", "est.", "upper"])
        else:
            av = fit._apvar
            if isinstance(av, HlmError):
                raise HlmError(f"cannot get confidence intervals on var-cov components: {av}")
            _, natural = _natural_pars(fit)
            pars = av.Pars.to_numpy()
            half = -stats.norm.ppf((1 - level) / 2) * np.sqrt(np.diag(av.matrix.to_numpy()))
            ends = [pars - half, pars, pars + half]
            sig = pd.Series(np.exp([e[-1] for e in ends]), index=["lower", "est.", "upper"])
            thetas = [_from_pars(fit, e[:-1], natural) for e in ends]
            for name, comp in d.components:
                if comp.n_params == 0:
                    continue
                cols = [comp.coef(d.split(t)[name], unconstrained=False) for t in thetas]
                tab = pd.DataFrame({"lower": cols[0], "est.": cols[1], "upper": cols[2]},
                                   index=pd.Index(_free_constrained_names(comp)))
                if name == "corStruct":
                    cor_t = tab
                else:
                    var_t = tab
    return IntervalsGls(coef=coef, corStruct=cor_t, varStruct=var_t, sigma=sig,
                        level=float(level))


def _free_constrained_names(comp: Any) -> list[str]:
    return list(comp.constrained_names())


# ---------------------------------------------------------------------------
# getVarCov, ACF


def getVarCov(fit: Any, individual: Any = 1) -> VarCov:  # noqa: N802 - nlme's name
    """nlme's ``getVarCov.gls``: the marginal covariance of one group
    (``individual``: its number in level order, or its label)."""
    d = fit.model
    if d.cor is None:
        raise HlmError("not implemented for uncorrelated errors")
    if d.groups is None:
        raise HlmError("not implemented for correlation structures without a grouping factor")
    labels = d.groups.labels[-1]
    codes = d.groups.codes[-1]
    if isinstance(individual, (int, np.integer)) and not isinstance(individual, bool):
        if not 1 <= int(individual) <= len(labels):
            raise HlmError("subscript out of bounds")
        g = int(individual) - 1
    else:
        if str(individual) not in labels:
            raise HlmError("subscript out of bounds")
        g = labels.index(str(individual))
    S = d.cor.matrices(fit.component_theta("corStruct"))[g]
    sd = fit.sigma() / fit.weights[codes == g]
    M = S * sd[:, None] * sd[None, :]
    # nlme's gls result has no dimnames: R prints [1,] and [,1]
    return VarCov(type="marginal", matrices={"": pd.DataFrame(M)}, dimnames=False)


def ACF(fit: Any, maxLag: int | None = None, resType: str = "pearson",  # noqa: N802,N803
        form: str | None = None) -> ACFResult:
    """nlme's ``ACF.gls``: the autocorrelation of the residuals within the
    fit's groups (or ``form``'s ``~ 1 | g`` groups when the fit has none)."""
    kind = match_arg(resType, ("pearson", "response", "normalized"), "resType")
    res = fit.residuals(type=kind).to_numpy()
    codes = None
    d = fit.model
    if d.groups is not None:
        codes = d.groups.codes[-1]
    elif form is not None:
        from_form = _form_groups(fit, form)
        codes = from_form
    lag, val, n_used = acf(res, codes, maxLag)
    return ACFResult(table=pd.DataFrame({"lag": lag, "ACF": val}), n_used=n_used)


def _form_groups(fit: Any, form: str) -> np.ndarray | None:
    if "|" not in form:
        return None
    names = group_names("~ " + form.split("|", 1)[1])
    return build_grouping(fit.model.kept, names).codes[-1]


def Variogram(fit: Any, form: str | None = None, resType: str = "pearson",  # noqa: N802,N803
              maxDist: float | None = None, length_out: int = 50,  # noqa: N803
              collapse: str = "quantiles", nint: int | None = None, breaks: Any = None,
              robust: bool = False, metric: str = "euclidean") -> VariogramResult:
    """nlme's ``Variogram.gls``: the semivariogram of the residuals within the
    fit's correlation groups (or ``form``'s ``| g`` groups; none: one
    series), against ``form``'s covariate (default: the spatial structure's
    distances, else the position). Empty distance classes stay as rows
    (``variog`` NaN, ``dist`` NA), as in nlme's gls method."""
    kind = match_arg(resType, ("pearson", "response", "normalized"), "resType")
    res = fit.residuals(type=kind).to_numpy()
    return fit_variogram(res, res_type=kind, form=form, maxDist=maxDist, length_out=length_out,
                         collapse=collapse, nint=nint, breaks=breaks, robust=robust,
                         metric=metric, **variogram_inputs(fit))


def variogram_inputs(fit: Any) -> dict[str, Any]:
    """What ``Variogram.gls`` takes from the fit besides the residuals (the
    arguments of :func:`hlm_py.lme.empirical.fit_variogram`)."""
    d = fit.model
    codes = order = None
    if d.groups is not None:
        codes = d.groups.codes[-1]
        order = list(range(len(d.groups.labels[-1])))
    theta = fit.component_theta("corStruct") if d.cor is not None else np.zeros(0)
    return dict(data=d.kept, codes=codes, order=order, cor=d.cor, cor_theta=theta,
                sigma=float(fit.sigma()), lme=False)
