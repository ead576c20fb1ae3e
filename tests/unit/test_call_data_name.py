"""The data argument of printed calls: the caller's variable name, as R deparses it.

R prints ``lm(formula = y ~ x, data = my_df)`` (and nlme ``Data: my_df``)
from the argument expression. hlm_py uses ``data.attrs["name"]`` where set
(the bundled data sets), else the one variable of the calling frame that
holds the data, else ``data`` (``docs/differences.md``, row 9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"y": [1.0, 3, 2, 5, 4, 6], "x": np.arange(1.0, 7)})


def _orthodont() -> pd.DataFrame:
    o = hlm.datasets.load("Orthodont").copy()
    o.attrs = {}
    return o


def test_lm_prints_the_callers_variable_name():
    my_df = _frame()
    fit = hlm.lm("y ~ x", my_df)
    assert "lm(formula = y ~ x, data = my_df)" in str(fit)
    assert "lm(formula = y ~ x, data = my_df)" in str(hlm.summary(fit))


def test_lme_prints_the_callers_variable_name():
    my_df = _orthodont()
    fit = hlm.lme("distance ~ age", my_df, random="~ 1 | Subject")
    assert "data = my_df" in fit.call
    assert "  Data: my_df " in str(fit).splitlines()
    assert "  Data: my_df " in str(hlm.summary(fit)).splitlines()


def test_an_unnamed_expression_prints_data():
    fit = hlm.lm("y ~ x", pd.DataFrame({"y": [1.0, 3, 2, 5], "x": [1.0, 2, 3, 4]}))
    assert "lm(formula = y ~ x, data = data)" in str(fit)
    fit2 = hlm.lme("distance ~ age", _orthodont(), random="~ 1 | Subject")
    assert "  Data: data " in str(fit2).splitlines()


def test_two_variables_holding_the_data_print_data():
    a = _frame()
    b = a
    assert b is a
    assert "data = data)" in str(hlm.lm("y ~ x", a))


def test_a_data_set_name_in_attrs_wins():
    mine = hlm.datasets.load("mtcars")
    assert "lm(formula = mpg ~ wt, data = mtcars)" in str(hlm.lm("mpg ~ wt", mine))


def test_update_keeps_printing_the_name():
    my_df = _frame().assign(z=[0.5, 1.0, 0.0, 2.0, 1.5, 1.0])
    fit = hlm.lm("y ~ x", my_df).update(". ~ . + z")
    assert "data = my_df)" in str(fit)


@pytest.mark.live_r
def test_printed_lm_and_lme_match_r_for_a_named_data_frame():
    from r_reference import rsession

    r = rsession.r()
    my_df = _frame()
    r("my_df <- data.frame(y = c(1, 3, 2, 5, 4, 6), x = 1:6)")
    r_text = "\n".join(r("capture.output(print(lm(y ~ x, data = my_df)))"))
    assert str(hlm.lm("y ~ x", my_df)).strip("\n") == r_text.strip("\n")
    r("my_o <- as.data.frame(nlme::Orthodont)")
    r_lme = list(r("capture.output(print(nlme::lme(distance ~ age, data = my_o, "
                   "random = ~ 1 | Subject)))"))
    my_o = _orthodont()
    ours = str(hlm.lme("distance ~ age", my_o, random="~ 1 | Subject")).splitlines()
    assert ours[1] == r_lme[1] == "  Data: my_o "
