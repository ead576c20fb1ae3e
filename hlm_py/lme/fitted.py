"""What inference reads of an lme fit: the :class:`FittedLme` protocol.

The fit object (:class:`hlm_py.lme.model.LmeFit`) delegates ``summary``,
``anova``, ``intervals`` and ``VarCorr`` to :mod:`hlm_py.lme.inference` and
:mod:`hlm_py.lme.apvar`, which type the fit by this protocol rather than by
the class, so that they do not import the module that imports them.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from hlm_py.formula.design import Design
from hlm_py.formula.grouping import Grouping
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.design import LmeDesign
from hlm_py.lme.random import RandomLevel
from hlm_py.lme.results import ApVar, FixDF
from hlm_py.rbase.loglik import LogLik

__all__ = ["FittedLme"]


class FittedLme(Protocol):
    """The attributes and methods of an lme fit that inference reads."""

    model: LmeDesign
    coefficients: pd.Series
    varFix: pd.DataFrame
    psi: list[np.ndarray]
    theta_opt: np.ndarray
    dims: dict[str, Any]
    likelihood: ProfiledLikelihood
    phi: np.ndarray | None
    whitened: LmeDesign | None
    control: Any

    @property
    def call(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def design(self) -> Design: ...
    @property
    def levels(self) -> list[RandomLevel]: ...
    @property
    def grouping(self) -> Grouping: ...
    @property
    def X(self) -> np.ndarray: ...  # noqa: N802
    @property
    def Q(self) -> int: ...  # noqa: N802
    @property
    def n(self) -> int: ...
    @property
    def level_names(self) -> list[str]: ...
    @property
    def random_names(self) -> list[list[str]]: ...
    @property
    def fixDF(self) -> FixDF: ...  # noqa: N802
    @property
    def apVar(self) -> ApVar: ...  # noqa: N802

    def sigma(self) -> float: ...
    @property
    def structured(self) -> bool: ...
    def component_theta(self, name: str) -> np.ndarray: ...
    def residuals(self, level: int | list[int] | None = None,
                  type: str = "response") -> pd.Series | pd.DataFrame: ...  # noqa: A002
    def logLik(self, REML: bool | None = None) -> LogLik: ...  # noqa: N802, N803
    def AIC(self) -> float: ...  # noqa: N802
    def BIC(self) -> float: ...  # noqa: N802
