"""The structure spec -> R code helper of the gls / lme_struct catalogues."""

from __future__ import annotations

import pytest

from r_reference.cases import Case, structs
from r_reference.cases.gls import S


def test_formula_and_scalars() -> None:
    assert structs.struct_r(S("corAR1", form="~ 1 | Mare")) == "corAR1(form = ~ 1 | Mare)"
    assert structs.struct_r(S("corAR1")) == "corAR1()"
    assert structs.struct_r(S("corAR1", value=0.771, form="~ 1 | Subject")) == \
        "corAR1(value = 0.771, form = ~ 1 | Subject)"
    assert structs.struct_r(S("corCompSymm", value=0.3, form="~ 1 | Subject", fixed=True)) == \
        "corCompSymm(value = 0.3, form = ~ 1 | Subject, fixed = TRUE)"


def test_formals_order_not_dict_order() -> None:
    spec = S("corSpher", nugget=True, form="~ latitude + longitude", value=[28, 0.2])
    assert structs.struct_r(spec) == \
        "corSpher(value = c(28, 0.2), form = ~ latitude + longitude, nugget = TRUE)"
    assert structs.struct_r(S("corARMA", q=1, p=1)) == "corARMA(p = 1, q = 1)"


def test_strings_numbers_lists() -> None:
    assert structs.struct_r(S("corExp", metric="man", form="~ x + y")) == \
        'corExp(form = ~ x + y, metric = "man")'
    assert structs.struct_r(S("varPower", value=1.0)) == "varPower(value = 1)"
    assert structs.struct_r(S("varExp", value=[1.5])) == "varExp(value = 1.5)"
    assert structs.struct_r(S("corSymm", value=[0.2, 0.1, -0.1, 0, 0.2, 0])) == \
        "corSymm(value = c(0.2, 0.1, -0.1, 0, 0.2, 0))"


def test_dicts_named_vectors_and_lists() -> None:
    # named vectors, names sorted
    assert structs.struct_r(S("varIdent", value={"Female": 0.5}, form="~ 1 | Sex")) == \
        "varIdent(value = c(Female = 0.5), form = ~ 1 | Sex)"
    assert structs.struct_r(S("varIdent", form="~ 1 | g", fixed={"b": 2, "a": 1})) == \
        "varIdent(form = ~ 1 | g, fixed = c(a = 1, b = 2))"
    # fixed of varPower / varConstPower: R's list(...)
    assert structs.struct_r(S("varPower", form="~ fitted(.) | Sex",
                              fixed={"Male": 0.5, "Female": 0})) == \
        "varPower(form = ~ fitted(.) | Sex, fixed = list(Female = 0, Male = 0.5))"
    assert structs.struct_r(S("varConstPower", power=0.5, fixed={"const": 1})) == \
        "varConstPower(power = 0.5, fixed = list(const = 1))"
    # a scalar fixed stays a scalar
    assert structs.struct_r(S("varPower", fixed=0.5)) == "varPower(fixed = 0.5)"
    # non-syntactic names are backquoted
    assert structs.r_arg_value({"Time:Diet2": 1, "Time:Diet3": -1}) == \
        "c(`Time:Diet2` = 1, `Time:Diet3` = -1)"


def test_varComb_and_weights_shortcut() -> None:
    spec = S("varComb", parts=[S("varIdent", value={"Female": 0.5}, form="~ 1 | Sex"),
                               S("varExp", value=1, form="~ age")])
    assert structs.struct_r(spec) == \
        "varComb(varIdent(value = c(Female = 0.5), form = ~ 1 | Sex), varExp(value = 1, form = ~ age))"
    assert structs.struct_r("~ age") == "~ age"
    assert structs.struct_r(S("varFixed", value="~ age")) == "varFixed(value = ~ age)"
    assert structs.struct_r(None) == "NULL"


def test_bad_specs() -> None:
    with pytest.raises(ValueError):
        structs.struct_r(S("corFoo"))
    with pytest.raises(ValueError):
        structs.struct_r(S("corAR1", phi=0.3))
    with pytest.raises(ValueError):
        structs.struct_r("age")
    with pytest.raises(TypeError):
        structs.struct_r(3)


def test_calls() -> None:
    args = {"model": "y ~ x", "correlation": S("corAR1", form="~ 1 | g"),
            "weights": "~ x", "method": "ML", "na_action": "na.omit",
            "control": {"msMaxIter": 500, "apVar": False}, "subset": "x > 0"}
    assert structs.gls_call(args, "d") == (
        "gls(y ~ x, data = d, correlation = corAR1(form = ~ 1 | g), weights = ~ x, "
        'subset = x > 0, method = "ML", na.action = na.omit, '
        "control = glsControl(apVar = FALSE, msMaxIter = 500))")
    largs = {"fixed": "y ~ x", "random": "~ 1 | g", "weights": S("varPower"),
             "contrasts": {"f": "contr.helmert"}}
    assert structs.lme_call(largs, "d") == (
        'lme(y ~ x, random = ~ 1 | g, data = d, weights = varPower(), '
        'contrasts = list(f = "contr.helmert"))')


def test_r_code_compare_and_anova() -> None:
    case = Case(name="c", kind="gls", data="d", data_name="d",
                args={"model": "y ~ x", "correlation": S("corAR1", form="~ 1 | g")},
                extra={"fit_name": "m1", "anova_test": False,
                       "compare": [{"kind": "lme", "name": "m2",
                                    "args": {"fixed": "y ~ x", "random": "~ 1 | g"}}],
                       "anova_order": ["m2", "m1"], "anova_tests": [{"L": [-1, 1]}]})
    code = structs.r_code(case, "gls").split("\n")
    assert code[1] == "m1 <- gls(y ~ x, data = d, correlation = corAR1(form = ~ 1 | g))"
    assert code[2] == "fit <- m1"
    assert "m2 <- lme(y ~ x, random = ~ 1 | g, data = d)" in code
    assert "fit2 <- m2" in code
    assert code[-2] == "anova(m2, m1, test = FALSE)"
    assert code[-1] == "anova(m1, L = c(-1, 1))"
    assert any(line.startswith("fit2_tight_optim_ndeps <- try(update(fit2") for line in code)
    assert any(line.startswith("fit_tight_optim_nm <- try(update(fit, control = glsControl(")
               for line in code)


def test_tight_control_merges_case_control() -> None:
    lines = structs.tight_lines("fit", "gls", {"apVar": False, "msMaxIter": 5})
    assert lines[0] == ("fit_tight_nlminb <- try(update(fit, control = glsControl(apVar = FALSE, "
                        "maxIter = 500, msMaxIter = 1000, tolerance = 1e-10)), silent = TRUE)")
    with pytest.raises(ValueError):
        structs.tight_lines("fit", "lme", {"msMaxIter": 5})


@pytest.mark.parametrize("kind", ["gls", "lme_struct"])
def test_catalogue_renders_and_matches_its_goldens(kind: str) -> None:
    # offline: every case's R code renders, and the committed golden holds
    # exactly that case and script, written canonically
    import importlib
    import json

    # the runner by name: mypy would follow it into rpy2 (untyped)
    runner = importlib.import_module("r_reference.runner")
    golden_json = importlib.import_module("r_reference.golden_json")
    mod = runner.kind_modules()[kind]
    cases = runner.all_cases(kind)
    assert len({c.name for c in cases}) == len(cases)
    files = {p.stem for p in (runner.GOLDEN_DIR / kind).glob("*.json")}
    assert files == {c.name for c in cases}
    for case in cases:
        path = runner.golden_path(case)
        text = path.read_text(encoding="utf-8")
        assert golden_json.dumps(json.loads(text)) == text, path.name
        g = json.loads(text)
        assert g["case"] == json.loads(json.dumps(case.to_dict())), case.name
        assert g["r_code"] == runner.script(case, mod.r_code(case)), case.name
        if case.extra.get("expect_error"):
            assert g.get("error"), case.name
            continue
        r = g["results"]
        assert {"default", "tight", "tight_candidates", "tight_optimizer"} <= set(r), case.name
        if case.extra.get("compare"):
            assert "anova_compare" in r or "anova_compare_error" in r, case.name


def test_catalogue_sizes() -> None:
    from r_reference.cases import gls, lme_struct

    assert len(gls.CASES) + len(lme_struct.CASES) >= 50
