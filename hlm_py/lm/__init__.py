"""R's ``stats::lm`` and the numbers of its generics."""

from hlm_py.lm.fit import LmFit, fit_design, lm
from hlm_py.lm.results import AnovaTable, ConfintTable, LmPrediction, LmSummary

__all__ = ["lm", "LmFit", "fit_design", "LmSummary", "AnovaTable", "ConfintTable", "LmPrediction"]
