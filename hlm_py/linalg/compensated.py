"""Residuals in twice the working precision (error-free transformations).

Where a response is many orders of magnitude larger than its residuals (an
lme fit whose random slopes reproduce the data to 1e-10 of their size), a
residual ``y - sum_k a_k b_k`` formed in double precision keeps only the
digits that the response's size leaves: its error is about ``eps max|y|``,
which can be a sizeable fraction of the residual itself. Here each product
is split exactly into its rounded value and its rounding error (Dekker's
``TwoProduct``, by Veltkamp's splitting) and the sum is accumulated with
Knuth's ``TwoSum``, carrying the errors in a second term: the result is as
accurate as if it were computed in twice the precision and then rounded
(Ogita, Rump and Oishi 2005, ``Dot2``). Everything is vectorised over rows.

R has no counterpart: this serves the accuracy of hlm_py's own evaluation
(``hlm_py.lme.refine``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["two_sum", "two_product", "compensated_residual"]

#: Veltkamp's splitting constant for doubles: 2^27 + 1
_SPLIT = 134217729.0


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth)."""
    s = a + b
    z = s - a
    e = (a - (s - z)) + (b - z)
    return s, e


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def two_product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(p, e)`` with ``p = fl(a b)`` and ``a b = p + e`` exactly (Dekker),
    for ``|a|, |b|`` below about 1e300 (where the splitting cannot overflow)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def compensated_residual(y: np.ndarray, products: Iterable[tuple[np.ndarray, np.ndarray]]
                         ) -> np.ndarray:
    """``y - sum_k a_k * b_k`` elementwise, as if in twice double precision.

    ``products`` gives the pairs ``(a_k, b_k)`` of equal-length vectors. The
    result's error is about ``eps |r| + eps^2 (|y| + sum_k |a_k b_k|)``
    where a plain evaluation's is about ``eps (|y| + sum_k |a_k b_k|)``.
    Non-finite inputs give non-finite results.
    """
    s = np.array(y, dtype=float, copy=True)
    c = np.zeros_like(s)
    with np.errstate(over="ignore", invalid="ignore"):
        for a, b in products:
            p, e = two_product(np.asarray(a, dtype=float), -np.asarray(b, dtype=float))
            s, t = two_sum(s, p)
            c += t + e
    return s + c
