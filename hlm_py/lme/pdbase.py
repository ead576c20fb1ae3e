"""The base of the pd classes (R's ``pdMat`` virtual class).

Each class answers for itself every question that depends on it, so that no
other module decides by class (nlme's method dispatch on ``pdMat``):

* the optimiser's coordinates (:meth:`PdClass.work_root` and its kin, in a
  :class:`WorkFrame`; :attr:`PdClass.general`: the general
  classes are optimised on a precision factor, ``pdmat._GeneralPd``, the
  structured ones on ``theta`` shifted by :meth:`PdClass.work_shift`), and
  which parameters are log scales (:meth:`PdClass.theta_log_scales`,
  :meth:`PdClass.work_log_scales`);
* apVar's "natural" parameters (:meth:`PdClass.natural_of_matrix`,
  :meth:`PdClass.matrix_of_natural`) and ``coef(pdMat, unconstrained =
  FALSE)`` (:meth:`PdClass.constrained`, :meth:`PdClass.constrained_names`);
* the printed structure (:attr:`PdClass.structure`, :attr:`PdClass.correlation`);
* nlme's EM step (:meth:`PdClass.em_project`, None where nlme has none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["PdClass", "WorkFrame"]


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


@dataclass(frozen=True)
class WorkFrame:
    """A level's coordinates for the optimiser: ``rz`` (``R_l``, with
    ``Z_l = Z~_l R_l``), ``scale`` (``sqrt(G_l)``) and ``shift`` (the class's
    :meth:`PdClass.work_shift` of the level's log column scales)."""

    rz: np.ndarray
    scale: float
    shift: np.ndarray


class PdClass:
    """Base of the pd classes (R's ``pdMat`` virtual class).

    ``formula`` is the random-effects formula the object was built with
    (``"~ x"`` or ``"~ x | g"``), or ``None`` when the formula comes from
    elsewhere (``random={"g": "~ x"}`` builds a :class:`pdLogChol` itself).
    """

    name = "pdMat"
    #: nlme's ``attr(summary(pdMat), "structName")``
    structure = "pdMat"
    #: whether nlme prints a correlation block (``noCorrelation`` is FALSE)
    correlation = True
    #: whether that block has a row of abbreviated names (the ``corMatrix``
    #: has dimnames)
    correlation_names = True
    #: optimised on a precision factor in the orthonormal coordinates of the
    #: level's columns (the general classes) rather than on ``theta``
    general = False

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

    # -- the optimiser's parametrisation ------------------------------------
    # (structured classes: ``phi = theta + shift``, the factor ``R_l root``;
    # the general classes override, :class:`_GeneralPd`)
    def work_root(self, phi: np.ndarray, q: int, mode: str, frame: WorkFrame) -> np.ndarray:
        """The level's factor ``R_l Lambda_l`` (cells' coordinates) at the
        optimiser's parameters ``phi`` (``mode``: the general classes' choice
        of factor, ``"precision"`` or ``"covariance"``)."""
        return frame.rz @ self.root(phi - frame.shift, q)

    def work_root_jacobian(self, phi: np.ndarray, q: int, mode: str,
                           frame: WorkFrame) -> np.ndarray:
        """``d work_root / d phi_j`` as ``(k, q, q)``."""
        return np.einsum("ab,kbc->kac", frame.rz, self.root_jacobian(phi - frame.shift, q))

    def work_from_theta(self, theta: np.ndarray, q: int, mode: str,
                        frame: WorkFrame) -> np.ndarray:
        """The optimiser's parameters of nlme's ``theta``."""
        return np.asarray(theta, float) + frame.shift

    def theta_from_work(self, phi: np.ndarray, q: int, mode: str,
                        frame: WorkFrame) -> np.ndarray:
        """nlme's ``theta`` of the optimiser's parameters."""
        return np.asarray(phi, float) - frame.shift

    def work_shift(self, log_scales: np.ndarray, q: int) -> np.ndarray:
        """The shift of ``theta`` to the optimiser's parameters of a structured
        class, from the log column scales of the level's ``Z`` (per group):
        the first parameter (a log SD) by their mean."""
        shift = np.zeros(self.n_params(q))
        if shift.size:
            shift[0] = float(np.mean(log_scales))
        return shift

    def theta_log_scales(self, q: int) -> list[int]:
        """Indices (within the level) of ``theta`` that are log scales: a
        variance, or a direction of the matrix, vanishes as the parameter goes
        to -inf (here the first, a log SD)."""
        return [0]

    def work_log_scales(self, q: int) -> list[int]:
        """Indices (within the level) of the optimiser's parameters that are
        log scales."""
        return self.theta_log_scales(q)

    def params_of_factor(self, F: np.ndarray) -> np.ndarray:
        """The parameters of ``F F'`` for a factor ``F`` that may be nearly
        singular (its eigenvalues floored at 1e-300 of the largest)."""
        w, V = np.linalg.eigh(F @ F.T)
        w = np.maximum(w, 1e-300 * max(float(w.max()), 1e-300))
        return self.params((V * w) @ V.T)

    # -- apVar's natural parameters and the constrained coefficients --------
    def natural_of_matrix(self, D: np.ndarray) -> np.ndarray:
        """nlme's unconstrained parameters of ``D`` in apVar's "natural" form
        (``pdNatural`` for the general classes, the class's own otherwise)."""
        return np.asarray(self.params(D), dtype=float)

    def matrix_of_natural(self, theta: np.ndarray, q: int) -> np.ndarray:
        """The matrix of natural parameters ``theta`` (:meth:`natural_of_matrix`'s inverse)."""
        return self.matrix(theta, q)

    def constrained(self, theta: np.ndarray, q: int) -> np.ndarray:
        """nlme's ``coef(pdMat, unconstrained = FALSE)`` of natural parameters
        ``theta``, as ``intervals`` reports them."""
        raise HlmError(f"no constrained coefficients for {self.name}")

    def constrained_names(self, names: list[str], formula_text: str) -> list[str]:
        """nlme's names of ``coef(pdMat, unconstrained = FALSE)`` for the
        effects ``names`` (``formula_text``: the level's formula without ``~``)."""
        raise HlmError(f"no constrained coefficients for {self.name}")

    # -- nlme's EM step -------------------------------------------------------
    def em_project(self, M: np.ndarray) -> np.ndarray | None:
        """nlme's EM update of the class's matrix from a moment matrix ``M``
        (the conditional second moment of the random effects): its projection
        on the class. None where nlme has no EM step for the class."""
        return None
