"""The gls likelihood from per-pattern cross-products (the search's criterion).

Where every structure acts on a group through its pattern only
(:mod:`hlm_py.structs.patterns` says which do), ``Var(y_g) = sigma^2
Sigma_q`` for all groups ``g`` of a pattern ``q`` (the correlation pattern
and the strata of the group's rows), with ``Sigma_q = W_q^-1 C_q W_q^-1``.
The whitened cross-product of ``Z = [X y]`` is then

    A = Z' V^-1 Z = sum_q sum_{a,b} (W_q C_q^-1 W_q)[a, b] S_q[a, b],
    S_q[a, b] = sum_{g in q} z_{g,a} z_{g,b}'  ((p + 1) x (p + 1)),

with ``z_{g,a}`` the ``a``-th row of group ``g``: the tensors ``S_q`` are
made once, and each evaluation costs ``sum_q s_q^2 (p + 1)^2``, free of
``n``. From the Cholesky factor ``R`` of ``A`` (``R_pp^2`` the whitened
residual sum of squares, ``R_ii`` for ``i < p`` those of the whitened ``X``),
and the components' log-likelihood ``sum_q n_q (sum_a log w_qa - log|L_q|)``
(``C_q = L_q L_q'``), the profiled deviance is nlme's
(:mod:`hlm_py.gls.criterion`) in exact arithmetic. Its gradient is in
closed form: with ``M = N_r / RSS u u' + [REML] Axx^-1`` (``u = (-beta,
1)``), ``H_q = <S_q, M>`` per entry pair, the derivative of the deviance in
``W_q`` is ``2 diag((C_q^-1 o H_q) w_q) - 2 n_q / w_q`` and in ``C_q`` is
``n_q C_q^-1 - C_q^-1 W_q H_q W_q C_q^-1``; the pattern views pull these
back to the parameters.

The columns are conditioned once: ``X`` is replaced by ``Q`` of its QR
(``X = Q R0``, the same column space, ``log|X'V^-1X|`` shifted by ``2 log
|det R0|``) and ``y`` by its residual on ``X`` scaled to unit length (the
residual sum of squares is unchanged up to the scale), so the cross-products
do not square ``X``'s condition number. The numbers are numpy's (LAPACK,
BLAS): a search's criterion, never a reported number; the fit's numbers are
:meth:`hlm_py.gls.criterion.GlsCriterion.estimates` at the end point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hlm_py.gls.criterion import full_loglik, loglik_constant
from hlm_py.gls.design import GlsDesign
from hlm_py.structs.patterns import CorPatterns, VarStrata, cor_patterns, var_strata

__all__ = ["PatternCriterion", "pattern_criterion", "MAX_CELLS_PER_ROW", "MAX_FLOATS"]

#: the reduction is used when its cells ``sum_q s_q^2`` are at most this
#: times the rows: a value then costs up to a few times one whitening and
#: QR of all rows (``4 n (p + 1)^2`` against about ``2 n (p + 1)^2``), and
#: its gradient about two values, where the whitening's costs ``2 k``
MAX_CELLS_PER_ROW = 4.0
#: ... and its tensors hold at most this many numbers (160 MB)
MAX_FLOATS = 20_000_000


@dataclass
class _Block:
    """The patterns of one correlation batch (groups of size ``s``):
    ``cor_pat`` (Q,) the correlation pattern, ``keys`` (Q, s) the rows'
    strata, ``count`` (Q,) the groups, ``S`` (Q * s * s, m * m) the
    cross-product tensors, row ``(q, a, b)``, column ``(j, k)``."""

    batch: int
    s: int
    cor_pat: np.ndarray
    keys: np.ndarray
    count: np.ndarray
    S: np.ndarray


class PatternCriterion:
    """The profiled gls deviance and its gradient by pattern (module
    docstring); build with :func:`pattern_criterion`."""

    def __init__(self, design: GlsDesign, cor: CorPatterns, var: VarStrata,
                 blocks: list[_Block], offset_logdet: float, offset_lrss: float, ll_fold: float):
        self.design = design
        self.cor = cor
        self.var = var
        self.blocks = blocks
        self.n = design.n
        self.p = design.p
        self.n_r = self.n - (self.p if design.reml else 0)
        self.const = loglik_constant(self.n_r)
        self.offset_logdet = offset_logdet
        self.offset_lrss = offset_lrss
        self.ll_fold = ll_fold
        self._key: bytes | None = None
        self._val: tuple[float, np.ndarray] = (math.inf, np.zeros(0))

    @property
    def n_patterns(self) -> int:
        return int(sum(b.count.size for b in self.blocks))

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        blocks = self.design.split(theta)
        tc = blocks.get("corStruct", np.zeros(0))
        tv = blocks.get("varStruct", np.zeros(0))
        return tc, tv

    def _assemble(self, gc: np.ndarray, gv: np.ndarray) -> np.ndarray:
        parts = {"corStruct": gc, "varStruct": gv}
        out = [parts[name] for name, c in self.design.components if c.n_params]
        return np.concatenate(out) if out else np.zeros(0)

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The deviance ``-2 logLik`` at ``theta`` and its gradient (``inf``
        and zeros where a matrix is not positive definite or the whitened
        model matrix is rank deficient, as :meth:`GlsCriterion.pieces`)."""
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        if key != self._key:
            with np.errstate(all="ignore"):
                try:
                    out = self._evaluate(theta)
                except (np.linalg.LinAlgError, FloatingPointError, ValueError, OverflowError):
                    out = None
            if out is None or not math.isfinite(out[0]) or not np.all(np.isfinite(out[1])):
                self._val = (math.inf, np.zeros(theta.size))
            else:
                self._val = (out[0], out[1])
            self._key = key
        return self._val[0], self._val[1].copy()

    def deviance(self, theta: np.ndarray) -> float:
        return self.value_and_gradient(theta)[0]

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.value_and_gradient(theta)[1]

    def loglik(self, theta: np.ndarray) -> float:
        return -0.5 * self.deviance(theta)

    def pieces(self, theta: np.ndarray) -> tuple[float, float, float] | None:
        """``(logLik of the components, log|r|, sum log|R_ii|)`` at ``theta``,
        as :meth:`GlsCriterion.pieces` (None where it is None)."""
        with np.errstate(all="ignore"):
            try:
                out = self._evaluate(np.asarray(theta, dtype=float), want_grad=False)
            except (np.linalg.LinAlgError, FloatingPointError, ValueError, OverflowError):
                return None
        if out is None or not all(math.isfinite(v) for v in out[2]):
            return None
        return out[2]

    def full_loglik(self, theta: np.ndarray, lsigma: float) -> float:
        """:meth:`GlsCriterion.full_loglik` from these pieces."""
        return full_loglik(self.pieces(theta), self.n_r, self.design.reml, lsigma)

    def _evaluate(self, theta: np.ndarray, want_grad: bool = True
                  ) -> tuple[float, np.ndarray, tuple[float, float, float]] | None:
        tc, tv = self._parts(theta)
        vs = self.var
        lw = vs.c + vs.J @ tv
        wkey = np.exp(lw)
        Cs = self.cor.corr(tc)
        p = self.p
        m = p + 1
        acc = np.zeros(m * m)
        ll = 0.0
        work = []
        for b in self.blocks:
            C = Cs[b.batch][b.cor_pat]
            L = np.linalg.cholesky(C)
            dl = L[:, np.arange(b.s), np.arange(b.s)]
            if np.any(dl <= 0.0):
                return None
            Linv = np.linalg.inv(L)
            Ci = np.swapaxes(Linv, 1, 2) @ Linv
            w = wkey[b.keys]
            Om = w[:, :, None] * Ci * w[:, None, :]
            acc += Om.reshape(-1) @ b.S
            ll += float(b.count @ (lw[b.keys].sum(axis=1) - np.log(dl).sum(axis=1)))
            work.append((Ci, w))
        A = acc.reshape(m, m)
        A = 0.5 * (A + A.T)
        LA = np.linalg.cholesky(A)
        d = np.diag(LA)
        if np.any(d[:p] <= 1e-7 * np.sqrt(np.diag(A)[:p])) or not d[p] > 0.0:
            return None
        reml = self.design.reml
        pieces = (ll + self.ll_fold, math.log(d[p]) + self.offset_lrss,
                  float(np.sum(np.log(d[:p]))) + self.offset_logdet)
        f = -2.0 * (self.const + pieces[0] - self.n_r * pieces[1]
                    - (pieces[2] if reml else 0.0))
        if not want_grad:
            return f, np.zeros(0), pieces
        # the gradient: d f = <M, dA>
        Lx = LA[:p, :p]
        Lx_inv = np.linalg.inv(Lx)
        Axx_inv = Lx_inv.T @ Lx_inv
        beta = Axx_inv @ A[:p, p]
        u = np.r_[-beta, 1.0]
        M = (self.n_r / (d[p] * d[p])) * np.outer(u, u)
        if reml:
            M[:p, :p] += Axx_inv
        Mv = M.reshape(-1)
        gkey = np.zeros(vs.n_keys)
        gcor = [np.zeros((cb.n_pat, cb.s, cb.s)) for cb in self.cor.batches]
        for b, (Ci, w) in zip(self.blocks, work):
            H = (b.S @ Mv).reshape(-1, b.s, b.s)
            cnt = b.count.astype(float)
            # derivative in log w: w * (2 ((Ci o H) w) - 2 n / w)
            glw = 2.0 * w * np.einsum("qab,qb->qa", Ci * H, w) - 2.0 * cnt[:, None]
            gkey += np.bincount(b.keys.ravel(), weights=glw.ravel(), minlength=vs.n_keys)
            WHW = w[:, :, None] * H * w[:, None, :]
            gC = cnt[:, None, None] * Ci - Ci @ WHW @ Ci
            np.add.at(gcor[b.batch], b.cor_pat, gC)
        gv = vs.J.T @ gkey
        gc = self.cor.pullback(tc, gcor) if self.cor.n_params else np.zeros(0)
        return f, self._assemble(gc, gv), pieces


def pattern_criterion(design: GlsDesign) -> PatternCriterion | None:
    """The pattern criterion of ``design``, or None where a structure keeps
    no reduction (:mod:`hlm_py.structs.patterns`) or where it would not pay
    (:data:`MAX_CELLS_PER_ROW`, :data:`MAX_FLOATS`)."""
    n, p = design.n, design.p
    cor = cor_patterns(design.cor, n)
    var = var_strata(design.var, n)
    if cor is None or var is None:
        return None
    m = p + 1
    cells = 0
    plan = []
    for bi, cb in enumerate(cor.batches):
        keys = np.column_stack([cb.inv, var.key[cb.idx]])
        uniq, qinv = np.unique(keys, axis=0, return_inverse=True)
        qinv = np.asarray(qinv, dtype=np.int64).ravel()
        cells += uniq.shape[0] * cb.s * cb.s
        plan.append((bi, cb, uniq, qinv))
    if cells > MAX_CELLS_PER_ROW * n or cells * m * m > MAX_FLOATS:
        return None
    X, y = design.X, design.y
    fold = var.fold
    if fold is not None:
        X = X * fold[:, None]
        y = y * fold
    Q, R0 = np.linalg.qr(X)
    r0 = np.abs(np.diag(R0))
    if not np.all(np.isfinite(Q)) or np.any(r0 == 0.0):
        return None
    e = y - Q @ (Q.T @ y)
    ny = float(np.sqrt(e @ e))
    if not (ny > 0.0 and math.isfinite(ny)):
        return None
    Z = np.column_stack([Q, e / ny])
    blocks = []
    for bi, cb, uniq, qinv in plan:
        s = cb.s
        Zg = Z[cb.idx].reshape(cb.idx.shape[0], s * m)
        order = np.argsort(qinv, kind="stable")
        count = np.bincount(qinv, minlength=uniq.shape[0])
        starts = np.r_[0, np.cumsum(count)]
        S = np.empty((uniq.shape[0], s, s, m, m))
        for q in range(uniq.shape[0]):
            Zq = Zg[order[starts[q]:starts[q + 1]]]
            S[q] = (Zq.T @ Zq).reshape(s, m, s, m).transpose(0, 2, 1, 3)
        blocks.append(_Block(bi, s, uniq[:, 0].astype(np.int64), uniq[:, 1:].astype(np.int64),
                             count.astype(np.int64), S.reshape(-1, m * m)))
    ll_fold = float(np.sum(np.log(fold))) if fold is not None else 0.0
    return PatternCriterion(design, cor, var, blocks,
                            offset_logdet=float(np.sum(np.log(r0))),
                            offset_lrss=math.log(ny), ll_fold=ll_fold)
