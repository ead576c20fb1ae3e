"""R's influence measures of an lm fit (R 4.2's ``stats``): ``lm.influence``
(``do.coef = FALSE``) with ``hatvalues``, ``rstandard``, ``rstudent`` and
``cooks.distance``, padded by ``naresid`` under ``na.exclude``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hlm_py.errors import HlmError
from hlm_py.linalg.dqrdc2 import qr_Q
from hlm_py.lm.fitted import FittedLm
from hlm_py.lm.inference import naresid, require_qr

__all__ = ["Influence", "influence", "rstandard_lm", "rstudent_lm", "cooks_distance_lm"]

EPS = float(np.finfo(float).eps)


@dataclass
class Influence:
    """R's ``lm.influence(fit, do.coef = FALSE)``: ``hat``, ``sigma``, ``wt_res``
    (padded as R pads them under ``na.exclude``)."""

    hat: pd.Series
    sigma: pd.Series
    wt_res: pd.Series


def _weighted_residuals(fit: FittedLm) -> pd.Series:
    """R's ``weighted.residuals``: deviance residuals, zero-weight rows dropped."""
    r = fit.residuals(type="deviance")
    if fit.weights is not None:
        w = naresid(fit, fit.weights, fit.resid.index)
        keep = (w != 0).to_numpy()
        r = r[keep]
    return r


def influence(fit: FittedLm) -> Influence:
    """R's ``lm.influence`` (hat values, leave-one-out sigma, weighted residuals)."""
    wt = _weighted_residuals(fit)
    keep = ~np.isnan(wt.to_numpy())
    e = wt.to_numpy()[keep].copy()
    e_index = wt.index[keep]
    sd = fit.sigma()
    if fit.rank == 0:
        n = e.shape[0]
        hat = np.zeros(n)
        sig = np.full(n, sd)
    else:
        qr = require_qr(fit)
        n = qr.n
        if e.shape[0] != n:
            raise HlmError("non-NA residual length does not match cases used in fitting")
        e[np.abs(e) < 100 * EPS * np.median(np.abs(e))] = 0.0
        k = qr.rank
        q = qr_Q(qr, k)
        hat = np.sum(q[:, :k] ** 2, axis=1)
        hat[hat >= 1.0 - 10 * EPS] = 1.0
        total = float(np.sum(e**2))
        denom = n - k - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            sig = np.where(hat < 1.0, np.sqrt((total - e**2 / (1.0 - hat)) / denom),
                           np.sqrt(total / denom))
    if fit.weights is None or bool(np.all(fit.weights != 0)):
        hat_s = naresid(fit, hat, e_index, fill=0.0)
        sig_s = naresid(fit, sig, e_index, fill=sd)
        res_s = naresid(fit, e, e_index)
    else:  # zero weights: R's padding would misalign; keep the rows used
        hat_s = pd.Series(hat, index=e_index)
        sig_s = pd.Series(sig, index=e_index)
        res_s = pd.Series(e, index=e_index)
    hv = hat_s.to_numpy().copy()
    hv[hv > 1.0 - 10 * EPS] = 1.0
    hat_s = pd.Series(hv, index=hat_s.index)
    return Influence(hat=hat_s, sigma=sig_s, wt_res=res_s)


def _inf_to_nan(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float).copy()
    a[np.isinf(a)] = np.nan
    return a


def rstandard_lm(fit: FittedLm) -> pd.Series:
    """R's ``rstandard.lm`` (``type = "sd.1"``): e / (s sqrt(1 - h))."""
    inf = influence(fit)
    sd = fit.sigma()
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = inf.wt_res.to_numpy() / (np.sqrt(1.0 - inf.hat.to_numpy()) * sd)
    return pd.Series(_inf_to_nan(vals), index=inf.wt_res.index)


def rstudent_lm(fit: FittedLm) -> pd.Series:
    """R's ``rstudent.lm``: e / (s_(i) sqrt(1 - h))."""
    inf = influence(fit)
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = inf.wt_res.to_numpy() / (inf.sigma.to_numpy() * np.sqrt(1.0 - inf.hat.to_numpy()))
    return pd.Series(_inf_to_nan(vals), index=inf.wt_res.index)


def cooks_distance_lm(fit: FittedLm) -> pd.Series:
    """R's ``cooks.distance.lm``: (e / (s (1 - h)))^2 h / p."""
    inf = influence(fit)
    res = _weighted_residuals(fit)
    sd = fit.sigma()
    hat = inf.hat.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = ((res.to_numpy() / (sd * (1.0 - hat))) ** 2 * hat) / fit.rank
    return pd.Series(_inf_to_nan(vals), index=res.index)
