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
    for name, control in lme.TIGHT_CONTROLS.items():
        assert (f"fit_tight_{name} <- try(update(fit, control = {control.format(fit='fit')}), "
                f"silent = TRUE)") in lines
    assert any(line.startswith("fit_tight <- fit_tight_fits[[which.max(") for line in lines)
    assert lme.TIGHT_CONTROLS["nlminb"] == lme.TIGHT_CONTROL
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
            assert set(res["compare_tight"]) == set(res["compare"])
        # the tight fit is the candidate of highest logLik, and says which it is
        cand = res["tight_candidates"]
        lls = [x for x in cand["columns"]["logLik"] if x is not None]
        assert cand["rownames"][0] == "default" and res["tight_optimizer"] in cand["rownames"]
        assert res["tight"]["logLik"] == max(lls), case.name


def _goldens() -> list[tuple[str, dict]]:
    out = []
    for case in lme.CASES:
        path = GOLDEN / f"{case.name}.json"
        if path.is_file():
            out.append((case.name, json.loads(path.read_text(encoding="utf-8"))))
    if not out:
        pytest.fail("golden/lme has no goldens: run python -m r_reference regenerate --kind lme")
    return out


def _assert_obs_table(name: str, table: dict, columns: list[str], nobs: int) -> None:
    assert table["colnames"] == columns, name
    assert set(table["columns"]) == set(columns), name
    assert len(table["rownames"]) == nobs, name
    for col in columns:
        assert len(table["columns"][col]) == nobs, (name, col)
        assert any(v is not None for v in table["columns"][col]), (name, col)


def test_fitted_and_resid_have_a_column_per_level() -> None:
    # fitted(fit, level = 0:Q) and resid(...) are matrices in R: each golden
    # table keeps their columns "fixed", then the levels outer to inner
    for name, g in _goldens():
        for which in ("default", "tight"):
            d = g["results"].get(which)
            if d is None:
                continue
            if d.get("obs_omitted"):
                assert which == "default" and "fitted" not in d and "resid" not in d, name
                continue
            columns = ["fixed", *d["ngroups"]["names"]]
            _assert_obs_table(f"{name}/{which}/fitted", d["fitted"], columns, d["nobs"])
            assert set(d["resid"]) == {"response", "pearson", "normalized"}, name
            for ty, table in d["resid"].items():
                _assert_obs_table(f"{name}/{which}/resid/{ty}", table, columns, d["nobs"])
            # R's response residuals at level 0 are the response minus the fixed fit:
            # the same rows in both tables
            assert d["resid"]["response"]["rownames"] == d["fitted"]["rownames"], name


def test_comparison_goldens_keep_every_number_of_the_compared_fits() -> None:
    needed = {"method", "fixef", "vcov", "tTable", "corFixed", "sigma", "logLik", "logLik_df",
              "AIC", "BIC", "varcorr", "varcorr_residual", "VarCorr_text", "resid_quantiles",
              "nobs", "ngroups", "fixDF_X", "fixDF_terms", "pd_unconstrained", "pd_constrained"}
    seen = 0
    for name, g in _goldens():
        n_other = len((g["case"].get("extra") or {}).get("compare") or [])
        res = g["results"]
        if not n_other:
            assert "compare_default" not in res, name
            continue
        seen += 1
        others = [f"fit{k}" for k in range(2, n_other + 2)]
        assert sorted(res["compare_default"]) == sorted(others), name
        for other in others:
            d = res["compare_default"][other]
            assert needed <= set(d), (name, other, needed - set(d))
            assert d["obs_omitted"] is True and "fitted" not in d, (name, other)
            # the default fit; `compare` holds R's best (tight) fit of the same model
            cand = res["compare_tight"][other]["candidates"]
            assert d["logLik"] == cand["columns"]["logLik"][0], (name, other)
            assert res["compare"][other]["logLik"] >= d["logLik"], (name, other)
            assert d["fixef"]["names"] == res["compare"][other]["fixef"]["names"], (name, other)
            assert f"summary_{other}" in g["printed"], (name, other)
            assert d["tTable"]["rownames"] == d["fixef"]["names"], (name, other)
    assert seen >= 1


@pytest.mark.live_r
def test_plain_df_keeps_matrix_columns_and_refuses_others_live() -> None:
    from r_reference import rconvert, runner

    runner._load_kind("lme")
    r = runner._r()
    fit = ("suppressMessages(library(nlme)); "
           "f <- lme(distance ~ age, random = ~ 1 | Subject, data = as.data.frame(Orthodont)); ")
    out = rconvert.r_to_json(r(fit + "hlm_lme_plain_df(fitted(f, level = 0:1))"))
    assert out["colnames"] == ["fixed", "Subject"]
    assert len(out["columns"]["fixed"]) == len(out["rownames"]) == 108
    with pytest.raises(Exception, match="not a data frame or matrix"):
        r("hlm_lme_plain_df(c(a = 1, b = 2))")
