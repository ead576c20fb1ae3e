"""R's ``sum``, ``colSums`` and ``mean`` of doubles, rounding as R rounds.

R adds doubles left to right in a long double (80-bit on x86-64), and its
``mean`` adds a refinement pass. Reproducing that order matters where R's
results are ill-conditioned (orthogonal polynomials of high degree, sums of
squares of tiny residuals). The sums here are sequential long-double sums at
every size (numpy's ``cumsum`` keeps that order; no SIMD reduction is used),
taken in blocks of ``BLOCK`` rows that carry the running sum, so the order is
R's and the memory bounded.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BLOCK", "r_sum", "r_col_sums", "r_col_means", "r_mean"]

BLOCK = 1 << 18
"""Rows per block of a sequential sum (the running sum is carried across)."""


def _seq_sum_ld(a: np.ndarray, shift: np.longdouble | None = None) -> np.ndarray:
    """Left-to-right long-double sum over axis 0 (a scalar or one per column)
    of ``a``, or of ``a - shift`` with the difference taken in long double."""
    total = np.zeros(a.shape[1:], dtype=np.longdouble)
    for start in range(0, a.shape[0], BLOCK):
        part = a[start:start + BLOCK].astype(np.longdouble)
        if shift is not None:
            part -= shift
        part[0] += total
        total = np.cumsum(part, axis=0)[-1]
    return total


def r_sum(x: np.ndarray) -> float:
    """R's ``sum`` of a double vector."""
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    return float(_seq_sum_ld(a)) if a.shape[0] else 0.0


def r_col_sums(x: np.ndarray) -> np.ndarray:
    """R's ``colSums`` of a double matrix (each column summed as ``sum``)."""
    a = np.asarray(x, dtype=np.float64)
    if a.shape[0] == 0:
        return np.zeros(a.shape[1:])
    return _seq_sum_ld(a).astype(np.float64)


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
    if a.shape[0] == 0:
        return np.full(a.shape[1], np.nan)
    s = _seq_sum_ld(np.where(ok, a, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (s / cnt.astype(np.longdouble)).astype(np.float64)


def r_mean(x: np.ndarray) -> float:
    """R's ``mean`` of a double vector: long-double sum, then one refinement pass."""
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    n = a.shape[0]
    if n == 0:
        return math.nan
    s = np.longdouble(_seq_sum_ld(a)) / n  # 1-D: the sum is a 0-d array
    if math.isfinite(float(s)):
        s = s + np.longdouble(_seq_sum_ld(a, shift=s)) / n
    return float(s)
