"""The lme_struct catalogue: ``nlme::lme`` fits with ``weights`` and/or
``correlation``, and the R code each one runs.

As for lme (r_reference/cases/lme.py): the default fit ``fit`` and the
tight refits of ``structs.LME_TIGHT_CONTROLS`` (lme.py's, with optim's
iterations capped; ``fit_tight``: the one of highest logLik; every
candidate's logLik is kept). The R code is ``structs.r_code``; the extractor
``r_reference/R/lme_struct.R`` records everything lme.R records plus the
structures (``r_reference/R/structs.R``).

``Case.args`` for lme_struct (shared by the R and the Python side):

``fixed``, ``random``, ``method``  as for lme (lme.py)
``correlation``  a structure spec (``structs``); without a grouping in its
                 ``form`` lme gives it the random effects' grouping, as in
                 nlme (``corAR1()``, ``corExp(form = ~ Time)``)
``weights``      a structure spec, or a formula string (varFixed's shortcut)
``subset``       an R expression
``na_action``    ``"na.omit"``, ...
``control``      dict of lmeControl arguments (not with a tight refit)
``contrasts``    dict variable -> contrast function name (lme's ``contrasts``
                 argument: ch05.R's global ``options(contrasts = Helmert)``
                 for the Dialyzer fits is passed this way)

``Case.extra``: as for gls (r_reference/cases/gls.py): ``fit_name``,
``compare`` (entries of kind ``"lme"`` or ``"gls"``), ``anova_order``,
``anova_test``, ``anova_tests``, ``acf``, ``variogram``, ``expect_error``.
"""

from __future__ import annotations

from typing import Any

from r_reference.cases import Case, structs
from r_reference.cases.gls import (
    AR1_STRONG,
    BW,
    CS_SUBJ,
    DIAL,
    DIAL_MODEL,
    DIAL_RANDOM,
    MMRM,
    ORTH,
    ORTH_MODEL,
    OVARY,
    OVARY_MODEL,
    VP_PRESS,
    G,
    L,
    S,
)

KIND = "lme_struct"
R_DEPENDS = ("lme", "structs")


def r_code(case: Case) -> str:
    """The R code of an lme_struct case (``structs.r_code``)."""
    return structs.r_code(case, KIND)


_ARGS = ("correlation", "weights", "subset", "method", "na_action", "control", "contrasts")


def _lme(name: str, data: str, data_name: str, fixed: str, random: Any, *,
         newdata: dict[str, list[Any]] | None = None, note: str = "", **kw: Any) -> Case:
    args: dict[str, Any] = {"fixed": fixed, "random": random}
    for k in _ARGS:
        v = kw.pop(k, None)
        if v is not None:
            args[k] = v
    extra = {k: v for k, v in kw.items() if v is not None}
    return Case(name=name, kind=KIND, data=data, data_name=data_name, args=args,
                newdata=newdata, note=note, extra=extra)


HELMERT = {"QB": "contr.helmert"}
BW_MODEL = "weight ~ Time * Diet"
BW_RANDOM = "~ Time | Rat"
OVAR_RANDOM = {"Mare": {"pdClass": "pdDiag", "form": "~ sin(2 * pi * Time)"}}
VPOW = S("varPower")
CEXP = S("corExp", form="~ Time")
CH05 = "nlme's ch05.R (P&B ch. 5)"
HEL = "the script's Helmert contrasts as contrasts = list(QB = ...)"


def _dial(name: str | None, **kw: Any) -> dict[str, Any]:
    return L(name, DIAL_MODEL, DIAL_RANDOM, contrasts=HELMERT, **kw)


def _bw(name: str | None, **kw: Any) -> dict[str, Any]:
    return L(name, BW_MODEL, BW_RANDOM, **kw)


def _ovar(name: str | None, **kw: Any) -> dict[str, Any]:
    return L(name, OVARY_MODEL, OVAR_RANDOM, **kw)


CASES: list[Case] = [
    # --- ch05.R: Dialyzer ------------------------------------------------------------
    _lme("ch05_fm1Dial_lme", DIAL, "Dialyzer", DIAL_MODEL, DIAL_RANDOM, contrasts=HELMERT,
         fit_name="fm1Dial.lme", compare=[_dial("fm2Dial.lme", weights=VP_PRESS)],
         note=f"{CH05}: no structure, random ~ pressure + I(pressure^2) | Subject (the "
              f"groupedData grouping written out), {HEL}; anova(fm1Dial.lme, fm2Dial.lme)"),
    _lme("ch05_fm2Dial_lme", DIAL, "Dialyzer", DIAL_MODEL, DIAL_RANDOM, contrasts=HELMERT,
         weights=VP_PRESS, fit_name="fm2Dial.lme", anova_tests=[{"Terms": [8, 9, 10]}],
         compare=[_dial("fm3Dial.lme", weights=S("varPower", form="~ pressure | QB"))],
         note=f"{CH05}: varPower(~ pressure), intervals, anova(fm2Dial.lme, Terms = 8:10); "
              f"anova(fm2Dial.lme, fm3Dial.lme); {HEL}"),
    _lme("ch05_fm3Dial_lme", DIAL, "Dialyzer", DIAL_MODEL, DIAL_RANDOM, contrasts=HELMERT,
         weights=S("varPower", form="~ pressure | QB"), fit_name="fm3Dial.lme",
         note=f"{CH05}: varPower(~ pressure | QB), a power per QB; {HEL}"),
    _lme("ch05_fm4Dial_lme", DIAL, "Dialyzer", DIAL_MODEL, DIAL_RANDOM, contrasts=HELMERT,
         weights=S("varConstPower", form="~ pressure"), fit_name="fm4Dial.lme",
         compare=[_dial("fm2Dial.lme", weights=VP_PRESS)],
         anova_order=["fm2Dial.lme", "fm4Dial.lme"],
         note=f"{CH05}: varConstPower(~ pressure); anova(fm2Dial.lme, fm4Dial.lme); {HEL}"),
    # --- ch05.R: BodyWeight ------------------------------------------------------------
    _lme("ch05_fm1BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, fit_name="fm1BW.lme",
         compare=[_bw("fm2BW.lme", weights=VPOW)],
         note=f"{CH05}: random = ~ Time | Rat (the script's ~ Time on the groupedData); "
              "anova(fm1BW.lme, fm2BW.lme)"),
    _lme("ch05_fm2BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, weights=VPOW,
         fit_name="fm2BW.lme", anova_tests=[{"L": {"Time:Diet2": 1, "Time:Diet3": -1}}],
         variogram=[{"form": "~ Time"}, {"form": "~ Time", "maxDist": 42}],
         compare=[_bw("fm3BW.lme", weights=VPOW, correlation=CEXP)],
         note=f"{CH05}: varPower() of fitted(.) (lme's outer iteration), summary, "
              "anova(L = c('Time:Diet2' = 1, 'Time:Diet3' = -1)), Variogram(form = ~ Time); "
              "anova(fm2BW.lme, fm3BW.lme)"),
    _lme("ch05_fm3BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, weights=VPOW,
         correlation=CEXP, fit_name="fm3BW.lme",
         variogram=[{"form": "~ Time", "maxDist": 42},
                    {"form": "~ Time", "maxDist": 42, "resType": "n", "robust": True}],
         compare=[_bw("fm4BW.lme", weights=VPOW, correlation=S("corExp", form="~ Time",
                                                              nugget=True))],
         note=f"{CH05}: corExp(form = ~ Time) with lme's grouping, intervals, robust "
              "normalized Variogram; anova(fm3BW.lme, fm4BW.lme)"),
    _lme("ch05_fm4BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, weights=VPOW,
         correlation=S("corExp", form="~ Time", nugget=True), fit_name="fm4BW.lme",
         note=f"{CH05}: corExp with nugget"),
    _lme("ch05_fm5BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, weights=VPOW,
         correlation=S("corRatio", form="~ Time"), fit_name="fm5BW.lme",
         compare=[_bw("fm3BW.lme", weights=VPOW, correlation=CEXP),
                  _bw("fm6BW.lme", weights=VPOW, correlation=S("corSpher", form="~ Time")),
                  _bw("fm7BW.lme", weights=VPOW, correlation=S("corLin", form="~ Time")),
                  _bw("fm8BW.lme", weights=VPOW, correlation=S("corGaus", form="~ Time"))],
         anova_order=["fm3BW.lme", "fm5BW.lme", "fm6BW.lme", "fm7BW.lme", "fm8BW.lme"],
         note=f"{CH05}: corRatio; anova(fm3BW.lme, fm5BW.lme, fm6BW.lme, fm7BW.lme, fm8BW.lme)"),
    _lme("ch05_fm6BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, weights=VPOW,
         correlation=S("corSpher", form="~ Time"), fit_name="fm6BW.lme",
         note=f"{CH05}: corSpher"),
    _lme("ch05_fm7BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, weights=VPOW,
         correlation=S("corLin", form="~ Time"), fit_name="fm7BW.lme",
         note=f"{CH05}: corLin"),
    _lme("ch05_fm8BW_lme", BW, "BodyWeight", BW_MODEL, BW_RANDOM, weights=VPOW,
         correlation=S("corGaus", form="~ Time"), fit_name="fm8BW.lme",
         note=f"{CH05}: corGaus"),
    # --- ch05.R: Ovary ---------------------------------------------------------------------
    _lme("ch05_fm1Ovar_lme", OVARY, "Ovary", OVARY_MODEL, OVAR_RANDOM, fit_name="fm1Ovar.lme",
         acf=[{"maxLag": 10}], compare=[_ovar("fm2Ovar.lme", correlation=S("corAR1"))],
         note=f"{CH05}: random = list(Mare = pdDiag(~ sin(2*pi*Time))) (the groupedData "
              "grouping written out), ACF; anova(fm1Ovar.lme, fm2Ovar.lme)"),
    _lme("ch05_fm2Ovar_lme", OVARY, "Ovary", OVARY_MODEL, OVAR_RANDOM,
         correlation=S("corAR1"), fit_name="fm2Ovar.lme", anova_test=False,
         compare=[_ovar("fm3Ovar.lme", correlation=S("corARMA", q=2))],
         note=f"{CH05}: corAR1() with lme's grouping, intervals; "
              "anova(fm2Ovar.lme, fm3Ovar.lme, test = FALSE)"),
    _lme("ch05_fm3Ovar_lme", OVARY, "Ovary", OVARY_MODEL, OVAR_RANDOM,
         correlation=S("corARMA", q=2), fit_name="fm3Ovar.lme",
         note=f"{CH05}: corARMA(q = 2)"),
    _lme("ch05_fm4Ovar_lme", OVARY, "Ovary", OVARY_MODEL, OVAR_RANDOM,
         correlation=S("corCAR1", form="~ Time"), fit_name="fm4Ovar.lme", anova_test=False,
         compare=[_ovar("fm2Ovar.lme", correlation=S("corAR1"))],
         anova_order=["fm2Ovar.lme", "fm4Ovar.lme"],
         note=f"{CH05}: corCAR1(form = ~ Time); anova(fm2Ovar.lme, fm4Ovar.lme, test = FALSE)"),
    _lme("ch05_fm5Ovar_lme", OVARY, "Ovary", OVARY_MODEL, OVAR_RANDOM,
         correlation=S("corARMA", p=1, q=1), fit_name="fm5Ovar.lme",
         acf=[{"maxLag": 10, "resType": "n"}],
         compare=[_ovar("fm2Ovar.lme", correlation=S("corAR1"))],
         anova_order=["fm2Ovar.lme", "fm5Ovar.lme"],
         note=f"{CH05}: corARMA(p = 1, q = 1), normalized ACF; anova(fm2Ovar.lme, fm5Ovar.lme)"),
    # --- ch05.R: Orthodont -------------------------------------------------------------
    _lme("ch05_fm3Orth_lme", ORTH, "Orthodont", ORTH_MODEL, "~ I(age - 11) | Subject",
         weights=S("varIdent", form="~ 1 | Sex"), fit_name="fm3Orth.lme", anova_test=False,
         compare=[G("fm4Orth.gls", ORTH_MODEL, correlation=CS_SUBJ,
                    weights=S("varIdent", form="~ 1 | Sex"))],
         note=f"{CH05}: varIdent by Sex; anova(fm3Orth.lme, fm4Orth.gls, test = FALSE) "
              "(an lme against a gls)"),
    # --- help pages and more structures ----------------------------------------------------
    _lme("getvarcov_female", ORTH, "Orthodont", "distance ~ age", "~ age | Subject",
         subset='Sex == "Female"',
         note="?getVarCov: fm1 on the girls (random ~ age | Subject, the groupedData default "
              "written out): getVarCov of the three types, no structure"),
    _lme("orthodont_lme_corCompSymm", ORTH, "Orthodont", "distance ~ age + Sex", "~ 1 | Subject",
         correlation=CS_SUBJ,
         note="corCompSymm on top of a random intercept: confounded, rho near 0"),
    _lme("orthodont_lme_corAR1_ml", ORTH, "Orthodont", "distance ~ age + Sex", "~ 1 | Subject",
         correlation=S("corAR1", form="~ 1 | Subject"), method="ML",
         note="corAR1 with its own grouping, ML"),
    _lme("orthodont_lme_corSymm_varIdent", ORTH, "Orthodont", ORTH_MODEL, "~ 1 | Subject",
         correlation=S("corSymm"), weights=S("varIdent", form="~ 1 | age"),
         note="corSymm() with lme's grouping and varIdent by age"),
    _lme("orthodont_lme_varExp", ORTH, "Orthodont", "distance ~ age", "~ 1 | Subject",
         weights=S("varExp", form="~ age"), newdata={"age": [8, 14], "Subject": ["M01", "F02"]},
         note="varExp(~ age); predict at both levels"),
    _lme("orthodont_lme_varIdent_fixed", ORTH, "Orthodont", "distance ~ age", "~ 1 | Subject",
         weights=S("varIdent", form="~ 1 | Sex", fixed={"Female": 0.5}),
         note="varIdent with fixed = c(Female = 0.5): nothing estimated in the varStruct"),
    _lme("orthodont_lme_corAR1_fixed", ORTH, "Orthodont", "distance ~ age", "~ 1 | Subject",
         correlation=S("corAR1", value=0.3, fixed=True),
         note="corAR1(0.3, fixed = TRUE): only the random effects estimated"),
    _lme("ovary_lme_varPower_ar1", OVARY, "Ovary", OVARY_MODEL, "~ 1 | Mare",
         correlation=S("corAR1"), weights=S("varPower"),
         note="varPower() of fitted(.) and corAR1 together"),
    _lme("bodyweight_lme_varComb", BW, "BodyWeight", BW_MODEL, BW_RANDOM,
         weights=S("varComb", parts=[S("varIdent", form="~ 1 | Diet"),
                                     S("varPower", form="~ Time")]),
         note="varComb(varIdent(~ 1 | Diet), varPower(~ Time))"),
    _lme("bodyweight_lme_varConstProp", BW, "BodyWeight", BW_MODEL, BW_RANDOM,
         weights=S("varConstProp"),
         note="varConstProp() (nlme >= 3.1-149) of fitted(.)"),
    _lme("ar1_near_one_lme", AR1_STRONG, "series", "y ~ x", "~ 1 | series",
         correlation=S("corAR1", form="~ t | series"),
         note="corAR1 on AR(0.97) series with a random intercept: phi near +1"),
    _lme("mmrm_lme_ar1", MMRM, "trial", "y ~ trt * visit", "~ 1 | id",
         correlation=S("corAR1", form="~ as.integer(visit) | id"),
         weights=S("varIdent", form="~ 1 | visit"), na_action="na.omit",
         note="the simulated trial with a random intercept, corAR1 over visits and varIdent "
              "by visit, dropout rows omitted"),
    _lme("lme_varIdent_bad_fixed_refused", ORTH, "Orthodont", "distance ~ age", "~ 1 | Subject",
         weights=S("varIdent", form="~ 1 | Sex", fixed={"Other": 0.5}), expect_error=True,
         note="varIdent fixed names outside the strata: R refuses it"),
]
