"""The lme golden catalogue (r_reference/cases/lme.py): structure and R code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r_reference.cases import lme

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "lme"


def test_catalogue_size_and_unique_names() -> None:
    names = [c.name for c in lme.CASES]
    assert len(names) >= 35
    assert len(set(names)) == len(names)
    assert all(c.kind == "lme" for c in lme.CASES)


def test_seed_case_comes_first_and_is_typed_as_the_seed() -> None:
    first = lme.CASES[0]
    assert first.seed is not None
    code = lme.r_code(first)
    assert "model1 <- lme(mathach ~ 1, random = ~ 1 | id, data = hsb)" in code
    assert "fit <- model1" in code


@pytest.mark.parametrize("case", lme.CASES, ids=lambda c: c.name)
def test_r_code_binds_default_and_tight_fits(case) -> None:
    code = lme.r_code(case)
    lines = code.splitlines()
    assert lines[0] == "library(nlme)"
    assert any(line.startswith("fit <- ") for line in lines)
    assert f"fit_tight <- update(fit, control = {lme.TIGHT_CONTROL})" in lines
    assert f"data = {case.data_name}" in code
    others = case.extra.get("compare") or []
    for k in range(2, len(others) + 2):
        assert any(line.startswith(f"fit{k} <- lme(") for line in lines)
    if others:
        assert lines[-1].startswith("anova(fit, fit2")
    if case.args.get("method") is None:
        assert "method =" not in lines[1]


def test_random_specifications_translate_to_r() -> None:
    assert lme.random_r("~ 1 | g") == "~ 1 | g"
    assert lme.random_r({"pdClass": "pdDiag", "form": "~ age"}) == "pdDiag(~ age)"
    assert (lme.random_r({"Subject": {"pdClass": "pdSymm", "form": "~ age"}})
            == "list(Subject = pdSymm(~ age))")
    assert lme.random_r({"Dog": "~ day", "Side": "~ 1"}) == "list(Dog = ~ day, Side = ~ 1)"
    with pytest.raises(TypeError):
        lme.random_r(3)


def test_every_case_has_a_golden_with_both_fits() -> None:
    if not GOLDEN.is_dir() or not any(GOLDEN.glob("*.json")):
        pytest.fail("golden/lme has no goldens: run python -m r_reference regenerate --kind lme")
    for case in lme.CASES:
        path = GOLDEN / f"{case.name}.json"
        assert path.is_file(), path
        g = json.loads(path.read_text(encoding="utf-8"))
        assert g["case"]["name"] == case.name
        res = g["results"]
        assert "default" in res and "tight" in res, case.name
        # intervals/apVar may fail on one fit and not the other (R's numerical Hessian)
        def core(d):
            return {k.removesuffix("_error") for k in d} - {"obs_omitted", "apVar_Pars"}
        assert core(res["default"]) == core(res["tight"]), case.name
        assert "summary" in g["printed"] and "VarCorr" in g["printed"]
        if case.extra.get("compare"):
            assert "anova_compare" in res or "anova_compare_error" in res
