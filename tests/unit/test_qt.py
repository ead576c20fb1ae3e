"""hlm_py.linalg.qt: R's qt to full precision whatever scipy computes t.ppf
with (cephes' stdtrit before scipy 1.13 is good to about 1e-9 only)."""

import numpy as np
import pytest

from hlm_py.linalg.qt import qt

# R 4.2: print(qt(p, df), digits = 17)
R_QT = [
    (0.025, 48, -2.0106347576242323),
    (0.975, 48, 2.0106347576242318),
    (0.025, 5, -2.570581835636315),
    (0.005, 1, -63.656741162871583),
    (0.995, 2, 9.9248432009182892),
    (1e-10, 3, -2225.7692846830946),
    (0.4, 100, -0.25402218245822766),
    (0.025, np.inf, -1.9599639845400538),
    (0.025, 1e6, -1.9599663568141066),
]


@pytest.mark.parametrize(("p", "df", "r"), R_QT)
def test_qt_matches_r(p, df, r):
    assert qt(p, df) == pytest.approx(r, rel=1e-14)


def test_qt_edges_and_shapes():
    assert qt(0.5, 7) == pytest.approx(0.0, abs=1e-15)
    assert qt(0.0, 5) == -np.inf and qt(1.0, 5) == np.inf
    assert np.isnan(qt(0.3, 0)) and np.isnan(qt(0.3, np.nan))
    v = qt([0.025, 0.975], 48)
    assert v.shape == (2,)
    np.testing.assert_allclose(v, [-2.0106347576242323, 2.0106347576242318], rtol=1e-14)
    w = qt(0.025, np.array([5.0, 48.0, np.nan]))
    assert w.shape == (3,) and np.isnan(w[2])
    np.testing.assert_allclose(w[:2], [-2.570581835636315, -2.0106347576242323], rtol=1e-14)
