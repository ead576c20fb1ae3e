"""What nlme 3.1-162 prints for an lme fit and its generics.

Written from nlme's ``print.lme``, ``print.summary.lme``,
``print.reStruct`` / ``print.summary.pdMat``, ``print.correlation``,
``VarCorr.lme`` / ``print.VarCorr.lme``, ``print.anova.lme``,
``print.intervals.lme`` and ``print.ranef.lme``, on R's print rules of
:mod:`rformat` and :mod:`matrixprint` (``digits = 7``, ``width = 80``).

Every renderer takes its numbers from the result object, so that the same
code can print R's own numbers (``hlm_py.verify.lme_cases`` re-renders with a
golden's numbers to tell a printer error from a numeric difference).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.formula.deparse import deparse_lines
from hlm_py.lme.inference import (
    correlation_has_names,
    has_correlation,
    level_formula_text,
    struct_name,
)
from hlm_py.lme.model import LmeFit
from hlm_py.lme.results import AnovaLme, ApVar, IntervalsLme, LmeSummary, VarCorrLme
from hlm_py.printing.matrixprint import (
    print_data_frame,
    print_matrix,
    print_named_vector,
    print_row,
    print_string_matrix,
    print_vector,
)
from hlm_py.printing.rformat import abbreviate, round_r, zapsmall
from hlm_py.printing.struct_blocks import structs_text
from hlm_py.rbase.ascharacter import as_character_double
from hlm_py.rbase.formatnum import format_integer, format_real
from hlm_py.report import register_renderer

__all__ = [
    "render_lme",
    "render_lme_summary",
    "render_varcorr",
    "render_anova_lme",
    "render_intervals_lme",
    "render_apvar",
    "render_ranef",
    "render_fixef",
    "render_coef_lme",
    "varcorr_strings",
    "restruct_text",
    "groups_text",
    "register_lme",
]


def _fmt(values: Iterable[float], digits: int = 7) -> list[str]:
    return format_real([float(v) for v in values], digits=digits)


def _fmt_corr(values: Sequence[float], rdig: int = 3) -> list[str]:
    """``format(round(x, rdig))`` of a vector of correlations."""
    return format_real([float(round_r(float(v), rdig)) for v in values], digits=7)


def cat_deparse(formula: str) -> str:
    """``cat(deparse(formula))``: R's deparse lines (width cutoff 60) joined by a blank."""
    return " ".join(deparse_lines(formula))


def _data_name(fit: Any) -> str:
    return str(getattr(fit, "data_name", None) or "data")


def subset_lines(subset: Any) -> list[str]:
    """nlme's ``Subset:`` line of print and summary (an expression given as
    a string, deparsed as R deparses it; none for a mask or positions)."""
    if not isinstance(subset, str):
        return []
    return [f"  Subset: {cat_deparse('~ ' + subset)[1:]} "]


def _nested_names(names: Sequence[str]) -> list[str]:
    """nlme's level labels, outer to inner: ``Block``, ``Variety %in% Block``."""
    out = []
    for i in range(len(names)):
        out.append(" %in% ".join(reversed(list(names[: i + 1]))))
    return out


# ---------------------------------------------------------------------------
# the random-effects block (print.reStruct / print.summary.pdMat)


def _level_block(formula: str, label: str, pd_class: str, effects: list[str], sd: np.ndarray,
                 corr: np.ndarray, sigma: float, resid: bool, rdig: int = 3) -> list[str]:
    lines = [f" Formula: {formula} | {label}"]
    p = len(effects)
    if p == 1:
        if resid:
            lines.append(print_row([sd[0], sigma], "StdDev:", [effects[0], "Residual"]))
        else:
            lines.append(print_row([sd[0]], "StdDev:", [effects[0]]))
        return lines
    lines.append(f" Structure: {struct_name(pd_class)}")
    if not has_correlation(pd_class):
        if resid:
            lines.append(print_row(list(sd) + [sigma], "StdDev:", effects + ["Residual"]))
        else:
            lines.append(print_row(list(sd), "StdDev:", effects))
        return lines
    low = [(i, j) for j in range(p) for i in range(p) if i > j]
    fc = _fmt_corr([corr[i, j] for i, j in low], rdig)
    cells = [["" for _ in range(p)] for _ in range(p + (1 if resid else 0))]
    sds = _fmt(list(sd) + ([sigma] if resid else []))
    for i in range(len(cells)):
        cells[i][0] = sds[i]
    for (i, j), s in zip(low, fc):
        if j < p - 1:
            cells[i][j + 1] = s
    if correlation_has_names(pd_class):
        ab = abbreviate(effects[:-1], minlength=rdig + 3)
        for j, a in enumerate(ab):
            cells[0][j + 1] = a
    rn = list(effects) + (["Residual"] if resid else [])
    cn = ["StdDev", "Corr"] + [""] * (p - 2)
    lines.append(print_string_matrix(cells, rn, cn, right=False))
    return lines


def restruct_text(fit: Any, sigma: float | None = None, psi: Sequence[np.ndarray] | None = None) -> str:
    """nlme's ``print(summary(fit$modelStruct), sigma = fit$sigma)``: the
    ``Random effects:`` block, a blank line after each level."""
    sigma = fit.sigma() if sigma is None else float(sigma)
    psis = list(fit.psi) if psi is None else list(psi)
    labels = _nested_names(fit.level_names)
    lines = ["Random effects:"]
    for li, lev in enumerate(fit.levels):
        m = np.asarray(psis[li], dtype=float)
        sd = sigma * np.sqrt(np.diag(m))
        d = np.sqrt(np.diag(m))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = m / np.outer(d, d)
        lines += _level_block(level_formula_text(lev), labels[li], lev.pd.name,
                              list(fit.random_names[li]), sd, corr, sigma, li == fit.Q - 1)
        lines.append("")
    return "\n".join(lines)


def groups_text(fit: Any) -> list[str]:
    """The ``Number of Observations`` / ``Number of Groups`` lines."""
    lines = [f"Number of Observations: {fit.n}"]
    ng = [int(g) for g in fit.grouping.n_groups]
    if len(ng) == 1:
        lines.append(f"Number of Groups: {ng[0]} ")
    else:
        lines.append("Number of Groups: ")
        lines.append(print_named_vector(ng, _nested_names(fit.level_names)))
    return lines


# ---------------------------------------------------------------------------
# print.lme


def render_lme(fit: Any, loglik: float | None = None, fixef: pd.Series | None = None,
               sigma: float | None = None, psi: Sequence[np.ndarray] | None = None) -> str:
    """nlme's ``print.lme`` (numbers may be given, e.g. R's own)."""
    ll = fit.loglik if loglik is None else loglik
    fe = fit.coefficients if fixef is None else fixef
    reml = fit.method == "REML"
    lines = ["Linear mixed-effects model fit by " + ("REML" if reml else "maximum likelihood"),
             f"  Data: {_data_name(fit)} ",
             *subset_lines(fit.args.get("subset")),
             "  Log-" + ("restricted-" if reml else "") + "likelihood: " + _fmt([ll])[0],
             f"  Fixed: {cat_deparse(fit.fixed)} ",
             render_fixef(fe),
             "",
             restruct_text(fit, sigma, psi)]
    lines += structs_text(fit)
    lines += groups_text(fit)
    return "\n".join(lines)


def render_fixef(fe: pd.Series) -> str:
    """``print(fixef(fit))``: a named numeric vector."""
    return print_named_vector(fe.to_numpy(dtype=float), [str(i) for i in fe.index])


# ---------------------------------------------------------------------------
# print.summary.lme


def _correlation_text(cor: pd.DataFrame, rdig: int = 3) -> list[str]:
    """nlme's ``print.correlation`` (title `` Correlation:``)."""
    p = cor.shape[1]
    if p <= 1:
        return []
    x = cor.to_numpy(dtype=float)
    low = [(i, j) for j in range(p) for i in range(p) if i > j]
    fc = _fmt_corr([x[i, j] for i, j in low], rdig)
    cells = [["" for _ in range(p)] for _ in range(p)]
    for (i, j), s in zip(low, fc):
        cells[i][j] = s
    cn = abbreviate([str(c) for c in cor.columns], minlength=rdig + 3)
    sub = [row[: p - 1] for row in cells[1:]]
    return [" Correlation: ",
            print_string_matrix(sub, [str(r) for r in cor.index[1:]], cn[: p - 1], right=False)]


def ttable_text(ttab: pd.DataFrame) -> str:
    """The fixed-effects table of ``print.summary.lme``."""
    cols = {}
    for name in ttab.columns:
        v = ttab[name].to_numpy(dtype=float)
        if name == "p-value":
            cols[name] = _fmt(round_r(v, 4))
        else:
            cols[name] = _fmt(zapsmall(v))
    df = pd.DataFrame(cols, index=[str(i) for i in ttab.index], dtype=object)
    return print_data_frame(df)


def render_lme_summary(s: LmeSummary) -> str:
    """nlme's ``print.summary.lme``."""
    fit = s.fit
    reml = s.method == "REML"
    ic = pd.DataFrame({"AIC": [float(s.AIC)], "BIC": [float(s.BIC)], "logLik": [float(s.logLik)]},
                      index=[" "])
    lines = ["Linear mixed-effects model fit by " + ("REML" if reml else "maximum likelihood"),
             f"  Data: {_data_name(fit)} ",
             *subset_lines(fit.args.get("subset")),
             print_data_frame(ic),
             "",
             restruct_text(fit, s.sigma, s.psi)]
    lines += structs_text(fit)
    lines += [f"Fixed effects:  {cat_deparse(fit.fixed)} ",
             ttable_text(s.tTable)]
    if s.tTable.shape[0] > 1:
        lines += _correlation_text(s.corFixed)
    lines += ["", "Standardized Within-Group Residuals:",
              print_named_vector(s.residuals.to_numpy(dtype=float), [str(i) for i in s.residuals.index]),
              ""]
    lines += groups_text(fit)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# VarCorr


def varcorr_strings(vc: VarCorrLme) -> pd.DataFrame:
    """R's character matrix ``VarCorr(fit)`` (``unclass``), rows and columns as R
    names them (several empty column names are made distinct by trailing blanks
    in pandas; ``attrs["colnames"]`` holds R's)."""
    rdig = vc.rdig
    per = []
    for lv in vc.levels:
        block = None
        if lv.show_corr:
            p = len(lv.effects)
            low = [(i, j) for j in range(p) for i in range(p) if i > j]
            fc = _fmt_corr([lv.corr[i, j] for i, j in low], rdig)
            cells = [["" for _ in range(p)] for _ in range(p)]
            for (i, j), s in zip(low, fc):
                cells[i][j] = s
            if correlation_has_names(lv.pd_class):
                cells[0] = abbreviate(lv.effects, minlength=rdig + 3)
            block = [row[: p - 1] for row in cells]
        per.append(block)
    ncorr = max((len(b[0]) for b in per if b is not None), default=0)
    single = len(vc.levels) == 1
    if single:
        ncorr = len(per[0][0]) if per[0] is not None else 0
    cols = ["Variance", "StdDev"] + (["Corr"] + [""] * (ncorr - 1) if ncorr else [])
    var = [v for lv in vc.levels for v in lv.variance] + [vc.sigma ** 2]
    sd = [v for lv in vc.levels for v in lv.stddev] + [vc.sigma]
    fv, fs = _fmt(var), _fmt(sd)
    rows: list[list[str]] = []
    rn: list[str] = []
    k = 0
    for lv, block in zip(vc.levels, per):
        if not single:
            rows.append([lv.form, ""] + [""] * ncorr)
            rn.append(f"{lv.name} =")
        for i, eff in enumerate(lv.effects):
            row = [fv[k], fs[k]] + [""] * ncorr
            if block is not None:
                row[2:2 + len(block[i])] = block[i]
            rows.append(row)
            rn.append(eff)
            k += 1
    rows.append([fv[k], fs[k]] + [""] * ncorr)
    rn.append("Residual")
    seen: list[str] = []
    uniq = []
    for c in cols:
        u = c
        while u in seen:
            u += " "
        seen.append(u)
        uniq.append(u)
    out = pd.DataFrame(rows, index=rn, columns=uniq)
    out.attrs["colnames"] = cols
    out.attrs["title"] = f"{vc.levels[0].name} = {vc.levels[0].form}" if single else None
    return out


def render_varcorr(vc: VarCorrLme) -> str:
    """nlme's ``print.VarCorr.lme``."""
    tab = varcorr_strings(vc)
    body = print_string_matrix(tab.values.tolist(), list(tab.index), tab.attrs["colnames"],
                               right=False)
    title = tab.attrs.get("title")
    return (f"{title} \n" + body) if title else body


# ---------------------------------------------------------------------------
# anova


def _pvalue_strings(p: np.ndarray) -> list[str]:
    """``format(round(p, 4))`` with exact zeros shown as ``<.0001`` (NA -> "")."""
    na = np.isnan(p)
    out = [""] * p.size
    if (~na).any():
        fm = _fmt(round_r(p[~na], 4))
        for i, s in zip(np.flatnonzero(~na), fm):
            out[i] = "<.0001" if float(s) == 0 else s
    return out


def _l_text(L: pd.DataFrame | pd.Series) -> str:
    """``print(zapsmall(L))``: a named vector for one row, else a matrix."""
    if isinstance(L, pd.Series):
        if L.size == 1:  # R's L[, j] of one row and one column drops the names
            return print_vector(list(zapsmall(L.to_numpy(dtype=float))))
        return print_named_vector(zapsmall(L.to_numpy(dtype=float)), [str(i) for i in L.index])
    return print_matrix(zapsmall(L.to_numpy(dtype=float)), [str(i) for i in L.index],
                        [str(c) for c in L.columns])


def render_anova_lme(a: AnovaLme) -> str:
    """nlme's ``print.anova.lme``."""
    t = a.table
    if a.kind == "wald":
        wcols = {"numDF": format_integer(t["numDF"])}
        if a.den_df_column:
            wcols["denDF"] = _fmt(t["denDF"].to_numpy(dtype=float))
        wcols["F-value"] = _fmt(zapsmall(t["F-value"].to_numpy(dtype=float)))
        wcols["p-value"] = _pvalue_strings(t["p-value"].to_numpy(dtype=float))
        df = pd.DataFrame(wcols, index=[str(i) for i in t.index], dtype=object)
        head = a.label or ""
        if a.L is not None:
            head += _l_text(a.L) + "\n"
        return head + print_data_frame(df)
    cols: dict[str, list[str]] = {}
    for name in t.columns:
        v = t[name]
        if name == "Model":
            cols[name] = format_integer(v)
        elif name == "Test":
            cols[name] = [str(x) for x in v]
        elif name == "p-value":
            cols[name] = _pvalue_strings(v.to_numpy(dtype=float))
        elif name in ("AIC", "BIC", "logLik", "L.Ratio"):
            x = v.to_numpy(dtype=float)
            na = np.isnan(x)
            z = zapsmall(x)
            z[na] = 0.0
            fm = _fmt(z)
            cols[name] = ["" if na[i] else fm[i] for i in range(x.size)]
        else:
            cols[name] = _fmt(v.to_numpy(dtype=float))
    df = pd.DataFrame(cols, index=[str(i) for i in t.index], dtype=object)
    for name in df.columns:
        w = max(len(s) for s in df[name])
        df[name] = [s.rjust(w) for s in df[name]]
    return print_data_frame(df)


# ---------------------------------------------------------------------------
# intervals


def _level_text(level: float) -> str:
    """``paste(level * 100)``: R's ``as.character`` of the percentage."""
    return as_character_double(float(level) * 100)


def render_intervals_lme(iv: IntervalsLme) -> str:
    """nlme's ``print.intervals.lme``."""
    lines = [f"Approximate {_level_text(iv.level)}% confidence intervals"]
    if iv.fixed is not None:
        lines += ["", " Fixed effects:",
                  print_matrix(iv.fixed.to_numpy(dtype=float), [str(i) for i in iv.fixed.index],
                               list(iv.fixed.columns))]
    if iv.reStruct is not None:
        lines += ["", " Random Effects:"]
        for name, tab in iv.reStruct.items():
            lines.append(f"  Level: {name} ")
            lines.append(print_matrix(tab.to_numpy(dtype=float), [str(i) for i in tab.index],
                                      list(tab.columns)))
    for label, stab in ((" Correlation structure:", iv.corStruct),
                        (" Variance function:", iv.varStruct)):
        if stab is not None:
            lines += ["", label, print_matrix(stab.to_numpy(dtype=float),
                                              [str(i) for i in stab.index], list(stab.columns))]
    if iv.sigma is not None:
        lines += ["", " Within-group standard error:",
                  print_named_vector(iv.sigma.to_numpy(dtype=float), list(iv.sigma.index))]
    return "\n".join(lines)


def render_apvar(av: ApVar) -> str:
    """``print(fit$apVar)``: the matrix (R's attributes are not printed here)."""
    m = av.matrix
    return print_matrix(m.to_numpy(dtype=float), list(m.index), list(m.columns))


# ---------------------------------------------------------------------------
# ranef, coef


def render_ranef(r: pd.DataFrame | dict[str, pd.DataFrame], level_names: Sequence[str] | None = None) -> str:
    """nlme's ``print.ranef.lme``: one data frame, or ``Level:`` blocks (labels
    ``Variety %in% Block``)."""
    if isinstance(r, pd.DataFrame):
        return print_data_frame(r)
    names = list(r)
    labels = _nested_names(level_names or names) if len(names) == len(level_names or names) else names
    blocks = []
    for i, name in enumerate(names):
        blocks.append(f"Level: {labels[i]} \n" + print_data_frame(r[name]))
    return "\n\n".join(blocks)


def render_coef_lme(c: pd.DataFrame) -> str:
    """``print(coef(fit))`` (nlme's ``coef.lme`` is a data frame)."""
    return print_data_frame(c)


def _render_fit(fit: LmeFit) -> str:
    return render_lme(fit)


def register_lme() -> list[str]:
    """Register the lme renderers with :mod:`hlm_py.report`."""
    pairs: list[tuple[type, Callable[[Any], str]]] = [
        (LmeFit, _render_fit), (LmeSummary, render_lme_summary), (VarCorrLme, render_varcorr),
        (AnovaLme, render_anova_lme), (IntervalsLme, render_intervals_lme), (ApVar, render_apvar),
    ]
    for cls, fn in pairs:
        register_renderer(cls, fn)
    return [cls.__name__ for cls, _ in pairs]

