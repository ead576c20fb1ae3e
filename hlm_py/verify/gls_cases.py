"""The Python side of the gls golden cases.

A golden (``golden/gls/<case>.json``) holds R's default fit and a tightly
converged refit, as the lme goldens do (:mod:`hlm_py.verify.lme_cases`).
:func:`run_gls` fits the case with ``hlm.gls(...)`` and produces every key R
stored; the numbers are compared with R's tight fit, the printed texts with
R's prints of the default fit (re-rendered with R's default numbers to tell
a printer error from nlme's early stop).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

import hlm_py as hlm
from hlm_py.gls.model import GlsFit
from hlm_py.gls.results import GlsSummary, IntervalsGls, VarCov
from hlm_py.lme.results import AnovaLme
from hlm_py.printing import gls_reports, lme_reports
from hlm_py.rbase.quantile import quantile7
from hlm_py.verify.context import CaseContext, all_failed, produce
from hlm_py.verify.goldens import fit_base, golden_targets
from hlm_py.verify.lme_cases import PrintedText, g_frame, g_series
from hlm_py.verify.quantity import normalise
from hlm_py.verify.structs import py_struct, r_covariate, struct_numbers

__all__ = ["GlsContext", "run_gls", "GLS_RESULTS", "GLS_PRINTED", "fit_args"]


def fit_args(args: dict[str, Any]) -> dict[str, Any]:
    """A case's arguments as ``hlm.gls`` / ``hlm.lme`` take them."""
    a = dict(args)
    for key in ("correlation", "weights"):
        if key in a:
            a[key] = py_struct(a[key])
    if "control" in a and isinstance(a["control"], dict):
        a["control"] = dict(a["control"])
    return a


class GlsContext(CaseContext):
    """The fit of a gls case (and its comparison fits), computed once."""

    def __init__(self, golden: dict[str, Any]):
        super().__init__(golden)
        self.extra = self.case.get("extra") or {}
        self.warnings: dict[str, list[str]] = {}

    def _fit(self, args: dict[str, Any], kind: str = "gls") -> Any:
        a = fit_args(args)
        if kind == "lme":
            fixed = a.pop("fixed")
            return hlm.lme(fixed, self.data, **a)
        model = a.pop("model")
        return hlm.gls(model, self.data, **a)

    @cached_property
    def fit(self) -> GlsFit:
        return self._fit(self.args)

    @cached_property
    def others(self) -> dict[str, Any]:
        return {f"fit{k}": self._fit(spec.get("args") or {}, spec.get("kind", "gls"))
                for k, spec in enumerate(self.extra.get("compare") or [], start=2)}

    def names(self) -> list[str]:
        """The fits' names as R's anova prints them (the script's, else fit, fit2...)."""
        first = self.extra.get("fit_name") or "fit"
        rest = [spec.get("name") or f"fit{k}"
                for k, spec in enumerate(self.extra.get("compare") or [], start=2)]
        return [first, *rest]

    @cached_property
    def summary(self) -> GlsSummary:
        return hlm.summary(self.fit)

    @cached_property
    def anova_compare(self) -> AnovaLme:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = hlm.anova(self.fit, *self.others.values(), names=self.names(),
                            test=bool(self.extra.get("anova_test", True)))
        self.warnings["anova_compare"] = [str(w.message) for w in caught]
        return out

    @property
    def default(self) -> dict[str, Any]:
        return (self.golden.get("results") or {}).get("default") or {}

    def individuals(self) -> list[Any]:
        t = (self.golden.get("results") or {}).get("tight") or self.default
        return [t.get("getVarCov_individual"), t.get("getVarCov_individual_1")]


# ---------------------------------------------------------------------------
# results


_ARG = re.compile(r",\s*([A-Za-z.]+)\s*=\s*(.+?)(?=,\s*[A-Za-z.]+\s*=|\)$)")


def call_args(call: str) -> dict[str, Any]:
    """The arguments of a recorded call such as ``ACF(fit, form = ~1 | Subject)``."""
    out: dict[str, Any] = {}
    for name, value in _ARG.findall(call):
        v = value.strip()
        if v.startswith('"') and v.endswith('"'):
            out[name] = v[1:-1]
        elif re.fullmatch(r"-?\d+L?", v):
            out[name] = int(v.rstrip("L"))
        elif re.fullmatch(r"-?[\d.]+(e-?\d+)?", v):
            out[name] = float(v)
        else:
            out[name] = v
    return out


def _acf(fit: Any, r_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in r_list:
        kw = call_args(str(entry.get("call", "")))
        a = hlm.ACF(fit, **kw)
        out.append({"call": entry.get("call"), "n.used": list(map(float, a.n_used)),
                    "table": a.to_frame()})
    return out


def model_struct(fit: Any) -> pd.Series | None:
    """``coef(fit$modelStruct)`` (nlme's names; an lme fit's reStruct first,
    innermost level first); None where it is empty (R's NULL)."""
    if isinstance(fit, GlsFit):
        if not fit.model.components:
            return None
        names, vals = list(fit.theta_names), [float(v) for v in fit.theta]
        if not vals:
            return pd.Series([], dtype=float)
    else:
        names = list(fit.theta_names) + list(fit.model.struct_names)
        vals = [float(v) for v in fit.theta] + \
            [float(v) for v in (fit.phi if fit.phi is not None else [])]
    if not vals:
        return None
    return pd.Series(vals, index=names, dtype=float)


def _gls_numbers(fit: Any) -> dict[str, Any]:
    ll = hlm.logLik(fit)
    out = {"AIC": hlm.AIC(fit), "BIC": hlm.BIC(fit), "coef": hlm.coef(fit) if isinstance(fit, GlsFit)
           else hlm.fixef(fit), "kind": "gls" if isinstance(fit, GlsFit) else "lme",
           "logLik": float(ll), "logLik_df": ll.df, "method": fit.method,
           "modelStruct_unconstrained": model_struct(fit), "sigma": hlm.sigma(fit)}
    return out


def _intervals(fit: GlsFit) -> dict[str, Any]:
    iv = hlm.intervals(fit)
    out: dict[str, Any] = {"coef": iv.coef, "sigma": iv.sigma}
    if iv.corStruct is not None:
        out["corStruct"] = iv.corStruct
    if iv.varStruct is not None:
        out["varStruct"] = iv.varStruct
    return out


def _anova_compare_table(c: GlsContext) -> pd.DataFrame:
    t = c.anova_compare.to_frame()
    if "Test" in t:
        t["Test"] = t["Test"].astype(str)
    return t


def _labels(fit: GlsFit) -> list[str]:
    """The correlation groups' labels in nlme's order."""
    if fit.model.groups is None:
        raise hlm.HlmError("the fit has no correlation groups")
    return list(fit.model.groups.labels[-1])


def _variogram_specs(c: Any) -> list[tuple[str, dict[str, Any]]]:
    """(R's call, hlm_py's arguments) of each Variogram the case records."""
    entries = (c.golden["results"].get("tight") or c.default).get("Variogram") or []
    specs = c.extra.get("variogram") or [{} for _ in entries]
    return [(str(e.get("call")), dict(sp)) for e, sp in zip(entries, specs)]


def _variogram_numbers(v: Any, call: str) -> dict[str, Any]:
    out: dict[str, Any] = {"call": call, "collapse": bool(v.collapse), "table": v.to_frame()}
    if v.modelVariog is not None:
        out["modelVariog"] = v.modelVariog
    return out


def _variograms(fit: Any, c: GlsContext) -> list[dict[str, Any]]:
    return [_variogram_numbers(hlm.Variogram(fit, **kw), call) for call, kw in _variogram_specs(c)]


def _variogram_texts(c: GlsContext) -> dict[str, PrintedText]:
    def at_default(kw: dict[str, Any]) -> Callable[[], str]:
        return lambda: str(hlm.Variogram(_at_r(c.fit, c.default), **kw))
    return {call: PrintedText(str(hlm.Variogram(c.fit, **kw)), at_default(kw))
            for call, kw in _variogram_specs(c)}


def _test_args(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k in ("L", "Terms")}


def _anova_tests(c: GlsContext) -> list[dict[str, Any]]:
    """``anova(fit, L = ...)`` / ``anova(fit, Terms = ...)`` of the case, at
    hlm_py's optimum (R's tight fit) and at R's default parameters."""
    r_list = (c.golden.get("results") or {}).get("anova_tests") or []
    specs = c.extra.get("anova_tests") or []
    out = []
    for entry, spec in zip(r_list, specs):
        kw = _test_args(spec)
        item: dict[str, Any] = {"call": entry.get("call"),
                                "tight": hlm.anova(c.fit, **kw).to_frame()}
        if "default" in entry:
            item["default"] = hlm.anova(_at_r(c.fit, c.default), **kw).to_frame()
        out.append(item)
    return out


def _anova_tests_text(c: GlsContext) -> dict[str, PrintedText]:
    r_list = (c.golden.get("results") or {}).get("anova_tests") or []
    specs = c.extra.get("anova_tests") or []
    return {str(entry.get("call")): PrintedText(
        str(hlm.anova(c.fit, **_test_args(spec))),
        (lambda kw: lambda: str(hlm.anova(_at_r(c.fit, c.default), **kw)))(_test_args(spec)))
        for entry, spec in zip(r_list, specs)}


def _varcov(fit: GlsFit, individual: Any) -> pd.DataFrame:
    m = hlm.getVarCov(fit, individual=individual).to_frame()
    return m


GLS_RESULTS: dict[str, Callable[[GlsContext], Any]] = {
    "method": lambda c: c.fit.method,
    "dims": lambda c: dict(c.fit.dims),
    "coef": lambda c: hlm.coef(c.fit),
    "varBeta": lambda c: hlm.vcov(c.fit),
    "sigma": lambda c: hlm.sigma(c.fit),
    "logLik": lambda c: float(hlm.logLik(c.fit)),
    "logLik_df": lambda c: hlm.logLik(c.fit).df,
    "AIC": lambda c: hlm.AIC(c.fit),
    "BIC": lambda c: hlm.BIC(c.fit),
    "tTable": lambda c: c.summary.tTable,
    "corBeta": lambda c: c.summary.corBeta,
    "modelStruct_unconstrained": lambda c: model_struct(c.fit),
    "corStruct": lambda c: struct_numbers(c.fit, "corStruct"),
    "varStruct": lambda c: struct_numbers(c.fit, "varStruct"),
    "fitted": lambda c: hlm.fitted(c.fit),
    "predict": lambda c: hlm.predict(c.fit),
    "predict_newdata": lambda c: hlm.predict(c.fit, c.newdata),
    "resid": lambda c: {ty: hlm.residuals(c.fit, type=ty).to_numpy()
                        for ty in ("response", "pearson", "normalized")},
    "resid_names": lambda c: [str(i) for i in hlm.residuals(c.fit).index],
    "resid_std": lambda c: c.fit.std,
    "anova": lambda c: hlm.anova(c.fit).to_frame(),
    "anova_marginal": lambda c: hlm.anova(c.fit, type="marginal").to_frame(),
    "apVar": lambda c: c.fit.apVar.matrix,
    "apVar_Pars": lambda c: c.fit.apVar.Pars,
    "apVar_error": lambda c: c.fit.apVar,
    "apVar_null": lambda c: c.fit.model.n_params == 0,
    "intervals": lambda c: _intervals(c.fit),
    "intervals_error": lambda c: hlm.intervals(c.fit),
    "getVarCov": lambda c: _varcov(c.fit, 1),
    "getVarCov_2": lambda c: _varcov(c.fit, _labels(c.fit)[1]),
    "getVarCov_individual_1": lambda c: _labels(c.fit)[0],
    "getVarCov_individual": lambda c: _labels(c.fit)[1],
    "getVarCov_error": lambda c: hlm.getVarCov(c.fit),
    "ACF": lambda c: _acf(c.fit, ((c.golden["results"].get("tight") or c.default).get("ACF")
                                  or [])),
    "anova_tests": lambda c: _anova_tests(c),
    "Variogram": lambda c: _variograms(c.fit, c),
    "compare": lambda c: {k: dict(_gls_numbers(f), name=n)
                          for (k, f), n in zip(c.others.items(), c.names()[1:])},
    "anova_compare": _anova_compare_table,
    "anova_compare_error": lambda c: c.anova_compare,
}


# ---------------------------------------------------------------------------
# printed texts, with R's default-fit numbers


def _r_theta(c: GlsContext) -> np.ndarray:
    ms = c.default.get("modelStruct_unconstrained")
    return g_series(ms).to_numpy(dtype=float) if ms else np.zeros(0)


def _r_print(c: GlsContext) -> str:
    d = c.default
    return gls_reports.render_gls(c.fit, loglik=float(d["logLik"]), coef=g_series(d["coef"]),
                                  sigma=float(d["sigma"]), theta=_r_theta(c))


def _at_r(fit: GlsFit, d: dict[str, Any]) -> GlsFit:
    """``fit`` evaluated at the parameters of R's fit ``d`` (hlm_py's numbers
    there are R's to rounding: what R printed, from hlm_py's printer); a
    ``fitted(.)`` variance covariate is R's fitted values."""
    ms = d.get("modelStruct_unconstrained")
    theta = g_series(ms).to_numpy(dtype=float) if ms else np.zeros(0)
    var = fit.model.var
    cov = r_covariate(var, d)
    if cov is None and var is not None and var.needs_update and d.get("fitted") is not None:
        cov = g_series(d["fitted"]).to_numpy(dtype=float)
    if cov is not None and var is not None:
        design = fit.model.with_var(var.update(cov))
        fit = GlsFit(model=design, control=fit.control, theta=fit.theta,
                     estimates=fit.estimates, optim=fit.optim, numIter=fit.numIter,
                     criterion=fit.criterion)
    return fit.at(theta)


def _r_summary(fit: GlsFit, d: dict[str, Any]) -> GlsSummary:
    """hlm_py's summary carrying R's numbers of fit ``d`` (a golden's
    default fit): its tTable, correlations, residuals and criteria, the
    structures at its parameters."""
    if "resid" in d:
        pearson = np.asarray(d["resid"]["pearson"], dtype=float)
    else:  # not recorded (a comparison fit): hlm_py's at R's parameters
        pearson = hlm.residuals(_at_r(fit, d), type="pearson").to_numpy()
    if pearson.size > 5:
        res = pd.Series(quantile7(pearson, [0, 0.25, 0.5, 0.75, 1]),
                        index=["Min", "Q1", "Med", "Q3", "Max"])
    else:
        res = pd.Series(pearson, index=list(d.get("resid_names") or range(pearson.size)))
    ms = d.get("modelStruct_unconstrained")
    return GlsSummary(fit=fit, tTable=g_frame(d["tTable"]), corBeta=g_frame(d["corBeta"]),
                      residuals=res, AIC=float(d["AIC"]), BIC=float(d["BIC"]),
                      logLik=float(d["logLik"]), sigma=float(d["sigma"]),
                      theta=g_series(ms).to_numpy(dtype=float) if ms else None)


def _r_summary_text(c: GlsContext, name: str | None = None) -> str:
    if name is None:
        return gls_reports.render_gls_summary(_r_summary(c.fit, c.default))
    d = (c.golden["results"].get("compare_default") or {})[name]
    return gls_reports.render_gls_summary(_r_summary(c.others[name], d))


def _r_varcov(c: GlsContext, key: str) -> str:
    m = c.default.get(key)
    if m is None:
        raise hlm.HlmError(f"R's default fit has no {key}")
    n = normalise(m)
    values = np.array(n.columns, dtype=float).T
    return str(VarCov(type="marginal", matrices={"": pd.DataFrame(values)}, dimnames=False))


def _r_anova(c: GlsContext, key: str, type_: str) -> AnovaLme:
    return AnovaLme(table=g_frame(c.default[key]), kind="wald", type=type_,
                    label=f"Denom. DF: {c.fit.n - c.fit.p} \n", den_df_column=False)


def _r_intervals(c: GlsContext) -> IntervalsGls:
    iv = c.default["intervals"]
    return IntervalsGls(coef=g_frame(iv["coef"]) if "coef" in iv else None,
                        corStruct=g_frame(iv["corStruct"]) if "corStruct" in iv else None,
                        varStruct=g_frame(iv["varStruct"]) if "varStruct" in iv else None,
                        sigma=g_series(iv["sigma"]) if "sigma" in iv else None, level=0.95)


def _r_compare(c: GlsContext) -> AnovaLme:
    res = c.golden["results"]
    t = g_frame(res.get("anova_compare_default") or res["anova_compare"])
    if "Test" in t:
        t["Test"] = pd.Categorical([str(v) for v in t["Test"]])
    return AnovaLme(table=t, kind="compare")


def _intervals_text(c: GlsContext) -> str:
    try:
        return str(hlm.intervals(c.fit))
    except hlm.HlmError as exc:
        return f"Error in intervals.gls(fit) : \n  {exc}"


def _or_error(fn: Callable[[], Any]) -> str:
    """The printed result, or R's ``paste("Error:", message)`` of the
    golden's R side where hlm_py refuses as R does."""
    try:
        return str(fn())
    except hlm.HlmError as exc:
        return f"Error: {exc}"


def _acf_text(fit: Any, c: Any) -> str:
    entries = (c.golden["results"].get("tight") or c.default).get("ACF") or []
    kw = call_args(str(entries[0].get("call", ""))) if entries else {}
    return str(hlm.ACF(fit, **kw))


def acf_texts(c: Any, again: Callable[[], Any]) -> Any:
    """The printed ACFs: one text, or (R keeps a list when the case has
    several calls) one per call; ``again()`` gives the fit at R's default."""
    entries = (c.golden["results"].get("tight") or c.default).get("ACF") or []
    printed = (c.golden.get("printed") or {}).get("ACF")
    if not isinstance(printed, dict):
        return PrintedText(_acf_text(c.fit, c), lambda: _acf_text(again(), c))

    def at(kw: dict[str, Any]) -> Callable[[], str]:
        return lambda: str(hlm.ACF(again(), **kw))
    out = {}
    for e in entries:
        call = str(e.get("call", ""))
        kw = call_args(call)
        out[call] = PrintedText(str(hlm.ACF(c.fit, **kw)), at(kw))
    return out


GLS_PRINTED: dict[str, Callable[[GlsContext], Any]] = {
    "print": lambda c: PrintedText(str(c.fit), lambda: _r_print(c)),
    "summary": lambda c: PrintedText(str(c.summary), lambda: _r_summary_text(c)),
    "anova": lambda c: PrintedText(str(hlm.anova(c.fit)), lambda: lme_reports.render_anova_lme(
        _r_anova(c, "anova", "sequential"))),
    "anova_marginal": lambda c: PrintedText(
        str(hlm.anova(c.fit, type="marginal")),
        lambda: lme_reports.render_anova_lme(_r_anova(c, "anova_marginal", "marginal"))),
    "intervals": lambda c: PrintedText(_intervals_text(c), lambda: gls_reports.render_intervals_gls(
        _r_intervals(c))),
    "anova_compare": lambda c: PrintedText(str(c.anova_compare),
                                           lambda: lme_reports.render_anova_lme(_r_compare(c))),
    "getVarCov": lambda c: PrintedText(_or_error(lambda: hlm.getVarCov(c.fit)),
                                       lambda: _r_varcov(c, "getVarCov")),
    "getVarCov_2": lambda c: PrintedText(
        str(hlm.getVarCov(c.fit, individual=_labels(c.fit)[1])),
        lambda: _r_varcov(c, "getVarCov_2")),
    "ACF": lambda c: acf_texts(c, lambda: _at_r(c.fit, c.default)),
    "anova_tests": _anova_tests_text,
    "Variogram": _variogram_texts,
}


def _printed_table(golden: dict[str, Any]) -> dict[str, Callable[[GlsContext], Any]]:
    table: dict[str, Callable[[GlsContext], Any]] = dict(GLS_PRINTED)
    extra = golden["case"].get("extra") or {}
    for k in range(2, len(extra.get("compare") or []) + 2):
        table[f"summary_fit{k}"] = (lambda name: lambda c: PrintedText(
            str(hlm.summary(c.others[name])),
            (lambda: _r_summary_text(c, name))
            if name in (c.golden["results"].get("compare_default") or {})
            and isinstance(c.others[name], GlsFit) else None))(f"fit{k}")
    return table


def run_gls(golden: dict[str, Any]) -> dict[str, Any]:
    """Run a gls golden case: ``{"results": {...}, "printed": {...}}``."""
    try:
        ctx = GlsContext(golden)
        _ = ctx.fit
    except Exception as exc:
        return all_failed(golden, "gls", exc)
    keys = [k for k in golden_targets("gls", golden) if k != "error"]
    results = produce(GLS_RESULTS, keys, ctx, "gls")
    printed = produce(_printed_table(golden), (golden.get("printed") or {}).keys(), ctx,
                      "gls printed")
    return {"results": results, "printed": printed, "at_r": _at_r_results(ctx, keys)}


#: quantities evaluated at R's tight parameters for the "stops short" rule
_AT_R_KEYS = ("coef", "varBeta", "sigma", "tTable", "corBeta", "modelStruct_unconstrained",
              "corStruct", "varStruct", "fitted", "predict", "resid", "resid_std", "anova",
              "anova_marginal", "getVarCov", "getVarCov_2", "ACF", "Variogram", "apVar_Pars")


def _at_r_results(ctx: GlsContext, keys: list[str]) -> dict[str, Any] | None:
    """hlm_py's quantities with the fit evaluated at R's tight parameters."""
    t = fit_base(ctx.golden)
    if not t or not t.get("modelStruct_unconstrained"):
        return None
    try:
        at = _at_r(ctx.fit, t)
    except Exception:  # R's parameters outside hlm_py's space: no such check
        return None
    other = GlsContext(ctx.golden)
    other.__dict__["fit"] = at
    out = produce(GLS_RESULTS, [k for k in keys if k in _AT_R_KEYS] + ["logLik"], other,
                  "gls at R")
    var = ctx.fit.model.var
    out["_fixed_point"] = bool(var is not None and var.needs_update)
    compare_r = (ctx.golden.get("results") or {}).get("compare") or {}
    if "compare" in keys and compare_r:
        others = {}
        for name, f in ctx.others.items():
            r = compare_r.get(name) or {}
            try:
                others[name] = dict(_gls_numbers(_at_r(f, r)), name=r.get("name")) \
                    if isinstance(f, GlsFit) else None
            except Exception:  # outside hlm_py's space: no such check
                others[name] = None
        out["compare"] = {k: v for k, v in others.items() if v is not None}
    return out
