"""hlm_py.rbase against R itself: print.logLik, format.perc, format of
integers and AIC/BIC of logLik objects, on the values the unit tests
(tests/unit/test_rbase.py) check by R's rules."""

from __future__ import annotations

import math

import pytest

from hlm_py.rbase import LogLik, aic, bic, format_integer, format_perc

pytestmark = pytest.mark.live_r


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    return rsession.r()


def _num(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return float(x).hex()


@pytest.mark.parametrize("value, df", [(-73.52345678, 5), (-123456789.1, 3), (1e-20, 3),
                                       (float("nan"), 3), (float("-inf"), 3), (12.5, 1)])
def test_loglik_prints_as_r(r, value, df):
    want = r(f"capture.output(print(structure({_num(value)}, df = {df}L, nobs = 10L, "
             f"class = 'logLik')))")
    assert repr(LogLik(value, df, 10)) == want[0]


def test_aic_bic_as_r(r):
    for value, df, nobs in [(-10.0, 3, 18), (-221.318, 6, 106), (5.25, 2, 1)]:
        obj = f"structure({_num(value)}, df = {df}L, nobs = {nobs}L, class = 'logLik')"
        ll = LogLik(value, df, nobs)
        assert aic(ll) == float(r(f"AIC({obj})")[0])
        assert aic(ll, 3.5) == float(r(f"AIC({obj}, k = 3.5)")[0])
        assert bic(ll) == float(r(f"BIC({obj})")[0])


def test_format_perc_and_integers_as_r(r):
    for probs in ([0.025, 0.975], [0.25, 0.75], [(1 - 1 / 3) / 2, 1 - (1 - 1 / 3) / 2],
                  [(1 - 0.999999) / 2, 1 - (1 - 0.999999) / 2]):
        src = ", ".join(_num(p) for p in probs)
        want = list(r(f"stats:::format.perc(c({src}), 3)"))
        assert format_perc(probs) == want
    assert format_integer([1, 28, None]) == list(r("format(c(1L, 28L, NA))"))
    assert format_integer(range(1, 11)) == list(r("format(1:10)"))
