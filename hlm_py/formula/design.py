"""One call from formula and data to what a fit needs: frame, matrix, response.

:func:`build_design` is what ``lm`` does before ``lm.fit``: ``model.frame``
with ``drop.unused.levels = TRUE``, ``model.response``, ``model.weights``,
``model.offset`` and ``model.matrix``. :meth:`Design.new_data_matrix` is the
``predict`` path: ``delete.response(terms)``, ``model.frame(Terms, newdata,
na.action = na.pass, xlev = xlevels)`` with the fit's ``predvars``,
``.checkMFClasses`` and ``model.matrix(Terms, m, contrasts.arg = contrasts)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import HlmError, NonFiniteError
from .frame import ModelFrame, model_frame
from .matrix import ModelMatrix, model_matrix
from .terms import Terms, delete_response
from .terms import terms as make_terms

__all__ = ["Design", "build_design", "check_classes", "design_from_frame"]


def check_classes(old: Mapping[str, str], new: Mapping[str, str]) -> None:
    """R's ``.checkMFClasses``: new data must have the fit's variable types."""
    common = [k for k in new if k in old]
    if not common:
        return
    o = {k: ("factor" if old[k] == "ordered" else old[k]) for k in common}
    nw = {k: ("factor" if new[k] == "ordered" else new[k]) for k in common}
    for k in common:
        if nw[k] == "factor" and o[k] == "character":
            nw[k] = "character"
    wrong = [k for k in common if o[k] != nw[k]]
    if len(wrong) == 1:
        k = wrong[0]
        raise HlmError(
            f"variable '{k}' was fitted with type \"{o[k]}\" but type \"{nw[k]}\" was supplied"
        )
    if wrong:
        raise HlmError(
            "variables "
            + ", ".join(f"\u2018{k}\u2019" for k in wrong)
            + " were specified with different types from the fit"
        )


@dataclass
class Design:
    """The frame, model matrix, response, weights and offset of one fit."""

    formula: str
    terms: Terms
    frame: ModelFrame
    X: ModelMatrix
    y: np.ndarray | None
    weights: np.ndarray | None
    offset: np.ndarray | None

    def check_finite(self) -> None:
        """R's ``lm.fit`` check: ``NA/NaN/Inf in 'x'`` / ``'y'`` -> NonFiniteError."""
        if not np.all(np.isfinite(self.X.values)):
            raise NonFiniteError("NA/NaN/Inf in 'x'")
        if self.y is not None and not np.all(np.isfinite(self.y)):
            raise NonFiniteError("NA/NaN/Inf in 'y'")

    def new_data_matrix(self, newdata: pd.DataFrame) -> tuple[ModelMatrix, np.ndarray | None]:
        """The model matrix of new data with the fit's levels, contrasts and transforms.

        Rows with NA are kept (R's ``na.pass`` in ``predict.lm``) and give NA
        rows; an unseen factor level raises ``NewLevelError``; a missing
        response column is fine.
        """
        tt = delete_response(self.terms)
        start = 1 if self.terms.has_response else 0
        state = {
            k: v for k, v in self.frame.transform_state.items()
            if k in self.terms.variable_names[start:]
        }
        mf = model_frame(
            tt, newdata, na_action="na.pass", xlev=self.frame.xlevels, predvars=state
        )
        check_classes(self.frame.data_classes, mf.data_classes)
        mm = model_matrix(mf, contrasts=self.X.contrasts)
        return mm, mf.offset


def _response_values(frame: ModelFrame) -> np.ndarray | None:
    var = frame.response()
    if var is None:
        return None
    if var.kind in ("numeric", "logical"):
        return np.asarray(var.values, dtype=np.float64)
    if var.kind == "matrix":
        if var.ncol == 1:
            return var.values[:, 0].copy()
        raise HlmError("a matrix response (several responses) is not supported")
    raise HlmError(
        f"the response '{frame.terms.response}' is a {var.kind}: a numeric response is needed"
    )


def build_design(
    formula: str,
    data: pd.DataFrame,
    *,
    subset=None,
    weights=None,
    na_action: str = "na.omit",
    contrasts: Mapping[str, object] | None = None,
    extra_variables: Sequence[str] = (),
    drop_unused_levels: bool = True,
) -> Design:
    """Frame + matrix + response as ``lm`` builds them (``drop.unused.levels = TRUE``)."""
    mf = model_frame(
        formula,
        data,
        subset=subset,
        weights=weights,
        na_action=na_action,
        extra_variables=extra_variables,
        drop_unused_levels=drop_unused_levels,
    )
    X = model_matrix(mf, contrasts=contrasts)
    return Design(
        formula=mf.terms.formula,
        terms=mf.terms,
        frame=mf,
        X=X,
        y=_response_values(mf),
        weights=mf.weights,
        offset=mf.offset,
    )


def design_from_frame(formula: str, frame: ModelFrame, columns: Sequence[str],
                      contrasts: Mapping[str, object] | None = None) -> Design | None:
    """The design of a one-sided ``formula`` whose variables ``frame`` already
    holds among its extra variables (lme's random-effects formulas, evaluated
    with the fixed part in one model frame, as nlme's ``asOneFormula``).

    ``columns`` are the data's column names. None where a variable is not
    there, or is a transform with state (``poly``, ``scale``: evaluated on
    all rows it would differ from its value on the kept rows); the caller
    then builds the design on the kept rows itself.
    """
    t = make_terms(formula, list(columns))
    if t.has_response or t.offsets:
        return None
    cols = {}
    for expr, name in zip(t.variables, t.variable_names):
        var = frame.extras.get(expr)
        if var is None or var.state:
            return None
        cols[name] = var
    xlevels = {}
    for name, v in cols.items():
        if v.kind == "factor":
            xlevels[name] = list(v.levels or [])
        elif v.kind == "character":
            xlevels[name] = list(v.as_factor().levels or [])
    mf = ModelFrame(terms=t, columns=cols, row_names=frame.row_names,
                    row_positions=frame.row_positions, n_input=frame.n_input,
                    na_action=frame.na_action, weights=None, offset=None, xlevels=xlevels,
                    data_classes={k: v.r_class() for k, v in cols.items()})
    X = model_matrix(mf, contrasts=contrasts)
    return Design(formula=t.formula, terms=t, frame=mf, X=X, y=None, weights=None, offset=None)
