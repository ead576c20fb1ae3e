"""What nlme 3.1-162 prints for a correlation structure in a fit.

``print.gls``, ``print.lme`` and their summaries print a fit's ``corStruct``
with ``print(summary(corStruct))``: nlme's ``print.summary.corStruct`` (the
structure's name, its formula, ``coef(x, unconstrained = FALSE)`` as a named
vector), ``print.summary.corSymm`` (the correlations as nlme's
``print.correlation``: lower triangle, rounded to 3 digits) and
``print.summary.corCompSymm``. Written from nlme's R code on R's print rules
(``digits = 7``, ``width = 80``).
"""

from __future__ import annotations

import numpy as np

from hlm_py.printing.matrixprint import print_named_vector, print_string_matrix
from hlm_py.printing.rformat import abbreviate, round_r
from hlm_py.rbase.formatnum import format_real
from hlm_py.structs.base import BoundCorStruct

__all__ = ["render_corstruct", "correlation_lines"]


def correlation_lines(values: np.ndarray, labels: list[str], rdig: int = 3,
                      title: str = " Correlation:") -> list[str]:
    """nlme's ``print.correlation`` of the correlation matrix whose lower
    triangle (``lower.tri`` order) is ``values``, with dimnames ``labels``."""
    p = len(labels)
    if p <= 1:
        return []
    cells = [["" for _ in range(p)] for _ in range(p)]
    fmt = format_real([float(round_r(float(v), rdig)) for v in values], digits=7)
    k = 0
    for j in range(p):
        for i in range(j + 1, p):
            cells[i][j] = fmt[k]
            k += 1
    cols = abbreviate(list(labels), minlength=rdig + 3)
    sub = [row[: p - 1] for row in cells[1:]]
    return [title + " ", print_string_matrix(sub, labels[1:], cols[: p - 1], right=False)]


def render_corstruct(bound: BoundCorStruct, theta: np.ndarray) -> str:
    """R's ``print(summary(corStruct))`` as ``print.gls`` / ``print.lme`` and
    the summaries show it, for the bound structure at ``theta`` (its block of
    the fit's parameters). The text has no final newline."""
    r_class = str(getattr(bound, "r_class", "corStruct"))
    name = str(getattr(bound, "struct_name", r_class))
    formula = str(getattr(bound, "formula_text", "~1"))
    vals = np.asarray(bound.coef(theta, unconstrained=False), dtype=float)
    if r_class == "corSymm":
        m = int(getattr(bound, "max_cov", 0))
        if vals.size == 0 or m <= 1:
            return "Uninitialized correlation structure of class corSymm"
        lines = ["Correlation Structure: General", f" Formula: {formula} ",
                 " Parameter estimate(s):"]
        lines += correlation_lines(vals, [str(i + 1) for i in range(m)])
        return "\n".join(lines)
    if r_class == "corCompSymm" and vals.size == 0:
        return "Uninitialized correlation structure of class corCompSymm"
    lines = [f"Correlation Structure: {name}", f" Formula: {formula} ",
             " Parameter estimate(s):"]
    names = bound.constrained_names()
    if vals.size:
        lines.append(print_named_vector(vals, names))
    else:
        lines.append("numeric(0)")
    return "\n".join(lines)
