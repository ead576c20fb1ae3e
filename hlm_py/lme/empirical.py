"""The residual-structure generics of lme fits, and the fit-side glue of
``Variogram`` shared with gls: nlme's ``Variogram.lme`` / ``Variogram.gls``
(which residuals, groups and distances), ``ACF.lme`` and
``getVarCov.lme``. The numbers are :mod:`hlm_py.structs.variogram` and
:mod:`hlm_py.structs.empirical`.

Reproduced from nlme 3.1-162 (code our own), including two behaviours that
look unintended but give R's numbers:

* without a covariate the distance is the position in the group, which
  nlme takes as ``unlist(tapply(rep(1, n), groups, cumsum))`` against the
  rows in data order: right only when the data are sorted by group
  (:func:`hlm_py.structs.variogram.within_positions`);
* the quantile and fixed classes are R's ``cut`` classes ``(b_k, b_k+1]``,
  which leave out the pairs at the smallest distance.

Differences from nlme: the ``distance=``, ``data=`` and ``na.action=``
arguments of ``Variogram`` are not offered (the distances come from the
fit's data, an NA in the covariate is an error, R's ``na.fail``); for
``getVarCov``, ``individuals`` given as negative numbers drops them as R's
indexing does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.errors import HlmError, MissingValueError
from hlm_py.formula.deparse import deparse
from hlm_py.formula.design import build_design
from hlm_py.formula.grouping import build_grouping, group_names
from hlm_py.formula.parser import Node
from hlm_py.lme.results import ACFResult, VarCov, VariogramResult
from hlm_py.rbase.collate import collate_key
from hlm_py.structs.corstruct import spatial_distances, split_form
from hlm_py.structs.empirical import acf
from hlm_py.structs.variogram import (
    COLLAPSE,
    METRICS,
    empirical_variogram,
    model_variogram,
    r_dist,
    within_positions,
)

__all__ = ["match_choice", "fit_variogram", "variogram_inputs_lme", "variogram_lme", "acf_lme", "getvarcov_lme",
           "kept_rows"]

RES_TYPES = ("pearson", "response", "normalized")
VARCOV_TYPES = ("random.effects", "conditional", "marginal")


def match_choice(value: Any, choices: tuple[str, ...], what: str) -> str:
    """R's ``match.arg``: a unique prefix of one of ``choices``."""
    hits = [c for c in choices if isinstance(value, str) and value and c.startswith(value)]
    if value in choices:
        return str(value)
    if len(hits) != 1:
        opts = ", ".join(f"\u201c{c}\u201d" for c in choices)
        raise HlmError(f"'{what}' should be one of {opts}")
    return hits[0]


def kept_rows(data: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The data's rows a fit used (nlme's ``getData``)."""
    pos = np.asarray(positions)
    if pos.size == len(data) and np.array_equal(pos, np.arange(len(data))):
        return data
    return data.iloc[pos]


# ---------------------------------------------------------------- Variogram


def _parse_form(form: str) -> tuple[Node | None, Node | None]:
    """``~ cov | g``: the structures' parse of a form (corstruct.split_form)."""
    return split_form(form)


def _covariate_matrix(cov: Node, data: pd.DataFrame) -> np.ndarray:
    """``model.matrix(~ cov - 1, model.frame(~ cov - 1, data, na.action = na.fail))``."""
    text = deparse(cov)
    try:
        d = build_design(f"~ {text} - 1", data, na_action="na.fail")
    except MissingValueError:
        raise
    except HlmError as e:
        if "missing" in str(e):
            raise MissingValueError("missing values in object") from e
        raise
    X = np.asarray(d.X.values, dtype=float)
    if X.shape[0] != len(data):
        raise MissingValueError("missing values in object")
    return X


def fit_variogram(res: np.ndarray, data: pd.DataFrame, codes: np.ndarray | None,
                  order: Sequence[int] | None, cor: Any, cor_theta: np.ndarray, sigma: float,
                  res_type: str, form: str | None = None,
                  maxDist: float | None = None, length_out: int = 50,  # noqa: N803
                  collapse: str = "quantiles", nint: int | None = None,
                  breaks: Sequence[float] | None = None, robust: bool = False,
                  metric: str = "euclidean", lme: bool = True) -> VariogramResult:
    """nlme's ``Variogram.lme`` (``lme=True``) or ``Variogram.gls`` on a
    fit's residuals ``res`` (data order) over its kept ``data``: groups
    ``codes`` (None: one series) taken in ``order``; ``cor`` the bound
    correlation structure (or None) at ``cor_theta``."""
    kind = match_choice(collapse, COLLAPSE, "collapse")
    res = np.asarray(res, dtype=float)
    n = res.size
    dists = spatial_distances(cor) if cor is not None else None
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    if form is None and dists is not None:
        ccodes = np.asarray(cor.group_codes, dtype=np.int64)
        corder = list(order) if (order is not None and lme) else range(len(dists))
        for g in corder:
            rows = np.flatnonzero(ccodes == g)
            if rows.size > 1:
                pairs.append((res[rows], dists[g]))
    else:
        met = match_choice(metric, METRICS, "metric")
        cov, grp = _parse_form("~ 1" if form is None else form)
        if not lme and grp is not None:
            gr = build_grouping(data, group_names("~ " + deparse(grp)))
            codes = gr.codes[-1]
            order = list(range(len(gr.labels[-1])))
        if cov is not None:
            X = _covariate_matrix(cov, data)
        elif codes is None:
            X = np.arange(1, n + 1, dtype=float)[:, None]
        else:
            assert order is not None
            X = within_positions(codes, order)[:, None]
        if codes is None:
            pairs.append((res, r_dist(X, met)))
        else:
            assert order is not None
            for g in order:
                rows = np.flatnonzero(codes == g)
                if rows.size > 1:
                    pairs.append((res[rows], r_dist(X[rows], met)))
    if not pairs:
        raise HlmError("no group has two observations: no pairs of residuals for a variogram")
    table, nan_mask = empirical_variogram(pairs, maxDist=maxDist, collapse=kind, nint=nint,
                                          breaks=breaks, robust=bool(robust), drop_empty=lme)
    model = None
    if dists is not None and res_type != "normalized":
        sig2 = 1.0 if res_type == "pearson" else sigma * sigma
        allowed = np.concatenate([d for d in dists if d.size] or [np.zeros(0)])
        model = model_variogram(cor.r_class, cor.coef(cor_theta, unconstrained=False), allowed,
                                sig2=sig2, length_out=length_out)
    return VariogramResult(table=table, modelVariog=model, collapse=kind != "none",
                           nan_mask=nan_mask)


def _group_order(fit: Any) -> list[int]:
    """The innermost groups in the order of nlme's ``getGroups(fit, level = Q)``
    factor levels: the factor's own order for one level; R's sort of the
    ``"a/b"`` labels for nested levels (``as.factor(paste(...))``)."""
    labels = fit.grouping.labels[-1]
    if fit.Q == 1:
        return list(range(len(labels)))
    return sorted(range(len(labels)), key=lambda g: collate_key(labels[g]))


def variogram_inputs_lme(fit: Any) -> dict[str, Any]:
    """What ``Variogram.lme`` takes from the fit besides the residuals:
    the kept data, the innermost groups and their order, the correlation
    structure at its estimate and sigma (arguments of :func:`fit_variogram`)."""
    data = kept_rows(fit.data, fit.design.frame.row_positions)
    theta = fit.component_theta("corStruct") if fit.model.cor is not None else np.zeros(0)
    return dict(data=data, codes=fit.grouping.codes[-1], order=_group_order(fit),
                cor=fit.model.cor, cor_theta=theta, sigma=float(fit.sigma()), lme=True)


def variogram_lme(fit: Any, form: str | None = None, resType: str = "pearson",  # noqa: N803
                  maxDist: float | None = None, length_out: int = 50,  # noqa: N803
                  collapse: str = "quantiles", nint: int | None = None,
                  breaks: Sequence[float] | None = None, robust: bool = False,
                  metric: str = "euclidean") -> VariogramResult:
    """nlme's ``Variogram.lme`` (see :func:`fit_variogram`)."""
    kind = match_choice(resType, RES_TYPES, "resType")
    res = fit.residuals(level=fit.Q, type=kind).to_numpy(dtype=float)
    return fit_variogram(res, res_type=kind, form=form, maxDist=maxDist,
                         length_out=length_out, collapse=collapse, nint=nint, breaks=breaks,
                         robust=robust, metric=metric, **variogram_inputs_lme(fit))


# ---------------------------------------------------------------- ACF


def acf_lme(fit: Any, maxLag: int | None = None, resType: str = "pearson") -> ACFResult:  # noqa: N803
    """nlme's ``ACF.lme``: the autocorrelation of the innermost-level
    residuals within the innermost groups; default ``maxLag``
    ``min(L, floor(10 log10(L + 1)))``, ``L`` the largest group's size minus 1."""
    kind = match_choice(resType, RES_TYPES, "resType")
    res = fit.residuals(level=fit.Q, type=kind).to_numpy(dtype=float)
    lag, val, n_used = acf(res, fit.grouping.codes[-1], maxLag)
    return ACFResult(table=pd.DataFrame({"lag": lag, "ACF": val}), n_used=n_used)


# ---------------------------------------------------------------- getVarCov


def _as_index_list(individuals: Any) -> list[Any]:
    if isinstance(individuals, (str, int, float, np.integer, np.floating)) \
            and not isinstance(individuals, bool):
        return [individuals]
    if isinstance(individuals, pd.Series):
        return list(individuals.tolist())
    try:
        return list(individuals)
    except TypeError:
        raise HlmError(f"'individuals' must be group labels or numbers, not {individuals!r}") \
            from None


def _pick_individuals(individuals: Any, ugroups: list[str]) -> list[str | None]:
    """nlme's ``individuals``: labels, or numbers into the groups in order
    of first appearance (R's indexing: 0 is dropped, negatives exclude,
    beyond the end is NA)."""
    items = _as_index_list(individuals)
    if not items:
        return []
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                  for v in items)
    if not numeric:
        return [str(v) for v in items]
    idx = [int(v) if math.isfinite(float(v)) else None for v in items]
    if any(i is None for i in idx):
        return [None if i is None else (ugroups[i - 1] if 0 < i <= len(ugroups) else None)
                for i in idx if i != 0]
    ints = [i for i in idx if i is not None]
    if any(i < 0 for i in ints):
        if any(i > 0 for i in ints):
            raise HlmError("can't mix positive and negative subscripts")
        drop = {-i - 1 for i in ints}
        return [g for k, g in enumerate(ugroups) if k not in drop]
    return [ugroups[i - 1] if i <= len(ugroups) else None for i in ints if i != 0]


def getvarcov_lme(fit: Any, individuals: Any = None,  # noqa: C901
                  type: str = "random.effects") -> VarCov:  # noqa: A002
    """nlme's ``getVarCov.lme``: ``"random.effects"``, the random effects'
    covariance ``D = sigma^2 Psi``; ``"conditional"``, per individual the
    within-group covariance ``sigma^2 W^-1/2 C W^-1/2`` (variance weights
    ``W``, correlation ``C``); ``"marginal"``, that plus ``Z D Z'``. One
    level of random effects only, as nlme. ``individuals``: labels or
    numbers into the groups in order of first appearance in the data
    (default: the first)."""
    kind = match_choice(type, VARCOV_TYPES, "type")
    if fit.Q > 1:
        raise HlmError("not implemented for multiple levels of nesting")
    sigma = float(fit.sigma())
    names = list(fit.random_names[0])
    D = np.asarray(fit.psi[0], dtype=float) * sigma ** 2
    level_name = fit.level_names[0]
    if kind == "random.effects":
        return VarCov(type=kind, matrices={"": pd.DataFrame(D, index=names, columns=names)},
                      listed=False, group_levels=level_name)
    labels = list(fit.grouping.labels[0])
    codes = np.asarray(fit.grouping.codes[0], dtype=np.int64)
    _, first = np.unique(codes, return_index=True)
    ugroups = [labels[c] for c in codes[np.sort(first)]]
    chosen = [ugroups[0]] if individuals is None else _pick_individuals(individuals, ugroups)
    cor = fit.model.cor
    cor_mats = None
    if cor is not None:
        cor_mats = cor.matrices(fit.component_theta("corStruct"))
        if len(cor_mats) != len(labels):
            raise HlmError("not implemented for a correlation structure with groups finer than "
                           "the random effects'")
    weights = np.asarray(fit.weights, dtype=float)
    out: dict[str, pd.DataFrame] = {}
    for ind in chosen:
        g = labels.index(ind) if ind is not None and ind in labels else -1
        rows = np.flatnonzero(codes == g) if g >= 0 else np.zeros(0, dtype=np.int64)
        if rows.size == 0:
            shown = "NA" if ind is None else ind
            raise HlmError(f"individual \u2018{shown}\u2019 was not used in the fit")
        ni = rows.size
        V = cor_mats[g] if cor_mats is not None else np.eye(ni)
        sds = sigma / weights[rows]
        cond = (V * sds[None, :]) * sds[:, None]
        if kind == "marginal":
            Z = np.asarray(fit.Z[0], dtype=float)[rows]
            cond = cond + Z @ D @ Z.T
        dn = [str(i + 1) for i in range(ni)]
        out[str(ind)] = pd.DataFrame(cond, index=dn, columns=dn)
    return VarCov(type=kind, matrices=out, listed=True, group_levels=level_name)
