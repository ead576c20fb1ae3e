"""R's ``model.frame``: the formula's variables evaluated on the data.

Mirrors ``model.frame.default`` (stats/R/models.R) and its C part
``modelframe`` (stats/src/model.c): every variable is evaluated on the *whole*
data (so ``poly()`` and ``scale()`` see all rows, as in R), then ``subset``
is applied, then the NA action over all variables, the weights, the offsets
and any extra variables. ``xlev`` recodes factors to the fit's levels (the
``predict`` path) and ``drop_unused_levels`` drops levels no kept row uses
(``lm`` sets it; plain ``model.frame`` does not).

Differences from R: character columns are kept as character here as in R,
but their levels (``xlevels``) are computed here too; an integer ``subset``
holds 0-based positions (Python's convention), not R's 1-based indices; NA in
a logical ``subset`` drops the row.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ComplexVariableError, HlmError, MissingValueError, NewLevelError
from .parser import parse
from .terms import Terms
from .terms import terms as make_terms
from .transforms import evaluate, evaluate_value
from .values import DataEnv, Lgl, Variable

__all__ = ["NaAction", "ModelFrame", "model_frame", "NA_ACTIONS", "offset_values", "as_data_frame"]

NA_ACTIONS = ("na.omit", "na.exclude", "na.fail", "na.pass")


@dataclass
class NaAction:
    """R's ``attr(mf, "na.action")``: which input rows the NA action removed."""

    kind: str  # "omit" | "exclude"
    omitted_positions: np.ndarray
    omitted_labels: pd.Index

    def __len__(self) -> int:
        return len(self.omitted_positions)


@dataclass
class ModelFrame:
    """R's model frame: the evaluated variables of the kept rows.

    ``columns`` is keyed by R's model-frame column names (``log(wt)``,
    ``factor(cyl)``, a bare ``my var`` unquoted) in the order of
    ``terms.variables``.
    """

    terms: Terms
    columns: dict[str, Variable]
    row_names: pd.Index
    row_positions: np.ndarray
    n_input: int
    na_action: NaAction | None
    weights: np.ndarray | None
    offset: np.ndarray | None
    xlevels: dict[str, list[str]]
    transform_state: dict[str, dict] = field(default_factory=dict)
    extras: dict[str, Variable] = field(default_factory=dict)
    data_classes: dict[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.row_positions)

    def response(self) -> Variable | None:
        if not self.terms.has_response:
            return None
        return self.columns[self.terms.variable_names[0]]

    def to_frame(self) -> pd.DataFrame:
        """The frame as R prints it: matrix columns split as ``poly(x, 2).1``."""
        out: dict[str, object] = {}
        for name, var in self.columns.items():
            _put_column(out, name, var)
        if self.weights is not None:
            out["(weights)"] = self.weights
        df = pd.DataFrame(out, index=self.row_names)
        return df


def _put_column(out: dict, name: str, var: Variable) -> None:
    if var.kind == "factor":
        assert var.levels is not None  # a factor Variable carries its levels
        out[name] = pd.Categorical.from_codes(var.values, categories=pd.Index(var.levels),
                                              ordered=var.ordered)
    elif var.kind == "logical":
        v = var.values
        out[name] = pd.array([None if np.isnan(x) else bool(x) for x in v], dtype="boolean")
    elif var.kind == "matrix":
        k = var.ncol
        if k == 1 and not var.colnames:
            out[name] = var.values[:, 0]
        else:
            for j in range(k):
                suffix = var.colnames[j] if var.colnames else str(j + 1)
                out[f"{name}.{suffix}"] = var.values[:, j]
    elif var.kind == "character":
        out[name] = var.values
    else:
        out[name] = var.values


def _subset_positions(subset, data: pd.DataFrame, env: DataEnv) -> np.ndarray:
    n = len(data)
    if subset is None:
        return np.arange(n)
    if isinstance(subset, str):
        val = evaluate_value(subset, env)
        if isinstance(val, Lgl):
            mask = np.broadcast_to(val.v, (n,)) == 1
            return np.flatnonzero(mask)
        arr = np.atleast_1d(np.asarray(val))
        if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64) - 1  # an R expression gives 1-based indices
            return _index_positions(arr, n)
        raise HlmError("'subset' must be logical or an index vector")
    arr = subset.to_numpy() if isinstance(subset, pd.Series) else np.asarray(subset)
    if arr.dtype == bool or (arr.dtype == object and len(arr) == n and all(isinstance(x, (bool, np.bool_)) or x is None for x in arr)):
        if len(arr) != n:
            raise HlmError(f"'subset' has length {len(arr)} but the data have {n} rows")
        return np.flatnonzero(np.asarray([bool(x) if x is not None else False for x in arr]) if arr.dtype == object else arr)
    if arr.dtype.kind in "iu":
        return _index_positions(arr.astype(np.int64), n)
    raise HlmError("'subset' must be a boolean mask, an index array or an R expression string")


def _index_positions(arr: np.ndarray, n: int) -> np.ndarray:
    if np.any(arr < 0):
        raise HlmError("negative indices in 'subset' are not supported")
    if np.any(arr >= n):
        raise HlmError("'subset' index out of range")
    return arr


def _weights_variable(weights, data: pd.DataFrame, env: DataEnv) -> Variable:
    n = len(data)
    if isinstance(weights, str):
        var = evaluate(weights, env)
    else:
        arr = weights.to_numpy() if isinstance(weights, pd.Series) else np.asarray(weights)
        if arr.ndim != 1 or len(arr) != n:
            raise HlmError("variable lengths differ (found for '(weights)')")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise HlmError("'weights' must be a numeric vector") from exc
        var = Variable("numeric", arr)
    if var.kind not in ("numeric", "logical"):
        raise HlmError("'weights' must be a numeric vector")
    return var


def as_data_frame(data) -> pd.DataFrame:
    """The ``data`` argument as a DataFrame a formula can be evaluated in (a
    mapping of columns is turned into one); anything else raises HlmError."""
    if not isinstance(data, pd.DataFrame):
        if isinstance(data, Mapping):
            data = pd.DataFrame(data)
        else:
            raise HlmError("'data' must be a data.frame (a pandas DataFrame)")
    if isinstance(data.columns, pd.MultiIndex):
        raise HlmError(
            "'data' has MultiIndex columns, which are not supported: flatten them first, "
            "e.g. data.columns = ['_'.join(map(str, c)) for c in data.columns]"
        )
    return data


def offset_values(var: Variable) -> np.ndarray:
    """An offset variable's numbers (R's ``model.offset``: ``'offset' must be numeric``)."""
    if var.kind not in ("numeric", "logical") and not (var.kind == "matrix" and var.ncol == 1):
        raise HlmError("'offset' must be numeric")
    vals = np.asarray(var.values, dtype=float)
    return vals[:, 0].copy() if vals.ndim == 2 else vals


def _apply_xlev(var: Variable, name: str, xl: list[str]) -> Variable:
    if var.kind == "character":
        var = var.as_factor()
    if var.kind != "factor":
        warnings.warn(f"variable '{name}' is not a factor", stacklevel=3)
        return var
    var = var.drop_unused_levels()
    nxl = var.levels or []
    new = [lv for lv in nxl if lv not in xl]
    if new:
        word = "level" if len(nxl) == 1 else "levels"
        raise NewLevelError(f"factor {name} has new {word} {', '.join(new)}")
    pos = {lv: i for i, lv in enumerate(xl)}
    remap = np.array([pos[lv] for lv in nxl] + [-1], dtype=np.int64)
    return Variable("factor", remap[var.values], list(xl), var.ordered)


def model_frame(
    formula: str | Terms,
    data: pd.DataFrame,
    subset=None,
    weights=None,
    na_action: str = "na.omit",
    extra_variables: Sequence[str] = (),
    *,
    drop_unused_levels: bool = False,
    xlev: Mapping[str, list[str]] | None = None,
    predvars: Mapping[str, dict] | None = None,
) -> ModelFrame:
    """R's ``model.frame(formula, data, subset, weights, na.action)``.

    ``subset``: boolean mask, 0-based positions, or an R expression string
    (``"cyl != 4"``). ``weights``: array or a column name/expression.
    ``na_action``: ``"na.omit"`` (default), ``"na.exclude"``, ``"na.fail"``
    (raises ``MissingValueError``), ``"na.pass"``. ``extra_variables`` take
    part in the NA action only (lme's grouping variables). ``xlev`` and
    ``predvars`` are the fit's levels and transform state (predict).
    """
    data = as_data_frame(data)
    if na_action not in NA_ACTIONS:
        raise HlmError(f"unknown na_action '{na_action}': use one of {', '.join(NA_ACTIONS)}")
    t = formula if isinstance(formula, Terms) else make_terms(formula, [str(c) for c in data.columns])
    env = DataEnv(data)
    n = len(data)
    predvars = predvars or {}

    columns: dict[str, Variable] = {}
    for i, (node, name) in enumerate(zip(t.nodes, t.variable_names)):
        try:
            columns[name] = evaluate(node, env, predvars.get(name))
        except ComplexVariableError as exc:
            if i == 0 and t.has_response:
                # R's lm fits the real parts with a warning, nlme's lme stops
                raise HlmError(
                    f"a complex response ('{name}') is not supported: R's lm discards the "
                    "imaginary parts with a warning, nlme's lme stops (complex matrices not "
                    "permitted at present)") from exc
            raise

    w_var = _weights_variable(weights, data, env) if weights is not None else None
    extras: dict[str, Variable] = {}
    for expr in extra_variables:
        extras[expr] = evaluate(parse(expr), env)

    rows = _subset_positions(subset, data, env)
    if len(rows) != n or not np.array_equal(rows, np.arange(n)):
        columns = {k: v.take(rows) for k, v in columns.items()}
        extras = {k: v.take(rows) for k, v in extras.items()}
        if w_var is not None:
            w_var = w_var.take(rows)

    na_mask = np.zeros(len(rows), dtype=bool)
    for v in list(columns.values()) + list(extras.values()) + ([w_var] if w_var is not None else []):
        na_mask |= v.na_mask()

    na_info: NaAction | None = None
    if na_mask.any():
        if na_action == "na.fail":
            raise MissingValueError("missing values in object")
        if na_action in ("na.omit", "na.exclude"):
            keep = ~na_mask
            omitted = rows[na_mask]
            na_info = NaAction(
                "omit" if na_action == "na.omit" else "exclude",
                omitted,
                data.index[omitted],
            )
            rows = rows[keep]
            columns = {k: v.take(keep) for k, v in columns.items()}
            extras = {k: v.take(keep) for k, v in extras.items()}
            if w_var is not None:
                w_var = w_var.take(keep)

    weights_arr = None
    if w_var is not None:
        weights_arr = np.asarray(w_var.values, dtype=np.float64)
        if np.any(weights_arr < 0):
            raise HlmError("missing or negative weights not allowed")

    if xlev:
        for nm, xl in xlev.items():
            if nm in columns and xl is not None:
                columns[nm] = _apply_xlev(columns[nm], nm, list(xl))
    elif drop_unused_levels:
        columns = {k: v.drop_unused_levels() for k, v in columns.items()}
        extras = {k: v.drop_unused_levels() for k, v in extras.items()}

    start = 1 if t.has_response else 0
    xlevels: dict[str, list[str]] = {}
    for name in t.variable_names[start:]:
        v = columns[name]
        if v.kind == "factor":
            xlevels[name] = list(v.levels or [])
        elif v.kind == "character":
            xlevels[name] = list(v.as_factor().levels or [])

    offset = None
    if t.offsets:
        offset = np.zeros(len(rows))
        for i in t.offsets:
            offset = offset + offset_values(columns[t.variable_names[i]])

    state = {name: dict(v.state) for name, v in columns.items() if v.state}
    return ModelFrame(
        terms=t,
        columns=columns,
        row_names=data.index[rows],
        row_positions=rows,
        n_input=n,
        na_action=na_info,
        weights=weights_arr,
        offset=offset,
        xlevels=xlevels,
        transform_state=state,
        extras=extras,
        data_classes={k: v.r_class() for k, v in columns.items()},
    )
