"""Inference on an lme fit, as nlme 3.1-162 does it.

What :class:`hlm_py.lme.model.LmeFit` delegates to (``summary``, ``anova``,
``intervals``, ``VarCorr``) and the pieces they need:

* :func:`fix_df` -- nlme's ``getFixDF``: the "inner and outer" containment
  degrees of freedom of Pinheiro & Bates (2000, sec. 2.4.2), per coefficient
  and per term. A column of ``X`` is estimated in the stratum just inside the
  innermost grouping level within whose groups it varies (or the residual
  stratum); the stratum's DF is its number of groups minus those of the level
  outside, less the columns estimated there (the intercept goes to the
  outermost stratum; constant columns get the largest DF).
* :func:`summary` -- ``summary.lme``; :func:`VarCorr` -- ``VarCorr.lme``;
  :func:`anova` -- ``anova.lme`` (Wald F-tests, sequential or marginal, or the
  likelihood-ratio table of several fits); :func:`apvar` -- ``lmeApVar``
  (numerical Hessian of the log-likelihood on nlme's natural scale by
  ``fdHess``'s design); :func:`intervals` -- ``intervals.lme``.

Where this differs from nlme: nlme computes ``apVar`` once, at its own
(slightly early) optimum; here it is computed on request at hlm_py's
converged optimum with the same design and step sizes (see
docs/differences.md, "lme intervals").
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats

from hlm_py.callnames import caller_names
from hlm_py.errors import HlmError
from hlm_py.formula.deparse import deparse
from hlm_py.formula.parser import parse
from hlm_py.lme.fitted import FittedLme
from hlm_py.lme.pdmat import pd_class_by_name
from hlm_py.lme.random import RandomLevel
from hlm_py.lme.results import (
    AnovaLme,
    FixDF,
    LmeSummary,
    VarCorrLevel,
    VarCorrLme,
)
from hlm_py.lme.wald import wald_linear, wald_terms
from hlm_py.rbase.loglik import aic, bic
from hlm_py.rbase.quantile import quantile7

__all__ = [
    "fix_df",
    "summary",
    "VarCorr",
    "anova",
    "containment_df",
    "struct_name",
    "has_correlation",
    "correlation_has_names",
]

def struct_name(pd_name: str) -> str:
    """nlme's ``attr(summary(pdMat), "structName")`` of the pd class named ``pd_name``."""
    try:
        return pd_class_by_name(pd_name).structure
    except HlmError:
        return pd_name


def correlation_has_names(pd_name: str) -> bool:
    """Whether that block has a row of abbreviated names (not for pdCompSymm,
    whose ``corMatrix`` has no dimnames)."""
    try:
        return pd_class_by_name(pd_name).correlation_names
    except HlmError:
        return True


def has_correlation(pd_name: str) -> bool:
    """Whether nlme prints a correlation block for the pd class named ``pd_name``."""
    try:
        return pd_class_by_name(pd_name).correlation
    except HlmError:
        return True


# ---------------------------------------------------------------------------
# degrees of freedom (getFixDF)


def _const_column(x: np.ndarray, tol: float = math.sqrt(np.finfo(float).eps)) -> bool:
    """nlme's ``const``: is ``x`` (nearly) a multiple of (1, ..., 1)?"""
    if x.size < 1:
        return False
    if x[0] == 0:
        return bool(np.all(np.abs(x) < tol))
    return bool(np.all(np.abs(x / x[0] - 1) < tol))


def _inner_fraction(x: np.ndarray, starts: np.ndarray) -> float:
    """nlme's ``inner_perc``: the fraction of groups (contiguous runs starting at
    ``starts``) within which ``x`` is not constant."""
    if starts.size == 0:
        return 0.0
    lengths = np.diff(np.r_[starts, x.size])
    first = np.repeat(x[starts], lengths)
    varies = np.logical_or.reduceat(x != first, starts)
    return float(varies.sum()) / starts.size


def term_assign(fit: FittedLme) -> dict[str, list[int]]:
    """Term name (``(Intercept)`` first) -> 0-based columns of ``X`` (R's
    ``split(order(assign), term names)``)."""
    terms = fit.design.terms
    names = list(terms.term_labels)
    assign = list(fit.design.X.assign)
    out: dict[str, list[int]] = {}
    if terms.intercept and 0 in assign:
        out["(Intercept)"] = [j for j, a in enumerate(assign) if a == 0]
    for k, lab in enumerate(names, start=1):
        cols = [j for j, a in enumerate(assign) if a == k]
        if cols:
            out[lab] = cols
    return out


def fix_df(fit: FittedLme) -> FixDF:
    """nlme's ``fit$fixDF``: computed once per fit (:func:`containment_df`)."""
    return fit.fixDF


def containment_df(fit: FittedLme) -> FixDF:
    """nlme's ``getFixDF(X, grps, ngrps, assign, terms)`` for an lme fit."""
    order = np.asarray(fit.grouping.order)
    X = np.asarray(fit.X, dtype=float)[order]
    N, p = X.shape
    Q = fit.Q
    names_x = list(fit.design.X.columns)
    assign = term_assign(fit)
    ngrps = [int(g) for g in fit.grouping.n_groups]  # outer to inner
    counts = ngrps + [N]
    dfX = np.array([counts[k] - (counts[k - 1] if k else 0) for k in range(Q + 1)], dtype=float)
    dfT = dfX.copy()
    valX = np.zeros(p)
    valT = np.zeros(len(assign))
    not_int = np.array([not _const_column(X[:, j]) for j in range(p)], dtype=bool)
    not_int_terms = np.array([bool(not_int[cols].any()) for cols in assign.values()], dtype=bool)
    if not_int.any():
        # inner fractions: column k + 1 of nlme's table is level k's
        inner = np.ones((p, Q + 1))
        for lev in range(Q):
            codes = np.asarray(fit.grouping.codes[lev])[order]
            starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
            for j in range(p):
                inner[j, lev + 1] = _inner_fraction(X[:, j], starts)
        strat_x = np.array([max(k for k in range(Q + 1) if inner[j, k] > 0) for j in range(p)])
        strat_terms = np.array([max(strat_x[cols]) for cols in assign.values()])
        for k in strat_x[not_int]:
            dfX[k] -= 1
        if not not_int.all():
            dfX[0] -= 1
        else:
            dfX[1:] += 1
        valX[not_int] = dfX[strat_x[not_int]]
        sizes = np.array([len(c) for c in assign.values()])
        for t in np.flatnonzero(not_int_terms):
            dfT[strat_terms[t]] -= sizes[t]
        if not not_int_terms.all():
            dfT[0] -= 1
        else:
            dfT[1:] += 1
        valT[not_int_terms] = dfT[strat_terms[not_int_terms]]
    if not not_int.all():
        valX[~not_int] = dfX.max()
        if not not_int_terms.all():
            valT[~not_int_terms] = dfT.max()
    return FixDF(X=pd.Series(valX, index=pd.Index(names_x)),
                 terms=pd.Series(valT, index=pd.Index(list(assign))),
                 assign=assign)


# ---------------------------------------------------------------------------
# summary


def _std_fixed(fit: FittedLme, adjust_sigma: bool) -> np.ndarray:
    sd = np.sqrt(np.diag(fit.varFix.to_numpy(dtype=float)))
    if adjust_sigma and fit.method == "ML":
        sd = sd * math.sqrt(fit.n / (fit.n - sd.size))
    return sd


def summary(fit: FittedLme, adjustSigma: bool = True) -> LmeSummary:  # noqa: N803
    """nlme's ``summary.lme(object, adjustSigma = TRUE)``."""
    names = list(fit.coefficients.index)
    beta = fit.coefficients.to_numpy(dtype=float)
    V = fit.varFix.to_numpy(dtype=float)
    sd0 = np.sqrt(np.diag(V))
    with np.errstate(invalid="ignore", divide="ignore"):
        cor = V / np.outer(sd0, sd0)
    sd = _std_fixed(fit, adjustSigma)
    dfx = fix_df(fit).X.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        tval = beta / sd
    pval = 2 * stats.t.cdf(-np.abs(tval), dfx)
    ttab = pd.DataFrame({"Value": beta, "Std.Error": sd, "DF": dfx, "t-value": tval,
                         "p-value": pval}, index=pd.Index(names))
    res = fit.residuals(type="pearson").to_numpy(dtype=float)
    if res.size > 5:
        resid = pd.Series(quantile7(res, na_rm=True), index=["Min", "Q1", "Med", "Q3", "Max"])
    else:
        resid = pd.Series(res, index=[str(i) for i in fit.residuals(type="pearson").index])
    ll = fit.logLik()
    return LmeSummary(
        fit=fit,
        tTable=ttab,
        corFixed=pd.DataFrame(cor, index=pd.Index(names), columns=pd.Index(names)),
        residuals=resid,
        AIC=aic(ll),
        BIC=bic(ll),
        logLik=ll,
        sigma=fit.sigma(),
        dims=dict(fit.dims),
        method=fit.method,
        fixDF=fix_df(fit),
        psi=[np.asarray(m, dtype=float) for m in fit.psi],
    )


# ---------------------------------------------------------------------------
# VarCorr


def level_formula_text(level: RandomLevel) -> str:
    """The level's random formula as R deparses a one-sided formula (``~age``)."""
    return deparse(parse(level.formula))


def pd_form_string(level: RandomLevel) -> str:
    """nlme's ``formStr`` of a level: ``pdLogChol(age)``, ``pdIdent(x1 + x2 - 1)``."""
    return f"{level.pd.name}({level_formula_text(level)[1:]})"


def VarCorr(fit: FittedLme, rdig: int = 3) -> VarCorrLme:  # noqa: N802 - R's name
    """nlme's ``VarCorr.lme(x, sigma = x$sigma, rdig = 3)`` (levels outer to inner)."""
    s2 = fit.sigma() ** 2
    levels = []
    for li, lev in enumerate(fit.levels):
        names = list(fit.random_names[li])
        psi = np.asarray(fit.psi[li], dtype=float)
        d = np.sqrt(np.diag(psi))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = psi / np.outer(d, d)
        var = s2 * np.diag(psi)
        levels.append(VarCorrLevel(
            name=lev.name, form=pd_form_string(lev), pd_class=lev.pd.name, effects=names,
            variance=var, stddev=np.sqrt(var), corr=corr,
            show_corr=len(names) >= 2 and has_correlation(lev.pd.name)))
    return VarCorrLme(levels=levels, sigma=fit.sigma(), rdig=rdig)


# ---------------------------------------------------------------------------
# anova


def _vfix_factor(fit: FittedLme, adjust_sigma: bool) -> np.ndarray:
    """nlme's ``varFixFact`` (``F'F = varFix``, ``F = R^-T``), scaled by
    ``sqrt(N / (N - p))`` under ML with ``adjustSigma``."""
    V = fit.varFix.to_numpy(dtype=float)
    p = V.shape[0]
    # R is the likelihood's factor of X'V^{-1}X over sigma, as nlme takes it
    # from its QR: inverting V and factoring the inverse would square the
    # condition number of a nearly collinear design twice over
    T = fit.likelihood.fixed_factor(fit.theta_opt) if p else None
    R: np.ndarray
    if T is not None:
        R = T / fit.sigma()
    else:
        Vinv = np.linalg.inv(V)
        R = np.linalg.cholesky(0.5 * (Vinv + Vinv.T)).T  # upper, R'R = V^{-1}
    F = linalg.solve_triangular(R, np.eye(p), lower=False).T
    if adjust_sigma and fit.method == "ML":
        F = F * np.sqrt(fit.n / (fit.n - p))
    return F


def _wald_table(fit: FittedLme, type_: str, adjust_sigma: bool, terms: Any = None,
                L: Any = None) -> AnovaLme:
    fd = fix_df(fit)
    beta = fit.coefficients.to_numpy(dtype=float)
    F = _vfix_factor(fit, adjust_sigma)
    if terms is None and L is None:
        w = wald_terms(F, beta, fd.assign, [fd.terms[t] for t in fd.assign], type_)
        return AnovaLme(table=w.table, kind="wald", type=type_)
    names = list(fit.coefficients.index)
    w = wald_linear(F, beta, names, fd.assign, fd.terms, [fd.X[n] for n in names],
                    terms=terms, L=L)
    return AnovaLme(table=w.table, kind="wald", type=None, label=w.label, L=w.L)


def _fixed_terms_key(fit: FittedLme) -> str:
    """nlme's key for "same fixed effects": sorted term labels (+ intercept)."""
    t = fit.design.terms
    key = "&".join(sorted(t.term_labels))
    return key + "&(Intercept)" if t.intercept else key


def _response(fit: FittedLme) -> str:
    return str(fit.design.terms.response or "")


#: R's classes of the fits nlme's anova.lme compares that hlm_py has (``r_class``)
_COMPARABLE = ("lm", "lme", "gls")


def _compare_table(fits: list[Any], names: list[str] | None, test: bool) -> AnovaLme:
    """nlme's likelihood-ratio table of lme and lm fits (an lm fit has no
    estimation method: it is compared by the lme fits' one, as in nlme)."""
    for f in fits:
        if getattr(type(f), "r_class", None) not in _COMPARABLE:
            raise HlmError('objects must inherit from classes "gls", "gnls", "lm", "lmList", '
                           '"lme", "nlme", "nlsList", or "nls"')
    if names is None:
        names = caller_names(tuple(fits))
    names = list(names)
    if len(names) != len(fits):
        raise HlmError(f"'names' has {len(names)} elements for {len(fits)} fitted objects")
    resp = [_response(f) for f in fits]
    keep = [r == resp[0] for r in resp]
    if not all(keep):
        warnings.warn("some fitted objects deleted because response differs from the first model",
                      stacklevel=3)
    if sum(keep) == 1:
        raise HlmError("first model has a different response from the rest")
    fits = [f for f, k in zip(fits, keep) if k]
    names = [n for n, k in zip(names, keep) if k]
    methods = {m for m in (getattr(f, "method", None) for f in fits) if m is not None}
    if len(methods) > 1:
        raise HlmError("all fitted objects must have the same estimation method")
    reml = methods == {"REML"}
    if reml and len({_fixed_terms_key(f) for f in fits}) > 1:
        warnings.warn("fitted objects with different fixed effects. REML comparisons are not "
                      "meaningful.", stacklevel=3)
    lls = [f.logLik(REML=reml) for f in fits]
    if len({ll.nall for ll in lls}) > 1:
        raise HlmError("all fitted objects must use the same number of observations")
    rt = len(fits)
    df = np.array([float(ll.df) for ll in lls])
    ll = np.array([float(v) for v in lls])
    table = pd.DataFrame({"Model": np.arange(1, rt + 1), "df": df,
                          "AIC": [aic(v) for v in lls], "BIC": [bic(v) for v in lls],
                          "logLik": ll}, index=pd.Index(names))
    if test:
        ddf = np.diff(df)
        if np.sum(np.abs(ddf)) > 0:
            effects = [""] * rt
            for i in range(1, rt):
                if ddf[i - 1] != 0:
                    effects[i] = f"{i} vs {i + 1}"
            lratio = 2 * np.abs(np.diff(ll))
            lratio[ddf == 0] = np.nan
            pval = np.full(rt - 1, np.nan)
            nz = ddf != 0
            pval[nz] = stats.chi2.sf(lratio[nz], np.abs(ddf[nz]))
            table["Test"] = pd.Categorical(effects)
            table["L.Ratio"] = np.r_[np.nan, lratio]
            table["p-value"] = np.r_[np.nan, pval]
    return AnovaLme(table=table, kind="compare", calls=[f.call for f in fits])


def anova(fit: FittedLme, *others: Any, test: bool = True, type: str = "sequential",  # noqa: A002
          adjustSigma: bool = True, Terms: Any = None, L: Any = None,  # noqa: N803
          names: list[str] | None = None) -> AnovaLme:
    """nlme's ``anova.lme``.

    One fit: Wald F-tests of the fixed-effects terms, ``type`` ``"sequential"``
    (nlme's default) or ``"marginal"``, denominator DF by the containment rule.
    Several fits: nlme's likelihood-ratio table (``Model``, ``df``, ``AIC``,
    ``BIC``, ``logLik``, ``Test``, ``L.Ratio``, ``p-value``); rows are named by
    ``names`` or by the variables holding the fits (R deparses the arguments).
    lm fits may follow the first (nlme's ``anova(lmefit, lmfit)``: the lm's
    log-likelihood by the lme fits' method, REML or ML). REML fits with
    different fixed effects give nlme's warning and the table.
    """
    if others:
        return _compare_table([fit, *others], names, test)
    if Terms is not None or L is not None:
        return _wald_table(fit, "sequential", adjustSigma, terms=Terms, L=L)
    kinds = ("sequential", "marginal")
    match = [k for k in kinds if type and k.startswith(type)]
    if len(match) != 1:
        raise HlmError(f"'arg' should be one of \"sequential\", \"marginal\", not {type!r}")
    return _wald_table(fit, match[0], adjustSigma)
