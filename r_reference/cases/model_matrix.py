"""The model_matrix catalogue: ``model.matrix`` of tricky formulas (no fit).

``Case.args``: ``formula`` (R text, one- or two-sided) and ``contrasts``
(dict variable -> contrast function name, R's ``contrasts.arg``). The R code
binds the matrix to ``fit``; ``r_reference/R/model_matrix.R`` records the
matrix (column names and order, values, ``assign``, ``contrasts``) and the
``terms`` of the formula on the data. Keys: docs/internals.md, "lm golden keys".
"""

from __future__ import annotations

from typing import Any

from r_reference.cases import Case
from r_reference.cases.lm import r_name, r_value

KIND = "model_matrix"
#: R files this kind's R file uses (hlm_lm_terms, hlm_lm_print of lm.R)
R_DEPENDS = ("lm",)


def r_code(case: Case) -> str:
    parts = [case.args["formula"], f"data = {case.data_name}"]
    if case.args.get("contrasts"):
        inner = ", ".join(f"{r_name(k)} = {r_value(v)}" for k, v in sorted(case.args["contrasts"].items()))
        parts.append(f"contrasts.arg = list({inner})")
    return "fit <- model.matrix(" + ", ".join(parts) + ")"


def _mm(name: str, data: str, formula: str, *, data_name: str | None = None,
        contrasts: dict[str, str] | None = None, note: str = "") -> Case:
    args: dict[str, Any] = {"formula": formula}
    if contrasts:
        args["contrasts"] = contrasts
    return Case(name=name, kind=KIND, data=data, data_name=data_name or data, args=args,
                note=note)


CASES: list[Case] = [
    _mm("mm_colon_no_margins", "warpbreaks", "~ wool:tension",
        note="interaction without margins: full coding of one factor"),
    _mm("mm_colon_no_intercept", "warpbreaks", "~ wool:tension - 1",
        note="interaction, no intercept: all cells"),
    _mm("mm_in_operator", "warpbreaks", "~ tension %in% wool", note="%in%"),
    _mm("mm_nested_slash", "warpbreaks", "breaks ~ wool / tension", note="a/b = a + a:b"),
    _mm("mm_dot_squared", "warpbreaks", "breaks ~ .^2", note="'.' with ^"),
    _mm("mm_three_way_minus", "npk", "~ N * P * K - N:P:K", note="removing the top term"),
    _mm("mm_sum_helmert", "warpbreaks", "~ wool * tension",
        contrasts={"wool": "contr.sum", "tension": "contr.helmert"}, note="contrasts.arg"),
    _mm("mm_zero_two_factors", "warpbreaks", "~ 0 + wool + tension",
        note="no intercept: the first factor fully coded, the second not"),
    _mm("mm_numeric_by_factor", "ToothGrowth", "~ dose:supp", note="numeric:factor"),
    _mm("mm_numeric_by_factor_minus_one", "ToothGrowth", "~ dose:supp - 1",
        note="numeric:factor without intercept"),
    _mm("mm_ordered_poly", "esoph", "~ agegp + tobgp:alcgp", note="contr.poly, ordered x ordered"),
    _mm("mm_logical_character", "transform(mtcars, am_l = am == 1, gear_c = as.character(gear))",
        "~ am_l * gear_c", data_name="mtcars2", note="logical and character columns"),
    _mm("mm_character_collation",
        'transform(warpbreaks, grp = c("apple", "Banana", "cherry")[as.integer(tension)])',
        "~ grp", data_name="warpbreaks2",
        note="levels of a character column with mixed case: R's collation decides the order"),
    _mm("mm_transforms", "cars", "dist ~ poly(speed, 2) + scale(dist) + log(speed) + I(speed^2)",
        note="poly, scale, log, I"),
    _mm("mm_factor_call_interaction", "mtcars", "~ factor(cyl):wt + factor(am)",
        note="factor() calls in an interaction"),
    _mm("mm_term_order", "mtcars", "~ wt:hp + cyl + hp:wt:qsec + am",
        note="R orders terms by degree, then as written"),
]
