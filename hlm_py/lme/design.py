"""The design stage of lme: the unfitted model (lme4's ``lFormula``).

:func:`lme_design` does what ``nlme::lme.formula`` does before it optimises:
one model frame for the fixed and random parts (nlme's ``asOneFormula``),
the fixed-effects matrix ``X`` and response ``y``, the grouping factors in
nlme's order, each level's ``Z`` and pd class, and the checks nlme makes on
them (with clearer refusals where nlme gives none, ``docs/differences.md``).
Nothing is fitted. The returned :class:`LmeDesign` evaluates the profiled
criterion at any parameters (:meth:`LmeDesign.deviance`,
:meth:`LmeDesign.gradient`); :func:`hlm_py.lme.model.lme_fit` fits it.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.callnames import data_name
from hlm_py.errors import GroupingError, HlmError, NonFiniteError
from hlm_py.formula.deparse import deparse
from hlm_py.formula.design import Design, build_design, design_from_frame
from hlm_py.formula.frame import as_data_frame
from hlm_py.formula.grouping import Grouping, build_grouping, group_names, grouping_variable
from hlm_py.formula.parser import Name
from hlm_py.linalg.minimise import central_gradient
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.pdmat import PdClass
from hlm_py.lme.random import RandomLevel, deparse_random, parse_random, random_variables
from hlm_py.lme.rank import check_fixed_rank, check_squares
from hlm_py.lme.reduce import Reduced, reduce_data
from hlm_py.lme.refine import Refinement
from hlm_py.lme.span import Span, confounded_levels, random_effects_span
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

__all__ = ["LmeDesign", "lme_design"]


@dataclass(eq=False)
class LmeDesign:
    """An unfitted lme model: what ``lme`` fits (lme4's ``lFormula`` result,
    MixedModels.jl's unfitted ``LinearMixedModel``).

    fixed           the fixed-effects formula as R deparses it
    levels          the random-effects levels (outer to inner)
    method          ``"REML"`` or ``"ML"``
    fixed_design    the fixed part's frame, terms and model matrix
    random_designs  per level, the random part's terms and model matrix
    grouping        the grouping factors in nlme's order
    X, y, Z         the matrices (``Z`` per level), rows in the input order
    row_names       the kept rows' names
    call            the call nlme prints (``lme.formula(fixed = ..., ...)``)
    args            the arguments, for ``update``

    ``theta`` is nlme's parametrisation of the relative covariance matrices
    (``coef(fit$modelStruct)``, outer level first here, nlme prints innermost
    first), :meth:`start` nlme's starting value.
    """

    fixed: str
    levels: list[RandomLevel]
    method: str
    fixed_design: Design
    random_designs: list[Design]
    grouping: Grouping
    X: np.ndarray
    y: np.ndarray
    Z: list[np.ndarray]
    row_names: pd.Index
    data: pd.DataFrame
    data_name: str
    call: str
    contrasts: dict[str, Any] | None = None
    args: dict[str, Any] = field(default_factory=dict)
    #: the within-group structures as given and bound (None when absent)
    cor_spec: CorStructSpec | None = None
    var_spec: VarFuncSpec | None = None
    cor: BoundCorStruct | None = None
    var: BoundVarFunc | None = None
    #: on a whitened design (:meth:`at`): the design it was made from, the
    #: structures' parameters and their log-likelihood
    base: LmeDesign | None = None
    phi: np.ndarray | None = None
    struct_ll: float = 0.0

    # -- the within-group structures (nlme's corStruct and varStruct) --------
    @property
    def components(self) -> list[tuple[str, Any]]:
        """``(name, bound component)`` beyond the reStruct, in nlme's order."""
        return within.components(self.cor, self.var)

    @property
    def structured(self) -> bool:
        return bool(self.components)

    @property
    def n_struct(self) -> int:
        """The structures' free parameters (``phi``)."""
        return int(sum(c.n_params for _, c in self.components))

    @property
    def struct_names(self) -> list[str]:
        """nlme's names of the structures' part of ``coef(fit$modelStruct)``."""
        return within.names(self.components)

    def struct_start(self) -> np.ndarray:
        return within.start(self.components)

    def split_phi(self, phi: np.ndarray) -> dict[str, np.ndarray]:
        """``phi`` cut into the components' blocks, by component name."""
        return within.split(self.components, phi, "lme")

    def whiten(self, phi: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, float]:
        """Rows ``M`` whitened as nlme's ``recalc`` (weights, then the
        correlation factor), and the structures' log-likelihood."""
        return within.whiten(self.components, self.split_phi(phi), M)

    def at(self, phi: np.ndarray) -> LmeDesign:
        """The design with its rows whitened at the structures' parameters
        ``phi``: an unstructured design whose criterion, plus ``struct_ll``,
        is the structured model's (nlme's ``recalc`` of the conLin)."""
        phi = np.asarray(phi, dtype=float).ravel()
        ks = [z.shape[1] for z in self.Z]
        M = np.column_stack(self.Z + [self.X, self.y])
        W, ll = self.whiten(phi, M)
        if not np.all(np.isfinite(W)) or not np.isfinite(ll):
            raise FloatingPointError("the structures' parameters give a non-finite whitening")
        cuts = np.cumsum(ks)
        Z = [np.asfortranarray(W[:, a - k:a]) for a, k in zip(cuts, ks)]
        X = np.asfortranarray(W[:, cuts[-1] if ks else 0:-1])
        return dataclasses.replace(self, X=X, y=np.ascontiguousarray(W[:, -1]), Z=Z, cor=None,
                                   var=None, base=self, phi=phi, struct_ll=ll)

    def with_var(self, var: BoundVarFunc) -> LmeDesign:
        """The design with the variance function replaced (nlme's ``update``
        of a ``fitted(.)`` covariate)."""
        return dataclasses.replace(self, var=var)

    # -- small facts --------------------------------------------------------
    @property
    def reml(self) -> bool:
        return self.method == "REML"

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def Q(self) -> int:  # noqa: N802 - nlme's name
        return len(self.levels)

    @property
    def pds(self) -> list[PdClass]:
        return [lv.pd for lv in self.levels]

    @property
    def q(self) -> list[int]:
        return [z.shape[1] for z in self.Z]

    @property
    def fixed_names(self) -> list[str]:
        return list(self.fixed_design.X.columns)

    @property
    def random_names(self) -> list[list[str]]:
        return [list(d.X.columns) for d in self.random_designs]

    @property
    def n_params(self) -> int:
        return sum(pd_.n_params(q) for pd_, q in zip(self.pds, self.q))

    @property
    def theta_names(self) -> list[str]:
        """nlme's names of ``coef(fit$modelStruct)``, in this class's order (outer first)."""
        return [name for lv, q in zip(self.levels, self.q) for name in lv.pd.param_names(lv.name, q)]

    # -- the reductions and the criterion ------------------------------------
    @cached_property
    def reduced(self) -> Reduced:
        """The data reduced to per-group cross-products (the one pass over the rows)."""
        g = self.grouping
        return reduce_data(self.X, self.y, self.Z, g.codes, g.parents, g.n_groups)

    @cached_property
    def criterion(self) -> ProfiledLikelihood:
        """The profiled criterion on the cross-products (the fit's first evaluator)."""
        return ProfiledLikelihood(self.reduced, self.pds, self.reml)

    def qr_criterion(self) -> ProfiledLikelihood:
        """The criterion on nlme's elimination, per-group QR decompositions (slower,
        keeps the digits the cross-products lose); made once per design."""
        return self._qr_criterion

    @cached_property
    def _qr_criterion(self) -> ProfiledLikelihood:
        g = self.grouping
        red = reduce_data(self.X, self.y, self.Z, g.codes, g.parents, g.n_groups,
                          triangular=True)
        return ProfiledLikelihood(red, self.pds, self.reml, qr=True)

    def refinement(self, qr_criterion: ProfiledLikelihood) -> Refinement:
        """The refined evaluation of ``qr_criterion`` (double-double log-determinants,
        one step of iterative refinement)."""
        g = self.grouping
        return Refinement(qr_criterion, self.X, self.y, self.Z, g.codes, g.parents, g.n_groups)

    def start(self) -> np.ndarray:
        """nlme's starting values: the precision factor ``0.375 sqrt(colSums(Z^2) / G)``,
        inverted, per level."""
        parts = []
        for pdc, z, G in zip(self.pds, self.Z, self.grouping.n_groups):
            ss = np.einsum("ij,ij->j", z, z) / G
            ss = np.where(ss > 0, ss, 1.0)
            delta = 0.375 * np.sqrt(ss)
            parts.append(pdc.params(np.diag(1.0 / delta ** 2)))
        return np.concatenate(parts)

    def deviance(self, theta: np.ndarray) -> float:
        """The profiled criterion, ``-2`` times the REML or ML log-likelihood with
        nlme's constants, at ``theta`` (``inf`` where undefined); with
        structures, ``theta`` is the reStruct's parameters then the
        structures' (nlme's ``coef(lmeStruct)`` order)."""
        t = self._theta(theta)
        if not self.structured:
            return self.criterion.deviance(t) - 2.0 * self.struct_ll
        k = self.n_params
        try:
            w = self.at(t[k:])
        except (FloatingPointError, np.linalg.LinAlgError, ValueError):
            return float("inf")
        return w.deviance(t[:k])

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """The gradient of :meth:`deviance`: exact in the reStruct's
        parameters, by central differences in the structures'."""
        t = self._theta(theta)
        if not self.structured:
            return self.criterion.deviance_and_gradient(t)[1]
        k = self.n_params
        g_re = self.at(t[k:]).criterion.deviance_and_gradient(t[:k])[1]
        g_phi = central_gradient(lambda ph: self.deviance(np.r_[t[:k], ph]), t[k:])
        return np.r_[g_re, g_phi]

    def _theta(self, theta: np.ndarray) -> np.ndarray:
        try:
            t = np.asarray(theta, dtype=float).ravel()
        except (TypeError, ValueError) as exc:
            raise HlmError(f"theta must be {self.n_params} numbers "
                           f"({', '.join(self.theta_names)}), not {theta!r}") from exc
        names = self.theta_names + self.struct_names
        if t.size != len(names):
            raise HlmError(f"theta has {t.size} values; this model has {len(names)} "
                           f"({', '.join(names)})")
        return t

    @cached_property
    def confounded(self) -> list[bool]:
        """Per level, whether its random effects lie in the span of ``X``."""
        g = self.grouping
        return confounded_levels(self.X, self.Z, g.codes, g.n_groups)

    @cached_property
    def span(self) -> Span:
        g = self.grouping
        return random_effects_span(self.X, self.Z, g.codes, g.n_groups)

    def __repr__(self) -> str:
        return (f"<LmeDesign {self.call}: {self.n} obs, {self.p} fixed effects, "
                f"{self.n_params} variance parameters>")


def _frame_variables(levels: list[RandomLevel], columns: list[str]) -> list[str]:
    """The random and grouping variables, as R expressions, for the one frame."""
    extra: list[str] = []
    for lv in levels:
        for v in random_variables(lv.formula, columns) + [deparse(Name(lv.name))]:
            if v not in extra:
                extra.append(v)
    return extra


def _check_sizes(levels: list[RandomLevel], Z: list[np.ndarray], grouping: Grouping) -> None:
    if any(z.shape[1] == 0 for z in Z):
        raise HlmError("a random-effects formula without any term (~ 0) is not supported")
    sizes = np.bincount(grouping.codes[-1])
    if sizes.max() < Z[-1].shape[1]:
        raise GroupingError(
            f"fewer observations than random effects in all level {len(levels)} groups")
    for lv, z, G in zip(levels, Z, grouping.n_groups):
        k = lv.pd.n_params(z.shape[1])
        if G < k:
            raise GroupingError(
                f"grouping factor '{lv.name}' has {G} groups, fewer than the {k} "
                "random-effects parameters of its level")


def _correlation_groups(spec: CorStructSpec, cor_names: list[str], levels: list[RandomLevel],
                        kept: pd.DataFrame, grouping: Grouping
                        ) -> tuple[CorStructSpec, np.ndarray]:
    """nlme's groups of a correlation structure in lme: its own ``| g`` when
    it names the random effects' outer levels in order, or finer ones; the
    random effects' grouping when it has none (or a coarser one, with nlme's
    warning). Returns the spec with its groups set and the group codes."""
    lme_names = [lv.name for lv in levels]
    lme_form = "~ " + "/".join(lme_names)
    if not cor_names:
        return spec.with_groups(lme_form), grouping.codes[-1]
    k = min(len(cor_names), len(lme_names))
    if cor_names[:k] != lme_names[:k]:
        raise HlmError("incompatible formulas for groups in 'random' and 'correlation'")
    if len(cor_names) < len(lme_names):
        warnings.warn("cannot use smaller level of grouping for 'correlation' than for "
                      "'random'. Replacing the former with the latter.", stacklevel=4)
        return spec.with_groups(lme_form), grouping.codes[-1]
    if len(cor_names) == len(lme_names):
        return spec, grouping.codes[-1]
    return spec, build_grouping(kept, cor_names).codes[-1]


def lme_design(
    fixed: str,
    data: pd.DataFrame,
    random: Any = None,
    method: str = "REML",
    weights: Any = None,
    correlation: Any = None,
    na_action: str = "na.fail",
    contrasts: dict[str, Any] | None = None,
    subset: Any = None,
) -> LmeDesign:
    """The unfitted lme model of ``nlme::lme(fixed, data, random, method, ...)``;
    ``subset`` as R's (an expression string or a boolean/position array).

    Raises :class:`HlmError` where nlme would stop before optimising, and
    where hlm_py refuses a design nlme fits to a misleading number.
    """
    cor_spec = as_corstruct(correlation)
    var_spec = as_varfunc(weights)
    if method not in ("REML", "ML"):
        raise HlmError(f"'arg' should be one of \"REML\", \"ML\", not {method!r}")
    dname = data_name(data)
    data = as_data_frame(data)
    if not isinstance(fixed, str) or "~" not in fixed or not fixed.split("~")[0].strip():
        raise HlmError('fixed-effects model must be a formula of the form "resp ~ pred"')
    levels = parse_random(random, data)
    columns = [str(c) for c in data.columns]
    for lv in levels:
        grouping_variable(data, lv.name)  # UnknownVariableError for a missing factor
    extra = _frame_variables(levels, columns)
    for spec in (cor_spec, var_spec):
        if spec is not None:
            extra += [v for v in spec.variables(columns) if v not in extra]
    cor_names = group_names(cor_spec.groups_formula() or "~ 1") \
        if cor_spec is not None and cor_spec.groups_formula() else []
    extra += [v for v in cor_names if v not in extra]
    design = build_design(fixed, data, subset=subset, na_action=na_action,
                          contrasts=contrasts, extra_variables=extra)
    design.check_finite()
    if design.y is None:
        raise HlmError('fixed-effects model must be a formula of the form "resp ~ pred"')
    pos = np.asarray(design.frame.row_positions)
    kept = data if (pos.size == len(data) and np.array_equal(pos, np.arange(len(data)))) \
        else data.iloc[pos]
    grouping = build_grouping(kept, [lv.name for lv in levels])
    random_designs = [
        design_from_frame(lv.formula, design.frame, columns, contrasts)
        or build_design(lv.formula, kept, na_action=na_action, contrasts=contrasts)
        for lv in levels
    ]
    Z = [np.asfortranarray(d.X.values, dtype=float) for d in random_designs]
    if not all(np.all(np.isfinite(z)) for z in Z):
        raise NonFiniteError("NA/NaN/Inf in the random-effects model matrix")
    X = np.asfortranarray(design.X.values, dtype=float)
    y = np.asarray(design.y, dtype=float)
    check_squares(X, y, Z, list(design.X.columns), [lv.name for lv in levels])
    _check_sizes(levels, Z, grouping)

    cor = var = None
    if cor_spec is not None:
        cor_spec, codes = _correlation_groups(cor_spec, cor_names, levels, kept, grouping)
        cor = cor_spec.bind(kept, codes)
    if var_spec is not None:
        # nlme binds the variance function on the rows sorted by the grouping
        var = bind_in_order(var_spec, kept, grouping.order)
    call = (f"lme.formula(fixed = {design.formula}, data = {dname}, "
            f"random = {deparse_random(random)}")
    if cor_spec is not None:
        call += f", correlation = {cor_spec.deparse()}"
    if subset is not None and isinstance(subset, str):
        call += f", subset = {subset}"
    if var_spec is not None:
        call += f", weights = {var_spec.deparse()}"
    call += f', method = "{method}")' if method != "REML" else ")"
    out = LmeDesign(
        fixed=design.formula, levels=levels, method=method, fixed_design=design,
        random_designs=random_designs, grouping=grouping, X=X, y=y, Z=Z,
        row_names=design.frame.row_names, data=data, data_name=dname, call=call,
        contrasts=contrasts,
        args=dict(fixed=fixed, data=data, random=random, method=method, weights=weights,
                  correlation=correlation, na_action=na_action, contrasts=contrasts,
                  subset=subset),
        cor_spec=cor_spec, var_spec=var_spec, cor=cor, var=var)
    check_fixed_rank(X, out.reduced, out.fixed_names)
    return out
