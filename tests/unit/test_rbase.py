"""hlm_py.rbase: R's as.character of numbers, R's sort of strings, format(),
quantile type 7, logLik objects with AIC and BIC."""

import math
import pickle

import numpy as np
import pytest

from hlm_py.rbase import (
    LogLik,
    aic,
    as_character_double,
    as_character_numbers,
    as_character_scalar,
    bic,
    format_integer,
    format_perc,
    quantile7,
    r_sort,
)

VALUES = [0.1 + 0.2, 1e5, 2e5, 1e-4, 3.0, 123456.0, 1e15, 0.001, -1e5, 1 / 3, float("inf"), -0.0]


@pytest.mark.live_r
def test_as_character_double_is_r_s():
    from r_reference import rsession

    r = rsession.r()
    for x in VALUES:
        want = str(r(f"as.character({float(x).hex()})" if np.isfinite(x) else
                     "as.character(Inf)")[0])
        assert as_character_double(x) == want, x


def test_as_character_double_of_values_that_print_alike():
    assert as_character_double(0.1 + 0.2) == as_character_double(0.3)
    assert as_character_double(1e5) == as_character_numbers(np.array([1e5]))[0]


def test_as_character_of_vectors_and_scalars():
    assert list(as_character_numbers(np.array([100000, 3]))) == ["100000", "3"]
    assert list(as_character_numbers(np.array([1e5, np.nan]))) == ["1e+05", None]
    assert [as_character_scalar(v) for v in (1, "1", 1e5, True, None, np.nan, np.int64(7))] == [
        "1", "1", "1e+05", "TRUE", None, None, "7"]


def test_r_sort_is_icu_root_collation():
    assert r_sort(["c", "B", "a"]) == ["a", "B", "c"]
    assert r_sort(["Hi", "lo", "hi"]) == ["hi", "Hi", "lo"]


# ---------------------------------------------------------------------------
# quantile, type 7: index = 1 + (n - 1) p, lo = floor, hi = ceiling, h = index - lo,
# x[lo] unless index > lo and x[hi] != x[lo], then (1 - h) x[lo] + h x[hi]
# (the expected values below are that definition worked by hand; all exact in binary)


def test_quantile7_by_hand():
    # n = 5: the quartiles fall on the order statistics 1..5
    assert list(quantile7([5.0, 1.0, 3.0, 2.0, 4.0])) == [1.0, 2.0, 3.0, 4.0, 5.0]
    # n = 4, sorted 1 2 4 8: index 1, 1.75, 2.5, 3.25, 4
    #   0.25 * 1 + 0.75 * 2 = 1.75;  0.5 * 2 + 0.5 * 4 = 3;  0.75 * 4 + 0.25 * 8 = 5
    assert list(quantile7([8.0, 1.0, 4.0, 2.0])) == [1.0, 1.75, 3.0, 5.0, 8.0]
    # n = 2: index 1.25, 1.75 -> 0.75 * 0 + 0.25 * 10, 0.25 * 0 + 0.75 * 10
    assert list(quantile7([0.0, 10.0], probs=[0.25, 0.75])) == [2.5, 7.5]
    # ties: x[hi] == x[lo] is taken as it is, without interpolating
    assert list(quantile7([3.0, 7.0, 3.0, 3.0], probs=[0.5, 0.6])) == [3.0, 3.0]
    # one value
    assert list(quantile7([4.5], probs=[0.0, 0.3, 1.0])) == [4.5, 4.5, 4.5]


def test_quantile7_interpolates_as_r_writes_it():
    # R's (1 - h) * x[lo] + h * x[hi], not numpy's x[lo] + h * (x[hi] - x[lo])
    rng = np.random.default_rng(7)
    x = rng.normal(size=23) * 1e3
    xs = np.sort(x)
    for p in (0.1, 0.25, 0.37, 0.5, 0.75, 0.9):
        index = 1 + 22 * p
        lo, hi = math.floor(index), math.ceil(index)
        h = index - lo
        want = (1 - h) * xs[lo - 1] + h * xs[hi - 1] if index > lo else xs[lo - 1]
        assert quantile7(x, probs=[p])[0] == want


@pytest.mark.live_r
def test_quantile7_is_r_s_to_the_bit():
    from r_reference import rsession

    r = rsession.r()
    rng = np.random.default_rng(11)
    probs = [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 1.0]
    ps = ", ".join(p.hex() for p in probs)
    for n in (2, 3, 7, 24, 101):
        x = rng.standard_normal(n) * 10 ** rng.uniform(-3, 3)
        src = ", ".join(float(v).hex() for v in x)
        want = [float(v) for v in r(f"quantile(c({src}), c({ps}), names = FALSE)")]
        assert list(quantile7(x, probs)) == want, n


def test_quantile7_missing_values_and_probabilities():
    nan = float("nan")
    with pytest.raises(ValueError, match="missing values and NaN's not allowed"):
        quantile7([1.0, nan])
    assert list(quantile7([nan, 8.0, 1.0, nan, 4.0, 2.0], na_rm=True)) == [1.0, 1.75, 3.0, 5.0, 8.0]
    assert np.isnan(quantile7([], probs=[0.5])).all()
    assert np.isnan(quantile7([nan], na_rm=True)).all()
    out = quantile7([1.0, 2.0], probs=[nan, 1 + 1e-15])  # within R's 100 eps of [0, 1]
    assert np.isnan(out[0]) and out[1] == 2.0
    for p in (-0.01, 1.01):
        with pytest.raises(ValueError, match="'probs' outside"):
            quantile7([1.0, 2.0], probs=[p])


# ---------------------------------------------------------------------------
# format()


def test_format_integer_and_perc():
    assert format_integer([1, 28, None, float("nan")]) == [" 1", "28", "NA", "NA"]
    assert format_integer(range(1, 11))[0] == " 1"
    # confint's column names: format(100 * probs, trim = TRUE, scientific = FALSE, digits = 3)
    assert format_perc([0.025, 0.975]) == ["2.5 %", "97.5 %"]
    assert format_perc([0.25, 0.75]) == ["25 %", "75 %"]
    a = (1 - 1 / 3) / 2
    assert format_perc([a, 1 - a]) == ["33.3 %", "66.7 %"]
    a = (1 - 0.999999) / 2  # never scientific
    assert format_perc([a, 1 - a]) == ["0.00005 %", "99.99995 %"]


# ---------------------------------------------------------------------------
# logLik, AIC, BIC


def test_loglik_carries_r_s_attributes():
    ll = LogLik(-10.0, df=3, nobs=18, nall=20)
    assert isinstance(ll, float) and float(ll) == -10.0
    assert (ll.df, ll.nobs, ll.nall) == (3, 18, 20)
    assert LogLik(-10.0, 3, 20).nall == 20  # nall defaults to nobs
    back = pickle.loads(pickle.dumps(ll))
    assert type(back) is LogLik and float(back) == -10.0
    assert (back.df, back.nobs, back.nall) == (3, 18, 20)
    assert type(ll + 1.0) is float  # arithmetic gives plain numbers, as as.numeric in R


def test_loglik_prints_as_print_loglik():
    # cat("'log Lik.' ", format(c(x), digits = 7), " (df=", format(df), ")")
    assert repr(LogLik(-73.52345678, 5, 32)) == "'log Lik.' -73.52346 (df=5)"
    assert str(LogLik(-123456789.1, 3, 10)) == "'log Lik.' -123456789 (df=3)"  # fixed, not 1.2e+08
    assert repr(LogLik(1e-20, 3, 10)) == "'log Lik.' 1e-20 (df=3)"
    assert repr(LogLik(float("nan"), 3, 0)) == "'log Lik.' NaN (df=3)"
    assert repr(LogLik(float("-inf"), 3, 10)) == "'log Lik.' -Inf (df=3)"


def test_aic_and_bic_are_r_s_definitions():
    ll = LogLik(-10.0, df=3, nobs=18, nall=20)
    assert aic(ll) == 26.0
    assert aic(ll, k=3.5) == 30.5
    # BIC penalises with log of the logLik's "nobs" (N - p for REML), not "nall"
    assert bic(ll) == 20.0 + math.log(18) * 3
    assert bic(LogLik(-10.0, 3, 0)) == -math.inf  # R's log(0) = -Inf
