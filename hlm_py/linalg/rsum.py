"""R's ``sum``, ``colSums`` and ``mean`` of doubles, rounding as R rounds.

R adds doubles left to right in a long double (80-bit on x86-64), and its
``mean`` adds a refinement pass. Reproducing that order matters where R's
results are ill-conditioned (orthogonal polynomials of high degree, sums of
squares of tiny residuals). Up to ``LONG_SUM_MAX`` elements the sums here are
sequential long-double sums (numpy's ``cumsum`` keeps that order); beyond it
they are numpy's pairwise sums, which agree with R's to rounding.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LONG_SUM_MAX", "r_sum", "r_col_sums", "r_col_means", "r_mean"]

LONG_SUM_MAX = 2_000_000


def r_sum(x: np.ndarray) -> float:
    """R's ``sum`` of a double vector."""
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    if a.shape[0] == 0:
        return 0.0
    if a.shape[0] > LONG_SUM_MAX:
        return float(np.sum(a))
    return float(np.cumsum(a.astype(np.longdouble))[-1])


def r_col_sums(x: np.ndarray) -> np.ndarray:
    """R's ``colSums`` of a double matrix (each column summed as ``sum``)."""
    a = np.asarray(x, dtype=np.float64)
    if a.shape[0] == 0:
        return np.zeros(a.shape[1:])
    if a.shape[0] > LONG_SUM_MAX:
        return a.sum(axis=0)
    return np.cumsum(a.astype(np.longdouble), axis=0)[-1].astype(np.float64)


def r_col_means(x: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """R's ``colMeans(x, na.rm = na_rm)`` of a double matrix: each column's
    long-double sum divided, still in long double, by its count (no
    refinement pass, unlike ``mean``); with ``na_rm`` over the non-NaN
    entries."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    ok = ~np.isnan(a) if na_rm else np.ones(a.shape, dtype=bool)
    cnt = ok.sum(axis=0)
    vals = np.where(ok, a, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if a.shape[0] > LONG_SUM_MAX:
            return vals.sum(axis=0) / cnt
        if a.shape[0] == 0:
            return np.full(a.shape[1], np.nan)
        s = np.cumsum(vals.astype(np.longdouble), axis=0)[-1]
        return (s / cnt.astype(np.longdouble)).astype(np.float64)


def r_mean(x: np.ndarray) -> float:
    """R's ``mean`` of a double vector: long-double sum, then one refinement pass."""
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    n = a.shape[0]
    if n == 0:
        return math.nan
    if n > LONG_SUM_MAX:
        m = float(np.mean(a))
        return m + float(np.mean(a - m)) if math.isfinite(m) else m
    la = a.astype(np.longdouble)
    s = np.cumsum(la)[-1] / n
    if math.isfinite(float(s)):
        s = s + np.cumsum(la - s)[-1] / n
    return float(s)
