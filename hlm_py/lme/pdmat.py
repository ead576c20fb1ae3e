"""Positive-definite matrix classes: nlme's ``pdMat`` family.

Each class maps an unconstrained parameter vector ``theta`` to a symmetric
positive-definite ``q x q`` matrix, with the parametrisation nlme uses
(``nlme/R/pdMat.R``, ``nlme/src/pdMat.c``):

* :class:`pdLogChol` (the default): ``M = L'L``, ``L`` upper triangular;
  ``theta = (log diag(L), L[upper triangle, by column])``.
* :class:`pdSymm`: ``M = expm(2 S)``, ``S`` symmetric; ``theta`` is the upper
  triangle of ``S`` by column (``S[0,0], S[0,1], S[1,1], S[0,2], ...``), i.e.
  nlme's matrix-logarithm parametrisation.
* :class:`pdDiag`: ``M = diag(exp(2 theta))``.
* :class:`pdIdent`: ``M = exp(2 theta) I``.
* :class:`pdCompSymm`: ``theta = (log sd, log((rho + 1/(q-1)) / (1 - rho)))``,
  ``M = sd^2 ((1 - rho) I + rho 11')``.

As in nlme the matrix is *relative to* ``sigma^2``: ``pdMatrix`` of an lme fit is
``Psi`` with ``Var(b) = sigma^2 Psi``, and the parameters are those of nlme's
fitted ``reStruct`` (``coef(fit$modelStruct)``).  (nlme optimises over the
same class applied to the precision factor and inverts at the end; hlm_py
optimises over ``Psi``'s parameters directly, through :meth:`PdClass.root`.)

Users create these objects as R's constructors: ``pdDiag("~ x")``,
``pdDiag("~ x | g")``; they are re-exported as ``hlm.pdDiag`` etc.

The base class, and what each class answers for itself: :mod:`hlm_py.lme.pdbase`.
"""

from __future__ import annotations

import math

import numpy as np

from hlm_py.errors import HlmError
from hlm_py.lme.pdbase import PdClass, WorkFrame

__all__ = ["PdClass", "pdLogChol", "pdSymm", "pdDiag", "pdIdent", "pdCompSymm", "pd_class_by_name",
           "PD_CLASS_NAMES", "SINGULAR_FACTOR_FLOOR", "WorkFrame"]

#: The precision parametrisation of a singular factor (a start at a point the
#: covariance parametrisation reached on a boundary face) floors its singular
#: values at this fraction of the largest (the square root of the double
#: epsilon): the QR that forms the precision factor keeps the other directions
#: to about this relative accuracy, where a smaller floor loses them
SINGULAR_FACTOR_FLOOR = float(np.sqrt(np.finfo(float).eps))

class _GeneralPd(PdClass):
    """The general classes (pdLogChol, pdSymm): nlme's ``pdNatural`` in apVar,
    correlations in ``intervals``, the precision factor for the optimiser.

    The optimiser's parameters ``phi`` of a general level, in the coordinates
    of the orthonormal ``Z~_l`` and per group (the caller scales by
    ``sqrt(G_l)``): ``mode`` ``"precision"``, the factor ``D^{-1}`` with ``D``
    upper triangular, ``D_ii = exp(-phi_i)`` and the off-diagonal entries of
    ``D`` the other parameters (by column); ``"covariance"``, the log-Cholesky
    factor of the covariance itself, which is smooth where the matrix becomes
    singular."""

    general = True

    @staticmethod
    def _precision_factor(phi: np.ndarray, q: int) -> np.ndarray:
        D = np.zeros((q, q))
        D[np.arange(q), np.arange(q)] = np.exp(-np.asarray(phi[:q], float))
        pos = q
        for j in range(1, q):
            D[:j, j] = phi[pos:pos + j]
            pos += j
        return D

    def work_root(self, phi: np.ndarray, q: int, mode: str, frame: WorkFrame) -> np.ndarray:
        """``sqrt(G_l)`` times the factor (per group, in the orthonormal
        coordinates) at ``phi``."""
        if mode == "covariance":
            return frame.scale * _logchol_root(phi, q)
        return frame.scale * np.linalg.inv(self._precision_factor(phi, q))

    def work_from_theta(self, theta: np.ndarray, q: int, mode: str,
                        frame: WorkFrame) -> np.ndarray:
        return self.work_params(frame.rz @ self.root(theta, q) / frame.scale, mode)

    def theta_from_work(self, phi: np.ndarray, q: int, mode: str,
                        frame: WorkFrame) -> np.ndarray:
        return self.params_of_factor(np.linalg.solve(frame.rz, self.work_root(phi, q, mode, frame)))

    def work_root_jacobian(self, phi: np.ndarray, q: int, mode: str,
                           frame: WorkFrame) -> np.ndarray:
        """``d work_root / d phi_j`` as ``(k, q, q)``."""
        scale = frame.scale
        if mode == "covariance":
            return scale * _logchol_root_jacobian(phi, q)
        D = self._precision_factor(phi, q)
        Dinv = np.linalg.inv(D)
        lam = scale * Dinv
        out = np.empty((phi.size, q, q))
        for i in range(q):  # dD = -D_ii E_ii
            out[i] = lam[:, i:i + 1] * D[i, i] * Dinv[i:i + 1, :]
        pos = q
        for j in range(1, q):
            for r in range(j):  # dD = E_rj
                out[pos] = -lam[:, r:r + 1] * Dinv[j:j + 1, :]
                pos += 1
        return out

    def work_params(self, F: np.ndarray, mode: str = "precision") -> np.ndarray:
        """The optimiser's parameters of a factor ``F`` (per group, in the
        orthonormal coordinates): :meth:`work_root`'s inverse."""
        if mode == "covariance":
            return _logchol_params(F)
        q = F.shape[0]
        try:
            Finv = np.linalg.inv(F)
        except np.linalg.LinAlgError:
            Finv = np.full_like(F, np.nan)
        if not np.all(np.isfinite(Finv)):
            # a singular matrix (a variance or correlation at its boundary, as
            # the covariance parametrisation reaches): its precision is
            # infinite, and the start is the nearest point a double represents
            u, sv, vt = np.linalg.svd(F)
            sv = np.maximum(sv, SINGULAR_FACTOR_FLOOR * max(float(sv.max()), 1e-300))
            Finv = (vt.T / sv) @ u.T
        _, D = np.linalg.qr(Finv)  # F^{-T} F^{-1} = D'D
        D = D * np.where(np.diag(D) < 0, -1.0, 1.0)[:, None]
        # (a zero diagonal: an infinite variance, as large as a double allows)
        d = np.maximum(np.diag(D), 1e-300)
        return np.concatenate([-np.log(d)] + [D[:j, j] for j in range(1, q)])

    def work_log_scales(self, q: int) -> list[int]:
        return list(range(q))

    def natural_of_matrix(self, D: np.ndarray) -> np.ndarray:
        sd = np.sqrt(np.diag(D))
        q = sd.size
        if q == 1:
            return np.log(sd)
        C = D / np.outer(sd, sd)
        r = np.array([C[i, j] for j in range(q) for i in range(q) if i > j])
        # (a correlation of +-1, or one rounded past it, has no finite
        # parameter, as in R; apvar refuses the non-finite Hessian)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.r_[np.log(sd), np.log((1 + r) / (1 - r))]

    def matrix_of_natural(self, theta: np.ndarray, q: int) -> np.ndarray:
        sd = np.exp(theta[:q])
        C = np.eye(q)
        pos = q
        for j in range(q):
            for i in range(j + 1, q):
                e = math.exp(theta[pos])
                C[i, j] = C[j, i] = (e - 1) / (e + 1)
                pos += 1
        return C * np.outer(sd, sd)

    def constrained(self, theta: np.ndarray, q: int) -> np.ndarray:
        out = np.exp(np.array(theta, dtype=float))
        e = out[q:]
        out[q:] = (e - 1) / (e + 1)
        return out

    def constrained_names(self, names: list[str], formula_text: str) -> list[str]:
        q = len(names)
        out = [f"sd({n})" for n in names]
        out += [f"cor({names[j]},{names[i]})" for j in range(q) for i in range(q) if i > j]
        return out

    def em_project(self, M: np.ndarray) -> np.ndarray | None:
        return M


def _logchol_factor(theta: np.ndarray, q: int) -> np.ndarray:
    """The upper-triangular ``L`` of log-Cholesky parameters ``theta``."""
    theta = np.asarray(theta)
    L = np.zeros((q, q), dtype=theta.dtype)
    L[np.arange(q), np.arange(q)] = np.exp(theta[:q])
    pos = q
    for j in range(1, q):
        L[:j, j] = theta[pos:pos + j]
        pos += j
    return L


def _logchol_root(theta: np.ndarray, q: int) -> np.ndarray:
    return _logchol_factor(theta, q).T


def _logchol_root_jacobian(theta: np.ndarray, q: int) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    L = _logchol_factor(theta, q)
    out = np.zeros((theta.size, q, q))
    for j in range(q):
        out[j, j, j] = L[j, j]
    pos = q
    for c in range(1, q):
        for r in range(c):
            out[pos, c, r] = 1.0  # transpose of dL[r, c]
            pos += 1
    return out


def _logchol_params(F: np.ndarray) -> np.ndarray:
    """Log-Cholesky parameters of ``F F'`` (through a QR of ``F'``: no Cholesky
    of a nearly singular matrix)."""
    q = F.shape[0]
    _, L = np.linalg.qr(F.T)
    L = L * np.where(np.diag(L) < 0, -1.0, 1.0)[:, None]
    d = np.maximum(np.abs(np.diag(L)), 1e-300)
    return np.concatenate([np.log(d)] + [L[:j, j] for j in range(1, q)])


def _chol_upper(m: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(m).T


class pdLogChol(_GeneralPd):  # noqa: N801 - R's class name
    """nlme's ``pdLogChol``: general positive-definite matrix, log-Cholesky."""

    name = "pdLogChol"
    structure = "General positive-definite, Log-Cholesky parametrization"

    def n_params(self, q: int) -> int:
        return q * (q + 1) // 2

    def factor(self, theta: np.ndarray, q: int) -> np.ndarray:
        """The upper-triangular ``L`` with ``matrix = L'L`` (R's ``pdFactor``)."""
        return _logchol_factor(theta, q)

    def matrix(self, theta: np.ndarray, q: int) -> np.ndarray:
        L = self.factor(theta, q)
        return L.T @ L

    def root(self, theta: np.ndarray, q: int) -> np.ndarray:
        return _logchol_root(theta, q)

    def root_jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        return _logchol_root_jacobian(theta, q)

    def theta_log_scales(self, q: int) -> list[int]:
        return list(range(q))

    def params_of_factor(self, F: np.ndarray) -> np.ndarray:
        return _logchol_params(F)

    def params(self, m: np.ndarray) -> np.ndarray:
        q = m.shape[0]
        L = _chol_upper(np.asarray(m, dtype=float))
        off = [L[:j, j] for j in range(1, q)]
        return np.concatenate([np.log(np.diag(L))] + off)

    def jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        L = self.factor(theta, q)
        out = np.empty((theta.size, q, q))
        for j in range(theta.size):
            dL = np.zeros((q, q))
            if j < q:
                dL[j, j] = L[j, j]
            else:
                pos = q
                for c in range(1, q):
                    if j < pos + c:
                        dL[j - pos, c] = 1.0
                        break
                    pos += c
            out[j] = dL.T @ L + L.T @ dL
        return out


class pdSymm(_GeneralPd):  # noqa: N801
    """nlme's ``pdSymm``: general positive-definite matrix, matrix logarithm."""

    name = "pdSymm"
    structure = "General positive-definite"

    def n_params(self, q: int) -> int:
        return q * (q + 1) // 2

    @staticmethod
    def _sym(theta: np.ndarray, q: int) -> np.ndarray:
        S = np.zeros((q, q))
        pos = 0
        for j in range(q):
            S[: j + 1, j] = theta[pos:pos + j + 1]
            pos += j + 1
        return np.triu(S) + np.triu(S, 1).T

    def matrix(self, theta: np.ndarray, q: int) -> np.ndarray:
        S = self._sym(np.asarray(theta, dtype=float), q)
        w, V = np.linalg.eigh(S)
        return (V * np.exp(2 * w)) @ V.T

    def root(self, theta: np.ndarray, q: int) -> np.ndarray:
        S = self._sym(np.asarray(theta, dtype=float), q)
        w, V = np.linalg.eigh(S)
        return (V * np.exp(w)) @ V.T

    def params(self, m: np.ndarray) -> np.ndarray:
        w, V = np.linalg.eigh(np.asarray(m, dtype=float))
        S = (V * (0.5 * np.log(w))) @ V.T
        q = S.shape[0]
        return np.concatenate([S[: j + 1, j] for j in range(q)])

    def theta_log_scales(self, q: int) -> list[int]:
        return []  # the matrix logarithm has none


class pdDiag(PdClass):  # noqa: N801
    """nlme's ``pdDiag``: diagonal, ``theta = log sd``."""

    name = "pdDiag"
    structure = "Diagonal"
    correlation = False

    def n_params(self, q: int) -> int:
        return q

    def matrix(self, theta: np.ndarray, q: int) -> np.ndarray:
        return np.diag(np.exp(2 * np.asarray(theta, dtype=float)))

    def root(self, theta: np.ndarray, q: int) -> np.ndarray:
        return np.diag(np.exp(np.asarray(theta, dtype=float)))

    def root_jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        out = np.zeros((q, q, q))
        out[np.arange(q), np.arange(q), np.arange(q)] = np.exp(theta)
        return out

    def params(self, m: np.ndarray) -> np.ndarray:
        return 0.5 * np.log(np.diag(np.asarray(m, dtype=float)))

    def jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        out = np.zeros((q, q, q))
        out[np.arange(q), np.arange(q), np.arange(q)] = 2 * np.exp(2 * theta)
        return out

    def work_shift(self, log_scales: np.ndarray, q: int) -> np.ndarray:
        return np.array(log_scales, dtype=float)

    def theta_log_scales(self, q: int) -> list[int]:
        return list(range(q))

    def constrained(self, theta: np.ndarray, q: int) -> np.ndarray:
        return np.exp(theta)

    def constrained_names(self, names: list[str], formula_text: str) -> list[str]:
        return [f"sd({n})" for n in names]

    def em_project(self, M: np.ndarray) -> np.ndarray | None:
        return np.diag(np.diag(M))


class pdIdent(PdClass):  # noqa: N801
    """nlme's ``pdIdent``: a multiple of the identity, ``theta = log sd``."""

    name = "pdIdent"
    structure = "Multiple of an Identity"
    correlation = False

    def n_params(self, q: int) -> int:
        return 1

    def matrix(self, theta: np.ndarray, q: int) -> np.ndarray:
        return np.exp(2 * float(np.asarray(theta).ravel()[0])) * np.eye(q)

    def root(self, theta: np.ndarray, q: int) -> np.ndarray:
        return np.exp(float(np.asarray(theta).ravel()[0])) * np.eye(q)

    def root_jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        return self.root(theta, q)[None]

    def params(self, m: np.ndarray) -> np.ndarray:
        return np.array([0.5 * np.log(np.mean(np.diag(np.asarray(m, dtype=float))))])

    def jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        return (2 * np.exp(2 * float(np.asarray(theta).ravel()[0])) * np.eye(q))[None]

    def constrained(self, theta: np.ndarray, q: int) -> np.ndarray:
        return np.exp(theta)

    def constrained_names(self, names: list[str], formula_text: str) -> list[str]:
        return [f"sd({formula_text})"]

    def em_project(self, M: np.ndarray) -> np.ndarray | None:
        q = M.shape[0]
        return float(np.trace(M)) / q * np.eye(q)


class pdCompSymm(PdClass):  # noqa: N801
    """nlme's ``pdCompSymm``: compound symmetry (common variance and correlation)."""

    name = "pdCompSymm"
    structure = "Compound Symmetry"
    correlation_names = False

    def n_params(self, q: int) -> int:
        return 2

    def matrix(self, theta: np.ndarray, q: int) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        var = np.exp(2 * theta[0])
        if q == 1:
            return np.array([[var]])
        e = np.exp(theta[1])
        rho = (e - 1.0 / (q - 1)) / (e + 1.0)
        return var * ((1 - rho) * np.eye(q) + rho * np.ones((q, q)))

    def root(self, theta: np.ndarray, q: int) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        sd = np.exp(theta[0])
        if q == 1:
            return np.array([[sd]])
        e = np.exp(theta[1])
        rho = (e - 1.0 / (q - 1)) / (e + 1.0)
        P = np.ones((q, q)) / q  # projection on the constant vector
        return sd * (np.sqrt(1 - rho) * (np.eye(q) - P) + np.sqrt(1 + (q - 1) * rho) * P)

    def params(self, m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=float)
        q = m.shape[0]
        var = np.mean(np.diag(m))
        if q == 1:
            return np.array([0.5 * np.log(var), 0.0])
        s = 1 / np.sqrt(np.diag(m))
        c = m * np.outer(s, s)
        rho = float(np.mean(c[~np.eye(q, dtype=bool)]))
        rho = min(max(rho, -1.0 / (q - 1) + 1e-12), 1 - 1e-12)
        return np.array([0.5 * np.log(var), np.log((rho + 1.0 / (q - 1)) / (1 - rho))])

    def constrained(self, theta: np.ndarray, q: int) -> np.ndarray:
        e = math.exp(theta[1])
        return np.array([math.exp(theta[0]), (e - 1 / (q - 1)) / (e + 1)])

    def constrained_names(self, names: list[str], formula_text: str) -> list[str]:
        return ["std. dev", "corr."]


_BY_NAME: dict[str, type[PdClass]] = {
    c.name: c for c in (pdLogChol, pdSymm, pdDiag, pdIdent, pdCompSymm)
}
#: R's names of the pd classes hlm_py has
PD_CLASS_NAMES = tuple(_BY_NAME)


def pd_class_by_name(name: str) -> type[PdClass]:
    """The class for an R name such as ``"pdDiag"``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise HlmError(f"unknown pdMat class {name!r}") from None
