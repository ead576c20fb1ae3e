"""R's elementwise arithmetic through the C library, as R computes it.

R takes ``^``, ``exp``, ``log``, ``log1p``, ``expm1``, ``log2``, ``log10`` and
the trigonometric functions from the C library (``R_pow``, ``R_log``,
``logbase`` and ``math1`` in R's ``arithmetic.c``). numpy's ufuncs for the
same functions dispatch on the CPU (SVML and other SIMD kernels on AVX-512),
and those differ from the C library in the last bit for some inputs; an
ill-conditioned computation downstream (``contr.poly``, ``poly``) turns that
into visible digits. The functions here call the C library element by element
through Python's ``math`` module (which calls ``pow``, ``exp``, ``log``, ...
directly), with R's own rules for the special cases, so their bits are R's on
any CPU. Exact operations (``x * x`` for ``x^2``, ``sqrt``, ``abs``) stay
vectorised.

Cost (measured, ``docs/differences.md`` "Arithmetic"): about 0.1 s per
10^6 elements for ``exp``/``log`` and 0.2 s for ``pow``, against 0.01-0.04 s
for numpy's SIMD kernels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

__all__ = ["r_pow", "r_pow_outer", "r_log", "r_logbase", "r_math1", "MATH1"]


def _map1(fn: Callable[[float], float], x: np.ndarray,
          fallback: Callable[[float], float]) -> np.ndarray:
    """``fn`` of each element (C library); ``fallback`` gives C's value where
    Python's ``math`` raises instead (domain and range errors)."""
    flat = x.ravel().tolist()
    try:
        out = np.fromiter(map(fn, flat), dtype=np.float64, count=len(flat))
    except (ValueError, OverflowError):
        def safe(v: float) -> float:
            try:
                return fn(v)
            except (ValueError, OverflowError):
                return fallback(v)

        out = np.fromiter(map(safe, flat), dtype=np.float64, count=len(flat))
    return out.reshape(x.shape)


def _as_float(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _nan(_: float) -> float:
    return math.nan


def _inf(_: float) -> float:
    return math.inf


def _log_domain(v: float) -> float:
    return -math.inf if v == 0.0 else math.nan


def _log1p_domain(v: float) -> float:
    return -math.inf if v == -1.0 else math.nan


MATH1: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "exp": (math.exp, _inf),
    "expm1": (math.expm1, _inf),
    "log1p": (math.log1p, _log1p_domain),
    "log2": (math.log2, _log_domain),
    "log10": (math.log10, _log_domain),
    "sin": (math.sin, _nan),
    "cos": (math.cos, _nan),
    "tan": (math.tan, _nan),
}
"""R's one-argument math functions that come from the C library: the ``math``
function and C's value where ``math`` raises."""


def r_math1(name: str, x) -> np.ndarray:
    """R's ``exp``, ``expm1``, ``log1p``, ``log2``, ``log10``, ``sin``,
    ``cos``, ``tan`` of a double array: the C library's value per element."""
    fn, fallback = MATH1[name]
    return _map1(fn, _as_float(x), fallback)


def r_log(x) -> np.ndarray:
    """R's ``log`` (``R_log``): C's ``log`` for ``x > 0``, ``-Inf`` at 0, NaN below."""
    return _map1(math.log, _as_float(x), _log_domain)


def r_logbase(x, base: float) -> np.ndarray:
    """R's ``log(x, base)`` (``logbase``): C's ``log10``/``log2`` for bases 10
    and 2, else ``R_log(x) / R_log(base)``."""
    if base == 10.0:
        return r_math1("log10", x)
    if base == 2.0:
        return r_math1("log2", x)
    return r_log(x) / r_log(np.float64(base))


def _pow_overflow(x: float, y: float) -> float:
    odd = y == math.floor(y) and math.fmod(y, 2.0) != 0.0
    return -math.inf if (x < 0.0 and odd) else math.inf


def _pow_finite(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """C's ``pow`` of finite pairs (broadcast 1-d arrays of equal length)."""
    xs, ys = x.tolist(), y.tolist()
    try:
        vals = map(math.pow, xs, ys)
        return np.fromiter(vals, dtype=np.float64, count=len(xs))
    except (ValueError, OverflowError):
        def safe(a: float, b: float) -> float:
            try:
                return math.pow(a, b)
            except ValueError:  # negative base, non-integral exponent: C gives NaN
                return math.nan
            except OverflowError:
                return _pow_overflow(a, b)

        return np.fromiter(map(safe, xs, ys), dtype=np.float64, count=len(xs))


def _pow_scalar_exponent(x: np.ndarray, y: float) -> np.ndarray:
    """C's ``pow(x, y)`` of finite ``x`` and one finite ``y``."""
    xs = x.tolist()
    try:
        return np.fromiter(map(math.pow, xs, itertools.repeat(y)), dtype=np.float64,
                           count=len(xs))
    except (ValueError, OverflowError):
        return _pow_finite(x, np.full(x.shape, y))


def r_pow(x, y) -> np.ndarray:
    """R's ``x ^ y`` (``R_POW``/``R_pow``) elementwise, with numpy broadcasting.

    ``x^2`` is ``x * x``; ``1^y`` and ``x^0`` are 1; ``0^y`` is 0, ``Inf`` or
    ``y``; finite pairs take C's ``pow``; the other non-finite cases follow
    R's table (``(-Inf)^3`` is ``-Inf``, ``0.5^Inf`` is 0, ...).
    """
    xa, ya = np.broadcast_arrays(_as_float(x), _as_float(y))
    out = np.empty(xa.shape, dtype=np.float64)
    with np.errstate(all="ignore"):
        sq = ya == 2.0
        one = ~sq & ((xa == 1.0) | (ya == 0.0))
        zero = ~sq & ~one & (xa == 0.0)
        rest = ~(sq | one | zero)
        finite = rest & np.isfinite(xa) & np.isfinite(ya)
        special = rest & ~finite
        out[sq] = xa[sq] * xa[sq]
        out[one] = 1.0
        yz = ya[zero]
        out[zero] = np.where(yz > 0, 0.0, np.where(yz < 0, np.inf, yz))
        if finite.any():
            xf = xa[finite]
            yv = ya[finite]
            if yv.size and np.all(yv == yv[0]):
                out[finite] = _pow_scalar_exponent(xf, float(yv[0]))
            else:
                out[finite] = _pow_finite(xf, yv)
        if special.any():
            out[special] = _pow_nonfinite(xa[special], ya[special])
    return out


def _pow_nonfinite(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The non-finite branch of R's ``R_pow`` (x or y infinite or NaN)."""
    out = np.full(x.shape, np.nan)
    nan = np.isnan(x) | np.isnan(y)
    out[nan] = x[nan] + y[nan]
    pinf = ~nan & (x == np.inf)
    out[pinf] = np.where(y[pinf] < 0, 0.0, np.inf)
    ninf = ~nan & (x == -np.inf) & np.isfinite(y) & (y == np.floor(y))
    yn = y[ninf]
    out[ninf] = np.where(yn < 0, 0.0, np.where(np.fmod(yn, 2.0) != 0, -np.inf, np.inf))
    yinf = ~nan & np.isfinite(x) & np.isinf(y) & (x >= 0)
    xv, yv = x[yinf], y[yinf]
    out[yinf] = np.where(yv > 0, np.where(xv >= 1, np.inf, 0.0),
                         np.where(xv < 1, np.inf, 0.0))
    return out


def r_pow_outer(x, powers) -> np.ndarray:
    """R's ``outer(x, powers, "^")``: column ``j`` is ``x ^ powers[j]``."""
    xa = _as_float(x).reshape(-1)
    ps = _as_float(powers).reshape(-1)
    out = np.empty((xa.shape[0], ps.shape[0]), order="F")
    for j, p in enumerate(ps.tolist()):
        out[:, j] = r_pow(xa, p)
    return out
