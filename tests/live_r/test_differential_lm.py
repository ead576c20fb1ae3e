"""Differential tests: ``lm`` on drawn data and formulas, hlm_py against R now.

Each example draws a data frame and a formula (tests/property/strategies.py),
runs ``lm`` in R (rpy2) and in hlm_py, and compares coefficients, aliasing,
rank, fitted values, residuals, ``summary`` (coefficient table, sigma,
R-squared, F statistic), the sequential ``anova`` table, ``predict`` with
confidence and prediction intervals and ``se.fit``, and the printed
``summary``. Where R refuses the input, hlm_py must raise ``HlmError``; where
R accepts it, hlm_py must not raise.

Tolerances are in tests/property/checks.py: 1e-10 relative (absolute floor
1e-12 in each quantity's own units) for well-conditioned designs; for
nearly collinear draws a bound that grows with the condition number
(Wedin's least-squares bound, with a factor 100 of slack), since there two
correct Householder QRs that round differently legitimately disagree.

A failing example prints a reproducer (data as CSV, R code, Python code,
golden ``Case``).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "property"),
                str(Path(__file__).resolve().parents[1])]

import calls  # noqa: E402
import checks  # noqa: E402
import rbridge  # noqa: E402
import strategies as S  # noqa: E402
from hypothesis_profiles import examples  # noqa: E402
from reproducer import emit  # noqa: E402

import hlm_py as hlm  # noqa: E402
from hlm_py.errors import HlmError  # noqa: E402

pytestmark = [
    pytest.mark.live_r,
]

DQRDC2_TOL = 1e-7
#: an aliasing decision whose column ratio is within this factor of dqrdc2's
#: tol is decided by rounding (see _r_lm): both decisions are then accepted
BORDER = 1e-4

R_LM = r"""
fit <- {call}
s <- summary(fit)
X <- model.matrix(fit)
w <- if (is.null(weights(fit))) rep(1, nrow(X)) else weights(fit)
keep <- w != 0
Xw <- X[keep, , drop = FALSE] * sqrt(w[keep])
yw <- (model.response(model.frame(fit)) - if (is.null(model.offset(model.frame(fit)))) 0
       else model.offset(model.frame(fit)))[keep] * sqrt(w[keep])
rank_lo <- if (ncol(Xw)) qr(Xw, tol = {tol} * (1 - {border}))$rank else 0
rank_hi <- if (ncol(Xw)) qr(Xw, tol = {tol} * (1 + {border}))$rank else 0
list(
  coef = .hlm_vec(coef(fit)),
  rank = fit$rank,
  df_residual = fit$df.residual,
  fitted = .hlm_vec(fitted(fit)),
  resid = .hlm_vec(residuals(fit)),
  X = .hlm_mat(X),
  Xw = .hlm_mat(Xw),
  yw = as.numeric(yw),
  off = if (is.null(model.offset(model.frame(fit)))) 0 else as.numeric(model.offset(model.frame(fit))),
  rank_lo = rank_lo, rank_hi = rank_hi,
  coefmat = .hlm_mat(coef(s)),
  aliased = .hlm_vec(s$aliased),
  sigma = s$sigma,
  r2 = s$r.squared, adjr2 = s$adj.r.squared,
  fstat = if (is.null(s$fstatistic)) NULL else .hlm_vec(s$fstatistic),
  df = as.numeric(s$df),
  anova = .hlm_mat(as.matrix(anova(fit)))
)
"""

R_PREDICT = r"""
fit <- {call}
pc <- predict(fit, newdata = nd, interval = "confidence", level = {level})
pp <- predict(fit, newdata = nd, interval = "prediction", level = {level})
ps <- predict(fit, newdata = nd, se.fit = TRUE)
offn <- model.offset(model.frame(delete.response(terms(fit)), nd, na.action = na.pass))
list(conf = .hlm_mat(pc), pred = .hlm_mat(pp), fit = .hlm_vec(ps$fit),
     se = .hlm_vec(ps$se.fit), df = ps$df, scale = ps$residual.scale,
     offn = if (is.null(offn)) 0 else as.numeric(offn))
"""

R_PRINT = r"""
fit <- {call}
list(summary = capture.output(print(summary(fit))), print = capture.output(print(fit)),
     anova = capture.output(print(anova(fit))),
     leverage_one = as.numeric(any(hatvalues(fit) > 1 - 1e-8)))
"""


def _py_text(p: S.Problem) -> str:
    return f"fit = {calls.lm_py_call(p)}\nprint(hlm.summary(fit))\nprint(hlm.anova(fit))"


def _r_text(p: S.Problem) -> str:
    return f"fit <- {calls.lm_r_call(p)}\nprint(summary(fit))\nprint(anova(fit))"


def _emit(p: S.Problem, title: str, **kw) -> None:
    emit(title, p.data, _r_text(p), _py_text(p), kind="lm", args=calls.lm_case_args(p), **kw)


def _fit_py(p: S.Problem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calls.fit_lm(p)


def _run_r(p: S.Problem, template: str, **frames) -> rbridge.RResult:
    code = template.format(call=calls.lm_r_call(p), tol=DQRDC2_TOL, border=BORDER,
                           level=0.95)
    return rbridge.run(code, d=p.data, **frames)


def documented_refusal(p: S.Problem) -> str | None:
    """Why hlm_py may refuse an input that R accepts (docs/differences.md), or None."""
    lhs = p.formula.split("~", 1)[0].strip()
    col = p.data.get(lhs)
    if col is not None and not (pd.api.types.is_numeric_dtype(col.dtype)
                                and not pd.api.types.is_bool_dtype(col.dtype)):
        # R fits the integer codes of a factor response (warning "using type =
        # \"numeric\" with a factor response will be ignored") and returns NA
        # residuals; hlm_py refuses a non-numeric response.
        return "non-numeric response"
    return None


def check_refusal_agrees(p: S.Problem, r: rbridge.RResult):
    """R refused -> hlm_py raises HlmError; R accepted -> hlm_py fits. Returns the fit."""
    if not r.ok:
        note(f"R refused: {r.error}")
        try:
            fit = _fit_py(p)
        except HlmError as exc:
            note(f"hlm_py refused: {exc}")
            return None
        raise AssertionError(f"R refuses this input ({r.error!r}) but hlm_py fitted it "
                             f"(coefficients {hlm.coef(fit).to_dict()})")
    try:
        return _fit_py(p)
    except HlmError as exc:
        if documented_refusal(p):
            note(f"documented difference: {documented_refusal(p)}: hlm_py refused: {exc}")
            return None
        raise AssertionError(f"R fits this input but hlm_py raised {type(exc).__name__}: {exc}"
                             f" (R warnings: {r.warnings})") from exc


# --------------------------------------------------------------------------


def compare_lm(p: S.Problem, fit, rv: dict) -> list[str]:
    """Every discrepancy between hlm_py's fit and R's values, as messages."""
    problems: list[str] = []

    def check(what, a, b, **kw):
        try:
            checks.assert_close(what, a, b, **kw)
        except AssertionError as exc:
            problems.append(str(exc))

    r_coef = rv["coef"]
    py_coef = hlm.coef(fit)
    if list(py_coef.index) != r_coef.names:
        return [f"coefficient names differ:\n  python {list(py_coef.index)}\n  R      {r_coef.names}"]

    border = int(rv["rank_lo"][0]) != int(rv["rank_hi"][0])
    note(f"rank R={int(rv['rank'][0])}, border case={border}")
    py_alias = np.isnan(py_coef.to_numpy(dtype=float))
    r_alias = np.isnan(r_coef.values)
    if border:
        # dqrdc2's decision sits within BORDER of its tolerance: rounding decides.
        # Accept either decision, but then compare nothing that depends on it.
        assert int(fit.rank) in (int(rv["rank_lo"][0]), int(rv["rank_hi"][0])), (
            f"rank {fit.rank} is neither of R's border ranks {rv['rank_lo'][0]}, {rv['rank_hi'][0]}")
        return problems
    if (py_alias != r_alias).any() or int(fit.rank) != int(rv["rank"][0]):
        problems.append(f"aliasing differs: python NA at {list(py_coef.index[py_alias])}, "
                        f"R NA at {[n for n, a in zip(r_coef.names, r_alias) if a]}; "
                        f"rank python {fit.rank} R {int(rv['rank'][0])}")
        return problems
    if int(hlm.df_residual(fit)) != int(rv["df_residual"][0]):
        problems.append(f"df.residual python {hlm.df_residual(fit)} R {int(rv['df_residual'][0])}")

    # condition of the problem, from R's weighted design (non-aliased columns)
    Xw = rv["Xw"].values[:, ~r_alias] if rv["Xw"].values.size else rv["Xw"].values
    yw = np.asarray(rv["yw"], dtype=float)
    kappa = checks.equilibrated_cond(Xw) if Xw.size else 1.0
    fitted_w = Xw @ r_coef.values[~r_alias] if Xw.size else np.zeros_like(yw)
    resid_w = yw - fitted_w
    ynorm = float(np.linalg.norm(yw)) or 1.0
    tan_theta = float(np.linalg.norm(resid_w) / (np.linalg.norm(fitted_w) or 1.0))
    tol = checks.ls_tolerance(kappa, tan_theta)
    tol_fit = checks.fit_tolerance(kappa)
    well = tol == checks.RTOL
    note(f"kappa={kappa:.3g} tan(theta)={tan_theta:.3g} coef tol={tol:.3g} fit tol={tol_fit:.3g}")

    xnorm = np.linalg.norm(Xw, axis=0) if Xw.size else np.ones(0)
    xnorm = np.where(xnorm > 0, xnorm, 1.0)
    bt = r_coef.values[~r_alias] * xnorm
    if well:
        atol = checks.ATOL_REL * ynorm / xnorm
        rtol = checks.RTOL
    else:
        atol = (tol * float(np.linalg.norm(bt)) + checks.ATOL_REL * ynorm) / xnorm
        rtol = 0.0
    names = [n for n, a in zip(r_coef.names, r_alias) if not a]
    check("coefficients", py_coef.to_numpy(dtype=float)[~r_alias], r_coef.values[~r_alias],
          rtol=rtol, atol=atol, names=names)

    # fitted values and residuals, by row label
    # rounding is relative to the working response y - offset, and to the offset
    yscale = float(np.max(np.abs(rv["fitted"].values) + np.abs(rv["resid"].values)
                          + np.abs(np.asarray(rv["off"], dtype=float)), initial=0.0))
    for what, py_s, r_v in (("fitted", hlm.fitted(fit), rv["fitted"]),
                            ("residuals", hlm.residuals(fit), rv["resid"])):
        labels = [str(i) for i in py_s.index]
        if labels != r_v.names:
            problems.append(f"{what}: row names differ: python {labels[:10]} R {r_v.names[:10]}")
            continue
        check(what, py_s.to_numpy(dtype=float), r_v.values, rtol=0.0,
              atol=tol_fit * max(yscale, 1e-300) * np.sqrt(len(labels)))

    # summary
    s = hlm.summary(fit)
    rdf = int(rv["df_residual"][0])
    cm_r = rv["coefmat"]
    cm_py = s.coefficients
    if list(cm_py.index) != cm_r.rownames or list(cm_py.columns) != cm_r.colnames:
        problems.append(f"summary coefficient table labels differ: python {list(cm_py.index)} "
                        f"{list(cm_py.columns)} R {cm_r.rownames} {cm_r.colnames}")
        return problems
    # sigma comes from residuals that cancel against the working response
    # y - offset: relative rounding error eps * ||y - offset|| / ||residuals||
    rnorm = float(np.linalg.norm(resid_w))
    tol_sigma = max(tol_fit * 10, 100 * checks.EPS * ynorm / rnorm) if rnorm > 0 else np.inf
    if rdf > 0 and cm_r.values.shape[0]:
        tol_se = max(checks.RTOL, 100 * checks.EPS * kappa**2, tol_sigma)
        est_py, se_py, t_py, p_py = (cm_py.to_numpy(dtype=float)[:, j] for j in range(4))
        est_r, se_r, t_r, p_r = (cm_r.values[:, j] for j in range(4))
        check("summary Std. Error", se_py, se_r, rtol=tol_se, atol=0.0, names=cm_r.rownames)
        t_atol = np.asarray(atol) / np.where(se_r > 0, se_r, np.inf) + tol_se * np.abs(t_r)
        check("summary t value", t_py, t_r, rtol=rtol, atol=t_atol, names=cm_r.rownames)
        t_rel = (np.abs(t_atol) + rtol * np.abs(t_r)) / np.maximum(np.abs(t_r), 1e-300)
        p_rtol = np.minimum(t_rel * (1.0 + rdf + t_r**2), 1.0)
        check("summary Pr(>|t|)", p_py, p_r, rtol=0.0, atol=p_rtol * p_r + 1e-300,
              names=cm_r.rownames)
        check("summary sigma", [s.sigma], [rv["sigma"][0]], rtol=tol_sigma, atol=0.0)
        r2_atol = max(10 * tol_fit, 2 * tol_sigma)  # 1 - RSS/TSS: RSS as sigma^2
        check("summary r.squared", [s.r_squared], [rv["r2"][0]], rtol=r2_atol, atol=r2_atol)
        check("summary adj.r.squared", [s.adj_r_squared], [rv["adjr2"][0]], rtol=r2_atol,
              atol=r2_atol * (1 + len(names)))
        if (rv["fstat"] is None) != (s.fstatistic is None):
            problems.append(f"fstatistic: python {s.fstatistic} R {rv['fstat']}")
        elif rv["fstat"] is not None:
            f_r = rv["fstat"].series()
            check("summary fstatistic value", [s.fstatistic["value"]], [f_r["value"]],
                  rtol=max(100 * tol_fit, 2 * tol_sigma) * (1 + f_r["value"])
                  / max(f_r["value"], 1e-300))
            check("summary fstatistic df", [s.fstatistic["numdf"], s.fstatistic["dendf"]],
                  [f_r["numdf"], f_r["dendf"]], rtol=0.0)
    if tuple(int(x) for x in s.df) != tuple(int(x) for x in rv["df"]):
        problems.append(f"summary df: python {tuple(s.df)} R {tuple(int(x) for x in rv['df'])}")

    # sequential anova
    a_py = hlm.anova(fit).to_frame()
    a_r = rv["anova"]
    if list(a_py.index) != a_r.rownames or list(a_py.columns) != a_r.colnames:
        problems.append(f"anova labels differ: python {list(a_py.index)} {list(a_py.columns)} "
                        f"R {a_r.rownames} {a_r.colnames}")
        return problems
    av_py = a_py.to_numpy(dtype=float)
    av_r = a_r.values
    check("anova Df", av_py[:, 0], av_r[:, 0], rtol=0.0, names=a_r.rownames)
    ss_r = av_r[:, 1]
    tss = float(np.sum(ss_r))
    ss_atol = 2 * tol_fit * ynorm * np.sqrt(np.abs(ss_r)) + (tol_fit * ynorm) ** 2 + 1e-300
    check("anova Sum Sq", av_py[:, 1], ss_r, rtol=tol_fit, atol=ss_atol, names=a_r.rownames)
    df_ = np.where(av_r[:, 0] > 0, av_r[:, 0], 1.0)
    check("anova Mean Sq", av_py[:, 2], av_r[:, 2], rtol=tol_fit, atol=ss_atol / df_,
          names=a_r.rownames)
    if rdf > 0 and tss > 0:
        ms_res = av_r[-1, 2]
        f_r = av_r[:-1, 3]
        rel_f = tol_fit + ss_atol[:-1] / df_[:-1] / np.maximum(av_r[:-1, 2], 1e-300) \
            + ss_atol[-1] / rdf / max(ms_res, 1e-300)
        check("anova F value", av_py[:-1, 3], f_r, rtol=0.0, atol=rel_f * np.abs(f_r) + 1e-300,
              names=a_r.rownames[:-1])
        p_rel = np.minimum(rel_f * (1.0 + av_r[:-1, 0] / 2 + rdf / 2 + np.abs(f_r)), 1.0)
        check("anova Pr(>F)", av_py[:-1, 4], av_r[:-1, 4], rtol=0.0,
              atol=p_rel * av_r[:-1, 4] + 1e-300, names=a_r.rownames[:-1])
    return problems


@settings(max_examples=examples(1.0))
@given(p=S.lm_problems())
def test_lm_matches_r(p: S.Problem) -> None:
    _emit(p, "test_lm_matches_r")
    r = _run_r(p, R_LM)
    fit = check_refusal_agrees(p, r)
    if fit is None:
        return
    problems = compare_lm(p, fit, r.value)
    assert not problems, "\n".join(problems)


def _newdata(p: S.Problem, rng: np.random.Generator, k: int):
    """Rows of the training data with their numeric predictors moved a little."""
    rows = rng.choice(len(p.data), size=min(k, len(p.data)), replace=False)
    nd = p.data.iloc[np.sort(rows)].copy()
    for c in p.meta.numeric + p.meta.collinear + list(p.meta.near):
        nd[c] = nd[c] + 0.25 * rng.standard_normal(len(nd))
    for c in p.meta.positive:
        nd[c] = nd[c] * np.exp(0.2 * rng.standard_normal(len(nd)))
    return nd


@settings(max_examples=examples(0.6))
@given(p=S.lm_problems(), seed=st.integers(0, 2**32 - 1), k=st.integers(1, 8))
def test_lm_predict_matches_r(p: S.Problem, seed: int, k: int) -> None:
    nd = _newdata(p, np.random.default_rng(seed), k)
    emit("test_lm_predict_matches_r", p.data,
         f"fit <- {calls.lm_r_call(p)}\npredict(fit, newdata = nd, interval = \"confidence\")\n"
         f"predict(fit, newdata = nd, interval = \"prediction\")\n"
         f"predict(fit, newdata = nd, se.fit = TRUE)",
         f"fit = {calls.lm_py_call(p)}\nhlm.predict(fit, nd, interval='confidence')\n"
         f"hlm.predict(fit, nd, interval='prediction')\nhlm.predict(fit, nd, se_fit=True)",
         newdata=nd)
    r = _run_r(p, R_PREDICT, nd=nd)
    if not r.ok:
        # R refused the fit or the prediction; the fit alone is checked elsewhere
        try:
            fit = _fit_py(p)
        except HlmError:
            return
        with pytest.raises(HlmError):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hlm.predict(fit, nd, interval="confidence")
        return
    fit = _fit_py(p)
    rv = r.value
    r_lm = _run_r(p, R_LM).value
    assume(int(r_lm["rank_lo"][0]) == int(r_lm["rank_hi"][0]))  # border aliasing: compared elsewhere
    alias = np.isnan(r_lm["coef"].values)
    Xw = r_lm["Xw"].values[:, ~alias] if r_lm["Xw"].values.size else r_lm["Xw"].values
    kappa = checks.equilibrated_cond(Xw) if Xw.size else 1.0
    tol = max(checks.RTOL, 100 * checks.EPS * kappa**2)
    # the absolute scale of a prediction: its size, its interval's half-width and
    # the offset it contains (offset + X b cancels where y is small beside it)
    scale = float(np.nanmax(np.abs(rv["conf"].values[:, 0]), initial=0.0)) + float(
        np.nanmax(np.abs(rv["pred"].values[:, 1:] - rv["pred"].values[:, :1]), initial=0.0)) + float(
        np.nanmax(np.abs(np.asarray(rv["offn"], dtype=float)), initial=0.0))
    note(f"kappa={kappa:.3g} tol={tol:.3g}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conf = hlm.predict(fit, nd, interval="confidence")
        pred = hlm.predict(fit, nd, interval="prediction")
        ps = hlm.predict(fit, nd, se_fit=True)
    for what, py, rm in (("confidence", conf, rv["conf"]), ("prediction", pred, rv["pred"])):
        assert list(py.columns) == rm.colnames, f"{what}: columns {list(py.columns)} vs {rm.colnames}"
        assert [str(i) for i in py.index] == rm.rownames, f"{what}: rows differ"
        checks.assert_close(f"predict {what}", py.to_numpy(dtype=float), rm.values,
                            rtol=tol, atol=tol * max(scale, 1e-300))
    checks.assert_close("predict se.fit", ps.se_fit.to_numpy(dtype=float), rv["se"].values,
                        rtol=tol, atol=tol * max(scale, 1e-300))
    checks.assert_close("predict fit", np.asarray(ps.fit, dtype=float), rv["fit"].values,
                        rtol=tol, atol=tol * max(scale, 1e-300))
    assert float(ps.df) == float(rv["df"][0])
    checks.assert_close("predict residual.scale", [ps.residual_scale], [rv["scale"][0]],
                        rtol=tol)


@settings(max_examples=examples(0.5))
@given(p=S.lm_problems(near_collinear=False))
def test_lm_printed_summary_matches_r(p: S.Problem) -> None:
    """The printed summary, print(fit) and anova text, line for line (well-conditioned draws)."""
    _emit(p, "test_lm_printed_summary_matches_r")
    r = _run_r(p, R_PRINT)
    assume(r.ok)
    p.data.attrs["name"] = "d"
    fit = _fit_py(p)
    leverage_one = bool(r.value["leverage_one"][0])
    perfect_fit = any("essentially perfect fit" in w for w in r.warnings)
    for what, py_text in (("print", str(fit)), ("summary", str(hlm.summary(fit))),
                          ("anova", str(hlm.anova(fit)))):
        r_text = "\n".join(r.value[what]).rstrip("\n")
        py_text = py_text.rstrip("\n")
        if what == "summary" and leverage_one:
            # a row of leverage 1 has a residual that is exactly 0 in theory and
            # rounding noise in practice (R prints 5.551e-17, hlm_py maybe 0):
            # the Residuals block then shows noise, so it is not compared
            r_text, py_text = _drop_residuals_block(r_text), _drop_residuals_block(py_text)
        if perfect_fit and py_text != r_text:
            # R warns that F-tests / the summary of an essentially perfect fit are
            # unreliable: the residual sum of squares is rounding noise, and so are
            # the last digits of whatever is divided by it (difference P6)
            _assert_same_up_to_noise(what, py_text, r_text)
            continue
        assert py_text == r_text, (
            f"printed {what} differs:\n--- R ---\n{r_text}\n--- python ---\n{py_text}")


#: P6: numbers printed from an essentially perfect fit agree to this (relative)
PERFECT_FIT_RTOL = 1e-6


def _assert_same_up_to_noise(what: str, py_text: str, r_text: str) -> None:
    """Line for line, token for token; numbers may differ by one unit of their
    last printed digit or by ``PERFECT_FIT_RTOL``, all else is equal."""
    py_lines, r_lines = py_text.split("\n"), r_text.split("\n")
    assert len(py_lines) == len(r_lines), f"printed {what}: line counts differ"
    for a_line, b_line in zip(py_lines, r_lines):
        a_tok, b_tok = a_line.split(), b_line.split()
        assert len(a_tok) == len(b_tok), f"printed {what}:\n  {a_line}\n  {b_line}"
        for a, b in zip(a_tok, b_tok):
            if a == b:
                continue
            try:
                x, y = float(a.rstrip(",")), float(b.rstrip(","))
            except ValueError:
                raise AssertionError(f"printed {what}: {a!r} vs {b!r}\n  {a_line}\n  {b_line}") from None
            mant = b.rstrip(",").lower().split("e")[0]
            decimals = len(mant.split(".")[1]) if "." in mant else 0
            exp = int(b.lower().split("e")[1].rstrip(",")) if "e" in b.lower() else 0
            unit = 10.0 ** (exp - decimals)
            assert abs(x - y) <= max(1.01 * unit, PERFECT_FIT_RTOL * abs(y)), (
                f"printed {what}: {a} vs {b} beyond noise\n  {a_line}\n  {b_line}")


def _drop_residuals_block(text: str) -> str:
    """The summary without its residuals block, in every layout of print.summary.lm.

    The block runs from ``Residuals:`` (``Weighted Residuals:`` with
    weights) to the coefficients header, which is ``Coefficients:``, or
    ``Coefficients: (k not defined because of singularities)`` with
    aliasing, or ``No Coefficients``; it holds quantiles (rdf > 5) or every
    residual (rdf <= 5).
    """
    lines = text.split("\n")
    starts = [i for i, ln in enumerate(lines) if ln in ("Residuals:", "Weighted Residuals:")]
    ends = [i for i, ln in enumerate(lines)
            if ln.startswith("Coefficients:") or ln == "No Coefficients"]
    if not starts or not ends or ends[0] < starts[0]:
        return text
    return "\n".join(lines[:starts[0]] + ["<residuals: rounding noise>"] + lines[ends[0]:])


@pytest.mark.parametrize("header,coef", [
    ("Residuals:", "Coefficients:"),
    ("Weighted Residuals:", "Coefficients:"),
    ("Residuals:", "Coefficients: (1 not defined because of singularities)"),
    ("Residuals:", "No Coefficients"),
])
def test_drop_residuals_block_knows_every_layout(header: str, coef: str) -> None:
    text = "\n".join(["", "Call:", "lm(formula = y ~ x)", "", header, "  1   2", " a   b", "",
                      coef, "tail"])
    dropped = _drop_residuals_block(text).split("\n")
    assert dropped == ["", "Call:", "lm(formula = y ~ x)", "", "<residuals: rounding noise>",
                       coef, "tail"]


@settings(max_examples=examples(0.75))
@given(p=S.hostile_lm_problems())
def test_lm_refusals_match_r(p: S.Problem) -> None:
    """Inputs that R may refuse: hlm_py refuses exactly those (with HlmError)."""
    _emit(p, "test_lm_refusals_match_r")
    r = _run_r(p, "fit <- {call}\nlist(coef = .hlm_vec(coef(fit)))")
    fit = check_refusal_agrees(p, r)
    if fit is not None:
        py_coef = hlm.coef(fit)
        assert list(py_coef.index) == r.value["coef"].names
