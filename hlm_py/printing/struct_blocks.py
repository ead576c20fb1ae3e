"""``print(summary(fit$modelStruct))`` for the structures beyond the random
effects: the correlation structure's block, then the variance function's, as
``print.gls``, ``print.lme`` and their summaries print them."""

from __future__ import annotations

from typing import Any

import numpy as np

from hlm_py.printing.corstruct_reports import render_corstruct
from hlm_py.printing.varfunc_reports import render_varfunc

__all__ = ["structs_text"]


def structs_text(fit: Any, blocks: dict[str, np.ndarray] | None = None) -> list[str]:
    """The blocks of a fit's ``model.cor`` and ``model.var`` (none absent),
    at the fit's parameters or at ``blocks`` (component name -> parameters)."""
    d = fit.model
    out: list[str] = []

    def theta(name: str) -> np.ndarray:
        return blocks[name] if blocks is not None else fit.component_theta(name)

    if d.cor is not None:
        out.append(render_corstruct(d.cor, theta("corStruct")))
    if d.var is not None:
        text = render_varfunc(d.var, theta("varStruct"))
        if text:
            out.append(text)
    return out
