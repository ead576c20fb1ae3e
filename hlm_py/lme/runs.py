"""The optimiser's runs on one evaluator of the lme criterion.

A run is :func:`hlm_py.lme.optimize.maximize_profiled` in one of the
criterion's work parametrisations (the precision factor, nlme's choice, or
the covariance factor, smooth at a singular Psi) from one or more starts;
:func:`optimise` keeps the best converged end point, restarts once from
larger variances where that point lies at a boundary, and ends with Newton
in nlme's own parameters. :func:`deviance_noise` measures the criterion's
rounding at a point, which the strategy (:mod:`hlm_py.lme.strategy`) reads
to decide between the evaluators. Why each constant has its value:
``docs/internals.md``, "The optimisation strategy".
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np

from hlm_py.errors import NonFiniteError
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.optimize import OptimResult, maximize_profiled, newton_polish

__all__ = ["deviance_noise", "noise_bound", "optimise", "optimise_runs", "at_a_boundary"]


LOGLIK_NOISE_ABS = 1e-8
LOGLIK_NOISE_REL = 1e-14


def noise_bound(deviance: float) -> float:
    return LOGLIK_NOISE_ABS + LOGLIK_NOISE_REL * abs(deviance)


def deviance_noise(lik: ProfiledLikelihood, theta: np.ndarray) -> float:
    """How much the deviance moves under perturbations of theta far below
    any real change: its rounding noise at ``theta``."""
    d0 = lik.deviance(theta)
    if not np.isfinite(d0) or theta.size == 0:
        return 0.0
    sign = np.where(np.arange(theta.size) % 2, 1.0, -1.0)
    step = 1e-13 * np.maximum(1.0, np.abs(theta)) * sign
    return max(abs(lik.deviance(theta + s * step) - d0) for s in (1.0, -1.0))


#: Newton iterations per run on the QR elimination: in the narrow valleys of


def optimise_runs(lik: ProfiledLikelihood, theta0: np.ndarray, max_iter: int,
                   max_newton: int, every_mode: bool = False,
                   unit_start: bool = True) -> list[OptimResult]:
    """The optimiser's runs from ``theta0`` (and, with ``unit_start``, from
    unit relative variances in the work coordinates): in the precision
    parametrisation, then (where that stops at a boundary or does not
    converge, or always with ``every_mode``) in the covariance one, started
    also from the first run's end point. Each result's ``theta`` and
    ``deviance`` are in nlme's parameters."""
    bnd = lik.work_boundary()
    results: list[OptimResult] = []
    for mode in ("precision", "covariance"):
        starts = [lik.work_from_theta(theta0, mode)]
        if results:
            starts.insert(0, lik.work_from_theta(results[0].theta, mode))
        if unit_start:
            starts.append(np.zeros_like(starts[0]))
        try:
            r = maximize_profiled(partial(lik.work_deviance_and_gradient, mode=mode), starts[0],
                                  max_iter=max_iter, max_newton=max_newton, starts=starts[1:],
                                  boundary=bnd)
        except FloatingPointError as exc:
            if results:
                break
            raise NonFiniteError(f"lme: {exc}") from exc
        r.theta = lik.theta_from_work(r.theta, mode)
        r.deviance = lik.deviance(r.theta)
        results.append(r)
        if all(c.n_params(q) == 1 for c, q in zip(lik.pd, lik.q)):
            break  # one parameter per level: both parametrisations are the same
        if r.converged and "boundary" not in r.message and not every_mode:
            break
    return results


def optimise(lik: ProfiledLikelihood, theta0: np.ndarray, max_iter: int,
              max_newton: int) -> OptimResult:
    """The best converged end point of :func:`optimise_runs` (the best of
    all where none converged), with the runs' counts, then Newton in nlme's
    parameters (:func:`newton_in_theta`)."""
    results = optimise_runs(lik, theta0, max_iter, max_newton)
    conv = [r for r in results if r.converged] or results
    best = min(conv, key=lambda r: r.deviance)
    if np.isfinite(best.deviance) and at_a_boundary(lik, best.theta):
        # a boundary end point can be a local optimum whose basin holds
        # nlme's start, where nlme reaches an interior one: start higher too
        more = optimise_runs(lik, larger_variances(lik, theta0), max_iter, max_newton,
                              unit_start=False)
        results += more
        conv = [r for r in results if r.converged] or results
        best = min(conv, key=lambda r: r.deviance)
    best.iterations = sum(r.iterations for r in results)
    best.evaluations = sum(r.evaluations for r in results)
    return newton_in_theta(lik, best, max_newton) if np.isfinite(best.deviance) else best


#: A level whose relative Psi has an eigenvalue below this fraction of its
#: largest is at a boundary (a variance of 0 or a correlation of +-1)
BOUNDARY_EIGEN_RATIO = 1e-6
#: The restart of a fit that ends at a boundary raises the work coordinates'
#: log scales by this (variances e^4, about 55, times larger)
LARGER_START_SHIFT = 2.0


def at_a_boundary(lik: ProfiledLikelihood, theta: np.ndarray) -> bool:
    """Whether some level's relative Psi is singular to ``BOUNDARY_EIGEN_RATIO``."""
    for m in lik.psis(theta):
        w = np.linalg.eigvalsh(0.5 * (m + m.T))
        if not np.all(np.isfinite(w)) or w[0] < BOUNDARY_EIGEN_RATIO * max(float(w[-1]), 1e-300):
            return True
    return False


def larger_variances(lik: ProfiledLikelihood, theta0: np.ndarray) -> np.ndarray:
    """``theta0`` with the work coordinates' log scales raised by ``LARGER_START_SHIFT``."""
    w = lik.work_from_theta(theta0, "precision")
    w[lik.work_boundary()] += LARGER_START_SHIFT
    return lik.theta_from_work(w, "precision")


#: Newton iterations of the last run, in nlme's parameters
THETA_NEWTON = 10
#: A step of that run that changes the criterion by less than this many times
#: its measured noise is judged by the gradient
THETA_NEWTON_NOISE = 4.0


def newton_in_theta(lik: ProfiledLikelihood, opt: OptimResult, max_newton: int) -> OptimResult:
    """A last Newton run from ``opt``'s end point in nlme's own parameters
    ``theta`` (log scales already at their boundary held): near a singular
    ``Psi`` the work coordinates are far worse conditioned than ``theta``,
    and the searches can stop where the likelihood is flat but the estimates
    are not. Steps are judged by the gradient where the criterion changes by
    less than its rounding (``THETA_NEWTON_NOISE`` times
    :func:`deviance_noise`, at most :func:`noise_bound`); never worse than
    ``opt`` beyond that."""
    noise = THETA_NEWTON_NOISE * deviance_noise(lik, opt.theta)
    noise = min(noise, noise_bound(opt.deviance)) if np.isfinite(noise) else 0.0
    theta, dev, n_eval = newton_polish(lik.deviance_and_gradient, opt.theta,
                                       lik.theta_log_scales(), min(max_newton, THETA_NEWTON),
                                       noise)
    return replace(opt, theta=theta, deviance=dev, evaluations=opt.evaluations + n_eval)

