"""Complex data columns are refused, as R's model.matrix refuses them.

R: a complex predictor stops ``model.matrix`` (hence ``lm`` and nlme's
``lme``) with "complex variables are not currently allowed in model
matrices"; a complex response makes ``lm`` warn "imaginary parts discarded in
coercion" and fit the real parts, and ``lme`` stop with "complex matrices not
permitted at present". hlm_py refuses both (``docs/differences.md``, P9).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.errors import HlmError

R_WORDS = "complex variables are not currently allowed in model matrices"


def _data(complex_col: str) -> pd.DataFrame:
    d = pd.DataFrame({"y": [1.0, 3, 2, 5, 4, 6], "x": np.arange(1.0, 7),
                      "g": pd.Categorical(list("aabbcc"))})
    d[complex_col] = d[complex_col] + 1j
    return d


def _refused(fn, match: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not numpy's ComplexWarning either
        with pytest.raises(HlmError, match=match):
            fn()


@pytest.mark.parametrize("call", [
    lambda d: hlm.lm("y ~ x", d),
    lambda d: hlm.lm("y ~ log(x) + I(x^2)", d),
    lambda d: hlm.lm("y ~ 1", d, weights="x"),
    lambda d: hlm.lme("y ~ x", d, random="~ 1 | g"),
    lambda d: hlm.lme("y ~ 1", d, random="~ x | g"),
    lambda d: hlm.model_matrix("~ x", d),
    lambda d: hlm.model_frame("y ~ x", d),
])
def test_a_complex_predictor_is_refused_in_r_words(call):
    _refused(lambda: call(_data("x")), f"variable 'x'.*{R_WORDS}")


@pytest.mark.parametrize("call", [
    lambda d: hlm.lm("y ~ x", d),
    lambda d: hlm.lme("y ~ x", d, random="~ 1 | g"),
    lambda d: hlm.model_frame("y ~ x", d),
])
def test_a_complex_response_is_refused(call):
    _refused(lambda: call(_data("y")), r"complex response \('y'\) is not supported")


def test_complex_python_objects_are_refused_too():
    d = _data("x")
    d["x"] = d["x"].astype(object)
    _refused(lambda: hlm.lm("y ~ x", d), R_WORDS)


@pytest.mark.live_r
def test_r_refuses_a_complex_predictor_in_these_words():
    from r_reference import rsession

    r = rsession.r()
    msg = r('tryCatch(model.matrix(~ x, data.frame(x = complex(real = 1:5, imaginary = 1))), '
            'error = function(e) conditionMessage(e))')[0]
    assert msg == R_WORDS
    lme_msg = r('tryCatch(nlme::lme(y ~ 1, data.frame(y = complex(real = 1:6, imaginary = 1), '
                'g = rep(1:3, 2)), random = ~ 1 | g), error = function(e) conditionMessage(e))')[0]
    assert lme_msg == "complex matrices not permitted at present"
