"""``lme``: nlme's linear mixed-effects fit, and the fit object :class:`LmeFit`.

Mirrors ``nlme::lme.formula`` (nlme 3.1-162): the same model, grouping,
names and numbers (fixed effects, ``varFix``, sigma, the restricted or
ordinary log-likelihood with nlme's constants, BLUPs, fitted values and
residuals by level, ``predict``).  It differs in how the optimum is found:
the data are reduced once to per-group cross-products and the profiled
criterion is maximised to convergence (analytic gradient, then Newton),
where nlme's defaults stop a little early (see ``docs/differences.md``).

Not supported yet: ``weights=`` (varFunc) and ``correlation=`` (corStruct),
``subset``; they raise :class:`HlmError`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.callnames import data_name
from hlm_py.errors import (
    ConvergenceError,
    GroupingError,
    HlmError,
    NonFiniteError,
    SingularFitError,
)
from hlm_py.formula.deparse import deparse, operator_precedence
from hlm_py.formula.design import Design, build_design
from hlm_py.formula.frame import as_data_frame
from hlm_py.formula.parser import Call, Name, Node, parse
from hlm_py.formula.terms import terms as formula_terms
from hlm_py.formula.update import update_arguments, update_formula
from hlm_py.linalg.compensated import compensated_residual
from hlm_py.linalg.dqrdc2 import dqrdc2
from hlm_py.lme.criterion import ProfiledLikelihood
from hlm_py.lme.grouping import Grouping, build_grouping, grouping_variable, value_labels
from hlm_py.lme.optimize import OptimResult, maximize_profiled, newton_polish, polish_simplex
from hlm_py.lme.pdmat import PD_CLASS_NAMES, PdClass, pdDiag, pdIdent, pdLogChol, pdSymm
from hlm_py.lme.reduce import Reduced, group_crossprod, reduce_data
from hlm_py.lme.refine import Refinement, fitted_products
from hlm_py.lme.span import Span, confounded_levels, random_effects_span

__all__ = ["lme", "LmeFit", "LogLik", "RandomLevel", "parse_random"]


class LogLik(float):
    """nlme's ``logLik.lme`` object: a float with ``.df``, ``.nobs`` (N - REML p)
    and ``.nall`` (N)."""

    df: int
    nobs: int
    nall: int

    def __new__(cls, value: float, df: int, nobs: int, nall: int | None = None) -> LogLik:
        obj = super().__new__(cls, value)
        obj.df = int(df)
        obj.nobs = int(nobs)
        obj.nall = int(nobs if nall is None else nall)
        return obj


@dataclass
class RandomLevel:
    """One level of the random-effects structure (nlme's reStruct component).

    name     the grouping factor's name (``"Block"``)
    formula  the random-effects formula of the level (``"~ 1"``, ``"~ age"``)
    pd       the pd class of ``Psi`` (``pdLogChol`` when not given)
    """

    name: str
    formula: str
    pd: PdClass


# ---------------------------------------------------------------------------
# random= : what R's reStruct() accepts, as strings and pd objects


def _split_bar(text: str, level: str | None = None) -> tuple[str, list[str] | None]:
    """Split ``"~ x | g1/g2"`` into ``("~ x", ["g1", "g2"])`` at the top-level
    ``|`` (``None`` for no grouping), read by the formula parser, so
    backquoted names may hold any character. ``level``: the dict key the
    text is given for (messages only)."""
    t = text.strip()
    node = parse(t)
    if not (isinstance(node, Call) and node.fn == "~"):  # "x | g" is "~ x | g"
        t = "~ " + t
        node = parse(t)
    rhs = node.args[-1][1]  # type: ignore[union-attr]
    _refuse_pd_text(rhs, level)
    if isinstance(rhs, Call) and rhs.fn == "|" and len(rhs.args) == 2:
        return t[:rhs.pos].strip(), _group_names(rhs.args[1][1], t[rhs.pos + 1:].strip())
    return t, None


def _group_names(node: Node, text: str) -> list[str]:
    """The grouping factors of ``g1/g2/...`` (outer to inner), as column names."""
    parts = _group_nodes(node)
    if not all(isinstance(p, Name) for p in parts):
        raise HlmError(f"invalid formula for groups: '{text}'")
    return [p.name for p in parts]  # type: ignore[union-attr]


def _refuse_pd_text(node: Node, level: str | None) -> None:
    """A pd class written inside the text (``"pdDiag(~ age)"``): say what to write."""
    if not (isinstance(node, Call) and operator_precedence(node) is None and node.fn != "("
            and any(isinstance(v, Call) and v.fn == "~" for _, v in node.args)):
        return
    known = ", ".join(PD_CLASS_NAMES)
    if node.fn not in PD_CLASS_NAMES:
        raise HlmError(f"'{node.fn}' is not a known pd class: the pd classes are {known} "
                       f"(pd objects such as hlm.pdDiag(\"~ x\"), not text)")
    form = next(v for _, v in node.args if isinstance(v, Call) and v.fn == "~")
    inner = form.args[-1][1]
    groups = None
    if isinstance(inner, Call) and inner.fn == "|" and len(inner.args) == 2:
        groups = [deparse(g) for g in _group_nodes(inner.args[1][1])]
        inner = inner.args[0][1]
    lhs = "~ " + deparse(inner)
    names = groups or ([level] if level is not None else ["g"])
    spelling = "{" + ", ".join(f'"{g}": hlm.{node.fn}("{lhs}")' for g in names) + "}"
    msg = (f"random= holds the pd class {node.fn} as text, '{deparse(node)}': "
           f"a pd class is an object")
    if groups:
        msg += (f", and nlme's {node.fn} formula takes no grouping factor: write "
                f"random={spelling} (nlme's list({', '.join(f'{g} = {node.fn}(~{deparse(inner)})' for g in groups)}))")
    elif level is not None:
        msg += f": write random={spelling}"
    else:
        msg += f": write random={spelling} with your grouping factor for g"
    raise HlmError(msg)


def _group_nodes(node: Node) -> list[Node]:
    """The operands of ``g1/g2/...``, outer to inner."""
    parts: list[Node] = []
    while isinstance(node, Call) and node.fn == "/" and len(node.args) == 2:
        parts.append(node.args[1][1])
        node = node.args[0][1]
    return [node] + parts[::-1]


def _one_sided(text: str) -> str:
    t = text.strip()
    if not t.startswith("~"):
        t = "~ " + t
    return t


def _grouped_data_groups(data: pd.DataFrame) -> list[str] | None:
    form = data.attrs.get("groupedData") or data.attrs.get("groups")
    if not form:
        return None
    _, groups = _split_bar(str(form))
    if groups is None:  # "~ Subject" or "Subject"
        t = _one_sided(str(form))
        groups = _group_names(parse(t).args[-1][1], t)  # type: ignore[union-attr]
    return groups


def parse_random(random: Any, data: pd.DataFrame) -> list[RandomLevel]:
    """The levels (outer to inner) of an lme ``random`` argument.

    Accepts ``"~ x | g"``, ``"~ 1 | a/b"``, a pd object (``pdDiag("~ x | g")``,
    or ``pdDiag("~ x")`` with the grouping from ``data.attrs["groupedData"]``),
    and a dict grouping name -> formula string or pd object, outer to inner.
    """
    if random is None:
        raise HlmError(
            "'random' is missing: give the random effects as \"~ 1 | g\" "
            "(a groupedData default is not supported)"
        )
    if isinstance(random, str) or isinstance(random, PdClass):
        pd_obj = random if isinstance(random, PdClass) else pdLogChol()
        text = random.formula if isinstance(random, PdClass) else random
        if text is None:
            raise HlmError(f"{pd_obj.name}() needs a formula, e.g. {pd_obj.name}(\"~ x | g\")")
        lhs, groups = _split_bar(text)
        if groups is None:
            groups = _grouped_data_groups(data)
            if not groups:
                raise HlmError(
                    f"the random-effects formula '{text}' has no grouping factor: "
                    "write it as '~ x | g'"
                )
        form = _one_sided(lhs)
        return [RandomLevel(g, form, pd_obj.with_formula(form)) for g in groups]
    if isinstance(random, dict):
        if not random:
            raise HlmError("'random' is an empty list")
        levels = []
        for name, spec in random.items():
            if isinstance(spec, PdClass):
                if spec.formula is None:
                    raise HlmError(f"{spec.name}() for level '{name}' needs a formula")
                form = _one_sided(_split_bar(spec.formula, str(name))[0])
                levels.append(RandomLevel(str(name), form, spec.with_formula(form)))
            elif isinstance(spec, str):
                form = _one_sided(_split_bar(spec, str(name))[0])
                levels.append(RandomLevel(str(name), form, pdLogChol(form)))
            else:
                raise HlmError(f"invalid random-effects specification for level '{name}': {spec!r}")
        return levels
    raise HlmError(f"invalid 'random' argument: {random!r}")


# ---------------------------------------------------------------------------
# the fit object


@dataclass
class LmeFit:
    """An lme fit (R's ``lme`` object).  Field by field: ``docs/internals.md``, "lme/"."""

    r_class = "lme"  # R's class, for R's "no applicable method" errors (not a field)
    call: str
    fixed: str
    levels: list[RandomLevel]
    method: str
    design: Design
    random_designs: list[Design]
    grouping: Grouping
    row_names: pd.Index
    y: np.ndarray
    X: np.ndarray
    Z: list[np.ndarray]
    coefficients: pd.Series
    b: list[np.ndarray]
    varFix: pd.DataFrame
    sigma_: float
    psi: list[np.ndarray]
    theta: np.ndarray
    theta_names: list[str]
    theta_opt: np.ndarray
    loglik: float
    df: int
    fitted_values: pd.DataFrame
    residuals_: pd.DataFrame
    dims: dict[str, Any]
    optim: OptimResult
    likelihood: ProfiledLikelihood
    data: pd.DataFrame
    contrasts: dict[str, Any] | None = None
    control: dict[str, Any] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    #: the cross-product evaluation was at its rounding noise (a random-effects
    #: column spanning many orders of magnitude within groups), so the fit was
    #: made on nlme's elimination by per-group QR decompositions instead
    #: (``ProfiledLikelihood(..., qr=True)``)
    qr_elimination: bool = False
    #: the data's name in printed calls and ``Data:`` lines
    #: (:func:`hlm_py.callnames.data_name`)
    data_name: str = "data"

    # -- small facts --------------------------------------------------------
    @property
    def REML(self) -> bool:  # noqa: N802
        return self.method == "REML"

    @property
    def Q(self) -> int:  # noqa: N802
        return len(self.levels)

    @property
    def level_names(self) -> list[str]:
        return [lv.name for lv in self.levels]

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_groups(self) -> dict[str, int]:
        return dict(zip(self.level_names, self.grouping.n_groups))

    @property
    def random_names(self) -> list[list[str]]:
        return [list(d.X.columns) for d in self.random_designs]

    @property
    def numIter(self) -> int:  # noqa: N802
        return self.optim.iterations

    @property
    def converged(self) -> bool:
        return self.optim.converged

    # -- R's generics -------------------------------------------------------
    def update(self, fixed: str | None = None, **changes: Any) -> LmeFit:
        """nlme's ``update.lme``: refit with ``fixed`` combined with the old fixed
        formula by R's ``update.formula`` rules (``". ~ . + Sex"``) and/or changed
        arguments (``method="ML"``, ``random=...``, ``control=...``)."""
        args = update_arguments(self.args, changes)
        if fixed is not None:
            args["fixed"] = update_formula(self.fixed, fixed, args["data"])
        return lme(**args)

    def fixef(self) -> pd.Series:
        """nlme's ``fixef``."""
        return self.coefficients.copy()

    def ranef(self, level: int | list[int] | None = None) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """nlme's ``ranef``: one DataFrame (one level) or a dict outer to inner."""
        frames = {
            lv.name: pd.DataFrame(b, index=pd.Index(self.grouping.labels[i]),
                                  columns=self.random_names[i])
            for i, (lv, b) in enumerate(zip(self.levels, self.b))
        }
        levels = _levels_arg(level, self.Q, default=list(range(1, self.Q + 1)))
        if len(levels) == 1:
            return frames[self.level_names[levels[0] - 1]]
        return {self.level_names[i - 1]: frames[self.level_names[i - 1]] for i in levels}

    def coef(self, level: int | None = None) -> pd.DataFrame:
        """nlme's ``coef.lme``: fixed plus random effects per group of ``level`` (default Q)."""
        lev = self.Q if level is None else int(level)
        if not 1 <= lev <= self.Q:
            raise HlmError(f"invalid level {level}: it must be between 1 and {self.Q}")
        labels = self.grouping.labels[lev - 1]
        G = len(labels)
        fixed = self.coefficients
        names = list(fixed.index)
        out = np.tile(fixed.to_numpy(), (G, 1))
        extra: list[str] = []
        extra_vals: list[np.ndarray] = []
        # ancestors of each group at each level <= lev
        anc = [np.arange(G)]
        for lv in range(lev - 1, 0, -1):
            anc.insert(0, self.grouping.parents[lv][anc[0]])
        for li in range(lev):
            bl = self.b[li][anc[li]]
            for j, cn in enumerate(self.random_names[li]):
                if cn in names:
                    out[:, names.index(cn)] += bl[:, j]
                else:
                    if cn in extra:
                        extra_vals[extra.index(cn)] = extra_vals[extra.index(cn)] + bl[:, j]
                    else:
                        extra.append(cn)
                        extra_vals.append(bl[:, j].copy())
        df = pd.DataFrame(out, index=pd.Index(labels), columns=names)
        for cn, v in zip(extra, extra_vals):
            df[cn] = v
        return df

    def fitted(self, level: int | list[int] | None = None) -> pd.Series | pd.DataFrame:
        """nlme's ``fitted.lme``: one level -> a Series named by the groups of level
        ``max(1, level)`` (as nlme), several -> a DataFrame indexed by row label."""
        return self._by_level(self.fitted_values, level)

    def residuals(self, level: int | list[int] | None = None, type: str = "response") -> pd.Series | pd.DataFrame:  # noqa: A002
        """nlme's ``residuals.lme``; ``type`` ``"response"``, ``"pearson"`` or ``"normalized"``."""
        kind = _match_type(type)
        res = self.residuals_
        if kind != "response":
            # without a variance function or correlation both are r / sigma
            res = res / self.sigma_
        return self._by_level(res, level)

    resid = residuals

    def _by_level(self, table: pd.DataFrame, level: int | list[int] | None) -> pd.Series | pd.DataFrame:
        levels = _levels_arg(level, self.Q, default=[self.Q], allow_zero=True)
        if len(levels) == 1:
            lv = levels[0]
            s = table.iloc[:, lv].copy()
            # nlme names the values by the groups of level max(1, level)
            gl = max(1, lv) - 1
            lab = np.asarray(self.grouping.labels[gl], dtype=object)
            s.index = pd.Index(lab[self.grouping.codes[gl]])
            s.name = None
            return s
        return table.iloc[:, levels].copy()

    def predict(self, newdata: pd.DataFrame | None = None, level: int | list[int] | None = None,
                **kwargs: Any) -> pd.Series | pd.DataFrame:
        """nlme's ``predict.lme``: unseen groups give NaN at their level (R's NA)."""
        if kwargs:
            bad = ", ".join(sorted(kwargs))
            raise HlmError(f"predict.lme: unsupported argument(s) {bad}")
        if newdata is None:
            return self.fitted(level)
        levels = _levels_arg(level, self.Q, default=[self.Q], allow_zero=True)
        if not isinstance(newdata, pd.DataFrame):
            newdata = pd.DataFrame(newdata)
        Xn, _ = self.design.new_data_matrix(newdata)
        pred0 = Xn.values @ self.coefficients.to_numpy()
        m = len(newdata)
        cols = {"fixed": pred0}
        labels_per_level: list[list[str]] = []
        current = pred0.copy()
        key_labels: list[str] = [""] * m
        valid = np.ones(m, dtype=bool)
        max_level = max(levels)
        for li in range(max_level):
            name = self.level_names[li]
            own = value_labels(grouping_variable(newdata, name))
            key_labels = [
                None if own[i] is None or (li and key_labels[i] is None)
                else (own[i] if li == 0 else f"{key_labels[i]}/{own[i]}")
                for i in range(m)
            ]
            labels_per_level.append(list(key_labels))
            index = {lab: g for g, lab in enumerate(self.grouping.labels[li])}
            gi = np.array([index.get(k, -1) for k in key_labels], dtype=np.int64)
            valid &= gi >= 0
            Zn, _ = self.random_designs[li].new_data_matrix(newdata)
            bl = self.b[li][np.maximum(gi, 0)]
            current = current + np.einsum("ij,ij->i", Zn.values, bl)
            cols[name] = np.where(valid, current, np.nan)
        if len(levels) == 1:
            lv = levels[0]
            vals = cols["fixed"] if lv == 0 else cols[self.level_names[lv - 1]]
            idx = newdata.index if lv == 0 else pd.Index(labels_per_level[lv - 1])
            return pd.Series(vals, index=idx)
        out = pd.DataFrame(index=newdata.index)
        for lv in levels:
            if lv > 0:
                out[self.level_names[lv - 1]] = labels_per_level[lv - 1]
        for lv in levels:
            key = "fixed" if lv == 0 else self.level_names[lv - 1]
            out[f"predict.{key}"] = cols[key]
        return out

    def sigma(self) -> float:
        """nlme's residual standard error."""
        return float(self.sigma_)

    def nobs(self) -> int:
        return self.n

    def vcov(self) -> pd.DataFrame:
        """nlme's ``vcov.lme`` (``varFix``)."""
        return self.varFix.copy()

    def logLik(self, REML: bool | None = None) -> LogLik:  # noqa: N802, N803
        """nlme's ``logLik.lme``; ``REML`` other than the fit's method re-evaluates."""
        value = self.loglik
        if REML is not None and bool(REML) != self.REML:
            value = _loglik_other_method(self, bool(REML))
        reml = self.REML if REML is None else bool(REML)
        return LogLik(value, self.df, self.n - (self.p if reml else 0), self.n)

    def AIC(self) -> float:  # noqa: N802
        return float(-2 * self.loglik + 2 * self.df)

    def BIC(self) -> float:  # noqa: N802
        n_eff = self.n - (self.p if self.REML else 0)
        return float(-2 * self.loglik + np.log(n_eff) * self.df)

    def df_residual(self) -> int:
        return self.n - self.p

    # -- delegated to hlm_py.lme.inference (summary, anova, intervals, VarCorr)
    def summary(self, *args: Any, **kwargs: Any) -> Any:
        return _inference("summary")(self, *args, **kwargs)

    def anova(self, *args: Any, **kwargs: Any) -> Any:
        return _inference("anova")(self, *args, **kwargs)

    def intervals(self, *args: Any, **kwargs: Any) -> Any:
        return _inference("intervals")(self, *args, **kwargs)

    def VarCorr(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return _inference("VarCorr")(self, *args, **kwargs)

    def __repr__(self) -> str:
        try:
            from hlm_py.report import render

            return render(self)
        except TypeError:
            return (f"<LmeFit {self.call}: logLik {self.loglik:.6g}, "
                    f"sigma {self.sigma_:.6g}, {self.n} obs>")

    __str__ = __repr__


def _inference(name: str) -> Any:
    try:
        from hlm_py.lme import inference
    except ImportError as exc:  # pragma: no cover - until inference.py lands
        raise HlmError(f"{name}() of an lme fit is not available yet") from exc
    fn = getattr(inference, name, None)
    if fn is None:
        raise HlmError(f"{name}() of an lme fit is not available yet")
    return fn


def _match_type(type_: str) -> str:
    for kind in ("response", "pearson", "normalized"):
        if type_ and kind.startswith(type_):
            return kind
    raise HlmError(f"'type' should be one of \"response\", \"pearson\", \"normalized\", not {type_!r}")


def _levels_arg(level: Any, Q: int, default: list[int], allow_zero: bool = False) -> list[int]:  # noqa: N803
    if level is None:
        return list(default)
    levels = [level] if np.isscalar(level) else list(level)
    out = []
    lo = 0 if allow_zero else 1
    for lv in levels:
        if isinstance(lv, (int, np.integer)) and lo <= int(lv) <= Q:
            out.append(int(lv))
        else:
            raise HlmError(f"level of {lv} does not match formula: levels are {lo}..{Q}")
    return out


def _loglik_other_method(fit: LmeFit, reml: bool) -> float:
    """nlme's ``logLik.lme(REML=)`` correction for the other criterion."""
    p, n = fit.p, fit.n
    _, logdet = np.linalg.slogdet(fit.varFix.to_numpy()) if p else (1.0, 0.0)
    if reml and not fit.REML:
        return fit.loglik + (p * (np.log(2 * np.pi) + 1) + (n - p) * np.log(1 - p / n) + logdet) / 2
    if not reml and fit.REML:
        return fit.loglik - (p * (np.log(2 * np.pi) + 1) + n * np.log(1 - p / n) + logdet) / 2
    return fit.loglik


# ---------------------------------------------------------------------------
# the fitting function


def _deparse_random(random: Any) -> str:
    if isinstance(random, str):
        return random.strip()
    if isinstance(random, PdClass):
        return f"{random.name}({random.formula})"
    if isinstance(random, dict):
        parts = [f"{deparse(Name(str(k)))} = "
                 f"{_deparse_random(v) if not isinstance(v, str) else v.strip()}"
                 for k, v in random.items()]
        return "list(" + ", ".join(parts) + ")"
    return repr(random)


def _random_variables(formula: str, columns: list[str]) -> list[str]:
    """The random formula's variables as R expressions (backquoted names)."""
    return list(formula_terms(formula, columns).variables)


def lme(
    fixed: str,
    data: pd.DataFrame,
    random: Any = None,
    method: str = "REML",
    weights: Any = None,
    correlation: Any = None,
    na_action: str = "na.fail",
    contrasts: dict[str, Any] | None = None,
    control: dict[str, Any] | None = None,
) -> LmeFit:
    """nlme's ``lme(fixed, data, random, method, ...)``.

    ``control`` accepts ``lmeControl`` names; ``returnObject=True`` turns a
    convergence failure into a warning, ``msMaxIter`` bounds the Newton
    iterations, ``maxIter`` the quasi-Newton ones, ``niterEM`` sets nlme's EM
    iterations before them (25; one level of pdLogChol, pdSymm, pdDiag or
    pdIdent only). A count that is not a non-negative whole number raises
    ``HlmError``.
    """
    if weights is not None:
        raise HlmError("lme: 'weights' (variance functions) are not supported yet")
    if correlation is not None:
        raise HlmError("lme: 'correlation' structures are not supported yet")
    if method not in ("REML", "ML"):
        raise HlmError(f"'arg' should be one of \"REML\", \"ML\", not {method!r}")
    dname = data_name(data)
    data = as_data_frame(data)
    if not isinstance(fixed, str) or "~" not in fixed or not fixed.split("~")[0].strip():
        raise HlmError('fixed-effects model must be a formula of the form "resp ~ pred"')
    if control is not None and not isinstance(control, Mapping):
        raise HlmError(f"'control' must be a dict of lmeControl settings such as "
                       f"{{'niterEM': 0}}, not {control!r}")
    control = dict(control or {})
    levels = parse_random(random, data)
    columns = [str(c) for c in data.columns]

    # the one frame: fixed variables plus random and grouping variables (R's asOneFormula)
    extra: list[str] = []
    for lv in levels:
        for v in _random_variables(lv.formula, columns):
            if v not in extra:
                extra.append(v)
        group = deparse(Name(lv.name))  # an R expression: `my g`
        if group not in extra:
            extra.append(group)
    for lv in levels:
        grouping_variable(data, lv.name)  # UnknownVariableError for a missing factor
    design = build_design(fixed, data, na_action=na_action, contrasts=contrasts,
                          extra_variables=extra)
    design.check_finite()
    if design.y is None:
        raise HlmError('fixed-effects model must be a formula of the form "resp ~ pred"')
    pos = np.asarray(design.frame.row_positions)
    kept = data if (pos.size == len(data) and np.array_equal(pos, np.arange(len(data)))) \
        else data.iloc[pos]
    row_names = design.frame.row_names
    grouping = build_grouping(kept, [lv.name for lv in levels])
    random_designs = [
        build_design(lv.formula, kept, na_action=na_action, contrasts=contrasts)
        for lv in levels
    ]
    Z = [np.asfortranarray(d.X.values, dtype=float) for d in random_designs]
    for z in Z:
        if not np.all(np.isfinite(z)):
            raise NonFiniteError("NA/NaN/Inf in the random-effects model matrix")
    X = np.asfortranarray(design.X.values, dtype=float)
    y = np.asarray(design.y, dtype=float)
    n, p = X.shape
    _check_squares(X, y, Z, list(design.X.columns), [lv.name for lv in levels])
    if any(z.shape[1] == 0 for z in Z):
        raise HlmError("a random-effects formula without any term (~ 0) is not supported")

    q_inner = Z[-1].shape[1]
    sizes = np.bincount(grouping.codes[-1])
    if sizes.max() < q_inner:
        raise GroupingError(
            f"fewer observations than random effects in all level {len(levels)} groups"
        )
    for lv, z, G in zip(levels, Z, grouping.n_groups):
        k = lv.pd.n_params(z.shape[1])
        if G < k:
            raise GroupingError(
                f"grouping factor '{lv.name}' has {G} groups, fewer than the {k} "
                "random-effects parameters of its level"
            )

    red = reduce_data(X, y, Z, grouping.codes, grouping.parents, grouping.n_groups)
    _check_fixed_rank(X, red, list(design.X.columns))
    lik = ProfiledLikelihood(red, [lv.pd for lv in levels], method == "REML")

    n_em = _control_count(control, "niterEM", NITER_EM)
    max_newton = _control_count(control, "msMaxIter", 100)
    max_iter = _control_count(control, "maxIter", 500)
    confounded = confounded_levels(X, Z, grouping.codes, grouping.n_groups)
    for lv, c in zip(levels, confounded):
        if c:
            warnings.warn(_confounded_message(lv, method), stacklevel=2)
    qr_elimination = False
    if method == "REML" and all(confounded):
        # the criterion does not depend on Psi: nlme's start is the fit (nlme's
        # EM iterations and optimiser stay there but for rounding)
        opt = _confounded_fit(lik, _initial_theta(lik, Z, grouping))
    else:
        with np.errstate(all="ignore"):
            theta0 = _em_start(lik, X, Z, grouping, _initial_theta(lik, Z, grouping), n_em)
        if method == "ML":
            span = random_effects_span(X, Z, grouping.codes, grouping.n_groups)
            if span.ml_unbounded:
                raise _unbounded(X, y, Z, grouping, [lv.pd for lv in levels], theta0, span)
        user_limits = "maxIter" in control or "msMaxIter" in control
        opt, qr_elimination = _optimise_cross_products(lik, theta0, max_iter, max_newton,
                                                       user_limits)
        if qr_elimination:
            # the cross-products have lost digits (a group's random-effects columns
            # spanning many orders of magnitude), or the fit on them ended at a
            # non-finite point or did not converge (where the control does not
            # limit the iterations): fit again on nlme's elimination, QR
            # decompositions of the groups' rows, which keeps the digits
            red = reduce_data(X, y, Z, grouping.codes, grouping.parents, grouping.n_groups,
                              triangular=True)
            lik = ProfiledLikelihood(red, [lv.pd for lv in levels], method == "REML", qr=True)
            refinement = Refinement(lik, X, y, Z, grouping.codes, grouping.parents,
                                    grouping.n_groups)
            with np.errstate(all="ignore"):
                opt = _refit_qr(lik, theta0, opt, max_iter,
                                max(min(max_newton, QR_MAX_NEWTON), 1), refinement)
            if not opt.sound:
                raise _degenerate(lik, opt)
    if not opt.converged:
        msg = (f"optimization did not converge after {opt.iterations} iterations "
               f"({opt.evaluations} evaluations): {opt.message}")
        if control.get("returnObject", False):
            warnings.warn(msg, stacklevel=2)
        else:
            raise ConvergenceError(msg)

    _check_fixed_rank_at(lik, opt.theta, list(design.X.columns))
    est = refinement.estimates(opt.theta) if qr_elimination else lik.estimates(opt.theta)
    psi = lik.psis(opt.theta)

    # fitted values and residuals by level, in the input row order (on the
    # QR elimination the residuals in twice the working precision: there
    # the response can be 1e10 times their size)
    beta = est.beta
    F = np.empty((n, len(levels) + 1), order="F")
    F[:, 0] = X @ beta
    for li in range(len(levels)):
        codes = grouping.codes[li]
        col = F[:, li + 1]
        col[:] = F[:, li]
        for j in range(Z[li].shape[1]):
            col += Z[li][:, j] * np.take(est.b[li][:, j], codes)
    if qr_elimination:
        R = np.column_stack([
            compensated_residual(y, fitted_products(X, beta, Z, grouping.codes, est.b, li))
            for li in range(len(levels) + 1)])
    else:
        R = y[:, None] - F
    col_names = ["fixed"] + [lv.name for lv in levels]
    fitted_df = pd.DataFrame(F, index=row_names, columns=col_names, copy=False)
    resid_df = pd.DataFrame(R, index=row_names, columns=col_names, copy=False)

    # penalised RSS from the residuals: no cancellation, unlike the
    # cross-products; on the QR elimination the refined one
    # (hlm_py.lme.refine: measured, within 3e-12 of the exact logLik where
    # a single elimination was off by 4e-6)
    n_eff = lik.n_eff
    if qr_elimination:
        prss = est.rss
        loglik = est.loglik
    else:
        r_inner = R[:, -1]
        prss = float(r_inner @ r_inner)
        for li in range(len(levels)):
            prss += float(np.einsum("gi,gi->", est.u[li], est.u[li]))
        dev = opt.deviance - n_eff * np.log(est.rss) + n_eff * np.log(prss)
        loglik = float(-0.5 * dev)
    sigma = float(np.sqrt(prss / n_eff))

    names = list(design.X.columns)
    coef = pd.Series(beta, index=pd.Index(names))
    varfix = pd.DataFrame(sigma ** 2 * est.xtvx_inv, index=pd.Index(names), columns=pd.Index(names))

    # nlme's order of the reStruct parameters: innermost level first
    theta_psi: list[np.ndarray] = []
    theta_names: list[str] = []
    for li in range(len(levels) - 1, -1, -1):
        lv = levels[li]
        theta_psi.append(lik.split(opt.theta)[li])
        theta_names += lv.pd.param_names(lv.name, Z[li].shape[1])
    n_var = sum(lv.pd.n_params(z.shape[1]) for lv, z in zip(levels, Z))
    dims = {
        "N": n,
        "Q": len(levels),
        "qvec": [z.shape[1] for z in reversed(Z)] + [0, 0],
        "ngrps": list(reversed(grouping.n_groups)) + [1, 1],
        "ncol": [z.shape[1] for z in reversed(Z)] + [p, 1],
        "names": [lv.name for lv in reversed(levels)],
    }
    call = f"lme.formula(fixed = {design.formula}, data = {dname}"
    call += f", random = {_deparse_random(random)}"
    if method != "REML":
        call += f', method = "{method}"'
    call += ")"
    return LmeFit(
        call=call,
        fixed=design.formula,
        levels=levels,
        method=method,
        design=design,
        random_designs=random_designs,
        grouping=grouping,
        row_names=row_names,
        y=y,
        X=X,
        Z=Z,
        coefficients=coef,
        b=est.b,
        varFix=varfix,
        sigma_=sigma,
        psi=psi,
        theta=np.concatenate(theta_psi),
        theta_names=theta_names,
        theta_opt=opt.theta,
        loglik=loglik,
        df=p + n_var + 1,
        fitted_values=fitted_df,
        residuals_=resid_df,
        dims=dims,
        optim=opt,
        qr_elimination=qr_elimination,
        likelihood=lik,
        data=data,
        data_name=dname,
        contrasts=contrasts,
        control=control,
        args=dict(fixed=fixed, data=data, random=random, method=method,
                  na_action=na_action, contrasts=contrasts, control=control),
    )


def _check_squares(X: np.ndarray, y: np.ndarray, Z: list[np.ndarray], names: list[str],
                   level_names: list[str]) -> None:
    """Refuse data whose sums of squares leave double precision: the
    likelihood is formed from cross-products of the columns, which are then
    infinite or lose every digit (lm refuses the same data; R gives NaN)."""
    cols = [(f"'{c}'", X[:, j]) for j, c in enumerate(names)] + [("the response", y)]
    for lv, z in zip(level_names, Z):
        cols += [(f"the random effects of '{lv}'", z[:, j]) for j in range(z.shape[1])]
    with np.errstate(all="ignore"):
        bad = [nm for nm, v in cols
               if not np.isfinite(ss := float(np.dot(v, v))) or (ss == 0.0 and np.any(v != 0))]
    if bad:
        raise HlmError(f"the data leave double precision: the sum of squares of {', '.join(bad)} "
                       "overflows or underflows; rescale the variables")


#: nlme's QR tolerance: ``QR()`` in nlme's ``matrix.c`` calls ``dqrdc2`` with
#: ``sqrt(DBL_EPSILON)``, and a column it finds negligible leaves a zero on the
#: diagonal of the stored R, so that ``backsolve`` stops with "Singularity in
#: backsolve at level 0, block 1"
NLME_QR_TOL = float(np.sqrt(np.finfo(float).eps))

#: Before the fit, a fixed-effects column whose residual on the columns before
#: it is below this fraction of its norm is refused (exact and near-exact
#: collinearity). Between this and ``NLME_QR_TOL`` the decision is nlme's, made
#: on the whitened design at the estimates (``_check_fixed_rank_at``): the
#: whitening ``V^{-1/2}`` can move a column's relative residual by at most the
#: square root of ``V``'s condition number, which would have to exceed 1e8 to
#: bridge the two bounds.
PREFIT_QR_TOL = 1e-12

_SINGULAR = "Singularity in backsolve at level 0, block 1: the fixed-effects design is rank deficient"


def _negligible_columns(T: np.ndarray, tol: float, names: list[str]) -> list[str]:
    """The columns ``dqrdc2`` (tolerance ``tol``) finds negligible, in R's order."""
    qr = dqrdc2(T, tol=tol)
    return [names[int(j)] for j in qr.pivot[qr.rank:]]


def _check_fixed_rank(X: np.ndarray, red: Reduced, names: list[str]) -> None:
    """Refuse a fixed-effects design that is singular before any fit.

    A zero column, or a column that is (to ``PREFIT_QR_TOL``) a linear
    combination of the columns before it, as ``dqrdc2`` finds it; the
    decision depends on ``X'X`` only, so it is made on the reduction's
    ``R_x`` (``X = X~ R_x``) rather than on the n rows again. nlme stops on
    these with "Singularity in backsolve at level 0, block 1".
    """
    p = X.shape[1]
    if p == 0:
        return
    d = np.sqrt(np.einsum("ij,ij->j", X, X))
    if np.any(d == 0):
        bad = [names[i] for i in np.flatnonzero(d == 0)]
        raise SingularFitError(f"{_SINGULAR} (column(s) {', '.join(bad)} are zero)")
    # (an exactly zero pivot in the reduction's QR: decide on X itself)
    bad = _negligible_columns(X if red.x_singular else red.x_factor, PREFIT_QR_TOL, names)
    if red.x_singular and not bad:
        bad = names
    if bad:
        raise SingularFitError(
            f"{_SINGULAR}: column(s) {', '.join(bad)} are linear combinations of the ones before")


def fixed_relative_residuals(T: np.ndarray) -> np.ndarray:
    """Each column's residual on the columns before it, relative to its norm.

    The quantity ``dqrdc2`` compares with its tolerance (``|R[j, j]|`` over the
    column norm), computed without pivoting; up to the first negligible column
    it is exactly what ``dqrdc2`` compares.
    """
    qr = dqrdc2(T, tol=0.0)
    return np.abs(np.diag(qr.qr[:T.shape[1], :])) / np.sqrt(np.einsum("ij,ij->j", T, T))


def _optimise_cross_products(lik: ProfiledLikelihood, theta0: np.ndarray, max_iter: int,
                             max_newton: int, user_limits: bool
                             ) -> tuple[OptimResult | None, bool]:
    """The fit on the cross-products from nlme's start ``theta0``, and
    whether it must be made again on the QR elimination.

    The optimiser works in lik's scale-free parametrisations
    (``work_from_theta``): the precision factor first (nlme's choice), with a
    second start at unit relative variances; where that stops at a boundary
    or does not converge, the covariance factor too (smooth at a singular
    Psi). The best converged end point wins. Where the cross-products are at
    their noise already at the start, the fit goes to the QR elimination
    straight away.
    """
    # (trial points of the searches can be non-finite; each value is checked,
    # so numpy's floating-point warnings there say nothing to the user)
    with np.errstate(all="ignore"):
        opt: OptimResult | None = None
        if _deviance_noise(lik, theta0) <= _noise_bound(lik.deviance(theta0)):
            try:
                opt = _optimise(lik, theta0, max_iter, max(max_newton, 1))
            except NonFiniteError:
                pass
        redo = (opt is None or not np.isfinite(opt.deviance)
                or (not opt.converged and not user_limits))
        if not redo:
            noise = _deviance_noise(lik, opt.theta)
            redo = noise > _noise_bound(opt.deviance) or (
                noise > LOCATION_NOISE_ULPS * float(np.spacing(abs(opt.deviance)))
                and _location_uncertainty(lik, opt.theta, noise) > LOCATION_TOL)
    return opt, redo


#: The fit is made again on the QR elimination where the cross-products'
#: rounding leaves the optimum's location uncertain by more than this in a
#: parameter (a log scale, or an entry of a factor) of a level not at zero:
#: the location would then depend on the last bits of the arithmetic (measured:
#: a group variance of 7.9e5 sigma^2 at 790151.5 on OpenBLAS's Haswell kernels
#: and 790152.4 on its Sandybridge ones, 1.1e-6 apart, at a noise of 6e-10)
LOCATION_TOL = 1e-7
#: ... where that noise exceeds this many units in the last place of the
#: deviance (any evaluation's floor; measured 1 ulp at 10^5 and 10^6 rows,
#: where the floor alone leaves 2e-7, and 1e4 ulps in that case)
LOCATION_NOISE_ULPS = 64
#: a level whose relative variances are all below this is at zero, where the
#: location is not asked for (the lme comparison's BOUNDARY_SD_RATIO squared)
ZERO_LEVEL_PSI = 1e-6


def _location_uncertainty(lik: ProfiledLikelihood, theta: np.ndarray, noise: float) -> float:
    """The largest ``sqrt(2 noise / H_ii)`` over the parameters of levels not
    at zero: how far along a parameter the criterion's rounding ``noise``
    hides the optimum (``H_ii`` by central differences of the gradient)."""
    if theta.size == 0 or noise <= 0.0:
        return 0.0
    worst = 0.0
    for level, part, psi in zip(range(len(lik.pd)), lik.split(theta), lik.psis(theta)):
        if float(np.max(np.abs(np.diag(np.atleast_2d(psi))))) < ZERO_LEVEL_PSI:
            continue
        start = lik.offsets[level]
        for k in range(part.size):
            i = start + k
            h = 1e-4 * max(1.0, abs(float(theta[i])))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            curv = (lik.deviance_and_gradient(up)[1][i]
                    - lik.deviance_and_gradient(down)[1][i]) / (2.0 * h)
            if not np.isfinite(curv):
                continue
            worst = max(worst, math.sqrt(2.0 * noise / curv) if curv > 0 else math.inf)
    return worst


def _confounded_message(level: RandomLevel, method: str) -> str:
    what = ("the REML criterion does not depend on their covariance parameters, which keep "
            "nlme's starting values and are not estimates" if method == "REML" else
            "their maximum-likelihood variances are 0")
    return (f"the random effects of level '{level.name}' ({level.formula}) lie in the column "
            f"space of the fixed effects, which absorb them: {what}")


def _confounded_fit(lik: ProfiledLikelihood, theta: np.ndarray) -> OptimResult:
    """The "fit" where the criterion does not depend on theta: ``theta`` itself."""
    dev = lik.deviance(theta)
    if not np.isfinite(dev):
        raise NonFiniteError("lme: the log-likelihood is not finite at the starting values")
    return OptimResult(theta=theta, deviance=dev, gradient=np.zeros_like(theta),
                       iterations=0, evaluations=1, converged=True,
                       message="not optimised: the fixed effects absorb the random effects, "
                               "and the REML criterion does not depend on their parameters")


#: The fit is made again on the QR elimination where the cross-product
#: deviance changes by more than this (absolute plus relative to the deviance)
#: under a perturbation of theta of 1e-13, which moves an exact deviance by
#: about 1e-26: measured, 1e-9 at a deviance of 4e6 (10^6 rows) for
#: well-scaled data, 2e-6 to 4e-5 for random slopes on a covariate spanning
#: 1e-3 to 1e3 within groups
LOGLIK_NOISE_ABS = 1e-8
LOGLIK_NOISE_REL = 1e-14


def _noise_bound(deviance: float) -> float:
    return LOGLIK_NOISE_ABS + LOGLIK_NOISE_REL * abs(deviance)


def _deviance_noise(lik: ProfiledLikelihood, theta: np.ndarray) -> float:
    """How much the deviance moves under perturbations of theta far below
    any real change: its rounding noise at ``theta``."""
    d0 = lik.deviance(theta)
    if not np.isfinite(d0) or theta.size == 0:
        return 0.0
    sign = np.where(np.arange(theta.size) % 2, 1.0, -1.0)
    step = 1e-13 * np.maximum(1.0, np.abs(theta)) * sign
    return max(abs(lik.deviance(theta + s * step) - d0) for s in (1.0, -1.0))


#: Newton iterations per run on the QR elimination: in the narrow valleys of
#: such likelihoods Newton's steps are cut to little, and the simplex polish
#: that follows does the rest
QR_MAX_NEWTON = 10
#: ... and an end point is sound where the elimination's deviance moves by
#: at most this (relative) under the perturbations of ``_deviance_noise``:
#: measured, 1e-7 at ordinary P7 optima, 0.3 and more where a variance of
#: 1e30 sigma^2 and beyond leaves only rounding
QR_SOUND = 1e-6
#: ... and where the refined deviance (:mod:`hlm_py.lme.refine`) is within
#: this (absolute, or ``QR_SOUND`` relative) of the elimination's own:
#: measured, at most 9e-6 apart at P7 optima (a single elimination's
#: rounding), 29 to 1600 apart at relative variances of 1e69 and beyond,
#: where the perturbations of ``_deviance_noise`` happened to move the
#: elimination's value by only 5e-5
QR_REFINED_SOUND = 1e-3


#: Rounds of (gradient runs from the best point, then a simplex polish) on the
#: QR elimination, while a round gains more than ``QR_ROUND_GAIN`` relative:
#: the polish can leave a basin's floor where the runs of the next round,
#: in the covariance parametrisation with its singular faces, reach an
#: optimum at a correlation of +-1 (measured: 453.7873 -> 453.8057, nlme's,
#: in the second round)
QR_ROUNDS = 4
QR_ROUND_GAIN = 1e-10
#: The end point is polished again on the refined criterion
#: (:mod:`hlm_py.lme.refine`) where that differs from the elimination's by
#: more than this (relative): the elimination's rounding is then large
#: enough to move the located optimum
QR_REFINE_GAP = 1e-12
#: A polish that does not converge has reached a finite supremum toward a
#: residual SD of 0 (difference P8: the random effects reproduce the data,
#: and the logLik tends to a limit as every relative variance grows) where
#: the deviance changes by at most this (relative to ``max(1, |deviance|)``)
#: as the relative variances grow 100- and 10000-fold: the fit is then
#: within that of the supremum (measured: restarts kept gaining 1e-10 along
#: the ray, 20 times, at 3e-8 of the limit; another row order had stopped)
P8_RAY_FLAT = 1e-9


def _flat_toward_zero_sigma(deviance: Callable[[np.ndarray], float], lik: ProfiledLikelihood,
                            theta: np.ndarray, dev: float) -> bool:
    """Whether ``deviance`` stays within ``P8_RAY_FLAT`` of ``dev`` (its
    value at ``theta``) as every relative variance grows 100- and
    10000-fold."""
    tol = P8_RAY_FLAT * max(1.0, abs(dev))
    psis = lik.psis(theta)
    for factor in (1e2, 1e4):
        try:
            far = lik.theta_from_psi([factor * np.asarray(m, dtype=float) for m in psis])
        except np.linalg.LinAlgError:  # a singular Psi: no such parameters
            return False
        d = deviance(far)
        if not (np.isfinite(d) and abs(d - dev) <= tol):
            return False
    return True


def _refit_qr(lik: ProfiledLikelihood, theta0: np.ndarray, opt: OptimResult | None,
              max_iter: int, max_newton: int, refinement: Refinement | None = None
              ) -> OptimResult:
    """The fit on the QR elimination ``lik``.

    A round runs the optimiser in both parametrisations (with their
    boundary faces) from each start, keeps the best *sound* end point and
    polishes it by Nelder-Mead in nlme's parameters (such optima can lie in
    valleys far narrower than long, where Newton's steps are cut to nothing
    short of the optimum). The first round starts from the cross-product
    fit's end point (``opt``, where it is finite) and from nlme's start; each
    further round from the last round's point, while a round gains.

    An end point is sound where the elimination is not at its rounding noise
    (a variance 1e30 times sigma^2 and more, where the likelihood is flat
    and a search meets only rounding); an unsound point is a candidate only
    if no other is, and the polish stops short of such points."""
    def sound(theta: np.ndarray, dev: float) -> bool:
        scale = max(1.0, abs(dev))
        if not _deviance_noise(lik, theta) <= QR_SOUND * scale:
            return False
        # (the noise can be small by chance where the elimination is off by
        # hundreds: the refined value, which corrects its rounding, says so)
        return refinement is None or \
            abs(refinement.deviance(theta) - dev) <= max(QR_SOUND * scale, QR_REFINED_SOUND)

    starts = [theta0]
    if opt is not None and np.isfinite(opt.deviance):
        starts.insert(0, opt.theta)
    iterations = opt.iterations if opt else 0
    evaluations = opt.evaluations if opt else 0
    best: OptimResult | None = None
    for round_ in range(QR_ROUNDS):
        results: list[OptimResult] = [best] if best is not None else []
        for i, t0 in enumerate(starts):
            try:
                runs = _optimise_runs(lik, t0, max_iter, max_newton, every_mode=True,
                                      unit_start=round_ == 0 and i == 0)
            except NonFiniteError:
                continue
            iterations += sum(r.iterations for r in runs)
            evaluations += sum(r.evaluations for r in runs)
            results += runs
        if not results:
            raise NonFiniteError("lme: the log-likelihood is not finite at the starting values")
        pool = [r for r in results if sound(r.theta, r.deviance)] or results
        previous = best
        best = min(pool, key=lambda r: r.deviance)
        theta, dev, n_eval, converged = polish_simplex(lik.deviance, best.theta, sound=sound)
        evaluations += n_eval
        if dev < best.deviance:
            best = replace(best, theta=theta, deviance=dev)
        best.converged = converged
        if previous is not None and \
                previous.deviance - best.deviance <= QR_ROUND_GAIN * max(1.0, abs(best.deviance)):
            break
        starts = [best.theta]
    assert best is not None
    if not sound(best.theta, best.deviance):
        # every search went where the elimination no longer evaluates the
        # likelihood (difference P8); a Newton step from there can land on a
        # point that looks sound and is worse than any the searches met
        best.iterations, best.evaluations = iterations, evaluations
        best.sound = False
        best.message = "the searches on the QR elimination ended where it is at its rounding"
        return best
    polished = _newton_in_theta(lik, best, max_newton)
    evaluations += polished.evaluations - best.evaluations
    if sound(polished.theta, polished.deviance):
        best = polished
    if refinement is not None and best.converged:
        # where the elimination's own value is off the refined one, the
        # optimum is located on the refined criterion (its rounding noise
        # would leave row orders 3e-7 apart in logLik)
        d_ref = refinement.deviance(best.theta)
        if abs(d_ref - best.deviance) > QR_REFINE_GAP * max(1.0, abs(d_ref)):
            theta, dev, n_eval, converged = polish_simplex(refinement.deviance, best.theta,
                                                           sound=sound)
            evaluations += n_eval
            best = replace(best, theta=theta, deviance=dev, converged=converged)
    best.iterations, best.evaluations = iterations, evaluations
    best.sound = sound(best.theta, best.deviance)
    best.message = ("converged (Nelder-Mead polish on the QR elimination)" if best.converged
                    else "the Nelder-Mead polish on the QR elimination did not converge")
    if not best.converged and best.sound and _flat_toward_zero_sigma(
            refinement.deviance if refinement is not None else lik.deviance, lik, best.theta,
            best.deviance):
        # the polish followed a ray toward a residual SD of 0 along which the
        # likelihood has reached its limit (P8's finite supremum)
        best.converged = True
        best.message = ("converged toward a finite supremum at a residual SD of 0 (the "
                        "log-likelihood no longer changes as the variances grow)")
    return best


def _degenerate(lik: ProfiledLikelihood, opt: OptimResult) -> ConvergenceError:
    """The error of a fit that ends where not even the QR elimination evaluates
    the likelihood: a relative variance so large that the residual SD is at
    the rounding of the data (difference P8). It carries ``psi`` (relative,
    outer to inner) and ``loglik`` there (unreliable: rounding)."""
    psi = lik.psis(opt.theta)
    largest = max(float(np.linalg.eigvalsh(m).max()) for m in psi)
    exc = ConvergenceError(
        "the log-likelihood grows toward a residual standard deviation of 0, where double "
        f"precision no longer evaluates it (a random-effects variance of {largest:.1e} times "
        "sigma^2): the random effects reproduce the data, and the model has no maximum-"
        "likelihood estimate to report (nlme may stop at a local optimum; "
        "docs/differences.md, P8)")
    exc.degenerate = True
    exc.psi = psi
    exc.loglik = -0.5 * opt.deviance
    return exc


#: The point on the unbounded ray that a refusal reports: nlme's start with
#: every relative variance this many times larger
UNBOUNDED_WITNESS_SCALE = 1e20


def _unbounded(X: np.ndarray, y: np.ndarray, Z: list[np.ndarray], grouping: Grouping,
               pds: list[PdClass], theta0: np.ndarray, span: Span) -> ConvergenceError:
    """The refusal of an ML fit whose likelihood is unbounded by the design
    (:mod:`hlm_py.lme.span`), made before any search so that it cannot depend
    on the search's path. Like :func:`_degenerate`'s error it carries ``psi``
    (relative, outer to inner) and ``loglik``: a point on the ray from nlme's
    start (``UNBOUNDED_WITNESS_SCALE`` times its relative variances), its
    logLik evaluated on the refined QR elimination."""
    red = reduce_data(X, y, Z, grouping.codes, grouping.parents, grouping.n_groups,
                      triangular=True)
    lik = ProfiledLikelihood(red, pds, False, qr=True)
    psi = [UNBOUNDED_WITNESS_SCALE * np.asarray(m, dtype=float) for m in lik.psis(theta0)]
    with np.errstate(all="ignore"):
        theta = lik.theta_from_psi(psi)
        dev = Refinement(lik, X, y, Z, grouping.codes, grouping.parents,
                         grouping.n_groups).deviance(theta)
    exc = ConvergenceError(
        "the log-likelihood grows without bound toward a residual standard deviation of 0: "
        f"the fixed and random effects together reproduce the data (rank [X, Z] = "
        f"{span.rank_xz} = the number of observations, rank Z = {span.rank_z}), so the model "
        "has no maximum-likelihood estimate to report (nlme may stop at a local optimum; "
        "docs/differences.md, P8)")
    exc.degenerate = True
    exc.psi = psi
    exc.loglik = -0.5 * dev
    return exc


def _check_fixed_rank_at(lik: ProfiledLikelihood, theta: np.ndarray, names: list[str]) -> None:
    """Refuse the fit where nlme's level-0 QR would find the fixed effects rank deficient.

    nlme decomposes the whitened fixed-effects columns (``V^{-1/2} X``) with
    ``dqrdc2`` at tolerance ``sqrt(.Machine$double.eps)``; its decision
    depends only on ``X'V^{-1}X``, whose factor the likelihood gives at the
    estimates. (nlme makes the decision at every iterate; a design that is
    rank deficient only on the way to the estimates is fitted here.)

    The error carries the estimates it refuses: ``relative_residual`` (the
    first negligible column's, see :func:`fixed_relative_residuals`),
    ``psi`` (relative, per level outer to inner) and ``loglik`` there.
    """
    if not names:
        return
    T = lik.fixed_factor(theta)
    if T is None:
        raise SingularFitError("the random-effects system is numerically singular at the "
                               "estimates")
    bad = _negligible_columns(T, NLME_QR_TOL, names)
    if bad:
        exc = SingularFitError(
            f"{_SINGULAR} to nlme's tolerance sqrt(.Machine$double.eps) at the estimates: "
            f"column(s) {', '.join(bad)} are, after the random-effects rotations, linear "
            "combinations of the ones before (centring or rescaling covariates helps)")
        rel = fixed_relative_residuals(T)
        exc.relative_residual = float(rel[names.index(bad[0])])
        exc.psi = lik.psis(theta)
        exc.loglik = -0.5 * lik.deviance(theta)
        raise exc


def _optimise_runs(lik: ProfiledLikelihood, theta0: np.ndarray, max_iter: int,
                   max_newton: int, every_mode: bool = False,
                   unit_start: bool = True) -> list[OptimResult]:
    """The optimiser's runs from ``theta0`` (and, with ``unit_start``, from
    unit relative variances in the work coordinates): in the precision
    parametrisation, then (where that stops at a boundary or does not
    converge, or always with ``every_mode``) in the covariance one, started
    also from the first run's end point. Each result's ``theta`` and
    ``deviance`` are in nlme's parameters."""
    bnd = lik.work_boundary()
    results: list[OptimResult] = []
    for mode in ("precision", "covariance"):
        starts = [lik.work_from_theta(theta0, mode)]
        if results:
            starts.insert(0, lik.work_from_theta(results[0].theta, mode))
        if unit_start:
            starts.append(np.zeros_like(starts[0]))
        try:
            r = maximize_profiled(partial(lik.work_deviance_and_gradient, mode=mode), starts[0],
                                  max_iter=max_iter, max_newton=max_newton, starts=starts[1:],
                                  boundary=bnd)
        except FloatingPointError as exc:
            if results:
                break
            raise NonFiniteError(f"lme: {exc}") from exc
        r.theta = lik.theta_from_work(r.theta, mode)
        r.deviance = lik.deviance(r.theta)
        results.append(r)
        if all(c.n_params(q) == 1 for c, q in zip(lik.pd, lik.q)):
            break  # one parameter per level: both parametrisations are the same
        if r.converged and "boundary" not in r.message and not every_mode:
            break
    return results


def _optimise(lik: ProfiledLikelihood, theta0: np.ndarray, max_iter: int,
              max_newton: int) -> OptimResult:
    """The best converged end point of :func:`_optimise_runs` (the best of
    all where none converged), with the runs' counts, then Newton in nlme's
    parameters (:func:`_newton_in_theta`)."""
    results = _optimise_runs(lik, theta0, max_iter, max_newton)
    conv = [r for r in results if r.converged] or results
    best = min(conv, key=lambda r: r.deviance)
    if np.isfinite(best.deviance) and _at_a_boundary(lik, best.theta):
        # an end point at a singular Psi can be a local optimum whose basin
        # holds nlme's start, where nlme's EM iterations reach an interior one
        # (measured: -17.906 against nlme's -17.509, which a start at 55 times
        # larger relative variances reaches): start there too
        more = _optimise_runs(lik, _larger_variances(lik, theta0), max_iter, max_newton,
                              unit_start=False)
        results += more
        conv = [r for r in results if r.converged] or results
        best = min(conv, key=lambda r: r.deviance)
    best.iterations = sum(r.iterations for r in results)
    best.evaluations = sum(r.evaluations for r in results)
    return _newton_in_theta(lik, best, max_newton) if np.isfinite(best.deviance) else best


#: a level whose relative Psi has an eigenvalue below this fraction of its
#: largest is at a boundary (a variance of 0 or a correlation of +-1)
BOUNDARY_EIGEN_RATIO = 1e-6
#: the further start of a fit that ends at a boundary: the log scales of the
#: work coordinates raised by this (variances e^4, about 55, times larger)
LARGER_START_SHIFT = 2.0


def _at_a_boundary(lik: ProfiledLikelihood, theta: np.ndarray) -> bool:
    """Whether some level's relative Psi is singular to ``BOUNDARY_EIGEN_RATIO``."""
    for m in lik.psis(theta):
        w = np.linalg.eigvalsh(0.5 * (m + m.T))
        if not np.all(np.isfinite(w)) or w[0] < BOUNDARY_EIGEN_RATIO * max(float(w[-1]), 1e-300):
            return True
    return False


def _larger_variances(lik: ProfiledLikelihood, theta0: np.ndarray) -> np.ndarray:
    """``theta0`` with the work coordinates' log scales raised by ``LARGER_START_SHIFT``."""
    w = lik.work_from_theta(theta0, "precision")
    w[lik.work_boundary()] += LARGER_START_SHIFT
    return lik.theta_from_work(w, "precision")


#: Newton iterations of the last run in nlme's parameters
THETA_NEWTON = 10
#: ... and how many times the criterion's measured noise a step may change it
#: by and still be judged by the gradient
THETA_NEWTON_NOISE = 4.0


def _newton_in_theta(lik: ProfiledLikelihood, opt: OptimResult, max_newton: int) -> OptimResult:
    """A last Newton run from ``opt``'s end point in nlme's own parameters
    ``theta`` (log scales already at their boundary held). Near a singular
    ``Psi`` the work coordinates are far worse conditioned than ``theta``, and
    the searches there can stop with gradients of 1e-5 to 1e-3, where the
    likelihood is flat to 1e-9 but the estimates are not (measured: two row
    orders' intercepts 1.2e-3 and 1.8e-4 standard errors apart; after this
    run 1e-6). Steps are judged by the gradient where the criterion changes
    by less than its rounding (``THETA_NEWTON_NOISE`` times ``_deviance_noise``:
    measured, a step to a gradient 1e4 times smaller raised the criterion by
    1.2e-9 where its noise was 1e-9), at most ``_noise_bound``; never worse
    than ``opt`` beyond that."""
    noise = THETA_NEWTON_NOISE * _deviance_noise(lik, opt.theta)
    # (at most what the cross-product path counts as accurate: a step may
    # cost at most about 5e-9 of logLik)
    noise = min(noise, _noise_bound(opt.deviance)) if np.isfinite(noise) else 0.0
    theta, dev, n_eval = newton_polish(lik.deviance_and_gradient, opt.theta,
                                       lik.theta_log_scales(), min(max_newton, THETA_NEWTON),
                                       noise)
    return replace(opt, theta=theta, deviance=dev, evaluations=opt.evaluations + n_eval)


def _initial_theta(lik: ProfiledLikelihood, Z: list[np.ndarray], grouping: Grouping) -> np.ndarray:
    """Starting values: nlme's precision factor ``0.375 sqrt(colSums(Z^2) / G)``, inverted."""
    parts = []
    for pdc, z, G in zip(lik.pd, Z, grouping.n_groups):
        ss = np.einsum("ij,ij->j", z, z) / G
        ss = np.where(ss > 0, ss, 1.0)
        delta = 0.375 * np.sqrt(ss)
        parts.append(pdc.params(np.diag(1.0 / delta ** 2)))
    return np.concatenate(parts)


#: nlme's EM iterations before its optimiser (``lmeControl(niterEM = 25)``)
NITER_EM = 25


def _control_count(control: dict[str, Any], name: str, default: int) -> int:
    """The ``lmeControl`` count ``name`` (a non-negative whole number), or
    ``default`` where it is not given; ``HlmError`` otherwise."""
    if name not in control:
        return default
    v = control[name]
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
            or not np.isfinite(v) or v < 0 or v != int(v):
        raise HlmError(f"lmeControl: '{name}' must be a non-negative whole number, not {v!r}")
    return int(v)


def _em_start(lik: ProfiledLikelihood, X: np.ndarray, Z: list[np.ndarray], grouping: Grouping,
              theta0: np.ndarray, n_iter: int) -> np.ndarray:
    """nlme's start: ``n_iter`` EM iterations from ``theta0`` (nlme's
    ``internal_EM``), for one level of the classes whose EM step is the
    conditional second moment of the random effects projected on the class
    (pdLogChol, pdSymm, pdDiag, pdIdent); ``theta0`` otherwise.

    Each step sets the relative ``Psi`` to ``(1/G) sum_g (b_g b_g'/sigma^2 +
    Var(b_g | y)/sigma^2)``, with ``Var(b_g | y)/sigma^2 = Lambda M_g^{-1}
    Lambda'`` and, for REML, the fixed effects' uncertainty ``+ W_g
    (X'V^{-1}X)^{-1} W_g'``, ``W_g = Lambda M_g^{-1} Lambda' Z_g'X_g``. The
    start decides between local optima (measured: from nlme's start without
    EM the fit ended at a correlation of +0.999 with logLik -116.3408; after
    EM, as nlme, at -0.997 with -116.0470). The iterations stop early where a
    step's estimates are singular or its ``Psi`` is not positive definite."""
    pdc = lik.pd[0] if len(lik.pd) == 1 else None
    if n_iter <= 0 or not isinstance(pdc, (pdLogChol, pdSymm, pdDiag, pdIdent)):
        return theta0
    z = Z[0]
    codes, G = grouping.codes[0], grouping.n_groups[0]
    q, p = z.shape[1], X.shape[1]
    cross = group_crossprod([z[:, j] for j in range(q)] + [X[:, j] for j in range(p)], codes, G)
    ztz = np.moveaxis(cross[:q, :q], 2, 0)
    ztx = np.moveaxis(cross[:q, q:], 2, 0)
    theta = theta0
    for _ in range(n_iter):
        try:
            est = lik.estimates(theta)
        except SingularFitError:
            break
        lam = lik.roots(theta)[0]
        M = np.eye(q) + lam.T @ ztz @ lam
        try:
            C = lam @ np.linalg.solve(M, np.broadcast_to(lam.T, M.shape))
        except np.linalg.LinAlgError:
            break
        if lik.reml and p:
            W = C @ ztx
            C = C + W @ est.xtvx_inv @ np.swapaxes(W, 1, 2)
        b = est.b[0]
        psi = (C.sum(axis=0) + b.T @ b / est.sigma ** 2) / G
        if isinstance(pdc, pdDiag):
            psi = np.diag(np.diag(psi))
        elif isinstance(pdc, pdIdent):
            psi = float(np.trace(psi)) / q * np.eye(q)
        try:
            nxt = lik.theta_from_psi([0.5 * (psi + psi.T)])
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            break
        if not np.all(np.isfinite(nxt)):
            break
        theta = nxt
    return theta
