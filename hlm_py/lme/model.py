"""The fit object of lme, and the glue from formula to fit.

:func:`lme` is ``nlme::lme.formula``: :func:`hlm_py.lme.design.lme_design`
(the unfitted model), then :func:`lme_fit`, which optimises it
(:func:`hlm_py.lme.strategy.optimise`) and makes the fit object
:class:`LmeFit` (lme4's ``mkMerMod``): fixed effects, ``varFix``, sigma, the
restricted or ordinary log-likelihood with nlme's constants, BLUPs, fitted
values and residuals by level, ``predict``. The numbers are nlme's at its
best converged fit; nlme's defaults stop a little earlier
(``docs/differences.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.errors import HlmError
from hlm_py.formula.design import Design
from hlm_py.formula.grouping import Grouping
from hlm_py.formula.update import update_arguments, update_formula
from hlm_py.linalg.compensated import compensated_residual
from hlm_py.linalg.threads import one_blas_thread
from hlm_py.lme import apvar, empirical, inference
from hlm_py.lme.control import LmeControl, as_control
from hlm_py.lme.criterion import Estimates, ProfiledLikelihood, profiled_deviance
from hlm_py.lme.design import LmeDesign, lme_design
from hlm_py.lme.optimize import OptimResult
from hlm_py.lme.predict import predict_levels
from hlm_py.lme.random import RandomLevel
from hlm_py.lme.rank import check_fixed_rank_at
from hlm_py.lme.refine import fitted_products
from hlm_py.lme.results import (
    ACFResult,
    AnovaLme,
    ApVar,
    FixDF,
    IntervalsLme,
    LmeSummary,
    VarCorrLme,
    VarCov,
    VariogramResult,
)
from hlm_py.lme.strategy import Optimum, OptSummary, optimise
from hlm_py.lme.structured import optimise_structured
from hlm_py.rbase.loglik import LogLik, aic, bic
from hlm_py.report import render
from hlm_py.structs.unbounded import check_bounded

__all__ = ["lme", "lme_fit", "LmeFit"]


@dataclass(eq=False)
class LmeFit:
    """An lme fit (R's ``lme`` object).  Field by field: ``docs/internals.md``, "lme/".

    ``model`` is the :class:`~hlm_py.lme.design.LmeDesign` it was fitted to
    and ``optsummary`` what the optimisation did; the data, matrices and
    grouping are the design's.
    """

    r_class = "lme"  # R's class, for R's "no applicable method" errors (not a field)
    model: LmeDesign
    optsummary: OptSummary
    coefficients: pd.Series
    b: list[np.ndarray]
    varFix: pd.DataFrame
    sigma_: float
    psi: list[np.ndarray]
    theta: np.ndarray
    theta_names: list[str]
    theta_opt: np.ndarray
    loglik: float
    df: int
    fitted_values: pd.DataFrame
    residuals_: pd.DataFrame
    dims: dict[str, Any]
    optim: OptimResult
    likelihood: ProfiledLikelihood
    control: LmeControl
    #: the cross-product evaluation was at its rounding noise, so the fit was
    #: made on nlme's elimination by per-group QR decompositions instead
    qr_elimination: bool = False
    #: the structures' parameters (nlme's corStruct then varStruct
    #: coefficients) and the design whitened at them (None without structures)
    phi: np.ndarray | None = None
    whitened: LmeDesign | None = None
    #: nlme's ``numIter`` of a ``fitted(.)`` variance function's outer loop
    outer_iterations: int = 0

    @property
    def structured(self) -> bool:
        return self.model.structured

    def component_theta(self, name: str) -> np.ndarray:
        """The block of ``phi`` of component ``name`` (``corStruct``, ``varStruct``)."""
        return self.model.split_phi(self.phi if self.phi is not None else np.zeros(0))[name]

    @property
    def weights(self) -> np.ndarray:
        """nlme's ``varWeights(fit$modelStruct)`` (1 without a variance function)."""
        if self.model.var is None:
            return np.ones(self.n)
        return np.asarray(self.model.var.weights(self.component_theta("varStruct")), dtype=float)

    @property
    def std(self) -> np.ndarray:
        """nlme's ``attr(resid(fit), "std")``: sigma / the variance weights."""
        return self.sigma_ / self.weights

    # -- the design's facts ---------------------------------------------------
    @property
    def call(self) -> str:
        return self.model.call

    @property
    def fixed(self) -> str:
        return self.model.fixed

    @property
    def levels(self) -> list[RandomLevel]:
        return self.model.levels

    @property
    def method(self) -> str:
        return self.model.method

    @property
    def design(self) -> Design:
        """The fixed part's frame, terms and model matrix."""
        return self.model.fixed_design

    @property
    def random_designs(self) -> list[Design]:
        return self.model.random_designs

    @property
    def grouping(self) -> Grouping:
        return self.model.grouping

    @property
    def row_names(self) -> pd.Index:
        return self.model.row_names

    @property
    def X(self) -> np.ndarray:  # noqa: N802
        return self.model.X

    @property
    def y(self) -> np.ndarray:
        return self.model.y

    @property
    def Z(self) -> list[np.ndarray]:  # noqa: N802
        return self.model.Z

    @property
    def data(self) -> pd.DataFrame:
        return self.model.data

    @property
    def data_name(self) -> str:
        """The data's name in printed calls and ``Data:`` lines."""
        return self.model.data_name

    @property
    def contrasts(self) -> dict[str, Any] | None:
        return self.model.contrasts

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model.args, control=self.control)

    @property
    def REML(self) -> bool:  # noqa: N802
        return self.model.reml

    @property
    def Q(self) -> int:  # noqa: N802
        return self.model.Q

    @property
    def level_names(self) -> list[str]:
        return [lv.name for lv in self.levels]

    @property
    def n(self) -> int:
        return self.model.n

    @property
    def p(self) -> int:
        return self.model.p

    @property
    def n_groups(self) -> dict[str, int]:
        return dict(zip(self.level_names, self.grouping.n_groups))

    @property
    def random_names(self) -> list[list[str]]:
        return self.model.random_names

    @property
    def numIter(self) -> int:  # noqa: N802
        return self.optim.iterations

    @property
    def converged(self) -> bool:
        return self.optim.converged


    # -- R's generics -------------------------------------------------------
    def update(self, fixed: str | None = None, **changes: Any) -> LmeFit:
        """nlme's ``update.lme``: refit with ``fixed`` combined with the old fixed
        formula by R's ``update.formula`` rules (``". ~ . + Sex"``) and/or changed
        arguments (``method="ML"``, ``random=...``, ``control=...``)."""
        args = update_arguments(self.args, changes)
        if fixed is not None:
            args["fixed"] = update_formula(self.fixed, fixed, args["data"])
        return lme(**args)

    def fixef(self) -> pd.Series:
        """nlme's ``fixef``."""
        return self.coefficients.copy()

    def ranef(self, level: int | list[int] | None = None) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """nlme's ``ranef``: one DataFrame (one level) or a dict outer to inner."""
        frames = {
            lv.name: pd.DataFrame(b, index=pd.Index(self.grouping.labels[i]),
                                  columns=self.random_names[i])
            for i, (lv, b) in enumerate(zip(self.levels, self.b))
        }
        levels = _levels_arg(level, self.Q, default=list(range(1, self.Q + 1)))
        if len(levels) == 1:
            return frames[self.level_names[levels[0] - 1]]
        return {self.level_names[i - 1]: frames[self.level_names[i - 1]] for i in levels}

    def coef(self, level: int | None = None) -> pd.DataFrame:
        """nlme's ``coef.lme``: fixed plus random effects per group of ``level`` (default Q)."""
        lev = self.Q if level is None else int(level)
        if not 1 <= lev <= self.Q:
            raise HlmError(f"invalid level {level}: it must be between 1 and {self.Q}")
        labels = self.grouping.labels[lev - 1]
        G = len(labels)
        fixed = self.coefficients
        names = list(fixed.index)
        out = np.tile(fixed.to_numpy(), (G, 1))
        extra: list[str] = []
        extra_vals: list[np.ndarray] = []
        # ancestors of each group at each level <= lev
        anc = [np.arange(G)]
        for lv in range(lev - 1, 0, -1):
            anc.insert(0, self.grouping.parents[lv][anc[0]])
        for li in range(lev):
            bl = self.b[li][anc[li]]
            for j, cn in enumerate(self.random_names[li]):
                if cn in names:
                    out[:, names.index(cn)] += bl[:, j]
                else:
                    if cn in extra:
                        extra_vals[extra.index(cn)] = extra_vals[extra.index(cn)] + bl[:, j]
                    else:
                        extra.append(cn)
                        extra_vals.append(bl[:, j].copy())
        df = pd.DataFrame(out, index=pd.Index(labels), columns=names)
        for cn, v in zip(extra, extra_vals):
            df[cn] = v
        return df

    def fitted(self, level: int | list[int] | None = None) -> pd.Series | pd.DataFrame:
        """nlme's ``fitted.lme``: one level -> a Series named by the groups of level
        ``max(1, level)`` (as nlme), several -> a DataFrame indexed by row label."""
        return self._by_level(self.fitted_values, level)

    def residuals(self, level: int | list[int] | None = None, type: str = "response") -> pd.Series | pd.DataFrame:  # noqa: A002
        """nlme's ``residuals.lme``; ``type`` ``"response"``, ``"pearson"`` or
        ``"normalized"`` (whitened with the rows matched to groups as nlme
        does, ``BoundCor.whiten_as_residuals``: right only on data sorted by
        group, R's numbers either way)."""
        kind = _match_type(type)
        res = self.residuals_
        if kind != "response":
            res = res.div(self.std, axis=0)
            if kind == "normalized" and self.model.cor is not None:
                w = self.model.cor.whiten_as_residuals(self.component_theta("corStruct"),
                                                       res.to_numpy())
                res = pd.DataFrame(w, index=res.index, columns=res.columns)
        return self._by_level(res, level)

    resid = residuals

    def _by_level(self, table: pd.DataFrame, level: int | list[int] | None) -> pd.Series | pd.DataFrame:
        levels = _levels_arg(level, self.Q, default=[self.Q], allow_zero=True)
        if len(levels) == 1:
            lv = levels[0]
            s = table.iloc[:, lv].copy()
            # nlme names the values by the groups of level max(1, level)
            gl = max(1, lv) - 1
            lab = np.asarray(self.grouping.labels[gl], dtype=object)
            s.index = pd.Index(lab[self.grouping.codes[gl]])
            s.name = None
            return s
        return table.iloc[:, levels].copy()

    def predict(self, newdata: pd.DataFrame | None = None, level: int | list[int] | None = None,
                **kwargs: Any) -> pd.Series | pd.DataFrame:
        """nlme's ``predict.lme``: unseen groups give NaN at their level (R's NA)."""
        if kwargs:
            bad = ", ".join(sorted(kwargs))
            raise HlmError(f"predict.lme: unsupported argument(s) {bad}")
        if newdata is None:
            return self.fitted(level)
        levels = _levels_arg(level, self.Q, default=[self.Q], allow_zero=True)
        if not isinstance(newdata, pd.DataFrame):
            newdata = pd.DataFrame(newdata)
        return predict_levels(self.design, self.random_designs, self.coefficients, self.b,
                              self.grouping, newdata, levels)

    def sigma(self) -> float:
        """nlme's residual standard error."""
        return float(self.sigma_)

    def nobs(self) -> int:
        return self.n

    def vcov(self) -> pd.DataFrame:
        """nlme's ``vcov.lme`` (``varFix``)."""
        return self.varFix.copy()

    def logLik(self, REML: bool | None = None) -> LogLik:  # noqa: N802, N803
        """nlme's ``logLik.lme``; ``REML`` other than the fit's method re-evaluates."""
        value = self.loglik
        if REML is not None and bool(REML) != self.REML:
            value = _loglik_other_method(self, bool(REML))
        reml = self.REML if REML is None else bool(REML)
        return LogLik(value, self.df, self.n - (self.p if reml else 0), self.n)

    def AIC(self, k: float = 2.0) -> float:  # noqa: N802
        """R's ``AIC`` (``hlm_py.rbase.loglik.aic`` of ``logLik(fit)``)."""
        return aic(self.logLik(), k)

    def BIC(self) -> float:  # noqa: N802
        """R's ``BIC`` (``hlm_py.rbase.loglik.bic`` of ``logLik(fit)``)."""
        return bic(self.logLik())

    def df_residual(self) -> int:
        return self.n - self.p


    def at(self, params: np.ndarray, fitted: np.ndarray | None = None) -> LmeFit:
        """The fit's model evaluated at other parameters (not optimised: e.g.
        another program's estimates, to print its numbers). ``params`` are in
        nlme's order of ``coef(fit$modelStruct)``: the reStruct's, innermost
        level first, then the structures'; ``fitted`` (the innermost fitted
        values) sets a ``fitted(.)`` variance covariate."""
        params = np.asarray(params, dtype=float).ravel()
        design = self.model
        k = design.n_params
        if params.size != k + design.n_struct:
            raise HlmError(f"{params.size} parameters for a model with {k + design.n_struct}")
        if fitted is not None and design.var is not None and design.var.needs_update:
            design = design.with_var(design.var.update(np.asarray(fitted, dtype=float)))
        sizes = [lv.pd.n_params(q) for lv, q in zip(design.levels, design.q)]
        inner_first, at = [], 0
        for sz in sizes[::-1]:
            inner_first.append(params[at:at + sz])
            at += sz
        theta = np.concatenate(inner_first[::-1]) if inner_first else np.zeros(0)
        whitened = design.at(params[k:]) if design.structured else None
        lik = (whitened or design).criterion
        dev = float(lik.deviance(theta))
        res = OptimResult(theta=theta, deviance=dev, gradient=np.zeros_like(theta), iterations=0,
                          evaluations=1, converged=True, message="evaluated at given parameters")
        opt = Optimum(result=res, criterion=lik, refinement=None, summary=self.optsummary)
        return _make_fit(design, opt, self.control, whitened=whitened,
                         outer=self.outer_iterations)

    # -- what inference computes once per fit --------------------------------
    @cached_property
    def fixDF(self) -> FixDF:  # noqa: N802 - nlme's name
        """nlme's ``fit$fixDF``: the containment denominator DF of each term."""
        return inference.containment_df(self)

    @cached_property
    def _apvar(self) -> ApVar | HlmError:
        return apvar.compute_apvar(self)

    @property
    def apVar(self) -> ApVar:  # noqa: N802 - nlme's name
        """nlme's ``fit$apVar``: the approximate covariance of the variance
        parameters; ``HlmError`` with nlme's message where it is not positive
        definite."""
        if isinstance(self._apvar, HlmError):
            raise self._apvar
        return self._apvar

    # -- hlm_py.lme.inference: summary, anova, intervals, VarCorr -------------
    def summary(self, adjustSigma: bool = True) -> LmeSummary:  # noqa: N803
        return inference.summary(self, adjustSigma=adjustSigma)

    def anova(self, *args: Any, **kwargs: Any) -> AnovaLme:
        return inference.anova(self, *args, **kwargs)

    def intervals(self, *args: Any, **kwargs: Any) -> IntervalsLme:
        return apvar.intervals(self, *args, **kwargs)

    def VarCorr(self, *args: Any, **kwargs: Any) -> VarCorrLme:  # noqa: N802
        return inference.VarCorr(self, *args, **kwargs)

    # -- hlm_py.lme.empirical: residual structure ----------------------------
    def Variogram(self, form: str | None = None, resType: str = "pearson",  # noqa: N802,N803
                  maxDist: float | None = None, length_out: int = 50,  # noqa: N803
                  collapse: str = "quantiles", nint: int | None = None,
                  breaks: Any = None, robust: bool = False,
                  metric: str = "euclidean") -> VariogramResult:
        """nlme's ``Variogram.lme``: the semivariogram of the innermost-level
        residuals within the innermost groups, against ``form``'s covariate
        (``"~ Time"``; default: the spatial structure's distances, else the
        position in the group). ``nint`` None is R's missing ``nint`` (20)."""
        return empirical.variogram_lme(self, form=form, resType=resType, maxDist=maxDist,
                                       length_out=length_out, collapse=collapse, nint=nint,
                                       breaks=breaks, robust=robust, metric=metric)

    def ACF(self, maxLag: int | None = None, resType: str = "pearson") -> ACFResult:  # noqa: N802,N803
        """nlme's ``ACF.lme``."""
        return empirical.acf_lme(self, maxLag=maxLag, resType=resType)

    def getVarCov(self, individuals: Any = None, type: str = "random.effects") -> VarCov:  # noqa: N802,A002
        """nlme's ``getVarCov.lme`` (``type``: ``"random.effects"``,
        ``"conditional"``, ``"marginal"``)."""
        return empirical.getvarcov_lme(self, individuals=individuals, type=type)

    def __repr__(self) -> str:
        return render(self)

    __str__ = __repr__



def _match_type(type_: str) -> str:
    for kind in ("response", "pearson", "normalized"):
        if type_ and kind.startswith(type_):
            return kind
    raise HlmError(f"'type' should be one of \"response\", \"pearson\", \"normalized\", not {type_!r}")


def _levels_arg(level: Any, Q: int, default: list[int], allow_zero: bool = False) -> list[int]:  # noqa: N803
    if level is None:
        return list(default)
    levels = [level] if np.isscalar(level) else list(level)
    out = []
    lo = 0 if allow_zero else 1
    for lv in levels:
        if isinstance(lv, (int, np.integer)) and lo <= int(lv) <= Q:
            out.append(int(lv))
        else:
            raise HlmError(f"level of {lv!s} does not match formula: levels are {lo}..{Q}")
    return out


def _loglik_other_method(fit: LmeFit, reml: bool) -> float:
    """nlme's ``logLik.lme(REML=)`` correction for the other criterion."""
    p, n = fit.p, fit.n
    _, logdet = np.linalg.slogdet(fit.varFix.to_numpy()) if p else (1.0, 0.0)
    if reml and not fit.REML:
        return fit.loglik + (p * (np.log(2 * np.pi) + 1) + (n - p) * np.log(1 - p / n) + logdet) / 2
    if not reml and fit.REML:
        return fit.loglik - (p * (np.log(2 * np.pi) + 1) + n * np.log(1 - p / n) + logdet) / 2
    return fit.loglik





def _fitted_and_residuals(design: LmeDesign, est: Estimates, compensated: bool
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Fitted values and residuals by level (columns fixed, 1..Q), rows in the
    input order; ``compensated``: the residuals in twice the working precision
    (on the QR elimination the response can be 1e10 times their size)."""
    X, y, Z, codes = design.X, design.y, design.Z, design.grouping.codes
    F = np.empty((design.n, design.Q + 1), order="F")
    F[:, 0] = X @ est.beta
    for li in range(design.Q):
        col = F[:, li + 1]
        col[:] = F[:, li]
        for j in range(Z[li].shape[1]):
            col += Z[li][:, j] * np.take(est.b[li][:, j], codes[li])
    if compensated:
        R = np.column_stack([
            compensated_residual(y, fitted_products(X, est.beta, Z, codes, est.b, li))
            for li in range(design.Q + 1)])
    else:
        R = y[:, None] - F
    return F, R


def _dims(design: LmeDesign) -> dict[str, Any]:
    """nlme's ``fit$dims`` (levels innermost first)."""
    q = design.q[::-1]
    return {"N": design.n, "Q": design.Q, "qvec": q + [0, 0],
            "ngrps": list(reversed(design.grouping.n_groups)) + [1, 1],
            "ncol": q + [design.p, 1], "names": [lv.name for lv in reversed(design.levels)]}


def _make_fit(design: LmeDesign, optimum: Optimum, control: LmeControl,
              whitened: LmeDesign | None = None, outer: int = 0) -> LmeFit:
    """The fit object at the optimum (lme4's ``mkMerMod``). With structures,
    ``design`` is the structured design and ``whitened`` it whitened at the
    structures' parameters, on which ``optimum`` was found."""
    opt, lik = optimum.result, optimum.criterion
    names = design.fixed_names
    check_fixed_rank_at(lik, opt.theta, names)
    est = optimum.refinement.estimates(opt.theta) if optimum.refinement is not None \
        else lik.estimates(opt.theta)
    F, R = _fitted_and_residuals(design, est, optimum.qr_elimination)
    col_names = ["fixed"] + [lv.name for lv in design.levels]
    # the penalised RSS from the residuals (no cancellation, unlike the
    # cross-products); on the QR elimination the refined one
    work = whitened if whitened is not None else design
    struct_ll = work.struct_ll
    if optimum.refinement is not None:
        prss, loglik = est.rss, est.loglik + struct_ll
    else:
        Rw = R if whitened is None else \
            _fitted_and_residuals(whitened, est, optimum.qr_elimination)[1]
        prss = float(Rw[:, -1] @ Rw[:, -1]) + sum(float(np.einsum("gi,gi->", u, u)) for u in est.u)
        loglik = -0.5 * profiled_deviance(lik.n_eff, lik.reml, est.logdet_v, prss,
                                          est.logdet_xvx) + struct_ll
    sigma = float(np.sqrt(prss / lik.n_eff))
    index = pd.Index(names)
    parts = lik.split(opt.theta)
    return LmeFit(
        model=design,
        optsummary=optimum.summary,
        coefficients=pd.Series(est.beta, index=index),
        b=est.b,
        varFix=pd.DataFrame(sigma ** 2 * est.xtvx_inv, index=index, columns=index),
        sigma_=sigma,
        psi=lik.psis(opt.theta),
        # nlme's order of the reStruct parameters: innermost level first
        theta=np.concatenate(parts[::-1]),
        theta_names=[nm for lv, q in zip(design.levels[::-1], design.q[::-1])
                     for nm in lv.pd.param_names(lv.name, q)],
        theta_opt=opt.theta,
        loglik=float(loglik),
        df=design.p + design.n_params + design.n_struct + 1,
        fitted_values=pd.DataFrame(F, index=design.row_names, columns=col_names, copy=False),
        residuals_=pd.DataFrame(R, index=design.row_names, columns=col_names, copy=False),
        dims=_dims(design),
        optim=opt,
        likelihood=lik,
        control=control,
        qr_elimination=optimum.qr_elimination,
        phi=whitened.phi if whitened is not None else None,
        whitened=whitened,
        outer_iterations=outer,
    )


@one_blas_thread
def lme_fit(design: LmeDesign, control: LmeControl | Mapping[str, Any] | None = None) -> LmeFit:
    """Fit an unfitted lme model (:func:`hlm_py.lme.design.lme_design`): the
    optimisation stage, then the fit object (``hlm.lme`` is the two in one)."""
    if not isinstance(design, LmeDesign):
        raise HlmError(f"lme_fit() fits the unfitted model of hlm.lme_design(...), not "
                       f"{type(design).__name__}")
    ctrl = as_control(control)
    if design.structured:
        # lme's ML likelihood tends to gls's as the random effects' SDs go to 0
        check_bounded(design.X, design.y, design.cor, design.var, design.reml, "lme")
        so = optimise_structured(design, ctrl, _innermost_fitted)
        return _make_fit(so.design, so.optimum, ctrl, whitened=so.whitened, outer=so.outer)
    return _make_fit(design, optimise(design, ctrl), ctrl)


def _innermost_fitted(design: LmeDesign, est: Estimates) -> np.ndarray:
    """The innermost level's fitted values on the data's scale (``design``
    unwhitened), for a ``fitted(.)`` variance covariate."""
    F, _ = _fitted_and_residuals(design, est, False)
    return F[:, -1]


def lme(
    fixed: str,
    data: pd.DataFrame,
    random: Any = None,
    method: str = "REML",
    weights: Any = None,
    correlation: Any = None,
    na_action: str = "na.fail",
    contrasts: dict[str, Any] | None = None,
    control: LmeControl | Mapping[str, Any] | None = None,
    subset: Any = None,
) -> LmeFit:
    """nlme's ``lme(fixed, data, random, method, ...)``: :func:`lme_design`
    then :func:`lme_fit`.

    ``control`` is ``hlm.lmeControl(...)`` or a dict of its names
    (:mod:`hlm_py.lme.control`); a bad setting raises ``HlmError``.
    """
    ctrl = as_control(control)
    design = lme_design(fixed, data, random=random, method=method, weights=weights,
                        correlation=correlation, na_action=na_action, contrasts=contrasts,
                        subset=subset)
    return lme_fit(design, ctrl)
