"""What the spans of an lme design decide before any fit: whether the random
effects can reproduce the data, and whether the fixed effects absorb them.

Scale every relative variance of an lme fit by ``c`` and let ``c`` grow. If
the columns of ``[X, Z]`` span all ``n`` rows, the residual sum of squares
falls like ``1/c`` while ``log det V`` grows like ``rank(Z) log c``, so the
profiled ML deviance behaves as ``(rank(Z) - n) log c``: with ``rank(Z) < n``
the likelihood rises without bound toward a residual SD of 0, and the model
has no maximum-likelihood estimate (difference P8). (REML's extra
``log det X'V^{-1}X`` cancels the growth: its supremum along the ray is
finite, as is ML's where ``rank(Z) = n``.)

This is decided here from ranks of the design, with a tolerance far above
rounding, before any optimisation: so whether a fit is refused never depends
on where an optimiser's path happens to go (which can change with the last
bits of the BLAS). nlme has no such check and reports a local optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Span", "RANK_TOL", "CONFOUNDED_TOL", "confounded_levels", "random_effects_span"]

#: A direction counts toward a rank where its singular value exceeds this
#: fraction of the largest (columns scaled to unit norm): dqrdc2's tolerance
#: in lm, eight orders of magnitude above double rounding
RANK_TOL = 1e-7


@dataclass(frozen=True)
class Span:
    """``rank([X, Z])`` and ``rank(Z)`` of an lme design with ``n`` rows
    (``None`` where the counts alone show ``[X, Z]`` cannot span the rows)."""

    n: int
    rank_xz: int | None
    rank_z: int | None

    @property
    def interpolates(self) -> bool:
        """The fixed and random effects together can reproduce any response."""
        return self.rank_xz is not None and self.rank_xz >= self.n

    @property
    def ml_unbounded(self) -> bool:
        """The ML likelihood rises without bound as the variances grow."""
        return self.interpolates and self.rank_z is not None and self.rank_z < self.n


def _group_rows(codes: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """The row indices of each group (in row order within a group)."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(n_groups)]


def _scaled(m: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->j", m, m))
    keep = norms > 0
    return m[:, keep] / norms[keep]


def _basis(m: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space of ``m`` (to ``RANK_TOL``)."""
    if m.size == 0:
        return np.zeros((m.shape[0], 0))
    u, s, _ = np.linalg.svd(_scaled(m), full_matrices=False)
    if s.size == 0:
        return np.zeros((m.shape[0], 0))
    return u[:, s > RANK_TOL * s[0]]


def random_effects_span(X: np.ndarray, Z: list[np.ndarray], codes: list[np.ndarray],
                        n_groups: list[int]) -> Span:
    """The ranks of :class:`Span` for fixed effects ``X``, random-effects
    columns ``Z`` and group ``codes`` per level (outer to inner, inner groups
    nested in outer ones). ``Z`` is block diagonal over the outermost groups,
    so the ranks add up over them; where ``p + sum_l q_l G_l < n`` nothing is
    computed."""
    n, p = X.shape
    if p + sum(z.shape[1] * g for z, g in zip(Z, n_groups)) < n:
        return Span(n, None, None)
    rank_z = 0
    resid = X.astype(float, copy=True)
    for rows in _group_rows(codes[0], n_groups[0]):
        blocks = []
        for z, c in zip(Z, codes):
            sub = c[rows]
            labels = np.unique(sub)
            block = np.zeros((rows.size, z.shape[1] * labels.size))
            for k, lab in enumerate(labels):
                mine = sub == lab
                block[mine, k * z.shape[1]:(k + 1) * z.shape[1]] = z[rows[mine]]
            blocks.append(block)
        B = _basis(np.hstack(blocks))
        rank_z += B.shape[1]
        xg = resid[rows]
        resid[rows] = xg - B @ (B.T @ xg)
    if p:
        sx = np.linalg.svd(_scaled(X), compute_uv=False)
        norms = np.sqrt(np.einsum("ij,ij->j", X, X))
        r = resid[:, norms > 0] / norms[norms > 0]
        sr = np.linalg.svd(r, compute_uv=False)
        rank_x = int(np.sum(sr > RANK_TOL * sx[0])) if sx.size else 0
    else:
        rank_x = 0
    return Span(n, rank_z + rank_x, rank_z)


#: A level's random effects are confounded with the fixed effects where each
#: orthonormal direction of its columns (a group's block of ``Z``, zero
#: outside the group) has a residual on ``col(X)`` of at most this: the sine
#: of the angle to ``col(X)``, lm's rank tolerance (``docs/internals.md``,
#: "span.py")
CONFOUNDED_TOL = 1e-7


def confounded_levels(X: np.ndarray, Z: list[np.ndarray], codes: list[np.ndarray],
                      n_groups: list[int], tol: float = CONFOUNDED_TOL) -> list[bool]:
    """For each level, whether its random-effects columns (block-diagonal over
    the level's groups) lie in the column space of ``X``: the fixed effects
    then absorb the random effects, and the REML criterion does not depend on
    the level's ``Psi`` (nlme fits such models without a word).

    Each group spans ``rank(Z_g)`` dimensions of ``R^n``, orthogonal across
    groups, so more groups with a non-zero block than ``X`` has columns decide
    "no" at no cost; otherwise each group's orthonormal basis is projected on
    ``X``'s orthonormal one (at most ``n p^2`` work, as one QR of ``X``).
    """
    n, p = X.shape
    out: list[bool] = []
    Q: np.ndarray | None = None
    for z, c, G in zip(Z, codes, n_groups):
        nonzero = np.zeros(G, dtype=bool)
        nonzero[c[np.any(z != 0, axis=1)]] = True
        if p == 0 or int(nonzero.sum()) > p:
            out.append(False)
            continue
        if Q is None:
            Q = np.linalg.qr(X)[0]
        rows_of = _group_rows(c, G)
        inside = True
        for g in np.flatnonzero(nonzero):
            rows = rows_of[g]
            u, sv, _ = np.linalg.svd(z[rows], full_matrices=False)
            u = u[:, sv > tol * sv[0]]
            resid = -(Q @ (Q[rows].T @ u))
            resid[rows] += u
            if np.sqrt(np.einsum("ij,ij->j", resid, resid)).max() > tol:
                inside = False
                break
        out.append(inside)
    return out
