"""R's contrast functions and ``contrasts()``.

Each ``contr_*`` returns ``(matrix, column_names)``: a ``len(levels) x k``
float matrix and the column labels that ``model.matrix`` appends to the
variable name (``None`` where R's matrix has no column names, in which case
``model.matrix`` numbers the columns 1..k).

Mirrors ``contr.treatment``, ``contr.SAS``, ``contr.sum``, ``contr.helmert``,
``contr.poly`` (stats/R/contrast.R, contr.poly.R) and ``contrasts(x, FALSE)``
(the identity with the levels as names, used for indicator coding).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import HlmError

__all__ = [
    "contr_treatment",
    "contr_SAS",
    "contr_sum",
    "contr_helmert",
    "contr_poly",
    "indicators",
    "resolve_contrast",
    "CONTRASTS",
    "DEFAULT_UNORDERED",
    "DEFAULT_ORDERED",
]

DEFAULT_UNORDERED = "contr.treatment"
DEFAULT_ORDERED = "contr.poly"

Contrast = tuple[np.ndarray, list[str] | None]


def _check_n(levels: Sequence[str]) -> int:
    n = len(levels)
    if n < 2:
        raise HlmError(f"contrasts not defined for {n - 1} degrees of freedom")
    return n


def indicators(levels: Sequence[str]) -> Contrast:
    """R's ``contrasts(x, contrasts = FALSE)``: one indicator per level."""
    return np.eye(len(levels)), [str(v) for v in levels]


def contr_treatment(levels: Sequence[str], base: int = 1) -> Contrast:
    """R's ``contr.treatment``: indicators of all levels but ``base`` (1-based)."""
    n = _check_n(levels)
    if base < 1 or base > n:
        raise HlmError("baseline group number out of range")
    keep = [i for i in range(n) if i != base - 1]
    return np.eye(n)[:, keep], [str(levels[i]) for i in keep]


def contr_SAS(levels: Sequence[str]) -> Contrast:
    """R's ``contr.SAS``: treatment contrasts with the last level as baseline."""
    return contr_treatment(levels, base=len(levels))


def contr_sum(levels: Sequence[str]) -> Contrast:
    """R's ``contr.sum``: columns sum to zero, the last level is -1 everywhere."""
    n = _check_n(levels)
    m = np.eye(n)[:, : n - 1]
    m[n - 1, :] = -1.0
    return m, None


def contr_helmert(levels: Sequence[str]) -> Contrast:
    """R's ``contr.helmert``: column j is -1 for levels 1..j, j for level j+1."""
    n = _check_n(levels)
    m = np.zeros((n, n - 1))
    for j in range(n - 1):
        m[: j + 1, j] = -1.0
        m[j + 1, j] = float(j + 1)
    return m, None


# Up to this many rows the sums below follow R's order of summation exactly
# (sequential, as the reference BLAS and R's long-double sums do), so that
# even ill-conditioned polynomials (contr.poly of many levels, high degrees)
# give R's digits. Longer vectors use numpy's pairwise sums: the difference
# is then at rounding level and the sequential loop would cost seconds.
EXACT_SUM_LIMIT = 100_000


def _seq_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Reference BLAS ``ddot``: products summed left to right (along axis 0)."""
    if a.shape[0] > EXACT_SUM_LIMIT:
        return np.einsum("i...,i...->...", a, b)
    prod = a * b
    if prod.shape[0] == 0:
        return np.zeros(prod.shape[1:])
    return np.cumsum(prod, axis=0)[-1]


_TSML, _TBIG = 2.0**-511, 2.0**486
_SSML, _SBIG = 2.0**537, 2.0**-538


def _seq_nrm2(a: np.ndarray) -> np.ndarray:
    """Reference BLAS (3.10+) ``dnrm2``: Blue's three accumulators, each summed in order.

    Works along axis 0 (one norm per column of a matrix).
    """
    if a.shape[0] > EXACT_SUM_LIMIT:
        with np.errstate(over="ignore"):
            ss = np.einsum("i...,i...->...", a, a)
        if np.all(np.isfinite(ss)) and np.all((ss > 1e-290) | (ss == 0)):
            return np.sqrt(ss)
    ax = np.abs(a)
    big = ax > _TBIG
    small = ax < _TSML
    with np.errstate(over="ignore", invalid="ignore"):
        amed = _seq_dot(np.where(big | small, 0.0, ax), np.where(big | small, 0.0, ax))
        if not big.any() and not small.any():
            return np.sqrt(amed)
        sb = np.where(big, ax * _SBIG, 0.0)
        ss = np.where(small, ax * _SSML, 0.0)
        abig = _seq_dot(sb, sb)
        asml = _seq_dot(ss, ss)
        amed, abig, asml = np.atleast_1d(amed), np.atleast_1d(abig), np.atleast_1d(asml)
        out = np.sqrt(amed)
        for j in range(out.shape[0]):
            if abig[j] > 0:
                ab = abig[j] + (amed[j] * _SBIG) * _SBIG if amed[j] > 0 or amed[j] != amed[j] else abig[j]
                out[j] = (1.0 / _SBIG) * np.sqrt(ab)
            elif asml[j] > 0:
                if amed[j] > 0 or amed[j] != amed[j]:
                    am = np.sqrt(amed[j])
                    asl = np.sqrt(asml[j]) / _SSML
                    ymin, ymax = (am, asl) if asl > am else (asl, am)
                    out[j] = np.sqrt(ymax**2 * (1.0 + (ymin / ymax) ** 2))
                else:
                    out[j] = (1.0 / _SSML) * np.sqrt(asml[j])
    return out if a.ndim > 1 else out[0]


def long_double_sum(v: np.ndarray, axis: int = 0) -> np.ndarray:
    """R's ``sum``/``colSums`` of doubles: a sequential sum in long double."""
    if v.shape[axis] == 0:
        return np.zeros(np.delete(v.shape, axis)) if v.ndim > 1 else np.float64(0.0)
    if v.shape[axis] > EXACT_SUM_LIMIT:
        return v.sum(axis=axis)
    return np.cumsum(v.astype(np.longdouble), axis=axis).take(-1, axis=axis).astype(np.float64)


def r_mean(x: np.ndarray) -> float:
    """R's ``mean`` of doubles: long-double sum, divided, then one refinement pass."""
    n = len(x)
    if n > EXACT_SUM_LIMIT:
        m = x.sum() / n
        return float(m + (x - m).sum() / n) if np.isfinite(m) else float(m)
    xl = x.astype(np.longdouble)
    s = np.cumsum(xl)[-1] / n
    if np.isfinite(s):
        s = s + np.cumsum(xl - s)[-1] / n
    return float(s)


def householder_qr(x: np.ndarray, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, int]:
    """Householder QR with LINPACK ``dqrdc2``'s limited pivoting (R's ``qr()``).

    Returns ``(qr, qraux, rank)`` in LINPACK's compact form. A column whose
    remaining norm falls below ``tol`` times its original norm is moved to
    the end. Written here (not taken from ``hlm_py.linalg``, a later layer)
    because R's ``poly`` and ``contr.poly`` take their values from it, and
    for ill-conditioned powers only the same sequence of operations (and the
    reference BLAS's order of summation) gives R's numbers.
    """
    a = np.array(x, dtype=np.float64, order="F")
    n, p = a.shape
    qraux = _seq_nrm2(a) if n > 0 else np.zeros(p)
    work1 = qraux.copy()
    work2 = np.where(qraux == 0.0, 1.0, qraux)
    k = p + 1
    for l in range(min(n, p)):
        while l + 1 < k and qraux[l] < work2[l] * tol:
            order = list(range(l)) + list(range(l + 1, p)) + [l]
            a = np.asfortranarray(a[:, order])
            qraux, work1, work2 = qraux[order], work1[order], work2[order]
            k -= 1
        if l == n - 1:
            break
        col = a[l:, l]
        nrmxl = float(_seq_nrm2(col))
        if nrmxl == 0.0:
            continue
        if col[0] != 0.0:
            nrmxl = np.copysign(nrmxl, col[0])
        col *= 1.0 / nrmxl
        col[0] = 1.0 + col[0]
        if l + 1 < p:
            rest = a[l:, l + 1 :]
            t = -_seq_dot(col[:, None], rest) / col[0]
            rest += col[:, None] * t[None, :]
            for j in range(l + 1, p):
                if qraux[j] == 0.0:
                    continue
                tt = max(1.0 - (abs(a[l, j]) / qraux[j]) ** 2, 0.0)
                if abs(tt) < 1e-6:
                    qraux[j] = float(_seq_nrm2(a[l + 1 :, j]))
                    work1[j] = qraux[j]
                else:
                    qraux[j] = qraux[j] * np.sqrt(tt)
        qraux[l] = a[l, l]
        a[l, l] = -nrmxl
    rank = min(k - 1, n)
    return a, qraux, rank


def householder_qy(qr: np.ndarray, qraux: np.ndarray, rank: int, y: np.ndarray) -> np.ndarray:
    """R's ``qr.qy``: apply Q of :func:`householder_qr` to the columns of ``y``."""
    n = qr.shape[0]
    out = np.array(y, dtype=np.float64, order="F")
    for j in range(min(rank, n - 1) - 1, -1, -1):
        if qraux[j] == 0.0:
            continue
        v = qr[j:, j].copy()
        v[0] = qraux[j]
        seg = out[j:, :]
        t = -_seq_dot(v[:, None], seg) / v[0]
        seg += v[:, None] * t[None, :]
    return out


def qr_diag_residuals(X: np.ndarray) -> tuple[np.ndarray, int]:
    """``qr.qy(QR, diag(R))`` of R's ``poly``/``make.poly``: each column's part
    orthogonal to the columns before it (``Q_j R_jj``), and the QR's rank."""
    qr, qraux, rank = householder_qr(X)
    p = X.shape[1]
    z = np.zeros((X.shape[0], p))
    idx = np.arange(min(X.shape[0], p))
    z[idx, idx] = qr[idx, idx]
    return householder_qy(qr, qraux, rank, z), rank


def poly_basis(scores: np.ndarray) -> np.ndarray:
    """Orthonormal polynomial basis of R's ``make.poly`` (columns ^0 .. ^(n-1))."""
    y = scores - r_mean(scores)
    n = len(scores)
    X = np.power.outer(y, np.arange(n, dtype=float))
    raw, _ = qr_diag_residuals(X)
    return raw / np.sqrt(long_double_sum(raw * raw, axis=0))


def contr_poly(levels: Sequence[str], scores: Sequence[float] | None = None) -> Contrast:
    """R's ``contr.poly``: orthogonal polynomials, columns ``.L .Q .C ^4 ...``."""
    n = len(levels)
    if n < 2:
        raise HlmError(f"contrasts not defined for {n - 1} degrees of freedom")
    if n > 95:
        raise HlmError(
            "orthogonal polynomials cannot be represented accurately enough for "
            f"{n - 1} degrees of freedom"
        )
    sc = np.arange(1, n + 1, dtype=float) if scores is None else np.asarray(scores, float)
    if len(sc) != n:
        raise HlmError("'scores' argument is of the wrong length")
    if len(np.unique(sc)) != n:
        raise HlmError("'scores' must all be different numbers")
    Z = poly_basis(sc)
    names = [f"^{i}" for i in range(n)]
    for i, s in enumerate([".L", ".Q", ".C"][: min(3, n - 1)]):
        names[i + 1] = s
    return Z[:, 1:], names[1:]


CONTRASTS = {
    "contr.treatment": contr_treatment,
    "contr.SAS": contr_SAS,
    "contr.sum": contr_sum,
    "contr.helmert": contr_helmert,
    "contr.poly": contr_poly,
}


def resolve_contrast(spec: object, levels: Sequence[str]) -> Contrast:
    """R's ``contrasts(x)`` after ``contrasts(x) <- spec``.

    ``spec`` is a contrast function's name (``"contr.sum"``), a function of the
    levels returning a matrix, or a numeric matrix (``numpy`` array or
    ``DataFrame``, whose columns name the model-matrix columns) with one row
    per level. A factor with fewer than two levels raises R's error.
    """
    if len(levels) < 2:
        raise HlmError("contrasts can be applied only to factors with 2 or more levels")
    if isinstance(spec, str):
        fn = CONTRASTS.get(spec)
        if fn is None:
            raise HlmError(f"object '{spec}' of mode 'function' was not found")
        return fn(levels)
    if callable(spec):
        spec = spec(len(levels))
    colnames: list[str] | None = None
    if isinstance(spec, pd.DataFrame):
        colnames = [str(c) for c in spec.columns]
        if isinstance(spec.columns, pd.RangeIndex):
            colnames = None
        mat = spec.to_numpy(dtype=float)
    else:
        try:
            mat = np.asarray(spec, dtype=float)
        except (TypeError, ValueError) as exc:
            raise HlmError("numeric contrasts or contrast name expected") from exc
    if mat.ndim == 1:
        mat = mat[:, None]
    if mat.ndim != 2:
        raise HlmError("numeric contrasts or contrast name expected")
    if mat.shape[0] != len(levels):
        raise HlmError("wrong number of contrast matrix rows")
    return mat.copy(), colnames
