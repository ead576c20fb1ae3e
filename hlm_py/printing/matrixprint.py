"""R's ``print.default`` for vectors and matrices, and ``print.data.frame``.

Written from R 4.2.2's ``src/main/printvector.c`` (``printRealVector``,
``printNamedVector``) and ``src/main/printarray.c`` (``printRealMatrix``,
``printStringMatrix``) with ``width = 80``, ``quote = FALSE``. Every function
returns the printed text without its final newline (what
``paste(capture.output(print(x)), collapse = "\\n")`` gives in R).

Widths are counted in characters (R counts display columns; the two agree for
the ASCII and Latin names these tables hold).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from hlm_py.rbase.formatnum import DIGITS, NA_STRING, format_real
from hlm_py.rbase.formatreal import encode_real, format_info

__all__ = [
    "WIDTH",
    "index_width",
    "print_vector",
    "print_named_vector",
    "print_named_strings",
    "print_matrix",
    "print_string_matrix",
    "print_data_frame",
    "print_series",
    "print_row",
]

#: R's ``getOption("width")``.
WIDTH = 80


def index_width(n: int) -> int:
    """R's ``IndexWidth``: digits of the largest index label."""
    return int(math.log10(n + 0.5) + 1)


def _encode_string(s: str, w: int, right: bool) -> str:
    return s.rjust(w) if right else s.ljust(w)


def print_vector(
    values: Sequence[float],
    digits: int = DIGITS,
    gap: int = 1,
    width: int = WIDTH,
    na_string: str = NA_STRING,
) -> str:
    """R's ``print`` of an unnamed numeric vector (``[1]`` index labels, wrapped)."""
    vals = [float(v) for v in values]
    n = len(vals)
    if n == 0:
        return "numeric(0)"
    w, d, e = format_info(vals, digits, na_width=len(na_string))
    w += gap
    labwidth = index_width(n) + 2
    lines: list[str] = []

    def label(i: int) -> str:
        return " " * (labwidth - index_width(i) - 2) + f"[{i}]"

    cur = label(1)
    cur_w = labwidth
    for i, v in enumerate(vals):
        if i > 0 and cur_w + w > width:
            lines.append(cur)
            cur = label(i + 1)
            cur_w = labwidth
        cur += encode_real(v, w, d, e, na_string)
        cur_w += w
    lines.append(cur)
    return "\n".join(lines)


def _named_layout(cells: Sequence[str], names: Sequence[str], w: int, gap: int, width: int) -> str:
    wn = max((len(s) for s in names), default=0)
    w = max(w, wn)
    n = len(cells)
    nperline = width // (w + gap)
    if nperline <= 0:
        nperline = 1
    lines: list[str] = []
    for start in range(0, n, nperline):
        chunk = range(start, min(n, start + nperline))
        lines.append("".join(names[k].rjust(w) + " " * gap for k in chunk))
        lines.append("".join(cells[k].rjust(w) + " " * gap for k in chunk))
    return "\n".join(lines)


def print_named_vector(
    values: Iterable[float],
    names: Sequence[str],
    digits: int = DIGITS,
    gap: int = 1,
    width: int = WIDTH,
    na_string: str = NA_STRING,
) -> str:
    """R's ``print`` of a named numeric vector: names over values, wrapped at ``width``.

    All values share one format (``formatReal`` at ``digits``); each column is as
    wide as the widest name or value; every cell is followed by ``gap`` blanks
    (so R's lines end in blanks).
    """
    vals = [float(v) for v in values]
    if len(vals) != len(names):
        raise ValueError("names and values differ in length")
    if not vals:
        return "named numeric(0)"
    w, d, e = format_info(vals, digits, na_width=len(na_string))
    cells = [encode_real(v, w, d, e, na_string) for v in vals]
    return _named_layout(cells, [str(s) for s in names], w, gap, width)


def print_named_strings(
    strings: Sequence[str],
    names: Sequence[str],
    gap: int = 1,
    width: int = WIDTH,
) -> str:
    """R's ``print(x, quote = FALSE)`` of a named character vector (right-justified cells)."""
    if len(strings) != len(names):
        raise ValueError("names and values differ in length")
    if not strings:
        return "named character(0)"
    w = max(len(s) for s in strings)
    return _named_layout(list(strings), [str(s) for s in names], w, gap, width)


def print_series(s: pd.Series, digits: int = DIGITS, gap: int = 1) -> str:
    """A pandas Series printed as R prints a named numeric vector."""
    return print_named_vector(s.to_numpy(dtype=float), [str(i) for i in s.index], digits, gap)


def _column_blocks(rlabw: int, widths: Sequence[int], extra: int, width: int) -> list[range]:
    """Split columns into blocks the way ``_PRINT_MATRIX_`` does."""
    blocks = []
    c = len(widths)
    jmin = 0
    while jmin < c:
        tot = rlabw
        jmax = jmin
        while True:
            tot += widths[jmax] + extra
            jmax += 1
            if not (jmax < c and tot + widths[jmax] + extra < width):
                break
        blocks.append(range(jmin, jmax))
        jmin = jmax
    return blocks


def _row_labels(rownames: Sequence[str] | None, nrow: int) -> tuple[list[str], int]:
    if rownames is not None:
        labs = [str(s) for s in rownames]
        rlabw = max((len(s) for s in labs), default=0)
        return [s.ljust(rlabw) for s in labs], rlabw
    rlabw = index_width(nrow + 1) + 3
    labs = [" " * (rlabw - 3 - index_width(i + 1)) + f"[{i + 1},]" for i in range(nrow)]
    return labs, rlabw


def print_matrix(
    values,
    rownames: Sequence[str] | None = None,
    colnames: Sequence[str] | None = None,
    digits: int = DIGITS,
    gap: int = 1,
    width: int = WIDTH,
    na_string: str = NA_STRING,
) -> str:
    """R's ``print`` of a numeric matrix: each column formatted on its own.

    Column labels are right-justified over their columns; row labels are
    left-justified; columns that do not fit in ``width`` continue in a further
    block below, as R does.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ValueError("'values' must be a matrix")
    r, c = x.shape
    if r == 0 and c == 0:
        return "<0 x 0 matrix>"
    labs, rlabw = _row_labels(rownames, r)
    fmts = []
    widths = []
    for j in range(c):
        f = format_info(x[:, j], digits, na_width=len(na_string)) if r else (0, 0, 0)
        clabw = len(str(colnames[j])) if colnames is not None else index_width(j + 1) + 3
        fmts.append(f)
        widths.append(max(f[0], clabw) + gap)
    lines: list[str] = []
    if c == 0:
        lines.append(" " * rlabw)
        lines.extend(labs)
        return "\n".join(lines)
    for block in _column_blocks(rlabw, widths, 0, width):
        head = " " * rlabw
        for j in block:
            if colnames is not None:
                head += str(colnames[j]).rjust(widths[j])
            else:
                head += f"[,{j + 1}]".rjust(widths[j])
        lines.append(head)
        for i in range(r):
            row = labs[i]
            for j in block:
                _, d, e = fmts[j]
                row += encode_real(x[i, j], widths[j], d, e, na_string)
            lines.append(row)
    return "\n".join(lines)


def print_row(
    values: Sequence[float], row_label: str, colnames: Sequence[str], digits: int = DIGITS
) -> str:
    """A one-row numeric matrix, e.g. nlme's ``StdDev:`` line under ``Random effects``
    (``print(array(sd, c(1, p), list("StdDev:", names)))``)."""
    return print_matrix(np.asarray([list(values)], dtype=float), [row_label], colnames, digits)


def print_string_matrix(
    cells: Sequence[Sequence[str]],
    rownames: Sequence[str] | None = None,
    colnames: Sequence[str] | None = None,
    right: bool = False,
    gap: int = 1,
    width: int = WIDTH,
) -> str:
    """R's ``print(m, quote = FALSE, right =)`` of a character matrix.

    Column width is the widest cell or label; cells and (for ``right = TRUE``)
    labels are right-justified, else left-justified.
    """
    rows = [list(map(str, row)) for row in cells]
    r = len(rows)
    c = len(colnames) if colnames is not None else (len(rows[0]) if rows else 0)
    labs, rlabw = _row_labels(rownames, r)
    widths = []
    for j in range(c):
        w = max((len(rows[i][j]) for i in range(r)), default=0)
        clabw = len(str(colnames[j])) if colnames is not None else index_width(j + 1) + 3
        widths.append(max(w, clabw))
    lines: list[str] = []
    if c == 0:
        lines.append(" " * rlabw)
        lines.extend(labs)
        return "\n".join(lines)
    for block in _column_blocks(rlabw, widths, gap, width):
        head = " " * rlabw
        for j in block:
            lab = str(colnames[j]) if colnames is not None else f"[,{j + 1}]"
            if colnames is None:
                head += " " * gap + lab.rjust(widths[j])
            elif right:
                head += " " * gap + lab.rjust(widths[j])
            else:
                head += " " * gap + lab.ljust(widths[j])
        lines.append(head)
        for i in range(r):
            row = labs[i]
            for j in block:
                row += " " * gap + _encode_string(rows[i][j], widths[j], right)
            lines.append(row)
    return "\n".join(lines)


def _format_column(col: pd.Series, digits: int) -> list[str]:
    if pd.api.types.is_bool_dtype(col):
        strs = ["TRUE" if v else "FALSE" for v in col]
        w = max(len(s) for s in strs)
        return [s.rjust(w) for s in strs]
    if pd.api.types.is_numeric_dtype(col):
        return format_real(col.to_numpy(dtype=float), digits=digits)
    strs = [NA_STRING if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
            for v in col]
    return strs


def print_data_frame(df: pd.DataFrame, digits: int = DIGITS, row_names: bool = True) -> str:
    """R's ``print.data.frame`` (numeric, logical and text columns).

    Each column is formatted on its own (``format.data.frame``), then printed
    as a character matrix with ``right = TRUE``.
    """
    nrow, ncol = df.shape
    if ncol == 0:
        return f"data frame with 0 columns and {nrow} rows"
    if nrow == 0:
        names = " ".join(str(c) for c in df.columns)
        return f"[1] {names}\n<0 rows> (or 0-length row.names)"
    cols = [_format_column(df.iloc[:, j], digits) for j in range(ncol)]
    cells = [[cols[j][i] for j in range(ncol)] for i in range(nrow)]
    rn = [str(i) for i in df.index] if row_names else [""] * nrow
    return print_string_matrix(cells, rn, [str(c) for c in df.columns], right=True)
