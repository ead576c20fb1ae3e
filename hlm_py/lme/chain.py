"""lme's structured criterion from per-group cross-products (the search's).

A correlation structure whose matrix is ``r^|t_a - t_b|`` over the times of
a correlation group -- ``corAR1`` (consecutive times), ``corARMA(p = 1, q =
0)`` (what nlme makes of ``corAR1`` on times with gaps) and ``corCAR1`` --
is a Markov chain in the rows sorted by time: with ``z = W m`` (``W`` the
variance weights) the whitened squares of a group are

    z_1 z_1' + sum_i (z_i - r_i z_p)(z_i - r_i z_p)' / (1 - r_i^2)

(``p`` the row before ``i``, ``r_i = Phi^(t_i - t_p)``) and the
structures' log-likelihood is ``sum log w - 1/2 sum_i log(1 - r_i^2)``. So
the whitened cross-product of an lme group's rows of ``[Z X y]`` is
``sum_j c_j(phi) T_gj`` with the terms

    F_s      rows without a predecessor in stratum s      c = w_s^2
    D_ds     rows after a gap d, in stratum s             c = w_s^2 / (1 - r_d^2)
    L_ds     rows before a gap d, in stratum s            c = w_s^2 r_d^2 / (1 - r_d^2)
    P_dst    pairs across a gap d (strata s, t; m_i m_p' + m_p m_i')
                                                          c = -r_d w_s w_t / (1 - r_d^2)

(``T_gj`` sums of row products over the group's rows of each kind, made
once), for any number of distinct gaps up to :data:`MAX_GAPS`; a group of
one is a single ``F`` row. The variance function enters through its strata
(``varIdent``, ``varFixed`` folded into the rows, ``varComb`` of these:
:func:`hlm_py.structs.patterns.var_strata`), with no correlation structure
too (every row an ``F`` row). Other structures (``corCompSymm``,
``corSymm``, higher-order ``corARMA``, the spatial classes, ``varPower``
and the other continuous variance functions) keep no reduction: lme
whitens all rows at every ``phi`` (:meth:`hlm_py.lme.design.LmeDesign.at`).

An evaluation is one product of the ``(J, k^2 G)`` terms with the ``J``
coefficients and the cross-product elimination
(:class:`hlm_py.lme.criterion.ProfiledLikelihood` on the cells), free of
``n``; the gradient in ``phi`` is in closed form from the elimination's
derivative in the cells (:meth:`ProfiledLikelihood.deviance_gradient_cells`).
The columns are conditioned once by the unstructured design's reduction
(``X~ = X R_x^-1``, ``y~ = y - X b0``, ``Z~ = Z R_z^-1``: whitening acts on
rows, so it commutes with these). Forming the cross-products squares the
whitened groups' condition number: this is a search's criterion, never a
reported number (:mod:`hlm_py.lme.structured` evaluates the exact one,
whitening and QR by groups, at the end point and checks that they agree).
"""

from __future__ import annotations

import math

import numpy as np

from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.design import LmeDesign
from hlm_py.lme.reduce import Reduced
from hlm_py.structs.corstruct import BoundCor, _AR1Bound, _ARMABound, _CAR1Bound
from hlm_py.structs.patterns import VarStrata, var_strata

__all__ = ["ChainCriterion", "chain_criterion", "MAX_GAPS", "MAX_FLOATS"]

#: most distinct gaps between consecutive times (each adds ``2 K + K^2``
#: terms for ``K`` variance strata)
MAX_GAPS = 8
#: most numbers the terms may hold (160 MB)
MAX_FLOATS = 20_000_000
#: phi values whose criteria are kept
_CACHE = 8


class ChainCriterion:
    """The structured lme criterion at ``(theta, phi)`` from the terms of
    the module docstring; build with :func:`chain_criterion`."""

    def __init__(self, design: LmeDesign, kind: str, gaps: np.ndarray, n_keys: int,
                 vs: VarStrata, ids: np.ndarray,
                 terms: np.ndarray, counts: tuple[np.ndarray, np.ndarray], ll_fold: float,
                 base: Reduced):
        self.design = design
        self.kind = kind
        self.gaps = gaps
        self.n_keys = n_keys
        self.vs = vs
        self.ids = ids  # the term ids kept (of the full layout)
        self.terms = terms  # (J, k * k * G)
        self.key_counts, self.gap_counts = counts
        self.ll_fold = ll_fold
        self.base = base
        self.k = base.k
        self.G = int(base.n_groups[-1])
        self._cache: dict[bytes, tuple[ProfiledLikelihood, float, np.ndarray, np.ndarray]] = {}
        self.evaluations = 0

    # -- the coefficients -----------------------------------------------------
    def _parts(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        blocks = self.design.split_phi(phi)
        return blocks.get("corStruct", np.zeros(0)), blocks.get("varStruct", np.zeros(0))

    def _r(self, tc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``r_d`` per gap and its derivative in the correlation parameter."""
        cor = self.design.cor
        d = self.gaps
        if cor is None:
            return np.zeros(0), np.zeros(0)
        assert isinstance(cor, BoundCor)
        t = float(cor._full(tc)[0])  # the held value where fixed
        if self.kind == "car1":
            ph = 1.0 / (1.0 + math.exp(-t))
            r = ph ** d
            return r, d * r * (1.0 - ph)
        ph = math.tanh(t / 2.0)
        dph = (1.0 - ph * ph) / 2.0
        return ph ** d, d * ph ** (d - 1.0) * dph

    def _coefficients(self, phi: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """The terms' coefficients (full layout), their derivatives in
        ``phi`` (full layout x n_phi), the structures' log-likelihood and
        its gradient."""
        tc, tv = self._parts(phi)
        vs = self.vs
        K = self.n_keys
        lw = vs.c + vs.J @ tv
        w = np.exp(lw)
        r, dr = self._r(tc)
        nd = r.size
        e = 1.0 / (1.0 - r * r)  # (nd,)
        de = 2.0 * r * e * e  # d e / d r
        w2 = w * w
        c_f = w2
        c_d = e[:, None] * w2[None, :]  # (nd, K)
        c_l = (r * r * e)[:, None] * w2[None, :]
        c_p = -(r * e)[:, None, None] * w[None, :, None] * w[None, None, :]  # (nd, K, K)
        coef = np.concatenate([c_f, c_d.ravel(), c_l.ravel(), c_p.ravel()])
        # derivatives in lw (per key) and in r (per gap)
        eyeK = np.eye(K)
        g_f = 2.0 * np.diag(w2)  # (K, K): d c_f[s] / d lw[u]
        g_d = 2.0 * c_d[:, :, None] * eyeK[None]  # (nd, K, K)
        g_l = 2.0 * c_l[:, :, None] * eyeK[None]
        g_p = c_p[..., None] * (eyeK[None, :, None, :] + eyeK[None, None, :, :])
        dlw = np.concatenate([g_f, g_d.reshape(-1, K), g_l.reshape(-1, K),
                              g_p.reshape(-1, K)]) @ vs.J  # (J_full, n_var)
        r_d = np.zeros((K, nd))
        r_dd = (de[:, None] * w2[None, :])  # (nd, K)
        r_dl = ((2.0 * r * e + r * r * de)[:, None] * w2[None, :])
        r_dp = -((e + r * de)[:, None, None] * w[None, :, None] * w[None, None, :])
        dgap = np.zeros((nd, K, nd))
        dgap[np.arange(nd), :, np.arange(nd)] = r_dd
        dgapl = np.zeros((nd, K, nd))
        dgapl[np.arange(nd), :, np.arange(nd)] = r_dl
        dgapp = np.zeros((nd, K, K, nd))
        dgapp[np.arange(nd), :, :, np.arange(nd)] = r_dp
        dr_full = np.concatenate([r_d, dgap.reshape(nd * K, nd), dgapl.reshape(nd * K, nd),
                                  dgapp.reshape(nd * K * K, nd)])  # (J_full, nd)
        dtc = dr_full @ dr[:, None] if tc.size else np.zeros((coef.size, 0))
        ll = float(self.key_counts @ lw) + self.ll_fold
        ll -= 0.5 * float(self.gap_counts @ np.log1p(-r * r)) if nd else 0.0
        g_ll_v = vs.J.T @ self.key_counts
        g_ll_c = np.array([float(self.gap_counts @ (r * e * dr))]) if tc.size else np.zeros(0)
        dcoef = self._assemble(dtc, dlw)
        return coef, dcoef, ll, self._assemble(g_ll_c[None, :], g_ll_v[None, :])[0]

    def _assemble(self, gc: np.ndarray, gv: np.ndarray) -> np.ndarray:
        parts = {"corStruct": gc, "varStruct": gv}
        out = [parts[name] for name, c in self.design.components if c.n_params]
        return np.concatenate(out, axis=1) if out else np.zeros((gc.shape[0], 0))

    # -- the criterion ----------------------------------------------------------
    def at(self, phi: np.ndarray) -> tuple[ProfiledLikelihood, float]:
        """The unstructured criterion of the design whitened at ``phi`` (on
        the terms' cells) and the structures' log-likelihood."""
        pl, ll, _, _ = self._at(phi)
        return pl, ll

    def _at(self, phi: np.ndarray) -> tuple[ProfiledLikelihood, float, np.ndarray, np.ndarray]:
        phi = np.asarray(phi, dtype=float).ravel()
        key = phi.tobytes()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        with np.errstate(all="ignore"):
            coef, dcoef, ll, dll = self._coefficients(phi)
        if not (np.all(np.isfinite(coef)) and math.isfinite(ll)):
            raise FloatingPointError("the structures' parameters give non-finite cross-products")
        c = coef[self.ids]
        cells = (c @ self.terms).reshape(self.k, self.k, self.G)
        b = self.base
        red = Reduced(cells=cells, q=b.q, p=b.p, n=b.n, parents=b.parents, n_groups=b.n_groups,
                      z_factors=b.z_factors, x_factor=b.x_factor, beta_offset=b.beta_offset)
        pl = ProfiledLikelihood(red, self.design.pds, self.design.reml)
        self.evaluations += 1
        if len(self._cache) >= _CACHE:
            self._cache.pop(next(iter(self._cache)))
        out = (pl, ll, dcoef[self.ids], dll)
        self._cache[key] = out
        return out

    def start(self, phi: np.ndarray) -> np.ndarray:
        """nlme's starting values of ``theta`` on the rows whitened at ``phi``
        (:meth:`hlm_py.lme.design.LmeDesign.start`, the column sums of
        squares of each whitened ``Z`` from the cells)."""
        pl, _ = self.at(phi)
        tot = pl.red.total()
        b = self.base
        parts = []
        for lvl, (pdc, G) in enumerate(zip(self.design.pds, b.n_groups)):
            q = b.q[lvl]
            a = int(sum(b.q[lvl + 1:]))
            R = b.z_factors[lvl]  # type: ignore[index]
            ss = np.diag(R.T @ tot[a:a + q, a:a + q] @ R) / G
            ss = np.where(ss > 0, ss, 1.0)
            delta = 0.375 * np.sqrt(ss)
            parts.append(pdc.params(np.diag(1.0 / delta ** 2)))
        return np.concatenate(parts)

    def deviance(self, theta: np.ndarray, phi: np.ndarray) -> float:
        """The structured deviance at ``(theta, phi)`` (``inf`` where undefined)."""
        try:
            pl, ll = self.at(phi)
        except (FloatingPointError, np.linalg.LinAlgError, ValueError):
            return math.inf
        with np.errstate(all="ignore"):
            return float(pl.deviance(theta)) - 2.0 * ll

    def value_and_gradient(self, theta: np.ndarray, phi: np.ndarray
                           ) -> tuple[float, np.ndarray, np.ndarray]:
        """The deviance and its gradients in ``theta`` and in ``phi``
        (``inf`` and zeros where undefined)."""
        theta = np.asarray(theta, dtype=float)
        phi = np.asarray(phi, dtype=float).ravel()
        bad = (math.inf, np.zeros(theta.size), np.zeros(phi.size))
        try:
            pl, ll, dcoef, dll = self._at(phi)
        except (FloatingPointError, np.linalg.LinAlgError, ValueError):
            return bad
        with np.errstate(all="ignore"):
            dev, g_t, cbar = pl.deviance_gradient_cells(theta)
        if cbar is None or not math.isfinite(dev):
            return bad
        # d dev / d c_j = <cbar, T_j>
        g_c = self.terms @ np.ascontiguousarray(cbar).reshape(-1)
        g_phi = g_c @ dcoef - 2.0 * dll
        if not (np.all(np.isfinite(g_t)) and np.all(np.isfinite(g_phi))):
            return bad
        return float(dev) - 2.0 * ll, np.asarray(g_t, dtype=float), g_phi


def _chain(cor: object, n: int) -> tuple[str, np.ndarray, np.ndarray] | None:
    """``(kind, prev, gap)``: per row the row before it in its correlation
    group's time order (-1 for none) and the time between them; None where
    the structure is not a Markov chain of this module."""
    prev = np.full(n, -1, dtype=np.int64)
    gap = np.zeros(n)
    if cor is None:
        return "none", prev, gap
    if isinstance(cor, _AR1Bound):
        prev[cor._rows] = cor._prev
        gap[cor._rows] = 1.0
        return "ar1", prev, gap
    if isinstance(cor, _ARMABound) and (cor.p, cor.q) == (1, 0):
        kind = "arma"
    elif isinstance(cor, _CAR1Bound):
        kind = "car1"
    else:
        return None
    t = cor.times
    if t is None or t.size != n:
        return None
    codes = np.asarray(cor.group_codes, dtype=np.int64)
    order = np.lexsort((t, codes))
    same = codes[order[1:]] == codes[order[:-1]]
    cur, before = order[1:][same], order[:-1][same]
    prev[cur] = before
    gap[cur] = t[cur] - t[before]
    if np.any(gap[cur] <= 0):
        return None
    return kind, prev, gap


def _conditioned(design: LmeDesign, base: Reduced) -> np.ndarray:
    """``[Z~_Q | ... | Z~_1 | X~ | y~]`` (the cells' columns) from the
    unstructured design's reduction."""
    X, y = design.X, design.y
    p = X.shape[1]
    cols = []
    rz = base.z_factors or []
    for z, r in reversed(list(zip(design.Z, rz))):
        cols.append(np.linalg.solve(r.T, z.T).T)
    if p:
        rx = base.x_factor
        assert rx is not None  # chain_criterion checks it
        cols.append(np.linalg.solve(rx.T, X.T).T)
        cols.append((y - X @ base.beta_offset)[:, None])
    else:
        cols.append(y[:, None])
    return np.concatenate(cols, axis=1)


def _accumulate(index: np.ndarray, A: np.ndarray, B: np.ndarray, size: int) -> np.ndarray:
    """``(size, k, k)``: per bucket the sum of ``a_i b_i' + b_i a_i'`` (or
    ``a_i a_i'`` where ``B`` is ``A``) over its rows."""
    k = A.shape[1]
    out = np.empty((size, k, k))
    sym = A is B
    for a in range(k):
        for b in range(a if sym else 0, k):
            v = np.bincount(index, weights=A[:, a] * B[:, b], minlength=size)
            if sym:
                out[:, a, b] = out[:, b, a] = v
            else:
                out[:, a, b] = v
    if not sym:
        out = out + out.transpose(0, 2, 1)
    return out


def chain_criterion(design: LmeDesign) -> ChainCriterion | None:
    """The chain criterion of an lme ``design`` with structures, or None
    where they keep no reduction (module docstring) or where the terms
    would hold more than :data:`MAX_FLOATS` numbers."""
    n = design.n
    var = design.var
    if var is not None and getattr(var, "needs_update", False):
        return None
    vs = var_strata(var, n)
    ch = _chain(design.cor, n)
    if vs is None or ch is None:
        return None
    kind, prev, gap = ch
    base = design.reduced
    if base.x_singular or base.z_factors is None or base.x_factor is None:
        return None
    g = np.asarray(design.grouping.codes[-1], dtype=np.int64)
    has = prev >= 0
    if np.any(g[has] != g[prev[has]]):
        return None  # a correlation group across lme groups
    gaps, ginv = np.unique(gap[has], return_inverse=True)
    ginv = np.asarray(ginv, dtype=np.int64).ravel()
    if gaps.size > MAX_GAPS:
        return None
    K, nd = vs.n_keys, gaps.size
    G = int(design.grouping.n_groups[-1])
    W = _conditioned(design, base)
    ll_fold = 0.0
    if vs.fold is not None:
        W = W * vs.fold[:, None]
        ll_fold = float(np.sum(np.log(vs.fold)))
    k = W.shape[1]
    key = np.asarray(vs.key, dtype=np.int64)
    rows = np.flatnonzero(has)
    pr = prev[rows]
    # term ids (full layout: F, D, L, P) of each row or pair
    first = np.flatnonzero(~has)
    t_f = key[first]
    t_d = K + ginv * K + key[rows]
    t_l = K + nd * K + ginv * K + key[pr]
    t_p = K + 2 * nd * K + (ginv * K + key[rows]) * K + key[pr]
    used = np.unique(np.concatenate([t_f, t_d, t_l, t_p]))
    J = used.size
    if J * k * k * G > MAX_FLOATS:
        return None
    pos = np.full(K + 2 * nd * K + nd * K * K, -1, dtype=np.int64)
    pos[used] = np.arange(J)
    size = J * G
    Wf = W[first]
    T = _accumulate(pos[t_f] * G + g[first], Wf, Wf, size)
    Wr = W[rows]
    T += _accumulate(pos[t_d] * G + g[rows], Wr, Wr, size)
    Wp = W[pr]
    T += _accumulate(pos[t_l] * G + g[rows], Wp, Wp, size)
    T += _accumulate(pos[t_p] * G + g[rows], Wr, Wp, size)
    # (J * G, k, k) -> (J, k, k, G), the cells' layout
    terms = np.ascontiguousarray(T.reshape(J, G, k, k).transpose(0, 2, 3, 1).reshape(J, -1))
    key_counts = np.bincount(key, minlength=K).astype(float)
    gap_counts = np.bincount(ginv, minlength=nd).astype(float)
    return ChainCriterion(design, kind, gaps, K, vs, used, terms, (key_counts, gap_counts),
                          ll_fold, base)
