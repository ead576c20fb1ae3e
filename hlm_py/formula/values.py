"""The values of formula variables: R's value classes as a model frame needs them.

:class:`Variable` is R's value class reduced to what ``model.frame`` and
``model.matrix`` distinguish (numeric, numeric matrix, logical, factor,
character); ``Lgl``, ``Factor``, ``Chr`` and ``Mat`` are the values the
evaluator (:mod:`hlm_py.formula.transforms`) computes with. Data columns
become values by :func:`column_value` (float/int numeric, ``bool`` logical,
``Categorical`` a factor with its categories as levels, object/string
character); :func:`make_factor` is R's ``factor(x, levels)``: character
levels in R's ``sort`` order (``hlm_py.rbase.collate``), numbers labelled by
R's ``as.character`` (``hlm_py.rbase.ascharacter``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import ComplexVariableError, HlmError, UnknownVariableError
from ..rbase.ascharacter import as_character_numbers, as_character_scalar
from ..rbase.collate import r_sort

__all__ = ["Variable", "DataEnv", "Factor", "Lgl", "Chr", "Mat", "column_value", "make_factor",
           "as_str_array", "merge_same_labels"]

# ---------------------------------------------------------------- values


@dataclass
class Lgl:
    """A logical vector: float64 0/1 with NaN for NA."""

    v: np.ndarray


@dataclass
class Factor:
    """A factor: ``codes`` 0-based (-1 for NA), ``levels`` labels, ``ordered``."""

    codes: np.ndarray
    levels: list[str]
    ordered: bool = False

    def labels(self) -> np.ndarray:
        lv = np.array(self.levels + [None], dtype=object)
        return lv[self.codes]


@dataclass
class Chr:
    """A character vector (object array, ``None`` for NA)."""

    v: np.ndarray


@dataclass
class Mat:
    """A numeric matrix with optional column names and predict state."""

    v: np.ndarray
    colnames: list[str] | None = None
    state: dict | None = None


@dataclass
class Variable:
    """One column of a model frame (R's evaluated formula variable).

    ``kind`` is one of ``"numeric"`` (``values`` float64, n), ``"matrix"``
    (float64, n x k, ``colnames`` or None), ``"logical"`` (float64 0/1/NaN),
    ``"factor"`` (int64 codes, -1 for NA, with ``levels`` and ``ordered``) and
    ``"character"`` (object array, None for NA). ``state`` is what predict
    needs to rebuild the variable on new data (poly coefs, scale centre).
    """

    kind: str
    values: np.ndarray
    levels: list[str] | None = None
    ordered: bool = False
    colnames: list[str] | None = None
    state: dict | None = None
    is_integer: bool = field(default=False, repr=False)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def ncol(self) -> int:
        return int(self.values.shape[1]) if self.kind == "matrix" else 1

    def na_mask(self) -> np.ndarray:
        """Rows where R's ``is.na`` is TRUE (any column of a matrix)."""
        v = self.values
        if self.kind in ("numeric", "logical"):
            return np.isnan(v)
        if self.kind == "matrix":
            return np.isnan(v).any(axis=1) if v.shape[1] else np.zeros(v.shape[0], bool)
        if self.kind == "factor":
            return v < 0
        return pd.isna(v)

    def take(self, rows: np.ndarray) -> Variable:
        return replace(self, values=self.values[rows])

    def r_class(self) -> str:
        """R's ``.MFclass`` of the variable."""
        if self.kind == "factor":
            return "ordered" if self.ordered else "factor"
        if self.kind == "matrix":
            return f"nmatrix.{self.ncol}"
        return self.kind

    def as_factor(self) -> Variable:
        """Character -> factor with sorted levels (R's ``factor(x)``); factors unchanged."""
        if self.kind == "character":
            f = _factor_from_chr(Chr(self.values))
            return Variable("factor", f.codes, f.levels, False)
        return self

    def drop_unused_levels(self) -> Variable:
        """R's ``x[, drop = TRUE]`` for a factor."""
        if self.kind != "factor" or self.levels is None:
            return self
        f = _drop_levels(Factor(self.values, self.levels, self.ordered))
        return replace(self, values=f.codes, levels=f.levels)


def _drop_levels(f: Factor) -> Factor:
    used = np.zeros(len(f.levels) + 1, dtype=bool)
    used[f.codes] = True
    used = used[:-1]
    if used.all():
        return f
    remap = np.full(len(f.levels) + 1, -1, dtype=np.int64)
    keep = np.flatnonzero(used)
    remap[keep] = np.arange(len(keep))
    return Factor(remap[f.codes], [f.levels[i] for i in keep], f.ordered)


def _factor_from_chr(c: Chr, levels: list[str] | None = None) -> Factor:
    vals = c.v
    if levels is None:
        cat = pd.Categorical(vals)
        cats = [str(x) for x in cat.categories]
        levels = r_sort(cats)
        codes = np.asarray(cat.codes, dtype=np.int64)
        if levels != cats:
            pos = {lv: i for i, lv in enumerate(levels)}
            remap = np.array([pos[x] for x in cats] + [-1], dtype=np.int64)
            codes = remap[codes]
        return Factor(codes, levels)
    cat = pd.Categorical(vals, categories=list(levels))
    return Factor(np.asarray(cat.codes, dtype=np.int64), list(levels))


def merge_same_labels(codes: np.ndarray, labels: list[str], ordered: bool = False) -> Factor:
    """One level per distinct label, first appearance first (R's ``unique(as.character(levels))``)."""
    levels = list(dict.fromkeys(labels))
    if len(levels) == len(labels):
        return Factor(codes, list(labels), ordered)
    pos = {lv: i for i, lv in enumerate(levels)}
    remap = np.array([pos[lab] for lab in labels] + [-1], dtype=np.int64)
    return Factor(remap[codes], levels, ordered)


def _check_distinct_levels(levels: list[str | None], categories: list, name: object) -> list[str]:
    """``levels``, refusing categories that R's ``as.character`` makes one label
    (R has no such factor) or NA."""
    seen: dict[str, object] = {}
    for lab, cat in zip(levels, categories):
        if lab is None:
            raise HlmError(f"factor '{name}' has a missing value (NA) among its categories")
        if lab in seen:
            raise HlmError(
                f"factor '{name}' has categories {seen[lab]!r} and {cat!r} that are both "
                f'the level "{lab}"; R\'s factor levels are distinct strings: '
                "merge or rename the categories"
            )
        seen[lab] = cat
    return list(seen)


# ---------------------------------------------------------------- data columns


def column_value(s: pd.Series):
    """Convert a data column to an evaluator value (R's view of that column)."""
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        cats = list(dt.categories)
        levels = _check_distinct_levels([as_character_scalar(c) for c in cats], cats, s.name)
        return Factor(np.asarray(s.cat.codes, dtype=np.int64), levels, bool(dt.ordered))
    if pd.api.types.is_complex_dtype(dt):
        raise ComplexVariableError(s.name)
    if pd.api.types.is_bool_dtype(dt):
        if isinstance(dt, np.dtype):
            return Lgl(s.to_numpy().astype(np.float64))
        return Lgl(s.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan))
    if pd.api.types.is_integer_dtype(dt):
        if isinstance(dt, np.dtype):
            return s.to_numpy().astype(np.int64)
        if s.isna().any():
            return s.to_numpy(dtype=np.float64, na_value=np.nan)
        return s.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(dt):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_string_dtype(dt) or pd.api.types.is_object_dtype(dt):
        arr = s.to_numpy(dtype=object, copy=True)
        arr[s.isna().to_numpy()] = None
        kind = pd.api.types.infer_dtype(arr, skipna=True)
        if kind == "boolean":
            return Lgl(pd.array(arr, dtype="boolean").to_numpy(dtype=np.float64, na_value=np.nan))
        if kind == "complex":
            raise ComplexVariableError(s.name)
        if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            return pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan)
        if kind == "empty":  # nothing but NA: R's NA, a logical
            return Lgl(np.full(len(arr), np.nan))
        if kind != "empty" and kind not in ("string",):
            arr = np.array([as_character_scalar(x) for x in arr], dtype=object)
        else:
            arr = arr.copy()
        arr[pd.isna(arr)] = None
        return Chr(arr)
    if pd.api.types.is_numeric_dtype(dt):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    raise HlmError(f"variable '{s.name}' has a type ({dt}) that formulas do not support")


_CONSTANTS: dict[str, object] = {
    "TRUE": Lgl(np.array(1.0)),
    "T": Lgl(np.array(1.0)),
    "FALSE": Lgl(np.array(0.0)),
    "F": Lgl(np.array(0.0)),
    "NA": Lgl(np.array(np.nan)),
    "NA_real_": np.float64(np.nan),
    "NA_integer_": np.float64(np.nan),
    "NA_character_": Chr(np.array([None], dtype=object)),
    "Inf": np.float64(np.inf),
    "NaN": np.float64(np.nan),
    "pi": np.float64(math.pi),
    "NULL": None,
}


class DataEnv:
    """The environment a formula is evaluated in: the data's columns, then R's constants."""

    def __init__(self, data: pd.DataFrame | None):
        self.data = data
        self.cache: dict[str, object] = {}
        self.n = len(data) if data is not None else 0

    def lookup(self, name: str):
        if name in self.cache:
            return self.cache[name]
        if self.data is not None and name in self.data.columns:
            col = self.data[name]
            if isinstance(col, pd.DataFrame):
                raise HlmError(f"duplicated column name '{name}' in data")
            val = column_value(col)
            self.cache[name] = val
            return val
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        raise UnknownVariableError(f"object '{name}' not found")


def as_str_array(x) -> np.ndarray:
    if isinstance(x, Factor):
        return x.labels()
    if isinstance(x, Chr):
        return x.v
    if isinstance(x, Lgl):
        v = np.atleast_1d(x.v)
        return np.array([None if math.isnan(t) else ("TRUE" if t else "FALSE") for t in v], object)
    return as_character_numbers(np.asarray(x))


def make_factor(x, levels: list[str] | None = None, ordered: bool | None = None) -> Factor:
    """R's ``factor(x, levels)``: sorted unique values as levels, unused levels dropped."""
    if isinstance(x, Factor):
        if levels is None:
            f = _drop_levels(x)
            return Factor(f.codes, f.levels, x.ordered if ordered is None else ordered)
        x = Chr(x.labels())
    if isinstance(x, Lgl):
        v = np.atleast_1d(x.v)
        codes = np.where(np.isnan(v), -1, v).astype(np.int64)
        f = _drop_levels(Factor(codes, ["FALSE", "TRUE"]))
        if levels is not None:
            f2 = _factor_from_chr(Chr(f.labels()), levels)
            return Factor(f2.codes, f2.levels, bool(ordered))
        return Factor(f.codes, f.levels, bool(ordered))
    if isinstance(x, Chr):
        f = _factor_from_chr(x, levels)
        return Factor(f.codes, f.levels, bool(ordered))
    if isinstance(x, Mat):
        raise HlmError("factor() of a matrix is not supported")
    arr = np.atleast_1d(np.asarray(x))
    if levels is not None:
        return Factor(_factor_from_chr(Chr(as_str_array(arr)), levels).codes, list(levels), bool(ordered))
    # R: levels <- unique(as.character(sort(unique(x)))); match(as.character(x), levels)
    if arr.dtype.kind not in "iu":
        arr = arr.astype(np.float64)
    na = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(len(arr), dtype=bool)
    uniq, inv = np.unique(arr[~na], return_inverse=True)
    codes = np.full(len(arr), -1, dtype=np.int64)
    codes[~na] = inv
    return merge_same_labels(codes, list(as_character_numbers(uniq)), bool(ordered))
