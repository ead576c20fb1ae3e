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
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["PdClass", "pdLogChol", "pdSymm", "pdDiag", "pdIdent", "pdCompSymm", "pd_class_by_name",
           "PD_CLASS_NAMES"]


def _central_differences(fn: Callable[[np.ndarray, int], np.ndarray], theta: np.ndarray, q: int, rel_step: float) -> np.ndarray:
    """``d fn(theta, q) / d theta_j`` as a ``(k, q, q)`` array: central
    differences with step ``rel_step * max(1, |theta_j|)``."""
    theta = np.asarray(theta, dtype=float)
    out = np.empty((theta.size, q, q))
    for j in range(theta.size):
        h = rel_step * max(1.0, abs(theta[j]))
        tp = theta.copy()
        tm = theta.copy()
        tp[j] += h
        tm[j] -= h
        out[j] = (fn(tp, q) - fn(tm, q)) / (2 * h)
    return out


class PdClass:
    """Base of the pd classes (R's ``pdMat`` virtual class).

    ``formula`` is the random-effects formula the object was built with
    (``"~ x"`` or ``"~ x | g"``), or ``None`` when the formula comes from
    elsewhere (``random={"g": "~ x"}`` builds a :class:`pdLogChol` itself).
    """

    name = "pdMat"

    def __init__(self, formula: str | None = None):
        if formula is not None and not isinstance(formula, str):
            raise HlmError(f"{self.name}(): the formula must be a string such as '~ x', not "
                           f"{formula!r} (nlme's initial values, {self.name}(value), are not "
                           "supported)")
        self.formula = formula

    def __repr__(self) -> str:
        return f"{self.name}({self.formula!r})" if self.formula else f"{self.name}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.formula == other.formula  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.name, self.formula))

    def with_formula(self, formula: str) -> PdClass:
        """A copy of this class carrying ``formula``."""
        return type(self)(formula)

    # -- the parametrisation ------------------------------------------------
    def n_params(self, q: int) -> int:
        raise NotImplementedError

    def matrix(self, theta: np.ndarray, q: int) -> np.ndarray:
        """The ``q x q`` matrix that ``theta`` represents (R's ``pdMatrix``)."""
        raise NotImplementedError

    def params(self, m: np.ndarray) -> np.ndarray:
        """The parameters of a positive-definite matrix (R's ``matrix<-``)."""
        raise NotImplementedError

    def jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        """``d matrix / d theta_j`` as a ``(k, q, q)`` array (central differences)."""
        return _central_differences(self.matrix, theta, q, 1e-5)

    def root(self, theta: np.ndarray, q: int) -> np.ndarray:
        """A factor ``F`` with ``F F' = matrix(theta)``, smooth in ``theta`` and
        defined up to the boundary (the symmetric square root unless a class
        has a triangular one)."""
        w, V = np.linalg.eigh(self.matrix(theta, q))
        return (V * np.sqrt(np.maximum(w, 0.0))) @ V.T

    def root_jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        """``d root / d theta_j`` as ``(k, q, q)`` (central differences)."""
        return _central_differences(self.root, theta, q, 1e-6)

    def param_names(self, level: str, q: int) -> list[str]:
        """nlme's names of ``coef(fit$modelStruct)`` for this level."""
        k = self.n_params(q)
        if k == 1:
            return [f"reStruct.{level}"]
        return [f"reStruct.{level}{i + 1}" for i in range(k)]


def _chol_upper(m: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(m).T


class pdLogChol(PdClass):  # noqa: N801 - R's class name
    """nlme's ``pdLogChol``: general positive-definite matrix, log-Cholesky."""

    name = "pdLogChol"

    def n_params(self, q: int) -> int:
        return q * (q + 1) // 2

    def factor(self, theta: np.ndarray, q: int) -> np.ndarray:
        """The upper-triangular ``L`` with ``matrix = L'L`` (R's ``pdFactor``)."""
        theta = np.asarray(theta)
        L = np.zeros((q, q), dtype=theta.dtype)
        L[np.arange(q), np.arange(q)] = np.exp(theta[:q])
        pos = q
        for j in range(1, q):
            L[:j, j] = theta[pos:pos + j]
            pos += j
        return L

    def matrix(self, theta: np.ndarray, q: int) -> np.ndarray:
        L = self.factor(theta, q)
        return L.T @ L

    def root(self, theta: np.ndarray, q: int) -> np.ndarray:
        return self.factor(theta, q).T

    def root_jacobian(self, theta: np.ndarray, q: int) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        L = self.factor(theta, q)
        out = np.zeros((theta.size, q, q))
        for j in range(q):
            out[j, j, j] = L[j, j]
        pos = q
        for c in range(1, q):
            for r in range(c):
                out[pos, c, r] = 1.0  # transpose of dL[r, c]
                pos += 1
        return out

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


class pdSymm(PdClass):  # noqa: N801
    """nlme's ``pdSymm``: general positive-definite matrix, matrix logarithm."""

    name = "pdSymm"

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


class pdDiag(PdClass):  # noqa: N801
    """nlme's ``pdDiag``: diagonal, ``theta = log sd``."""

    name = "pdDiag"

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


class pdIdent(PdClass):  # noqa: N801
    """nlme's ``pdIdent``: a multiple of the identity, ``theta = log sd``."""

    name = "pdIdent"

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


class pdCompSymm(PdClass):  # noqa: N801
    """nlme's ``pdCompSymm``: compound symmetry (common variance and correlation)."""

    name = "pdCompSymm"

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
