"""Inference on an lme fit, as nlme 3.1-162 does it.

What :class:`hlm_py.lme.fit.LmeFit` delegates to (``summary``, ``anova``,
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

from hlm_py.arguments import check_level
from hlm_py.callnames import caller_names
from hlm_py.errors import HlmError
from hlm_py.linalg.qt import qt
from hlm_py.lme.qr_loglik import QRLogLik, precision_factor
from hlm_py.lme.results import (
    AnovaLme,
    ApVar,
    FixDF,
    IntervalsLme,
    LmeSummary,
    VarCorrLevel,
    VarCorrLme,
)
from hlm_py.rbase.loglik import aic, bic
from hlm_py.rbase.quantile import quantile7

__all__ = [
    "fix_df",
    "summary",
    "VarCorr",
    "anova",
    "apvar",
    "intervals",
    "natural_loglik",
    "natural_params",
    "fd_hessian",
    "central_hessian",
    "struct_name",
    "constrained_names",
]

#: nlme's ``summary.pdMat`` structure names
_STRUCT_NAMES = {
    "pdLogChol": "General positive-definite, Log-Cholesky parametrization",
    "pdSymm": "General positive-definite",
    "pdDiag": "Diagonal",
    "pdIdent": "Multiple of an Identity",
    "pdCompSymm": "Compound Symmetry",
}
#: classes that nlme treats as ``pdSymm`` (natural parametrisation in apVar, correlations)
_GENERAL = ("pdLogChol", "pdSymm")
#: classes whose summary has ``noCorrelation = TRUE``
_NO_CORRELATION = ("pdDiag", "pdIdent")


def struct_name(pd_name: str) -> str:
    """nlme's ``attr(summary(pdMat), "structName")``."""
    return _STRUCT_NAMES.get(pd_name, pd_name)


def has_correlation(pd_name: str) -> bool:
    """Whether nlme prints a correlation block for this pd class."""
    return pd_name not in _NO_CORRELATION


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


def term_assign(fit: Any) -> dict[str, list[int]]:
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


def fix_df(fit: Any) -> FixDF:
    """nlme's ``getFixDF(X, grps, ngrps, assign, terms)`` for an lme fit."""
    cached = getattr(fit, "_hlm_fixdf", None)
    if cached is not None:
        return cached
    order = np.asarray(fit.grouping.order)
    X = np.asarray(fit.X, dtype=float)[order]
    N, p = X.shape
    Q = fit.Q
    names_x = list(fit.design.X.columns)
    assign = term_assign(fit)
    ngrps = [int(g) for g in fit.grouping.n_groups]  # outer to inner
    strata = list(fit.level_names) + ["Residual"]
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
    _ = strata
    out = FixDF(X=pd.Series(valX, index=pd.Index(names_x)),
                terms=pd.Series(valT, index=pd.Index(list(assign))),
                assign=assign)
    try:
        object.__setattr__(fit, "_hlm_fixdf", out)
    except Exception:  # pragma: no cover - a frozen fit: recompute next time
        pass
    return out


# ---------------------------------------------------------------------------
# summary


def _std_fixed(fit: Any, adjust_sigma: bool) -> np.ndarray:
    sd = np.sqrt(np.diag(fit.varFix.to_numpy(dtype=float)))
    if adjust_sigma and fit.method == "ML":
        sd = sd * math.sqrt(fit.n / (fit.n - sd.size))
    return sd


def summary(fit: Any, adjustSigma: bool = True, verbose: bool = False) -> LmeSummary:  # noqa: N803
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


def level_formula_text(level: Any) -> str:
    """The level's random formula as R deparses a one-sided formula (``~age``)."""
    from hlm_py.formula.deparse import deparse
    from hlm_py.formula.parser import parse

    return deparse(parse(level.formula))


def pd_form_string(level: Any) -> str:
    """nlme's ``formStr`` of a level: ``pdLogChol(age)``, ``pdIdent(x1 + x2 - 1)``."""
    return f"{level.pd.name}({level_formula_text(level)[1:]})"


def VarCorr(fit: Any, rdig: int = 3) -> VarCorrLme:  # noqa: N802 - R's name
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


def _wald_table(fit: Any, type_: str, adjust_sigma: bool) -> AnovaLme:
    fd = fix_df(fit)
    beta = fit.coefficients.to_numpy(dtype=float)
    V = fit.varFix.to_numpy(dtype=float)
    p = beta.size
    if adjust_sigma and fit.method == "ML":
        V = V * (fit.n / (fit.n - p))
    # nlme's varFixFact F (F'F = V, F = R^{-T}): c0 = R beta with R'R = V^{-1}.
    # R is the likelihood's factor of X'V^{-1}X over sigma, as nlme takes it
    # from its QR: inverting V and factoring the inverse would square the
    # condition number of a nearly collinear design twice over
    T = fit.likelihood.fixed_factor(fit.theta_opt) if p else None
    if T is not None:
        R = T * (np.sqrt((fit.n - p) / fit.n) if adjust_sigma and fit.method == "ML" else 1.0)
        R = R / fit.sigma()
    else:
        Vinv = np.linalg.inv(V)
        R = np.linalg.cholesky(0.5 * (Vinv + Vinv.T)).T  # upper, R'R = V^{-1}
    c0 = R @ beta
    Ft = linalg.solve_triangular(R, np.eye(p), lower=False).T  # the factor nlme keeps
    rows = []
    for name, cols in fd.assign.items():
        k = len(cols)
        if type_ == "sequential":
            c = c0[cols]
        else:
            q, _ = np.linalg.qr(Ft[:, cols])
            c = q.T @ c0
        fval = float(np.sum(c ** 2) / k)
        ddf = float(fd.terms[name])
        pval = float(stats.f.sf(fval, k, ddf))
        rows.append((name, k, ddf, fval, pval))
    table = pd.DataFrame({"numDF": [r[1] for r in rows], "denDF": [r[2] for r in rows],
                          "F-value": [r[3] for r in rows], "p-value": [r[4] for r in rows]},
                         index=pd.Index([r[0] for r in rows]))
    return AnovaLme(table=table, kind="wald", type=type_)


def _fixed_terms_key(fit: Any) -> str:
    """nlme's key for "same fixed effects": sorted term labels (+ intercept)."""
    t = fit.design.terms
    key = "&".join(sorted(t.term_labels))
    return key + "&(Intercept)" if t.intercept else key


def _response(fit: Any) -> str:
    return str(fit.design.terms.response or "")


#: R's classes of the fits nlme's anova.lme compares that hlm_py has (``r_class``)
_COMPARABLE = ("lm", "lme")


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


def anova(fit: Any, *others: Any, test: bool = True, type: str = "sequential",  # noqa: A002
          adjustSigma: bool = True, names: list[str] | None = None) -> AnovaLme:  # noqa: N803
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
    kinds = ("sequential", "marginal")
    match = [k for k in kinds if type and k.startswith(type)]
    if len(match) != 1:
        raise HlmError(f"'arg' should be one of \"sequential\", \"marginal\", not {type!r}")
    return _wald_table(fit, match[0], adjustSigma)


# ---------------------------------------------------------------------------
# apVar and intervals


def _natural_of_matrix(pd_obj: Any, D: np.ndarray) -> np.ndarray:
    """nlme's unconstrained parameters of ``D`` in apVar's "natural" form."""
    name = pd_obj.name
    if name in _GENERAL:
        sd = np.sqrt(np.diag(D))
        q = sd.size
        if q == 1:
            return np.log(sd)
        C = D / np.outer(sd, sd)
        r = np.array([C[i, j] for j in range(q) for i in range(q) if i > j])
        # (a correlation of +-1, or one rounded past it, has no finite
        # parameter, as in R; apvar refuses the non-finite Hessian)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.r_[np.log(sd), np.log((1 + r) / (1 - r))]
    return np.asarray(pd_obj.params(D), dtype=float)


def _matrix_of_natural(pd_obj: Any, theta: np.ndarray, q: int) -> np.ndarray:
    name = pd_obj.name
    if name in _GENERAL:
        sd = np.exp(theta[:q])
        C = np.eye(q)
        pos = q
        for j in range(q):
            for i in range(j + 1, q):
                e = math.exp(theta[pos])
                C[i, j] = C[j, i] = (e - 1) / (e + 1)
                pos += 1
        return C * np.outer(sd, sd)
    return pd_obj.matrix(theta, q)


def _constrained(pd_obj: Any, theta: np.ndarray, q: int) -> np.ndarray:
    """nlme's ``coef(pdMat, unconstrained = FALSE)`` of natural parameters."""
    name = pd_obj.name
    if name in _GENERAL:
        out = np.exp(theta.copy())
        e = out[q:]
        out[q:] = (e - 1) / (e + 1)
        return out
    if name in ("pdDiag", "pdIdent"):
        return np.exp(theta)
    if name == "pdCompSymm":
        e = math.exp(theta[1])
        return np.array([math.exp(theta[0]), (e - 1 / (q - 1)) / (e + 1)])
    raise HlmError(f"no constrained coefficients for {name}")


def constrained_names(level: Any, names: list[str]) -> list[str]:
    """nlme's names of ``coef(pdMat, unconstrained = FALSE)`` in ``intervals``."""
    cls = level.pd.name
    q = len(names)
    if cls in _GENERAL:
        out = [f"sd({n})" for n in names]
        out += [f"cor({names[j]},{names[i]})" for j in range(q) for i in range(q) if i > j]
        return out
    if cls == "pdDiag":
        return [f"sd({n})" for n in names]
    if cls == "pdIdent":
        return [f"sd({level_formula_text(level)[1:]})"]
    if cls == "pdCompSymm":
        return ["std. dev", "corr."]
    raise HlmError(f"no constrained coefficients for {cls}")


def natural_params(fit: Any, psis: list[np.ndarray] | None = None,
                   sigma: float | None = None) -> pd.Series:
    """``attr(fit$apVar, "Pars")``: natural parameters of ``sigma^2 Psi`` per level
    (innermost first) and ``lSigma``.

    At the fit's estimates, or at other relative ``psis`` (``Psi_l / sigma^2``,
    one per level, outer to inner as ``fit.psi``) and ``sigma``: another fit's
    estimates (nlme's), in the coordinates of :func:`apvar`.
    """
    psis = fit.psi if psis is None else psis
    sigma = fit.sigma() if sigma is None else float(sigma)
    s2 = sigma ** 2
    vals: list[float] = []
    names: list[str] = []
    for li in range(fit.Q - 1, -1, -1):
        lev = fit.levels[li]
        q = len(fit.random_names[li])
        vals += list(_natural_of_matrix(lev.pd, s2 * np.asarray(psis[li], dtype=float)))
        names += list(lev.pd.param_names(lev.name, q))
    vals.append(math.log(sigma))
    names.append("lSigma")
    return pd.Series(vals, index=pd.Index(names))


def natural_loglik(fit: Any):
    """The function nlme's ``lmeApVar`` differentiates: the (RE)ML log-likelihood
    with beta profiled, at natural parameters of ``D_l = sigma^2 Psi_l`` (innermost
    level first) and log sigma."""
    levels = fit.levels
    qs = [len(n) for n in fit.random_names]
    sizes = [lv.pd.n_params(q) for lv, q in zip(levels, qs)]
    ll = QRLogLik(fit.X, fit.y, fit.Z, fit.grouping, fit.REML)

    def f(pars: np.ndarray) -> float:
        sigma = math.exp(pars[-1])
        s2 = sigma * sigma
        deltas: list[np.ndarray] = [np.empty(0)] * len(levels)
        pos = 0
        for li in range(len(levels) - 1, -1, -1):
            k = sizes[li]
            D = _matrix_of_natural(levels[li].pd, pars[pos:pos + k], qs[li])
            pos += k
            try:
                deltas[li] = precision_factor(0.5 * (D + D.T) / s2)
            except (np.linalg.LinAlgError, ValueError):
                return -math.inf
        return ll(deltas, sigma)

    return f


def fd_hessian(pars: np.ndarray, fun: Any, rel_step: float = np.finfo(float).eps ** (1 / 3),
               min_abs_par: float = 0.0) -> tuple[float, np.ndarray, np.ndarray]:
    """nlme's ``fdHess``: a second-order (Koschal) design around ``pars``, fitted
    exactly; returns (mean, gradient, Hessian)."""
    pars = np.asarray(pars, dtype=float)
    npar = pars.size
    incr = np.maximum(np.abs(pars), min_abs_par) * rel_step
    base = np.eye(npar)
    cols = [np.zeros((npar, 1)), base, -base]
    frac = [np.array([1.0]), incr, incr ** 2]
    for i in range(npar - 1):
        cols.append(base[:, [i]] + base[:, i + 1:])
        frac.append(incr[i] * incr[i + 1:])
    ind = np.concatenate(cols, axis=1)
    fr = np.concatenate(frac)
    shifted = pars[:, None] + incr[:, None] * ind
    indT = ind.T
    xcols = [np.ones((indT.shape[0], 1)), indT, indT ** 2]
    for i in range(npar - 1):
        xcols.append(indT[:, [i]] * indT[:, i + 1:])
    design = np.concatenate(xcols, axis=1)
    values = np.array([fun(shifted[:, k]) for k in range(shifted.shape[1])])
    try:
        coefs = np.linalg.solve(design, values) / fr
    except np.linalg.LinAlgError as exc:
        raise HlmError("Lapack routine dgesv: system is exactly singular "
                       "(a variance parameter is exactly 0 in fdHess)") from exc
    H = np.diag(coefs[1 + npar:1 + 2 * npar])
    low = [(r, c) for c in range(npar) for r in range(npar) if r > c]
    for (r, c), v in zip(low, coefs[1 + 2 * npar:]):
        H[r, c] = v
    return float(coefs[0]), coefs[1:1 + npar], H + H.T


def central_hessian(pars: np.ndarray, fun: Any, rel_step: float = 1e-3,
                    min_abs_par: float = 1.0) -> np.ndarray:
    """Hessian of ``fun`` at ``pars`` by central differences (error O(h^2) in every
    entry), ``h_i = max(|pars_i|, min_abs_par) * rel_step``.

    nlme's :func:`fd_hessian` design is one-sided in the cross terms (error O(h))
    and so needs steps of ``eps^(1/3)``, where rounding noise of the
    log-likelihood divided by ``h^2`` dominates; central differences allow
    steps of 1e-3 with both errors below 1e-6 relative.
    """
    p = np.asarray(pars, dtype=float)
    n = p.size
    h = np.maximum(np.abs(p), min_abs_par) * rel_step
    f0 = fun(p)
    H = np.empty((n, n))
    plus = np.empty(n)
    minus = np.empty(n)
    for i in range(n):
        e = np.zeros(n)
        e[i] = h[i]
        plus[i], minus[i] = fun(p + e), fun(p - e)
        H[i, i] = (plus[i] - 2 * f0 + minus[i]) / (h[i] * h[i])
    for i in range(n):
        for j in range(i):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i], ej[j] = h[i], h[j]
            v = (fun(p + ei + ej) - fun(p + ei - ej) - fun(p - ei + ej) + fun(p - ei - ej))
            H[i, j] = H[j, i] = v / (4 * h[i] * h[j])
    return H


#: nlme's message when the Hessian is not negative definite
APVAR_NOT_PD = "Non-positive definite approximate variance-covariance"
#: Hessian steps (:func:`central_hessian`): ``max(|par|, APVAR_MIN_ABS_PAR) *
#: APVAR_REL_STEP``. nlme's ``fdHess`` uses ``|par| * eps^(1/3)`` (6e-6) in a design
#: whose cross terms are one-sided; the rounding noise of the log-likelihood
#: divided by the squared step makes its Hessian noisy (up to tens of percent when
#: a parameter is near 0 or the likelihood is large). See docs/differences.md,
#: "lme intervals".
APVAR_REL_STEP = 1e-3
APVAR_MIN_ABS_PAR = 1.0
#: eigenvalues of the Hessian above ``-APVAR_SINGULAR * max |eigenvalue|`` count as
#: not negative (a singular Hessian at a boundary estimate)
APVAR_SINGULAR = 1e-8


def apvar(fit: Any) -> ApVar:
    """nlme's ``lmeApVar(natural = TRUE)``: ``solve(-H)`` of ``fdHess``'s Hessian of
    the log-likelihood in the natural parameters; :class:`HlmError` with nlme's
    message when the Hessian is not negative definite.

    Differs from nlme in the differences (central, :func:`central_hessian`, with
    larger steps, :data:`APVAR_REL_STEP`, where nlme uses ``fdHess``) and in
    refusing a numerically singular Hessian (:data:`APVAR_SINGULAR`)."""
    cached = getattr(fit, "_hlm_apvar", None)
    if cached is not None:
        if isinstance(cached, HlmError):
            raise cached
        return cached
    pars = natural_params(fit)
    try:
        # (non-finite parameters or values at a boundary are checked below)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            H = central_hessian(pars.to_numpy(), natural_loglik(fit), rel_step=APVAR_REL_STEP,
                                min_abs_par=APVAR_MIN_ABS_PAR)
        if not np.all(np.isfinite(H)):
            raise HlmError(APVAR_NOT_PD)
        ev = np.linalg.eigvalsh(0.5 * (H + H.T))
        # nlme: all eigenvalues < 0; a numerically singular Hessian (a variance at
        # the boundary, log sd -> -inf: the likelihood is flat there) is refused too
        if not np.all(ev < -APVAR_SINGULAR * np.max(np.abs(ev))):
            raise HlmError(APVAR_NOT_PD)
        M = np.linalg.solve(-H, np.eye(H.shape[0]))
        out: ApVar | HlmError = ApVar(
            matrix=pd.DataFrame(M, index=pars.index, columns=pars.index), Pars=pars)
    except HlmError as exc:
        out = exc
    try:
        object.__setattr__(fit, "_hlm_apvar", out)
    except Exception:  # pragma: no cover
        pass
    if isinstance(out, HlmError):
        raise out
    return out


def intervals(fit: Any, level: float = 0.95, which: str = "all") -> IntervalsLme:
    """nlme's ``intervals.lme(object, level = 0.95, which = "all")``.

    Fixed effects: ``t`` quantiles with the containment DF; variance
    components and sigma: normal intervals on the natural scale from
    :func:`apvar`, transformed back (SDs, correlations). When ``apVar`` is not
    positive definite, raises :class:`HlmError` with nlme's message.
    """
    kinds = ("all", "var-cov", "fixed")
    match = [k for k in kinds if which and k.startswith(which)]
    if len(match) != 1:
        raise HlmError(f"'arg' should be one of \"all\", \"var-cov\", \"fixed\", not {which!r}")
    which = match[0]
    level = check_level(level)
    fixed = None
    if which != "var-cov":
        est = fit.coefficients.to_numpy(dtype=float)
        dfx = fix_df(fit).X.to_numpy()
        half = -qt((1 - level) / 2, dfx) * np.sqrt(np.diag(fit.varFix.to_numpy(dtype=float)))
        fixed = pd.DataFrame({"lower": est - half, "est.": est, "upper": est + half},
                             index=fit.coefficients.index.copy())
    re: dict[str, pd.DataFrame] | None = None
    sig = None
    if which != "fixed":
        try:
            av = apvar(fit)
        except HlmError as exc:
            raise HlmError(
                f"cannot get confidence intervals on var-cov components: {exc}\n"
                " Consider 'which = \"fixed\"'") from None
        pars = av.Pars.to_numpy()
        half = -stats.norm.ppf((1 - level) / 2) * np.sqrt(np.diag(av.matrix.to_numpy()))
        lo, hi = pars - half, pars + half
        sig = pd.Series(np.exp([lo[-1], pars[-1], hi[-1]]), index=["lower", "est.", "upper"])
        re = {}
        pos = 0
        chunks = {}
        for li in range(fit.Q - 1, -1, -1):
            lev = fit.levels[li]
            q = len(fit.random_names[li])
            k = lev.pd.n_params(q)
            sl = slice(pos, pos + k)
            cols = [_constrained(lev.pd, v[sl], q) for v in (lo, pars, hi)]
            chunks[li] = pd.DataFrame({"lower": cols[0], "est.": cols[1], "upper": cols[2]},
                                      index=constrained_names(lev, fit.random_names[li]))
            pos += k
        for li in range(fit.Q):
            re[fit.levels[li].name] = chunks[li]
    return IntervalsLme(fixed=fixed, reStruct=re, sigma=sig, level=level)
