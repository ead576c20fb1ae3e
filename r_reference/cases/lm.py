"""The lm catalogue: cases for ``stats::lm`` and the R code each one runs.

``Case.args`` for lm (shared by the R and the Python side; R's argument
order): ``formula`` (R text), ``subset`` (an expression R and
``pandas.DataFrame.eval`` read alike), ``weights`` (a column name),
``na_action`` (``"na.omit"``, ``"na.exclude"``, ``"na.fail"``), ``contrasts``
(dict variable -> contrast function name).

``Case.newdata``: columns of ``new_data`` (``data.frame(...)``) for predict.

``Case.extra`` keys:

``fit_name``     the name the seed binds the fit to (``model_by_make``); the R
                 code uses it, then binds ``fit`` to it.
``compare``      further fits on the same data with the same arguments, each
                 ``{"name": ..., "formula": ...}``, made before the fit; the
                 golden records ``anova(<names>, fit)``.
``anova_order``  the order of the fits in that anova call (names; default:
                 the compared fits, then the case's fit).

The results and printed keys are listed in ``r_reference/R/lm.R`` and in
docs/internals.md ("lm golden keys").
"""

from __future__ import annotations

import re
from typing import Any

from r_reference.cases import Case

KIND = "lm"

_SYNTACTIC = re.compile(r"^[A-Za-z.][A-Za-z0-9._]*$")


def r_name(name: str) -> str:
    """A name as R code: backquoted when not syntactic."""
    return name if _SYNTACTIC.match(name) and not re.match(r"^\.[0-9]", name) else f"`{name}`"


def r_value(v: Any) -> str:
    """A scalar as an R literal."""
    if v is None:
        return "NA"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"no R literal for {v!r}")


def r_vector(values: list[Any]) -> str:
    if len(values) == 1:
        return r_value(values[0])
    return "c(" + ", ".join(r_value(v) for v in values) + ")"


def data_frame_code(columns: dict[str, list[Any]]) -> str:
    """``data.frame(...)`` of the given columns, as a user would type it."""
    parts = [f"{r_name(k)} = {r_vector(v)}" for k, v in columns.items()]
    if any(not _SYNTACTIC.match(k) for k in columns):
        parts.append("check.names = FALSE")
    return "data.frame(" + ", ".join(parts) + ")"


def lm_call(formula: str, args: dict[str, Any], data_name: str) -> str:
    """The ``lm(...)`` call a user would type (R's argument order)."""
    parts = [formula, f"data = {data_name}"]
    if args.get("subset") is not None:
        parts.append(f"subset = {args['subset']}")
    if args.get("weights") is not None:
        parts.append(f"weights = {r_name(args['weights'])}")
    if args.get("na_action") is not None:
        parts.append(f"na.action = {args['na_action']}")
    if args.get("contrasts"):
        # sorted by variable: the golden's case has sorted keys, and the Python
        # side rebuilds R's call (whose text shows this order) from it
        inner = ", ".join(f"{r_name(k)} = {r_value(v)}"
                          for k, v in sorted(args["contrasts"].items()))
        parts.append(f"contrasts = list({inner})")
    return "lm(" + ", ".join(parts) + ")"


def r_code(case: Case) -> str:
    """The R code of a case: the compared fits, ``fit``, and ``new_data``."""
    lines = []
    for other in case.extra.get("compare", []):
        lines.append(f"{other['name']} <- {lm_call(other['formula'], case.args, case.data_name)}")
    call = lm_call(case.args["formula"], case.args, case.data_name)
    name = case.extra.get("fit_name")
    if name:
        lines.append(f"{name} <- {call}")
        lines.append(f"fit <- {name}")
    else:
        lines.append(f"fit <- {call}")
    if case.newdata:
        lines.append(f"new_data <- {data_frame_code(case.newdata)}")
    compare = case.extra.get("compare")
    if compare:
        order = case.extra.get("anova_order") or [c["name"] for c in compare] + ["fit"]
        order = [name if (n == "fit" and name) else n for n in order]
        lines.append("anova(" + ", ".join(order) + ")")
    return "\n".join(lines)


def _lm(name: str, data: str, formula: str, *, data_name: str | None = None,
        newdata: dict[str, list[Any]] | None = None, seed: str | None = None,
        note: str = "", **kw: Any) -> Case:
    args: dict[str, Any] = {"formula": formula}
    for key in ("subset", "weights", "na_action", "contrasts"):
        if kw.get(key) is not None:
            args[key] = kw.pop(key)
    extra = {k: v for k, v in kw.items() if v is not None}
    return Case(name=name, kind=KIND, data=data, data_name=data_name or data, args=args,
                newdata=newdata, seed=seed, note=note, extra=extra)


SEED = "000_17a157bff8e25ed6"

CASES: list[Case] = [
    # --- the seed: hierarchical regression on mtcars -------------------------
    _lm("seed_mtcars_model", "mtcars", "mpg ~ wt + hp + qsec", fit_name="model",
        compare=[{"name": "model_wt", "formula": "mpg ~ wt"}], seed=SEED,
        note="the seed's `model`: summary, anova table, sums of squares; "
             "nested comparison with mpg ~ wt"),
    _lm("seed_mtcars_model_by_make", "mtcars", "mpg ~ disp + drat + wt",
        fit_name="model_by_make",
        compare=[{"name": "model", "formula": "mpg ~ wt + hp + qsec"}],
        newdata={"disp": [120], "drat": [3.9], "wt": [2.8]}, seed=SEED,
        note="the seed's `model_by_make`: summary, anova (F and p of disp), "
             "anova(model, model_by_make), the prediction 23.48507; incremental "
             "R-squared is r_squared of compare_models$model minus r_squared"),
    _lm("mtcars_nested_three", "mtcars", "mpg ~ wt + hp + qsec",
        compare=[{"name": "fit1", "formula": "mpg ~ wt"},
                 {"name": "fit2", "formula": "mpg ~ wt + hp"}],
        note="anova of three nested models"),
    _lm("mtcars_compare_big_first", "mtcars", "mpg ~ wt + hp + qsec + am",
        compare=[{"name": "fit0", "formula": "mpg ~ wt"}], anova_order=["fit", "fit0"],
        note="anova(bigger, smaller): negative Df and Sum of Sq"),
    # --- simple shapes --------------------------------------------------------
    _lm("cars_simple", "cars", "dist ~ speed", newdata={"speed": [10, 20.5, 30]},
        note="one numeric predictor, predict intervals"),
    _lm("women_intercept_only", "women", "weight ~ 1", newdata={"height": [60, 70]},
        note="intercept only: no F statistic"),
    _lm("cars_minus_one", "cars", "dist ~ speed - 1", newdata={"speed": [4, 25]},
        note="no intercept via -1: uncentred R-squared"),
    _lm("cars_zero_plus", "cars", "dist ~ 0 + speed", note="no intercept via 0 +"),
    _lm("stackloss_classic", "stackloss", "stack.loss ~ Air.Flow + Water.Temp + Acid.Conc.",
        newdata={"Air.Flow": [60, 70], "Water.Temp": [20, 25], "Acid.Conc.": [85, 90]},
        note="dotted names"),
    _lm("swiss_dot", "swiss", "Fertility ~ .", note="'.' expands to all other columns"),
    _lm("swiss_dot_minus", "swiss", "Fertility ~ . - Examination", note="'.' minus a term"),
    _lm("longley_all", "longley", "Employed ~ .", note="ill-conditioned design"),
    _lm("attitude_all", "attitude", "rating ~ .", note="six predictors"),
    # --- transformations ------------------------------------------------------
    _lm("trees_log_log", "trees", "log(Volume) ~ log(Girth) + log(Height)",
        newdata={"Girth": [10, 15], "Height": [70, 80]}, note="log on both sides"),
    _lm("trees_I_square", "trees", "Volume ~ Girth + I(Girth^2) + Height",
        newdata={"Girth": [12], "Height": [75]}, note="I()"),
    _lm("trees_sqrt", "trees", "sqrt(Volume) ~ sqrt(Girth) + Height", note="sqrt"),
    _lm("swiss_exp", "swiss", "Fertility ~ exp(Infant.Mortality/10) + Education",
        note="exp of an arithmetic expression"),
    _lm("cars_poly2", "cars", "dist ~ poly(speed, 2)",
        newdata={"speed": [5, 15, 25]}, note="orthogonal polynomial; predict uses its coefs"),
    _lm("cars_poly3", "cars", "dist ~ poly(speed, 3)", note="cubic orthogonal polynomial"),
    _lm("stackloss_scale", "stackloss", "stack.loss ~ scale(Air.Flow) + scale(Water.Temp) + Acid.Conc.",
        newdata={"Air.Flow": [60, 70], "Water.Temp": [20, 25], "Acid.Conc.": [85, 90]},
        note="scale(): predict re-uses the training centre and scale"),
    _lm("mtcars_offset", "mtcars", "mpg ~ wt + offset(hp/100)",
        newdata={"wt": [2.5, 3.5], "hp": [100, 200]}, note="offset() in the formula"),
    _lm("cars_backquoted", 'setNames(cars, c("car speed", "stopping distance"))',
        "`stopping distance` ~ `car speed`", data_name="cars2",
        newdata={"car speed": [10, 20]}, note="backquoted, non-syntactic names"),
    _lm("mtcars_log_I_interaction", "mtcars", "mpg ~ log(hp) + I(wt^2) + wt:am",
        note="transforms with a numeric interaction"),
    # --- factors and contrasts ------------------------------------------------
    _lm("iris_species", "iris", "Sepal.Length ~ Species + Petal.Length",
        newdata={"Species": ["setosa", "virginica", "versicolor"], "Petal.Length": [1.5, 5.5, 4.0]},
        note="treatment contrasts; new data with factor values"),
    _lm("mtcars_factor_cyl", "mtcars", "mpg ~ factor(cyl) + wt",
        newdata={"cyl": [4, 6, 8], "wt": [2.2, 3.0, 3.8]}, note="factor() in the formula"),
    _lm("plantgrowth_group", "PlantGrowth", "weight ~ group", note="one-way ANOVA"),
    _lm("plantgrowth_new_level", "PlantGrowth", "weight ~ group",
        newdata={"group": ["ctrl", "trt3"]},
        note="predict with a level the fit never saw: R's error (predict_error)"),
    _lm("plantgrowth_cell_means", "PlantGrowth", "weight ~ group - 1",
        note="factor without intercept: full dummy coding"),
    _lm("warpbreaks_star", "warpbreaks", "breaks ~ wool * tension",
        newdata={"wool": ["A", "B"], "tension": ["M", "H"]}, note="two-way with interaction"),
    _lm("warpbreaks_colon_only", "warpbreaks", "breaks ~ wool:tension",
        note="interaction without margins: R's contrast rule for missing margins"),
    _lm("warpbreaks_nested", "warpbreaks", "breaks ~ wool / tension", note="nesting: a/b"),
    _lm("warpbreaks_in", "warpbreaks", "breaks ~ wool + tension %in% wool", note="%in%"),
    _lm("warpbreaks_sum", "warpbreaks", "breaks ~ wool * tension",
        contrasts={"tension": "contr.sum", "wool": "contr.sum"}, note="contr.sum"),
    _lm("insectsprays_helmert", "InsectSprays", "count ~ spray",
        contrasts={"spray": "contr.helmert"}, newdata={"spray": ["A", "F"]},
        note="contr.helmert"),
    _lm("chickwts_sas", "chickwts", "weight ~ feed", contrasts={"feed": "contr.SAS"},
        note="contr.SAS"),
    _lm("esoph_ordered_poly", "esoph", "ncases ~ agegp + alcgp",
        note="ordered factors: contr.poly by default"),
    _lm("esoph_ordered_treatment", "esoph", "ncases ~ agegp + tobgp",
        contrasts={"agegp": "contr.treatment"}, weights="ncontrols",
        note="ordered factor with treatment contrasts; weights"),
    _lm("toothgrowth_factor_dose", "ToothGrowth", "len ~ supp * factor(dose)",
        newdata={"supp": ["OJ", "VC"], "dose": [0.5, 2]}, note="factor() of a numeric column"),
    _lm("toothgrowth_numeric_by_factor", "ToothGrowth", "len ~ dose:supp",
        note="numeric:factor without margins"),
    _lm("toothgrowth_nested_numeric", "ToothGrowth", "len ~ supp / dose",
        note="numeric slope nested in a factor"),
    _lm("iris_interaction_no_intercept", "iris", "Sepal.Length ~ Petal.Length * Species - 1",
        note="interaction without intercept"),
    _lm("mtcars_power", "mtcars", "mpg ~ (wt + hp + qsec)^2", note="^: all two-way terms"),
    _lm("mtcars_star_minus", "mtcars", "mpg ~ wt * hp - hp", note="- removes a term"),
    _lm("orthodont_many_levels", "transform(as.data.frame(nlme::Orthodont), Subject = factor(Subject, levels = levels(Subject), ordered = FALSE))",
        "distance ~ age + Subject", data_name="orthodont",
        note="27-level unordered factor"),
    _lm("orthodont_ordered_many_levels", "as.data.frame(nlme::Orthodont)",
        "distance ~ age + Subject", data_name="Orthodont",
        note="27-level ordered factor: contr.poly of degree 26"),
    # --- character and logical columns ----------------------------------------
    _lm("mtcars_character", "transform(mtcars, gear_c = as.character(gear))",
        "mpg ~ gear_c + wt", data_name="mtcars2",
        newdata={"gear_c": ["3", "5"], "wt": [3.0, 2.5]},
        note="character column: a factor with sorted levels"),
    _lm("mtcars_logical", "transform(mtcars, am_l = am == 1)", "mpg ~ am_l + wt",
        data_name="mtcars2", newdata={"am_l": [True, False], "wt": [3.0, 2.5]},
        note="logical column: am_lTRUE"),
    _lm("mtcars_logical_character_interaction",
        "transform(mtcars, am_l = am == 1, gear_c = as.character(gear))",
        "mpg ~ am_l * gear_c", data_name="mtcars2",
        note="logical x character; an empty cell gives an NA coefficient"),
    _lm("warpbreaks_character_collation",
        'transform(warpbreaks, grp = c("apple", "Banana", "cherry")[as.integer(tension)])',
        "breaks ~ grp", data_name="warpbreaks2", newdata={"grp": ["Banana", "apple"]},
        note="character levels with mixed case: R's collation orders them"),
    # --- weights, subset, missing values --------------------------------------
    _lm("mtcars_weights", "mtcars", "mpg ~ wt + hp", weights="carb",
        newdata={"wt": [3.0], "hp": [150]}, note="weights; prediction interval warns"),
    _lm("mtcars_zero_weights", "transform(mtcars, w = as.numeric(cyl != 6))",
        "mpg ~ wt + hp", data_name="mtcars2", weights="w",
        note="zero weights: dropped from the residual df, hat values 0"),
    _lm("mtcars_subset", "mtcars", "mpg ~ wt + hp", subset="cyl > 4",
        newdata={"wt": [3.5], "hp": [180]}, note="subset"),
    _lm("iris_subset_drops_level", "iris", "Sepal.Length ~ Species",
        subset='Species != "setosa"', note="subset leaves an unused level: dropped"),
    _lm("airquality_na_omit", "airquality", "Ozone ~ Solar.R + Wind + Temp",
        newdata={"Solar.R": [200, 100], "Wind": [10, 5], "Temp": [80, 90]},
        note="rows with NA omitted; integer columns"),
    _lm("airquality_na_exclude", "airquality", "Ozone ~ Solar.R + Wind + Temp",
        na_action="na.exclude", note="na.exclude: residuals and fitted padded with NA"),
    _lm("airquality_month_factor", "airquality", "Ozone ~ Temp + factor(Month)",
        na_action="na.exclude", newdata={"Temp": [70, 85], "Month": [5, 9]},
        note="factor of an integer column, NA rows excluded"),
    # --- rank deficiency ------------------------------------------------------
    _lm("mtcars_collinear", "transform(mtcars, wt2 = 2 * wt)", "mpg ~ wt + wt2 + hp",
        data_name="mtcars2", newdata={"wt": [3.0], "wt2": [6.0], "hp": [120]},
        note="exact collinearity: NA coefficient, dqrdc2 pivots wt2 last"),
    _lm("warpbreaks_empty_cell", 'subset(warpbreaks, !(wool == "B" & tension == "H"))',
        "breaks ~ wool * tension", data_name="warpbreaks2",
        note="an empty interaction cell: NA coefficient; row names with gaps"),
    _lm("npk_confounded", "npk", "yield ~ block + N * P * K",
        note="N:P:K confounded with blocks"),
]
