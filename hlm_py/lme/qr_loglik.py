"""nlme's likelihood evaluation by QR decompositions of the data, group by group.

``QRLogLik`` mirrors nlme's ``internal_loglik`` (``nlmefit.c``): each group's
rows ``[Z X y]``, augmented by the level's precision factor ``Delta``, are
QR-decomposed (innermost level first, the rotated rows passed up to the
parent group), and the log-likelihood is read off the triangular factors.
It is slower than the cross-product evaluation of :mod:`likelihood` (it
visits the rows at every call) and as accurate as nlme: no cross-product is
formed, so a group whose random-effects columns span many orders of
magnitude loses no digits. apVar differentiates it (on nlme's natural
parameters, with sigma given); the fit itself, where the cross-products lose
digits, uses :mod:`likelihood`'s own QR elimination (``qr=True``), which has
a gradient.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from hlm_py.lme.grouping import Grouping

__all__ = ["QRLogLik", "precision_factor"]


def precision_factor(psi: np.ndarray) -> np.ndarray:
    """``Delta`` with ``Delta'Delta = Psi^{-1}``: the inverse of ``Psi``'s
    Cholesky factor (a triangular solve). Inverting ``Psi`` and factoring the
    inverse instead loses the digits of ``Psi``'s condition number, which is
    large near a correlation of +-1 (measured: 2e-6 of the log-likelihood
    against 2.5e-9 this way). Raises ``LinAlgError`` for a singular ``Psi``."""
    L = np.linalg.cholesky(psi)
    return linalg.solve_triangular(L, np.eye(L.shape[0]), lower=True)


class QRLogLik:
    """nlme's ``mixed_loglik`` path for ``lmeApVar``: the (RE)ML log-likelihood
    with beta profiled, at given relative precision factors and sigma, from
    orthogonal (QR) decompositions of the data group by group (innermost level
    first, each group's rows augmented by the precision factor ``Delta``), as
    nlme's ``internal_loglik``.

    The fit's usual likelihood works from cross-products, whose evaluation
    noise (cancellation in the residual sum of squares) is amplified by
    ``fdHess``'s small steps; this evaluation has nlme's accuracy. It overlaps
    ``ProfiledLikelihood(..., qr=True)``, which works in the fit's ``theta``
    with sigma profiled and has a gradient; this one takes precision factors
    and a given sigma, apVar's natural parameters. ``profiled`` is used by the
    tests as an independent check of the fit's logLik. Groups of equal size
    are decomposed together (stacked LAPACK QR).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, Z: list[np.ndarray], grouping: Grouping,
                 reml: bool):
        order = np.asarray(grouping.order)
        Q = len(Z)
        self.Q = Q
        self.q = [int(np.asarray(z).shape[1]) for z in Z]  # outer to inner
        cols = [np.asarray(Z[li], dtype=float)[order] for li in range(Q - 1, -1, -1)]
        cols += [np.asarray(X, dtype=float)[order], np.asarray(y, dtype=float)[order][:, None]]
        self.W = np.ascontiguousarray(np.concatenate(cols, axis=1))
        self.p = int(np.asarray(X).shape[1])
        self.reml = bool(reml)
        self.n_eff = int(np.asarray(y).shape[0]) - (self.p if self.reml else 0)
        self.n_groups = [int(g) for g in grouping.n_groups]
        inner = np.asarray(grouping.codes[Q - 1])[order]
        starts = np.flatnonzero(np.r_[True, inner[1:] != inner[:-1]])
        sizes = np.diff(np.r_[starts, inner.size])
        self.inner_batches = self._batches(starts, sizes)
        # for each outer level l (0..Q-2): children of level l+1 grouped by parent
        self.parent_batches = []
        for li in range(Q - 1):
            par = np.asarray(grouping.parents[li + 1])
            st = np.flatnonzero(np.r_[True, par[1:] != par[:-1]])
            sz = np.diff(np.r_[st, par.size])
            self.parent_batches.append(self._batches(st, sz))

    @staticmethod
    def _batches(starts: np.ndarray, sizes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(group ids, member index matrix) for each distinct group size."""
        out = []
        for m in np.unique(sizes):
            ids = np.flatnonzero(sizes == m)
            out.append((ids, starts[ids][:, None] + np.arange(m)[None, :]))
        return out

    @staticmethod
    def _decompose(blocks: np.ndarray, delta: np.ndarray) -> tuple[float, np.ndarray]:
        """QR of each ``[block; Delta 0]``: summed log|det R11| and the rotated rest."""
        G, m, c = blocks.shape
        q = delta.shape[0]
        A = np.zeros((G, m + q, c))
        A[:, :m, :] = blocks
        A[:, m:, :q] = delta
        R = np.linalg.qr(A, mode="r")
        k = R.shape[1]
        if k < c:
            R = np.concatenate([R, np.zeros((G, c - k, c))], axis=1)
        d = np.abs(np.diagonal(R[:, :q, :q], axis1=1, axis2=2))
        if np.any(d == 0):
            return -math.inf, R[:, q:, q:]
        return float(np.log(d).sum()), R[:, q:, q:]

    def _reduce(self, deltas: list[np.ndarray]) -> tuple[float, float] | None:
        """``(sum_l G_l log|Delta_l| - log|R11| terms [- REML log|R_X|], rss)``;
        None where a decomposition is singular."""
        total = 0.0
        rest = None  # per group of the level just processed: rotated rows
        for li in range(self.Q - 1, -1, -1):
            delta = deltas[li]
            G = self.n_groups[li]
            if li == self.Q - 1:
                batches = self.inner_batches
                src = self.W
                ncol = src.shape[1]
            else:
                batches = self.parent_batches[li]
                ncol = rest.shape[2]
            out_rest = None
            lg = 0.0
            for ids, idx in batches:
                if li == self.Q - 1:
                    blocks = src[idx]
                else:
                    b = rest[idx]  # (Gm, children, r, r)
                    blocks = b.reshape(b.shape[0], -1, ncol)
                val, rr = self._decompose(blocks, delta)
                if not math.isfinite(val):
                    return None
                lg += val
                if out_rest is None:
                    out_rest = np.zeros((G,) + rr.shape[1:])
                out_rest[ids] = rr
            rest = out_rest
            ld = float(np.log(np.abs(np.diag(delta))).sum())
            total += G * ld - lg
        top = rest.reshape(-1, rest.shape[2])
        R = np.linalg.qr(top, mode="r")
        p = self.p
        if R.shape[0] < p + 1:
            R = np.concatenate([R, np.zeros((p + 1 - R.shape[0], p + 1))], axis=0)
        dx = np.abs(np.diag(R)[:p])
        if np.any(dx == 0):
            return None
        if self.reml:
            total -= float(np.log(dx).sum())
        return total, float(R[p, p] ** 2)

    def __call__(self, deltas: list[np.ndarray], sigma: float) -> float:
        """Log-likelihood (nlme's, up to the constant ``-n_eff log(2 pi) / 2``)
        at precision factors ``deltas`` (outer to inner, ``Delta'Delta =
        Omega``) and ``sigma``."""
        red = self._reduce(deltas)
        if red is None:
            return -math.inf
        total, rss = red
        return total - self.n_eff * math.log(sigma) - rss / (2 * sigma * sigma)

    def profiled(self, psis: list[np.ndarray]) -> float:
        """nlme's (RE)ML log-likelihood, constants included, at relative
        ``psis`` (``Psi_l / sigma^2``, outer to inner) with ``sigma`` profiled
        (``sigma^2 = rss / n_eff``); ``-inf`` where singular."""
        try:
            deltas = [precision_factor(np.asarray(psi, dtype=float)) for psi in psis]
        except (np.linalg.LinAlgError, ValueError):  # singular, or not finite
            return -math.inf
        red = self._reduce(deltas)
        if red is None or not red[1] > 0:
            return -math.inf
        total, rss = red
        ne = self.n_eff
        return total - 0.5 * ne * (math.log(2 * math.pi) + 1.0 + math.log(rss / ne))
