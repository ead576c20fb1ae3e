"""The gls catalogue: cases for ``nlme::gls`` and the R code each one runs.

Each case is fitted with its own control (``fit``: what a user sees printed)
and refitted with tighter controls (``structs.GLS_TIGHT_CONTROLS``: nlminb
with raised limits and a tight outer tolerance, optim's BFGS and
Nelder-Mead with ``reltol = 1e-15``); ``fit_tight`` is the fit of highest
logLik of these, and the golden keeps every candidate's logLik and the
winner. The R code is ``structs.r_code``; the extractor is
``r_reference/R/gls.R``.

``Case.args`` for gls (shared by the R and the Python side; R's names):

``model``        the model formula, R text (``"distance ~ Sex * I(age - 11)"``)
``correlation``  a structure spec (``structs``: ``{"class": "corAR1",
                 "args": {"form": "~ 1 | Mare"}}``)
``weights``      a structure spec, or a formula string (varFixed's shortcut)
``subset``       an R expression (``"Sex == \\"Female\\""``)
``method``       ``"REML"`` or ``"ML"``; absent: R's default (REML), omitted
                 from the call
``na_action``    ``"na.omit"``, ``"na.exclude"``, ... (absent: gls's na.fail)
``control``      dict of glsControl arguments (``{"msMaxIter": 500}``),
                 written ``control = glsControl(...)``; the tight refits
                 merge theirs over it

``Case.extra`` keys (both catalogues, ``structs.r_code``):

``fit_name``     the name the script binds the fit to (``fm1Orth.gls``)
``compare``      further fits on the same data: each ``{"kind": "gls" |
                 "lme", "name": <R name> (optional), "args": {...}}`` (the
                 args of that kind), bound to ``fit2``, ``fit3``, ...
``anova_order``  the R names in the order of the anova of the fits (default:
                 the fit, then the compared ones)
``anova_test``   false: that anova with ``test = FALSE``
``anova_tests``  list of dicts of further anova arguments on the fit
                 (``{"L": {"Time:Diet2": 1, "Time:Diet3": -1}}``,
                 ``{"Terms": [8, 9, 10]}``), each ``anova(<fit>, ...)``
``acf``          list of dicts of ACF arguments (``{"form": "~ 1 | Subject"}``)
                 recorded besides ``ACF(fit)``
``variogram``    list of dicts of Variogram arguments (``{"form": "~ Time"}``)
``expect_error`` true: R refuses the case; the golden records the error
"""

from __future__ import annotations

from typing import Any

from r_reference.cases import Case, structs

KIND = "gls"
R_DEPENDS = ("lme", "structs")


def r_code(case: Case) -> str:
    """The R code of a gls case (``structs.r_code``)."""
    return structs.r_code(case, KIND)


def S(cls: str, **args: Any) -> dict[str, Any]:
    """A structure spec."""
    return {"class": cls, "args": args}


def g_args(model: str, **kw: Any) -> dict[str, Any]:
    """gls args (None dropped)."""
    a: dict[str, Any] = {"model": model}
    a.update({k: v for k, v in kw.items() if v is not None})
    return a


def G(name: str | None, model: str, **kw: Any) -> dict[str, Any]:
    """A compared gls fit."""
    d: dict[str, Any] = {"kind": "gls", "args": g_args(model, **kw)}
    if name:
        d["name"] = name
    return d


def L(name: str | None, fixed: str, random: Any, **kw: Any) -> dict[str, Any]:
    """A compared lme fit (lme_struct args)."""
    a: dict[str, Any] = {"fixed": fixed, "random": random}
    a.update({k: v for k, v in kw.items() if v is not None})
    d: dict[str, Any] = {"kind": "lme", "args": a}
    if name:
        d["name"] = name
    return d


_ARGS = ("correlation", "weights", "subset", "method", "na_action", "control")


def _gls(name: str, data: str, data_name: str, model: str, *,
         newdata: dict[str, list[Any]] | None = None, note: str = "",
         **kw: Any) -> Case:
    args = g_args(model, **{k: kw.pop(k, None) for k in _ARGS})
    extra = {k: v for k, v in kw.items() if v is not None}
    return Case(name=name, kind=KIND, data=data, data_name=data_name, args=args,
                newdata=newdata, note=note, extra=extra)


ORTH = "as.data.frame(nlme::Orthodont)"
DIAL = "as.data.frame(nlme::Dialyzer)"
OVARY = "as.data.frame(nlme::Ovary)"
BW = "as.data.frame(nlme::BodyWeight)"
WHEAT2 = "as.data.frame(nlme::Wheat2)"

DIAL_MODEL = "rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB"
DIAL_RANDOM = "~ pressure + I(pressure^2) | Subject"
OVARY_MODEL = "follicles ~ sin(2 * pi * Time) + cos(2 * pi * Time)"
ORTH_MODEL = "distance ~ Sex * I(age - 11)"
WHEAT_FORM = "~ latitude + longitude"

SYMM_SUBJ = S("corSymm", form="~ 1 | Subject")
CS_SUBJ = S("corCompSymm", form="~ 1 | Subject")
VI_AGE = S("varIdent", form="~ 1 | age")
VP_PRESS = S("varPower", form="~ pressure")
AR1_DIAL = S("corAR1", value=0.771, form="~ 1 | Subject")
AR1_MARE = S("corAR1", form="~ 1 | Mare")
SPHER_WHEAT = S("corSpher", value=[28, 0.2], form=WHEAT_FORM, nugget=True)
RATIO_WHEAT = S("corRatio", value=[12.5, 0.2], form=WHEAT_FORM, nugget=True)

#: a mixed model for repeated measures: 2 arms, 6 visits, 200 subjects, an
#: unstructured covariance (AR-like correlation, SD rising over visits) and
#: monotone dropout; dropped visits are rows with NA outcome.
MMRM = (
    "local({ set.seed(20240601); n <- 200; v <- 6; "
    "id <- factor(sprintf(\"S%03d\", rep(seq_len(n), each = v))); "
    "visit <- factor(rep(paste0(\"V\", seq_len(v)), n), levels = paste0(\"V\", seq_len(v))); "
    "trt <- factor(rep(sample(c(\"placebo\", \"active\"), n, replace = TRUE), each = v), "
    "levels = c(\"placebo\", \"active\")); "
    "sds <- seq(1, 2, length.out = v); R <- 0.6^abs(outer(1:v, 1:v, \"-\")) * 0.7 + 0.3 * diag(v); "
    "Sig <- diag(sds) %*% R %*% diag(sds); E <- matrix(rnorm(n * v), n) %*% chol(Sig); "
    "mu <- 10 + 0.3 * (as.integer(visit) - 1) - 0.25 * (trt == \"active\") * (as.integer(visit) - 1); "
    "y <- round(mu + as.vector(t(E)), 3); "
    "last <- pmin(v, 1 + rgeom(n, 0.12)); keep <- as.integer(visit) <= rep(last, each = v); "
    "y[!keep] <- NA; data.frame(id = id, trt = trt, visit = visit, y = y) })"
)
MMRM_CORR = S("corSymm", form="~ as.integer(visit) | id")
MMRM_VAR = S("varIdent", form="~ 1 | visit")

#: AR(1) errors with phi = 0.97 within 10 series of 40: the estimate is near +1
AR1_STRONG = (
    "local({ set.seed(99); d <- do.call(rbind, lapply(1:10, function(s) { "
    "e <- as.numeric(arima.sim(list(ar = 0.97), n = 40)); "
    "data.frame(series = factor(sprintf(\"s%02d\", s)), t = 1:40, x = round(rnorm(40), 3), "
    "y = round(1 + 0.5 * rnorm(1) + e, 3)) })); "
    "d$y <- round(d$y + 0.4 * d$x, 3); d })"
)
#: pairs with strongly negative within-pair correlation: corCompSymm's
#: correlation goes to its lower bound -1/(2 - 1) = -1
CS_NEGATIVE = (
    "local({ set.seed(123); n <- 30; u <- rnorm(n); "
    "d <- data.frame(pair = factor(rep(sprintf(\"p%02d\", 1:n), each = 2)), "
    "x = round(rnorm(2 * n), 3)); "
    "d$y <- round(2 + 0.3 * d$x + rep(u, each = 2) * c(1, -1) + 0.05 * rnorm(2 * n), 3); d })"
)
#: Ovary with mare 3 reduced to one observation
OVARY_SINGLE = "local({ d <- as.data.frame(nlme::Ovary); d[!(d$Mare == 3 & d$Time > -0.2), ] })"

CH05 = "nlme's ch05.R (P&B ch. 5)"

CASES: list[Case] = [
    # --- ch05.R: Orthodont ---------------------------------------------------------
    _gls("ch05_fm1Orth_gls", ORTH, "Orthodont", ORTH_MODEL, correlation=SYMM_SUBJ,
         weights=VI_AGE, fit_name="fm1Orth.gls",
         compare=[G("fm2Orth.gls", ORTH_MODEL, correlation=CS_SUBJ, weights=VI_AGE)],
         note=f"{CH05}: corSymm + varIdent by age, intervals; anova(fm1Orth.gls, fm2Orth.gls)"),
    _gls("ch05_fm2Orth_gls", ORTH, "Orthodont", ORTH_MODEL, correlation=CS_SUBJ,
         weights=VI_AGE, fit_name="fm2Orth.gls",
         compare=[G("fm3Orth.gls", ORTH_MODEL, correlation=CS_SUBJ)],
         note=f"{CH05}: corCompSymm + varIdent, intervals; anova(fm2Orth.gls, fm3Orth.gls)"),
    _gls("ch05_fm3Orth_gls", ORTH, "Orthodont", ORTH_MODEL, correlation=CS_SUBJ,
         fit_name="fm3Orth.gls",
         compare=[G("fm4Orth.gls", ORTH_MODEL, correlation=CS_SUBJ,
                    weights=S("varIdent", form="~ 1 | Sex"))],
         note=f"{CH05}: corCompSymm alone; anova(fm3Orth.gls, fm4Orth.gls)"),
    _gls("ch05_fm4Orth_gls", ORTH, "Orthodont", ORTH_MODEL, correlation=CS_SUBJ,
         weights=S("varIdent", form="~ 1 | Sex"), fit_name="fm4Orth.gls",
         note=f"{CH05}: corCompSymm + varIdent by Sex (compared with fm3Orth.lme in lme_struct)"),
    # --- ch05.R: Dialyzer (after options(contrasts = treatment): no contrasts needed) --
    _gls("ch05_fm1Dial_gls", DIAL, "Dialyzer", DIAL_MODEL, fit_name="fm1Dial.gls",
         compare=[G("fm2Dial.gls", DIAL_MODEL, weights=VP_PRESS)],
         note=f"{CH05}: no structure (no optimisation); anova(fm1Dial.gls, fm2Dial.gls)"),
    _gls("ch05_fm2Dial_gls", DIAL, "Dialyzer", DIAL_MODEL, weights=VP_PRESS,
         fit_name="fm2Dial.gls", acf=[{"form": "~ 1 | Subject"}],
         compare=[G("fm3Dial.gls", DIAL_MODEL, weights=VP_PRESS, correlation=AR1_DIAL)],
         note=f"{CH05}: varPower(~ pressure); ACF(form = ~ 1 | Subject); "
              "anova(fm2Dial.gls, fm3Dial.gls)"),
    _gls("ch05_fm3Dial_gls", DIAL, "Dialyzer", DIAL_MODEL, weights=VP_PRESS,
         correlation=AR1_DIAL, fit_name="fm3Dial.gls", anova_test=False,
         compare=[L("fm2Dial.lme", DIAL_MODEL, DIAL_RANDOM, weights=VP_PRESS,
                    contrasts={"QB": "contr.helmert"})],
         note=f"{CH05}: corAR1(0.771) + varPower, intervals; anova(fm3Dial.gls, fm2Dial.lme, "
              "test = FALSE), the lme with the script's Helmert contrasts passed as "
              "contrasts = list(QB = ...) (no global option)"),
    # --- ch05.R: Wheat2 ----------------------------------------------------------------
    _gls("ch05_fm1Wheat2", WHEAT2, "Wheat2", "yield ~ variety - 1", fit_name="fm1Wheat2",
         variogram=[{"form": WHEAT_FORM}, {"form": WHEAT_FORM, "maxDist": 32}],
         compare=[G("fm3Wheat2", "yield ~ variety - 1", correlation=RATIO_WHEAT)],
         note=f"{CH05}: independent errors, Variogram by position; anova(fm1Wheat2, fm3Wheat2)"),
    _gls("ch05_fm2Wheat2", WHEAT2, "Wheat2", "yield ~ variety - 1", correlation=SPHER_WHEAT,
         fit_name="fm2Wheat2",
         compare=[G("fm3Wheat2", "yield ~ variety - 1", correlation=RATIO_WHEAT)],
         note=f"{CH05}: corSpher with nugget, start values; anova(fm2Wheat2, fm3Wheat2)"),
    _gls("ch05_fm3Wheat2", WHEAT2, "Wheat2", "yield ~ variety - 1", correlation=RATIO_WHEAT,
         fit_name="fm3Wheat2", variogram=[{"resType": "n"}],
         anova_tests=[{"L": [-1, 0, 1]}],
         note=f"{CH05}: corRatio with nugget; Variogram(resType = 'n'); "
              "anova(fm3Wheat2, L = c(-1, 0, 1)) (L shorter than the coefficients)"),
    _gls("ch05_fm4Wheat2", WHEAT2, "Wheat2", "yield ~ variety", correlation=RATIO_WHEAT,
         fit_name="fm4Wheat2",
         note=f"{CH05}: corRatio, intercept model; anova(fm4Wheat2)"),
    # --- help pages ------------------------------------------------------------------
    _gls("ovary_gls_ar1", OVARY, "Ovary", OVARY_MODEL, correlation=AR1_MARE, fit_name="fm1",
         newdata={"Time": [-0.75, -0.5, 0.0, 0.5, 0.75]},
         compare=[G("fm2", OVARY_MODEL, correlation=AR1_MARE, weights=S("varPower"))],
         note="?gls, ?anova.gls, ?predict.gls (newOvary), ?getVarCov, ?intervals.gls: "
              "corAR1 within Mare; anova(fm1, fm2) with varPower()"),
    _gls("ovary_gls_ar1_varPower", OVARY, "Ovary", OVARY_MODEL, correlation=AR1_MARE,
         weights=S("varPower"), fit_name="fm2",
         note="?gls: varPower() of fitted(.) (gls's outer iteration) with corAR1"),
    _gls("ovary_gls_acf", OVARY, "Ovary", OVARY_MODEL, fit_name="fm1",
         acf=[{"form": "~ 1 | Mare"}], note="?ACF.gls: independent errors, ACF within Mare"),
    _gls("bodyweight_gls_variogram", BW, "BodyWeight", "weight ~ Time * Diet", fit_name="fm1",
         variogram=[{"form": "~ Time | Rat"}], newdata={"Time": [1, 71], "Diet": ["1", "3"]},
         note="?Variogram.gls and nlme tests/gls.R (PR#13418): Variogram by Time within Rat, "
              "intervals, predict with character factor values"),
    _gls("ovary_gls_car1", OVARY, "Ovary", OVARY_MODEL,
         correlation=S("corCAR1", form="~ Time | Mare"),
         note="corCAR1 on the continuous Time within Mare (?corCAR1's structure in gls)"),
    _gls("ovary_gls_arma11", OVARY, "Ovary", OVARY_MODEL,
         correlation=S("corARMA", form="~ 1 | Mare", p=1, q=1),
         note="?corARMA: ARMA(1, 1) within Mare"),
    _gls("ovary_gls_ma2", OVARY, "Ovary", OVARY_MODEL,
         correlation=S("corARMA", form="~ 1 | Mare", q=2), method="ML",
         note="corARMA(q = 2) (ch05's fm3Ovar structure) in gls, ML"),
    _gls("bodyweight_gls_exp", BW, "BodyWeight", "weight ~ Time * Diet",
         correlation=S("corExp", form="~ Time | Rat"), variogram=[{"form": "~ Time | Rat"}],
         note="?corExp: exponential correlation in Time within Rat"),
    _gls("bodyweight_gls_gaus_nugget", BW, "BodyWeight", "weight ~ Time * Diet",
         correlation=S("corGaus", form="~ Time | Rat", nugget=True),
         note="?corGaus with a nugget"),
    _gls("bodyweight_gls_lin", BW, "BodyWeight", "weight ~ Time * Diet",
         correlation=S("corLin", form="~ Time | Rat"), method="ML",
         note="?corLin, ML"),
    _gls("bodyweight_gls_spher_varpower", BW, "BodyWeight", "weight ~ Time * Diet",
         correlation=S("corSpher", form="~ Time | Rat"), weights=S("varPower"),
         note="corSpher with varPower() of fitted(.)"),
    _gls("wheat2_gls_exp_manhattan", WHEAT2, "Wheat2", "yield ~ variety - 1",
         correlation=S("corExp", value=[10, 0.2], form=WHEAT_FORM, nugget=True,
                       metric="man"),
         note="corExp with metric = 'man' (ch05's cs2Exp) and a nugget"),
    _gls("wheat2_gls_gaus", WHEAT2, "Wheat2", "yield ~ variety - 1",
         correlation=S("corGaus", value=[10, 0.2], form=WHEAT_FORM, nugget=True),
         note="corGaus with nugget on the field positions"),
    _gls("dialyzer_gls_varExp", DIAL, "Dialyzer", DIAL_MODEL,
         weights=S("varExp", form="~ pressure"), note="varExp(~ pressure)"),
    _gls("dialyzer_gls_varConstPower", DIAL, "Dialyzer", DIAL_MODEL,
         weights=S("varConstPower", form="~ pressure"),
         note="varConstPower(~ pressure) (ch05's fm4Dial structure in gls)"),
    _gls("dialyzer_gls_varConstPower_fixed", DIAL, "Dialyzer", DIAL_MODEL,
         weights=S("varConstPower", power=0.5, form="~ pressure", fixed={"const": 1}),
         note="varConstPower with fixed = list(const = 1) (ch05's vf1ConstPower)"),
    _gls("dialyzer_gls_varConstProp_fixed", DIAL, "Dialyzer", DIAL_MODEL,
         weights=S("varConstProp", form="~ pressure", fixed={"const": 1}),
         note="varConstProp(~ pressure) with its constant fixed at 1 (without it, or "
              "sigma fixed, sigma and the constant are one parameter)"),
    _gls("dialyzer_gls_varPower_strata", DIAL, "Dialyzer", DIAL_MODEL,
         weights=S("varPower", form="~ pressure | QB"), correlation=AR1_DIAL,
         note="varPower with one power per QB stratum, corAR1 with start value"),
    _gls("dialyzer_gls_varComb", DIAL, "Dialyzer", DIAL_MODEL,
         weights=S("varComb", parts=[S("varIdent", form="~ 1 | QB"),
                                     S("varPower", form="~ pressure")]),
         note="varComb(varIdent(~ 1 | QB), varPower(~ pressure))"),
    _gls("orthodont_gls_varFixed_shortcut", ORTH, "Orthodont", "distance ~ age + Sex",
         weights="~ age", correlation=CS_SUBJ,
         note="weights = ~ age: nlme's shortcut for varFixed(~ age)"),
    _gls("orthodont_gls_varFixed", ORTH, "Orthodont", "distance ~ age + Sex",
         weights=S("varFixed", value="~ age"),
         note="varFixed(~ age) (ch05's vf1Fixed); no parameters to optimise"),
    _gls("orthodont_gls_varIdent_start", ORTH, "Orthodont", ORTH_MODEL,
         weights=S("varIdent", value={"Female": 0.5}, form="~ 1 | Sex"), correlation=CS_SUBJ,
         note="varIdent with a start value c(Female = 0.5) (ch05's vf1Ident)"),
    _gls("orthodont_gls_varIdent_fixed", ORTH, "Orthodont", ORTH_MODEL,
         weights=S("varIdent", form="~ 1 | Sex", fixed={"Female": 0.5}), correlation=CS_SUBJ,
         note="varIdent with fixed = c(Female = 0.5) (ch05's vf2Ident): nothing estimated in it"),
    _gls("orthodont_gls_varIdent_sex_age", ORTH, "Orthodont", ORTH_MODEL,
         weights=S("varIdent", form="~ 1 | Sex * age"),
         note="varIdent over the Sex * age strata (ch05's vf3Ident): 8 strata"),
    _gls("orthodont_gls_varExp_fixed", ORTH, "Orthodont", ORTH_MODEL,
         weights=S("varExp", form="~ age | Sex", fixed={"Female": 0}),
         note="varExp per Sex with Female's fixed at 0 (ch05's vf1Exp)"),
    _gls("orthodont_gls_varPower_fixed", ORTH, "Orthodont", ORTH_MODEL,
         weights=S("varPower", form="~ age", fixed=0.5), correlation=CS_SUBJ,
         note="varPower(fixed = 0.5) (ch05's vf2Power), a scalar fixed"),
    _gls("orthodont_gls_varComb_ch05", ORTH, "Orthodont", ORTH_MODEL,
         weights=S("varComb", parts=[S("varIdent", value={"Female": 0.5}, form="~ 1 | Sex"),
                                     S("varExp", value=1, form="~ age")]),
         note="ch05's vf1Comb: varComb(varIdent(c(Female = 0.5), ~ 1 | Sex), varExp(1, ~ age))"),
    _gls("orthodont_gls_corSymm_start", ORTH, "Orthodont", ORTH_MODEL,
         correlation=S("corSymm", value=[0.2, 0.1, -0.1, 0, 0.2, 0], form="~ 1 | Subject"),
         note="corSymm with value= starts (ch05's cs1Symm)"),
    _gls("orthodont_gls_ml", ORTH, "Orthodont", ORTH_MODEL, correlation=SYMM_SUBJ,
         weights=VI_AGE, method="ML", compare=[G(None, ORTH_MODEL, correlation=CS_SUBJ,
                                                  weights=VI_AGE, method="ML")],
         note="fm1Orth.gls under ML; ML LRT against compound symmetry"),
    _gls("orthodont_gls_subset_female", ORTH, "Orthodont", "distance ~ I(age - 11)",
         correlation=S("corAR1", form="~ 1 | Subject"), subset='Sex == "Female"',
         note="subset = Sex == 'Female', corAR1 within Subject"),
    _gls("orthodont_gls_control", ORTH, "Orthodont", ORTH_MODEL, correlation=CS_SUBJ,
         weights=VI_AGE, control={"msMaxIter": 500, "apVar": False},
         note="glsControl(apVar = FALSE): no apVar, intervals refuse the structures"),
    # --- an MMRM on simulated trial data ---------------------------------------------------
    _gls("mmrm_reml", MMRM, "trial", "y ~ trt * visit", correlation=MMRM_CORR,
         weights=MMRM_VAR, na_action="na.omit",
         newdata={"trt": ["placebo", "active"], "visit": ["V6", "V6"]},
         note="MMRM: unstructured corSymm over visits + varIdent by visit, monotone dropout "
              "(NA rows omitted), REML"),
    _gls("mmrm_ml", MMRM, "trial", "y ~ trt * visit", correlation=MMRM_CORR,
         weights=MMRM_VAR, na_action="na.omit", method="ML",
         compare=[G(None, "y ~ trt + visit", correlation=MMRM_CORR, weights=MMRM_VAR,
                    na_action="na.omit", method="ML")],
         note="the MMRM under ML; LRT of the treatment-by-visit interaction"),
    _gls("mmrm_na_fail_refused", MMRM, "trial", "y ~ trt * visit", correlation=MMRM_CORR,
         weights=MMRM_VAR, expect_error=True,
         note="the MMRM without na.action: gls's default na.fail refuses the NA rows"),
    # --- boundaries -----------------------------------------------------------------------
    _gls("boundary_ar1_near_one", AR1_STRONG, "series", "y ~ x",
         correlation=S("corAR1", form="~ t | series"),
         note="corAR1 on AR(0.97) series: phi near +1"),
    _gls("boundary_compsymm_lower", CS_NEGATIVE, "pairs", "y ~ x",
         correlation=S("corCompSymm", form="~ 1 | pair"),
         note="pairs with opposite effects: corCompSymm's rho at its lower bound -1"),
    _gls("fixed_compsymm", ORTH, "Orthodont", ORTH_MODEL,
         correlation=S("corCompSymm", value=0.3, form="~ 1 | Subject", fixed=True),
         weights=VI_AGE, note="corCompSymm(0.3, fixed = TRUE): only varIdent estimated"),
    _gls("fixed_ar1_only", OVARY, "Ovary", OVARY_MODEL,
         correlation=S("corAR1", value=0.5, form="~ 1 | Mare", fixed=True),
         note="corAR1(0.5, fixed = TRUE) and nothing else: no optimisation, apVar absent"),
    _gls("single_obs_group_ar1", OVARY_SINGLE, "ovary1", OVARY_MODEL,
         correlation=AR1_MARE,
         note="corAR1 within Mare, one mare with a single observation"),
    _gls("ar1_noninteger_becomes_arma", OVARY, "Ovary", OVARY_MODEL,
         correlation=S("corAR1", form="~ Time | Mare"),
         note="corAR1 on the non-integer Time: nlme fits it as corARMA(p = 1) on the "
              "observation order (class corARMA, 'ARMA(1,0)' printed)"),
    _gls("ar1_duplicated_covariate_refused", ORTH, "Orthodont", "distance ~ age",
         correlation=S("corAR1", form="~ age | Sex"), expect_error=True,
         note="corAR1 whose covariate repeats within a group: R refuses it"),
]
