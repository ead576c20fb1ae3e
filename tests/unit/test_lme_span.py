"""The refusal of an unbounded ML likelihood is decided by the design
(hlm_py.lme.span), before any search: on another BLAS (OpenBLAS's
Sandybridge or SkylakeX kernels) the searches of the old strategy ended in
nlme's local optimum and the fit was reported instead of refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlm_py.errors import ConvergenceError
from hlm_py.lme import lme, qr_refit, runs
from hlm_py.lme.span import random_effects_span

DATA = Path(__file__).parent / "data"


def _slopes_reproduce_the_data() -> pd.DataFrame:
    d = pd.read_csv(DATA / "slopes_reproduce_the_data.csv")
    d["g"] = pd.Categorical(d["g"], categories=[f"G{i}" for i in range(1, 10)])
    return d


def _no_search(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the optimiser ran")

    monkeypatch.setattr(runs, "maximize_profiled", refuse)
    monkeypatch.setattr(qr_refit, "polish_simplex", refuse)


def test_an_unbounded_ml_likelihood_is_refused_before_any_search(monkeypatch):
    d = _slopes_reproduce_the_data()
    _no_search(monkeypatch)
    with pytest.raises(ConvergenceError, match="grows without bound") as info:
        lme("y ~ x3", d, random="~ x1 | g", method="ML")
    assert info.value.degenerate
    assert np.isfinite(info.value.loglik)


def test_the_span_of_the_design():
    d = _slopes_reproduce_the_data()
    n = len(d)
    X = np.column_stack([np.ones(n), d["x3"]])
    Z = np.column_stack([np.ones(n), d["x1"]])
    codes = d["g"].cat.codes.to_numpy()
    sizes = np.bincount(codes)
    span = random_effects_span(X, [Z], [codes], [9])
    assert span.rank_z == int(np.minimum(sizes, 2).sum())
    assert span.rank_xz == n and span.ml_unbounded
    # a random intercept only: [X, Z] cannot span the rows
    small = random_effects_span(X, [Z[:, :1]], [codes], [9])
    assert not small.interpolates and not small.ml_unbounded


def test_nested_levels_count_the_inner_span_once():
    rng = np.random.default_rng(3)
    outer = np.repeat(np.arange(3), 4)
    inner = np.repeat(np.arange(6), 2)
    X = np.column_stack([np.ones(12), rng.normal(size=(12, 3))])
    Z = np.ones((12, 1))
    span = random_effects_span(X, [Z, Z], [outer, inner], [3, 6])
    assert span.rank_z == 6  # the outer intercepts lie in the inner ones' span
    assert span.rank_xz == 9 and not span.interpolates  # the intercept is in it too


def test_reml_and_a_full_rank_z_are_left_to_the_fit():
    d = _slopes_reproduce_the_data()
    n = len(d)
    X = np.column_stack([np.ones(n), d["x3"]])
    codes = np.arange(n) // 2  # every group two rows, random lines: rank Z = n
    Z = np.column_stack([np.ones(n), d["x1"]])
    span = random_effects_span(X, [Z], [codes], [int(codes.max()) + 1])
    assert span.interpolates and not span.ml_unbounded
