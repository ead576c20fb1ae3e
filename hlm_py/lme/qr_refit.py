"""The fit on the QR elimination, where the cross-products have lost digits.

:func:`refit_qr` searches on nlme's elimination (per-group QR
decompositions) in rounds of runs and a Nelder-Mead polish, keeping only
*sound* end points (where the elimination is not at its rounding), and
polishes again on the refined evaluation where that differs.
:func:`degenerate` and :func:`unbounded` are the refusals of fits with no
maximum-likelihood estimate to report (``docs/differences.md``, P8). Why
each constant has its value: ``docs/internals.md``, "The optimisation
strategy".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from hlm_py.errors import ConvergenceError, NonFiniteError
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.design import LmeDesign
from hlm_py.lme.optimize import OptimResult, polish_simplex
from hlm_py.lme.refine import Refinement
from hlm_py.lme.runs import deviance_noise, newton_in_theta, optimise_runs

__all__ = ["QR_MAX_NEWTON", "refit_qr", "degenerate", "unbounded"]

#: Newton iterations per run on the QR elimination (the simplex polish that
#: follows does the rest in narrow valleys)
QR_MAX_NEWTON = 10
#: An end point is sound where the elimination's deviance moves by at most
#: this (relative) under the perturbations of :func:`deviance_noise` ...
QR_SOUND = 1e-6
#: ... and where the refined deviance is within this (absolute, or
#: ``QR_SOUND`` relative) of the elimination's own
QR_REFINED_SOUND = 1e-3
#: Rounds of (runs from the best point, then a simplex polish), while a round
#: gains more than ``QR_ROUND_GAIN`` relative
QR_ROUNDS = 4
QR_ROUND_GAIN = 1e-10
#: The end point is polished again on the refined criterion where that
#: differs from the elimination's by more than this (relative)
QR_REFINE_GAP = 1e-12
#: A polish that does not converge has reached a finite supremum toward a
#: residual SD of 0 (P8) where the deviance changes by at most this (relative
#: to ``max(1, |deviance|)``) as the relative variances grow 100- and
#: 10000-fold
P8_RAY_FLAT = 1e-9
#: The point on the unbounded ray that :func:`unbounded` reports: nlme's
#: start with every relative variance this many times larger
UNBOUNDED_WITNESS_SCALE = 1e20


def flat_toward_zero_sigma(deviance: Callable[[np.ndarray], float], lik: ProfiledLikelihood,
                            theta: np.ndarray, dev: float) -> bool:
    """Whether ``deviance`` stays within ``P8_RAY_FLAT`` of ``dev`` (its
    value at ``theta``) as every relative variance grows 100- and
    10000-fold."""
    tol = P8_RAY_FLAT * max(1.0, abs(dev))
    psis = lik.psis(theta)
    for factor in (1e2, 1e4):
        try:
            far = lik.theta_from_psi([factor * np.asarray(m, dtype=float) for m in psis])
        except np.linalg.LinAlgError:  # a singular Psi: no such parameters
            return False
        d = deviance(far)
        if not (np.isfinite(d) and abs(d - dev) <= tol):
            return False
    return True


def refit_qr(lik: ProfiledLikelihood, theta0: np.ndarray, opt: OptimResult | None,
              max_iter: int, max_newton: int, refinement: Refinement | None = None
              ) -> OptimResult:
    """The fit on the QR elimination ``lik``.

    A round runs the optimiser in both parametrisations (with their
    boundary faces) from each start, keeps the best *sound* end point and
    polishes it by Nelder-Mead in nlme's parameters (such optima can lie in
    valleys far narrower than long, where Newton's steps are cut to nothing
    short of the optimum). The first round starts from the cross-product
    fit's end point (``opt``, where it is finite) and from nlme's start; each
    further round from the last round's point, while a round gains.

    An end point is sound where the elimination is not at its rounding noise
    (a variance 1e30 times sigma^2 and more, where the likelihood is flat
    and a search meets only rounding); an unsound point is a candidate only
    if no other is, and the polish stops short of such points."""
    def sound(theta: np.ndarray, dev: float) -> bool:
        scale = max(1.0, abs(dev))
        if not deviance_noise(lik, theta) <= QR_SOUND * scale:
            return False
        # (the noise can be small by chance where the elimination is off by
        # hundreds: the refined value, which corrects its rounding, says so)
        return refinement is None or \
            abs(refinement.deviance(theta) - dev) <= max(QR_SOUND * scale, QR_REFINED_SOUND)

    starts = [theta0]
    if opt is not None and np.isfinite(opt.deviance):
        starts.insert(0, opt.theta)
    iterations = opt.iterations if opt else 0
    evaluations = opt.evaluations if opt else 0
    best: OptimResult | None = None
    for round_ in range(QR_ROUNDS):
        results: list[OptimResult] = [best] if best is not None else []
        for i, t0 in enumerate(starts):
            try:
                runs = optimise_runs(lik, t0, max_iter, max_newton, every_mode=True,
                                      unit_start=round_ == 0 and i == 0)
            except NonFiniteError:
                continue
            iterations += sum(r.iterations for r in runs)
            evaluations += sum(r.evaluations for r in runs)
            results += runs
        if not results:
            raise NonFiniteError("lme: the log-likelihood is not finite at the starting values")
        pool = [r for r in results if sound(r.theta, r.deviance)] or results
        previous = best
        best = min(pool, key=lambda r: r.deviance)
        theta, dev, n_eval, converged = polish_simplex(lik.deviance, best.theta, sound=sound)
        evaluations += n_eval
        if dev < best.deviance:
            best = replace(best, theta=theta, deviance=dev)
        best.converged = converged
        if previous is not None and \
                previous.deviance - best.deviance <= QR_ROUND_GAIN * max(1.0, abs(best.deviance)):
            break
        starts = [best.theta]
    assert best is not None
    if not sound(best.theta, best.deviance):
        # every search went where the elimination no longer evaluates the
        # likelihood (difference P8); a Newton step from there can land on a
        # point that looks sound and is worse than any the searches met
        best.iterations, best.evaluations = iterations, evaluations
        best.sound = False
        best.message = "the searches on the QR elimination ended where it is at its rounding"
        return best
    polished = newton_in_theta(lik, best, max_newton)
    evaluations += polished.evaluations - best.evaluations
    if sound(polished.theta, polished.deviance):
        best = polished
    if refinement is not None and best.converged:
        # where the elimination's own value is off the refined one, the
        # optimum is located on the refined criterion
        d_ref = refinement.deviance(best.theta)
        if abs(d_ref - best.deviance) > QR_REFINE_GAP * max(1.0, abs(d_ref)):
            theta, dev, n_eval, converged = polish_simplex(refinement.deviance, best.theta,
                                                           sound=sound)
            evaluations += n_eval
            best = replace(best, theta=theta, deviance=dev, converged=converged)
    best.iterations, best.evaluations = iterations, evaluations
    best.sound = sound(best.theta, best.deviance)
    best.message = ("converged (Nelder-Mead polish on the QR elimination)" if best.converged
                    else "the Nelder-Mead polish on the QR elimination did not converge")
    if not best.converged and best.sound and flat_toward_zero_sigma(
            refinement.deviance if refinement is not None else lik.deviance, lik, best.theta,
            best.deviance):
        # the polish followed a ray toward a residual SD of 0 along which the
        # likelihood has reached its limit (P8's finite supremum)
        best.converged = True
        best.message = ("converged toward a finite supremum at a residual SD of 0 (the "
                        "log-likelihood no longer changes as the variances grow)")
    return best


def degenerate(lik: ProfiledLikelihood, opt: OptimResult) -> ConvergenceError:
    """The error of a fit that ends where not even the QR elimination evaluates
    the likelihood: a relative variance so large that the residual SD is at
    the rounding of the data (difference P8). It carries ``psi`` (relative,
    outer to inner) and ``loglik`` there (unreliable: rounding)."""
    psi = lik.psis(opt.theta)
    largest = max(float(np.linalg.eigvalsh(m).max()) for m in psi)
    exc = ConvergenceError(
        "the log-likelihood grows toward a residual standard deviation of 0, where double "
        f"precision no longer evaluates it (a random-effects variance of {largest:.1e} times "
        "sigma^2): the random effects reproduce the data, and the model has no maximum-"
        "likelihood estimate to report (nlme may stop at a local optimum; "
        "docs/differences.md, P8)")
    exc.degenerate = True
    exc.psi = psi
    exc.loglik = -0.5 * opt.deviance
    return exc


def unbounded(design: LmeDesign, theta0: np.ndarray) -> ConvergenceError:
    """The refusal of an ML fit whose likelihood is unbounded by the design
    (:mod:`hlm_py.lme.span`), made before any search so that it cannot depend
    on the search's path. Like :func:`degenerate`'s error it carries ``psi``
    (relative, outer to inner) and ``loglik``: a point on the ray from nlme's
    start (``UNBOUNDED_WITNESS_SCALE`` times its relative variances), its
    logLik evaluated on the refined QR elimination."""
    lik = design.qr_criterion()
    span = design.span
    psi = [UNBOUNDED_WITNESS_SCALE * np.asarray(m, dtype=float) for m in lik.psis(theta0)]
    with np.errstate(all="ignore"):
        theta = lik.theta_from_psi(psi)
        dev = design.refinement(lik).deviance(theta)
    exc = ConvergenceError(
        "the log-likelihood grows without bound toward a residual standard deviation of 0: "
        f"the fixed and random effects together reproduce the data (rank [X, Z] = "
        f"{span.rank_xz} = the number of observations, rank Z = {span.rank_z}), so the model "
        "has no maximum-likelihood estimate to report (nlme may stop at a local optimum; "
        "docs/differences.md, P8)")
    exc.degenerate = True
    exc.psi = psi
    exc.loglik = -0.5 * dev
    return exc

