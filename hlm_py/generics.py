"""R's generic functions at module level: ``hlm.summary(fit)`` is R's ``summary(fit)``.

Each generic calls the method of the same name on the fit object (``LmFit``,
``LmeFit``), so an R line translates to a Python line. The fit classes hold
the numbers; this module only dispatches, plus the few R functions that work
on any fit: ``AIC`` and ``BIC``, which R computes from ``logLik(fit)`` alone
(``AIC.default``, ``BIC.default``; ``hlm_py.rbase.loglik``), for one fit or
as the table of several. A fit without the
method gets R's ``no applicable method`` error, naming R's class of the fit
(``"lm"``, ``"lme"``: the fit class's ``r_class``).

Differences from R, by design: R names the rows of ``AIC(m1, m2)`` (and the
models of ``anova(m1, m2)`` for lme) after the argument *expressions*;
Python has no such expressions, so the names are the variables in the
caller's scope that hold the fits (``m1``, ``m2``), else ``fit1``, ``fit2``...,
or those given with ``names=``.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from hlm_py.callnames import caller_names
from hlm_py.errors import HlmError
from hlm_py.rbase.loglik import LogLik, aic, bic
from hlm_py.report import RDataFrame

__all__ = [
    "ACF",
    "AIC",
    "BIC",
    "getVarCov",
    "Variogram",
    "VarCorr",
    "anova",
    "coef",
    "confint",
    "cooks_distance",
    "df_residual",
    "fitted",
    "fixef",
    "hatvalues",
    "intervals",
    "logLik",
    "nobs",
    "predict",
    "ranef",
    "residuals",
    "rstandard",
    "sigma",
    "summary",
    "update",
    "vcov",
]


def _method(fit: Any, name: str, r_name: str | None = None) -> Any:
    """The fit's method ``name``; else R's error for generic ``r_name``."""
    meth = getattr(fit, name, None)
    if meth is None or not callable(meth):
        cls = getattr(type(fit), "r_class", type(fit).__name__)
        raise HlmError(
            f"no applicable method for '{r_name or name}' applied to an object of class "
            f"\"{cls}\""
        )
    return meth


def _call(name: str, fit: Any, *args: Any, r_name: str | None = None, **kwargs: Any) -> Any:
    return _method(fit, name, r_name)(*args, **kwargs)


def _drop_none(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


# --------------------------------------------------------------------------
# generics that simply dispatch


def coef(fit: Any, **kwargs: Any) -> Any:
    """R's ``coef``: lm -> ``pd.Series`` (NaN where aliased); lme -> per-group table."""
    return _call("coef", fit, **kwargs)


def fixef(fit: Any) -> pd.Series:
    """nlme's ``fixef``."""
    return _call("fixef", fit)


def ranef(fit: Any, **kwargs: Any) -> Any:
    """nlme's ``ranef``."""
    return _call("ranef", fit, **kwargs)


def VarCorr(fit: Any) -> Any:  # noqa: N802 - R's name
    """nlme's ``VarCorr``."""
    return _call("VarCorr", fit)


def vcov(fit: Any) -> pd.DataFrame:
    """R's ``vcov``."""
    return _call("vcov", fit)


def sigma(fit: Any) -> float:
    """R's ``sigma``."""
    return _call("sigma", fit)


def nobs(fit: Any) -> int:
    """R's ``nobs``."""
    return _call("nobs", fit)


def df_residual(fit: Any) -> int:
    """R's ``df.residual``."""
    return _call("df_residual", fit)


def fitted(fit: Any, level: Any = None, **kwargs: Any) -> pd.Series:
    """R's ``fitted`` (``level`` for lme as nlme)."""
    return _call("fitted", fit, **_drop_none(level=level), **kwargs)


def residuals(fit: Any, level: Any = None, type: str = "response", **kwargs: Any) -> pd.Series:  # noqa: A002
    """R's ``residuals`` (``type``: ``"response"``, ``"pearson"``, ``"normalized"``...)."""
    if type == "response":
        return _call("residuals", fit, **_drop_none(level=level), **kwargs)
    return _call("residuals", fit, **_drop_none(level=level), type=type, **kwargs)


def predict(fit: Any, newdata: pd.DataFrame | None = None, **kwargs: Any) -> Any:
    """R's ``predict``: ``predict.lm`` (``interval``, ``level``, ``se_fit``) or
    ``predict.lme`` (``level`` = grouping level)."""
    return _call("predict", fit, newdata, **kwargs)


def confint(fit: Any, level: float = 0.95, **kwargs: Any) -> Any:
    """R's ``confint`` (columns ``2.5 %``, ``97.5 %``)."""
    return _call("confint", fit, level=level, **kwargs)


def intervals(fit: Any, level: float = 0.95, **kwargs: Any) -> Any:
    """nlme's ``intervals``."""
    return _call("intervals", fit, level=level, **kwargs)


def summary(fit: Any, **kwargs: Any) -> Any:
    """R's ``summary``."""
    return _call("summary", fit, **kwargs)


def update(fit: Any, formula: str | None = None, **changes: Any) -> Any:
    """R's ``update``: refit with a changed formula (``". ~ . + x"``) or arguments."""
    return _call("update", fit, formula, **changes)


def getVarCov(fit: Any, **kwargs: Any) -> Any:  # noqa: N802 - nlme's name
    """nlme's ``getVarCov``: gls ``individual=``; lme ``type=``, ``individuals=``."""
    return _call("getVarCov", fit, **kwargs)


def ACF(fit: Any, maxLag: int | None = None, **kwargs: Any) -> Any:  # noqa: N802,N803
    """nlme's ``ACF`` of a fit's residuals (``maxLag``, ``resType``, ``form``)."""
    return _call("ACF", fit, **_drop_none(maxLag=maxLag), **kwargs)


def Variogram(fit: Any, form: str | None = None, **kwargs: Any) -> Any:  # noqa: N802
    """nlme's ``Variogram`` of a fit's residuals (``form``, ``resType``,
    ``maxDist``, ``length_out``, ``collapse``, ``nint``, ``breaks``, ``robust``,
    ``metric``): ``Variogram.gls`` / ``Variogram.lme``."""
    return _call("Variogram", fit, **_drop_none(form=form), **kwargs)


def logLik(fit: Any, REML: bool | None = None) -> LogLik:  # noqa: N802,N803 - R's names
    """R's ``logLik``: a float with ``.df``, ``.nobs``, ``.nall`` (:class:`LogLik`)."""
    return _call("logLik", fit, **_drop_none(REML=REML))


def anova(fit: Any, *others: Any, type: str | None = None, **kwargs: Any) -> Any:  # noqa: A002
    """R's ``anova``: one fit (sequential table; lme ``type="marginal"`` too) or
    several fits compared (``anova(m1, m2)``)."""
    meth = _method(fit, "anova")
    if others and "names" not in kwargs:
        params: Mapping[str, inspect.Parameter]
        try:
            params = inspect.signature(meth).parameters
        except (TypeError, ValueError):  # pragma: no cover
            params = {}
        if "names" in params:
            kwargs["names"] = caller_names((fit, *others))
    return meth(*others, **_drop_none(type=type), **kwargs)


# --------------------------------------------------------------------------
# information criteria


def _ic(which: str, fits: tuple[Any, ...], names: list[str] | None, k: float | None) -> Any:
    """R's ``AIC.default`` / ``BIC.default``: from each fit's ``logLik`` only; with
    several fits, R's table and R's warning when the logLiks' ``nobs`` differ."""
    lls = [logLik(f) for f in fits]
    for f, ll in zip(fits, lls):
        if getattr(ll, "df", None) is None or getattr(ll, "nobs", None) is None:
            raise HlmError(f"'logLik' of {type(f).__name__} lacks R's 'df' or 'nobs' attribute")
    if which == "AIC":
        values = [aic(ll, 2.0 if k is None else k) for ll in lls]
    else:
        values = [bic(ll) for ll in lls]
    if len(fits) == 1:
        return values[0]
    if len({ll.nobs for ll in lls}) > 1:
        warnings.warn("models are not all fitted to the same number of observations",
                      stacklevel=3)
    if names is None:
        names = caller_names(fits)
    return RDataFrame({"df": [int(ll.df) for ll in lls], which: values},
                      index=pd.Index(names))


def AIC(fit: Any, *others: Any, k: float | None = None, names: list[str] | None = None) -> Any:  # noqa: N802
    """R's ``AIC``: a float for one fit; for several, R's table (``df``, ``AIC``)
    with one row per fit."""
    return _ic("AIC", (fit, *others), names, k)


def BIC(fit: Any, *others: Any, names: list[str] | None = None) -> Any:  # noqa: N802
    """R's ``BIC``: a float for one fit; for several, R's table (``df``, ``BIC``)."""
    return _ic("BIC", (fit, *others), names, None)


# --------------------------------------------------------------------------
# influence measures (the numbers live with lm: hlm_py.lm.inference)


def hatvalues(fit: Any) -> pd.Series:
    """R's ``hatvalues``: ``hatvalues.lm``; nlme has no method for lme."""
    return _call("hatvalues", fit, r_name="hatvalues")


def rstandard(fit: Any) -> pd.Series:
    """R's ``rstandard``: ``rstandard.lm``; nlme has no method for lme."""
    return _call("rstandard", fit, r_name="rstandard")


def cooks_distance(fit: Any) -> pd.Series:
    """R's ``cooks.distance``: ``cooks.distance.lm``; nlme has no method for lme."""
    return _call("cooks_distance", fit, r_name="cooks.distance")
