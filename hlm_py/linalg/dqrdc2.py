"""R's QR decomposition for least squares: LINPACK ``dqrdc2`` and ``dqrsl``.

``dqrdc2`` mirrors the Fortran routine R ships in ``src/appl/dqrdc2.f``
(the one ``lm.fit`` reaches through ``Cdqrls``): Householder QR with R's
*limited* pivoting.  A column whose norm, after the earlier reflections, has
fallen below ``tol`` times its original norm is moved to the right-hand end;
every other column keeps its order.  That rule decides which coefficients of
an ``lm`` are ``NA``; LAPACK's pivoted QR decides differently.

The stored factorisation follows LINPACK's conventions exactly: the upper
triangle of ``qr`` holds R (with ``R[l, l] = -sign(x_ll) * norm``), the part
below the diagonal holds the Householder vectors scaled so that their first
element, kept in ``qraux[l]``, is ``1 + |x_ll| / norm``.  ``qr_qty`` and
friends mirror ``dqrsl`` and R's ``qr.qty``, ``qr.qy``, ``qr.coef``,
``qr.fitted``, ``qr.resid``.

The loop runs over columns; the work inside a column is vectorised with
numpy over rows. At every size the dot products and norms add in the
reference BLAS's order (left to right), so the results are R's bit for bit
on any CPU: no sum goes through numpy's SIMD reductions or OpenBLAS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "QR",
    "LeastSquares",
    "qr_least_squares",
    "dqrdc2",
    "qr_qty",
    "qr_qy",
    "qr_coef",
    "qr_fitted",
    "qr_resid",
    "qr_R",
    "qr_Q",
    "chol2inv",
]


@dataclass
class QR:
    """R's ``qr`` object from LINPACK (``qr``, ``qraux``, ``rank``, ``pivot``).

    ``pivot`` is 0-based (R's ``pivot - 1``); ``columns`` are the column names
    of the *pivoted* matrix (R's ``colnames(qr$qr)``) when known.
    """

    qr: np.ndarray
    qraux: np.ndarray
    rank: int
    pivot: np.ndarray
    tol: float = 1e-7
    columns: list[str] | None = None

    @property
    def pivoted(self) -> bool:
        """True when ``pivot`` is not the identity (R's ``z$pivoted``)."""
        return bool(np.any(self.pivot != np.arange(self.pivot.size)))

    @property
    def n(self) -> int:
        return int(self.qr.shape[0])

    @property
    def p(self) -> int:
        return int(self.qr.shape[1])


# Reference BLAS (netlib, as R links it on Debian) sums dot products strictly
# left to right; numpy's ``cumsum`` is the one vectorised numpy reduction that
# keeps that order, so the kernels below reproduce R's rounding bit for bit
# (which decides, e.g., the sign of a Householder reflection of a column whose
# remaining entry is zero up to rounding).

_TSML = 2.0**-511  # LAPACK 3.10+ dnrm2 (Blue's algorithm) thresholds
_TBIG = 2.0**486
_SSML = 2.0**537
_SBIG = 2.0**-538


def _seqsum(values: np.ndarray, buf: np.ndarray) -> float:
    """Left-to-right sum of ``values`` (``buf`` is scratch of the same length)."""
    if values.shape[0] == 0:
        return 0.0
    np.cumsum(values, out=buf)
    return float(buf[-1])


def _dnrm2(x: np.ndarray, tmp: np.ndarray) -> float:
    """LAPACK 3.10+ ``dnrm2`` (Blue's scaled sums), accumulating in reference order."""
    m = x.shape[0]
    if m == 0:
        return 0.0
    ax = np.abs(x)
    big = ax > _TBIG
    small = ax < _TSML
    buf = tmp[:m]
    if not big.any() and not (small & (ax > 0)).any():
        np.multiply(x, x, out=buf)
        return math.sqrt(_seqsum(buf, buf))
    med = ~(big | small)
    with np.errstate(over="ignore", under="ignore"):  # masked-out squares may overflow
        amed = _seqsum(np.where(med, ax * ax, 0.0), buf)
    if big.any():
        abig = _seqsum(np.where(big, (ax * _SBIG) ** 2, 0.0), buf)
        if amed > 0 or amed != amed:
            abig = abig + (amed * _SBIG) * _SBIG
        return (1.0 / _SBIG) * math.sqrt(abig)
    # small entries count only before the first big one; there is none here
    asml = _seqsum(np.where(small, (ax * _SSML) ** 2, 0.0), buf)
    if asml > 0:
        if amed > 0 or amed != amed:
            amed = math.sqrt(amed)
            asml = math.sqrt(asml) / _SSML
            ymin, ymax = (amed, asml) if asml > amed else (asml, amed)
            return math.sqrt(ymax**2 * (1.0 + (ymin / ymax) ** 2))
        return (1.0 / _SSML) * math.sqrt(asml)
    return math.sqrt(amed)


#: rows per chunk of the column updates (the chunk stays in cache; the dot
#: products carry their running sums from chunk to chunk)
_ROW_CHUNK = 8192


def _reflect_columns(v: np.ndarray, divisor: float, block: np.ndarray,
                     first: np.ndarray | None = None) -> np.ndarray:
    """``dqrdc2``'s (and ``dqrsl``'s) update of each column ``y`` of ``block``
    in place: ``t = -ddot(v, y) / divisor``, ``y += t v`` (``daxpy``), the
    dot product in reference order, preceded by the product ``first[c]`` for
    column ``c`` where given; returns the ``t``. The columns are independent,
    so updating several at once changes no bit (``cumsum`` along the rows
    adds each column left to right, and the running sums carry over from one
    chunk of rows to the next)."""
    m, ncol = block.shape
    dots = np.zeros(ncol) if first is None else np.array(first, dtype=np.float64)
    buf = np.empty((min(m, _ROW_CHUNK), ncol), order="F")
    for r0 in range(0, m, _ROW_CHUNK):
        rows = slice(r0, r0 + _ROW_CHUNK)
        prod = buf[: min(_ROW_CHUNK, m - r0)]
        np.multiply(v[rows, None], block[rows], out=prod)
        prod[0] = dots + prod[0]  # (ddot's running sum starts at 0.0)
        np.cumsum(prod, axis=0, out=prod)
        dots = prod[-1].copy()
    t = -dots / divisor
    for r0 in range(0, m, _ROW_CHUNK):
        rows = slice(r0, r0 + _ROW_CHUNK)
        prod = buf[: min(_ROW_CHUNK, m - r0)]
        np.multiply(v[rows, None], t, out=prod)
        block[rows] += prod
    return t


def _colnorms(a: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``dnrm2`` of each column of ``a``."""
    return np.array([_dnrm2(a[:, j], tmp) for j in range(a.shape[1])])


def dqrdc2(x: np.ndarray, tol: float = 1e-7, columns: list[str] | None = None) -> QR:
    """QR-decompose ``x`` (n x p) as LINPACK's ``dqrdc2`` does for R.

    Mirrors ``src/appl/dqrdc2.f``: limited column pivoting (negligible columns
    cycle to the end), norm down-dating with re-computation when the squared
    norm falls by more than a factor 1e-6, rank = number of non-negligible
    columns, capped at n.  ``x`` is not modified.
    """
    a = np.array(x, dtype=np.float64, order="F", copy=True)
    if a.ndim != 2:
        raise ValueError("'x' must be a matrix")
    n, p = a.shape
    jpvt = np.arange(p)
    qraux = np.zeros(p)
    work1 = np.zeros(p)
    work2 = np.ones(p)
    scratch = np.empty(n)
    scratch2 = np.empty(n)
    if n > 0:
        qraux = _colnorms(a, scratch)
        work1 = qraux.copy()
        work2 = qraux.copy()
        work2[work2 == 0.0] = 1.0

    lup = min(n, p)
    k = p + 1  # 1-based, as in the Fortran
    for l in range(lup):  # l is 0-based; Fortran's l is l + 1
        # cycle negligible columns to the right-hand end
        while not (l + 1 >= k or qraux[l] >= work2[l] * tol):
            order = np.r_[np.arange(l + 1, p), l]
            a[:, l:] = a[:, order]
            jpvt[l:] = jpvt[order]
            qraux[l:] = qraux[order]
            work1[l:] = work1[order]
            work2[l:] = work2[order]
            k -= 1
        if l + 1 == n:
            continue
        col = a[l:, l]
        nrmxl = _dnrm2(col, scratch)
        if nrmxl == 0.0:
            continue
        if col[0] != 0.0:
            nrmxl = abs(nrmxl) if col[0] > 0 else -abs(nrmxl)
        col *= 1.0 / nrmxl
        col[0] = 1.0 + col[0]
        if p > l + 1:
            block = a[l:, l + 1 :]
            _reflect_columns(col, col[0], block)
            rows_l = block[0, :]
            qj = qraux[l + 1 :]
            nz = qj != 0.0
            if np.any(nz):
                tt = np.ones_like(qj)
                tt[nz] = 1.0 - (np.abs(rows_l[nz]) / qj[nz]) ** 2
                # dmax1(tt, 0d0) as R's build computes it: 0 where tt is NaN
                # (an overflowed column's inf / inf), so the norm is recomputed
                tt = np.where(tt > 0.0, tt, 0.0)
                small = nz & (np.abs(tt) < 1e-6)
                keep = nz & ~small
                qj[keep] = qj[keep] * np.sqrt(tt[keep])
                if np.any(small):
                    idx = np.nonzero(small)[0]
                    fresh = _colnorms(block[1:, idx], scratch2)
                    qj[idx] = fresh
                    work1[l + 1 + idx] = fresh
                qraux[l + 1 :] = qj
        qraux[l] = col[0]
        a[l, l] = -nrmxl
    rank = min(k - 1, n)
    cols = None
    if columns is not None:
        cols = [columns[j] for j in jpvt]
    return QR(qr=a, qraux=qraux, rank=int(rank), pivot=jpvt, tol=tol, columns=cols)


def _as_2d(y: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.array(y, dtype=np.float64, copy=True)
    if arr.ndim == 1:
        return arr.reshape(-1, 1), True
    return arr, False


def _apply_householders(qr: QR, y: np.ndarray, k: int, transpose: bool) -> np.ndarray:
    """Q'y (``transpose``) or Qy for the first ``k`` reflections (dqrsl)."""
    a = qr.qr
    n = a.shape[0]
    ju = min(k, n - 1)
    steps = range(ju) if transpose else range(ju - 1, -1, -1)
    y = np.asfortranarray(y)
    for j in steps:
        qa = qr.qraux[j]
        if qa == 0.0:
            continue
        t = _reflect_columns(a[j + 1 :, j], qa, y[j + 1 :, :], first=qa * y[j, :])
        y[j, :] += t * qa
    return y


def _check_rows(qr: QR, y: np.ndarray) -> None:
    if y.shape[0] != qr.n:
        raise ValueError("'qr' and 'y' must have the same number of rows")


def qr_qty(qr: QR, y: np.ndarray, k: int | None = None) -> np.ndarray:
    """Q'y, as R's ``qr.qty`` (``dqrsl`` job 1000) with ``k = rank``."""
    y2, vec = _as_2d(y)
    _check_rows(qr, y2)
    out = _apply_householders(qr, y2, qr.rank if k is None else k, transpose=True)
    return out[:, 0] if vec else out


def qr_qy(qr: QR, y: np.ndarray, k: int | None = None) -> np.ndarray:
    """Qy, as R's ``qr.qy`` (``dqrsl`` job 10000) with ``k = rank``."""
    y2, vec = _as_2d(y)
    _check_rows(qr, y2)
    out = _apply_householders(qr, y2, qr.rank if k is None else k, transpose=False)
    return out[:, 0] if vec else out


def _solve_upper(r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Back-substitution with an upper-triangular ``r``, column by column as
    ``dqrsl`` does it (``b[j] /= r[j, j]``, then ``b[:j] -= b[j] r[:j, j]``)."""
    out = np.array(b, dtype=np.float64, copy=True)
    k = r.shape[0]
    for j in range(k - 1, -1, -1):
        out[j] = out[j] / r[j, j]
        if j > 0:
            out[:j] = out[:j] + (-out[j]) * r[:j, j, None] if out.ndim == 2 else out[:j] + (-out[j]) * r[:j, j]
    return out


@dataclass(frozen=True)
class LeastSquares:
    """What R's ``dqrls`` returns besides the decomposition (``lm.fit`` reads
    these): ``coefficients`` of the first ``rank`` pivoted columns (pivoted
    order), ``effects`` = Q'y, ``residuals`` = y minus its projection."""

    coefficients: np.ndarray
    effects: np.ndarray
    residuals: np.ndarray


def qr_least_squares(qr: QR, y: np.ndarray) -> LeastSquares:
    """R's ``dqrls`` solve for a decomposition already made (``dqrsl`` job 1110
    with ``k = rank``): Q'y, back-substitution, then the residuals as Q applied
    to Q'y with its first ``rank`` entries zeroed. ``y`` a vector or a matrix
    (one column per response); results have the same form."""
    y2, vec = _as_2d(y)
    _check_rows(qr, y2)
    k = qr.rank
    qty = _apply_householders(qr, y2, k, transpose=True)
    b = _solve_upper(qr.qr[:k, :k], qty[:k, :]) if k > 0 else np.zeros((0, y2.shape[1]))
    rsd = qty.copy()
    rsd[:k, :] = 0.0
    rsd = _apply_householders(qr, rsd, k, transpose=False)
    if vec:
        return LeastSquares(b[:, 0], qty[:, 0], rsd[:, 0])
    return LeastSquares(b, qty, rsd)


def qr_coef(qr: QR, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients, as R's ``qr.coef`` for a LINPACK QR.

    In the original column order, NaN (R's ``NA``) for the columns beyond the
    rank.
    """
    y2, vec = _as_2d(y)
    _check_rows(qr, y2)
    k = qr.rank
    qty = _apply_householders(qr, y2, k, transpose=True)
    coef = np.full((qr.p, y2.shape[1]), np.nan)
    if k > 0:
        b = _solve_upper(qr.qr[:k, :k], qty[:k, :])
        coef[qr.pivot[:k], :] = b
    return coef[:, 0] if vec else coef


def qr_fitted(qr: QR, y: np.ndarray, k: int | None = None) -> np.ndarray:
    """Projection of ``y`` on the first ``k`` columns, as R's ``qr.fitted``."""
    y2, vec = _as_2d(y)
    _check_rows(qr, y2)
    k = qr.rank if k is None else k
    qty = _apply_householders(qr, y2, k, transpose=True)
    qty[k:, :] = 0.0
    out = _apply_householders(qr, qty, k, transpose=False)
    return out[:, 0] if vec else out


def qr_resid(qr: QR, y: np.ndarray, k: int | None = None) -> np.ndarray:
    """Residuals of ``y`` after projection, as R's ``qr.resid``."""
    y2, vec = _as_2d(y)
    _check_rows(qr, y2)
    k = qr.rank if k is None else k
    qty = _apply_householders(qr, y2, k, transpose=True)
    qty[:k, :] = 0.0
    out = _apply_householders(qr, qty, k, transpose=False)
    return out[:, 0] if vec else out


def qr_R(qr: QR, complete: bool = False) -> np.ndarray:
    """The upper-triangular factor, as R's ``qr.R`` (pivoted column order)."""
    n, p = qr.qr.shape
    m = n if complete else min(n, p)
    return np.triu(qr.qr[:m, :])


def qr_Q(qr: QR, k: int | None = None) -> np.ndarray:
    """The first ``k`` (default ``min(n, p)``) columns of Q, as R's ``qr.Q``."""
    n, p = qr.qr.shape
    m = min(n, p) if k is None else k
    eye = np.zeros((n, m), order="F")
    eye[np.arange(m), np.arange(m)] = 1.0
    return _apply_householders(qr, eye, qr.rank, transpose=False)


def chol2inv(r: np.ndarray) -> np.ndarray:
    """(R'R)^{-1} from an upper-triangular ``r``, as R's ``chol2inv``."""
    k = r.shape[0]
    if k == 0:
        return np.zeros((0, 0))
    rinv = _solve_upper(r, np.eye(k))
    return rinv @ rinv.T
