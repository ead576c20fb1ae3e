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

corSymm's parameters are held within ``SYMM_SEARCH_EDGE`` (a quadratic
penalty beyond) and probed outward at the end; with a correlation
structure and a variance function a second search starts from the
correlation fitted alone, and corCompSymm's profile likelihood on a grid
looks for a second basin (:func:`search`'s ``basins``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from hlm_py.gls.criterion import GlsCriterion
from hlm_py.gls.design import GlsDesign
from hlm_py.gls.reduced import pattern_criterion
from hlm_py.linalg.minimise import MinimiseResult, minimise
from hlm_py.structs.corstruct import SYMM_SEARCH_EDGE

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


def _edges(design: GlsDesign) -> np.ndarray:
    """The bound of each parameter held by the search (inf: none; corSymm's:
    ``SYMM_SEARCH_EDGE``)."""
    out: list[float] = []
    for _, c in design.components:
        edge = SYMM_SEARCH_EDGE if getattr(c, "r_class", "") == "corSymm" else math.inf
        out += [edge] * int(c.n_params)
    return np.asarray(out, dtype=float)


class _Held:
    """A deviance (and its gradient, where known) with the parameters held
    within ``edges``: beyond, the value at the clipped point plus the
    squared excess."""

    def __init__(self, deviance: Callable[[np.ndarray], float],
                 gradient: Callable[[np.ndarray], np.ndarray] | None, edges: np.ndarray):
        self._f, self._g, self.edges = deviance, gradient, edges
        self._any = bool(np.isfinite(edges).any())

    def deviance(self, theta: np.ndarray) -> float:
        if not self._any:
            return self._f(theta)
        excess = np.maximum(np.abs(theta) - self.edges, 0.0)
        if not excess.any():
            return self._f(theta)
        return self._f(np.clip(theta, -self.edges, self.edges)) + float(np.sum(excess ** 2))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        assert self._g is not None
        if not self._any:
            return self._g(theta)
        excess = np.maximum(np.abs(theta) - self.edges, 0.0)
        g = self._g(np.clip(theta, -self.edges, self.edges))
        return np.where(excess > 0, 2.0 * excess * np.sign(theta), g)

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        return self.deviance(theta), self.gradient(theta)


class _Criteria:
    """The exact criterion and, where the structures keep the reduction,
    the pattern criterion, both held within the edges; ``fast`` is the
    pattern one where there is one."""

    def __init__(self, crit: GlsCriterion):
        self.edges = _edges(crit.design)
        self.exact = _Held(crit.deviance, None, self.edges)
        red = pattern_criterion(crit.design)
        self.reduced = None if red is None else _Held(red.deviance, red.gradient, self.edges)
        self.fast = self.exact if self.reduced is None else self.reduced


def _newton(red: _Held, x: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, int]:
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


def _one(c: _Criteria, theta0: np.ndarray, max_iter: int) -> MinimiseResult:
    """One search from ``theta0``: on the pattern criterion with Newton
    polish where there is one, checked against (and if need be finished on)
    the exact one; ``fun`` is the exact (held) deviance at ``x``."""
    if c.reduced is None:
        return minimise(c.exact.deviance, theta0, max_iter=max_iter)
    red = c.reduced
    res = minimise(red.deviance, theta0, max_iter=max_iter, grad=red.gradient)
    if math.isfinite(res.fun):
        x, f, g, evals = _newton(red, res.x)
        res.x, res.fun, res.grad = x, f, g
        res.evaluations += evals
    exact = c.exact.deviance(res.x)
    if not abs(exact - res.fun) <= REDUCED_TOL * max(1.0, abs(exact)):
        more = minimise(c.exact.deviance, res.x, max_iter=max_iter)
        more.iterations += res.iterations
        more.evaluations += res.evaluations
        more.message = f"pattern criterion {res.fun!r} against {exact!r}; {more.message}"
        return more
    res.fun = exact
    return res


#: beyond the search's hold, corSymm's parameters at it are moved further
#: out one at a time (the others kept) in these steps while the logLik rises
#: (``_probe_edges``): toward a singular matrix where the likelihood has a
#: flat limit, the gap left at the hold is ``c exp(-2 |t|)`` with ``c`` up
#: to 80 measured (1.2e-6 at t = 9; nlme's optimum at t = 11.8); single
#: evaluations there are still within 1e-9 (measured to t = 14), the
#: search's finite differences are not
SYMM_PROBE = (1.0, 2.0, 3.0, 4.0)


def _probe_edges(crit: GlsCriterion, theta: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``theta`` with each parameter at (within 0.5 of) its edge moved out
    by ``SYMM_PROBE`` while the exact deviance falls (the others kept)."""
    best = crit.deviance(theta)
    for j in np.flatnonzero(np.isfinite(edges) & (np.abs(theta) > edges - 0.5)):
        for step in SYMM_PROBE:
            x = theta.copy()
            x[j] = math.copysign(edges[j] + step, theta[j])
            v = crit.deviance(x)
            if not v < best:
                break
            theta, best = x, v
    return theta


#: ``_staged`` runs on fits of at most this many rows: it doubles a search's
#: cost (measured on the golden mmrm_ml, 907 rows and 20 parameters, before
#: the pattern reduction: 15.9 s to 51.8 s), and the two basins it guards
#: against were measured on 40 rows
STAGED_MAX_ROWS = 200


def _staged(crit: GlsCriterion, c: _Criteria, res: MinimiseResult,
            max_iter: int) -> MinimiseResult:
    """With a correlation structure and a variance function, a second search
    from the correlation fitted alone (the variance function at its start),
    kept if higher: their joint likelihood can have two basins (measured: a
    corSymm + varIdent REML gls, -18.62644 from the joint start, -18.59475
    from this one and nlme's nlminb)."""
    design = crit.design
    names = [n for n, comp in design.components if comp.n_params]
    if design.n > STAGED_MAX_ROWS or "corStruct" not in names or "varStruct" not in names:
        return res
    start = design.start()
    is_cor = np.concatenate([np.full(int(comp.n_params), n == "corStruct")
                             for n, comp in design.components if comp.n_params])

    def cor_only(z: np.ndarray) -> float:
        x = start.copy()
        x[is_cor] = z
        return c.fast.deviance(x)

    first = minimise(cor_only, start[is_cor], max_iter=max_iter)
    x0 = start.copy()
    x0[is_cor] = first.x
    other = _one(c, x0, max_iter)
    return other if other.converged and other.fun < res.fun - 1e-9 else res


#: corCompSymm's unconstrained parameter on a grid: the profile likelihood in
#: it looks for a second basin (``_other_basin``)
CS_GRID = np.arange(-16.0, 4.5, 1.0)
#: the coarser grid where other parameters are profiled out
CS_PROFILE_GRID = np.arange(-14.0, 4.5, 2.0)
#: a grid point this far (in u) from the search's end starts a second search
CS_BASIN_GAP = 1.5


def _other_basin(crit: GlsCriterion, c: _Criteria, res: MinimiseResult,
                 max_iter: int) -> MinimiseResult:
    """corCompSymm's likelihood can have a second local maximum toward rho's
    lower bound -1/(M-1) (measured: CS + varExp ML gls, logLik -113.742 at
    u = -3.98 from nlme's start, -110.178 at u = -9.54 where nlme's optim
    went; another -115.071 at u = -4.27, -113.544 at u = -8.82 with the
    varExp parameter 0.072 and 0.285). The profile likelihood in u on a grid
    (the other parameters, if any, re-fitted at each point from the previous
    one: 10 short searches) shows it; a search from the grid's best point,
    where that is more than ``CS_BASIN_GAP`` away, is kept if higher."""
    design = crit.design
    cor = design.cor
    if cor is None or getattr(cor, "r_class", "") != "corCompSymm" or cor.n_params == 0:
        return res
    j = design.theta_names.index("corStruct")
    others = np.delete(design.start(), j)
    grid = CS_GRID if others.size == 0 else CS_PROFILE_GRID
    best_x, best = None, math.inf
    for u in grid:
        def f(z: np.ndarray, u: float = float(u)) -> float:
            return c.fast.deviance(np.insert(z, j, u))
        if others.size:
            r = minimise(f, others, max_iter=30)
            z, v = r.x, r.fun
            if math.isfinite(v):
                others = z
        else:
            z, v = others, f(others)
        if v < best:
            best_x, best = np.insert(z, j, u), v
    if best_x is None or abs(best_x[j] - res.x[j]) <= CS_BASIN_GAP:
        return res
    other = _one(c, best_x, max_iter)
    return other if other.converged and other.fun < res.fun - 1e-9 else res


def search(crit: GlsCriterion, theta0: np.ndarray, max_iter: int,
           basins: bool = True) -> MinimiseResult:
    """Minimise the deviance of ``crit`` from ``theta0`` (module docstring);
    with ``basins``, the second searches of :func:`_staged` and
    :func:`_other_basin`. The result's ``fun`` is the exact criterion's
    deviance at ``x``."""
    c = _Criteria(crit)
    res = _one(c, theta0, max_iter)
    if basins:
        res = _staged(crit, c, res, max_iter)
        res = _other_basin(crit, c, res, max_iter)
    if np.isfinite(c.edges).any():
        x = _probe_edges(crit, np.clip(res.x, -c.edges, c.edges), c.edges)
        if not np.array_equal(x, res.x):
            res.x, res.fun = x, crit.deviance(x)
    return res
