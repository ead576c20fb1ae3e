"""The renderers of lm results, on stand-in objects with the contract's fields.

Numbers are made up; the assertions are the fixed text and layout of R's
print.lm / print.summary.lm / print.anova (section titles, the singularities
and missingness lines, the quantile names, where NA goes), not R output.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from hlm_py.printing import reports
from hlm_py.report import render

CN = ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]


def _summary(rdf=28, aliased=False, weights=None, na_action=None, n_resid=None):
    names = ["(Intercept)", "x", "z"]
    coefs = pd.DataFrame([[10.0, 2.0, 5.0, 2e-5], [1.5, 0.5, 3.0, 0.004]],
                         index=names[:2], columns=CN)
    al = pd.Series([False, False, True] if aliased else [False, False], index=names[: 3 if aliased else 2])
    if not aliased:
        coefs = coefs.iloc[:2]
    n = n_resid if n_resid is not None else rdf + 2
    resid = pd.Series(np.linspace(-2, 3, n), index=[str(i + 1) for i in range(n)])
    return SimpleNamespace(
        call="lm(formula = y ~ x + z, data = d)", residuals=resid, coefficients=coefs,
        aliased=al, sigma=1.23456, df=(2, rdf, 3 if aliased else 2), r_squared=0.7512,
        adj_r_squared=0.7, fstatistic={"value": 12.3456, "numdf": 1.0, "dendf": float(rdf)},
        weights=weights, na_action=na_action,
    )


def test_summary_sections_in_order():
    text = reports.render_lm_summary(_summary())
    lines = text.split("\n")
    assert lines[:4] == ["", "Call:", "lm(formula = y ~ x + z, data = d)", ""]
    assert lines[4] == "Residuals:"
    assert lines[5].split() == ["Min", "1Q", "Median", "3Q", "Max"]
    assert lines[7] == ""
    assert lines[8] == "Coefficients:"
    assert "Residual standard error: 1.235 on 28 degrees of freedom" in lines
    assert any(line.startswith("Multiple R-squared:  0.7512,\tAdjusted R-squared:  ") for line in lines)
    f_line = [line for line in lines if line.startswith("F-statistic:")][0]
    assert f_line.startswith("F-statistic: 12.35 on 1 and 28 DF,  p-value: ")
    # R ends with cat("\n") after the F line: a blank last line
    assert lines[-1] == "" and lines[-2] == f_line


def test_summary_singularities_and_na_rows():
    lines = reports.render_lm_summary(_summary(aliased=True)).split("\n")
    assert "Coefficients: (1 not defined because of singularities)" in lines
    zrow = [line for line in lines if line.startswith("z ")][0]
    assert zrow.split() == ["z", "NA", "NA", "NA", "NA"]


def test_summary_missingness_and_weights():
    na = SimpleNamespace(kind="omit", omitted_positions=np.array([3, 7]))
    s = _summary(weights=np.array([1.0, 2.0]), na_action=na)
    lines = reports.render_lm_summary(s).split("\n")
    assert "Weighted Residuals:" in lines
    assert "  (2 observations deleted due to missingness)" in lines
    one = SimpleNamespace(kind="omit", omitted_positions=[5])
    assert reports.naprint(one) == "1 observation deleted due to missingness"
    assert reports.naprint(None) == ""
    same_w = _summary(weights=np.array([2.0, 2.0]))
    assert "Residuals:" in reports.render_lm_summary(same_w).split("\n")


def test_summary_small_rdf_prints_every_residual():
    lines = reports.render_lm_summary(_summary(rdf=3, n_resid=5)).split("\n")
    assert lines[5].split() == ["1", "2", "3", "4", "5"]


def test_summary_zero_rdf():
    s = _summary(rdf=0, n_resid=2)
    lines = reports.render_lm_summary(s).split("\n")
    assert "ALL 2 residuals are 0: no residual degrees of freedom!" in lines


def test_print_lm():
    fit = SimpleNamespace(call="lm(formula = y ~ x)",
                          coefficients=pd.Series([1.25, np.nan], index=["(Intercept)", "x"]))
    lines = reports.render_lm(fit).split("\n")
    assert lines[:5] == ["", "Call:", "lm(formula = y ~ x)", "", "Coefficients:"]
    assert lines[5].split() == ["(Intercept)", "x"]
    assert lines[6].split() == ["1.25", "NA"]
    assert lines[-1] == ""
    empty = SimpleNamespace(call="lm(formula = y ~ 0)", coefficients=pd.Series([], dtype=float))
    assert "No coefficients" in reports.render_lm(empty).split("\n")


def test_anova_heading_and_blank_cells():
    table = pd.DataFrame(
        [[1, 800.5, 800.5, 120.25, 1e-12], [28, 186.0, 6.64, np.nan, np.nan]],
        index=["x", "Residuals"], columns=["Df", "Sum Sq", "Mean Sq", "F value", "Pr(>F)"])
    a = SimpleNamespace(table=table, heading=["Analysis of Variance Table\n", "Response: y"])
    lines = reports.render_anova(a).split("\n")
    assert lines[:3] == ["Analysis of Variance Table", "", "Response: y"]
    assert lines[3].split() == ["Df", "Sum", "Sq", "Mean", "Sq", "F", "value", "Pr(>F)"]
    resid_row = lines[5]
    assert resid_row.split() == ["Residuals", "28", "186.0", "6.64"]
    assert lines[-2] == "---"


def test_confint_is_a_matrix_print():
    t = pd.DataFrame([[1.0, 2.0], [-0.5, 0.25]], index=["(Intercept)", "x"],
                     columns=["2.5 %", "97.5 %"])
    lines = reports.render_confint(SimpleNamespace(table=t)).split("\n")
    assert lines[0].split() == ["2.5", "%", "97.5", "%"]
    assert lines[1].split() == ["(Intercept)", "1.0", "2.00"]


def test_renderers_are_registered_for_lm_classes():
    import hlm_py.printing  # noqa: F401  (registers)
    from hlm_py.lm import results

    s = _summary()
    obj = results.LmSummary(
        call=s.call, residuals=s.residuals, coefficients=s.coefficients, aliased=s.aliased,
        sigma=s.sigma, df=s.df, r_squared=s.r_squared, adj_r_squared=s.adj_r_squared,
        fstatistic=s.fstatistic, cov_unscaled=pd.DataFrame(), weights=None, na_action=None)
    assert render(obj) == reports.render_lm_summary(s)
    assert str(obj) == render(obj)
