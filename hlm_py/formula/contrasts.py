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
from ..linalg import dqrdc2, qr_qy, r_col_sums, r_mean
from ..linalg.libm import r_pow_outer

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


def qr_diag_residuals(X: np.ndarray) -> tuple[np.ndarray, int]:
    """``qr.qy(QR, diag(R))`` of R's ``poly``/``make.poly``: each column's part
    orthogonal to the columns before it (``Q_j R_jj``), and the QR's rank.

    R's own QR (LINPACK ``dqrdc2``, reference-BLAS order of summation) is what
    gives R's digits for ill-conditioned powers (many levels, high degrees).
    """
    qr = dqrdc2(X)
    p = X.shape[1]
    z = np.zeros((X.shape[0], p))
    idx = np.arange(min(X.shape[0], p))
    z[idx, idx] = qr.qr[idx, idx]
    return qr_qy(qr, z), qr.rank


def poly_basis(scores: np.ndarray) -> np.ndarray:
    """Orthonormal polynomial basis of R's ``make.poly`` (columns ^0 .. ^(n-1))."""
    y = scores - r_mean(scores)
    n = len(scores)
    X = r_pow_outer(y, np.arange(n, dtype=float))
    raw, _ = qr_diag_residuals(X)
    return raw / np.sqrt(r_col_sums(raw * raw))


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
