"""The seed's mtcars numbers, printed exactly as the seed shows them.

Expected texts are R's numbers from the seed goldens (``seed_mtcars_model``,
``seed_mtcars_model_by_make``) put through hlm_py's printing layer the way the
seed's R code prints them (``cat`` for the sums of squares, F, p and the
incremental R-squared, R's default print for the prediction); the actual
texts are what ``hlm-py demo`` prints from hlm_py's own fits. R's own printed
summaries and anova tables from the goldens must appear in the demo verbatim.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _golden import GOLDEN_DIR

from hlm_py.cli import demo_hsb, demo_mtcars, r_cat
from hlm_py.printing.matrixprint import print_series
from hlm_py.verify.goldens import load_golden

MODEL = "seed_mtcars_model"
BY_MAKE = "seed_mtcars_model_by_make"


def _results(name: str) -> dict:
    path = GOLDEN_DIR / "lm" / f"{name}.json"
    if not path.is_file():
        pytest.fail(f"seed golden {path} is missing: run 'python -m r_reference regenerate'")
    return load_golden(path)


@pytest.fixture(scope="module")
def demo_lines() -> list[str]:
    return demo_mtcars().split("\n")


def _column(golden: dict, table: str, column: str) -> list[float]:
    return golden["results"][table]["columns"][column]


def _assert_printed(line: str, demo_lines: list[str]) -> None:
    assert line in demo_lines, f"demo does not print {line!r}"


def test_sums_of_squares_as_cat_prints_them(demo_lines):
    ss = _column(_results(MODEL), "anova", "Sum Sq")
    for label, value in zip(("SST:", "SSR:", "SSE:"), ss[:3]):
        _assert_printed(r_cat(label, value, "\n").rstrip("\n"), demo_lines)


def test_f_and_p_of_model_by_make_as_cat_prints_them(demo_lines):
    g = _results(BY_MAKE)
    f = _column(g, "anova", "F value")[0]
    p = _column(g, "anova", "Pr(>F)")[0]
    _assert_printed(r_cat("F-Statistic for model by make:", f, "\n").rstrip("\n"), demo_lines)
    _assert_printed(r_cat("P-Value for model by make:", p, "\n").rstrip("\n"), demo_lines)
    ss = _column(g, "anova", "Sum Sq")
    _assert_printed(r_cat("Difference in Sum of Squares for model by make "
                          "(SSR_diff_model_by_make):", ss[0] - ss[2], "\n").rstrip("\n"),
                    demo_lines)


def test_incremental_r_squared(demo_lines):
    g = _results(BY_MAKE)
    inc = g["results"]["compare_models"]["model"]["r_squared"] - g["results"]["r_squared"]
    _assert_printed(r_cat("Incremental R-Squared:", inc, "\n").rstrip("\n"), demo_lines)


def test_prediction_as_r_prints_it(demo_lines):
    pred = _results(BY_MAKE)["results"]["predict"]
    s = pd.Series(pred["values"], index=pred["names"], dtype=float)
    text = print_series(s)
    joined = "\n".join(demo_lines)
    assert text in joined, f"demo does not print the prediction as R does:\n{text}"
    _assert_printed(r_cat("Predicted MPG:", s.iloc[0], "\n").rstrip("\n"), demo_lines)


@pytest.mark.parametrize("name", [MODEL, BY_MAKE])
@pytest.mark.parametrize("what", ["summary", "anova"])
def test_r_printed_texts_appear_in_the_demo(name, what, demo_lines):
    text = _results(name)["printed"][what].rstrip("\n")
    assert len(text.split("\n")) > 5
    assert text in "\n".join(demo_lines), f"R's printed {what} of {name} is not in the demo"


@pytest.mark.parametrize("what", ["summary", "VarCorr"])
def test_hsb_seed_printed_texts_are_the_demo(what):
    path = GOLDEN_DIR / "lme" / "hsb_empty_seed.json"
    if not path.is_file():
        pytest.fail(f"seed golden {path} is missing")
    text = load_golden(path)["printed"][what].rstrip("\n")
    assert len(text.split("\n")) > 3
    assert text in demo_hsb(), f"R's printed {what} of the seed's empty model is not in the demo"
