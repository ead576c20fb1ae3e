"""Structure of R's table prints: printCoefmat, matrices, named vectors, data frames.

The inputs are made-up numbers; the assertions are layout rules of R's
print.default / printCoefmat (widths, justification, wrapping, stars), not
output copied from R. Agreement with R's text is checked live in
test_printing_live_r.py and through the goldens.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hlm_py.printing import coefmat, matrixprint

NAN = float("nan")


def test_stars_cut_points_are_closed_on_the_right():
    got = coefmat.signif_stars([0.0, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.07, 0.1, 0.5, 1.0, NAN])
    assert got == ["***", "***", "***", "**", "**", "*", ".", ".", " ", " ", ""]


def test_legend_uses_the_module_quote_choice(monkeypatch):
    assert coefmat.signif_legend() == "0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1"
    monkeypatch.setattr(coefmat, "FANCY_QUOTES", False)
    assert coefmat.signif_legend() == "0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1"
    assert coefmat.legend_lines()[0] == "---"


def _coefs():
    x = np.array([[12.5, 2.5, 5.0, 1e-6],
                  [-0.25, 0.125, -2.0, 0.06],
                  [0.5, 1.0, 0.5, 0.6]])
    return x, ["(Intercept)", "x", "z"], ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]


def test_coefmat_layout():
    x, rn, cn = _coefs()
    lines = coefmat.format_coefmat(x, rn, cn, digits=4).split("\n")
    head, rows, legend = lines[0], lines[1:4], lines[4:]
    assert legend == coefmat.legend_lines()
    # one header and one line per row, all as wide as the header
    assert {len(r) for r in rows} == {len(head)}
    assert head.split() == " ".join(cn).split()
    assert [r.split()[0] for r in rows] == rn
    # row labels are left-justified, the stars column is left-justified
    assert rows[0].startswith("(Intercept) ")
    assert rows[0].endswith("***")
    assert rows[1].endswith(".  ")
    assert rows[2].endswith("   ")
    # estimates and standard errors share one number of decimals
    est = [r.split()[1] for r in rows] + [r.split()[2] for r in rows]
    assert len({len(s.split(".")[1]) for s in est}) == 1


def test_coefmat_without_small_p_has_no_stars_or_legend():
    x, rn, cn = _coefs()
    x[:, 3] = [0.5, 0.6, 0.7]
    text = coefmat.format_coefmat(x, rn, cn, digits=4)
    assert "Signif." not in text
    assert len(text.split("\n")) == 4


def test_coefmat_na_rows_and_tiny_p():
    x, rn, cn = _coefs()
    x[0, 3] = 1e-30
    x[1, :] = NAN
    lines = coefmat.format_coefmat(x, rn, cn, digits=4).split("\n")
    assert lines[1].split()[4] == "<2e-16"
    assert lines[2].split() == ["x", "NA", "NA", "NA", "NA"]
    nanmask = np.zeros_like(x, dtype=bool)
    nanmask[1, 2:] = True
    lines = coefmat.format_coefmat(x, rn, cn, digits=4, nan_mask=nanmask).split("\n")
    assert lines[2].split() == ["x", "NA", "NA", "NaN", "NaN"]


def test_coefmat_p_values_off():
    x, rn, cn = _coefs()
    text = coefmat.format_coefmat(x, rn, cn, digits=4, P_values=False)
    assert "Pr(>|t|)" not in text and "Signif" not in text
    with pytest.raises(ValueError):
        coefmat.format_coefmat(x[:, :3], rn, cn[:3], P_values=True)


def test_numeric_matrix_formats_columns_separately():
    m = np.array([[1.0, 1000.5], [2.25, 3.0]])
    lines = matrixprint.print_matrix(m, ["a", "bb"], ["x", "y"]).split("\n")
    assert lines[0] == "      x      y"
    assert lines[1] == "a  1.00 1000.5"
    assert lines[2] == "bb 2.25    3.0"


def test_matrix_without_dimnames_uses_index_labels():
    lines = matrixprint.print_matrix(np.eye(2)).split("\n")
    assert lines[0].split() == ["[,1]", "[,2]"]
    assert lines[1].startswith("[1,]")


def test_wide_matrix_wraps_into_blocks():
    m = np.arange(40.0).reshape(2, 20) + 0.5
    cols = [f"column{j:02d}" for j in range(20)]
    text = matrixprint.print_matrix(m, ["r1", "r2"], cols)
    lines = text.split("\n")
    assert len(lines) % 3 == 0 and len(lines) > 3
    assert all(len(line) < 80 for line in lines)
    # every column appears exactly once, in order
    heads = " ".join(lines[i] for i in range(0, len(lines), 3)).split()
    assert heads == cols


def test_named_vector_wraps_at_width():
    vals = np.linspace(-1, 1, 30)
    names = [f"name{i}" for i in range(30)]
    text = matrixprint.print_named_vector(vals, names)
    lines = text.split("\n")
    assert len(lines) % 2 == 0
    assert all(len(line) <= 80 for line in lines)
    # a name line then a value line, every cell followed by one blank
    assert all(line.endswith(" ") for line in lines)
    assert " ".join(lines[0::2]).split() == names


def test_unnamed_vector_has_index_labels():
    text = matrixprint.print_vector(np.arange(1.0, 31.0))
    lines = text.split("\n")
    assert lines[0].startswith(" [1]")
    assert all(len(line) <= 80 for line in lines)
    assert matrixprint.print_vector([]) == "numeric(0)"


def test_named_strings_right_justified():
    text = matrixprint.print_named_strings(["1.5", "-2.25"], ["(Intercept)", "x"], gap=2)
    assert text.split("\n") == ["(Intercept)            x  ", "        1.5        -2.25  "]


def test_string_matrix_left_and_right():
    cells = [["a", "bbb"], ["cc", "d"]]
    left = matrixprint.print_string_matrix(cells, ["r1", "r2"], ["X", "Y"], right=False)
    right = matrixprint.print_string_matrix(cells, ["r1", "r2"], ["X", "Y"], right=True)
    assert left.split("\n") == ["   X  Y  ", "r1 a  bbb", "r2 cc d  "]
    assert right.split("\n") == ["    X   Y", "r1  a bbb", "r2 cc   d"]


def test_data_frame_print():
    df = pd.DataFrame({"a": [1.5, NAN], "b": ["x", "yyy"]}, index=["1", "2"])
    assert matrixprint.print_data_frame(df).split("\n") == ["    a   b", "1 1.5   x", "2  NA yyy"]
    assert matrixprint.print_data_frame(df.iloc[:0]).endswith("<0 rows> (or 0-length row.names)")


def test_index_width():
    assert [matrixprint.index_width(n) for n in (1, 9, 10, 99, 100)] == [1, 1, 2, 2, 3]
    assert math.isclose(matrixprint.WIDTH, 80)
