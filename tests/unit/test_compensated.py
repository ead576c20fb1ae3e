"""Error-free transformations and residuals in twice the working precision
(``hlm_py.linalg.compensated``), checked against exact rational arithmetic."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hlm_py.linalg.compensated import compensated_residual, two_product, two_sum

_finite = st.floats(min_value=-1e150, max_value=1e150, allow_nan=False, allow_subnormal=False)


@settings(max_examples=300)
@given(a=_finite, b=_finite)
def test_two_sum_and_two_product_are_exact(a: float, b: float) -> None:
    s, e = two_sum(np.array([a]), np.array([b]))
    assert Fraction(float(s[0])) + Fraction(float(e[0])) == Fraction(a) + Fraction(b)
    assert float(s[0]) == a + b
    p, e = two_product(np.array([a]), np.array([b]))
    if abs(a * b) > 1e-290:  # the product's error term must not underflow
        assert Fraction(float(p[0])) + Fraction(float(e[0])) == Fraction(a) * Fraction(b)
    assert float(p[0]) == a * b


def test_a_residual_1e10_times_smaller_than_the_response_keeps_its_digits() -> None:
    """``y - x b1 - z b2`` where ``y`` is 1e10 times the residual: the plain
    evaluation keeps about 6 digits, the compensated one all of them."""
    rng = np.random.default_rng(7)
    n = 200
    x = 10 ** rng.uniform(-3, 3, n) * rng.choice([-1.0, 1.0], n)
    z = rng.standard_normal(n)
    b1, b2 = 0.37 + 1e-17, rng.standard_normal(n)
    y = x * b1 + z * b2 + 1e-10 * rng.standard_normal(n)
    exact = np.array([float(Fraction(float(y[i])) - Fraction(float(x[i])) * Fraction(b1)
                            - Fraction(float(z[i])) * Fraction(float(b2[i]))) for i in range(n)])
    r = compensated_residual(y, [(x, b1), (z, b2)])
    plain = y - x * b1 - z * b2
    rel = np.abs(r - exact) / np.abs(exact)
    assert rel.max() <= 2 * np.finfo(float).eps
    assert (np.abs(plain - exact) / np.abs(exact)).max() > 1e-8  # the plain one does lose them


def test_non_finite_inputs_stay_non_finite() -> None:
    r = compensated_residual(np.array([1.0, np.nan, 2.0]), [(np.array([1.0, 1.0, np.inf]), 1.0)])
    assert r[0] == 0.0 and np.isnan(r[1]) and not np.isfinite(r[2])
