"""hlm_py: R's ``lm``, ``anova`` and ``nlme::lme`` in pure Python, proven against R.

``import hlm_py as hlm`` gives the public surface of API.md: an R line
translates to a Python line (``hlm.summary(fit)``, ``hlm.anova(m1, m2)``,
``hlm.fixef(fit)["age"]``). Names of rows, columns and coefficients are R's;
R's ``NA`` is ``NaN``; bad input raises :class:`HlmError`.

nlme's ``gls`` and its variance functions (``varIdent``, ``varPower``, ...)
and correlation structures (``corAR1``, ``corSymm``, ...) work in ``gls``
and in ``lme`` (``weights=``, ``correlation=``).
"""

from __future__ import annotations

# The printing layer registers the renderers of every result class on import.
import hlm_py.printing  # noqa: F401
from hlm_py import datasets, generics
from hlm_py.errors import HlmError, NotAvailableError
from hlm_py.formula import model_frame, model_matrix
from hlm_py.generics import (
    ACF,
    AIC,
    BIC,
    VarCorr,
    Variogram,
    anova,
    coef,
    confint,
    cooks_distance,
    df_residual,
    fitted,
    fixef,
    getVarCov,
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
from hlm_py.gls.control import GlsControl, glsControl
from hlm_py.gls.design import gls_design
from hlm_py.gls.model import gls, gls_fit
from hlm_py.lm import lm
from hlm_py.lme import (
    LmeControl,
    LmeDesign,
    OptSummary,
    lme,
    lme_design,
    lme_fit,
    lmeControl,
    pdCompSymm,
    pdDiag,
    pdIdent,
    pdLogChol,
    pdSymm,
)
from hlm_py.structs.corstruct import (
    corAR1,
    corARMA,
    corCAR1,
    corCompSymm,
    corExp,
    corGaus,
    corLin,
    corRatio,
    corSpher,
    corSymm,
)
from hlm_py.structs.varfunc import (
    varComb,
    varConstPower,
    varConstProp,
    varExp,
    varFixed,
    varIdent,
    varPower,
)

__version__ = "0.1.0"

__all__ = [
    "varFixed",
    "varExp",
    "varConstPower",
    "varConstProp",
    "varComb",
    "corSymm",
    "corSpher",
    "corRatio",
    "corLin",
    "corGaus",
    "corExp",
    "corCAR1",
    "corARMA",
    "ACF",
    "AIC",
    "GlsControl",
    "getVarCov",
    "Variogram",
    "gls",
    "gls_design",
    "gls_fit",
    "glsControl",
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
    "lme_design",
    "lme_fit",
    "lmeControl",
    "LmeControl",
    "LmeDesign",
    "OptSummary",
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
