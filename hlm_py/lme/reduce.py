"""The one pass over the data: per-group cross-products for lme.

nlme works from per-group QR decompositions of ``[Z X y]`` (Pinheiro & Bates
2000, ch. 2).  Here the data are reduced once, in ``O(n k^2)`` (one ``bincount`` per pair of distinct columns) with
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

__all__ = ["Reduced", "reduce_data", "group_crossprod"]


@dataclass
class Reduced:
    """Per-innermost-group cross-products and the structure to aggregate them.

    cells     ``(k, k, G_Q)``: ``W_c'W_c`` for each innermost group ``c``
              (groups on the last axis), ``W = [Z_Q | ... | Z_1 | X | y]``
    q         random-effects dimension per level, outer to inner
    p         number of fixed-effects columns
    n         number of observations
    parents   per level (outer to inner) the parent group of each group
    n_groups  groups per level, outer to inner
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
        return self.cells.shape[0]

    def total(self) -> np.ndarray:
        """``W'W`` over all rows."""
        return self.cells.sum(axis=2)


def _distinct_columns(cols: list[np.ndarray], keys: list[str] | None = None
                      ) -> tuple[list[int], list[np.ndarray]]:
    """Map each column to a distinct column (equal columns share one: Z often repeats X).

    With ``keys`` (the columns' names) only columns of equal name are compared
    (and then value by value); without, columns are fingerprinted first.
    """
    index: list[int] = []
    distinct: list[np.ndarray] = []
    prints: list[object] = []
    for pos, c in enumerate(cols):
        if keys is not None:
            fp: object = keys[pos]
        else:
            fp = (float(c.sum()), float(c @ c)) if c.size else (0.0, 0.0)
        found = -1
        for j, (d, f) in enumerate(zip(distinct, prints)):
            if f == fp and np.array_equal(c, d):
                found = j
                break
        if found < 0:
            distinct.append(c)
            prints.append(fp)
            found = len(distinct) - 1
        index.append(found)
    return index, distinct


def group_crossprod(cols: list[np.ndarray], codes: np.ndarray, n_groups: int,
                    keys: list[str] | None = None) -> np.ndarray:
    """``(k, k, G)`` array of ``W_g'W_g`` for the columns ``cols`` of ``W``, by row group.

    One pass over the rows per distinct pair of columns (``np.bincount`` with
    weights); repeated columns are reduced once and a column of ones needs no
    products.
    """
    k = len(cols)
    cols = [np.ascontiguousarray(c, dtype=float) for c in cols]
    index, distinct = _distinct_columns(cols, keys)
    m = len(distinct)
    first = [index.index(i) for i in range(m)]
    ones = [
        bool(d.size) and (keys is None or keys[f] == "(Intercept)") and bool(np.all(d == 1.0))
        for d, f in zip(distinct, first)
    ]
    counts = np.bincount(codes, minlength=n_groups).astype(float)
    D = np.empty((m, m, n_groups))
    buf = np.empty(codes.size)  # reused: fresh large temporaries cost page faults
    for i in range(m):
        for j in range(i, m):
            if ones[i] and ones[j]:
                v = counts
            elif ones[i] or ones[j]:
                v = np.bincount(codes, weights=distinct[j if ones[i] else i], minlength=n_groups)
            else:
                np.multiply(distinct[i], distinct[j], out=buf)
                v = np.bincount(codes, weights=buf, minlength=n_groups)
            D[i, j] = v
            D[j, i] = v
    idx = np.asarray(index)
    return np.ascontiguousarray(D[idx[:, None], idx[None, :]]).reshape(k, k, n_groups)


def reduce_data(
    X: np.ndarray,
    y: np.ndarray,
    Z: list[np.ndarray],
    codes: list[np.ndarray],
    parents: list[np.ndarray],
    n_groups: list[int],
    names: list[list[str]] | None = None,
) -> Reduced:
    """Reduce the data to innermost-group cross-products (the one pass over n).

    ``Z`` and ``codes`` are per level, outer to inner; ``codes[l][i]`` is the
    level-``l`` group of row ``i``.  ``names`` (the column names of each
    ``Z`` and of ``X``, optional) lets equal columns be found without
    fingerprinting every column.
    """
    n = X.shape[0]
    cols = [z[:, j] for z in reversed(Z) for j in range(z.shape[1])]
    cols += [X[:, j] for j in range(X.shape[1])] + [np.asarray(y, dtype=float)]
    keys = None
    if names is not None:
        keys = [nm for zn in reversed(names[:-1]) for nm in zn] + list(names[-1]) + ["\0response"]
    cells = group_crossprod(cols, np.asarray(codes[-1], dtype=np.int64), n_groups[-1], keys)
    return Reduced(
        cells=cells,
        q=[z.shape[1] for z in Z],
        p=X.shape[1],
        n=n,
        parents=parents,
        n_groups=list(n_groups),
    )
