"""hlm_py.rbase: R's as.character of numbers and R's sort of strings."""

import numpy as np
import pytest

from hlm_py.rbase import as_character_double, as_character_numbers, as_character_scalar, r_sort

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
