"""The Python side of the golden cases of lme fits with a variance function
or a correlation structure (``golden/lme_struct``).

The lme runner's quantities (:mod:`hlm_py.verify.lme_cases`) plus the
structures' (``corStruct``, ``varStruct``, ``modelStruct_unconstrained``),
``getVarCov`` of each type, the structures' intervals, ``ACF``,
``Variogram`` and the F-tests of ``anova(fit, Terms=, L=)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

import hlm_py as hlm
from hlm_py.lme import LmeFit
from hlm_py.lme.results import AnovaLme, IntervalsLme
from hlm_py.printing import lme_reports
from hlm_py.verify.context import all_failed, produce
from hlm_py.verify.gls_cases import (
    _acf,
    _test_args,
    _variogram_numbers,
    _variogram_specs,
    acf_texts,
    fit_args,
    model_struct,
)
from hlm_py.verify.gls_cases import _at_r as gls_at_r
from hlm_py.verify.goldens import fit_base, golden_targets
from hlm_py.verify.lme_cases import (
    LME_PRINTED,
    LME_RESULTS,
    LmeContext,
    PrintedText,
    _intervals_text,
    _lme_random,
    _pd_constrained,
    _r_intervals,
    g_frame,
    g_series,
)
from hlm_py.verify.structs import r_covariate, struct_numbers

__all__ = ["LmeStructContext", "run_lme_struct", "LME_STRUCT_RESULTS"]


class LmeStructContext(LmeContext):
    """An lme case whose fits may carry structures (and gls comparison fits)."""

    def _lme(self, args: dict[str, Any]) -> LmeFit:
        a = fit_args(args)
        fixed = a.pop("fixed")
        random = _lme_random(a.pop("random", None))
        return hlm.lme(fixed, self.data, random=random, **a)

    def _any(self, spec: dict[str, Any]) -> Any:
        if spec.get("kind") == "gls":
            a = fit_args(spec.get("args") or {})
            return hlm.gls(a.pop("model"), self.data, **a)
        return self._lme(spec.get("args") or {})

    @cached_property
    def others(self) -> dict[str, Any]:  # type: ignore[override]
        return {f"fit{k}": self._any(spec)
                for k, spec in enumerate(self.extra.get("compare") or [], start=2)}

    def names(self) -> list[str]:
        first = self.extra.get("fit_name") or "fit"
        rest = [spec.get("name") or f"fit{k}"
                for k, spec in enumerate(self.extra.get("compare") or [], start=2)]
        return [first, *rest]

    @cached_property
    def anova_compare(self) -> AnovaLme:
        names = self.names()
        fits = dict(zip(names, [self.fit, *self.others.values()]))
        order = list(self.extra.get("anova_order") or names)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = hlm.anova(*[fits[n] for n in order], names=order,
                            test=bool(self.extra.get("anova_test", True)))
        self.warnings["anova_compare"] = [str(w.message) for w in caught]
        return out


def _varcov(fit: LmeFit, type_: str, c: LmeStructContext) -> Any:
    t = (c.golden["results"].get("tight") or c.default)
    key = f"getVarCov_{type_.replace('.', '_')}_individuals"
    ind = t.get(key)
    v = hlm.getVarCov(fit, type=type_, **({"individuals": ind} if ind is not None else {}))
    if type_ == "random.effects":
        return v.to_frame()
    return {name: m for name, m in v.matrices.items()}


def _intervals_struct(fit: LmeFit) -> dict[str, Any]:
    iv = hlm.intervals(fit)
    out: dict[str, Any] = {}
    if iv.corStruct is not None:
        out["corStruct"] = iv.corStruct
    if iv.varStruct is not None:
        out["varStruct"] = iv.varStruct
    return out


def _tests(c: LmeStructContext) -> list[dict[str, Any]]:
    r_list = (c.golden.get("results") or {}).get("anova_tests") or []
    specs = c.extra.get("anova_tests") or []
    out = []
    for e, sp in zip(r_list, specs):
        item: dict[str, Any] = {"call": e.get("call"),
                                "tight": hlm.anova(c.fit, **_test_args(sp)).to_frame()}
        if "default" in e:
            item["default"] = hlm.anova(r_fit_at(c.fit, c.default), **_test_args(sp)).to_frame()
        out.append(item)
    return out


def _numbers(fit: Any) -> dict[str, Any]:
    ll = hlm.logLik(fit)
    is_lme = isinstance(fit, LmeFit)
    return {"AIC": hlm.AIC(fit), "BIC": hlm.BIC(fit),
            "coef": hlm.fixef(fit) if is_lme else hlm.coef(fit),
            "kind": "lme" if is_lme else "gls", "logLik": float(ll), "logLik_df": ll.df,
            "method": fit.method, "modelStruct_unconstrained": model_struct(fit),
            "sigma": hlm.sigma(fit)}


def _struct_constrained(fit: LmeFit) -> pd.Series:
    """nlme's ``coef(fit$modelStruct, unconstrained = FALSE)``: the reStruct's
    (as lme's goldens) then each structure's constrained values."""
    out = _pd_constrained(fit)
    names, vals = list(out.index), [float(v) for v in out.to_numpy()]
    for name, comp in fit.model.components:
        # nlme's coef(corStruct, FALSE) gives a fixed structure's values too
        if comp.n_params == 0 and not (name == "corStruct" and getattr(comp, "fixed", False)):
            continue
        cons = comp.coef(fit.component_theta(name), unconstrained=False)
        # R's unlist names: the component's name and its constrained names
        # (corSymm's constrained coefficients are unnamed: corStruct1, ...)
        labels = list(comp.param_names()) if comp.r_class == "corSymm" else \
            [f"{name}.{n}" for n in comp.constrained_names()]
        for n, v in zip(labels, np.atleast_1d(cons)):
            names.append(str(n))
            vals.append(float(v))
    return pd.Series(vals, index=names, dtype=float)


LME_STRUCT_RESULTS: dict[str, Callable[[Any], Any]] = {
    **LME_RESULTS,
    "pd_unconstrained": lambda c: model_struct(c.fit),
    "pd_constrained": lambda c: _struct_constrained(c.fit),
    "dims": lambda c: {"N": c.fit.n, "REML": int(c.fit.REML), "p": c.fit.p},
    "corStruct": lambda c: struct_numbers(c.fit, "corStruct"),
    "varStruct": lambda c: struct_numbers(c.fit, "varStruct"),
    "modelStruct_unconstrained": lambda c: model_struct(c.fit),
    "resid_std": lambda c: c.fit.std,
    "getVarCov_random_effects": lambda c: _varcov(c.fit, "random.effects", c),
    "getVarCov_conditional": lambda c: _varcov(c.fit, "conditional", c),
    "getVarCov_marginal": lambda c: _varcov(c.fit, "marginal", c),
    "getVarCov_conditional_individuals": lambda c: (
        c.golden["results"].get("tight") or c.default).get("getVarCov_conditional_individuals"),
    "getVarCov_marginal_individuals": lambda c: (
        c.golden["results"].get("tight") or c.default).get("getVarCov_marginal_individuals"),
    "intervals_struct": lambda c: _intervals_struct(c.fit),
    "ACF": lambda c: _acf(c.fit, ((c.golden["results"].get("tight") or c.default).get("ACF")
                                  or [])),
    "Variogram": lambda c: [_variogram_numbers(hlm.Variogram(c.fit, **kw), call)
                            for call, kw in _variogram_specs(c)],
    "anova_tests": _tests,
    "compare": lambda c: {k: dict(_numbers(f), name=n)
                          for (k, f), n in zip(c.others.items(), c.names()[1:])},
}


def _varcov_text(c: LmeStructContext, type_: str, at_default: bool = False) -> str:
    t = (c.golden["results"].get("tight") or c.default)
    ind = t.get(f"getVarCov_{type_.replace('.', '_')}_individuals")
    fit = _at_default(c) if at_default else c.fit
    return str(hlm.getVarCov(fit, type=type_, **({"individuals": ind} if ind is not None
                                                   else {})))


def _at_default(c: LmeStructContext) -> LmeFit:
    return r_fit_at(c.fit, c.default)


def _variogram_texts(c: LmeStructContext) -> dict[str, PrintedText]:
    def again(kw: dict[str, Any]) -> Callable[[], str]:
        return lambda: str(hlm.Variogram(_at_default(c), **kw))
    return {call: PrintedText(str(hlm.Variogram(c.fit, **kw)), again(kw))
            for call, kw in _variogram_specs(c)}


def _tests_texts(c: LmeStructContext) -> dict[str, PrintedText]:
    def again(kw: dict[str, Any]) -> Callable[[], str]:
        return lambda: str(hlm.anova(_at_default(c), **kw))
    r_list = (c.golden.get("results") or {}).get("anova_tests") or []
    return {str(e.get("call")): PrintedText(str(hlm.anova(c.fit, **_test_args(sp))),
                                            again(_test_args(sp)))
            for e, sp in zip(r_list, c.extra.get("anova_tests") or [])}


LME_STRUCT_PRINTED: dict[str, Callable[[Any], Any]] = {
    **LME_PRINTED,
    "print": lambda c: PrintedText(str(c.fit), lambda: str(_at_default(c))),
    "summary": lambda c: PrintedText(str(c.summary), lambda: str(hlm.summary(_at_default(c)))),
    "anova": lambda c: PrintedText(str(hlm.anova(c.fit)),
                                   lambda: str(hlm.anova(_at_default(c)))),
    "anova_marginal": lambda c: PrintedText(str(hlm.anova(c.fit, type="marginal")),
                                            lambda: str(hlm.anova(_at_default(c), type="marginal"))),
    "getVarCov_random_effects": lambda c: PrintedText(
        _varcov_text(c, "random.effects"), lambda: _varcov_text(c, "random.effects", True)),
    "getVarCov_conditional": lambda c: PrintedText(
        _varcov_text(c, "conditional"), lambda: _varcov_text(c, "conditional", True)),
    "getVarCov_marginal": lambda c: PrintedText(
        _varcov_text(c, "marginal"), lambda: _varcov_text(c, "marginal", True)),
    "intervals": lambda c: PrintedText(_intervals_text(c), lambda: lme_reports.render_intervals_lme(
        _r_intervals_struct(c))),
    "ACF": lambda c: acf_texts(c, lambda: _at_default(c)),
    "Variogram": lambda c: _variogram_texts(c),
    "anova_tests": lambda c: _tests_texts(c),
}


def _r_intervals_struct(c: LmeStructContext) -> IntervalsLme:
    """R's default-fit intervals, the structures' included (lme's printer)."""
    iv = _r_intervals(c)
    st = c.default.get("intervals_struct") or {}
    return replace(iv, corStruct=g_frame(st["corStruct"]) if "corStruct" in st else None,
                   varStruct=g_frame(st["varStruct"]) if "varStruct" in st else None)


def _other_at(c: LmeStructContext, name: str, d: dict[str, Any]) -> Any:
    """The comparison fit ``name`` evaluated at R's fit ``d`` of it."""
    f = c.others[name]
    return r_fit_at(f, d) if isinstance(f, LmeFit) else gls_at_r(f, d)


def _printed_table(golden: dict[str, Any]) -> dict[str, Callable[[Any], Any]]:
    table = dict(LME_STRUCT_PRINTED)
    extra = golden["case"].get("extra") or {}
    defaults = (golden.get("results") or {}).get("compare_default") or {}
    for k in range(2, len(extra.get("compare") or []) + 2):
        table[f"summary_fit{k}"] = (lambda name: lambda c: PrintedText(
            str(hlm.summary(c.others[name])),
            (lambda: str(hlm.summary(_other_at(c, name, defaults[name]))))
            if name in defaults else None))(f"fit{k}")
    return table


def run_lme_struct(golden: dict[str, Any]) -> dict[str, Any]:
    """Run an lme_struct golden case: ``{"results": {...}, "printed": {...}}``."""
    try:
        ctx = LmeStructContext(golden)
        _ = ctx.fit
    except Exception as exc:
        return all_failed(golden, "lme_struct", exc)
    keys = [k for k in golden_targets("lme_struct", golden) if k != "error"]
    results = produce(LME_STRUCT_RESULTS, keys, ctx, "lme_struct")
    printed = produce(_printed_table(golden), (golden.get("printed") or {}).keys(), ctx,
                      "lme_struct printed")
    for key, item in printed.items():
        fit = ctx.others.get(f"fit{key[len('summary_fit'):]}") \
            if key.startswith("summary_fit") else ctx.fit
        if fit is not None and fit.model.var is not None and fit.model.var.needs_update:
            for p in item.values() if isinstance(item, dict) else [item]:
                if isinstance(p, PrintedText):
                    p.rerender_rtol = FITTED_RERENDER_RTOL
    return {"results": results, "printed": printed, "at_r": _at_r_results(ctx, keys)}


#: a fit of a fitted(.) covariate: R's object holds the weights of the
#: covariate after its last update and the estimates of the one before, so
#: its printed numbers are hlm_py's at R's parameters to about 1e-7
FITTED_RERENDER_RTOL = 1e-6


#: quantities that are functions of the parameters (the "stops short" rule)
_NOT_AT_R = ("logLik", "logLik_df", "AIC", "BIC", "intervals", "intervals_error",
             "intervals_struct", "intervals_accurate", "apVar", "apVar_error", "compare", "anova_compare",
             "anova_compare_error", "numIter", "method", "nobs", "ngroups", "dims",
             "fixDF_X", "fixDF_terms")


def r_fit_at(fit: LmeFit, d: dict[str, Any]) -> LmeFit:
    """``fit`` evaluated at the parameters of R's fit ``d`` (its
    ``coef(modelStruct)``; a ``fitted(.)`` covariate R's, else its fitted
    values)."""
    ms = g_series(d["modelStruct_unconstrained"]).to_numpy(dtype=float)
    fitted = r_covariate(fit.model.var, d)
    if fitted is None and d.get("fitted") is not None:
        fitted = g_frame(d["fitted"]).iloc[:, -1].to_numpy(dtype=float)
    return fit.at(ms, fitted=fitted)


def _at_r_results(ctx: LmeStructContext, keys: list[str]) -> dict[str, Any] | None:
    """hlm_py's quantities with the fit (and each comparison fit, and their
    ``anova``) evaluated at R's tight parameters."""
    t = fit_base(ctx.golden)
    if not t or not t.get("modelStruct_unconstrained"):
        return None
    try:
        at = r_fit_at(ctx.fit, t)
    except Exception:  # R's parameters outside hlm_py's space: no such check
        return None
    other = LmeStructContext(ctx.golden)
    other.__dict__["fit"] = at
    compare_r = (ctx.golden.get("results") or {}).get("compare") or {}
    others: dict[str, Any] = {}
    for name in ctx.others if compare_r else ():
        try:
            others[name] = _other_at(ctx, name, compare_r.get(name) or {})
        except Exception:  # outside hlm_py's space: no such check
            continue
    wanted = [k for k in keys if k not in _NOT_AT_R] + ["logLik"]
    if others and len(others) == len(ctx.others):
        other.__dict__["others"] = others
        wanted += [k for k in keys if k == "anova_compare"]
    out = produce(LME_STRUCT_RESULTS, wanted, other, "lme_struct at R")
    var = ctx.fit.model.var
    out["_fixed_point"] = bool(var is not None and var.needs_update)
    if "compare" in keys and others:
        out["compare"] = {
            name: dict(_numbers(f), name=(compare_r.get(name) or {}).get("name"),
                       _fixed_point=bool(f.model.var is not None and f.model.var.needs_update))
            for name, f in others.items()}
    return out
