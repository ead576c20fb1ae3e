"""``print(summary(fit$modelStruct))`` for the structures beyond the random
effects: the correlation structure's block, then the variance function's, as
``print.gls``, ``print.lme`` and their summaries print them."""

from __future__ import annotations

from typing import Any

from hlm_py.printing.corstruct_reports import render_corstruct
from hlm_py.printing.varfunc_reports import render_varfunc

__all__ = ["structs_text"]


def structs_text(fit: Any) -> list[str]:
    """The blocks of a fit's ``model.cor`` and ``model.var`` (none absent)."""
    d = fit.model
    out: list[str] = []
    if d.cor is not None:
        out.append(render_corstruct(d.cor, fit.component_theta("corStruct")))
    if d.var is not None:
        out.append(render_varfunc(d.var, fit.component_theta("varStruct")))
    return out
