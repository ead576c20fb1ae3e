"""Linear algebra on stacks of small matrices, one per group.

The lme eliminations keep the groups on the last axis of every array
(``(a, b, G)``), so that each product is a loop over the small dimensions of
vector operations over all groups at once.
"""

from __future__ import annotations

from typing import cast

import numpy as np

__all__ = ["inverse", "mul", "tmul", "mul_t", "lmul", "child_batches", "stacked_r",
           "groups_last", "segment_starts"]


def inverse(M: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Inverses and summed log-determinant of a ``(q, q, G)`` stack of pd matrices.

    Groups sit on the last axis, so every operation runs over contiguous
    length-``G`` vectors; ``None`` if some matrix is not positive definite.
    """
    q = M.shape[0]
    if q == 1:
        m = M[0, 0]
        if not np.all(m > 0):
            return None
        return (1.0 / m)[None, None], float(np.log(m).sum())
    if q == 2:
        a, b, c = M[0, 0], M[0, 1], M[1, 1]
        det = a * c - b * b
        if not (np.all(a > 0) and np.all(det > 0)):
            return None
        inv = np.empty_like(M)
        inv[0, 0] = c / det
        inv[1, 1] = a / det
        inv[0, 1] = -b / det
        inv[1, 0] = inv[0, 1]
        return inv, float(np.log(det).sum())
    try:
        L = np.linalg.cholesky(np.moveaxis(M, 2, 0))
    except np.linalg.LinAlgError:
        return None
    Linv = np.linalg.inv(L)
    inv = np.swapaxes(Linv, 1, 2) @ Linv
    logdet = float(2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum())
    return np.ascontiguousarray(np.moveaxis(inv, 0, 2)), logdet


def mul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A_g B_g`` for stacks ``(a, j, G)`` and ``(j, b, G)``: a loop over ``j`` only."""
    out = A[:, 0:1, :] * B[0:1, :, :]
    for j in range(1, A.shape[1]):
        out += A[:, j:j + 1, :] * B[j:j + 1, :, :]
    return out


def tmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A_g' B_g`` for stacks ``(j, a, G)`` and ``(j, b, G)``."""
    out = A[0][:, None, :] * B[0][None, :, :]
    for j in range(1, A.shape[0]):
        out += A[j][:, None, :] * B[j][None, :, :]
    return out


def mul_t(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A_g B_g'`` for stacks ``(a, j, G)`` and ``(b, j, G)``."""
    out = A[:, 0][:, None, :] * B[:, 0][None, :, :]
    for j in range(1, A.shape[1]):
        out += A[:, j][:, None, :] * B[:, j][None, :, :]
    return out


def lmul(L: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``L S_g`` for a constant ``(m, a)`` matrix and a stack ``(a, b, G)``."""
    m, a = L.shape
    if m * a > 9:
        return np.tensordot(L, S, axes=([1], [0]))
    out = np.empty((m,) + S.shape[1:])
    for i in range(m):
        acc = L[i, 0] * S[0]
        for j in range(1, a):
            if L[i, j] != 0.0:
                acc += L[i, j] * S[j]
        out[i] = acc
    return out


def child_batches(starts: np.ndarray, n_children: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """For parents whose children are the contiguous runs beginning at
    ``starts``: (parent ids, ``(G_m, m)`` child indices) per number ``m`` of
    children."""
    counts = np.diff(np.r_[starts, n_children])
    return [(ids, starts[ids][:, None] + np.arange(m)[None, :])
            for m in np.unique(counts) for ids in [np.flatnonzero(counts == m)]]


def stacked_r(A: np.ndarray, k: int) -> np.ndarray:
    """``(G, k, k)`` R factors of a stack ``(G, m, k)`` (zero rows below when ``m < k``)."""
    # numpy's stubs type every mode as QRResult; mode="r" returns the array R
    R = cast(np.ndarray, np.linalg.qr(A, mode="r"))
    if R.shape[1] < k:
        R = np.concatenate([R, np.zeros((R.shape[0], k - R.shape[1], k))], axis=1)
    return R


def groups_last(A: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(A, 0, 2))


def segment_starts(parent: np.ndarray) -> np.ndarray:
    if parent.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
