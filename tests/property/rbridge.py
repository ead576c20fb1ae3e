"""The R side of the differential tests: data to R exactly, results back.

Data frames go to R column by column, each built explicitly so nothing is
guessed by a converter: numeric -> double (NaN -> ``NA_real_``), integer ->
integer, bool / nullable boolean -> logical, strings -> character,
``Categorical`` -> ``factor``/``ordered`` with the categories as levels in
their order. Row names are the index as strings. Numbers travel as binary
doubles, not text.

R runs the same code text that the reproducer prints (``r_code``), inside
``tryCatch``: the result is ``RResult(ok, value, error, warnings)``.
R is the one embedded R of the test process, started by
``r_reference.rsession`` (locale ``C.UTF-8``, options), so that the
differential tests, the goldens and the live catalogue see the same R. Note
that in ``C.UTF-8`` R collates strings with ICU's root collation
(``_z a A b B``), not in code-point order: character columns get their
factor levels in that order, and hlm_py imitates it
(``hlm_py/formula/transforms.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

_SETUP = r"""
suppressPackageStartupMessages(library(nlme))
.hlm_run <- function(code) {
  warns <- character(0)
  res <- withCallingHandlers(
    tryCatch({
      env <- new.env(parent = globalenv())
      value <- eval(parse(text = code), envir = env)
      list(ok = TRUE, value = value, error = NA_character_)
    }, error = function(e) list(ok = FALSE, value = NULL, error = conditionMessage(e))),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  res$warnings <- warns
  res
}
.hlm_mat <- function(m) {
  if (is.null(m)) return(NULL)
  m <- as.matrix(m)
  list(values = as.numeric(m), dim = as.numeric(dim(m)),
       rownames = if (is.null(rownames(m))) character(0) else rownames(m),
       colnames = if (is.null(colnames(m))) character(0) else colnames(m))
}
.hlm_vec <- function(v) {
  if (is.null(v)) return(NULL)
  list(values = as.numeric(v), names = if (is.null(names(v))) character(0) else names(v))
}
"""


@lru_cache(maxsize=1)
def robjects() -> Any:
    """rpy2's ``robjects`` with the helper functions defined (once)."""
    try:  # the project's R session: same locale and options as the live catalogue
        from r_reference import rsession

        rsession.r()
    except ImportError:  # pragma: no cover - r_reference is part of the repo
        pass
    import rpy2.robjects as ro

    ro.r(_SETUP)
    return ro


def _reset_options() -> None:
    try:
        from r_reference import rsession

        rsession.reset_options()
    except ImportError:  # pragma: no cover
        pass


def r_available() -> str | None:
    """None when R and rpy2 work, else why not."""
    try:
        ro = robjects()
        ro.r("1 + 1")
    except Exception as exc:  # pragma: no cover - environment dependent
        return f"R/rpy2 not usable: {exc!r}"
    return None


def _r_vector(col: pd.Series) -> Any:
    ro = robjects()
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        labels = [None if pd.isna(v) else str(v) for v in col.astype(object)]
        values = ro.StrVector([ro.NA_Character if v is None else v for v in labels])
        levels = ro.StrVector([str(c) for c in dtype.categories])
        fn = ro.r["factor"]
        return fn(values, levels=levels, ordered=bool(dtype.ordered))
    if pd.api.types.is_bool_dtype(dtype):
        return ro.BoolVector([ro.NA_Logical if pd.isna(v) else bool(v) for v in col])
    if pd.api.types.is_integer_dtype(dtype):
        return ro.IntVector([ro.NA_Integer if pd.isna(v) else int(v) for v in col])
    if pd.api.types.is_float_dtype(dtype):
        return ro.FloatVector([ro.NA_Real if np.isnan(v) else float(v)
                               for v in col.to_numpy(dtype=float, na_value=np.nan)])
    # object / string: character
    return ro.StrVector([ro.NA_Character if (v is None or (isinstance(v, float) and np.isnan(v)))
                         else str(v) for v in col])


def to_r(df: pd.DataFrame) -> Any:
    """An R data.frame with the same columns, types, levels, NA and row names."""
    ro = robjects()
    from rpy2.rinterface import NULL  # noqa: F401

    pairs = [(str(name), _r_vector(df[name])) for name in df.columns]
    make = ro.r["data.frame"]
    lst = ro.vectors.ListVector.from_length(len(pairs))
    for i, (_name, vec) in enumerate(pairs):
        lst[i] = vec
    lst.names = ro.StrVector([p[0] for p in pairs])
    rdf = make(lst, check_names=False, stringsAsFactors=False)
    rdf = ro.r["structure"](rdf, **{"row.names": ro.StrVector([str(i) for i in df.index])})
    return rdf


def assign(name: str, df: pd.DataFrame) -> None:
    """Bind ``df`` to ``name`` in R's global environment."""
    robjects().globalenv[name] = to_r(df)


@dataclass
class RResult:
    ok: bool
    value: Any
    error: str | None
    warnings: list[str] = field(default_factory=list)


def run(code: str, **frames: pd.DataFrame) -> RResult:
    """Bind the frames, run ``code`` in R; the value of its last expression."""
    ro = robjects()
    _reset_options()
    for name, df in frames.items():
        assign(name, df)
    res = ro.r[".hlm_run"](code)
    d = dict(zip(res.names, res))
    ok = bool(d["ok"][0])
    warnings = list(d["warnings"]) if len(d["warnings"]) else []
    if not ok:
        return RResult(False, None, str(d["error"][0]), warnings)
    return RResult(True, to_py(d["value"]), None, warnings)


def to_py(obj: Any) -> Any:
    """R value -> Python: named lists -> dict, numeric -> ndarray, character -> list.

    ``.hlm_mat``/``.hlm_vec`` results become ``Mat``/``Vec``.
    """
    from rpy2.rinterface import NULLType

    ro = robjects()
    if isinstance(obj, NULLType) or obj is None:
        return None
    if isinstance(obj, ro.vectors.ListVector) or (hasattr(obj, "rclass") and "list" in obj.rclass):
        names = list(obj.names) if obj.names is not ro.NULL and obj.names is not None else []
        items = [to_py(v) for v in obj]
        if names and len(names) == len(items):
            d = dict(zip(names, items))
            if set(d) == {"values", "dim", "rownames", "colnames"}:
                return Mat(d)
            if set(d) == {"values", "names"}:
                return Vec(d)
            return d
        return items
    if isinstance(obj, ro.vectors.StrVector):
        return [None if v is ro.NA_Character else str(v) for v in obj]
    if isinstance(obj, (ro.vectors.FloatVector, ro.vectors.IntVector, ro.vectors.BoolVector)):
        # copy while the R vector is alive: ``np.asarray`` would give a view of
        # R's memory that R frees (and reuses) once the rpy2 object is collected
        vec = ro.r["as.numeric"](obj)
        return np.array(vec, dtype=float, copy=True)
    return obj


class Vec:
    """An R named numeric vector: ``.values`` (ndarray) and ``.names``."""

    def __init__(self, d: dict[str, Any]):
        self.values = np.asarray(d["values"], dtype=float)
        self.names = list(d["names"] or [])

    def series(self) -> pd.Series:
        return pd.Series(self.values, index=self.names or None)


class Mat:
    """An R matrix: ``.values`` (2-d ndarray), ``.rownames``, ``.colnames``."""

    def __init__(self, d: dict[str, Any]):
        dim = tuple(int(x) for x in d["dim"])
        self.values = np.asarray(d["values"], dtype=float).reshape(dim, order="F")
        self.rownames = list(d["rownames"] or [])
        self.colnames = list(d["colnames"] or [])

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.values, index=self.rownames or None, columns=self.colnames or None)
