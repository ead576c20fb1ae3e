"""R's ``printCoefmat`` (stats, R 4.2.2) and the significance-stars legend.

Column indices are 0-based here (R's are 1-based). ``None`` for ``cs_ind`` /
``tst_ind`` means "argument missing" (R's defaults ``1:k`` / ``k+1``); an empty
sequence means R's ``NULL`` / ``integer()``. R's ``NA`` is NaN, so every NaN
cell prints as ``na_print`` (R would print a genuine ``NaN`` as ``NaN``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import cast

import numpy as np

from hlm_py.printing.matrixprint import WIDTH, print_string_matrix
from hlm_py.printing.rformat import MACHINE_EPS, format_pval, format_strings, round_r, zapsmall
from hlm_py.rbase.formatnum import DIGITS, format_real

__all__ = [
    "FANCY_QUOTES",
    "STAR_CUTPOINTS",
    "STAR_SYMBOLS",
    "signif_stars",
    "signif_legend",
    "legend_lines",
    "format_coefmat",
]

#: R's ``sQuote`` uses curly quotes in a UTF-8 locale (``useFancyQuotes``
#: TRUE). The goldens come from R run in C.UTF-8, so the legend holds ‘ ’.
FANCY_QUOTES = True

STAR_CUTPOINTS = (0.0, 0.001, 0.01, 0.05, 0.1, 1.0)
STAR_SYMBOLS = ("***", "**", "*", ".", " ")


def _squote(s: str) -> str:
    return f"\u2018{s}\u2019" if FANCY_QUOTES else f"'{s}'"


def signif_stars(pv: Iterable[float]) -> list[str]:
    """R's ``symnum(pv, corr = FALSE, na = FALSE, cutpoints, symbols)``.

    Intervals are closed on the right, the first one closed on both sides
    (``cut(include.lowest = TRUE)``); NA gives ``""``.
    """
    out = []
    for p in pv:
        p = float(p)
        if math.isnan(p):
            out.append("")
            continue
        sym = ""
        for k in range(len(STAR_SYMBOLS)):
            lo, hi = STAR_CUTPOINTS[k], STAR_CUTPOINTS[k + 1]
            if (p > lo or (k == 0 and p >= lo)) and p <= hi:
                sym = STAR_SYMBOLS[k]
                break
        else:
            if abs(p - STAR_CUTPOINTS[0]) < 1e-5:
                sym = STAR_SYMBOLS[0]
        out.append(sym)
    return out


def signif_legend() -> str:
    """The legend ``symnum`` attaches: ``0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1``."""
    parts: list[str] = []
    cuts = ["0", "0.001", "0.01", "0.05", "0.1", "1"]
    for k, sym in enumerate(STAR_SYMBOLS):
        parts.append(cuts[k])
        parts.append(_squote(sym))
    parts.append(cuts[-1])
    return " ".join(parts)


def legend_lines() -> list[str]:
    """The two lines ``printCoefmat`` writes under a starred table."""
    return ["---", "Signif. codes:  " + signif_legend()]


def _as_number(s: str) -> float:
    try:
        return float(s.strip())
    except ValueError:
        return math.nan


def format_coefmat(
    x,
    rownames: Sequence[str],
    colnames: Sequence[str],
    digits: int = max(3, DIGITS - 2),
    signif_stars_: bool = True,
    signif_legend_: bool | None = None,
    dig_tst: int | None = None,
    cs_ind: Sequence[int] | None = None,
    tst_ind: Sequence[int] | None = None,
    zap_ind: Sequence[int] = (),
    P_values: bool | None = None,
    has_pvalue: bool | None = None,
    eps_pvalue: float = MACHINE_EPS,
    na_print: str = "NA",
    width: int = WIDTH,
    nan_mask=None,
) -> str:
    """R's ``printCoefmat``: the text it prints (no final newline).

    ``x`` is a numeric matrix (NaN = NA). Coefficient/SE columns (``cs_ind``)
    are rounded together and formatted with one common format; test statistics
    (``tst_ind``) are rounded to ``dig_tst`` places; other columns are formatted
    one by one; the P-value column goes through ``format.pval`` and gets stars.
    ``nan_mask`` (same shape as ``x``) flags the NaN cells that are R's ``NaN``
    (printed ``NaN``) rather than ``NA`` (printed ``na_print``).
    """
    xm = np.array(x, dtype=float, copy=True)
    if xm.ndim != 2:
        raise ValueError("'x' must be coefficient matrix/data frame")
    colnames = [str(c) for c in colnames]
    rownames = [str(r) for r in rownames]
    nr, nc = xm.shape
    if has_pvalue is None:
        has_pvalue = nc >= 4 and len(colnames) > 0 and colnames[nc - 1][:3] in ("Pr(", "p-v")
    if P_values is None:
        P_values = has_pvalue
    elif P_values and not has_pvalue:
        raise ValueError("'P.values' is TRUE, but 'has.Pvalue' is not")
    inan = np.zeros(xm.shape, dtype=bool) if nan_mask is None else (
        np.asarray(nan_mask, dtype=bool) & np.isnan(xm))
    if has_pvalue and not P_values:
        xm = xm[:, :-1]
        inan = inan[:, :-1]
        colnames = colnames[:-1]
        nc -= 1
        has_pvalue = False
    if signif_legend_ is None:
        signif_legend_ = signif_stars_
    if dig_tst is None:
        dig_tst = max(1, min(5, digits - 1))
    k = nc - int(has_pvalue) - (1 if tst_ind is None else len(tst_ind))
    if cs_ind is None:
        cs = list(range(k)) if k > 0 else [0]
    else:
        if len(cs_ind) > k:
            raise ValueError("wrong k / cs.ind")
        cs = list(cs_ind)
    tst = [k] if tst_ind is None else list(tst_ind)

    cf = [["" for _ in range(nc)] for _ in range(nr)]
    ina = np.isnan(xm)
    ok = ~ina
    for i in zap_ind:
        xm[:, i] = zapsmall(xm[:, i], digits)
    if cs:
        coef_se = xm[:, cs]
        acs = np.abs(coef_se)
        ia = np.isfinite(acs)
        if ia.any():
            nz = acs[ia & (acs != 0)]
            digmin = 1 + (math.floor(math.log10(float(nz.min()))) if nz.size else 0)
            rounded = round_r(coef_se, max(1, digits - digmin))
            strs = format_real(rounded.ravel(order="F"), digits=digits,
                               nan_mask=inan[:, cs].ravel(order="F"))
            it = iter(strs)
            for j in cs:
                for i in range(nr):
                    cf[i][j] = next(it)
    if tst:
        block = round_r(xm[:, tst], dig_tst)
        strs = format_real(np.asarray(block).ravel(order="F"), digits=digits,
                           nan_mask=inan[:, tst].ravel(order="F"))
        it = iter(strs)
        for j in tst:
            for i in range(nr):
                cf[i][j] = next(it)
    special = set(cs) | set(tst) | ({nc - 1} if has_pvalue else set())
    for j in range(nc):
        if j not in special:
            strs = format_real(xm[:, j], digits=digits, nan_mask=inan[:, j])
            for i in range(nr):
                cf[i][j] = strs[i]
    for j in tst:
        ok[:, j] = False
    pcols = range(nc - 1) if has_pvalue else range(nc)
    fix: list[tuple[int, int]] = []
    for j in pcols:  # column-major, as R's logical indexing
        for i in range(nr):
            if ok[i, j]:
                shown = _as_number(cf[i][j])
                if not math.isnan(shown) and (xm[i, j] == 0) != (shown == 0):
                    fix.append((i, j))
    if fix:
        strs = format_real([xm[i, j] for i, j in fix], digits=max(1, digits - 1))
        for (i, j), s in zip(fix, strs):
            cf[i][j] = s
    for i in range(nr):
        for j in range(nc):
            if ina[i, j]:
                cf[i][j] = "NaN" if inan[i, j] else na_print
    stars = False
    out_cols = list(colnames)
    if P_values:
        okp = ok[:, nc - 1]
        if okp.any():
            pv = xm[:, nc - 1]
            # a vector in, a list out (format_pval's type allows a str for a scalar)
            strs = cast(list[str], format_pval(pv[okp], digits=dig_tst, eps=eps_pvalue))
            it = iter(strs)
            for i in range(nr):
                if okp[i]:
                    cf[i][nc - 1] = next(it)
            stars = signif_stars_ and bool(np.any(pv[okp] < 0.1))
            if stars:
                sym = format_strings(signif_stars(pv), justify="left")
                for i in range(nr):
                    cf[i].append(sym[i])
                out_cols.append("")
    text = print_string_matrix(cf, rownames, out_cols, right=True, width=width)
    if stars and signif_legend_:
        text += "\n" + "\n".join(legend_lines())
    return text
