"""lme's log-determinants in double-double precision, for the refined evaluation.

The (RE)ML log-likelihood needs ``log det V``, ``V = I + Z Psi Z'`` (relative
to ``sigma^2``, ``Psi = Lambda Lambda'`` per level), and for REML ``log det
X'V^{-1}X``. Both come out of one elimination (:mod:`hlm_py.lme.criterion`):
per group of a level, ``M_g = I + Lambda' S_g Lambda`` with ``S_g`` the
cross-products of the group's columns ``[Z_l | outer Z | X]`` after the inner
levels; ``log det V = sum_g log det M_g`` and the Schur complements left after
the outermost level sum to ``X'V^{-1}X``.

Where a group's ``Z_g Lambda`` has nearly parallel columns of norm 1e10 (a
slope variance 1e15 times ``sigma^2``, nearly perfectly correlated with the
intercept), ``M_g`` has eigenvalues spanning 1e20. A QR of ``[Z_g Lambda;
I]`` in double precision (nlme's evaluation, and hlm_py's on the QR
elimination) has a backward error of ``eps |Z_g Lambda|``, about 1e-6, and
moves the log-determinants by as much (``docs/differences.md``, P7).

Here the same elimination runs in double-double arithmetic
(:mod:`hlm_py.linalg.double_double`) as a block LDL' factorisation, on
cross-products formed exactly from the raw rows once (no transformation of
``Z`` or ``X``, whose rounding would be a backward error of the same size).
The error is then about ``1e-32 |Z_g Lambda|^2``, smaller than the QR's wherever ``|Z_g Lambda|`` is below about 1e15
(relative variances of 1e30, where P8's soundness checks take over). Each
evaluation costs about 20 vector operations per double-double operation,
over all groups at once.

R has no counterpart; nlme's values are its QR's.
"""

from __future__ import annotations

import numpy as np

from hlm_py.linalg.compensated import two_product
from hlm_py.linalg.double_double import DD, exact_group_sums

__all__ = ["LogDeterminants"]


def _eliminate(A: DD, m: int) -> tuple[float, DD] | None:
    """The first ``m`` steps of an LDL' factorisation of a symmetric stack
    ``A`` (``(k, k, G)``): the summed log of the ``m`` pivots (over the groups)
    and the Schur complement ``(k - m, k - m, G)`` left. None where a pivot is
    not positive and finite. ``A`` is overwritten."""
    logdet = 0.0
    for j in range(m):
        d = A[j, j]
        if not (np.all(np.isfinite(d.hi)) and np.all(d.hi > 0)):
            return None
        logdet += float(d.log().sum())
        col = A[j + 1:, j]
        A[j + 1:, j + 1:] = A[j + 1:, j + 1:] - (col / d[None])[:, None] * col[None, :]
    return logdet, A[m:, m:]


class LogDeterminants:
    """``log det V`` and ``log det X'V^{-1}X`` as functions of the levels'
    factors ``Lambda_l`` (outer to inner), for the data ``Z`` (per level,
    outer to inner), ``codes``, ``parents`` and ``n_groups`` as for
    :func:`hlm_py.lme.reduce.reduce_data`, and the fixed-effects columns
    ``X`` (None: ``log det X'V^{-1}X`` is not needed, as for ML, and is
    returned as 0). The cross-products are formed once, here."""

    def __init__(self, Z: list[np.ndarray], codes: list[np.ndarray], parents: list[np.ndarray],
                 n_groups: list[int], X: np.ndarray | None):
        self.q = [int(z.shape[1]) for z in Z]
        self.n_groups = list(n_groups)
        X = np.zeros((len(codes[-1]), 0)) if X is None else np.asarray(X, dtype=float)
        self.p = int(X.shape[1])
        # the columns innermost level first, as the elimination consumes them
        cols = [np.asarray(Z[lvl][:, j], dtype=float)
                for lvl in range(len(Z) - 1, -1, -1) for j in range(self.q[lvl])]
        cols += [X[:, j] for j in range(self.p)]
        inner = np.asarray(codes[-1])
        k = len(cols)
        self._cells = DD(np.zeros((k, k, n_groups[-1])))
        for i in range(k):
            for j in range(i + 1):
                s = exact_group_sums(list(two_product(cols[i], cols[j])), inner, n_groups[-1])
                self._cells[i, j] = s
                self._cells[j, i] = s
        # per level l >= 1, its groups by their rank among their parent's
        # children: each rank adds to every parent at most once
        self._parents = [np.asarray(p) for p in parents]
        self._ranks: list[list[np.ndarray]] = [[]]
        for par in self._parents[1:]:
            order = np.argsort(par, kind="stable")
            first = np.searchsorted(par[order], par[order])
            rank = np.empty(par.size, dtype=np.int64)
            rank[order] = np.arange(par.size) - first
            self._ranks.append([np.flatnonzero(rank == r)
                                for r in range(int(rank.max(initial=-1)) + 1)])

    def __call__(self, lams: list[np.ndarray]) -> tuple[float, float] | None:
        """``(log det V, log det X'V^{-1}X)`` at the factors ``lams``; None
        where a pivot of the double-double elimination is not positive (its
        precision exceeded)."""
        S = self._cells
        logdet_v = 0.0
        for lvl in range(len(self.q) - 1, -1, -1):
            qz, lam = self.q[lvl], np.asarray(lams[lvl], dtype=float)
            k = S.shape[0]
            # [Lambda' S_zz Lambda + I, Lambda' S_zr; S_rz Lambda, S_rr]
            U = DD(np.zeros((qz,) + S.shape[1:]))
            for a in range(qz):
                U[a] = _combination([S[i] for i in range(qz)], lam[:, a])
            A = DD(np.zeros(S.shape))
            A[qz:, qz:] = S[qz:, qz:]
            A[:qz] = U
            for a in range(qz):
                A[qz:, a] = U[a, qz:]
            for b in range(qz):
                A[:qz, b] = _combination([U[:, i] for i in range(qz)], lam[:, b])
            for a in range(qz):
                A[a, a] = A[a, a] + 1.0
            out = _eliminate(A, qz)
            if out is None:
                return None
            ld, S = out
            logdet_v += ld
            if lvl > 0:
                S = self._to_parents(S, lvl)
            elif k > qz:
                S = S.sum_last()[..., None]
        if self.p == 0:
            return logdet_v, 0.0
        out = _eliminate(S, self.p)
        if out is None:
            return None
        return logdet_v, out[0]

    def _to_parents(self, S: DD, lvl: int) -> DD:
        """The sums over each parent group's children of level ``lvl`` (last axis)."""
        par = self._parents[lvl]
        out = DD(np.zeros(S.shape[:-1] + (self.n_groups[lvl - 1],)))
        for idx in self._ranks[lvl]:
            out[..., par[idx]] = out[..., par[idx]] + S[..., idx]
        return out


def _combination(terms: list[DD], c: np.ndarray) -> DD:
    """``sum_i c_i terms[i]`` for doubles ``c_i`` (exact); zero coefficients
    are skipped."""
    acc = None
    for t, ci in zip(terms, c):
        if ci != 0.0:
            ct = t * float(ci)
            acc = ct if acc is None else acc + ct
    return acc if acc is not None else DD(np.zeros(terms[0].shape))
