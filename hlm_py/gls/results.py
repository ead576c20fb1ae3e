"""The result objects of gls's generics (each prints what R prints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

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


@dataclass(repr=False)
class VarCov(RReport):
    """nlme's ``getVarCov`` result: ``type`` (``"marginal"``,
    ``"conditional"``, ``"random.effects"``) and the matrices by individual
    (one unnamed matrix for gls and for ``random.effects``)."""

    type: str
    matrices: dict[str, pd.DataFrame]
    listed: bool = False
    group_levels: str | None = None
    #: whether R's matrices carry row and column names
    dimnames: bool = True

    def to_frame(self) -> pd.DataFrame:
        if len(self.matrices) == 1:
            return next(iter(self.matrices.values())).copy()
        return pd.concat(self.matrices)


@dataclass(repr=False)
class ACFResult(RReport):
    """nlme's ``ACF``: ``lag``, ``ACF`` and ``n_used`` (the pairs at each lag)."""

    table: pd.DataFrame
    n_used: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """``lag`` and ``ACF``, rows named ``1``, ``2``, ... as R's data frame."""
        t = self.table.copy()
        t.index = pd.Index([str(i + 1) for i in range(len(t))])
        return t
