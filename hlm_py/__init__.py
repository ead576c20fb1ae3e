"""hlm_py: R's ``lm``, ``anova`` and ``nlme::lme`` in pure Python, proven against R.

``import hlm_py as hlm`` gives the public surface of API.md: an R line
translates to a Python line (``hlm.summary(fit)``, ``hlm.anova(m1, m2)``,
``hlm.fixef(fit)["age"]``).

A part of the surface whose layer is not in this installation (``lme`` and its
variance structures before they land) is still importable, but calling it
raises :class:`NotAvailableError`, an :class:`HlmError`: never a stub that
pretends to work.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from hlm_py import generics
from hlm_py.errors import HlmError
from hlm_py.generics import (
    AIC,
    BIC,
    VarCorr,
    anova,
    coef,
    confint,
    cooks_distance,
    df_residual,
    fitted,
    fixef,
    hatvalues,
    intervals,
    logLik,
    nobs,
    predict,
    ranef,
    residuals,
    rstandard,
    sigma,
    summary,
    update,
    vcov,
)

__version__ = "0.1.0"


class NotAvailableError(HlmError, NotImplementedError):
    """A part of hlm_py's API that this installation does not implement (yet)."""


def _optional_module(name: str) -> ModuleType | None:
    """Import ``name``; ``None`` only when that very module does not exist.

    An import error *inside* an existing module is a bug and propagates.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (name == missing or name.startswith(missing + ".")):
            return None
        raise


def _find(attr: str, *modules: str) -> Any:
    for mod_name in modules:
        mod = _optional_module(mod_name)
        if mod is not None and hasattr(mod, attr):
            return getattr(mod, attr)
    return None


def _unavailable(name: str, what: str) -> Any:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise NotAvailableError(f"hlm_py.{name}: {what} is not implemented in this version of hlm_py")

    missing._hlm_unavailable = True  # type: ignore[attr-defined]
    missing.__name__ = name
    missing.__qualname__ = name
    missing.__doc__ = f"Not available: {what} is not implemented in this version of hlm_py."
    return missing


def _resolve(name: str, what: str, *modules: str) -> Any:
    found = _find(name, *modules)
    return found if found is not None else _unavailable(name, what)


class _MissingModule(ModuleType):
    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise NotAvailableError(f"hlm_py.{self.__name__}.{attr}: not implemented in this version")


# data and formulas
datasets = _optional_module("hlm_py.datasets") or _MissingModule("datasets")
model_frame = _resolve("model_frame", "model_frame (hlm_py.formula)",
                       "hlm_py.formula", "hlm_py.formula.public", "hlm_py.formula.frame")
model_matrix = _resolve("model_matrix", "model_matrix (hlm_py.formula)",
                        "hlm_py.formula", "hlm_py.formula.public")

# fitting
lm = _resolve("lm", "lm (hlm_py.lm)", "hlm_py.lm", "hlm_py.lm.fit")
lme = _resolve("lme", "lme (nlme::lme, hlm_py.lme)", "hlm_py.lme", "hlm_py.lme.fit")

# variance-covariance structures of lme (nlme's pdMat, varFunc, corStruct classes)
_LME_MODULES = ("hlm_py.lme", "hlm_py.lme.pdmat", "hlm_py.lme.varfunc", "hlm_py.lme.corstruct")
pdSymm = _resolve("pdSymm", "pdSymm (lme)", *_LME_MODULES)
pdLogChol = _resolve("pdLogChol", "pdLogChol (lme)", *_LME_MODULES)
pdDiag = _resolve("pdDiag", "pdDiag (lme)", *_LME_MODULES)
pdIdent = _resolve("pdIdent", "pdIdent (lme)", *_LME_MODULES)
pdCompSymm = _resolve("pdCompSymm", "pdCompSymm (lme)", *_LME_MODULES)
varIdent = _resolve("varIdent", "varIdent (lme)", *_LME_MODULES)
varPower = _resolve("varPower", "varPower (lme)", *_LME_MODULES)
corAR1 = _resolve("corAR1", "corAR1 (lme)", *_LME_MODULES)
corCompSymm = _resolve("corCompSymm", "corCompSymm (lme)", *_LME_MODULES)

# renderers register themselves when the printing layer is imported
_optional_module("hlm_py.printing")
_optional_module("hlm_py.printing.reports")

__all__ = [
    "AIC",
    "BIC",
    "HlmError",
    "NotAvailableError",
    "VarCorr",
    "anova",
    "coef",
    "confint",
    "cooks_distance",
    "corAR1",
    "corCompSymm",
    "datasets",
    "df_residual",
    "fitted",
    "fixef",
    "generics",
    "hatvalues",
    "intervals",
    "lm",
    "lme",
    "logLik",
    "model_frame",
    "model_matrix",
    "nobs",
    "pdCompSymm",
    "pdDiag",
    "pdIdent",
    "pdLogChol",
    "pdSymm",
    "predict",
    "ranef",
    "residuals",
    "rstandard",
    "sigma",
    "summary",
    "update",
    "varIdent",
    "varPower",
    "vcov",
]
