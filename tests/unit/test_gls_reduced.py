"""gls's pattern criterion (``hlm_py/gls/reduced.py``): the same deviance as
the whitening of all rows, its closed-form gradient, which structures keep
the reduction, and the search on it (without R)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.gls import search as search_mod
from hlm_py.gls.criterion import GlsCriterion
from hlm_py.gls.design import gls_design
from hlm_py.gls.model import gls_fit
from hlm_py.gls.reduced import pattern_criterion
from hlm_py.linalg.minimise import central_gradient, minimise


@pytest.fixture(scope="module")
def unbalanced() -> pd.DataFrame:
    """Orthodont with rows dropped: groups of 2, 3 and 4 rows, times with gaps."""
    orth = hlm.datasets.load("Orthodont")
    rng = np.random.default_rng(7)
    keep = rng.random(len(orth)) > 0.2
    keep[::4] = True  # every subject keeps its first visit
    out = orth.loc[keep].reset_index(drop=True)
    out["visit"] = ((out["age"].astype(float) - 8) / 2 + 1).astype(int)
    return out


CASES = {
    "corSymm_varIdent": dict(correlation=hlm.corSymm(form="~ visit | Subject"),
                             weights=hlm.varIdent(form="~ 1 | age")),
    "corCompSymm": dict(correlation=hlm.corCompSymm(form="~ 1 | Subject")),
    "corAR1_varIdent": dict(correlation=hlm.corAR1(form="~ 1 | Subject"),
                            weights=hlm.varIdent(form="~ 1 | Sex")),
    "corARMA": dict(correlation=hlm.corARMA(form="~ visit | Subject", p=1, q=1)),
    "varIdent": dict(weights=hlm.varIdent(form="~ 1 | age")),
    "varComb": dict(correlation=hlm.corCompSymm(form="~ 1 | Subject"),
                    weights=hlm.varComb(hlm.varIdent(form="~ 1 | age"),
                                        hlm.varIdent(form="~ 1 | Sex"))),
    "varFixed_varIdent": dict(weights=hlm.varComb(hlm.varFixed("~ age"),
                                                  hlm.varIdent(form="~ 1 | Sex"))),
}


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_pattern_criterion_is_the_whitening_criterion(unbalanced, name, method):
    d = gls_design("distance ~ Sex * I(age - 11)", unbalanced, method=method, **CASES[name])
    red = pattern_criterion(d)
    assert red is not None
    exact = GlsCriterion(d)
    rng = np.random.default_rng(11)
    for _ in range(3):
        theta = d.start() + 0.3 * rng.normal(size=d.n_params)
        f, g = red.value_and_gradient(theta)
        fe = exact.deviance(theta)
        assert math.isclose(f, fe, rel_tol=1e-12, abs_tol=1e-9)
        np.testing.assert_allclose(red.pieces(theta), exact.pieces(theta), rtol=1e-11, atol=1e-10)
        ge = central_gradient(exact.deviance, theta, step=1e-5)
        np.testing.assert_allclose(g, ge, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(ge))))
        assert red.full_loglik(theta, 0.3) == pytest.approx(exact.full_loglik(theta, 0.3),
                                                            rel=1e-12)


@pytest.mark.parametrize("weights", [
    hlm.varPower(form="~ age"), hlm.varExp(form="~ age"), hlm.varConstPower(form="~ age"),
    hlm.varPower(), hlm.varComb(hlm.varIdent(form="~ 1 | Sex"), hlm.varPower(form="~ age")),
])
def test_variance_functions_of_a_covariate_keep_the_whitening(unbalanced, weights):
    d = gls_design("distance ~ age", unbalanced, weights=weights,
                   correlation=hlm.corCompSymm(form="~ 1 | Subject"))
    assert pattern_criterion(d) is None


def test_one_group_of_all_rows_keeps_the_whitening(unbalanced):
    # corAR1 without groups: one pattern of n rows, n^2 cells
    d = gls_design("distance ~ age", unbalanced, correlation=hlm.corAR1())
    assert pattern_criterion(d) is None


def test_no_structures_and_fixed_structures_reduce(unbalanced):
    assert pattern_criterion(gls_design("distance ~ age", unbalanced)) is not None
    d = gls_design("distance ~ age", unbalanced,
                   correlation=hlm.corCompSymm(0.3, form="~ 1 | Subject", fixed=True))
    red = pattern_criterion(d)
    assert red is not None and d.n_params == 0
    assert math.isclose(red.deviance(np.zeros(0)), GlsCriterion(d).deviance(np.zeros(0)),
                        rel_tol=1e-12)


def test_the_search_ends_where_the_exact_gradient_vanishes(unbalanced):
    d = gls_design("distance ~ Sex * I(age - 11)", unbalanced, **CASES["corSymm_varIdent"])
    fit = gls_fit(d)
    exact = GlsCriterion(d)
    g = central_gradient(exact.deviance, fit.theta, step=1e-5)
    assert np.max(np.abs(g)) < 1e-4
    ref = minimise(exact.deviance, d.start())
    np.testing.assert_allclose(fit.theta, ref.x, rtol=0, atol=1e-5)
    assert float(hlm.logLik(fit)) >= -0.5 * ref.fun - 1e-9
    assert fit.optim is not None and fit.optim.fun == exact.deviance(fit.theta)


def test_a_pattern_criterion_off_the_exact_one_is_finished_on_the_exact_one(unbalanced,
                                                                            monkeypatch):
    d = gls_design("distance ~ Sex * I(age - 11)", unbalanced, **CASES["corCompSymm"])
    crit = GlsCriterion(d)
    monkeypatch.setattr(search_mod, "REDUCED_TOL", -1.0)
    res = search_mod.search(crit, d.start(), max_iter=200)
    assert res.message.startswith("pattern criterion")
    monkeypatch.undo()
    ref = search_mod.search(crit, d.start(), max_iter=200)
    assert not ref.message.startswith("pattern criterion")
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-5)


def test_outside_the_parameter_space_the_criterion_is_infinite(unbalanced):
    # a stratum's weight that underflows leaves the whitened X rank deficient
    d = gls_design("distance ~ Sex", unbalanced, weights=hlm.varIdent(form="~ 1 | Sex"))
    red = pattern_criterion(d)
    assert red is not None
    f, g = red.value_and_gradient(np.array([800.0]))
    assert f == math.inf and np.all(g == 0.0)
    assert red.pieces(np.array([800.0])) is None
    assert GlsCriterion(d).pieces(np.array([800.0])) is None
