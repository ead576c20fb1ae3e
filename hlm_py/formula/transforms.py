"""Evaluation of formula variables on data, with R's semantics.

A formula variable (``wt``, ``log(wt)``, ``I(x^2)``, ``poly(x, 2)``,
``factor(cyl)``, ``scale(x)``, ``offset(log(n))``) is evaluated on the columns
of a ``pandas.DataFrame`` by :func:`evaluate`, which returns a
:class:`Variable`: R's value class reduced to what ``model.frame`` and
``model.matrix`` distinguish (numeric, numeric matrix, logical, factor,
character).

Data conventions: float/int columns are numeric (NaN is NA); ``bool`` and
``boolean`` columns are logical; ``Categorical`` columns are factors with the
categories as levels (ordered stays ordered); object/string columns are
character. Character becomes a factor with levels in R's ``sort`` order
(``hlm_py.rbase.collate``) where R converts it; numbers are labelled by R's
``as.character`` (``hlm_py.rbase.ascharacter``).

What ``predict`` needs is kept in ``Variable.state`` (R's ``predvars`` made by
``makepredictcall``): ``poly`` keeps ``alpha`` and ``norm2``, ``scale`` keeps
its centre and scale. As in R this applies to the outermost call of a variable
only (``log(scale(x))`` is recomputed on new data, as R does).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import ComplexVariableError, HlmError, UnknownVariableError
from ..linalg import r_col_means, r_col_sums, r_mean
from ..linalg.libm import r_log, r_logbase, r_math1, r_pow, r_pow_outer
from ..rbase.ascharacter import as_character_numbers, as_character_scalar
from ..rbase.collate import r_sort
from .contrasts import qr_diag_residuals
from .deparse import deparse
from .parser import Call, Name, Node, Num, Str, parse

__all__ = ["Variable", "DataEnv", "evaluate", "to_variable", "Factor", "Lgl", "Chr", "Mat"]


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


def _merge_same_labels(codes: np.ndarray, labels: list[str], ordered: bool = False) -> Factor:
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


# ---------------------------------------------------------------- helpers


def _num(x, what: str = "argument") -> np.ndarray | np.float64:
    """Coerce to a float array as R's arithmetic does (logical -> 0/1)."""
    if isinstance(x, Lgl):
        return x.v
    if isinstance(x, np.ndarray):
        return x.astype(np.float64, copy=False)
    if isinstance(x, (int, float, np.integer, np.floating)):
        return np.float64(x)
    if isinstance(x, Factor):
        raise HlmError(f"'{what}' not meaningful for factors")
    if isinstance(x, Mat):
        return x.v
    if isinstance(x, Chr):
        raise HlmError(f"non-numeric argument to {what}")
    raise HlmError(f"invalid argument to {what}")


def _scalar(x, what: str) -> float:
    a = np.asarray(_num(x, what), dtype=float).ravel()
    if a.size < 1:
        raise HlmError(f"invalid '{what}' argument")
    return float(a[0])


def _nan_warn(before: np.ndarray, after: np.ndarray, fn: str) -> None:
    if np.any(np.isnan(after) & ~np.isnan(before)):
        warnings.warn(f"In {fn}: NaNs produced", RuntimeWarning, stacklevel=4)


def _math1(fn: Callable, name: str):
    def f(args, kw):
        x = _num(args[0], name)
        with np.errstate(all="ignore"):
            out = fn(x)
        _nan_warn(np.asarray(x), np.asarray(out), f"{name}(x)")
        return out

    return f


def _libm1(name: str):
    """R's math1 function ``name`` from the C library (linalg.libm)."""
    return _math1(lambda x: r_math1(name, x), name)


def _log(args, kw):
    x = _num(args[0], "log")
    base = kw.get("base", args[1] if len(args) > 1 else None)
    with np.errstate(all="ignore"):
        out = r_log(x) if base is None else r_logbase(x, _scalar(base, "base"))
    _nan_warn(np.asarray(x), np.asarray(out), "log(x)")
    return out


def _as_logical(x) -> np.ndarray:
    if isinstance(x, Lgl):
        return x.v
    if isinstance(x, Chr):
        raise HlmError("operations are possible only for numeric, logical or complex types")
    v = _num(x, "logical operation")
    return np.where(np.isnan(v), np.nan, (v != 0).astype(float))


def _compare(op: str, a, b):
    if isinstance(a, Factor) or isinstance(b, Factor) or isinstance(a, Chr) or isinstance(b, Chr):
        if op not in ("==", "!="):
            if isinstance(a, Factor) or isinstance(b, Factor):
                raise HlmError(f"'{op}' not meaningful for factors")
        sa, sb = _as_str_array(a), _as_str_array(b)
        na = pd.isna(sa) | pd.isna(sb)
        sa2 = np.where(pd.isna(sa), "", sa).astype(str)
        sb2 = np.where(pd.isna(sb), "", sb).astype(str)
        res = {
            "==": np.equal, "!=": np.not_equal, "<": np.less, ">": np.greater,
            "<=": np.less_equal, ">=": np.greater_equal,
        }[op](sa2, sb2).astype(float)
        return Lgl(np.where(na, np.nan, res))
    x, y = _num(a, op), _num(b, op)
    with np.errstate(invalid="ignore"):
        res = {
            "==": np.equal, "!=": np.not_equal, "<": np.less, ">": np.greater,
            "<=": np.less_equal, ">=": np.greater_equal,
        }[op](x, y).astype(float)
    return Lgl(np.where(np.isnan(x) | np.isnan(y), np.nan, res))


def _as_str_array(x) -> np.ndarray:
    if isinstance(x, Factor):
        return x.labels()
    if isinstance(x, Chr):
        return x.v
    if isinstance(x, Lgl):
        v = np.atleast_1d(x.v)
        return np.array([None if math.isnan(t) else ("TRUE" if t else "FALSE") for t in v], object)
    return as_character_numbers(np.asarray(x))


def _c(args, kw):
    vals = list(args) + list(kw.values())
    if any(isinstance(v, (Chr, Factor)) for v in vals):
        return Chr(np.concatenate([np.atleast_1d(_as_str_array(v)) for v in vals]))
    if all(isinstance(v, Lgl) for v in vals):
        return Lgl(np.concatenate([np.atleast_1d(v.v) for v in vals]))
    return np.concatenate([np.atleast_1d(_num(v, "c")) for v in vals])


def _in(a, b):
    sa = _as_str_array(a) if isinstance(a, (Chr, Factor)) or isinstance(b, (Chr, Factor)) else None
    if sa is not None:
        sb = set(_as_str_array(b).tolist())
        return Lgl(np.array([x in sb for x in sa], dtype=float))
    x, y = np.atleast_1d(_num(a, "%in%")), np.atleast_1d(_num(b, "%in%"))
    res = np.isin(x, y)
    if np.isnan(y).any():
        res |= np.isnan(x)
    return Lgl(res.astype(float))


# ---------------------------------------------------------------- factor(), poly(), scale()


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
        return Factor(_factor_from_chr(Chr(_as_str_array(arr)), levels).codes, list(levels), bool(ordered))
    # R: levels <- unique(as.character(sort(unique(x)))); match(as.character(x), levels)
    if arr.dtype.kind not in "iu":
        arr = arr.astype(np.float64)
    na = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(len(arr), dtype=bool)
    uniq, inv = np.unique(arr[~na], return_inverse=True)
    codes = np.full(len(arr), -1, dtype=np.int64)
    codes[~na] = inv
    return _merge_same_labels(codes, list(as_character_numbers(uniq)), bool(ordered))


def _enough_unique(x: np.ndarray, k: int) -> bool:
    """Whether ``x`` has more than ``k`` distinct values (cheap on long vectors)."""
    head = x[: 64 * (k + 1)]
    if len(np.unique(head)) > k:
        return True
    return len(np.unique(x)) > k


def poly_fit(x: np.ndarray, degree: int) -> tuple[np.ndarray, dict]:
    """R's ``poly(x, degree)``: orthonormal polynomials and their ``coefs``.

    As R: the QR (LINPACK ``dqrdc2``) of ``outer(x - mean(x), 0:degree, "^")``,
    ``Z = qr.qy(QR, diag(R))``, then ``alpha``/``norm2`` for prediction and
    columns scaled to unit length.
    """
    if np.isnan(x).any():
        raise HlmError("missing values are not allowed in 'poly'")
    if degree < 1:
        raise HlmError("'degree' must be at least 1")
    if not _enough_unique(x, degree):
        raise HlmError("'degree' must be less than number of unique points")
    xbar = r_mean(x)
    xc = x - xbar
    X = r_pow_outer(xc, np.arange(degree + 1, dtype=float))
    Z, rank = qr_diag_residuals(X)
    if rank < degree:
        raise HlmError("'degree' must be less than number of unique points")
    Z2 = Z * Z
    norm2 = r_col_sums(Z2)
    alpha = (r_col_sums(xc[:, None] * Z2) / norm2 + xbar)[:degree]
    norm2 = np.concatenate([[1.0], norm2])
    Z = Z / np.sqrt(norm2[1:])
    return Z[:, 1:], {"alpha": alpha, "norm2": norm2}


def poly_predict(x: np.ndarray, degree: int, coefs: dict) -> np.ndarray:
    """R's ``poly(x, degree, coefs = )``: the three-term recurrence on new data."""
    alpha, norm2 = coefs["alpha"], coefs["norm2"]
    n = len(x)
    Z = np.ones((n, degree + 1))
    Z[:, 1] = x - alpha[0]
    for i in range(1, degree):
        Z[:, i + 1] = (x - alpha[i]) * Z[:, i] - (norm2[i + 1] / norm2[i]) * Z[:, i - 1]
    Z = Z / np.sqrt(norm2[1:])
    return Z[:, 1:]


def _poly(args, kw, state):
    if not args:
        raise HlmError("poly() needs a variable")
    extra = args[1:]
    if len(extra) > 1 or (extra and np.size(_num(extra[0], "poly")) != 1):
        raise HlmError("poly() of several variables (polym) is not supported")
    degree = int(_scalar(extra[0], "degree")) if extra else int(_scalar(kw.get("degree", 1), "degree"))
    raw = bool(_scalar(kw["raw"], "raw")) if "raw" in kw else False
    x = np.atleast_1d(_num(args[0], "poly")).astype(np.float64)
    names = [str(i) for i in range(1, degree + 1)]
    if raw:
        if degree < 1:
            raise HlmError("'degree' must be at least 1")
        return Mat(r_pow_outer(x, np.arange(1, degree + 1, dtype=float)), names, {"raw": True})
    if state is not None and "alpha" in state:
        return Mat(poly_predict(x, degree, state), names, dict(state))
    Z, coefs = poly_fit(x, degree)
    return Mat(Z, names, coefs)


def _scale(args, kw, state):
    x = _num(args[0], "scale")
    x = np.asarray(x, dtype=np.float64)
    m = x[:, None] if x.ndim == 1 else x
    center = kw.get("center", args[1] if len(args) > 1 else Lgl(np.array(1.0)))
    scl = kw.get("scale", args[2] if len(args) > 2 else Lgl(np.array(1.0)))
    if state is not None:
        center, scl = state.get("center", center), state.get("scale", scl)
    st: dict = {}
    if isinstance(center, Lgl):
        if center.v.item():
            c = r_col_means(m, na_rm=True)  # R: colMeans(x, na.rm = TRUE)
            m = m - c
            st["center"] = c
    else:
        c = np.atleast_1d(_num(center, "center")).astype(float)
        m = m - c
        st["center"] = c
    if isinstance(scl, Lgl):
        if scl.v.item():
            # R: sqrt(sum(v^2) / max(1, length(v) - 1)) over each column's
            # non-NA entries, sum() in long double
            ok = ~np.isnan(m)
            cnt = ok.sum(axis=0)
            s = np.sqrt(r_col_sums(np.where(ok, m * m, 0.0)) / np.maximum(1, cnt - 1))
            with np.errstate(invalid="ignore", divide="ignore"):  # R: 0/0 is NaN, silently
                m = m / s
            st["scale"] = s
    else:
        s = np.atleast_1d(_num(scl, "scale")).astype(float)
        m = m / s
        st["scale"] = s
    return Mat(m, None, st)


def _factor_fn(ordered_default: bool | None):
    def f(args, kw):
        x = args[0] if args else kw.get("x")
        lv = kw.get("levels", args[1] if len(args) > 1 else None)
        levels = None if lv is None else [str(s) for s in _as_str_array(lv)]
        if levels is not None and len(set(levels)) < len(levels):
            dup = next(i for i, s in enumerate(levels) if s in levels[:i])
            raise HlmError(f"factor level [{dup + 1}] is duplicated")
        ordered = ordered_default
        if "ordered" in kw:
            ordered = bool(_scalar(kw["ordered"], "ordered"))
        if ordered is None:
            ordered = isinstance(x, Factor) and x.ordered
        fac = make_factor(x, levels, ordered)
        if "labels" in kw:
            labs = [str(s) for s in _as_str_array(kw["labels"])]
            if len(labs) == 1 and len(fac.levels) != 1:
                labs = [f"{labs[0]}{i + 1}" for i in range(len(fac.levels))]
            if len(labs) != len(fac.levels):
                raise HlmError(
                    f"invalid 'labels'; length {len(labs)} should be 1 or {len(fac.levels)}"
                )
            # R (>= 3.4.0): duplicated labels merge their levels
            fac = _merge_same_labels(fac.codes, labs, fac.ordered)
        return fac

    return f


def _as_numeric(args, kw):
    x = args[0]
    if isinstance(x, Factor):
        return np.where(x.codes < 0, np.nan, x.codes + 1.0)
    if isinstance(x, Chr):
        out = pd.to_numeric(pd.Series(x.v), errors="coerce").to_numpy(dtype=float)
        if np.any(np.isnan(out) & ~pd.isna(x.v)):
            warnings.warn("NAs introduced by coercion", RuntimeWarning, stacklevel=4)
        return out
    return np.asarray(_num(x, "as.numeric"), dtype=np.float64)


def _relevel(args, kw):
    f = args[0]
    ref = kw.get("ref", args[1] if len(args) > 1 else None)
    if not isinstance(f, Factor) or f.ordered:
        raise HlmError("'relevel' only for (unordered) factors")
    r = str(_as_str_array(ref)[0])
    if r not in f.levels:
        raise HlmError("'ref' must be an existing level")
    i = f.levels.index(r)
    order = [i] + [k for k in range(len(f.levels)) if k != i]
    remap = np.empty(len(f.levels) + 1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    remap[-1] = -1
    return Factor(remap[f.codes], [f.levels[k] for k in order], False)


def _ifelse(args, kw):
    test = _as_logical(args[0])
    yes, no = _num(args[1], "ifelse"), _num(args[2], "ifelse")
    out = np.where(test == 1, yes, no)
    return np.where(np.isnan(test), np.nan, out)


def _pm(fn):
    def f(args, kw):
        vals = [_num(a, "pmin") for a in args]
        out = vals[0]
        for v in vals[1:]:
            out = fn(out, v)
        return out

    return f


def _identity(args, kw):
    if len(args) != 1:
        raise HlmError("this function takes one argument")
    return args[0]


_FUNCS: dict[str, Callable] = {
    "I": _identity,
    "offset": _identity,
    "log": _log,
    "log2": _libm1("log2"),
    "log10": _libm1("log10"),
    "log1p": _libm1("log1p"),
    "exp": _libm1("exp"),
    "expm1": _libm1("expm1"),
    "sqrt": _math1(np.sqrt, "sqrt"),
    "abs": _math1(np.abs, "abs"),
    "sin": _libm1("sin"),
    "cos": _libm1("cos"),
    "tan": _libm1("tan"),
    "floor": _math1(np.floor, "floor"),
    "ceiling": _math1(np.ceil, "ceiling"),
    "trunc": _math1(np.trunc, "trunc"),
    "sign": _math1(np.sign, "sign"),
    "factor": _factor_fn(None),
    "as.factor": _factor_fn(None),
    "ordered": _factor_fn(True),
    "as.ordered": _factor_fn(True),
    "as.numeric": _as_numeric,
    "as.double": _as_numeric,
    "as.integer": lambda a, k: np.trunc(_as_numeric(a, k)),
    "as.character": lambda a, k: Chr(np.atleast_1d(_as_str_array(a[0]))),
    "as.logical": lambda a, k: Lgl(_as_logical(a[0])),
    "c": _c,
    "relevel": _relevel,
    "ifelse": _ifelse,
    "pmin": _pm(np.fmin),
    "pmax": _pm(np.fmax),
}


# ---------------------------------------------------------------- evaluator


def _arith(op: str, a, b):
    x, y = _num(a, op), _num(b, op)
    with np.errstate(all="ignore"):
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return x / y
        if op == "^":
            return r_pow(x, y)
        if op == "%%":
            return np.mod(x, y)
        if op == "%/%":
            return np.floor_divide(x, y)
    raise HlmError(f"unsupported operator '{op}'")


_ARITH = ("+", "-", "*", "/", "^", "%%", "%/%")


def _is_arith_call(node: Node) -> bool:
    return (isinstance(node, Call) and node.fn in _ARITH and len(node.args) == 2
            and node.args[0][0] is None and node.args[1][0] is None)


def _eval(node: Node, env: DataEnv, state: dict | None = None):
    if isinstance(node, Name):
        return env.lookup(node.name)
    if isinstance(node, Num):
        return np.float64(node.value)
    if isinstance(node, Str):
        return Chr(np.array([node.value], dtype=object))
    assert isinstance(node, Call)
    fn = node.fn
    raw_args = node.args
    if fn == "(":
        return _eval(raw_args[0][1], env)
    if fn == "~":
        raise HlmError("a formula cannot be a variable")
    if fn in _ARITH and _is_arith_call(node):
        # the left spine in a loop (I(a + b + ... + z) is left-deep)
        spine = [node]
        while _is_arith_call(spine[-1].args[0][1]):
            spine.append(spine[-1].args[0][1])
        acc = _eval(spine[-1].args[0][1], env)
        for c in reversed(spine):
            acc = _arith(c.fn, acc, _eval(c.args[1][1], env))
        return acc
    args = [_eval(a, env) for k, a in raw_args if k is None]
    kw = {k: _eval(a, env) for k, a in raw_args if k is not None}
    if fn in ("+", "-") and len(args) == 1 and not kw:
        x = _num(args[0], "unary " + fn)
        return -x if fn == "-" else x
    if fn in ("+", "-", "*", "/", "^", "%%", "%/%") and len(args) == 2:
        return _arith(fn, args[0], args[1])
    if fn in ("==", "!=", "<", ">", "<=", ">="):
        return _compare(fn, args[0], args[1])
    if fn in ("&", "&&", "|", "||"):
        x, y = _as_logical(args[0]), _as_logical(args[1])
        if fn in ("&", "&&"):
            out = np.where((x == 0) | (y == 0), 0.0, np.where(np.isnan(x) | np.isnan(y), np.nan, 1.0))
        else:
            out = np.where((x == 1) | (y == 1), 1.0, np.where(np.isnan(x) | np.isnan(y), np.nan, 0.0))
        return Lgl(out)
    if fn == "!":
        x = _as_logical(args[0])
        return Lgl(np.where(np.isnan(x), np.nan, 1.0 - x))
    if fn == "%in%":
        return _in(args[0], args[1])
    if fn == ":" and len(args) == 2:
        a0, a1 = _scalar(args[0], ":"), _scalar(args[1], ":")
        step = 1.0 if a1 >= a0 else -1.0
        return np.arange(a0, a1 + step * 0.5, step)
    if fn == "poly":
        return _poly(args, kw, state)
    if fn == "scale":
        return _scale(args, kw, state)
    f = _FUNCS.get(fn)
    if f is None:
        raise UnknownVariableError(f'could not find function "{fn}"')
    return f(args, kw)


def to_variable(val, n: int, name: str) -> Variable:
    """Turn an evaluated value into a model-frame :class:`Variable` of length ``n``."""

    def check(m: int) -> None:
        if m != n:
            raise HlmError(f"variable lengths differ (found for '{name}')")

    if isinstance(val, Factor):
        check(len(val.codes))
        return Variable("factor", np.asarray(val.codes, np.int64), list(val.levels), val.ordered)
    if isinstance(val, Lgl):
        v = np.atleast_1d(val.v).astype(np.float64)
        check(len(v))
        return Variable("logical", v)
    if isinstance(val, Chr):
        v = np.atleast_1d(val.v)
        check(len(v))
        return Variable("character", v)
    if isinstance(val, Mat):
        check(val.v.shape[0])
        return Variable("matrix", np.asarray(val.v, np.float64), colnames=val.colnames, state=val.state)
    if val is None:
        raise HlmError(f"invalid type (NULL) for variable '{name}'")
    arr = np.atleast_1d(np.asarray(val))
    if arr.ndim == 2:
        check(arr.shape[0])
        return Variable("matrix", arr.astype(np.float64))
    check(len(arr))
    return Variable("numeric", arr.astype(np.float64), is_integer=arr.dtype.kind in "iu")


def evaluate(node: Node | str, env: DataEnv, state: dict | None = None) -> Variable:
    """Evaluate one formula variable on the data (R's ``eval(predvars, data)``).

    ``state`` is the predict state of the outermost call (``poly`` coefs,
    ``scale`` centre/scale) saved from the fit; ``None`` when fitting.
    """
    tree = parse(node) if isinstance(node, str) else node
    name = deparse(tree, backtick=not isinstance(tree, Name))
    val = _eval(tree, env, state)
    return to_variable(val, env.n, name)


def evaluate_value(node: Node | str, env: DataEnv):
    """Evaluate an R expression to a raw evaluator value (used for ``subset`` strings)."""
    tree = parse(node) if isinstance(node, str) else node
    return _eval(tree, env)
