"""One step of iterative refinement of lme's estimates on the QR elimination.

Where the response is many orders of magnitude larger than the residual SD
(random slopes that reproduce the data to 1e-10 of its size), a single
elimination in double precision evaluates the penalised residual sum of
squares only to about ``eps max|y| / sigma`` relative, and the log-likelihood
to about ``n`` times that (nlme's own evaluation is off as much,
``docs/differences.md``, P7). The classical remedy
for least squares applies to the penalised problem

    min over (beta, u) of  || [y; 0] - [X  Z Lambda; 0  I] [beta; u] ||^2

whose minimum is that sum of squares. With ``(beta~, u~)`` from a first
elimination and the residual ``r = y - X beta~ - Z Lambda u~`` formed in
twice the working precision (:mod:`hlm_py.linalg.compensated`), the same
minimum is, exactly,

    min over (d_beta, d_u) of  || [r; -u~] - [X  Z Lambda; 0  I] [d_beta; d_u] ||^2,

a problem whose response is of the size of the residuals: a second
elimination (the pseudo-rows now with the response ``-u~``) evaluates it to
working precision, and its solution corrects ``(beta~, u~)``. nlme makes no
such step; its values are those of the first elimination.

The other parts of the logLik that such fits put at the elimination's
rounding, ``log det V`` and (REML) ``log det X'V^{-1}X``, are evaluated again
in double-double precision (:mod:`hlm_py.lme.logdet_dd`). The refined parts
make the deviance through the criterion's one formula
(:func:`hlm_py.lme.criterion.profiled_deviance`).

The optimiser asks for the same point's deviance and estimates repeatedly;
:class:`Refinement` keeps its last few evaluations by ``theta``.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from hlm_py.errors import SingularFitError
from hlm_py.linalg.compensated import compensated_residual
from hlm_py.lme.criterion import Estimates, ProfiledLikelihood, profiled_deviance
from hlm_py.lme.logdet_dd import LogDeterminants
from hlm_py.lme.reduce import reduce_data

__all__ = ["Refinement", "fitted_products"]


def fitted_products(X: np.ndarray, beta: np.ndarray, Z: list[np.ndarray],
                    codes: list[np.ndarray], b: list[np.ndarray], levels: int | None = None
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The products whose sum is the fitted values at level ``levels`` (all
    levels by default): ``X[:, j] beta_j`` and ``Z_l[:, j] b_l[group, j]``,
    as pairs of a column and its (broadcast) coefficient."""
    out = [(X[:, j], beta[j]) for j in range(X.shape[1])]
    for li in range(len(Z) if levels is None else levels):
        out += [(Z[li][:, j], np.take(b[li][:, j], codes[li])) for j in range(Z[li].shape[1])]
    return out


#: how many thetas' refined evaluations a :class:`Refinement` keeps
CACHE_SIZE = 4


class Refinement:
    """The refined evaluation (module docstring) of the profiled likelihood
    ``lik`` of the data ``X``, ``y``, ``Z`` (per level, outer to inner) with
    ``codes``, ``parents`` and ``n_groups`` as for
    :func:`hlm_py.lme.reduce.reduce_data`. The last :data:`CACHE_SIZE`
    evaluations are kept by ``theta`` (the same :class:`Estimates` object is
    returned for the same ``theta``: do not modify it)."""

    def __init__(self, lik: ProfiledLikelihood, X: np.ndarray, y: np.ndarray,
                 Z: list[np.ndarray], codes: list[np.ndarray], parents: list[np.ndarray],
                 n_groups: list[int]):
        self.lik = lik
        self.X, self.y, self.Z = X, y, Z
        self.codes, self.parents, self.n_groups = codes, parents, n_groups
        self.logdets = LogDeterminants(Z, codes, parents, n_groups,
                                       X if lik.reml else None)
        self._cache: OrderedDict[bytes, Estimates | SingularFitError] = OrderedDict()

    def estimates(self, theta: np.ndarray) -> Estimates:
        """:meth:`ProfiledLikelihood.estimates` at ``theta`` after one step of
        refinement: ``beta``, ``b``, ``u`` corrected, ``rss`` (the penalised
        residual sum of squares), ``sigma`` and ``loglik`` from the refining
        elimination, ``loglik`` also with the log-determinants in double-double
        precision. ``xtvx_inv`` depends on ``theta`` only and is the first
        elimination's. The unrefined estimates where the refining elimination
        is singular, and the elimination's log-determinants where
        double-double precision does not suffice for them. Raises
        ``SingularFitError`` where the first elimination is singular."""
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        hit = self._cache.get(key)
        if hit is None:
            try:
                hit = self._estimates(theta)
            except SingularFitError as exc:
                hit = exc
            self._cache[key] = hit
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        if isinstance(hit, SingularFitError):
            raise hit
        return hit

    def _estimates(self, theta: np.ndarray) -> Estimates:
        lik = self.lik
        est = lik.estimates(theta)
        r = compensated_residual(self.y, fitted_products(self.X, est.beta, self.Z, self.codes,
                                                         est.b))
        if not np.all(np.isfinite(r)):
            return est
        red = reduce_data(self.X, r, self.Z, self.codes, self.parents, self.n_groups,
                          triangular=True)
        step = ProfiledLikelihood(red, lik.pd, lik.reml, qr=True,
                                  pseudo_response=[-u for u in est.u])
        try:
            d = step.estimates(theta)
        except SingularFitError:  # a singular refinement leaves the estimates
            return est
        if not (np.isfinite(d.rss) and d.rss > 0):
            return est
        logdets = self.logdets(lik.roots(theta))
        if logdets is not None and np.all(np.isfinite(logdets)):
            logdet_v, logdet_xvx = logdets
        else:
            logdet_v, logdet_xvx = est.logdet_v, est.logdet_xvx
        loglik = -0.5 * profiled_deviance(lik.n_eff, lik.reml, logdet_v, d.rss, logdet_xvx)
        return Estimates(beta=est.beta + d.beta, b=[b + db for b, db in zip(est.b, d.b)],
                         u=[u + du for u, du in zip(est.u, d.u)], rss=d.rss,
                         sigma=float(np.sqrt(d.rss / lik.n_eff)), xtvx_inv=est.xtvx_inv,
                         loglik=float(loglik), logdet_v=float(logdet_v),
                         logdet_xvx=float(logdet_xvx))

    def deviance(self, theta: np.ndarray) -> float:
        """``-2 logLik`` at ``theta``, refined (``inf`` where undefined)."""
        try:
            return -2.0 * self.estimates(theta).loglik
        except SingularFitError:
            return np.inf
