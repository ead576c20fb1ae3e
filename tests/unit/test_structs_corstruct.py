"""hlm_py.structs.corstruct without R: parametrisations, corMatrix
properties, whitening against a dense Cholesky solve, log-determinants,
fixed parameters, nlme's errors, groups and the protocol.
(Against R itself: tests/live_r/test_structs_corstruct_live.py.)"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py import datasets
from hlm_py.errors import ConvergenceError, HlmError, MissingValueError
from hlm_py.printing.corstruct_reports import render_corstruct
from hlm_py.structs import corstruct as C
from hlm_py.structs.base import BoundCorStruct, ModelComponent


@pytest.fixture(scope="module")
def orth() -> pd.DataFrame:
    return datasets.load("Orthodont")


def _panel(seed: int = 0, n_groups: int = 12, dropout: bool = True, shuffle: bool = True) -> pd.DataFrame:
    """Unbalanced panel: visits 1..6 with dropout and a skipped visit, real
    times, 2-D coordinates; rows shuffled (the structures use group codes)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_groups):
        k = int(rng.integers(1, 7)) if dropout else 6
        visits = list(range(1, k + 1))
        if k >= 4 and g % 3 == 0:
            visits.pop(1)  # a gap
        t0 = rng.uniform(0, 1)
        for v in visits:
            rows.append({"g": f"s{g:02d}", "visit": float(v), "time": t0 + v + rng.uniform(0, 0.5),
                         "x": rng.uniform(0, 10), "y": rng.uniform(0, 10), "resp": rng.normal()})
    df = pd.DataFrame(rows)
    if shuffle:
        df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return df


SPECS = {
    "compsymm": lambda: C.corCompSymm(0.3, form="~ 1 | g"),
    "symm": lambda: C.corSymm(form="~ visit | g"),
    "ar1": lambda: C.corAR1(0.6, form="~ 1 | g"),
    "ar1-gaps": lambda: C.corAR1(0.6, form="~ visit | g"),
    "car1": lambda: C.corCAR1(0.4, form="~ time | g"),
    "arma21": lambda: C.corARMA([0.3, 0.2, 0.4], form="~ visit | g", p=2, q=1),
    "arma02": lambda: C.corARMA([0.3, -0.2], form="~ 1 | g", q=2),
    "exp": lambda: C.corExp(2.0, form="~ x + y | g"),
    "exp-nug": lambda: C.corExp([2.0, 0.3], form="~ x + y | g", nugget=True),
    "gaus": lambda: C.corGaus(form="~ x + y | g", metric="manhattan"),
    "lin": lambda: C.corLin(form="~ time | g", nugget=True),
    "ratio": lambda: C.corRatio(1.0, form="~ x + y | g", metric="maximum"),
    "spher": lambda: C.corSpher(4.0, form="~ time | g"),
}


def _random_thetas(b, k: int = 3, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [b.start] + [b.start + rng.normal(scale=0.5, size=b.start.size) for _ in range(k)]


@pytest.mark.parametrize("key", sorted(SPECS))
def test_protocol(key):
    spec = SPECS[key]()
    for member in ("r_class", "formula", "groups_formula", "variables", "bind", "deparse"):
        assert hasattr(spec, member)
    b = spec.bind(_panel())
    assert isinstance(b, BoundCorStruct)
    assert isinstance(b, ModelComponent)
    assert b.n_params == b.start.size == len(b.param_names())
    assert len(b.constrained_names()) == b.coef(b.start, False).size
    assert b.split(b.start)[0].tolist() == b.start.tolist()
    assert b.group_codes.shape == (len(_panel()),)
    assert isinstance(b.text(b.start), str)
    assert np.array_equal(b.from_natural(b.natural(b.start)), b.start) or key == "symm"


@pytest.mark.parametrize("key", sorted(SPECS))
def test_cormatrix_properties(key):
    b = SPECS[key]().bind(_panel())
    for theta in _random_thetas(b):
        mats = b.matrices(theta)
        assert len(mats) == b.n_groups
        sizes = np.bincount(b.group_codes)
        for m, n in zip(mats, sizes):
            assert m.shape == (n, n)
            assert np.array_equal(np.diag(m), np.ones(n))
            assert np.array_equal(m, m.T)
            if key not in ("gaus", "ratio"):  # maximum/manhattan metrics need not be PD
                assert np.linalg.eigvalsh(m).min() > 0


@pytest.mark.parametrize("key", sorted(SPECS))
def test_whiten_and_loglik_against_dense(key):
    df = _panel()
    b = SPECS[key]().bind(df)
    rng = np.random.default_rng(3)
    M = rng.normal(size=(len(df), 4))
    for theta in _random_thetas(b):
        mats = b.matrices(theta)
        W = b.whiten(theta, M)
        assert W.shape == M.shape
        ld = 0.0
        for g, Cg in enumerate(mats):
            if key in ("gaus", "ratio") and np.linalg.eigvalsh(Cg).min() <= 1e-12:
                continue
            rows = np.flatnonzero(b.group_codes == g)
            L = np.linalg.cholesky(Cg)
            Z = np.linalg.solve(L, M[rows])
            if key == "compsymm":  # nlme's Helmert factor: L^-1 up to a rotation
                assert np.allclose(W[rows].T @ W[rows], Z.T @ Z, rtol=1e-10, atol=1e-10)
            else:
                assert np.allclose(W[rows], Z, rtol=1e-10, atol=1e-10)
            ld += 0.5 * np.linalg.slogdet(Cg)[1]
        if key not in ("gaus", "ratio"):
            assert b.loglik(theta) == pytest.approx(-ld, rel=1e-11, abs=1e-11)
        # a vector whitens as the matrix's column, to the bit
        assert np.array_equal(b.whiten(theta, M[:, 1]), W[:, 1])


@pytest.mark.parametrize("key", sorted(SPECS))
def test_factors_are_inverse_roots(key):
    b = SPECS[key]().bind(_panel(5))
    theta = _random_thetas(b, 1, seed=2)[-1]
    for Cg, Fg in zip(b.matrices(theta), b.factors(theta)):
        if key in ("gaus", "ratio") and np.linalg.eigvalsh(Cg).min() <= 1e-12:
            continue
        assert np.allclose(Fg @ Cg @ Fg.T, np.eye(len(Cg)), atol=1e-9)
        if key != "compsymm":
            assert np.array_equal(Fg, np.tril(Fg))


def test_row_order_does_not_matter():
    df = _panel(shuffle=False)
    # interleave the groups, keeping the order of the rows within each group
    pos = df.groupby("g").cumcount().to_numpy()
    perm = np.lexsort((df["g"].to_numpy(), pos))
    assert not np.array_equal(perm, np.arange(len(df)))
    for key in sorted(SPECS):
        b1 = SPECS[key]().bind(df)
        b2 = SPECS[key]().bind(df.iloc[perm].reset_index(drop=True))
        M = np.random.default_rng(1).normal(size=(len(df), 2))
        # within groups the data order is kept, so whitening commutes with the permutation
        W1 = b1.whiten(b1.start, M)
        W2 = b2.whiten(b2.start, M[perm])
        assert np.array_equal(W1[perm], W2), key
        assert b1.loglik(b1.start) == pytest.approx(b2.loglik(b2.start), rel=1e-14)


# ---------------------------------------------------------------- parametrisations


def test_corsymm_value_round_trip(orth):
    vals = [0.2, 0.1, -0.1, 0.0, 0.2, 0.0]
    b = C.corSymm(vals, form="~ 1 | Subject").bind(orth)
    assert np.allclose(b.coef(b.start, False), vals, atol=1e-15)
    # nlme's values of coef(cs1Symm) (ch05.R)
    assert np.allclose(b.start, [-0.25779516, -0.12771042, 0.02612414, 0.12771042,
                                 -0.29188018, -0.01925764], atol=5e-9)
    eta = b.natural(b.start)
    assert np.allclose(eta, [math.log((1 + v) / (1 - v)) for v in b.coef(b.start, False)])
    assert np.allclose(b.from_natural(eta), b.start, atol=1e-12)
    assert b.constrained_names() == ["cor(1,2)", "cor(1,3)", "cor(1,4)", "cor(2,3)",
                                     "cor(2,4)", "cor(3,4)"]


def test_corsymm_spherical_parametrisation_is_a_correlation():
    rng = np.random.default_rng(4)
    for m in (2, 3, 5, 8):
        theta = rng.normal(scale=2, size=m * (m - 1) // 2)
        r = C._symm_corr(theta, m)
        R = np.eye(m)
        R[np.triu_indices(m, 1)] = r
        R = R + R.T - np.eye(m)
        assert np.linalg.eigvalsh(R).min() > 0
        back = C._symm_unconstrained(r[_upper_to_lower(m)], m)
        assert np.allclose(back, theta, atol=1e-8)


def _upper_to_lower(m: int) -> np.ndarray:
    """r is in (i<j, row by row) = lower.tri column order already."""
    return np.arange(m * (m - 1) // 2)


def test_arma_transform_round_trip():
    rng = np.random.default_rng(7)
    for p, q in [(1, 0), (0, 1), (2, 0), (1, 2), (3, 2)]:
        for _ in range(5):
            theta = rng.normal(scale=1.5, size=p + q)
            const = C.arma_constrained(theta, p, q)
            assert np.allclose(C.arma_unconstrained(const, p, q), theta, atol=1e-9)


def test_arma_correlations_known_values():
    # AR(1): phi^k; MA(1): theta/(1+theta^2) at lag 1, 0 beyond
    crr = C.arma_correlations(np.array([0.6]), 1, 0, 5)
    assert np.allclose(crr, 0.6 ** np.arange(6))
    crr = C.arma_correlations(np.array([0.4]), 0, 1, 3)
    assert np.allclose(crr, [1, 0.4 / 1.16, 0, 0])
    # ARMA(1,1) of ch05's cs2ARMA: lag 1 = 0.88
    crr = C.arma_correlations(np.array([0.8, 0.4]), 1, 1, 3)
    assert np.allclose(crr, [1, 0.88, 0.704, 0.5632])


def test_transforms_of_the_simple_classes(orth):
    b = C.corAR1(0.8, form="~ 1 | Subject").bind(orth)
    assert b.start[0] == pytest.approx(math.log(1.8 / 0.2))
    assert b.coef(b.start, False)[0] == pytest.approx(0.8)
    b = C.corCAR1(form="~ age | Subject").bind(orth)
    assert b.start[0] == pytest.approx(math.log(0.2 / 0.8))
    b = C.corCompSymm(0.3, form="~ 1 | Subject").bind(orth)
    assert b.inf == pytest.approx(-1 / 3)
    assert b.start[0] == pytest.approx(math.log((0.3 + 1 / 3) / 0.7))
    assert b.coef(b.start, False)[0] == pytest.approx(0.3)
    b = C.corExp([1, 0.2], form="~ age | Subject", nugget=True).bind(orth)
    assert np.allclose(b.start, [0.0, math.log(0.2 / 0.8)])
    assert b.param_names() == ["corStruct.range", "corStruct.nugget"]
    b = C.corSpher(form="~ age | Subject").bind(orth)
    assert b.min_d == 2.0
    assert b.start[0] == pytest.approx(math.log(2.2 - 2.0))
    assert b.coef(b.start, False)[0] == pytest.approx(2.2)
    b = C.corExp(form="~ age | Subject").bind(orth)
    assert b.coef(b.start, False)[0] == pytest.approx(1.8)


def test_class_switches(orth):
    b = C.corAR1(0.5, form="~ age | Subject").bind(orth)
    assert (b.r_class, b.struct_name, b.constrained_names()) == ("corARMA", "ARMA(1,0)", ["Phi1"])
    assert np.allclose(b.matrices(b.start)[0][0], [1, 0.25, 0.0625, 0.015625])
    b = C.corARMA(0.5, p=1, form="~ 1 | Subject").bind(orth)
    assert (b.r_class, b.struct_name, b.constrained_names()) == ("corAR1", "AR(1)", ["Phi"])
    # positions are consecutive whatever their values
    d = orth.assign(t=orth["age"] / 2 + 0.3)
    assert C.corAR1(0.5, form="~ t | Subject").bind(d).r_class == "corAR1"


def test_fixed(orth):
    b = C.corAR1(0.5, form="~ 1 | Subject", fixed=True).bind(orth)
    assert b.n_params == 0 and b.start.size == 0 and b.param_names() == []
    assert b.coef(np.zeros(0)).size == 0
    assert b.coef(np.zeros(0), False)[0] == pytest.approx(0.5)
    assert np.allclose(b.matrices(np.zeros(0))[0][0], [1, 0.5, 0.25, 0.125])
    ref = C.corAR1(0.5, form="~ 1 | Subject").bind(orth)
    M = np.arange(len(orth), dtype=float)
    assert np.array_equal(b.whiten(np.zeros(0), M), ref.whiten(ref.start, M))
    assert b.loglik(np.zeros(0)) == ref.loglik(ref.start)
    bs = C.corSymm([0.5], form="~ 1 | Sex", fixed=True).bind(orth.iloc[:4].assign(Sex=["a", "a", "b", "b"]))
    assert bs.n_params == 0 and bs.natural(np.zeros(0)).size == 0


# ---------------------------------------------------------------- groups and formulas


def test_groups_and_formulas(orth):
    s = C.corAR1(form="~ 1 | Sex/Subject")
    assert s.formula() == "~1 | Sex/Subject"
    assert s.groups_formula() == "~ Sex/Subject"
    assert s.variables(list(orth.columns)) == ["Sex", "Subject"]
    b = s.bind(orth)
    assert b.group_labels[:3] == ["Male/M01", "Male/M02", "Male/M03"]  # first appearance
    assert b.n_groups == 27
    b = C.corAR1(form="~ 1 | Subject").bind(orth)
    assert b.group_labels[:3] == ["M16", "M05", "M02"]  # the factor's levels (gls's order)
    assert C.corExp(form="~ x + y").groups_formula() is None
    assert C.corExp(form="~ latitude + longitude", nugget=True).deparse() == \
        "corExp(form = ~latitude + longitude, nugget = TRUE)"
    assert C.corAR1().deparse() == "corAR1()"
    assert C.corARMA(form="~ 1 | Subject", q=2).deparse() == "corARMA(form = ~1 | Subject, q = 2)"
    w = C.corAR1(0.3).with_groups("~ Subject")
    assert (w.formula(), w.groups_formula()) == ("~1 | Subject", "~ Subject")
    assert C.corCAR1(form="~ Time").with_groups("Rat").formula() == "~Time | Rat"
    assert C.corSpher(form="~ x + pi").variables(["x"]) == ["x"]


def test_given_groups(orth):
    codes = np.repeat(np.arange(27), 4)[::-1].copy()
    b = C.corAR1(0.3, form="~ 1 | Subject").bind(orth, groups=codes)
    assert b.n_groups == 27 and b.group_labels[0] == "1"
    b2 = C.corAR1(0.3).bind(orth, groups=codes)  # lme: no groups of its own
    M = np.random.default_rng(0).normal(size=len(orth))
    assert np.array_equal(b.whiten(b.start, M), b2.whiten(b2.start, M))
    cat = pd.Categorical(orth["Subject"].astype(str))
    b3 = C.corCompSymm(0.1).bind(orth, groups=cat)
    assert b3.group_labels[:2] == ["F01", "F02"]
    with pytest.raises(HlmError):
        C.corAR1().bind(orth, groups=np.zeros(3, dtype=int))
    with pytest.raises(MissingValueError):
        C.corAR1().bind(orth, groups=np.full(len(orth), -1))


def test_no_groups_is_one_group():
    d = pd.DataFrame({"x": [0.0, 1.0, 3.0], "y": [1.0, 0.0, 2.0]})
    b = C.corExp(1.0, form="~ x + y").bind(d)
    assert b.n_groups == 1 and b.matrices(b.start)[0].shape == (3, 3)
    b = C.corAR1(0.2).bind(d)
    assert b.n_groups == 1 and b.r_class == "corAR1"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("make, message", [
    (lambda: C.corAR1(1.0), "parameter in AR(1) structure must be between -1 and 1"),
    (lambda: C.corCAR1(0.0), "parameter in CAR(1) structure must be between 0 and 1"),
    (lambda: C.corCompSymm(-1.0), "parameter in \"corCompSymm\" structure must be < 1 in absolute value"),
    (lambda: C.corARMA(p=-1), "autoregressive order must be a non-negative integer"),
    (lambda: C.corARMA(q=0.5), "moving average order must be a non-negative integer"),  # type: ignore[arg-type]
    (lambda: C.corARMA(), "corARMA with p = 0 and q = 0"),
    (lambda: C.corARMA([0.1], p=1, q=1), "initial value for parameter of wrong length"),
    (lambda: C.corARMA([0.5, 0.6], p=2), "All parameters must be less than 1 in absolute value"),
    (lambda: C.corExp(metric="cosine"), "'arg' should be one of"),
    (lambda: C.corAR1(float("nan")), "must be finite"),
    (lambda: C.corAR1(form="y ~ x"), "one-sided formula"),
])
def test_constructor_errors(make, message):
    with pytest.raises(HlmError) as e:
        make()
    assert message in str(e.value)


@pytest.mark.parametrize("make, message", [
    (lambda d: C.corAR1(form="~ age | Sex").bind(d),
     "covariate must have unique values within groups for \"corAR1\" objects"),
    (lambda d: C.corSymm(form="~ age | Subject").bind(d), "sequence of consecutive integers"),
    (lambda d: C.corARMA(q=1, form="~ t | Subject").bind(d.assign(t=d["age"] + 0.5)),
     "covariate must be integer-valued for \"corARMA\" objects"),
    (lambda d: C.corAR1(form="~ t | Subject").bind(d.assign(t=d["age"].where(d.index != 3))),
     "missing values (NA) in the covariate"),
    (lambda d: C.corCompSymm(form="~ 1 | Subject").bind(d.drop_duplicates("Subject")),
     "at least two observations"),
    (lambda d: C.corCompSymm(-0.4, form="~ 1 | Subject").bind(d),
     "initial value in \"corCompSymm\" must be greater than -0.333333333333333"),
    (lambda d: C.corExp(form="~ age | Sex").bind(d), "cannot have zero distances in \"corSpatial\""),
    (lambda d: C.corExp(form="~ 1 | Subject").bind(d.drop_duplicates("Subject")), "no distances"),
    (lambda d: C.corExp(-1, form="~ age | Subject").bind(d), "'range' must be > 0"),
    (lambda d: C.corExp([1, 2], form="~ age | Subject").bind(d), "parameters of wrong dimension"),
    (lambda d: C.corExp(form="~ Sex | Subject").bind(d), "must be numeric"),
    (lambda d: C.corSymm([0.1, 0.2], form="~ 1 | Subject").bind(d), "of wrong dimension"),
    (lambda d: C.corAR1(form="~ 1 | nothere").bind(d), "object 'nothere' not found"),
])
def test_bind_errors(orth, make, message):
    with pytest.raises(HlmError) as e:
        make(orth)
    assert message in str(e.value)


def test_runtime_errors(orth):
    b = C.corAR1(form="~ 1 | Subject").bind(orth)
    with pytest.raises(HlmError):
        b.matrices(np.zeros(2))
    with pytest.raises(HlmError):
        b.whiten(b.start, np.zeros((5, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="less than minimum distance"):
            C.corLin(1.0, form="~ age | Subject").bind(orth)


def test_singular_matrix_follows_dpofa():
    """Two points that R's dpofa finds singular (pivot <= 1e-14): nlme keeps
    the unreduced column, so the factor is [[1, 0], [-r, 1]] and logLik 0."""
    d = pd.DataFrame({"x": [0.0, 1.0]})
    b = C.corExp(math.exp(33), form="~ x").bind(d)
    F = b.factors(b.start)[0]
    r = math.exp(-1 / math.exp(33))
    assert np.array_equal(F, np.array([[1.0, 0.0], [-r, 1.0]]))
    assert b.loglik(b.start) == 0.0
    b = C.corExp(math.exp(32.9), form="~ x").bind(d)
    assert b.loglik(b.start) > 16


# ---------------------------------------------------------------- printing (texts R printed)


def test_printed_blocks(orth):
    b = C.corAR1(0.8, form="~ 1 | Subject").bind(orth)
    assert render_corstruct(b, b.start) == (
        "Correlation Structure: AR(1)\n Formula: ~1 | Subject \n Parameter estimate(s):\nPhi \n0.8 ")
    b = C.corSymm([0.2, 0.1, -0.1, 0, 0.2, 0], form="~ 1 | Subject").bind(orth)
    assert render_corstruct(b, b.start).split("\n") == [
        "Correlation Structure: General", " Formula: ~1 | Subject ", " Parameter estimate(s):",
        " Correlation: ", "  1    2    3   ", "2  0.2          ", "3  0.1  0.0     ",
        "4 -0.1  0.2  0.0"]
    b = C.corARMA([0.8, 0.4], form="~ 1 | Subject", p=1, q=1).bind(orth)
    assert render_corstruct(b, b.start).split("\n")[0] == "Correlation Structure: ARMA(1,1)"
    assert render_corstruct(b, b.start).split("\n")[3:] == ["  Phi1 Theta1 ", "   0.8    0.4 "]
    b = C.corCompSymm(0.3, form="~ 1 | Subject").bind(orth)
    assert render_corstruct(b, b.start).split("\n")[0] == "Correlation Structure: Compound symmetry"
    b = C.corExp([1, 0.2], form="~ age | Subject", nugget=True).bind(orth)
    assert render_corstruct(b, b.start).split("\n")[3:] == [" range nugget ", "   1.0    0.2 "]


# ---------------------------------------------------------------- scale


def test_large_panels_are_batched():
    """10^5 rows in 10^4 groups (corAR1) and 2,000 subjects x 8 visits with
    dropout (corSymm): one factor per distinct pattern."""
    rng = np.random.default_rng(0)
    n_g = 10_000
    d = pd.DataFrame({"g": np.repeat(np.arange(n_g), 10)})
    b = C.corAR1(0.5).bind(d, groups=d["g"].to_numpy())
    M = rng.normal(size=(len(d), 3))
    W = b.whiten(b.start, M)
    assert W.shape == M.shape and np.isfinite(W).all()
    rows = []
    for s in range(2000):
        k = int(rng.integers(2, 9))
        rows += [(s, v) for v in range(1, k + 1)]
    d2 = pd.DataFrame(rows, columns=["s", "visit"])
    b2 = C.corSymm(form="~ visit | s").bind(d2)
    assert sum(bt.pats.shape[0] for bt in b2._batches) == 7
    W2 = b2.whiten(b2.start + 0.1, rng.normal(size=(len(d2), 4)))
    assert np.isfinite(W2).all()


def test_group_beyond_exact_size_uses_lapack_path():
    n = C.EXACT_MAX + 7
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"t": np.cumsum(rng.uniform(0.1, 1.0, n))})
    for spec in (C.corExp(2.0, form="~ t"), C.corCompSymm(0.2)):
        b = spec.bind(d)
        Cm = b.matrices(b.start)[0]
        M = rng.normal(size=(n, 2))
        W = b.whiten(b.start, M)
        Z = np.linalg.solve(np.linalg.cholesky(Cm), M)
        assert np.allclose(W.T @ W, Z.T @ Z, rtol=1e-9)
        assert b.loglik(b.start) == pytest.approx(-0.5 * np.linalg.slogdet(Cm)[1], rel=1e-10)


def test_corsymm_parameter_beyond_double_range_is_outside_the_space(orth):
    """exp(theta) overflows past theta ~ 709 (nlme's C gets NaN there): the
    criteria take the FloatingPointError as outside the parameter space, and
    an lme whose search wanders there ends without a bare OverflowError.

    The lme (5 rows, 6 correlation parameters: a REML likelihood flat along
    a ridge, where nlme stops with "false convergence (8)") ends either in a
    fit or in hlm_py's ConvergenceError; which one depends on the arithmetic
    (a fit with the current numpy, the error with the floor's numpy 1.24)."""
    b = C.corSymm(form="~ 1 | Subject").bind(orth)
    with pytest.raises(FloatingPointError):
        b.whiten(np.full(b.n_params, 800.0), np.ones((len(orth), 1)))
    try:
        fit = hlm.lme("distance ~ age", orth.iloc[:5], random="~ 1 | Subject",
                      correlation=hlm.corSymm(form="~ 1 | Subject"))
    except ConvergenceError as exc:
        assert "did not converge" in str(exc)
    else:
        assert math.isfinite(hlm.logLik(fit))
