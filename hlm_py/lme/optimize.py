"""The optimiser driver of lme: quasi-Newton, then Newton to the optimum.

nlme hands ``-logLik`` to ``nlminb`` after EM iterations and stops at
``msTol``/``rel.tol``; its default stopping point can sit visibly short of
the optimum.  Here the analytic gradient of :mod:`likelihood` drives BFGS to
the neighbourhood of the optimum, then Newton steps on a Hessian obtained by
central differences of that gradient converge tightly: the run ends when the
Newton decrement ``g'H^{-1}g`` and the last step are negligible.

Near-zero variance components are the boundary: the log-Cholesky (log-SD)
parameter of such a component drifts to ``-inf`` as nlme's does; the run then
stops when the criterion no longer changes, with a tiny standard deviation,
as nlme reports.  A singular ``Psi`` (a correlation of +-1) is reached the same
way, where nlme's precision parametrisation often fails to converge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

__all__ = ["OptimResult", "maximize_profiled"]


@dataclass
class OptimResult:
    """How the optimisation went.

    theta        variance parameters at the optimum
    deviance     ``-2 logLik`` there
    gradient     its gradient there
    iterations   quasi-Newton plus Newton iterations used
    evaluations  criterion evaluations
    converged    whether the convergence test passed
    message      a sentence saying how it ended
    newton_decrement  ``g'H^{-1}g`` at the last Newton iteration
    """

    theta: np.ndarray
    deviance: float
    gradient: np.ndarray
    iterations: int
    evaluations: int
    converged: bool
    message: str
    newton_decrement: float = float("nan")
    history: list[float] = field(default_factory=list)


def _hessian(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray) -> np.ndarray:
    k = theta.size
    H = np.empty((k, k))
    for j in range(k):
        h = 1e-5 * max(1.0, abs(theta[j]))
        tp = theta.copy()
        tm = theta.copy()
        tp[j] += h
        tm[j] -= h
        H[:, j] = (fg(tp)[1] - fg(tm)[1]) / (2 * h)
    return 0.5 * (H + H.T)


def maximize_profiled(
    fg: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta0: np.ndarray,
    max_iter: int = 500,
    max_newton: int = 100,
) -> OptimResult:
    """Minimise ``-2 logLik`` given by ``fg(theta) -> (value, gradient)``."""
    count = [0]

    def fgc(t: np.ndarray) -> tuple[float, np.ndarray]:
        count[0] += 1
        f, g = fg(t)
        if not np.isfinite(f):
            return 1e300, np.zeros_like(t)
        return f, g

    theta = np.asarray(theta0, dtype=float).copy()
    f0, _ = fgc(theta)
    if f0 >= 1e300:
        raise FloatingPointError("the log-likelihood is not finite at the starting values")
    res = optimize.minimize(
        fgc, theta, jac=True, method="BFGS",
        options={"gtol": 1e-4 * max(1.0, abs(f0)) ** 0.5, "maxiter": max_iter},
    )
    theta = np.asarray(res.x, dtype=float)
    iters = int(res.nit)
    f, g = fgc(theta)
    history = [f]
    converged = False
    decrement = float("nan")
    scale = max(1.0, abs(f))
    message = "maximum number of Newton iterations reached"
    for _ in range(max_newton):
        iters += 1
        H = _hessian(fgc, theta)
        w, V = np.linalg.eigh(H)
        wmax = max(float(np.max(np.abs(w))), 1e-300)
        wc = np.maximum(w, 1e-10 * wmax)
        step = -V @ ((V.T @ g) / wc)
        decrement = float(-g @ step)
        big = np.max(np.abs(step))
        if big > 5.0:
            step *= 5.0 / big
        if np.max(np.abs(step)) < 1e-10 or decrement < 1e-20 * scale:
            converged = True
            message = "converged (Newton step negligible)"
            break
        alpha = 1.0
        accepted = False
        gnorm = float(np.linalg.norm(g))
        while alpha > 1e-12:
            t_new = theta + alpha * step
            f_new, g_new = fgc(t_new)
            if f_new <= f + 1e-4 * alpha * float(g @ step):
                accepted = True
                break
            # at the optimum f changes by rounding only: let the gradient decide
            if abs(f_new - f) <= 1e-13 * scale and np.linalg.norm(g_new) < gnorm:
                accepted = True
                break
            alpha *= 0.5
        if not accepted:
            # no descent possible from here: we are at the optimum to rounding
            converged = decrement < 1e-10 * scale
            message = ("converged (no further decrease possible)" if converged
                       else "line search failed")
            break
        change = f - f_new
        theta, f, g = t_new, f_new, g_new
        history.append(f)
        if np.max(np.abs(alpha * step)) < 1e-10:
            converged = True
            message = "converged (Newton step negligible)"
            break
        if (abs(change) < 1e-13 * scale and decrement < 1e-12 * scale
                and np.max(np.abs(theta)) > 8.0):
            # boundary: parameters drift towards infinity, the criterion is flat
            converged = True
            message = "converged (criterion flat; a variance component is at its boundary)"
            break
    return OptimResult(theta=theta, deviance=f, gradient=g, iterations=iters,
                       evaluations=count[0], converged=converged, message=message,
                       newton_decrement=decrement, history=history)
