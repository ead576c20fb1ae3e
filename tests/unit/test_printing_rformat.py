"""R's number formatting rules (hlm_py.rbase.formatnum, hlm_py.printing.rformat).

The expected strings here are formatting facts that follow from R's documented
rules (common width, fixed vs scientific by width, ``format.pval``'s ``<eps``
form, IEEE round-half-even), not numbers copied from a fit. Agreement with R on
many numbers is checked live in test_printing_live_r.py.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hlm_py.printing import rformat as rf
from hlm_py.rbase.formatnum import format_integer, format_real

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


def test_common_width_and_fixed_notation():
    assert format_real([1, 10, 100]) == ["  1", " 10", "100"]
    assert format_real([1.5, 10, 100]) == ["  1.5", " 10.0", "100.0"]


def test_scientific_when_narrower():
    # 1e5 needs 6 characters fixed and 5 in e-notation: R prints 1e+05
    assert format_real([1e5]) == ["1e+05"]
    assert format_real([123456]) == ["123456"]
    assert format_real([1e-20]) == ["1e-20"]
    assert format_real([0.0001]) == ["1e-04"]
    assert format_real([0.0001234]) == ["0.0001234"]


def test_scipen_moves_the_choice():
    assert format_real([1e5], scipen=1) == ["100000"]
    assert format_real([123456], scipen=-6) == ["1.23456e+05"]


def test_digits_are_significant_digits():
    assert format_real([math.pi], digits=3) == ["3.14"]
    assert format_real([0.1 + 0.2]) == ["0.3"]
    assert format_real([0.1 + 0.2], digits=17) == ["0.30000000000000004"]
    assert format_real([1 / 3, 10]) == [" 0.3333333", "10.0000000"]


def test_nsmall_and_width():
    assert format_real([2], nsmall=2) == ["2.00"]
    assert format_real([2.5], width=6) == ["   2.5"]
    assert format_real([2.5, 10], trim=True) == ["2.5", "10.0"]


def test_na_nan_inf_and_signed_zero():
    nan = float("nan")
    assert format_real([nan, 1.25]) == ["  NA", "1.25"]
    assert format_real([nan, 1.25], nan_mask=[True, False]) == [" NaN", "1.25"]
    assert format_real([float("inf"), -float("inf"), 1]) == [" Inf", "-Inf", "   1"]
    assert format_real([-0.0]) == ["0"]
    assert format_real([nan]) == ["NA"]


def test_three_digit_exponent():
    assert format_real([1e-300]) == ["1e-300"]
    # the width allows a 3-digit exponent; C still writes two digits for 1
    assert format_real([1.5e200, 1]) == ["1.5e+200", " 1.0e+00"]


def test_format_integer():
    assert format_integer([1, 28, None]) == [" 1", "28", "NA"]


def test_round_half_even_and_representation():
    assert rf.round_r(2.5) == 2.0
    assert rf.round_r(3.5) == 4.0
    assert rf.round_r(-2.5) == -2.0
    # 0.15 is stored as 0.1499999...: R 4's round() gives 0.1
    assert rf.round_r(0.15, 1) == 0.1
    assert rf.round_r(123.456, -1) == 120.0
    assert math.isnan(rf.round_r(float("nan"), 2))


def test_signif():
    assert rf.signif(123456, 2) == 120000.0
    assert rf.signif(0.000123456, 3) == 0.000123
    assert rf.signif(-2.5781, 4) == -2.578
    assert rf.signif(0.0, 3) == 0.0


def test_zapsmall():
    z = rf.zapsmall([1.0, 1e-20, -3.0])
    assert list(z) == [1.0, 0.0, -3.0]
    assert all(math.isnan(v) for v in rf.zapsmall([float("nan")]))


def test_format_c():
    assert rf.format_c(0.8348, digits=4) == "0.8348"
    # width defaults to digits + 1
    assert rf.format_c(3.0, digits=4) == "    3"
    assert rf.format_c(1.0, digits=4) == "    1"
    assert rf.format_c(3.14159, width=8, format="f", digits=2) == "    3.14"
    assert rf.format_c(1234.5678, format="e", digits=2) == "1.23e+03"
    assert rf.format_c(0.000012345, format="fg", digits=3) == "0.0000123"
    assert rf.format_c([1.0, float("nan")], digits=2, format="f") == ["1.00", " NA"]
    with pytest.raises(ValueError):
        rf.format_c(1.0, flag="x")


def test_format_pval():
    assert rf.format_pval(1e-20, digits=4) == "< 2.2e-16"
    assert rf.format_pval(1e-20, digits=3) == "<2e-16"
    assert rf.format_pval(0.5, digits=4) == "0.5"
    assert rf.format_pval([0.01234, float("nan")], digits=3) == ["0.0123", "NA"]
    # fixed and scientific p-values are formatted as separate groups
    assert rf.format_pval([0.25, 3.2e-6], digits=3) == ["0.25", "3.2e-06"]
    assert rf.format_pval([0.25, 1e-20], digits=3) == ["0.25", "<2e-16"]


@given(st.lists(finite, min_size=1, max_size=8), st.integers(min_value=1, max_value=15))
def test_common_width_invariant(xs, digits):
    out = format_real(xs, digits=digits)
    assert len({len(s) for s in out}) == 1


@given(finite, st.integers(min_value=1, max_value=15))
def test_shown_value_is_within_half_a_unit_of_digits(x, digits):
    s = format_real([x], digits=digits)[0]
    shown = float(s)
    if x == 0:
        assert shown == 0
        return
    unit = 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1)
    assert abs(shown - x) <= 0.5 * unit * (1 + 1e-9) + 8 * 2.2e-16 * abs(x) + 1e-300


@given(finite, st.integers(min_value=1, max_value=15))
def test_signif_has_at_most_digits(x, digits):
    y = rf.signif(x, digits)
    if x == 0:
        assert y == 0
        return
    mant = f"{abs(y):.{digits - 1}e}".split("e")[0]
    assert float(mant + "e0") * 10 ** int(f"{abs(y):e}".split("e")[1]) == pytest.approx(abs(y))
    # R's fprec scales by an inexact power of ten: allow a few ulps on top
    half_unit = 0.5 * 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1)
    assert abs(y - x) <= half_unit * (1 + 1e-9) + 8 * 2.2e-16 * abs(x) + 1e-300


def test_abbreviate_drops_lower_case_vowels_then_letters_from_the_end():
    # nlme labels correlation columns with abbreviate(names, minlength = 6)
    assert rf.abbreviate(["(Intercept)", "age"], 6) == ["(Intr)", "age"]
    assert rf.abbreviate(["abcdef"], 3) == ["abc"]
    assert rf.abbreviate(["short"], 8) == ["short"]
    # duplicates are lengthened until they differ
    out = rf.abbreviate(["aaaab", "aaaac"], 4)
    assert len(set(out)) == 2
    assert rf.abbreviate(["x"], 0) == [""]


@given(st.lists(st.text(alphabet="abcdeXYZ (): ", min_size=1, max_size=15), min_size=1, max_size=6),
       st.integers(min_value=1, max_value=8))
def test_abbreviate_keeps_distinct_names_distinct(names, minlength):
    out = rf.abbreviate(names, minlength)
    stripped = [n.strip(" ") for n in names]
    assert len(set(out)) == len(set(stripped))
