"""Double-double arithmetic (``hlm_py.linalg.double_double``), checked against
exact rational arithmetic."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hlm_py.linalg.double_double import DD, exact_group_sums

#: the unit roundoff of double-double (2^-104) ...
_U = 2.0 ** -104
#: ... and of its products and quotients a few units: the QD library's bounds
_OP_BOUND = 8 * _U

#: zero or a magnitude in [1e-60, 1e60] (products and their error terms
#: neither overflow nor underflow)
_finite = st.one_of(st.just(0.0), st.builds(
    lambda m, neg: -m if neg else m, st.floats(min_value=1e-60, max_value=1e60), st.booleans()))


def _exact(x: DD, i: int = 0) -> Fraction:
    return Fraction(float(x.hi.ravel()[i])) + Fraction(float(x.lo.ravel()[i]))


def _dd(a: float, b: float) -> DD:
    """The double-double nearest ``a + b`` (normalised)."""
    return DD(np.array([a])) + b


@settings(max_examples=300)
@given(a=_finite, b=_finite, c=_finite, d=_finite)
def test_operations_are_within_a_few_units_of_double_double_rounding(a, b, c, d) -> None:
    x, y = _dd(a, 1e-17 * b), _dd(c, 1e-17 * d)
    assert _exact(x) == Fraction(a) + Fraction(1e-17 * b)  # the sum of two doubles is exact
    ex, ey = _exact(x), _exact(y)
    ops = [(x + y, ex + ey, abs(ex) + abs(ey)), (x - y, ex - ey, abs(ex) + abs(ey)),
           (x * y, ex * ey, abs(ex * ey)), (x * c, ex * Fraction(c), abs(ex * Fraction(c)))]
    for got, want, size in ops:
        assert abs(_exact(got) - want) <= Fraction(_OP_BOUND) * size
    if ey != 0:
        assert abs(_exact(x / y) - ex / ey) <= Fraction(_OP_BOUND) * abs(ex / ey)


def test_a_cancellation_keeps_the_digits_double_precision_loses() -> None:
    """``(1e10 + 1e-7)^2 - 1e20``: double precision gives 0 (or 2^14 steps),
    double-double the exact ``2e3 + 1e-14``."""
    x = DD(np.array([1e10])) + 1e-7
    got = x * x - 1e20
    want = (Fraction(10 ** 10) + Fraction(1e-7)) ** 2 - 10 ** 20
    assert abs(_exact(got) - want) <= Fraction(_OP_BOUND) * Fraction(10 ** 20)
    assert float(got.hi[0]) == pytest.approx(2e3, rel=1e-12)


def test_sums_over_the_last_axis_and_over_groups_are_exact_to_double_double() -> None:
    rng = np.random.default_rng(4)
    v = rng.standard_normal(37) * 10 ** rng.uniform(-8, 8, 37)
    s = DD(v).sum_last()
    want = sum(Fraction(float(t)) for t in v)
    assert abs(_exact(s) - want) <= Fraction(6 * _U) * sum(Fraction(abs(float(t))) for t in v)
    codes = rng.integers(0, 5, 37)
    g = exact_group_sums([v, -0.5 * v], codes, 6)
    for k in range(6):
        want = sum(Fraction(float(t)) * Fraction(1, 2) for t in v[codes == k])
        assert abs(_exact(g, k) - want) <= Fraction(_U) * abs(want)
    assert float(g.hi[5]) == 0.0 and float(g.lo[5]) == 0.0  # a group without rows


def test_indexing_and_assignment_keep_both_parts() -> None:
    a = DD(np.zeros((2, 3)))
    a[1, :] = DD(np.array([1.0, 2.0, 3.0])) + 1e-20
    assert a[1].lo.tolist() == [1e-20] * 3 and a[0].lo.tolist() == [0.0] * 3
    assert a.shape == (2, 3)
    assert float((-a)[1, 0].hi) == -1.0
