"""R's printed block of a variance function: ``print(summary(varStruct))``
inside ``print`` / ``summary`` of a ``gls`` or ``lme`` fit.

Mirrors nlme's ``print.summary.varFunc``, ``print.summary.varFixed`` and
``print.summary.varComb`` (the parts of a combination print without the
``Variance function:`` header, except varFixed, which always prints it).
The result has no final newline; a structure that prints nothing (varIdent
without strata) gives ``""``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hlm_py.printing.matrixprint import print_matrix, print_named_vector
from hlm_py.structs.varfunc import VarFuncSummary

__all__ = ["render_varfunc", "render_varfunc_summary"]


def _formula_lines(lines: tuple[str, ...]) -> str:
    # cat(paste(" Formula:", deparse(f), "\n")): one element per deparsed line
    return " ".join(f" Formula: {ln} \n" for ln in lines)


def _block(s: VarFuncSummary, header: bool, digits: int = 7) -> str:
    if s.kind == "none":
        return ""
    if s.kind == "fixed":
        return "Variance function:\n Structure: fixed weights\n" + _formula_lines(s.formula_lines)
    if s.kind == "combination":
        out = f"{s.structure} \n"
        for part in s.parts:
            out += _block(part, False, digits)
        return out
    if s.kind == "empty":
        return (f"Variance function structure of class {s.r_class} with no parameters, "
                "or uninitialized\n")
    out = "Variance function:\n" if header else ""
    out += f" Structure: {s.structure}\n"
    out += _formula_lines(s.formula_lines)
    out += " Parameter estimates:\n"
    vals = np.asarray(s.values, dtype=float)
    if vals.ndim == 2:
        out += print_matrix(vals, list(s.rownames or ()), list(s.colnames or ()), digits) + "\n"
    else:
        out += print_named_vector(vals, list(s.names), digits) + "\n"
    return out


def render_varfunc_summary(s: VarFuncSummary, header: bool = True, digits: int = 7) -> str:
    """The printed block of a :class:`~hlm_py.structs.varfunc.VarFuncSummary`
    (``digits``: R's ``getOption("digits")``)."""
    text = _block(s, header, digits)
    return text[:-1] if text.endswith("\n") else text


def render_varfunc(bound: Any, theta: np.ndarray, digits: int = 7) -> str:
    """What R prints for ``print(summary(varStruct))`` of the bound variance
    function ``bound`` at the parameter block ``theta`` (``digits``: R's
    ``getOption("digits")``, which that print uses)."""
    return render_varfunc_summary(bound.summary(np.asarray(theta, dtype=float)), True, digits)
