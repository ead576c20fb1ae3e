"""The unfitted gls model: nlme's ``gls`` up to its optimisation.

:func:`gls_design` does what ``nlme::gls`` does before it optimises: one
model frame for the model formula and every variable the correlation
structure and the variance function name (nlme's ``asOneFormula``, so the
NA action and ``subset`` drop the same rows for all), the model matrix and
response, the correlation groups (the innermost level of the structure's
``| g1/g2``, nlme's ``getGroups``) and the components bound to the rows
(nlme's ``Initialize``). Rows stay in the data's order; nlme sorts them by
group, which changes no number (each group keeps its rows' order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.callnames import data_name
from hlm_py.errors import HlmError, NonFiniteError
from hlm_py.formula.design import Design, build_design
from hlm_py.formula.frame import as_data_frame
from hlm_py.formula.grouping import Grouping, build_grouping, group_names
from hlm_py.structs import within
from hlm_py.structs.base import (
    BoundCorStruct,
    BoundVarFunc,
    CorStructSpec,
    VarFuncSpec,
)
from hlm_py.structs.corstruct import as_corstruct
from hlm_py.structs.reorder import bind_in_order
from hlm_py.structs.varfunc import as_varfunc

__all__ = ["GlsDesign", "gls_design"]


@dataclass
class GlsDesign:
    """The unfitted model of ``nlme::gls(model, data, correlation, weights, ...)``.

    ``X``, ``y`` are in the data's row order (the kept rows); ``groups`` is
    the correlation structure's grouping (None without one, or without a
    ``| g`` part); ``cor`` and ``var`` the bound components (None when
    absent). The optimiser's parameters are ``cor``'s block then ``var``'s
    (nlme's order of ``coef(fit$modelStruct)``).
    """

    model: str
    method: str
    design: Design
    X: np.ndarray
    y: np.ndarray
    row_names: pd.Index
    data: pd.DataFrame
    data_name: str
    kept: pd.DataFrame
    groups: Grouping | None
    cor_spec: CorStructSpec | None
    var_spec: VarFuncSpec | None
    cor: BoundCorStruct | None
    var: BoundVarFunc | None
    call: str
    args: dict[str, Any] = field(default_factory=dict)
    contrasts: dict[str, Any] | None = None
    subset: Any = None

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def reml(self) -> bool:
        return self.method == "REML"

    @property
    def fixed_names(self) -> list[str]:
        return [str(c) for c in self.design.X.columns]

    @property
    def components(self) -> list[tuple[str, Any]]:
        """``(name, bound component)`` in nlme's order (``corStruct``, ``varStruct``)."""
        return within.components(self.cor, self.var)

    @property
    def n_params(self) -> int:
        return int(sum(c.n_params for _, c in self.components))

    def split(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """``theta`` cut into the components' blocks, by component name."""
        return within.split(self.components, theta, "gls")

    @property
    def theta_names(self) -> list[str]:
        """nlme's names of ``coef(fit$modelStruct)``."""
        return within.names(self.components)

    def start(self) -> np.ndarray:
        """nlme's starting values (the components' ``Initialize``)."""
        return within.start(self.components)

    def with_var(self, var: BoundVarFunc) -> GlsDesign:
        """The same design with the variance function replaced (nlme's
        ``update`` of a ``fitted(.)`` covariate)."""
        out = GlsDesign(**{**self.__dict__, "var": var})
        return out


def _struct_call(model: str, dname: str, correlation: Any, weights: Any, subset: Any,
                 method: str, na_action: str) -> str:
    parts = [f"model = {model}", f"data = {dname}"]
    if correlation is not None:
        parts.append(f"correlation = {correlation.deparse()}")
    if weights is not None:
        parts.append(f"weights = {weights.deparse()}")
    if subset is not None:
        parts.append(f"subset = {subset}")
    if method != "REML":
        parts.append(f'method = "{method}"')
    if na_action != "na.fail":
        parts.append(f"na.action = {na_action}")
    return "gls(" + ", ".join(parts) + ")"


def gls_design(
    model: str,
    data: pd.DataFrame,
    correlation: Any = None,
    weights: Any = None,
    subset: Any = None,
    method: str = "REML",
    na_action: str = "na.fail",
    contrasts: dict[str, Any] | None = None,
) -> GlsDesign:
    """The unfitted gls model of ``nlme::gls(model, data, correlation, weights,
    subset, method, na.action)``; raises :class:`HlmError` where nlme stops
    before optimising (a bad formula, a singular initial fit, a structure
    that does not fit the data)."""
    if method not in ("REML", "ML"):
        raise HlmError(f"'arg' should be one of \"REML\", \"ML\", not {method!r}")
    if not isinstance(model, str) or "~" not in model or not model.split("~")[0].strip():
        raise HlmError('model must be a formula of the form "resp ~ pred"')
    dname = data_name(data)
    data = as_data_frame(data)
    cor_spec = as_corstruct(correlation)
    var_spec = as_varfunc(weights)
    columns = [str(c) for c in data.columns]
    extra: list[str] = []
    gnames: list[str] = []
    if cor_spec is not None:
        extra += cor_spec.variables(columns)
        gf = cor_spec.groups_formula()
        if gf is not None:
            gnames = group_names(gf)
    if var_spec is not None:
        extra += var_spec.variables(columns)
    extra += gnames
    extra = list(dict.fromkeys(extra))
    design = build_design(model, data, subset=subset, na_action=na_action,
                          contrasts=contrasts, extra_variables=extra)
    if design.y is None:
        raise HlmError('model must be a formula of the form "resp ~ pred"')
    if design.terms.offsets:
        raise HlmError("offset() terms are not supported")
    design.check_finite()
    X = np.asfortranarray(design.X.values, dtype=float)
    if X.shape[1] == 0:
        raise HlmError("no coefficients to fit")
    y = np.asarray(design.y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise NonFiniteError("NA/NaN/Inf in 'y'")
    pos = np.asarray(design.frame.row_positions)
    kept = data if (pos.size == len(data) and np.array_equal(pos, np.arange(len(data)))) \
        else data.iloc[pos]
    groups = build_grouping(kept, gnames) if gnames else None
    cor = None
    if cor_spec is not None:
        codes = groups.codes[-1] if groups is not None else None
        cor = cor_spec.bind(kept, codes)
    # nlme binds the variance function on the rows sorted by the groups
    order = np.argsort(groups.codes[-1], kind="stable") if groups is not None else None
    var = bind_in_order(var_spec, kept, order) if var_spec is not None else None
    call = _struct_call(design.formula, dname, cor_spec, var_spec, subset, method, na_action)
    return GlsDesign(
        model=design.formula, method=method, design=design, X=X, y=y,
        row_names=design.frame.row_names, data=data, data_name=dname, kept=kept,
        groups=groups, cor_spec=cor_spec, var_spec=var_spec, cor=cor, var=var, call=call,
        args=dict(model=model, data=data, correlation=correlation, weights=weights,
                  subset=subset, method=method, na_action=na_action, contrasts=contrasts),
        contrasts=contrasts, subset=subset)
