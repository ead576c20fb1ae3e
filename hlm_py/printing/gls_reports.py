"""R's printed text of gls fits and their results: nlme's ``print.gls``,
``print.summary.gls``, ``print.intervals.gls``, ``print.VarCov``, the
``ACF`` and ``Variogram`` data frames (of gls and lme fits alike); the
structures' blocks come from their own renderers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.gls.model import GlsFit
from hlm_py.gls.results import GlsSummary, IntervalsGls
from hlm_py.lme.results import ACFResult, VarCov, VariogramResult
from hlm_py.printing.lme_reports import (
    _correlation_text,
    _fmt,
    _level_text,
    cat_deparse,
    subset_lines,
    ttable_text,
)
from hlm_py.printing.matrixprint import (
    print_data_frame,
    print_matrix,
    print_named_vector,
    print_string_matrix,
)
from hlm_py.printing.rformat import cat_number, signif
from hlm_py.printing.struct_blocks import structs_text
from hlm_py.rbase.formatnum import format_integer, format_real
from hlm_py.report import register_renderer

__all__ = ["render_gls", "render_gls_summary", "render_variogram", "render_varcov", "register_gls"]


def _header(fit: GlsFit) -> list[str]:
    reml = fit.method == "REML"
    lines = ["Generalized least squares fit by " + ("REML" if reml else "maximum likelihood"),
             f"  Model: {cat_deparse(fit.model.model)} ",
             f"  Data: {fit.data_name} ", *subset_lines(fit.model.subset)]
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


def _varcov_block(type_: str, m: pd.DataFrame, dimnames: bool = True) -> list[str]:
    x = m.to_numpy(dtype=float)
    sd = np.sqrt(np.diag(x))
    sds = " ".join(cat_number(float(v)) for v in signif(sd, 5))
    rows: list[str] | None = None
    cols: list[str] | None = None
    if dimnames:
        rows, cols = [str(i) for i in m.index], [str(c) for c in m.columns]
    return [f"{_VARCOV_TITLE[type_]} variance covariance matrix",
            print_matrix(signif(x, 5), rows, cols),
            f"  Standard Deviations: {sds} "]


def render_varcov(v: VarCov) -> str:
    """nlme's ``print.VarCov`` (``digits = 5``): one matrix, or for a list
    each under ``cat(group.levels, name)``."""
    if not v.listed:
        return "\n".join(_varcov_block(v.type, next(iter(v.matrices.values())), v.dimnames))
    lines: list[str] = []
    for name, m in v.matrices.items():
        lines.append(" ".join(([v.group_levels] if v.group_levels else []) + [name]) + " ")
        lines += _varcov_block(v.type, m, v.dimnames)
    return "\n".join(lines)


def render_acf(a: ACFResult) -> str:
    """``print`` of nlme's ``ACF`` data frame."""
    t = a.table
    df = pd.DataFrame({"lag": t["lag"].to_numpy(), "ACF": t["ACF"].to_numpy(dtype=float)},
                      index=[str(i + 1) for i in range(len(t))])
    return print_data_frame(df)


def render_variogram(v: VariogramResult) -> str:
    """``print`` of nlme's ``Variogram`` data frame (``print.data.frame``:
    ``variog`` NaN of an empty class prints ``NaN``, its ``dist`` ``NA``)."""
    t = v.table
    n = t.shape[0]
    if n == 0:
        return print_data_frame(t)
    mask = v.nan_mask if v.nan_mask is not None and len(v.nan_mask) == n else np.zeros(n, bool)
    cols = [format_real(t["variog"].to_numpy(dtype=float), digits=7, nan_mask=mask),
            format_real(t["dist"].to_numpy(dtype=float), digits=7)]
    names = ["variog", "dist"]
    if "n.pairs" in t.columns:
        cols.append(format_integer(t["n.pairs"].tolist()))
        names.append("n.pairs")
    cells = [[c[i] for c in cols] for i in range(n)]
    return print_string_matrix(cells, [str(i) for i in t.index], names, right=True)


def _render_fit(fit: GlsFit) -> str:
    return render_gls(fit)


def register_gls() -> list[str]:
    """Register the gls renderers with :mod:`hlm_py.report`."""
    pairs: list[tuple[type, Callable[[Any], str]]] = [
        (GlsFit, _render_fit), (GlsSummary, render_gls_summary),
        (IntervalsGls, render_intervals_gls), (VarCov, render_varcov), (ACFResult, render_acf),
        (VariogramResult, render_variogram),
    ]
    for cls, fn in pairs:
        register_renderer(cls, fn)
    return [cls.__name__ for cls, _ in pairs]
