"""The optimisation of an lme fit with a variance function or a correlation
structure (nlme's ``lmeStruct`` with ``corStruct`` / ``varStruct``).

The structures' parameters ``phi`` change the whitening of the rows, so the
one-pass reduction is made again at each ``phi`` (``LmeDesign.at``). The
reStruct's parameters ``theta`` are profiled: the criterion in ``phi`` is
the minimum over ``theta`` of the whitened design's criterion (warm-started
runs of :mod:`hlm_py.lme.runs`, with their exact gradient), minimised by
:func:`hlm_py.linalg.minimise.minimise`. At the end point the full strategy
of :mod:`hlm_py.lme.strategy` (nlme's EM start, the QR refit where needed)
fits ``theta`` again; where it finds a lower criterion the search in ``phi``
goes on from there. A variance function on ``fitted(.)`` adds nlme's outer
loop (optimise, update the covariate from the innermost fitted values).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hlm_py.errors import ConvergenceError, HlmError
from hlm_py.linalg.minimise import MinimiseResult, minimise
from hlm_py.lme.control import LmeControl
from hlm_py.lme.design import LmeDesign
from hlm_py.lme.runs import optimise as optimise_runs
from hlm_py.lme.strategy import Optimum, optimise

__all__ = ["StructuredOptimum", "optimise_structured", "OUTER_TOL", "CONFIRM_GAIN"]

#: relative change of the parameters that ends the ``fitted(.)`` outer loop
OUTER_TOL = 1e-10
#: a criterion lower by more than this at the full strategy's theta restarts
#: the search in phi
CONFIRM_GAIN = 1e-7
#: rounds of (search in phi, full strategy in theta)
ROUNDS = 4


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


def _profile(design: LmeDesign, control: LmeControl, theta0: np.ndarray
             ) -> tuple[Callable[[np.ndarray], float], list[np.ndarray]]:
    """The criterion in phi, theta profiled from a warm start (kept in the
    returned list, updated at every finite evaluation)."""
    warm = [theta0.copy()]
    max_iter = control.max_iter
    max_newton = control.max_newton

    def D(phi: np.ndarray) -> float:
        try:
            w = design.at(phi)
        except (FloatingPointError, np.linalg.LinAlgError, ValueError, HlmError):
            return math.inf
        with np.errstate(all="ignore"):
            try:
                r = optimise_runs(w.criterion, warm[0], max_iter, max_newton)
            except (FloatingPointError, HlmError):
                return math.inf
        if not math.isfinite(r.deviance):
            return math.inf
        warm[0] = r.theta
        return float(r.deviance) - 2.0 * w.struct_ll

    return D, warm


def _fit_at(design: LmeDesign, phi: np.ndarray, control: LmeControl
            ) -> tuple[LmeDesign, Optimum, float]:
    w = design.at(phi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimise(w, control)
    return w, opt, float(opt.result.deviance) - 2.0 * w.struct_ll


def _search(design: LmeDesign, control: LmeControl, phi0: np.ndarray | None = None
            ) -> StructuredOptimum:
    phi = design.struct_start() if phi0 is None else phi0
    try:
        w, opt, dev = _fit_at(design, phi, control)
    except FloatingPointError as exc:
        raise HlmError("lme: the structures' starting values give a non-finite "
                       f"likelihood ({exc})") from exc
    res: MinimiseResult | None = None
    if phi.size == 0:
        return StructuredOptimum(design, phi, w, opt, None, 0)
    for _ in range(ROUNDS):
        D, _warm = _profile(design, control, opt.result.theta)
        res = minimise(D, phi, max_iter=max(control.max_iter, 50))
        if not res.converged:
            msg = (f"lme: the search in the structures' parameters did not converge "
                   f"({res.iterations} iterations: {res.message})")
            if not control.returnObject:
                raise ConvergenceError(msg)
            warnings.warn(msg, stacklevel=4)
        w2, opt2, dev2 = _fit_at(design, res.x, control)
        improved = dev2 < dev - CONFIRM_GAIN
        phi, w, opt, dev = res.x, w2, opt2, dev2
        if not improved or dev2 >= res.fun - CONFIRM_GAIN:
            break
    return StructuredOptimum(design, phi, w, opt, res, 0)


def optimise_structured(design: LmeDesign, control: LmeControl,
                        fitted: Callable[[StructuredOptimum], np.ndarray]) -> StructuredOptimum:
    """Fit a structured design (module docstring). ``fitted`` gives the
    innermost fitted values of an optimum (for a ``fitted(.)`` covariate)."""
    needs = design.var is not None and design.var.needs_update
    if needs:
        # nlme's Initialize: the fit at the starting values (unit weights:
        # the covariate is not known yet), then the update
        phi0 = design.struct_start()
        w, opt, _ = _fit_at(design, phi0, control)
        first = StructuredOptimum(design, phi0, w, opt, None, 0)
        design = design.with_var(design.var.update(fitted(first)))  # type: ignore[union-attr]
    out = _search(design, control)
    outer = 0
    while needs:
        outer += 1
        old = np.r_[out.optimum.result.theta, out.phi]
        design = design.with_var(design.var.update(fitted(out)))  # type: ignore[union-attr]
        nxt = _search(design, control, out.phi)
        new = np.r_[nxt.optimum.result.theta, nxt.phi]
        den = np.where(new == 0, 1.0, new)
        change = float(np.max(np.abs((old - new) / den))) if new.size else 0.0
        out = nxt
        if change <= OUTER_TOL:
            break
        if outer > max(control.maxIter or 50, 200):
            raise ConvergenceError("maximum number of iterations (lmeControl(maxIter)) reached "
                                   "without convergence")
    out.outer = outer
    return out
