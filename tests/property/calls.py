"""One spec, two languages: the R call and the hlm_py call of a drawn problem.

The R code text returned here is what the differential tests run in R *and*
what the reproducer prints; the Python text is what the reproducer prints and
mirrors exactly the direct call the tests make (``fit_lm`` & co.).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from strategies import Problem


def _r_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def r_contrasts(con: dict[str, str] | None) -> str:
    if not con:
        return ""
    return "list(" + ", ".join(f"{_r_name(k)} = {_r_str(v)}" for k, v in con.items()) + ")"


def _r_name(name: str) -> str:
    return name if name.isidentifier() else f"`{name}`"


def lm_r_call(p: Problem, data: str = "d") -> str:
    args = [p.formula, f"data = {data}"]
    if p.weights:
        args.append(f"weights = {_r_name(p.weights)}")
    if p.contrasts:
        args.append(f"contrasts = {r_contrasts(p.contrasts)}")
    return f"lm({', '.join(args)})"


def lm_py_call(p: Problem, data: str = "d") -> str:
    args = [repr(p.formula), data]
    if p.weights:
        args.append(f"weights={p.weights!r}")
    if p.contrasts:
        args.append(f"contrasts={p.contrasts!r}")
    return f"hlm.lm({', '.join(args)})"


def lm_kwargs(p: Problem) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if p.weights:
        kw["weights"] = p.weights
    if p.contrasts:
        kw["contrasts"] = dict(p.contrasts)
    return kw


def fit_lm(p: Problem, data: pd.DataFrame | None = None, formula: str | None = None) -> Any:
    import hlm_py as hlm

    return hlm.lm(formula or p.formula, p.data if data is None else data, **lm_kwargs(p))


def mm_r_call(p: Problem, data: str = "d") -> str:
    args = [p.formula, f"data = {data}"]
    if p.contrasts:
        args.append(f"contrasts.arg = {r_contrasts(p.contrasts)}")
    return f"model.matrix({', '.join(args)})"


def mm_py_call(p: Problem, data: str = "d") -> str:
    args = [repr(p.formula), data]
    if p.contrasts:
        args.append(f"contrasts={p.contrasts!r}")
    return f"hlm.model_matrix({', '.join(args)})"


def model_matrix(p: Problem, data: pd.DataFrame | None = None) -> pd.DataFrame:
    import hlm_py as hlm

    kw = {"contrasts": dict(p.contrasts)} if p.contrasts else {}
    return hlm.model_matrix(p.formula, p.data if data is None else data, **kw)


def lme_r_call(p: Problem, data: str = "d") -> str:
    return (f"lme({p.formula}, data = {data}, random = {p.random.replace('~ ', '~')}, "
            f"method = {_r_str(p.method)})")


def lme_py_call(p: Problem, data: str = "d") -> str:
    return f"hlm.lme({p.formula!r}, {data}, random={p.random!r}, method={p.method!r})"


def fit_lme(p: Problem, data: pd.DataFrame | None = None, method: str | None = None) -> Any:
    import hlm_py as hlm

    return hlm.lme(p.formula, p.data if data is None else data, random=p.random,
                   method=method or p.method)


def lm_case_args(p: Problem) -> dict[str, Any]:
    args: dict[str, Any] = {"formula": p.formula}
    if p.weights:
        args["weights"] = p.weights
    if p.contrasts:
        args["contrasts"] = dict(p.contrasts)
    return args


def lme_case_args(p: Problem) -> dict[str, Any]:
    return {"fixed": p.formula, "random": p.random, "method": p.method}  # r_reference/cases/lme.py


# --------------------------------------------------------------------------
# gls and lme with structures: the catalogue's specs (r_reference/cases/structs.py)


def struct_py(spec: dict[str, Any] | None) -> str:
    """The hlm_py constructor call of a structure spec (``hlm.corAR1(form='~ t | g')``)."""
    if spec is None:
        return "None"
    args = ", ".join(f"{k}={v!r}" for k, v in (spec.get("args") or {}).items())
    return f"hlm.{spec['class']}({args})"


def gls_case_args(p: Problem) -> dict[str, Any]:
    """``Case.args`` of the gls catalogue (``r_reference/cases/gls.py``)."""
    args: dict[str, Any] = {"model": p.formula, "method": p.method}
    if p.correlation:
        args["correlation"] = p.correlation
    if p.variance:
        args["weights"] = p.variance
    return args


def lme_struct_case_args(p: Problem) -> dict[str, Any]:
    """``Case.args`` of the lme_struct catalogue (``r_reference/cases/lme_struct.py``)."""
    args: dict[str, Any] = {"fixed": p.formula, "random": p.random.replace("~ ", "~"),
                            "method": p.method}
    if p.correlation:
        args["correlation"] = p.correlation
    if p.variance:
        args["weights"] = p.variance
    return args


def gls_r_call(p: Problem, data: str = "d") -> str:
    from r_reference.cases.structs import gls_call

    return gls_call(gls_case_args(p), data)


def lme_struct_r_call(p: Problem, data: str = "d") -> str:
    from r_reference.cases.structs import lme_call

    return lme_call(lme_struct_case_args(p), data)


def gls_py_call(p: Problem, data: str = "d") -> str:
    args = [repr(p.formula), data]
    if p.correlation:
        args.append(f"correlation={struct_py(p.correlation)}")
    if p.variance:
        args.append(f"weights={struct_py(p.variance)}")
    args.append(f"method={p.method!r}")
    return f"hlm.gls({', '.join(args)})"


def lme_struct_py_call(p: Problem, data: str = "d") -> str:
    args = [repr(p.formula), data, f"random={p.random!r}", f"method={p.method!r}"]
    if p.variance:
        args.append(f"weights={struct_py(p.variance)}")
    if p.correlation:
        args.append(f"correlation={struct_py(p.correlation)}")
    return f"hlm.lme({', '.join(args)})"


def _structs(p: Problem) -> dict[str, Any]:
    from hlm_py.verify.structs import py_struct

    return {"correlation": py_struct(p.correlation), "weights": py_struct(p.variance)}


def fit_gls(p: Problem, data: pd.DataFrame | None = None, method: str | None = None,
            **changes: Any) -> Any:
    """``hlm.gls`` of the problem (``changes``: other structures, e.g. ``weights=None``)."""
    import hlm_py as hlm

    kw = {**_structs(p), **changes}
    return hlm.gls(p.formula, p.data if data is None else data, method=method or p.method, **kw)


def fit_lme_struct(p: Problem, data: pd.DataFrame | None = None, method: str | None = None,
                   **changes: Any) -> Any:
    """``hlm.lme`` of the problem with its structures."""
    import hlm_py as hlm

    kw = {**_structs(p), **changes}
    return hlm.lme(p.formula, p.data if data is None else data, random=p.random,
                   method=method or p.method, **kw)
