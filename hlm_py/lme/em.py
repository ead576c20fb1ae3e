"""nlme's EM start of an lme fit (``internal_EM`` in nlme's ``nlmefit.c``).

Before its optimiser nlme takes ``niterEM`` (25) EM iterations from its
initial values. Each step sets the relative ``Psi`` to

    (1/G) sum_g (b_g b_g' / sigma^2 + Var(b_g | y) / sigma^2),

with ``Var(b_g | y) / sigma^2 = Lambda M_g^{-1} Lambda'``, ``M_g = I +
Lambda' Z_g'Z_g Lambda`` and, for REML, the fixed effects' uncertainty ``+
W_g (X'V^{-1}X)^{-1} W_g'``, ``W_g = Lambda M_g^{-1} Lambda' Z_g'X_g``,
projected on the level's pd class (:meth:`hlm_py.lme.pdmat.PdClass.em_project`).

Where nlme works on the rows, each step here reads the criterion's reduced
cells (:mod:`hlm_py.lme.reduce`): ``Z_g'Z_g`` and ``Z_g'X_g`` are those of
the orthonormal ``Z~``, ``X~`` of the cells mapped back by their factors
(``Z = Z~ R_z``, ``X = X~ R_x``), so nothing passes over the data again.
As in hlm_py's fit before, only one grouping level is iterated (nlme's EM
covers several); other models keep their start.
"""

from __future__ import annotations

import numpy as np

from hlm_py.errors import SingularFitError
from hlm_py.lme.criterion import ProfiledLikelihood

__all__ = ["em_start"]


def em_start(lik: ProfiledLikelihood, theta0: np.ndarray, n_iter: int) -> np.ndarray:
    """``n_iter`` of nlme's EM iterations from ``theta0`` on the criterion
    ``lik`` (module docstring); ``theta0`` itself where the model has more
    than one level or its class no EM step. The iterations stop early where a
    step's estimates are singular or its ``Psi`` is not positive definite.
    The start decides between local optima (``docs/internals.md``, "The
    optimisation strategy")."""
    theta0 = np.asarray(theta0, dtype=float)
    if n_iter <= 0 or len(lik.pd) != 1:
        return theta0
    pdc = lik.pd[0]
    red = lik.red
    q, p = lik.q[0], lik.p
    if pdc.em_project(np.eye(q)) is None:
        return theta0
    G = red.n_groups[0]
    rz = np.eye(q) if red.z_factors is None else np.asarray(red.z_factors[0], dtype=float)
    rx = np.eye(p) if red.x_factor is None else np.asarray(red.x_factor, dtype=float)
    cells = red.cells
    szz = np.moveaxis(cells[:q, :q], 2, 0)  # Z~_g'Z~_g, groups first
    ztx = rz.T @ np.moveaxis(cells[:q, q:q + p], 2, 0) @ rx if p else None  # Z_g'X_g
    theta = theta0
    for _ in range(n_iter):
        try:
            est = lik.estimates(theta)
        except SingularFitError:
            break
        lam = lik.roots(theta)[0]
        lam_t = rz @ lam
        M = np.eye(q) + lam_t.T @ szz @ lam_t
        try:
            C = lam @ np.linalg.solve(M, np.broadcast_to(lam.T, M.shape))
        except np.linalg.LinAlgError:
            break
        if lik.reml and p:
            W = C @ ztx
            C = C + W @ est.xtvx_inv @ np.swapaxes(W, 1, 2)
        b = est.b[0]
        psi = pdc.em_project((C.sum(axis=0) + b.T @ b / est.sigma ** 2) / G)
        assert psi is not None  # the class has an EM step (checked above)
        try:
            nxt = lik.theta_from_psi([0.5 * (psi + psi.T)])
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            break
        if not np.all(np.isfinite(nxt)):
            break
        theta = nxt
    return theta
