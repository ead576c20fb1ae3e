"""The lme catalogue: cases for ``nlme::lme`` and the R code each one runs.

Every case is run in R with its default control (``fit``, what a user sees
printed) and refitted with tighter controls (``TIGHT_CONTROLS``: nlminb with
raised limits, optim's BFGS with a tiny ``reltol``, the same with finer
difference steps). ``fit_tight`` is the one of all these fits with the highest
log-likelihood -- the best optimum R reaches -- and the golden records every
candidate's log-likelihood and which one won. Comparison fits ``fit2``, ...
are tightened the same way (``fit2_tight``).

``Case.args`` for lme (shared by the R and the Python side):

``fixed``   the fixed-effects formula, as R text (``"mathach ~ 1"``)
``random``  one of
            * a formula string ``"~ 1 | id"``, ``"~ 1 | Block/Variety"``;
            * a pd object ``{"pdClass": "pdDiag", "form": "~ age"}`` (the
              grouping then comes from a ``groupedData``: see
              ``extra["groupedData"]``);
            * a dict level -> formula string or pd object, outer to inner:
              ``{"Dog": "~ day", "Side": "~ 1"}``,
              ``{"Subject": {"pdClass": "pdDiag", "form": "~ age"}}``.
``method``  ``"REML"`` or ``"ML"``; absent means R's default (REML), and the
            R code then omits it as a user would.

``Case.extra`` keys:

``fit_name``     the name the seed binds the fit to (``model1``); the R code
                 uses it, then binds ``fit`` to it.
``compare``      a list of further fits (each an ``args`` dict as above) on
                 the same data, bound to ``fit2``, ``fit3``, ...; the golden
                 then records ``anova(fit, fit2, ...)``.
``groupedData``  the ``groupedData`` formula of the data, when the case's
                 ``random`` has no grouping of its own.
"""

from __future__ import annotations

from typing import Any

from r_reference.cases import Case

KIND = "lme"

#: The control of the nlminb refit. nlminb (lme's default optimiser) does not
#: receive msTol, and it differentiates numerically with steps too coarse to
#: go further: the raised limits and the longer EM start are what tighten it.
TIGHT_CONTROL = (
    "lmeControl(msTol = 1e-14, tolerance = 1e-12, msMaxIter = 1000, "
    "msMaxEval = 10000, maxIter = 1000, niterEM = 100)"
)

#: optim's BFGS: ``msTol`` is optim's ``reltol`` on the first (here the only)
#: outer iteration, so this one does receive it.
TIGHT_CONTROL_OPTIM = (
    "lmeControl(opt = \"optim\", msTol = 1e-15, tolerance = 1e-12, "
    "msMaxIter = 10000, maxIter = 1000, niterEM = 100)"
)

#: The same with optim's difference steps 1e-4 instead of 1e-3 (optim's
#: numerical gradient then errs less, so BFGS stops nearer the optimum).
TIGHT_CONTROL_OPTIM_NDEPS = (
    "lmeControl(opt = \"optim\", msTol = 1e-15, tolerance = 1e-12, "
    "msMaxIter = 10000, maxIter = 1000, niterEM = 100, "
    "ndeps = rep(1e-4, length(coef({fit}$modelStruct))))"
)

#: The tight refits, by name (the golden's ``tight_candidates`` rows, after
#: ``default``); ``{fit}`` is the name of the fit refitted.
TIGHT_CONTROLS = {
    "nlminb": TIGHT_CONTROL,
    "optim": TIGHT_CONTROL_OPTIM,
    "optim_ndeps": TIGHT_CONTROL_OPTIM_NDEPS,
}


def tight_lines(fit: str) -> list[str]:
    """R lines binding ``<fit>_tight_<name>`` for every tight control and
    ``<fit>_tight``: the fit (default one included) of highest logLik."""
    lines = []
    for name, control in TIGHT_CONTROLS.items():
        lines.append(f"{fit}_tight_{name} <- try(update({fit}, control = "
                     f"{control.format(fit=fit)}), silent = TRUE)")
    cands = ", ".join([f"default = {fit}"] + [f"{n} = {fit}_tight_{n}" for n in TIGHT_CONTROLS])
    lines.append(f"{fit}_tight_fits <- Filter(function(f) inherits(f, \"lme\"), list({cands}))")
    lines.append(f"{fit}_tight <- {fit}_tight_fits[[which.max(sapply({fit}_tight_fits, logLik))]]")
    return lines


#: The seed's ``hsb``: mlmRev::Hsb82 under the seed's column names (the same
#: expression as the shipped data set ``hsb``, r_reference/export_datasets.py).
HSB_DATA = (
    "with(mlmRev::Hsb82, data.frame(id = school, minority = minrty, female = sx, "
    "ses = ses, mathach = mAch, meanses = meanses, sector = sector, cses = cses))"
)


def _pd(spec: dict[str, str]) -> str:
    return f"{spec['pdClass']}({spec['form']})"


def random_r(random: Any) -> str:
    """R text of a case's ``random`` argument."""
    if isinstance(random, str):
        return random
    if isinstance(random, dict) and "pdClass" in random:
        return _pd(random)
    if isinstance(random, dict):
        parts = []
        for level, spec in random.items():
            parts.append(f"{level} = {spec if isinstance(spec, str) else _pd(spec)}")
        return "list(" + ", ".join(parts) + ")"
    raise TypeError(f"unsupported random specification: {random!r}")


def lme_call(args: dict[str, Any], data_name: str) -> str:
    """The ``lme(...)`` call a user would type for ``args``."""
    parts = [args["fixed"]]
    if args.get("random") is not None:
        parts.append(f"random = {random_r(args['random'])}")
    parts.append(f"data = {data_name}")
    if args.get("method") is not None:
        parts.append(f'method = "{args["method"]}"')
    return "lme(" + ", ".join(parts) + ")"


def r_code(case: Case) -> str:
    """The R code of a case: the default fit ``fit``, the tight refits
    (``tight_lines``) and, for comparison cases, ``fit2``, ... and ``anova``."""
    lines = ["library(nlme)"]
    name = case.extra.get("fit_name")
    if name:
        lines.append(f"{name} <- {lme_call(case.args, case.data_name)}")
        lines.append(f"fit <- {name}")
    else:
        lines.append(f"fit <- {lme_call(case.args, case.data_name)}")
    lines.extend(tight_lines("fit"))
    others = case.extra.get("compare") or []
    for k, args in enumerate(others, start=2):
        lines.append(f"fit{k} <- {lme_call(args, case.data_name)}")
        lines.extend(tight_lines(f"fit{k}"))
    if others:
        lines.append("anova(" + ", ".join(["fit"] + [f"fit{k}" for k in range(2, len(others) + 2)]) + ")")
    return "\n".join(lines)


def _case(name: str, data: str, data_name: str, fixed: str, random: Any,
          method: str | None = None, *, newdata: dict[str, list[Any]] | None = None,
          note: str = "", seed: str | None = None, **extra: Any) -> Case:
    args: dict[str, Any] = {"fixed": fixed, "random": random}
    if method is not None:
        args["method"] = method
    return Case(name=name, kind=KIND, data=data, data_name=data_name, args=args,
                newdata=newdata, seed=seed, note=note, extra=extra)


def _args(fixed: str, random: Any, method: str | None = None) -> dict[str, Any]:
    a: dict[str, Any] = {"fixed": fixed, "random": random}
    if method is not None:
        a["method"] = method
    return a


ORTH = "as.data.frame(nlme::Orthodont)"
SLEEP = "lme4::sleepstudy"

# Synthetic data, generated in R with a fixed seed.
SYN_UNBALANCED = (
    "local({ set.seed(20240501); n_g <- 40; "
    "sizes <- c(rep(1L, 8), sample(2:12, n_g - 8, replace = TRUE)); "
    "g <- factor(rep(sprintf(\"g%02d\", seq_len(n_g)), times = sizes)); "
    "x <- round(runif(length(g), 0, 10), 2); "
    "b0 <- rnorm(n_g, 0, 2)[as.integer(g)]; b1 <- rnorm(n_g, 0, 0.3)[as.integer(g)]; "
    "y <- round(5 + b0 + (0.8 + b1) * x + rnorm(length(g), 0, 1.5), 3); "
    "data.frame(y = y, x = x, g = g) })"
)
SYN_BOUNDARY = (
    "local({ set.seed(7); g <- factor(rep(1:12, each = 5)); "
    "x <- rnorm(60); y <- round(2 + 0.5 * x + rnorm(60), 3); "
    "m <- ave(y, g); y <- round(y - 0.9 * (m - mean(y)), 3); "
    "data.frame(y = y, x = x, g = g) })"
)
SYN_THREE_LEVEL = (
    "local({ set.seed(11); ns <- 15; "
    "cls <- sample(1:4, ns, replace = TRUE); "
    "school <- rep(seq_len(ns), cls); class <- sequence(cls); "
    "m <- sample(1:9, length(school), replace = TRUE); "
    "d <- data.frame(school = factor(rep(school, m)), class = factor(rep(class, m))); "
    "u <- rnorm(ns, 0, 1.5); v <- rnorm(length(school), 0, 1); "
    "ci <- rep(seq_along(school), m); d$x <- round(rnorm(nrow(d)), 3); "
    "d$y <- round(10 + u[as.integer(d$school)] + v[ci] + 0.7 * d$x + rnorm(nrow(d)), 3); d })"
)
SYN_MULTI = (
    "local({ set.seed(3); n_g <- 25; m <- 8; g <- factor(rep(seq_len(n_g), each = m)); "
    "x1 <- round(rnorm(n_g * m), 3); x2 <- round(runif(n_g * m, -1, 1), 3); "
    "B <- matrix(rnorm(3 * n_g), n_g) %*% diag(c(1.5, 0.6, 0.4)); "
    "y <- round(1 + B[g, 1] + (0.5 + B[g, 2]) * x1 + (-1 + B[g, 3]) * x2 + rnorm(n_g * m, 0, 0.8), 3); "
    "data.frame(y = y, x1 = x1, x2 = x2, g = g) })"
)
SYN_FACTOR = (
    "local({ set.seed(5); n_g <- 20; g <- factor(rep(sprintf(\"s%02d\", 1:n_g), each = 9)); "
    "trt <- factor(rep(rep(c(\"a\", \"b\", \"c\"), each = 3), n_g)); "
    "u <- matrix(rnorm(3 * n_g, 0, 1), n_g); "
    "y <- round(3 + c(0, 1, -0.5)[as.integer(trt)] + u[cbind(as.integer(g), as.integer(trt))] "
    "+ rnorm(9 * n_g, 0, 0.7), 3); data.frame(y = y, trt = trt, g = g) })"
)

CASES: list[Case] = [
    # --- the seed and Raudenbush & Bryk's next models on the same data -------
    _case("hsb_empty_seed", HSB_DATA, "hsb", "mathach ~ 1", "~ 1 | id",
          seed="002_7dcac4abebd13fb0", fit_name="model1",
          note="the seed: empty model (R&B Table 4.2), printed summary and VarCorr",
          newdata={"id": ["1224", "9586", "0000"]}),
    _case("hsb_means_as_outcomes", HSB_DATA, "hsb", "mathach ~ meanses", "~ 1 | id",
          note="R&B means-as-outcomes model"),
    _case("hsb_random_coefficients", HSB_DATA, "hsb", "mathach ~ cses", "~ cses | id",
          note="R&B one-way ANCOVA with random coefficients"),
    _case("hsb_intercepts_slopes", HSB_DATA, "hsb", "mathach ~ meanses*cses + sector*cses",
          "~ cses | id", note="R&B intercepts- and slopes-as-outcomes",
          newdata={"meanses": [-0.5, 0.2, 0.1], "cses": [1.0, -0.3, 0.0],
                   "sector": ["Public", "Catholic", "Catholic"], "id": ["1224", "9586", "0000"]}),
    _case("hsb_empty_ml", HSB_DATA, "hsb", "mathach ~ 1", "~ 1 | id", "ML",
          note="the seed's model under ML"),
    _case("hsb_compare_ml", HSB_DATA, "hsb", "mathach ~ 1", "~ 1 | id", "ML",
          compare=[_args("mathach ~ meanses", "~ 1 | id", "ML"),
                   _args("mathach ~ meanses + sector", "~ 1 | id", "ML")],
          note="LRT of nested fixed effects, ML, three fits"),
    _case("Hsb82_empty", "mlmRev::Hsb82", "Hsb82", "mAch ~ 1", "~ 1 | school",
          note="the seed's model in Hsb82's own spelling (ordered school factor)"),
    _case("Hsb82_intercepts_slopes", "mlmRev::Hsb82", "Hsb82",
          "mAch ~ meanses*cses + sector*cses", "~ cses | school", "ML",
          note="intercepts- and slopes-as-outcomes on Hsb82, ML"),
    # --- Orthodont ------------------------------------------------------------
    _case("orthodont_intercept", ORTH, "Orthodont", "distance ~ age", "~ 1 | Subject",
          note="random intercept, REML"),
    _case("orthodont_slope", ORTH, "Orthodont", "distance ~ age", "~ age | Subject",
          newdata={"age": [8, 10, 12, 14], "Subject": ["M01", "F05", "M16", "X99"]},
          note="random intercept and slope, pdLogChol; newdata with an unseen subject"),
    _case("orthodont_slope_ml", ORTH, "Orthodont", "distance ~ age", "~ age | Subject", "ML",
          note="random slope under ML"),
    _case("orthodont_pdSymm", ORTH, "Orthodont", "distance ~ age",
          {"Subject": {"pdClass": "pdSymm", "form": "~ age"}},
          note="pdSymm: same optimum as pdLogChol, other parametrisation"),
    _case("orthodont_pdDiag", ORTH, "Orthodont", "distance ~ age",
          {"Subject": {"pdClass": "pdDiag", "form": "~ age"}}, note="pdDiag in a named list"),
    _case("orthodont_pdDiag_grouped", "nlme::Orthodont", "Orthodont", "distance ~ age",
          {"pdClass": "pdDiag", "form": "~ age"},
          groupedData="distance ~ age | Subject",
          note="bare pdDiag: grouping from the groupedData formula"),
    _case("orthodont_pdIdent", ORTH, "Orthodont", "distance ~ age",
          {"Subject": {"pdClass": "pdIdent", "form": "~ age"}}, "ML", note="pdIdent, ML"),
    _case("orthodont_pdCompSymm", ORTH, "Orthodont", "distance ~ age + Sex",
          {"Subject": {"pdClass": "pdCompSymm", "form": "~ age"}}, note="pdCompSymm"),
    _case("orthodont_sex_interaction_ml", ORTH, "Orthodont", "distance ~ age * Sex",
          "~ I(age - 11) | Subject", "ML",
          newdata={"age": [8, 14], "Sex": ["Male", "Female"], "Subject": ["M02", "F11"]},
          note="I() in the random part, interaction in the fixed part, ML"),
    _case("orthodont_compare_random_reml", ORTH, "Orthodont", "distance ~ age + Sex",
          "~ 1 | Subject", compare=[_args("distance ~ age + Sex", "~ age | Subject")],
          note="REML LRT of random parts with the same fixed effects"),
    _case("orthodont_compare_fixed_reml_refused", ORTH, "Orthodont", "distance ~ age + Sex",
          "~ age | Subject", compare=[_args("distance ~ age", "~ age | Subject")],
          note="nlme warns that REML comparisons with different fixed effects are not meaningful"),
    _case("orthodont_compare_fixed_ml", ORTH, "Orthodont", "distance ~ age + Sex",
          "~ age | Subject", "ML", compare=[_args("distance ~ age", "~ age | Subject", "ML")],
          note="ML LRT of nested fixed effects"),
    # --- sleepstudy (lme4) ----------------------------------------------------
    _case("sleepstudy_slope", SLEEP, "sleepstudy", "Reaction ~ Days", "~ Days | Subject",
          newdata={"Days": [0, 5, 9], "Subject": ["308", "335", "999"]},
          note="random slope, REML"),
    _case("sleepstudy_pdDiag_ml", SLEEP, "sleepstudy", "Reaction ~ Days",
          {"Subject": {"pdClass": "pdDiag", "form": "~ Days"}}, "ML",
          note="uncorrelated random effects, ML"),
    _case("sleepstudy_poly_random", SLEEP, "sleepstudy", "Reaction ~ poly(Days, 2)",
          "~ poly(Days, 2) | Subject", note="poly() in fixed and random parts"),
    _case("sleepstudy_compare_random_reml", SLEEP, "sleepstudy", "Reaction ~ Days",
          "~ Days | Subject",
          compare=[_args("Reaction ~ Days", {"Subject": {"pdClass": "pdDiag", "form": "~ Days"}}),
                   _args("Reaction ~ Days", "~ 1 | Subject")],
          note="REML comparison of three random parts"),
    # --- Pinheiro & Bates data ------------------------------------------------
    _case("rail", "as.data.frame(nlme::Rail)", "Rail", "travel ~ 1", "~ 1 | Rail",
          note="one-way random effects"),
    _case("rail_ml", "as.data.frame(nlme::Rail)", "Rail", "travel ~ 1", "~ 1 | Rail", "ML",
          note="one-way random effects, ML"),
    _case("ergoStool", "as.data.frame(nlme::ergoStool)", "ergoStool", "effort ~ Type",
          "~ 1 | Subject",
          newdata={"Type": ["T1", "T2", "T3", "T4"], "Subject": ["1", "2", "9", "10"]},
          note="randomized block, factor fixed effect"),
    _case("machines_nested", "as.data.frame(nlme::Machines)", "Machines", "score ~ Machine",
          "~ 1 | Worker/Machine",
          newdata={"Machine": ["A", "B", "C"], "Worker": ["1", "6", "6"]},
          note="two nested levels"),
    _case("machines_factor_random", "as.data.frame(nlme::Machines)", "Machines",
          "score ~ Machine", "~ Machine - 1 | Worker",
          note="a factor in the random part: 3x3 general covariance"),
    _case("machines_pdCompSymm", "as.data.frame(nlme::Machines)", "Machines", "score ~ Machine",
          {"Worker": {"pdClass": "pdCompSymm", "form": "~ Machine - 1"}},
          note="compound symmetry over a factor's columns"),
    _case("oats_nested", "as.data.frame(nlme::Oats)", "Oats", "yield ~ nitro",
          "~ 1 | Block/Variety",
          newdata={"nitro": [0.0, 0.6], "Block": ["I", "VI"], "Variety": ["Victory", "Marvellous"]},
          note="split plot: Variety within Block"),
    _case("oats_nested_ml", "as.data.frame(nlme::Oats)", "Oats", "yield ~ Variety + nitro",
          {"Block": "~ 1", "Variety": "~ 1"}, "ML",
          note="the nested levels as a list, ML"),
    _case("pixel", "as.data.frame(nlme::Pixel)", "Pixel", "pixel ~ day + I(day^2)",
          {"Dog": "~ day", "Side": "~ 1"},
          note="different formulas per level (P&B 4.3)"),
    _case("dyestuff", "lme4::Dyestuff", "Dyestuff", "Yield ~ 1", "~ 1 | Batch",
          note="one-way random effects (lme4 data)"),
    _case("dyestuff2_boundary", "lme4::Dyestuff2", "Dyestuff2", "Yield ~ 1", "~ 1 | Batch",
          note="between-batch variance estimate at the boundary (near zero)"),
    _case("bodyweight", "as.data.frame(nlme::BodyWeight)", "BodyWeight", "weight ~ Time * Diet",
          "~ Time | Rat", note="random slopes with a factor interaction"),
    _case("assay", "as.data.frame(nlme::Assay)", "Assay", "logDens ~ sample * dilut",
          "~ 1 | Block/sample", note="two nested levels, two-way factorial fixed effects"),
    _case("alfalfa", "as.data.frame(nlme::Alfalfa)", "Alfalfa", "Yield ~ Date",
          "~ 1 | Block/Variety", note="split plot (P&B)"),
    # --- synthetic ------------------------------------------------------------
    _case("synthetic_unbalanced_singletons", SYN_UNBALANCED, "unbalanced", "y ~ x", "~ x | g",
          note="unbalanced groups, eight of one observation"),
    _case("synthetic_unbalanced_singletons_ml", SYN_UNBALANCED, "unbalanced", "y ~ x",
          "~ 1 | g", "ML", note="unbalanced groups, random intercept, ML"),
    _case("synthetic_boundary", SYN_BOUNDARY, "boundary", "y ~ x", "~ 1 | g",
          note="group means shrunk below chance: the random SD goes to zero"),
    _case("synthetic_boundary_ml", SYN_BOUNDARY, "boundary", "y ~ x", "~ 1 | g", "ML",
          note="boundary under ML"),
    _case("synthetic_three_level", SYN_THREE_LEVEL, "nested3", "y ~ x", "~ 1 | school/class",
          note="unbalanced nesting, classes of one pupil"),
    _case("synthetic_pdDiag_two_slopes", SYN_MULTI, "multi", "y ~ x1 + x2",
          {"g": {"pdClass": "pdDiag", "form": "~ x1 + x2"}}, "ML",
          note="three uncorrelated random effects, ML"),
    _case("synthetic_pdSymm_two_slopes", SYN_MULTI, "multi", "y ~ x1 + x2", "~ x1 + x2 | g",
          note="3x3 general covariance (pdLogChol)"),
    _case("synthetic_pdIdent", SYN_MULTI, "multi", "y ~ x1 + x2",
          {"g": {"pdClass": "pdIdent", "form": "~ x1 + x2 - 1"}},
          note="pdIdent over two slopes without intercept"),
    _case("synthetic_factor_random_pdDiag", SYN_FACTOR, "trial", "y ~ trt",
          {"g": {"pdClass": "pdDiag", "form": "~ trt"}},
          note="a factor's contrast columns in pdDiag"),
    _case("synthetic_compare_fixed_ml", SYN_MULTI, "multi", "y ~ x1", "~ 1 | g", "ML",
          compare=[_args("y ~ x1 + x2", "~ 1 | g", "ML")],
          note="ML LRT, one added fixed effect"),
]
