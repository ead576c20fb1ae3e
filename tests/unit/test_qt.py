"""hlm_py.linalg.qt: R's qt to full precision whatever scipy computes t.ppf
with (cephes' stdtrit before scipy 1.13 is good to about 1e-9 only)."""

import numpy as np
import pytest

from hlm_py.linalg.qt import qt

# (p, df) where scipy before 1.13 is off R's qt by up to 1e-9
CASES = [(0.025, 48), (0.975, 48), (0.025, 5), (0.005, 1), (0.995, 2), (1e-10, 3), (0.4, 100),
         (0.025, np.inf), (0.025, 1e6)]


@pytest.mark.live_r
@pytest.mark.parametrize(("p", "df"), CASES)
def test_qt_matches_r(p, df):
    from r_reference import rsession

    r = rsession.r()
    want = float(r(f"qt({p!r}, {'Inf' if np.isinf(df) else repr(df)})")[0])
    assert qt(p, df) == pytest.approx(want, rel=1e-14)


def test_qt_inverts_the_distribution_function():
    from scipy import stats

    for p, df in CASES:
        assert stats.t.cdf(qt(p, df), df) == pytest.approx(p, rel=1e-13)
        if p >= 1e-3:  # (1 - p is exact enough there)
            assert qt(1 - p, df) == pytest.approx(-qt(p, df), rel=1e-12)


def test_qt_edges_and_shapes():
    assert qt(0.5, 7) == pytest.approx(0.0, abs=1e-15)
    assert qt(0.0, 5) == -np.inf and qt(1.0, 5) == np.inf
    assert np.isnan(qt(0.3, 0)) and np.isnan(qt(0.3, np.nan))
    v = qt([0.025, 0.975], 48)
    assert v.shape == (2,)
    assert v[0] == qt(0.025, 48) and v[1] == qt(0.975, 48)
    w = qt(0.025, np.array([5.0, 48.0, np.nan]))
    assert w.shape == (3,) and np.isnan(w[2])
    assert w[0] == qt(0.025, 5.0) and w[1] == qt(0.025, 48.0)
