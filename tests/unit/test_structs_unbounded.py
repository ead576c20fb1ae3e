"""The ML likelihoods without a maximum (hlm_py/structs/unbounded.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.errors import HlmError, UnboundedLikelihoodError
from hlm_py.gls.criterion import GlsCriterion
from hlm_py.gls.design import gls_design


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    g = ["G1"] * 2 + ["G2"] * 2 + ["G3"] * 3 + ["G4"] * 2 + ["G5"] * 2
    f = ["a", "a", "b", "b", "b", "b", "b", "b", "b", "b", "b"]
    return pd.DataFrame({"y": rng.normal(2, 1, 11), "x": rng.uniform(0, 4, 11),
                         "f": pd.Categorical(f, categories=["a", "b"]),
                         "g": pd.Categorical(g)})


def test_comp_symm_ml_with_one_largest_group_is_refused_and_rises() -> None:
    d = _data()
    cor = hlm.corCompSymm(form="~ 1 | g")
    with pytest.raises(UnboundedLikelihoodError) as exc:
        hlm.gls("y ~ x", d, correlation=cor, method="ML")
    assert exc.value.component == "corStruct" and exc.value.detail["size"] == 3
    assert isinstance(exc.value, HlmError)
    # the rise the refusal claims: 1/2 per unit of the unconstrained parameter
    crit = GlsCriterion(gls_design("y ~ x", d, correlation=cor, method="ML"))
    ll = [crit.loglik(np.array([u])) for u in (-10.0, -15.0)]
    assert ll[1] - ll[0] == pytest.approx(2.5, rel=1e-3)
    # REML is bounded there: fitted
    fit = hlm.gls("y ~ x", d, correlation=cor, method="REML")
    assert np.isfinite(float(hlm.logLik(fit)))


def test_var_ident_stratum_fitted_exactly_is_refused_in_ml_only() -> None:
    d = _data()
    var = hlm.varIdent(form="~ 1 | f")
    with pytest.raises(UnboundedLikelihoodError) as exc:
        hlm.gls("y ~ x + f", d, weights=var, method="ML")
    assert exc.value.component == "varStruct" and exc.value.detail["n"] == 2
    # y ~ x fits the stratum's two rows too (a line through two points); y ~ 1
    # does not: a fit
    with pytest.raises(UnboundedLikelihoodError):
        hlm.gls("y ~ x", d, weights=var, method="ML")
    fit = hlm.gls("y ~ 1", d, weights=var, method="ML")
    assert np.isfinite(float(hlm.logLik(fit)))


def test_lme_ml_shares_the_gls_limit() -> None:
    d = _data()
    with pytest.raises(UnboundedLikelihoodError):
        hlm.lme("y ~ x + f", d, random="~ 1 | g", weights=hlm.varIdent(form="~ 1 | f"),
                method="ML")


def _symm_data(seed: int) -> pd.DataFrame:
    """One group with all 4 positions, six of two (the property tests' shape)."""
    rng = np.random.default_rng(seed)
    t = [1, 2, 3, 4, 1, 3, 1, 2, 2, 4, 3, 4, 1, 4, 2, 3]
    g = ["G1"] * 4 + [f"G{k}" for k in range(2, 8) for _ in range(2)]
    return pd.DataFrame({"y": rng.normal(2, 1, 16), "x": rng.uniform(0, 4, 16),
                         "g": pd.Categorical(g, categories=[f"G{k}" for k in range(1, 8)]),
                         "t": np.asarray(t, dtype=float)})


def _rise(d: pd.DataFrame, formula: str, method: str, limit: list[float]) -> float:
    L = np.asarray(limit)
    ll = [float(hlm.logLik(hlm.gls(formula, d, method=method, correlation=hlm.corSymm(
        value=list((1 - lam) * L), form="~ t | g", fixed=True)))) for lam in (1e-6, 1e-9)]
    return ll[1] - ll[0]


def test_corsymm_reml_singular_direction_orthogonal_to_the_data_is_refused() -> None:
    # y ~ 1: the full group's [1, y] leave a 2-dimensional null space in R^4
    d = _symm_data(3)
    with pytest.raises(UnboundedLikelihoodError) as exc:
        hlm.gls("y ~ 1", d, correlation=hlm.corSymm(form="~ t | g"), method="REML")
    det = exc.value.detail
    assert exc.value.component == "corStruct" and det["class"] == "corSymm"
    assert det["positions"] == [1, 2, 3, 4] and det["groups"] == 1
    C0 = np.eye(4)
    pairs = [(a, b) for b in range(4) for a in range(b + 1, 4)]  # lower.tri, by column
    for (i, j), r in zip(pairs, det["limit"]):
        C0[i, j] = C0[j, i] = r
    w = np.linalg.eigvalsh(C0)
    assert abs(w[0]) < 1e-10 and w[1] > 1e-3  # singular, one direction only
    # the claimed rise: k/2 log(1000)
    assert _rise(d, "y ~ 1", "REML", det["limit"]) == pytest.approx(0.5 * np.log(1e3), rel=1e-3)


def test_corsymm_ml_pair_in_one_group_is_refused_reml_with_p_three_fits() -> None:
    d = _symm_data(3)
    with pytest.raises(UnboundedLikelihoodError) as exc:
        hlm.gls("y ~ x", d, correlation=hlm.corSymm(form="~ t | g"), method="ML")
    det = exc.value.detail
    assert len(det["positions"]) == 2
    assert _rise(d, "y ~ x", "ML", det["limit"]) == pytest.approx(
        det["rate"] * np.log(1e3), rel=1e-3)
    # REML: the fixed effects pin the direction they fit (bounded, flat toward it)
    d["f"] = pd.Categorical(np.where(np.arange(16) % 3 == 0, "a", "b"))
    fit = hlm.gls("y ~ x + f", d, correlation=hlm.corSymm(form="~ t | g"), method="REML")
    assert np.isfinite(float(hlm.logLik(fit)))
    assert np.all(np.abs(fit.theta) <= 13.0)  # the search's hold (9) and its probe (4)


def test_corsymm_with_many_full_groups_is_bounded() -> None:
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"y": rng.normal(size=40), "x": rng.uniform(size=40),
                      "g": pd.Categorical(np.repeat([f"G{k}" for k in range(10)], 4)),
                      "t": np.tile([1.0, 2.0, 3.0, 4.0], 10)})
    for method in ("REML", "ML"):
        fit = hlm.gls("y ~ x", d, correlation=hlm.corSymm(form="~ t | g"), method=method)
        assert np.isfinite(float(hlm.logLik(fit)))
