"""nlme's Wald F-tests of fixed effects, for ``anova.lme`` and ``anova.gls``.

With ``F`` nlme's factor of the coefficients' covariance (``F'F = V``:
``varFixFact`` of lme, ``varBetaFact`` of gls) and ``c0 = F'^-1 beta``:

* sequential: the squares of ``c0`` summed by term;
* marginal: per term, the squared projection of ``c0`` on the columns of
  ``F`` of the term (``qr.qty(qr(F[, term]), c0)``);
* ``Terms=`` / ``L=``: one F-test of ``L beta = 0``, through
  ``qr.qty(qr(F L'), c0)``, with ``numDF`` the rank of ``L``.

The denominator DF are the fit's: per term for lme (the containment rule),
``N - p`` for gls. nlme's checks and messages on ``Terms`` and ``L``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hlm_py.errors import HlmError

__all__ = ["WaldTest", "wald_terms", "wald_linear"]


@dataclass
class WaldTest:
    """One table of F-tests: ``table`` (``numDF``, ``denDF``, ``F-value``,
    ``p-value``), nlme's ``label`` (None when it prints none) and ``L``
    (the non-zero columns of ``L``, a Series for one row)."""

    table: pd.DataFrame
    label: str | None = None
    L: pd.DataFrame | pd.Series | None = None


def _qty(A: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    q, _ = np.linalg.qr(A, mode="complete")
    return (q.T @ c)[:k]


def wald_terms(F: np.ndarray, beta: np.ndarray, assign: Mapping[str, Sequence[int]],
               den_df: Sequence[float], type_: str) -> WaldTest:
    """The sequential or marginal table, one row per term."""
    c0 = np.linalg.solve(F.T, beta)
    rows = []
    for (name, cols), ddf in zip(assign.items(), den_df):
        cols = list(cols)
        k = len(cols)
        c = c0[cols] if type_ == "sequential" else _qty(F[:, cols], c0, k)
        fval = float(np.sum(c ** 2) / k)
        rows.append((name, k, float(ddf), fval, float(stats.f.sf(fval, k, ddf))))
    table = pd.DataFrame({"numDF": [r[1] for r in rows], "denDF": [r[2] for r in rows],
                          "F-value": [r[3] for r in rows], "p-value": [r[4] for r in rows]},
                         index=pd.Index([r[0] for r in rows]))
    return WaldTest(table)


def _terms_matrix(terms: Any, assign: Mapping[str, Sequence[int]], p: int
                  ) -> tuple[np.ndarray, list[str]]:
    names = list(assign)
    seq = list(terms) if isinstance(terms, (list, tuple, np.ndarray, pd.Index)) else [terms]
    if all(isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in seq):
        if min(seq) < 1 or max(seq) > len(names):
            raise HlmError(f"'Terms' must be between 1 and {len(names)}")
        chosen = [names[int(t) - 1] for t in seq]
    elif all(isinstance(t, str) for t in seq):
        bad = [t for t in seq if t not in assign]
        if bad:
            word = "term" if len(bad) == 1 else "terms"
            raise HlmError(f"{word} {', '.join(bad)} not matched")
        chosen = list(seq)
    else:
        raise HlmError("terms can only be integers or characters")
    cols = [c for t in chosen for c in assign[t]]
    return np.eye(p)[cols], chosen


def _l_matrix(L: Any, names: list[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """nlme's handling of ``L``: a vector is one row; column names place the
    entries, else they fill the first columns; zero rows are dropped."""
    p = len(names)
    row_names: list[str] | None = None
    col_names: list[str] | None = None
    if isinstance(L, Mapping):
        L = pd.Series(L)
    if isinstance(L, pd.Series):
        col_names = [str(i) for i in L.index] if not isinstance(L.index, pd.RangeIndex) else None
        M = L.to_numpy(dtype=float)[None, :]
    elif isinstance(L, pd.DataFrame):
        col_names = [str(c) for c in L.columns] if not isinstance(L.columns, pd.RangeIndex) \
            else None
        row_names = [str(i) for i in L.index] if not isinstance(L.index, pd.RangeIndex) \
            else None
        M = L.to_numpy(dtype=float)
    else:
        M = np.asarray(L, dtype=float)
        if M.ndim == 1:
            M = M[None, :]
    if M.ndim != 2:
        raise HlmError("'L' must be a vector or a matrix")
    if M.shape[1] > p:
        word = "column" if p == 1 else "columns"
        raise HlmError(f"'L' must have at most {p} {word}")
    L0 = np.zeros((M.shape[0], p))
    if col_names is None:
        L0[:, :M.shape[1]] = M
    else:
        bad = [c for c in col_names if c not in names]
        if bad:
            word = "effect" if len(bad) == 1 else "effects"
            raise HlmError(f"{word} {', '.join(bad)} not matched")
        for j, c in enumerate(col_names):
            L0[:, names.index(c)] = M[:, j]
    keep = np.any(L0 != 0, axis=1)
    L0 = L0[keep]
    rn = [row_names[i] for i in np.flatnonzero(keep)] if row_names is not None \
        else [str(i + 1) for i in range(L0.shape[0])]
    if L0.shape[0] == 0:
        raise HlmError("'L' has no non-zero row")
    return L0, rn, keep


def wald_linear(F: np.ndarray, beta: np.ndarray, names: list[str],
                assign: Mapping[str, Sequence[int]], term_df: Any,
                column_df: Sequence[float], terms: Any = None, L: Any = None,
                single_df: float | None = None) -> WaldTest:
    """nlme's ``anova(fit, Terms=)`` or ``anova(fit, L=)``: one F-test.
    ``single_df`` is gls's one denominator DF (``N - p``); lme's come from
    ``term_df`` / ``column_df`` and must agree, as nlme requires."""
    p = len(names)
    Lm_out: pd.DataFrame | pd.Series | None = None
    if L is None:
        Lm, chosen = _terms_matrix(terms, assign, p)
        dfs = {term_df[t] for t in chosen} if single_df is None else {single_df}
        if len(dfs) > 1:
            raise HlmError("terms must all have the same denominator DF")
        label = "F-test for: " + ", ".join(chosen) + " \n"
    else:
        Lm, rn, _ = _l_matrix(L, names)
        used = np.any(Lm != 0, axis=0)
        dfs = {float(column_df[int(j)]) for j in np.flatnonzero(used)} if single_df is None \
            else {single_df}
        if len(dfs) > 1:
            raise HlmError("L may only involve fixed effects with the same denominator DF")
        label = "F-test for linear combination(s)\n"
        cols = [names[int(j)] for j in np.flatnonzero(used)]
        if Lm.shape[0] > 1:
            Lm_out = pd.DataFrame(Lm[:, used], index=pd.Index(list(rn)), columns=pd.Index(cols))
        else:
            Lm_out = pd.Series(Lm[0, used], index=pd.Index(cols))
    ddf = float(next(iter(dfs)))
    sv = np.linalg.svd(Lm, compute_uv=False)
    ndf = int(np.sum(sv > 0))
    c0 = np.linalg.solve(F.T, beta)
    c = _qty(F @ Lm.T, c0, ndf)
    fval = float(np.sum(c ** 2) / ndf)
    pval = float(stats.f.sf(fval, ndf, ddf))
    table = pd.DataFrame({"numDF": [ndf], "denDF": [ddf], "F-value": [fval], "p-value": [pval]},
                         index=pd.Index(["1"]))
    return WaldTest(table, label=label, L=Lm_out)
