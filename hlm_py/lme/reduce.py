"""The one pass over the data: per-group cross-products for lme.

nlme works from per-group QR decompositions of ``[Z X y]`` (Pinheiro & Bates
2000, ch. 2).  Here the data are reduced once, in ``O(n m^2)`` for ``m``
distinct columns (a QR of each innermost group's rows, then one of the
stacked factors: :func:`reduce_data`), with ``k = sum(q) + p + 1`` columns,
to the cross-product matrices ``W_c'W_c`` of the
columns ``W = [Z_Q | ... | Z_1 | X | y]`` (innermost level's random-effects
columns first, the response last) within each innermost group ``c``.  Every
likelihood evaluation afterwards works on these small matrices only: the
cross-products of an outer group are sums of those of its inner groups, so
nothing needs the rows again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

__all__ = ["Reduced", "reduce_data", "group_order", "group_triangular"]


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
    z_factors per level (outer to inner) ``R_l`` (``q_l x q_l``) with
              ``Z_l = Z~_l R_l``: the cells hold the well-conditioned ``Z~_l``
    x_factor  ``R_x`` (``p x p``, upper triangular) with ``X = X~ R_x``
    beta_offset  ``b0`` with ``y = y~ + X b0`` (the least-squares fit of ``y``)
    x_singular   True when the QR of ``X`` met an exactly zero pivot: then the
              cells hold the raw ``X`` and ``x_factor`` is the identity (the
              caller refuses such a design)
    factors   ``(G_Q, k, k)`` or None: for each innermost group (groups on
              the first axis) an upper triangular ``T_c`` with ``T_c'T_c =
              W_c'W_c``, the R factor of the group's rows (nlme's per-group QR);
              made only on request (``reduce_data(..., triangular=True)``)

    The cells are those of ``W~ = [Z~_Q | ... | Z~_1 | X~ | y~]``: ``X~`` has
    orthonormal columns (Householder QR of ``X``), ``y~`` is the residual of
    ``y`` on ``X`` and each ``Z~_l`` has orthonormal columns too (the leading
    columns of ``X~`` when ``Z_l`` is made of ``X``'s leading columns, so that
    equal columns stay equal).  None of this changes the model: ``Z_l Lambda_l
    = Z~_l (R_l Lambda_l)``, a shift of ``y`` along ``X`` changes only ``beta``
    and ``X'V^{-1}X = R_x' X~'V^{-1}X~ R_x``.  It keeps the cross-products free
    of the cancellation that shifted or badly scaled columns (``x = 1e4 + z``)
    cause in ``W'W`` (nlme's per-group QR avoids it the same way).
    """

    cells: np.ndarray
    q: list[int]
    p: int
    n: int
    parents: list[np.ndarray]
    n_groups: list[int]
    z_factors: list[np.ndarray] | None = None
    x_factor: np.ndarray | None = None
    beta_offset: np.ndarray | None = None
    x_singular: bool = False
    factors: np.ndarray | None = None

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
    (and then value by value); without, only columns equal in a few entries.
    """
    index: list[int] = []
    distinct: list[np.ndarray] = []
    prints: list[object] = []
    for pos, c in enumerate(cols):
        if keys is not None:
            fp: object = keys[pos]
        else:  # a few entries: equal columns have equal ones, array_equal decides
            fp = (float(c[0]), float(c[c.size // 2]), float(c[-1])) if c.size else ()
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


def reduce_data(
    X: np.ndarray,
    y: np.ndarray,
    Z: list[np.ndarray],
    codes: list[np.ndarray],
    parents: list[np.ndarray],
    n_groups: list[int],
    names: list[list[str]] | None = None,
    triangular: bool = False,
) -> Reduced:
    """Reduce the data to innermost-group cross-products (the one pass over n).

    ``Z`` and ``codes`` are per level, outer to inner; ``codes[l][i]`` is the
    level-``l`` group of row ``i``.  ``names`` (the column names of each
    ``Z`` and of ``X``, optional) is accepted for the callers; equal columns
    of ``Z`` and ``X`` are found by their values.  With ``triangular`` the
    groups' R factors are made too (``Reduced.factors``), and the cells are
    their cross-products.

    The cross-products come from a QR by groups (a TSQR whose row blocks are
    the innermost groups, as nlme's per-group ``QR()``): each group's rows of
    the distinct raw columns ``A = [X | y | Z's other columns]`` are reduced
    to their R factor ``T_c``; the QR ``Q_2 R_A`` of the stacked ``T_c``
    gives ``A = Q_A R_A`` with ``Q_A`` orthonormal, whose rows in group ``c``
    have the cross-products ``Q_2c'Q_2c``. Every column of ``W~`` is
    ``Q_A N`` for a small ``N`` (``X~ = Q_A[:, :p]``, ``y~ = Q_A[:, p]
    R_A[p, p]``, ``Z~_l = Q_A Q_l`` with ``R_A[:, J_l] = Q_l R_l``), so
    ``W~_c'W~_c = (Q_2c N)'(Q_2c N)``: the same cells as the Householder QR
    of all of ``X`` and sums over the rows, to rounding, without an ``n``-row
    ``X~`` or a pass per pair of columns. Where ``X`` has an intercept the
    other columns enter less their means (the same ``Q_A``), so that a
    common shift costs no digits in the stacked factors.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    Z = [np.asarray(z, dtype=float) for z in Z]
    inner = np.asarray(codes[-1], dtype=np.int64)
    if triangular:
        return _reduce_rows(X, y, Z, inner, parents, n_groups)
    n, p = X.shape
    G = int(n_groups[-1])
    raw = [X[:, j] for j in range(p)] + [y]
    positions = [_column_positions(z, raw, p) for z in Z]
    m = len(raw)
    # with an intercept, the other columns are decomposed less their means:
    # A - 1 mu' = A C with C unit upper triangular, the same Q_A, and R_A =
    # R' C^{-1}; a common shift (x = 1e4 + z) then cancels row by row, not in
    # the stacked factors
    shift = np.zeros(m)
    if p > 0 and n > 0 and np.all(raw[0] == 1.0):
        shift[1:] = [np.mean(c) for c in raw[1:]]
    T = _group_factors(raw, inner, G, shift)
    Q2, RA = _positive_qr(T.reshape(G * m, m))
    RA = RA + np.outer(RA[:, 0], shift)
    eye = np.eye(m)
    Rx = RA[:p, :p]
    singular = p > 0 and (n < p or not np.all(np.abs(np.diag(Rx)) > 0))
    if p == 0 or singular:
        # the raw columns (the caller refuses a singular X)
        Nx, Ny = RA[:, :p], RA[:, p]
        x_factor = np.zeros((0, 0)) if p == 0 else np.eye(p)
        beta0 = np.zeros(p)
    else:
        Nx, Ny = eye[:, :p], eye[:, p] * RA[p, p]
        x_factor = Rx.copy()
        beta0 = np.linalg.solve(Rx, RA[:p, p])
    Nz: list[np.ndarray] = []
    Rz: list[np.ndarray] = []
    for z, J in zip(Z, positions):
        q = z.shape[1]
        if not singular and p > 0 and J == list(range(q)):
            Nz.append(eye[:, :q])  # X~'s own columns: equal columns stay equal
            Rz.append(Rx[:q, :q].copy())
            continue
        M = RA[:, J]  # Z = Q_A M
        Qs, Rs = _positive_qr(M)
        d = np.sqrt(np.einsum("ij,ij->j", M, M))
        if np.all(np.diag(Rs) > 1e-10 * np.maximum(d, 1e-300)):
            Nz.append(Qs)
            Rz.append(Rs)
        else:
            s = np.where(d > 0, d, 1.0)
            Nz.append(M / s)
            Rz.append(np.diag(s))
    N = np.concatenate(list(reversed(Nz)) + [Nx, Ny[:, None]], axis=1)
    return Reduced(
        cells=_cells(Q2.reshape(G, m, m), N),
        q=[z.shape[1] for z in Z],
        p=p,
        n=n,
        parents=parents,
        n_groups=list(n_groups),
        z_factors=Rz,
        x_factor=x_factor,
        beta_offset=beta0,
        x_singular=singular,
    )


def _cells(Q2: np.ndarray, N: np.ndarray) -> np.ndarray:
    """``(k, k, G)``: ``(Q2_c N)'(Q2_c N)`` per group ``c`` (``Q2`` is ``(G, m, m)``);
    equal columns of ``N`` are formed once and give equal cells."""
    index, distinct = _distinct_columns([N[:, j] for j in range(N.shape[1])])
    U = np.einsum("gam,mk->kga", Q2, np.stack(distinct, axis=1))
    d = len(distinct)
    D = np.empty((d, d, Q2.shape[0]))
    for i in range(d):
        for j in range(i, d):
            D[i, j] = D[j, i] = np.einsum("ga,ga->g", U[i], U[j])
    idx = np.asarray(index)
    return np.ascontiguousarray(D[idx[:, None], idx[None, :]])


def _column_positions(z: np.ndarray, raw: list[np.ndarray], p: int) -> list[int]:
    """Where ``z``'s columns are among ``raw`` (appended to it when new)."""
    q = z.shape[1]
    if q <= p and all(np.array_equal(z[:, j], raw[j]) for j in range(q)):
        return list(range(q))
    out = []
    for j in range(q):
        c = z[:, j]
        found = next((i for i, r in enumerate(raw) if c.size and r[0] == c[0]
                      and r[-1] == c[-1] and np.array_equal(r, c)), -1)
        if found < 0:
            raw.append(np.ascontiguousarray(c))
            found = len(raw) - 1
        out.append(found)
    return out


def _reduce_rows(X: np.ndarray, y: np.ndarray, Z: list[np.ndarray], inner: np.ndarray,
                 parents: list[np.ndarray], n_groups: list[int]) -> Reduced:
    """``reduce_data(..., triangular=True)``: ``X~``, ``y~``, ``Z~`` formed row by row
    (Householder QR of ``X``), then each group's R factor of its rows of ``W~``."""
    n = X.shape[0]
    Xt, Rx, yt, beta0 = _orthonormal_fixed(X, y)
    Zt: list[np.ndarray] = []
    Rz: list[np.ndarray] = []
    for z in Z:
        zt, rz = _orthonormal_random(z, X, Xt, Rx)
        Zt.append(zt)
        Rz.append(rz)
    cols = [z[:, j] for z in reversed(Zt) for j in range(z.shape[1])]
    cols += [Xt[:, j] for j in range(Xt.shape[1])] + [yt]
    factors = group_triangular(cols, inner, n_groups[-1])
    cells = np.ascontiguousarray(np.einsum("gik,gil->klg", factors, factors))
    return Reduced(
        cells=cells,
        q=[z.shape[1] for z in Z],
        p=X.shape[1],
        n=n,
        parents=parents,
        n_groups=list(n_groups),
        z_factors=Rz,
        x_factor=Rx,
        beta_offset=beta0,
        x_singular=Xt is X and X.shape[1] > 0,
        factors=factors,
    )


def group_order(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """The stable permutation that sorts the rows by group (R's ``order(codes)``).

    numpy's radix sort on 16-bit keys, in two passes (least significant half
    first) above 65536 groups: the same permutation as any stable sort."""
    codes = np.asarray(codes, dtype=np.int64)
    if n_groups <= 1 << 16:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    if n_groups <= 1 << 32:
        low = np.argsort((codes & 0xFFFF).astype(np.uint16), kind="stable")
        high = (codes[low] >> 16).astype(np.uint16)
        return low[np.argsort(high, kind="stable")]
    return np.argsort(codes, kind="stable")


def _group_factors(cols: list[np.ndarray], codes: np.ndarray, n_groups: int,
                   shift: np.ndarray | None = None) -> np.ndarray:
    """``(G, k, k)``: per row group the R factor of its rows of ``cols``
    (less ``shift[j]`` in column ``j`` where given).

    The rows are gathered once, by group size, group and row (stable), so
    that groups of equal size lie side by side and are decomposed together
    (stacked LAPACK QR) in place; a group with fewer rows than columns gets
    zero rows below its factor."""
    k = len(cols)
    sizes = np.bincount(codes, minlength=n_groups)
    by_size = np.argsort(sizes, kind="stable")
    rank = np.empty(n_groups, dtype=np.int64)
    rank[by_size] = np.arange(n_groups)
    order = group_order(rank[codes], n_groups)
    W = np.empty((k, codes.size))
    for j, c in enumerate(cols):
        np.take(c, order, out=W[j], mode="wrap")  # in range: no check needed
        if shift is not None and shift[j] != 0:
            W[j] -= shift[j]
    out = np.zeros((n_groups, k, k))
    row = first = 0
    for m, count in zip(*np.unique(sizes, return_counts=True)):
        if m > 0:
            B = W[:, row:row + count * m].reshape(k, count, m)
            # numpy's stubs type every mode as QRResult; mode="r" returns the array R
            R = cast(np.ndarray, np.linalg.qr(B.transpose(1, 2, 0), mode="r"))
            out[by_size[first:first + count], :R.shape[1]] = R
        row += count * m
        first += count
    return out


def group_triangular(cols: list[np.ndarray], codes: np.ndarray, n_groups: int) -> np.ndarray:
    """``(G, k, k)``: per row group the upper triangular R factor of its rows of ``W``.

    nlme's per-group QR (``QR()`` of each group's ``[Z X y]``): ``T_g'T_g =
    W_g'W_g`` without forming the cross-products, so a group whose columns
    span many orders of magnitude keeps its digits.  Groups of equal size are
    decomposed together (stacked LAPACK QR); a group with fewer rows than
    columns gets zero rows below its factor.
    """
    codes = np.asarray(codes, dtype=np.int64)
    cols = [np.asarray(c, dtype=float) for c in cols]
    return _group_factors(cols, codes, n_groups)


def _positive_qr(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Householder QR with a non-negative diagonal of ``R``."""
    Q, R = np.linalg.qr(A)
    s = np.where(np.diag(R) < 0, -1.0, 1.0)
    return Q * s, R * s[:, None]


def _orthonormal_fixed(X: np.ndarray, y: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X = X~ R_x`` and ``y = y~ + X b0`` (two passes of the projection)."""
    p = X.shape[1]
    if p == 0:
        return X, np.zeros((0, 0)), y.copy(), np.zeros(0)
    if X.shape[0] < p:  # more coefficients than rows: the caller refuses it
        return X, np.eye(p), y.copy(), np.zeros(p)
    Q, R = _positive_qr(X)
    if not np.all(np.abs(np.diag(R)) > 0):
        # rank deficient: the caller refuses it; keep the raw columns
        return X, np.eye(p), y.copy(), np.zeros(p)
    c = Q.T @ y
    yt = y - Q @ c
    c2 = Q.T @ yt
    yt = yt - Q @ c2
    beta0 = np.linalg.solve(R, c + c2)
    return np.ascontiguousarray(Q), R, yt, beta0


def _orthonormal_random(Z: np.ndarray, X: np.ndarray, Xt: np.ndarray, Rx: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``Z = Z~ R`` with orthonormal ``Z~``; ``X~``'s own columns when ``Z`` is
    ``X``'s leading columns.  A column-scaling only if ``Z`` is rank deficient."""
    q = Z.shape[1]
    if q <= X.shape[1] and Xt is not X and np.array_equal(Z, X[:, :q]):
        return Xt[:, :q], Rx[:q, :q].copy()
    Q, R = _positive_qr(Z)
    d = np.sqrt(np.einsum("ij,ij->j", Z, Z))
    if np.all(np.diag(R) > 1e-10 * np.maximum(d, 1e-300)):
        return np.ascontiguousarray(Q), R
    s = np.where(d > 0, d, 1.0)
    return Z / s, np.diag(s)
