"""The gls likelihood: nlme's ``logLik.glsStruct`` and ``glsEstimate``.

With ``Var(e) = sigma^2 Lambda``, ``Lambda = W^-1 C W^-1`` (``W`` the variance
function's weights, ``C`` the correlation groups' matrices), the data
``[X y]`` are whitened as nlme's ``recalc`` does (the weights first, then
``L_i^-1`` of each group with ``C_i = L_i L_i'``) and decomposed by QR.
With ``R`` the triangle of the whitened ``X`` and ``r`` the last diagonal
entry (``|r| = sqrt(RSS)``), ``N_r = N - p`` (REML) or ``N`` (ML), sigma and
beta profiled out,

    logLik = N_r/2 (log N_r - 1 - log 2 pi) - N_r log|r|
             - [REML] sum log|R_ii| + logLik(corStruct) + logLik(varStruct),

nlme's formula (Pinheiro & Bates 2000, (2.21), (2.23)); its REML form has no
``log|X'X|`` term, as nlme's.

This criterion whitens all rows in every evaluation. The search does so
only where the structures do not keep the one-pass reduction to per-pattern
cross-products (:mod:`hlm_py.gls.reduced`, the same function with
evaluations free of ``n``): it is kept by ``corSymm``, ``corCompSymm``,
``corAR1`` (consecutive times), ``corARMA`` and, where few groups share
their distances, ``corCAR1`` and the spatial classes, or no correlation
structure, combined with no variance function, ``varIdent``, ``varFixed``
or a ``varComb`` of these (:mod:`hlm_py.structs.patterns`); it is lost with
``varPower``, ``varExp``, ``varConstPower`` and ``varConstProp`` (weights of
a continuous covariate or of ``fitted(.)``), and where the patterns'
cross-products would cost more than the rows (one group of all rows, a
covariate that gives every group its own pattern). The fit's reported
numbers are :meth:`GlsCriterion.estimates` at the search's end point, by
this whitening and ``dqrdc2`` as nlme's. ``docs/internals.md``, "gls: the
pattern reduction", has the algebra and the measurements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from hlm_py.errors import HlmError
from hlm_py.gls.design import GlsDesign
from hlm_py.linalg.dqrdc2 import dqrdc2, qr_R
from hlm_py.structs import within

__all__ = ["GlsCriterion", "GlsEstimates", "loglik_constant", "full_loglik"]


def loglik_constant(n_r: int) -> float:
    """``N_r/2 (log N_r - 1 - log 2 pi)``: nlme's constant of the profiled logLik."""
    return 0.5 * n_r * (math.log(n_r) - 1.0 - math.log(2.0 * math.pi))


def full_loglik(pieces: tuple[float, float, float] | None, n_r: int, reml: bool,
                lsigma: float) -> float:
    """nlme's ``glsApVar.fullGlsLogLik`` from a criterion's ``pieces``
    (``-inf`` where they are None): the log-likelihood at ``log sigma``,
    beta profiled out, without the constant."""
    if pieces is None:
        return -math.inf
    ll, lrss, logdet = pieces
    aux = 2.0 * (lrss - lsigma)
    return ll - n_r * lrss - (logdet if reml else 0.0) + (n_r * aux - math.exp(aux)) / 2.0


@dataclass
class GlsEstimates:
    """nlme's ``glsEstimate`` at one ``theta``.

    ``beta``; ``sigma`` (``|r| / sqrt(N_r)``); ``r_inv``: ``R^-1`` of the
    whitened X (``varBeta = sigma^2 r_inv r_inv' (N_r / (N - p))``, nlme's
    scaling); ``loglik``; ``fitted`` (``X beta``) and ``resid`` (``y - X
    beta``) on the original scale; ``weights`` the variance weights.
    """

    beta: np.ndarray
    sigma: float
    r_inv: np.ndarray
    loglik: float
    fitted: np.ndarray
    resid: np.ndarray
    weights: np.ndarray

    def var_beta(self, n: int, p: int, reml: bool) -> np.ndarray:
        n_r = n - (p if reml else 0)
        F = self.sigma * self.r_inv * math.sqrt(n_r / (n - p))
        return F @ F.T


class GlsCriterion:
    """The profiled gls log-likelihood of a :class:`GlsDesign` (module docstring)."""

    def __init__(self, design: GlsDesign):
        self.design = design
        self.Xy = np.column_stack([design.X, design.y])
        self.n = design.n
        self.p = design.p
        self.n_r = self.n - (self.p if design.reml else 0)
        if self.n_r <= 0:
            raise HlmError(f"gls: {self.n} observations for {self.p} coefficients: no "
                           "residual degrees of freedom")
        self.const = loglik_constant(self.n_r)

    def weights(self, theta: np.ndarray) -> np.ndarray:
        d = self.design
        if d.var is None:
            return np.ones(self.n)
        return np.asarray(d.var.weights(d.split(theta)["varStruct"]), dtype=float)

    def whiten(self, theta: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, float]:
        """``M`` (rows of the fit) whitened, and the components' logLik."""
        d = self.design
        return within.whiten(d.components, d.split(theta), M)

    def pieces(self, theta: np.ndarray) -> tuple[float, float, float] | None:
        """``(logLik of the components, log|r|, sum log|R_ii|)`` at ``theta``;
        None where the whitened model matrix is rank deficient or a parameter
        is outside its space (nlme's ``-DBL_MAX``)."""
        try:
            M, ll = self.whiten(theta, self.Xy)
        except (FloatingPointError, np.linalg.LinAlgError, ValueError):
            return None
        if not np.all(np.isfinite(M)) or not math.isfinite(ll):
            return None
        R = linalg.qr(M, mode="r", check_finite=False)[0]
        d = np.abs(np.diag(R)[: self.p + 1])
        scale = np.sqrt(np.einsum("ij,ij->j", M, M))
        if np.any(d[: self.p] <= 1e-7 * scale[: self.p]) or d[self.p] == 0.0:
            return None
        return ll, math.log(d[self.p]), float(np.sum(np.log(d[: self.p])))

    def loglik(self, theta: np.ndarray) -> float:
        """nlme's ``logLik.glsStruct`` at ``theta``; ``-inf`` where
        :meth:`pieces` is None."""
        pc = self.pieces(theta)
        if pc is None:
            return -math.inf
        ll, lrss, logdet = pc
        return self.const + ll - self.n_r * lrss - (logdet if self.design.reml else 0.0)

    def full_loglik(self, theta: np.ndarray, lsigma: float) -> float:
        """nlme's ``glsApVar.fullGlsLogLik``: the log-likelihood at ``theta``
        and ``log sigma`` (beta profiled out), without the constant."""
        return full_loglik(self.pieces(theta), self.n_r, self.design.reml, lsigma)

    def deviance(self, theta: np.ndarray) -> float:
        """``-2 logLik`` (the optimiser's objective)."""
        return -2.0 * self.loglik(theta)

    def estimates(self, theta: np.ndarray, singular_ok: bool = False) -> GlsEstimates:
        """nlme's ``glsEstimate``: the QR of the whitened data by LINPACK's
        ``dqrdc2`` (nlme's, with its rank rule), beta, sigma and ``R^-1``."""
        M, ll = self.whiten(theta, self.Xy)
        qr = dqrdc2(np.array(M, dtype=float, order="F"), tol=1e-7)
        rank = qr.rank
        p = self.p
        if rank - 1 < p:
            if not singular_ok:
                raise HlmError(f'computed "gls" fit is singular, rank {rank}')
            raise HlmError("a rank-deficient gls fit (singular.ok = TRUE) is not supported")
        R = qr_R(qr)
        Rx = R[:p, :p]
        r = abs(float(R[p, p]))
        beta = linalg.solve_triangular(Rx, R[:p, p], lower=False)
        r_inv = linalg.solve_triangular(Rx, np.eye(p), lower=False)
        val = self.const + ll - self.n_r * math.log(r)
        if self.design.reml:
            val -= float(np.sum(np.log(np.abs(np.diag(Rx)))))
        X, y = self.design.X, self.design.y
        fitted = X @ beta
        return GlsEstimates(beta=beta, sigma=r / math.sqrt(self.n_r), r_inv=r_inv, loglik=val,
                            fitted=fitted, resid=y - fitted, weights=self.weights(theta))
