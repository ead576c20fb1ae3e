"""R's printed text of gls fits and their results: nlme's ``print.gls``,
``print.summary.gls``, ``print.intervals.gls``, ``print.VarCov`` and the
``ACF`` data frame; the structures' blocks come from their own renderers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.gls.model import GlsFit
from hlm_py.gls.results import ACFResult, GlsSummary, IntervalsGls, VarCov
from hlm_py.printing.lme_reports import (
    _correlation_text,
    _fmt,
    _level_text,
    cat_deparse,
    ttable_text,
)
from hlm_py.printing.matrixprint import print_data_frame, print_matrix, print_named_vector
from hlm_py.printing.rformat import cat_number, signif
from hlm_py.printing.struct_blocks import structs_text
from hlm_py.report import register_renderer

__all__ = ["render_gls", "render_gls_summary", "register_gls"]


def _header(fit: GlsFit) -> list[str]:
    reml = fit.method == "REML"
    lines = ["Generalized least squares fit by " + ("REML" if reml else "maximum likelihood"),
             f"  Model: {cat_deparse(fit.model.model)} ",
             f"  Data: {fit.data_name} "]
    if fit.model.subset is not None:
        lines.append(f"  Subset: {fit.model.subset} ")
    return lines


def _blocks(fit: GlsFit, theta: np.ndarray | None) -> dict[str, np.ndarray] | None:
    return None if theta is None else fit.model.split(theta)


def render_gls(fit: GlsFit, loglik: float | None = None, coef: pd.Series | None = None,
               sigma: float | None = None, theta: np.ndarray | None = None) -> str:
    """nlme's ``print.gls`` (numbers may be given, e.g. R's own)."""
    reml = fit.method == "REML"
    lines = _header(fit)
    lines.append("  Log-" + ("restricted-" if reml else "") + "likelihood: "
                 + _fmt([fit.loglik if loglik is None else loglik])[0])
    cf = fit.coefficients if coef is None else coef
    lines += ["", "Coefficients:", print_named_vector(cf.to_numpy(), [str(i) for i in cf.index]),
              ""]
    lines += structs_text(fit, _blocks(fit, theta))
    lines += [f"Degrees of freedom: {fit.n} total; {fit.n - fit.p} residual",
              f"Residual standard error: {_fmt([fit.sigma() if sigma is None else sigma])[0]} "]
    return "\n".join(lines)


def render_gls_summary(s: GlsSummary) -> str:
    """nlme's ``print.summary.gls``."""
    fit = s.fit
    ic = pd.DataFrame({"AIC": [float(s.AIC)], "BIC": [float(s.BIC)], "logLik": [float(s.logLik)]},
                      index=[" "])
    lines = _header(fit) + [print_data_frame(ic)]
    blocks = structs_text(fit, _blocks(fit, s.theta))
    if blocks:
        lines += [""] + blocks
    lines += ["", "Coefficients:", ttable_text(s.tTable)]
    if s.tTable.shape[0] > 1:
        lines += [""] + _correlation_text(s.corBeta)
    r = s.residuals
    lines += ["", "Standardized residuals:",
              print_named_vector(r.to_numpy(dtype=float), [str(i) for i in r.index]), "",
              f"Residual standard error: {_fmt([s.sigma])[0]} ",
              f"Degrees of freedom: {fit.n} total; {fit.n - fit.p} residual"]
    return "\n".join(lines)


def _table(tab: pd.DataFrame) -> str:
    return print_matrix(tab.to_numpy(dtype=float), [str(i) for i in tab.index], list(tab.columns))


def render_intervals_gls(iv: IntervalsGls) -> str:
    """nlme's ``print.intervals.gls``."""
    lines = [f"Approximate {_level_text(iv.level)}% confidence intervals"]
    for label, tab in ((" Coefficients:", iv.coef), (" Correlation structure:", iv.corStruct),
                       (" Variance function:", iv.varStruct)):
        if tab is not None:
            lines += ["", label, _table(tab)]
    if iv.sigma is not None:
        lines += ["", " Residual standard error:",
                  print_named_vector(iv.sigma.to_numpy(dtype=float), list(iv.sigma.index))]
    return "\n".join(lines)


_VARCOV_TITLE = {"random.effects": "Random effects", "conditional": "Conditional",
                 "marginal": "Marginal"}


def _varcov_block(type_: str, m: pd.DataFrame, dimnames: bool) -> list[str]:
    x = m.to_numpy(dtype=float)
    sd = np.sqrt(np.diag(x))
    sds = " ".join(cat_number(v) for v in signif(sd, 5))
    rn = [str(i) for i in m.index] if dimnames else None
    cn = [str(c) for c in m.columns] if dimnames else None
    return [f"{_VARCOV_TITLE[type_]} variance covariance matrix",
            print_matrix(signif(x, 5), rn, cn), f"  Standard Deviations: {sds} "]


def render_varcov(v: VarCov) -> str:
    """nlme's ``print.VarCov`` (``digits = 5``)."""
    if not v.listed:
        return "\n".join(_varcov_block(v.type, next(iter(v.matrices.values())), v.dimnames))
    lines: list[str] = []
    for name, m in v.matrices.items():
        head = f"{v.group_levels} {name} " if v.group_levels else f" {name} "
        lines.append(head)
        lines += _varcov_block(v.type, m, v.dimnames)
    return "\n".join(lines)


def render_acf(a: ACFResult) -> str:
    """``print`` of nlme's ``ACF`` data frame."""
    t = a.table
    df = pd.DataFrame({"lag": t["lag"].to_numpy(), "ACF": t["ACF"].to_numpy(dtype=float)},
                      index=[str(i + 1) for i in range(len(t))])
    return print_data_frame(df)


def _render_fit(fit: GlsFit) -> str:
    return render_gls(fit)


def register_gls() -> list[str]:
    """Register the gls renderers with :mod:`hlm_py.report`."""
    pairs: list[tuple[type, Callable[[Any], str]]] = [
        (GlsFit, _render_fit), (GlsSummary, render_gls_summary),
        (IntervalsGls, render_intervals_gls), (VarCov, render_varcov), (ACFResult, render_acf),
    ]
    for cls, fn in pairs:
        register_renderer(cls, fn)
    return [cls.__name__ for cls, _ in pairs]
