"""Conversion between R objects (rpy2) and the golden files' JSON values.

R -> JSON (:func:`r_to_json`), the contract of docs/internals.md:

* ``NULL`` -> ``null``
* data frame -> ``{"rownames": [...], "colnames": [...], "columns": {name: values}}``
  (``colnames`` keeps R's column order, which sorted JSON keys would lose)
* matrix (2-d array) -> ``{"rownames": [...] | null, "colnames": [...] | null,
  "values": [[row 1], [row 2], ...]}`` (row-major, a list of rows)
* named atomic vector (or 1-d table) -> ``{"names": [...], "values": [...]}``
* unnamed atomic vector of length 1 -> the value; otherwise a list of values
* named list -> object (names must be unique and non-empty); unnamed list -> list
* factor -> its labels; logical -> true/false; integer -> int; double -> float

Values: NA -> ``null``; ``NaN``, ``Inf``, ``-Inf`` -> the strings
``"NaN"``, ``"Inf"``, ``"-Inf"``; doubles are Python floats (written by
``repr``, exact). Other attributes (``class``, ``heading``, ...) are dropped:
an extractor returns what it wants kept as separate list elements.

Python -> R (:func:`py_to_r`) builds the case list handed to the extractors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

INT_NA = -(2**31)


def _ri() -> Any:
    import rpy2.rinterface as ri

    return ri


def _attr(obj: Any, name: str) -> Any:
    ri = _ri()
    try:
        v = obj.do_slot(name)
    except LookupError:
        return None
    if v is ri.NULL:
        return None
    return v


def _classes(obj: Any) -> list[str]:
    return list(obj.rclass)


def _strings(obj: Any) -> list[str | None]:
    ri = _ri()
    return [None if s is ri.NA_Character else str(s) for s in obj]


def _doubles(obj: Any) -> list[Any]:
    if len(obj) == 0:
        return []
    arr = np.array(obj.memoryview(), dtype=np.float64, copy=True).ravel(order="K")
    low = arr.view(np.uint64) & np.uint64(0xFFFFFFFF)
    out: list[Any] = []
    for x, lw in zip(arr.tolist(), low.tolist()):
        if x != x:
            out.append(None if lw == 1954 else "NaN")
        elif x == float("inf"):
            out.append("Inf")
        elif x == float("-inf"):
            out.append("-Inf")
        else:
            out.append(x)
    return out


def _ints(obj: Any) -> list[int | None]:
    if len(obj) == 0:
        return []
    arr = np.array(obj.memoryview(), dtype=np.int32, copy=True).ravel(order="K")
    return [None if v == INT_NA else int(v) for v in arr.tolist()]


def _logicals(obj: Any) -> list[bool | None]:
    if len(obj) == 0:
        return []
    arr = np.array(obj.memoryview(), dtype=np.int32, copy=True).ravel(order="K")
    return [None if v == INT_NA else bool(v) for v in arr.tolist()]


def atomic_values(obj: Any) -> list[Any]:
    """The values of an atomic R vector as JSON values (factors as labels)."""
    ri = _ri()
    t = obj.typeof
    if t == ri.RTYPES.INTSXP and "factor" in _classes(obj):
        levels = _strings(_attr(obj, "levels"))
        return [None if c is None else levels[c - 1] for c in _ints(obj)]
    if t == ri.RTYPES.REALSXP:
        return _doubles(obj)
    if t == ri.RTYPES.INTSXP:
        return _ints(obj)
    if t == ri.RTYPES.LGLSXP:
        return _logicals(obj)
    if t == ri.RTYPES.STRSXP:
        return _strings(obj)
    if t == ri.RTYPES.CPLXSXP:
        raise TypeError("complex vectors have no golden representation")
    raise TypeError(f"not an atomic vector: R type {t}")


def _rownames(df: Any) -> list[str]:
    import rpy2.robjects as ro

    return [str(s) for s in ro.baseenv["rownames"](df)]


def r_to_json(obj: Any) -> Any:
    """Convert an R object (rpy2 Sexp) to the golden's JSON value (see module doc)."""
    ri = _ri()
    if obj is ri.NULL:
        return None
    t = obj.typeof
    classes = _classes(obj)
    if t == ri.RTYPES.VECSXP:
        if "data.frame" in classes:
            names = _strings(_attr(obj, "names") or [])
            cols = {}
            for nm, col in zip(names, obj):
                if nm in cols:
                    raise ValueError(f"duplicated data frame column name {nm!r}")
                cols[nm] = _plain(col)
            return {"rownames": _rownames(obj), "colnames": names, "columns": cols}
        names_attr = _attr(obj, "names")
        items = list(obj)
        if names_attr is None:
            return [r_to_json(x) for x in items]
        names = _strings(names_attr)
        out: dict[str, Any] = {}
        for nm, x in zip(names, items):
            if not nm or nm in out:
                raise ValueError(f"list names must be unique and non-empty: {names}")
            out[nm] = r_to_json(x)
        return out
    if t in (ri.RTYPES.CLOSXP, ri.RTYPES.BUILTINSXP, ri.RTYPES.SPECIALSXP,
             ri.RTYPES.ENVSXP, ri.RTYPES.LANGSXP, ri.RTYPES.SYMSXP):
        raise TypeError(f"R object of type {t} has no golden representation; deparse it in R")
    values = atomic_values(obj)
    dim = _attr(obj, "dim")
    if dim is not None and len(dim) == 2:
        nr, nc = int(dim[0]), int(dim[1])
        dn = _attr(obj, "dimnames")
        rn = cn = None
        if dn is not None:
            rn = None if dn[0] is ri.NULL else _strings(dn[0])
            cn = None if dn[1] is ri.NULL else _strings(dn[1])
        rows = [[values[i + j * nr] for j in range(nc)] for i in range(nr)]
        return {"rownames": rn, "colnames": cn, "values": rows}
    names_attr = _attr(obj, "names")
    if names_attr is None and dim is not None and len(dim) == 1:
        dn = _attr(obj, "dimnames")
        if dn is not None and dn[0] is not ri.NULL:
            names_attr = dn[0]
    if names_attr is not None:
        return {"names": _strings(names_attr), "values": values}
    if len(values) == 1:
        return values[0]
    return values


def _plain(col: Any) -> Any:
    """A data frame column: atomic values (names dropped), or converted generically."""
    ri = _ri()
    if col.typeof in (ri.RTYPES.REALSXP, ri.RTYPES.INTSXP, ri.RTYPES.LGLSXP, ri.RTYPES.STRSXP):
        dim = _attr(col, "dim")
        if dim is None or len(dim) < 2:
            return atomic_values(col)
    return r_to_json(col)


# --------------------------------------------------------------------------
# data frames as the golden's data representation


def column_type(col: Any) -> str:
    """R's type of a data frame column in the golden's vocabulary."""
    ri = _ri()
    classes = _classes(col)
    t = col.typeof
    if "factor" in classes:
        return "ordered" if "ordered" in classes else "factor"
    if _attr(col, "dim") is not None:
        raise TypeError("matrix columns have no data representation")
    allowed = {"numeric", "integer", "logical", "character", "AsIs"}
    extra = [c for c in classes if c not in allowed]
    if extra:
        raise TypeError(f"column of class {classes} has no data representation")
    return {
        ri.RTYPES.REALSXP: "numeric",
        ri.RTYPES.INTSXP: "integer",
        ri.RTYPES.LGLSXP: "logical",
        ri.RTYPES.STRSXP: "character",
    }[t]


def data_frame_repr(df: Any, name: str | None = None) -> dict[str, Any]:
    """The golden's ``data`` object (``hlm_py.datasets.to_repr`` format) of an R data frame."""
    if "data.frame" not in _classes(df):
        raise TypeError("not a data frame")
    names = _strings(_attr(df, "names"))
    columns = []
    for nm, col in zip(names, df):
        typ = column_type(col)
        entry: dict[str, Any] = {"name": nm, "type": typ}
        if typ in ("factor", "ordered"):
            entry["levels"] = _strings(_attr(col, "levels"))
        entry["values"] = atomic_values(col)
        columns.append(entry)
    return {"name": name, "row_names": _rownames(df), "columns": columns}


# --------------------------------------------------------------------------
# Python -> R


def py_to_r(v: Any) -> Any:
    """A JSON-like Python value as an R object: dict -> named list, list of
    scalars -> atomic vector (None -> NA), list of others -> list."""
    ri = _ri()
    if v is None:
        return ri.NULL
    if isinstance(v, bool):
        return ri.BoolSexpVector([v])
    if isinstance(v, int):
        return ri.IntSexpVector([v])
    if isinstance(v, float):
        return ri.FloatSexpVector([v])
    if isinstance(v, str):
        return ri.StrSexpVector([v])
    if isinstance(v, dict):
        lst = ri.ListSexpVector([py_to_r(x) for x in v.values()])
        lst.do_slot_assign("names", ri.StrSexpVector([str(k) for k in v.keys()]))
        return lst
    if isinstance(v, (list, tuple)):
        items = list(v)
        scalars = [x for x in items if x is not None]
        if items and all(isinstance(x, (bool, int, float, str)) for x in scalars):
            if not scalars or all(isinstance(x, bool) for x in scalars):
                return ri.BoolSexpVector([ri.NA_Logical if x is None else x for x in items])
            if all(isinstance(x, str) for x in scalars):
                return ri.StrSexpVector([ri.NA_Character if x is None else x for x in items])
            if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in scalars):
                return ri.FloatSexpVector([ri.NA_Real if x is None else float(x) for x in items])
            raise TypeError(f"mixed vector {items!r}")
        return ri.ListSexpVector([py_to_r(x) for x in items])
    raise TypeError(f"cannot convert {type(v).__name__} to R")
