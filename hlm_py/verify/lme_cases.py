"""The Python side of the lme golden cases, and their comparison rules.

A golden (``golden/lme/<case>.json``, docs/internals.md "lme golden keys")
holds R's default fit and a tightly converged refit. :func:`run_lme` rebuilds
the data, fits with ``hlm.lme(...)`` and produces every key R stored; the
numbers are compared (``hlm_py.verify.compare``) with R's *tight* fit.

Printed texts are R's prints of the *default* fit, which nlme stops a little
early; where its digits differ from the converged fit's, the text cannot
match. Each printed quantity is therefore returned as a :class:`PrintedText`:
the text hlm_py prints, and the same text re-rendered by hlm_py's printer
with R's default-fit numbers (taken from the golden). A differing line is
accepted as "explained by nlme's early stop" only when the re-rendered line
is exactly R's line: the printer is right and only the numbers differ
(docs/differences.md, "lme printing: early stop").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.lme import LmeFit, inference
from hlm_py.lme.results import AnovaLme, IntervalsLme, LmeSummary, VarCorrLevel, VarCorrLme
from hlm_py.printing import lme_reports
from hlm_py.printing.matrixprint import print_data_frame, print_named_vector
from hlm_py.verify.context import CaseContext, all_failed, produce
from hlm_py.verify.goldens import golden_targets
from hlm_py.verify.lme_rules import cell_close
from hlm_py.verify.quantity import Row, compare_text, normalise

__all__ = ["LmeContext", "PrintedText", "run_lme", "LME_RESULTS", "LME_PRINTED"]


# ---------------------------------------------------------------------------
# golden values -> pandas


def g_series(x: Any) -> pd.Series:
    n = normalise(x)
    vals = [math.nan if v is None else v for v in n.columns[0]]
    return pd.Series(vals, index=n.rownames, dtype=float)


def g_frame(x: Any) -> pd.DataFrame:
    n = normalise(x)
    data: dict[str, list[Any]] = {}
    for name, col in zip(n.colnames or [], n.columns):
        try:
            data[name] = [math.nan if v is None else float(v) for v in col]
        except (TypeError, ValueError):
            data[name] = ["" if v is None else v for v in col]
    return pd.DataFrame(data, index=n.rownames, columns=n.colnames)


# ---------------------------------------------------------------------------
# the case's fits


def _lme_random(random: Any) -> Any:
    """A case's ``random`` as the public API takes it (strings, pd objects, dicts)."""
    if random is None or isinstance(random, str):
        return random
    if isinstance(random, dict) and "pdClass" in random:
        return getattr(hlm, random["pdClass"])(random["form"])
    if isinstance(random, dict):
        return {level: _lme_random(spec) for level, spec in random.items()}
    raise HlmError(f"unsupported random specification {random!r}")


class LmeContext(CaseContext):
    """The fit of an lme case (and its comparison fits), computed once."""

    def __init__(self, golden: dict[str, Any]):
        super().__init__(golden)
        self.extra = self.case.get("extra") or {}
        gd = self.extra.get("groupedData")
        if gd:
            self.data.attrs["groupedData"] = gd
        self.warnings: dict[str, list[str]] = {}

    def _lme(self, args: dict[str, Any]) -> LmeFit:
        a = dict(args)
        fixed = a.pop("fixed")
        random = _lme_random(a.pop("random", None))
        gd = self.extra.get("groupedData")
        if gd and random is not None and not isinstance(random, (str, dict)):
            random = {gd.split("|")[-1].strip(): random}
        return hlm.lme(fixed, self.data, random=random, **a)

    @cached_property
    def fit(self) -> LmeFit:
        return self._lme(self.args)

    @cached_property
    def others(self) -> dict[str, LmeFit]:
        return {f"fit{k}": self._lme(args)
                for k, args in enumerate(self.extra.get("compare") or [], start=2)}

    @cached_property
    def summary(self) -> LmeSummary:
        return hlm.summary(self.fit)

    @cached_property
    def anova_compare(self) -> AnovaLme:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = hlm.anova(self.fit, *self.others.values(), names=["fit", *self.others])
        self.warnings["anova_compare"] = [str(w.message) for w in caught]
        return out

    @property
    def default(self) -> dict[str, Any]:
        return (self.golden.get("results") or {}).get("default") or {}


# ---------------------------------------------------------------------------
# results


def _levels(fit: LmeFit) -> list[str]:
    return list(fit.level_names)


def _all_levels(fit: LmeFit) -> list[int]:
    return list(range(len(_levels(fit)) + 1))


def _varcorr_numbers(fit: LmeFit) -> dict[str, Any]:
    out = {}
    s2 = hlm.sigma(fit) ** 2
    for lev, names, psi, level in zip(_levels(fit), fit.random_names, fit.psi, fit.levels):
        cov = s2 * np.asarray(psi, dtype=float)
        sd = np.sqrt(np.diag(cov))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        out[lev] = {
            "pdClass": level.pd.name,
            "cov": pd.DataFrame(cov, index=names, columns=names),
            "variance": pd.Series(np.diag(cov), index=names),
            "sd": pd.Series(sd, index=names),
            "corr": pd.DataFrame(corr, index=names, columns=names),
        }
    return out


def _pd_constrained(fit: LmeFit) -> pd.Series:
    """nlme's ``coef(fit$modelStruct, unconstrained = FALSE)`` (innermost level first)."""
    names: list[str] = []
    values: list[float] = []
    items = list(zip(_levels(fit), fit.random_names, fit.psi, fit.levels))
    for lev, cols, psi, level in reversed(items):
        psi = np.asarray(psi, dtype=float)
        cls = level.pd.name
        pre = f"reStruct.{lev}."
        if cls in ("pdLogChol", "pdSymm"):
            for j in range(len(cols)):
                for i in range(j + 1):
                    names.append(f"{pre}var({cols[j]})" if i == j else f"{pre}cov({cols[j]},{cols[i]})")
                    values.append(float(psi[i, j]))
        elif cls == "pdDiag":
            for i, c in enumerate(cols):
                names.append(f"{pre}sd({c})")
                values.append(float(np.sqrt(psi[i, i])))
        elif cls == "pdIdent":
            names.append(f"{pre}sd({inference.level_formula_text(level)[1:]})")
            values.append(float(np.sqrt(psi[0, 0])))
        elif cls == "pdCompSymm":
            names += [f"{pre}std. dev", f"{pre}corr."]
            values += [float(np.sqrt(psi[0, 0])), float(psi[0, 1] / psi[0, 0])]
        else:
            raise HlmError(f"no constrained coefficients for {cls}")
    return pd.Series(values, index=names)


def _ranef(fit: LmeFit) -> dict[str, Any]:
    r = hlm.ranef(fit)
    return r if isinstance(r, dict) else {_levels(fit)[0]: r}


def _intervals(fit: LmeFit) -> dict[str, Any]:
    iv = hlm.intervals(fit)
    return {"fixed": iv.fixed, "reStruct": dict(iv.reStruct or {}), "sigma": iv.sigma}


def _fit_numbers(fit: LmeFit) -> dict[str, Any]:
    ll = hlm.logLik(fit)
    return {"method": fit.method, "fixef": hlm.fixef(fit), "sigma": hlm.sigma(fit),
            "logLik": float(ll), "logLik_df": ll.df, "AIC": hlm.AIC(fit), "BIC": hlm.BIC(fit),
            "pd_unconstrained": pd.Series(np.asarray(fit.theta, dtype=float),
                                          index=list(fit.theta_names))}


def _anova_compare_table(c: LmeContext) -> pd.DataFrame:
    t = c.anova_compare.to_frame()
    if "Test" in t:
        t["Test"] = t["Test"].astype(str)
    return t


LME_RESULTS: dict[str, Callable[[LmeContext], Any]] = {
    "method": lambda c: c.fit.method,
    "fixef": lambda c: hlm.fixef(c.fit),
    "vcov": lambda c: hlm.vcov(c.fit),
    "sigma": lambda c: hlm.sigma(c.fit),
    "logLik": lambda c: float(hlm.logLik(c.fit)),
    "logLik_df": lambda c: hlm.logLik(c.fit).df,
    "AIC": lambda c: hlm.AIC(c.fit),
    "BIC": lambda c: hlm.BIC(c.fit),
    "nobs": lambda c: hlm.nobs(c.fit),
    "ngroups": lambda c: pd.Series(c.fit.n_groups)[_levels(c.fit)],
    "varcorr": lambda c: _varcorr_numbers(c.fit),
    "varcorr_residual": lambda c: pd.Series([hlm.sigma(c.fit) ** 2, hlm.sigma(c.fit)],
                                            index=["variance", "sd"]),
    "VarCorr_text": lambda c: _varcorr_text_frame(hlm.VarCorr(c.fit)),
    "pd_unconstrained": lambda c: _fit_numbers(c.fit)["pd_unconstrained"],
    "pd_constrained": lambda c: _pd_constrained(c.fit),
    "tTable": lambda c: c.summary.tTable,
    "corFixed": lambda c: c.summary.corFixed,
    "resid_quantiles": lambda c: c.summary.residuals,
    "fixDF_X": lambda c: inference.fix_df(c.fit).X,
    "fixDF_terms": lambda c: inference.fix_df(c.fit).terms,
    "ranef": lambda c: _ranef(c.fit),
    "coef": lambda c: {lev: hlm.coef(c.fit, level=q) for q, lev in enumerate(_levels(c.fit), 1)},
    "fitted": lambda c: hlm.fitted(c.fit, level=_all_levels(c.fit)),
    "resid": lambda c: {ty: hlm.residuals(c.fit, level=_all_levels(c.fit), type=ty)
                        for ty in ("response", "pearson", "normalized")},
    "predict": lambda c: hlm.predict(c.fit, c.newdata, level=_all_levels(c.fit)),
    "predict_error": lambda c: hlm.predict(c.fit, c.newdata, level=_all_levels(c.fit)),
    "anova": lambda c: hlm.anova(c.fit).to_frame(),
    "anova_marginal": lambda c: hlm.anova(c.fit, type="marginal").to_frame(),
    "intervals": lambda c: _intervals(c.fit),
    "intervals_error": lambda c: hlm.intervals(c.fit),
    "apVar": lambda c: c.fit.apVar.matrix,
    "apVar_Pars": lambda c: c.fit.apVar.Pars,
    "apVar_error": lambda c: c.fit.apVar,
    "compare": lambda c: {k: _fit_numbers(f) for k, f in c.others.items()},
    "anova_compare": _anova_compare_table,
    "anova_compare_error": lambda c: c.anova_compare,
}


def _varcorr_text_frame(vc: VarCorrLme) -> dict[str, Any]:
    """R's character matrix ``VarCorr(fit)`` in the golden's matrix form."""
    tab = lme_reports.varcorr_strings(vc)
    return {"rownames": list(tab.index), "colnames": list(tab.attrs["colnames"]),
            "values": tab.values.tolist()}


# ---------------------------------------------------------------------------
# printed texts, and the same texts with R's default-fit numbers


@dataclass
class PrintedText:
    """hlm_py's printout and, when the golden has the numbers, the same printer's
    output with R's default-fit numbers (``rerender``: a callable); a
    :class:`hlm_py.verify.quantity.TextWithRule`."""

    text: str
    rerender: Callable[[], str] | None = None
    #: a re-rendered number may differ from R's by this (relative, plus half
    #: a unit of the last printed digit): fits of a ``fitted(.)`` covariate,
    #: whose R object mixes two covariates (docs/differences.md)
    rerender_rtol: float = 0.0

    def compare(self, case: str, quantity: str, r_text: str | list[str]) -> Row:
        """The printed-text rule with nlme's early stop explained (module docstring)."""
        row = compare_text(case, quantity, self.text, r_text)
        if row.ok or self.rerender is None:
            return row
        r = "\n".join(r_text) if isinstance(r_text, list) else r_text
        try:
            again = self.rerender()
        except Exception as exc:  # a re-render that fails explains nothing
            return Row(case, quantity, row.n, row.max_rel_diff, False,
                       f"{row.detail} (re-render with R's numbers failed: {exc})")
        py_lines = self.text.rstrip("\n").split("\n")
        r_lines = r.rstrip("\n").split("\n")
        re_lines = again.rstrip("\n").split("\n")
        if re_lines == r_lines and len(py_lines) != len(r_lines):
            # the numbers alone change the layout (a column's digits, a wrap)
            return Row(case, quantity, len(r_lines), 0.0, True,
                       "the layout differs with the numbers; with R's numbers the text is R's")
        if len(py_lines) != len(r_lines) or len(re_lines) != len(r_lines):
            return row
        differing = [i for i, (a, b) in enumerate(zip(py_lines, r_lines)) if a != b]
        bad = [i for i in differing if re_lines[i] != r_lines[i]
               and not (self.rerender_rtol and _numbers_close(re_lines[i], r_lines[i],
                                                              self.rerender_rtol))]
        if bad:
            i = bad[0]
            return Row(case, quantity, row.n, math.inf, False,
                       f"line {i + 1}: py {py_lines[i]!r} | R {r_lines[i]!r} | "
                       f"with R's numbers {re_lines[i]!r}")
        near = [i for i in differing if re_lines[i] != r_lines[i]]
        return Row(case, quantity, len(r_lines), 0.0, True,
                   f"{len(differing)} line(s) differ, explained by nlme's early stop"
                   + (f" ({len(near)} with R's numbers within {self.rerender_rtol:g}: a "
                      "fitted(.) covariate)" if near else ""))


def _numbers_close(a: str, b: str, rtol: float) -> bool:
    """Two printed lines equal but for numbers within ``rtol`` (``cell_close``)."""
    ta, tb = a.split(), b.split()
    return len(ta) == len(tb) and all(cell_close(x, y, rtol) for x, y in zip(ta, tb))


def _r_psi(d: dict[str, Any], fit: LmeFit) -> list[np.ndarray]:
    s2 = float(d["sigma"]) ** 2
    return [g_frame(d["varcorr"][lev]["cov"]).to_numpy(dtype=float) / s2 for lev in _levels(fit)]


def _r_summary(c: LmeContext, name: str | None = None) -> LmeSummary:
    """hlm_py's summary of ``fit`` (or of the comparison fit ``name``) carrying
    R's default-fit numbers (``default``, or ``compare_default[name]``)."""
    if name is None:
        d, fit, s = c.default, c.fit, c.summary
    else:
        d = c.golden["results"]["compare_default"][name]
        fit = c.others[name]
        s = hlm.summary(fit)
    return LmeSummary(
        fit=fit, tTable=g_frame(d["tTable"]), corFixed=g_frame(d["corFixed"]),
        residuals=g_series(d["resid_quantiles"]), AIC=float(d["AIC"]), BIC=float(d["BIC"]),
        logLik=float(d["logLik"]), sigma=float(d["sigma"]), dims=s.dims, method=s.method,
        fixDF=s.fixDF, psi=_r_psi(d, fit))


def _r_varcorr(c: LmeContext) -> VarCorrLme:
    d = c.default
    vc = hlm.VarCorr(c.fit)
    levels = []
    for lv in vc.levels:
        g = d["varcorr"][lv.name]
        cov = g_frame(g["cov"]).to_numpy(dtype=float)
        sd = np.sqrt(np.diag(cov))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
        levels.append(VarCorrLevel(lv.name, lv.form, lv.pd_class, lv.effects, np.diag(cov), sd,
                                   corr, lv.show_corr))
    return VarCorrLme(levels=levels, sigma=float(d["sigma"]), rdig=vc.rdig)


def _r_anova(c: LmeContext, key: str, type_: str) -> AnovaLme:
    return AnovaLme(table=g_frame(c.default[key]), kind="wald", type=type_)


def _r_intervals(c: LmeContext) -> IntervalsLme:
    iv = c.default["intervals"]
    re = {k: g_frame(v) for k, v in iv["reStruct"].items()}
    order = [lev for lev in _levels(c.fit) if lev in re]
    return IntervalsLme(fixed=g_frame(iv["fixed"]), reStruct={k: re[k] for k in order},
                        sigma=g_series(iv["sigma"]), level=0.95)


def _r_compare(c: LmeContext) -> AnovaLme:
    res = c.golden["results"]
    t = g_frame(res.get("anova_compare_default") or res["anova_compare"])
    if "Test" in t:
        t["Test"] = pd.Categorical([str(v) for v in t["Test"]])
    return AnovaLme(table=t, kind="compare")


def _ranef_text(r: Any, fit: LmeFit) -> str:
    return lme_reports.render_ranef(r, _levels(fit))


def _coef_text(c: LmeContext, frames: dict[str, pd.DataFrame] | None = None) -> str:
    if frames is None:
        return print_data_frame(hlm.coef(c.fit))
    return print_data_frame(frames[_levels(c.fit)[-1]])


def _fixef_text(s: pd.Series) -> str:
    return print_named_vector([float(v) for v in s.to_numpy(dtype=float)], [str(i) for i in s.index])


def _frames(d: dict[str, Any]) -> dict[str, pd.DataFrame]:
    return {k: g_frame(v) for k, v in d.items()}


LME_PRINTED: dict[str, Callable[[LmeContext], PrintedText]] = {
    "print": lambda c: PrintedText(
        str(c.fit), lambda: lme_reports.render_lme(
            c.fit, loglik=float(c.default["logLik"]), fixef=g_series(c.default["fixef"]),
            sigma=float(c.default["sigma"]), psi=_r_psi(c.default, c.fit))),
    "summary": lambda c: PrintedText(str(c.summary),
                                     lambda: lme_reports.render_lme_summary(_r_summary(c))),
    "VarCorr": lambda c: PrintedText(str(hlm.VarCorr(c.fit)),
                                     lambda: lme_reports.render_varcorr(_r_varcorr(c))),
    "anova": lambda c: PrintedText(str(hlm.anova(c.fit)),
                                   lambda: lme_reports.render_anova_lme(_r_anova(c, "anova", "sequential"))),
    "anova_marginal": lambda c: PrintedText(
        str(hlm.anova(c.fit, type="marginal")),
        lambda: lme_reports.render_anova_lme(_r_anova(c, "anova_marginal", "marginal"))),
    "intervals": lambda c: PrintedText(_intervals_text(c),
                                       lambda: lme_reports.render_intervals_lme(_r_intervals(c))),
    "fixef": lambda c: PrintedText(_fixef_text(hlm.fixef(c.fit)),
                                   lambda: _fixef_text(g_series(c.default["fixef"]))),
    "ranef": lambda c: PrintedText(_ranef_text(hlm.ranef(c.fit), c.fit),
                                   lambda: _ranef_text(_ranef_r(c), c.fit)),
    "coef": lambda c: PrintedText(_coef_text(c), lambda: _coef_text(c, _frames(c.default["coef"]))),
    "anova_compare": lambda c: PrintedText(str(c.anova_compare),
                                           lambda: lme_reports.render_anova_lme(_r_compare(c))),
}


def _ranef_r(c: LmeContext) -> Any:
    fr = _frames(c.default["ranef"])
    return fr[_levels(c.fit)[0]] if len(fr) == 1 else {lev: fr[lev] for lev in _levels(c.fit)}


def _intervals_text(c: LmeContext) -> str:
    """``print(intervals(fit))``, or R's error print when nlme refuses."""
    try:
        return str(hlm.intervals(c.fit))
    except HlmError as exc:
        return f"Error in intervals.lme(fit) : \n  {exc}"


def _lme_printed_table(golden: dict[str, Any]) -> dict[str, Callable[[LmeContext], Any]]:
    table: dict[str, Callable[[LmeContext], Any]] = dict(LME_PRINTED)
    extra = golden["case"].get("extra") or {}
    for k in range(2, len(extra.get("compare") or []) + 2):
        table[f"summary_fit{k}"] = (lambda name: lambda c: PrintedText(
            str(hlm.summary(c.others[name])),
            (lambda: lme_reports.render_lme_summary(_r_summary(c, name)))
            if name in (c.golden["results"].get("compare_default") or {}) else None))(f"fit{k}")
    return table


def run_lme(golden: dict[str, Any]) -> dict[str, Any]:
    """Run an lme golden case: ``{"results": {...}, "printed": {...}}`` (printed
    values are :class:`PrintedText`; the comparison calls their ``compare``)."""
    try:
        ctx = LmeContext(golden)
        _ = ctx.fit
    except Exception as exc:
        return all_failed(golden, "lme", exc)
    keys = [k for k in golden_targets("lme", golden) if k != "error"]
    results = produce(LME_RESULTS, keys, ctx, "lme")
    printed = produce(_lme_printed_table(golden), (golden.get("printed") or {}).keys(), ctx,
                       "lme printed")
    return {"results": results, "printed": printed}
