"""The differential tests' R bridge returns numbers that stay valid.

A numpy array taken from an rpy2 vector with ``np.asarray`` is a view of
R's memory; once the rpy2 object is collected R frees that memory and
reuses it, and the "R values" become whatever R wrote there next (this
made ``test_lm_predict_matches_r`` compare against denormal garbage).
The bridge copies; this test keeps it that way by making R reuse exactly
that memory after the value has come back.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "property")]

import rbridge  # noqa: E402

pytestmark = [pytest.mark.live_r]


def _churn_r_memory() -> None:
    gc.collect()
    rbridge.robjects().r(
        "invisible(gc()); for (i in 1:20) { x <- lapply(1:10000, function(i) rnorm(4)) }; "
        "rm(x); invisible(gc())")


def test_vectors_survive_r_garbage_collection() -> None:
    r = rbridge.run("c(1.5, 2.5, 3.5, NA)")
    assert r.ok
    _churn_r_memory()
    np.testing.assert_array_equal(r.value, [1.5, 2.5, 3.5, np.nan])


def test_matrices_survive_r_garbage_collection() -> None:
    r = rbridge.run("list(m = .hlm_mat(matrix(c(1, 2, 3, 4), 2, dimnames = list(c('a', 'b'), "
                    "c('u', 'v')))), v = .hlm_vec(c(p = 0.25, q = -8)))")
    assert r.ok
    _churn_r_memory()
    np.testing.assert_array_equal(r.value["m"].values, [[1, 3], [2, 4]])
    assert r.value["m"].rownames == ["a", "b"] and r.value["m"].colnames == ["u", "v"]
    np.testing.assert_array_equal(r.value["v"].values, [0.25, -8])
    assert r.value["v"].names == ["p", "q"]
