"""Double-double arithmetic on numpy arrays (about 32 significant digits).

A value is the unevaluated sum ``hi + lo`` of two doubles with ``|lo| <=
ulp(hi) / 2``; sums, products and quotients are formed from the error-free
transformations of :mod:`hlm_py.linalg.compensated` as in the QD library
(Hida, Li and Bailey 2001, the "accurate" addition). Everything is
elementwise over arrays, so a stack of small matrices (groups on the last
axis) is processed entry by entry with a few vector operations each.

R has no counterpart: this serves the accuracy of hlm_py's own evaluation of
``log det V`` where its matrices span 20 orders of magnitude
(:mod:`hlm_py.lme.logdet_v`).
"""

from __future__ import annotations

import math

import numpy as np

from hlm_py.linalg.compensated import two_product, two_sum

__all__ = ["DD", "exact_group_sums"]


def _fast_two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``two_sum`` for ``|a| >= |b|`` (or ``a`` zero)."""
    s = a + b
    return s, b - (s - a)


class DD:
    """An array of double-double numbers ``hi + lo`` (see the module docstring).

    Operands of ``+``, ``-``, ``*`` and ``/`` are ``DD`` or doubles (arrays or
    scalars, taken as exact); results are ``DD``. Non-finite inputs give
    non-finite results.
    """

    __slots__ = ("hi", "lo")

    def __init__(self, hi, lo=None):
        self.hi = np.asarray(hi, dtype=float)
        self.lo = np.zeros_like(self.hi) if lo is None else np.asarray(lo, dtype=float)

    @staticmethod
    def _pair(hi: np.ndarray, lo: np.ndarray) -> DD:
        out = DD.__new__(DD)
        out.hi, out.lo = hi, lo
        return out

    def __neg__(self) -> DD:
        return DD._pair(-self.hi, -self.lo)

    def __add__(self, other) -> DD:
        if not isinstance(other, DD):
            s, e = two_sum(self.hi, np.asarray(other, dtype=float))
            return DD._pair(*_fast_two_sum(s, e + self.lo))
        s, e = two_sum(self.hi, other.hi)
        t, f = two_sum(self.lo, other.lo)
        s, e = _fast_two_sum(s, e + t)
        return DD._pair(*_fast_two_sum(s, e + f))

    __radd__ = __add__

    def __sub__(self, other) -> DD:
        return self + (-other)

    def __rsub__(self, other) -> DD:
        return (-self) + other

    def __mul__(self, other) -> DD:
        if not isinstance(other, DD):
            o = np.asarray(other, dtype=float)
            p, e = two_product(self.hi, o)
            return DD._pair(*_fast_two_sum(p, e + self.lo * o))
        p, e = two_product(self.hi, other.hi)
        e = e + (self.hi * other.lo + self.lo * other.hi)
        return DD._pair(*_fast_two_sum(p, e))

    __rmul__ = __mul__

    def __truediv__(self, other) -> DD:
        # one correction of the leading quotient: within a few units of the
        # last double-double place (QD's "sloppy" division)
        o = other if isinstance(other, DD) else DD(other)
        q1 = self.hi / o.hi
        r = self - o * q1
        return DD._pair(*_fast_two_sum(q1, r.hi / o.hi))

    def __getitem__(self, key) -> DD:
        return DD._pair(self.hi[key], self.lo[key])

    def __setitem__(self, key, value) -> None:
        v = value if isinstance(value, DD) else DD(value)
        self.hi[key] = v.hi
        self.lo[key] = v.lo

    @property
    def shape(self) -> tuple[int, ...]:
        return self.hi.shape

    def sum_last(self) -> DD:
        """The sum over the last axis, pairwise (``log2`` of its length
        double-double additions)."""
        hi, lo = self.hi, self.lo
        while hi.shape[-1] > 1:
            m = hi.shape[-1]
            if m % 2:
                pad = [(0, 0)] * (hi.ndim - 1) + [(0, 1)]
                hi, lo = np.pad(hi, pad), np.pad(lo, pad)
                m += 1
            s = DD._pair(hi[..., : m // 2], lo[..., : m // 2]) + \
                DD._pair(hi[..., m // 2:], lo[..., m // 2:])
            hi, lo = s.hi, s.lo
        return DD(hi[..., 0], lo[..., 0]) if hi.shape[-1] else DD(np.zeros(hi.shape[:-1]))

    def log(self) -> np.ndarray:
        """``log(hi + lo)`` in double (to its last bit, for positive values)."""
        return np.log(self.hi) + np.log1p(self.lo / self.hi)


def exact_group_sums(terms: list[np.ndarray], codes: np.ndarray, n_groups: int) -> DD:
    """``sum_k terms[k][i]`` over the rows ``i`` of each group, as the double-
    double rounding of the exact sum (``math.fsum``, twice per group)."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    values = np.concatenate([np.asarray(t, dtype=float)[order][None, :] for t in terms], axis=0)
    hi = np.empty(n_groups)
    lo = np.empty(n_groups)
    for g in range(n_groups):
        part = values[:, bounds[g]:bounds[g + 1]].ravel().tolist()
        hi[g] = math.fsum(part)
        part.append(-hi[g])
        lo[g] = math.fsum(part)
    return DD(hi, lo)
