"""r_reference: the catalogue, the golden writer, drift detection, and (live) the runner."""

from __future__ import annotations

import json
import math

import pytest

from r_reference import golden_json, runner
from r_reference.cases import Case
from r_reference.cases import lm as lm_cases
from r_reference.cases import model_matrix as mm_cases


def test_kinds_are_discovered():
    kinds = runner.kind_modules()
    assert "lm" in kinds and "model_matrix" in kinds


def test_lm_catalogue_is_large_and_unique():
    names = [c.name for c in lm_cases.CASES]
    assert len(names) >= 45
    assert len(set(names)) == len(names)
    for c in lm_cases.CASES:
        assert c.kind == "lm"
        assert "formula" in c.args
        assert set(c.args) <= {"formula", "subset", "weights", "na_action", "contrasts"}


def test_every_case_has_a_golden_and_every_golden_a_case():
    for kind in ("lm", "model_matrix"):
        cases = {c.name for c in runner.all_cases(kind)}
        files = {p.stem for p in (runner.GOLDEN_DIR / kind).glob("*.json")}
        assert cases == files


@pytest.mark.parametrize("kind", ["lm", "model_matrix"])
def test_goldens_are_written_canonically(kind):
    # regenerating must give no diff: the committed text is the writer's text
    for path in sorted((runner.GOLDEN_DIR / kind).glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert golden_json.dumps(json.loads(text)) == text, path.name


def test_goldens_hold_the_case_and_r_code():
    for case in runner.all_cases("lm"):
        g = golden_json.load(runner.golden_path(case))
        assert g["format"] == runner.FORMAT
        assert g["case"] == json.loads(json.dumps(case.to_dict()))
        assert g["r_code"] == runner.script(case, lm_cases.r_code(case))
        assert g["r"]["options"]["digits"] == 7
        assert set(g["printed"]) >= {"print", "summary", "anova", "confint", "vcov"}
        assert "fit <- " in g["r_code"]
        if case.newdata:
            assert "predict" in g["results"] or "predict_error" in g["results"]
        if case.extra.get("compare"):
            assert "compare_anova" in g["results"]


def test_seed_goldens_exist_and_name_the_seed():
    seeds = [c for c in lm_cases.CASES if c.seed]
    assert {c.name for c in seeds} >= {"seed_mtcars_model", "seed_mtcars_model_by_make"}
    g = golden_json.load(runner.GOLDEN_DIR / "lm" / "seed_mtcars_model_by_make.json")
    assert g["results"]["compare_call"] == "anova(model, model_by_make)"
    assert "Signif. codes:  0 \u2018***\u2019" in g["printed"]["summary"]


def test_r_code_is_what_a_user_types():
    case = next(c for c in lm_cases.CASES if c.name == "seed_mtcars_model_by_make")
    code = lm_cases.r_code(case)
    assert "model_by_make <- lm(mpg ~ disp + drat + wt, data = mtcars)" in code
    assert "new_data <- data.frame(disp = 120, drat = 3.9, wt = 2.8)" in code
    c2 = Case(name="x", kind="lm", data="mtcars", data_name="mtcars",
              args={"formula": "y ~ x", "subset": "cyl > 4", "weights": "my w",
                    "na_action": "na.exclude", "contrasts": {"f": "contr.sum"}})
    assert lm_cases.r_code(c2) == (
        'fit <- lm(y ~ x, data = mtcars, subset = cyl > 4, weights = `my w`, '
        'na.action = na.exclude, contrasts = list(f = "contr.sum"))'
    )
    mm = mm_cases.CASES[0]
    assert mm_cases.r_code(mm).startswith("fit <- model.matrix(")


def test_script_binds_data_under_its_name():
    case = next(c for c in lm_cases.CASES if c.name == "mtcars_logical")
    s = runner.script(case, lm_cases.r_code(case))
    assert s.splitlines()[0] == "mtcars2 <- transform(mtcars, am_l = am == 1)"


def test_golden_json_is_exact_and_sorted():
    obj = {"b": [0.1, 1 / 3, None, "Inf", True], "a": {"z": 1, "y": [[1.5, 2.0], [3.0, None]]}}
    text = golden_json.dumps(obj)
    assert text.index('"a"') < text.index('"b"')
    back = json.loads(text)
    assert back == obj
    assert back["b"][1] == 1 / 3
    with pytest.raises(ValueError):
        golden_json.dumps({"x": math.nan})


def test_diff_sees_numbers_lines_and_structure():
    old = {"x": 1.0, "t": "a\nb", "v": [1, 2]}
    assert runner.diff(old, json.loads(json.dumps(old))) == []
    assert runner.diff(old, {**old, "x": 1.0 + 1e-15}) == []
    assert runner.diff(old, {**old, "x": 1.0 + 1e-11})
    d = runner.diff(old, {**old, "t": "a\nc"})
    assert d and "line 2" in d[0]
    assert runner.diff(old, {**old, "v": [1, 2, 3]})
    assert runner.diff(old, {"x": 1.0, "t": "a\nb"})


@pytest.mark.live_r
def test_run_case_reproduces_a_committed_golden_live():
    case = next(c for c in lm_cases.CASES if c.name == "seed_mtcars_model_by_make")
    new = json.loads(golden_json.dumps(runner.run_case(case)))
    old = golden_json.load(runner.golden_path(case))
    assert runner.diff(old, new) == []


@pytest.mark.live_r
def test_run_case_records_warnings_live():
    case = next(c for c in lm_cases.CASES if c.name == "mtcars_weights")
    g = runner.run_case(case)
    assert any("weighted" in w for w in g["warnings"]["extract"])
