"""Hypothesis strategies: small data frames and R formulas for hlm_py.

Data frames (:func:`frames`) hold columns of every kind R's model frame knows:
numeric, integer, logical, character, factor and ordered factor, with NA
cells, unbalanced and singleton groups, a grouping nested in another,
exactly and nearly collinear columns and responses of any scale from 1e-8 to
1e8. Formulas (:func:`formulas`) are drawn from the grammar of API.md: main
effects, interactions with and without their margins, ``*``, ``/``,
``%in%``, ``^``, ``-``, ``0 +``, ``- 1``, ``I()``, ``poly()``, ``log()``,
``sqrt()``, ``scale()``, ``factor()`` and ``offset()``.

Data stay small (5 to 60 rows) so that an example costs milliseconds.

Cell values come from a NumPy generator seeded by Hypothesis (the structure:
sizes, kinds, NA positions, scales, is drawn by Hypothesis itself). Shrinking
then simplifies the structure and the seed; the reproducer prints the data
whatever they are.

Conventions of the frames: the index is ``1..n`` (R's default row names), so
R and Python name rows alike; a ``Meta`` records the role of each column
(what a formula may do with it).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

N_MIN, N_MAX = 5, 60

CONTRASTS = ("contr.treatment", "contr.sum", "contr.helmert", "contr.poly", "contr.SAS")


# --------------------------------------------------------------------------
# the drawn problem


@dataclass
class Meta:
    """What each column of a drawn frame is, by role.

    numeric      plain numeric predictors (any sign)
    positive     numeric, > 0 where not NA (log, sqrt)
    integer      integer columns (small counts: ``factor(k)`` makes sense)
    logical      bool / nullable boolean
    character    strings (R: character, made a factor with sorted levels)
    factor       pandas Categorical, unordered
    ordered      pandas Categorical, ordered
    group        grouping factors (unbalanced, maybe singleton groups)
    nested       (outer, inner) pairs: inner labels repeat across outer groups
    collinear    exact linear combinations of other numeric columns
    near         nearly collinear columns, with the relative size of the perturbation
    has_na       columns that hold at least one NA
    weights      a positive weights column, if any
    response     the response column
    """

    numeric: list[str] = field(default_factory=list)
    positive: list[str] = field(default_factory=list)
    integer: list[str] = field(default_factory=list)
    logical: list[str] = field(default_factory=list)
    character: list[str] = field(default_factory=list)
    factor: list[str] = field(default_factory=list)
    ordered: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    nested: list[tuple[str, str]] = field(default_factory=list)
    collinear: list[str] = field(default_factory=list)
    near: dict[str, float] = field(default_factory=dict)
    has_na: set[str] = field(default_factory=set)
    weights: str | None = None
    response: str = "y"

    def categorical(self) -> list[str]:
        return self.factor + self.ordered + self.character + self.logical + self.group


@dataclass
class Problem:
    """One drawn fitting problem: data, formula and the call's options."""

    data: pd.DataFrame
    formula: str
    meta: Meta
    contrasts: dict[str, str] | None = None
    weights: str | None = None
    random: str | None = None
    method: str = "REML"
    tags: tuple[str, ...] = ()
    #: gls / lme structures, as the catalogue's specs (``r_reference/cases/structs.py``):
    #: ``{"class": "corAR1", "args": {"form": "~ t | g"}}``
    correlation: dict[str, Any] | None = None
    variance: dict[str, Any] | None = None

    @property
    def ill_conditioned(self) -> bool:
        """True when the formula uses a nearly collinear column."""
        return any(name in self.formula for name in self.meta.near)

    def __repr__(self) -> str:  # what Hypothesis prints for a falsifying example
        opts = []
        if self.contrasts:
            opts.append(f"contrasts={self.contrasts!r}")
        if self.weights:
            opts.append(f"weights={self.weights!r}")
        if self.random:
            opts.append(f"random={self.random!r}, method={self.method!r}")
        if self.correlation:
            opts.append(f"correlation={self.correlation!r}")
        if self.variance:
            opts.append(f"variance={self.variance!r}")
        if (self.correlation or self.variance) and not self.random:
            opts.append(f"method={self.method!r}")
        extra = (", " + ", ".join(opts)) if opts else ""
        return (f"Problem(formula={self.formula!r}{extra}, data={self.data.shape[0]}x"
                f"{self.data.shape[1]} {list(self.data.columns)})")


# --------------------------------------------------------------------------
# columns


def _with_na(values: pd.Series | np.ndarray, n_na: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``n_na`` NA cells (distinct), as a boolean mask."""
    n = len(values)
    mask = np.zeros(n, dtype=bool)
    if n_na:
        mask[rng.choice(n, size=min(n_na, n - 1), replace=False)] = True
    return mask


def _numeric_values(rng: np.random.Generator, n: int, style: str) -> np.ndarray:
    z = rng.standard_normal(n)
    if style == "rounded":  # ties, short decimals
        return np.round(z, 1)
    if style == "integers":  # few distinct values
        return rng.integers(-3, 4, size=n).astype(float)
    if style == "shifted":  # mean far from 0: an intercept nearly collinear with x
        return 1e4 + z
    if style == "wide":  # magnitudes across many decades
        return z * 10.0 ** rng.integers(-3, 4, size=n)
    return z


def _group_codes(draw: st.DrawFn, rng: np.random.Generator, n: int, min_groups: int = 2,
                 balanced: bool | None = None) -> np.ndarray:
    """Group codes 0..G-1 for n rows: unbalanced, maybe with singleton groups."""
    g_max = max(min_groups, min(12, n // 2))
    n_groups = draw(st.integers(min_groups, g_max))
    if balanced is None:
        balanced = draw(st.booleans())
    if balanced:
        codes = np.arange(n) % n_groups
    else:
        codes = np.concatenate([np.arange(n_groups), rng.integers(0, n_groups, size=n - n_groups)])
        if draw(st.booleans()) and n_groups >= 3 and n > n_groups:
            # make group 0 a singleton
            others = codes[n_groups:]
            others[others == 0] = 1
            codes[n_groups:] = others
    return rng.permutation(codes) if draw(st.booleans()) else np.sort(codes)


def _labels(prefix: str, k: int, draw: st.DrawFn) -> list[str]:
    style = draw(st.sampled_from(["plain", "letters", "mixed"]))
    if style == "letters" and k <= 26:
        return list(string.ascii_lowercase[:k])
    if style == "mixed" and k <= 8:
        pool = ["a", "B", "c", "D", "A", "b", "x1", "_z"]
        return pool[:k]
    return [f"{prefix}{i + 1}" for i in range(k)]


def _categorical(labels: list[str], codes: np.ndarray, draw: st.DrawFn, ordered: bool,
                 na_mask: np.ndarray | None = None, unused: bool = False) -> pd.Categorical:
    cats = list(labels)
    if draw(st.booleans()):  # level order not the sorted order
        cats = draw(st.permutations(cats))
    if unused:
        cats = cats + ["zz_unused"]
    vals = np.array([labels[c] for c in codes], dtype=object)
    if na_mask is not None:
        vals[na_mask] = None
    return pd.Categorical(vals, categories=cats, ordered=ordered)


@st.composite
def frames(draw: st.DrawFn, *, n_min: int = N_MIN, n_max: int = N_MAX, na: bool = True,
           near_collinear: bool = True, groups: int | None = None, weights: bool = True,
           scale: bool = True, exotic_names: bool = True) -> tuple[pd.DataFrame, Meta]:
    """A data frame and its :class:`Meta`.

    ``na``: allow NA cells; ``near_collinear``: allow nearly collinear
    columns (ill-conditioned designs); ``groups``: force that many grouping
    columns (0, 1 or 2 = nested); ``scale``: responses from 1e-8 to 1e8 (else
    of order 1).
    """
    n = draw(st.integers(n_min, n_max), label="n")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    meta = Meta()
    cols: dict[str, Any] = {}

    def na_count(name: str) -> int:
        if not na:
            return 0
        k = draw(st.sampled_from([0, 0, 0, 1, 2]), label=f"na:{name}")
        return k

    # numeric predictors
    n_num = draw(st.integers(1, 3), label="n_numeric")
    for j in range(n_num):
        name = f"x{j + 1}"
        style = draw(st.sampled_from(["normal", "normal", "rounded", "integers", "shifted", "wide"]),
                     label=f"style:{name}")
        v = _numeric_values(rng, n, style)
        mask = _with_na(v, na_count(name), rng)
        v = v.copy()
        v[mask] = np.nan
        if mask.any():
            meta.has_na.add(name)
        cols[name] = v
        meta.numeric.append(name)

    # a positive column
    if draw(st.booleans(), label="has_p"):
        v = np.round(np.exp(rng.standard_normal(n)), 3) + 0.001
        mask = _with_na(v, na_count("p"), rng)
        v[mask] = np.nan
        if mask.any():
            meta.has_na.add("p")
        cols["p"] = v
        meta.positive.append("p")

    # an integer column
    if draw(st.booleans(), label="has_k"):
        v = rng.integers(0, draw(st.integers(2, 5)), size=n)
        k_na = na_count("k")
        if k_na:
            arr = pd.array(v, dtype="Int64")
            arr[_with_na(v, k_na, rng)] = pd.NA
            cols["k"] = arr
            meta.has_na.add("k")
        else:
            cols["k"] = v.astype(np.int64)
        meta.integer.append("k")

    # a logical column
    if draw(st.booleans(), label="has_b"):
        v = rng.random(n) < 0.5
        v[0], v[-1] = True, False  # both values present
        b_na = na_count("b")
        if b_na:
            arr = pd.array(v, dtype="boolean")
            mask = _with_na(v, b_na, rng)
            mask[0] = mask[-1] = False
            arr[mask] = pd.NA
            cols["b"] = arr
            meta.has_na.add("b")
        else:
            cols["b"] = v
        meta.logical.append("b")

    # a character column
    if draw(st.booleans(), label="has_s"):
        k = draw(st.integers(2, 4))
        labels = _labels("s", k, draw)
        codes = np.concatenate([np.arange(k), rng.integers(0, k, size=n - k)])
        vals = np.array([labels[c] for c in rng.permutation(codes)], dtype=object)
        s_na = na_count("s")
        if s_na:
            vals[_with_na(vals, s_na, rng)] = None
            meta.has_na.add("s")
        cols["s"] = vals
        meta.character.append("s")

    # a factor, an ordered factor
    for name, ordered in (("f", False), ("o", True)):
        if draw(st.booleans(), label=f"has_{name}"):
            k = draw(st.integers(2, 4))
            labels = _labels("L" if not ordered else "O", k, draw)
            codes = rng.permutation(np.concatenate([np.arange(k), rng.integers(0, k, size=n - k)]))
            f_na = na_count(name)
            mask = _with_na(codes, f_na, rng) if f_na else None
            unused = draw(st.sampled_from([False, False, False, True]), label=f"unused:{name}")
            cols[name] = _categorical(labels, codes, draw, ordered, mask, unused)
            if mask is not None and mask.any():
                meta.has_na.add(name)
            (meta.ordered if ordered else meta.factor).append(name)

    # grouping: g, maybe h nested in g
    n_groups = groups if groups is not None else draw(st.integers(0, 2), label="n_groups")
    if n_groups >= 1:
        codes = _group_codes(draw, rng, n)
        g_labels = _labels("G", int(codes.max()) + 1, draw)
        cols["g"] = _categorical(g_labels, codes, draw, ordered=False)
        meta.group.append("g")
        if n_groups >= 2:
            inner = np.zeros(n, dtype=int)
            for gi in np.unique(codes):
                idx = np.flatnonzero(codes == gi)
                m = draw(st.integers(1, max(1, min(3, len(idx)))))
                inner[idx] = rng.permutation(np.arange(len(idx)) % m)
            h_labels = ["a", "b", "c"]
            cols["h"] = _categorical(h_labels[: int(inner.max()) + 1], inner, draw, ordered=False)
            meta.group.append("h")
            meta.nested.append(("g", "h"))

    # collinear and nearly collinear columns
    if draw(st.booleans(), label="has_xc"):
        a, b, c = draw(st.sampled_from([(2.0, 0.0, 0.0), (1.0, -3.0, 0.0), (0.5, 0.0, 1.0),
                                        (1.0, 1.0, -2.0)]))
        x1 = cols["x1"]
        x2 = cols.get("x2", np.zeros(n))
        cols["xc"] = a * x1 + b * x2 + c
        meta.collinear.append("xc")
        if "x1" in meta.has_na or "x2" in meta.has_na:
            meta.has_na.add("xc")
    if near_collinear and draw(st.booleans(), label="has_xn"):
        eps = 10.0 ** draw(st.integers(-10, -2), label="near_eps")
        x1 = cols["x1"]
        cols["xn"] = x1 + eps * rng.standard_normal(n) * np.nanstd(x1, ddof=0)
        meta.near["xn"] = eps
        if "x1" in meta.has_na:
            meta.has_na.add("xn")

    if exotic_names and draw(st.sampled_from([False, False, False, True]), label="exotic"):
        cols["my var"] = np.round(rng.standard_normal(n), 2)
        meta.numeric.append("my var")

    # weights
    if weights and draw(st.sampled_from([False, False, True]), label="has_w"):
        w = np.round(rng.uniform(0.2, 3.0, size=n), 2)
        if draw(st.sampled_from([False, False, False, True]), label="zero_w"):
            w[rng.integers(0, n)] = 0.0
        cols["w"] = w
        meta.weights = "w"

    # the response
    e = draw(st.integers(-8, 8), label="scale_exp") if scale else 0
    signal = 1.0 + 0.5 * np.nan_to_num(cols["x1"]) - 0.25 * np.nan_to_num(cols.get("x2", 0.0))
    for name in meta.factor + meta.ordered + meta.group:
        codes = cols[name].codes
        signal = signal + 0.3 * np.where(codes >= 0, codes, 0)
    noise = rng.standard_normal(n)
    y = (signal + noise) * 10.0**e
    y_na = na_count("y")
    mask = _with_na(y, y_na, rng)
    y[mask] = np.nan
    if mask.any():
        meta.has_na.add("y")
    cols = {"y": y, **cols}

    df = pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1))
    return df, meta


# --------------------------------------------------------------------------
# formulas


def _q(name: str) -> str:
    """A column name as it is written in a formula (backquoted if not syntactic)."""
    ok = name.replace(".", "a").replace("_", "a").isalnum() and not name[0].isdigit()
    return name if ok else f"`{name}`"


def atoms(meta: Meta, df: pd.DataFrame, *, transforms: bool = True) -> list[str]:
    """The variables and transformed variables a formula may use on this frame."""
    out: list[str] = []
    for name in meta.numeric:
        q = _q(name)
        out.append(q)
        if transforms:
            out.append(f"I({q}^2)")
            if name not in meta.has_na and df[name].nunique() >= 4:
                out.append(f"poly({q}, 2)")
            out.append(f"scale({q})")
            out.append(f"abs({q})")
    for name in meta.positive:
        out.append(name)
        if transforms:
            out += [f"log({name})", f"sqrt({name})"]
    for name in meta.integer:
        out.append(name)
        if transforms:
            out.append(f"factor({name})")
    out += meta.logical + meta.character + meta.factor + meta.ordered + meta.group
    out += meta.collinear + list(meta.near)
    return out


TEMPLATES = (
    "{A}",
    "{A} + {B}",
    "{A} + {B} + {C}",
    "{A} * {B}",
    "{A}:{B}",
    "{A} + {A}:{B}",
    "{B} + {A}:{B}",
    "{A} / {B}",
    "{B} %in% {A}",
    "({A} + {B} + {C})^2",
    "{A} * {B} * {C}",
    "{A} * {B} - {A}",
    "{A} * {B} - {A}:{B}",
    "{A} + {B} + {C} - {B}",
    "{A}:{B}:{C}",
    "{A} + {B}:{C}",
)


@st.composite
def rhs(draw: st.DrawFn, pool: list[str], *, intercept: bool | None = None,
        offset: list[str] | None = None) -> str:
    """A right-hand side over the atoms in ``pool``."""
    template = draw(st.sampled_from(TEMPLATES), label="template")
    needed = sorted({c for c in "ABC" if "{" + c + "}" in template})
    chosen = draw(st.lists(st.sampled_from(pool), min_size=len(needed), max_size=len(needed),
                           unique=True), label="atoms") if len(pool) >= len(needed) else None
    if chosen is None:
        template, chosen = "{A}", [pool[0]]
        needed = ["A"]
    text = template.format(**dict(zip(needed, chosen)))
    if intercept is None:
        intercept = draw(st.sampled_from([True, True, True, False]), label="intercept")
    if not intercept:
        text = draw(st.sampled_from([f"0 + {text}", f"{text} - 1", f"-1 + {text}"]))
    elif draw(st.sampled_from([False, False, False, True])):
        text = f"1 + {text}"
    if offset and draw(st.sampled_from([False, False, False, True]), label="offset"):
        text = f"{text} + offset({draw(st.sampled_from(offset))})"
    return text


@st.composite
def formulas(draw: st.DrawFn, meta: Meta, df: pd.DataFrame, *, transforms: bool = True,
             intercept: bool | None = None, offset: bool = True, response: bool = True) -> str:
    """A formula over the frame's columns, R's grammar (API.md)."""
    pool = atoms(meta, df, transforms=transforms)
    offsets = [_q(c) for c in meta.numeric + meta.positive] if offset else None
    right = draw(rhs(pool, intercept=intercept, offset=offsets))
    if not response:
        return f"~ {right}"
    lhs = meta.response
    if transforms and meta.positive and draw(st.sampled_from([False] * 7 + [True]), label="log_y"):
        lhs = f"log({meta.positive[0]})"
    return f"{lhs} ~ {right}"


@st.composite
def contrasts_for(draw: st.DrawFn, meta: Meta, formula: str) -> dict[str, str] | None:
    """Sometimes a ``contrasts=`` dict for factors the formula uses."""
    names = [f for f in meta.factor + meta.ordered + meta.character + meta.group
             if _uses(formula, f)]
    if not names or not draw(st.sampled_from([False, False, True]), label="has_contrasts"):
        return None
    picked = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    return {f: draw(st.sampled_from(CONTRASTS)) for f in picked}


def _uses(formula: str, name: str) -> bool:
    import re

    return re.search(rf"(?<![\w.`]){re.escape(name)}(?![\w.`])", formula) is not None


@st.composite
def lm_problems(draw: st.DrawFn, *, na: bool = True, near_collinear: bool = True,
                transforms: bool = True, weights: bool = True, offset: bool = True,
                contrasts: bool = True, intercept: bool | None = None,
                scale: bool = True) -> Problem:
    """A data frame, a formula and lm options (contrasts, weights)."""
    df, meta = draw(frames(na=na, near_collinear=near_collinear, weights=weights, scale=scale))
    formula = draw(formulas(meta, df, transforms=transforms, intercept=intercept, offset=offset))
    con = draw(contrasts_for(meta, formula)) if contrasts else None
    w = meta.weights if (weights and meta.weights) else None
    return Problem(df, formula, meta, contrasts=con, weights=w)


@st.composite
def matrix_problems(draw: st.DrawFn) -> Problem:
    """A one-sided or two-sided formula for ``model_matrix``."""
    df, meta = draw(frames(weights=False))
    formula = draw(formulas(meta, df, response=draw(st.booleans())))
    con = draw(contrasts_for(meta, formula))
    return Problem(df, formula, meta, contrasts=con)


# --------------------------------------------------------------------------
# lme problems


@st.composite
def lme_problems(draw: st.DrawFn, *, na: bool = False) -> Problem:
    """A random-intercept, random-slope or nested random-intercept model.

    Fixed effects from numeric and factor columns (no grouping column), at
    least 3 groups, at least 2 observations in most groups.
    """
    nested = draw(st.sampled_from([False, False, False, True]), label="nested")
    df, meta = draw(frames(n_min=12, na=na, near_collinear=False, groups=2 if nested else 1,
                           weights=False, exotic_names=False))
    assume_groups = df["g"].nunique() >= 3
    if not assume_groups:
        # merge into a valid design: re-label rows round-robin into 3 groups
        codes = np.arange(len(df)) % 3
        df["g"] = pd.Categorical([f"G{c + 1}" for c in codes])
    # fixed effects: keep them simple (main effects, maybe one interaction)
    pool = [_q(c) for c in meta.numeric] + meta.factor + meta.ordered + meta.logical
    pool = [a for a in pool if a not in meta.collinear]
    template = draw(st.sampled_from(["1", "{A}", "{A} + {B}", "{A} * {B}"]))
    needed = [c for c in "AB" if "{" + c + "}" in template]
    if len(pool) < len(needed):
        template, needed = "1", []
    chosen = draw(st.lists(st.sampled_from(pool), min_size=len(needed), max_size=len(needed),
                           unique=True)) if needed else []
    right = template.format(**dict(zip(needed, chosen)))
    formula = f"y ~ {right}"
    if nested:
        random = "~ 1 | g/h"
    else:
        random = draw(st.sampled_from(["~ 1 | g", "~ 1 | g", "~ x1 | g"]))
    method = draw(st.sampled_from(["REML", "ML"]))
    if random == "~ x1 | g" and draw(st.booleans(), label="wide x1"):
        # a slope covariate spanning 1e-3..1e3 within groups: the per-group
        # cross-products cancel, and lme fits on the QR elimination (P7)
        wide = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        df["x1"] = wide.choice([-1.0, 1.0], len(df)) * 10 ** wide.uniform(-3, 3, len(df))
        gcodes = pd.Categorical(df["g"]).codes
        df["y"] = df["y"] + wide.standard_normal(int(gcodes.max()) + 1)[gcodes] * 0.5 * df["x1"]
    # between-group spread of the response, sometimes none (a boundary fit)
    gsd = draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]), label="group_sd")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    codes = pd.Categorical(df["g"]).codes
    effects = rng.standard_normal(codes.max() + 1) * gsd
    scale = float(np.nanstd(df["y"])) or 1.0
    df["y"] = df["y"] + scale * effects[codes]
    return Problem(df, formula, meta, random=random, method=method)


@st.composite
def near_singular_lme_problems(draw: st.DrawFn) -> Problem:
    """An lme whose fixed-effects design is nearly (or numerically) singular.

    Two covariates with large means (1 to 1e5) and small spreads (1e-2 to 10),
    in a product or a square with the intercept: the relative residual of a
    column on the ones before it runs from well above nlme's QR tolerance
    (``sqrt(.Machine$double.eps)``) to well below, so nlme fits some and
    stops with "Singularity in backsolve" on others.
    """
    n = draw(st.integers(12, 60), label="n")
    n_groups = draw(st.integers(3, 7), label="groups")
    log_means = draw(st.tuples(st.floats(0, 5), st.floats(0, 5)), label="log10 means")
    log_sds = draw(st.tuples(st.floats(-2, 1), st.floats(-2, 1)), label="log10 spreads")
    formula = draw(st.sampled_from(["y ~ x2 * x1", "y ~ x1 + I(x1^2)",
                                    "y ~ x1 * x2 + I(x1^2)"]), label="formula")
    random = draw(st.sampled_from(["~ 1 | g", "~ x1 | g", "~ 1 | g/h"]), label="random")
    method = draw(st.sampled_from(["REML", "ML"]), label="method")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    x1 = 10 ** log_means[0] + 10 ** log_sds[0] * rng.standard_normal(n)
    x2 = 10 ** log_means[1] + 10 ** log_sds[1] * rng.standard_normal(n)
    g = np.r_[np.arange(n_groups), rng.integers(0, n_groups, n - n_groups)]
    h = rng.integers(0, 2, n)
    y = rng.standard_normal(n_groups)[g] + rng.standard_normal(n)
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2,
                       "g": pd.Categorical([f"G{k + 1}" for k in g],
                                           categories=[f"G{k + 1}" for k in range(n_groups)]),
                       "h": pd.Categorical([f"H{k + 1}" for k in h])})
    df.index = pd.RangeIndex(1, n + 1)
    meta = Meta(numeric=["x1", "x2"], group=["g"], nested=[("g", "h")], response="y")
    return Problem(df, formula, meta, random=random, method=method, tags=("near_singular",))


# --------------------------------------------------------------------------
# inputs R may refuse


HOSTILE = (
    "unknown_variable", "syntax_error", "one_level_factor", "all_na_response", "poly_na",
    "poly_degree", "inf_cell", "log_negative", "negative_weight", "factor_response",
    "character_response", "dot", "empty_model", "intercept_only", "offset_character",
    "logical_expression", "numeric_literal", "repeated_term", "absent_contrast",
    "bogus_contrast", "no_spaces", "single_row",
)


@st.composite
def hostile_lm_problems(draw: st.DrawFn) -> Problem:
    """An lm problem with one mutation that R may (or may not) refuse."""
    p = draw(lm_problems(weights=False, contrasts=False))
    df = p.data.copy()
    meta = p.meta
    f = p.formula
    lhs, rhs_ = f.split(" ~ ", 1)
    kind = draw(st.sampled_from(HOSTILE), label="mutation")
    con = None
    weights = None
    n = len(df)
    if kind == "unknown_variable":
        f = f"{f} + zz"
    elif kind == "syntax_error":
        f = draw(st.sampled_from([f"{f} +", f"{lhs} ~ ({rhs_}", f"{lhs} ~ {rhs_} + * x1",
                                  f"{lhs} ~ {rhs_})", f"{lhs} ~ ~ {rhs_}", f"{lhs} ~ x1 +* x1",
                                  f"{lhs} ~ x1 %in%", f"{lhs} ~ x1 $ x2"]))
    elif kind == "one_level_factor":
        df["one"] = pd.Categorical(["u"] * n)
        f = f"{f} + one"
    elif kind == "all_na_response":
        df["y"] = np.nan
        f = f"y ~ {rhs_}"
    elif kind == "poly_na":
        df.loc[df.index[0], "x1"] = np.nan
        f = f"{lhs} ~ poly(x1, 2)"
    elif kind == "poly_degree":
        deg = draw(st.integers(2, 12))
        f = f"{lhs} ~ poly(x1, {deg})"
    elif kind == "inf_cell":
        df.loc[df.index[draw(st.integers(0, n - 1))], "x1"] = draw(st.sampled_from([np.inf, -np.inf]))
        f = f"{lhs} ~ x1"
    elif kind == "log_negative":
        f = f"{lhs} ~ log(x1)"
    elif kind == "negative_weight":
        w = np.ones(n)
        w[draw(st.integers(0, n - 1))] = -1.0
        df["w"] = w
        weights = "w"
    elif kind == "factor_response":
        df["ff"] = pd.Categorical(np.where(np.arange(n) % 2 == 0, "a", "b"))
        f = f"ff ~ {rhs_}"
    elif kind == "character_response":
        df["ss"] = np.where(np.arange(n) % 2 == 0, "a", "b").astype(object)
        f = f"ss ~ {rhs_}"
    elif kind == "dot":
        f = draw(st.sampled_from(["y ~ .", "y ~ . - x1", "y ~ .^2"]))
    elif kind == "empty_model":
        f = draw(st.sampled_from(["y ~ 0", "y ~ -1", "y ~ 1 - 1"]))
    elif kind == "intercept_only":
        f = "y ~ 1"
    elif kind == "offset_character":
        df["ss"] = np.where(np.arange(n) % 2 == 0, "a", "b").astype(object)
        f = f"{f} + offset(ss)"
    elif kind == "logical_expression":
        f = f"{lhs} ~ I(x1 > 0) + {rhs_}"
    elif kind == "numeric_literal":
        f = draw(st.sampled_from([f"{lhs} ~ {rhs_} + 2", f"{lhs} ~ 2", f"{lhs} ~ x1 + 0 + 1"]))
    elif kind == "repeated_term":
        f = f"{lhs} ~ {rhs_} + {rhs_.split(' ')[0]}"
    elif kind == "absent_contrast":
        con = {"zz": "contr.sum"}
    elif kind == "bogus_contrast":
        cats = meta.factor + meta.ordered + meta.character
        if cats:
            con = {cats[0]: "contr.bogus"}
            f = f"{f} + {cats[0]}"
        else:
            con = {"zz": "contr.bogus"}
    elif kind == "no_spaces":
        f = f.replace(" ", "")
    elif kind == "single_row":
        df = df.iloc[:1].copy()
    return Problem(df, f, meta, contrasts=con, weights=weights, tags=(kind,))


# --------------------------------------------------------------------------
# gls and lme with variance functions and correlation structures

#: correlation structures of the drawn problems: name -> (class, form)
CORRELATIONS: dict[str, tuple[str, str]] = {
    "AR1": ("corAR1", "~ 1 | g"),
    "AR1_t": ("corAR1", "~ t | g"),
    "CompSymm": ("corCompSymm", "~ 1 | g"),
    "Symm": ("corSymm", "~ t | g"),
    "CAR1": ("corCAR1", "~ time | g"),
    "Exp": ("corExp", "~ time | g"),
}
#: variance functions: name -> (class, form)
VARIANCES: dict[str, tuple[str, str]] = {
    "Ident": ("varIdent", "~ 1 | f"),
    "Power": ("varPower", "~ x"),
    "Exp": ("varExp", "~ x"),
}
#: positions of corSymm: at most this many (its correlations: k (k - 1) / 2)
SYMM_POSITIONS = 4
#: corSymm's frames have at least this many groups with every position
SYMM_FULL_GROUPS = SYMM_POSITIONS + 3

#: mutations of a structured problem that nlme may refuse (or not): a
#: duplicated position / time within a group, a zero variance covariate,
#: fractional positions, a correlation grouping not nested in lme's groups
STRUCT_HOSTILE = ("dup_position", "zero_x", "frac_t", "other_groups")


def _spec(cls: str, form: str) -> dict[str, Any]:
    return {"class": cls, "args": {"form": form}}


@st.composite
def struct_frames(draw: st.DrawFn, *, max_size: int = 8,
                  symm: bool = False) -> tuple[pd.DataFrame, Meta]:
    """Small unbalanced grouped data for gls and lme with structures.

    5 to 15 groups ``g`` of 2 to ``max_size`` rows; ``x`` a continuous
    covariate (positive, or of either sign but never 0); ``f`` a 2-level factor
    (varying within groups, or constant within each group); ``t`` integer
    positions within a group, consecutive or with gaps (with ``symm``: subsets
    of ``1..max_size`` whose union is all of it, as corSymm needs); ``time``
    continuous times, distinct within a group; rows in group order or
    shuffled. The response has a group effect (sometimes none), within-group
    correlation (AR(1) in ``t``, exponential in ``time`` or exchangeable) and
    heteroscedasticity by ``f`` or ``x``, at a scale of 10^-3 to 10^3.
    """
    n_groups = draw(st.integers(SYMM_FULL_GROUPS + 1 if symm else 5, 15), label="groups")
    sizes = draw(st.lists(st.integers(2, max_size), min_size=n_groups, max_size=n_groups),
                 label="sizes")
    if symm:
        # groups with every position (their union is 1..max_size): at least
        # max_size + 3 (p <= 3) so that the residuals of the complete groups span
        # R^max_size at every beta -- with fewer, corSymm's likelihood can rise
        # without bound toward a singular matrix (docs/findings/2026-12-04-struct-properties.md)
        sizes[:SYMM_FULL_GROUPS] = [max_size] * SYMM_FULL_GROUPS
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    gaps = draw(st.booleans(), label="gaps")
    codes = np.repeat(np.arange(n_groups), sizes)
    n = int(codes.size)
    t_parts, time_parts = [], []
    for m in sizes:
        if symm:
            pos = np.sort(rng.choice(np.arange(1, max_size + 1), size=m, replace=False))
        elif gaps:
            pos = np.cumsum(rng.integers(1, 4, size=m))
        else:
            pos = np.arange(1, m + 1)
        t_parts.append(pos.astype(float))
        time_parts.append(np.round(np.cumsum(rng.uniform(0.1, 2.0, size=m)), 3))
    t = np.concatenate(t_parts)
    time = np.concatenate(time_parts)
    x_style = draw(st.sampled_from(["positive", "positive", "signed"]), label="x style")
    if x_style == "positive":
        x = np.round(rng.uniform(0.2, 4.0, size=n), 3)
    else:
        x = rng.standard_normal(n)
        x = np.where(np.abs(x) < 0.05, np.sign(x) * 0.05 + x, x)  # never 0
    between = draw(st.sampled_from([False, False, True]), label="f between groups")
    fcodes = rng.integers(0, 2, size=n_groups)[codes] if between else rng.integers(0, 2, size=n)
    fcodes[0], fcodes[-1] = 0, 1  # both levels present
    f_levels = draw(st.sampled_from([["a", "b"], ["b", "a"], ["lo", "hi"]]), label="f levels")
    # the response
    gsd = draw(st.sampled_from([0.0, 0.5, 1.0]), label="group_sd")
    kind = draw(st.sampled_from(["ar1", "exp", "cs", "none"]), label="noise")
    phi = draw(st.sampled_from([-0.4, 0.3, 0.7, 0.9]), label="noise phi")
    noise = np.empty(n)
    start = 0
    for m in sizes:
        sl = slice(start, start + m)
        if kind == "ar1":
            C = phi ** np.abs(np.subtract.outer(t[sl], t[sl]))
        elif kind == "exp":
            C = np.exp(-np.abs(np.subtract.outer(time[sl], time[sl])) / abs(phi))
        elif kind == "cs":
            C = np.full((m, m), abs(phi) / 2) + (1 - abs(phi) / 2) * np.eye(m)
        else:
            C = np.eye(m)
        noise[sl] = np.linalg.cholesky(C + 1e-12 * np.eye(m)) @ rng.standard_normal(m)
        start += m
    het = draw(st.sampled_from(["none", "f", "power", "exp"]), label="heteroscedasticity")
    if het == "f":
        sd = np.where(fcodes == 1, draw(st.sampled_from([0.5, 2.0, 3.0])), 1.0)
    elif het == "power":
        sd = np.abs(x) ** draw(st.sampled_from([0.5, 1.0]))
    elif het == "exp":
        sd = np.exp(draw(st.sampled_from([-0.4, 0.3])) * x)
    else:
        sd = np.ones(n)
    effects = rng.standard_normal(n_groups) * gsd
    e = draw(st.sampled_from([0, 0, 0, -3, 3]), label="scale_exp")
    y = (1.0 + 0.5 * x + 0.4 * fcodes + effects[codes] + sd * noise) * 10.0**e
    g_labels = [f"G{k + 1}" for k in range(n_groups)]
    g_cats = draw(st.permutations(g_labels), label="g levels") if draw(st.booleans()) \
        else g_labels
    df = pd.DataFrame({
        "y": y, "x": x,
        "f": pd.Categorical([f_levels[c] for c in fcodes], categories=f_levels),
        "g": pd.Categorical([g_labels[c] for c in codes], categories=g_cats),
        "t": t, "time": time,
    })
    if draw(st.sampled_from([False, False, True]), label="shuffled"):
        df = df.iloc[rng.permutation(n)]
    df.index = pd.RangeIndex(1, n + 1)
    meta = Meta(numeric=["x", "t", "time"], factor=["f"], group=["g"], response="y")
    return df, meta


def _struct_mutation(draw: st.DrawFn, df: pd.DataFrame, cor: str | None, var: str | None,
                     lme: bool) -> tuple[pd.DataFrame, str | None, dict[str, Any] | None]:
    """Maybe one mutation of :data:`STRUCT_HOSTILE` that applies to the
    structures: the (new) frame, its tag, and a replaced correlation spec."""
    options = []
    if cor in ("AR1_t", "Symm", "CAR1", "Exp"):
        options.append("dup_position")
    if cor in ("AR1_t", "Symm"):
        options.append("frac_t")
    if var == "Power":
        options.append("zero_x")
    if lme and cor is not None:
        options.append("other_groups")
    if not options or not draw(st.sampled_from([False] * 7 + [True]), label="mutate"):
        return df, None, None
    kind = draw(st.sampled_from(options), label="mutation")
    df = df.copy()
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="mutation seed"))
    spec = None
    if kind == "dup_position":
        col = "time" if cor in ("CAR1", "Exp") else "t"
        g = df["g"].to_numpy(dtype=object)
        first = rng.integers(0, len(df))
        same = np.flatnonzero(g == g[first])
        other = same[same != first][0]
        df.iloc[other, df.columns.get_loc(col)] = df.iloc[first][col]
    elif kind == "zero_x":
        df.iloc[rng.integers(0, len(df)), df.columns.get_loc("x")] = 0.0
    elif kind == "frac_t":
        df["t"] = df["t"] + 0.5
    elif kind == "other_groups":
        cls, form = CORRELATIONS[cor]  # type: ignore[index]
        spec = _spec(cls, form.replace("| g", "| f"))
    return df, kind, spec


@st.composite
def gls_struct_problems(draw: st.DrawFn, *, hostile: bool = True) -> Problem:
    """A gls with a correlation structure and/or a variance function
    (:data:`CORRELATIONS`, :data:`VARIANCES`), REML or ML, on
    :func:`struct_frames`; with ``hostile``, sometimes one mutation of
    :data:`STRUCT_HOSTILE`."""
    cor = draw(st.sampled_from([None, *CORRELATIONS]), label="correlation")
    var = draw(st.sampled_from([None, *VARIANCES] if cor else list(VARIANCES)), label="variance")
    symm = cor == "Symm"
    df, meta = draw(struct_frames(max_size=SYMM_POSITIONS if symm else 8, symm=symm))
    formula = draw(st.sampled_from(["y ~ 1", "y ~ x", "y ~ x + f", "y ~ f"]), label="formula")
    method = draw(st.sampled_from(["REML", "ML"]), label="method")
    tags: tuple[str, ...] = ()
    cspec = _spec(*CORRELATIONS[cor]) if cor else None
    if hostile:
        df, kind, _ = _struct_mutation(draw, df, cor, var, lme=False)
        tags = (kind,) if kind else ()
    return Problem(df, formula, meta, method=method, tags=tags, correlation=cspec,
                   variance=_spec(*VARIANCES[var]) if var else None)


@st.composite
def lme_struct_problems(draw: st.DrawFn, *, hostile: bool = True) -> Problem:
    """A random-intercept lme (``~ 1 | g``) with varIdent or varPower(~ x)
    and/or corAR1 / corCompSymm / corExp(~ time), REML or ML, on
    :func:`struct_frames`; with ``hostile``, sometimes one mutation of
    :data:`STRUCT_HOSTILE`."""
    cor = draw(st.sampled_from([None, "AR1", "AR1_t", "CompSymm", "Exp"]), label="correlation")
    var = draw(st.sampled_from([None, "Ident", "Power"] if cor else ["Ident", "Power"]),
               label="variance")
    df, meta = draw(struct_frames())
    formula = draw(st.sampled_from(["y ~ 1", "y ~ x", "y ~ x + f"]), label="formula")
    method = draw(st.sampled_from(["REML", "ML"]), label="method")
    cspec = _spec(*CORRELATIONS[cor]) if cor else None
    tags: tuple[str, ...] = ()
    if hostile:
        df, kind, replaced = _struct_mutation(draw, df, cor, var, lme=True)
        tags = (kind,) if kind else ()
        cspec = replaced or cspec
    return Problem(df, formula, meta, random="~ 1 | g", method=method, tags=tags,
                   correlation=cspec, variance=_spec(*VARIANCES[var]) if var else None)
