"""Minimising a smooth criterion of a few parameters without its gradient.

nlme optimises the variance and correlation parameters of gls (and of lme's
structures) with ``nlminb`` on finite differences, stopping at its relative
tolerance. :func:`minimise` goes on to the optimum itself: quasi-Newton
(BFGS) on central differences, restarted from where it stops until a restart
gains nothing, so the result does not depend on where the first run gave up.
The criterion may return ``inf`` outside the parameter space (a singular
whitened model matrix); the line search then steps back.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["MinimiseResult", "minimise", "central_gradient"]

#: relative step of the central differences: eps^(1/3), the step that
#: balances truncation (h^2) and rounding (eps / h)
STEP = float(np.finfo(float).eps ** (1 / 3))
#: restarts of BFGS after the first run (each resets its Hessian estimate)
RESTARTS = 3
#: a restart that lowers the criterion by less than this (absolute, on a
#: -2 log-likelihood) ends the search
GAIN_TOL = 1e-9


@dataclass
class MinimiseResult:
    """Where :func:`minimise` stopped: ``x``, ``fun``, ``grad`` (central
    differences), ``iterations`` (BFGS iterations over all runs),
    ``evaluations``, ``converged`` and ``message``."""

    x: np.ndarray
    fun: float
    grad: np.ndarray
    iterations: int
    evaluations: int
    converged: bool
    message: str


def central_gradient(fun: Callable[[np.ndarray], float], x: np.ndarray,
                     step: float = STEP) -> np.ndarray:
    """The gradient of ``fun`` at ``x`` by central differences (steps
    ``step * max(|x_i|, 0.1)``)."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        h = step * max(abs(x[i]), 0.1)
        e = np.zeros_like(x)
        e[i] = h
        fp, fm = fun(x + e), fun(x - e)
        if math.isfinite(fp) and math.isfinite(fm):
            g[i] = (fp - fm) / (2 * h)
        elif math.isfinite(fm):
            g[i] = (fun(x) - fm) / h
        elif math.isfinite(fp):
            g[i] = (fp - fun(x)) / h
        else:
            g[i] = 0.0
    return g


def minimise(fun: Callable[[np.ndarray], float], x0: np.ndarray, max_iter: int = 200,
             gtol: float = 1e-7,
             grad: Callable[[np.ndarray], np.ndarray] | None = None) -> MinimiseResult:
    """Minimise ``fun`` from ``x0`` (module docstring). ``max_iter`` bounds
    the BFGS iterations of each run; ``gtol`` the gradient's max norm;
    ``grad`` the gradient of ``fun`` where it is known (else central
    differences)."""
    x = np.asarray(x0, dtype=float).copy()
    count = [0]

    def f(z: np.ndarray) -> float:
        count[0] += 1
        v = float(fun(z))
        return v if not math.isnan(v) else math.inf

    def jac(z: np.ndarray) -> np.ndarray:
        if grad is not None:
            return np.asarray(grad(z), dtype=float)
        return central_gradient(f, z)

    fx = f(x)
    if not math.isfinite(fx):
        return MinimiseResult(x, fx, np.full(x.size, np.nan), 0, count[0], False,
                              "the criterion is not finite at the starting values")
    if x.size == 0:
        return MinimiseResult(x, fx, x.copy(), 0, count[0], True, "no parameters")
    iters = 0
    converged = False
    message = ""
    for run in range(RESTARTS + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = optimize.minimize(f, x, jac=jac, method="BFGS",
                                    options={"maxiter": max_iter, "gtol": gtol})
        iters += int(res.nit)
        gain = fx - float(res.fun)
        if float(res.fun) <= fx:
            x, fx = np.asarray(res.x, dtype=float), float(res.fun)
        message = str(res.message)
        converged = bool(res.success) or gain < GAIN_TOL
        if run > 0 and gain < GAIN_TOL:
            break
        if res.nit >= max_iter:
            converged = False
            break
    g = jac(x)
    return MinimiseResult(x, fx, g, iters, count[0], converged, message)
