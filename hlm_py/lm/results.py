"""Result objects of R's lm generics: ``summary.lm``, ``anova``, ``confint``,
``predict(se.fit = TRUE)``. (``logLik`` returns ``hlm_py.rbase.loglik.LogLik``,
the one class of R's logLik objects.)

Each table-like result derives from :class:`hlm_py.report.RReport` (printing
looks up the renderer that ``hlm_py.printing`` registers) and has
``to_frame()``, a plain ``pd.DataFrame`` at full precision with R's row and
column names.  The fields are those of ``docs/internals.md`` (lm/).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.report import RReport

__all__ = ["LmSummary", "AnovaTable", "ConfintTable", "LmPrediction"]


@dataclass(repr=False)
class LmSummary(RReport):
    """R's ``summary.lm`` object.

    ``residuals``: R's ``summary(fit)$residuals`` (weighted residuals
    ``sqrt(w) * r`` for a weighted fit, zero-weight rows included as R keeps
    them) as a ``pd.Series`` named by row; ``coefficients``: the
    ``Estimate``/``Std. Error``/``t value``/``Pr(>|t|)`` table, non-aliased
    rows only (as R); ``aliased``: bool Series over all coefficients;
    ``df``: ``(rank, residual df, number of coefficients)``; ``fstatistic``:
    dict ``value``/``numdf``/``dendf`` or None (R's NULL); ``cov_unscaled``:
    ``(R'R)^{-1}`` over the non-aliased coefficients; ``weights``: the prior
    weights or None; ``na_action``: the model frame's NaAction or None.
    """

    call: str
    residuals: pd.Series
    coefficients: pd.DataFrame
    aliased: pd.Series
    sigma: float
    df: tuple[int, int, int]
    r_squared: float
    adj_r_squared: float
    fstatistic: dict[str, float] | None
    cov_unscaled: pd.DataFrame
    weights: np.ndarray | None
    na_action: Any = None

    def to_frame(self) -> pd.DataFrame:
        """The coefficients table (R's ``coef(summary(fit))``)."""
        return self.coefficients.copy()


@dataclass(repr=False)
class AnovaTable(RReport):
    """R's ``anova`` data frame with its ``heading`` attribute.

    ``table`` has R's row and column names and NaN for NA; ``heading`` holds
    the strings of ``attr(, "heading")`` as R holds them (newlines included).
    ``nan_cells`` (same shape, bool) flags the NaN cells that R holds as
    ``NaN`` (a computed 0/0, e.g. F at zero residual df), not ``NA``.
    """

    table: pd.DataFrame
    heading: list[str]
    nan_cells: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


@dataclass(repr=False)
class ConfintTable(RReport):
    """R's ``confint`` matrix (columns such as ``2.5 %``, ``97.5 %``)."""

    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


@dataclass
class LmPrediction:
    """R's ``predict.lm(..., se.fit = TRUE)`` list.

    ``fit`` is a Series (or the ``fit``/``lwr``/``upr`` DataFrame with
    intervals); ``se_fit`` a Series; ``df`` and ``residual_scale`` numbers.
    Item access with R's names works too: ``pred["se.fit"]``.
    """

    fit: pd.Series | pd.DataFrame
    se_fit: pd.Series
    df: float
    residual_scale: float

    def __getitem__(self, key: str) -> Any:
        names = {"fit": "fit", "se.fit": "se_fit", "se_fit": "se_fit", "df": "df",
                 "residual.scale": "residual_scale", "residual_scale": "residual_scale"}
        if key not in names:
            raise KeyError(key)
        return getattr(self, names[key])
