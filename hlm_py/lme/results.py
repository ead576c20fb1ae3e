"""Result objects of nlme's generics on an lme fit.

Each class is an :class:`hlm_py.report.RReport`: ``print(obj)`` prints what
nlme 3.1-162 prints for the same call (the renderers live in
``hlm_py/printing/lme_reports.py``; those of the three classes shared with
gls in ``hlm_py/printing/gls_reports.py``) and ``obj.to_frame()`` gives a plain
``pd.DataFrame`` with R's row and column names at full precision.

* :class:`LmeSummary`   ``summary.lme``  (``tTable``, ``corFixed``, residual quantiles, ...)
* :class:`VarCorrLme`   ``VarCorr.lme``  (R's character matrix, plus the numbers)
* :class:`AnovaLme`     ``anova.lme``    (Wald F-tests of one fit, or the LRT table of several)
* :class:`IntervalsLme` ``intervals.lme`` (``fixed``, ``reStruct``, ``sigma``)
* :class:`ApVar`        the approximate covariance of the variance parameters (``fit$apVar``)
* :class:`VarCov`       ``getVarCov`` (lme and gls)
* :class:`ACFResult`    ``ACF`` (lme and gls)
* :class:`VariogramResult` ``Variogram`` (lme and gls)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.report import RReport

__all__ = ["LmeSummary", "VarCorrLme", "VarCorrLevel", "AnovaLme", "IntervalsLme", "ApVar", "FixDF",
           "VarCov", "ACFResult", "VariogramResult"]


@dataclass
class FixDF:
    """nlme's ``fit$fixDF``: containment degrees of freedom.

    X       per fixed-effect coefficient (``fixDF$X``)
    terms   per model term, ``(Intercept)`` first (``fixDF$terms``)
    assign  term name -> 0-based column indices (``attr(fixDF, "assign")``)
    """

    X: pd.Series
    terms: pd.Series
    assign: dict[str, list[int]]


@dataclass(repr=False)
class LmeSummary(RReport):
    """nlme's ``summary.lme`` of a fit (R's ``summary.lme`` object).

    ``tTable``: ``Value``, ``Std.Error``, ``DF``, ``t-value``, ``p-value`` (under
    ML the standard errors use nlme's ``adjustSigma``: ``sqrt(N / (N - p))``);
    ``corFixed``: correlation of the fixed effects; ``residuals``: quantiles
    (``Min Q1 Med Q3 Max``) of the Pearson residuals at the innermost level
    (the residuals themselves when there are 5 or fewer); ``dims``: nlme's dims.
    """

    fit: Any
    tTable: pd.DataFrame  # noqa: N815 - R's name
    corFixed: pd.DataFrame  # noqa: N815
    residuals: pd.Series
    AIC: float  # noqa: N815
    BIC: float  # noqa: N815
    logLik: float  # noqa: N815
    sigma: float
    dims: dict[str, Any]
    method: str
    fixDF: FixDF  # noqa: N815
    psi: list[np.ndarray] | None = None  # the Psi matrices printed (outer to inner)

    @property
    def coefficients(self) -> pd.DataFrame:
        """R's ``coef(summary(fit))`` (nlme's ``tTable``)."""
        return self.tTable

    @property
    def n_groups(self) -> dict[str, int]:
        return self.fit.n_groups

    def to_frame(self) -> pd.DataFrame:
        return self.tTable.copy()


@dataclass
class VarCorrLevel:
    """One level of :class:`VarCorrLme` (nlme's ``VarCorr.pdMat``)."""

    name: str  # grouping factor (``"Subject"``)
    form: str  # nlme's ``formStr`` (``"pdLogChol(age)"``)
    pd_class: str
    effects: list[str]  # random-effect names (``(Intercept)``, ``age``)
    variance: np.ndarray
    stddev: np.ndarray
    corr: np.ndarray  # correlation matrix
    show_corr: bool  # nlme prints the ``Corr`` block (q >= 2, not pdDiag/pdIdent)


@dataclass(repr=False)
class VarCorrLme(RReport):
    """nlme's ``VarCorr.lme``: variances, SDs and correlations per level (outer to
    inner) and the residual.

    R returns a character matrix (numbers formatted, ``"Block ="`` heading rows
    when there are several levels); the printing layer builds exactly that
    (``hlm_py.printing.lme_reports.varcorr_strings``). ``to_frame()`` gives the
    numbers: ``Variance``, ``StdDev`` and, when any level has correlations,
    ``Corr`` columns (``Corr``, ``Corr.2``, ...: the lower triangle, NaN
    elsewhere), rows named as R names them (levels in order, ``Residual`` last).
    """

    levels: list[VarCorrLevel]
    sigma: float
    rdig: int = 3

    def to_frame(self) -> pd.DataFrame:
        ncorr = max((len(lv.effects) - 1 for lv in self.levels if lv.show_corr), default=0)
        rows, index = [], []
        for lv in self.levels:
            for i, eff in enumerate(lv.effects):
                row = [lv.variance[i], lv.stddev[i]] + [np.nan] * ncorr
                if lv.show_corr:
                    for j in range(i):
                        row[2 + j] = lv.corr[i, j]
                rows.append(row)
                index.append(eff)
        rows.append([self.sigma ** 2, self.sigma] + [np.nan] * ncorr)
        index.append("Residual")
        cols = ["Variance", "StdDev"] + ["Corr" if j == 0 else f"Corr.{j + 1}" for j in range(ncorr)]
        return pd.DataFrame(rows, index=pd.Index(index), columns=cols)


@dataclass(repr=False)
class AnovaLme(RReport):
    """nlme's ``anova.lme``.

    One fit (``kind = "wald"``): rows are terms; ``numDF``, ``denDF``,
    ``F-value``, ``p-value``; ``type`` ``"sequential"`` or ``"marginal"``.
    Several fits (``kind = "compare"``): rows named after the fits; ``Model``,
    ``df``, ``AIC``, ``BIC``, ``logLik``, ``Test``, ``L.Ratio``, ``p-value``
    (the last three only when the models' df differ, as in nlme).
    """

    table: pd.DataFrame
    kind: str
    type: str | None = None
    calls: list[str] | None = None
    #: nlme's label printed above a Wald table (``Denom. DF: 104``, ``F-test for: ...``)
    label: str | None = None
    #: the ``L`` of ``anova(fit, L=)`` (its non-zero columns), printed under the label
    L: pd.DataFrame | pd.Series | None = None
    #: whether the Wald table has a ``denDF`` column (lme; gls prints it in the label)
    den_df_column: bool = True

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


@dataclass(repr=False)
class ApVar(RReport):
    """nlme's ``fit$apVar``: approximate covariance of the variance parameters on
    nlme's "natural" scale (log SDs and ``log((1 + r) / (1 - r))`` of the
    correlations for general pd matrices, the class's own unconstrained
    parameters for ``pdDiag``/``pdIdent``/``pdCompSymm``, and ``lSigma`` =
    log sigma), innermost level first; ``Pars`` are the parameters at the fit.
    """

    matrix: pd.DataFrame
    Pars: pd.Series  # noqa: N815

    def to_frame(self) -> pd.DataFrame:
        return self.matrix.copy()


@dataclass(repr=False)
class IntervalsLme(RReport):
    """nlme's ``intervals.lme``: ``fixed`` (``lower``, ``est.``, ``upper``;
    ``None`` for ``which="var-cov"``), ``reStruct`` (level name -> table, outer to
    inner; ``None`` for ``which="fixed"``), ``sigma`` (Series ``lower``,
    ``est.``, ``upper``), ``level``.
    """

    fixed: pd.DataFrame | None
    reStruct: dict[str, pd.DataFrame] | None  # noqa: N815
    sigma: pd.Series | None
    level: float = 0.95
    #: the structures' intervals (None without them)
    corStruct: pd.DataFrame | None = None  # noqa: N815
    varStruct: pd.DataFrame | None = None  # noqa: N815

    def to_frame(self) -> pd.DataFrame:
        """All intervals stacked: fixed effects, then ``<level>: <parameter>``, then ``sigma``."""
        parts = []
        if self.fixed is not None:
            parts.append(self.fixed)
        for lev, tab in (self.reStruct or {}).items():
            t = tab.copy()
            t.index = [f"{lev}: {i}" for i in t.index]
            parts.append(t)
        for lab, stab in (("corStruct", self.corStruct), ("varStruct", self.varStruct)):
            if stab is not None:
                st = stab.copy()
                st.index = [f"{lab}: {i}" for i in st.index]
                parts.append(st)
        if self.sigma is not None:
            parts.append(pd.DataFrame([self.sigma.to_numpy()], index=["sigma"],
                                      columns=["lower", "est.", "upper"]))
        if not parts:
            return pd.DataFrame(columns=["lower", "est.", "upper"], dtype=float)
        return pd.concat(parts)


@dataclass(repr=False)
class VarCov(RReport):
    """nlme's ``getVarCov`` result: ``type`` (``"marginal"``,
    ``"conditional"``, ``"random.effects"``) and the matrices by individual.

    ``listed``: R's result is a list of matrices named by individual (lme's
    ``conditional`` and ``marginal``), printed each under a header
    ``"<group.levels> <name>"``; otherwise one matrix (gls, lme's
    ``random.effects``). ``dimnames``: False where R's matrix has none (gls:
    printed ``[1,]``, ``[,1]``); ``group_levels``: nlme's
    ``attr(, "group.levels")`` (the grouping factor's name; None for gls)."""

    type: str
    matrices: dict[str, pd.DataFrame]
    listed: bool = False
    group_levels: str | None = None
    dimnames: bool = True

    def __getitem__(self, key: str | int) -> pd.DataFrame:
        """The matrix of individual ``key`` (name, or 0-based position)."""
        if isinstance(key, str):
            return self.matrices[key]
        return list(self.matrices.values())[int(key)]

    def __len__(self) -> int:
        return len(self.matrices)

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


@dataclass(repr=False)
class VariogramResult(RReport):
    """nlme's ``Variogram`` of a gls or lme fit (a ``"Variogram"`` data frame).

    ``table``: ``variog``, ``dist`` and, when collapsed, ``n.pairs`` (rows
    1..n; ``dist`` NaN is R's NA, only in gls's empty classes, whose
    ``variog`` is R's NaN); ``modelVariog``: the fitted spatial structure's
    semivariogram (``attr(, "modelVariog")``: ``variog``, ``dist``), or None;
    ``collapse``: ``attr(, "collapse")``; ``nan_mask``: the rows whose
    ``variog`` is R's NaN rather than NA."""

    table: pd.DataFrame
    modelVariog: pd.DataFrame | None = None  # noqa: N815 - nlme's name
    collapse: bool = True
    nan_mask: np.ndarray | None = None

    @property
    def variog(self) -> np.ndarray:
        return self.table["variog"].to_numpy(dtype=float)

    @property
    def dist(self) -> np.ndarray:
        return self.table["dist"].to_numpy(dtype=float)

    @property
    def n_pairs(self) -> np.ndarray | None:
        """``n.pairs`` (None when not collapsed)."""
        if "n.pairs" not in self.table.columns:
            return None
        return self.table["n.pairs"].to_numpy()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()
