"""nlme's EM start (``hlm_py.lme.em``) computed from the criterion's reduced cells.

Until the fit calls it, the iterates are checked against the fit's own EM
start (``_em_start`` in ``hlm_py.lme.fit``), which makes its own pass over
the data: the thetas agree to rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.em import em_start
from hlm_py.lme.fit import _em_start, _initial_theta
from hlm_py.lme.grouping import build_grouping
from hlm_py.lme.pdmat import PdClass, pdCompSymm, pdDiag, pdIdent, pdLogChol, pdSymm
from hlm_py.lme.reduce import reduce_data


def _orthodont():
    d = hlm.datasets.load("Orthodont")
    g = build_grouping(d, ["Subject"])
    age = d["age"].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(d)), age])
    return X, d["distance"].to_numpy(dtype=float), [X.copy()], g


def _synthetic(seed: int = 5):
    rng = np.random.default_rng(seed)
    n, G = 90, 12
    codes = np.r_[np.arange(G), rng.integers(0, G, n - G)]
    x = 1e3 + 10 * rng.standard_normal(n)  # shifted and scaled: the cells' coordinates matter
    w = rng.standard_normal(n)
    X = np.column_stack([np.ones(n), x, w])
    Z = np.column_stack([np.ones(n), w])
    y = X @ [1.0, 0.01, 0.5] + rng.standard_normal(G)[codes] \
        + 0.4 * rng.standard_normal(G)[codes] * w + rng.standard_normal(n)
    d = pd.DataFrame({"g": pd.Categorical([f"G{k:02d}" for k in codes])})
    return X, y, [Z], build_grouping(d, ["g"])


@pytest.mark.parametrize("data", [_orthodont, _synthetic])
@pytest.mark.parametrize("pd_cls", [pdLogChol, pdDiag, pdSymm, pdIdent])
@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("triangular", [False, True])
def test_em_start_from_the_cells_is_the_fits(data, pd_cls: type[PdClass], reml: bool,
                                             triangular: bool) -> None:
    X, y, Z, g = data()
    red = reduce_data(X, y, Z, g.codes, g.parents, g.n_groups, triangular=triangular)
    lik = ProfiledLikelihood(red, [pd_cls()], reml, qr=triangular)
    theta0 = _initial_theta(lik, Z, g)
    for n_iter in (1, 25):
        old = _em_start(lik, X, Z, g, theta0, n_iter)
        new = em_start(lik, theta0, n_iter)
        assert not np.array_equal(new, theta0)
        np.testing.assert_allclose(new, old, rtol=1e-10, atol=1e-12)


def test_em_start_leaves_a_start_it_has_no_step_for() -> None:
    X, y, Z, g = _orthodont()
    red = reduce_data(X, y, Z, g.codes, g.parents, g.n_groups)
    lik = ProfiledLikelihood(red, [pdCompSymm()], True)
    theta0 = _initial_theta(lik, Z, g)
    assert np.array_equal(em_start(lik, theta0, 25), theta0)
    lik = ProfiledLikelihood(reduce_data(X, y, Z, g.codes, g.parents, g.n_groups), [pdDiag()],
                             True)
    assert np.array_equal(em_start(lik, theta0[:2], 0), theta0[:2])
