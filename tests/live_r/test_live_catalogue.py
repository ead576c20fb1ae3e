"""The live-R tier: every catalogue case run in R now and in hlm_py, compared.

Unlike the golden tests, nothing here comes from a file: R computes the
reference during the test (``r_reference.runner.run_case``), so a golden
that went stale, or an R that changed, shows up here. Same comparator and
tolerances as the golden tests (``hlm_py.verify.compare``).
"""

from __future__ import annotations

import pytest
from _catalogue import case_params

from hlm_py.verify.cases import run_case
from hlm_py.verify.compare import compare_case

pytestmark = pytest.mark.live_r


def _compare_live(kind: str, case) -> None:
    if case is None:
        pytest.fail(f"the catalogue r_reference/cases has no {kind} case")
    from r_reference.runner import run_case as run_case_in_r

    golden = run_case_in_r(case)
    assert golden["case"]["name"] == case.name
    rows = compare_case(case.name, kind, run_case(golden), golden)
    assert rows, "nothing compared"
    bad = [r for r in rows if not r.ok]
    assert not bad, f"{len(bad)} of {len(rows)} quantities differ from R:\n" + "\n".join(
        r.format() for r in bad[:20])


@pytest.mark.parametrize("case", case_params("lm"))
def test_lm_live(case):
    _compare_live("lm", case)


@pytest.mark.parametrize("case", case_params("model_matrix"))
def test_model_matrix_live(case):
    _compare_live("model_matrix", case)


@pytest.mark.parametrize("case", case_params("lme"))
def test_lme_live(case):
    _compare_live("lme", case)


@pytest.mark.parametrize("case", case_params("gls"))
def test_gls_live(case):
    _compare_live("gls", case)


@pytest.mark.parametrize("case", case_params("lme_struct"))
def test_lme_struct_live(case):
    _compare_live("lme_struct", case)
