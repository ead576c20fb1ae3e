"""R's formula engine: ``terms``, ``model.frame`` and ``model.matrix``.

The public wrappers :func:`model_frame` and :func:`model_matrix` return
``pandas.DataFrame`` objects with R's column names; the layers above use
:func:`~hlm_py.formula.design.build_design`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .deparse import deparse
from .design import Design, build_design
from .frame import ModelFrame, NaAction
from .frame import model_frame as _model_frame
from .matrix import ModelMatrix
from .matrix import model_matrix as _model_matrix
from .parser import parse
from .terms import Terms, terms

__all__ = [
    "model_frame",
    "model_matrix",
    "terms",
    "parse",
    "deparse",
    "build_design",
    "Design",
    "ModelFrame",
    "ModelMatrix",
    "NaAction",
    "Terms",
]


def model_frame(
    formula: str,
    data: pd.DataFrame,
    subset=None,
    weights=None,
    na_action: str = "na.omit",
    drop_unused_levels: bool = False,
) -> pd.DataFrame:
    """R's ``model.frame(formula, data, ...)`` as a ``DataFrame``.

    Column names are R's (``log(wt)``, ``factor(cyl)``, ``(weights)``);
    factors are ``Categorical`` (all levels kept unless
    ``drop_unused_levels``), logicals ``boolean``; a matrix variable
    (``poly(x, 2)``) is split into ``poly(x, 2).1``, ``poly(x, 2).2`` as R
    prints it. ``attrs["na.action"]`` holds the labels of the omitted rows.
    """
    mf = _model_frame(
        formula, data, subset=subset, weights=weights, na_action=na_action,
        drop_unused_levels=drop_unused_levels,
    )
    df = mf.to_frame()
    if mf.na_action is not None:
        df.attrs["na.action"] = list(mf.na_action.omitted_labels)
    return df


def model_matrix(
    formula: str,
    data: pd.DataFrame,
    contrasts: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """R's ``model.matrix(formula, data, contrasts.arg = contrasts)`` as a ``DataFrame``.

    As in R, rows with NA are dropped and unused factor levels are kept (they
    give all-zero columns). ``attrs["assign"]`` and ``attrs["contrasts"]`` are
    R's attributes.
    """
    mf = _model_frame(formula, data)
    return _model_matrix(mf, contrasts=contrasts).to_frame()
