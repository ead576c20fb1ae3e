"""The structures of golden cases as the public API takes them, and their
numbers as the goldens record them (gls and lme cases alike).

A case's structure is ``{"class": "<nlme class>", "args": {...}}`` with the
R argument names as keywords (``r_reference/cases/structs.py``); ``varComb``
has ``{"parts": [...]}``; ``weights`` may be a formula string (varFixed).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import hlm_py as hlm
from hlm_py.errors import HlmError

__all__ = ["py_struct", "r_covariate", "struct_numbers"]


def py_struct(spec: Any) -> Any:
    """The hlm_py structure of a case's spec (None stays None)."""
    if spec is None or isinstance(spec, str):
        return spec
    if not isinstance(spec, dict) or "class" not in spec:
        raise HlmError(f"unsupported structure specification {spec!r}")
    cls = spec["class"]
    args = dict(spec.get("args") or {})
    fn = getattr(hlm, cls, None)
    if fn is None:
        raise HlmError(f"hlm_py has no structure class {cls}")
    if cls == "varComb":
        return fn(*[py_struct(p) for p in args.get("parts") or []])
    return fn(**args)


def r_covariate(var: Any, d: dict[str, Any]) -> np.ndarray | None:
    """The ``fitted(.)`` covariate of R's fit ``d`` in the data's row order, as
    ``update`` of a variance function takes it: the golden's
    ``varStruct$covariate`` (nlme's order: rows sorted by group, put back
    with the bound function's ``order``), else None."""
    cov = (d.get("varStruct") or {}).get("covariate")
    if cov is None or var is None or not var.needs_update:
        return None
    cov = np.asarray(cov, dtype=float)
    order = getattr(var, "order", None)
    if order is None:
        return cov
    out = np.empty_like(cov)
    out[np.asarray(order)] = cov
    return out


def _named(values: np.ndarray, names: list[str] | None) -> Any:
    vals = [float(v) for v in np.atleast_1d(values)]
    if names is None:
        return vals
    return pd.Series(vals, index=list(names), dtype=float)


def _unconstrained(theta: np.ndarray, names: list[str]) -> Any:
    """R's ``coef(component)``: named where nlme names it (``corStruct.range``
    -> ``range``), else a plain vector (a number when there is one)."""
    if theta.size and all("." in n for n in names):
        return pd.Series([float(v) for v in theta], index=[n.split(".", 1)[1] for n in names],
                         dtype=float)
    return [float(v) for v in theta] if theta.size != 1 else float(theta[0])


def struct_numbers(fit: Any, name: str) -> dict[str, Any] | None:
    """``corStruct`` / ``varStruct`` as the goldens record them: the class,
    the formula as R deparses it, the unconstrained and constrained
    coefficients (and, for a variance function, all of them, fixed ones too)."""
    comp = fit.model.cor if name == "corStruct" else fit.model.var
    if comp is None:
        return None
    theta = np.asarray(fit.component_theta(name), dtype=float)
    out: dict[str, Any] = {"class": comp.r_class}
    out["unconstrained"] = _unconstrained(theta, list(comp.param_names()))
    if name == "corStruct":
        out["formula"] = comp.formula_text
        out["fixed"] = bool(comp.fixed)
        cons = comp.coef(theta, unconstrained=False)
        names = list(comp.constrained_names())
        out["constrained"] = _named(cons, names) if comp.r_class != "corSymm" else \
            [float(v) for v in cons]
    else:
        s = comp.summary(theta)
        out["formula"] = " ".join(s.formula_lines) if s.formula_lines else None
        out["constrained"] = _named(comp.coef(theta, unconstrained=False),
                                    list(comp.constrained_names()))
        vals, nms = comp.coef_all(theta, unconstrained=False)
        out["all"] = _named(vals, list(nms))
        if comp.r_class == "varComb":
            out["parts"] = [_var_part(part, block)
                            for part, block in zip(comp.parts, comp.split(theta))]
    return out


def _var_part(comp: Any, theta: np.ndarray) -> dict[str, Any]:
    """One part of a varComb as the goldens record it."""
    s = comp.summary(theta)
    names = list(comp.param_names())
    vals, nms = comp.coef_all(theta, unconstrained=False)
    return {"all": _named(vals, list(nms)), "class": comp.r_class,
            "formula": " ".join(s.formula_lines) if s.formula_lines else None,
            "unconstrained": _unconstrained(np.asarray(theta, dtype=float), names)}
