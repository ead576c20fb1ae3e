"""nlme's variance functions (``varFunc`` classes) as specs and bound components.

Mirrors nlme 3.1-162's ``varFixed``, ``varIdent``, ``varPower``, ``varExp``,
``varConstPower`` and ``varComb`` (``R/varFunc.R``): the constructor is a
spec (:class:`VarFuncSpec`), nlme's ``Initialize`` is :meth:`bind`, and the
bound object answers ``coef``, ``coef<-`` + ``varWeights`` (:meth:`weights`
of a parameter block), ``logLik`` and ``update`` without mutation.

nlme's behaviour is kept where it is surprising, because R users get those
numbers:

* strata are ``unique(strata)`` in the order of the fit's rows; the first is
  varIdent's reference stratum unless ``value=`` names all others;
* a single starting value is repeated for every free stratum and its name
  ignored; several values are assigned to the free strata by position (in
  data order) while the printed names follow ``value=``'s order (varPower,
  varExp, varConstPower); several ``fixed=`` values go, by position, to the
  fixed strata in data order (varPower, varExp, varConstPower);
* a structure whose strata collapse to one, or whose parameters are all
  fixed at the identity, becomes ``varIdent()`` (constant variance);
* ``varConstPower`` with every parameter fixed keeps weights 1 for a data
  covariate (nlme computes them only in ``coef<-`` and ``update``).

The printed block (``print(summary(varStruct))``) is in
:mod:`hlm_py.printing.varfunc_reports`; :meth:`summary` gives what it needs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from hlm_py.errors import HlmError, MissingValueError, NotAvailableError, UnknownVariableError
from hlm_py.formula.deparse import deparse, deparse_call, deparse_lines
from hlm_py.formula.parser import Call, Name, Node, is_syntactic_name, parse, walk_names
from hlm_py.formula.transforms import evaluate
from hlm_py.formula.values import Chr, DataEnv, Factor, Lgl, make_factor
from hlm_py.linalg.libm import r_log, r_math1, r_pow
from hlm_py.linalg.rsum import r_sum
from hlm_py.rbase.ascharacter import as_character_double
from hlm_py.structs.base import VarFuncSpec

__all__ = [
    "varFixed", "varIdent", "varPower", "varExp", "varConstPower", "varConstProp", "varComb",
    "as_varfunc", "VarFixed", "VarIdent", "VarPower", "VarExp", "VarConstPower", "VarConstProp",
    "VarComb", "BoundVarFuncBase", "BoundConstant", "BoundVarFixed", "BoundVarIdent",
    "BoundVarCovariate", "BoundVarConstPower", "BoundVarConstProp", "BoundVarComb",
    "VarFuncSummary",
]

#: R's constants: names that ``all.vars`` lists but that are not data
_R_CONSTANTS = {"pi", "T", "F", "TRUE", "FALSE", "NA", "Inf", "NaN", "NULL",
                "NA_real_", "NA_integer_", "NA_character_", "LETTERS", "letters"}
_FITTED = "\x00fitted"  # the name fitted(.) is evaluated under after update
_LETTERS = [chr(ord("A") + i) for i in range(26)]


# ---------------------------------------------------------------- formulas


@dataclass(frozen=True)
class _Form:
    """A one-sided formula ``~ covariate | g1 * g2``, split as nlme splits it."""

    node: Node  # the whole ``~`` call

    @property
    def rhs(self) -> Node:
        assert isinstance(self.node, Call)
        return self.node.args[0][1]

    @property
    def covariate(self) -> Node:
        r = self.rhs
        if isinstance(r, Call) and r.fn == "|" and len(r.args) == 2:
            return r.args[0][1]
        return r

    @property
    def groups(self) -> Node | None:
        r = self.rhs
        if isinstance(r, Call) and r.fn == "|" and len(r.args) == 2:
            return r.args[1][1]
        return None

    def covariate_form(self) -> _Form:
        """nlme's ``getCovariateFormula``."""
        return _Form(Call("~", ((None, self.covariate),)))

    def covariate_vars(self) -> list[str]:
        return _all_vars(self.covariate)

    def all_vars(self) -> list[str]:
        return _all_vars(self.rhs)

    def text(self) -> str:
        """R's ``deparse`` of the formula (one line per element of R's result)."""
        return deparse(self.node)

    def lines(self) -> list[str]:
        return deparse_lines(self.node)


def _all_vars(node: Node) -> list[str]:
    """R's ``all.vars``: the symbols, first appearance first."""
    return list(dict.fromkeys(walk_names(node, include_functions=False)))


def _one_sided(form: object, what: str = "form") -> _Form:
    """nlme's ``asOneSidedFormula`` of a formula string."""
    if isinstance(form, _Form):
        return form
    if not isinstance(form, str):
        raise HlmError(f"'{what}' must be a one-sided formula such as \"~ age\", not "
                       f"{type(form).__name__}")
    text = form.strip()
    if not text.startswith("~"):
        if is_syntactic_name(text):  # R: a character string is a name
            text = "~ " + text
        else:
            raise HlmError(f"'{what}' must be a one-sided formula such as \"~ age\": {form!r}")
    node = parse(text)
    if not (isinstance(node, Call) and node.fn == "~"):
        raise HlmError(f"'{what}' must be a one-sided formula such as \"~ age\": {form!r}")
    if len(node.args) != 1:
        raise HlmError(f"formula '{deparse(node)}' must be of the form '~expr'")
    return _Form(node)


def _split_groups(node: Node) -> list[Node]:
    """nlme's ``splitFormula(grpForm, sep = "*")``."""
    if isinstance(node, Call) and node.fn == "*" and len(node.args) == 2:
        return _split_groups(node.args[0][1]) + _split_groups(node.args[1][1])
    if isinstance(node, Call) and node.fn == "(" and len(node.args) == 1:
        return _split_groups(node.args[0][1])
    return [node]


def _has_dot(node: Node) -> bool:
    return "." in _all_vars(node)


def _replace_fitted(node: Node) -> Node:
    """``fitted(.)`` replaced by the name the fitted values are stored under."""
    if isinstance(node, Call):
        if (node.fn in ("fitted", "fitted.values") and len(node.args) == 1
                and node.args[0][0] is None and node.args[0][1] == Name(".")):
            return Name(_FITTED)
        return Call(node.fn, tuple((k, _replace_fitted(v)) for k, v in node.args), node.pos)
    return node


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class _Vec:
    """A numeric vector as R holds it: values and optional names."""

    values: tuple[float, ...] = ()
    names: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.values)

    def arr(self) -> np.ndarray:
        return np.array(self.values, dtype=np.float64)

    def deparse(self) -> str:
        cells = [_num_text(v) for v in self.values]
        if self.names is not None:
            cells = [f"{_r_name(n)} = {c}" for n, c in zip(self.names, cells)]
        if len(cells) == 1 and self.names is None:
            return cells[0]
        return "c(" + ", ".join(cells) + ")"


def _r_name(n: str) -> str:
    return n if is_syntactic_name(n) else "`" + n.replace("`", "\\`") + "`"


def _num_text(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    return as_character_double(v)


def _number(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise HlmError(f"{what} must be numeric, not {type(x).__name__}")
    v = float(x)
    if math.isnan(v):
        raise HlmError(f"{what} must not be NA")
    return v


def _as_vec(x: object, what: str) -> _Vec:
    """A float, a sequence or a dict (R's named vector) as a :class:`_Vec`."""
    if x is None:
        return _Vec()
    if isinstance(x, _Vec):
        return x
    if isinstance(x, Mapping):
        names = tuple(str(k) for k in x.keys())
        return _Vec(tuple(_number(v, what) for v in x.values()), names)
    if isinstance(x, pd.Series):
        return _Vec(tuple(_number(v, what) for v in x.to_numpy()), tuple(str(k) for k in x.index))
    if isinstance(x, (list, tuple, np.ndarray)):
        return _Vec(tuple(_number(v, what) for v in np.asarray(x, dtype=object).reshape(-1)))
    return _Vec((_number(x, what),))


def _log_vec(v: _Vec) -> _Vec:
    return _Vec(tuple(float(t) for t in r_log(v.arr())), v.names) if len(v) else v


# ---------------------------------------------------------------- data


def _covariate(node: Node, data: pd.DataFrame, fitted: np.ndarray | None = None) -> np.ndarray:
    """nlme's ``getCovariate``: the covariate expression evaluated on the rows."""
    env = DataEnv(data)
    if fitted is not None:
        env.cache[_FITTED] = np.asarray(fitted, dtype=np.float64)
        node = _replace_fitted(node)
    label = deparse(node) if fitted is None else "fitted(.)"
    var = evaluate(node, env)
    if var.kind == "factor":
        raise HlmError(f"the variance covariate '{label}' is a factor: 'abs' not meaningful "
                       "for factors")
    if var.kind not in ("numeric", "logical"):
        raise HlmError(f"the variance covariate '{label}' must be a numeric vector "
                       "(non-numeric argument to mathematical function)")
    out = np.asarray(var.values, dtype=np.float64).copy()
    if np.isnan(out).any():
        raise MissingValueError(f"missing values in the variance covariate '{label}'")
    return out


def _labels_of(val: object) -> np.ndarray:
    """``as.character(as.factor(x))`` of an evaluated grouping value."""
    if isinstance(val, Factor):
        return val.labels()
    if isinstance(val, (Chr, Lgl)):
        return make_factor(val).labels()
    return make_factor(np.asarray(val)).labels()


def _strata(groups: Node, data: pd.DataFrame) -> list[str]:
    """nlme's strata: ``as.character(getGroups(data, form, level, sep = "*"))``."""
    parts = _split_groups(groups)
    for p in parts:
        if len(_all_vars(p)) != 1:
            raise HlmError("invalid formula for groups")
    env = DataEnv(data)
    cols: list[np.ndarray] = []
    for p in parts:
        var = evaluate(p, env)
        if var.kind == "factor":
            val: object = Factor(var.values, list(var.levels or []), var.ordered)
        elif var.kind == "character":
            val = Chr(var.values)
        elif var.kind == "logical":
            val = Lgl(var.values)
        elif var.kind == "numeric":
            val = var.values
        else:
            raise HlmError(f"invalid grouping variable '{deparse(p)}' for the strata")
        labels = _labels_of(val)
        if any(lab is None for lab in labels):
            raise MissingValueError(f"missing values in the strata variable '{deparse(p)}'")
        cols.append(labels)
    if len(cols) == 1:
        return [str(s) for s in cols[0]]
    return ["*".join(str(c[i]) for c in cols) for i in range(len(data))]


def _unique(xs: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(xs))


def _variables(form: _Form, columns: Sequence[str]) -> list[str]:
    cols = set(columns)
    return [v for v in form.all_vars() if v != "." and (v in cols or v not in _R_CONSTANTS)]


def _unlist_names(prefix: str, names: list[str] | None, n: int) -> list[str]:
    """R's ``unlist`` naming of one element ``prefix`` holding ``n`` values."""
    if n == 0:
        return []
    if names is None:
        return [prefix] if n == 1 else [f"{prefix}{i + 1}" for i in range(n)]
    return [f"{prefix}.{s}" if s else (prefix if n == 1 else f"{prefix}{i + 1}")
            for i, s in enumerate(names)]


def _theta(theta: object, n: int, message: str) -> np.ndarray:
    try:
        t = np.asarray(theta, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise HlmError(f"the parameters must be numeric, not {theta!r}") from None
    if t.shape[0] != n:
        raise HlmError(message)
    return t


# ---------------------------------------------------------------- summary


@dataclass(frozen=True)
class VarFuncSummary:
    """What ``print(summary(varStruct))`` shows.

    ``kind``: ``"none"`` (prints nothing: varIdent without parameters),
    ``"fixed"`` (varFixed), ``"estimates"`` (a named vector ``values`` /
    ``names``, or a matrix with ``rownames`` / ``colnames``), ``"empty"``
    (nlme's "with no parameters, or uninitialized") or ``"combination"``
    (varComb: ``parts``).
    """

    kind: str
    r_class: str = ""
    structure: str = ""
    formula_lines: tuple[str, ...] = ()
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    names: tuple[str, ...] = ()
    rownames: tuple[str, ...] | None = None
    colnames: tuple[str, ...] | None = None
    parts: tuple[VarFuncSummary, ...] = ()


# ---------------------------------------------------------------- bound


class BoundVarFuncBase:
    """Common behaviour of the bound variance functions (nlme's initialised
    ``varFunc``); see :class:`hlm_py.structs.base.BoundVarFunc`."""

    r_class: str = "varFunc"
    start: np.ndarray
    needs_update: bool = False
    n: int = 0

    @property
    def n_params(self) -> int:
        return int(self.start.shape[0])

    # names -------------------------------------------------------------
    def coef_names(self) -> list[str] | None:
        """nlme's names of ``coef(varStruct)`` (None: an unnamed vector)."""
        return None

    def param_names(self) -> list[str]:
        """The block's names in ``coef(fit$modelStruct)`` (``varStruct``,
        ``varStruct1``, ``varStruct.power``, ``varStruct.A.Female``)."""
        return _unlist_names("varStruct", self.coef_names(), self.n_params)

    def constrained_names(self) -> list[str]:
        """nlme's names of ``coef(varStruct, unconstrained = FALSE)``."""
        names = self.coef_names()
        return list(names) if names is not None else ["" for _ in range(self.n_params)]

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return [self._check(theta)]

    def coef(self, theta: np.ndarray, unconstrained: bool = True) -> np.ndarray:
        """nlme's ``coef(varStruct, unconstrained)`` (free parameters only)."""
        return self._check(theta).copy()

    def coef_all(self, theta: np.ndarray, unconstrained: bool = False) -> tuple[np.ndarray, list[str]]:
        """nlme's ``coef(varStruct, unconstrained, allCoef = TRUE)`` (fixed
        parameters included) as values and names (a matrix flattened by
        column, named ``row.col``)."""
        return np.zeros(0), []

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        return [self.weights(theta)]

    def weights(self, theta: np.ndarray) -> np.ndarray:
        self._check(theta)
        return np.ones(self.n)

    def loglik(self, theta: np.ndarray) -> float:
        """nlme's ``logLik(varStruct)``: ``sum(log(weights))``."""
        return r_sum(r_log(self.weights(theta)))

    def update(self, fitted: np.ndarray) -> BoundVarFuncBase:
        return self

    def summary(self, theta: np.ndarray) -> VarFuncSummary:
        return VarFuncSummary("none", self.r_class)

    def text(self, theta: np.ndarray) -> str:
        """A plain description (R's printed block:
        :func:`hlm_py.printing.varfunc_reports.render_varfunc`)."""
        vals, names = self.coef_all(theta)
        if not len(vals):
            return f"{self.r_class}: no parameters"
        return f"{self.r_class}: " + ", ".join(f"{n}={v:.7g}" for n, v in zip(names, vals))

    def _length_message(self) -> str:
        return "cannot change the length of the parameter after initialization"

    def _check(self, theta: object) -> np.ndarray:
        return _theta(theta, self.n_params, self._length_message())

    def _check_fitted(self, fitted: object) -> np.ndarray:
        try:
            f = np.asarray(fitted, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise HlmError("the fitted values must be numeric") from None
        if f.shape[0] != self.n:
            raise HlmError("cannot change the length of covariate in \"varFunc\" object")
        if np.isnan(f).any():
            raise MissingValueError("missing values in the fitted values of a variance covariate")
        return f


class BoundConstant(BoundVarFuncBase):
    """nlme's initialised ``varIdent()`` without strata: weights 1, no
    parameters, nothing printed (also what the other classes turn into)."""

    r_class = "varIdent"

    def __init__(self, n: int):
        self.n = n
        self.start = np.zeros(0)

    def _length_message(self) -> str:
        return "cannot change the length of the \"varIdent\" parameter after initialization"

    def __repr__(self) -> str:
        return f"BoundConstant(n={self.n})"


class BoundVarFixed(BoundVarFuncBase):
    """nlme's initialised ``varFixed``: weights ``1/sqrt(abs(covariate))``."""

    r_class = "varFixed"

    def __init__(self, form: _Form, covariate: np.ndarray):
        self.form = form
        self.covariate = covariate
        self.n = int(covariate.shape[0])
        self.start = np.zeros(0)
        self._w = 1.0 / np.sqrt(np.abs(covariate))

    def weights(self, theta: np.ndarray) -> np.ndarray:
        self._check(theta)
        return self._w.copy()

    def summary(self, theta: np.ndarray) -> VarFuncSummary:
        return VarFuncSummary("fixed", self.r_class, "fixed weights", tuple(self.form.lines()))

    def text(self, theta: np.ndarray) -> str:
        return f"varFixed: fixed weights, {self.form.text()}"


class BoundVarIdent(BoundVarFuncBase):
    """nlme's initialised ``varIdent`` with strata: SD ratio 1 for the
    reference stratum ``group_names[0]``, ``exp(par)`` for the others."""

    r_class = "varIdent"

    def __init__(self, form: _Form, strata: list[str], group_names: list[str],
                 which_fix: np.ndarray, fixed: np.ndarray, start: np.ndarray):
        self.form = form
        self.group_names = list(group_names)
        self.which_fix = np.asarray(which_fix, dtype=bool)
        self.fixed = np.asarray(fixed, dtype=np.float64)
        self.start = np.asarray(start, dtype=np.float64)
        self.n = len(strata)
        pos: dict[str, int] = {}
        for i, g in enumerate(self.group_names):
            pos.setdefault(g, i)
        self.row_stratum = np.array([pos[s] for s in strata], dtype=np.int64)

    def _length_message(self) -> str:
        return "cannot change the length of the \"varIdent\" parameter after initialization"

    def _all(self, theta: np.ndarray) -> np.ndarray:
        t = self._check(theta)
        val = np.zeros(self.which_fix.shape[0])
        if self.which_fix.any():
            val[self.which_fix] = self.fixed
        if (~self.which_fix).any():
            val[~self.which_fix] = t
        return val

    def _natural(self, theta: np.ndarray) -> np.ndarray:
        return np.concatenate([[1.0], r_math1("exp", self._all(theta))])

    def weights(self, theta: np.ndarray) -> np.ndarray:
        return 1.0 / self._natural(theta)[self.row_stratum]

    def coef(self, theta: np.ndarray, unconstrained: bool = True) -> np.ndarray:
        t = self._check(theta)
        return t.copy() if unconstrained else r_math1("exp", t)

    def constrained_names(self) -> list[str]:
        return [g for g, f in zip(self.group_names[1:], self.which_fix) if not f]

    def coef_all(self, theta: np.ndarray, unconstrained: bool = False) -> tuple[np.ndarray, list[str]]:
        if unconstrained:
            return self._all(theta), []
        return self._natural(theta), list(self.group_names)

    def summary(self, theta: np.ndarray) -> VarFuncSummary:
        vals, names = self.coef_all(theta)
        return VarFuncSummary("estimates", self.r_class, "Different standard deviations per stratum",
                              tuple(self.form.lines()), vals, tuple(names))

    def __repr__(self) -> str:
        return f"BoundVarIdent({self.form.text()}, groups={self.group_names})"


class BoundVarCovariate(BoundVarFuncBase):
    """nlme's initialised ``varPower`` (``kind="power"``: weights
    ``|v|^-delta``) or ``varExp`` (``kind="expon"``: ``exp(-t v)``), one
    parameter or one per stratum."""

    def __init__(self, kind: str, form: _Form, covariate: np.ndarray | None, data: pd.DataFrame,
                 n: int, strata: list[str] | None, group_names: list[str] | None,
                 which_fix: np.ndarray, fixed: np.ndarray, start: np.ndarray):
        self.kind = kind
        self.r_class = "varPower" if kind == "power" else "varExp"
        self.form = form
        self.covariate = covariate
        self._data = data
        self.needs_update = covariate is None
        self.n = n
        self.group_names = group_names
        self.which_fix = np.asarray(which_fix, dtype=bool)
        self.fixed = np.asarray(fixed, dtype=np.float64)
        self.start = np.asarray(start, dtype=np.float64)
        self.strata = strata
        if strata is not None and group_names is not None:
            pos: dict[str, int] = {}
            for i, g in enumerate(group_names):
                pos.setdefault(g, i)
            self.row_stratum: np.ndarray | None = np.array([pos[s] for s in strata], dtype=np.int64)
        else:
            self.row_stratum = None
        self._updated = False
        if covariate is not None:
            self._check_covariate(covariate)

    def _check_covariate(self, cov: np.ndarray) -> None:
        """Refuse the data where nlme's fits fail: a zero covariate with a free
        power (weights ``|0|^-delta`` infinite), or NaN weights at the initial
        values (a negative covariate to a fractional power in ``Initialize``)."""
        if self.kind != "power":
            return
        self._check_zero(cov)
        par = self._per_row(self.start)
        if not np.isfinite(np.abs(r_pow(cov, -par))).all():
            raise HlmError("the initial weights of \"varPower\" are not finite (a negative or "
                           "zero covariate to a fractional or negative power; nlme's fit fails)")

    def _length_message(self) -> str:
        if self.n_params == 0:
            return ("cannot change coefficients before initialization or when all parameters "
                    "are fixed")
        what = "varStruct" if self.kind == "power" else "varExp"
        return f"cannot change the length of the \"{what}\" parameter after initialization"

    def coef_names(self) -> list[str] | None:
        if self.group_names is None:
            return [self.kind] * self.n_params
        return [g for g, f in zip(self.group_names, self.which_fix) if not f]

    def _all(self, theta: np.ndarray) -> np.ndarray:
        t = self._check(theta)
        val = np.zeros(self.which_fix.shape[0])
        if self.which_fix.any():
            val[self.which_fix] = self.fixed
        if (~self.which_fix).any():
            val[~self.which_fix] = t
        return val

    def _per_row(self, theta: np.ndarray) -> np.ndarray:
        val = self._all(theta)
        if self.row_stratum is None:
            return np.full(self.n, val[0])
        return val[self.row_stratum]

    def weights(self, theta: np.ndarray) -> np.ndarray:
        par = self._per_row(theta)
        if self.covariate is None:
            return np.ones(self.n)
        cov = self.covariate
        if self.kind == "expon":
            return r_math1("exp", -par * cov)
        if self.n_params == 0 and not self._updated:
            return np.abs(r_pow(cov, -par))  # nlme's Initialize
        return r_pow(np.abs(cov), -par)  # nlme's coef<- and update

    def coef_all(self, theta: np.ndarray, unconstrained: bool = False) -> tuple[np.ndarray, list[str]]:
        val = self._all(theta)
        names = list(self.group_names) if self.group_names is not None else [self.kind]
        return val, names

    def update(self, fitted: np.ndarray) -> BoundVarCovariate:
        if not self.needs_update:
            return self
        f = self._check_fitted(fitted)
        out = object.__new__(BoundVarCovariate)
        out.__dict__.update(self.__dict__)
        out.covariate = _covariate(self.form.covariate, self._data, f)
        out._updated = True
        if out.kind == "power":
            out._check_zero(out.covariate)
        return out

    def _check_zero(self, cov: np.ndarray) -> None:
        if not self.n_params:
            return
        free = np.ones(self.n, dtype=bool)
        if self.row_stratum is not None:
            free = ~self.which_fix[self.row_stratum]
        if (cov[free] == 0).any():
            raise HlmError("the covariate of \"varPower\" is 0 in some rows: the weights "
                           "|0|^(-power) are infinite for a positive power (nlme's fit fails)")

    def summary(self, theta: np.ndarray) -> VarFuncSummary:
        vals, names = self.coef_all(theta)
        base = ("Power of variance covariate" if self.kind == "power"
                else "Exponential of variance covariate")
        if self.form.groups is not None:
            base += ", different strata"
        return VarFuncSummary("estimates", self.r_class, base, tuple(self.form.lines()), vals,
                              tuple(names))

    def __repr__(self) -> str:
        return f"BoundVarCovariate({self.r_class}, {self.form.text()}, n_params={self.n_params})"


class BoundVarConstPower(BoundVarFuncBase):
    """nlme's initialised ``varConstPower``: weights ``1/(c + |v|^delta)``,
    ``log(c)`` and ``delta`` per stratum (one column without strata)."""

    r_class = "varConstPower"
    comps: tuple[str, str] = ("const", "power")
    structure_name = "Constant plus power of variance covariate"

    def __init__(self, form: _Form, covariate: np.ndarray | None, data: pd.DataFrame, n: int,
                 strata: list[str] | None, group_names: list[str] | None,
                 which_fix: np.ndarray, fixed: list[np.ndarray], values: list[np.ndarray]):
        self.form = form
        self.covariate = covariate
        self._data = data
        self.needs_update = covariate is None
        self.n = n
        self.group_names = group_names
        self.which_fix = np.asarray(which_fix, dtype=bool)  # 2 x K
        self.fixed = [np.asarray(f, dtype=np.float64) for f in fixed]
        self.values = [np.asarray(v, dtype=np.float64) for v in values]
        self.start = np.concatenate(self.values)
        if strata is not None and group_names is not None:
            pos = {g: i for i, g in enumerate(group_names)}
            self.row_stratum: np.ndarray | None = np.array([pos[s] for s in strata], dtype=np.int64)
        else:
            self.row_stratum = None
        self._updated = False

    def _length_message(self) -> str:
        if self.n_params == 0:
            return ("cannot change coefficients before initialization or when all parameters "
                    "are fixed")
        return "cannot change the length of the parameter after initialization"

    def coef_names(self) -> list[str] | None:
        out: list[str] = []
        for r, comp in enumerate(self.comps):
            free = [j for j in range(self.which_fix.shape[1]) if not self.which_fix[r, j]]
            if not free:
                continue
            if len(free) == 1 or self.group_names is None:
                out += [comp] * len(free)
            else:
                out += [f"{comp}.{self.group_names[j]}" for j in free]
        return out

    def _matrix(self, theta: np.ndarray, unconstrained: bool) -> np.ndarray:
        t = self._check(theta)
        val = np.zeros(self.which_fix.shape)
        start = 0
        for r in range(2):
            wf = self.which_fix[r]
            if wf.any():
                val[r, wf] = self.fixed[r]
            k = int((~wf).sum())
            if k:
                val[r, ~wf] = t[start:start + k]
                start += k
        if not unconstrained:
            val[0] = r_math1("exp", val[0])
        return val

    def coef(self, theta: np.ndarray, unconstrained: bool = True) -> np.ndarray:
        t = self._check(theta)
        if unconstrained:
            return t.copy()
        val = self._matrix(t, False)
        return np.concatenate([val[r, ~self.which_fix[r]] for r in range(2)])

    def coef_all(self, theta: np.ndarray, unconstrained: bool = False) -> tuple[np.ndarray, list[str]]:
        val = self._matrix(theta, unconstrained)
        if val.shape[1] == 1:
            return val[:, 0].copy(), list(self.comps)
        gn = self.group_names or []
        return val.T.reshape(-1), [f"{c}.{g}" for g in gn for c in self.comps]

    def weights(self, theta: np.ndarray) -> np.ndarray:
        nat = self._matrix(theta, False)
        if self.covariate is None or (self.n_params == 0 and not self._updated):
            return np.ones(self.n)  # nlme computes them in coef<- and update only
        if self.row_stratum is None:
            c = np.full(self.n, nat[0, 0])
            p = np.full(self.n, nat[1, 0])
        else:
            c, p = nat[0, self.row_stratum], nat[1, self.row_stratum]
        return self._weights(c, p, self.covariate)

    @staticmethod
    def _weights(c: np.ndarray, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return 1.0 / (c + r_pow(np.abs(v), p))

    def update(self, fitted: np.ndarray) -> BoundVarConstPower:
        if not self.needs_update:
            return self
        f = self._check_fitted(fitted)
        out = object.__new__(type(self))
        out.__dict__.update(self.__dict__)
        out.covariate = _covariate(self.form.covariate, self._data, f)
        out._updated = True
        return out

    def summary(self, theta: np.ndarray) -> VarFuncSummary:
        name = self.structure_name
        if self.form.groups is not None:
            name += ", different strata"
        val = self._matrix(theta, False)
        lines = tuple(self.form.lines())
        if val.shape[1] == 1:
            return VarFuncSummary("estimates", self.r_class, name, lines, val[:, 0].copy(),
                                  self.comps)
        return VarFuncSummary("estimates", self.r_class, name, lines, val, (),
                              self.comps, tuple(self.group_names or ()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.form.text()}, n_params={self.n_params})"


class BoundVarConstProp(BoundVarConstPower):
    """nlme's initialised ``varConstProp``: weights ``1/sqrt(c^2 + (p v)^2)``,
    ``log(c)`` and ``p`` (unconstrained) per stratum."""

    r_class = "varConstProp"
    comps = ("const", "prop")
    structure_name = "Constant plus proportion of variance covariate"

    @staticmethod
    def _weights(c: np.ndarray, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return 1.0 / np.sqrt(c * c + p * p * (v * v))


class BoundVarComb(BoundVarFuncBase):
    """nlme's initialised ``varComb``: the product of the parts' weights,
    their parameters concatenated (named ``A``, ``B``, ... as nlme names them)."""

    r_class = "varComb"

    def __init__(self, parts: list[BoundVarFuncBase], labels: list[str]):
        self.parts = list(parts)
        self.labels = list(labels)
        self.n = parts[0].n if parts else 0
        self.sizes = [p.n_params for p in parts]
        self.offsets = np.r_[0, np.cumsum(self.sizes)].astype(int) if parts else np.zeros(1, int)
        self.start = np.concatenate([p.start for p in parts]) if parts else np.zeros(0)
        self.needs_update = any(p.needs_update for p in parts)

    def _length_message(self) -> str:
        return "cannot change parameter length of initialized \"varComb\" object"

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        t = self._check(theta)
        return [t[self.offsets[i]:self.offsets[i + 1]] for i in range(len(self.parts))]

    def coef_names(self) -> list[str] | None:
        out: list[str] = []
        for lab, p in zip(self.labels, self.parts):
            out += _unlist_names(lab, p.coef_names(), p.n_params)
        return out

    def constrained_names(self) -> list[str]:
        out: list[str] = []
        for lab, p in zip(self.labels, self.parts):
            nm = p.constrained_names()
            out += _unlist_names(lab, nm if all(nm) else None, len(nm))
        return out

    def coef(self, theta: np.ndarray, unconstrained: bool = True) -> np.ndarray:
        parts = [p.coef(t, unconstrained) for p, t in zip(self.parts, self.split(theta))]
        return np.concatenate(parts) if parts else np.zeros(0)

    def coef_all(self, theta: np.ndarray, unconstrained: bool = False) -> tuple[np.ndarray, list[str]]:
        vals: list[np.ndarray] = []
        names: list[str] = []
        for lab, p, t in zip(self.labels, self.parts, self.split(theta)):
            v, nm = p.coef_all(t, unconstrained)
            vals.append(v)
            names += _unlist_names(lab, nm if (nm and all(nm)) else None, len(v))
        return (np.concatenate(vals) if vals else np.zeros(0)), names

    def weights(self, theta: np.ndarray) -> np.ndarray:
        # R's prod: a long double product per row, rounded once to double
        acc = np.ones(self.n, dtype=np.longdouble)
        for p, t in zip(self.parts, self.split(theta)):
            acc = acc * p.weights(t).astype(np.longdouble)
        return acc.astype(np.float64)

    def loglik(self, theta: np.ndarray) -> float:
        lls = [p.loglik(t) for p, t in zip(self.parts, self.split(theta))]
        return r_sum(np.asarray(lls, dtype=np.float64))

    def update(self, fitted: np.ndarray) -> BoundVarComb:
        if not self.needs_update:
            return self
        return BoundVarComb([p.update(fitted) for p in self.parts], self.labels)

    def summary(self, theta: np.ndarray) -> VarFuncSummary:
        parts = tuple(p.summary(t) for p, t in zip(self.parts, self.split(theta)))
        return VarFuncSummary("combination", self.r_class, "Combination of variance functions:",
                              parts=parts)

    def text(self, theta: np.ndarray) -> str:
        return "varComb: " + "; ".join(p.text(t) for p, t in zip(self.parts, self.split(theta)))

    def __repr__(self) -> str:
        return f"BoundVarComb({self.parts!r})"


# ---------------------------------------------------------------- specs


class _Spec:
    """Common behaviour of the variance-function specs."""

    r_class = "varFunc"
    form: _Form

    def formula(self) -> str:
        """R's ``deparse(formula(x))``."""
        return self.form.text()

    def variables(self, columns: Sequence[str]) -> list[str]:
        """The data variables of the form (not ``.`` of ``fitted(.)``, nor
        R's constants such as ``pi`` unless the data has such a column)."""
        return _variables(self.form, columns)

    def _call_args(self) -> list[tuple[str | None, str | Node]]:
        return []

    def deparse(self) -> str:
        return deparse_call(self.r_class, self._call_args())

    def __repr__(self) -> str:
        return self.deparse()

    def _cov_or_update(self, data: pd.DataFrame) -> np.ndarray | None:
        """The covariate on the data, or None for a fit quantity (``fitted(.)``)."""
        cov = self.form.covariate
        names = set(data.columns)
        if _has_dot(cov):
            rest = _all_vars(_replace_fitted(cov))
            if "." in rest:
                raise NotAvailableError(
                    "only fitted(.) is supported as a fit quantity in a variance covariate: "
                    f"{deparse(cov)}")
            for v in rest:
                if v != _FITTED and v not in names and v not in _R_CONSTANTS:
                    raise UnknownVariableError(f"object '{v}' not found")
            if _FITTED in rest:
                return None
        return _covariate(cov, data)


def _check_covariate_form(form: _Form) -> None:
    if not form.covariate_vars():
        raise HlmError("'form' must have a covariate")


class VarFixed(_Spec):
    """nlme's ``varFixed(value)``: fixed weights ``1/sqrt(abs(v))``."""

    r_class = "varFixed"

    def __init__(self, value: str = "~ 1"):
        if not (isinstance(value, str) and value.strip().startswith("~")):
            raise HlmError("'value' must be a one sided formula")
        form = _one_sided(value, "value")
        _check_covariate_form(form)
        if form.groups is not None:
            warnings.warn("ignoring 'group' in \"varFixed\" formula", stacklevel=2)
            form = form.covariate_form()
        self.form = form

    def _call_args(self) -> list[tuple[str | None, str | Node]]:
        return [(None, self.form.node)]

    def bind(self, data: pd.DataFrame) -> BoundVarFixed:
        for v in self.form.all_vars():
            if v not in data.columns and v not in _R_CONSTANTS:
                raise HlmError("all variables used in 'formula' must be in 'data'")
        cov = _covariate(self.form.covariate, data)
        if (cov == 0).any():
            raise HlmError("the covariate of \"varFixed\" is 0 in some rows: their weights "
                           "1/sqrt(abs(0)) are infinite")
        return BoundVarFixed(self.form, cov)


class VarIdent(_Spec):
    """nlme's ``varIdent(value, form, fixed)``: a standard deviation per stratum,
    relative to the reference stratum."""

    r_class = "varIdent"

    def __init__(self, value: object = None, form: str = "~ 1", fixed: object = None):
        self._args = (value, form, fixed)
        self.form = _one_sided(form)
        v = _as_vec(value, "'value'")
        f = _as_vec(fixed, "'fixed'")
        self.value = _Vec()
        self.fixed: _Vec | None = None
        self.group_names: list[str] | None = None
        if self.form.groups is None:
            return  # constant: value and fixed ignored, as nlme does
        if len(v):
            if v.names is None and len(v) > 1:
                raise HlmError("initial values must have group names in 'varIdent'")
            if any(x <= 0 for x in v.values):
                raise HlmError("initial values for 'varIdent' must be > 0")
            self.value = _log_vec(v)
            self.group_names = list(v.names) if v.names is not None else None
        if fixed is not None and len(f):
            if f.names is None:
                raise HlmError("fixed parameters must have names in 'varIdent'")
            if any(x <= 0 for x in f.values):
                raise HlmError("fixed values for 'varIdent' must be > 0 (they are standard "
                               "deviation ratios)")
            self.fixed = _log_vec(f)
            if self.group_names is not None:
                self.group_names = self.group_names + list(f.names)

    def _call_args(self) -> list[tuple[str | None, str | Node]]:
        value, form, fixed = self._args
        out: list[tuple[str | None, str | Node]] = []
        if value is not None:
            out.append(("value", _as_vec(value, "'value'").deparse()))
        if _one_sided(form).node != parse("~ 1"):
            out.append(("form", _one_sided(form).node))
        if fixed is not None:
            out.append(("fixed", _as_vec(fixed, "'fixed'").deparse()))
        return out

    def bind(self, data: pd.DataFrame) -> BoundVarFuncBase:
        n = len(data)
        if self.form.groups is None:
            return BoundConstant(n)
        strat = _strata(self.form.groups, data)
        u = _unique(strat)
        if len(u) == 1:
            return BoundConstant(n)
        if not u:
            raise HlmError("a stratum of \"varIdent\" has no data: the data has no rows")
        fix_names = list(self.fixed.names or ()) if self.fixed is not None else []
        fix_vals = self.fixed.arr() if self.fixed is not None else np.zeros(0)
        if fix_names:
            if any(s not in u for s in fix_names):
                raise HlmError("fixed parameter names in 'varIdent' must be a subset of group names")
            u_var = [s for s in u if s not in fix_names]
            u = u_var + fix_names
        else:
            u_var = u
        if not u_var:
            raise HlmError("cannot fix variances in all groups")
        val = self.value.arr()
        if len(u_var) > 1:
            if len(val) <= 1:
                start = np.full(len(u_var) - 1, val[0] if len(val) else 0.0)
                group_names = u
            else:
                if len(val) != len(u_var) - 1:
                    raise HlmError(f"initial value for \"varIdent\" should be of length "
                                   f"{len(u_var) - 1}")
                st_n = list(self.group_names or [])
                miss = [s for s in u if s not in st_n]
                if len(miss) != 1:
                    raise HlmError("names of starting value for \"varIdent\" object must contain "
                                   "all but one of the stratum levels")
                st_n = miss + st_n
                if len(st_n) != len(u) or sorted(st_n) != sorted(u):
                    raise HlmError("nonexistent group names for initial values in 'varIdent'")
                start = val
                group_names = st_n
        else:
            start = np.zeros(0)
            group_names = u
        which_fix = np.array([g in fix_names for g in group_names[1:]], dtype=bool)
        if which_fix.all():
            if (fix_vals == 0).all():
                return BoundConstant(n)
            start = np.zeros(0)
        return BoundVarIdent(self.form, strat, group_names, which_fix, fix_vals, start)


class _VarCovariateSpec(_Spec):
    """varPower / varExp: one parameter per stratum on a covariate."""

    kind = "power"

    def __init__(self, value: object = None, form: str = "~ fitted(.)", fixed: object = None):
        self._args = (value, form, fixed)
        self.value = _as_vec(value, "'value'")
        self.fixed: _Vec | None = _as_vec(fixed, "'fixed'") if fixed is not None else None
        if self.fixed is not None and not len(self.fixed):
            self.fixed = None
        self.form = _one_sided(form)
        _check_covariate_form(self.form)
        self.group_names: list[str] | None = None
        if self.form.groups is not None:
            if self.value.names is None and len(self.value) > 1:
                raise HlmError(f"initial values must have group names in '{self.r_class}'")
            if self.fixed is not None and self.fixed.names is None:
                raise HlmError(f"fixed parameters must have group names in '{self.r_class}'")
            self.group_names = list(self.value.names or ()) + list(
                self.fixed.names or () if self.fixed is not None else ())

    def _call_args(self) -> list[tuple[str | None, str | Node]]:
        value, form, fixed = self._args
        out: list[tuple[str | None, str | Node]] = []
        if value is not None:
            out.append(("value", _as_vec(value, "'value'").deparse()))
        if _one_sided(form).node != parse("~ fitted(.)"):
            out.append(("form", _one_sided(form).node))
        if fixed is not None:
            out.append(("fixed", _as_vec(fixed, "'fixed'").deparse()))
        return out

    def bind(self, data: pd.DataFrame) -> BoundVarFuncBase:
        n = len(data)
        cov = self._cov_or_update(data)
        form = self.form
        fixed = self.fixed
        fix_vals = fixed.arr() if fixed is not None else np.zeros(0)
        val = self.value.arr()
        name = f"\"{self.r_class}\""
        if form.groups is not None:
            strat = _strata(form.groups, data)
            u = _unique(strat)
            if len(u) > 1:
                fix_names = list(fixed.names or ()) if fixed is not None else []
                if fixed is not None and fixed.names is None:
                    raise HlmError("fixed parameters must have group names")
                if any(s not in u for s in fix_names):
                    raise HlmError("mismatch between group names and fixed values names")
                u_var = [s for s in u if s not in fix_names]
                which_fix = np.array([s in fix_names for s in u], dtype=bool)
                if u_var:
                    if len(val) <= 1:
                        start = np.full(len(u_var), val[0] if len(val) else 0.0)
                        group_names = u
                    else:
                        if len(val) != len(u_var):
                            raise HlmError(f"initial value for {name} should be of length "
                                           f"{len(u_var)}")
                        st_n = list(self.group_names or [])
                        if len(st_n) != len(u) or sorted(st_n) != sorted(u):
                            raise HlmError(f"nonexistent group names for initial values in {name}")
                        start = val
                        group_names = st_n
                else:
                    if (fix_vals == 0).all():
                        return BoundConstant(n)
                    start = np.zeros(0)
                    group_names = u
                return BoundVarCovariate(self.kind, form, cov, data, n, strat, group_names,
                                         which_fix, fix_vals, start)
            form = form.covariate_form()  # a single stratum
        if fixed is not None:
            if len(fix_vals) != 1:
                raise HlmError("the condition has length > 1 (several 'fixed' values for a "
                               f"{name} without strata)")
            if fix_vals[0] == 0:
                return BoundConstant(n)
            return BoundVarCovariate(self.kind, form, cov, data, n, None, None,
                                     np.array([True]), fix_vals, np.zeros(0))
        if len(val) > 1:
            raise HlmError(f"initial value for {name} should be of length 1")
        start = val if len(val) else np.zeros(1)
        return BoundVarCovariate(self.kind, form, cov, data, n, None, None,
                                 np.array([False]), np.zeros(0), start)


class VarPower(_VarCovariateSpec):
    """nlme's ``varPower(value, form, fixed)``: SD ``|v|^delta``."""

    r_class = "varPower"
    kind = "power"


class VarExp(_VarCovariateSpec):
    """nlme's ``varExp(value, form, fixed)``: SD ``exp(t v)``."""

    r_class = "varExp"
    kind = "expon"


_CP = ("const", "power")


def _cp_parts(x: object, groups: bool, what: str, comps: tuple[str, str] = _CP,
              r_class: str = "varConstPower") -> tuple[dict[str, _Vec], bool]:
    """nlme's checks of varConstPower's (varConstProp's) ``value``/``fixed``
    (its ``CPconstr``): a dict ``{"const": ..., "power": ...}`` (each a float,
    list or dict of strata) or a float/list (const, then power). ``const``
    goes to log scale."""
    names = " and ".join(f'\"{c}\"' for c in comps)
    if x is None:
        return {}, False
    if isinstance(x, Mapping):
        if len(x) > 2:
            raise HlmError(f"{what} can have at most two components")
        if any(k not in comps for k in x):
            raise HlmError(f"{what} can only have names {names}")
        parts = {str(k): _as_vec(v, what) for k, v in x.items() if v is not None}
    else:
        v = _as_vec(x, what)
        if len(v) > 2:
            raise HlmError(f"{what} can have at most two components")
        if v.names is not None:
            if any(k not in comps for k in v.names):
                raise HlmError(f"{what} can only have names {names}")
            parts = {k: _Vec((t,)) for k, t in zip(v.names, v.values)}
        else:
            parts = {k: _Vec((t,)) for k, t in zip(comps, v.values)}
    if groups and any(len(p) > 1 and p.names is None for p in parts.values()):
        raise HlmError(f"{what} must have group names in '{r_class}'")
    if "const" in parts and len(parts["const"]):
        if any(t <= 0 for t in parts["const"].values):
            raise HlmError("constant in \"varConstProp\" structure must be > 0")
        parts["const"] = _log_vec(parts["const"])
    return {k: v for k, v in parts.items() if len(v)}, True


class VarConstPower(_Spec):
    """nlme's ``varConstPower(const, power, form, fixed)``: SD
    ``c + |v|^delta`` (``c`` on log scale in ``theta``)."""

    r_class = "varConstPower"
    comps: tuple[str, str] = _CP
    bound: type[BoundVarConstPower] = BoundVarConstPower

    def __init__(self, const: object = None, power: object = None, form: str = "~ fitted(.)",
                 fixed: object = None):
        self._args = (const, power, form, fixed)
        self.form = _one_sided(form)
        _check_covariate_form(self.form)
        groups = self.form.groups is not None
        c0, c1 = self.comps
        self.value, _ = _cp_parts({c0: const, c1: power}, groups, "Value", self.comps,
                                  self.r_class)
        self.fixed, _ = _cp_parts(fixed, groups, "Fixed", self.comps, self.r_class)

    def _default(self) -> dict[str, float]:
        """nlme's ``dfltCoef`` (unconstrained scale)."""
        return {"const": float(r_log(np.float64(0.1))), "power": 0.0}

    def _call_args(self) -> list[tuple[str | None, str | Node]]:
        const, power, form, fixed = self._args
        out: list[tuple[str | None, str | Node]] = []
        for comp, v in zip(self.comps, (const, power)):
            if v is not None:
                out.append((comp, _as_vec(v, comp).deparse()))
        if _one_sided(form).node != parse("~ fitted(.)"):
            out.append(("form", _one_sided(form).node))
        if fixed is not None:
            if isinstance(fixed, Mapping):
                cells = ", ".join(f"{k} = {_as_vec(v, 'fixed').deparse()}" for k, v in fixed.items())
                out.append(("fixed", f"list({cells})"))
            else:
                out.append(("fixed", _as_vec(fixed, "fixed").deparse()))
        return out

    def bind(self, data: pd.DataFrame) -> BoundVarFuncBase:
        n = len(data)
        cov = self._cov_or_update(data)
        dflt = self._default()
        comps = self.comps
        fixed = self.fixed
        if self.form.groups is not None:
            strat = _strata(self.form.groups, data)
            u = _unique(strat)
            if len(u) > 1:
                which_fix = np.zeros((2, len(u)), dtype=bool)
                values: list[np.ndarray] = []
                for r, comp in enumerate(comps):
                    fx = fixed.get(comp)
                    fix_names = list(fx.names or ()) if fx is not None else []
                    if fx is not None:
                        if fx.names is None:
                            raise HlmError("fixed parameters must have group names")
                        if any(s not in u for s in fix_names):
                            raise HlmError("mismatch between group names and fixed values names")
                    u_var = [s for s in u if s not in fix_names]
                    which_fix[r] = [s in fix_names for s in u]
                    v = self.value.get(comp, _Vec())
                    if u_var:
                        if len(v) <= 1:
                            values.append(np.full(len(u_var), v.values[0] if len(v) else dflt[comp]))
                        else:
                            if len(v) != len(u_var):
                                raise HlmError(f"initial value should be of length {len(u_var)}")
                            if sorted(v.names or ()) != sorted(u_var):
                                raise HlmError("nonexistent group names for initial values")
                            values.append(v.arr())
                    else:
                        values.append(np.zeros(0))
                fvals = [fixed[c].arr() if c in fixed else np.zeros(0) for c in comps]
                if which_fix.all() and all((f == 0).all() for f in fvals):
                    return BoundConstant(n)
                return self.bound(self.form, cov, data, n, strat, u, which_fix, fvals,
                                          values)
            # one stratum: nlme has no 'whichFix' here
            if not any((fixed[c].arr() != 0).any() for c in fixed):
                return BoundConstant(n)
            raise HlmError("initial value should be of length 2")
        which_fix = np.array([[c in fixed] for c in comps], dtype=bool)
        fvals = [fixed[c].arr() if c in fixed else np.zeros(0) for c in comps]
        if which_fix.all() and not any((f != 0).any() for f in fvals):
            return BoundConstant(n)
        values = []
        for r, comp in enumerate(comps):
            if which_fix[r, 0]:
                values.append(np.zeros(0))
            else:
                v = self.value.get(comp, _Vec())
                values.append(v.arr() if len(v) else np.array([dflt[comp]]))
        need = 2 - int(which_fix[:, 0].sum())
        if sum(len(v) for v in values) != need:
            raise HlmError(f"initial value should be of length {need}")
        for r in range(2):
            if len(fvals[r]) > 1:
                raise HlmError(f"fixed value of '{comps[r]}' should be of length 1 without strata")
        return self.bound(self.form, cov, data, n, None, None, which_fix, fvals, values)


class VarConstProp(VarConstPower):
    """nlme's ``varConstProp(const, prop, form, fixed)`` (nlme >= 3.1-149):
    SD ``sqrt(c^2 + (p v)^2)`` (``c`` on log scale in ``theta``)."""

    r_class = "varConstProp"
    comps = ("const", "prop")
    bound = BoundVarConstProp

    def _default(self) -> dict[str, float]:
        return {"const": 0.1, "prop": 0.1}  # nlme's, taken as log(c) = 0.1


class VarComb(_Spec):
    """nlme's ``varComb(...)``: the product of variance functions."""

    r_class = "varComb"

    def __init__(self, *parts: object):
        if not all(isinstance(p, _Spec) for p in parts):
            raise HlmError("all arguments to 'varComb' must be of class \"varFunc\".")
        self.parts: list[_Spec] = list(parts)  # type: ignore[arg-type]
        self.labels = [_LETTERS[i] if i < 26 else "NA" for i in range(len(self.parts))]

    def formula(self) -> str:
        return "list(" + ", ".join(f"{lab} = {p.formula()}" for lab, p in zip(self.labels, self.parts)) + ")"

    def variables(self, columns: Sequence[str]) -> list[str]:
        out: list[str] = []
        for p in self.parts:
            out += [v for v in p.variables(columns) if v not in out]
        return out

    def deparse(self) -> str:
        return "varComb(" + ", ".join(p.deparse() for p in self.parts) + ")"

    def bind(self, data: pd.DataFrame) -> BoundVarComb:
        bound = [p.bind(data) for p in self.parts]  # type: ignore[attr-defined]
        return BoundVarComb(bound, self.labels)


# ---------------------------------------------------------------- constructors


def varFixed(value: str = "~ 1") -> VarFixed:  # noqa: N802 - nlme's name
    """nlme's ``varFixed(value = ~ 1)``: weights ``1/sqrt(abs(covariate))``."""
    return VarFixed(value)


def varIdent(value: object = None, form: str = "~ 1", fixed: object = None) -> VarIdent:  # noqa: N802
    """nlme's ``varIdent(value = numeric(0), form = ~ 1, fixed = NULL)``.

    ``value``/``fixed``: SD ratios to the reference stratum, a float or a
    dict ``{"Female": 0.5}`` (R's named vector)."""
    return VarIdent(value, form, fixed)


def varPower(value: object = None, form: str = "~ fitted(.)", fixed: object = None) -> VarPower:  # noqa: N802
    """nlme's ``varPower(value = numeric(0), form = ~ fitted(.), fixed = NULL)``."""
    return VarPower(value, form, fixed)


def varExp(value: object = None, form: str = "~ fitted(.)", fixed: object = None) -> VarExp:  # noqa: N802
    """nlme's ``varExp(value = numeric(0), form = ~ fitted(.), fixed = NULL)``."""
    return VarExp(value, form, fixed)


def varConstPower(const: object = None, power: object = None, form: str = "~ fitted(.)",  # noqa: N802
                  fixed: object = None) -> VarConstPower:
    """nlme's ``varConstPower(const, power, form = ~ fitted(.), fixed = NULL)``;
    ``fixed`` a dict such as ``{"const": 1}`` (R's ``list(const = 1)``)."""
    return VarConstPower(const, power, form, fixed)


def varConstProp(const: object = None, prop: object = None, form: str = "~ fitted(.)",  # noqa: N802
                 fixed: object = None) -> VarConstProp:
    """nlme's ``varConstProp(const, prop, form = ~ fitted(.), fixed = NULL)``;
    ``fixed`` a dict such as ``{"prop": 0.2}``."""
    return VarConstProp(const, prop, form, fixed)


def varComb(*parts: object) -> VarComb:  # noqa: N802
    """nlme's ``varComb(...)``."""
    return VarComb(*parts)


def as_varfunc(x: object) -> VarFuncSpec | None:
    """nlme's ``varFunc(object)``: None, a spec (itself) or a formula string
    (``"~ x"``: ``varFixed``)."""
    if x is None:
        return None
    if isinstance(x, _Spec):
        return cast(VarFuncSpec, x)
    if isinstance(x, str):
        return cast(VarFuncSpec, VarFixed(_one_sided(x).text()))
    raise HlmError("can only construct \"varFunc\" object from another \"varFunc\" object, a "
                   "formula, or a character string")
