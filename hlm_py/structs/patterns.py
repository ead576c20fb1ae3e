"""The structures seen by pattern: which keep gls's one-pass reduction.

A correlation group's matrix ``C_g`` depends on the parameters only through
the group's *pattern* where the structure is a function of the rows'
positions or integer times and nothing else of the row, and a row's variance
weight only through its *stratum* where the variance function is a function
of a stratum: then ``Var(y_g) = sigma^2 W_g^-1 C_g W_g^-1`` is the same
matrix for all groups of one pattern of (correlation pattern, strata of its
rows), and the profiled likelihood needs the data only through the
cross-products of each pattern, made once (:mod:`hlm_py.gls.reduced`).

Which structures keep it (:func:`cor_patterns`, :func:`var_strata`):

* correlation: ``corSymm`` (pattern: the times of the group's rows),
  ``corCompSymm`` and ``corAR1`` with consecutive times (pattern: the
  group's size), ``corARMA`` (the times relative to the first), and the
  other batched structures (``corCAR1``, the spatial classes: the group's
  distances) where groups share them (on a continuous covariate each group
  has its own pattern, and the cost rule of :mod:`hlm_py.gls.reduced`
  keeps the whitening); no structure (every row its own group);
* variance: none, ``varIdent`` (the stratum), ``varFixed`` (constant
  weights, folded into the data) and a ``varComb`` of these (bound on the
  rows sorted by group, as nlme binds them, or not);
* not: ``varPower``, ``varExp``, ``varConstPower``, ``varConstProp`` (the
  weights are functions of a continuous covariate, ``fitted(.)`` too, and
  change with it), and a ``varComb`` holding one of them: those fits whiten
  all rows in every evaluation.

Each view gives the matrices of its patterns at ``theta`` and the gradient
of a function of them (its derivative in each matrix entry given) in
``theta``: closed forms for ``corSymm`` (nlme's spherical parametrisation),
``corCompSymm``, ``corAR1`` and ``varIdent`` (log weights are linear in the
parameters), fourth-order central differences of the matrices (not of the
likelihood) for the other batched structures. The numbers are a search's:
numpy's LAPACK and sums, not nlme's order of operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hlm_py.structs.corstruct import (
    _AR1Bound,
    _CompSymmBound,
    _DenseBound,
    _SymmBound,
)
from hlm_py.structs.reorder import Reordered
from hlm_py.structs.varfunc import (
    BoundConstant,
    BoundVarComb,
    BoundVarFixed,
    BoundVarIdent,
)

__all__ = ["CorPatterns", "VarStrata", "cor_patterns", "var_strata"]

#: relative step of the fourth-order differences of pattern matrices
#: (eps^(1/5): truncation h^4 against rounding eps / h)
_STEP4 = float(np.finfo(float).eps ** 0.2)


@dataclass
class _SizeBatch:
    """The correlation groups of one size ``s``: their rows ``idx`` (G, s),
    in the group's order, and each group's pattern ``inv`` (G,) among
    ``n_pat`` patterns of this size."""

    s: int
    idx: np.ndarray
    inv: np.ndarray
    n_pat: int


class CorPatterns:
    """A correlation structure by size batch and pattern.

    ``batches``: the :class:`_SizeBatch` es; ``corr(theta)``: per batch the
    matrices (P_s, s, s) of its patterns; ``pullback(theta, grads)``: the
    gradient in ``theta`` of a function whose derivatives in the entries of
    those matrices are ``grads`` (same shapes)."""

    def __init__(self, batches: list[_SizeBatch], n_params: int):
        self.batches = batches
        self.n_params = n_params

    def corr(self, theta: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError  # pragma: no cover

    def pullback(self, theta: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover


class _Singletons(CorPatterns):
    """No correlation structure: every row a group of one."""

    def __init__(self, n: int):
        super().__init__([_SizeBatch(1, np.arange(n)[:, None], np.zeros(n, dtype=np.int64), 1)], 0)

    def corr(self, theta: np.ndarray) -> list[np.ndarray]:
        return [np.ones((1, 1, 1))]

    def pullback(self, theta: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
        return np.zeros(0)


def _dense_batches(cor: _DenseBound) -> list[_SizeBatch]:
    return [_SizeBatch(b.s, b.idx, np.asarray(b.inv, dtype=np.int64), int(b.pats.shape[0]))
            for b in cor._batches]


class _Symm(CorPatterns):
    """``corSymm``: the patterns' matrices are sub-matrices of one ``m x m``
    matrix ``U'U`` (``U`` the spherical factor of nlme's ``corSymm``)."""

    def __init__(self, cor: _SymmBound):
        super().__init__(_dense_batches(cor), cor.n_params)
        self.cor = cor
        self.m = cor.max_cov
        self.times = [np.asarray(b.pats, dtype=np.int64) for b in cor._batches]

    def _factor(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``U``, the angles' sines and cosines by column (in ``theta``'s order)."""
        full = self.cor._full(theta)
        m = self.m
        a = math.pi / (1.0 + np.exp(-np.clip(full, -700.0, 700.0)))
        sn, cs = np.sin(a), np.cos(a)
        U = np.zeros((m, m))
        src = 0
        for i in range(m):
            aux = 1.0
            for j in range(i):
                U[j, i] = aux * cs[src + j]
                aux *= sn[src + j]
            U[i, i] = aux
            src += i
        return U, sn, cs

    def _full_corr(self, theta: np.ndarray) -> np.ndarray:
        U, _, _ = self._factor(theta)
        C = U.T @ U
        C[np.arange(self.m), np.arange(self.m)] = 1.0
        return C

    def corr(self, theta: np.ndarray) -> list[np.ndarray]:
        C = self._full_corr(theta)
        out = []
        for t in self.times:
            Cp = C[t[:, :, None], t[:, None, :]]
            s = t.shape[1]
            Cp[:, np.arange(s), np.arange(s)] = 1.0
            out.append(Cp)
        return out

    def pullback(self, theta: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
        if self.cor.fixed:
            return np.zeros(0)
        m = self.m
        G = np.zeros((m, m))
        for t, g in zip(self.times, grads):
            s = t.shape[1]
            g = g.copy()
            g[:, np.arange(s), np.arange(s)] = 0.0  # the diagonal is 1 for every theta
            np.add.at(G, (t[:, :, None], t[:, None, :]), g)
        U, sn, cs = self._factor(theta)
        B = U @ (G + G.T)  # d f = <dU, U (G + G')>
        full = self.cor._full(theta)
        dadt = math.pi / (4.0 * np.cosh(np.clip(full, -1400.0, 1400.0) / 2.0) ** 2)
        out = np.zeros(full.size)
        src = 0
        for i in range(m):
            # column i: U[j, i] = prod_{l<j} sin a_l * (cos a_j if j < i else 1)
            for lo in range(i):
                d = np.zeros(i + 1)
                pre = 1.0
                for j in range(lo):
                    pre *= sn[src + j]
                d[lo] = -pre * sn[src + lo]
                acc = pre * cs[src + lo]
                for j in range(lo + 1, i + 1):
                    d[j] = acc * (cs[src + j] if j < i else 1.0)
                    if j < i:
                        acc *= sn[src + j]
                out[src + lo] = float(d @ B[: i + 1, i]) * dadt[src + lo]
            src += i
        return out


class _CompSymm(CorPatterns):
    """``corCompSymm``: one matrix per size, ``(1 - rho) I + rho 11'``."""

    def __init__(self, cor: _CompSymmBound):
        super().__init__(_dense_batches(cor), cor.n_params)
        self.cor = cor

    def corr(self, theta: np.ndarray) -> list[np.ndarray]:
        rho = self.cor._rho(self.cor._full(theta))
        out = []
        for b in self.batches:
            C = np.full((1, b.s, b.s), rho)
            C[:, np.arange(b.s), np.arange(b.s)] = 1.0
            out.append(C)
        return out

    def pullback(self, theta: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
        if self.cor.fixed:
            return np.zeros(0)
        t = float(self.cor._full(theta)[0])
        sig = 1.0 / (1.0 + math.exp(-t)) if t > -700 else 0.0
        drho = (1.0 - self.cor.inf) * sig * (1.0 - sig)
        tot = sum(float(g.sum() - np.trace(g[0])) for g in grads)
        return np.array([drho * tot])


class _AR1(CorPatterns):
    """``corAR1`` with consecutive times: one matrix per size, ``phi^|i - j|``."""

    def __init__(self, cor: _AR1Bound):
        batches = [_SizeBatch(s, idx, np.zeros(idx.shape[0], dtype=np.int64), 1)
                   for s, _g, idx in cor._layout.by_size()]
        super().__init__(batches, cor.n_params)
        self.cor = cor
        self.lags = [np.abs(np.subtract.outer(np.arange(b.s), np.arange(b.s))) for b in batches]

    def _phi(self, theta: np.ndarray) -> float:
        return math.tanh(float(self.cor._full(theta)[0]) / 2.0)

    def corr(self, theta: np.ndarray) -> list[np.ndarray]:
        phi = self._phi(theta)
        return [(phi ** lag.astype(float))[None] for lag in self.lags]

    def pullback(self, theta: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
        if self.cor.fixed:
            return np.zeros(0)
        phi = self._phi(theta)
        tot = 0.0
        for lag, g in zip(self.lags, grads):
            lf = lag.astype(float)
            d = np.where(lag > 0, lf * phi ** np.maximum(lf - 1.0, 0.0), 0.0)
            tot += float(np.sum(g[0] * d))
        return np.array([tot * (1.0 - phi * phi) / 2.0])


class _Dense(CorPatterns):
    """Another batched structure (``corARMA``, ``corCAR1``, spatial): its
    own matrices, their derivatives by fourth-order central differences."""

    def __init__(self, cor: _DenseBound):
        super().__init__(_dense_batches(cor), cor.n_params)
        self.cor = cor

    def _at(self, full: np.ndarray) -> list[np.ndarray]:
        return [self.cor._corr(full, b) for b in self.cor._batches]

    def corr(self, theta: np.ndarray) -> list[np.ndarray]:
        return self._at(self.cor._full(theta))

    def pullback(self, theta: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
        if self.cor.fixed:
            return np.zeros(0)
        full = np.asarray(self.cor._full(theta), dtype=float)
        out = np.zeros(full.size)
        for k in range(full.size):
            h = _STEP4 * max(abs(full[k]), 0.1)
            vals = []
            for c in (-2.0, -1.0, 1.0, 2.0):
                e = full.copy()
                e[k] += c * h
                vals.append(self._at(e))
            out[k] = sum(float(np.sum(g * (m2 - 8.0 * m1 + 8.0 * p1 - p2))) / (12.0 * h)
                         for g, m2, m1, p1, p2 in zip(grads, *vals))
        return out


def cor_patterns(cor: object, n: int) -> CorPatterns | None:
    """The pattern view of a bound correlation structure (None: no
    structure) on ``n`` rows; None when it keeps no reduction (module
    docstring)."""
    if cor is None:
        return _Singletons(n)
    if isinstance(cor, _SymmBound):
        out: CorPatterns = _Symm(cor)
    elif isinstance(cor, _CompSymmBound):
        out = _CompSymm(cor)
    elif isinstance(cor, _AR1Bound):
        out = _AR1(cor)
    elif isinstance(cor, _DenseBound):
        out = _Dense(cor)
    else:
        return None
    if sum(b.idx.size for b in out.batches) != n:
        return None
    return out


@dataclass
class VarStrata:
    """A variance function by stratum: row ``i``'s weight is
    ``fold[i] * exp(c[key[i]] + J[key[i]] @ theta)``."""

    key: np.ndarray
    fold: np.ndarray | None
    c: np.ndarray
    J: np.ndarray

    @property
    def n_keys(self) -> int:
        return int(self.c.shape[0])


def _one(n: int, k: int) -> VarStrata:
    return VarStrata(np.zeros(n, dtype=np.int64), None, np.zeros(1), np.zeros((1, k)))


def var_strata(var: object, n: int) -> VarStrata | None:
    """The stratum view of a bound variance function (None: no function) on
    ``n`` rows; None when it keeps no reduction (module docstring)."""
    if var is None:
        return _one(n, 0)
    if getattr(var, "needs_update", False):
        return None
    if isinstance(var, Reordered):  # bound on the rows sorted by group
        inner = var_strata(var.bound, n)
        if inner is None:
            return None
        back = inner.fold[var.inverse] if inner.fold is not None else None
        return VarStrata(inner.key[var.inverse], back, inner.c, inner.J)
    if isinstance(var, BoundConstant):
        return _one(n, 0)
    if isinstance(var, BoundVarFixed):
        out = _one(n, 0)
        out.fold = np.asarray(var.weights(np.zeros(0)), dtype=float)
        return out
    if isinstance(var, BoundVarIdent):
        n_keys = len(var.group_names)
        k = var.n_params
        c = np.zeros(n_keys)
        J = np.zeros((n_keys, k))
        free = ~var.which_fix
        c[1:][var.which_fix] = -var.fixed  # weights 1 / exp(value)
        J[1:][free] = -np.eye(k)
        return VarStrata(np.asarray(var.row_stratum, dtype=np.int64), None, c, J)
    if isinstance(var, BoundVarComb):
        parts = [var_strata(p, n) for p in var.parts]
        if any(p is None for p in parts):
            return None
        key = np.zeros(n, dtype=np.int64)
        fold: np.ndarray | None = None
        for p in parts:
            assert p is not None
            key = key * p.n_keys + p.key
            if p.fold is not None:
                fold = p.fold if fold is None else fold * p.fold
        uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
        cs = np.zeros(uniq.size)
        Js = []
        for p in parts:
            assert p is not None
            pk = p.key[first]
            cs = cs + p.c[pk]
            Js.append(p.J[pk])
        J = np.concatenate(Js, axis=1) if Js else np.zeros((uniq.size, 0))
        return VarStrata(np.asarray(inv, dtype=np.int64).ravel(), fold, cs, J)
    return None
