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
