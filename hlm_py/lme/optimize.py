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

__all__ = ["OptimResult", "maximize_profiled", "newton_polish", "polish_simplex"]


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
    sound        the criterion is evaluated reliably at ``theta``
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
    #: whether the criterion is evaluated reliably at ``theta`` (set where
    #: that is checked: lme's QR elimination)
    sound: bool = True


def _hessian(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray) -> np.ndarray:
    k = theta.size
    H = np.empty((k, k))
    for j in range(k):
        # an absolute step: off-diagonal factor entries can be large numbers
        # whose natural scale is not their size
        h = 1e-5
        tp = theta.copy()
        tm = theta.copy()
        tp[j] += h
        tm[j] -= h
        H[:, j] = (fg(tp)[1] - fg(tm)[1]) / (2 * h)
    return 0.5 * (H + H.T)


#: Newton iterations in a row without a change of the criterion (beyond 1e-13
#: relative) after which a small Newton decrement is taken for gradient noise
_FLAT_RUN = 5
#: ... and how small (relative to the criterion): the gain it predicts,
#: half of it, is then below 1e-9 of -2 logLik (about 1e-7 of logLik at 200)
_NOISE_DECREMENT = 1e-9

_FREEZE = -15.0  # a log scale below this: the component is at its boundary
_FLOOR = -40.0   # ... and is then moved here, where its contribution is nil


def _finite(f: Callable[[np.ndarray], float], t: np.ndarray) -> bool:
    return bool(np.isfinite(f(t)))


def _backed_off(f: Callable[[np.ndarray], float], theta: np.ndarray,
                boundary: list[int]) -> np.ndarray | None:
    """A finite start near ``theta``: its log scales moved towards small, then
    large, relative variances (nlme's moment start can be non-finite)."""
    if _finite(f, theta):
        return theta
    for shift in (-2.0, 2.0, -5.0, 5.0, -10.0, -20.0):
        t = theta.copy()
        t[boundary] += shift
        if _finite(f, t):
            return t
    return None


def _newton(fgc: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray,
            boundary: list[int], frozen: set[int], max_newton: int, noise: float = 0.0
            ) -> tuple[np.ndarray, float, np.ndarray, int, bool, str, float, list[float]]:
    """Newton iterations on the free parameters; log scales that drift below
    ``_FREEZE`` are moved to ``_FLOOR`` and frozen there (the boundary).
    ``noise``: the criterion's rounding, within which a step is judged by
    the gradient rather than by the criterion (at least 1e-13 relative)."""
    theta = theta.copy()
    f, g = fgc(theta)
    history = [f]
    scale = max(1.0, abs(f))
    flat = max(1e-13 * scale, noise)
    decrement = float("nan")
    converged = False
    message = "maximum number of Newton iterations reached"
    iters = 0
    flat_run = 0
    for _ in range(max_newton):
        iters += 1
        for j in boundary:
            if j not in frozen and theta[j] < _FREEZE:
                t = theta.copy()
                t[j] = _FLOOR
                ft, gt = fgc(t)
                if ft <= f + 1e-12 * scale:
                    theta, f, g = t, ft, gt
                frozen.add(j)
        free = np.array([j for j in range(theta.size) if j not in frozen], dtype=int)
        if free.size == 0:
            converged, message, decrement = True, "converged (all components at their boundary)", 0.0
            break
        H = _hessian(fgc, theta)[np.ix_(free, free)]
        gf = g[free]
        w, V = np.linalg.eigh(H)
        wmax = max(float(np.max(np.abs(w))), 1e-300)
        wc = np.maximum(w, 1e-10 * wmax)
        with np.errstate(over="ignore", invalid="ignore"):
            step_f = -V @ ((V.T @ gf) / wc)
        if not np.all(np.isfinite(step_f)):
            # a Hessian at its underflow (a flat criterion): steepest descent
            step_f = -gf / max(float(np.linalg.norm(gf)), 1e-300)
        decrement = float(-gf @ step_f)
        big = np.max(np.abs(step_f))
        if big > 5.0:
            step_f *= 5.0 / big
        if np.max(np.abs(step_f)) < 1e-10 or decrement < 1e-20 * scale:
            converged = True
            message = "converged (Newton step negligible)"
            break
        gnorm = float(np.linalg.norm(gf))
        accepted = False
        for direction in (step_f, -gf / max(gnorm, 1e-300)):
            alpha = 1.0
            while alpha > 1e-12:
                step = np.zeros_like(theta)
                step[free] = alpha * direction
                t_new = theta + step
                f_new, g_new = fgc(t_new)
                if f_new <= f + 1e-4 * alpha * float(gf @ direction):
                    accepted = True
                    break
                # at the optimum f changes by rounding only: let the gradient decide
                if f_new < 1e300 and abs(f_new - f) <= flat \
                        and np.linalg.norm(g_new[free]) < gnorm:
                    accepted = True
                    break
                alpha *= 0.5
            if accepted:
                break
        if not accepted:
            # no descent possible from here: we are at the optimum to rounding
            converged = decrement < 1e-10 * scale
            message = ("converged (no further decrease possible)" if converged
                       else "line search failed")
            break
        change = f - f_new
        theta, f, g = t_new, f_new, g_new
        history.append(f)
        if np.max(np.abs(step_f)) < 1e-10:
            converged = True
            message = "converged (Newton step negligible)"
            break
        if abs(change) < 1e-14 * scale and decrement < 1e-13 * scale:
            converged = True
            message = "converged (criterion flat)"
            break
        # the criterion has stopped changing while the gradient has not gone:
        # the gradient is at its rounding noise (it is accumulated from
        # cross-products, whose cancellation grows with the relative variances)
        flat_run = flat_run + 1 if abs(change) <= 1e-13 * scale else 0
        if flat_run >= _FLAT_RUN and decrement < _NOISE_DECREMENT * scale:
            converged = True
            message = "converged (criterion flat; gradient at its rounding noise)"
            break
    if converged and frozen:
        message += "; a variance component is at its boundary"
    return theta, f, g, iters, converged, message, decrement, history


def _local(fgc: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray,
           boundary: list[int], frozen: set[int], max_iter: int, max_newton: int,
           ) -> OptimResult:
    """BFGS from ``theta`` (frozen parameters held), then Newton."""
    f0, _ = fgc(theta)
    free = np.array([j for j in range(theta.size) if j not in frozen], dtype=int)
    iters = 0
    if free.size and max_iter > 0:
        base = theta.copy()

        def sub(x: np.ndarray) -> tuple[float, np.ndarray]:
            t = base.copy()
            t[free] = x
            f, g = fgc(t)
            return f, g[free]

        res = optimize.minimize(
            sub, theta[free], jac=True, method="BFGS",
            options={"gtol": 1e-4 * max(1.0, abs(f0)) ** 0.5, "maxiter": max_iter},
        )
        if np.isfinite(res.fun) and res.fun <= f0:
            theta = base.copy()
            theta[free] = res.x
        iters = int(res.nit)
    t, f, g, it, conv, msg, dec, hist = _newton(fgc, theta, boundary, frozen, max_newton)
    return OptimResult(theta=t, deviance=f, gradient=g, iterations=iters + it, evaluations=0,
                       converged=conv, message=msg, newton_decrement=dec, history=hist)


def _guarded(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], count: list[int]
             ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """``fg`` with non-finite values and singular factors mapped to a huge
    criterion and a zero gradient (which no step accepts); counts calls."""
    def fgc(t: np.ndarray) -> tuple[float, np.ndarray]:
        count[0] += 1
        try:
            f, g = fg(t)
        except np.linalg.LinAlgError:  # a numerically singular factor at t
            return 1e300, np.zeros_like(t)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(t)
        return f, g
    return fgc


def newton_polish(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray,
                  log_scales: list[int], max_newton: int, noise: float = 0.0
                  ) -> tuple[np.ndarray, float, int]:
    """Newton iterations from ``theta`` (an end point of some other search),
    with the log scales ``log_scales`` already below ``_FREEZE`` held at
    their boundary. Returns ``(theta, fg(theta)[0], evaluations)`` at the
    end, never worse than the start beyond the criterion's rounding
    (``noise``, at least 1e-13 relative): at an optimum Newton's last steps
    reduce the gradient while the criterion changes by rounding only."""
    count = [0]
    fgc = _guarded(fg, count)
    theta = np.asarray(theta, dtype=float)
    f0 = fgc(theta)[0]
    if not f0 < 1e300:  # not finite at the start: nothing to polish
        return theta, np.inf, count[0]
    frozen = {j for j in log_scales if theta[j] < _FREEZE}
    t, f, *_ = _newton(fgc, theta, list(log_scales), frozen, max_newton, noise)
    if not f <= f0 + max(1e-13 * max(1.0, abs(f0)), noise):
        return theta, f0, count[0]
    return t, f, count[0]


def maximize_profiled(
    fg: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta0: np.ndarray,
    max_iter: int = 500,
    max_newton: int = 100,
    starts: list[np.ndarray] | None = None,
    boundary: list[int] | None = None,
) -> OptimResult:
    """Minimise ``-2 logLik`` given by ``fg(theta) -> (value, gradient)``.

    ``starts``: further starting points (the best end point wins);
    ``boundary``: indices of log-scale parameters, whose variance component
    vanishes as the parameter goes to ``-inf``.  Each end point is also
    compared with the boundary faces near it: a log scale set to ``-inf``
    (in practice ``-40``) and the rest re-optimised, as nlme follows a
    component towards zero until the criterion stops improving.
    Raises ``FloatingPointError`` if no start gives a finite criterion.
    """
    count = [0]
    bnd = list(boundary or [])
    fgc = _guarded(fg, count)

    def ok(t: np.ndarray) -> bool:
        return fgc(t)[0] < 1e300

    points = []
    for s in [theta0] + list(starts or []):
        t0 = np.asarray(s, dtype=float).copy()
        t = t0 if ok(t0) else _backed_off(lambda x: fgc(x)[0] if ok(x) else np.inf, t0, bnd)
        if t is not None:
            points.append(t)
    if not points:
        raise FloatingPointError("the log-likelihood is not finite at the starting values")
    best: OptimResult | None = None
    total_iter = 0
    for t in points:
        r = _local(fgc, t, bnd, set(), max_iter, max_newton)
        total_iter += r.iterations
        if best is None or r.deviance < best.deviance - 1e-12 * max(1.0, abs(r.deviance)) \
                or (r.converged and not best.converged and r.deviance <= best.deviance + 1e-9):
            best = r
    assert best is not None
    # the boundary faces next to the best point
    improved = True
    tried: set[tuple[int, ...]] = set()
    while improved:
        improved = False
        for j in bnd:
            if best.theta[j] <= _FLOOR + 1e-9:
                continue
            t = best.theta.copy()
            t[j] = _FLOOR
            frozen = {k for k in bnd if t[k] <= _FLOOR + 1e-9}
            key = tuple(sorted(frozen))
            if key in tried:
                continue
            tried.add(key)
            f_probe = fgc(t)[0]
            if not f_probe < best.deviance + 1.0:
                continue
            r = _local(fgc, t, bnd, set(frozen), 0, max_newton)
            total_iter += r.iterations
            if r.deviance < best.deviance - 1e-12 * max(1.0, abs(best.deviance)) and r.converged:
                best = r
                improved = True
    best.iterations = total_iter
    best.evaluations = count[0]
    return best


def polish_simplex(f: Callable[[np.ndarray], float], theta0: np.ndarray,
                   max_restarts: int = 20,
                   sound: Callable[[np.ndarray, float], bool] | None = None,
                   ) -> tuple[np.ndarray, float, int, bool]:
    """Polish a minimum of ``f`` by Nelder-Mead, restarted until a restart no
    longer gains (below 1e-12 of ``|f|``).

    For likelihoods whose optimum lies in a valley far narrower than it is
    long and curved (random slopes on covariates spanning many orders of
    magnitude within groups): there the gradient methods, whose steps the
    valley's walls cut to nothing, stop short, where a simplex that contracts
    across the valley still moves along it.  ``sound(theta, f)``, if given,
    says whether ``f`` is evaluated reliably at a point: a restart that ends
    where it is not (the simplex has followed rounding, as toward an infinite
    variance where the likelihood is flat) is discarded and ends the polish,
    as converged to the precision ``f`` allows.  Returns ``(theta, f(theta),
    evaluations, converged)``, never worse than the start; converged when the
    last restart gained nothing.
    """
    count = [0]

    def fv(t: np.ndarray) -> float:
        count[0] += 1
        v = f(t)
        return v if np.isfinite(v) else 1e300

    theta = np.asarray(theta0, dtype=float).copy()
    fbest = fv(theta)
    converged = False
    for _ in range(max_restarts):
        res = optimize.minimize(fv, theta, method="Nelder-Mead",
                                options={"xatol": 1e-12, "fatol": 1e-13 * max(1.0, abs(fbest)),
                                         "maxfev": 400 * (theta.size + 1),
                                         "adaptive": theta.size > 3})
        gain = fbest - float(res.fun)
        if gain > 0 and sound is not None and not sound(np.asarray(res.x, dtype=float),
                                                        float(res.fun)):
            converged = True
            break
        if gain > 0:
            theta, fbest = np.asarray(res.x, dtype=float), float(res.fun)
        if gain <= 1e-12 * max(1.0, abs(fbest)):
            converged = True
            break
    return theta, fbest, count[0], converged
