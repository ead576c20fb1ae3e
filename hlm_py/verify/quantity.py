"""One quantity of hlm_py compared with R's: the representation, the
tolerances and the comparison of numbers, names and printed text.

Values on both sides use the golden representation of ``docs/internals.md`` (named vector
``{"names", "values"}``, matrix ``{"rownames", "colnames", "values"}``
row-major, data frame ``{"rownames", "columns"}``, scalar, string, list of
strings); pandas objects are accepted too and converted with :func:`to_repr`.

Tolerances (the project's rule, one place):

* ``lm``, ``anova``, ``predict``, ``model_matrix`` (every quantity of the kinds
  ``lm`` and ``model_matrix``): an element passes when
  ``|py - r| <= max(1e-10 * |r|, 1e-12 * scale)``, ``scale`` being
  ``max(1, largest |r| of that vector or column)``: relative 1e-10, absolute
  1e-12 near zero, the absolute floor measured on the quantity's own scale so
  that rounding noise of a quantity in the thousands is not called a
  difference. P-value columns are compared relatively only (floor 1e-300),
  so a tiny p-value cannot hide behind the absolute floor.
* ``lme``: fixed effects, variance components, sigma and everything else
  numeric relative 1e-6; the log-likelihood one-sided (hlm_py's may be higher,
  never lower than R's minus 1e-7; AIC and BIC accordingly never above R's
  plus 2e-7); degrees of freedom exactly; ``intervals`` relative 1e-3;
  ``apVar`` (the inverse of a numerical Hessian) within 1e-3 of each column's
  largest entry.
* NA (``null``/``NaN`` in a golden, ``NaN``/``None`` in Python) must sit at
  exactly the same places on both sides; ``Inf`` must equal ``Inf``.
* Names (vector names, row and column names) identical, in the same order.
* Printed text identical line for line (trailing newlines at the very end are
  dropped on both sides: R's ``capture.output`` and Python's ``print`` end
  differently); the first differing line is reported. The one exception:
  lines that differ only through rounding noise, numbers that are zero in
  exact arithmetic (``|x| <= 1e-12 *`` the largest number of the text) and
  the notation R then picks for their column (docs/differences.md, #4).

Each comparison gives one :class:`Row` (case, quantity, elements compared,
largest difference, ok, detail). The reported difference is scaled so that
it passes exactly when it is <= the quantity's relative tolerance:
``|py - r| / max(|r|, atol / rtol)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from hlm_py.datasets import number_to_json

__all__ = [
    "Row",
    "TextWithRule",
    "Tolerance",
    "compare_quantity",
    "compare_text",
    "normalise",
    "to_repr",
    "tolerance_for",
]



@dataclass(frozen=True)
class Row:
    """One compared quantity."""

    case: str
    quantity: str
    n: int
    max_rel_diff: float
    ok: bool
    detail: str = ""
    #: passed through a declared difference or an lme rule (docs/differences.md)
    documented: bool = False

    def format(self) -> str:
        diff = "-" if math.isnan(self.max_rel_diff) else f"{self.max_rel_diff:.3g}"
        status = ("documented" if self.documented else "ok") if self.ok else "FAIL"
        line = f"{self.case:<40} {self.quantity:<28} {self.n:>7} {diff:>10}  {status}"
        if self.detail and (not self.ok or self.documented):
            line += f"  {self.detail}"
        return line


@runtime_checkable
class TextWithRule(Protocol):
    """A printed text that carries its own comparison rule
    (:class:`hlm_py.verify.lme_cases.PrintedText`)."""

    def compare(self, case: str, quantity: str, r_text: str | list[str]) -> Row:
        """The row of this text against R's ``r_text``."""
        ...


@dataclass(frozen=True)
class Tolerance:
    """How one numeric column or vector is compared.

    mode ``"two_sided"``: ``|py - r| <= max(rtol * |r|, atol * scale)``;
    ``"not_below"``: ``py >= r - atol`` (log-likelihoods: hlm_py may find a
    higher maximum than R, never a lower one); ``"not_above"``: ``py <= r + atol``.
    ``scaled_atol``: multiply ``atol`` by ``max(min_scale, max |r|)``.
    """

    rtol: float
    atol: float
    mode: str = "two_sided"
    scaled_atol: bool = True
    min_scale: float = 1.0


LM_TOL = Tolerance(1e-10, 1e-12)
PVALUE_TOL = Tolerance(1e-10, 1e-300, scaled_atol=False)
LME_TOL = Tolerance(1e-6, 1e-12)
LME_EXACT = Tolerance(0.0, 0.0, scaled_atol=False)
LME_INTERVALS = Tolerance(1e-3, 1e-10)
#: quantities derived from the fit element by element (fitted values, residuals,
#: BLUPs, coef, covariance and correlation matrices): relative 1e-6 of the
#: column's largest entry. They are functions of parameters known to relative
#: 1e-6, so an element near zero (a residual of 7e-5 in a column reaching 20)
#: is known to 1e-6 of its column's scale, not of its own size.
LME_DERIVED = Tolerance(1e-6, 1e-6, min_scale=0.0)
_LME_DERIVED = re.compile(r"^(fitted|resid|ranef|coef|corFixed|vcov|resid_quantiles|pd_constrained"
                          r"|predict|varcorr/[^/]+/(cov|corr)|varBeta|corBeta|resid_std|getVarCov"
                          r"|ACF|Variogram)(/|$)")
#: nlme's unconstrained parameters (log SDs, Cholesky entries) at the optimum:
#: absolute 1e-6, which on a log SD is relative 1e-6 on the SD (a log SD near 0,
#: e.g. 0.0112, makes a relative rule meaningless)
LME_PARAMS = Tolerance(0.0, 1e-6, scaled_atol=False)
#: apVar, a numerical Hessian's inverse: relative 1e-3 of each column's largest entry
LME_APVAR = Tolerance(1e-3, 1e-3, min_scale=0.0)
LME_LOGLIK = Tolerance(0.0, 1e-7, mode="not_below", scaled_atol=False)
#: the structures' constrained values (a power, a ratio, a correlation, a
#: range): relative 1e-6, or absolute 1e-6 for one near 0 (a power of 0.005
#: is known to the optimum's 1e-6 in absolute terms, as its unconstrained form)
STRUCT_PARAMS = Tolerance(1e-6, 1e-6, scaled_atol=False)
LME_IC = Tolerance(0.0, 2e-7, mode="not_above", scaled_atol=False)

_PVALUE = re.compile(r"(^|[^a-z])(pr\(|p-value|p\.value|p_value|pvalue)", re.IGNORECASE)
_DF = re.compile(r"(^|[^a-z])(df|numdf|dendf|df_residual|res\.df)([^a-z]|$)", re.IGNORECASE)


def tolerance_for(kind: str, quantity: str, column: str | None = None) -> Tolerance:
    """The tolerance for ``quantity`` (and ``column`` of it) of a case of ``kind``."""
    label = f"{quantity} {column or ''}"
    if kind not in ("lme", "gls", "lme_struct"):
        return PVALUE_TOL if _PVALUE.search(label) else LM_TOL
    low = label.lower()
    if "pd_unconstrained" in low or "apvar_pars" in low or "modelstruct_unconstrained" in low \
            or re.search(r"(cor|var)struct/unconstrained", low):
        return LME_PARAMS
    if re.search(r"^(cor|var)struct/", low):
        return STRUCT_PARAMS
    if _LME_DERIVED.search(quantity):
        return LME_DERIVED
    if "apvar" in low:
        return LME_APVAR
    if "interval" in low:
        return LME_INTERVALS
    if _DF.search(label):
        return LME_EXACT
    if "loglik" in low:
        return LME_LOGLIK
    if re.search(r"(^|[^a-z])(aic|bic)([^a-z]|$)", low):
        return LME_IC
    return LME_TOL


# --------------------------------------------------------------------------
# representation


def _scalar_repr(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return number_to_json(x)
    if x is pd.NA or x is pd.NaT:
        return None
    return str(x)


def _values_repr(values: Any) -> list[Any]:
    return [_scalar_repr(v) for v in list(values)]


def to_repr(obj: Any) -> Any:
    """Convert a Python result to the golden representation.

    ``pd.Series`` -> named vector; ``pd.DataFrame`` -> data frame
    (``{"rownames", "columns"}``); numpy 2-D array -> matrix without names;
    numbers -> number (NaN -> ``None``); strings unchanged; a list of strings
    stays a list; a float subclass (``logLik`` with ``.df``) -> its number.
    Objects with ``to_frame()`` (R-style tables) are converted through it.
    """
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, str):
        return obj
    if hasattr(obj, "to_frame") and not isinstance(obj, (pd.Series, pd.DataFrame)):
        return to_repr(obj.to_frame())
    if isinstance(obj, pd.Series):
        return {"names": [str(i) for i in obj.index], "values": _values_repr(obj.to_numpy())}
    if isinstance(obj, pd.DataFrame):
        return {
            "rownames": [str(i) for i in obj.index],
            "colnames": [str(c) for c in obj.columns],
            "columns": {str(c): _values_repr(obj.iloc[:, j].to_numpy())
                        for j, c in enumerate(obj.columns)},
        }
    if isinstance(obj, np.ndarray):
        if obj.ndim == 2:
            return {"rownames": None, "colnames": None,
                    "values": [[_scalar_repr(v) for v in row] for row in obj]}
        return _values_repr(obj)
    if isinstance(obj, (list, tuple)):
        return [to_repr(v) if isinstance(v, (list, tuple, dict)) else _scalar_repr(v) for v in obj]
    return _scalar_repr(obj)


@dataclass
class _Norm:
    """A quantity in one shape: table of columns with row and column names.

    A scalar is a 1x1 table without names; a vector a table with one column
    named ``None``; strings/text are kept as ``text``.
    """

    shape: str  # "scalar" | "vector" | "table" | "strings"
    rownames: list[str] | None
    colnames: list[str] | None
    columns: list[list[Any]]  # column-major values
    strings: list[str] | None = None


def normalise(x: Any) -> _Norm:
    """Bring a golden value or a Python result into one comparable shape."""
    x = to_repr(x)
    if isinstance(x, dict) and not x:
        x = []  # R's empty list
    if isinstance(x, str):
        return _Norm("strings", None, None, [], [x])
    if isinstance(x, list):
        if all(isinstance(v, str) or v is None for v in x) and any(isinstance(v, str) for v in x):
            return _Norm("strings", None, None, [], [v for v in x])
        return _Norm("vector", None, None, [list(x)])
    if isinstance(x, dict):
        if "names" in x and "values" in x:
            return _Norm("vector", [str(n) for n in x["names"]] if x["names"] is not None else None,
                         None, [list(x["values"])])
        if "values" in x and ("colnames" in x or "rownames" in x):
            rn = x.get("rownames")
            cn = x.get("colnames")
            vals = list(x["values"])
            if vals and isinstance(vals[0], list):  # a list of rows (rconvert's form)
                rows = vals
            else:  # flat, row-major
                ncol = len(cn) if cn is not None else x.get("ncol")
                if ncol is None:
                    raise ValueError("flat matrix without colnames or ncol")
                rows = [vals[i:i + ncol] for i in range(0, len(vals), ncol)] if ncol else []
            ncol = len(rows[0]) if rows else (len(cn) if cn is not None else 0)
            if any(len(r) != ncol for r in rows):
                raise ValueError("ragged matrix")
            cols = [[r[j] for r in rows] for j in range(ncol)]
            return _Norm("table", list(map(str, rn)) if rn is not None else None,
                         list(map(str, cn)) if cn is not None else None, cols)
        if "columns" in x:
            cols = x["columns"]
            rn = x.get("rownames")
            order = [str(c) for c in (x.get("colnames") or list(cols))]
            if sorted(order) != sorted(str(c) for c in cols):
                raise ValueError("data frame colnames do not match its columns")
            by_name = {str(k): v for k, v in cols.items()}
            return _Norm("table", list(map(str, rn)) if rn is not None else None,
                         order, [list(by_name[c]) for c in order])
        if "values" in x:
            return _Norm("vector", None, None, [list(x["values"])])
        raise ValueError(f"unrecognised golden value with keys {sorted(x)}")
    return _Norm("scalar", None, None, [[x]])


_SPECIAL = {"Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan, "NA": math.nan}


def _as_number(v: Any) -> float | None:
    """A float for numeric entries (NaN for NA), ``None`` for non-numeric."""
    if v is None:
        return math.nan
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, str) and v in _SPECIAL:
        return _SPECIAL[v]
    return None


def _numeric_column(values: list[Any]) -> np.ndarray | None:
    out = []
    for v in values:
        f = _as_number(v)
        if f is None:
            return None
        out.append(f)
    return np.asarray(out, dtype=float)


def _compare_numbers(py: np.ndarray, r: np.ndarray, tol: Tolerance) -> tuple[float, bool, str]:
    """Largest scaled difference, ok, detail of the worst element."""
    if py.shape != r.shape:
        return math.inf, False, f"length {py.size} vs R's {r.size}"
    na_py, na_r = np.isnan(py), np.isnan(r)
    if not np.array_equal(na_py, na_r):
        i = int(np.flatnonzero(na_py != na_r)[0])
        return math.inf, False, f"NA at element {i + 1}: py {float(py[i])!r}, R {float(r[i])!r}"
    keep = ~na_r
    a, b = py[keep], r[keep]
    if a.size == 0:
        return 0.0, True, ""
    inf_a, inf_b = np.isinf(a), np.isinf(b)
    if not np.array_equal(inf_a, inf_b) or not np.array_equal(a[inf_b], b[inf_b]):
        i = int(np.flatnonzero((inf_a != inf_b) | (inf_b & (a != b)))[0])
        return math.inf, False, f"infinite element {i + 1}: py {a[i]!r}, R {b[i]!r}"
    fin = ~inf_b
    a, b = a[fin], b[fin]
    if a.size == 0:
        return 0.0, True, ""
    if tol.mode == "not_below":
        short = b - a  # how far py falls below R
        worst = int(np.argmax(short))
        ok = bool(np.all(short <= tol.atol))
        return float(max(short[worst], 0.0)), ok, (
            "" if ok else f"py {float(a[worst])!r} below R {float(b[worst])!r} by {short[worst]:.3g}")
    if tol.mode == "not_above":
        over = a - b
        worst = int(np.argmax(over))
        ok = bool(np.all(over <= tol.atol))
        return float(max(over[worst], 0.0)), ok, (
            "" if ok else f"py {float(a[worst])!r} above R {float(b[worst])!r} by {over[worst]:.3g}")
    atol = tol.atol * (max(tol.min_scale, float(np.max(np.abs(b)))) if tol.scaled_atol else 1.0)
    diff = np.abs(a - b)
    if tol.rtol > 0:
        scaled = diff / np.maximum(np.abs(b), atol / tol.rtol)
    else:  # exact comparison (degrees of freedom): report the plain difference
        scaled = diff
    worst = int(np.argmax(scaled))
    ok = bool(np.all(diff <= np.maximum(tol.rtol * np.abs(b), atol)))
    detail = "" if ok else f"element {worst + 1}: py {float(a[worst])!r}, R {float(b[worst])!r}"
    return float(scaled[worst]), ok, detail


def _compare_column(py_vals: list[Any], r_vals: list[Any], tol: Tolerance) -> tuple[int, float, bool, str]:
    if len(py_vals) != len(r_vals):
        return 0, math.inf, False, f"length {len(py_vals)} vs R's {len(r_vals)}"
    r_num = _numeric_column(r_vals)
    py_num = _numeric_column(py_vals)
    if r_num is not None and py_num is not None:
        d, ok, detail = _compare_numbers(py_num, r_num, tol)
        return len(r_vals), d, ok, detail
    # character / mixed: exact, NA equal to NA
    for i, (a, b) in enumerate(zip(py_vals, r_vals)):
        a_na = a is None or (isinstance(a, float) and math.isnan(a))
        b_na = b is None or b == "NA"
        if a_na and b_na:
            continue
        if a_na != b_na or str(a) != str(b):
            return len(r_vals), math.inf, False, f"element {i + 1}: py {a!r}, R {b!r}"
    return len(r_vals), 0.0, True, ""


def _names_detail(what: str, py: list[str] | None, r: list[str] | None) -> str | None:
    if r is None or py is None:
        # unnamed on R's side: nothing to check; named on R's only: a difference
        if r is not None and py is None:
            return f"{what}: py has none, R has {r[:5]}"
        return None
    if list(py) != list(r):
        for i, (a, b) in enumerate(zip(py, r)):
            if a != b:
                return f"{what} differ at {i + 1}: py {a!r}, R {b!r}"
        return f"{what}: py has {len(py)}, R has {len(r)}"
    return None


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

#: a printed number is rounding noise when |x| <= NOISE_REL * (largest |number| of the text)
NOISE_REL = 1e-12


def _token_value(tok: str) -> float | None:
    return float(tok) if _NUMBER.match(tok) else None


def _noise_lines(py_lines: list[str], r_lines: list[str]) -> tuple[int, str | None]:
    """Accept differences caused by rounding noise only.

    Numbers that are zero in exact arithmetic come out of any QR as noise
    (``1e-16`` relative to the largest entry) whose digits -- and so R's
    choice of fixed or scientific notation for the whole column -- depend on
    the last bits of the arithmetic. A printout that differs from R's is
    accepted when (a) at least one differing number is such noise on both
    sides (``|x| <= NOISE_REL * largest |number| of R's text``), and (b) every
    differing line has the same tokens as R's, each number equal in value to
    R's (``230.3131`` is ``2.303131e+02``) or noise on both sides. Returns the number of
    lines accepted, or the first line that is a real difference.
    """
    nums = [abs(v) for line in r_lines for t in line.split()
            if (v := _token_value(t)) is not None]
    scale = max(nums, default=0.0)
    limit = NOISE_REL * scale
    saw_noise = False
    accepted = 0
    for i, (a, b) in enumerate(zip(py_lines, r_lines)):
        if a == b:
            continue
        ta, tb = a.split(), b.split()
        if len(ta) != len(tb):
            return 0, f"line {i + 1}: py {a!r} | R {b!r}"
        for x, y in zip(ta, tb):
            if x == y:
                continue
            vx, vy = _token_value(x), _token_value(y)
            if vx is None or vy is None:
                return 0, f"line {i + 1}: py {a!r} | R {b!r}"
            if abs(vx) <= limit and abs(vy) <= limit:
                saw_noise = True
                continue
            if vx != vy:  # the same decimal in another notation is the same value
                return 0, f"line {i + 1}: py {a!r} | R {b!r}"
        accepted += 1
    if not saw_noise:
        first = next(i for i, (a, b) in enumerate(zip(py_lines, r_lines)) if a != b)
        return 0, f"line {first + 1}: py {py_lines[first]!r} | R {r_lines[first]!r}"
    return accepted, None


def compare_text(case: str, quantity: str, py: str, r: str | list[str]) -> Row:
    """Printed text, line for line; the first differing line is the detail.

    The one tolerance: lines that differ only through rounding noise (see
    :func:`_noise_lines`); the row then passes and says how many lines.
    """
    if isinstance(r, list):
        r = "\n".join(r)
    if not isinstance(py, str):
        return Row(case, quantity, 0, math.inf, False, f"py gave {type(py).__name__}, not text")
    py_lines = py.rstrip("\n").split("\n")
    r_lines = r.rstrip("\n").split("\n")
    if len(py_lines) != len(r_lines):
        for i, (a, b) in enumerate(zip(py_lines, r_lines)):
            if a != b:
                return Row(case, quantity, len(r_lines), math.inf, False,
                           f"line {i + 1}: py {a!r} | R {b!r}")
        i = min(len(py_lines), len(r_lines))
        extra_py = py_lines[i] if i < len(py_lines) else "<end>"
        extra_r = r_lines[i] if i < len(r_lines) else "<end>"
        return Row(case, quantity, len(r_lines), math.inf, False,
                   f"line {i + 1}: py {extra_py!r} | R {extra_r!r}")
    if py_lines == r_lines:
        return Row(case, quantity, len(r_lines), 0.0, True)
    accepted, problem = _noise_lines(py_lines, r_lines)
    if problem is not None:
        return Row(case, quantity, len(r_lines), math.inf, False, problem)
    return Row(case, quantity, len(r_lines), 0.0, True,
               f"{accepted} line(s) differ only in rounding noise")


def compare_quantity(case: str, kind: str, quantity: str, py: Any, r: Any) -> Row:
    """Compare one result quantity (numbers, names, NA pattern)."""
    if isinstance(py, BaseException):
        return Row(case, quantity, 0, math.inf, False, f"py raised {type(py).__name__}: {py}")
    try:
        a, b = normalise(py), normalise(r)
    except (ValueError, TypeError) as exc:
        return Row(case, quantity, 0, math.inf, False, f"cannot read value: {exc}")
    if b.shape == "strings" or a.shape == "strings":
        if a.shape != b.shape or a.strings != b.strings:
            return Row(case, quantity, len(b.strings or []), math.inf, False,
                       f"strings: py {a.strings if a.shape == 'strings' else a.shape!r}, "
                       f"R {b.strings if b.shape == 'strings' else b.shape!r}")
        return Row(case, quantity, len(b.strings or []), 0.0, True)
    # a scalar and a length-1 unnamed vector are the same thing in R
    if {a.shape, b.shape} == {"scalar", "vector"} and len(a.columns[0]) == len(b.columns[0]) == 1:
        a.shape = b.shape = "scalar"
    if a.shape != b.shape:
        return Row(case, quantity, 0, math.inf, False, f"shape: py {a.shape}, R {b.shape}")
    for what, pn, rn in (("names" if b.shape == "vector" else "row names", a.rownames, b.rownames),
                         ("column names", a.colnames, b.colnames)):
        msg = _names_detail(what, pn, rn)
        if msg:
            return Row(case, quantity, 0, math.inf, False, msg)
    if len(a.columns) != len(b.columns):
        return Row(case, quantity, 0, math.inf, False,
                   f"{len(a.columns)} columns vs R's {len(b.columns)}")
    n, worst, ok, details = 0, 0.0, True, []
    for j, (pc, rc) in enumerate(zip(a.columns, b.columns)):
        column = b.colnames[j] if b.colnames else None
        tol = tolerance_for(kind, quantity, column)
        k, d, c_ok, detail = _compare_column(pc, rc, tol)
        n += k
        worst = max(worst, d)
        if not c_ok:
            ok = False
            details.append(f"[{column}] {detail}" if column else detail)
    return Row(case, quantity, n, worst, ok, "; ".join(details[:3]))
