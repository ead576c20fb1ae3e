"""The seeds' scripts run in R now, against ``hlm-py demo``: identical text."""

from __future__ import annotations

import pytest

from hlm_py.cli import SEED_HSB_R, SEED_MTCARS_R, demo_hsb, demo_mtcars

pytestmark = pytest.mark.live_r


def _r_output(code: str) -> str:
    from r_reference import rsession

    rr = rsession.r()
    rsession.reset_options()
    rr.assign("hlm_seed_code", code)
    lines = rr("capture.output(eval(parse(text = hlm_seed_code), envir = new.env()))")
    return "\n".join(str(s) for s in lines) + "\n"


@pytest.mark.parametrize(("script", "demo", "min_lines"), [
    pytest.param(SEED_MTCARS_R, demo_mtcars, 40, id="mtcars"),
    pytest.param(SEED_HSB_R, demo_hsb, 20, id="hsb"),
])
def test_demo_prints_what_r_prints_for_the_seed_script(script, demo, min_lines):
    r_text = _r_output(script)
    py_text = demo()
    r_lines, py_lines = r_text.split("\n"), py_text.split("\n")
    assert len(r_lines) > min_lines, "R printed almost nothing for the seed script"
    for i, (a, b) in enumerate(zip(py_lines, r_lines)):
        assert a == b, f"line {i + 1} differs:\n  py: {a!r}\n  R:  {b!r}"
    assert len(py_lines) == len(r_lines), (len(py_lines), len(r_lines))
