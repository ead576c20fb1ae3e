"""R's ``quantile(x, probs, na.rm =)`` with the default ``type = 7`` (R 4.2.2,
``stats:::quantile.default``), computed as R computes it.

With ``n`` values sorted, probability ``p`` sits at ``index = 1 + (n - 1) p``;
``lo = floor(index)``, ``hi = ceiling(index)``, ``h = index - lo``; the
quantile is ``x[lo]``, replaced by ``(1 - h) x[lo] + h x[hi]`` only where
``index > lo`` and ``x[hi] != x[lo]``. That is numpy's ``linear`` method
written another way, which can differ from it in the last bit.

``print.summary.lm`` prints the residuals' quantiles and nlme's
``summary.lme`` stores the standardized residuals' (``na.rm = TRUE``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["QUARTILES", "quantile7"]

#: ``quantile``'s default ``probs``: ``seq(0, 1, 0.25)``.
QUARTILES = (0.0, 0.25, 0.5, 0.75, 1.0)

_EPS = 100 * np.finfo(float).eps


def quantile7(x: Sequence[float] | np.ndarray, probs: Sequence[float] = QUARTILES,
              na_rm: bool = False) -> np.ndarray:
    """R's ``quantile(x, probs, na.rm = na_rm, names = FALSE)``, ``type = 7``.

    NaN in ``x`` is R's ``NA``: dropped with ``na_rm``, else an error (R's
    ``missing values and NaN's not allowed if 'na.rm' is FALSE``). A NaN
    probability gives NaN; probabilities outside [0, 1] by more than
    ``100 * .Machine$double.eps`` are an error; no values give NaN.
    """
    xs = np.asarray(x, dtype=float).ravel()
    na = np.isnan(xs)
    if na.any():
        if not na_rm:
            raise HlmError("missing values and NaN's not allowed if 'na.rm' is FALSE")
        xs = xs[~na]
    ps = [float(p) for p in probs]
    if any(p < -_EPS or p > 1 + _EPS for p in ps if not math.isnan(p)):
        raise HlmError("'probs' outside [0,1]")
    xs = np.sort(xs)
    n = xs.size
    out = np.full(len(ps), math.nan)
    if n == 0:
        return out
    for k, p in enumerate(ps):
        if math.isnan(p):
            continue
        index = 1 + (n - 1) * max(0.0, min(1.0, p))
        lo = math.floor(index)
        hi = math.ceil(index)
        qs = float(xs[lo - 1])
        if index > lo and xs[hi - 1] != qs:
            h = index - lo
            qs = (1 - h) * qs + h * float(xs[hi - 1])
        out[k] = qs
    return out
