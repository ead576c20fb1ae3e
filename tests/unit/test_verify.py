"""The comparator, the golden runner and ``hlm-py verify`` on self-made goldens.

The goldens built here come from hlm_py itself (no R numbers): they test the
machinery -- that equal things pass, that every kind of difference fails,
that nothing passes vacuously.
"""

from __future__ import annotations

import copy
import io
import json
import math

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.cli import main, verify
from hlm_py.verify.cases import DataChecksumError, rebuild_data, run_case
from hlm_py.verify.compare import (
    compare_case,
    compare_quantity,
    compare_text,
    golden_targets,
    to_repr,
)


def _ok(row):
    return row.ok


# --------------------------------------------------------------------------
# comparator


def test_equal_vectors_pass_and_report_zero():
    s = pd.Series([1.0, -2.5, 3e-300], index=["a", "b", "c"])
    row = compare_quantity("c", "lm", "coef", s, to_repr(s))
    assert row.ok and row.n == 3 and row.max_rel_diff == 0.0


def test_relative_tolerance_is_1e_10():
    r = {"names": ["a"], "values": [1000.0]}
    assert compare_quantity("c", "lm", "q", pd.Series([1000.0 * (1 + 5e-11)], index=["a"]), r).ok
    assert not compare_quantity("c", "lm", "q", pd.Series([1000.0 * (1 + 5e-10)], index=["a"]), r).ok


def test_absolute_floor_near_zero_scaled_by_the_quantity():
    r = {"names": ["a", "b"], "values": [10.0, 0.0]}
    assert compare_quantity("c", "lm", "q", pd.Series([10.0, 5e-12], index=["a", "b"]), r).ok
    assert not compare_quantity("c", "lm", "q", pd.Series([10.0, 1e-9], index=["a", "b"]), r).ok


def test_pvalues_are_compared_relatively_only():
    r = {"rownames": ["x"], "colnames": ["Pr(>F)"], "columns": {"Pr(>F)": [6e-12]}}
    near = pd.DataFrame({"Pr(>F)": [6e-12 * (1 + 1e-12)]}, index=["x"])
    far = pd.DataFrame({"Pr(>F)": [6.5e-12]}, index=["x"])
    assert compare_quantity("c", "lm", "anova", near, r).ok
    assert not compare_quantity("c", "lm", "anova", far, r).ok


def test_na_must_be_where_r_has_na():
    r = {"names": ["a", "b"], "values": [1.0, None]}
    assert compare_quantity("c", "lm", "coef", pd.Series([1.0, np.nan], index=["a", "b"]), r).ok
    row = compare_quantity("c", "lm", "coef", pd.Series([1.0, 0.0], index=["a", "b"]), r)
    assert not row.ok and "NA" in row.detail
    row = compare_quantity("c", "lm", "coef", pd.Series([np.nan, np.nan], index=["a", "b"]), r)
    assert not row.ok


def test_names_must_be_identical():
    r = {"names": ["(Intercept)", "wt"], "values": [1.0, 2.0]}
    row = compare_quantity("c", "lm", "coef", pd.Series([1.0, 2.0], index=["(Intercept)", "wt "]), r)
    assert not row.ok and "names" in row.detail


def test_matrix_forms_and_data_frames_compare_alike():
    m = {"rownames": ["r1", "r2"], "colnames": ["x", "y"], "values": [[1.0, 2.0], [3.0, "Inf"]]}
    df = pd.DataFrame({"x": [1.0, 3.0], "y": [2.0, math.inf]}, index=["r1", "r2"])
    assert compare_quantity("c", "lm", "m", df, m).ok
    df2 = df.copy()
    df2.iloc[1, 1] = -math.inf
    assert not compare_quantity("c", "lm", "m", df2, m).ok


def test_text_reports_the_first_differing_line():
    row = compare_text("c", "printed:x", "a\nb\nc\n", "a\nB\nc\n\n")
    assert not row.ok and row.detail.startswith("line 2")
    assert compare_text("c", "printed:x", "a\nb", "a\nb\n").ok
    assert not compare_text("c", "printed:x", "a\nb\nc", "a\nb").ok


def test_lme_loglik_is_one_sided_and_df_exact():
    r = {"results": {"tight": {"logLik": -100.0, "fixDF_X": {"names": ["a"], "values": [10]}}}}
    higher = {"results": {"logLik": -99.0, "fixDF_X": pd.Series([10], index=["a"])}}
    lower = {"results": {"logLik": -100.000001, "fixDF_X": pd.Series([10], index=["a"])}}
    df_off = {"results": {"logLik": -100.0, "fixDF_X": pd.Series([11], index=["a"])}}
    assert all(map(_ok, compare_case("c", "lme", higher, r)))
    assert not all(map(_ok, compare_case("c", "lme", lower, r)))
    assert not all(map(_ok, compare_case("c", "lme", df_off, r)))


def test_lme_targets_are_the_tight_fit_and_not_r_bookkeeping():
    g = {"results": {"default": {"sigma": 1.0}, "tight": {"sigma": 2.0},
                     "fit_warnings": ["w"], "tight_distance": {}, "anova_compare": 3.0}}
    assert golden_targets("lme", g) == {"sigma": 2.0, "anova_compare": 3.0}


def test_missing_quantities_and_exceptions_fail():
    g = {"results": {"a": 1.0, "b": 2.0}, "printed": {"p": "x"}}
    rows = compare_case("c", "lm", {"results": {"a": RuntimeError("boom")}}, g)
    assert [r.ok for r in rows] == [False, False, False]
    assert "boom" in rows[0].detail
    assert not compare_case("c", "lm", {}, {"results": {}})[0].ok  # nothing to compare fails


# --------------------------------------------------------------------------
# self-made goldens: run_case and hlm-py verify


def _self_golden() -> dict:
    mtcars = hlm.datasets.load("mtcars")
    fit = hlm.lm("mpg ~ wt + hp", data=mtcars)
    data = hlm.datasets.to_repr(mtcars)
    data["sha256"] = hlm.datasets.checksum(mtcars)
    return {
        "format": 1,
        "case": {"name": "self_mtcars", "kind": "lm", "data": "mtcars", "data_name": "mtcars",
                 "args": {"formula": "mpg ~ wt + hp"}, "newdata": None, "outputs": []},
        "data": data,
        "results": {"coefficients": to_repr(hlm.coef(fit)),
                    "anova": to_repr(hlm.anova(fit).to_frame()),
                    "sigma": hlm.sigma(fit)},
        "printed": {"summary": str(hlm.summary(fit)) + "\n"},
    }


def test_run_case_reproduces_a_self_made_golden():
    g = json.loads(json.dumps(_self_golden()))
    rows = compare_case("self", "lm", run_case(g), g)
    assert len(rows) == 4 and all(r.ok for r in rows), [r.format() for r in rows]


def test_rebuilt_data_must_match_the_checksum():
    g = _self_golden()
    g["data"]["columns"][0]["values"][0] += 1.0
    with pytest.raises(DataChecksumError):
        rebuild_data(g)


def test_unknown_golden_keys_fail_loudly():
    g = _self_golden()
    g["results"]["no_such_quantity"] = 1.0
    rows = compare_case("self", "lm", run_case(g), g)
    bad = [r for r in rows if not r.ok]
    assert [r.quantity for r in bad] == ["no_such_quantity"]
    assert "no Python counterpart" in bad[0].detail


def _write(tmp_path, golden):
    d = tmp_path / "golden" / "lm"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{golden['case']['name']}.json").write_text(json.dumps(golden))
    return tmp_path / "golden"


def test_verify_passes_on_agreement_and_fails_on_a_difference(tmp_path):
    g = _self_golden()
    root = _write(tmp_path, g)
    out = io.StringIO()
    assert verify(root, ["lm"], out=out) == 0
    assert "self_mtcars" in out.getvalue() and "1 passed, 0 failed" in out.getvalue()

    bad = copy.deepcopy(g)
    bad["case"]["name"] = "self_mtcars_bad"
    bad["results"]["sigma"] = g["results"]["sigma"] * (1 + 1e-8)
    _write(tmp_path, bad)
    out = io.StringIO()
    assert verify(root, ["lm"], out=out) == 1
    assert "FAIL" in out.getvalue() and "sigma" in out.getvalue()


def test_verify_with_no_golden_fails(tmp_path, capsys):
    (tmp_path / "lm").mkdir()
    assert main(["verify", "--golden", str(tmp_path), "--kind", "lm"]) == 1
    assert "no golden case found" in capsys.readouterr().out
    assert main(["verify", "--golden", str(tmp_path / "nowhere")]) == 2


def test_text_rounding_noise_is_accepted_and_said():
    r = ("             a            b\n"
         "a  4.606262e+00 -1.627258e-14\n"
         "b -1.627258e-14  2.303131e+02")
    py = ("             a            b\n"
          "a  4.606262e+00  2.000000e-15\n"
          "b  2.000000e-15  2.303131e+02")
    row = compare_text("c", "printed:vcov", py, r)
    assert row.ok and "rounding noise" in row.detail


def test_text_last_digit_or_layout_differences_are_not_noise():
    assert not compare_text("c", "p", "x    7.423  1e-20", "x    7.422  1e-20").ok
    # a noise token elsewhere does not excuse a real difference
    assert not compare_text("c", "p", "x 7.423\ny 1e-17", "x 7.422\ny 3e-17").ok
    assert not compare_text("c", "p", "x  1.0", "x 1.0").ok  # spacing, no noise
