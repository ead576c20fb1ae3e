"""The result objects of gls's generics (each prints what R prints);
``VarCov`` and ``ACFResult``, shared with lme, live in :mod:`hlm_py.lme.results`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.lme.results import ACFResult, VarCov
from hlm_py.report import RReport

__all__ = ["GlsSummary", "IntervalsGls", "VarCov", "ACFResult"]


@dataclass(repr=False)
class GlsSummary(RReport):
    """nlme's ``summary.gls``: ``tTable`` (``Value``, ``Std.Error``,
    ``t-value``, ``p-value``), ``corBeta``, ``residuals`` (quantiles of the
    Pearson residuals, or the residuals themselves for 5 or fewer), ``AIC``,
    ``BIC``, ``logLik``, ``sigma``; ``fit`` the fit."""

    fit: Any
    tTable: pd.DataFrame  # noqa: N815 - nlme's names
    corBeta: pd.DataFrame  # noqa: N815
    residuals: pd.Series
    AIC: float
    BIC: float
    logLik: float  # noqa: N815
    sigma: float
    #: the structures' parameters the summary prints (None: the fit's)
    theta: np.ndarray | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.tTable.copy()


@dataclass(repr=False)
class IntervalsGls(RReport):
    """nlme's ``intervals.gls``: ``coef`` (``lower``, ``est.``, ``upper``;
    None for ``which="var-cov"``), ``corStruct`` and ``varStruct`` (tables of
    their constrained parameters, None when absent or fixed), ``sigma``
    (Series ``lower``, ``est.``, ``upper``; None for ``which="coef"``)."""

    coef: pd.DataFrame | None
    corStruct: pd.DataFrame | None  # noqa: N815
    varStruct: pd.DataFrame | None  # noqa: N815
    sigma: pd.Series | None
    level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """All intervals stacked: coefficients, ``corStruct: <name>``,
        ``varStruct: <name>``, then ``sigma``."""
        parts = []
        if self.coef is not None:
            parts.append(self.coef)
        for lab, tab in (("corStruct", self.corStruct), ("varStruct", self.varStruct)):
            if tab is not None:
                t = tab.copy()
                t.index = [f"{lab}: {i}" for i in t.index]
                parts.append(t)
        if self.sigma is not None:
            parts.append(pd.DataFrame([self.sigma.to_numpy()], index=["sigma"],
                                      columns=["lower", "est.", "upper"]))
        if not parts:
            return pd.DataFrame(columns=["lower", "est.", "upper"], dtype=float)
        return pd.concat(parts)
