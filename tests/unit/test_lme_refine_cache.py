"""The refined evaluation keeps its last few evaluations by theta."""

from __future__ import annotations

import numpy as np

from hlm_py.lme import refine
from hlm_py.lme.criterion import Criterion, ProfiledLikelihood
from hlm_py.lme.pdmat import pdLogChol
from hlm_py.lme.reduce import reduce_data
from hlm_py.lme.refine import Refinement


def test_the_refined_evaluation_is_cached_by_theta(monkeypatch) -> None:
    rng = np.random.default_rng(4)
    n, G = 50, 6
    codes = np.r_[np.arange(G), rng.integers(0, G, n - G)]
    X = np.column_stack([np.ones(n), rng.standard_normal(n)])
    y = X @ [1.0, 2.0] + rng.standard_normal(G)[codes] + rng.standard_normal(n)
    parents, n_groups = [np.zeros(G, dtype=np.int64)], [G]
    red = reduce_data(X, y, [X.copy()], [codes], parents, n_groups, triangular=True)
    lik = ProfiledLikelihood(red, [pdLogChol()], True, qr=True)
    ref = Refinement(lik, X, y, [X.copy()], [codes], parents, n_groups)
    crit: Criterion = ref  # the criterion's interface at theta
    assert crit.deviance(np.zeros(3)) == ref.deviance(np.zeros(3))
    calls = []
    inner = ref._estimates
    monkeypatch.setattr(ref, "_estimates", lambda t: calls.append(t.copy()) or inner(t))
    theta = np.array([0.1, -0.4, 0.2])
    est = ref.estimates(theta)
    assert ref.deviance(theta) == -2.0 * est.loglik
    assert ref.estimates(theta.copy()) is est
    assert len(calls) == 1
    others = [theta + k for k in range(1, refine.CACHE_SIZE + 1)]
    for t in others:
        ref.deviance(t)
    assert len(calls) == 1 + refine.CACHE_SIZE
    ref.deviance(others[-1])
    assert len(calls) == 1 + refine.CACHE_SIZE
    ref.deviance(theta)  # pushed out by the others
    assert len(calls) == 2 + refine.CACHE_SIZE
    # the refined deviance is the criterion's formula of the refined parts
    assert abs(est.loglik - lik.estimates(theta).loglik) < 1e-9
