"""nlme's ``lme``: linear mixed-effects models fitted by (RE)ML.

``fit.lme`` is the entry point; ``pdmat`` holds the pd classes re-exported
as ``hlm.pdDiag`` etc.
"""

from hlm_py.lme.fit import LmeFit, LogLik, lme
from hlm_py.lme.pdmat import pdCompSymm, pdDiag, pdIdent, pdLogChol, pdSymm

__all__ = ["lme", "LmeFit", "LogLik", "pdCompSymm", "pdDiag", "pdIdent", "pdLogChol", "pdSymm"]
