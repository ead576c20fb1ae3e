"""nlme's ``lme``: linear mixed-effects models fitted by (RE)ML, in stages.

``design.lme_design`` (the unfitted model) -> ``strategy.optimise`` (with
``control.lmeControl``) -> ``model.LmeFit``; ``model.lme`` is the two in
one. ``pdmat`` holds the pd classes re-exported as ``hlm.pdDiag`` etc.
"""

from hlm_py.lme.control import LmeControl, lmeControl
from hlm_py.lme.design import LmeDesign, lme_design
from hlm_py.lme.model import LmeFit, LogLik, lme, lme_fit
from hlm_py.lme.pdmat import pdCompSymm, pdDiag, pdIdent, pdLogChol, pdSymm
from hlm_py.lme.strategy import OptSummary

__all__ = ["lme", "lme_design", "lme_fit", "lmeControl", "LmeControl", "LmeDesign", "LmeFit",
           "LogLik", "OptSummary", "pdCompSymm", "pdDiag", "pdIdent", "pdLogChol", "pdSymm"]
