"""R's ``model.matrix``: the design matrix of a model frame.

Mirrors ``model.matrix.default`` (stats/R/models.R) and its C part
``modelmatrix`` (stats/src/model.c):

* character variables become factors (levels sorted), logical variables
  factors with levels ``FALSE``/``TRUE``; every factor variable except the
  response gets its contrasts (``contr.treatment`` unordered,
  ``contr.poly`` ordered, or the ``contrasts`` argument), which fails for a
  factor with fewer than two levels, as in R;
* a variable coded 1 in the terms' ``factors`` matrix is coded by its
  contrasts, 2 by one indicator per level; without an intercept the first
  factor of the first term that has one is coded by indicators;
* the columns of a term are the products of its variables' columns, the
  first variable varying fastest; names join the variable labels (with the
  contrast column name, the matrix column name, or a column number) by ``:``;
* a right-hand-side term identical to the response is dropped with R's warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import HlmError
from .contrasts import DEFAULT_ORDERED, DEFAULT_UNORDERED, indicators, resolve_contrast
from .frame import ModelFrame
from .values import Variable

__all__ = ["ModelMatrix", "model_matrix"]


@dataclass
class ModelMatrix:
    """R's model matrix with its ``assign`` and ``contrasts`` attributes.

    ``contrasts`` maps each factor variable (model-frame name) to the contrast
    used: the function's name, or the numeric matrix given (a ``DataFrame``
    with the levels as index).
    """

    values: np.ndarray
    columns: list[str]
    assign: list[int]
    contrasts: dict[str, object]
    row_names: pd.Index

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.values, index=self.row_names, columns=list(self.columns))
        df.attrs["assign"] = list(self.assign)
        df.attrs["contrasts"] = dict(self.contrasts)
        return df


def _factor_view(var: Variable) -> Variable:
    """The factor R's ``contrasts<-`` makes of a character or logical variable."""
    if var.kind == "character":
        return var.as_factor()
    if var.kind == "logical":
        v = var.values
        codes = np.where(np.isnan(v), -1, v).astype(np.int64)
        return Variable("factor", codes, ["FALSE", "TRUE"], False)
    return var


def _contrast_block(codes: np.ndarray, mat: np.ndarray) -> np.ndarray:
    ext = np.vstack([mat, np.full((1, mat.shape[1]), np.nan)])
    return ext[codes]


def model_matrix(
    frame: ModelFrame,
    contrasts: Mapping[str, object] | None = None,
) -> ModelMatrix:
    """R's ``model.matrix(terms, model.frame, contrasts.arg = contrasts)``."""
    t = frame.terms
    names = t.variable_names
    labels = t.variables
    nvar = len(names)
    n = frame.n
    resp = 1 if t.has_response else 0

    vars_: list[Variable] = [frame.columns[nm] for nm in names]
    is_f = [False] * nvar
    specs: dict[str, object] = {}
    for i in range(resp, nvar):
        v = vars_[i]
        if v.kind in ("factor", "character", "logical"):
            vars_[i] = _factor_view(v)
            is_f[i] = True
    for i in range(resp, nvar):
        if is_f[i]:
            specs[names[i]] = DEFAULT_ORDERED if vars_[i].ordered else DEFAULT_UNORDERED
    contrasts = dict(contrasts or {})
    for nm, spec in contrasts.items():
        if nm not in names:
            warnings.warn(f"variable '{nm}' is absent, its contrast will be ignored", stacklevel=2)
        elif nm in specs:
            specs[nm] = spec
    # R's contrasts<- checks every factor of the frame, used or not
    for i in range(resp, nvar):
        if is_f[i] and len(vars_[i].levels or []) < 2:
            raise HlmError("contrasts can be applied only to factors with 2 or more levels")

    nlevs = [len(v.levels or []) if v.kind == "factor" else 0 for v in vars_]
    factors = t.factors.copy()
    nterms = factors.shape[1] if factors.size else 0
    if not t.intercept:
        done = False
        for j in range(nterms):
            for i in range(resp, nvar):
                if nlevs[i] > 1 and factors[i, j] > 0:
                    factors[i, j] = 2
                    done = True
                    break
            if done:
                break

    contr_cache: dict[tuple[int, int], tuple[np.ndarray, list[str] | None]] = {}

    def contrast_for(i: int, code: int):
        key = (i, code)
        if key not in contr_cache:
            levels = vars_[i].levels or []
            if code == 1:
                contr_cache[key] = resolve_contrast(specs[names[i]], levels)
            else:
                contr_cache[key] = indicators(levels)
        return contr_cache[key]

    # make the contrasts in R's order so that errors come as in R
    for i in range(nvar):
        if nlevs[i]:
            for j in range(nterms):
                if factors[i, j] in (1, 2):
                    contrast_for(i, int(factors[i, j]))

    rhs_response = -1
    if resp:
        for j in range(nterms):
            if factors[0, j] and int((factors[:, j] > 0).sum()) == 1:
                rhs_response = j
                break

    blocks: list[np.ndarray] = []
    colnames: list[str] = []
    assign: list[int] = []
    if t.intercept:
        blocks.append(np.ones((n, 1)))
        colnames.append("(Intercept)")
        assign.append(0)
    # R's modelmatrix warns of the response on the right-hand side while it
    # counts the columns, then of every term left without columns (the
    # response's among them), in term order
    if rhs_response >= 0:
        warnings.warn("the response appeared on the right-hand side and was dropped", stacklevel=2)
    for j in range(nterms):
        if j == rhs_response:
            warnings.warn(
                f"problem with term {j + 1} in model.matrix: no columns are assigned", stacklevel=2
            )
            continue
        cur: np.ndarray | None = None
        cur_names: list[str] = []
        for i in range(nvar):
            code = int(factors[i, j])
            if not code:
                continue
            v = vars_[i]
            if v.kind == "factor":
                mat, cn = contrast_for(i, code)
                block = _contrast_block(v.values, mat)
                k = mat.shape[1]
                bnames = [labels[i] + (cn[c] if cn is not None else str(c + 1)) for c in range(k)]
            elif v.kind in ("numeric", "matrix"):
                block = v.values if v.kind == "matrix" else v.values[:, None]
                k = block.shape[1]
                if k > 1:
                    cn = v.colnames
                    bnames = [labels[i] + (cn[c] if cn else str(c + 1)) for c in range(k)]
                else:
                    bnames = [labels[i]]
            else:
                raise HlmError(
                    f"variables of type '{v.kind}' are not allowed in model matrices"
                )
            if cur is None:
                cur, cur_names = block, bnames
            else:
                m = cur.shape[1]
                cur = (block[:, :, None] * cur[:, None, :]).reshape(n, block.shape[1] * m)
                cur_names = [f"{e}:{b}" for b in bnames for e in cur_names]
        if cur is None or cur.shape[1] == 0:
            warnings.warn(
                f"problem with term {j + 1} in model.matrix: no columns are assigned", stacklevel=2
            )
            continue
        blocks.append(cur)
        colnames.extend(cur_names)
        assign.extend([j + 1] * cur.shape[1])

    p = sum(b.shape[1] for b in blocks)
    values = np.empty((n, p), dtype=np.float64, order="F")
    c0 = 0
    for b in blocks:
        values[:, c0 : c0 + b.shape[1]] = b
        c0 += b.shape[1]

    used: dict[str, object] = {}
    for i in range(resp, nvar):
        if is_f[i]:
            spec = specs[names[i]]
            if isinstance(spec, str):
                used[names[i]] = spec
            else:
                mat, cn = resolve_contrast(spec, vars_[i].levels or [])
                used[names[i]] = pd.DataFrame(mat, index=list(vars_[i].levels or []), columns=cn)
    return ModelMatrix(values, colnames, assign, used, frame.row_names)
