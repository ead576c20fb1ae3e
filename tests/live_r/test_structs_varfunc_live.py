"""hlm_py.structs.varfunc against nlme itself: each class initialised in R
and here on nlme's data (Orthodont, Dialyzer, BodyWeight), then
varWeights, logLik, coef (unconstrained, constrained, allCoef), names and
the printed block, at the starting values and after ``coef<-`` of random
parameters (and after ``update`` with given fitted values for ``fitted(.)``
forms); the errors where nlme stops."""

from __future__ import annotations

import numpy as np
import pytest

from hlm_py import datasets
from hlm_py.errors import HlmError
from hlm_py.printing.varfunc_reports import render_varfunc
from hlm_py.structs import varfunc as vf

pytestmark = pytest.mark.live_r

RTOL = 1e-13


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    rr = rsession.r()
    for name in ("Orthodont", "Dialyzer", "BodyWeight"):
        rr(f"{name}_df <- as.data.frame(nlme::{name})")
    rr("Orthodont2_df <- transform(Orthodont_df, Sex2 = as.character(Sex), "
       "ageI = as.integer(age))[nrow(Orthodont_df):1, ]")
    return rr


def _data(name):
    return datasets.load(name)


def _fitted(name, n):
    # a positive "fitted" covariate, the same in R and here
    i = np.arange(n, dtype=float)
    return 10.0 + 0.37 * i + (i % 3) * 0.25


# (id, R constructor, Python spec, data set, fitted(.) form)
CASES = [
    # ch05.R, section 5.1
    ("vf1Fixed", "varFixed(~ age)", lambda: vf.varFixed("~ age"), "Orthodont", False),
    ("vf1Ident", "varIdent(c(Female = 0.5), ~ 1 | Sex)",
     lambda: vf.varIdent({"Female": 0.5}, "~ 1 | Sex"), "Orthodont", False),
    ("vf2Ident", "varIdent(form = ~ 1 | Sex, fixed = c(Female = 0.5))",
     lambda: vf.varIdent(form="~ 1 | Sex", fixed={"Female": 0.5}), "Orthodont", False),
    ("vf3Ident", "varIdent(form = ~ 1 | Sex * age)",
     lambda: vf.varIdent(form="~ 1 | Sex * age"), "Orthodont", False),
    ("vf1Power", "varPower(1)", lambda: vf.varPower(1), "Orthodont", True),
    ("vf2Power", "varPower(fixed = 0.5)", lambda: vf.varPower(fixed=0.5), "Orthodont", True),
    ("vf3Power", "varPower(form = ~ fitted(.) | Sex, fixed = list(Male = 0.5, Female = 0))",
     lambda: vf.varPower(form="~ fitted(.) | Sex", fixed={"Male": 0.5, "Female": 0}),
     "Orthodont", True),
    ("vf1Exp", "varExp(form = ~ age | Sex, fixed = c(Female = 0))",
     lambda: vf.varExp(form="~ age | Sex", fixed={"Female": 0}), "Orthodont", False),
    ("vf1ConstPower", "varConstPower(power = 0.5, fixed = list(const = 1))",
     lambda: vf.varConstPower(power=0.5, fixed={"const": 1}), "Orthodont", True),
    ("vf1Comb", "varComb(varIdent(c(Female = 0.5), ~ 1 | Sex), varExp(1, ~ age))",
     lambda: vf.varComb(vf.varIdent({"Female": 0.5}, "~ 1 | Sex"), vf.varExp(1, "~ age")),
     "Orthodont", False),
    # ch05.R fits' structures
    ("dialPower", "varPower(form = ~ pressure)", lambda: vf.varPower(form="~ pressure"),
     "Dialyzer", False),
    ("dialPowerQB", "varPower(form = ~ pressure | QB)",
     lambda: vf.varPower(form="~ pressure | QB"), "Dialyzer", False),
    ("dialConstPower", "varConstPower(form = ~ pressure)",
     lambda: vf.varConstPower(form="~ pressure"), "Dialyzer", False),
    ("bwPower", "varPower()", lambda: vf.varPower(), "BodyWeight", True),
    # each class, more forms
    ("identDefault", "varIdent()", lambda: vf.varIdent(), "Orthodont", False),
    ("identDiet", "varIdent(form = ~ 1 | Diet)", lambda: vf.varIdent(form="~ 1 | Diet"),
     "BodyWeight", False),
    ("identDietValues", "varIdent(c('3' = 2, '2' = 1.5), form = ~ 1 | Diet)",
     lambda: vf.varIdent({"3": 2, "2": 1.5}, form="~ 1 | Diet"), "BodyWeight", False),
    ("identDietFixed", "varIdent(form = ~ 1 | Diet, fixed = c('2' = 3))",
     lambda: vf.varIdent(form="~ 1 | Diet", fixed={"2": 3}), "BodyWeight", False),
    ("identDietAllFixed", "varIdent(form = ~ 1 | Diet, fixed = c('2' = 3, '1' = 0.5))",
     lambda: vf.varIdent(form="~ 1 | Diet", fixed={"2": 3, "1": 0.5}), "BodyWeight", False),
    ("identDietFixedOne", "varIdent(form = ~ 1 | Diet, fixed = c('2' = 1, '3' = 1))",
     lambda: vf.varIdent(form="~ 1 | Diet", fixed={"2": 1, "3": 1}), "BodyWeight", False),
    ("identInteraction3", "varIdent(form = ~ 1 | QB * Subject)",
     lambda: vf.varIdent(form="~ 1 | QB * Subject"), "Dialyzer", False),
    ("identLogical", "varIdent(form = ~ 1 | age > 10)",
     lambda: vf.varIdent(form="~ 1 | age > 10"), "Orthodont", False),
    ("identSingleStratum", "varIdent(form = ~ 1 | Sex)", lambda: vf.varIdent(form="~ 1 | Sex"),
     "OrthodontMale", False),
    ("powerI", "varPower(0.3, form = ~ I(age - 7))",
     lambda: vf.varPower(0.3, form="~ I(age - 7)"), "Orthodont", False),
    ("powerLog", "varPower(form = ~ log(Time + 1) | Diet)",
     lambda: vf.varPower(form="~ log(Time + 1) | Diet"), "BodyWeight", False),
    ("powerValuesNamed", "varPower(c(Female = 0.1, Male = 0.2), form = ~ age | Sex)",
     lambda: vf.varPower({"Female": 0.1, "Male": 0.2}, form="~ age | Sex"), "Orthodont", False),
    ("powerFixedSwap", "varPower(fixed = c(Female = 0.1, Male = 0.2), form = ~ age | Sex)",
     lambda: vf.varPower(fixed={"Female": 0.1, "Male": 0.2}, form="~ age | Sex"),
     "Orthodont", False),
    ("powerFixedOne", "varPower(form = ~ Time | Diet, fixed = c('2' = 0.25))",
     lambda: vf.varPower(form="~ Time | Diet", fixed={"2": 0.25}), "BodyWeight", False),
    ("powerFixedZero", "varPower(fixed = 0, form = ~ age)",
     lambda: vf.varPower(fixed=0, form="~ age"), "Orthodont", False),
    ("powerFixedData", "varPower(fixed = 0.75, form = ~ age)",
     lambda: vf.varPower(fixed=0.75, form="~ age"), "Orthodont", False),
    ("powerSingleStratum", "varPower(0.4, form = ~ age | Sex)",
     lambda: vf.varPower(0.4, form="~ age | Sex"), "OrthodontMale", False),
    ("powerFittedSex", "varPower(form = ~ fitted(.) | Sex)",
     lambda: vf.varPower(form="~ fitted(.) | Sex"), "Orthodont", True),
    ("expAge", "varExp(form = ~ age)", lambda: vf.varExp(form="~ age"), "Orthodont", False),
    ("expFitted", "varExp(0.01)", lambda: vf.varExp(0.01), "BodyWeight", True),
    ("expStrata", "varExp(c('1' = 0.1, '2' = -0.1, '3' = 0.2), form = ~ Time | Diet)",
     lambda: vf.varExp({"1": 0.1, "2": -0.1, "3": 0.2}, form="~ Time | Diet"), "BodyWeight",
     False),
    ("expFixedAll", "varExp(fixed = c(Female = 0.1, Male = -0.05), form = ~ age | Sex)",
     lambda: vf.varExp(fixed={"Female": 0.1, "Male": -0.05}, form="~ age | Sex"), "Orthodont",
     False),
    ("cpDefault", "varConstPower()", lambda: vf.varConstPower(), "BodyWeight", True),
    ("cpStrata", "varConstPower(form = ~ pressure | QB)",
     lambda: vf.varConstPower(form="~ pressure | QB"), "Dialyzer", False),
    ("cpStrataValues", "varConstPower(const = 2, power = list('200' = 0.3, '300' = 0.6), "
     "form = ~ pressure | QB)",
     lambda: vf.varConstPower(const=2, power={"200": 0.3, "300": 0.6}, form="~ pressure | QB"),
     "Dialyzer", False),
    ("cpStrataFixed", "varConstPower(form = ~ pressure | QB, fixed = list(power = c('300' = 1)))",
     lambda: vf.varConstPower(form="~ pressure | QB", fixed={"power": {"300": 1}}),
     "Dialyzer", False),
    ("cpFixedPower", "varConstPower(const = 0.5, form = ~ age, fixed = list(power = 0.5))",
     lambda: vf.varConstPower(const=0.5, form="~ age", fixed={"power": 0.5}), "Orthodont",
     False),
    ("cpAllFixed", "varConstPower(form = ~ age, fixed = list(const = 2, power = 0.5))",
     lambda: vf.varConstPower(form="~ age", fixed={"const": 2, "power": 0.5}), "Orthodont",
     False),
    ("cpAllFixedFitted", "varConstPower(fixed = list(const = 2, power = 0.5))",
     lambda: vf.varConstPower(fixed={"const": 2, "power": 0.5}), "Orthodont", True),
    ("cpIdentity", "varConstPower(form = ~ age, fixed = list(const = 1, power = 0))",
     lambda: vf.varConstPower(form="~ age", fixed={"const": 1, "power": 0}), "Orthodont", False),
    ("cprDefault", "varConstProp()", lambda: vf.varConstProp(), "BodyWeight", True),
    ("cprTime", "varConstProp(form = ~ Time)", lambda: vf.varConstProp(form="~ Time"),
     "BodyWeight", False),
    ("cprStrata", "varConstProp(const = 2, prop = list('200' = 0.3, '300' = 0.6), "
     "form = ~ pressure | QB)",
     lambda: vf.varConstProp(const=2, prop={"200": 0.3, "300": 0.6}, form="~ pressure | QB"),
     "Dialyzer", False),
    ("cprFixedProp", "varConstProp(form = ~ age, fixed = list(prop = 0.2))",
     lambda: vf.varConstProp(form="~ age", fixed={"prop": 0.2}), "Orthodont", False),
    ("cprStrataFixed", "varConstProp(form = ~ pressure | QB, fixed = list(const = c('300' = 1)))",
     lambda: vf.varConstProp(form="~ pressure | QB", fixed={"const": {"300": 1}}),
     "Dialyzer", False),
    ("fixedExpr", "varFixed(~ I(1 / Time + 1))", lambda: vf.varFixed("~ I(1 / Time + 1)"),
     "BodyWeight", False),
    ("cpValuesPositional", "varConstPower(power = list('300' = 0.6, '200' = 0.3), "
     "form = ~ pressure | QB)",
     lambda: vf.varConstPower(power={"300": 0.6, "200": 0.3}, form="~ pressure | QB"),
     "Dialyzer", False),
    ("powerValuesFixedMixed", "varPower(c('3' = 0.3, '2' = 0.2), form = ~ Time | Diet, "
     "fixed = c('1' = 0.5))",
     lambda: vf.varPower({"3": 0.3, "2": 0.2}, form="~ Time | Diet", fixed={"1": 0.5}),
     "BodyWeight", False),
    ("identCharacter", "varIdent(form = ~ age | Sex2)", lambda: vf.varIdent(form="~ age | Sex2"),
     "Orthodont2", False),
    ("identInteger", "varIdent(form = ~ 1 | ageI * Sex2)",
     lambda: vf.varIdent(form="~ 1 | ageI * Sex2"), "Orthodont2", False),
    ("powerIntegerStrata", "varPower(form = ~ distance | ageI)",
     lambda: vf.varPower(form="~ distance | ageI"), "Orthodont2", False),
    ("combThree", "varComb(varIdent(form = ~ 1 | Diet), varPower(form = ~ Time), "
     "varExp(0.001, form = ~ Time | Diet))",
     lambda: vf.varComb(vf.varIdent(form="~ 1 | Diet"), vf.varPower(form="~ Time"),
                        vf.varExp(0.001, form="~ Time | Diet")), "BodyWeight", False),
    ("combFixedFitted", "varComb(varFixed(~ Time), varPower())",
     lambda: vf.varComb(vf.varFixed("~ Time"), vf.varPower()), "BodyWeight", True),
    ("combNested", "varComb(varComb(varIdent(form = ~ 1 | Sex), varPower(form = ~ age)), "
     "varExp(form = ~ age))",
     lambda: vf.varComb(vf.varComb(vf.varIdent(form="~ 1 | Sex"), vf.varPower(form="~ age")),
                        vf.varExp(form="~ age")), "Orthodont", False),
    ("combConst", "varComb(varIdent(), varConstPower(form = ~ pressure | QB))",
     lambda: vf.varComb(vf.varIdent(), vf.varConstPower(form="~ pressure | QB")), "Dialyzer",
     False),
]


def _rdata(name):
    if name == "OrthodontMale":
        return 'Orthodont_df[Orthodont_df$Sex == "Male", ]'
    return f"{name}_df"


def _pydata(name):
    if name == "Orthodont2":
        d = _data("Orthodont")
        d = d.assign(Sex2=d["Sex"].astype(str).astype(object), ageI=d["age"].astype(int))
        return d.iloc[::-1]
    if name == "OrthodontMale":
        d = _data("Orthodont")
        return d[d["Sex"] == "Male"]
    return _data(name)


def _vec(r, code):
    return np.array(r(code), dtype=float)


def _names(r, code):
    v = r(f"{{ nm <- names({code}); if (is.null(nm)) character(0) else nm }}")
    return [str(s) for s in v]


def _close(a, b, rtol=RTOL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=0)


def _compare(r, b, theta, rv="v"):
    """hlm's bound ``b`` at ``theta`` against R's object ``rv``."""
    assert str(r(f"class({rv})[1]")[0]) == b.r_class
    _close(b.weights(theta), _vec(r, f"varWeights({rv})"))
    assert b.loglik(theta) == pytest.approx(float(r(f"as.numeric(logLik({rv}))")[0]), rel=RTOL,
                                            abs=1e-300)
    _close(b.coef(theta), _vec(r, f"as.vector(coef({rv}))"))
    _close(b.coef(theta, unconstrained=False), _vec(r, f"as.vector(coef({rv}, FALSE))"))
    nm = b.coef_names()
    assert (nm or []) == _names(r, f"coef({rv})")
    if b.n_params:
        assert b.param_names() == _names(r, f"unlist(list(varStruct = coef({rv})))")
        assert b.constrained_names() == _names(r, f"unlist(list(coef({rv}, FALSE)))")
    vals, names = b.coef_all(theta)
    _close(vals, _vec(r, f"as.vector(unlist(coef({rv}, FALSE, allCoef = TRUE)))"))
    if not bool(r(f"is.matrix(coef({rv}, FALSE, allCoef = TRUE)) || "
                  f"(inherits({rv}, 'varComb') && any(sapply({rv}, function(p) "
                  "is.matrix(coef(p, FALSE, allCoef = TRUE)))))")[0]):
        assert names == _names(r, f"coef({rv}, FALSE, allCoef = TRUE)")
    text = render_varfunc(b, theta)
    want = list(r(f"capture.output(invisible(print(summary({rv}))))"))
    assert text.split("\n") == want if text else want == []
    text = render_varfunc(b, theta, digits=4)
    want = list(r(f"{{ op <- options(digits = 4); out <- capture.output(invisible(print("
                  f"summary({rv})))); options(op); out }}"))
    assert text.split("\n") == want if text else want == []


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_nlme(r, case):
    _, rcode, spec, dname, fitted = case
    r(f"v <- Initialize({rcode}, {_rdata(dname)})")
    d = _pydata(dname)
    b = spec().bind(d)
    assert b.needs_update == bool(r("nlme:::needUpdate(v)")[0])
    n = len(d)
    theta = b.start
    _close(theta, _vec(r, "as.vector(coef(v))"))
    if b.n_params and not b.needs_update:
        # R's coef<- recomputes the weights as the fit sees them (before the
        # first update of a fitted(.) covariate R's weights are 1, and NA
        # after coef<-)
        r("coef(v) <- coef(v)")
    _compare(r, b, theta)
    rng = np.random.default_rng(abs(hash(rcode)) % 2**32)
    if fitted:
        fv = _fitted(dname, n)
        import rpy2.robjects as ro

        ro.globalenv["fv"] = ro.FloatVector(fv)
        r(f"v <- update(v, c(list(. = list(fitted.values = fv)), as.list({_rdata(dname)})))")
        b = b.update(fv)
        if b.n_params:
            r("coef(v) <- coef(v)")
        _compare(r, b, theta)
    for _ in range(3 if b.n_params and (fitted or not b.needs_update) else 0):
        theta = rng.normal(0, 0.4, b.n_params)
        import rpy2.robjects as ro

        ro.globalenv["th"] = ro.FloatVector(theta)
        r("coef(v) <- th")
        _compare(r, b, theta)


# ------------------------------------------------------------------ errors

# (R code, Python callable, data, R's message equals ours)
ERRORS = [
    ("varIdent(c(0.5, 2), form = ~ 1 | Sex)", lambda d: vf.varIdent([0.5, 2], "~ 1 | Sex"), True),
    ("varIdent(c(Female = -1), form = ~ 1 | Sex)",
     lambda d: vf.varIdent({"Female": -1}, "~ 1 | Sex"), True),
    ("varIdent(form = ~ 1 | Sex, fixed = 0.5)",
     lambda d: vf.varIdent(form="~ 1 | Sex", fixed=0.5), True),
    ("Initialize(varIdent(form = ~ 1 | Sex, fixed = c(Foo = 0.5)), Orthodont_df)",
     lambda d: vf.varIdent(form="~ 1 | Sex", fixed={"Foo": 0.5}).bind(d), True),
    ("Initialize(varIdent(form = ~ 1 | Sex, fixed = c(Female = 0.5, Male = 2)), Orthodont_df)",
     lambda d: vf.varIdent(form="~ 1 | Sex", fixed={"Female": 0.5, "Male": 2}).bind(d), True),
    ("Initialize(varIdent(c(a = 1, b = 2, c = 3), form = ~ 1 | Sex), Orthodont_df)",
     lambda d: vf.varIdent({"a": 1, "b": 2, "c": 3}, "~ 1 | Sex").bind(d), True),
    ("Initialize(varIdent(c(a = 1, b = 2), form = ~ 1 | Sex * age), Orthodont_df)",
     lambda d: vf.varIdent({"a": 1, "b": 2}, "~ 1 | Sex * age").bind(d), True),
    ("Initialize(varIdent(c(Female = 1, Foo = 2), form = ~ 1 | Sex * (age > 10)), Orthodont_df)",
     lambda d: vf.varIdent({"Female": 1, "Foo": 2}, "~ 1 | Sex * (age > 10)").bind(d), False),
    ("varPower(form = ~ 1)", lambda d: vf.varPower(form="~ 1"), True),
    ("varExp(form = ~ 1 | Sex)", lambda d: vf.varExp(form="~ 1 | Sex"), True),
    ("varConstPower(form = ~ 1)", lambda d: vf.varConstPower(form="~ 1"), True),
    ("varFixed(~ 1)", lambda d: vf.varFixed("~ 1"), True),
    ("varPower(c(0.1, 0.2), form = ~ age | Sex)",
     lambda d: vf.varPower([0.1, 0.2], form="~ age | Sex"), True),
    ("varExp(fixed = 0.1, form = ~ age | Sex)",
     lambda d: vf.varExp(fixed=0.1, form="~ age | Sex"), True),
    ("Initialize(varPower(c(0.1, 0.2), form = ~ age), Orthodont_df)",
     lambda d: vf.varPower([0.1, 0.2], form="~ age").bind(d), True),
    ("Initialize(varPower(fixed = c(Foo = 0.1), form = ~ age | Sex), Orthodont_df)",
     lambda d: vf.varPower(fixed={"Foo": 0.1}, form="~ age | Sex").bind(d), True),
    ("Initialize(varExp(c(A = 1, B = 2, C = 3), form = ~ age | Sex), Orthodont_df)",
     lambda d: vf.varExp({"A": 1, "B": 2, "C": 3}, form="~ age | Sex").bind(d), True),
    ("Initialize(varExp(c(A = 1, B = 2), form = ~ age | Sex), Orthodont_df)",
     lambda d: vf.varExp({"A": 1, "B": 2}, form="~ age | Sex").bind(d), True),
    ("varConstPower(const = -1, form = ~ age)",
     lambda d: vf.varConstPower(const=-1, form="~ age"), True),
    ("Initialize(varConstPower(const = c(1, 2), form = ~ age), Orthodont_df)",
     lambda d: vf.varConstPower(const=[1, 2], form="~ age").bind(d), False),
    ("varConstPower(fixed = list(foo = 1), form = ~ age)",
     lambda d: vf.varConstPower(fixed={"foo": 1}, form="~ age"), True),
    ("Initialize(varConstPower(const = list(Male = 1, Foo = 2), form = ~ age | Sex), "
     "Orthodont_df)",
     lambda d: vf.varConstPower(const={"Male": 1, "Foo": 2}, form="~ age | Sex").bind(d), True),
    ("Initialize(varConstPower(fixed = list(const = 2), form = ~ age | Sex), Orthodont_df)",
     lambda d: vf.varConstPower(fixed={"const": 2}, form="~ age | Sex").bind(d), True),
    ("Initialize(varConstPower(fixed = list(power = c(Foo = 2)), form = ~ age | Sex), "
     "Orthodont_df)",
     lambda d: vf.varConstPower(fixed={"power": {"Foo": 2}}, form="~ age | Sex").bind(d), True),
    ("varConstPower(const = c(1, 2), form = ~ age | Sex)",
     lambda d: vf.varConstPower(const=[1, 2], form="~ age | Sex"), True),
    ("varComb(varIdent(), 1)", lambda d: vf.varComb(vf.varIdent(), 1), True),
    ("varFunc(1)", lambda d: vf.as_varfunc(1), True),
    ("varFixed(1)", lambda d: vf.varFixed(1), True),
    ("Initialize(varFixed(~ foo), Orthodont_df)", lambda d: vf.varFixed("~ foo").bind(d), True),
    ("Initialize(varIdent(form = ~ 1 | Sex:age), Orthodont_df)",
     lambda d: vf.varIdent(form="~ 1 | Sex:age").bind(d), True),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0][:60] for c in ERRORS])
def test_errors_as_nlme(r, case):
    rcode, call, same = case
    msg = r(f"tryCatch({{ {rcode}; 'no error' }}, error = function(e) conditionMessage(e))")[0]
    assert msg != "no error"
    with pytest.raises(HlmError) as ei:
        call(_data("Orthodont"))
    if same:
        assert str(ei.value) == str(msg)


def test_coef_assign_length_errors_as_nlme(r):
    d = _data("Orthodont")
    for rcode, spec in [("varIdent(form = ~ 1 | Sex)", vf.varIdent(form="~ 1 | Sex")),
                        ("varPower(form = ~ age)", vf.varPower(form="~ age")),
                        ("varExp(form = ~ age)", vf.varExp(form="~ age")),
                        ("varConstPower(form = ~ age)", vf.varConstPower(form="~ age"))]:
        msg = r(f"tryCatch({{ v <- Initialize({rcode}, Orthodont_df); coef(v) <- c(1, 2, 3); "
                "'no error' }, error = function(e) conditionMessage(e))")[0]
        with pytest.raises(HlmError) as ei:
            spec.bind(d).weights(np.array([1.0, 2.0, 3.0]))
        assert str(ei.value) == str(msg)


# ------------------------------------------------------------------ in fits

# (R fit, Python spec, data set, lme?) -- the structures of ch05.R's fits and
# more; R's estimates put in the bound structure give R's weights and R's
# printed block inside print(fit)
FITS = [
    ("lme(rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB, Dialyzer_df, "
     "~ pressure + I(pressure^2) | Subject, weights = varPower(form = ~ pressure))",
     lambda: vf.varPower(form="~ pressure"), "Dialyzer", True),
    ("lme(rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB, Dialyzer_df, "
     "~ pressure + I(pressure^2) | Subject, weights = varPower(form = ~ pressure | QB))",
     lambda: vf.varPower(form="~ pressure | QB"), "Dialyzer", True),
    ("lme(rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB, Dialyzer_df, "
     "~ pressure + I(pressure^2) | Subject, weights = varConstPower(form = ~ pressure))",
     lambda: vf.varConstPower(form="~ pressure"), "Dialyzer", True),
    ("lme(weight ~ Time * Diet, BodyWeight_df, random = ~ Time | Rat, weights = varPower())",
     lambda: vf.varPower(), "BodyWeight", True),
    ("gls(distance ~ age, Orthodont_df, weights = varIdent(form = ~ 1 | Sex))",
     lambda: vf.varIdent(form="~ 1 | Sex"), "Orthodont", False),
    ("gls(distance ~ age, Orthodont_df, weights = varComb(varIdent(form = ~ 1 | Sex), "
     "varPower(form = ~ age)))",
     lambda: vf.varComb(vf.varIdent(form="~ 1 | Sex"), vf.varPower(form="~ age")), "Orthodont",
     False),
    ("gls(distance ~ age * Sex, Orthodont_df, weights = varExp(form = ~ age | Sex))",
     lambda: vf.varExp(form="~ age | Sex"), "Orthodont", False),
    ("gls(distance ~ age, Orthodont_df, weights = varFixed(~ age))",
     lambda: vf.varFixed("~ age"), "Orthodont", False),
    ("gls(weight ~ Time * Diet, BodyWeight_df, weights = varPower())",
     lambda: vf.varPower(), "BodyWeight", False),
    ("gls(distance ~ age * Sex, Orthodont_df, weights = varExp(form = ~ fitted(.) | Sex))",
     lambda: vf.varExp(form="~ fitted(.) | Sex"), "Orthodont", False),
    ("gls(distance ~ age * Sex, Orthodont_df, weights = varConstPower(form = ~ age | Sex, "
     "fixed = list(power = c(Female = 0.5))))",
     lambda: vf.varConstPower(form="~ age | Sex", fixed={"power": {"Female": 0.5}}),
     "Orthodont", False),
    ("lme(distance ~ age, Orthodont_df, random = ~ 1 | Subject, "
     "weights = varIdent(form = ~ 1 | Sex))",
     lambda: vf.varIdent(form="~ 1 | Sex"), "Orthodont", True),
]


@pytest.mark.parametrize("case", FITS, ids=[f"fit{i}" for i in range(len(FITS))])
def test_in_fits(r, case):
    import rpy2.robjects as ro

    fit, spec, dname, is_lme = case
    r(f"fit <- {fit}")
    r("vs <- fit$modelStruct$varStruct")
    d = _data(dname)
    if is_lme:
        grp = "Rat" if dname == "BodyWeight" else "Subject"
        ord_ = np.array(r(f"order(as.integer({dname}_df${grp}))"), dtype=int) - 1
        d = d.iloc[ord_]
    b = spec().bind(d)
    if b.needs_update:
        cov = np.array(r("nlme:::getCovariate(vs)"), dtype=float)
        b = b.update(cov)
        r("coef(vs) <- coef(vs)")
    theta = np.array(r("as.vector(coef(vs))"), dtype=float)
    ro.globalenv["th"] = ro.FloatVector(theta)
    _close(b.weights(theta), _vec(r, "varWeights(vs)"))
    block = render_varfunc(b, theta).split("\n")
    for what in ("print(fit)", "summary(fit)"):
        out = list(r(f"capture.output({what})"))
        starts = [i for i in range(len(out)) if out[i:i + len(block)] == block]
        assert starts, (block, out)
