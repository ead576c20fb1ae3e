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
from collections.abc import Callable, Mapping
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
from hlm_py.linalg.minimise import MinimiseResult, minimise
from hlm_py.linalg.threads import one_blas_thread
from hlm_py.lme.results import ACFResult, AnovaLme, ApVar, VarCov, VariogramResult
from hlm_py.rbase.loglik import LogLik, aic, bic
from hlm_py.report import render
from hlm_py.structs.corstruct import SYMM_SEARCH_EDGE
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


def _edges(design: GlsDesign) -> np.ndarray:
    """The bound of each parameter held by the search (inf: none; corSymm's:
    ``SYMM_SEARCH_EDGE``)."""
    out: list[float] = []
    for _, c in design.components:
        edge = SYMM_SEARCH_EDGE if getattr(c, "r_class", "") == "corSymm" else math.inf
        out += [edge] * int(c.n_params)
    return np.asarray(out, dtype=float)


def _held(crit: GlsCriterion, edges: np.ndarray) -> Callable[[np.ndarray], float]:
    """The deviance with the parameters held within ``edges``."""
    if not np.isfinite(edges).any():
        return crit.deviance

    def dev(theta: np.ndarray) -> float:
        excess = np.maximum(np.abs(theta) - edges, 0.0)
        if not excess.any():
            return crit.deviance(theta)
        return crit.deviance(np.clip(theta, -edges, edges)) + float(np.sum(excess ** 2))

    return dev


#: beyond the search's hold, corSymm's parameters at it are moved further
#: out one at a time (the others kept) in these steps while the logLik rises
#: (``_probe_edges``): toward a singular matrix where the likelihood has a
#: flat limit, the gap left at the hold is ``c exp(-2 |t|)`` with ``c`` up
#: to 80 measured (1.2e-6 at t = 9; nlme's optimum at t = 11.8); single
#: evaluations there are still within 1e-9 (measured to t = 14), the
#: search's finite differences are not
SYMM_PROBE = (1.0, 2.0, 3.0, 4.0)


def _probe_edges(crit: GlsCriterion, theta: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``theta`` with each parameter at (within 0.5 of) its edge moved out
    by ``SYMM_PROBE`` while the deviance falls (the others kept)."""
    best = crit.deviance(theta)
    for j in np.flatnonzero(np.isfinite(edges) & (np.abs(theta) > edges - 0.5)):
        for step in SYMM_PROBE:
            x = theta.copy()
            x[j] = math.copysign(edges[j] + step, theta[j])
            v = crit.deviance(x)
            if not v < best:
                break
            theta, best = x, v
    return theta


#: ``_staged`` runs on fits of at most this many rows: it doubles a search's
#: cost (measured on the golden mmrm_ml, 907 rows and 20 parameters: 15.9 s
#: to 51.8 s), and the two basins it guards against were measured on 40 rows
STAGED_MAX_ROWS = 200


def _staged(crit: GlsCriterion, design: GlsDesign, edges: np.ndarray,
            res: MinimiseResult, max_iter: int) -> MinimiseResult:
    """With a correlation structure and a variance function, a second search
    from the correlation fitted alone (the variance function at its start),
    kept if higher: their joint likelihood can have two basins (measured: a
    corSymm + varIdent REML gls, -18.62644 from the joint start, -18.59475
    from this one and nlme's nlminb)."""
    names = [n for n, c in design.components if c.n_params]
    if design.n > STAGED_MAX_ROWS or "corStruct" not in names or "varStruct" not in names:
        return res
    start = design.start()
    is_cor = np.concatenate([np.full(int(c.n_params), n == "corStruct")
                             for n, c in design.components if c.n_params])
    dev = _held(crit, edges)

    def cor_only(z: np.ndarray) -> float:
        x = start.copy()
        x[is_cor] = z
        return dev(x)

    first = minimise(cor_only, start[is_cor], max_iter=max_iter)
    x0 = start.copy()
    x0[is_cor] = first.x
    other = minimise(dev, x0, max_iter=max_iter)
    return other if other.converged and other.fun < res.fun - 1e-9 else res


#: corCompSymm's unconstrained parameter on a grid: the profile likelihood in
#: it looks for a second basin (``_other_basin``)
CS_GRID = np.arange(-16.0, 4.5, 1.0)
#: the coarser grid where other parameters are profiled out
CS_PROFILE_GRID = np.arange(-14.0, 4.5, 2.0)
#: a grid point this far (in u) from the search's end starts a second search
CS_BASIN_GAP = 1.5


def _other_basin(crit: GlsCriterion, design: GlsDesign, theta: np.ndarray,
                 res: MinimiseResult, max_iter: int) -> MinimiseResult:
    """corCompSymm's likelihood can have a second local maximum toward rho's
    lower bound -1/(M-1) (measured: CS + varExp ML gls, logLik -113.742 at
    u = -3.98 from nlme's start, -110.178 at u = -9.54 where nlme's optim
    went; another -115.071 at u = -4.27, -113.544 at u = -8.82 with the
    varExp parameter 0.072 and 0.285). The profile likelihood in u on a grid
    (the other parameters, if any, re-fitted at each point from the previous
    one: 10 short searches) shows it; a search from the grid's best point,
    where that is more than ``CS_BASIN_GAP`` away, is kept if higher."""
    cor = design.cor
    if cor is None or getattr(cor, "r_class", "") != "corCompSymm" or cor.n_params == 0:
        return res
    j = design.theta_names.index("corStruct")
    base = design.start()
    others = np.delete(base, j)
    grid = CS_GRID if others.size == 0 else CS_PROFILE_GRID
    best_x, best = None, math.inf
    for u in grid:
        def f(z: np.ndarray, u: float = float(u)) -> float:
            return crit.deviance(np.insert(z, j, u))
        if others.size:
            r = minimise(f, others, max_iter=30)
            z, v = r.x, r.fun
            if math.isfinite(v):
                others = z
        else:
            z, v = others, f(others)
        if v < best:
            best_x, best = np.insert(z, j, u), v
    if best_x is None or abs(best_x[j] - theta[j]) <= CS_BASIN_GAP:
        return res
    other = minimise(crit.deviance, best_x, max_iter=max_iter)
    return other if other.converged and other.fun < res.fun - 1e-9 else res


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
            edges = _edges(design)
            res = minimise(_held(crit, edges), theta, max_iter=ctrl.msMaxIter)
            if not needs_update:
                res = _staged(crit, design, edges, res, ctrl.msMaxIter)
                res = _other_basin(crit, design, res.x, res, ctrl.msMaxIter)
            theta = _probe_edges(crit, np.clip(res.x, -edges, edges), edges)
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
