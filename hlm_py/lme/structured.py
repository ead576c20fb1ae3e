"""The optimisation of an lme fit with a variance function or a correlation
structure (nlme's ``lmeStruct`` with ``corStruct`` / ``varStruct``).

The structures' parameters ``phi`` change the whitening of the rows. Where
the structures keep the chain reduction (:mod:`hlm_py.lme.chain`: corAR1,
corARMA(1, 0), corCAR1, none; with varIdent, varFixed or none) the search
runs on per-group cross-products made once, with a closed-form gradient in
``phi``; elsewhere the one-pass reduction is made again at each ``phi``
(``LmeDesign.at``). The
reStruct's parameters ``theta`` are profiled: the criterion in ``phi`` is
the minimum over ``theta`` of the whitened design's criterion (warm-started
runs of :mod:`hlm_py.lme.runs`, with their exact gradient), minimised by
:func:`hlm_py.linalg.minimise.minimise`. At the end point the full strategy
of :mod:`hlm_py.lme.strategy` (nlme's EM start, the QR refit where needed)
fits ``theta`` again on the whitened rows (the reported fit), the exact
criterion is checked against the chain's (:data:`REDUCED_TOL`, else the
search again on the rows); where it finds a lower criterion the search in
``phi`` goes on from there. A variance function on ``fitted(.)`` adds nlme's outer
loop (optimise, update the covariate from the innermost fitted values).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from hlm_py.errors import ConvergenceError, HlmError
from hlm_py.linalg.minimise import STEP, MinimiseResult, minimise
from hlm_py.lme.chain import ChainCriterion, chain_criterion
from hlm_py.lme.control import LmeControl
from hlm_py.lme.design import LmeDesign
from hlm_py.lme.em import em_start
from hlm_py.lme.runs import optimise_runs
from hlm_py.lme.strategy import Optimum, optimise
from hlm_py.structs.corstruct import SYMM_SEARCH_EDGE

__all__ = ["StructuredOptimum", "optimise_structured", "OUTER_TOL", "CONFIRM_GAIN"]

#: relative change of the parameters that ends the ``fitted(.)`` outer loop
#: (the lean search's end point repeats to about 1e-7 with a spatial
#: corStruct; the loop contracts by 0.03 an iteration on BodyWeight)
OUTER_TOL = 1e-8
#: a criterion lower by more than this at the full strategy's theta restarts
#: the search in phi
CONFIRM_GAIN = 1e-7
#: the joint search's gradient tolerance (max |d deviance / d parameter|)
JOINT_GTOL = 1e-6
#: rounds of (search in phi, full strategy in theta)
ROUNDS = 4
#: largest relative difference of the chain criterion (:mod:`hlm_py.lme.chain`)
#: from the exact one at the search's end point; beyond it the search is
#: made again on the exact criterion
REDUCED_TOL = 1e-9


@dataclass
class StructuredOptimum:
    """The end of a structured fit: ``design`` the (last) structured design,
    ``phi`` the structures' parameters, ``whitened`` the design whitened at
    ``phi`` and ``optimum`` the reStruct's optimum on it; ``search`` the
    last search in phi and ``outer`` the fitted(.) iterations."""

    design: LmeDesign
    phi: np.ndarray
    whitened: LmeDesign
    optimum: Optimum
    search: MinimiseResult | None
    outer: int


#: corAR1's and corCompSymm's unconstrained parameter is held within +-EDGE
#: by the searches (a quadratic penalty beyond, the end point clipped): the
#: correlation matrix's condition grows as ``exp(|u|)`` and an evaluation
#: beyond about 20 is rounding (``n eps exp(|u|)``; measured: a corAR1 at
#: u = -21, two evaluations 1.0e-7 apart), which misled the finite
#: differences of the other parameters (measured: a corAR1 + varPower lme in
#: groups of two, u = -33.9 and varPower -0.680 at logLik 1.2e-3 below nlme's
#: u = -20.1, varPower -0.699). A likelihood rising toward the bound loses
#: about ``exp(-EDGE)`` = 1.5e-8 times its slope there.
EDGE = 18.0
#: beyond this |u| the joint search tries the edge (``_joint``)
EDGE_PROBE = 6.0


def _edge_mask(design: LmeDesign) -> np.ndarray:
    """The bound of each entry of phi held by the searches: ``EDGE`` for
    corAR1's and corCompSymm's parameter, ``SYMM_SEARCH_EDGE`` for corSymm's,
    inf for the others."""
    edges: list[float] = []
    for _, c in design.components:
        if c.n_params:
            cls = getattr(c, "r_class", "")
            edge = EDGE if cls in ("corAR1", "corCompSymm") else \
                SYMM_SEARCH_EDGE if cls == "corSymm" else math.inf
            edges += [edge] * int(c.n_params)
    return np.asarray(edges, dtype=float)


def _clip_edge(mask: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, float]:
    """phi held within the bounds ``mask`` (:func:`_edge_mask`), and the
    penalty of the excess."""
    if not np.isfinite(mask).any():
        return phi, 0.0
    excess = np.maximum(np.abs(phi) - mask, 0.0)
    if not excess.any():
        return phi, 0.0
    return np.clip(phi, -mask, mask), float(np.sum(excess ** 2))


def _profile(design: LmeDesign, control: LmeControl, theta0: np.ndarray,
             chain: ChainCriterion | None = None
             ) -> tuple[Callable[[np.ndarray], float], list[np.ndarray]]:
    """The criterion in phi, theta profiled from a warm start (kept in the
    returned list, updated at every finite evaluation): one run of the
    quasi-Newton search in theta, no restarts; on ``chain`` where given,
    else on the whitened rows."""
    warm = [theta0.copy()]
    max_iter = control.max_iter
    max_newton = control.max_newton
    mask = _edge_mask(design)

    def D(phi: np.ndarray) -> float:
        phi, pen = _clip_edge(mask, phi)
        try:
            if chain is not None:
                lik, ll = chain.at(phi)
            else:
                w = design.at(phi)
                lik, ll = w.criterion, w.struct_ll
        except (FloatingPointError, np.linalg.LinAlgError, ValueError, HlmError):
            return math.inf
        with np.errstate(all="ignore"):
            try:
                runs = optimise_runs(lik, warm[0], max_iter, max_newton, unit_start=False)
            except (FloatingPointError, HlmError):
                return math.inf
        conv = [r for r in runs if r.converged and math.isfinite(r.deviance)] or runs
        r = min(conv, key=lambda r: r.deviance)
        if not math.isfinite(r.deviance):
            return math.inf
        warm[0] = r.theta
        return float(r.deviance) - 2.0 * ll + pen

    return D, warm


def _joint(design: LmeDesign, theta0: np.ndarray, phi0: np.ndarray, max_iter: int,
           chain: ChainCriterion | None = None) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """BFGS in (theta, phi) together: on ``chain`` with its closed-form
    gradient where given; else the exact gradient in theta and central
    differences in phi (each a whitening and a reduction of the rows)."""
    k = theta0.size
    mask = _edge_mask(design)
    if chain is not None:
        return _joint_run(lambda x: _chain_fg(chain, x, k, mask), theta0, phi0, max_iter,
                          mask, closed_form=True)

    def dev(theta: np.ndarray, phi: np.ndarray) -> tuple[float, LmeDesign | None]:
        phi, pen = _clip_edge(mask, phi)
        try:
            w = design.at(phi)
        except (FloatingPointError, np.linalg.LinAlgError, ValueError, HlmError):
            return math.inf, None
        return w.criterion.deviance(theta) - 2.0 * w.struct_ll + pen, w

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta, phi = x[:k], x[k:]
        phi_c, pen = _clip_edge(mask, phi)
        try:
            w = design.at(phi_c)
        except (FloatingPointError, np.linalg.LinAlgError, ValueError, HlmError):
            return math.inf, np.zeros_like(x)
        with np.errstate(all="ignore"):
            d, g = w.criterion.deviance_and_gradient(theta)
        d = float(d) - 2.0 * w.struct_ll + pen
        if not math.isfinite(d):
            return math.inf, np.zeros_like(x)
        gp = np.zeros(phi.size)
        for j in range(phi.size):
            h = STEP * max(abs(phi[j]), 0.1)
            e = np.zeros(phi.size)
            e[j] = h
            dp, _ = dev(theta, phi + e)
            dm, _ = dev(theta, phi - e)
            if math.isfinite(dp) and math.isfinite(dm):
                gp[j] = (dp - dm) / (2 * h)
            elif math.isfinite(dp):
                gp[j] = (dp - d) / h
            elif math.isfinite(dm):
                gp[j] = (d - dm) / h
        return d, np.r_[np.asarray(g, dtype=float), gp]

    return _joint_run(fg, theta0, phi0, max_iter, mask)


def _chain_fg(chain: ChainCriterion, x: np.ndarray, k: int, mask: np.ndarray
              ) -> tuple[float, np.ndarray]:
    """The chain criterion and its gradient, phi held within ``mask``."""
    phi = x[k:]
    phi_c, pen = _clip_edge(mask, phi)
    d, gt, gp = chain.value_and_gradient(x[:k], phi_c)
    if pen:
        excess = np.abs(phi) - mask
        gp = np.where(excess > 0, 2.0 * excess * np.sign(phi), gp)
    return d + pen, np.r_[gt, gp]


def _joint_run(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], theta0: np.ndarray,
               phi0: np.ndarray, max_iter: int, mask: np.ndarray, closed_form: bool = False
               ) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """BFGS from ``(theta0, phi0)`` on ``fg``, then :func:`_newton_polish`;
    the end point, its value and whether it converged: BFGS's own test, or
    with a ``closed_form`` gradient (whose Newton steps can take it below
    BFGS's tolerance where BFGS's line search lost precision) the
    polished gradient's max norm at most :data:`JOINT_GTOL`."""
    k = theta0.size
    x0 = np.r_[theta0, phi0]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = optimize.minimize(fg, x0, jac=True, method="BFGS",
                                options={"maxiter": max(max_iter, 200), "gtol": JOINT_GTOL})
    x = np.asarray(res.x, dtype=float)
    f0 = fg(x0)[0]
    if not math.isfinite(float(res.fun)) or float(res.fun) > f0:
        return theta0, phi0, f0, False
    fx = float(res.fun)
    g = np.zeros(0)
    for _ in range(2):
        if closed_form:
            x, fx, g = _newton_gradient(fg, x)
        else:
            x, fx = _newton_polish(fg, x, fx)
        # a likelihood rising toward a correlation bound as exp(-|u|) has its
        # gradient in u equal to what remains to gain: a gradient test stops
        # that much short (measured 2e-7 in the logLik); the jump to the edge
        # takes it (and the polish again from there)
        jumped = False
        for j in np.flatnonzero(mask == EDGE):
            if EDGE_PROBE < abs(x[k + j]) < EDGE:
                y = x.copy()
                y[k + j] = math.copysign(EDGE, x[k + j])
                fy = fg(y)[0]
                if math.isfinite(fy) and fy < fx:
                    x, fx, jumped = y, fy, True
        if not jumped:
            break
    ok = bool(res.success)
    if closed_form:
        ok = ok or (math.isfinite(fx) and bool(np.max(np.abs(g), initial=0.0) <= JOINT_GTOL))
    phi, pen = _clip_edge(mask, x[k:])
    return x[:k], phi, fx - pen, ok


#: forward-difference step of :func:`_newton_gradient`'s Hessian (relative,
#: floored at 0.1)
HESS_STEP = 1e-6


def _newton_gradient(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray
                     ) -> tuple[np.ndarray, float, np.ndarray]:
    """Newton steps on a closed-form gradient (Hessian by its forward
    differences), each taken while it lowers the gradient's max norm
    without raising the value beyond its rounding (1e-12 relative): the
    end point is where the gradient vanishes, not where the rounding of the
    values stopped BFGS's line search (as gls's search)."""
    f, g = fg(x)
    if x.size > NEWTON_MAX_PARAMS:
        return x, f, g
    for _ in range(2 * NEWTON_STEPS):
        if not (math.isfinite(f) and np.max(np.abs(g), initial=0.0) > NEWTON_GTOL):
            break
        H = np.empty((x.size, x.size))
        for i in range(x.size):
            e = x.copy()
            e[i] += HESS_STEP * max(abs(x[i]), 0.1)
            H[:, i] = (fg(e)[1] - g) / (e[i] - x[i])
        H = 0.5 * (H + H.T)
        try:
            L = np.linalg.cholesky(H)
        except np.linalg.LinAlgError:
            break
        xn = x - np.linalg.solve(L.T, np.linalg.solve(L, g))
        fn, gn = fg(xn)
        if not (math.isfinite(fn) and fn <= f + 1e-12 * max(1.0, abs(f))
                and np.max(np.abs(gn)) < np.max(np.abs(g))):
            break
        x, f, g = xn, fn, gn
    return x, f, g


#: Newton steps after the joint BFGS (its stopping rule leaves 1e-7 in the
#: criterion on flat likelihoods), for up to NEWTON_MAX_PARAMS parameters;
#: they end where the gradient's max norm is below NEWTON_GTOL
NEWTON_STEPS = 4
NEWTON_MAX_PARAMS = 24
NEWTON_GTOL = 1e-9


def _newton_polish(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
                   fx: float) -> tuple[np.ndarray, float]:
    """Newton steps with the Hessian by central differences of the gradient
    and a backtracking line search; stops when a step gains nothing."""
    if x.size > NEWTON_MAX_PARAMS:
        return x, fx
    for _ in range(NEWTON_STEPS):
        f, g = fg(x)
        if not math.isfinite(f) or not np.max(np.abs(g), initial=0.0) > NEWTON_GTOL:
            break
        H = np.empty((x.size, x.size))
        for j in range(x.size):
            h = 1e-4 * max(abs(x[j]), 1.0)
            e = np.zeros(x.size)
            e[j] = h
            gp, gm = fg(x + e)[1], fg(x - e)[1]
            H[:, j] = (gp - gm) / (2 * h)
        H = 0.5 * (H + H.T)
        try:
            w, V = np.linalg.eigh(H)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(w)) or w.max() <= 0:
            break
        w = np.maximum(w, 1e-8 * w.max())
        step = -(V @ ((V.T @ g) / w))
        t, improved = 1.0, False
        for _ in range(20):
            fn = fg(x + t * step)[0]
            if math.isfinite(fn) and fn < f - 1e-13:
                x, fx, improved = x + t * step, fn, True
                break
            t *= 0.5
        if not improved:
            break
    return x, fx


def _fit_at(design: LmeDesign, phi: np.ndarray, control: LmeControl
            ) -> tuple[LmeDesign, Optimum, float]:
    w = design.at(phi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimise(w, control)
    return w, opt, float(opt.result.deviance) - 2.0 * w.struct_ll


def _lean_theta(design: LmeDesign, phi: np.ndarray, control: LmeControl,
                theta0: np.ndarray | None, chain: ChainCriterion | None = None
                ) -> np.ndarray:
    """theta fitted at ``phi`` by one set of runs (from ``theta0``, else from
    nlme's start after its EM iterations); on ``chain`` where given."""
    if chain is not None:
        lik = chain.at(phi)[0]
    else:
        w = design.at(phi)
        lik = w.criterion
    if theta0 is None:
        start = chain.start(phi) if chain is not None else w.start()
        with np.errstate(all="ignore"):
            theta0 = em_start(lik, start, control.niterEM)
    with np.errstate(all="ignore"):
        runs = optimise_runs(lik, theta0, control.max_iter, control.max_newton,
                             unit_start=False)
    conv = [r for r in runs if r.converged and math.isfinite(r.deviance)] or runs
    best = min(conv, key=lambda r: r.deviance)
    return best.theta if math.isfinite(best.deviance) else theta0


def _search(design: LmeDesign, control: LmeControl, phi0: np.ndarray | None = None,
            theta0: np.ndarray | None = None, full: bool = True) -> StructuredOptimum:
    """The search from ``(theta0, phi0)``: jointly, then in phi with theta
    profiled; with ``full``, theta fitted at the end point by the whole
    strategy, and the search again where that finds a lower criterion."""
    phi = design.struct_start() if phi0 is None else phi0
    # the search's criterion: the chain reduction where the structures keep it
    chain = chain_criterion(design) if full and phi.size else None
    try:
        theta = _lean_theta(design, phi, control, theta0, chain)
    except FloatingPointError as exc:
        raise HlmError("lme: the structures' starting values give a non-finite "
                       f"likelihood ({exc})") from exc
    res: MinimiseResult | None = None
    ok, jdev = True, math.inf
    rounds = 0
    while rounds < ROUNDS:
        rounds += 1
        if phi.size:
            theta, phi, jdev, ok = _joint(design, theta, phi, control.max_iter, chain)
        if phi.size and not ok:
            D, warm = _profile(design, control, theta, chain)
            res = minimise(D, phi, max_iter=max(control.max_iter, 50))
            if not res.converged:
                msg = (f"lme: the search in the structures' parameters did not converge "
                       f"({res.iterations} iterations: {res.message})")
                if not control.returnObject:
                    raise ConvergenceError(msg)
                warnings.warn(msg, stacklevel=4)
            phi, theta = _clip_edge(_edge_mask(design), res.x)[0], warm[0]
        if not full:
            w = design.at(phi)
            with np.errstate(all="ignore"):
                r = optimise_runs(w.criterion, theta, control.max_iter, control.max_newton,
                                  unit_start=False)[0]
            opt = Optimum(result=r, criterion=w.criterion, refinement=None, summary=None)  # type: ignore[arg-type]
            return StructuredOptimum(design, phi, w, opt, res, 0)
        w, opt, dev = _fit_at(design, phi, control)
        reached = res.fun if res is not None and not ok else jdev
        if chain is not None:
            # the exact criterion (whitening, QR by groups) where the search ended
            with np.errstate(all="ignore"):
                exact = float(w.criterion.deviance(theta)) - 2.0 * w.struct_ll
            red = chain.deviance(theta, phi)
            if not abs(exact - red) <= REDUCED_TOL * max(1.0, abs(exact)):
                # the cross-products lost digits: the search again on the rows
                chain, rounds = None, rounds - 1
                continue
            reached += exact - red  # the search's value, on the exact criterion
        theta = opt.result.theta
        # stop unless the full strategy in theta found a lower criterion
        if dev >= reached - CONFIRM_GAIN:
            break
    return StructuredOptimum(design, phi, w, opt, res, 0)


def _rel_change(old: np.ndarray, new: np.ndarray) -> float:
    """max |old - new| / |new| (|new| taken as 1 where new is 0)."""
    if not new.size:
        return 0.0
    den = np.where(new == 0, 1.0, new)
    return float(np.max(np.abs((old - new) / den)))


def optimise_structured(design: LmeDesign, control: LmeControl,
                        fitted: Callable[[LmeDesign, Any], np.ndarray]) -> StructuredOptimum:
    """Fit a structured design (module docstring). ``fitted(design,
    estimates)`` gives the innermost fitted values on the data's scale (for
    a ``fitted(.)`` covariate)."""
    needs = design.var is not None and design.var.needs_update
    if not needs:
        return _search(design, control)
    # nlme's Initialize: the fit at the starting values with unit weights
    # (the covariate is not known yet), then the update; then nlme's loop,
    # each search warm-started, the whole strategy once at the fixed point
    phi = design.struct_start()
    theta = _lean_theta(design, phi, control, None)
    w = design.at(phi)
    est = w.criterion.estimates(theta)
    design = design.with_var(design.var.update(fitted(design, est)))  # type: ignore[union-attr]
    outer = 0
    for _ in range(ROUNDS):
        # the lean loop to its fixed point
        while True:
            outer += 1
            out = _search(design, control, phi, theta, full=False)
            change = _rel_change(np.r_[theta, phi], np.r_[out.optimum.result.theta, out.phi])
            theta, phi = out.optimum.result.theta, out.phi
            lean_dev = float(out.optimum.result.deviance) - 2.0 * out.whitened.struct_ll
            est = out.optimum.criterion.estimates(theta)
            design = design.with_var(design.var.update(fitted(design, est)))  # type: ignore[union-attr]
            if change <= OUTER_TOL:
                break
            if outer > max(control.maxIter or 50, 200):
                raise ConvergenceError("maximum number of iterations (lmeControl(maxIter)) "
                                       "reached without convergence")
        # the whole strategy once at the fixed point; the lean loop again only
        # where it found a lower criterion (its own end point wanders by its
        # tolerance, so parameter changes of the full searches never settle)
        out = _search(design, control, phi, theta, full=True)
        full_dev = float(out.optimum.result.deviance) - 2.0 * out.whitened.struct_ll
        if full_dev >= lean_dev - CONFIRM_GAIN:
            break
        theta, phi = out.optimum.result.theta, out.phi
        est = out.optimum.criterion.estimates(theta)
        design = design.with_var(design.var.update(fitted(design, est)))  # type: ignore[union-attr]
    out.design = design
    out.outer = outer
    return out
