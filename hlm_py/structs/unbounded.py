"""Where the likelihood of a structured model has no maximum.

Two structures let a set of observations take variance 0 (or a
correlation matrix turn singular) at the edge of their parameter space. If
the fixed effects can fit those observations exactly there, the ML
log-likelihood rises without bound toward that edge (the determinant term
goes to ``+inf`` while the residual sum of squares stays bounded), and no
maximum likelihood estimate exists: nlme's ``gls``/``lme`` then return
wherever their optimiser stopped (measured: four nlme controls on one data
set return logLik 6.78, 9.82 and 10.17 at ``rho`` within 1e-12 of its bound,
the logLik rising by 1/2 per unit of the unconstrained parameter), or fail
in ``apVar`` (``infinite or missing values in 'x'``).

* ``varIdent``: a stratum whose SD can go to 0 relative to the others (its
  ratio free, or it is the reference and the others' ratios are free) and
  whose rows the fixed effects fit exactly (``rank(X_s) = n_s``): the logLik
  rises as ``n_s log(1 / ratio)``.
* ``corCompSymm``: at ``rho -> -1/(M-1)`` (``M`` the largest group) the
  ``k`` groups of size ``M`` lose the variance of their means; if the fixed
  effects fit those ``k`` means exactly (``rank`` of the ``k x p`` matrix of
  the groups' column sums of ``X`` is ``k``), the logLik rises as
  ``k/2 log(1 / (rho + 1/(M-1)))``.

REML's ``-1/2 log|X' V^-1 X|`` cancels the determinant's rise in both cases
(the likelihood is bounded, flat toward the edge), so only ML is refused.

* ``corSymm``: its matrix can turn singular in any direction ``v`` over a
  set ``S`` of positions (``C v = 0`` with ``C`` a limit of correlation
  matrices: every ``|v_i| > 0`` and each below the sum of the others, or
  ``|S| = 2`` and ``|v_1| = |v_2|``; then only the ``k`` groups holding all
  of ``S`` turn singular). Their logLik rises as ``k/2 log(1/lambda)``
  (``lambda`` the vanishing eigenvalue) if the ``k`` residuals ``v'r_G``
  can stay 0: for REML too if ``v`` is orthogonal to every such group's
  (weighted) model matrix and response on ``S`` (REML loses only the
  dimensions of ``beta`` that the ``v'X_G`` pin); for ML also where the
  ``k x p`` matrix of the ``v'X_G`` has rank ``k`` (the fixed effects fit
  the ``k`` contrasts). Checked at the variance function's start (its
  weights), over every position set of a group (up to ``SYMM_MAX_POSITIONS``
  positions); ``detail["limit"]`` is a singular correlation matrix the
  likelihood rises toward along ``(1 - lambda) C_0 + lambda I``. These are
  sufficient conditions, not all: the likelihood also rises without bound
  where some ``v`` makes the ``v'X_G`` of rank below ``k`` with the
  ``v'y_G`` in their span (REML), or, for ML with ``k > p``, where some
  ``beta`` leaves the ``k`` residuals on ``S`` without full rank (measured: a
  REML ``y ~ x`` with two complete groups of 4 positions, rising 1/2 per unit
  of ``log(1/lambda)``, nlme failing with ``NA/NaN/Inf in foreign function
  call``); those are fitted, to where the search stops.

lme's likelihood tends to gls's as the random effects' SDs go to 0, so the
same conditions make it unbounded too.

Other structures' parameters do not matter: the rise holds at any of their
values. A structure fixed (``fixed = TRUE``) has no edge to go to.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from scipy import optimize

from hlm_py.errors import UnboundedLikelihoodError

__all__ = ["check_bounded", "symm_limit"]

#: corSymm's position sets are searched for groups of at most this many
#: positions (``2^m`` sets); larger ones are not checked
SYMM_MAX_POSITIONS = 12
#: relative margin of the polygon inequality and of a null direction
SYMM_MARGIN = 1e-6


def _rank(A: np.ndarray) -> int:
    if A.size == 0:
        return 0
    s = np.linalg.svd(A, compute_uv=False)
    return int(np.sum(s > s[0] * max(A.shape) * np.finfo(float).eps * 100))


def _var_ident(X: np.ndarray, var: Any, what: str) -> UnboundedLikelihoodError | None:
    if getattr(var, "r_class", None) != "varIdent" or not hasattr(var, "row_stratum"):
        return None
    names = list(var.group_names)
    free = ~np.asarray(var.which_fix, dtype=bool)  # the non-reference strata
    for s, name in enumerate(names):
        rows = np.flatnonzero(var.row_stratum == s)
        can_vanish = bool(free[s - 1]) if s > 0 else bool(free.size and free.all())
        if not can_vanish or rows.size == 0 or _rank(X[rows]) < rows.size:
            continue
        toward = "0" if s > 0 else "0 (the other strata's to infinity)"
        err = UnboundedLikelihoodError(
            f"{what}: the ML log-likelihood has no maximum: the fixed effects fit the "
            f"{rows.size} observations of varIdent's stratum '{name}' exactly, and it rises "
            f"without bound as that stratum's standard deviation ratio goes to {toward}; "
            "use method = \"REML\" or a model that does not fit the stratum exactly")
        err.component = "varStruct"
        err.detail = {"stratum": name, "reference": names[0], "n": int(rows.size)}
        return err
    return None


def _comp_symm(X: np.ndarray, cor: Any, what: str) -> UnboundedLikelihoodError | None:
    if getattr(cor, "r_class", None) != "corCompSymm" or cor.fixed:
        return None
    lay = cor._layout
    sizes = np.asarray(lay.sizes)
    M = int(sizes.max(initial=0))
    if M < 2:
        return None
    big = [g for g in np.flatnonzero(sizes == M)]
    A = np.array([X[lay.order[lay.starts[g]:lay.starts[g] + M]].sum(axis=0) for g in big])
    if _rank(A) < len(big):
        return None
    err = UnboundedLikelihoodError(
        f"{what}: the ML log-likelihood has no maximum: the fixed effects fit the means of "
        f"the {len(big)} largest correlation group(s) (size {M}) exactly, and it rises "
        f"without bound as corCompSymm's Rho goes to its lower bound -1/{M - 1}; use "
        "method = \"REML\" or a model that does not fit those means exactly")
    err.component = "corStruct"
    err.detail = {"bound": -1.0 / (M - 1), "groups": len(big), "size": M}
    return err


def _polygon_ok(v: np.ndarray) -> bool:
    """Whether a correlation matrix limit has null vector ``v`` with no
    other group turned singular (module docstring)."""
    a = np.abs(v)
    top = float(a.max())
    if top == 0.0 or a.min() <= SYMM_MARGIN * top:
        return False
    if v.size == 2:
        return abs(a[0] - a[1]) <= SYMM_MARGIN * top
    return bool(np.all(2.0 * a < (1.0 - SYMM_MARGIN) * a.sum()))


def _feasible_in(N: np.ndarray) -> np.ndarray | None:
    """A ``v`` in the column span of the orthonormal ``N`` (``|S| x d``)
    that passes :func:`_polygon_ok`, or None: per sign pattern, a linear
    feasibility problem in ``v = N c``."""
    s, d = N.shape
    if d == 1:
        v = N[:, 0]
        return v if _polygon_ok(v) else None
    if s == 2:
        return np.array([1.0, 1.0]) / math.sqrt(2.0)  # N is all of R^2
    for signs in itertools.product((1.0, -1.0), repeat=s - 1):
        sg = np.r_[1.0, signs]
        A = sg[:, None] * N  # sigma_i v_i = A c
        # sigma_i v_i >= 1; 2 sigma_i v_i - (1 - margin) sum_j sigma_j v_j <= 0
        ub = np.vstack([-A, 2.0 * A - (1.0 - SYMM_MARGIN) * A.sum(axis=0)[None, :]])
        rhs = np.r_[-np.ones(s), np.zeros(s)]
        r = optimize.linprog(np.zeros(d), A_ub=ub, b_ub=rhs, bounds=[(None, None)] * d,
                             method="highs")
        if r.status == 0:
            v = N @ r.x
            if _polygon_ok(v):
                return v / np.linalg.norm(v)
    return None


def symm_limit(v: np.ndarray, positions: np.ndarray, m: int) -> np.ndarray:
    """A singular ``m x m`` correlation matrix ``C_0`` with ``C_0 v = 0`` on
    ``positions`` (unit vectors ``u_i``, ``sum v_i u_i = 0``, spanning
    ``|S| - 1`` dimensions, so that no smaller set turns singular; the other
    positions uncorrelated)."""
    s = v.size
    sg = np.sign(v)
    w = np.abs(v)
    if s == 2:
        B = np.array([[1.0, -1.0]])
    else:
        B = None
        for seed in range(10):
            z0 = np.random.default_rng(seed).standard_normal((s - 1) * s)

            def resid(z: np.ndarray) -> np.ndarray:
                Z = z.reshape(s - 1, s)
                return (Z / np.linalg.norm(Z, axis=0)) @ w

            r = optimize.least_squares(resid, z0, xtol=1e-15, ftol=1e-15, gtol=1e-15)
            Z = r.x.reshape(s - 1, s)
            Z = Z / np.linalg.norm(Z, axis=0)
            sv = np.linalg.svd(Z, compute_uv=False)
            if np.linalg.norm(Z @ w) <= 1e-12 * w.sum() and sv[-1] > 1e-3:
                B = Z
                break
        if B is None:  # pragma: no cover - the polygon inequality guarantees one
            raise RuntimeError("corSymm: no singular limit found")
    U = B * sg[None, :]
    C = np.eye(m)
    C[np.ix_(positions, positions)] = U.T @ U
    np.fill_diagonal(C, 1.0)
    return C


def _scaled_columns(blocks: np.ndarray, s: int) -> np.ndarray:
    """The blocks side by side (``s x k(p+1)``), each column scaled to norm 1
    (scale-free: columns of any units), zero columns dropped."""
    M = blocks.transpose(1, 0, 2).reshape(s, -1)
    norms = np.linalg.norm(M, axis=0)
    return M[:, norms > 0] / norms[norms > 0]


def _full_rank_early(Z: np.ndarray, held: np.ndarray, s: int) -> bool:
    """Whether the first few groups' columns already have full row rank
    beyond any rank tolerance of all ``k`` groups' (adding columns cannot
    lower the smallest singular value; with unit columns the largest is at
    most ``sqrt(columns)``): then no null direction exists."""
    k, m = held.shape[0], Z.shape[1]
    first = min(k, 2 * (-(-s // m)) + 2)
    if first == k:
        return False
    A = _scaled_columns(Z[held[:first]], s)
    if A.shape[1] < s:
        return False
    cols = k * m
    bound = math.sqrt(cols) * max(s, cols) * np.finfo(float).eps * 100
    return bool(np.linalg.svd(A, compute_uv=False)[-1] > bound)


def _corr_symm(X: np.ndarray, y: np.ndarray, w: np.ndarray, cor: Any, reml: bool,
               what: str) -> UnboundedLikelihoodError | None:
    if getattr(cor, "r_class", None) != "corSymm" or not cor.n_params:
        return None
    groups = [(rows, pos) for rows, pos in cor.group_positions() if pos.size >= 2]
    if not groups or max(pos.size for _, pos in groups) > SYMM_MAX_POSITIONS:
        return None
    Z = w[:, None] * np.column_stack([X, y])
    p = X.shape[1]
    sets: set[tuple[int, ...]] = set()
    for ps in {tuple(sorted(pos.tolist())) for _, pos in groups}:
        for r in range(2, len(ps) + 1):
            sets.update(itertools.combinations(ps, r))
    # row of each group's position (-1: not observed), for the groups holding a set
    rowmap = np.full((len(groups), int(cor.max_cov)), -1, dtype=np.int64)
    for g, (rows, pos) in enumerate(groups):
        rowmap[g, pos] = rows
    for S in sorted(sets, key=lambda t: (len(t), t)):
        held = rowmap[:, list(S)]
        held = held[(held >= 0).all(axis=1)]
        k = held.shape[0]
        if (reml or k > p) and _full_rank_early(Z, held, len(S)):
            continue
        blocks = Z[held]  # k blocks |S| x (p + 1)
        M = _scaled_columns(blocks, len(S))  # its left null space is v's
        v = None
        if M.shape[1]:
            # M's left singular vectors from the small triangle of M' = QR
            R = np.asarray(np.linalg.qr(M.T, mode="r"))
            U, sv, _ = np.linalg.svd(R.T, full_matrices=True)
            null = U[:, int(np.sum(sv > sv[0] * max(M.shape) * np.finfo(float).eps * 100)):]
        else:
            null = np.eye(len(S))
        if null.shape[1]:
            v = _feasible_in(null)
        if v is None and not reml and k <= p:
            s = len(S)
            cands = [np.ones(s), np.r_[1.0, -1.0]] if s == 2 else \
                [np.ones(s), np.array([(-1.0) ** i for i in range(s)])]
            for c in cands:
                B = np.array([c @ b[:, :p] for b in blocks])
                if _polygon_ok(c) and _rank(B) == k:
                    v = c / np.linalg.norm(c)
                    break
        if v is None:
            continue
        method = "REML" if reml else "ML"
        shown = ", ".join(str(q + 1) for q in S)
        err = UnboundedLikelihoodError(
            f"{what}: the {method} log-likelihood has no maximum: corSymm's correlation "
            f"matrix can turn singular over the positions {shown}, held by {k} group(s), "
            "while the fixed effects keep those groups' residuals in the vanishing "
            "direction at 0, and it rises without bound there; use fewer positions, "
            "more groups holding them, or a simpler correlation structure")
        err.component = "corStruct"
        pos_arr = np.asarray(S, dtype=np.int64)
        C0 = symm_limit(v, pos_arr, int(cor.max_cov))
        m = int(cor.max_cov)
        err.detail = {"class": "corSymm", "positions": [q + 1 for q in S], "groups": k,
                      "rate": k / 2,
                      "limit": [float(C0[i, j]) for j in range(m) for i in range(j + 1, m)]}
        return err
    return None


def _start_weights(var: Any, n: int) -> np.ndarray:
    if var is None or getattr(var, "needs_update", False):
        return np.ones(n)
    return np.asarray(var.weights(np.asarray(var.start, dtype=float)), dtype=float)


def check_bounded(X: np.ndarray, y: np.ndarray, cor: Any, var: Any, reml: bool,
                  what: str) -> None:
    """Raise :class:`UnboundedLikelihoodError` where the likelihood has no
    maximum (module docstring): varIdent's and corCompSymm's edges for ML,
    corSymm's singular limits for ML and REML."""
    X = np.asarray(X, dtype=float)
    if cor is not None:
        err = _corr_symm(X, np.asarray(y, dtype=float), _start_weights(var, X.shape[0]),
                         cor, reml, what)
        if err is not None:
            raise err
    if reml:
        return
    for err in (_var_ident(X, var, what) if var is not None else None,
                _comp_symm(X, cor, what) if cor is not None else None):
        if err is not None:
            raise err
