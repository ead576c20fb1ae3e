"""Evaluation of formula variables on data, with R's semantics.

A formula variable (``wt``, ``log(wt)``, ``I(x^2)``, ``poly(x, 2)``,
``factor(cyl)``, ``scale(x)``, ``offset(log(n))``) is evaluated on the columns
of a ``pandas.DataFrame`` by :func:`evaluate`, which returns a
:class:`Variable`: R's value class reduced to what ``model.frame`` and
``model.matrix`` distinguish (numeric, numeric matrix, logical, factor,
character).

Data conventions: float/int columns are numeric (NaN is NA); ``bool`` and
``boolean`` columns are logical; ``Categorical`` columns are factors with the
categories as levels (ordered stays ordered); object/string columns are
character. Character becomes a factor with levels in R's ``sort`` order
(``hlm_py.rbase.collate``) where R converts it; numbers are labelled by R's
``as.character`` (``hlm_py.rbase.ascharacter``).

What ``predict`` needs is kept in ``Variable.state`` (R's ``predvars`` made by
``makepredictcall``): ``poly`` keeps ``alpha`` and ``norm2``, ``scale`` keeps
its centre and scale. As in R this applies to the outermost call of a variable
only (``log(scale(x))`` is recomputed on new data, as R does).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import HlmError, UnknownVariableError
from ..linalg import r_col_means, r_col_sums, r_mean
from ..linalg.libm import r_log, r_logbase, r_math1, r_pow, r_pow_outer
from .contrasts import qr_diag_residuals
from .deparse import deparse
from .parser import Call, Name, Node, Num, Str, parse
from .values import (
    Chr,
    DataEnv,
    Factor,
    Lgl,
    Mat,
    Variable,
    as_str_array,
    make_factor,
    merge_same_labels,
)

__all__ = ["evaluate", "evaluate_value", "to_variable"]


# ---------------------------------------------------------------- helpers


def _num(x, what: str = "argument") -> np.ndarray | np.float64:
    """Coerce to a float array as R's arithmetic does (logical -> 0/1)."""
    if isinstance(x, Lgl):
        return x.v
    if isinstance(x, np.ndarray):
        return x.astype(np.float64, copy=False)
    if isinstance(x, (int, float, np.integer, np.floating)):
        return np.float64(x)
    if isinstance(x, Factor):
        raise HlmError(f"'{what}' not meaningful for factors")
    if isinstance(x, Mat):
        return x.v
    if isinstance(x, Chr):
        raise HlmError(f"non-numeric argument to {what}")
    raise HlmError(f"invalid argument to {what}")


def _scalar(x, what: str) -> float:
    a = np.asarray(_num(x, what), dtype=float).ravel()
    if a.size < 1:
        raise HlmError(f"invalid '{what}' argument")
    return float(a[0])


def _nan_warn(before: np.ndarray, after: np.ndarray, fn: str) -> None:
    if np.any(np.isnan(after) & ~np.isnan(before)):
        warnings.warn(f"In {fn}: NaNs produced", RuntimeWarning, stacklevel=4)


def _math1(fn: Callable, name: str):
    def f(args, kw):
        x = _num(args[0], name)
        with np.errstate(all="ignore"):
            out = fn(x)
        _nan_warn(np.asarray(x), np.asarray(out), f"{name}(x)")
        return out

    return f


def _libm1(name: str):
    """R's math1 function ``name`` from the C library (linalg.libm)."""
    return _math1(lambda x: r_math1(name, x), name)


def _log(args, kw):
    x = _num(args[0], "log")
    base = kw.get("base", args[1] if len(args) > 1 else None)
    with np.errstate(all="ignore"):
        out = r_log(x) if base is None else r_logbase(x, _scalar(base, "base"))
    _nan_warn(np.asarray(x), np.asarray(out), "log(x)")
    return out


def _as_logical(x) -> np.ndarray:
    if isinstance(x, Lgl):
        return x.v
    if isinstance(x, Chr):
        raise HlmError("operations are possible only for numeric, logical or complex types")
    v = _num(x, "logical operation")
    return np.where(np.isnan(v), np.nan, (v != 0).astype(float))


def _compare(op: str, a, b):
    if isinstance(a, Factor) or isinstance(b, Factor) or isinstance(a, Chr) or isinstance(b, Chr):
        if op not in ("==", "!="):
            if isinstance(a, Factor) or isinstance(b, Factor):
                raise HlmError(f"'{op}' not meaningful for factors")
        sa, sb = as_str_array(a), as_str_array(b)
        na = pd.isna(sa) | pd.isna(sb)
        sa2 = np.where(pd.isna(sa), "", sa).astype(str)
        sb2 = np.where(pd.isna(sb), "", sb).astype(str)
        res = {
            "==": np.equal, "!=": np.not_equal, "<": np.less, ">": np.greater,
            "<=": np.less_equal, ">=": np.greater_equal,
        }[op](sa2, sb2).astype(float)
        return Lgl(np.where(na, np.nan, res))
    x, y = _num(a, op), _num(b, op)
    with np.errstate(invalid="ignore"):
        res = {
            "==": np.equal, "!=": np.not_equal, "<": np.less, ">": np.greater,
            "<=": np.less_equal, ">=": np.greater_equal,
        }[op](x, y).astype(float)
    return Lgl(np.where(np.isnan(x) | np.isnan(y), np.nan, res))


def _c(args, kw):
    vals = list(args) + list(kw.values())
    if any(isinstance(v, (Chr, Factor)) for v in vals):
        return Chr(np.concatenate([np.atleast_1d(as_str_array(v)) for v in vals]))
    if all(isinstance(v, Lgl) for v in vals):
        return Lgl(np.concatenate([np.atleast_1d(v.v) for v in vals]))
    return np.concatenate([np.atleast_1d(_num(v, "c")) for v in vals])


def _in(a, b):
    sa = as_str_array(a) if isinstance(a, (Chr, Factor)) or isinstance(b, (Chr, Factor)) else None
    if sa is not None:
        sb = set(as_str_array(b).tolist())
        return Lgl(np.array([x in sb for x in sa], dtype=float))
    x, y = np.atleast_1d(_num(a, "%in%")), np.atleast_1d(_num(b, "%in%"))
    res = np.isin(x, y)
    if np.isnan(y).any():
        res |= np.isnan(x)
    return Lgl(res.astype(float))


# ---------------------------------------------------------------- factor(), poly(), scale()


def _enough_unique(x: np.ndarray, k: int) -> bool:
    """Whether ``x`` has more than ``k`` distinct values (cheap on long vectors)."""
    head = x[: 64 * (k + 1)]
    if len(np.unique(head)) > k:
        return True
    return len(np.unique(x)) > k


def poly_fit(x: np.ndarray, degree: int) -> tuple[np.ndarray, dict]:
    """R's ``poly(x, degree)``: orthonormal polynomials and their ``coefs``.

    As R: the QR (LINPACK ``dqrdc2``) of ``outer(x - mean(x), 0:degree, "^")``,
    ``Z = qr.qy(QR, diag(R))``, then ``alpha``/``norm2`` for prediction and
    columns scaled to unit length.
    """
    if np.isnan(x).any():
        raise HlmError("missing values are not allowed in 'poly'")
    if degree < 1:
        raise HlmError("'degree' must be at least 1")
    if not _enough_unique(x, degree):
        raise HlmError("'degree' must be less than number of unique points")
    xbar = r_mean(x)
    xc = x - xbar
    X = r_pow_outer(xc, np.arange(degree + 1, dtype=float))
    Z, rank = qr_diag_residuals(X)
    if rank < degree:
        raise HlmError("'degree' must be less than number of unique points")
    Z2 = Z * Z
    norm2 = r_col_sums(Z2)
    alpha = (r_col_sums(xc[:, None] * Z2) / norm2 + xbar)[:degree]
    norm2 = np.concatenate([[1.0], norm2])
    Z = Z / np.sqrt(norm2[1:])
    return Z[:, 1:], {"alpha": alpha, "norm2": norm2}


def poly_predict(x: np.ndarray, degree: int, coefs: dict) -> np.ndarray:
    """R's ``poly(x, degree, coefs = )``: the three-term recurrence on new data."""
    alpha, norm2 = coefs["alpha"], coefs["norm2"]
    n = len(x)
    Z = np.ones((n, degree + 1))
    Z[:, 1] = x - alpha[0]
    for i in range(1, degree):
        Z[:, i + 1] = (x - alpha[i]) * Z[:, i] - (norm2[i + 1] / norm2[i]) * Z[:, i - 1]
    Z = Z / np.sqrt(norm2[1:])
    return Z[:, 1:]


def _poly(args, kw, state):
    if not args:
        raise HlmError("poly() needs a variable")
    extra = args[1:]
    if len(extra) > 1 or (extra and np.size(_num(extra[0], "poly")) != 1):
        raise HlmError("poly() of several variables (polym) is not supported")
    degree = int(_scalar(extra[0], "degree")) if extra else int(_scalar(kw.get("degree", 1), "degree"))
    raw = bool(_scalar(kw["raw"], "raw")) if "raw" in kw else False
    x = np.atleast_1d(_num(args[0], "poly")).astype(np.float64)
    names = [str(i) for i in range(1, degree + 1)]
    if raw:
        if degree < 1:
            raise HlmError("'degree' must be at least 1")
        return Mat(r_pow_outer(x, np.arange(1, degree + 1, dtype=float)), names, {"raw": True})
    if state is not None and "alpha" in state:
        return Mat(poly_predict(x, degree, state), names, dict(state))
    Z, coefs = poly_fit(x, degree)
    return Mat(Z, names, coefs)


def _scale(args, kw, state):
    x = _num(args[0], "scale")
    x = np.asarray(x, dtype=np.float64)
    m = x[:, None] if x.ndim == 1 else x
    center = kw.get("center", args[1] if len(args) > 1 else Lgl(np.array(1.0)))
    scl = kw.get("scale", args[2] if len(args) > 2 else Lgl(np.array(1.0)))
    if state is not None:
        center, scl = state.get("center", center), state.get("scale", scl)
    st: dict = {}
    if isinstance(center, Lgl):
        if center.v.item():
            c = r_col_means(m, na_rm=True)  # R: colMeans(x, na.rm = TRUE)
            m = m - c
            st["center"] = c
    else:
        c = np.atleast_1d(_num(center, "center")).astype(float)
        m = m - c
        st["center"] = c
    if isinstance(scl, Lgl):
        if scl.v.item():
            # R: sqrt(sum(v^2) / max(1, length(v) - 1)) over each column's
            # non-NA entries, sum() in long double
            ok = ~np.isnan(m)
            cnt = ok.sum(axis=0)
            s = np.sqrt(r_col_sums(np.where(ok, m * m, 0.0)) / np.maximum(1, cnt - 1))
            with np.errstate(invalid="ignore", divide="ignore"):  # R: 0/0 is NaN, silently
                m = m / s
            st["scale"] = s
    else:
        s = np.atleast_1d(_num(scl, "scale")).astype(float)
        m = m / s
        st["scale"] = s
    return Mat(m, None, st)


def _factor_fn(ordered_default: bool | None):
    def f(args, kw):
        x = args[0] if args else kw.get("x")
        lv = kw.get("levels", args[1] if len(args) > 1 else None)
        levels = None if lv is None else [str(s) for s in as_str_array(lv)]
        if levels is not None and len(set(levels)) < len(levels):
            dup = next(i for i, s in enumerate(levels) if s in levels[:i])
            raise HlmError(f"factor level [{dup + 1}] is duplicated")
        ordered = ordered_default
        if "ordered" in kw:
            ordered = bool(_scalar(kw["ordered"], "ordered"))
        if ordered is None:
            ordered = isinstance(x, Factor) and x.ordered
        fac = make_factor(x, levels, ordered)
        if "labels" in kw:
            labs = [str(s) for s in as_str_array(kw["labels"])]
            if len(labs) == 1 and len(fac.levels) != 1:
                labs = [f"{labs[0]}{i + 1}" for i in range(len(fac.levels))]
            if len(labs) != len(fac.levels):
                raise HlmError(
                    f"invalid 'labels'; length {len(labs)} should be 1 or {len(fac.levels)}"
                )
            # R (>= 3.4.0): duplicated labels merge their levels
            fac = merge_same_labels(fac.codes, labs, fac.ordered)
        return fac

    return f


def _as_numeric(args, kw):
    x = args[0]
    if isinstance(x, Factor):
        return np.where(x.codes < 0, np.nan, x.codes + 1.0)
    if isinstance(x, Chr):
        out = pd.to_numeric(pd.Series(x.v), errors="coerce").to_numpy(dtype=float)
        if np.any(np.isnan(out) & ~pd.isna(x.v)):
            warnings.warn("NAs introduced by coercion", RuntimeWarning, stacklevel=4)
        return out
    return np.asarray(_num(x, "as.numeric"), dtype=np.float64)


def _relevel(args, kw):
    f = args[0]
    ref = kw.get("ref", args[1] if len(args) > 1 else None)
    if not isinstance(f, Factor) or f.ordered:
        raise HlmError("'relevel' only for (unordered) factors")
    r = str(as_str_array(ref)[0])
    if r not in f.levels:
        raise HlmError("'ref' must be an existing level")
    i = f.levels.index(r)
    order = [i] + [k for k in range(len(f.levels)) if k != i]
    remap = np.empty(len(f.levels) + 1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    remap[-1] = -1
    return Factor(remap[f.codes], [f.levels[k] for k in order], False)


def _ifelse(args, kw):
    test = _as_logical(args[0])
    yes, no = _num(args[1], "ifelse"), _num(args[2], "ifelse")
    out = np.where(test == 1, yes, no)
    return np.where(np.isnan(test), np.nan, out)


def _pm(fn):
    def f(args, kw):
        vals = [_num(a, "pmin") for a in args]
        out = vals[0]
        for v in vals[1:]:
            out = fn(out, v)
        return out

    return f


def _identity(args, kw):
    if len(args) != 1:
        raise HlmError("this function takes one argument")
    return args[0]


_FUNCS: dict[str, Callable] = {
    "I": _identity,
    "offset": _identity,
    "log": _log,
    "log2": _libm1("log2"),
    "log10": _libm1("log10"),
    "log1p": _libm1("log1p"),
    "exp": _libm1("exp"),
    "expm1": _libm1("expm1"),
    "sqrt": _math1(np.sqrt, "sqrt"),
    "abs": _math1(np.abs, "abs"),
    "sin": _libm1("sin"),
    "cos": _libm1("cos"),
    "tan": _libm1("tan"),
    "floor": _math1(np.floor, "floor"),
    "ceiling": _math1(np.ceil, "ceiling"),
    "trunc": _math1(np.trunc, "trunc"),
    "sign": _math1(np.sign, "sign"),
    "factor": _factor_fn(None),
    "as.factor": _factor_fn(None),
    "ordered": _factor_fn(True),
    "as.ordered": _factor_fn(True),
    "as.numeric": _as_numeric,
    "as.double": _as_numeric,
    "as.integer": lambda a, k: np.trunc(_as_numeric(a, k)),
    "as.character": lambda a, k: Chr(np.atleast_1d(as_str_array(a[0]))),
    "as.logical": lambda a, k: Lgl(_as_logical(a[0])),
    "c": _c,
    "relevel": _relevel,
    "ifelse": _ifelse,
    "pmin": _pm(np.fmin),
    "pmax": _pm(np.fmax),
}


# ---------------------------------------------------------------- evaluator


def _arith(op: str, a, b):
    x, y = _num(a, op), _num(b, op)
    with np.errstate(all="ignore"):
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return x / y
        if op == "^":
            return r_pow(x, y)
        if op == "%%":
            return np.mod(x, y)
        if op == "%/%":
            return np.floor_divide(x, y)
    raise HlmError(f"unsupported operator '{op}'")


_ARITH = ("+", "-", "*", "/", "^", "%%", "%/%")


def _is_arith_call(node: Node) -> bool:
    return (isinstance(node, Call) and node.fn in _ARITH and len(node.args) == 2
            and node.args[0][0] is None and node.args[1][0] is None)


def _eval(node: Node, env: DataEnv, state: dict | None = None):
    if isinstance(node, Name):
        return env.lookup(node.name)
    if isinstance(node, Num):
        return np.float64(node.value)
    if isinstance(node, Str):
        return Chr(np.array([node.value], dtype=object))
    assert isinstance(node, Call)
    fn = node.fn
    raw_args = node.args
    if fn == "(":
        return _eval(raw_args[0][1], env)
    if fn == "~":
        raise HlmError("a formula cannot be a variable")
    if fn in _ARITH and _is_arith_call(node):
        # the left spine in a loop (I(a + b + ... + z) is left-deep)
        spine = [node]
        while _is_arith_call(spine[-1].args[0][1]):
            spine.append(spine[-1].args[0][1])
        acc = _eval(spine[-1].args[0][1], env)
        for c in reversed(spine):
            acc = _arith(c.fn, acc, _eval(c.args[1][1], env))
        return acc
    args = [_eval(a, env) for k, a in raw_args if k is None]
    kw = {k: _eval(a, env) for k, a in raw_args if k is not None}
    if fn in ("+", "-") and len(args) == 1 and not kw:
        x = _num(args[0], "unary " + fn)
        return -x if fn == "-" else x
    if fn in ("+", "-", "*", "/", "^", "%%", "%/%") and len(args) == 2:
        return _arith(fn, args[0], args[1])
    if fn in ("==", "!=", "<", ">", "<=", ">="):
        return _compare(fn, args[0], args[1])
    if fn in ("&", "&&", "|", "||"):
        x, y = _as_logical(args[0]), _as_logical(args[1])
        if fn in ("&", "&&"):
            out = np.where((x == 0) | (y == 0), 0.0, np.where(np.isnan(x) | np.isnan(y), np.nan, 1.0))
        else:
            out = np.where((x == 1) | (y == 1), 1.0, np.where(np.isnan(x) | np.isnan(y), np.nan, 0.0))
        return Lgl(out)
    if fn == "!":
        x = _as_logical(args[0])
        return Lgl(np.where(np.isnan(x), np.nan, 1.0 - x))
    if fn == "%in%":
        return _in(args[0], args[1])
    if fn == ":" and len(args) == 2:
        a0, a1 = _scalar(args[0], ":"), _scalar(args[1], ":")
        step = 1.0 if a1 >= a0 else -1.0
        return np.arange(a0, a1 + step * 0.5, step)
    if fn == "poly":
        return _poly(args, kw, state)
    if fn == "scale":
        return _scale(args, kw, state)
    f = _FUNCS.get(fn)
    if f is None:
        raise UnknownVariableError(f'could not find function "{fn}"')
    return f(args, kw)


def to_variable(val, n: int, name: str) -> Variable:
    """Turn an evaluated value into a model-frame :class:`Variable` of length ``n``."""

    def check(m: int) -> None:
        if m != n:
            raise HlmError(f"variable lengths differ (found for '{name}')")

    if isinstance(val, Factor):
        check(len(val.codes))
        return Variable("factor", np.asarray(val.codes, np.int64), list(val.levels), val.ordered)
    if isinstance(val, Lgl):
        v = np.atleast_1d(val.v).astype(np.float64)
        check(len(v))
        return Variable("logical", v)
    if isinstance(val, Chr):
        v = np.atleast_1d(val.v)
        check(len(v))
        return Variable("character", v)
    if isinstance(val, Mat):
        check(val.v.shape[0])
        return Variable("matrix", np.asarray(val.v, np.float64), colnames=val.colnames, state=val.state)
    if val is None:
        raise HlmError(f"invalid type (NULL) for variable '{name}'")
    arr = np.atleast_1d(np.asarray(val))
    if arr.ndim == 2:
        check(arr.shape[0])
        return Variable("matrix", arr.astype(np.float64))
    check(len(arr))
    return Variable("numeric", arr.astype(np.float64), is_integer=arr.dtype.kind in "iu")


def evaluate(node: Node | str, env: DataEnv, state: dict | None = None) -> Variable:
    """Evaluate one formula variable on the data (R's ``eval(predvars, data)``).

    ``state`` is the predict state of the outermost call (``poly`` coefs,
    ``scale`` centre/scale) saved from the fit; ``None`` when fitting.
    """
    tree = parse(node) if isinstance(node, str) else node
    name = deparse(tree, backtick=not isinstance(tree, Name))
    val = _eval(tree, env, state)
    return to_variable(val, env.n, name)


def evaluate_value(node: Node | str, env: DataEnv):
    """Evaluate an R expression to a raw evaluator value (used for ``subset`` strings)."""
    tree = parse(node) if isinstance(node, str) else node
    return _eval(tree, env)
