"""One renderer per result class: the text R prints for it.

* :func:`render_lm` — R's ``print.lm``
* :func:`render_lm_summary` — R's ``print.summary.lm``
* :func:`render_anova` — R's ``print.anova``
* :func:`render_confint` — R's ``print.default`` of the ``confint`` matrix

Each returns R's output with its final newline removed, i.e. what
``paste(capture.output(print(x)), collapse = "\\n")`` gives in R 4.2.2 at
``digits = 7``, ``width = 80``, ``show.signif.stars = TRUE``.

Renderers read only the fields that ``docs/internals.md`` names (lm/), with
``getattr`` so that any object carrying those fields prints.

Helpers for other printers (nlme's): :func:`residual_quantiles` (the
five-number line of ``print.summary.lm`` / ``print.summary.lme``, on
``hlm_py.rbase.quantile``), :func:`naprint`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import f as f_dist

from hlm_py.lm.fit import LmFit
from hlm_py.lm.results import AnovaTable, ConfintTable, LmSummary
from hlm_py.printing.coefmat import format_coefmat
from hlm_py.printing.matrixprint import (
    print_data_frame,
    print_matrix,
    print_named_strings,
    print_named_vector,
    print_vector,
)
from hlm_py.printing.rformat import cat_number, format_c, format_pval, signif, zapsmall
from hlm_py.rbase.formatnum import DIGITS, format_number, format_real
from hlm_py.rbase.quantile import quantile7
from hlm_py.report import RDataFrame, register_renderer

__all__ = [
    "residual_quantiles",
    "naprint",
    "render_lm",
    "render_lm_summary",
    "render_anova",
    "render_confint",
    "anova_text",
    "r_list_tag",
    "model_matrix_text",
    "render_model_matrix",
    "register_all",
]


# ---------------------------------------------------------------------------
# helpers


def residual_quantiles(
    resid: Sequence[float] | np.ndarray,
    digits: int,
    names: Sequence[str] = ("Min", "1Q", "Median", "3Q", "Max"),
    zap: bool = True,
) -> str:
    """The five-number residual summary as R prints it.

    ``print.summary.lm``: ``zapsmall(quantile(resid), digits + 1)`` printed with
    ``digits``. nlme's ``print.summary.lme`` prints ``quantile`` without zapping
    and with names ``Min Q1 Med Q3 Max`` (pass ``zap=False``, ``names=``).
    """
    q = quantile7(resid)
    if zap:
        q = zapsmall(q, digits + 1)
    return print_named_vector(q, list(names), digits=digits)


def _omitted_count(na_action: Any) -> int:
    if na_action is None:
        return 0
    for attr in ("omitted_positions", "omitted_labels", "omitted"):
        v = getattr(na_action, attr, None)
        if v is not None:
            return len(v)
    try:
        return len(na_action)
    except TypeError:
        return 0


def naprint(na_action: Any) -> str:
    """R's ``naprint`` of an ``na.omit``/``na.exclude`` action ("" when none)."""
    n = _omitted_count(na_action)
    if n == 0:
        return ""
    kind = getattr(na_action, "kind", "omit")
    if kind not in ("omit", "exclude", "na.omit", "na.exclude"):
        return ""
    if n == 1:
        return "1 observation deleted due to missingness"
    return f"{n} observations deleted due to missingness"


def _finish(text: str) -> str:
    """R's output minus its final newline."""
    return text[:-1] if text.endswith("\n") else text


def _names_of(s: Any) -> list[str]:
    if isinstance(s, (pd.Series, pd.DataFrame)):
        return [str(i) for i in s.index]
    return [str(i + 1) for i in range(len(s))]


# ---------------------------------------------------------------------------
# print.lm


def render_lm(fit: Any, digits: int = max(3, DIGITS - 3)) -> str:
    """R's ``print.lm``: the call and the coefficients (``NA`` for aliased ones)."""
    out = "\nCall:\n" + str(fit.call) + "\n\n"
    coef = fit.coefficients
    if len(coef):
        vals = np.asarray(coef, dtype=float)
        strs = format_real(vals, digits=digits)
        out += "Coefficients:\n" + print_named_strings(strs, _names_of(coef), gap=2) + "\n"
    else:
        out += "No coefficients\n"
    out += "\n"
    return _finish(out)


# ---------------------------------------------------------------------------
# print.summary.lm


def _f_pvalue(fstat: dict[str, float]) -> float:
    if "p_value" in fstat:
        return float(fstat["p_value"])
    return float(f_dist.sf(fstat["value"], fstat["numdf"], fstat["dendf"]))


def render_lm_summary(
    s: Any, digits: int = max(3, DIGITS - 3), signif_stars: bool = True
) -> str:
    """R's ``print.summary.lm`` (without ``correlation = TRUE``)."""
    out = "\nCall:\n" + str(s.call) + "\n\n"
    resid = s.residuals
    p, rdf, p_all = (int(v) for v in s.df)
    w = getattr(s, "weights", None)
    weighted = False
    if w is not None:
        wa = np.asarray(w, dtype=float)
        weighted = wa.size > 0 and float(np.max(wa) - np.min(wa)) != 0.0
    out += ("Weighted " if weighted else "") + "Residuals:\n"
    if rdf > 5:
        out += residual_quantiles(np.asarray(resid, dtype=float), digits) + "\n"
    elif rdf > 0:
        out += print_named_vector(np.asarray(resid, dtype=float), _names_of(resid), digits) + "\n"
    else:
        out += f"ALL {p} residuals are 0: no residual degrees of freedom!\n"
    aliased = s.aliased
    if len(aliased) == 0:
        out += "\nNo Coefficients\n"
    else:
        nsing = p_all - p
        if nsing:
            out += f"\nCoefficients: ({nsing} not defined because of singularities)\n"
        else:
            out += "\nCoefficients:\n"
        coefs = s.coefficients
        colnames = [str(c) for c in coefs.columns]
        al = np.asarray(aliased, dtype=bool)
        if al.any():
            names = [str(i) for i in aliased.index]
            full = np.full((len(names), coefs.shape[1]), np.nan)
            full[~al, :] = np.asarray(coefs, dtype=float)
            rownames = names
        else:
            full = np.asarray(coefs, dtype=float)
            rownames = [str(i) for i in coefs.index]
        # NaN in an estimated row is R's NaN (0/0 in a perfect fit); aliased rows are NA.
        nan_mask = np.isnan(full) & ~al[:, None] if al.any() else np.isnan(full)
        out += format_coefmat(full, rownames, colnames, digits=digits,
                              signif_stars_=signif_stars, na_print="NA",
                              nan_mask=nan_mask) + "\n"
    # sigma and adjusted R-squared are computed, never R's NA: with zero
    # residual df they are R's NaN (0/0), and print so.
    out += ("\nResidual standard error: " + _nan_as_r(s.sigma, format_number(signif(s.sigma, digits)))
            + " on " + cat_number(rdf) + " degrees of freedom\n")
    mess = naprint(getattr(s, "na_action", None))
    if mess:
        out += "  (" + mess + ")\n"
    fs = getattr(s, "fstatistic", None)
    if fs is not None:
        out += "Multiple R-squared:  " + format_c(s.r_squared, digits=digits)
        out += (",\tAdjusted R-squared:  "
                + format_c(s.adj_r_squared, digits=digits, nan_string="NaN")
                + " \nF-statistic: " + format_c(fs["value"], digits=digits, nan_string="NaN")
                + " on " + cat_number(fs["numdf"]) + " and " + cat_number(fs["dendf"])
                + " DF,  p-value: " + format_pval(_f_pvalue(fs), digits=digits) + "\n")
    out += "\n"
    return _finish(out)


def _nan_as_r(x: float, text: str) -> str:
    """``NaN`` where a computed value is NaN (R prints NaN, not NA, for 0/0)."""
    return "NaN" if x is not None and np.isnan(x) else text


# ---------------------------------------------------------------------------
# print.anova

_P_COL = re.compile(r"^(P|Pr)\(")


def anova_text(
    table: pd.DataFrame,
    heading: Sequence[str] | None = None,
    digits: int = max(DIGITS - 2, 3),
    signif_stars: bool = True,
    nan_cells: pd.DataFrame | None = None,
) -> str:
    """R's ``print.anova`` of a table with its heading (also for nlme's tables
    that R prints through ``print.anova``). ``nan_cells`` flags the NaN cells
    that are R's ``NaN`` (printed ``NaN``); other NaN cells are R's ``NA``
    (printed blank)."""
    out = ""
    if heading is not None and len(heading):
        out += "\n".join(str(h) for h in heading) + "\n"
    cn = [str(c) for c in table.columns]
    nc = len(cn)
    has_p = bool(_P_COL.match(cn[nc - 1])) if nc else False
    zap = list(range(nc - 1 if has_p else nc))
    tst = [j for j, c in enumerate(cn) if c[1:7] == " value"]
    tst += [j for j, c in enumerate(cn) if c in ("F", "Cp", "Chisq")]
    if tst:
        zap = [j for j in zap if j not in tst]
    dfc = [j for j, c in enumerate(cn) if c.endswith("Df")]
    if dfc:
        zap = [j for j in zap if j not in dfc]
    x = np.asarray(table.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    out += format_coefmat(
        x, [str(i) for i in table.index], cn, digits=digits, signif_stars_=signif_stars,
        has_pvalue=has_p, P_values=has_p, cs_ind=[], zap_ind=zap, tst_ind=tst, na_print="",
        nan_mask=None if nan_cells is None else np.asarray(nan_cells, dtype=bool),
    ) + "\n"
    return _finish(out)


def render_anova(a: Any) -> str:
    """R's ``print.anova`` of an :class:`AnovaTable` (``table``, ``heading``)."""
    return anova_text(a.table, getattr(a, "heading", None),
                      nan_cells=getattr(a, "nan_cells", None))


# ---------------------------------------------------------------------------
# confint


def render_confint(c: Any) -> str:
    """R's print of the ``confint`` matrix (each column formatted on its own)."""
    t = c.table
    return print_matrix(t.to_numpy(dtype=float, na_value=np.nan), [str(i) for i in t.index],
                        [str(j) for j in t.columns])


# ---------------------------------------------------------------------------
# model.matrix

_RESERVED = frozenset(
    "if else repeat while function for next break TRUE FALSE NULL Inf NaN NA NA_integer_ "
    "NA_real_ NA_character_ NA_complex_ in".split()
)
_SYNTACTIC = re.compile(r"^((([A-Za-z]|[.][._A-Za-z])[._A-Za-z0-9]*)|[.])$")


def r_list_tag(name: str) -> str:
    """How R's list printing writes a component name: ``$name`` or ``$`a b```."""
    if _SYNTACTIC.match(name) and name not in _RESERVED and not re.match(r"^\.\.[0-9]+$", name):
        return "$" + name
    return "$`" + name.replace("`", "\\`") + "`"


def model_matrix_text(
    values,
    rownames: Sequence[str],
    colnames: Sequence[str],
    assign: Sequence[int],
    contrasts: dict[str, Any] | None = None,
) -> str:
    """R's ``print(model.matrix(...))``: the matrix, then its ``assign`` and
    ``contrasts`` attributes as R prints attributes (contrasts in R's list order)."""
    out = print_matrix(values, rownames, colnames) + "\n"
    out += 'attr(,"assign")\n' + print_vector([float(a) for a in assign]) + "\n"
    if contrasts:
        out += 'attr(,"contrasts")\n'
        for name, how in contrasts.items():
            out += 'attr(,"contrasts")' + r_list_tag(str(name)) + "\n"
            if isinstance(how, str):
                out += '[1] "' + how + '"\n'
            else:
                frame = pd.DataFrame(how)
                out += print_matrix(frame.to_numpy(dtype=float), [str(i) for i in frame.index],
                                    [str(c) for c in frame.columns]) + "\n"
            out += "\n"
    return _finish(out)


def render_model_matrix(mm: Any) -> str:
    """``model_matrix_text`` of a ``pd.DataFrame`` from ``hlm.model_matrix`` (attrs
    ``assign`` and ``contrasts``) or of a ``ModelMatrix`` (``values``, ``columns``,
    ``row_names``, ``assign``, ``contrasts``)."""
    if isinstance(mm, pd.DataFrame):
        return model_matrix_text(mm.to_numpy(dtype=float), [str(i) for i in mm.index],
                                 [str(c) for c in mm.columns], mm.attrs.get("assign", []),
                                 mm.attrs.get("contrasts"))
    return model_matrix_text(np.asarray(mm.values, dtype=float), [str(i) for i in mm.row_names],
                             [str(c) for c in mm.columns], mm.assign, getattr(mm, "contrasts", None))


# ---------------------------------------------------------------------------
# registration


def register_all() -> list[str]:
    """Register the renderers with :mod:`hlm_py.report`; returns what was registered."""
    pairs: list[tuple[type, Any]] = [
        (RDataFrame, lambda df: print_data_frame(pd.DataFrame(df))),
        (LmSummary, render_lm_summary), (AnovaTable, render_anova),
        (ConfintTable, render_confint), (LmFit, render_lm),
    ]
    for cls, fn in pairs:
        register_renderer(cls, fn)
    return [cls.__name__ for cls, _ in pairs]
