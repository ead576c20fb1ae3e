"""The evaluators of the lme criterion: the elimination of the random effects.

Where nlme rotates per-group QR decompositions, this module eliminates the
random effects level by level (innermost first) from the per-group
cross-products of :mod:`reduce`: within group ``g``, with ``S`` the
cross-products of ``[Z_l | rest]``, ``M_g = Lambda'S_zz Lambda + I`` and the
cross-products passed to the enclosing group are
``S_rr - S_rz Lambda M_g^{-1} Lambda'S_zr``; ``log|V| = sum log|M_g|``.  Groups
sit on the last axis of every array, so each step is a few vector operations
over all groups at once; nothing depends on ``n``.  The gradient is the exact
reverse-mode derivative of that elimination.

Where the cross-products have lost digits (a group whose random-effects
columns span many orders of magnitude: forming ``W_g'W_g`` squares the
group's condition number), ``qr=True`` does the same elimination as nlme:
on the groups' triangular factors (``Reduced.factors``), each augmented by the
level's factor and QR-decomposed, the rotated rows stacked per parent group.
The quantities the gradient and the estimates read (``M_g^{-1}``, ``K_g``)
then come from triangular factors rather than from inverting ``M_g``, and the
gradient's term in ``Lambda`` from the orthogonal factor (its cross-product
form cancels there).  It costs a stacked LAPACK QR per level and evaluation,
several times the cross-product evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, cast

import numpy as np

from hlm_py.lme.reduce import Reduced
from hlm_py.lme.stacked import (
    child_batches,
    groups_last,
    inverse,
    lmul,
    mul,
    stacked_r,
    tmul,
)

__all__ = ["Evaluation", "Evaluator", "CrossProducts", "QRElimination"]




@dataclass
class Evaluation:
    """What an :class:`Evaluator` gives for the levels' factors.

    logdet_v    ``log det V`` (``V = I + Z Psi Z'``)
    rss         the penalised residual sum of squares
    logdet_xvx  ``log det X'V^{-1}X`` (of the original ``X``)
    beta        the fixed effects in the cells' coordinates (``X~``)
    xtvx_inv    ``(X~'V^{-1}X~)^{-1}`` ...
    w           ... and a factor ``W`` of it, ``W W' = xtvx_inv``
    top         the reduced ``[X~ y~]`` block after every level (its
                cross-products, or their triangular factor)
    levels      per level (outer to inner) ``(M^{-1}, K, Lambda'S_zz, S_zr,
                rows)`` by group, groups last, for the gradient and the
                estimates (empty for a value alone)
    """

    logdet_v: float
    rss: float
    logdet_xvx: float
    beta: np.ndarray
    xtvx_inv: np.ndarray
    w: np.ndarray
    top: np.ndarray
    levels: list[tuple] = field(default_factory=list)


class Evaluator(Protocol):
    """An evaluation of the criterion: the elimination of the random effects
    at the levels' factors (in the cells' coordinates, ``R_l Lambda_l``),
    then the fixed effects' block it leaves."""

    qr: bool

    def eliminate(self, lams: list[np.ndarray], values_only: bool = False) -> tuple | None:
        """``(levels, log|V|, top)`` (as :class:`Evaluation`'s) at ``lams``;
        None where some group's system is singular. ``values_only``:
        ``levels`` may be left empty."""
        ...

    def solve(self, top: np.ndarray) -> tuple | None:
        """``(beta, rss, xtvx_inv, log|X'V^{-1}X|, W)`` (as :class:`Evaluation`'s)
        from ``top``; None where singular."""
        ...

    def evaluate(self, lams: list[np.ndarray], values_only: bool = False
                 ) -> Evaluation | None:
        """Both steps: the parts of the criterion at ``lams``; None where singular."""
        ...

    def fixed_factor(self, top: np.ndarray) -> np.ndarray | None:
        """``T~`` (upper triangular) with ``T~'T~ = X~'V^{-1}X~`` from
        ``top``; None where singular."""
        ...


class _Elimination:
    """What the evaluators share: :meth:`evaluate` from their two steps."""

    def eliminate(self, lams: list[np.ndarray], values_only: bool = False) -> tuple | None:
        raise NotImplementedError

    def solve(self, top: np.ndarray) -> tuple | None:
        raise NotImplementedError

    def evaluate(self, lams: list[np.ndarray], values_only: bool = False
                 ) -> Evaluation | None:
        fw = self.eliminate(lams, values_only)
        if fw is None:
            return None
        levels, logdet, top = fw
        root = self.solve(top)
        if root is None:
            return None
        beta, rss, xtvx_inv, ld_xx, w = root
        return Evaluation(logdet_v=float(logdet), rss=rss, logdet_xvx=float(ld_xx), beta=beta,
                          xtvx_inv=xtvx_inv, w=w, top=top, levels=levels)


class CrossProducts(_Elimination):
    """The elimination on the groups' cross-products (module docstring)."""

    qr = False

    def __init__(self, reduced: Reduced, q: list[int], starts: list[np.ndarray], ld_rx: float):
        self.p = reduced.p
        self.q = q
        self._starts = starts
        # the innermost level works on the constant cross-products: slice them once
        qi = q[-1]
        cells = reduced.cells
        self._c_zz = np.ascontiguousarray(cells[:qi, :qi])
        self._c_zr = np.ascontiguousarray(cells[:qi, qi:])
        self._c_rr = np.ascontiguousarray(cells[qi:, qi:])
        self._c_rr_sum = self._c_rr.sum(axis=2)
        self._ld_rx = ld_rx

    def fixed_factor(self, top: np.ndarray) -> np.ndarray | None:
        try:
            L = np.linalg.cholesky(top[:self.p, :self.p])
        except np.linalg.LinAlgError:
            return None
        return L.T

    def eliminate(self, lams: list[np.ndarray], values_only: bool = False):
        """``(levels, log|V|, top)``: per level (outer to inner) ``(M^{-1}, K,
        Lambda'S_zz, S_zr, None)`` by group (groups last); ``top`` the
        cross-products of ``[X y]`` after every level. None where some
        ``M_g`` is singular."""
        levels = []
        logdet = 0.0
        A = None
        Q = len(self.q)
        S: np.ndarray | None = None  # the reduced cells of the level below; None at the innermost
        for lvl in range(Q - 1, -1, -1):
            qz = self.q[lvl]
            lam = lams[lvl]
            if S is None:  # lvl == Q - 1
                Szz, Szr = self._c_zz, self._c_zr
            else:
                Szz, Szr = S[:qz, :qz], S[:qz, qz:]
            LtS = lmul(lam.T, Szz)  # Lambda' S_zz
            M = lmul(lam.T, LtS.transpose(1, 0, 2))  # Lambda' S_zz Lambda
            M[np.arange(qz), np.arange(qz)] += 1.0
            inv = inverse(M)
            if inv is None or not np.isfinite(inv[1]):
                return None
            Minv, ld_m = inv
            Sur = lmul(lam.T, Szr)
            K = mul(Minv, Sur)
            logdet += ld_m
            levels.append((Minv, K, LtS, Szr, None))
            if lvl == 0:
                # the outermost level: only the sum over its groups is needed
                Srr_sum = self._c_rr_sum if S is None else S[qz:, qz:].sum(axis=2)
                A = Srr_sum - np.tensordot(Sur, K, axes=([0, 2], [0, 2]))
                A = 0.5 * (A + A.T)
            else:
                Srr = self._c_rr if S is None else S[qz:, qz:]
                Snew = Srr - tmul(Sur, K)
                S = np.add.reduceat(Snew, self._starts[lvl], axis=2)
        levels.reverse()  # outer to inner
        return levels, logdet, A

    def solve(self, A: np.ndarray):
        """``(beta, rss, (X'V^{-1}X)^{-1}, log|X'V^{-1}X|, W)`` in the cells'
        coordinates from :meth:`eliminate`'s ``top``, ``W`` a factor with
        ``(X'V^{-1}X)^{-1} = W W'``; None where singular."""
        p = self.p
        Axx = A[:p, :p]
        Axy = A[:p, p]
        if p:
            try:
                R = np.linalg.cholesky(Axx)
            except np.linalg.LinAlgError:
                return None
            Rinv = np.linalg.inv(R)
            W = Rinv.T
            Axx_inv = W @ Rinv
            beta = Axx_inv @ Axy
            ld_xx = 2.0 * np.log(np.diag(R)).sum()
        else:
            Axx_inv = W = np.zeros((0, 0))
            beta = np.zeros(0)
            ld_xx = 0.0
        rss = float(A[p, p] - Axy @ beta)
        if not rss > 0:
            return None
        return beta, rss, Axx_inv, ld_xx + self._ld_rx, W


class QRElimination(_Elimination):
    """nlme's elimination on the groups' triangular factors (module docstring).

    ``pseudo_response``: the response of the penalty's pseudo-rows ``[I, 0]``,
    per level (outer to inner) ``(G_l, q_l)``, zero by default: with ``-u~``
    and the residual at ``(beta~, u~)`` as the data's response, the
    elimination solves for the correction of ``(beta~, u~)``
    (:mod:`hlm_py.lme.refine`)."""

    qr = True

    def __init__(self, reduced: Reduced, q: list[int], starts: list[np.ndarray], ld_rx: float,
                 pseudo_response: list[np.ndarray] | None = None):
        if reduced.factors is None:
            raise ValueError("qr=True needs the groups' factors (reduce_data(..., triangular=True))")
        self.p = reduced.p
        self.q = q
        self.n_groups = list(reduced.n_groups)
        self._pseudo = pseudo_response
        self._factors = np.ascontiguousarray(reduced.factors)
        # per level l >= 1: its groups by parent, batched by number of children
        self._merge = [None] + [child_batches(st, reduced.n_groups[lvl])
                                for lvl, st in enumerate(starts) if lvl > 0]
        self._ld_rx = ld_rx

    def fixed_factor(self, top: np.ndarray) -> np.ndarray | None:
        p = self.p
        Rxx = top[:p, :p]
        if not np.all(np.abs(np.diag(Rxx)) > 0):
            return None
        return Rxx * np.where(np.diag(Rxx) < 0, -1.0, 1.0)[:, None]

    def eliminate(self, lams: list[np.ndarray], values_only: bool = False):
        """nlme's elimination: per group the QR of ``[T_z Lambda, T_r; I, 0]``
        gives ``R11`` (``R11'R11 = M_g``), ``R12`` (``K_g = R11^{-1} R12``) and
        ``R22``, the factor passed to the parent group."""
        levels = []
        logdet = 0.0
        Q = len(self.q)
        T = self._factors  # (G, k, k), groups first
        for lvl in range(Q - 1, -1, -1):
            qz, lam = self.q[lvl], lams[lvl]
            G, k, _ = T.shape
            Tz = T[:, :, :qz]
            A = np.zeros((G, k + qz, k))
            A[:, :k, :qz] = Tz @ lam
            A[:, :k, qz:] = T[:, :, qz:]
            A[:, k + np.arange(qz), np.arange(qz)] = 1.0
            if self._pseudo is not None:
                A[:, k + np.arange(qz), k - 1] = self._pseudo[lvl]
            if values_only:
                # numpy's stubs type every mode as QRResult; mode="r" returns the array R
                R = cast(np.ndarray, np.linalg.qr(A, mode="r"))
            else:
                Qf, R = np.linalg.qr(A)
            d = np.abs(np.diagonal(R[:, :qz, :qz], axis1=1, axis2=2))
            if not (np.all(d > 0) and np.all(np.isfinite(R))):
                return None
            logdet += float(2.0 * np.log(d).sum())
            R22 = R[:, qz:, qz:]
            if not values_only:
                R11inv = np.linalg.inv(R[:, :qz, :qz])
                # for the gradient, without the cancellation of its
                # cross-product form: U M^{-1} = Q11 R11^{-T} and
                # U K - T_r = -Q12 R22 (U = T_z Lambda)
                rows = (groups_last(Tz), groups_last(Qf[:, :k, :qz] @ np.swapaxes(R11inv, 1, 2)),
                        groups_last(Qf[:, :k, qz:] @ R22))
                levels.append((groups_last(R11inv @ np.swapaxes(R11inv, 1, 2)),
                               groups_last(R11inv @ R[:, :qz, qz:]), None, None, rows))
            r = k - qz
            if lvl == 0:
                top = stacked_r(R22.reshape(1, -1, r), r)[0]
            else:
                T = np.empty((self.n_groups[lvl - 1], r, r))
                batches = self._merge[lvl]
                assert batches is not None  # None only at level 0
                for ids, idx in batches:
                    T[ids] = stacked_r(R22[idx].reshape(ids.size, -1, r), r)
        levels.reverse()  # outer to inner
        return levels, logdet, top

    def solve(self, R: np.ndarray):
        p = self.p
        d = np.abs(np.diag(R))
        if not (np.all(d[:p] > 0) and d[p] > 0 and np.all(np.isfinite(R))):
            return None
        if p:
            Rinv = np.linalg.inv(R[:p, :p])
            beta = Rinv @ R[:p, p]
            Axx_inv = Rinv @ Rinv.T
            ld_xx = float(2.0 * np.log(d[:p]).sum())
        else:
            beta, Rinv, ld_xx = np.zeros(0), np.zeros((0, 0)), 0.0
            Axx_inv = Rinv
        rss = float(R[p, p] ** 2)
        if not rss > 0:  # underflowed: a relative variance of 1e200 and more
            return None
        return beta, rss, Axx_inv, ld_xx + self._ld_rx, Rinv
