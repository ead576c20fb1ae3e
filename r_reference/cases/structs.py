"""The case spec of nlme's variance functions and correlation structures, as R code.

Shared by the gls and lme_struct catalogues (and by the Python side, which
reads the same specs from the goldens).

A structure is ``{"class": "<nlme class>", "args": {...}}``; each key of
``args`` is the R argument name (and the Python keyword). Values map to R as:

* a string starting with ``~``: a formula, written as is (``"~ 1 | Subject"``);
* any other string: an R string (``metric = "man"``);
* a number: an R number (``1.0`` is written ``1``); a bool: ``TRUE``/``FALSE``;
  ``None``: ``NULL``;
* a list: ``c(...)`` (one element: the bare element);
* a dict: a named vector ``c(Female = 0.5)``, except for ``fixed`` of
  ``varPower`` and ``varConstPower``, which is R's ``list(Male = 0.5)``
  (how nlme's book writes them; nlme unlists either). Names are written in
  sorted order: the goldens' JSON sorts keys, so the Python side sees only that
  order (the order is immaterial to nlme: it matches by name).

Arguments are written by name, in the order of the R function's formals
(``STRUCT_FORMALS``; the goldens' JSON sorts keys, so the written order must
not depend on the dict's). ``varComb`` is ``{"class": "varComb", "args":
{"parts": [spec, spec, ...]}}`` and is written ``varComb(p1, p2, ...)``.

``weights`` may also be a plain formula string (``"~ age"``: nlme's shortcut
for ``varFixed(~ age)``), written as is.
"""

from __future__ import annotations

import re
from typing import Any

#: R's formal arguments of each class's constructor, in R's order.
STRUCT_FORMALS: dict[str, tuple[str, ...]] = {
    "corAR1": ("value", "form", "fixed"),
    "corARMA": ("value", "form", "p", "q", "fixed"),
    "corCAR1": ("value", "form", "fixed"),
    "corCompSymm": ("value", "form", "fixed"),
    "corSymm": ("value", "form", "fixed"),
    "corExp": ("value", "form", "nugget", "metric", "fixed"),
    "corGaus": ("value", "form", "nugget", "metric", "fixed"),
    "corLin": ("value", "form", "nugget", "metric", "fixed"),
    "corRatio": ("value", "form", "nugget", "metric", "fixed"),
    "corSpher": ("value", "form", "nugget", "metric", "fixed"),
    "corIdent": ("form",),
    "varIdent": ("value", "form", "fixed"),
    "varPower": ("value", "form", "fixed"),
    "varExp": ("value", "form", "fixed"),
    "varConstPower": ("const", "power", "form", "fixed"),
    "varConstProp": ("const", "prop", "form", "fixed"),
    "varFixed": ("value",),
    "varComb": ("parts",),
}

#: Classes whose ``fixed`` dict is written as R's ``list(...)``.
LIST_FIXED = frozenset({"varPower", "varConstPower"})

_SYNTACTIC = re.compile(r"^[A-Za-z.][A-Za-z0-9._]*$")


def r_name(name: str) -> str:
    """A name as R code: backquoted when not syntactic."""
    if _SYNTACTIC.match(name) and not re.match(r"^\.[0-9]", name):
        return name
    return "`" + name.replace("`", "\\`") + "`"


def r_scalar(v: Any) -> str:
    """A scalar as R code (a ``~`` string is a formula, written as is)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return "NA"
        if v in (float("inf"), float("-inf")):
            return "Inf" if v > 0 else "-Inf"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, str):
        if v.lstrip().startswith("~"):
            return v
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"no R literal for {v!r}")


def r_arg_value(v: Any, *, as_list: bool = False) -> str:
    """A spec value as R code: scalar, ``c(...)`` of a list, named ``c(...)``
    (or ``list(...)`` with ``as_list``) of a dict."""
    if isinstance(v, dict):
        if "class" in v and "args" in v:
            return struct_r(v)
        inner = ", ".join(f"{r_name(k)} = {r_scalar(v[k])}" for k in sorted(v))
        return ("list(" if as_list else "c(") + inner + ")"
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return r_scalar(v[0])
        return "c(" + ", ".join(r_scalar(x) for x in v) + ")"
    return r_scalar(v)


def struct_r(spec: Any) -> str:
    """R code of a variance function / correlation structure spec
    (``varPower(form = ~pressure)``), or of a ``weights`` formula string."""
    if spec is None:
        return "NULL"
    if isinstance(spec, str):
        if not spec.lstrip().startswith("~"):
            raise ValueError(f"a structure given as a string must be a formula: {spec!r}")
        return spec
    if not isinstance(spec, dict) or "class" not in spec:
        raise TypeError(f"not a structure spec: {spec!r}")
    cls = spec["class"]
    args = dict(spec.get("args") or {})
    formals = STRUCT_FORMALS.get(cls)
    if formals is None:
        raise ValueError(f"unknown structure class {cls!r}")
    unknown = set(args) - set(formals)
    if unknown:
        raise ValueError(f"{cls}: unknown arguments {sorted(unknown)}")
    if cls == "varComb":
        parts = args.get("parts") or []
        if len(parts) < 1:
            raise ValueError("varComb needs at least one part")
        return "varComb(" + ", ".join(struct_r(p) for p in parts) + ")"
    out = []
    for name in formals:
        if name not in args:
            continue
        as_list = name == "fixed" and cls in LIST_FIXED
        out.append(f"{name} = {r_arg_value(args[name], as_list=as_list)}")
    return f"{cls}(" + ", ".join(out) + ")"


def control_r(fun: str, control: dict[str, Any] | None) -> str:
    """``glsControl(...)`` / ``lmeControl(...)`` of a dict of control arguments
    (sorted by name)."""
    control = control or {}
    return f"{fun}(" + ", ".join(f"{r_name(k)} = {r_arg_value(control[k])}"
                                 for k in sorted(control)) + ")"


# --------------------------------------------------------------------------
# the calls of the gls and lme_struct catalogues (shared: a gls case may
# compare with lme fits and the reverse)

#: The tight refits of a gls fit, by name (the golden's ``tight_candidates``
#: rows, after ``default``): glsControl arguments merged over the case's own
#: ``control``. gls passes nlminb only ``iter.max`` (not its tolerances), so
#: its refit can only raise limits and tighten the outer iteration of
#: ``fitted(.)`` variance functions; optim receives ``msTol`` as ``reltol``.
GLS_TIGHT_CONTROLS: dict[str, dict[str, Any]] = {
    "nlminb": {"msMaxIter": 1000, "maxIter": 500, "tolerance": 1e-10},
    "optim": {"opt": "optim", "optimMethod": "BFGS", "msTol": 1e-15, "msMaxIter": 10000,
              "maxIter": 500, "tolerance": 1e-10},
    "optim_nm": {"opt": "optim", "optimMethod": "Nelder-Mead", "msTol": 1e-15,
                 "msMaxIter": 20000, "maxIter": 500, "tolerance": 1e-10},
}


#: The tight refits of an lme_struct fit (and of lme fits compared with a
#: gls): lme.py's ``TIGHT_CONTROLS`` with optim's iterations capped
#: (``msMaxIter = 300``) and at most 5 outer iterations: with a ``fitted(.)``
#: variance function and a flat likelihood (BodyWeight's corExp with nugget)
#: lme.py's uncapped BFGS runs for many minutes without converging. The cap
#: is an iteration count, so the goldens do not depend on the machine's speed.
LME_TIGHT_CONTROLS: dict[str, str] = {
    "nlminb": (
        "lmeControl(msTol = 1e-14, tolerance = 1e-12, msMaxIter = 1000, "
        "msMaxEval = 10000, maxIter = 1000, niterEM = 100)"
    ),
    "optim": (
        "lmeControl(opt = \"optim\", msTol = 1e-15, tolerance = 1e-10, "
        "msMaxIter = 300, maxIter = 5, niterEM = 100)"
    ),
    "optim_ndeps": (
        "lmeControl(opt = \"optim\", msTol = 1e-15, tolerance = 1e-10, "
        "msMaxIter = 300, maxIter = 5, niterEM = 100, "
        "ndeps = rep(1e-4, length(coef({fit}$modelStruct))))"
    ),
}


def gls_call(args: dict[str, Any], data_name: str) -> str:
    """The ``gls(...)`` call a user would type (R's argument order)."""
    parts = [args["model"], f"data = {data_name}"]
    if args.get("correlation") is not None:
        parts.append(f"correlation = {struct_r(args['correlation'])}")
    if args.get("weights") is not None:
        parts.append(f"weights = {struct_r(args['weights'])}")
    if args.get("subset") is not None:
        parts.append(f"subset = {args['subset']}")
    if args.get("method") is not None:
        parts.append(f'method = "{args["method"]}"')
    if args.get("na_action") is not None:
        parts.append(f"na.action = {args['na_action']}")
    if args.get("control"):
        parts.append(f"control = {control_r('glsControl', args['control'])}")
    return "gls(" + ", ".join(parts) + ")"


def _pd(spec: dict[str, str]) -> str:
    return f"{spec['pdClass']}({spec['form']})"


def random_r(random: Any) -> str:
    """R text of an lme ``random`` (as in r_reference/cases/lme.py)."""
    if isinstance(random, str):
        return random
    if isinstance(random, dict) and "pdClass" in random:
        return _pd(random)
    if isinstance(random, dict):
        parts = [f"{level} = {spec if isinstance(spec, str) else _pd(spec)}"
                 for level, spec in random.items()]
        return "list(" + ", ".join(parts) + ")"
    raise TypeError(f"unsupported random specification: {random!r}")


def lme_call(args: dict[str, Any], data_name: str) -> str:
    """The ``lme(...)`` call a user would type: ``fixed``, ``random``,
    ``data``, then R's order of the rest."""
    parts = [args["fixed"]]
    if args.get("random") is not None:
        parts.append(f"random = {random_r(args['random'])}")
    parts.append(f"data = {data_name}")
    if args.get("correlation") is not None:
        parts.append(f"correlation = {struct_r(args['correlation'])}")
    if args.get("weights") is not None:
        parts.append(f"weights = {struct_r(args['weights'])}")
    if args.get("subset") is not None:
        parts.append(f"subset = {args['subset']}")
    if args.get("method") is not None:
        parts.append(f'method = "{args["method"]}"')
    if args.get("na_action") is not None:
        parts.append(f"na.action = {args['na_action']}")
    if args.get("control"):
        parts.append(f"control = {control_r('lmeControl', args['control'])}")
    if args.get("contrasts"):
        inner = ", ".join(f"{r_name(k)} = {r_scalar(v)}"
                          for k, v in sorted(args["contrasts"].items()))
        parts.append(f"contrasts = list({inner})")
    return "lme(" + ", ".join(parts) + ")"


def fit_call(kind: str, args: dict[str, Any], data_name: str) -> str:
    """The call of a fit of kind ``"gls"`` or ``"lme"``."""
    if kind == "gls":
        return gls_call(args, data_name)
    if kind in ("lme", "lme_struct"):
        return lme_call(args, data_name)
    raise ValueError(f"no fit kind {kind!r}")


def tight_lines(fit: str, kind: str, control: dict[str, Any] | None = None) -> list[str]:
    """R lines binding ``<fit>_tight_<name>`` for every tight control and
    ``<fit>_tight``: of the default fit and these, the one of highest logLik."""
    lines = []
    if kind == "gls":
        cls = "gls"
        names = list(GLS_TIGHT_CONTROLS)
        for name, tc in GLS_TIGHT_CONTROLS.items():
            merged = {**(control or {}), **tc}
            lines.append(f"{fit}_tight_{name} <- try(update({fit}, control = "
                         f"{control_r('glsControl', merged)}), silent = TRUE)")
    else:
        if control:
            raise ValueError("lme fits with their own control have no tight refit here")
        cls = "lme"
        names = list(LME_TIGHT_CONTROLS)
        for name, text in LME_TIGHT_CONTROLS.items():
            lines.append(f"{fit}_tight_{name} <- try(update({fit}, control = "
                         f"{text.format(fit=fit)}), silent = TRUE)")
    cands = ", ".join([f"default = {fit}"] + [f"{n} = {fit}_tight_{n}" for n in names])
    lines.append(f"{fit}_tight_fits <- Filter(function(f) inherits(f, \"{cls}\"), list({cands}))")
    lines.append(f"{fit}_tight <- {fit}_tight_fits[[which.max(sapply({fit}_tight_fits, logLik))]]")
    return lines


def fit_names(case: Any) -> list[str]:
    """The R names of the case's fit and its compared fits, in anova order."""
    names = [case.extra.get("fit_name") or "fit"]
    for k, other in enumerate(case.extra.get("compare") or [], start=2):
        names.append(other.get("name") or f"fit{k}")
    return names


def anova_compare_call(case: Any) -> str | None:
    """``anova(fit, fit2, ...)`` of a comparison case, or None: the fits in
    the order of ``extra["anova_order"]`` (their R names; default: the fit,
    then the compared fits), ``test = FALSE`` when ``extra["anova_test"]`` is
    false."""
    if not case.extra.get("compare"):
        return None
    test = "" if case.extra.get("anova_test", True) else ", test = FALSE"
    order = case.extra.get("anova_order") or fit_names(case)
    return "anova(" + ", ".join(order) + test + ")"


def anova_test_calls(case: Any) -> list[str]:
    """``anova(fit, L = ...)`` / ``anova(fit, Terms = ...)`` of the case's
    ``extra["anova_tests"]`` (each a dict of anova arguments)."""
    name = fit_names(case)[0]
    out = []
    for test in case.extra.get("anova_tests") or []:
        args = ", ".join(f"{k} = {r_arg_value(test[k])}" for k in sorted(test))
        out.append(f"anova({name}, {args})")
    return out


def r_code(case: Any, kind: str) -> str:
    """The R code of a gls / lme_struct case: the fit (``fit``), its tight
    refits, the compared fits ``fit2``, ... (each of its own ``kind``) with
    theirs, and the anova calls."""
    lines = ["library(nlme)"]
    names = fit_names(case)
    call = fit_call(kind, case.args, case.data_name)
    if case.extra.get("fit_name"):
        lines += [f"{names[0]} <- {call}", f"fit <- {names[0]}"]
    else:
        lines.append(f"fit <- {call}")
    lines += tight_lines("fit", kind, case.args.get("control"))
    for k, other in enumerate(case.extra.get("compare") or [], start=2):
        okind = other["kind"]
        ocall = fit_call(okind, other["args"], case.data_name)
        if other.get("name"):
            lines += [f"{other['name']} <- {ocall}", f"fit{k} <- {other['name']}"]
        else:
            lines.append(f"fit{k} <- {ocall}")
        lines += tight_lines(f"fit{k}", okind, other["args"].get("control"))
    cmp = anova_compare_call(case)
    if cmp:
        lines.append(cmp)
    lines += anova_test_calls(case)
    return "\n".join(lines)
