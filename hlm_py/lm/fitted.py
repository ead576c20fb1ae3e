"""What lm's inference reads of a fit: the :class:`FittedLm` protocol.

:class:`hlm_py.lm.fit.LmFit` delegates ``summary``, ``anova``, ``predict``,
``confint`` and the influence measures to :mod:`hlm_py.lm.inference`, which
types the fit by this protocol so that it does not import the module that
imports it.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from hlm_py.formula.design import Design
from hlm_py.linalg.dqrdc2 import QR

__all__ = ["FittedLm"]


class FittedLm(Protocol):
    """The attributes and methods of an lm fit that inference reads."""

    call: str
    formula: str
    design: Design
    coefficients: pd.Series
    qr: QR | None
    rank: int
    effects: pd.Series | None
    resid: pd.Series
    fitted_values: pd.Series
    weights: np.ndarray | None
    offset: np.ndarray | None
    assign: list[int]

    @property
    def terms(self) -> Any: ...
    @property
    def na_action(self) -> Any: ...
    @property
    def intercept(self) -> bool: ...
    @property
    def response(self) -> str: ...

    def df_residual(self) -> int: ...
    def deviance(self) -> float: ...
    def sigma(self) -> float: ...
    def residuals(self, type: str = "response") -> pd.Series: ...  # noqa: A002
