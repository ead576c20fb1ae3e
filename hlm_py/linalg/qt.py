"""R's ``qt(p, df)`` to full double precision on every scipy that
pyproject.toml admits.

scipy before 1.13 computes ``stats.t.ppf`` with cephes' ``stdtrit``, which
is accurate to about 1e-9 relative only (``qt(0.025, 48)``: scipy 1.10-1.12
-2.010634754696446, R -2.0106347576242323); from 1.13 on it is Boost's and
agrees with R to an ulp or two. The t distribution function (``stats.t.cdf``
and ``.sf``, cephes' ``incbet``) is accurate to a few ulps on all of them, so
Newton steps on the tail that holds ``p`` polish the quantile. A step is taken
only where it moves the quantile by more than a few ulps, so on a scipy whose
quantile is already right the result is scipy's, bit for bit.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["qt"]

_ULPS = 4.0  # a correction smaller than this many ulps of x is left out
_STEPS = 4


def qt(p, df):
    """Lower-tail quantile of Student's t: R's ``qt(p, df)``; broadcasts like
    ``stats.t.ppf`` and returns what it returns (NaN where ``df`` is not
    positive, +-inf at p = 1, 0)."""
    x0 = stats.t.ppf(p, df)
    p_b, df_b, x = np.broadcast_arrays(np.asarray(p, dtype=float),
                                       np.asarray(df, dtype=float),
                                       np.array(x0, dtype=float))
    x = x.copy()
    for _ in range(_STEPS):
        ok = np.isfinite(x)
        if not ok.any():
            break
        xs, ps, ds = x[ok], p_b[ok], df_b[ok]
        # residual on the tail with the smaller probability, where cdf/sf keep
        # their relative accuracy
        lower = xs <= 0
        r = np.where(lower, stats.t.cdf(xs, ds) - ps, (1.0 - ps) - stats.t.sf(xs, ds))
        dens = stats.t.pdf(xs, ds)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = r / dens
        move = np.isfinite(step) & (np.abs(step) > _ULPS * np.spacing(np.abs(xs)))
        if not move.any():
            break
        xs = np.where(move, xs - step, xs)
        x[ok] = xs
    if np.ndim(x0) == 0:
        return np.float64(x[()])
    return x
