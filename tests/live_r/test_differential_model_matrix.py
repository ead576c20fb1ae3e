"""Differential tests: ``model_matrix`` on drawn data and formulas, against R's
``model.matrix`` now: column names and order, values, ``assign``, row names;
where R refuses the input, hlm_py raises HlmError, and only there.

Values: a model matrix is computed elementwise (products of columns, contrast
values, transforms), so it agrees to 1e-10 relative with an absolute floor of
1e-12 of the column's scale; ``poly()`` and ``scale()`` columns come out of a
QR / a mean, and are held to the same bound (they are well conditioned for
these draws: at least 4 distinct values).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "property"),
                str(Path(__file__).resolve().parents[1])]

import calls  # noqa: E402
import checks  # noqa: E402
import rbridge  # noqa: E402
import strategies as S  # noqa: E402
from hypothesis_profiles import examples  # noqa: E402
from reproducer import emit  # noqa: E402

import hlm_py as hlm  # noqa: E402
from hlm_py.errors import HlmError  # noqa: E402

pytestmark = [
    pytest.mark.live_r,
]

R_MM = r"""
mm <- {call}
list(X = .hlm_mat(mm), assign = as.numeric(attr(mm, "assign")))
"""


@settings(max_examples=examples(1.0))
@given(p=S.matrix_problems())
def test_model_matrix_matches_r(p: S.Problem) -> None:
    emit("test_model_matrix_matches_r", p.data, f"mm <- {calls.mm_r_call(p)}\nprint(mm)",
         f"mm = {calls.mm_py_call(p)}\nprint(mm)", kind="model_matrix",
         args={"formula": p.formula, **({"contrasts": p.contrasts} if p.contrasts else {})})
    r = rbridge.run(R_MM.format(call=calls.mm_r_call(p)), d=p.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not r.ok:
            note(f"R refused: {r.error}")
            with pytest.raises(HlmError):
                calls.model_matrix(p)
            return
        try:
            mm = calls.model_matrix(p)
        except HlmError as exc:
            raise AssertionError(f"R builds this model matrix but hlm_py raised "
                                 f"{type(exc).__name__}: {exc}") from exc
    X = r.value["X"]
    assert list(mm.columns) == X.colnames, f"columns:\n  python {list(mm.columns)}\n  R      {X.colnames}"
    assert [str(i) for i in mm.index] == X.rownames, "row names differ"
    assert list(mm.attrs["assign"]) == [int(a) for a in r.value["assign"]], (
        f"assign python {list(mm.attrs['assign'])} R {list(r.value['assign'])}")
    vals = mm.to_numpy(dtype=float)
    scale = np.nanmax(np.abs(X.values), axis=0, initial=0.0) if X.values.size else 0.0
    checks.assert_close("model matrix", vals, X.values, rtol=checks.RTOL,
                        atol=np.broadcast_to(checks.ATOL_REL * np.maximum(scale, 1e-300),
                                             X.values.shape), names=None)


@settings(max_examples=examples(1.0))
@given(centre=st.sampled_from([0.0, 1e-3, 1.0, 1e4, 1e8]),
       spread=st.sampled_from([1e-3, 1.0, 10.0]),
       values=st.lists(st.floats(-3, 3, allow_nan=False), min_size=2, max_size=40),
       na_at=st.one_of(st.none(), st.integers(0, 39)))
def test_scale_matches_r_to_the_bit(centre: float, spread: float, values: list[float],
                                     na_at: int | None) -> None:
    """``scale(x)`` in a model matrix is R's to the last bit: R centres with
    ``colMeans`` (a long-double mean without ``mean``'s refinement pass) and
    divides by ``sqrt(sum(v^2) / (n - 1))`` (a long-double sum). A thorough
    run met a coefficient 3.8e-8 off R's through one ulp of a numpy mean
    (``y ~ 0 + scale(x3):x2``, x3 near 1e4)."""
    x = centre + spread * np.asarray(values)
    if na_at is not None and na_at < x.size:
        x[na_at] = np.nan
    finite = x[~np.isnan(x)]
    # a constant column scales to 0/0 = NaN, rows that the model frame drops
    assume(finite.size >= 2 and np.ptp(finite) > 0)
    d = pd.DataFrame({"y": np.zeros(x.size), "x": x})
    r = rbridge.run("as.vector(scale(d$x))", d=d)
    assert r.ok, r.error
    expected = np.asarray(r.value, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = hlm.model_matrix("y ~ scale(x)", d.dropna())["scale(x)"].to_numpy()
    expected = expected[~np.isnan(x)]
    assert np.array_equal(got, expected, equal_nan=True), (
        f"scale(x): python {got.tolist()} R {expected.tolist()}")
