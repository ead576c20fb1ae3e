"""R's ``stats::lm``: the fit (``lm``, ``lm.fit``, ``lm.wfit``) and its object.

:func:`lm` mirrors ``stats::lm``: it builds the model frame and matrix through
the formula layer (``build_design``), then fits as ``lm.fit`` / ``lm.wfit``
do, with LINPACK's ``dqrdc2`` (limited pivoting, ``tol = 1e-7``) so that the
rank and the aliased (``NA``) coefficients are R's.  Zero weights are handled
as ``lm.wfit``: those rows are left out of the decomposition, the residual
degrees of freedom and the effects, and get fitted values ``x0 %*% coef``.

:class:`LmFit` carries the fields of ``docs/internals.md`` and one method per
generic of API.md; the numbers behind the methods live in
:mod:`hlm_py.lm.inference`.

Differences from R: the fitted object is not a list; ``residuals`` is a
method (R's ``residuals(fit)``, padded by ``na.exclude``), the stored,
unpadded residuals are ``resid``.  Multi-response (``mlm``) fits are not
supported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.callnames import data_name
from hlm_py.errors import HlmError, NonFiniteError
from hlm_py.formula.deparse import deparse, deparse_call, r_string
from hlm_py.formula.design import build_design
from hlm_py.formula.frame import offset_values
from hlm_py.formula.parser import is_syntactic_name, parse
from hlm_py.formula.update import update_arguments, update_formula
from hlm_py.linalg.dqrdc2 import QR, dqrdc2, qr_least_squares
from hlm_py.lm import inference, influence
from hlm_py.lm.results import AnovaTable, ConfintTable, LmPrediction, LmSummary
from hlm_py.rbase.loglik import LogLik, aic, bic
from hlm_py.report import RReport

__all__ = ["lm", "LmFit", "fit_design", "NA_OMIT"]

LM_TOL = 1e-7


class _DefaultNaAction(str):
    """The default ``na_action`` (``"na.omit"``), told apart from an explicit one
    so that the printed call shows ``na.action`` only when the user gave it."""


NA_OMIT = _DefaultNaAction("na.omit")


# --------------------------------------------------------------------------
# the call as R deparses it


def _expr_or_name(value: Any, fallback: str) -> str:
    """R source text for an argument: an expression string as given, else a name."""
    if isinstance(value, str):
        try:
            return deparse(parse(value))
        except HlmError:
            return value
    name = getattr(value, "name", None)
    if isinstance(name, str) and name:
        return name
    return fallback


def _contrasts_text(contrasts: dict[str, Any]) -> str:
    items = []
    for k, v in contrasts.items():
        key = k if is_syntactic_name(k) else f"`{k}`"
        val = r_string(v) if isinstance(v, str) else getattr(v, "__name__", "contrasts")
        items.append(f"{key} = {val}")
    return "list(" + ", ".join(items) + ")"


def lm_call(
    formula: str,
    data: Any,
    weights: Any = None,
    subset: Any = None,
    na_action: Any = NA_OMIT,
    contrasts: dict[str, Any] | None = None,
    offset: Any = None,
) -> str:
    """R's ``deparse(match.call())`` of ``lm(...)`` as ``print`` shows it.

    Arguments appear in ``lm``'s formals order (formula, data, subset, weights,
    na.action, contrasts, offset) and only when given; long calls break
    across lines as R's deparse does (width.cutoff 60, continuation lines
    indented by four spaces). ``data`` prints as
    :func:`hlm_py.callnames.data_name` names it.
    """
    args: list[tuple[str | None, str]] = [("formula", formula)]
    if data is not None:
        args.append(("data", data_name(data)))
    if subset is not None:
        args.append(("subset", _expr_or_name(subset, "subset")))
    if weights is not None:
        args.append(("weights", _expr_or_name(weights, "weights")))
    if na_action is not None and not isinstance(na_action, _DefaultNaAction):
        args.append(("na.action", str(na_action)))
    if contrasts:
        args.append(("contrasts", _contrasts_text(contrasts)))
    if offset is not None:
        args.append(("offset", _expr_or_name(offset, "offset")))
    try:
        return deparse_call("lm", args)
    except HlmError:
        return "lm(" + ", ".join(f"{k} = {v}" for k, v in args) + ")"


# --------------------------------------------------------------------------
# fitting


def _frame_variable(frame: Any, expr: str) -> Any:
    """The model frame's variable for an extra expression (the ``offset=`` argument)."""
    for key in (expr, deparse(parse(expr))):
        if key in frame.extras:
            return frame.extras[key]
    raise HlmError(f"object '{expr}' not found")


def lm(
    formula: str,
    data: pd.DataFrame,
    weights: Any = None,
    subset: Any = None,
    na_action: str = NA_OMIT,
    contrasts: dict[str, Any] | None = None,
    offset: Any = None,
) -> LmFit:
    """Fit a linear model, as R's ``stats::lm``.

    ``weights``: a column name (or expression) or an array over the rows of
    ``data``; ``subset``: an expression string or a boolean/position array;
    ``na_action``: ``"na.omit"``, ``"na.exclude"``, ``"na.fail"``;
    ``contrasts``: ``{"f": "contr.sum"}``; ``offset``: a column name or
    expression, or an array over the rows of ``data``, added to the
    formula's ``offset()`` terms.
    """
    args = {"formula": formula, "data": data, "weights": weights, "subset": subset,
            "na_action": na_action, "contrasts": contrasts, "offset": offset}
    offset_expr: str | None = None
    work = data
    if offset is not None and not isinstance(offset, str):
        arr = np.asarray(offset, dtype=float).reshape(-1)
        if len(arr) != len(data):
            raise HlmError(
                f"number of offsets is {len(arr)}, should equal {len(data)} (number of observations)"
            )
        work = data.copy()
        work.attrs = dict(data.attrs)
        offset_expr = "hlm.offset.argument"
        work[offset_expr] = arr
    elif isinstance(offset, str):
        offset_expr = offset
    extra = (offset_expr,) if offset_expr is not None else ()
    design = build_design(
        formula, work, subset=subset, weights=weights, na_action=str(na_action),
        contrasts=contrasts, extra_variables=extra,
    )
    call = lm_call(formula, data, weights, subset, na_action, contrasts, offset)
    extra_offset = None
    if offset_expr is not None:
        var = _frame_variable(design.frame, offset_expr)
        if var.kind == "logical" and not design.frame.terms.offsets:
            # R's model.offset: (offset) alone must be numeric; added to the
            # formula's offsets, a logical one is summed as 0/1
            raise HlmError("'offset' must be numeric")
        extra_offset = offset_values(var)
    fit = fit_design(design, call=call, offset=extra_offset)
    fit._args = args
    fit._offset_expr = offset if isinstance(offset, str) else None
    return fit


def _check_finite(a: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(a)):
        raise NonFiniteError(f"NA/NaN/Inf in '{what}'")


def _scaled_norms(a: np.ndarray) -> np.ndarray:
    """Euclidean norms of the columns of ``a`` without overflow or underflow
    of the squares (as LINPACK's ``dnrm2``)."""
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(a), axis=0)
        safe = np.where(scale > 0, scale, 1.0)
        return scale * np.sqrt(np.einsum("ij,ij->j", a / safe, a / safe))


def _beyond_double_precision(X: np.ndarray, y: np.ndarray, columns: list[str]) -> HlmError:
    """The error of a decomposition that left the double range (R's lm then
    returns NaN, or wrong, coefficients without a word): it names the columns
    whose norm, or its reciprocal, overflows."""
    norms = _scaled_norms(np.column_stack([X, y]))
    names = [f"'{c}'" for c in columns] + ["the response"]
    with np.errstate(divide="ignore", over="ignore"):
        big = [nm for nm, v in zip(names, norms) if not np.isfinite(v)]
        tiny = [nm for nm, v in zip(names, norms) if v > 0 and not np.isfinite(1.0 / v)]
    what = []
    if big:
        what.append(f"the norm of {', '.join(big)} overflows")
    if tiny:
        what.append(f"the norm of {', '.join(tiny)} is below 1/DBL_MAX (its reciprocal "
                    "overflows)")
    detail = "; ".join(what) if what else "the Householder reflections overflow"
    return HlmError(f"the least-squares fit leaves double precision: {detail} (R's lm returns "
                    "NaN or wrong coefficients here); rescale the variables")


def fit_design(design: Any, call: str = "lm()", offset: np.ndarray | None = None) -> LmFit:
    """``lm.fit`` / ``lm.wfit`` on a built design (``docs/internals.md``: Design).

    ``offset`` is an extra offset over the design's rows (R's ``offset=``),
    added to the formula's own ``offset()`` terms.
    """
    X = np.asarray(design.X.values, dtype=np.float64)
    if X.ndim != 2:
        raise HlmError("'x' must be a matrix")
    columns = [str(c) for c in design.X.columns]
    assign = [int(a) for a in design.X.assign]
    if design.y is None:
        raise HlmError("the formula has no response")
    y = np.asarray(design.y, dtype=np.float64).reshape(-1)
    n = X.shape[0]
    if y.shape[0] != n:
        raise HlmError("incompatible dimensions")
    off = None
    for part in (getattr(design, "offset", None), offset):
        if part is not None:
            part = np.asarray(part, dtype=np.float64).reshape(-1)
            if part.shape[0] != n:
                raise HlmError(
                    f"number of offsets is {part.shape[0]}, should equal {n} (number of observations)"
                )
            off = part if off is None else off + part
    w = getattr(design, "weights", None)
    if w is not None:
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        if w.shape[0] != n:
            raise HlmError("incompatible dimensions")
    if n == 0:
        raise HlmError("0 (non-NA) cases")
    if w is not None and np.any(np.isnan(w) | (w < 0)):
        raise HlmError("missing or negative weights not allowed")

    yy = y - off if off is not None else y
    frame = design.frame
    index = pd.Index(frame.row_names) if getattr(frame, "row_names", None) is not None else pd.RangeIndex(n)
    p = X.shape[1]
    ok = np.ones(n, dtype=bool) if w is None else (w != 0)
    nz = int(ok.sum())

    qr: QR | None = None
    effects = None
    if p == 0:
        coef = np.zeros(0)
        rank = 0
        resid = yy.copy()
        fitted = np.zeros(n)
        df_res = nz
    elif nz == 0:
        coef = np.full(p, np.nan)
        rank = 0
        resid = yy.copy()
        fitted = np.zeros(n)
        df_res = 0
    else:
        Xk = X[ok] if w is not None else X
        yk = yy[ok] if w is not None else yy
        if w is not None:
            sw = np.sqrt(w[ok])
            Xk = Xk * sw[:, None]
            yk = yk * sw
        _check_finite(Xk, "x")
        _check_finite(yk, "y")
        with np.errstate(all="ignore"):  # judged below
            qr = dqrdc2(Xk, tol=LM_TOL, columns=columns)
            rank = qr.rank
            ls = qr_least_squares(qr, yk)
        b, rsd = ls.coefficients, ls.residuals
        if not (np.all(np.isfinite(qr.qr)) and np.all(np.isfinite(qr.qraux))
                and np.all(np.isfinite(ls.effects)) and np.all(np.isfinite(b))):
            raise _beyond_double_precision(Xk, yk, columns)
        coef = np.full(p, np.nan)
        coef[qr.pivot[:rank]] = b
        eff_names = np.empty(Xk.shape[0], dtype=object)
        eff_names[:] = ""
        eff_names[:rank] = [columns[j] for j in qr.pivot[:rank]]
        effects = pd.Series(ls.effects, index=pd.Index(eff_names, dtype=object, copy=False),
                            copy=False)
        if w is not None:
            rsd = rsd / sw
        resid = np.empty(n)
        fitted = np.empty(n)
        if w is None:
            resid[:] = rsd
            fitted[:] = yy - rsd
        else:
            resid[ok] = rsd
            fitted[ok] = yy[ok] - rsd
            if nz < n:
                c0 = np.where(np.isnan(coef), 0.0, coef)
                f0 = X[~ok] @ c0
                fitted[~ok] = f0
                resid[~ok] = yy[~ok] - f0
        df_res = nz - rank
    if off is not None:
        fitted = fitted + off

    terms = frame.terms
    return LmFit(
        call=call,
        formula=str(getattr(terms, "formula", "")),
        design=design,
        coefficients=pd.Series(coef, index=pd.Index(columns, dtype=object), dtype=float),
        qr=qr,
        rank=int(rank),
        effects=effects,
        resid=pd.Series(resid, index=index, copy=False),
        fitted_values=pd.Series(fitted, index=index, copy=False),
        df_residual=int(df_res),
        weights=w,
        offset=off,
        assign=assign,
    )


# --------------------------------------------------------------------------
# the fit object


class LmFit(RReport):
    """A fitted linear model: R's ``lm`` object.

    Fields (``docs/internals.md``): ``call``, ``formula`` (R's
    ``formula(fit)``), ``design``, ``coefficients`` (NaN where aliased),
    ``qr`` (of ``sqrt(w) X`` over the rows with non-zero weight), ``rank``,
    ``effects`` (Q'y, named as R), ``resid`` and ``fitted_values`` (over the
    rows used, unpadded), ``df_residual``, ``weights``, ``offset``, ``assign``.
    ``print(fit)`` prints R's ``print.lm``.
    """

    r_class = "lm"  # R's class, for R's "no applicable method" errors

    def __init__(
        self,
        call: str,
        formula: str,
        design: Any,
        coefficients: pd.Series,
        qr: QR | None,
        rank: int,
        effects: pd.Series | None,
        resid: pd.Series,
        fitted_values: pd.Series,
        df_residual: int,
        weights: np.ndarray | None,
        offset: np.ndarray | None,
        assign: list[int],
    ) -> None:
        self.call = call
        self.formula = formula
        self.design = design
        self.coefficients = coefficients
        self.qr = qr
        self.rank = rank
        self.effects = effects
        self.resid = resid
        self.fitted_values = fitted_values
        self._df_residual = df_residual
        self.weights = weights
        self.offset = offset
        self.assign = assign
        self._args: dict[str, Any] | None = None
        self._offset_expr: str | None = None

    # ---- plain components -------------------------------------------------
    @property
    def terms(self) -> Any:
        """The model's terms (R's ``terms(fit)``)."""
        return self.design.frame.terms

    @property
    def na_action(self) -> Any:
        """The model frame's NaAction (R's ``fit$na.action``) or None."""
        return getattr(self.design.frame, "na_action", None)

    @property
    def intercept(self) -> bool:
        return bool(getattr(self.terms, "intercept", False))

    @property
    def response(self) -> str:
        return str(getattr(self.terms, "response", "") or "")

    # ---- generics ---------------------------------------------------------
    def coef(self) -> pd.Series:
        """R's ``coef``: all coefficients, NaN where aliased."""
        return self.coefficients.copy()

    def vcov(self, complete: bool = True) -> pd.DataFrame:
        """R's ``vcov.lm``: NaN rows/columns for aliased coefficients (``complete = TRUE``)."""
        return inference.vcov_lm(self, complete=complete)

    def sigma(self) -> float:
        """R's ``sigma``: sqrt(deviance / residual df)."""
        return float(np.sqrt(inference.rdiv(self.deviance(), self._df_residual)))

    def nobs(self) -> int:
        """R's ``nobs.lm``: rows with non-zero weight."""
        if self.weights is not None:
            return int(np.sum(self.weights != 0))
        return int(self.resid.shape[0])

    def df_residual(self) -> int:
        """R's ``df.residual``."""
        return self._df_residual

    def deviance(self) -> float:
        """R's ``deviance.lm``: the weighted residual sum of squares."""
        r = self.resid.to_numpy()
        if self.weights is None:
            return inference.r_sum(r**2)
        keep = self.weights != 0
        return inference.r_sum((r[keep] * np.sqrt(self.weights[keep])) ** 2)

    def fitted(self) -> pd.Series:
        """R's ``fitted``: padded with NaN at ``na.exclude``'s omitted rows."""
        return inference.naresid(self, self.fitted_values.to_numpy(), self.fitted_values.index)

    def residuals(self, type: str = "response") -> pd.Series:  # noqa: A002 - R's name
        """R's ``residuals.lm`` (``working``/``response``, ``pearson``/``deviance``)."""
        r = self.resid.to_numpy()
        if type in ("working", "response"):
            vals = r
        elif type in ("pearson", "deviance"):
            vals = r if self.weights is None else r * np.sqrt(self.weights)
        else:
            raise HlmError(f"residuals type '{type}' is not supported for lm")
        return inference.naresid(self, vals, self.resid.index)

    def summary(self) -> LmSummary:
        """R's ``summary.lm``."""
        return inference.summary_lm(self)

    def anova(self, *others: LmFit, **kwargs: Any) -> AnovaTable:
        """R's ``anova.lm`` (one fit) or ``anova.lmlist`` (several lm fits).

        Anything else is an HlmError: R's ``anova.lm`` has no ``type`` (that is
        nlme's ``anova.lme``), and with an lme fit R stops in ``anova.lmlist``
        (nlme's table is ``anova(lme_fit, lm_fit)``)."""
        if kwargs:
            shown = ", ".join(f"{k} = {v!r}" for k, v in kwargs.items())
            hint = " ('type' is nlme's, for lme fits)" if "type" in kwargs else ""
            raise HlmError(f"anova.lm: unused argument ({shown}){hint}")
        for other in others:
            if not isinstance(other, LmFit):
                cls = getattr(type(other), "r_class", type(other).__name__)
                hint = ("; put the lme fit first, anova(lme_fit, lm_fit), for nlme's "
                        "likelihood-ratio table") if cls == "lme" else ""
                raise HlmError(f"anova.lm compares lm fits only, not an object of class "
                               f"\"{cls}\"{hint}")
        if others:
            return inference.anova_lmlist([self, *others])
        return inference.anova_lm(self)

    def confint(self, level: float = 0.95, parm: Sequence[str] | Sequence[int] | None = None) -> ConfintTable:
        """R's ``confint.lm``."""
        return inference.confint_lm(self, level=level, parm=parm)

    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        interval: str = "none",
        level: float = 0.95,
        se_fit: bool = False,
        weights: Any = None,
    ) -> pd.Series | pd.DataFrame | LmPrediction:
        """R's ``predict.lm`` (R 4.2's): a Series; the ``fit``/``lwr``/``upr``
        DataFrame with ``interval``; an :class:`LmPrediction` with ``se_fit``."""
        return inference.predict_lm(self, newdata=newdata, interval=interval, level=level,
                                    se_fit=se_fit, weights=weights)

    def hatvalues(self) -> pd.Series:
        """R's ``hatvalues.lm`` (0 at ``na.exclude``'s omitted rows; zero-weight rows left out)."""
        return influence.influence(self).hat

    def rstandard(self) -> pd.Series:
        """R's ``rstandard.lm`` (``type = "sd.1"``)."""
        return influence.rstandard_lm(self)

    def rstudent(self) -> pd.Series:
        """R's ``rstudent.lm``."""
        return influence.rstudent_lm(self)

    def cooks_distance(self) -> pd.Series:
        """R's ``cooks.distance.lm``."""
        return influence.cooks_distance_lm(self)

    def logLik(self, REML: bool | None = False) -> LogLik:  # noqa: N802,N803 - R's names
        """R's ``logLik.lm``: a float with ``.df``, ``.nobs``."""
        return inference.loglik_lm(self, REML=bool(REML))

    def AIC(self, k: float = 2.0) -> float:  # noqa: N802
        """R's ``AIC``: -2 logLik + k df (``hlm_py.rbase.loglik.aic``)."""
        return aic(self.logLik(), k)

    def BIC(self) -> float:  # noqa: N802
        """R's ``BIC``: -2 logLik + log(nobs) df (``hlm_py.rbase.loglik.bic``)."""
        return bic(self.logLik())

    def model_matrix(self) -> pd.DataFrame:
        """R's ``model.matrix(fit)`` (with ``attrs["assign"]``, ``attrs["contrasts"]``)."""
        mm = self.design.X
        if hasattr(mm, "to_frame"):
            return mm.to_frame()
        df = pd.DataFrame(np.asarray(mm.values), index=pd.Index(mm.row_names),
                          columns=list(mm.columns))
        df.attrs["assign"] = list(mm.assign)
        df.attrs["contrasts"] = dict(getattr(mm, "contrasts", {}) or {})
        return df

    def model_frame(self) -> pd.DataFrame:
        """R's ``model.frame(fit)``."""
        frame = self.design.frame
        if hasattr(frame, "to_frame"):
            return frame.to_frame()
        data = {}
        for name, var in frame.columns.items():
            vals = getattr(var, "values", var)
            data[name] = vals if not callable(vals) else var
        return pd.DataFrame(data, index=pd.Index(frame.row_names))

    def update(self, formula: str | None = None, **changes: Any) -> LmFit:
        """R's ``update``: refit with ``formula`` combined by R's ``update.formula``
        rules (``". ~ . + x"``, ``"~ . - x"``) and/or changed arguments."""
        args = update_arguments(self._args or {}, changes)
        if formula is not None:
            args["formula"] = update_formula(self.formula, formula, args["data"])
        return lm(**args)


