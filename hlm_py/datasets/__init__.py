"""R's data sets, shipped with hlm_py, and the column representation of goldens.

``load(name)`` returns a :class:`pandas.DataFrame` equal, value for value, to
the data frame R holds under that name (``datasets::mtcars``,
``nlme::Orthodont``, ``mlmRev::Hsb82``, ...). The files were written from R by
``r_reference/export_datasets.py``; each data set is a CSV file plus a JSON
schema (column types, factor levels, checksum).

Column types (R -> pandas):

==========  ===========================================================
R           pandas
==========  ===========================================================
numeric     ``float64`` (NA -> NaN)
integer     ``int64``; ``Int64`` (nullable) when the column has NA
logical     ``bool``; ``boolean`` (nullable) when the column has NA
character   ``object`` holding ``str`` (NA -> ``None``)
factor      ``pd.Categorical`` with R's levels as categories, in R's order
ordered     ``pd.Categorical(..., ordered=True)``
==========  ===========================================================

Row names: R's row names become the index. Row names that are all decimal
integers (R's automatic ``1..n``, or e.g. ``longley``'s years) become an
integer index -- ``pd.RangeIndex(1, n + 1)`` for ``1..n`` -- so that
``str(label)`` is R's row name and ``df.loc[k]`` is R's ``df["k", ]``. Other
row names (``mtcars``' car names) become an index of strings. Differs from R:
pandas cannot tell R's automatic row names from the explicit ``"1".."n"``,
nor a numeric ``NaN`` from ``NA`` (both are ``NaN``; both written as NA).

``df.attrs["name"]`` is the data set's name (what R prints as
``data = mtcars`` in a call).

The representation (``to_repr`` / ``from_repr``) is the golden files'
``data`` object of docs/internals.md::

    {"name": "mtcars", "row_names": ["Mazda RX4", ...],
     "columns": [{"name": "mpg", "type": "numeric", "values": [21.0, ...]},
                 {"name": "cyl", "type": "factor", "levels": ["4", "6", "8"],
                  "values": ["6", ...]}]}

NA is ``None``; ``Inf``/``-Inf``/``NaN`` in numeric columns are the strings
``"Inf"``, ``"-Inf"``, ``"NaN"``. ``checksum`` is the sha256 of the canonical
JSON (sorted keys, no spaces, UTF-8, floats by ``repr``) of ``{"row_names",
"columns"}`` (the name is not part of it).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.errors import HlmError

__all__ = ["load", "names", "to_repr", "from_repr", "checksum", "schema", "number_to_json", "COLUMN_TYPES"]

DATA_DIR = Path(__file__).resolve().parent
COLUMN_TYPES = ("numeric", "integer", "logical", "character", "factor", "ordered")
_INT_RE = re.compile(r"^-?(0|[1-9][0-9]*)$")
# The CSV token for NA. A character or factor value equal to it cannot be
# shipped (the exporter refuses one).
NA_TOKEN = "NA"


class UnknownDatasetError(HlmError):
    """``load`` was asked for a data set hlm_py does not ship."""


def names() -> list[str]:
    """The names of the shipped data sets, sorted."""
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """The JSON schema of a shipped data set: source, columns, levels, sha256."""
    path = DATA_DIR / f"{name}.json"
    if not path.is_file():
        raise UnknownDatasetError(
            f"no data set '{name}' in hlm_py.datasets; available: {', '.join(names())}"
        )
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def _load_repr(name: str) -> dict[str, Any]:
    sch = schema(name)
    cols = sch["columns"]
    with open(DATA_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    has_rn = sch["row_names"] == "column"
    offset = 1 if has_rn else 0
    if header[offset:] != [c["name"] for c in cols]:
        raise HlmError(f"data set '{name}': CSV header does not match its schema")
    if len(body) != sch["nrow"]:
        raise HlmError(f"data set '{name}': {len(body)} rows, schema says {sch['nrow']}")
    row_names = [r[0] for r in body] if has_rn else [str(i) for i in range(1, len(body) + 1)]
    columns = []
    for j, col in enumerate(cols):
        raw = [r[j + offset] for r in body]
        entry: dict[str, Any] = {"name": col["name"], "type": col["type"]}
        if col["type"] in ("factor", "ordered"):
            entry["levels"] = list(col["levels"])
        entry["values"] = [_parse_cell(v, col["type"]) for v in raw]
        columns.append(entry)
    return {"name": name, "row_names": row_names, "columns": columns}


def _parse_cell(text: str, typ: str) -> Any:
    if text == NA_TOKEN:
        return None
    if typ == "numeric":
        if text in ("Inf", "-Inf", "NaN"):
            return text
        return float(text)
    if typ == "integer":
        return int(text)
    if typ == "logical":
        if text == "TRUE":
            return True
        if text == "FALSE":
            return False
        raise HlmError(f"bad logical value {text!r} in a shipped data set")
    return text


def load(name: str) -> pd.DataFrame:
    """R's data set ``name`` as a DataFrame (a fresh copy on every call).

    Mirrors R's ``data(name)`` / ``pkg::name``: columns, types, factor levels,
    row names and values are R's. nlme's ``groupedData`` objects come as plain
    data frames (their formula and label attributes are dropped). ``hsb`` is
    ``mlmRev::Hsb82`` with the seed's column names (``id`` is ``school``,
    ``minority`` is ``minrty``, ``female`` is ``sx``, ``mathach`` is ``mAch``);
    the types are Hsb82's (``id`` an ordered factor; ``minority``, ``female``,
    ``sector`` factors).
    """
    df = from_repr(_load_repr(name))
    df.attrs["name"] = name
    return df


# --------------------------------------------------------------------------
# the representation


def _index_from_row_names(row_names: list[str]) -> pd.Index:
    n = len(row_names)
    if all(_INT_RE.match(r) for r in row_names):
        ints = [int(r) for r in row_names]
        if ints == list(range(1, n + 1)):
            return pd.RangeIndex(1, n + 1)
        return pd.Index(np.asarray(ints, dtype=np.int64))
    return pd.Index(row_names, dtype=object)


def from_repr(d: dict[str, Any]) -> pd.DataFrame:
    """Build the DataFrame of a golden's ``data`` object (see module docstring)."""
    out: dict[str, Any] = {}
    for col in d["columns"]:
        typ, vals = col["type"], col["values"]
        has_na = any(v is None for v in vals)
        arr: Any
        if typ == "numeric":
            arr = np.array([_num_from_json(v) for v in vals], dtype=np.float64)
        elif typ == "integer":
            if has_na:
                arr = pd.array(vals, dtype="Int64")
            else:
                arr = np.asarray(vals, dtype=np.int64)
        elif typ == "logical":
            arr = pd.array(vals, dtype="boolean") if has_na else np.asarray(vals, dtype=bool)
        elif typ == "character":
            arr = np.empty(len(vals), dtype=object)
            arr[:] = vals
        elif typ in ("factor", "ordered"):
            levels = list(col["levels"])
            lookup = {lev: i for i, lev in enumerate(levels)}
            try:
                codes = np.asarray(
                    [-1 if v is None else lookup[v] for v in vals], dtype=np.int64
                )
            except KeyError as exc:
                raise HlmError(f"column '{col['name']}': value {exc} is not a level") from None
            cats = pd.Index(levels)
            arr = pd.Categorical.from_codes(codes, categories=cats, ordered=typ == "ordered")
        else:
            raise HlmError(f"column '{col['name']}': unknown column type '{typ}'")
        out[col["name"]] = arr
    index = _index_from_row_names([str(r) for r in d["row_names"]])
    df = pd.DataFrame(out, index=index)
    if d.get("name"):
        df.attrs["name"] = d["name"]
    return df


def _num_from_json(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, str):
        return {"Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}[v]
    return float(v)


def number_to_json(x: Any) -> Any:
    """A double as the golden files write it: NA and NaN as ``None`` (JSON
    null), infinities as ``"Inf"``/``"-Inf"``, other values as the float."""
    if x is None or x is pd.NA:
        return None
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return x


def _column_repr(name: str, s: pd.Series) -> dict[str, Any]:
    dtype = s.dtype
    mask = s.isna().to_numpy()
    values: list[Any]
    if isinstance(dtype, pd.CategoricalDtype):
        levels = [str(c) for c in dtype.categories]
        cats = s.cat.categories
        codes = s.cat.codes.to_numpy()
        values = [None if c < 0 else str(cats[int(c)]) for c in codes]
        return {
            "name": name,
            "type": "ordered" if dtype.ordered else "factor",
            "levels": levels,
            "values": values,
        }
    if pd.api.types.is_bool_dtype(dtype):
        values = [None if m else bool(v) for v, m in zip(s.tolist(), mask)]
        return {"name": name, "type": "logical", "values": values}
    if pd.api.types.is_integer_dtype(dtype):
        values = [None if m else int(v) for v, m in zip(s.tolist(), mask)]
        return {"name": name, "type": "integer", "values": values}
    if pd.api.types.is_float_dtype(dtype):
        return {"name": name, "type": "numeric", "values": [number_to_json(v) for v in s.tolist()]}
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        values = []
        for v, m in zip(s.tolist(), mask):
            if m:
                values.append(None)
            elif isinstance(v, str):
                values.append(v)
            else:
                raise HlmError(
                    f"column '{name}': object column holds a non-string value {v!r}"
                )
        return {"name": name, "type": "character", "values": values}
    raise HlmError(f"column '{name}': dtype {dtype} has no R column type")


def to_repr(df: pd.DataFrame) -> dict[str, Any]:
    """The golden's ``data`` object of a DataFrame: name, row names, typed columns."""
    columns = [_column_repr(str(c), df[c]) for c in df.columns]
    return {
        "name": df.attrs.get("name"),
        "row_names": [str(r) for r in df.index],
        "columns": columns,
    }


def canonical_json(obj: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 text, floats by ``repr``."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def repr_checksum(d: dict[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of a representation's row names and columns."""
    body = {"row_names": d["row_names"], "columns": d["columns"]}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def checksum(df: pd.DataFrame) -> str:
    """sha256 of the canonical JSON of ``to_repr(df)`` (row names and columns)."""
    return repr_checksum(to_repr(df))
