"""The gls fit (R's ``gls`` object) and its optimisation.

:func:`gls_fit` is the optimisation stage of ``nlme::gls``: the variance and
correlation parameters maximise the profiled log-likelihood
(:mod:`hlm_py.gls.criterion`), beta and sigma follow from them. A variance
function on ``fitted(.)`` makes nlme iterate: optimise with the covariate
fixed, recompute the fitted values, update the covariate, until the
coefficients and parameters change by less than ``tolerance``; hlm_py runs
the same loop to a tighter fixed point (:data:`OUTER_TOL`), which is nlme's
fit converged further.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.errors import ConvergenceError, HlmError
from hlm_py.formula.update import update_formula
from hlm_py.gls import inference
from hlm_py.gls.control import GlsControl, as_gls_control
from hlm_py.gls.criterion import GlsCriterion, GlsEstimates
from hlm_py.gls.design import GlsDesign, gls_design
from hlm_py.gls.inference import match_arg
from hlm_py.gls.results import GlsSummary, IntervalsGls
from hlm_py.gls.search import search
from hlm_py.linalg.minimise import MinimiseResult
from hlm_py.linalg.threads import one_blas_thread
from hlm_py.lme.results import ACFResult, AnovaLme, ApVar, VarCov, VariogramResult
from hlm_py.rbase.loglik import LogLik, aic, bic
from hlm_py.report import render
from hlm_py.structs.unbounded import check_bounded

__all__ = ["GlsFit", "gls", "gls_fit", "OUTER_TOL"]

#: relative change of the coefficients and parameters that ends the outer
#: loop of a ``fitted(.)`` variance function (nlme stops at ``tolerance``,
#: 1e-6; the fixed point is reached to this instead)
OUTER_TOL = 1e-10


@dataclass
class GlsFit:
    """A gls fit (R's ``gls`` object). ``model`` is the :class:`GlsDesign`
    (the last one, with the variance covariate updated, for ``fitted(.)``)."""

    r_class = "gls"
    model: GlsDesign
    control: GlsControl
    theta: np.ndarray
    estimates: GlsEstimates
    optim: MinimiseResult | None
    numIter: int  # noqa: N815 - nlme's name
    criterion: GlsCriterion

    # -- the design's facts ---------------------------------------------------
    @property
    def call(self) -> str:
        return self.model.call

    @property
    def method(self) -> str:
        return self.model.method

    @property
    def REML(self) -> bool:  # noqa: N802
        return self.model.reml

    @property
    def design(self) -> Any:
        """The model formula's frame, terms and model matrix."""
        return self.model.design

    @property
    def n(self) -> int:
        return self.model.n

    @property
    def p(self) -> int:
        return self.model.p

    @property
    def data_name(self) -> str:
        return self.model.data_name

    @property
    def row_names(self) -> pd.Index:
        return self.model.row_names

    @property
    def dims(self) -> dict[str, int]:
        return {"N": self.n, "p": self.p, "REML": int(self.REML)}

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model.args, control=self.control)

    @property
    def coefficients(self) -> pd.Series:
        return pd.Series(self.estimates.beta, index=pd.Index(self.model.fixed_names))

    @cached_property
    def varBeta(self) -> pd.DataFrame:  # noqa: N802 - nlme's name
        idx = pd.Index(self.model.fixed_names)
        V = self.estimates.var_beta(self.n, self.p, self.REML)
        return pd.DataFrame(V, index=idx, columns=idx)

    @property
    def sigma_(self) -> float:
        return float(self.estimates.sigma)

    @property
    def loglik(self) -> float:
        return float(self.estimates.loglik)

    @property
    def df(self) -> int:
        return self.p + self.model.n_params + 1

    @property
    def theta_names(self) -> list[str]:
        return self.model.theta_names

    @property
    def weights(self) -> np.ndarray:
        """nlme's ``varWeights(fit$modelStruct)`` (1 without a variance function)."""
        return self.estimates.weights

    @property
    def std(self) -> np.ndarray:
        """nlme's ``attr(resid(fit), "std")``: sigma / the variance weights."""
        return self.sigma_ / self.weights

    def component_theta(self, name: str) -> np.ndarray:
        return self.model.split(self.theta)[name]

    # -- R's generics -------------------------------------------------------
    def coef(self, allCoef: bool = False) -> pd.Series:  # noqa: N803
        """nlme's ``coef.gls``."""
        return self.coefficients.copy()

    def vcov(self) -> pd.DataFrame:
        """nlme's ``vcov.gls`` (``fit$varBeta``)."""
        return self.varBeta.copy()

    def sigma(self) -> float:
        return self.sigma_

    def nobs(self) -> int:
        return self.n

    def df_residual(self) -> int:
        return self.n - self.p

    def fitted(self) -> pd.Series:
        """nlme's ``fitted.gls``."""
        return pd.Series(self.estimates.fitted, index=self.row_names)

    def residuals(self, type: str = "response") -> pd.Series:  # noqa: A002
        """nlme's ``residuals.gls``: ``"response"``, ``"pearson"`` (over
        sigma / weights) or ``"normalized"`` (the Pearson residuals whitened by
        the correlation structure's factor, rows matched to groups as nlme
        does: see ``BoundCor.whiten_as_residuals``)."""
        kind = match_arg(type, ("response", "pearson", "normalized"), "type")
        r = np.asarray(self.estimates.resid, dtype=float)
        if kind != "response":
            r = r / self.std
            if kind == "normalized" and self.model.cor is not None:
                r = self.model.cor.whiten_as_residuals(self.component_theta("corStruct"), r)
        return pd.Series(r, index=self.row_names)

    resid = residuals

    def predict(self, newdata: pd.DataFrame | None = None) -> pd.Series:
        """nlme's ``predict.gls``: fitted values, or ``X beta`` of new data."""
        if newdata is None:
            return self.fitted()
        if not isinstance(newdata, pd.DataFrame):
            newdata = pd.DataFrame(newdata)
        mm, _ = self.design.new_data_matrix(newdata)
        X = np.asarray(mm.values, dtype=float)
        val = X @ self.estimates.beta
        return pd.Series(val, index=mm.row_names if hasattr(mm, "row_names") else newdata.index)

    def logLik(self, REML: bool | None = None) -> LogLik:  # noqa: N802, N803
        """nlme's ``logLik.gls``; ``REML`` other than the fit's method corrects it
        as nlme does (with ``log|varBeta|``)."""
        reml = self.REML if REML is None else bool(REML)
        val = self.loglik
        p, n = self.p, self.n
        if reml != self.REML:
            sv = float(np.sum(np.log(np.abs(np.linalg.svd(self.varBeta.to_numpy(),
                                                          compute_uv=False)))))
            if reml:
                val += (p * (math.log(2 * math.pi) + 1) + (n - p) * math.log(1 - p / n) + sv) / 2
            else:
                val -= (p * (math.log(2 * math.pi) + 1) + n * math.log(1 - p / n) + sv) / 2
        return LogLik(val, self.df, n - (p if reml else 0), n)

    def AIC(self, k: float = 2.0) -> float:  # noqa: N802
        return aic(self.logLik(), k)

    def BIC(self) -> float:  # noqa: N802
        return bic(self.logLik())

    def update(self, model: str | None = None, **changes: Any) -> GlsFit:
        """nlme's ``update.gls``: ``model`` combined with the old formula by R's
        ``update.formula`` rules; other arguments changed by (partially
        matched, as nlme) name; ``None`` removes one (``weights=None``)."""
        args = dict(self.args)
        for key, value in changes.items():
            args[_pmatch_arg(key)] = value
        if model is not None:
            args["model"] = update_formula(self.model.model, model, args["data"])
        return gls(**args)

    def at(self, theta: np.ndarray) -> GlsFit:
        """The fit's model evaluated at other parameters ``theta`` (not
        optimised: e.g. another program's estimates, to print its numbers)."""
        theta = np.asarray(theta, dtype=float)
        self.model.split(theta)  # checks the length
        crit = GlsCriterion(self.model)
        return GlsFit(model=self.model, control=self.control, theta=theta,
                      estimates=crit.estimates(theta, self.control.singular_ok), optim=None,
                      numIter=self.numIter, criterion=crit)

    # -- hlm_py.gls.inference ------------------------------------------------
    def summary(self) -> GlsSummary:
        return inference.summary(self)

    def anova(self, *args: Any, **kwargs: Any) -> AnovaLme:
        return inference.anova(self, *args, **kwargs)

    @cached_property
    def _apvar(self) -> ApVar | HlmError:
        return inference.compute_apvar(self)

    @property
    def apVar(self) -> ApVar:  # noqa: N802 - nlme's name
        """nlme's ``fit$apVar``; ``HlmError`` with nlme's message where the
        Hessian is not negative definite."""
        return inference.apvar(self)

    def intervals(self, level: float = 0.95, which: str = "all") -> IntervalsGls:
        return inference.intervals(self, level=level, which=which)

    def getVarCov(self, individual: Any = 1) -> VarCov:  # noqa: N802
        return inference.getVarCov(self, individual=individual)

    def ACF(self, maxLag: int | None = None, resType: str = "pearson",  # noqa: N802,N803
            form: str | None = None) -> ACFResult:
        return inference.ACF(self, maxLag=maxLag, resType=resType, form=form)

    def Variogram(self, form: str | None = None, resType: str = "pearson",  # noqa: N802,N803
                  maxDist: float | None = None, length_out: int = 50,  # noqa: N803
                  collapse: str = "quantiles", nint: int | None = None, breaks: Any = None,
                  robust: bool = False, metric: str = "euclidean") -> VariogramResult:
        """nlme's ``Variogram.gls`` (``nint`` None is R's missing ``nint``, 20)."""
        return inference.Variogram(self, form=form, resType=resType, maxDist=maxDist,
                                   length_out=length_out, collapse=collapse, nint=nint,
                                   breaks=breaks, robust=robust, metric=metric)

    def __repr__(self) -> str:
        return render(self)

    __str__ = __repr__


_GLS_ARGS = ("model", "data", "correlation", "weights", "subset", "method", "na_action",
             "control", "contrasts")


def _pmatch_arg(key: str) -> str:
    """R's partial matching of ``update``'s argument names (nlme's
    ``update.gls`` allows ``corr =`` for ``correlation``)."""
    key = {"na.action": "na_action"}.get(key, key)
    if key in _GLS_ARGS:
        return key
    hits = [a for a in _GLS_ARGS if a.startswith(key)]
    if len(hits) == 1:
        return hits[0]
    raise HlmError(f"unused argument ({key})")


def _relative_change(old: np.ndarray, new: np.ndarray) -> float:
    if old.size == 0:
        return 0.0
    den = np.where(new == 0, 1.0, new)
    return float(np.max(np.abs((old - new) / den)))


@one_blas_thread
def gls_fit(design: GlsDesign, control: GlsControl | Mapping[str, Any] | None = None) -> GlsFit:
    """Fit an unfitted gls model (:func:`hlm_py.gls.design.gls_design`)."""
    if not isinstance(design, GlsDesign):
        raise HlmError(f"gls_fit() fits the unfitted model of gls_design(...), not "
                       f"{type(design).__name__}")
    ctrl = as_gls_control(control)
    crit = GlsCriterion(design)
    theta = design.start()
    est = crit.estimates(theta, ctrl.singular_ok)  # nlme's Initialize: the start must fit
    if not math.isfinite(crit.loglik(theta)):
        raise HlmError("gls: the log-likelihood is not finite at the starting values of "
                       "the correlation and variance parameters")
    check_bounded(design.X, design.y, design.cor, design.var, design.reml, "gls")
    needs_update = design.var is not None and design.var.needs_update
    if needs_update:
        design = design.with_var(design.var.update(est.fitted))  # type: ignore[union-attr]
        crit = GlsCriterion(design)
    outer = 0
    res: MinimiseResult | None = None
    while True:
        old = np.concatenate([est.beta, theta])
        if design.n_params:
            res = search(crit, theta, max_iter=ctrl.msMaxIter, basins=not needs_update)
            theta = res.x
            if not res.converged:
                msg = (f"gls: the optimisation did not converge in {res.iterations} "
                       f"iterations ({res.message})")
                if not ctrl.returnObject:
                    raise ConvergenceError(msg)
                warnings.warn(msg, stacklevel=2)
        est = crit.estimates(theta, ctrl.singular_ok)
        if not needs_update:
            break
        outer += 1
        change = _relative_change(old, np.concatenate([est.beta, theta]))
        design = design.with_var(design.var.update(est.fitted))  # type: ignore[union-attr]
        crit = GlsCriterion(design)
        if change <= OUTER_TOL:
            est = crit.estimates(theta, ctrl.singular_ok)
            break
        if outer > max(ctrl.maxIter, 200):
            raise ConvergenceError("maximum number of iterations reached without convergence")
    return GlsFit(model=design, control=ctrl, theta=np.asarray(theta, dtype=float),
                  estimates=est, optim=res, numIter=outer, criterion=crit)


def gls(
    model: str,
    data: pd.DataFrame,
    correlation: Any = None,
    weights: Any = None,
    subset: Any = None,
    method: str = "REML",
    na_action: str = "na.fail",
    control: GlsControl | Mapping[str, Any] | None = None,
    contrasts: dict[str, Any] | None = None,
) -> GlsFit:
    """nlme's ``gls(model, data, correlation, weights, subset, method,
    na.action, control)``: :func:`gls_design` then :func:`gls_fit`.

    ``contrasts`` (variable -> contrast name) is hlm_py's: nlme's gls takes
    them from ``options(contrasts=)``.
    """
    ctrl = as_gls_control(control)
    design = gls_design(model, data, correlation=correlation, weights=weights, subset=subset,
                        method=method, na_action=na_action, contrasts=contrasts)
    return gls_fit(design, ctrl)
