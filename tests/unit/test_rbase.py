"""hlm_py.rbase: R's as.character of numbers and R's sort of strings."""

import numpy as np
import pytest

from hlm_py.rbase import as_character_double, as_character_numbers, as_character_scalar, r_sort


@pytest.mark.parametrize(
    "x, s",
    [(0.1 + 0.2, "0.3"), (1e5, "1e+05"), (2e5, "2e+05"), (1e-4, "1e-04"), (3.0, "3"),
     (123456.0, "123456"), (1e15, "1e+15"), (0.001, "0.001"), (-1e5, "-1e+05"),
     (1 / 3, "0.333333333333333"), (float("inf"), "Inf"), (-0.0, "0")],
)
def test_as_character_double(x, s):
    assert as_character_double(x) == s


def test_as_character_of_vectors_and_scalars():
    assert list(as_character_numbers(np.array([100000, 3]))) == ["100000", "3"]
    assert list(as_character_numbers(np.array([1e5, np.nan]))) == ["1e+05", None]
    assert [as_character_scalar(v) for v in (1, "1", 1e5, True, None, np.nan, np.int64(7))] == [
        "1", "1", "1e+05", "TRUE", None, None, "7"]


def test_r_sort_is_icu_root_collation():
    assert r_sort(["c", "B", "a"]) == ["a", "B", "c"]
    assert r_sort(["Hi", "lo", "hi"]) == ["hi", "Hi", "lo"]
