"""The one pass over the data: per-group cross-products for lme.

nlme works from per-group QR decompositions of ``[Z X y]`` (Pinheiro & Bates
2000, ch. 2).  Here the data are reduced once, in ``O(n k^2)`` with
``k = sum(q) + p + 1``, to the cross-product matrices ``W_c'W_c`` of the
columns ``W = [Z_Q | ... | Z_1 | X | y]`` (innermost level's random-effects
columns first, the response last) within each innermost group ``c``.  Every
likelihood evaluation afterwards works on these small matrices only: the
cross-products of an outer group are sums of those of its inner groups, so
nothing needs the rows again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["Reduced", "reduce_data", "group_crossprod"]


@dataclass
class Reduced:
    """Per-innermost-group cross-products and the structure to aggregate them.

    cells     ``(G_Q, k, k)``: ``W_c'W_c`` for each innermost group ``c``,
              ``W = [Z_Q | ... | Z_1 | X | y]``
    q         random-effects dimension per level, outer to inner
    p         number of fixed-effects columns
    n         number of observations
    parents   per level (outer to inner) the parent group of each group
    n_groups  groups per level, outer to inner
    xtx_scale ``sqrt(diag(X'X))`` (for the rank check)
    """

    cells: np.ndarray
    q: list[int]
    p: int
    n: int
    parents: list[np.ndarray]
    n_groups: list[int]

    @property
    def Q(self) -> int:  # noqa: N802
        return len(self.q)

    @property
    def k(self) -> int:
        return self.cells.shape[1]

    def total(self) -> np.ndarray:
        """``W'W`` over all rows."""
        return self.cells.sum(axis=0)


def group_crossprod(W: np.ndarray, codes: np.ndarray, n_groups: int, chunk: int = 262144) -> np.ndarray:
    """``(G, k, k)`` array of ``W_g'W_g`` for the row groups given by ``codes``.

    One pass over the rows: the ``k(k+1)/2`` column products are summed per
    group by a sparse indicator product, in row chunks to bound memory.
    """
    n, k = W.shape
    iu, ju = np.triu_indices(k)
    out = np.zeros((n_groups, iu.size))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        Wc = W[start:stop]
        P = Wc[:, iu] * Wc[:, ju]
        ind = sparse.csr_matrix(
            (np.ones(stop - start), (codes[start:stop], np.arange(stop - start))),
            shape=(n_groups, stop - start),
        )
        out += ind @ P
    S = np.zeros((n_groups, k, k))
    S[:, iu, ju] = out
    S[:, ju, iu] = out
    return S


def reduce_data(
    X: np.ndarray,
    y: np.ndarray,
    Z: list[np.ndarray],
    codes: list[np.ndarray],
    parents: list[np.ndarray],
    n_groups: list[int],
) -> Reduced:
    """Reduce the data to innermost-group cross-products (the one pass over n).

    ``Z`` and ``codes`` are per level, outer to inner; ``codes[l][i]`` is the
    level-``l`` group of row ``i``.
    """
    n = X.shape[0]
    cols = [z for z in reversed(Z)] + [X, y.reshape(-1, 1)]
    W = np.ascontiguousarray(np.hstack(cols), dtype=float)
    cells = group_crossprod(W, codes[-1], n_groups[-1])
    return Reduced(
        cells=cells,
        q=[z.shape[1] for z in Z],
        p=X.shape[1],
        n=n,
        parents=parents,
        n_groups=list(n_groups),
    )
