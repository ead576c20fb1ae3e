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

#: Found by the differential tests (tests/live_r/test_differential_lme.py)
#: a large group variance (psi = 7e5) with a wide-ranged covariate: hlm_py's
#: Newton ended at the optimum with its gradient at rounding noise and raised
#: ConvergenceError, while nlme converged
PROP_NESTED_LARGE_PSI = 'data.frame(y = c(-435.80239469452715, -1060.967090940708, -1056.5826177694446, -1058.786304564942, -1112.9069620910745, -1181.2815385244862, -1073.876444710182, -240.33013501882695, 515.7946396355496, 197.71757998642047, -79.69299613588484, -14.1875212256085, -13.411441439622909, -12.262993713108552, -18.346109849125913, 1090.7940332498035, 1088.653869899689, 1449.3263401060597, 1451.5533363121185, 1450.165520983836, 1450.4779710748574, 1453.08381547076, 1450.3179500323831, -302.16080645582167, -303.03811462640505, -300.7396550152233, -1405.7976589342948, 328.7920261048798, 328.4539697441691, -1527.2344364950677, -533.4104810627554, -1452.724678192812, -1316.1113932471424, -1447.325813775216), x1 = c(0.07333314073607682, -0.22181957396544438, 10.774032062498854, 0.2145535510182488, -109.95611481911286, -236.96290319742786, -27.917887891316475, -871.9593243432698, 641.2017848777566, 1.9671318367846466, -550.0261409009364, 0.061580671026605, 0.024534006939615445, 3.464724235586015, -7.665272956390691, 0.1790454018562437, -8.636474581958932, -2.9575424957632785, 0.47918607246967476, -0.7486447517471452, -1.9721142462137484, 5.398641171603937, -0.1518602812091294, 0.00029279929299271803, -0.0015000279318162174, 0.037466562559299754, -1888.1421314520162, -0.0013409221106305707, -0.009346635717546684, -161.12831718928535, 1827.306195611684, -14.164966193693127, 259.46891680082007, 0.00046318548386792605), x2 = c(1.0467119971252443, 0.18206523950951975, 0.7179585934282078, -1.4317317516387464, -1.6786410747982947, 0.0034677503615693026, 0.006398934858445076, 0.3156818181985479, -1.5329995329653427, 1.2569145960156418, -0.7853267313842851, -0.6591408970363882, -0.2356885435148426, 1.6465166309545316, 0.3562638019131807, 0.014654258445999276, -0.6839263048836968, 0.450502329672382, -1.959036397465436, -0.13214359502464468, -0.3679659308831673, -0.8257548898026575, 0.8373688108496059, -0.8698340433754175, 2.2044797699577376, 1.4626698299020258, -0.25759349407955645, 0.22387765451383773, -1.086010131842748, -0.030393723462602756, -1.154456276483736, -0.2420860773585863, -0.12190288519834154, 1.012378031094134), x3 = c(0.09978254036324428, -0.27702298267238545, 0.36640594702226514, -0.22592786736976952, 1.1743350585037282, 0.34162985982145067, -0.7741839092955111, 0.35647964783638963, -0.32393275620292195, 1.8151767052025412, -0.42812380059667643, 0.5279721621137604, 1.507254631369081, 1.0673541431097235, 0.6589378107601838, 2.6416629444876896, 0.3413952113588983, 0.8292003964404322, -1.5664391159301612, 0.8703385760131873, 0.20036568523551784, -1.3976740871116766, -0.3183023310303161, -1.776808359431084, 1.827542861667425, 0.2840449440913795, 0.9300245261063915, -0.08684666267886751, 0.8909317923388591, -0.9660217107387944, -0.29134870299149107, 1.0659742973736894, 0.6615422624828499, 0.9792053843840819), f = factor(c("L1", "L2", "L1", "L1", "L1", "L2", "L1", "L1", "L1", "L2", "L1", "L1", "L1", "L2", "L2", "L1", "L2", "L2", "L2", "L1", "L2", "L2", "L1", "L1", "L1", "L1", "L1", "L1", "L1", "L1", "L2", "L2", "L1", "L1"), levels = c("L1", "L2")), g = factor(c("G1", "G2", "G2", "G2", "G2", "G2", "G2", "G3", "G3", "G3", "G3", "G4", "G4", "G4", "G4", "G5", "G5", "G6", "G6", "G6", "G6", "G6", "G6", "G7", "G7", "G7", "G8", "G9", "G9", "G10", "G10", "G10", "G10", "G10"), levels = c("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9", "G10")), h = factor(c("a", "a", "a", "a", "a", "a", "a", "a", "b", "b", "a", "a", "a", "a", "a", "b", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "b", "a", "b"), levels = c("a", "b")), xc = c(0.14666628147215363, -0.44363914793088877, 21.54806412499771, 0.4291071020364976, -219.9122296382257, -473.9258063948557, -55.83577578263295, -1743.9186486865397, 1282.4035697555132, 3.9342636735692933, -1100.0522818018728, 0.12316134205321, 0.04906801387923089, 6.92944847117203, -15.330545912781382, 0.3580908037124874, -17.272949163917865, -5.915084991526557, 0.9583721449393495, -1.4972895034942904, -3.944228492427497, 10.797282343207874, -0.3037205624182588, 0.0005855985859854361, -0.003000055863632435, 0.07493312511859951, -3776.2842629040324, -0.0026818442212611414, -0.01869327143509337, -322.2566343785707, 3654.612391223368, -28.329932387386254, 518.9378336016401, 0.0009263709677358521), check.names = FALSE, stringsAsFactors = FALSE)'
#: a random slope on a covariate spanning 1e-3..1e3 within groups: the
#: per-group cross-products lose digits, and hlm_py fits on the QR
#: elimination (difference P7)
WIDE_SLOPE = (
    "local({ set.seed(17); n <- 60; g <- c(1:6, sample(6, n - 6, TRUE)); "
    "x <- sample(c(-1, 1), n, TRUE) * 10^runif(n, -3, 3); "
    "y <- 1 + 0.5 * x + rnorm(6)[g] + rnorm(6)[g] * x + rnorm(n); "
    "data.frame(y = y, x = x, g = factor(paste0(\"G\", g))) })"
)
#: two covariates near 1e4 and their product: the column-scaled condition
#: number is 3e7; nlme fits it (its rank tolerance is sqrt(eps) on the whitened
#: design) and hlm_py refused it (a condition-number rule)
NEAR_1E4_INTERACTION = 'data.frame(y = c(-2.1317, -1.653, -2.7737, 0.0788, -4.0639, 3.228, 1.1887, -0.8324, -2.5828, -1.6189, 3.4518, -0.9866, -0.9834, -2.7028, -1.3368, 4.7728, -1.3746, -1.9467, 0.9496, 4.931, -3.0302, 3.0901, -3.1394, -3.6995, 0.9302, -2.2801, 1.6641, 0.4939, 0.3807, 1.4493, -0.7562, -4.1138, -1.4118, 4.2512, 1.6316, -0.8044, -1.2404, 0.6463, 2.7352, 1.1145), x1 = c(9996.034, 9996.87, 9993.611, 10006.285, 9999.23, 10004.83, 10000.067, 9996.528, 9998.367, 9997.199, 10000.04, 9998.124, 9998.5, 9993.107, 9995.966, 10008.27, 9996.644, 9994.73, 10001.687, 10007.036, 9992.73, 9998.957, 9996.84, 9991.195, 10003.675, 9999.883, 10000.357, 9996.238, 10002.274, 9997.304, 9999.285, 9994.459, 9993.919, 10006.678, 9997.464, 10001.458, 9999.831, 9997.794, 9997.46, 10003.15), x2 = c(9998.491, 9999.243, 10000.111, 10005.883, 10003.403, 10001.913, 9997.182, 9993.09, 10004.748, 10004.832, 9999.296, 10002.709, 10003.907, 10004.156, 10004.607, 9997.722, 10007.575, 9993.767, 10004.309, 10002.47, 10004.368, 10009.395, 10007.422, 9994.274, 9991.557, 10004.084, 9994.925, 9999.938, 10004.199, 9991.781, 9989.45, 10001.296, 10000.222, 9998.771, 10000.193, 9995.697, 9992.433, 9999.167, 9995.141, 9991.783), g = factor(c("s1", "s2", "s3", "s4", "s5", "s6", "s3", "s4", "s1", "s4", "s6", "s5", "s5", "s5", "s3", "s2", "s1", "s5", "s2", "s6", "s3", "s6", "s1", "s1", "s3", "s1", "s3", "s4", "s4", "s2", "s1", "s4", "s4", "s6", "s6", "s3", "s1", "s2", "s6", "s3"), levels = c("s1", "s2", "s3", "s4", "s5", "s6")))'


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
    # --- found by the property tests -----------------------------------------------
    _case("prop_nested_large_group_variance", PROP_NESTED_LARGE_PSI, "d", "y ~ x1 + x2",
          "~ 1 | g/h", note="found by a property test: psi = 7e5, nested, a wide covariate"),
    _case("near_1e4_interaction", NEAR_1E4_INTERACTION, "d", "y ~ x2 * x1", "~ 1 | g",
          note="covariates near 1e4 and their product: nearly singular, nlme fits it"),
    _case("wide_random_slope", WIDE_SLOPE, "wide", "y ~ x", "~ x | g",
          note="a random slope on a covariate spanning 1e-3..1e3 within groups (P7)"),
]
