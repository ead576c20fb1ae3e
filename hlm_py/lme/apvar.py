"""nlme's ``apVar`` and ``intervals`` of an lme fit.

:func:`apvar` is ``lmeApVar``: the numerical Hessian (``fdHess``'s design,
:func:`fd_hessian`) of the log-likelihood with beta profiled, on nlme's
natural scale of each level's ``D = sigma^2 Psi`` and ``log sigma``
(:func:`natural_loglik`), evaluated on the QR elimination.
:func:`intervals` is ``intervals.lme``: fixed effects by ``t`` quantiles with
the containment DF, variance parameters by the normal approximation on the
natural scale, mapped to SDs and correlations by each pd class
(``coef(pdMat, unconstrained = FALSE)``).

Where this differs from nlme: nlme computes ``apVar`` once, at its own
(slightly early) optimum; here it is computed on request at hlm_py's
converged optimum with the same design and step sizes (see
docs/differences.md, "lme intervals").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hlm_py.arguments import check_level
from hlm_py.errors import HlmError
from hlm_py.linalg.qt import qt
from hlm_py.linalg.threads import one_blas_thread
from hlm_py.lme.fitted import FittedLme
from hlm_py.lme.inference import level_formula_text
from hlm_py.lme.random import RandomLevel
from hlm_py.lme.results import ApVar, IntervalsLme

__all__ = ["apvar", "compute_apvar", "intervals", "natural_loglik", "natural_params", "fd_hessian",
           "central_hessian", "constrained_names"]


def constrained_names(level: RandomLevel, names: list[str]) -> list[str]:
    """nlme's names of ``coef(pdMat, unconstrained = FALSE)`` in ``intervals``."""
    return level.pd.constrained_names(list(names), level_formula_text(level)[1:])


def natural_params(fit: FittedLme, psis: list[np.ndarray] | None = None,
                   sigma: float | None = None) -> pd.Series:
    """``attr(fit$apVar, "Pars")``: natural parameters of ``sigma^2 Psi`` per level
    (innermost first) and ``lSigma``.

    At the fit's estimates, or at other relative ``psis`` (``Psi_l / sigma^2``,
    one per level, outer to inner as ``fit.psi``) and ``sigma``: another fit's
    estimates (nlme's), in the coordinates of :func:`apvar`.
    """
    psis = fit.psi if psis is None else psis
    sigma = fit.sigma() if sigma is None else float(sigma)
    s2 = sigma ** 2
    vals: list[float] = []
    names: list[str] = []
    for li in range(fit.Q - 1, -1, -1):
        lev = fit.levels[li]
        q = len(fit.random_names[li])
        vals += list(lev.pd.natural_of_matrix(s2 * np.asarray(psis[li], dtype=float)))
        names += list(lev.pd.param_names(lev.name, q))
    if fit.structured and fit.phi is not None:
        vals += list(struct_natural(fit.model, fit.phi, fit.control.natural))
        names += fit.model.struct_names
    vals.append(math.log(sigma))
    names.append("lSigma")
    return pd.Series(vals, index=pd.Index(names))


def struct_natural(design: Any, phi: np.ndarray, natural: bool) -> np.ndarray:
    """The structures' parameters as nlme's apVar takes them: a corStruct's
    ``natural`` form (corSymm's Fisher z, nlme's ``corNatural``), the rest as
    they are."""
    blocks = design.split_phi(phi)
    out = []
    for name, comp in design.components:
        b = blocks[name]
        out.append(comp.natural(b) if natural and name == "corStruct" else b)
    return np.concatenate(out) if out else np.zeros(0)


def struct_from_natural(design: Any, eta: np.ndarray, natural: bool) -> np.ndarray:
    """The inverse of :func:`struct_natural`."""
    out = []
    at = 0
    for name, comp in design.components:
        b = eta[at:at + comp.n_params]
        at += comp.n_params
        out.append(comp.from_natural(b) if natural and name == "corStruct" else b)
    return np.concatenate(out) if out else np.zeros(0)


def natural_loglik(fit: FittedLme):
    """The function nlme's ``lmeApVar`` differentiates: the (RE)ML log-likelihood
    with beta profiled, at natural parameters of ``D_l = sigma^2 Psi_l`` (innermost
    level first) and log sigma, up to nlme's constant ``-N'/2 log(2 pi)``.

    Evaluated as nlme does, on the QR elimination of the groups' rows (the
    criterion's :class:`~hlm_py.lme.criterion.QRElimination`, with sigma
    given): the fit's cross-products lose digits that ``fdHess``'s small
    steps would amplify. ``-inf`` where a ``Psi_l`` is not positive definite."""
    levels = fit.levels
    qs = [len(n) for n in fit.random_names]
    sizes = [lv.pd.n_params(q) for lv, q in zip(levels, qs)]
    k_re = sum(sizes)
    structured = fit.structured
    base = fit.model
    lik0 = (fit.whitened if structured and fit.whitened is not None else base).qr_criterion()
    const = 0.5 * lik0.n_eff * math.log(2 * math.pi)

    def f(pars: np.ndarray) -> float:
        lik = lik0
        struct_ll = 0.0
        if structured:
            phi = struct_from_natural(base, pars[k_re:-1], fit.control.natural)
            try:
                w = base.at(phi)
            except (FloatingPointError, np.linalg.LinAlgError, ValueError, HlmError):
                return -math.inf
            lik = w.qr_criterion()
            struct_ll = w.struct_ll
        sigma = math.exp(pars[-1])
        s2 = sigma * sigma
        lams: list[np.ndarray] = [np.empty(0)] * len(levels)
        pos = 0
        for li in range(len(levels) - 1, -1, -1):
            k = sizes[li]
            D = levels[li].pd.matrix_of_natural(pars[pos:pos + k], qs[li])
            pos += k
            try:
                lams[li] = np.linalg.cholesky(0.5 * (D + D.T) / s2)
            except (np.linalg.LinAlgError, ValueError):
                return -math.inf
        return -0.5 * lik.deviance_at_roots(lams, sigma) + const + struct_ll

    return f


def fd_hessian(pars: np.ndarray, fun: Callable[[np.ndarray], float], rel_step: float = np.finfo(float).eps ** (1 / 3),
               min_abs_par: float = 0.0) -> tuple[float, np.ndarray, np.ndarray]:
    """nlme's ``fdHess``: a second-order (Koschal) design around ``pars``, fitted
    exactly; returns (mean, gradient, Hessian)."""
    pars = np.asarray(pars, dtype=float)
    npar = pars.size
    incr = np.maximum(np.abs(pars), min_abs_par) * rel_step
    base = np.eye(npar)
    cols = [np.zeros((npar, 1)), base, -base]
    frac = [np.array([1.0]), incr, incr ** 2]
    for i in range(npar - 1):
        cols.append(base[:, [i]] + base[:, i + 1:])
        frac.append(incr[i] * incr[i + 1:])
    ind = np.concatenate(cols, axis=1)
    fr = np.concatenate(frac)
    shifted = pars[:, None] + incr[:, None] * ind
    indT = ind.T
    xcols = [np.ones((indT.shape[0], 1)), indT, indT ** 2]
    for i in range(npar - 1):
        xcols.append(indT[:, [i]] * indT[:, i + 1:])
    design = np.concatenate(xcols, axis=1)
    values = np.array([fun(shifted[:, k]) for k in range(shifted.shape[1])])
    try:
        coefs = np.linalg.solve(design, values) / fr
    except np.linalg.LinAlgError as exc:
        raise HlmError("Lapack routine dgesv: system is exactly singular "
                       "(a variance parameter is exactly 0 in fdHess)") from exc
    H = np.diag(coefs[1 + npar:1 + 2 * npar])
    low = [(r, c) for c in range(npar) for r in range(npar) if r > c]
    for (r, c), v in zip(low, coefs[1 + 2 * npar:]):
        H[r, c] = v
    return float(coefs[0]), coefs[1:1 + npar], H + H.T


def central_hessian(pars: np.ndarray, fun: Callable[[np.ndarray], float], rel_step: float = 1e-3,
                    min_abs_par: float = 1.0, richardson: bool = False) -> np.ndarray:
    """Hessian of ``fun`` at ``pars`` by central differences (error O(h^2) in every
    entry), ``h_i = max(|pars_i|, min_abs_par) * rel_step``; with ``richardson``
    the extrapolation ``(4 H(h/2) - H(h)) / 3`` (error O(h^4)).

    nlme's :func:`fd_hessian` design is one-sided in the cross terms (error O(h))
    and so needs steps of ``eps^(1/3)``, where rounding noise of the
    log-likelihood divided by ``h^2`` dominates. Central differences allow
    larger steps, but their O(h^2) error is not always small: a variance
    function of large covariates (``varPower`` of fitted values in the
    hundreds) curves the log-likelihood so that steps of 1e-3 are 0.5% off in
    a standard error (docs/differences.md, "lme intervals").
    """
    if richardson:
        coarse = central_hessian(pars, fun, rel_step, min_abs_par)
        fine = central_hessian(pars, fun, rel_step / 2, min_abs_par)
        return (4.0 * fine - coarse) / 3.0
    p = np.asarray(pars, dtype=float)
    n = p.size
    h = np.maximum(np.abs(p), min_abs_par) * rel_step
    f0 = fun(p)
    H = np.empty((n, n))
    plus = np.empty(n)
    minus = np.empty(n)
    for i in range(n):
        e = np.zeros(n)
        e[i] = h[i]
        plus[i], minus[i] = fun(p + e), fun(p - e)
        H[i, i] = (plus[i] - 2 * f0 + minus[i]) / (h[i] * h[i])
    for i in range(n):
        for j in range(i):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i], ej[j] = h[i], h[j]
            v = (fun(p + ei + ej) - fun(p + ei - ej) - fun(p - ei + ej) + fun(p - ei - ej))
            H[i, j] = H[j, i] = v / (4 * h[i] * h[j])
    return H


#: nlme's message when the Hessian is not negative definite
APVAR_NOT_PD = "Non-positive definite approximate variance-covariance"
#: Hessian steps (:func:`central_hessian`): ``max(|par|, APVAR_MIN_ABS_PAR) *
#: APVAR_REL_STEP``. nlme's ``fdHess`` uses ``|par| * eps^(1/3)`` (6e-6) in a design
#: whose cross terms are one-sided; the rounding noise of the log-likelihood
#: divided by the squared step makes its Hessian noisy (up to tens of percent when
#: a parameter is near 0 or the likelihood is large). See docs/differences.md,
#: "lme intervals".
APVAR_REL_STEP = 1e-3
APVAR_MIN_ABS_PAR = 1.0
#: eigenvalues of the Hessian above ``-APVAR_SINGULAR * max |eigenvalue|`` count as
#: not negative (a singular Hessian at a boundary estimate)
APVAR_SINGULAR = 1e-8


def apvar(fit: FittedLme) -> ApVar:
    """nlme's ``fit$apVar``: computed once per fit (:func:`compute_apvar`);
    :class:`HlmError` with nlme's message when it is not positive definite."""
    return fit.apVar


@one_blas_thread
def compute_apvar(fit: FittedLme) -> ApVar | HlmError:
    """nlme's ``lmeApVar(natural = TRUE)``: ``solve(-H)`` of ``fdHess``'s Hessian of
    the log-likelihood in the natural parameters, or the :class:`HlmError` with
    nlme's message when the Hessian is not negative definite.

    Differs from nlme in the differences (central, :func:`central_hessian`, with
    larger steps, :data:`APVAR_REL_STEP`, where nlme uses ``fdHess``) and in
    refusing a numerically singular Hessian (:data:`APVAR_SINGULAR`)."""
    pars = natural_params(fit)
    try:
        # (non-finite parameters or values at a boundary are checked below)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            H = central_hessian(pars.to_numpy(), natural_loglik(fit), rel_step=APVAR_REL_STEP,
                                min_abs_par=APVAR_MIN_ABS_PAR, richardson=True)
        if not np.all(np.isfinite(H)):
            raise HlmError(APVAR_NOT_PD)
        ev = np.linalg.eigvalsh(0.5 * (H + H.T))
        # nlme: all eigenvalues < 0; a numerically singular Hessian (a variance at
        # the boundary, log sd -> -inf: the likelihood is flat there) is refused too
        if not np.all(ev < -APVAR_SINGULAR * np.max(np.abs(ev))):
            raise HlmError(APVAR_NOT_PD)
        M = np.linalg.solve(-H, np.eye(H.shape[0]))
        out: ApVar | HlmError = ApVar(
            matrix=pd.DataFrame(M, index=pars.index, columns=pars.index), Pars=pars)
    except HlmError as exc:
        out = exc
    return out


def intervals(fit: FittedLme, level: float = 0.95, which: str = "all") -> IntervalsLme:
    """nlme's ``intervals.lme(object, level = 0.95, which = "all")``.

    Fixed effects: ``t`` quantiles with the containment DF; variance
    components and sigma: normal intervals on the natural scale from
    :func:`apvar`, transformed back (SDs, correlations). When ``apVar`` is not
    positive definite, raises :class:`HlmError` with nlme's message.
    """
    kinds = ("all", "var-cov", "fixed")
    match = [k for k in kinds if which and k.startswith(which)]
    if len(match) != 1:
        raise HlmError(f"'arg' should be one of \"all\", \"var-cov\", \"fixed\", not {which!r}")
    which = match[0]
    level = check_level(level)
    fixed = None
    if which != "var-cov":
        est = fit.coefficients.to_numpy(dtype=float)
        dfx = fit.fixDF.X.to_numpy()
        half = -qt((1 - level) / 2, dfx) * np.sqrt(np.diag(fit.varFix.to_numpy(dtype=float)))
        fixed = pd.DataFrame({"lower": est - half, "est.": est, "upper": est + half},
                             index=fit.coefficients.index.copy())
    re: dict[str, pd.DataFrame] | None = None
    structs: dict[str, pd.DataFrame] = {}
    sig = None
    if which != "fixed":
        try:
            av = apvar(fit)
        except HlmError as exc:
            raise HlmError(
                f"cannot get confidence intervals on var-cov components: {exc}\n"
                " Consider 'which = \"fixed\"'") from None
        pars = av.Pars.to_numpy()
        half = -stats.norm.ppf((1 - level) / 2) * np.sqrt(np.diag(av.matrix.to_numpy()))
        lo, hi = pars - half, pars + half
        sig = pd.Series(np.exp([lo[-1], pars[-1], hi[-1]]), index=["lower", "est.", "upper"])
        re = {}
        pos = 0
        chunks = {}
        for li in range(fit.Q - 1, -1, -1):
            lev = fit.levels[li]
            q = len(fit.random_names[li])
            k = lev.pd.n_params(q)
            sl = slice(pos, pos + k)
            cols = [lev.pd.constrained(v[sl], q) for v in (lo, pars, hi)]
            chunks[li] = pd.DataFrame({"lower": cols[0], "est.": cols[1], "upper": cols[2]},
                                      index=constrained_names(lev, fit.random_names[li]))
            pos += k
        for li in range(fit.Q):
            re[fit.levels[li].name] = chunks[li]
        if fit.structured:
            structs = _struct_intervals(fit, [v[pos:-1] for v in (lo, pars, hi)])
    return IntervalsLme(fixed=fixed, reStruct=re, sigma=sig, level=level,
                        corStruct=structs.get("corStruct"), varStruct=structs.get("varStruct"))


def _struct_intervals(fit: FittedLme, ends: list[np.ndarray]) -> dict[str, pd.DataFrame]:
    """The structures' intervals: each column of bounds (apVar's scale) back
    to their parameters, then to the constrained values (nlme's ``coef<-``
    then ``coef(unconstrained = FALSE)``)."""
    base = fit.model
    phis = [struct_from_natural(base, e, fit.control.natural) for e in ends]
    out: dict[str, pd.DataFrame] = {}
    for name, comp in base.components:
        if comp.n_params == 0:
            continue
        cols = [comp.coef(base.split_phi(ph)[name], unconstrained=False) for ph in phis]
        out[name] = pd.DataFrame({"lower": cols[0], "est.": cols[1], "upper": cols[2]},
                                 index=pd.Index(list(comp.constrained_names())))
    return out
