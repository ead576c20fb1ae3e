"""The numbers of R's lm generics: summary, anova, predict, confint, vcov,
logLik (the influence measures: :mod:`hlm_py.lm.influence`).

Each function mirrors the R function it names (R 4.2's ``stats``):
``summary.lm``, ``anova.lm``, ``anova.lmlist`` (with ``stat.anova``'s F
test), ``predict.lm``, ``confint.lm``, ``vcov.lm``, ``logLik.lm``, and
``naresid`` for ``na.exclude``.  p-values come from ``scipy.stats`` (``t``,
``f``), t quantiles from :func:`hlm_py.linalg.qt.qt` (scipy's, polished to
full precision where an old scipy's are not).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import solve_triangular

from hlm_py.arguments import check_level
from hlm_py.errors import HlmError
from hlm_py.formula.deparse import deparse_lines
from hlm_py.formula.frame import offset_values
from hlm_py.formula.transforms import evaluate
from hlm_py.formula.values import DataEnv
from hlm_py.linalg.dqrdc2 import QR, chol2inv, qr_Q
from hlm_py.linalg.libm import r_log
from hlm_py.linalg.qt import qt
from hlm_py.linalg.rsum import r_mean, r_sum
from hlm_py.lm.fitted import FittedLm
from hlm_py.lm.results import AnovaTable, ConfintTable, LmPrediction, LmSummary
from hlm_py.rbase.formatnum import format_integer, format_perc
from hlm_py.rbase.loglik import LogLik

__all__ = [
    "naresid",
    "vcov_lm",
    "summary_lm",
    "anova_lm",
    "anova_lmlist",
    "confint_lm",
    "select_parm",
    "predict_lm",
    "loglik_lm",
    "r_sum",
    "r_mean",
    "rdiv",
]



def rdiv(a: float, b: float) -> float:
    """a / b with R's (IEEE) results for zero divisors: Inf, -Inf or NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / np.float64(b))


# --------------------------------------------------------------------------
# na.exclude padding


def naresid(fit: FittedLm, values: np.ndarray, index: pd.Index, fill: float = math.nan) -> pd.Series:
    """R's ``naresid``: under ``na.exclude`` the omitted rows come back (``fill``,
    NaN by default) at their places, named by their labels; else unchanged."""
    values = np.asarray(values, dtype=float)
    s = pd.Series(values, index=index)
    na = fit.na_action
    if na is None or getattr(na, "kind", None) != "exclude":
        return s
    omitted = np.asarray(getattr(na, "omitted_positions", []), dtype=np.int64)
    if omitted.size == 0:
        return s
    kept = np.asarray(fit.design.frame.row_positions, dtype=np.int64)
    if kept.shape[0] != values.shape[0]:
        return s
    allpos = np.concatenate([kept, omitted])
    order = np.argsort(allpos, kind="stable")
    vals = np.concatenate([values, np.full(omitted.shape[0], fill)])[order]
    labels = list(index) + list(getattr(na, "omitted_labels", omitted))
    return pd.Series(vals, index=pd.Index([labels[i] for i in order]))


# --------------------------------------------------------------------------
# summary.lm and vcov.lm


def require_qr(fit: FittedLm) -> QR:
    if fit.qr is None:
        raise HlmError("lm object does not have a proper 'qr' component.\n"
                       " Rank zero or should not have used lm(.., qr=FALSE).")
    return fit.qr


def summary_lm(fit: FittedLm) -> LmSummary:
    """R's ``summary.lm`` (R 4.2: the model sum of squares uses the fitted values
    as stored, offsets included)."""
    p = fit.rank
    rdf = fit.df_residual()
    r = fit.resid.to_numpy()
    w = fit.weights
    coef_cols = ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]
    aliased = pd.Series(np.isnan(fit.coefficients.to_numpy()), index=fit.coefficients.index)
    na_action = fit.na_action
    if p == 0:
        n = r.shape[0]
        if w is None:
            rss = r_sum(r**2)
        else:
            rss = r_sum(w * r**2)
            r = np.sqrt(w) * r
        resvar = rdiv(rss, rdf)
        return LmSummary(
            call=fit.call,
            residuals=pd.Series(r, index=fit.resid.index),
            coefficients=pd.DataFrame(np.zeros((0, 4)), columns=coef_cols),
            aliased=aliased,
            sigma=float(np.sqrt(resvar)),
            df=(0, int(n), int(aliased.shape[0])),
            r_squared=0.0,
            adj_r_squared=0.0,
            fstatistic=None,
            cov_unscaled=pd.DataFrame(np.zeros((0, 0))),
            weights=w,
            na_action=na_action,
        )
    qr = require_qr(fit)
    n = qr.n
    f = fit.fitted_values.to_numpy()
    if w is None:
        mss = r_sum((f - r_mean(f)) ** 2) if fit.intercept else r_sum(f**2)
        rss = r_sum(r**2)
    else:
        if fit.intercept:
            m = r_sum(w * f / r_sum(w))
            mss = r_sum(w * (f - m) ** 2)
        else:
            mss = r_sum(w * f**2)
        rss = r_sum(w * r**2)
        r = np.sqrt(w) * r
    resvar = rdiv(rss, rdf)
    if math.isfinite(resvar) and f.shape[0] > 1:
        if resvar < (f.mean() ** 2 + np.var(f, ddof=1)) * 1e-30:
            warnings.warn("essentially perfect fit: summary may be unreliable", stacklevel=3)
    piv = qr.pivot[:p]
    R = chol2inv(np.triu(qr.qr[:p, :p]))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.diag(R) * resvar)
        est = fit.coefficients.to_numpy()[piv]
        tval = est / se
        pval = 2.0 * stats.t.sf(np.abs(tval), rdf) if rdf > 0 else np.full(p, np.nan)
    names = [fit.coefficients.index[j] for j in piv]
    coefs = pd.DataFrame({"Estimate": est, "Std. Error": se, "t value": tval, "Pr(>|t|)": pval},
                         index=pd.Index(names, dtype=object))
    df_int = 1 if fit.intercept else 0
    fstat = None
    if p != df_int:
        r2 = rdiv(mss, mss + rss)
        adj = 1.0 - (1.0 - r2) * rdiv(n - df_int, rdf)
        fstat = {"value": rdiv(mss / (p - df_int), resvar), "numdf": float(p - df_int),
                 "dendf": float(rdf)}
    else:
        r2 = adj = 0.0
    return LmSummary(
        call=fit.call,
        residuals=pd.Series(r, index=fit.resid.index),
        coefficients=coefs,
        aliased=aliased,
        sigma=math.sqrt(resvar),
        df=(int(p), int(rdf), int(qr.p)),
        r_squared=float(r2),
        adj_r_squared=float(adj),
        fstatistic=fstat,
        cov_unscaled=pd.DataFrame(R, index=pd.Index(names, dtype=object),
                                  columns=pd.Index(names, dtype=object)),
        weights=w,
        na_action=na_action,
    )


def vcov_lm(fit: FittedLm, complete: bool = True) -> pd.DataFrame:
    """R's ``vcov.lm``: sigma^2 (R'R)^{-1}; with ``complete`` (R's default) NaN
    rows and columns for aliased coefficients."""
    s = summary_lm(fit)
    vc = s.cov_unscaled * s.sigma**2
    names = list(fit.coefficients.index)
    if complete and vc.shape[0] < len(names) and bool(s.aliased.any()):
        full = pd.DataFrame(np.nan, index=pd.Index(names, dtype=object),
                            columns=pd.Index(names, dtype=object))
        full.loc[vc.index, vc.columns] = vc.to_numpy()
        return full
    return vc


# --------------------------------------------------------------------------
# anova


def anova_lm(fit: FittedLm) -> AnovaTable:
    """R's ``anova.lm``: sequential sums of squares (squared effects summed by
    ``assign``) and the ``Residuals`` row."""
    w = fit.weights
    r = fit.resid.to_numpy()
    fv = fit.fitted_values.to_numpy()
    ssr = r_sum(r**2) if w is None else r_sum(w * r**2)
    mss = r_sum(fv**2) if w is None else r_sum(w * fv**2)
    if ssr < 1e-10 * mss:
        warnings.warn("ANOVA F-tests on an essentially perfect fit are unreliable", stacklevel=3)
    dfr = fit.df_residual()
    p = fit.rank
    labels_all = ["(Intercept)"] + list(fit.terms.term_labels)
    if p > 0:
        assert fit.effects is not None and fit.qr is not None  # a fit of rank > 0 has both
        comp = fit.effects.to_numpy()[:p]
        asgn = np.asarray(fit.assign)[fit.qr.pivot[:p]]
        uniq_appear = list(dict.fromkeys(int(a) for a in asgn))
        tlabels = [labels_all[a] for a in uniq_appear]
        groups = sorted(set(int(a) for a in asgn))
        ss = [r_sum(comp[asgn == g] ** 2) for g in groups] + [ssr]
        df = [int(np.sum(asgn == g)) for g in groups] + [int(dfr)]
    else:
        ss, df, tlabels = [ssr], [int(dfr)], []
    ss_a = np.asarray(ss)
    df_a = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ms = ss_a / df_a
        fval = ms / rdiv(ssr, dfr)
        pval = stats.f.sf(fval, df_a, dfr)
    fval[-1] = np.nan
    pval[-1] = np.nan
    table = pd.DataFrame(
        {"Df": np.asarray(df, dtype=np.int64), "Sum Sq": ss_a, "Mean Sq": ms,
         "F value": fval, "Pr(>F)": pval},
        index=pd.Index(tlabels + ["Residuals"], dtype=object),
    )
    # Every NaN but the Residuals row's F and p (R's NA) is a computed NaN.
    nan_cells = table.isna()
    nan_cells.iloc[-1, 3:] = False
    if fit.intercept:
        table = table.iloc[1:]
        nan_cells = nan_cells.iloc[1:]
    response = " ".join(deparse_lines(fit.response)) if fit.response else ""
    if response.startswith("`") and response.endswith("`") and response.count("`") == 2:
        response = response[1:-1]  # R deparses a bare symbol without backticks
    return AnovaTable(table=table, heading=["Analysis of Variance Table\n", f"Response: {response}"],
                      nan_cells=nan_cells)


def anova_lmlist(fits: Sequence[FittedLm]) -> AnovaTable:
    """R's ``anova.lmlist``: the comparison table of nested fits (``Res.Df``,
    ``RSS``, ``Df``, ``Sum of Sq``, ``F``, ``Pr(>F)``; the scale from the model
    with the fewest residual df)."""
    objects = list(fits)
    responses = [o.response for o in objects]
    same = [r == responses[0] for r in responses]
    if not all(same):
        dropped = [r for r, s in zip(responses, same) if not s]
        shown = ('"' + dropped[0] + '"') if len(dropped) == 1 else (
            "c(" + ", ".join('"' + d + '"' for d in dropped) + ")")
        warnings.warn(f"models with response \u2018{shown}\u2019 removed because response "
                      "differs from model 1", stacklevel=3)
        objects = [o for o, s in zip(objects, same) if s]
    ns = [o.resid.shape[0] for o in objects]
    if any(n != ns[0] for n in ns):
        raise HlmError("models were not all fitted to the same size of dataset")
    if len(objects) == 1:
        return anova_lm(objects[0])
    resdf = np.asarray([float(o.df_residual()) for o in objects])
    resdev = np.asarray([o.deviance() for o in objects])
    dfs = np.concatenate([[np.nan], -np.diff(resdf)])
    ssq = np.concatenate([[np.nan], -np.diff(resdev)])
    big = int(np.argmin(resdf))
    scale = resdev[big] / resdf[big]
    with np.errstate(invalid="ignore", divide="ignore"):
        fval = (ssq / dfs) / scale
        fval[dfs == 0] = np.nan
        fval[~np.isnan(fval) & (fval < 0)] = np.nan
        pval = stats.f.sf(fval, np.abs(dfs), resdf[big])
    table = pd.DataFrame(
        {"Res.Df": resdf, "RSS": resdev, "Df": dfs, "Sum of Sq": ssq, "F": fval, "Pr(>F)": pval},
        index=pd.Index([str(i + 1) for i in range(len(objects))], dtype=object),
    )
    numbers = format_integer(range(1, len(objects) + 1))
    variables = ["\n".join(deparse_lines(o.formula)) for o in objects]
    topnote = "\n".join(f"Model {k}: {v}" for k, v in zip(numbers, variables))
    return AnovaTable(table=table, heading=["Analysis of Variance Table\n", topnote])


# --------------------------------------------------------------------------
# confint


def _position(value: Any) -> int | None:
    """A whole number (R's numeric subscript) as an int; None otherwise (bools too)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None


def select_parm(parm: Any, names: Sequence[str]) -> list[str]:
    """R's ``parm`` of ``confint``: a name or names, or 1-based positions
    (negative ones leave coefficients out, zeros are ignored, as R's
    subscripts). Where R gives an NA row (an unknown name, a position past
    the last coefficient) this raises HlmError."""
    names = list(names)
    if parm is None:
        return names
    items = [parm] if isinstance(parm, str) or _position(parm) is not None else parm
    try:
        items = list(items)
    except TypeError:
        items = [parm]
    picks: list[str | int] = []
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise HlmError(f"unknown coefficient '{item}'")
            picks.append(item)
            continue
        pos = _position(item)
        if pos is None:
            raise HlmError(f"'parm' must be coefficient names or positions (whole numbers), "
                           f"not {item!r}")
        if pos > len(names):
            raise HlmError(f"'parm' position {pos} is out of range: the model has {len(names)} "
                           "coefficients")
        picks.append(pos)
    if any(isinstance(k, int) and k < 0 for k in picks):
        if any(isinstance(k, str) or k > 0 for k in picks):
            raise HlmError("only 0's may be mixed with negative subscripts")
        dropped = {-k - 1 for k in picks if isinstance(k, int)}
        return [n for j, n in enumerate(names) if j not in dropped]
    return [k if isinstance(k, str) else names[k - 1] for k in picks if k != 0]


def confint_lm(fit: FittedLm, level: float = 0.95, parm: Any = None) -> ConfintTable:
    """R's ``confint.lm``: estimate +- qt((1 - level)/2, rdf) * se; NaN for aliased.
    ``parm``: :func:`select_parm`."""
    cf = fit.coefficients
    names = list(cf.index)
    level = check_level(level)
    chosen = select_parm(parm, names)
    ses = pd.Series(np.sqrt(np.diag(vcov_lm(fit, complete=True).reindex(index=names, columns=names)
                                    .to_numpy())), index=cf.index)
    a = (1.0 - level) / 2.0
    probs = [a, 1.0 - a]
    fac = qt(probs, fit.df_residual())
    est = cf.loc[chosen].to_numpy()
    se = ses.loc[chosen].to_numpy()
    values = est[:, None] + se[:, None] * fac[None, :]
    table = pd.DataFrame(values, index=pd.Index(chosen, dtype=object),
                         columns=format_perc(probs, 3))
    return ConfintTable(table=table)


# --------------------------------------------------------------------------
# predict


def _newdata_offset(fit: FittedLm, newdata: pd.DataFrame) -> np.ndarray | None:
    """R's ``eval(object$call$offset, newdata)`` in ``predict.lm``: the
    ``offset=`` expression read by the formula evaluator, as when fitting."""
    expr = getattr(fit, "_offset_expr", None)
    args = getattr(fit, "_args", None) or {}
    if args.get("offset") is None:
        return None
    if expr is None:
        raise HlmError("an 'offset' given as a vector cannot be evaluated in 'newdata'")
    return offset_values(evaluate(expr, DataEnv(newdata)))


def predict_lm(
    fit: FittedLm,
    newdata: pd.DataFrame | None = None,
    interval: str = "none",
    level: float = 0.95,
    se_fit: bool = False,
    weights: Any = None,
) -> pd.Series | pd.DataFrame | LmPrediction:
    """R 4.2's ``predict.lm`` (type ``"response"``, ``scale = NULL``).

    Rank-deficient fits predict from the non-aliased columns, warning for new
    data as R 4.2 does (``prediction from a rank-deficient fit may be
    misleading``).  Without ``newdata`` and with ``na.exclude`` the omitted
    rows come back as NaN.
    """
    if interval not in ("none", "confidence", "prediction"):
        raise HlmError("'arg' should be one of \u201cnone\u201d, \u201cconfidence\u201d, \u201cprediction\u201d")
    level = check_level(level)
    no_data = newdata is None
    if newdata is None:
        X = np.asarray(fit.design.X.values, dtype=float)
        index = fit.fitted_values.index
        offset = fit.offset
    else:
        mm, off = fit.design.new_data_matrix(newdata)
        X = np.asarray(mm.values, dtype=float)
        index = pd.Index(mm.row_names)
        offset = np.zeros(X.shape[0])
        if off is not None:
            offset = offset + np.asarray(off, dtype=float)
        extra = _newdata_offset(fit, newdata)
        if extra is not None:
            offset = offset + extra
    p = fit.rank
    piv = require_qr(fit).pivot[:p] if p > 0 else np.zeros(0, dtype=np.int64)
    if p < X.shape[1] and not no_data:
        warnings.warn("prediction from a rank-deficient fit may be misleading", stacklevel=3)
    beta = fit.coefficients.to_numpy()
    predictor = X[:, piv] @ beta[piv] if p > 0 else np.zeros(X.shape[0])
    if offset is not None:
        predictor = predictor + offset
    pred_weights: float | np.ndarray = 1.0
    if interval == "prediction":
        if no_data:
            warnings.warn("predictions on current data refer to _future_ responses\n", stacklevel=3)
        if no_data and weights is None and fit.weights is not None:
            pred_weights = fit.weights
            warnings.warn("assuming prediction variance inversely proportional to weights used "
                          "for fitting\n", stacklevel=3)
        if not no_data and weights is None and fit.weights is not None:
            warnings.warn("Assuming constant prediction variance even though model fit is "
                          "weighted\n", stacklevel=3)
        if weights is not None:
            pred_weights = np.asarray(weights, dtype=float)
    se = None
    df = math.inf
    res_var = math.nan
    if se_fit or interval != "none":
        w = fit.weights
        r = fit.resid.to_numpy()
        rss = r_sum(r**2) if w is None else r_sum(r**2 * w)
        df = fit.df_residual()
        res_var = rdiv(rss, df)
        if p > 0:
            qr = require_qr(fit)
            if no_data and w is None:
                xrinv = qr_Q(qr, p)[:, :p]
            else:
                rinv = solve_triangular(np.triu(qr.qr[:p, :p]), np.eye(p), lower=False)
                xrinv = X[:, piv] @ rinv
            ip = (xrinv**2) @ np.full(p, res_var)
        else:
            ip = np.zeros(X.shape[0])
        se = np.sqrt(ip)
    out_fit: pd.Series | pd.DataFrame
    if interval != "none":
        tfrac = qt((1.0 - level) / 2.0, df)
        if interval == "confidence":
            hwid = tfrac * np.sqrt(ip)
        else:
            hwid = tfrac * np.sqrt(ip + res_var / pred_weights)
        mat = np.column_stack([predictor, predictor + hwid, predictor - hwid])
        if no_data:
            cols = [naresid(fit, mat[:, j], index) for j in range(3)]
            out_fit = pd.DataFrame({"fit": cols[0], "lwr": cols[1], "upr": cols[2]})
        else:
            out_fit = pd.DataFrame(mat, index=index, columns=["fit", "lwr", "upr"])
    else:
        out_fit = naresid(fit, predictor, index) if no_data else pd.Series(predictor, index=index)
    if se_fit:
        assert se is not None  # computed above for se_fit
        se_s = naresid(fit, se, index) if no_data else pd.Series(se, index=index)
        return LmPrediction(fit=out_fit, se_fit=se_s, df=df,
                            residual_scale=float(np.sqrt(res_var)))
    return out_fit


# --------------------------------------------------------------------------
# logLik


def _r_log(x: float) -> float:
    """R's ``log`` of one number (C's ``log``; ``-Inf`` at 0)."""
    return float(r_log(x))


def loglik_lm(fit: FittedLm, REML: bool = False) -> LogLik:  # noqa: N803 - R's name
    """R's ``logLik.lm``: weights enter as 0.5 sum(log w); zero weights dropped."""
    res = fit.resid.to_numpy()
    p = fit.rank
    w = fit.weights
    if w is None:
        w = np.ones(res.shape[0])
    else:
        keep = w != 0
        res = res[keep]
        w = w[keep]
    N = res.shape[0]
    N0 = N
    if REML:
        N = N - p
    # R's log(0) = -Inf: a zero RSS gives Inf (AIC, BIC -Inf); N = 0 gives NaN
    val = 0.5 * (r_sum(r_log(w)) - N * (math.log(2 * math.pi) + 1 - _r_log(N)
                                         + _r_log(r_sum(w * res**2))))
    if REML and p > 0:
        val -= r_sum(r_log(np.abs(np.diag(require_qr(fit).qr)[:p])))
    return LogLik(val, df=p + 1, nobs=N, nall=N0)
