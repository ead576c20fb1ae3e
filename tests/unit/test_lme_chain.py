"""lme's chain criterion (``hlm_py/lme/chain.py``): the same deviance as the
whitening of all rows and its closed-form gradient, which structures keep
the reduction, and the structured search on it (without R)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.linalg.minimise import central_gradient
from hlm_py.lme.chain import ChainCriterion, chain_criterion
from hlm_py.lme.design import lme_design

structured = importlib.import_module("hlm_py.lme.structured")


def _data(seed: int = 3, n_g: int = 30, gaps: bool = False) -> pd.DataFrame:
    """Groups of 1 to 8 rows (the first group has one), AR(1)-like errors,
    a random intercept; with ``gaps`` the times skip values."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_g):
        s = 1 if g == 0 else int(rng.integers(2, 9))
        t = np.arange(1, s + 1)
        if gaps and s > 2:
            t = np.sort(rng.choice(np.arange(1, 2 * s), size=s, replace=False))
        b = rng.normal()
        e = 0.0
        for tt in t:
            e = 0.6 * e + rng.normal()
            rows.append((f"g{g:03d}", f"h{g // 5}", int(tt), rng.normal(),
                         str(rng.choice(["a", "b", "c"])), b + e))
    df = pd.DataFrame(rows, columns=["g", "h", "time", "x", "s", "e"])
    df["y"] = 1.0 + 2.0 * df["x"] + df["e"] * np.where(df["s"] == "a", 1.0, 1.5)
    return df


@pytest.fixture(scope="module")
def consecutive() -> pd.DataFrame:
    return _data()


@pytest.fixture(scope="module")
def gapped() -> pd.DataFrame:
    return _data(seed=5, gaps=True)


CASES = {
    "corAR1": ("consecutive", dict(random="~ 1 | g", correlation=hlm.corAR1())),
    "corAR1_slope": ("consecutive", dict(random="~ x | g",
                                          correlation=hlm.corAR1(form="~ 1 | g"))),
    "corAR1_gaps": ("gapped", dict(random="~ 1 | g",
                                    correlation=hlm.corAR1(form="~ time | g"))),
    "corCAR1_gaps": ("gapped", dict(random="~ 1 | g",
                                     correlation=hlm.corCAR1(form="~ time | g"))),
    "corAR1_varIdent": ("gapped", dict(random="~ 1 | g",
                                        correlation=hlm.corAR1(form="~ time | g"),
                                        weights=hlm.varIdent(form="~ 1 | s"))),
    "varIdent": ("gapped", dict(random="~ 1 | g", weights=hlm.varIdent(form="~ 1 | s"))),
    "nested": ("gapped", dict(random="~ 1 | h/g",
                              correlation=hlm.corAR1(form="~ time | h/g"))),
    "finer_cor_groups": ("gapped", dict(random="~ 1 | h",
                                         correlation=hlm.corAR1(form="~ time | h/g"))),
    "ML": ("consecutive", dict(random="~ 1 | g", correlation=hlm.corAR1(), method="ML")),
}


def _design(request, name):
    which, kw = CASES[name]
    return lme_design("y ~ x", request.getfixturevalue(which), **kw)


def _exact(design, theta: np.ndarray, phi: np.ndarray) -> float:
    w = design.at(phi)
    return float(w.criterion.deviance(theta)) - 2.0 * w.struct_ll


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient_equal_the_whitened(request, name):
    design = _design(request, name)
    chain = chain_criterion(design)
    assert isinstance(chain, ChainCriterion)
    rng = np.random.default_rng(11)
    k = design.n_params
    for _ in range(3):
        theta = design.start() + rng.normal(scale=0.5, size=k)
        phi = design.struct_start() + rng.normal(scale=0.7, size=design.n_struct)
        exact = _exact(design, theta, phi)
        value, g_theta, g_phi = chain.value_and_gradient(theta, phi)
        assert value == pytest.approx(exact, rel=1e-12)
        assert chain.deviance(theta, phi) == pytest.approx(exact, rel=1e-12)
        x = np.r_[theta, phi]
        num = central_gradient(lambda v: _exact(design, v[:k], v[k:]), x)
        np.testing.assert_allclose(np.r_[g_theta, g_phi], num, rtol=1e-6, atol=1e-5)


def test_group_of_one_and_gaps_are_in_the_terms(gapped):
    design = lme_design("y ~ x", gapped, random="~ 1 | g",
                        correlation=hlm.corAR1(form="~ time | g"))
    assert design.cor.r_class == "corARMA"  # nlme's corAR1 on gapped times
    chain = chain_criterion(design)
    assert chain is not None and chain.kind == "arma"
    assert chain.gaps.size > 1 and chain.gaps.min() == 1.0
    assert np.bincount(design.grouping.codes[-1]).min() == 1


def test_start_equals_the_whitened_designs(gapped):
    design = lme_design("y ~ x", gapped, random="~ x | h/g",
                        correlation=hlm.corAR1(form="~ time | h/g"))
    chain = chain_criterion(design)
    phi = design.struct_start() + 0.3
    np.testing.assert_allclose(chain.start(phi), design.at(phi).start(), rtol=1e-12)


@pytest.mark.parametrize("kw", [
    dict(correlation=hlm.corCompSymm()),
    dict(correlation=hlm.corSymm(form="~ 1 | g")),
    dict(correlation=hlm.corARMA(form="~ 1 | g", p=1, q=1)),
    dict(weights=hlm.varPower(form="~ x")),
    dict(correlation=hlm.corAR1(), weights=hlm.varExp(form="~ x")),
    dict(weights=hlm.varPower()),  # fitted(.): nlme's outer loop
])
def test_structures_without_the_reduction(consecutive, kw):
    design = lme_design("y ~ x", consecutive, random="~ 1 | g", **kw)
    assert chain_criterion(design) is None


@pytest.mark.parametrize("name", ["corAR1", "corAR1_varIdent", "nested"])
def test_fit_equals_the_whitening_search(request, monkeypatch, name):
    which, kw = CASES[name]
    df = request.getfixturevalue(which)
    fast = hlm.lme("y ~ x", df, **kw)
    monkeypatch.setattr(structured, "chain_criterion", lambda design: None)
    slow = hlm.lme("y ~ x", df, **kw)
    assert float(hlm.logLik(fast)) >= float(hlm.logLik(slow)) - 1e-7
    np.testing.assert_allclose(fast.phi, slow.phi, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(hlm.fixef(fast)), np.asarray(hlm.fixef(slow)),
                               rtol=1e-6, atol=1e-8)
    assert float(hlm.sigma(fast)) == pytest.approx(float(hlm.sigma(slow)), rel=1e-6)


def test_disagreement_falls_back_to_the_whitening(monkeypatch, consecutive):
    kw = CASES["corAR1"][1]
    calls = []
    real = ChainCriterion.deviance

    def off(self, theta, phi):
        calls.append(1)
        return real(self, theta, phi) * (1.0 + 1e-6)  # digits "lost"

    monkeypatch.setattr(ChainCriterion, "deviance", off)
    fell = hlm.lme("y ~ x", consecutive, **kw)
    assert calls  # the end point was checked, and failed
    monkeypatch.undo()
    monkeypatch.setattr(structured, "chain_criterion", lambda design: None)
    exact = hlm.lme("y ~ x", consecutive, **kw)
    assert float(hlm.logLik(fell)) == pytest.approx(float(hlm.logLik(exact)), abs=1e-7)
    np.testing.assert_allclose(fell.phi, exact.phi, rtol=1e-5, atol=1e-6)
