"""Self-contained reproducers for failing property and differential examples.

A failing example prints (through Hypothesis's ``note()``, shown with the
falsifying example) everything needed to see the failure again outside the
test suite, and to turn it into a golden case in one step:

* the data as CSV (numbers with ``repr``: 17 significant digits at most, read
  back exactly by pandas 3's parser and, for these magnitudes, by R), with the type and
  level order of every column;
* the R code: reads the CSV from the text, rebuilds factors with their
  levels, runs the call;
* the Python code doing the same with hlm_py;
* a ``Case(...)`` for ``r_reference/cases``: its ``data`` is an R expression
  that builds the data frame without any file.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import note


def column_type(col: pd.Series) -> str:
    """The golden-file type of a column: numeric, integer, logical, character, factor, ordered."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "ordered" if dtype.ordered else "factor"
    if pd.api.types.is_bool_dtype(dtype):
        return "logical"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "numeric"
    return "character"


def _cell(v: Any, kind: str) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "NA"
    if kind == "numeric":
        f = float(v)
        if math.isinf(f):
            return "Inf" if f > 0 else "-Inf"
        return repr(f)
    if kind == "integer":
        return str(int(v))
    if kind == "logical":
        return "TRUE" if bool(v) else "FALSE"
    return str(v)


def csv_text(df: pd.DataFrame) -> str:
    """The data as CSV: first column the row names, NA as ``NA``."""
    kinds = {c: column_type(df[c]) for c in df.columns}
    out = io.StringIO()
    out.write(",".join(['""'] + [f'"{c}"' for c in df.columns]) + "\n")
    for label, row in zip(df.index, df.itertuples(index=False, name=None)):
        cells = [f'"{label}"'] + [
            (f'"{_cell(v, kinds[c])}"' if kinds[c] in ("character", "factor", "ordered")
             and _cell(v, kinds[c]) != "NA" else _cell(v, kinds[c]))
            for c, v in zip(df.columns, row)]
        out.write(",".join(cells) + "\n")
    return out.getvalue()


def _r_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _r_chars(values: list[str]) -> str:
    return "c(" + ", ".join(_r_str(v) for v in values) + ")"


_R_CLASS = {"numeric": "numeric", "integer": "integer", "logical": "logical",
            "character": "character", "factor": "character", "ordered": "character"}


def r_data_code(df: pd.DataFrame, name: str = "d") -> str:
    """R code that builds ``name`` from the CSV text, types and levels exact."""
    kinds = {c: column_type(df[c]) for c in df.columns}
    classes = ", ".join(f"{_r_str(str(c))} = {_r_str(_R_CLASS[k])}" for c, k in kinds.items())
    lines = [
        'invisible(Sys.setlocale("LC_ALL", "C.UTF-8"))  # the project R locale: level order of strings',
        "suppressPackageStartupMessages(library(nlme))",
        f"{name} <- read.csv(text = '\n{csv_text(df)}', row.names = 1, check.names = FALSE,",
        f"  na.strings = \"NA\", colClasses = c(\"character\", {classes}))",
    ]
    for c, k in kinds.items():
        if k in ("factor", "ordered"):
            levels = [str(x) for x in df[c].cat.categories]
            ordered = ", ordered = TRUE" if k == "ordered" else ""
            lines.append(f"{name}[[{_r_str(str(c))}]] <- factor({name}[[{_r_str(str(c))}]], "
                         f"levels = {_r_chars(levels)}{ordered})")
    return "\n".join(lines)


def r_data_expression(df: pd.DataFrame) -> str:
    """One R expression building the frame: ``data.frame(y = c(...), f = factor(...), ...)``."""
    parts = []
    for c in df.columns:
        k = column_type(df[c])
        cells = [_cell(v, k) for v in df[c].astype(object)]
        if k in ("character", "factor", "ordered"):
            vec = "c(" + ", ".join("NA" if v == "NA" and pd.isna(x) else _r_str(v)
                                   for v, x in zip(cells, df[c].astype(object))) + ")"
            if k != "character":
                levels = [str(x) for x in df[c].cat.categories]
                vec = (f"factor({vec}, levels = {_r_chars(levels)}"
                       f"{', ordered = TRUE' if k == 'ordered' else ''})")
        elif k == "integer":
            vec = "c(" + ", ".join(v if v == "NA" else f"{v}L" for v in cells) + ")"
        else:
            vec = "c(" + ", ".join(cells) + ")"
        parts.append(f"{_r_str(str(c)) if not str(c).isidentifier() else c} = {vec}")
    rn = [str(i) for i in df.index]
    default_rn = rn == [str(i) for i in range(1, len(df) + 1)]
    tail = "" if default_rn else f", row.names = {_r_chars(rn)}"
    return f"data.frame({', '.join(parts)}, check.names = FALSE, stringsAsFactors = FALSE{tail})"


_PY_DTYPE = {"numeric": "float", "integer": "Int64", "logical": "boolean",
             "character": "object", "factor": "object", "ordered": "object"}


def py_data_code(df: pd.DataFrame, name: str = "d") -> str:
    """Python code that builds ``name`` from the CSV text, types and levels exact."""
    kinds = {c: column_type(df[c]) for c in df.columns}
    dtypes = {str(c): _PY_DTYPE[k] for c, k in kinds.items()}
    lines = [
        "import io",
        "import numpy as np",
        "import pandas as pd",
        "import hlm_py as hlm",
        f'{name} = pd.read_csv(io.StringIO("""{csv_text(df)}"""), index_col=0,',
        f"    dtype={dtypes!r}, keep_default_na=False, na_values=['NA'])",
    ]
    if isinstance(df.index, pd.RangeIndex) or pd.api.types.is_integer_dtype(df.index.dtype):
        lines.append(f"{name}.index = {name}.index.astype(int)")
    for c, k in kinds.items():
        if k in ("factor", "ordered"):
            levels = [str(x) for x in df[c].cat.categories]
            lines.append(f"{name}[{str(c)!r}] = pd.Categorical({name}[{str(c)!r}], "
                         f"categories={levels!r}, ordered={k == 'ordered'})")
        elif k == "integer" and not df[c].isna().any():
            lines.append(f"{name}[{str(c)!r}] = {name}[{str(c)!r}].astype('int64')")
        elif k == "logical" and not df[c].isna().any():
            lines.append(f"{name}[{str(c)!r}] = {name}[{str(c)!r}].astype(bool)")
        elif k == "character":
            lines.append(f"{name}[{str(c)!r}] = {name}[{str(c)!r}].astype(object)"
                         f".where({name}[{str(c)!r}].notna(), None)")
    return "\n".join(lines)


def read_back(df: pd.DataFrame) -> pd.DataFrame:
    """Execute :func:`py_data_code` and return the frame (the reproducer's own test)."""
    ns: dict[str, Any] = {}
    code = "\n".join(line for line in py_data_code(df).splitlines()
                     if line != "import hlm_py as hlm")
    exec(code, ns)  # noqa: S102 - our own generated code
    return ns["d"]


def case_spec(kind: str, df: pd.DataFrame, args: dict[str, Any], *, name: str = "prop_case",
              note_text: str = "found by a property test", newdata: pd.DataFrame | None = None) -> str:
    """A ``Case(...)`` for ``r_reference/cases/<kind>.py``."""
    nd = ""
    if newdata is not None:
        cols = {str(c): [None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v)
                         for v in newdata[c].astype(object)] for c in newdata.columns}
        nd = f"\n     newdata={cols!r},"
    return (f"Case(name={name!r}, kind={kind!r},\n"
            f"     data={r_data_expression(df)!r},\n"
            f"     data_name='d', args={args!r},{nd}\n"
            f"     note={note_text!r})")


def reproducer(title: str, df: pd.DataFrame, r_code: str, py_code: str, *,
               kind: str | None = None, args: dict[str, Any] | None = None,
               newdata: pd.DataFrame | None = None, extra: str = "") -> str:
    """The whole reproducer text."""
    parts = [f"===== reproducer: {title} =====",
             "--- data (CSV; first column = row names) ---", csv_text(df).rstrip(),
             "--- column types ---",
             ", ".join(f"{c}: {column_type(df[c])}"
                       + (f" {list(map(str, df[c].cat.categories))}"
                          if column_type(df[c]) in ("factor", "ordered") else "")
                       for c in df.columns),
             "--- R ---", r_data_code(df, "d")]
    if newdata is not None:
        parts.append(r_data_code(newdata, "nd").split("\n", 1)[1])
    parts += [r_code, "--- Python ---", py_data_code(df, "d")]
    if newdata is not None:
        parts.append("\n".join(py_data_code(newdata, "nd").splitlines()[4:]))
    parts.append(py_code)
    if kind and args is not None:
        parts += ["--- golden case (r_reference/cases) ---", case_spec(kind, df, args, newdata=newdata)]
    if extra:
        parts += ["--- details ---", extra]
    parts.append("=" * 40)
    return "\n".join(parts)


def emit(title: str, df: pd.DataFrame, r_code: str, py_code: str, **kw: Any) -> str:
    """Attach the reproducer to the current Hypothesis example (printed if it fails)."""
    text = reproducer(title, df, r_code, py_code, **kw)
    note(text)
    return text
