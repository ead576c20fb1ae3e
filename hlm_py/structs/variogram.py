"""The numbers of nlme's ``Variogram``: the semivariogram of residual pairs
within groups (``Variogram.default``), its collapsing into distance classes
(the second half of ``Variogram.gls`` / ``Variogram.lme``) and the model
semivariogram of a fitted spatial correlation structure
(``Variogram.corSpatial``).

The fit layers choose the residuals, groups and distances
(``GlsFit.Variogram``, ``LmeFit.Variogram``); everything here works on
plain arrays, so R's residuals can be fed in to check the numbers alone.

R's rules reproduced (read from nlme 3.1-162 and R 4.2.2, code our own):

* a pair ``(i, j)`` of one group contributes ``(r_i - r_j)^2 / 2`` at its
  distance, pairs in ``dist``'s order (by column of the lower triangle);
* ``maxDist`` keeps the pairs at distance ``<= maxDist``;
* with fewer classes than distinct distances (``nint < length(unique(d))``)
  the distances are cut at the unique type-7 quantiles at
  ``seq(0, 1, 1/nint)`` (``"quantiles"``) or at ``nint + 1`` equally spaced
  points (``"fixed"``) into classes ``(b_k, b_{k+1}]``: the pairs at the
  smallest break, the minimum distance itself, fall in no class and are
  dropped, as R's ``cut`` drops them; otherwise each distinct distance (as
  R's ``factor`` labels it, 15 significant digits) is a class;
* per class: the mean of the values (``robust``: Cressie and Hawkins'
  ``mean(v^(1/4))^4 / (0.457 + 0.494 / n)``), the median distance and the
  number of pairs; an empty class gives ``NaN``, ``NA`` and 0 (``gls`` keeps
  such rows, ``lme`` drops them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hlm_py.errors import HlmError, MissingValueError
from hlm_py.linalg.libm import r_math1, r_pow
from hlm_py.rbase.ascharacter import as_character_double
from hlm_py.rbase.quantile import quantile7

__all__ = [
    "COLLAPSE", "METRICS", "r_dist", "r_seq_length", "pair_semivariogram", "collapse_variogram",
    "empirical_variogram", "model_variogram", "within_positions",
]

COLLAPSE = ("quantiles", "fixed", "none")
METRICS = ("euclidean", "maximum", "manhattan")


def r_dist(X: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """R's ``as.vector(dist(X, method))`` of the rows of ``X`` (n, c): the
    pairs ``(i, j)``, ``i > j``, column by column of the lower triangle."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n = X.shape[0]
    if n < 2:
        return np.zeros(0)
    j, i = np.triu_indices(n, 1)  # j < i, ordered by j then i: dist's order
    dev = X[i, :] - X[j, :]
    if metric == "euclidean":
        acc = np.zeros(dev.shape[0])
        for c in range(dev.shape[1]):
            acc = acc + dev[:, c] * dev[:, c]
        return np.sqrt(acc)
    if metric == "maximum":
        return np.abs(dev).max(axis=1) if dev.shape[1] else np.zeros(dev.shape[0])
    if metric == "manhattan":
        acc = np.zeros(dev.shape[0])
        for c in range(dev.shape[1]):
            acc = acc + np.abs(dev[:, c])
        return acc
    raise HlmError(f"invalid distance method {metric!r}")


def r_seq_length(start: float, end: float, length_out: int) -> np.ndarray:
    """R's ``seq(from, to, length.out = n)`` of doubles (``seq.default``)."""
    n = int(length_out)
    if n <= 0:
        return np.zeros(0)
    if n == 1:
        return np.array([float(start)])
    if n == 2:
        return np.array([float(start), float(end)])
    if start == end:
        return np.full(n, float(start))
    n1 = float(n - 1)
    step = (end - start) / n1
    mid = float(start) + np.arange(1, n - 1, dtype=float) * step
    return np.concatenate([[float(start)], mid, [float(end)]])


def _seq_by(by: float) -> np.ndarray:
    """R's ``seq(0, 1, by)``."""
    n = int(1.0 / by + 1e-10)
    return np.minimum(np.arange(n + 1, dtype=float) * by, 1.0)


def within_positions(codes: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """nlme's default covariate of ``Variogram`` without one:
    ``unlist(tapply(rep(1, n), grps, cumsum))`` put back against the rows
    in data order. The positions ``1..n_g`` are concatenated group by group
    (groups in ``order``, codes into it) and read off in the data's row order,
    so each row gets its position in its group only when the data are sorted
    by group (as nlme computes it)."""
    codes = np.asarray(codes, dtype=np.int64)
    sizes = np.bincount(codes, minlength=len(order))
    concat = np.concatenate([np.arange(1, sizes[g] + 1, dtype=float) for g in order]
                            + [np.zeros(0)])
    return concat


def pair_semivariogram(res: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nlme's ``Variogram.default``: ``((r_i - r_j)^2 / 2, d_ij)`` over the
    pairs of ``res`` in ``dist``'s order."""
    r = np.asarray(res, dtype=float).ravel()
    d = np.asarray(dist, dtype=float).ravel()
    n = r.size
    if d.size != round(n * (n - 1) / 2):
        raise HlmError("'distance' and 'object' have incompatible lengths")
    j, i = np.triu_indices(n, 1)
    dev = r[i] - r[j]
    return dev * dev / 2, d.copy()


def _mean(x: np.ndarray) -> float:
    if x.size == 0:
        return math.nan
    return math.fsum(x.tolist()) / x.size


def _median(x: np.ndarray) -> float:
    if x.size == 0:
        return math.nan
    s = np.sort(x)
    h = (s.size + 1) // 2
    if s.size % 2:
        return float(s[h - 1])
    return _mean(s[h - 1:h + 1])


def _members(code: np.ndarray, n_class: int) -> list[np.ndarray]:
    """The pairs of each class ``0..n_class-1`` (data order; -1: none)."""
    order = np.argsort(code, kind="stable")
    sorted_codes = code[order]
    cuts = np.searchsorted(sorted_codes, np.arange(n_class + 1), side="left")
    return [order[cuts[k]:cuts[k + 1]] for k in range(n_class)]


def collapse_variogram(variog: np.ndarray, dist: np.ndarray, collapse: str = "quantiles",
                       nint: int | None = None, breaks: Sequence[float] | None = None,
                       robust: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """The collapsing of ``Variogram.gls`` / ``Variogram.lme`` (see the module
    docstring): a DataFrame ``variog``, ``dist``, ``n.pairs`` with one row per
    class (empty classes included: ``variog`` NaN, ``dist`` NaN for R's NA,
    ``n.pairs`` 0), and a mask of those empty rows.

    ``nint`` None is R's missing ``nint`` (20, or ``len(breaks) - 1``)."""
    v = np.asarray(variog, dtype=float)
    dst = np.asarray(dist, dtype=float)
    udist = np.unique(dst)
    ludist = udist.size
    nint_given = nint is not None
    n_int = 20 if nint is None else nint
    if isinstance(n_int, bool) or int(n_int) != n_int or n_int < 1:
        raise HlmError(f"'nint' must be a positive whole number, not {nint!r}")
    n_int = int(n_int)
    brk: np.ndarray | None = None
    if breaks is not None:
        brk = np.asarray(breaks, dtype=float).ravel()
        if brk.size == 0 or np.isnan(brk).any():
            raise HlmError("'breaks' must be numbers")
        if ludist < 2:
            raise HlmError("missing value where TRUE/FALSE needed")
        if brk.min() > udist[0]:
            brk = np.concatenate([[udist[0]], brk])
        if brk.max() < udist[1]:
            brk = np.concatenate([brk, [udist[1]]])
        if nint_given and n_int != brk.size - 1:
            raise HlmError("'nint' is not consistent with 'breaks'")
        n_int = brk.size - 1
    if n_int < ludist:
        if brk is None:
            if collapse == "quantiles":
                brk = np.unique(quantile7(dst, _seq_by(1 / n_int).tolist()))
            else:
                brk = r_seq_length(float(udist[0]), float(udist[-1]), n_int + 1)
        brk = np.sort(brk)
        if brk.size < 2:
            raise HlmError("invalid number of intervals")
        if np.unique(brk).size != brk.size:
            raise HlmError("'breaks' are not unique")
        # R's cut(right = TRUE, include.lowest = FALSE): classes (b_k, b_k+1]
        code = np.searchsorted(brk, dst, side="left")
        ok = (dst > brk[0]) & (dst <= brk[-1])
        code = np.where(ok, code - 1, -1)
        members = _members(code, brk.size - 1)
    else:
        # a class per distinct distance, as factor() labels them
        labels = [as_character_double(float(x)) for x in udist]
        index: dict[str, int] = {}
        for lab in labels:
            index.setdefault(lab, len(index))
        lab_of = np.array([index[lab] for lab in labels], dtype=np.int64)
        code = lab_of[np.searchsorted(udist, dst)] if dst.size else np.zeros(0, dtype=np.int64)
        members = _members(code, len(index))
    out_v = np.empty(len(members))
    out_d = np.empty(len(members))
    npairs = np.empty(len(members), dtype=np.int64)
    for k, ix in enumerate(members):
        vals = v[ix]
        nh = ix.size
        if robust:
            m = _mean(r_pow(vals, 0.25)) if nh else math.nan
            out_v[k] = float(r_pow(np.array([m]), 4.0)[0]) / (0.457 + 0.494 / nh) \
                if nh else math.nan
        else:
            out_v[k] = _mean(vals)
        out_d[k] = _median(dst[ix])
        npairs[k] = nh
    frame = pd.DataFrame({"variog": out_v, "dist": out_d, "n.pairs": npairs})
    return frame, npairs == 0


def empirical_variogram(groups: Sequence[tuple[np.ndarray, np.ndarray]],
                        maxDist: float | None = None,  # noqa: N803 - nlme's name
                        collapse: str = "quantiles", nint: int | None = None,
                        breaks: Sequence[float] | None = None, robust: bool = False,
                        drop_empty: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """nlme's ``Variogram.gls`` / ``Variogram.lme`` after the residuals and
    distances are chosen: ``groups`` holds, per group in R's order, the
    residuals (data order) and their ``dist`` vector. Returns the DataFrame
    (``variog``, ``dist``, plus ``n.pairs`` when collapsed; rows 1..n) and
    the mask of R's ``NaN`` in ``variog`` (empty classes; kept unless
    ``drop_empty``, which is ``lme``'s ``na.omit``)."""
    if collapse not in COLLAPSE:
        raise HlmError("'collapse' should be one of \"quantiles\", \"fixed\", \"none\"")
    vs: list[np.ndarray] = []
    ds: list[np.ndarray] = []
    for res, dist in groups:
        v, d = pair_semivariogram(res, dist)
        vs.append(v)
        ds.append(d)
    variog = np.concatenate(vs) if vs else np.zeros(0)
    dist = np.concatenate(ds) if ds else np.zeros(0)
    if np.isnan(dist).any():
        raise MissingValueError("missing values in the distances")
    if maxDist is not None:
        keep = dist <= float(maxDist)
        variog, dist = variog[keep], dist[keep]
    if collapse == "none":
        frame = pd.DataFrame({"variog": variog, "dist": dist})
        nan_mask = np.isnan(variog)
    else:
        if dist.size == 0:
            raise HlmError("no pairs of residuals within groups to compute the variogram on")
        frame, nan_mask = collapse_variogram(variog, dist, collapse, nint, breaks, robust)
        if drop_empty:
            keep = ~(np.isnan(frame["variog"].to_numpy()) | np.isnan(frame["dist"].to_numpy()))
            frame = frame[keep].reset_index(drop=True)
            nan_mask = nan_mask[keep]
    if frame.shape[0] == 0:
        raise HlmError("no pairs of residuals within groups to compute the variogram on")
    frame.index = pd.RangeIndex(1, frame.shape[0] + 1)
    return frame, np.asarray(nan_mask, dtype=bool)


def _shape(r_class: str, x: np.ndarray) -> np.ndarray:
    """The semivariogram shape of each spatial class at ``x = d / range``."""
    if r_class == "corExp":
        return 1 - r_math1("exp", -x)
    if r_class == "corGaus":
        return 1 - r_math1("exp", -(x * x))
    if r_class == "corLin":
        return np.minimum(x, 1.0)
    if r_class == "corRatio":
        x2 = x * x
        return x2 / (1 + x2)
    if r_class == "corSpher":
        u = np.minimum(x, 1.0)
        return 1.5 * u - 0.5 * r_pow(u, 3.0)
    raise HlmError(f"no model variogram for a \"{r_class}\" structure")


def model_variogram(r_class: str, params: Sequence[float], distances: np.ndarray,
                    sig2: float = 1.0, length_out: int = 50,
                    at: np.ndarray | None = None) -> pd.DataFrame:
    """nlme's ``Variogram.corSpatial``: ``sig2 * (nugget + (1 - nugget) *
    shape(d / range))`` at ``length_out`` equally spaced distances over the
    range of ``distances`` (or at ``at``); ``params`` are the structure's
    constrained ``range`` (and ``nugget``)."""
    p = [float(x) for x in params]
    rang = p[0]
    nugg = p[1] if len(p) > 1 else 0.0
    if at is None:
        d = np.asarray(distances, dtype=float).ravel()
        if d.size == 0:
            raise HlmError("the correlation structure has no distances")
        at = r_seq_length(float(d.min()), float(d.max()), length_out)
    at = np.asarray(at, dtype=float)
    val = sig2 * (nugg + (1 - nugg) * _shape(r_class, at / rang))
    return pd.DataFrame({"variog": val, "dist": at}, index=pd.RangeIndex(1, at.size + 1))
