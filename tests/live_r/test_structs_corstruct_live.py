"""hlm_py.structs.corstruct against nlme itself (rpy2): the ch05.R examples
and each class on Orthodont, Ovary, BodyWeight and Wheat2.

For each case R initialises the structure (``Initialize(cs, data)``) and we
bind ours to the same data frame; compared (relative 1e-12): ``corMatrix``
of every group (matched by group label), ``corFactor``, ``coef`` unconstrained
and constrained with names, ``logLik(cs, data)``, at the start and after
``coef(cs) <- theta`` for random ``theta``; the printed
``print(summary(cs))`` block line for line; nlme's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hlm_py.errors import HlmError
from hlm_py.printing.corstruct_reports import render_corstruct
from hlm_py.structs import corstruct as C

pytestmark = pytest.mark.live_r

RTOL = 1e-12


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    rr = rsession.r()
    rr("spatDat <- data.frame(x = (0:4)/4, y = (0:4)/4)")
    rr("O <- as.data.frame(nlme::Orthodont); Ov <- as.data.frame(nlme::Ovary); "
       "BW <- as.data.frame(nlme::BodyWeight); W2 <- as.data.frame(nlme::Wheat2)")
    return rr


_FRAMES: dict[str, pd.DataFrame] = {}


def frame(r, name: str) -> pd.DataFrame:
    """An R data frame as pandas (factors as Categoricals with R's levels)."""
    if name in _FRAMES:
        return _FRAMES[name]
    cols = {}
    for col in list(r(f"names({name})")):
        e = f"{name}[[{col!r}]]"
        if bool(r(f"is.factor({e})")[0]):
            levels = [str(x) for x in r(f"levels({e})")]
            codes = np.asarray(r(f"as.integer({e}) - 1L"), dtype=int)
            cols[col] = pd.Categorical.from_codes(codes, categories=levels,  # type: ignore[call-overload]
                                                  ordered=bool(r(f"is.ordered({e})")[0]))
        else:
            cols[col] = np.asarray(r(f"as.double({e})"), dtype=float)
    df = pd.DataFrame(cols)
    _FRAMES[name] = df
    return df


def close(a, b, rtol=RTOL) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rtol * np.maximum(1.0, np.abs(b))))


# (id, python spec, R constructor, data frame)
CASES = [
    ("cs1CompSymm", lambda: C.corCompSymm(value=0.3, form="~ 1 | Subject"),
     "corCompSymm(value = 0.3, form = ~ 1 | Subject)", "O"),
    ("cs2CompSymm", lambda: C.corCompSymm(value=0.3, form="~ age | Subject"),
     "corCompSymm(value = 0.3, form = ~ age | Subject)", "O"),
    ("cs1Symm", lambda: C.corSymm(value=[0.2, 0.1, -0.1, 0, 0.2, 0], form="~ 1 | Subject"),
     "corSymm(value = c(0.2, 0.1, -0.1, 0, 0.2, 0), form = ~ 1 | Subject)", "O"),
    ("cs1AR1", lambda: C.corAR1(0.8, form="~ 1 | Subject"), "corAR1(0.8, form = ~ 1 | Subject)", "O"),
    ("cs1ARMA", lambda: C.corARMA(0.4, form="~ 1 | Subject", q=1),
     "corARMA(0.4, form = ~ 1 | Subject, q = 1)", "O"),
    ("cs2ARMA", lambda: C.corARMA([0.8, 0.4], form="~ 1 | Subject", p=1, q=1),
     "corARMA(c(0.8, 0.4), form = ~ 1 | Subject, p = 1, q = 1)", "O"),
    ("cs1Exp", lambda: C.corExp(1, form="~ x + y"), "corExp(1, form = ~ x + y)", "spatDat"),
    ("cs2Exp", lambda: C.corExp(1, form="~ x + y", metric="man"),
     "corExp(1, form = ~ x + y, metric = 'man')", "spatDat"),
    ("cs3Exp", lambda: C.corExp([1, 0.2], form="~ x + y", nugget=True),
     "corExp(c(1, 0.2), form = ~ x + y, nugget = TRUE)", "spatDat"),
    # Orthodont
    ("O-Symm-default", lambda: C.corSymm(form="~ 1 | Subject"), "corSymm(form = ~ 1 | Subject)", "O"),
    ("O-AR1-age", lambda: C.corAR1(0.5, form="~ age | Subject"), "corAR1(0.5, form = ~ age | Subject)", "O"),
    ("O-ARMA10-pos", lambda: C.corARMA(0.3, p=1, form="~ 1 | Subject"),
     "corARMA(0.3, p = 1, form = ~ 1 | Subject)", "O"),
    ("O-ARMA22", lambda: C.corARMA([0.3, -0.2, 0.25, 0.1], p=2, q=2, form="~ 1 | Subject"),
     "corARMA(c(0.3, -0.2, 0.25, 0.1), p = 2, q = 2, form = ~ 1 | Subject)", "O"),
    ("O-ARMA13", lambda: C.corARMA([0.3, 0.2, -0.1, 0.1], p=1, q=3, form="~ 1 | Subject"),
     "corARMA(c(0.3, 0.2, -0.1, 0.1), p = 1, q = 3, form = ~ 1 | Subject)", "O"),
    ("O-CAR1", lambda: C.corCAR1(form="~ age | Subject"), "corCAR1(form = ~ age | Subject)", "O"),
    ("O-CompSymm-nested", lambda: C.corCompSymm(0.2, form="~ 1 | Sex/Subject"),
     "corCompSymm(0.2, form = ~ 1 | Sex/Subject)", "O"),
    ("O-Exp", lambda: C.corExp(form="~ age | Subject"), "corExp(form = ~ age | Subject)", "O"),
    ("O-Gaus-nug", lambda: C.corGaus(form="~ age | Subject", nugget=True),
     "corGaus(form = ~ age | Subject, nugget = TRUE)", "O"),
    ("O-Lin-nug", lambda: C.corLin([3, 0.3], form="~ age | Subject", nugget=True),
     "corLin(c(3, 0.3), form = ~ age | Subject, nugget = TRUE)", "O"),
    ("O-Ratio", lambda: C.corRatio(2, form="~ age | Subject"), "corRatio(2, form = ~ age | Subject)", "O"),
    ("O-Spher-man", lambda: C.corSpher(5, form="~ age | Subject", metric="manhattan"),
     "corSpher(5, form = ~ age | Subject, metric = 'manhattan')", "O"),
    ("O-Exp-pos", lambda: C.corExp(form="~ 1 | Subject"), "corExp(form = ~ 1 | Subject)", "O"),
    # Ovary
    ("Ov-AR1", lambda: C.corAR1(form="~ 1 | Mare"), "corAR1(form = ~ 1 | Mare)", "Ov"),
    ("Ov-ARMA02", lambda: C.corARMA(form="~ 1 | Mare", q=2), "corARMA(form = ~ 1 | Mare, q = 2)", "Ov"),
    ("Ov-ARMA11", lambda: C.corARMA([0.5, 0.2], form="~ 1 | Mare", p=1, q=1),
     "corARMA(c(0.5, 0.2), form = ~ 1 | Mare, p = 1, q = 1)", "Ov"),
    ("Ov-CAR1", lambda: C.corCAR1(0.4, form="~ Time | Mare"), "corCAR1(0.4, form = ~ Time | Mare)", "Ov"),
    ("Ov-CompSymm", lambda: C.corCompSymm(0.1, form="~ 1 | Mare"), "corCompSymm(0.1, form = ~ 1 | Mare)", "Ov"),
    ("Ov-Symm", lambda: C.corSymm(form="~ 1 | Mare"), "corSymm(form = ~ 1 | Mare)", "Ov"),
    # BodyWeight
    ("BW-Exp", lambda: C.corExp(form="~ Time | Rat"), "corExp(form = ~ Time | Rat)", "BW"),
    ("BW-Exp-nug", lambda: C.corExp(form="~ Time | Rat", nugget=True),
     "corExp(form = ~ Time | Rat, nugget = TRUE)", "BW"),
    ("BW-Ratio", lambda: C.corRatio(form="~ Time | Rat"), "corRatio(form = ~ Time | Rat)", "BW"),
    ("BW-Spher", lambda: C.corSpher(form="~ Time | Rat"), "corSpher(form = ~ Time | Rat)", "BW"),
    ("BW-Lin", lambda: C.corLin(form="~ Time | Rat"), "corLin(form = ~ Time | Rat)", "BW"),
    ("BW-Gaus", lambda: C.corGaus(form="~ Time | Rat"), "corGaus(form = ~ Time | Rat)", "BW"),
    ("BW-AR1-Time", lambda: C.corAR1(0.6, form="~ Time | Rat"), "corAR1(0.6, form = ~ Time | Rat)", "BW"),
    ("BW-CAR1", lambda: C.corCAR1(0.9, form="~ Time | Rat"), "corCAR1(0.9, form = ~ Time | Rat)", "BW"),
    ("BW-CompSymm-fixed", lambda: C.corCompSymm(0.5, form="~ 1 | Rat", fixed=True),
     "corCompSymm(0.5, form = ~ 1 | Rat, fixed = TRUE)", "BW"),
    # Wheat2
    ("W2-Spher-nug", lambda: C.corSpher(form="~ latitude + longitude", nugget=True),
     "corSpher(form = ~ latitude + longitude, nugget = TRUE)", "W2"),
    ("W2-Exp-Block", lambda: C.corExp(form="~ latitude + longitude | Block"),
     "corExp(form = ~ latitude + longitude | Block)", "W2"),
    ("W2-Gaus-max", lambda: C.corGaus(10, form="~ latitude + longitude | Block", metric="maximum"),
     "corGaus(10, form = ~ latitude + longitude | Block, metric = 'maximum')", "W2"),
    ("W2-Ratio-nug", lambda: C.corRatio([8, 0.2], form="~ latitude + longitude | Block", nugget=True),
     "corRatio(c(8, 0.2), form = ~ latitude + longitude | Block, nugget = TRUE)", "W2"),
    ("W2-Lin", lambda: C.corLin(form="~ latitude + longitude | Block"),
     "corLin(form = ~ latitude + longitude | Block)", "W2"),
]


def _r_state(r, data: str) -> dict:
    """corMatrix / corFactor per group, coefs and logLik of R's ``cs``."""
    out: dict = {}
    r("cm <- corMatrix(cs); cm <- if (is.list(cm)) cm else list(`1` = cm)")
    names = list(r("names(cm)"))
    out["mats"] = {str(nm): np.asarray(r(f"cm[[{i + 1}]]"), float) for i, nm in enumerate(names)}
    out["unc"] = np.asarray(r("as.double(coef(cs))"), float)
    out["con"] = np.asarray(r("as.double(coef(cs, FALSE))"), float)
    nm = r("names(coef(cs, FALSE))")
    out["con_names"] = None if nm is None or str(type(nm).__name__) == "NULLType" else [str(x) for x in nm]
    out["loglik"] = float(r(f"as.double(logLik(cs, {data}))")[0])
    return out


def _compare(b, theta, want) -> None:
    mats = dict(zip(b.group_labels, b.matrices(theta)))
    assert set(want["mats"]) <= set(mats)
    for g, m in want["mats"].items():
        assert close(mats[g], m), g
    # R drops the groups of one row from a spatial corMatrix only
    for g in set(mats) - set(want["mats"]):
        assert mats[g].shape == (1, 1)
    assert close(b.coef(theta, True), want["unc"])
    assert close(b.coef(theta, False), want["con"])
    if want["con_names"] is not None:
        assert b.constrained_names() == want["con_names"]
    assert abs(b.loglik(theta) - want["loglik"]) <= RTOL * max(1.0, abs(want["loglik"]))


def _whiten_check(b, theta) -> None:
    """whiten is the factor (checked against R's corFactor) applied group by
    group; where C is positive definite, F C F' = I."""
    rng = np.random.default_rng(1)
    M = rng.normal(size=(b.group_codes.size, 3))
    W = b.whiten(theta, M)
    for g, (Cg, Fg) in enumerate(zip(b.matrices(theta), b.factors(theta))):
        rows = np.flatnonzero(b.group_codes == g)
        assert np.allclose(W[rows], Fg @ M[rows], rtol=1e-12, atol=1e-12)
        if np.all(np.linalg.eigvalsh(Cg) > 1e-8):
            assert np.allclose(Fg @ Cg @ Fg.T, np.eye(len(rows)), atol=1e-8)
    assert np.allclose(b.whiten(theta, M[:, 0]), W[:, 0], rtol=0, atol=0)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_initialize_as_r(r, case):
    _id, make, rexpr, data = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r(f"cs <- suppressWarnings(Initialize({rexpr}, {data}))")
        b = make().bind(frame(r, data))
    assert b.r_class == str(r("class(cs)[1]")[0])
    theta = b.start
    want = _r_state(r, data)
    if b.fixed:
        want["unc"] = np.zeros(0)
        assert close(b.coef(b.full_start, True), np.zeros(0))
        theta = np.zeros(0)
    _compare(b, theta, want)
    # corFactor, group by group (R's order is first appearance)
    fac = np.asarray(r("as.double(corFactor(cs))"), float)
    glab = list(r("if (is.null(g <- getGroups(cs))) '1' else as.character(unique(g))"))
    lens = [int(x) for x in r("as.integer(Dim(cs)$len)")]
    facs = dict(zip(b.group_labels, b.factors(theta)))
    off = 0
    for g, n in zip(glab, lens):
        Fr = fac[off:off + n * n].reshape(n, n, order="F")
        off += n * n
        assert close(facs[g], Fr), g
    _whiten_check(b, theta)
    # printed block
    want_txt = list(r("capture.output(print(summary(cs)))"))
    assert render_corstruct(b, theta).split("\n") == want_txt
    if b.fixed:
        return
    rng = np.random.default_rng(abs(hash(_id)) % 2**32)
    for _ in range(3):
        th = b.start + rng.normal(scale=0.4, size=b.start.size)
        src = ", ".join(float(v).hex() for v in th)
        r(f"coef(cs) <- as.double(c({src}))" if th.size > 1 else f"coef(cs) <- {float(th[0]).hex()}")
        _compare(b, th, _r_state(r, data))
        want_txt = list(r("capture.output(print(summary(cs)))"))
        assert render_corstruct(b, th).split("\n") == want_txt


def test_modelstruct_names_as_r(r):
    """param_names are the names of coef(fit$modelStruct) for the block."""
    O = frame(r, "O")
    for py, rx in [(C.corAR1(form="~ 1 | Subject"), "corAR1(form = ~ 1 | Subject)"),
                   (C.corARMA(form="~ 1 | Subject", p=1, q=1), "corARMA(form = ~ 1 | Subject, p = 1, q = 1)"),
                   (C.corExp(form="~ age | Subject", nugget=True), "corExp(form = ~ age | Subject, nugget = TRUE)")]:
        want = [str(x) for x in r(f"names(coef(gls(distance ~ age, O, correlation = {rx})$modelStruct))")]
        assert py.bind(O).param_names() == want


def test_fit_block_prints_as_r(r):
    """The block inside print(gls) and print(lme) at R's estimates."""
    O = frame(r, "O")
    r("fmg <- gls(distance ~ age, O, correlation = corSymm(form = ~ 1 | Subject))")
    b = C.corSymm(form="~ 1 | Subject").bind(O)
    theta = np.asarray(r("as.double(coef(fmg$modelStruct$corStruct))"), float)
    out = list(r("capture.output(print(fmg))"))
    k = out.index("Correlation Structure: General")
    block = render_corstruct(b, theta).split("\n")
    assert out[k:k + len(block)] == block
    r("fml <- lme(distance ~ age, O, random = ~ 1 | Subject, correlation = corAR1())")
    b = C.corAR1().with_groups("~ Subject").bind(O)
    theta = np.asarray(r("as.double(coef(fml$modelStruct$corStruct))"), float)
    out = list(r("capture.output(print(summary(fml)))"))
    k = out.index("Correlation Structure: AR(1)")
    block = render_corstruct(b, theta).split("\n")
    assert out[k:k + len(block)] == block


def _r_error(r, expr: str) -> str:
    return str(r(f"tryCatch({{{expr}; 'no error'}}, error = function(e) conditionMessage(e))")[0])


ERRORS = [
    (lambda d: C.corAR1(1), "corAR1(1)"),
    (lambda d: C.corAR1(-1.5), "corAR1(-1.5)"),
    (lambda d: C.corCAR1(0), "corCAR1(0)"),
    (lambda d: C.corCAR1(1), "corCAR1(1)"),
    (lambda d: C.corCompSymm(1), "corCompSymm(1)"),
    (lambda d: C.corCompSymm(-0.5, form="~ 1 | Subject").bind(d),
     "Initialize(corCompSymm(-0.5, form = ~ 1 | Subject), O)"),
    (lambda d: C.corARMA(p=-1), "corARMA(p = -1)"),
    (lambda d: C.corARMA(p=1.5), "corARMA(p = 1.5)"),  # type: ignore[arg-type]
    (lambda d: C.corARMA(q=-1), "corARMA(q = -1)"),
    (lambda d: C.corARMA([0.1, 0.2], p=1), "corARMA(c(0.1, 0.2), p = 1)"),
    (lambda d: C.corARMA([1.0], p=1), "corARMA(1, p = 1)"),
    (lambda d: C.corARMA([0.5, 0.6], p=2), "corARMA(c(0.5, 0.6), p = 2)"),
    (lambda d: C.corSymm([0.1, 0.2], form="~ 1 | Subject").bind(d),
     "Initialize(corSymm(c(0.1, 0.2), form = ~ 1 | Subject), O)"),
    (lambda d: C.corSymm([0.1, 0.2, 0.3, 0.1, 1, 0.1], form="~ 1 | Subject").bind(d),
     "Initialize(corSymm(c(0.1, 0.2, 0.3, 0.1, 1, 0.1), form = ~ 1 | Subject), O)"),
    (lambda d: C.corSymm([0.9, 0.9, -0.9, 0, 0, 0], form="~ 1 | Subject").bind(d),
     "Initialize(corSymm(c(0.9, 0.9, -0.9, 0, 0, 0), form = ~ 1 | Subject), O)"),
    (lambda d: C.corSymm(form="~ age | Subject").bind(d), "Initialize(corSymm(form = ~ age | Subject), O)"),
    (lambda d: C.corAR1(form="~ age | Sex").bind(d), "Initialize(corAR1(form = ~ age | Sex), O)"),
    (lambda d: C.corSymm(form="~ age | Sex").bind(d), "Initialize(corSymm(form = ~ age | Sex), O)"),
    (lambda d: C.corCAR1(form="~ age | Sex").bind(d), "Initialize(corCAR1(form = ~ age | Sex), O)"),
    (lambda d: C.corARMA(form="~ age | Sex", q=1).bind(d), "Initialize(corARMA(form = ~ age | Sex, q = 1), O)"),
    (lambda d: C.corExp(form="~ age | Sex").bind(d), "Initialize(corExp(form = ~ age | Sex), O)"),
    (lambda d: C.corExp(0, form="~ age | Subject").bind(d), "Initialize(corExp(0, form = ~ age | Subject), O)"),
    (lambda d: C.corExp([1, 2], form="~ age | Subject").bind(d),
     "Initialize(corExp(c(1, 2), form = ~ age | Subject), O)"),
    (lambda d: C.corExp([1, 1], form="~ age | Subject", nugget=True).bind(d),
     "Initialize(corExp(c(1, 1), form = ~ age | Subject, nugget = TRUE), O)"),
    (lambda d: C.corExp([1, 0.5, 1], form="~ age | Subject", nugget=True).bind(d),
     "Initialize(corExp(c(1, 0.5, 1), form = ~ age | Subject, nugget = TRUE), O)"),
    (lambda d: C.corLin(-1, form="~ age | Subject").bind(d), "Initialize(corLin(-1, form = ~ age | Subject), O)"),
    (lambda d: C.corSpher(-1, form="~ age | Subject").bind(d),
     "Initialize(corSpher(-1, form = ~ age | Subject), O)"),
    (lambda d: C.corLin([3, 0.5, 1], form="~ age | Subject", nugget=True).bind(d),
     "Initialize(corLin(c(3, 0.5, 1), form = ~ age | Subject, nugget = TRUE), O)"),
    (lambda d: C.corExp(metric="foo"), "corExp(metric = 'foo')"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_in_r_words(r, k):
    make, rexpr = ERRORS[k]
    want = _r_error(r, rexpr)
    assert want != "no error"
    with pytest.raises(HlmError) as e:
        make(frame(r, "O"))
    assert str(e.value) == want


def test_range_below_min_distance_warns_as_r(r):
    O = frame(r, "O")
    want = str(r("tryCatch(Initialize(corLin(1, form = ~ age | Subject), O), "
                 "warning = function(w) conditionMessage(w))")[0])
    with pytest.warns(UserWarning) as rec:
        b = C.corLin(1, form="~ age | Subject").bind(O)
    assert str(rec[0].message) == want
    r("cs <- suppressWarnings(Initialize(corLin(1, form = ~ age | Subject), O))")
    assert close(b.start, np.asarray(r("as.double(coef(cs))"), float))


def test_corsymm_natural_as_r(r):
    """natural() is nlme's corNatural parametrisation of apVar."""
    O = frame(r, "O")
    r("cs <- Initialize(corSymm(value = c(0.2, 0.1, -0.1, 0, 0.2, 0), form = ~ 1 | Subject), O)")
    r("cn <- Initialize(corNatural(value = coef(cs, FALSE), form = ~ 1 | Subject), O)")
    b = C.corSymm([0.2, 0.1, -0.1, 0, 0.2, 0], form="~ 1 | Subject").bind(O)
    assert close(b.natural(b.start), np.asarray(r("as.double(coef(cn))"), float))
    assert [str(x) for x in r("names(coef(cn, FALSE))")] == b.constrained_names()
    assert close(b.from_natural(b.natural(b.start)), b.start, 1e-10)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bits_as_r_in_r_group_order(r, case):
    """In R's order of the groups, every entry of corFactor and logLik are
    R's to the bit (nlme's operations in nlme's order)."""
    _id, make, rexpr, data = case
    r(f"cs <- suppressWarnings(Initialize({rexpr}, {data}))")
    g = [str(x) for x in r(f"if (is.null(g <- getGroups(cs))) rep('1', nrow({data})) "
                           "else as.character(g)")]
    grp = pd.Categorical(g, categories=list(dict.fromkeys(g)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = make().bind(frame(r, data), groups=grp)
    theta = np.zeros(0) if b.fixed else b.start
    assert b.loglik(theta) == float(r(f"as.double(logLik(cs, {data}))")[0])
    fac = np.asarray(r("as.double(corFactor(cs))"), float)
    mine = np.concatenate([F.ravel(order="F") for F in b.factors(theta)])
    assert np.array_equal(mine, fac)
    # whiten is nlme's recalc (its rows are by group already in these data)
    n = b.group_codes.size
    M = np.random.default_rng(5).normal(size=(n, 3))
    src = ", ".join(float(v).hex() for v in M.ravel(order="F"))
    rng = np.random.default_rng(11)
    for k in range(3):
        if k:
            if b.fixed:
                break
            theta = b.start + rng.normal(scale=0.4, size=b.start.size)
            r(f"coef(cs) <- as.double(c({', '.join(float(v).hex() for v in theta)}))")
        got = r(f"nlme:::recalc(cs, list(Xy = matrix(c({src}), {n}), logLik = 0))")
        Xy = np.asarray(got.rx2("Xy"), float).reshape(n, 3, order="F")
        assert np.array_equal(b.whiten(theta, M), Xy)
        assert b.loglik(theta) == float(got.rx2("logLik")[0])


@pytest.mark.parametrize("form", ["~ 1 | Subject", "~ 1 | Sex/Subject", "~ age | Sex/Subject",
                                  "~ 1 | Subject/Sex"])
def test_groups_in_gls_order(r, form):
    """corstruct_groups numbers the groups as gls orders its rows."""
    O = frame(r, "O")
    want = [str(x) for x in r(f"names(corMatrix(gls(distance ~ age, O, correlation = "
                              f"corCompSymm(form = {form}))$modelStruct$corStruct))")]
    _codes, labels = C.corstruct_groups(form, O)
    assert labels == want
    assert C.corCompSymm(form=form).bind(O).group_labels == want


FITS = [
    ("distance ~ age", "O", lambda: C.corSymm(form="~ 1 | Subject"), "corSymm(form = ~ 1 | Subject)"),
    ("distance ~ age", "O", lambda: C.corCompSymm(form="~ 1 | Subject"), "corCompSymm(form = ~ 1 | Subject)"),
    ("follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "Ov", lambda: C.corAR1(form="~ 1 | Mare"),
     "corAR1(form = ~ 1 | Mare)"),
    ("follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "Ov",
     lambda: C.corARMA(form="~ 1 | Mare", p=1, q=1), "corARMA(form = ~ 1 | Mare, p = 1, q = 1)"),
    ("follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "Ov", lambda: C.corCAR1(form="~ Time | Mare"),
     "corCAR1(form = ~ Time | Mare)"),
    ("weight ~ Time * Diet", "BW", lambda: C.corExp(form="~ Time | Rat", nugget=True),
     "corExp(form = ~ Time | Rat, nugget = TRUE)"),
    ("yield ~ variety - 1", "W2", lambda: C.corSpher([28, 0.2], form="~ latitude + longitude", nugget=True),
     "corSpher(c(28, 0.2), form = ~ latitude + longitude, nugget = TRUE)"),
]


@pytest.mark.parametrize("k", range(len(FITS)))
def test_gls_likelihood_at_r_estimates(r, k):
    """The ML log-likelihood of R's gls fit, recomputed at R's estimates of
    the correlation parameters from our whitening and logLik(corStruct):
    what a gls fit built on these components reaches."""
    model, data, make, rexpr = FITS[k]
    r(f"fm <- gls({model}, {data}, correlation = {rexpr}, method = 'ML')")
    theta = np.asarray(r("as.double(coef(fm$modelStruct$corStruct))"), float)
    X = np.asarray(r(f"model.matrix({model}, {data})"), float)
    y = np.asarray(r(f"model.response(model.frame({model}, {data}))"), float)
    b = make().bind(frame(r, data))
    Xw, yw = b.whiten(theta, X), b.whiten(theta, y)
    beta, *_ = np.linalg.lstsq(Xw, yw, rcond=None)
    rss = float(np.sum((yw - Xw @ beta) ** 2))
    N = len(y)
    ll = -N / 2 * (np.log(2 * np.pi) + 1 + np.log(rss / N)) + b.loglik(theta)
    want = float(r("as.double(logLik(fm))")[0])
    assert ll == pytest.approx(want, rel=1e-10)
    assert np.allclose(beta, np.asarray(r("as.double(coef(fm))"), float), rtol=1e-8)
