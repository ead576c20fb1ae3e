"""Where the ML likelihood of a structured model has no maximum.

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
lme's ML likelihood tends to gls's as the random effects' SDs go to 0, so
the same conditions make it unbounded too.

Other structures' parameters do not matter: the rise holds at any of their
values. A structure fixed (``fixed = TRUE``) has no edge to go to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hlm_py.errors import UnboundedLikelihoodError

__all__ = ["check_ml_bounded"]


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


def check_ml_bounded(X: np.ndarray, cor: Any, var: Any, reml: bool, what: str) -> None:
    """Raise :class:`UnboundedLikelihoodError` where the ML likelihood has
    no maximum (module docstring); nothing for REML."""
    if reml:
        return
    X = np.asarray(X, dtype=float)
    for err in (_var_ident(X, var, what) if var is not None else None,
                _comp_symm(X, cor, what) if cor is not None else None):
        if err is not None:
            raise err
