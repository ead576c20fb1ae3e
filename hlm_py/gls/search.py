"""The search for gls's structure parameters (the optimisation inside ``nlme::gls``).

Where the structures keep the pattern reduction (:mod:`hlm_py.gls.reduced`,
:mod:`hlm_py.structs.patterns`), BFGS runs on the pattern criterion with its
closed-form gradient; elsewhere on :class:`hlm_py.gls.criterion.GlsCriterion`
(the whitening and QR of all rows) with central differences. Both are
:func:`hlm_py.linalg.minimise.minimise` from nlme's start, restarted until
a restart gains nothing; nlme's ``nlminb`` takes another path to the same
optimum.

BFGS stops where the criterion's rounding hides further gains (its line
search loses precision with the gradient still at about 1e-5); a few
Newton steps on the closed-form gradient (Hessian by forward differences of
it) then take the gradient to :data:`NEWTON_GTOL`, so the end point is
where the gradient vanishes, not where the rounding of the values stopped
the line search.

At the end point of a search on the pattern criterion the exact criterion
is evaluated: where the two differ by more than :data:`REDUCED_TOL`
(relative), the cross-products have lost digits that may move the
optimum, and the search goes on from there on the exact criterion.
"""

from __future__ import annotations

import math

import numpy as np

from hlm_py.gls.criterion import GlsCriterion
from hlm_py.gls.reduced import PatternCriterion, pattern_criterion
from hlm_py.linalg.minimise import MinimiseResult, minimise

__all__ = ["search", "REDUCED_TOL"]

#: largest relative difference of the pattern criterion from the exact one
#: at the end point (measured: 0 to 3e-14 on the gls goldens and the
#: MMRM benchmark; beyond this the search is finished on the exact one)
REDUCED_TOL = 1e-9
#: Newton steps after BFGS on the pattern criterion, and the gradient's max
#: norm (of the deviance) that ends them
NEWTON_STEPS = 8
NEWTON_GTOL = 1e-9
#: forward-difference step of the Hessian (relative, floored at 0.1)
HESS_STEP = 1e-6


def _newton(red: PatternCriterion, x: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, int]:
    """Newton steps from ``x`` while each lowers the gradient's norm without
    raising the deviance beyond its rounding; the end point, its deviance and
    gradient, and the evaluations made."""
    f, g = red.value_and_gradient(x)
    evals = 1
    for _ in range(NEWTON_STEPS):
        if not np.max(np.abs(g), initial=0.0) > NEWTON_GTOL:
            break
        k = x.size
        H = np.empty((k, k))
        for i in range(k):
            h = HESS_STEP * max(abs(x[i]), 0.1)
            e = x.copy()
            e[i] += h
            H[:, i] = (red.gradient(e) - g) / h
        evals += k
        H = 0.5 * (H + H.T)
        try:
            L = np.linalg.cholesky(H)
        except np.linalg.LinAlgError:
            break
        step = -np.linalg.solve(L.T, np.linalg.solve(L, g))
        xn = x + step
        fn, gn = red.value_and_gradient(xn)
        evals += 1
        if not (math.isfinite(fn) and fn <= f + 1e-12 * max(1.0, abs(f))
                and np.max(np.abs(gn)) < np.max(np.abs(g))):
            break
        x, f, g = xn, fn, gn
    return x, f, g, evals


def search(crit: GlsCriterion, theta0: np.ndarray, max_iter: int) -> MinimiseResult:
    """Minimise the deviance of ``crit`` from ``theta0`` (module docstring);
    the result's ``fun`` is the exact criterion's deviance at ``x``."""
    red = pattern_criterion(crit.design)
    if red is None:
        return minimise(crit.deviance, theta0, max_iter=max_iter)
    res = minimise(red.deviance, theta0, max_iter=max_iter, grad=red.gradient)
    if math.isfinite(res.fun):
        x, f, g, evals = _newton(red, res.x)
        res.x, res.fun, res.grad = x, f, g
        res.evaluations += evals
    exact = crit.deviance(res.x)
    if not abs(exact - res.fun) <= REDUCED_TOL * max(1.0, abs(exact)):
        more = minimise(crit.deviance, res.x, max_iter=max_iter)
        more.iterations += res.iterations
        more.evaluations += res.evaluations
        more.message = f"pattern criterion {res.fun!r} against {exact!r}; {more.message}"
        return more
    res.fun = exact
    return res
