"""update() of an lme fit: nlme's update.lme (formula rules of update.formula)."""

import pandas as pd
import pytest

import hlm_py as hlm


@pytest.fixture(scope="module")
def orthodont():
    return hlm.datasets.load("Orthodont")


def test_update_method_equals_a_direct_fit(orthodont):
    reml = hlm.lme("distance ~ age", orthodont, random="~ age | Subject")
    ml = hlm.update(reml, method="ML")
    direct = hlm.lme("distance ~ age", orthodont, random="~ age | Subject", method="ML")
    assert ml.method == "ML"
    pd.testing.assert_series_equal(hlm.fixef(ml), hlm.fixef(direct))
    assert float(hlm.logLik(ml)) == float(hlm.logLik(direct))


def test_update_fixed_formula_follows_update_formula(orthodont):
    fit = hlm.lme("distance ~ age", orthodont, random="~ 1 | Subject", method="ML")
    bigger = hlm.update(fit, ". ~ . + Sex")
    assert list(hlm.fixef(bigger).index) == ["(Intercept)", "age", "SexFemale"]
    assert "fixed = distance ~ age + Sex" in bigger.call
    smaller = hlm.update(bigger, "~ . - age")
    assert list(hlm.fixef(smaller).index) == ["(Intercept)", "SexFemale"]
    # the comparison table of nested ML fits works on updated fits
    assert list(hlm.anova(fit, bigger).to_frame().index) == ["fit", "bigger"]


def test_update_random_part_and_unknown_argument(orthodont):
    fit = hlm.lme("distance ~ age", orthodont, random="~ age | Subject")
    simpler = hlm.update(fit, random="~ 1 | Subject")
    assert simpler.levels[0].formula.replace(" ", "") == "~1"
    with pytest.raises(hlm.HlmError, match="unused argument"):
        hlm.update(fit, nonsense=1)
