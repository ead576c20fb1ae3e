"""hlm_py.structs.varfunc without R: nlme's parametrisations of the variance
functions, value=/fixed= handling, strata, the cases nlme turns into
varIdent(), update, the printed block, errors and the interfaces
(tests/live_r/test_structs_varfunc_live.py checks all of it against nlme)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from hlm_py import datasets
from hlm_py.errors import HlmError, MissingValueError, UnknownVariableError
from hlm_py.printing.varfunc_reports import render_varfunc
from hlm_py.structs import varfunc as vf
from hlm_py.structs.base import BoundVarFunc, ModelComponent


@pytest.fixture(scope="module")
def orth():
    return datasets.load("Orthodont")


@pytest.fixture(scope="module")
def bw():
    return datasets.load("BodyWeight")


def _toy():
    return pd.DataFrame({
        "x": [1.0, 2.0, 4.0, 0.5, 3.0, 2.5],
        "g": pd.Categorical(["b", "a", "b", "c", "a", "c"], categories=["c", "b", "a"]),
        "h": [1, 1, 2, 2, 1, 2],
        "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    })


SPECS = [
    lambda: vf.varFixed("~ x"),
    lambda: vf.varIdent(),
    lambda: vf.varIdent(form="~ 1 | g"),
    lambda: vf.varPower(form="~ x"),
    lambda: vf.varPower(form="~ x | g"),
    lambda: vf.varPower(),
    lambda: vf.varExp(form="~ x | g"),
    lambda: vf.varConstPower(form="~ x"),
    lambda: vf.varConstPower(form="~ x | g"),
    lambda: vf.varComb(vf.varIdent(form="~ 1 | g"), vf.varPower(form="~ x")),
]


# ------------------------------------------------------------------ interfaces


@pytest.mark.parametrize("make", SPECS)
def test_bound_conforms_to_the_protocols(make):
    spec = make()
    for attr in ("r_class", "formula", "variables", "bind", "deparse"):
        assert hasattr(spec, attr)
    b = spec.bind(_toy())
    assert isinstance(b, BoundVarFunc)
    assert isinstance(b, ModelComponent)
    th = b.start
    assert b.n_params == th.shape[0] == len(b.param_names()) == len(b.constrained_names())
    assert [p.shape[0] for p in b.split(th)] and sum(p.shape[0] for p in b.split(th)) == b.n_params
    w = b.weights(th)
    assert w.shape == (6,)
    np.testing.assert_array_equal(b.matrices(th)[0], w)
    assert b.loglik(th) == pytest.approx(float(np.sum(np.log(w))), rel=1e-15, abs=1e-300)
    assert isinstance(b.text(th), str)
    assert b.coef(th).shape == b.coef(th, unconstrained=False).shape


# ------------------------------------------------------------------ parametrisations


def test_varfixed_weights(orth):
    b = vf.varFixed("~ age").bind(orth)
    np.testing.assert_allclose(b.weights(b.start), 1 / np.sqrt(orth["age"].to_numpy()), rtol=1e-15)
    assert b.n_params == 0 and not b.needs_update


def test_varident_strata_in_data_order():
    d = _toy()
    b = vf.varIdent(form="~ 1 | g").bind(d)
    assert b.group_names == ["b", "a", "c"]  # unique in data order, not the levels
    th = np.array([0.5, -0.25])
    w = b.weights(th)
    want = {"b": 1.0, "a": math.exp(-0.5), "c": math.exp(0.25)}
    np.testing.assert_allclose(w, [want[g] for g in d["g"]], rtol=1e-15)
    np.testing.assert_allclose(b.coef(th, unconstrained=False), np.exp(th), rtol=1e-15)
    assert b.constrained_names() == ["a", "c"]
    assert b.param_names() == ["varStruct1", "varStruct2"]
    assert b.coef_names() is None


def test_varident_value_and_fixed(orth):
    b = vf.varIdent({"Female": 0.5}, "~ 1 | Sex").bind(orth)
    w = b.weights(b.start)
    assert set(w[orth["Sex"] == "Male"]) == {1.0} and set(w[orth["Sex"] == "Female"]) == {2.0}
    b2 = vf.varIdent(form="~ 1 | Sex", fixed={"Female": 0.5}).bind(orth)
    assert b2.n_params == 0
    np.testing.assert_array_equal(b2.weights(b2.start), w)
    vals, names = b2.coef_all(b2.start)
    assert names == ["Male", "Female"] and list(vals) == [1.0, 0.5]


def test_varident_single_value_is_repeated_and_its_name_ignored():
    d = _toy()
    b = vf.varIdent({"zzz": 2.0}, "~ 1 | g").bind(d)
    assert b.group_names == ["b", "a", "c"]
    np.testing.assert_allclose(b.start, [math.log(2.0)] * 2)


def test_varident_named_values_choose_the_reference():
    d = _toy()
    b = vf.varIdent({"b": 2.0, "c": 3.0}, "~ 1 | g").bind(d)
    assert b.group_names == ["a", "b", "c"]
    np.testing.assert_allclose(b.start, np.log([2.0, 3.0]))


def test_varident_fixed_strata_go_last():
    d = _toy()
    b = vf.varIdent(form="~ 1 | g", fixed={"b": 2.0}).bind(d)
    assert b.group_names == ["a", "c", "b"]
    assert list(b.which_fix) == [False, True] and b.n_params == 1


def test_varident_interaction_labels(orth):
    b = vf.varIdent(form="~ 1 | Sex * age").bind(orth)
    assert b.group_names == ["Male*8", "Male*10", "Male*12", "Male*14",
                             "Female*8", "Female*10", "Female*12", "Female*14"]


@pytest.mark.parametrize("spec", [
    lambda: vf.varIdent(form="~ 1 | g"),
    lambda: vf.varPower(0.3, form="~ x | g"),
])
def test_single_stratum_becomes_simpler(spec):
    d = _toy()
    d1 = d[d["g"] == "a"]
    b = spec().bind(d1)
    if b.r_class == "varIdent":
        assert isinstance(b, vf.BoundConstant) and render_varfunc(b, b.start) == ""
    else:
        assert b.form.text() == "~x" and b.coef_names() == ["power"]


@pytest.mark.parametrize("spec", [
    lambda: vf.varPower(fixed=0, form="~ x"),
    lambda: vf.varExp(fixed=0, form="~ x"),
    lambda: vf.varPower(fixed={"a": 0, "b": 0, "c": 0}, form="~ x | g"),
    lambda: vf.varIdent(form="~ 1 | g", fixed={"a": 1, "c": 1}),
    lambda: vf.varConstPower(fixed={"const": 1, "power": 0}, form="~ x"),
    lambda: vf.varConstPower(form="~ x | g"),
])
def test_identity_structures_become_varident(spec):
    d = _toy()
    d1 = d[d["g"] == "a"] if "x | g" in spec().formula() and "varConstPower" in spec().deparse() else d
    b = spec().bind(d1)
    assert isinstance(b, vf.BoundConstant) and b.r_class == "varIdent" and b.n_params == 0
    np.testing.assert_array_equal(b.weights(b.start), np.ones(len(d1)))


def test_varpower_and_varexp_weights():
    d = _toy()
    x = d["x"].to_numpy()
    b = vf.varPower(form="~ x").bind(d)
    np.testing.assert_allclose(b.weights(np.array([0.7])), np.abs(x) ** -0.7, rtol=1e-15)
    assert b.param_names() == ["varStruct.power"]
    e = vf.varExp(form="~ x | g").bind(d)
    th = np.array([0.1, 0.2, -0.3])  # b, a, c
    par = {"b": 0.1, "a": 0.2, "c": -0.3}
    np.testing.assert_allclose(e.weights(th), [math.exp(-par[g] * v) for g, v in zip(d["g"], x)],
                               rtol=1e-15)
    assert e.param_names() == ["varStruct.b", "varStruct.a", "varStruct.c"]


def test_varpower_fixed_strata_positional_as_nlme():
    d = _toy()
    # nlme puts several fixed values in the data order of the strata
    b = vf.varPower(fixed={"a": 0.1, "c": 0.2, "b": 0.3}, form="~ x | g").bind(d)
    vals, names = b.coef_all(b.start)
    assert names == ["b", "a", "c"] and list(vals) == [0.1, 0.2, 0.3]


def test_varconstpower(orth):
    b = vf.varConstPower(form="~ age").bind(orth)
    np.testing.assert_allclose(b.start, [math.log(0.1), 0.0])
    th = np.array([math.log(2.0), 0.5])
    x = orth["age"].to_numpy()
    np.testing.assert_allclose(b.weights(th), 1 / (2 + np.sqrt(x)), rtol=1e-15)
    np.testing.assert_allclose(b.coef(th, unconstrained=False), [2.0, 0.5], rtol=1e-15)
    assert b.param_names() == ["varStruct.const", "varStruct.power"]
    s = vf.varConstPower(form="~ age | Sex", fixed={"power": {"Female": 1}}).bind(orth)
    assert s.coef_names() == ["const.Male", "const.Female", "power"]
    # all fixed, data covariate: nlme leaves the weights at 1
    f = vf.varConstPower(form="~ age", fixed={"const": 2, "power": 0.5}).bind(orth)
    assert f.n_params == 0 and (f.weights(f.start) == 1).all() and f.loglik(f.start) == 0


def test_varconstprop(orth):
    b = vf.varConstProp(form="~ age").bind(orth)
    np.testing.assert_allclose(b.start, [0.1, 0.1])  # nlme's dfltCoef, log(const) = 0.1
    th = np.array([math.log(2.0), -0.5])
    x = orth["age"].to_numpy()
    np.testing.assert_allclose(b.weights(th), 1 / np.sqrt(4 + 0.25 * x * x), rtol=1e-15)
    np.testing.assert_allclose(b.coef(th, unconstrained=False), [2.0, -0.5], rtol=1e-15)
    assert b.param_names() == ["varStruct.const", "varStruct.prop"]
    assert b.summary(th).structure == "Constant plus proportion of variance covariate"
    s = vf.varConstProp(form="~ age | Sex", fixed={"prop": {"Female": 1}}).bind(orth)
    assert s.coef_names() == ["const.Male", "const.Female", "prop"]
    assert vf.varConstProp(prop=0.5, fixed={"const": 1}).deparse() == \
        "varConstProp(prop = 0.5, fixed = list(const = 1))"
    with pytest.raises(HlmError, match='only have names "const" and "prop"'):
        vf.varConstProp(fixed={"power": 1}, form="~ age")
    with pytest.raises(HlmError, match="must be > 0"):
        vf.varConstProp(const=0, form="~ age")
    with pytest.raises(HlmError, match="'form' must have a covariate"):
        vf.varConstProp(form="~ 1")


def test_varcomb(orth):
    c = vf.varComb(vf.varIdent({"Female": 0.5}, "~ 1 | Sex"), vf.varExp(1, "~ age")).bind(orth)
    assert c.param_names() == ["varStruct.A", "varStruct.B.expon"]
    assert c.constrained_names() == ["A.Female", "B.expon"]
    th = c.start
    w = vf.varIdent({"Female": 0.5}, "~ 1 | Sex").bind(orth).weights(th[:1]) * np.exp(
        -orth["age"].to_numpy())
    np.testing.assert_allclose(c.weights(th), w, rtol=1e-15)
    parts = c.split(th)
    assert [p.tolist() for p in parts] == [[math.log(0.5)], [1.0]]
    assert c.loglik(th) == pytest.approx(sum(p.loglik(t) for p, t in zip(c.parts, parts)))


# ------------------------------------------------------------------ fitted(.)


def test_fitted_covariate_update_returns_a_new_object():
    d = _toy()
    b = vf.varPower().bind(d)
    assert b.needs_update and b.covariate is None
    np.testing.assert_array_equal(b.weights(np.array([0.5])), np.ones(6))
    fv = np.array([1.0, 4.0, 9.0, 16.0, 25.0, 36.0])
    b2 = b.update(fv)
    assert b.covariate is None and b2 is not b
    np.testing.assert_allclose(b2.weights(np.array([0.5])), 1 / np.sqrt(fv), rtol=1e-15)
    e = vf.varExp(form="~ I(fitted(.) / 2) | g").bind(d).update(fv)
    assert np.allclose(e.covariate, fv / 2)
    with pytest.raises(HlmError, match="length of covariate"):
        b.update(fv[:3])
    c = vf.varComb(vf.varFixed("~ x"), vf.varPower()).bind(d)
    assert c.needs_update and c.update(fv).parts[1].covariate is not None


def test_varident_and_varfixed_do_not_update():
    d = _toy()
    b = vf.varIdent(form="~ 1 | g").bind(d)
    assert not b.needs_update and b.update(np.ones(6)) is b


# ------------------------------------------------------------------ specs


def test_variables_and_deparse():
    assert vf.varPower().variables(["x"]) == []
    assert vf.varPower(form="~ fitted(.) | g").variables(["g"]) == ["g"]
    assert vf.varIdent(form="~ 1 | Sex * age").variables(["Sex", "age"]) == ["Sex", "age"]
    assert vf.varPower(form="~ I(age^pi)").variables(["age"]) == ["age"]
    assert vf.varExp(form="~ log(x)").variables(["x"]) == ["x"]
    assert vf.varIdent({"Female": 0.5}, "~ 1 | Sex").deparse() == \
        "varIdent(value = c(Female = 0.5), form = ~1 | Sex)"
    assert vf.varConstPower(power=0.5, fixed={"const": 1}).deparse() == \
        "varConstPower(power = 0.5, fixed = list(const = 1))"
    assert vf.varComb(vf.varIdent(), vf.varPower(1)).deparse() == \
        "varComb(varIdent(), varPower(value = 1))"
    assert vf.varIdent(form="~1|Sex").formula() == "~1 | Sex"
    assert vf.varIdent(form="~1").deparse() == "varIdent()"
    assert vf.varPower(form="~fitted( . )").deparse() == "varPower()"


def test_as_varfunc():
    assert vf.as_varfunc(None) is None
    s = vf.varIdent()
    assert vf.as_varfunc(s) is s
    f = vf.as_varfunc("~ x")
    assert isinstance(f, vf.VarFixed) and f.formula() == "~x"
    with pytest.raises(HlmError, match="can only construct"):
        vf.as_varfunc(3.0)


def test_varfixed_groups_warn():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s = vf.varFixed("~ x | g")
    assert any("ignoring 'group'" in str(x.message) for x in w)
    assert s.formula() == "~x"


# ------------------------------------------------------------------ printing


def test_printed_blocks(orth):
    b = vf.varIdent(form="~ 1 | Sex").bind(orth)
    assert render_varfunc(b, np.array([math.log(0.4678)])) == (
        "Variance function:\n"
        " Structure: Different standard deviations per stratum\n"
        " Formula: ~1 | Sex \n"
        " Parameter estimates:\n"
        "  Male Female \n"
        "1.0000 0.4678 ")
    f = vf.varFixed("~ age").bind(orth)
    assert render_varfunc(f, f.start) == ("Variance function:\n Structure: fixed weights\n"
                                          " Formula: ~age ")
    c = vf.varComb(vf.varIdent(form="~ 1 | Sex"), vf.varPower(form="~ age")).bind(orth)
    lines = render_varfunc(c, np.array([0.0, 0.25])).split("\n")
    assert lines[0] == "Combination of variance functions: "
    assert " Structure: Power of variance covariate" in lines
    assert "Variance function:" not in lines
    p = vf.varPower(form="~ age | Sex").bind(orth)
    assert render_varfunc(p, p.start).split("\n")[1] == \
        " Structure: Power of variance covariate, different strata"
    cp = vf.varConstPower(form="~ age | Sex").bind(orth)
    assert render_varfunc(cp, cp.start).split("\n")[-3:] == [
        "      Male Female", "const  0.1    0.1", "power  0.0    0.0"]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("call, message", [
    (lambda d: vf.varIdent([0.5, 2], "~ 1 | g"), "initial values must have group names"),
    (lambda d: vf.varIdent({"a": 0}, "~ 1 | g"), "must be > 0"),
    (lambda d: vf.varIdent(form="~ 1 | g", fixed=2), "fixed parameters must have names"),
    (lambda d: vf.varIdent(form="~ 1 | g", fixed={"zz": 2}).bind(d), "subset of group names"),
    (lambda d: vf.varIdent(form="~ 1 | g", fixed={"a": 2, "b": 2, "c": 2}).bind(d),
     "cannot fix variances in all groups"),
    (lambda d: vf.varIdent({"a": 1, "b": 2, "c": 3}, "~ 1 | g").bind(d),
     'should be of length 2'),
    (lambda d: vf.varIdent({"a": 1, "zz": 2}, "~ 1 | g").bind(d), "all but one of the stratum"),
    (lambda d: vf.varIdent(form="~ 1 | g:h").bind(d), "invalid formula for groups"),
    (lambda d: vf.varPower(form="~ 1"), "'form' must have a covariate"),
    (lambda d: vf.varExp(form="~ 1 | g"), "'form' must have a covariate"),
    (lambda d: vf.varConstPower(form="~ 1"), "'form' must have a covariate"),
    (lambda d: vf.varFixed("~ 1"), "'form' must have a covariate"),
    (lambda d: vf.varFixed(2), "'value' must be a one sided formula"),
    (lambda d: vf.varPower([0.1, 0.2], form="~ x").bind(d), "should be of length 1"),
    (lambda d: vf.varPower({"a": 1, "b": 2}, form="~ x | g").bind(d), "should be of length 3"),
    (lambda d: vf.varPower(fixed={"zz": 1}, form="~ x | g").bind(d), "mismatch between group"),
    (lambda d: vf.varExp(fixed=1, form="~ x | g"), "fixed parameters must have group names"),
    (lambda d: vf.varConstPower(const=-1, form="~ x"), "must be > 0"),
    (lambda d: vf.varConstPower(const=[1, 2], form="~ x").bind(d), "should be of length 2"),
    (lambda d: vf.varConstPower(fixed={"foo": 1}, form="~ x"), 'only have names "const"'),
    (lambda d: vf.varComb(vf.varIdent(), 1), "must be of class"),
    (lambda d: vf.varPower(form="~ zz").bind(d), "object 'zz' not found"),
    (lambda d: vf.varFixed("~ zz").bind(d), "must be in 'data'"),
    (lambda d: vf.varPower(form="~ g").bind(d), "factor"),
    (lambda d: vf.varPower(form="~ resid(.)").bind(d), "only fitted"),
    (lambda d: vf.varPower("a", form="~ x"), "must be numeric"),
    (lambda d: vf.varIdent(form="y ~ x"), "one-sided"),
    (lambda d: vf.varPower(form="~ x").bind(d).weights(np.zeros(2)),
     'length of the "varStruct" parameter'),
    (lambda d: vf.varIdent(form="~ 1 | g").bind(d).weights(np.zeros(1)),
     'length of the "varIdent" parameter'),
    (lambda d: vf.varComb(vf.varPower(form="~ x")).bind(d).weights(np.zeros(3)),
     'parameter length of initialized "varComb"'),
    (lambda d: vf.varPower(form="~ x").bind(d).weights(["a"]), "must be numeric"),
    (lambda d: vf.varPower().bind(d).update(["a"] * 6), "must be numeric"),
    (lambda d: vf.varPower(form="~ I(x - 1)").bind(d), "is 0"),
    (lambda d: vf.varPower(0.5, form="~ I(x - 2.2)").bind(d), "not finite"),
])
def test_errors(call, message):
    with pytest.raises(HlmError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call(_toy())


def test_missing_values_are_errors():
    d = _toy()
    d.loc[2, "x"] = np.nan
    with pytest.raises(MissingValueError):
        vf.varPower(form="~ x").bind(d)
    d = _toy()
    d["g"] = d["g"].cat.add_categories("z")
    d.loc[1, "g"] = np.nan
    with pytest.raises(MissingValueError):
        vf.varIdent(form="~ 1 | g").bind(d)
    with pytest.raises(UnknownVariableError):
        vf.varIdent(form="~ 1 | zz").bind(d)


def test_zero_covariate_in_a_fixed_stratum_is_accepted():
    d = _toy()
    d.loc[1, "x"] = 0.0  # stratum "a"
    b = vf.varPower(form="~ x | g", fixed={"a": 0.0}).bind(d)
    assert b.n_params == 2 and np.isfinite(b.weights(np.array([0.3, 0.2]))).all()
    with pytest.raises(HlmError, match="is 0"):
        vf.varPower(form="~ x | g", fixed={"b": 0.0}).bind(d)
    with pytest.raises(HlmError, match="is 0"):
        vf.varPower().bind(d).update(d["x"].to_numpy())
