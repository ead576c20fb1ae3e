"""Comparisons with tolerances that say why they are what they are.

Tolerances
----------
Two backward-stable least-squares solvers (R's LINPACK ``dqrdc2`` and
hlm_py's) that round differently can differ, by Wedin's perturbation bound
for least squares, by about ``eps * (kappa + kappa**2 * tan(theta))``
relative to the coefficients (scaled by their columns' norms), where
``kappa`` is the condition number of the column-equilibrated model matrix
(Householder QR's backward error is column-wise, so column scaling does not
count) and ``tan(theta) = ||residuals|| / ||fitted||``. Fitted values and
residuals differ by about ``eps * kappa`` relative to ``||y||``.

For well-conditioned draws that bound is far below ``1e-10``, the tolerance
of the brief (relative, with an absolute floor of ``1e-12`` *in the
quantity's own units*, e.g. ``||y|| / ||x_j||`` for coefficient ``j``, so that
a response of scale 1e-8 or 1e8 is judged alike). For ill-conditioned draws
(nearly collinear columns) the tolerance is ``max(1e-10, 100 * bound)``:
a factor 100 of slack over the first-order bound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

EPS = np.finfo(float).eps
RTOL = 1e-10
ATOL_REL = 1e-12


#: difference P7 (docs/differences.md): an lme fit on the QR elimination
#: (``fit.qr_elimination``: a random slope on a covariate spanning many orders
#: of magnitude within groups) whose response varies more than this many times
#: its residual SD ...
P7_SIGNAL_TO_NOISE = 1e5
#: ... has a log-likelihood that one elimination in double precision
#: evaluates only to about ``n eps max|y| / sigma`` (:func:`p7_rounding`), as
#: nlme does (measured: nlme's logLik off the exact value at its own estimates
#: by up to 2.3e-6). hlm_py refines its value (``hlm_py.lme.refine``) and is
#: held to this of the exact (50-digit) value, relative to ``max(1, |logLik|)``
#: (measured: 3e-12 absolute where one elimination was off by 4.4e-6, and
#: 9e-12 where it was off by 3.7e-6 in ``log det V``: ``hlm_py.lme.logdet_dd``)
P7_LOGLIK_RTOL = 1e-9


def lme_p7_class(fit) -> bool:
    """Whether ``fit`` is of P7's class (see ``P7_LOGLIK_RTOL``): there nlme's
    logLik is at its rounding, and comparisons with it are decided by
    :func:`exact_fit_loglik`."""
    y = np.asarray(fit.y, dtype=float)
    return bool(fit.qr_elimination) and float(np.std(y)) > P7_SIGNAL_TO_NOISE * fit.sigma()


def p7_rounding(fit) -> float:
    """``n eps max|y| / sigma``: the size of a single double-precision
    elimination's error in the logLik of such a fit (nlme's)."""
    y = np.asarray(fit.y, dtype=float)
    return float(y.size * np.finfo(float).eps * np.max(np.abs(y)) / fit.sigma())


def assert_exact_loglik(fit) -> float:
    """Assert that ``fit``'s logLik is its exact value to ``P7_LOGLIK_RTOL``;
    return the exact value."""
    ll, ex = float(fit.logLik()), exact_fit_loglik(fit)
    assert abs(ll - ex) <= P7_LOGLIK_RTOL * max(1.0, abs(ex)), (
        f"hlm_py's logLik {ll!r} is off its exact value {ex!r} by {ll - ex:.3g}")
    return ex


def exact_fit_loglik(fit, psis=None) -> float:
    """:func:`exact_lme_loglik` of an lme fit's data at relative ``psis``
    (outer to inner). By default at the fit's own estimates, from the factors
    its likelihood uses (``Psi = Lambda Lambda'`` formed in many digits): at a
    singular ``Psi`` the double ``Psi`` is not singular (measured: its
    rounding moved the exact logLik of a correlation of -1 by 9e-4)."""
    if psis is None:
        mats, roots = fit.likelihood.roots(fit.theta_opt), True
    else:
        mats, roots = psis, False
    blocks = [(fit.Z[li], np.asarray(fit.grouping.codes[li]), mats[li]) for li in range(len(mats))]
    return exact_lme_loglik(fit.X, fit.y, blocks, fit.REML, roots=roots)


def fixef_at(fit, psis) -> np.ndarray:
    """The fixed effects of ``fit``'s data at relative ``psis`` (outer to
    inner): the conditional estimates, refined where the fit was made on the
    QR elimination (``hlm_py.lme.refine``)."""
    from hlm_py.lme.refine import Refinement

    lik = fit.likelihood
    theta = lik.theta_from_psi([np.asarray(m, dtype=float) for m in psis])
    if fit.qr_elimination:
        g = fit.grouping
        est = Refinement(lik, fit.X, fit.y, fit.Z, g.codes, g.parents, g.n_groups).estimates(theta)
    else:
        est = lik.estimates(theta)
    return np.asarray(est.beta, dtype=float)


def lme_residual_sd_unidentified(fit) -> bool:
    """Difference P8: the fit's log-likelihood changes by less than 1e-7 when
    every relative variance is multiplied by 100 (the residual SD moved
    tenfold toward 0): the supremum lies at a residual SD of 0, the estimates
    along that flat direction are not determined, and only the logLik is
    compared."""
    lik = fit.likelihood
    try:
        theta = lik.theta_from_psi([100.0 * np.asarray(m, dtype=float) for m in fit.psi])
    except np.linalg.LinAlgError:  # a singular Psi: no such parameters
        return False
    return bool(abs(lik.deviance(theta) - lik.deviance(fit.theta_opt)) < 2e-7)


def equilibrated_cond(X: np.ndarray) -> float:
    """2-norm condition number of ``X`` with unit-norm columns (zero columns dropped)."""
    X = np.asarray(X, dtype=float)
    if X.size == 0:
        return 1.0
    norms = np.linalg.norm(X, axis=0)
    keep = norms > 0
    if not keep.any():
        return 1.0
    Xs = X[:, keep] / norms[keep]
    s = np.linalg.svd(Xs, compute_uv=False)
    if s[-1] == 0:
        return np.inf
    return float(s[0] / s[-1])


def ls_tolerance(kappa: float, tan_theta: float = 0.0) -> float:
    """Relative tolerance for coefficient-like quantities (see the module doc)."""
    bound = EPS * (kappa + kappa**2 * tan_theta)
    return max(RTOL, 100.0 * bound)


def fit_tolerance(kappa: float) -> float:
    """Relative tolerance (to ``||y||``) for fitted values and residuals."""
    return max(RTOL, 100.0 * EPS * kappa)


def close(a: np.ndarray | Sequence[float], b: np.ndarray | Sequence[float], *, rtol: float = RTOL,
          atol: float | np.ndarray = 0.0) -> np.ndarray:
    """Elementwise: equal NaN pattern and ``|a - b| <= rtol*|b| + atol``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    with np.errstate(invalid="ignore"):
        ok = np.abs(a - b) <= rtol * np.abs(b) + atol
    return ok | both_nan | same_inf


def assert_close(what: str, a, b, *, rtol: float = RTOL, atol: float | np.ndarray = 0.0,
                 names: Sequence[str] | None = None) -> None:
    """Raise AssertionError listing every element out of tolerance."""
    a_arr = np.asarray(a, dtype=float).ravel()
    b_arr = np.asarray(b, dtype=float).ravel()
    assert a_arr.shape == b_arr.shape, f"{what}: shapes differ: {a_arr.shape} vs {b_arr.shape}"
    atol_in = np.asarray(atol, dtype=float)
    atol_arr = atol_in.ravel() if atol_in.size == a_arr.size else np.broadcast_to(atol_in, a_arr.shape)
    ok = close(a_arr, b_arr, rtol=rtol, atol=atol_arr)
    if ok.all():
        return
    lines = [f"{what}: {int((~ok).sum())} of {ok.size} values differ "
             f"(rtol={rtol:.3g}, atol up to {float(np.max(atol_arr)) if atol_arr.size else 0:.3g})"]
    for i in np.flatnonzero(~ok)[:12]:
        label = names[i] if names is not None and i < len(names) else str(i)
        lines.append(f"  {label}: python={a_arr[i]!r}  reference={b_arr[i]!r}  "
                     f"diff={a_arr[i] - b_arr[i]!r}")
    raise AssertionError("\n".join(lines))


def as_float_series(s: pd.Series | np.ndarray | Sequence[float]) -> np.ndarray:
    return np.asarray(s, dtype=float)


def split_top(name: str, sep: str = ":") -> list[str]:
    """Split a column or term name at top-level separators (not inside (), `` or "")."""
    parts, depth, cur, quote = [], 0, [], None
    for ch in name:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "`\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def exact_lme_loglik(X: np.ndarray, y: np.ndarray,
                     blocks: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
                     reml: bool, dps: int = 50, roots: bool = False) -> float:
    """The (RE)ML log-likelihood of a linear mixed model, ``beta`` and ``sigma``
    profiled out, evaluated in ``dps``-digit arithmetic (mpmath).

    ``blocks``: per random-effects level ``(Z, codes, Psi)``, ``Psi`` relative
    to ``sigma^2``: ``V = I + sum_l [codes_i == codes_j] z_i' Psi_l z_j``;
    with ``roots``, ``(Z, codes, Lambda)`` and ``Psi = Lambda Lambda'``.
    The arbiter where nlme's and hlm_py's double-precision evaluations are
    both at their rounding noise: a nearly singular fixed-effects design
    (``log det(X'V^{-1}X)`` and the residuals lose digits in proportion to its
    condition), or a response that varies 1e5 and more times its residual SD
    (difference P7). Every step, ``V`` included, is made in ``dps`` digits from
    the double inputs, with twice as many digits more as ``V``'s largest
    entries have (relative variances of 1e80 and more, difference P8, where
    ``V``'s identity would otherwise be lost). Small problems only
    (``O(n^3)`` in mpmath).
    """
    import mpmath as mp

    n, p = X.shape
    largest = max((float(np.max(np.abs(m))) ** (2 if roots else 1)
                   * float(np.max(np.asarray(Z, dtype=float) ** 2)) for Z, _, m in blocks),
                  default=0.0)
    with mp.workdps(dps + 2 * max(0, int(np.ceil(np.log10(1.0 + largest))))):
        Vm = mp.eye(n)
        for Z, codes, m in blocks:
            Zm = mp.matrix(np.asarray(Z, dtype=float).tolist())
            Mm = mp.matrix(np.asarray(m, dtype=float).tolist())
            ZP = Zm * (Mm * Mm.T if roots else Mm)
            q = Zm.cols
            for i in range(n):
                for j in range(n):
                    if codes[i] == codes[j]:
                        Vm[i, j] += mp.fsum(ZP[i, k] * Zm[j, k] for k in range(q))
        Xm = mp.matrix(np.asarray(X, dtype=float).tolist())
        ym = mp.matrix(np.asarray(y, dtype=float).tolist())
        Vi = Vm ** -1
        A = Xm.T * Vi * Xm
        beta = mp.lu_solve(A, Xm.T * Vi * ym)
        r = ym - Xm * beta
        rss = (r.T * Vi * r)[0]
        ne = n - p if reml else n
        dev = ne * (mp.log(2 * mp.pi) + 1 + mp.log(rss / ne)) + mp.log(mp.det(Vm))
        if reml:
            dev += mp.log(mp.det(A))
        return float(-dev / 2)
