"""The profiled (RE)ML criterion of a linear mixed-effects model, and its gradient.

The model is nlme's: ``y = X beta + sum_l Z_l b_l + e``, ``e ~ N(0, sigma^2 I)``,
``b_{l,g} ~ N(0, sigma^2 Psi_l)``, with ``beta`` and ``sigma`` profiled out.
The value is nlme's, constants included (``MEestimate`` and
``internal_loglik`` in nlme):

``logLik = -N'/2 (log(2 pi) + 1 + log(RSS / N')) - 1/2 log|V| - REML/2 log|X'V^{-1}X|``

with ``N' = N - REML * p``, ``V = I + Z Psi Z'`` and ``RSS`` the penalised
residual sum of squares.

Parameters: each level's pd class parametrises ``Psi_l`` itself, so the
optimiser's parameters are nlme's reported ``coef(fit$modelStruct)`` (nlme
optimises over the precision factor and inverts at the end; the optimum is
the same).  The computation goes through a factor ``Lambda_l`` with
``Psi_l = Lambda_l Lambda_l'`` (spherical random effects ``u = Lambda^{-1} b``),
which stays well conditioned up to the boundary, singular ``Psi`` included.

One criterion, several evaluators: :func:`profiled_deviance` forms the
deviance from its parts (``log|V|``, the RSS, ``log|X'V^{-1}X|``, and
``sigma`` where it is given rather than profiled) for every evaluation,
apVar's and the refined one (:mod:`hlm_py.lme.refine`) included. An
:class:`Evaluator` turns the levels' factors into those parts and into the
pieces the gradient and the estimates read: :class:`CrossProducts` (the
default) and :class:`QRElimination` (``qr=True``); the refined evaluation
(:mod:`hlm_py.lme.refine`, on two QR eliminations and double-double
log-determinants) presents the same :class:`Criterion` at ``theta`` as
:class:`ProfiledLikelihood`. The random-effects
structure is an :class:`~hlm_py.lme.component.ReStruct`; each level's pd
class answers the questions of the optimiser's parametrisation itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from hlm_py.errors import SingularFitError
from hlm_py.lme.component import ReStruct
from hlm_py.lme.eliminate import CrossProducts, Evaluation, Evaluator, QRElimination
from hlm_py.lme.pdmat import PdClass, WorkFrame
from hlm_py.lme.reduce import Reduced
from hlm_py.lme.stacked import lmul, mul, mul_t, segment_starts

__all__ = ["ProfiledLikelihood", "Estimates", "Criterion", "profiled_deviance"]

_LOG2PI = float(np.log(2 * np.pi))


def profiled_deviance(n_eff: int, reml: bool, logdet_v: float, rss: float, logdet_xvx: float,
                      sigma: float | None = None) -> float:
    """``-2 logLik`` of nlme's lme from its parts, constants included.

    ``N' (log(2 pi) + 1 + log(RSS / N')) + log|V| [+ log|X'V^{-1}X|]`` with
    sigma profiled (``sigma^2 = RSS / N'``, nlme's ``MEestimate``), and with
    ``sigma`` given ``N' log(2 pi sigma^2) + RSS / sigma^2 + log|V| [+ ...]``
    (what nlme's ``lmeApVar`` differentiates); ``N' = n_eff``, the REML term
    where ``reml``. ``V`` and ``RSS`` are relative to ``sigma^2``.
    """
    if sigma is None:
        dev = n_eff * (_LOG2PI + 1.0 + np.log(rss / n_eff)) + logdet_v
    else:
        s2 = sigma * sigma
        dev = n_eff * (_LOG2PI + np.log(s2)) + rss / s2 + logdet_v
    if reml:
        dev += logdet_xvx
    return float(dev)


@dataclass
class Estimates:
    """Conditional estimates at given variance parameters.

    beta      fixed effects (p,)
    b         per level, outer to inner, the BLUPs ``(G_l, q_l)``
    u         per level, the spherical effects ``Lambda^{-1} b`` ``(G_l, q_l)``
    rss       penalised residual sum of squares (from cross-products)
    sigma     nlme's sigma: ``sqrt(RSS / N')``
    xtvx_inv  ``(X'V^{-1}X)^{-1}`` (relative): ``varFix = sigma^2 xtvx_inv``
    loglik    the (RE)ML log-likelihood at these parameters
    logdet_v  ``log det V`` ...
    logdet_xvx  ... and ``log det X'V^{-1}X`` that it is made of
    """

    beta: np.ndarray
    b: list[np.ndarray]
    u: list[np.ndarray]
    rss: float
    sigma: float
    xtvx_inv: np.ndarray
    loglik: float
    logdet_v: float
    logdet_xvx: float
class Criterion(Protocol):
    """The criterion at nlme's parameters ``theta``: what the optimiser and
    the fit ask of :class:`ProfiledLikelihood` and of the refined evaluation
    (:class:`hlm_py.lme.refine.Refinement`) alike."""

    def deviance(self, theta: np.ndarray) -> float:
        """``-2 logLik`` at ``theta`` (``inf`` where undefined)."""
        ...

    def estimates(self, theta: np.ndarray) -> Estimates:
        """The estimates at ``theta`` (``SingularFitError`` where singular)."""
        ...


class ProfiledLikelihood:
    """The profiled (RE)ML criterion over the variance parameters.

    ``pds`` is an :class:`~hlm_py.lme.component.ReStruct`, or the list of the
    levels' pd classes (outer to inner; the ``q`` are the reduced data's);
    ``theta`` is the concatenation of their parameters in that order, each
    parametrising the level's ``Psi_l`` (relative to ``sigma^2``), nlme's
    parametrisation. ``qr``: evaluate on nlme's QR elimination
    (:class:`QRElimination`, needs ``reduce_data(..., triangular=True)``)
    rather than on the cross-products (:class:`CrossProducts`);
    ``pseudo_response`` is :class:`QRElimination`'s.
    """

    def __init__(self, reduced: Reduced, pds: ReStruct | Sequence[PdClass], reml: bool,
                 qr: bool = False, pseudo_response: list[np.ndarray] | None = None):
        if qr and reduced.factors is None:
            raise ValueError("qr=True needs the groups' factors (reduce_data(..., triangular=True))")
        if pseudo_response is not None and not qr:
            raise ValueError("a pseudo-response needs the QR elimination (qr=True)")
        self.qr = bool(qr)
        self.red = reduced
        self.restruct = pds if isinstance(pds, ReStruct) else ReStruct(list(pds), reduced.q)
        if self.restruct.q != list(reduced.q):
            raise ValueError(f"the ReStruct's q {self.restruct.q} are not the data's {reduced.q}")
        self.pd = self.restruct.pd
        self.reml = bool(reml)
        self.q = list(reduced.q)
        self.sizes = list(self.restruct.sizes)
        self.offsets = self.restruct.offsets
        self.n_params = self.restruct.n_params
        self.p = reduced.p
        self.n = reduced.n
        self.n_eff = self.n - (self.p if self.reml else 0)
        starts = [segment_starts(par) for par in reduced.parents]
        self._parents = [np.asarray(par) for par in reduced.parents]
        self._parents[0] = np.zeros(reduced.n_groups[0], dtype=np.int64)
        starts[0] = np.zeros(1, dtype=np.int64) if reduced.n_groups[0] else starts[0]
        if self.n_eff <= 0:
            raise SingularFitError("no residual degrees of freedom left after the fixed effects")
        p = self.p
        self._rz = [np.eye(q) for q in self.q] if reduced.z_factors is None \
            else [np.asarray(r, dtype=float) for r in reduced.z_factors]
        self._rx = np.eye(p) if reduced.x_factor is None else np.asarray(reduced.x_factor, float)
        self._beta0 = np.zeros(p) if reduced.beta_offset is None \
            else np.asarray(reduced.beta_offset, float)
        ld_rx = float(2.0 * np.log(np.abs(np.diag(self._rx))).sum()) if p else 0.0
        self._rx_inv = np.linalg.inv(self._rx) if p else np.zeros((0, 0))
        self.evaluator: Evaluator = (
            QRElimination(reduced, self.q, starts, ld_rx, pseudo_response) if self.qr
            else CrossProducts(reduced, self.q, starts, ld_rx))
        # the optimiser's parametrisation (see work_from_theta)
        self._frames: list[WorkFrame] = []
        for c, r, G, q in zip(self.pd, self._rz, reduced.n_groups, self.q):
            s = float(np.sqrt(max(G, 1)))
            cs = np.log(np.maximum(np.sqrt(np.einsum("ij,ij->j", r, r)) / s, 1e-300))
            self._frames.append(WorkFrame(rz=r, scale=s, shift=c.work_shift(cs, q)))

    # -- parameters ---------------------------------------------------------
    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return self.restruct.split(theta)

    def psis(self, theta: np.ndarray) -> list[np.ndarray]:
        """The relative covariance matrices ``Psi_l`` (outer to inner)."""
        return self.restruct.matrices(theta)

    def roots(self, theta: np.ndarray) -> list[np.ndarray]:
        """Factors ``Lambda_l`` with ``Lambda_l Lambda_l' = Psi_l``."""
        return self.restruct.roots(theta)

    def theta_from_psi(self, psis: list[np.ndarray]) -> np.ndarray:
        """Parameters of given ``Psi_l`` matrices (outer to inner)."""
        return self.restruct.params(psis)

    # -- the optimiser's parametrisation -------------------------------------
    # ``theta`` parametrises Psi in the units of the data; a random slope on a
    # column of scale 1e4 makes it badly scaled and strongly correlated.  The
    # optimiser works instead on ``phi``.  For the general classes (the pd
    # class's ``general``), as nlme, on the precision factor, but in the
    # coordinates of the orthonormal ``Z~_l`` and per group: ``Lambda~_l =
    # sqrt(G_l) D^{-1}`` (:class:`hlm_py.lme.pdmat._GeneralPd`).  Large
    # variances are then small entries of ``D``, where the criterion is
    # smooth, unlike the large, flat off-diagonal entries of a covariance
    # factor.  For the structured classes ``phi`` is ``theta`` shifted by the
    # class's ``work_shift`` of the log column scales of ``Z_l``.
    def _work_factor(self, lvl: int, phi: np.ndarray, mode: str = "precision") -> np.ndarray:
        """``Lambda~_l = R_l Lambda_l`` at the level's work parameters."""
        return self.pd[lvl].work_root(phi, self.q[lvl], mode, self._frames[lvl])

    def _work_jacobian(self, lvl: int, phi: np.ndarray, mode: str = "precision") -> np.ndarray:
        return self.pd[lvl].work_root_jacobian(phi, self.q[lvl], mode, self._frames[lvl])

    def work_from_theta(self, theta: np.ndarray, mode: str = "precision") -> np.ndarray:
        """The optimiser's parameters ``phi`` of ``theta``.

        ``mode`` ``"precision"`` (above) or ``"covariance"``: for the general
        classes the log-Cholesky factor of the covariance itself (in the same
        coordinates), which is smooth where ``Psi`` becomes singular (a
        correlation of +-1), where the precision factor diverges."""
        out = [c.work_from_theta(t, q, mode, f)
               for c, t, q, f in zip(self.pd, self.split(theta), self.q, self._frames)]
        return np.concatenate(out) if out else np.zeros(0)

    def theta_from_work(self, phi: np.ndarray, mode: str = "precision") -> np.ndarray:
        """``theta`` (nlme's parameters of ``Psi_l``) of the optimiser's ``phi``."""
        out = [c.theta_from_work(w, q, mode, f)
               for c, w, q, f in zip(self.pd, self.split(phi), self.q, self._frames)]
        return np.concatenate(out) if out else np.zeros(0)

    def work_deviance_and_gradient(self, phi: np.ndarray, mode: str = "precision"
                                   ) -> tuple[float, np.ndarray]:
        """``-2 logLik`` and its exact gradient in the optimiser's parameters."""
        parts = self.split(phi)
        lams = [self._work_factor(i, f, mode) for i, f in enumerate(parts)]
        jacs = [self._work_jacobian(i, f, mode) for i, f in enumerate(parts)]
        return self._deviance_and_gradient(lams, jacs)[:2]

    def theta_log_scales(self) -> list[int]:
        """Indices of ``theta`` that are log scales (a variance, or a direction
        of ``Psi``, vanishes as the parameter goes to -inf): each pd class's
        ``theta_log_scales``."""
        return self.restruct.log_scales()

    def work_boundary(self) -> list[int]:
        """Indices of ``phi`` that are log scales: where a variance component
        (or a direction of ``Psi``) goes to zero as the parameter goes to -inf."""
        out: list[int] = []
        for lvl, c in enumerate(self.pd):
            off = int(self.offsets[lvl])
            out += [off + j for j in c.work_log_scales(self.q[lvl])]
        return out

    # -- the criterion --------------------------------------------------------
    def _tilde(self, lams: list[np.ndarray]) -> list[np.ndarray]:
        """Factors of the cells' coordinates: ``R_l Lambda_l``."""
        return [r @ lam for r, lam in zip(self._rz, lams)]

    def _criterion(self, ev: Evaluation, sigma: float | None = None) -> float:
        return profiled_deviance(self.n_eff, self.reml, ev.logdet_v, ev.rss, ev.logdet_xvx, sigma)

    def deviance_at_roots(self, lams: list[np.ndarray], sigma: float | None = None) -> float:
        """``-2 logLik`` at factors ``Lambda_l`` (``Psi_l = Lambda_l Lambda_l'``,
        outer to inner), ``sigma`` profiled or given (:func:`profiled_deviance`);
        ``inf`` where undefined."""
        ev = self.evaluator.evaluate(self._tilde(lams), values_only=True)
        if ev is None:
            return np.inf
        return self._criterion(ev, sigma)

    def deviance(self, theta: np.ndarray) -> float:
        """``-2 logLik`` at ``theta`` (``inf`` where undefined)."""
        return self.deviance_at_roots(self.roots(theta))

    def deviance_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``-2 logLik`` and its exact gradient in ``theta``."""
        theta = np.asarray(theta, dtype=float)
        lams = self._tilde(self.roots(theta))
        jacs = [np.einsum("ab,kbc->kac", r, J)
                for r, J in zip(self._rz, self.restruct.root_jacobians(theta))]
        return self._deviance_and_gradient(lams, jacs)[:2]

    def deviance_gradient_cells(self, theta: np.ndarray
                                ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """``-2 logLik``, its exact gradient in ``theta`` and its derivative
        in the innermost groups' cells ``(k, k, G_Q)`` (``d dev = sum_g
        <C~_g, dcells_g>`` over all entries; None where undefined)."""
        theta = np.asarray(theta, dtype=float)
        lams = self._tilde(self.roots(theta))
        jacs = [np.einsum("ab,kbc->kac", r, J)
                for r, J in zip(self._rz, self.restruct.root_jacobians(theta))]
        return self._deviance_and_gradient(lams, jacs, cells=True)

    def _deviance_and_gradient(self, lams: list[np.ndarray], jacs: list[np.ndarray],
                               cells: bool = False
                               ) -> tuple[float, np.ndarray, np.ndarray | None]:
        ev = self.evaluator.evaluate(lams)
        if ev is None:
            return np.inf, np.full(self.n_params, np.nan), None
        levels, beta, rss, Axx_inv = ev.levels, ev.beta, ev.rss, ev.xtvx_inv
        dev = self._criterion(ev)
        p = self.p
        u = np.r_[-beta, 1.0]
        abar = (self.n_eff / rss) * np.outer(u, u)
        if self.reml and p:
            abar[:p, :p] += Axx_inv
        grad = np.empty(self.n_params)
        a_g: np.ndarray | None = None  # adjoint of each group's reduced block, (r, r, G)
        for lvl, (Minv, K, LtS, Szr, rows) in enumerate(levels):
            lam = lams[lvl]
            qz = self.q[lvl]
            G = Minv.shape[2]
            if lvl == 0:
                KA = np.matmul(abar.T[None], K)  # (q, r, G): K_g abar
            else:
                assert a_g is not None  # set at the level above
                a_g = a_g[:, :, self._parents[lvl]]
                KA = mul(K, a_g)
            Mbar = Minv + mul_t(KA, K)  # adjoint of M_g (symmetric)
            # d/dLambda of log|M| and of the reduced block: 2 S_zz Lambda Mbar - 2 S_zr abar K'
            if rows is None:
                lam_bar = 2.0 * np.tensordot(LtS.transpose(1, 0, 2), Mbar, axes=([1, 2], [0, 2]))
                lam_bar -= 2.0 * np.tensordot(Szr, KA, axes=([1, 2], [1, 2]))
            else:  # the same, as 2 T_z'(U M^{-1} + (U K - T_r) abar K')
                Tz, UMinv, P = rows
                PA = np.matmul(abar.T[None], P) if a_g is None else mul(P, a_g)  # None: lvl == 0
                lam_bar = 2.0 * np.tensordot(Tz, UMinv - mul_t(PA, K), axes=([0, 2], [0, 2]))
            J = jacs[lvl]
            grad[self.offsets[lvl]:self.offsets[lvl + 1]] = np.einsum("ij,kij->k", lam_bar, J)
            if lvl + 1 < len(levels) or cells:
                if a_g is None:  # lvl == 0
                    a_g = np.broadcast_to(abar[:, :, None], abar.shape + (G,))
                r = a_g.shape[0]
                LM = lmul(lam, Mbar)
                nxt = np.empty((qz + r, qz + r, G))
                nxt[:qz, :qz] = lmul(lam, LM.transpose(1, 0, 2))  # Lambda Mbar Lambda'
                LKA = lmul(lam, KA)
                nxt[:qz, qz:] = -LKA
                nxt[qz:, :qz] = -LKA.transpose(1, 0, 2)
                nxt[qz:, qz:] = a_g
                a_g = nxt
        # with ``cells``, a_g is the adjoint of the innermost cells
        return dev, grad, a_g if cells else None

    # -- estimates ----------------------------------------------------------
    def fixed_factor(self, theta: np.ndarray) -> np.ndarray | None:
        """``T`` (``p x p``, upper triangular) with ``T'T = X'V^{-1}X`` (relative) at ``theta``.

        In exact arithmetic this is the R factor of nlme's level-0 matrix: the
        fixed-effects columns after the rotations of every random-effects
        level, which nlme QR-decomposes with ``dqrdc2`` to decide the rank of
        the fixed effects. It is formed as ``chol(X~'V^{-1}X~)' R_x`` (or the
        QR elimination's factor times ``R_x``) from the orthonormal ``X~`` of
        the cells, so its accuracy does not depend on the conditioning of
        ``X``. None where the random-effects system or ``X~'V^{-1}X~`` is
        singular.
        """
        fw = self.evaluator.eliminate(self._tilde(self.roots(theta)), values_only=True)
        if fw is None:
            return None
        T = self.evaluator.fixed_factor(fw[2])
        return None if T is None else T @ self._rx

    def estimates(self, theta: np.ndarray) -> Estimates:
        """beta, BLUPs, sigma and ``(X'V^{-1}X)^{-1}`` at ``theta``."""
        lams = self.roots(theta)
        lams_t = self._tilde(lams)
        fw = self.evaluator.eliminate(lams_t)
        if fw is None:
            raise SingularFitError("the random-effects system is singular at the estimates")
        root = self.evaluator.solve(fw[2])
        if root is None:
            raise SingularFitError("Singularity in backsolve at level 0, block 1")
        levels, logdet, _ = fw
        beta, rss, _, ld_xx, W = root
        w = np.r_[beta, -1.0][:, None]  # (r, 1): one column per group of the level above
        bs = []
        us = []
        for lvl, (_, K, _, _, _) in enumerate(levels):
            wg = w[:, self._parents[lvl]]
            uu = -np.einsum("qrg,rg->qg", K, wg)
            b = lams[lvl] @ uu
            us.append(np.ascontiguousarray(uu.T))
            bs.append(np.ascontiguousarray(b.T))
            w = np.concatenate([lams_t[lvl] @ uu, wg], axis=0)
        dev = profiled_deviance(self.n_eff, self.reml, logdet, rss, ld_xx)
        sigma = float(np.sqrt(rss / self.n_eff))
        # back from the cells' coordinates of X and y
        beta_orig = self._beta0 + self._rx_inv @ beta
        # (as a product of a factor with itself: its diagonal is never
        # negative, where the three-term product's rounding made it so at a
        # condition of 1e16 and more)
        M = self._rx_inv @ W
        xtvx_inv = M @ M.T
        return Estimates(beta=beta_orig, b=bs, u=us, rss=rss, sigma=sigma, xtvx_inv=xtvx_inv,
                         loglik=-0.5 * dev, logdet_v=float(logdet), logdet_xvx=float(ld_xx))

    def loglik_fixed_sigma(self, theta: np.ndarray, sigma: float) -> float:
        """The (RE)ML log-likelihood with ``beta`` profiled and ``sigma`` given.

        What nlme's ``lmeApVar`` differentiates (there on the natural scale of
        ``Psi`` and ``log(sigma)``); ``sigma`` equal to its estimate gives
        :meth:`deviance`'s value.
        """
        return -0.5 * self.deviance_at_roots(self.roots(theta), sigma)
