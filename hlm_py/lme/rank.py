"""The rank checks of lme's fixed effects, as nlme makes them.

nlme QR-decomposes the fixed-effects columns after the random-effects
rotations with ``dqrdc2`` at ``sqrt(.Machine$double.eps)`` and stops with
"Singularity in backsolve at level 0, block 1" where a column is negligible.
:func:`check_fixed_rank` refuses exact and near-exact collinearity before any
fit (on the reduction's ``R_x``); :func:`check_fixed_rank_at` makes nlme's
decision at the estimates. :func:`check_squares` refuses data whose sums of
squares leave double precision.
"""

from __future__ import annotations

import numpy as np

from hlm_py.errors import HlmError, SingularFitError
from hlm_py.linalg.dqrdc2 import dqrdc2
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.reduce import Reduced

__all__ = ["NLME_QR_TOL", "PREFIT_QR_TOL", "check_squares", "check_fixed_rank",
           "check_fixed_rank_at", "fixed_relative_residuals"]


def check_squares(X: np.ndarray, y: np.ndarray, Z: list[np.ndarray], names: list[str],
                   level_names: list[str]) -> None:
    """Refuse data whose sums of squares leave double precision: the
    likelihood is formed from cross-products of the columns, which are then
    infinite or lose every digit (lm refuses the same data; R gives NaN)."""
    cols = [(f"'{c}'", X[:, j]) for j, c in enumerate(names)] + [("the response", y)]
    for lv, z in zip(level_names, Z):
        cols += [(f"the random effects of '{lv}'", z[:, j]) for j in range(z.shape[1])]
    with np.errstate(all="ignore"):
        bad = [nm for nm, v in cols
               if not np.isfinite(ss := float(np.dot(v, v))) or (ss == 0.0 and np.any(v != 0))]
    if bad:
        raise HlmError(f"the data leave double precision: the sum of squares of {', '.join(bad)} "
                       "overflows or underflows; rescale the variables")


#: nlme's QR tolerance: ``QR()`` in nlme's ``matrix.c`` calls ``dqrdc2`` with
#: ``sqrt(DBL_EPSILON)``, and a column it finds negligible leaves a zero on the
#: diagonal of the stored R, so that ``backsolve`` stops with "Singularity in
#: backsolve at level 0, block 1"
NLME_QR_TOL = float(np.sqrt(np.finfo(float).eps))

#: Before the fit, a fixed-effects column whose residual on the columns before
#: it is below this fraction of its norm is refused (exact and near-exact
#: collinearity). Between this and ``NLME_QR_TOL`` the decision is nlme's, made
#: on the whitened design at the estimates (``_check_fixed_rank_at``): the
#: whitening ``V^{-1/2}`` can move a column's relative residual by at most the
#: square root of ``V``'s condition number, which would have to exceed 1e8 to
#: bridge the two bounds.
PREFIT_QR_TOL = 1e-12

_SINGULAR = "Singularity in backsolve at level 0, block 1: the fixed-effects design is rank deficient"


def _negligible_columns(T: np.ndarray, tol: float, names: list[str]) -> list[str]:
    """The columns ``dqrdc2`` (tolerance ``tol``) finds negligible, in R's order."""
    qr = dqrdc2(T, tol=tol)
    return [names[int(j)] for j in qr.pivot[qr.rank:]]


def check_fixed_rank(X: np.ndarray, red: Reduced, names: list[str]) -> None:
    """Refuse a fixed-effects design that is singular before any fit.

    A zero column, or a column that is (to ``PREFIT_QR_TOL``) a linear
    combination of the columns before it, as ``dqrdc2`` finds it; the
    decision depends on ``X'X`` only, so it is made on the reduction's
    ``R_x`` (``X = X~ R_x``) rather than on the n rows again. nlme stops on
    these with "Singularity in backsolve at level 0, block 1".
    """
    p = X.shape[1]
    if p == 0:
        return
    d = np.sqrt(np.einsum("ij,ij->j", X, X))
    if np.any(d == 0):
        bad = [names[i] for i in np.flatnonzero(d == 0)]
        raise SingularFitError(f"{_SINGULAR} (column(s) {', '.join(bad)} are zero)")
    # (an exactly zero pivot in the reduction's QR: decide on X itself)
    T = X if red.x_singular or red.x_factor is None else red.x_factor
    bad = _negligible_columns(T, PREFIT_QR_TOL, names)
    if red.x_singular and not bad:
        bad = names
    if bad:
        raise SingularFitError(
            f"{_SINGULAR}: column(s) {', '.join(bad)} are linear combinations of the ones before")


def fixed_relative_residuals(T: np.ndarray) -> np.ndarray:
    """Each column's residual on the columns before it, relative to its norm.

    The quantity ``dqrdc2`` compares with its tolerance (``|R[j, j]|`` over the
    column norm), computed without pivoting; up to the first negligible column
    it is exactly what ``dqrdc2`` compares.
    """
    qr = dqrdc2(T, tol=0.0)
    return np.abs(np.diag(qr.qr[:T.shape[1], :])) / np.sqrt(np.einsum("ij,ij->j", T, T))



def check_fixed_rank_at(lik: ProfiledLikelihood, theta: np.ndarray, names: list[str]) -> None:
    """Refuse the fit where nlme's level-0 QR would find the fixed effects rank deficient.

    nlme decomposes the whitened fixed-effects columns (``V^{-1/2} X``) with
    ``dqrdc2`` at tolerance ``sqrt(.Machine$double.eps)``; its decision
    depends only on ``X'V^{-1}X``, whose factor the likelihood gives at the
    estimates. (nlme makes the decision at every iterate; a design that is
    rank deficient only on the way to the estimates is fitted here.)

    The error carries the estimates it refuses: ``relative_residual`` (the
    first negligible column's, see :func:`fixed_relative_residuals`),
    ``psi`` (relative, per level outer to inner) and ``loglik`` there.
    """
    if not names:
        return
    T = lik.fixed_factor(theta)
    if T is None:
        raise SingularFitError("the random-effects system is numerically singular at the "
                               "estimates")
    bad = _negligible_columns(T, NLME_QR_TOL, names)
    if bad:
        exc = SingularFitError(
            f"{_SINGULAR} to nlme's tolerance sqrt(.Machine$double.eps) at the estimates: "
            f"column(s) {', '.join(bad)} are, after the random-effects rotations, linear "
            "combinations of the ones before (centring or rescaling covariates helps)")
        rel = fixed_relative_residuals(T)
        exc.relative_residual = float(rel[names.index(bad[0])])
        exc.psi = lik.psis(theta)
        exc.loglik = -0.5 * lik.deviance(theta)
        raise exc
