"""The optimisation stage of lme (lme4's ``optimizeLmer``, MixedModels.jl's ``fit!``).

:func:`optimise` fits an :class:`~hlm_py.lme.design.LmeDesign` under an
:class:`~hlm_py.lme.control.LmeControl`, and says what happened in an
:class:`OptSummary`. The strategy, in order:

1. nlme's start, then nlme's EM iterations (``niterEM``) from it;
2. refusals made before any search: an ML likelihood the design makes
   unbounded (:func:`hlm_py.lme.qr_refit.unbounded`);
3. where the fixed effects absorb every level's random effects (REML): the
   criterion does not depend on theta and the start is the fit;
4. the runs on the cross-products (:mod:`hlm_py.lme.runs`);
5. the fit again on the QR elimination (:mod:`hlm_py.lme.qr_refit`) where the
   cross-products' rounding is too large for the optimum or its location,
   or their fit ended at a non-finite point or did not converge (unless the
   control limited the iterations).

Why each constant has its value: ``docs/internals.md``, "The optimisation
strategy".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from hlm_py.errors import ConvergenceError, NonFiniteError
from hlm_py.lme.control import LmeControl
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.design import LmeDesign
from hlm_py.lme.em import em_start
from hlm_py.lme.optimize import OptimResult
from hlm_py.lme.qr_refit import QR_MAX_NEWTON, degenerate, refit_qr, unbounded
from hlm_py.lme.random import RandomLevel
from hlm_py.lme.refine import Refinement
from hlm_py.lme.runs import deviance_noise, noise_bound
from hlm_py.lme.runs import optimise as optimise_runs

__all__ = ["OptSummary", "Optimum", "optimise"]


@dataclass(frozen=True)
class OptSummary:
    """What the optimisation did (MixedModels.jl's ``OptSummary``).

    start          nlme's starting values of theta
    em_start       theta after nlme's EM iterations, where the search began
    theta          the end point
    deviance       the criterion there (on ``evaluator``)
    gradient       its gradient there (on ``evaluator``)
    iterations     quasi-Newton and Newton iterations, all runs
    evaluations    criterion evaluations, all runs
    evaluator      ``"cross-products"``, ``"QR elimination"`` or ``"none"``
                   (the criterion does not depend on theta)
    converged      whether the stopping rule was met
    stopping_rule  how it ended, in a sentence
    control        the settings it ran under
    """

    start: np.ndarray
    em_start: np.ndarray
    theta: np.ndarray
    deviance: float
    gradient: np.ndarray
    iterations: int
    evaluations: int
    evaluator: str
    converged: bool
    stopping_rule: str
    control: LmeControl

    def __repr__(self) -> str:
        grad = float(np.max(np.abs(self.gradient))) if self.gradient.size else 0.0
        return (f"OptSummary({self.evaluator}: {self.iterations} iterations, "
                f"{self.evaluations} evaluations, deviance {self.deviance:.10g}, "
                f"max |gradient| {grad:.2g}; {self.stopping_rule})")


@dataclass
class Optimum:
    """The end of the optimisation: the result, the criterion it was found
    on, its refined evaluation (QR elimination only) and the summary."""

    result: OptimResult
    criterion: ProfiledLikelihood
    refinement: Refinement | None
    summary: OptSummary

    @property
    def qr_elimination(self) -> bool:
        return self.refinement is not None


def _on_cross_products(lik: ProfiledLikelihood, theta0: np.ndarray, max_iter: int,
                       max_newton: int, user_limits: bool) -> tuple[OptimResult | None, bool]:
    """The fit on the cross-products from nlme's start ``theta0``, and
    whether it must be made again on the QR elimination.

    The optimiser works in lik's scale-free parametrisations
    (``work_from_theta``): the precision factor first (nlme's choice), with a
    second start at unit relative variances; where that stops at a boundary
    or does not converge, the covariance factor too (smooth at a singular
    Psi). The best converged end point wins. Where the cross-products are at
    their noise already at the start, the fit goes to the QR elimination
    straight away.
    """
    # (trial points of the searches can be non-finite; each value is checked,
    # so numpy's floating-point warnings there say nothing to the user)
    with np.errstate(all="ignore"):
        opt: OptimResult | None = None
        if deviance_noise(lik, theta0) <= noise_bound(lik.deviance(theta0)):
            try:
                opt = optimise_runs(lik, theta0, max_iter, max(max_newton, 1))
            except NonFiniteError:
                pass
        redo = (opt is None or not np.isfinite(opt.deviance)
                or (not opt.converged and not user_limits))
        if opt is not None and not redo:
            noise = deviance_noise(lik, opt.theta)
            redo = noise > noise_bound(opt.deviance) or (
                noise > LOCATION_NOISE_ULPS * float(np.spacing(abs(opt.deviance)))
                and _location_uncertainty(lik, opt.theta, noise) > LOCATION_TOL)
    return opt, redo


#: The fit is made again on the QR elimination where the cross-products'
#: rounding leaves the optimum's location uncertain by more than this in a
#: parameter of a level not at zero (the location would then depend on the
#: last bits of the arithmetic) ...
LOCATION_TOL = 1e-7
#: ... and that rounding exceeds this many units in the last place of the
#: deviance (below it, any evaluation's floor)
LOCATION_NOISE_ULPS = 64
#: A level whose relative variances are all below this is at zero, where the
#: location is not asked for
ZERO_LEVEL_PSI = 1e-6


def _location_uncertainty(lik: ProfiledLikelihood, theta: np.ndarray, noise: float) -> float:
    """The largest ``sqrt(2 noise / H_ii)`` over the parameters of levels not
    at zero: how far along a parameter the criterion's rounding ``noise``
    hides the optimum (``H_ii`` by central differences of the gradient)."""
    if theta.size == 0 or noise <= 0.0:
        return 0.0
    worst = 0.0
    for level, part, psi in zip(range(len(lik.pd)), lik.split(theta), lik.psis(theta)):
        if float(np.max(np.abs(np.diag(np.atleast_2d(psi))))) < ZERO_LEVEL_PSI:
            continue
        start = lik.offsets[level]
        for k in range(part.size):
            i = start + k
            h = 1e-4 * max(1.0, abs(float(theta[i])))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            curv = (lik.deviance_and_gradient(up)[1][i]
                    - lik.deviance_and_gradient(down)[1][i]) / (2.0 * h)
            if not np.isfinite(curv):
                continue
            worst = max(worst, math.sqrt(2.0 * noise / curv) if curv > 0 else math.inf)
    return worst


def _confounded_message(level: RandomLevel, method: str) -> str:
    what = ("the REML criterion does not depend on their covariance parameters, which keep "
            "nlme's starting values and are not estimates" if method == "REML" else
            "their maximum-likelihood variances are 0")
    return (f"the random effects of level '{level.name}' ({level.formula}) lie in the column "
            f"space of the fixed effects, which absorb them: {what}")


def _confounded_fit(lik: ProfiledLikelihood, theta: np.ndarray) -> OptimResult:
    """The "fit" where the criterion does not depend on theta: ``theta`` itself."""
    dev = lik.deviance(theta)
    if not np.isfinite(dev):
        raise NonFiniteError("lme: the log-likelihood is not finite at the starting values")
    return OptimResult(theta=theta, deviance=dev, gradient=np.zeros_like(theta),
                       iterations=0, evaluations=1, converged=True,
                       message="not optimised: the fixed effects absorb the random effects, "
                               "and the REML criterion does not depend on their parameters")


def optimise(design: LmeDesign, control: LmeControl) -> Optimum:
    """Fit ``design``: the strategy of the module docstring."""
    lik = design.criterion
    start = design.start()
    for lv, c in zip(design.levels, design.confounded):
        if c:
            warnings.warn(_confounded_message(lv, design.method), stacklevel=4)
    refinement: Refinement | None = None
    if design.reml and all(design.confounded):
        theta0 = start
        opt = _confounded_fit(lik, theta0)
        evaluator = "none"
    else:
        with np.errstate(all="ignore"):
            theta0 = em_start(lik, start, control.niterEM)
        if not design.reml and design.span.ml_unbounded:
            raise unbounded(design, theta0)
        first, redo = _on_cross_products(lik, theta0, control.max_iter, control.max_newton,
                                         control.user_limits)
        evaluator = "cross-products"
        if first is not None and not redo:
            opt = first
        else:
            lik = design.qr_criterion()
            refinement = design.refinement(lik)
            evaluator = "QR elimination"
            with np.errstate(all="ignore"):
                opt = refit_qr(lik, theta0, first, control.max_iter,
                               max(min(control.max_newton, QR_MAX_NEWTON), 1), refinement)
            if not opt.sound:
                raise degenerate(lik, opt)
    if not opt.converged:
        msg = (f"optimization did not converge after {opt.iterations} iterations "
               f"({opt.evaluations} evaluations): {opt.message}")
        if not control.returnObject:
            raise ConvergenceError(msg)
        warnings.warn(msg, stacklevel=4)
    with np.errstate(all="ignore"):
        gradient = lik.deviance_and_gradient(opt.theta)[1] if opt.theta.size else opt.theta
    summary = OptSummary(start=start, em_start=theta0, theta=opt.theta, deviance=opt.deviance,
                         gradient=gradient, iterations=opt.iterations,
                         evaluations=opt.evaluations, evaluator=evaluator,
                         converged=opt.converged, stopping_rule=opt.message, control=control)
    return Optimum(result=opt, criterion=lik, refinement=refinement, summary=summary)
