"""R's ``^``, ``exp``, ``log``, ... against hlm_py.linalg.libm, bit for bit.

Both call the C library, so on any CPU the bits agree; numpy's SIMD kernels
need not (tests/unit/test_libm.py simulates them). Special values follow R's
own table (``R_pow``, ``R_log``, ``logbase``).
"""

from __future__ import annotations

import numpy as np
import pytest

from hlm_py.linalg.libm import MATH1, r_log, r_logbase, r_math1, r_pow

pytestmark = pytest.mark.live_r

SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, np.inf, -np.inf, np.nan,
           1e300, -1e300, 1e-300, 709.0, 710.0, -745.5]


@pytest.fixture(scope="module")
def ro():
    import rpy2.robjects as robjects

    from r_reference import rsession

    rsession.r()
    return robjects


def _values() -> np.ndarray:
    rng = np.random.default_rng(11)
    return np.concatenate([SPECIAL, rng.normal(0, 3, 400), rng.uniform(-40, 40, 400),
                           np.exp(rng.uniform(-50, 50, 200))])


def _in_r(ro, code: str, **vectors: np.ndarray) -> np.ndarray:
    for name, v in vectors.items():
        ro.globalenv[name] = ro.FloatVector(v)
    return np.array(ro.r(f"suppressWarnings({code})"), dtype=float, copy=True)


def test_pow_is_r_s(ro):
    x = _values()
    y = np.concatenate([SPECIAL, np.arange(-4, 27, dtype=float), [0.25, 1.5, -2.5, 1 / 3]])
    xx, yy = np.repeat(x, len(y)), np.tile(y, len(x))
    assert np.array_equal(r_pow(xx, yy), _in_r(ro, "x ^ y", x=xx, y=yy), equal_nan=True)


@pytest.mark.parametrize("name", sorted(MATH1))
def test_math1_is_r_s(ro, name):
    x = _values()
    assert np.array_equal(r_math1(name, x),
                          _in_r(ro, f"{name}(x)", x=x), equal_nan=True)


def test_log_is_r_s(ro):
    x = _values()
    assert np.array_equal(r_log(x), _in_r(ro, "log(x)", x=x), equal_nan=True)
    for base in (10.0, 2.0, 3.0, 0.5):
        assert np.array_equal(r_logbase(x, base), _in_r(ro, f"log(x, base = {base!r})", x=x),
                              equal_nan=True)
