"""The Python side of the lm and model_matrix golden cases.

:func:`run_lm` fits the case with the public call a user would write
(``hlm.lm(formula, data, weights="w", subset="cyl > 4", ...)``) and produces
every quantity under the golden's keys (:data:`LM_RESULTS`) plus the printed
texts (:data:`LM_PRINTED`); :func:`run_model_matrix` does the same for
``model.matrix`` cases. The dispatch by kind is :func:`hlm_py.verify.cases.run_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.formula.parser import is_syntactic_name
from hlm_py.formula.terms import Terms, terms
from hlm_py.lm import AnovaTable, LmFit, LmSummary
from hlm_py.lm import inference as lm_inference
from hlm_py.printing.matrixprint import print_matrix, print_series, print_vector
from hlm_py.verify.context import CaseContext, all_failed, produce
from hlm_py.verify.goldens import golden_targets

__all__ = ["LM_PRINTED", "LM_RESULTS", "MATRIX_PRINTED", "MATRIX_RESULTS", "LmContext",
           "MatrixContext", "print_model_matrix", "run_lm", "run_model_matrix"]


class LmContext(CaseContext):
    """The fit of an lm case and everything derived from it, computed once."""

    def _lm(self, args: dict[str, Any]) -> LmFit:
        a = dict(args)
        formula = a.pop("formula")
        kwargs: dict[str, Any] = {}
        for key in ("weights", "subset", "na_action", "contrasts", "offset"):
            if a.get(key) is not None:
                kwargs[key] = a.pop(key)
            else:
                a.pop(key, None)
        if a:
            raise HlmError(f"case {self.case['name']!r}: lm arguments not understood: {sorted(a)}")
        return hlm.lm(formula, self.data, **kwargs)

    @cached_property
    def fit(self) -> LmFit:
        return self._lm(self.args)

    @property
    def extra(self) -> dict[str, Any]:
        return self.case.get("extra") or {}

    @property
    def fit_name(self) -> str:
        return self.extra.get("fit_name") or "fit"

    @cached_property
    def other_fits(self) -> dict[str, LmFit]:
        """The case's further fits (``extra["compare"]``): same data and arguments,
        with the changes each one lists (``formula``, or ``args``)."""
        out = {}
        for m in self.extra.get("compare") or []:
            args = dict(self.args)
            args.update(m.get("args") or {})
            for key, value in m.items():
                if key not in ("name", "args"):
                    args[key] = value
            out[m["name"]] = self._lm(args)
        return out

    @property
    def compare_order(self) -> list[str]:
        order = self.extra.get("anova_order")
        if order is None:
            order = [m["name"] for m in self.extra.get("compare") or []] + [self.fit_name]
        return list(order)

    @property
    def compare_call(self) -> str:
        return "anova(" + ", ".join(self.compare_order) + ")"

    @cached_property
    def compare_anova(self) -> AnovaTable:
        fits = {self.fit_name: self.fit, **self.other_fits}
        ordered = [fits[n] for n in self.compare_order]
        return hlm.anova(*ordered)

    @cached_property
    def summary(self) -> LmSummary:
        return hlm.summary(self.fit)

    @cached_property
    def anova(self) -> AnovaTable:
        return hlm.anova(self.fit)

    def predict(self, **kwargs: Any) -> Any:
        if self.newdata is None:
            raise HlmError(f"case {self.case['name']!r} has no newdata")
        return hlm.predict(self.fit, self.newdata, **kwargs)


def _fstat(summary: LmSummary) -> pd.Series | None:
    f = summary.fstatistic
    if f is None:
        return None
    return pd.Series([f["value"], f["numdf"], f["dendf"]], index=["value", "numdf", "dendf"])


def _weights(fit: LmFit) -> pd.Series | None:
    """R's ``weights(fit)``: the prior weights, padded under ``na.exclude``."""
    if fit.weights is None:
        return None
    return lm_inference.naresid(fit, np.asarray(fit.weights, dtype=float), fit.resid.index)


def _weighted_residuals(fit: LmFit) -> pd.Series:
    """R's ``weighted.residuals(fit)``: deviance residuals, zero weights dropped."""
    r = hlm.residuals(fit, type="deviance")
    w = _weights(fit)
    if w is None:
        return r
    return r[~(w.to_numpy() == 0)]


def _terms(fit: LmFit) -> dict[str, Any]:
    return _terms_of(fit.design.frame.terms)


def _na_action(fit: LmFit) -> dict[str, Any] | None:
    na = fit.design.frame.na_action
    if na is None:
        return None
    return {"class": str(na.kind), "omitted": [str(v) for v in na.omitted_labels]}


def _model_matrix_contrasts(fit: LmFit) -> dict[str, Any]:
    return dict(fit.model_matrix().attrs.get("contrasts") or {})


def _qr_pivot(fit: LmFit) -> list[int]:
    """R's ``fit$qr$pivot`` (1-based)."""
    if fit.qr is None:
        raise HlmError("the fit has no QR decomposition")
    return [int(i) + 1 for i in fit.qr.pivot]


def _predict_se(ctx: LmContext) -> dict[str, Any]:
    p = ctx.predict(se_fit=True)
    return {"fit": p.fit, "se.fit": p.se_fit, "df": p.df, "residual.scale": p.residual_scale}


def _r_matrix_text(df: Any) -> str:
    if hasattr(df, "to_frame") and not isinstance(df, pd.DataFrame):
        df = df.to_frame()
    return print_matrix(df.to_numpy(dtype=float), [str(i) for i in df.index],
                        [str(c) for c in df.columns])


def _r_vector_text(s: pd.Series) -> str:
    return print_series(s)


def _compare_models(ctx: LmContext) -> dict[str, Any]:
    out = {}
    for name, fit in ctx.other_fits.items():
        s = hlm.summary(fit)
        out[name] = {
            "coefficients": hlm.coef(fit), "sigma": s.sigma, "r_squared": s.r_squared,
            "adj_r_squared": s.adj_r_squared, "df_residual": hlm.df_residual(fit),
            "deviance": fit.deviance(), "fstatistic": _fstat(s),
        }
    return out


LM_RESULTS: dict[str, Callable[[LmContext], Any]] = {
    "call": lambda c: c.fit.call,
    "coefficients": lambda c: hlm.coef(c.fit),
    "rank": lambda c: c.fit.rank,
    "aliased": lambda c: c.summary.aliased,
    "qr_pivot": lambda c: _qr_pivot(c.fit),
    "df_residual": lambda c: hlm.df_residual(c.fit),
    "summary_df": lambda c: [int(v) for v in c.summary.df],
    "sigma": lambda c: c.summary.sigma,
    "r_squared": lambda c: c.summary.r_squared,
    "adj_r_squared": lambda c: c.summary.adj_r_squared,
    "fstatistic": lambda c: _fstat(c.summary),
    "summary_coefficients": lambda c: c.summary.coefficients,
    "summary_residuals": lambda c: c.summary.residuals,
    "cov_unscaled": lambda c: c.summary.cov_unscaled,
    "vcov": lambda c: hlm.vcov(c.fit),
    "anova": lambda c: c.anova.to_frame(),
    "anova_heading": lambda c: list(c.anova.heading),
    "residuals": lambda c: hlm.residuals(c.fit),
    "fitted": lambda c: hlm.fitted(c.fit),
    "effects": lambda c: c.fit.effects,
    "weights": lambda c: _weights(c.fit),
    "weighted_residuals": lambda c: _weighted_residuals(c.fit),
    "hatvalues": lambda c: hlm.hatvalues(c.fit),
    "rstandard": lambda c: hlm.rstandard(c.fit),
    "cooks_distance": lambda c: hlm.cooks_distance(c.fit),
    "deviance": lambda c: c.fit.deviance(),
    "nobs": lambda c: hlm.nobs(c.fit),
    "loglik": lambda c: float(hlm.logLik(c.fit)),
    "loglik_df": lambda c: hlm.logLik(c.fit).df,
    "loglik_nobs": lambda c: hlm.logLik(c.fit).nobs,
    "aic": lambda c: hlm.AIC(c.fit),
    "bic": lambda c: hlm.BIC(c.fit),
    "model_matrix": lambda c: c.fit.model_matrix(),
    "model_matrix_assign": lambda c: [int(v) for v in c.fit.model_matrix().attrs["assign"]],
    "model_matrix_contrasts": lambda c: _model_matrix_contrasts(c.fit),
    "xlevels": lambda c: {k: list(v) for k, v in c.fit.design.frame.xlevels.items()},
    "terms": lambda c: _terms(c.fit),
    "na_action": lambda c: _na_action(c.fit),
    "confint": lambda c: hlm.confint(c.fit).to_frame(),
    "predict": lambda c: c.predict(),
    "predict_confidence": lambda c: c.predict(interval="confidence"),
    "predict_prediction": lambda c: c.predict(interval="prediction"),
    "predict_se": _predict_se,
    "predict_error": lambda c: c.predict(),
    "compare_call": lambda c: c.compare_call,
    "compare_anova": lambda c: c.compare_anova.to_frame(),
    "compare_anova_heading": lambda c: list(c.compare_anova.heading),
    "compare_models": _compare_models,
}


def _summary_of(name: str) -> Callable[[LmContext], str]:
    return lambda c: str(hlm.summary(c.other_fits[name]))


LM_PRINTED: dict[str, Callable[[LmContext], str]] = {
    "print": lambda c: str(c.fit),
    "summary": lambda c: str(c.summary),
    "anova": lambda c: str(c.anova),
    "confint": lambda c: str(hlm.confint(c.fit)),
    "vcov": lambda c: _r_matrix_text(hlm.vcov(c.fit)),
    "predict": lambda c: _r_vector_text(c.predict()),
    "predict_confidence": lambda c: _r_matrix_text(c.predict(interval="confidence")),
    "predict_prediction": lambda c: _r_matrix_text(c.predict(interval="prediction")),
    "compare_anova": lambda c: str(c.compare_anova),
}


def run_lm(golden: dict[str, Any]) -> dict[str, Any]:
    try:
        ctx = LmContext(golden)
        _ = ctx.fit
    except Exception as exc:  # the fit itself failed: every quantity fails with it
        return all_failed(golden, "lm", exc)
    keys = [k for k in golden_targets("lm", golden) if k != "error"]
    results = produce(LM_RESULTS, keys, ctx, "lm")
    if golden.get("error") is not None:
        results["error"] = "hlm_py fitted the case without an error"
    return {
        "results": results,
        "printed": produce(_lm_printed_table(golden), (golden.get("printed") or {}).keys(),
                            ctx, "lm printed"),
    }


def _lm_printed_table(golden: dict[str, Any]) -> dict[str, Callable[[LmContext], str]]:
    table = dict(LM_PRINTED)
    for m in (golden["case"].get("extra") or {}).get("compare") or []:
        table[f"summary_{m['name']}"] = _summary_of(m["name"])
    return table


# --------------------------------------------------------------------------
# model_matrix


class MatrixContext(CaseContext):
    """The model matrix of a model_matrix case, computed once."""

    @cached_property
    def matrix(self) -> pd.DataFrame:
        a = dict(self.args)
        formula = a.pop("formula")
        contrasts = a.pop("contrasts", None)
        if a:
            raise HlmError(
                f"case {self.case['name']!r}: model_matrix arguments not understood: {sorted(a)}")
        return hlm.model_matrix(formula, self.data, contrasts=contrasts)


def _terms_of(t: Terms) -> dict[str, Any]:
    factors = None
    if len(t.term_labels):
        factors = pd.DataFrame(np.asarray(t.factors, dtype=int), index=list(t.variables),
                               columns=list(t.term_labels))
    return {
        "term_labels": list(t.term_labels),
        "order": [int(o) for o in t.order],
        "intercept": int(bool(t.intercept)),
        "response": 1 if t.response is not None else 0,
        # R's golden deparses each variable on its own: a bare non-syntactic
        # name is a symbol there, deparsed without its backquotes
        "variables": [_symbol_text(v) for v in t.variables],
        "offset": [int(i) + 1 for i in t.offsets] if t.offsets else None,
        "factors": factors,
    }


def _symbol_text(v: str) -> str:
    return v[1:-1] if len(v) > 2 and v[0] == v[-1] == "`" and "`" not in v[1:-1] else v


def _formula_terms(formula: str, data: pd.DataFrame) -> dict[str, Any]:
    return _terms_of(terms(formula, data_columns=[str(c) for c in data.columns]))


def print_model_matrix(mm: pd.DataFrame) -> str:
    """R's ``print`` of a ``model.matrix``: the matrix, then its ``assign`` and
    ``contrasts`` attributes."""
    lines = [print_matrix(mm.to_numpy(dtype=float), [str(i) for i in mm.index],
                          [str(c) for c in mm.columns]),
             'attr(,"assign")',
             print_vector([float(v) for v in mm.attrs["assign"]])]
    contrasts = mm.attrs.get("contrasts") or {}
    if contrasts:
        lines.append('attr(,"contrasts")')
        for name, value in contrasts.items():
            shown = name if is_syntactic_name(name) else f"`{name}`"
            lines.append(f'attr(,"contrasts")${shown}')
            lines.append(f'[1] "{value}"')
            lines.append("")
    return "\n".join(lines)


MATRIX_RESULTS: dict[str, Callable[[MatrixContext], Any]] = {
    "model_matrix": lambda c: c.matrix,
    "assign": lambda c: [int(v) for v in c.matrix.attrs["assign"]],
    "contrasts": lambda c: {k: str(v) for k, v in (c.matrix.attrs.get("contrasts") or {}).items()},
    "terms": lambda c: _formula_terms(c.args["formula"], c.data),
}

MATRIX_PRINTED: dict[str, Callable[[MatrixContext], str]] = {
    "print": lambda c: print_model_matrix(c.matrix),
}


def run_model_matrix(golden: dict[str, Any]) -> dict[str, Any]:
    try:
        ctx = MatrixContext(golden)
        _ = ctx.matrix
    except Exception as exc:
        return all_failed(golden, "model_matrix", exc)
    keys = golden_targets("model_matrix", golden).keys()
    return {"results": produce(MATRIX_RESULTS, keys, ctx, "model_matrix"),
            "printed": produce(MATRIX_PRINTED, (golden.get("printed") or {}).keys(), ctx,
                                "model_matrix printed")}
