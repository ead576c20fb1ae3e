"""The empirical counterparts of the correlation structures: nlme's ``ACF``
(autocorrelation of residuals within groups, by lag) for gls and lme fits."""

from __future__ import annotations

import math

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["acf", "default_max_lag"]


def _groups(res: np.ndarray, codes: np.ndarray | None) -> list[np.ndarray]:
    """The residuals split by group, groups in level order, rows in data order."""
    if codes is None:
        return [res]
    order = np.argsort(codes, kind="stable")
    cuts = np.flatnonzero(np.diff(codes[order])) + 1
    return [res[ix] for ix in np.split(order, cuts)]


def default_max_lag(res: np.ndarray, codes: np.ndarray | None) -> int:
    """nlme's default ``maxLag``: ``min(L, floor(10 log10(L + 1)))`` with ``L``
    the largest group's size minus one."""
    longest = max(len(g) for g in _groups(res, codes)) - 1
    return int(min(longest, int(10 * math.log10(longest + 1))))


def acf(res: np.ndarray, codes: np.ndarray | None, max_lag: int | None = None
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """nlme's ``ACF.gls`` / ``ACF.lme`` on residuals ``res`` grouped by
    ``codes`` (None: one group): ``(lag, ACF, n.used)``. At lag ``k``, the
    sum over groups of ``sum_t r_t r_{t+k}`` divided by the number of such
    pairs, relative to lag 0 (the residuals are not centred, as nlme's)."""
    res = np.asarray(res, dtype=float)
    groups = _groups(res, codes)
    if max_lag is None:
        max_lag = default_max_lag(res, codes)
    if isinstance(max_lag, bool) or int(max_lag) != max_lag or max_lag < 0:
        raise HlmError(f"'maxLag' must be a non-negative whole number, not {max_lag!r}")
    max_lag = int(max_lag)
    sums = np.zeros(max_lag + 1)
    pairs = np.zeros(max_lag + 1)
    for g in groups:
        n = g.size
        for k in range(min(max_lag + 1, n)):
            sums[k] += float(np.dot(g[: n - k], g[k:]))
            pairs[k] += n - k
    with np.errstate(invalid="ignore", divide="ignore"):
        val = sums / pairs
        out = val / val[0]
    return np.arange(max_lag + 1), out, pairs
