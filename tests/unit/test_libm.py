"""R's arithmetic through the C library (hlm_py.linalg.libm).

numpy's ufuncs for pow/exp/log/... dispatch on the CPU and differ from the C
library in the last bit on some CPUs (AVX-512). A machine without those
kernels cannot show it, so the tests here simulate it: numpy's transcendental
ufuncs are replaced by versions that are one ulp off for some elements, and
what the formula layer computes must not move by a single bit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hlm_py as hlm
from hlm_py.linalg.libm import MATH1, r_log, r_math1, r_pow, r_pow_outer

_PERTURBED = ("power", "float_power", "exp", "log", "log1p", "expm1", "log2", "log10",
              "sin", "cos", "tan")


def _one_ulp_off(fn):
    def wrapped(*args, **kwargs):
        out = np.asarray(fn(*args, **kwargs))
        if out.dtype == np.float64 and out.size:
            flat = out.reshape(-1).copy()
            flat[::3] = np.nextafter(flat[::3], np.inf)
            return flat.reshape(out.shape) if out.ndim else flat[0]
        return out

    for attr in ("outer", "reduce", "accumulate"):
        if hasattr(fn, attr):
            setattr(wrapped, attr, _one_ulp_off(getattr(fn, attr)))
    return wrapped


@pytest.fixture
def other_simd(monkeypatch):
    """numpy's transcendental ufuncs as another CPU's kernels might round them."""
    def apply():
        for name in _PERTURBED:
            monkeypatch.setattr(np, name, _one_ulp_off(getattr(np, name)))
    return apply


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 60
    levels = [f"L{i:02d}" for i in range(25)]
    return pd.DataFrame({
        "y": rng.normal(size=n),
        "x": rng.uniform(0.5, 30.0, size=n),
        "o": pd.Categorical(rng.choice(levels, size=n), categories=levels, ordered=True),
    })


FORMULA = ("y ~ poly(x, 6) + poly(x, 3, raw = TRUE) + I(x^3) + I(x^-1.5) + log(x) + "
           "log(x, base = 10) + log(x, 3) + log1p(x) + exp(x / 10) + expm1(x / 30) + "
           "sin(x) + cos(x) + tan(x) + log2(x) + log10(x) + o")


def test_the_design_does_not_depend_on_numpy_s_kernels(other_simd):
    d = _data()
    before = hlm.model_matrix(FORMULA, d).to_numpy()
    other_simd()
    after = hlm.model_matrix(FORMULA, d).to_numpy()
    assert np.array_equal(before, after)  # bit for bit


def test_an_ordered_factor_s_contrasts_do_not_depend_on_numpy_s_kernels(other_simd):
    d = _data()
    before = hlm.coef(hlm.lm("y ~ o", d)).to_numpy()
    other_simd()
    after = hlm.coef(hlm.lm("y ~ o", d)).to_numpy()
    assert np.array_equal(before, after, equal_nan=True)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=30))
def test_pow_of_finite_pairs_is_the_c_library_s(pairs):
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    got = r_pow(x, y)
    for a, b, g in zip(x.tolist(), y.tolist(), got.tolist()):
        if b == 2.0:
            assert g == a * a or (math.isinf(a * a) and g == a * a)
            continue
        if a == 1.0 or b == 0.0:
            assert g == 1.0
            continue
        if a == 0.0:
            assert g == (0.0 if b > 0 else math.inf)
            continue
        try:
            want = math.pow(a, b)
        except ValueError:
            assert math.isnan(g)
            continue
        except OverflowError:
            assert math.isinf(g)
            continue
        assert g == want


@given(st.lists(st.floats(width=64), min_size=1, max_size=30),
       st.sampled_from(sorted(MATH1)))
def test_math1_is_the_c_library_s(xs, name):
    fn, fallback = MATH1[name]
    got = r_math1(name, np.array(xs))
    for v, g in zip(xs, got.tolist()):
        try:
            want = fn(v)
        except (ValueError, OverflowError):
            want = fallback(v)
        assert g == want or (math.isnan(g) and math.isnan(want))


def test_log_at_and_below_zero_is_r_log_s():
    got = r_log(np.array([0.0, -0.0, -1.0, np.nan, np.inf]))
    assert got[0] == -np.inf and got[1] == -np.inf
    assert np.isnan(got[2]) and np.isnan(got[3]) and got[4] == np.inf


def test_outer_takes_each_power_as_a_column():
    x = np.array([1.5, -2.0, 3.25])
    out = r_pow_outer(x, [0, 1, 2, 3])
    assert out.shape == (3, 4)
    assert np.array_equal(out[:, 3], r_pow(x, 3.0))
    assert np.array_equal(out[:, 2], x * x)
    assert np.array_equal(out[:, 0], np.ones(3))
