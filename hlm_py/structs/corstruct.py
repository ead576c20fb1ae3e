"""nlme's correlation structures (``corStruct`` classes) as specs and bound components.

The classes: :func:`corCompSymm`, :func:`corSymm`, :func:`corAR1`,
:func:`corCAR1`, :func:`corARMA` and the spatial :func:`corExp`,
:func:`corGaus`, :func:`corLin`, :func:`corRatio`, :func:`corSpher`
(nlme 3.1-162, ``R/corStruct.R`` and ``src/corStruct.c``). A constructor
returns a spec (:class:`~hlm_py.structs.base.CorStructSpec`); ``bind`` is
nlme's ``Initialize`` and returns a :class:`BoundCor`
(:class:`~hlm_py.structs.base.BoundCorStruct`).

What binding reproduces (behaviour described from nlme's sources, code our own):

* groups: the form's ``| g`` (nested ``a/b``: the innermost level, labelled
  ``"a/b"``), numbered as ``gls`` orders them (``getGroups.data.frame``: one
  factor in its level order; nested groups in order of first appearance, or
  in sorted order when the outer factor is ordered), or the codes the fit
  gives; within a group rows keep data order;
* covariates (``getCovariate``): none means positions ``1..n_i`` in the group;
  ``corSymm``/``corAR1``/``corARMA`` use integer times, ``corCAR1`` real
  times; the spatial classes the distances (``dist`` with the metric) between
  rows of the covariate matrix of the ``+``-separated terms;
* nlme's unconstrained parameters (``coef(x)``), constrained values
  (``coef(x, FALSE)``), defaults and checks of ``value=``; ``corAR1`` whose
  times are not consecutive becomes ``corARMA(p = 1, q = 0)`` and
  ``corARMA(p = 1, q = 0)`` with consecutive times becomes ``corAR1``, as
  nlme's ``Initialize`` turns one into the other;
* the factor of each group's correlation matrix as nlme computes it
  (R's LINPACK ``chol``, with R's tolerance and what it leaves when a matrix
  is not positive definite, then ``dtrsl``, in the reference BLAS's order of
  operations; ``corCompSymm``'s Helmert-type factor; ``corAR1``'s closed
  form), its application to data in ``mult_mat``'s order and the
  log-determinant summed group by group in level order, so that the
  whitened numbers and ``logLik`` are R's bit for bit on any CPU (groups up
  to :data:`EXACT_MAX` rows; larger groups use LAPACK/BLAS).

Speed: groups are batched by size and by distinct covariate pattern (one
factor per pattern, applied to all groups that share it); ``corAR1`` with
consecutive times whitens by the lag recursion, without matrices.

Differences from nlme: a non-integer covariate that nlme's ``corARMA`` (and
``corAR1`` with gaps) silently truncates with ``as.integer`` is an error; a
covariate with NA, ``corCompSymm`` on groups of one row only, spatial
structures without a single distance and ``corARMA(p = 0, q = 0)`` (nlme's
deprecated ``corIdent``) are errors in words where R fails in a foreign
function call, warns or returns a deprecated class. ``matrices`` has one
matrix per group, also for the groups of one row that nlme's spatial
``corMatrix`` leaves out.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular

from hlm_py.errors import HlmError, MissingValueError
from hlm_py.formula.deparse import deparse, deparse_call
from hlm_py.formula.parser import Call, Node, Num, parse, walk_names
from hlm_py.formula.transforms import evaluate, evaluate_value
from hlm_py.formula.values import DataEnv, Factor, make_factor
from hlm_py.linalg.dqrdc2 import dqrdc2, qr_coef
from hlm_py.linalg.libm import r_math1
from hlm_py.rbase.ascharacter import as_character_double
from hlm_py.structs.base import CorStructSpec

__all__ = [
    "corCompSymm", "corSymm", "corAR1", "corCAR1", "corARMA",
    "corExp", "corGaus", "corLin", "corRatio", "corSpher",
    "CorSpec", "BoundCor", "as_corstruct", "spatial_distances", "corstruct_groups", "EXACT_MAX", "DPOFA_EPS",
]

#: Largest group for which factors and products follow nlme's order of
#: operations exactly (larger groups use numpy's LAPACK/BLAS: fast, but
#: not R's bits).
EXACT_MAX = 256

_INT_MAX = 2147483647
_R_CONSTANTS = {"T", "F", "TRUE", "FALSE", "pi", "NA", "Inf", "NaN", "NULL"}
_SQRT_EPS = math.sqrt(np.finfo(float).eps)
_METRICS = ("euclidean", "maximum", "manhattan")
_SPATIAL = {  # class -> (summary name, range offset by the minimum distance)
    "corExp": ("Exponential spatial correlation", False),
    "corGaus": ("Gaussian spatial correlation", False),
    "corLin": ("Linear spatial correlation", True),
    "corRatio": ("Rational quadratic spatial correlation", False),
    "corSpher": ("Spherical spatial correlation", True),
}


# ---------------------------------------------------------------- formula


@dataclass(frozen=True)
class _Form:
    """A correlation formula ``~ cov | g1/g2``: covariate node (None for
    ``1``), grouping level nodes (outer to inner), the parsed tree."""

    tree: Node
    covariate: Node | None
    levels: tuple[Node, ...]
    group_node: Node | None

    @property
    def text(self) -> str:
        return deparse(self.tree)


def _split_levels(node: Node) -> list[Node]:
    if isinstance(node, Call) and node.fn == "/" and len(node.args) == 2:
        return _split_levels(node.args[0][1]) + _split_levels(node.args[1][1])
    return [node]


def split_form(form: str) -> tuple[Node | None, Node | None]:
    """``~ cov | g``: (the covariate, None when it names no variable; the
    groups, or None)."""
    if not isinstance(form, str):
        raise HlmError("'form' must be a formula string such as \"~ 1 | Subject\"")
    tree = parse(form)
    if not (isinstance(tree, Call) and tree.fn == "~" and len(tree.args) == 1):
        raise HlmError(f"'form' must be a one-sided formula, not {form!r}")
    rhs = tree.args[0][1]
    grp: Node | None = None
    if isinstance(rhs, Call) and rhs.fn == "|" and len(rhs.args) == 2:
        rhs, grp = rhs.args[0][1], rhs.args[1][1]
    cov: Node | None = rhs
    if not list(walk_names(rhs, include_functions=False)):
        cov = None
    return cov, grp


def _parse_form(form: str) -> _Form:
    cov, grp = split_form(form)
    tree = parse(form)
    levels = tuple(_split_levels(grp)) if grp is not None else ()
    for lev in levels:
        if len(list(walk_names(lev, include_functions=False))) != 1:
            raise HlmError("invalid formula for groups")
    return _Form(tree, cov, levels, grp)


def _all_vars(node: Node | None) -> list[str]:
    if node is None:
        return []
    return list(dict.fromkeys(walk_names(node, include_functions=False)))


# ---------------------------------------------------------------- groups


def _factor_of(node: Node, env: DataEnv) -> Factor:
    val = evaluate_value(node, env)
    f = make_factor(val)
    if len(f.codes) == 1 and env.n != 1:  # a constant: one group
        f = Factor(np.zeros(env.n, dtype=np.int64), f.levels, f.ordered)
    if len(f.codes) != env.n:
        raise HlmError(f"variable lengths differ (found for '{deparse(node)}')")
    if (f.codes < 0).any():
        raise MissingValueError("missing values in object")
    return f


def corstruct_groups(form: str, data: pd.DataFrame) -> tuple[np.ndarray, list[str]] | None:
    """The correlation groups of ``form`` on ``data``: integer codes per row
    and labels, numbered as ``gls`` orders its rows (``order(getGroups(data,
    ~ 1 | g, level = innermost))``); None when ``form`` has no ``| g``.

    Mirrors ``getGroups.data.frame``: one grouping factor keeps its level
    order (unused levels dropped); nested ``a/b`` groups are labelled
    ``"a/b"`` and numbered in order of first appearance in ``data``, or in
    the sorted order of the factors when the outermost one is ordered.
    """
    f = _parse_form(form)
    if not f.levels:
        return None
    env = DataEnv(data)
    facs = [_factor_of(lev, env) for lev in f.levels]
    if len(facs) == 1:
        return facs[0].codes.astype(np.int64), list(facs[0].levels)
    labs = np.array(facs[0].levels, dtype=object)[facs[0].codes]
    for fc in facs[1:]:
        labs = labs + "/" + np.array(fc.levels, dtype=object)[fc.codes]
    if facs[0].ordered:
        rows = np.lexsort(tuple(fc.codes for fc in reversed(facs)))
    else:
        rows = np.arange(len(labs))
    uniq = list(dict.fromkeys(labs[rows].tolist()))
    pos = {lab: i for i, lab in enumerate(uniq)}
    codes = np.fromiter((pos[x] for x in labs.tolist()), dtype=np.int64, count=len(labs))
    return codes, [str(u) for u in uniq]


# ---------------------------------------------------------------- linear algebra


#: R's LINPACK ``dpofa`` (``src/appl/dpofa.f``) declares a column singular
#: when its pivot is at most this times its diagonal (not at 0, as LINPACK).
DPOFA_EPS = 1e-14


def _dpofa(a: np.ndarray) -> np.ndarray:
    """R's ``chol`` (its LINPACK ``dpofa``) of a batch (P, s, s): the upper
    factor ``U`` with ``U'U = a``, each entry computed with the same
    operations in the same order as ``dpofa`` (dot products left to right;
    the rows of ``U`` are formed in turn, which leaves every entry's
    arithmetic unchanged). nlme ignores ``dpofa``'s ``info``: a matrix whose
    pivot ``j`` falls to ``DPOFA_EPS * a[j, j]`` or below keeps what ``dpofa``
    leaves, the columns before ``j`` factored, column ``j`` above the
    diagonal reduced, the rest as in ``a``."""
    P, s, _ = a.shape
    U = np.triu(a).copy()
    acc = np.zeros((P, s))
    alive = np.ones(P, dtype=bool)
    fail_at = np.full(P, s, dtype=np.int64)
    with np.errstate(all="ignore"):
        for k in range(s):
            d = a[:, k, k] - acc[:, k]
            ok = alive & (d > DPOFA_EPS * np.abs(a[:, k, k]))
            fail_at[alive & ~ok] = k
            alive = ok
            U[:, k, k] = np.where(ok, np.sqrt(np.where(ok, d, 1.0)), a[:, k, k])
            if k + 1 < s and alive.any():
                if k:
                    dot = np.cumsum(U[:, :k, k, None] * U[:, :k, k + 1:], axis=1)[:, -1, :]
                    t = a[:, k, k + 1:] - dot
                else:
                    t = a[:, k, k + 1:].copy()
                t = t / U[:, k, k, None]
                U[:, k, k + 1:] = np.where(alive[:, None], t, U[:, k, k + 1:])
                acc[:, k + 1:] = acc[:, k + 1:] + t * t
    for p in np.flatnonzero(fail_at < s).tolist():
        f = int(fail_at[p])
        U[p, :f, f + 1:] = a[p, :f, f + 1:]
    return U


def _dtrsl_inverse(U: np.ndarray) -> np.ndarray:
    """``(U')^-1`` per matrix as nlme builds it: LINPACK ``dtrsl`` (job 11) on
    each column of the identity, dot products left to right."""
    P, s, _ = U.shape
    F = np.zeros_like(U)
    eye = np.eye(s)
    with np.errstate(all="ignore"):
        for j in range(s):
            if j:  # F is lower triangular: columns > j stay 0
                dot = np.cumsum(U[:, :j, j, None] * F[:, :j, :j + 1], axis=1)[:, -1, :]
                F[:, j, :j + 1] = (eye[j, :j + 1] - dot) / U[:, j, j, None]
            else:
                F[:, 0, :] = eye[0] / U[:, 0, 0, None]
    return F


def _chol_factor(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nlme's factor of a batch of correlation matrices ``a`` (P, s, s):
    ``F = (U')^-1`` with ``U'U = a`` (``chol`` then ``dtrsl``), and
    ``sum(log(abs(diag(U))))`` per matrix (nlme's ``-logDet`` of the factor).
    The second result holds the terms ``log|U_jj|`` (P, s) that nlme adds up.
    Groups larger than :data:`EXACT_MAX` use LAPACK's Cholesky factor and a
    triangular solve (LINPACK's order only where LAPACK finds the matrix not
    positive definite)."""
    P, s, _ = a.shape
    if s > EXACT_MAX:
        F = np.empty_like(a)
        ld = np.empty((P, s))
        for p in range(P):
            try:
                L = np.linalg.cholesky(a[p])
            except np.linalg.LinAlgError:
                Fp, ldp = _chol_factor_exact(a[p:p + 1])
                F[p], ld[p] = Fp[0], ldp[0]
                continue
            F[p] = solve_triangular(L, np.eye(s), lower=True)
            ld[p] = r_math1_log(np.diag(L))
        return F, ld
    return _chol_factor_exact(a)


def _chol_factor_exact(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    U = _dpofa(a)
    F = _dtrsl_inverse(U)
    s = a.shape[1]
    diag = U[:, np.arange(s), np.arange(s)]
    return F, r_math1_log(np.abs(diag))


def r_math1_log(x: np.ndarray) -> np.ndarray:
    """C's ``log`` elementwise (NaN stays NaN)."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x) & (x > 0)
    flat = x[ok].tolist()
    out[ok] = np.fromiter(map(math.log, flat), dtype=float, count=len(flat))
    return out


def _apply(F: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``F_g X_g`` for a batch (G, s, s) x (G, s, k), in ``mult_mat``'s order
    (column by column of ``F``, accumulated from zero) for small groups."""
    G, s, _ = F.shape
    if s > EXACT_MAX:
        return np.matmul(F, X)
    out = np.zeros((G, s, X.shape[2]))
    for j in range(s):
        out[:, j:, :] += F[:, j:, j, None] * X[:, None, j, :]
    return out


def _c_pow(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """C's ``pow`` elementwise (as nlme's C code calls it)."""
    xa, ya = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    xs, ys = xa.ravel().tolist(), ya.ravel().tolist()

    def one(a: float, b: float) -> float:
        try:
            return math.pow(a, b)
        except (ValueError, OverflowError):
            return math.nan

    return np.fromiter(map(one, xs, ys), dtype=float, count=len(xs)).reshape(xa.shape)


# ---------------------------------------------------------------- batches


@dataclass
class _Batch:
    """The groups of one size ``s``: their rows ``idx`` (G_s, s), the
    distinct covariate patterns ``pats`` (P_s, d) and each group's pattern."""

    s: int
    groups: np.ndarray
    idx: np.ndarray
    pats: np.ndarray
    inv: np.ndarray


def _group_rows(codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=n_groups)
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    return order, sizes, starts


def _pair_index(s: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, in ``dist``'s order (by column: (0,1), (0,2), ...)."""
    if s < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    i, j = np.triu_indices(s, 1)
    return i.astype(np.int64), j.astype(np.int64)


def _sequential_total(batches: list[_Batch], terms: list[np.ndarray], n_groups: int) -> float:
    """nlme's running sum of the log-determinant terms: group by group in
    level order, each group's terms in turn, left to right."""
    width = np.zeros(n_groups, dtype=np.int64)
    for b, t in zip(batches, terms):
        width[b.groups] = t.shape[1]
    off = np.r_[0, np.cumsum(width)].astype(np.int64)
    seq = np.empty(int(off[-1]))
    for b, t in zip(batches, terms):
        if t.shape[1]:
            seq[off[b.groups][:, None] + np.arange(t.shape[1])[None, :]] = t[b.inv]
    return float(np.cumsum(seq)[-1]) if seq.size else 0.0


# ---------------------------------------------------------------- specs


def _as_values(value: object, what: str) -> np.ndarray:
    if value is None:
        return np.zeros(0)
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise HlmError(f"'value' of {what} must be numeric") from None
    if not np.isfinite(arr).all():
        raise HlmError(f"'value' of {what} must be finite (missing value where TRUE/FALSE needed)")
    return arr


def _r_num(v: float) -> str:
    return as_character_double(float(v))


def _r_vec(vals: np.ndarray) -> str:
    if len(vals) == 1:
        return _r_num(vals[0])
    return "c(" + ", ".join(_r_num(v) for v in vals) + ")"


class CorSpec:
    """A correlation structure as the user writes it (nlme's constructor);
    see :class:`hlm_py.structs.base.CorStructSpec`.

    ``value`` holds nlme's constructor value (constrained, as given);
    ``with_groups(g)`` is the copy with the form ``~ cov | g`` that ``lme``
    makes when the structure has no groups of its own (nlme rewrites the
    formula attribute the same way)."""

    r_class: str = "corStruct"

    def __init__(self, value: object, form: str, fixed: bool, args: list[tuple[str, str]]):
        self._form = _parse_form(form)
        self.value = _as_values(value, self.r_class)
        self.fixed = bool(fixed)
        self._args = args

    # -- protocol
    def formula(self) -> str:
        return self._form.text

    def groups_formula(self) -> str | None:
        if self._form.group_node is None:
            return None
        return "~ " + deparse(self._form.group_node)

    def variables(self, columns: Sequence[str]) -> list[str]:
        cols = set(columns)
        names = _all_vars(self._form.covariate)
        for lev in self._form.levels:
            names += _all_vars(lev)
        names = list(dict.fromkeys(names))
        return [v for v in names if v in cols or v not in _R_CONSTANTS]

    def deparse(self) -> str:
        args: list[tuple[str | None, str]] = [(k, v) for k, v in self._args]
        return deparse_call(self.r_class, args)

    def with_groups(self, groups: str) -> CorSpec:
        g = groups.strip()
        if g.startswith("~"):
            g = g[1:].strip()
        cov = deparse(self._form.covariate) if self._form.covariate is not None else "1"
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._form = _parse_form(f"~ {cov} | {g}")
        return new

    def bind(self, data: pd.DataFrame, groups: np.ndarray | None = None) -> BoundCor:
        """nlme's ``Initialize`` on the fit's rows (see the module docstring)."""
        if not isinstance(data, pd.DataFrame):
            raise HlmError("'data' must be a data frame")
        n = len(data)
        labels: list[str]
        if groups is not None:
            codes, labels = _given_groups(groups, n)
        else:
            got = corstruct_groups(self._form.text, data) if self._form.levels else None
            if got is None:
                codes, labels = np.zeros(n, dtype=np.int64), ["1"]
            else:
                codes, labels = got
        if n == 0:
            raise HlmError("no rows to initialize the correlation structure on")
        lens = np.bincount(codes, minlength=len(labels)).astype(float)
        suml2 = float(np.sum(lens * lens))
        if suml2 > _INT_MAX:
            raise HlmError(f"'sumLenSq := sum(table(groups)^2)' = {suml2:g} is too large.\n"
                           " Too large or no groups in your correlation structure?")
        return self._bind(data, codes, labels)

    # -- helpers for the classes
    def _covariate(self, data: pd.DataFrame) -> np.ndarray | None:
        node = self._form.covariate
        if node is None:
            return None
        var = evaluate(node, DataEnv(data))
        if var.kind not in ("numeric", "logical"):
            raise HlmError(f"covariate '{deparse(node)}' of \"{self.r_class}\" must be numeric, "
                           f"not {var.r_class()}")
        v = np.asarray(var.values, dtype=float)
        if np.isnan(v).any():
            raise MissingValueError(
                f"missing values (NA) in the covariate of a \"{self.r_class}\" object")
        return v

    def _bind(self, data: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> BoundCor:
        raise NotImplementedError  # pragma: no cover


def _given_groups(groups: object, n: int) -> tuple[np.ndarray, list[str]]:
    if isinstance(groups, pd.Series) and isinstance(groups.dtype, pd.CategoricalDtype):
        groups = groups.array
    if isinstance(groups, pd.Categorical):
        codes = np.asarray(groups.codes, dtype=np.int64)
        cats = [str(c) for c in groups.categories]
    else:
        arr = np.asarray(groups)
        if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
            raise HlmError("'groups' must be integer codes per row")
        codes = arr.astype(np.int64)
        cats = None
    if codes.shape != (n,):
        raise HlmError(f"'groups' has {codes.size} codes for {n} rows")
    if (codes < 0).any():
        raise MissingValueError("missing values in object")
    used = np.unique(codes)
    remap = np.full(int(used[-1]) + 1 if used.size else 1, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    dense = remap[codes]
    labels = [cats[i] for i in used] if cats is not None else [str(i + 1) for i in used]
    return dense, labels


# ---------------------------------------------------------------- bound


@dataclass
class _Layout:
    """Rows of each group: ``order`` (rows by group, data order within),
    ``sizes``, ``starts``, per-row position in its group ``pos``."""

    codes: np.ndarray
    labels: list[str]
    order: np.ndarray
    sizes: np.ndarray
    starts: np.ndarray
    pos: np.ndarray = field(repr=False)

    @classmethod
    def make(cls, codes: np.ndarray, labels: list[str]) -> _Layout:
        order, sizes, starts = _group_rows(codes, len(labels))
        pos = np.empty(len(codes), dtype=np.int64)
        pos[order] = np.arange(len(codes)) - np.repeat(starts, sizes)
        return cls(codes, labels, order, sizes, starts, pos)

    def by_size(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Per distinct size: the groups and their rows (G_s, s)."""
        out = []
        for s in np.unique(self.sizes):
            g = np.flatnonzero(self.sizes == s)
            if s == 0:
                continue
            idx = self.order[self.starts[g][:, None] + np.arange(int(s))[None, :]]
            out.append((int(s), g, idx))
        return out


class BoundCor:
    """An initialised correlation structure (nlme's ``corStruct`` after
    ``Initialize``); implements :class:`hlm_py.structs.base.BoundCorStruct`.

    ``r_class``: nlme's class after ``Initialize`` (``corAR1`` may become
    ``corARMA`` and back); ``struct_name``: what ``summary`` prints
    (``"AR(1)"``); ``formula_text``: ``deparse(formula(x))``;
    ``group_labels``: the groups' names in level order; ``fixed``: the
    parameters are held at ``full_start`` (``n_params`` 0).

    ``whiten`` applies nlme's factor ``F_i`` (``corFactor``; ``F_i C_i F_i' = I``,
    lower triangular ``L_i^-1`` except ``corCompSymm``'s Helmert-type factor,
    as nlme's) to the rows of each group.
    """

    def __init__(self, r_class: str, struct_name: str, formula_text: str, layout: _Layout,
                 start: np.ndarray, fixed: bool):
        self.r_class = r_class
        self.struct_name = struct_name
        self.formula_text = formula_text
        self._layout = layout
        self.group_codes = layout.codes
        self.group_labels = list(layout.labels)
        self.full_start = np.asarray(start, dtype=float).copy()
        self.fixed = bool(fixed)
        self.start = np.zeros(0) if self.fixed else self.full_start.copy()
        self._cache_key: bytes | None = None
        self._cache: object = None
        #: per row the time the structure uses (corARMA, corCAR1), else None
        self.times: np.ndarray | None = None

    def __repr__(self) -> str:
        return (f"BoundCor({self.r_class}, {self.formula_text!r}, "
                f"{len(self.group_labels)} groups, n_params={self.n_params})")

    # -- parameters
    @property
    def n_params(self) -> int:
        return 0 if self.fixed else int(self.full_start.size)

    @property
    def n_groups(self) -> int:
        return len(self.group_labels)

    def _full(self, theta: np.ndarray) -> np.ndarray:
        t = np.atleast_1d(np.asarray(theta, dtype=float)).ravel()
        if self.fixed:
            if t.size not in (0, self.full_start.size):
                raise HlmError(f"the fixed \"{self.r_class}\" takes no parameters, got {t.size}")
            return self.full_start
        if t.size != self.full_start.size:
            raise HlmError(f"cannot change the length of the parameter of a \"{self.r_class}\" "
                           f"object ({t.size} values for {self.full_start.size})")
        return t

    def _base_names(self) -> list[str] | None:
        """nlme's names of the unconstrained ``coef`` (None: unnamed)."""
        return None

    def param_names(self) -> list[str]:
        """nlme's names of this block in ``coef(fit$modelStruct)``:
        ``corStruct``, ``corStruct1, ...`` or ``corStruct.range, ...``."""
        if self.fixed:
            return []
        base = self._base_names()
        if base is not None:
            return [f"corStruct.{b}" for b in base]
        k = self.full_start.size
        return ["corStruct"] if k == 1 else [f"corStruct{i + 1}" for i in range(k)]

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(theta, dtype=float)]

    def coef(self, theta: np.ndarray, unconstrained: bool = True) -> np.ndarray:
        """nlme's ``coef(x, unconstrained)``."""
        full = self._full(theta)
        if unconstrained:
            return np.zeros(0) if self.fixed else full.copy()
        return self._constrained(full)

    def constrained_names(self) -> list[str]:
        raise NotImplementedError  # pragma: no cover

    def _constrained(self, full: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def natural(self, theta: np.ndarray) -> np.ndarray:
        return np.asarray(theta, dtype=float).copy()

    def from_natural(self, eta: np.ndarray) -> np.ndarray:
        return np.asarray(eta, dtype=float).copy()

    # -- the correlation model
    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError  # pragma: no cover

    def whiten(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def loglik(self, theta: np.ndarray) -> float:
        raise NotImplementedError  # pragma: no cover

    def whiten_as_residuals(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        """nlme's normalized residuals (``residuals.gls`` / ``residuals.lme``,
        ``recalc`` of the rows in data order): nlme applies group k's factor
        to the rows at the positions group k takes in the data sorted by
        group (``order(groups)``), which are group k's own rows only when the
        data are sorted by group. Reproduced as nlme computes it; on sorted
        data it is :meth:`whiten`."""
        A = np.asarray(M, dtype=float)
        vec = A.ndim == 1
        A2 = A.reshape(-1, 1) if vec else A
        order = np.argsort(self.group_codes, kind="stable")
        T = np.empty_like(A2)
        T[order] = A2
        W = np.asarray(self.whiten(theta, T))[order]
        return W[:, 0] if vec else W

    def text(self, theta: np.ndarray) -> str:
        """A plain description (R's printed block: ``hlm_py.printing.corstruct_reports``)."""
        vals = self.coef(theta, unconstrained=False)
        pars = ", ".join(f"{n} = {v:.7g}" for n, v in zip(self.constrained_names(), vals))
        return (f"Correlation Structure: {self.struct_name}\n Formula: {self.formula_text}\n"
                f" Parameter estimate(s): {pars}")

    def _check_rows(self, M: np.ndarray) -> tuple[np.ndarray, bool]:
        A = np.asarray(M, dtype=float)
        vec = A.ndim == 1
        A2 = A.reshape(-1, 1) if vec else A
        if A2.ndim != 2 or A2.shape[0] != self.group_codes.size:
            raise HlmError(f"whiten: {A2.shape[0]} rows for a structure on {self.group_codes.size} rows")
        return A2, vec


class _DenseBound(BoundCor):
    """Structures whose factor is computed per group from its correlation
    matrix (batched by size and distinct covariate pattern)."""

    def __init__(self, *a, batches: list[_Batch], **kw):
        super().__init__(*a, **kw)
        self._batches = batches

    def _corr(self, full: np.ndarray, b: _Batch) -> np.ndarray:
        """Correlation matrices (P_s, s, s) of the batch's patterns."""
        raise NotImplementedError  # pragma: no cover

    def _factor(self, full: np.ndarray, b: _Batch) -> tuple[np.ndarray, np.ndarray]:
        return _chol_factor(self._corr(full, b))

    def _factors(self, theta: np.ndarray) -> tuple[list[np.ndarray], float]:
        full = self._full(theta)
        key = full.tobytes()
        if self._cache_key != key:
            fs, terms = [], []
            for b in self._batches:
                F, ld = self._factor(full, b)
                fs.append(F)
                terms.append(ld)
            self._cache = (fs, _sequential_total(self._batches, terms, self.n_groups))
            self._cache_key = key
        return self._cache  # type: ignore[return-value]

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        """nlme's ``corMatrix``: one matrix per group, in level order."""
        full = self._full(theta)
        out: list[np.ndarray] = [np.ones((0, 0))] * self.n_groups
        for b in self._batches:
            C = self._corr(full, b)
            for g, p in zip(b.groups.tolist(), b.inv.tolist()):
                out[g] = C[p].copy()
        return out

    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        """nlme's ``corFactor`` per group (level order): ``F_i`` with ``F_i C_i F_i' = I``."""
        fs, _ = self._factors(theta)
        out: list[np.ndarray] = [np.ones((0, 0))] * self.n_groups
        for b, F in zip(self._batches, fs):
            for g, p in zip(b.groups.tolist(), b.inv.tolist()):
                out[g] = F[p].copy()
        return out

    def whiten(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        A, vec = self._check_rows(M)
        fs, _ = self._factors(theta)
        out = np.empty_like(A)
        for b, F in zip(self._batches, fs):
            X = A[b.idx]
            out[b.idx] = _apply(F[b.inv], X)
        return out[:, 0] if vec else out

    def loglik(self, theta: np.ndarray) -> float:
        """``-sum log|det L_i|`` (nlme's ``logLik(corStruct)``)."""
        _, total = self._factors(theta)
        return -total


# ---------------------------------------------------------------- covariates


def _integer_times(spec: CorSpec, data: pd.DataFrame, layout: _Layout) -> np.ndarray:
    """Per row the time nlme uses: the covariate, or the position 1..n_i."""
    cov = spec._covariate(data)
    if cov is None:
        return (layout.pos + 1).astype(float)
    return cov


def _check_unique(times: np.ndarray, layout: _Layout, r_class: str) -> None:
    for s, _g, idx in layout.by_size():
        if s < 2:
            continue
        srt = np.sort(times[idx], axis=1)
        if (np.diff(srt, axis=1) == 0).any():
            raise HlmError(f"covariate must have unique values within groups for \"{r_class}\" objects")


def _check_integer(times: np.ndarray, r_class: str) -> None:
    if not np.all(times == np.round(times)):
        raise HlmError(f"covariate must be integer-valued for \"{r_class}\" objects "
                       "(nlme truncates it with as.integer)")
    if np.abs(times).max(initial=0) > _INT_MAX:
        raise HlmError(f"covariate of \"{r_class}\" is too large for an integer")


def _consecutive(times: np.ndarray, layout: _Layout) -> bool:
    for s, _g, idx in layout.by_size():
        if s >= 2 and not np.all(np.diff(times[idx], axis=1) == 1):
            return False
    return True


def _batches(layout: _Layout, pattern) -> list[_Batch]:
    """Batch the groups by size and by distinct ``pattern(idx)`` (G_s, d)."""
    out = []
    for s, g, idx in layout.by_size():
        pat = np.asarray(pattern(s, idx), dtype=float)
        if pat.shape[1] == 0 or g.size == 1:
            pats = pat[:1]
            inv = np.zeros(g.size, dtype=np.int64)
        else:
            pats, inv = np.unique(pat, axis=0, return_inverse=True)
            inv = np.asarray(inv, dtype=np.int64).ravel()
        out.append(_Batch(s, g, idx, pats, inv))
    return out


# ---------------------------------------------------------------- corCompSymm


class _CompSymmBound(_DenseBound):
    def __init__(self, *a, inf: float, **kw):
        super().__init__(*a, **kw)
        self.inf = inf

    def constrained_names(self) -> list[str]:
        return ["Rho"]

    def _rho(self, full: np.ndarray) -> float:
        aux = math.exp(full[0])
        return (aux + self.inf) / (aux + 1.0)

    def _constrained(self, full: np.ndarray) -> np.ndarray:
        return np.array([self._rho(full)])

    def _corr(self, full: np.ndarray, b: _Batch) -> np.ndarray:
        rho = self._rho(full)
        C = np.full((b.pats.shape[0], b.s, b.s), rho)
        C[:, np.arange(b.s), np.arange(b.s)] = 1.0
        return C

    def _factor(self, full: np.ndarray, b: _Batch) -> tuple[np.ndarray, np.ndarray]:
        # nlme's Helmert-type factor (compSymm_fact)
        rho = self._rho(full)
        n = b.s
        F = np.zeros((n, n))
        aux = 1 + (n - 1) * rho
        ld0 = math.log(aux) / 2
        F[0, :] = 1 / math.sqrt(aux * n)
        aux = 1 - rho
        ld1 = (n - 1) * math.log(aux) / 2
        for i in range(1, n):
            aux1 = -1 / math.sqrt(aux * i * (i + 1))
            F[i, :i] = aux1
            F[i, i] = -i * aux1
        return F[None, :, :], np.array([[ld0, ld1]])

    def whiten(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        A, vec = self._check_rows(M)
        fs, _ = self._factors(theta)
        out = np.empty_like(A)
        for b, F in zip(self._batches, fs):
            X = A[b.idx]
            Fb = np.broadcast_to(F[0], (b.idx.shape[0], b.s, b.s))
            if b.s > EXACT_MAX:
                out[b.idx] = np.matmul(Fb, X)
            else:
                acc = np.zeros(X.shape)
                for j in range(b.s):
                    acc += Fb[:, :, j, None] * X[:, None, j, :]
                out[b.idx] = acc
        return out[:, 0] if vec else out


class _CompSymmSpec(CorSpec):
    r_class = "corCompSymm"

    def _bind(self, data: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> BoundCor:
        layout = _Layout.make(codes, labels)
        max_len = int(layout.sizes.max())
        if max_len < 2:
            raise HlmError("\"corCompSymm\" needs a group with at least two observations "
                           "(every group has one; nlme fails with NA/NaN/Inf in a foreign "
                           "function call)")
        inf = -1 / (max_len - 1)
        v = float(self.value[0])
        if v <= inf:
            raise HlmError(f"initial value in \"corCompSymm\" must be greater than "
                           f"{as_character_double(inf)}")
        start = np.array([math.log((v - inf) / (1 - v))])
        return _CompSymmBound("corCompSymm", "Compound symmetry", self.formula(), layout,
                              start, self.fixed, batches=_batches(layout, lambda s, idx: np.zeros((idx.shape[0], 0))),
                              inf=inf)


def corCompSymm(value: float = 0.0, form: str = "~ 1", fixed: bool = False) -> CorSpec:  # noqa: N802
    """nlme's ``corCompSymm``: compound symmetry, correlation ``Rho`` within
    groups. ``value`` must satisfy ``|value| < 1`` (and, at binding, exceed
    ``-1/(maxLen - 1)``, the largest group's bound); unconstrained parameter
    ``log((Rho - inf)/(1 - Rho))``."""
    vals = _as_values(value, "corCompSymm")
    if vals.size != 1:
        raise HlmError("the condition has length > 1" if vals.size > 1 else "argument is of length zero")
    if abs(vals[0]) >= 1:
        raise HlmError("parameter in \"corCompSymm\" structure must be < 1 in absolute value")
    return _CompSymmSpec(vals, form, fixed, _args(value, 0.0, form, fixed))


def _args(value: object, default: object, form: str, fixed: bool,
          extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    vals = _as_values(value, "corStruct") if value is not None else np.zeros(0)
    dvals = _as_values(default, "corStruct") if default is not None else np.zeros(0)
    if vals.shape != dvals.shape or not np.array_equal(vals, dvals):
        out.append(("value", _r_vec(vals)))
    ftext = deparse(parse(form)) if isinstance(form, str) else str(form)
    if ftext != "~1":
        out.append(("form", ftext))
    out.extend(extra)
    if fixed:
        out.append(("fixed", "TRUE"))
    return out


# ---------------------------------------------------------------- corSymm


def _symm_upper(theta: np.ndarray, m: int) -> np.ndarray:
    """The spherical parametrisation's upper-triangular factor (m x m)."""
    U = np.zeros((m, m))
    src = 0
    for i in range(m):
        aux = 1.0
        for j in range(i):
            try:
                a1 = math.exp(theta[src])
            except OverflowError:
                # nlme's C gets inf / inf = NaN here: outside the parameter space
                raise FloatingPointError("corSymm parameter beyond the double range") from None
            a1 = math.pi * a1 / (1 + a1)
            U[j, i] = aux * math.cos(a1)
            aux *= math.sin(a1)
            src += 1
        U[i, i] = aux
    return U


def _symm_corr(theta: np.ndarray, m: int) -> np.ndarray:
    """nlme's ``symm_fullCorr``: correlations in ``lower.tri`` order."""
    U = _symm_upper(theta, m)
    out = []
    for i in range(m - 1):
        for j in range(i + 1, m):
            acc = 0.0
            for k in range(i + 1):
                acc += U[k, i] * U[k, j]
            out.append(acc)
    return np.array(out)


def _symm_unconstrained(r: np.ndarray, m: int, who: str = "corSymm") -> np.ndarray:
    """nlme's ``Initialize.corSymm`` from constrained correlations (lower.tri order)."""
    if r.size != m * (m - 1) // 2:
        raise HlmError(f"initial value for \"{who}\" parameters of wrong dimension")
    if r.size and np.max(np.abs(r)) >= 1:
        raise HlmError(f"initial values for \"{who}\" must be between -1 and 1")
    nat = np.eye(m) / 2
    lo = np.tril_indices(m, -1)
    # lower.tri fills by column: (2,1), (3,1), ..., the order of r
    order = np.lexsort((lo[0], lo[1]))
    nat[lo[0][order], lo[1][order]] = r
    nat = nat.T + nat
    if r.size and np.any(np.linalg.eigvalsh(nat) <= 0):
        raise HlmError(f"initial values for \"{who}\" do not define a positive-definite "
                       "correlation structure")
    Ut, _ = _chol_upper(nat)
    out: list[float] = []
    for i in range(1, m):
        col = Ut[: i + 1, i]
        csum = 0.0
        tails = [0.0] * (i + 1)
        for k in range(i, -1, -1):
            csum += col[k] * col[k]
            tails[k] = csum
        for k in range(i):
            aux = math.acos(col[k] / math.sqrt(tails[k]))
            out.append(math.log(aux / (math.pi - aux)))
    return np.array(out)


def _chol_upper(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Upper Cholesky factor of one matrix (``dpofa`` order)."""
    m = a.shape[0]
    U = np.zeros((m, m))
    for j in range(m):
        acc = 0.0
        for k in range(j):
            t = a[k, j] - sum_seq(U[:k, k] * U[:k, j])
            t = t / U[k, k]
            U[k, j] = t
            acc += t * t
        U[j, j] = math.sqrt(a[j, j] - acc)
    return U, 0.0


def sum_seq(x: np.ndarray) -> float:
    acc = 0.0
    for v in x.tolist():
        acc += v
    return acc


#: corSymm's unconstrained parameters are held within +-SYMM_SEARCH_EDGE by
#: the gls and lme searches (a quadratic penalty beyond, the end point
#: clipped): an angle's ``t`` puts an eigenvalue of the correlation matrix at
#: about ``exp(-2 |t|)``, so beyond about 10 an evaluation is rounding
#: (measured: a REML gls flat toward a singular matrix reached t = -14.5, where
#: the other parameters' finite differences were misled, logLik 1.1e-3 below
#: nlme's, and the final QR's rank was 3 of 4). A likelihood approaching its
#: limit there loses about ``exp(-2 SYMM_SEARCH_EDGE)`` = 1.5e-8 times its slope
#: (measured: 4.5e-9 at t = -8, below 1e-9 from t = -9).
SYMM_SEARCH_EDGE = 9.0


class _SymmBound(_DenseBound):
    def __init__(self, *a, max_cov: int, **kw):
        super().__init__(*a, **kw)
        self.max_cov = max_cov
        m = max_cov
        k = np.zeros((m, m), dtype=np.int64)
        for i in range(m):
            for j in range(m):
                if i != j:
                    n1 = min(i, j)
                    n2 = i + j - 2 * n1 - 1
                    k[i, j] = n1 * m - n1 * (n1 + 1) // 2 + n2
        self._kmap = k

    def constrained_names(self) -> list[str]:
        m = self.max_cov
        return [f"cor({i + 1},{j + 1})" for i in range(m - 1) for j in range(i + 1, m)]

    def group_positions(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per group: its rows (of the fit) and their positions ``0..maxCov-1``."""
        out = []
        for b in self._batches:
            for k, p in enumerate(b.inv.tolist()):
                out.append((b.idx[k], b.pats[p].astype(np.int64)))
        return out

    def _constrained(self, full: np.ndarray) -> np.ndarray:
        return _symm_corr(full, self.max_cov)

    def _corr(self, full: np.ndarray, b: _Batch) -> np.ndarray:
        crr = _symm_corr(full, self.max_cov)
        t = b.pats.astype(np.int64)
        P, s = t.shape
        C = np.empty((P, s, s))
        if crr.size:
            C[:] = crr[self._kmap[t[:, :, None], t[:, None, :]]]
        C[:, np.arange(s), np.arange(s)] = 1.0
        return C

    def natural(self, theta: np.ndarray) -> np.ndarray:
        """nlme's ``corNatural`` parameters: ``log((1 + r)/(1 - r))`` of the correlations."""
        if self.fixed:
            return np.zeros(0)
        r = _symm_corr(self._full(theta), self.max_cov)
        return np.array([math.log((1 + x) / (1 - x)) for x in r.tolist()])

    def from_natural(self, eta: np.ndarray) -> np.ndarray:
        e = np.asarray(eta, dtype=float).ravel()
        if self.fixed:
            return np.zeros(0)
        r = np.array([(math.exp(x) - 1) / (math.exp(x) + 1) for x in e.tolist()])
        return _symm_unconstrained(r, self.max_cov)


class _SymmSpec(CorSpec):
    r_class = "corSymm"

    def _bind(self, data: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> BoundCor:
        layout = _Layout.make(codes, labels)
        times = _integer_times(self, data, layout)
        _check_unique(times, layout, "corSymm")
        uc = np.unique(times - 1)
        max_cov = uc.max() + 1
        if uc.size != max_cov or not np.all(uc == np.arange(uc.size)):
            raise HlmError("unique values of the covariate  for \"corSymm\" objects must be a "
                           "sequence of consecutive integers")
        m = int(max_cov)
        if self.value.size:
            start = _symm_unconstrained(self.value, m)
        else:
            start = np.zeros(m * (m - 1) // 2)
        t0 = (times - 1).astype(np.int64)
        return _SymmBound("corSymm", "General", self.formula(), layout, start, self.fixed,
                          batches=_batches(layout, lambda s, idx: t0[idx]), max_cov=m)


def corSymm(value: Sequence[float] | None = None, form: str = "~ 1",  # noqa: N802
            fixed: bool = False) -> CorSpec:
    """nlme's ``corSymm``: a general correlation matrix over the times
    ``1..maxCov`` (the covariate, or positions), in nlme's spherical
    parametrisation (angles ``pi e^t / (1 + e^t)`` of the columns of the
    upper Cholesky factor). ``value``: the correlations in ``lower.tri``
    order ((2,1), (3,1), ...), default 0."""
    vals = _as_values(value, "corSymm")
    return _SymmSpec(vals, form, fixed, _args(vals if value is not None else None, None, form, fixed))


# ---------------------------------------------------------------- corAR1


def _ar1_root(phi: float) -> float:
    """``sqrt(1 - phi^2)``; FloatingPointError where phi rounds to +-1 (an
    unconstrained parameter beyond about +-37), where nlme's ``AR1_fact``
    divides by zero and its logLik is not finite: the callers' criteria
    treat that as outside the parameter space."""
    aux = 1.0 - phi * phi
    if not aux > 0.0:
        raise FloatingPointError(f"corAR1: phi = {phi!r} rounds to +-1")
    return math.sqrt(aux)


def _safe_phi(x: float) -> float:
    if x < 0.0:
        ex = math.exp(x)
        return (ex - 1.0) / (ex + 1.0)
    ex = math.exp(-x)
    return (1.0 - ex) / (1.0 + ex)


class _AR1Bound(BoundCor):
    """corAR1 with consecutive times: the factor is the lag recursion
    ``(y_t - phi y_{t-1}) / sqrt(1 - phi^2)``."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        lay = self._layout
        prev = np.full(lay.codes.size, -1, dtype=np.int64)
        o = lay.order
        first = np.zeros(o.size, dtype=bool)
        first[lay.starts[lay.sizes > 0]] = True
        nz = ~first
        prev[o[1:][nz[1:]]] = o[:-1][nz[1:]]
        self._rows = np.flatnonzero(prev >= 0)
        self._prev = prev[self._rows]
        # rows already by group, in order: the recursion works on slices
        self._contiguous = bool(np.array_equal(self._prev, self._rows - 1))
        self._firsts = np.flatnonzero(prev < 0)

    def constrained_names(self) -> list[str]:
        return ["Phi"]

    def _constrained(self, full: np.ndarray) -> np.ndarray:
        aux = math.exp(full[0])
        return np.array([(aux - 1) / (aux + 1)])

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        phi = _safe_phi(float(self._full(theta)[0]))
        out: list[np.ndarray] = []
        cache: dict[int, np.ndarray] = {}
        for s in self._layout.sizes.tolist():
            if s not in cache:
                lag = np.abs(np.subtract.outer(np.arange(s), np.arange(s)))
                C = _c_pow(np.full(lag.shape, phi), lag.astype(float))
                C[np.arange(s), np.arange(s)] = 1.0
                cache[s] = C
            out.append(cache[s].copy())
        return out

    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        """nlme's ``corFactor`` per group (``AR1_fact``: 1, then the lag rows)."""
        phi = _safe_phi(float(self._full(theta)[0]))
        aux = _ar1_root(phi)
        aux1 = -phi / aux
        aux = 1 / aux
        out = []
        for s in self._layout.sizes.tolist():
            F = np.zeros((s, s))
            if s:
                F[0, 0] = 1.0
                i = np.arange(1, s)
                F[i, i] = aux
                F[i, i - 1] = aux1
            out.append(F)
        return out

    def whiten(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        A, vec = self._check_rows(M)
        phi = _safe_phi(float(self._full(theta)[0]))
        aux = _ar1_root(phi)
        aux1 = -phi / aux
        aux = 1 / aux
        if self._contiguous:
            out = np.empty_like(A)
            out[1:] = aux1 * A[:-1] + aux * A[1:]
            out[self._firsts] = A[self._firsts]
        else:
            out = A.copy()
            r = self._rows
            out[r] = aux1 * A[self._prev] + aux * A[r]
        return out[:, 0] if vec else out

    def loglik(self, theta: np.ndarray) -> float:
        """``-sum_i (n_i - 1) log(sqrt(1 - Phi^2))``, summed group by group as nlme."""
        phi = _safe_phi(float(self._full(theta)[0]))
        la = math.log(_ar1_root(phi))
        terms = (self._layout.sizes - 1).astype(float) * la
        return -float(np.cumsum(terms)[-1])


# ---------------------------------------------------------------- corARMA


def _arma_trans(pars: list[float], off: int, N: int, sgn: float) -> None:
    """nlme's ``ARMA_transPar`` on ``pars[off:off+N]`` (in place)."""
    p = pars
    for n in range(N - 1, -1, -1):
        ps = p[off + n] * p[off + n]
        if ps >= 1.0:
            raise HlmError("All parameters must be less than 1 in absolute value")
        if n:
            D = 1 - ps
            for i in range((n - 1) // 2 + 1):
                j = n - i - 1
                if j > i:
                    aux = (p[off + i] + sgn * p[off + j] * p[off + n]) / D
                    p[off + j] = (p[off + j] + sgn * p[off + i] * p[off + n]) / D
                    p[off + i] = aux
                else:
                    p[off + i] /= (1 - sgn * p[off + n])
        p[off + n] = math.log((1 + p[off + n]) / (1 - p[off + n]))


def _arma_untrans(pars: list[float], off: int, N: int, sgn: float) -> None:
    """nlme's ``ARMA_untransPar`` (in place)."""
    p = pars
    aux = [0.0] * N
    for i in range(N):
        p[off + i] = math.exp(-p[off + i])
        p[off + i] = (1 - p[off + i]) / (1 + p[off + i])
        aux[i] = p[off + i]
        if i:
            for j in range(i):
                p[off + j] = aux[j] + sgn * p[off + i] * aux[i - j - 1]
            aux[:i] = p[off:off + i]


def arma_unconstrained(value: Sequence[float] | np.ndarray, p: int, q: int) -> np.ndarray:
    """nlme's ``ARMA_unconstCoef``: constrained ARMA coefficients to the
    unconstrained (partial autocorrelations, Fisher-transformed)."""
    pars = [float(v) for v in value]
    _arma_trans(pars, 0, p, 1.0)
    _arma_trans(pars, p, q, -1.0)
    return np.array(pars)


def arma_constrained(theta: Sequence[float] | np.ndarray, p: int, q: int) -> np.ndarray:
    """nlme's ``ARMA_constCoef`` (the inverse of :func:`arma_unconstrained`)."""
    pars = [float(v) for v in theta]
    _arma_untrans(pars, 0, p, -1.0)
    _arma_untrans(pars, p, q, 1.0)
    return np.array(pars)


def arma_correlations(pars: np.ndarray, p: int, q: int, max_lag: int) -> np.ndarray:
    """nlme's ``ARMA_fullCorr``: autocorrelations at lags ``0..max(maxLag, p, q)``
    of the ARMA(p, q) with constrained coefficients ``pars`` (AR then MA)."""
    par = [float(v) for v in pars]
    M = max(q + 1, p)
    psi = [0.0] * max(M, 1)
    psi[0] = 1.0
    for i in range(1, M):
        psi[i] = 0.0 if q < i else par[p + i - 1]
        for j in range(min(p, i)):
            psi[i] += par[j] * psi[i - j - 1]
    P = p + 1
    mlag = max(max_lag, q, p) + 1
    crr = [0.0] * max(mlag, P)
    max_pq = max(p, q)
    if max_pq:
        coef = np.eye(P)
        crr[0] = 1.0
        for i in range(1, q + 1):
            crr[0] += par[p + i - 1] * psi[i]
        if p:
            for i in range(1, min(p, q) + 1):
                for j in range(i, q + 1):
                    crr[i] += par[p - 1 + j] * psi[j - i]
            for i in range(P):
                for j in range(p):
                    k = abs(i - j - 1)
                    coef[i, k] -= par[j]
            qr = dqrdc2(coef, tol=_SQRT_EPS)
            if qr.rank < P:
                raise HlmError("Coefficient matrix not invertible")
            sol = qr_coef(qr, np.array(crr[:P]))
            crr = [0.0] * len(crr)
            crr[:P] = [float(v) for v in sol]
        for i in range(P, q + 1):
            for j in range(p):
                crr[i] += par[j] * crr[i - j - 1]
            # nlme reads the MA coefficients from pars + i - 1 here
            for j in range(i, q + 1):
                crr[i] += par[i - 1 + (j - i)] * psi[j - i]
        for i in range(max_pq + 1, mlag):
            for j in range(p):
                crr[i] += par[j] * crr[i - j - 1]
        for i in range(1, mlag):
            crr[i] /= crr[0]
    crr[0] = 1.0
    return np.array(crr[:mlag])


class _ARMABound(_DenseBound):
    def __init__(self, *a, p: int, q: int, max_lag: int, **kw):
        super().__init__(*a, **kw)
        self.p, self.q, self.max_lag = p, q, max_lag

    def constrained_names(self) -> list[str]:
        return [f"Phi{i + 1}" for i in range(self.p)] + [f"Theta{i + 1}" for i in range(self.q)]

    def _constrained(self, full: np.ndarray) -> np.ndarray:
        return arma_constrained(full, self.p, self.q)

    def _corr(self, full: np.ndarray, b: _Batch) -> np.ndarray:
        crr = arma_correlations(arma_constrained(full, self.p, self.q), self.p, self.q, self.max_lag)
        t = b.pats.astype(np.int64)
        lag = np.abs(t[:, None, :] - t[:, :, None])
        return crr[lag]


class _ARMASpec(CorSpec):
    r_class = "corARMA"

    def __init__(self, value: np.ndarray, form: str, p: int, q: int, fixed: bool,
                 args: list[tuple[str, str]]):
        super().__init__(value, form, fixed, args)
        self.p, self.q = p, q

    def _bind(self, data: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> BoundCor:
        return _bind_arma(self, data, codes, labels, self.p, self.q,
                          arma_unconstrained(self.value, self.p, self.q))


def _bind_arma(spec: CorSpec, data: pd.DataFrame, codes: np.ndarray, labels: list[str],
               p: int, q: int, start: np.ndarray) -> BoundCor:
    layout = _Layout.make(codes, labels)
    times = _integer_times(spec, data, layout)
    cls = "corAR1" if spec.r_class == "corAR1" else "corARMA"
    _check_unique(times, layout, cls)
    if p == 1 and q == 0 and _consecutive(times, layout):
        return _AR1Bound("corAR1", "AR(1)", spec.formula(), layout, start, spec.fixed)
    _check_integer(times, "corARMA")
    t = times.astype(np.int64)
    max_lag = 0
    for _s, _g, idx in layout.by_size():
        tt = t[idx]
        max_lag = max(max_lag, int((tt.max(axis=1) - tt.min(axis=1)).max()))
    out = _ARMABound("corARMA", f"ARMA({p},{q})", spec.formula(), layout, start, spec.fixed,
                     batches=_batches(layout, lambda s, idx: t[idx] - t[idx][:, :1]),
                     p=p, q=q, max_lag=max_lag)
    out.times = t.astype(float)
    return out


def corARMA(value: Sequence[float] | float | None = None, form: str = "~ 1", p: int = 0,  # noqa: N802
            q: int = 0, fixed: bool = False) -> CorSpec:
    """nlme's ``corARMA``: ARMA(p, q) correlation over integer times.
    ``value``: the ``p`` AR then ``q`` MA coefficients (default 0);
    unconstrained parameters through the partial autocorrelations
    (``ARMA_unconstCoef``). nlme's ``corARMA(p = 0, q = 0)`` returns the
    deprecated ``corIdent``; here it is an error."""
    for k, what in ((p, "autoregressive"), (q, "moving average")):
        if not (isinstance(k, (int, float, np.integer, np.floating)) and k >= 0 and k == round(k)):
            raise HlmError(f"{what} order must be a non-negative integer")
    p, q = int(p), int(q)
    if p + q == 0:
        raise HlmError("corARMA with p = 0 and q = 0 is no correlation (nlme's deprecated "
                       "corIdent): omit 'correlation' or use corAR1(0, fixed = TRUE)")
    vals = np.zeros(p + q) if value is None else _as_values(value, "corARMA")
    if vals.size != p + q:
        raise HlmError("initial value for parameter of wrong length")
    if np.max(np.abs(vals)) >= 1:
        raise HlmError("parameters in ARMA structure must be < 1 in absolute value")
    arma_unconstrained(vals, p, q)  # nlme's constructor transforms (and checks) at once
    extra = [("p", str(p))] if p else []
    extra += [("q", str(q))] if q else []
    return _ARMASpec(vals, form, p, q, fixed,
                     _args(value if value is not None else None, None, form, fixed, extra))


class _AR1Spec(CorSpec):
    r_class = "corAR1"

    def _bind(self, data: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> BoundCor:
        v = float(self.value[0])
        return _bind_arma(self, data, codes, labels, 1, 0,
                          np.array([math.log((1 + v) / (1 - v))]))


def corAR1(value: float = 0.0, form: str = "~ 1", fixed: bool = False) -> CorSpec:  # noqa: N802
    """nlme's ``corAR1``: ``cor = Phi^|lag|`` over integer times, unconstrained
    ``log((1 + Phi)/(1 - Phi))``. With times that are not consecutive in a
    group nlme turns it into ``corARMA(p = 1, q = 0)`` (``Phi1``, printed
    ``ARMA(1,0)``); so does binding here."""
    vals = _as_values(value, "corAR1")
    if vals.size != 1:
        raise HlmError("the condition has length > 1" if vals.size > 1 else "argument is of length zero")
    if abs(vals[0]) >= 1:
        raise HlmError("parameter in AR(1) structure must be between -1 and 1")
    return _AR1Spec(vals, form, fixed, _args(value, 0.0, form, fixed))


# ---------------------------------------------------------------- corCAR1


class _CAR1Bound(_DenseBound):
    def constrained_names(self) -> list[str]:
        return ["Phi"]

    def _constrained(self, full: np.ndarray) -> np.ndarray:
        aux = math.exp(full[0])
        return np.array([aux / (1 + aux)])

    def _corr(self, full: np.ndarray, b: _Batch) -> np.ndarray:
        aux = math.exp(full[0])
        phi = aux / (1.0 + aux)
        P, s = b.pats.shape[0], b.s
        C = np.ones((P, s, s))
        i, j = _pair_index(s)
        if i.size:
            vals = _c_pow(np.full(b.pats.shape, phi), b.pats)
            C[:, i, j] = vals
            C[:, j, i] = vals
        return C


class _CAR1Spec(CorSpec):
    r_class = "corCAR1"

    def _bind(self, data: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> BoundCor:
        layout = _Layout.make(codes, labels)
        times = _integer_times(self, data, layout)
        _check_unique(times, layout, "corCAR1")
        v = float(self.value[0])
        start = np.array([math.log(v / (1 - v))])

        def pattern(s: int, idx: np.ndarray) -> np.ndarray:
            i, j = _pair_index(s)
            tt = times[idx]
            return np.abs(tt[:, j] - tt[:, i])

        out = _CAR1Bound("corCAR1", "Continuous AR(1)", self.formula(), layout, start,
                         self.fixed, batches=_batches(layout, pattern))
        out.times = np.asarray(times, dtype=float)
        return out


def corCAR1(value: float = 0.2, form: str = "~ 1", fixed: bool = False) -> CorSpec:  # noqa: N802
    """nlme's ``corCAR1``: continuous-time AR(1), ``cor = Phi^|t_i - t_j|``,
    ``0 < Phi < 1``, unconstrained ``log(Phi/(1 - Phi))``."""
    vals = _as_values(value, "corCAR1")
    if vals.size != 1:
        raise HlmError("the condition has length > 1" if vals.size > 1 else "argument is of length zero")
    if vals[0] <= 0 or vals[0] >= 1:
        raise HlmError("parameter in CAR(1) structure must be between 0 and 1")
    return _CAR1Spec(vals, form, fixed, _args(value, 0.2, form, fixed))


# ---------------------------------------------------------------- spatial


def _spatial_corr(cls: str, v: np.ndarray) -> np.ndarray:
    """nlme's ``spher_corr``, ``exp_corr``, ... of scaled distances."""
    if cls == "corExp":
        return r_math1("exp", -v)
    if cls == "corGaus":
        return r_math1("exp", -(v * v))
    if cls == "corRatio":
        return 1 / (1 + v * v)
    if cls == "corLin":
        return np.where(v < 1, 1.0 - v, 0.0)
    # corSpher
    small = v < 1
    out = np.zeros(v.shape)
    vs = v[small]
    out[small] = 1.0 - 1.5 * vs + 0.5 * _c_pow(vs, np.full(vs.shape, 3.0))
    return out


class _SpatialBound(_DenseBound):
    def __init__(self, *a, nugget: bool, min_d: float, metric: str, **kw):
        super().__init__(*a, **kw)
        self.nugget, self.min_d, self.metric = nugget, min_d, metric
        self._offset = _SPATIAL[self.r_class][1]

    def _base_names(self) -> list[str] | None:
        return ["range", "nugget"] if self.nugget else ["range"]

    def constrained_names(self) -> list[str]:
        return ["range", "nugget"] if self.nugget else ["range"]

    def _constrained(self, full: np.ndarray) -> np.ndarray:
        val = [math.exp(full[0])]
        if self.nugget:
            e = math.exp(full[1])
            val.append(e / (1 + e))
        if self._offset:
            val[0] = val[0] + self.min_d
        return np.array(val)

    def group_distances(self) -> list[np.ndarray]:
        """nlme's ``getCovariate``: per group (level order) the distances of
        its rows' pairs in ``dist``'s order (empty for a one-row group)."""
        out = [np.zeros(0) for _ in self.group_labels]
        for b in self._batches:
            for k, g in enumerate(b.groups):
                out[int(g)] = np.array(b.pats[b.inv[k]], dtype=float) if b.s > 1 else np.zeros(0)
        return out

    def _corr(self, full: np.ndarray, b: _Batch) -> np.ndarray:
        rng = math.exp(full[0])
        ratio = 1.0
        if self.nugget:
            ratio = 1 / (1.0 + math.exp(full[1]))
        if self._offset:
            rng += self.min_d
        P, s = b.pats.shape[0], b.s
        C = np.ones((P, s, s))
        i, j = _pair_index(s)
        if i.size:
            vals = ratio * _spatial_corr(self.r_class, b.pats / rng)
            C[:, i, j] = vals
            C[:, j, i] = vals
        return C


def _dist(X: np.ndarray, metric: str) -> np.ndarray:
    """R's ``dist`` of the rows of ``X`` (G, s, c) per group, as (G, s(s-1)/2)."""
    s = X.shape[1]
    i, j = _pair_index(s)
    dev = X[:, j, :] - X[:, i, :]
    if metric == "euclidean":
        acc = np.zeros(dev.shape[:2])
        for c in range(dev.shape[2]):
            acc = acc + dev[:, :, c] * dev[:, :, c]
        return np.sqrt(acc)
    if metric == "maximum":
        return np.abs(dev).max(axis=2) if dev.shape[2] else np.zeros(dev.shape[:2])
    acc = np.zeros(dev.shape[:2])
    for c in range(dev.shape[2]):
        acc = acc + np.abs(dev[:, :, c])
    return acc


class _SpatialSpec(CorSpec):
    def __init__(self, r_class: str, value: np.ndarray, form: str, nugget: bool, metric: str,
                 fixed: bool, args: list[tuple[str, str]]):
        self.r_class = r_class
        super().__init__(value, form, fixed, args)
        self.nugget = bool(nugget)
        self.metric = metric

    def _coords(self, data: pd.DataFrame) -> np.ndarray | None:
        node = self._form.covariate
        if node is None:
            return None
        terms: list[Node] = []

        def split(nd: Node) -> None:
            if isinstance(nd, Call) and nd.fn == "+" and len(nd.args) == 2:
                split(nd.args[0][1])
                split(nd.args[1][1])
            else:
                terms.append(nd)

        split(node)
        env = DataEnv(data)
        cols = []
        for t in terms:
            if isinstance(t, Num):
                continue
            var = evaluate(t, env)
            if var.kind not in ("numeric", "logical", "matrix"):
                raise HlmError(f"covariate '{deparse(t)}' of \"{self.r_class}\" must be numeric, "
                               f"not {var.r_class()}")
            v = np.asarray(var.values, dtype=float)
            cols.append(v.reshape(len(data), -1))
        X = np.hstack(cols) if cols else np.zeros((len(data), 0))
        if np.isnan(X).any():
            raise MissingValueError(
                f"missing values (NA) in the covariate of a \"{self.r_class}\" object")
        return X

    def _bind(self, data: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> BoundCor:
        layout = _Layout.make(codes, labels)
        X = self._coords(data)
        if X is None:
            X = (layout.pos + 1).astype(float)[:, None]
        metric = self.metric

        def pattern(s: int, idx: np.ndarray) -> np.ndarray:
            return _dist(X[idx], metric)

        batches = _batches(layout, pattern)
        all_d = [b.pats for b in batches if b.pats.shape[1]]
        if not all_d:
            raise HlmError(f"\"{self.r_class}\" has no distances: every group has one observation")
        if any((d == 0).any() for d in all_d):
            raise HlmError("cannot have zero distances in \"corSpatial\"")
        min_d = float(min(d.min() for d in all_d))
        name, offset = _SPATIAL[self.r_class]
        who = self.r_class if offset else "corSpatial"
        val = [float(v) for v in self.value]
        if val:
            if val[0] <= 0:
                if self.r_class == "corSpher":
                    raise HlmError("range must be > 0 in \"corSpher\" initial value")
                raise HlmError(f"'range' must be > 0 in \"{who}\" initial value")
            if offset and val[0] <= min_d:
                warnings.warn("initial value for 'range' less than minimum distance. "
                              "Setting it to 1.1 * min(distance)", UserWarning, stacklevel=3)
                val[0] = 1.1 * min_d
            if self.nugget:
                if len(val) == 1:
                    val.append(0.1)
                elif len(val) != 2:
                    raise HlmError(f"initial value for \"{who}\" parameters of wrong dimension")
                if val[1] <= 0 or val[1] >= 1:
                    raise HlmError("initial value of nugget ratio must be between 0 and 1")
            elif len(val) != 1:
                raise HlmError(f"initial value for \"{who}\" parameters of wrong dimension")
        else:
            val = [min_d * (1.1 if offset else 0.9)]
            if self.nugget:
                val.append(0.1)
        start = [math.log(val[0] - min_d) if offset else math.log(val[0])]
        if self.nugget:
            start.append(math.log(val[1] / (1 - val[1])))
        return _SpatialBound(self.r_class, name, self.formula(), layout, np.array(start),
                             self.fixed, batches=batches, nugget=self.nugget, min_d=min_d,
                             metric=metric)


def _metric(metric: str) -> str:
    if isinstance(metric, str) and metric:
        hits = [m for m in _METRICS if m.startswith(metric)]
        if len(hits) == 1:
            return hits[0]
    raise HlmError("'arg' should be one of \u201ceuclidean\u201d, \u201cmaximum\u201d, \u201cmanhattan\u201d")


def _spatial(r_class: str, value: object, form: str, nugget: bool, metric: str,
             fixed: bool) -> CorSpec:
    m = _metric(metric)
    vals = _as_values(value, r_class)
    extra: list[tuple[str, str]] = []
    if nugget:
        extra.append(("nugget", "TRUE"))
    if m != "euclidean":
        extra.append(("metric", f"\"{m}\""))
    return _SpatialSpec(r_class, vals, form, nugget, m, fixed,
                        _args(vals if value is not None else None, None, form, fixed, extra))


def corExp(value: Sequence[float] | float | None = None, form: str = "~ 1",  # noqa: N802
           nugget: bool = False, metric: str = "euclidean", fixed: bool = False) -> CorSpec:
    """nlme's ``corExp``: ``cor = (1 - nugget) exp(-d/range)``; unconstrained
    ``log(range)`` (and ``log(nugget/(1 - nugget))``); default range
    ``0.9 * min(distance)``, nugget 0.1."""
    return _spatial("corExp", value, form, nugget, metric, fixed)


def corGaus(value: Sequence[float] | float | None = None, form: str = "~ 1",  # noqa: N802
            nugget: bool = False, metric: str = "euclidean", fixed: bool = False) -> CorSpec:
    """nlme's ``corGaus``: ``cor = (1 - nugget) exp(-(d/range)^2)``."""
    return _spatial("corGaus", value, form, nugget, metric, fixed)


def corLin(value: Sequence[float] | float | None = None, form: str = "~ 1",  # noqa: N802
           nugget: bool = False, metric: str = "euclidean", fixed: bool = False) -> CorSpec:
    """nlme's ``corLin``: ``cor = (1 - nugget) (1 - d/range)_+``; the
    unconstrained range is ``log(range - min(distance))``, default
    ``1.1 * min(distance)`` (a smaller ``value`` is raised to it, with nlme's
    warning)."""
    return _spatial("corLin", value, form, nugget, metric, fixed)


def corRatio(value: Sequence[float] | float | None = None, form: str = "~ 1",  # noqa: N802
             nugget: bool = False, metric: str = "euclidean", fixed: bool = False) -> CorSpec:
    """nlme's ``corRatio``: ``cor = (1 - nugget) / (1 + (d/range)^2)``."""
    return _spatial("corRatio", value, form, nugget, metric, fixed)


def corSpher(value: Sequence[float] | float | None = None, form: str = "~ 1",  # noqa: N802
             nugget: bool = False, metric: str = "euclidean", fixed: bool = False) -> CorSpec:
    """nlme's ``corSpher``: ``cor = (1 - nugget)(1 - 1.5 u + 0.5 u^3)`` for
    ``u = d/range < 1``, else 0; range parametrised as in :func:`corLin`."""
    return _spatial("corSpher", value, form, nugget, metric, fixed)



def spatial_distances(cor: object) -> list[np.ndarray] | None:
    """The per-group distances of a bound spatial structure (nlme's
    ``getCovariate`` of a ``corSpatial``); None for any other structure."""
    if isinstance(cor, _SpatialBound):
        return cor.group_distances()
    return None


def as_corstruct(x: object) -> CorStructSpec | None:
    """A ``correlation=`` argument: None, or a correlation structure
    (``hlm.corAR1(...)``); anything else is nlme's error."""
    if x is None:
        return None
    if isinstance(x, CorSpec):
        return cast(CorStructSpec, x)
    raise HlmError("'correlation' must be a correlation structure such as "
                   f"hlm.corAR1(form=\"~ 1 | g\"), not {x!r}")
