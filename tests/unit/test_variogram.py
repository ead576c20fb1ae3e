"""nlme's Variogram, ACF.lme and getVarCov.lme: the numbers
(hlm_py.structs.variogram) by R's rules on small hand-checked inputs, the fit
glue (hlm_py.lme.empirical, GlsFit.Variogram) on BodyWeight, Orthodont,
Ovary and Wheat2, printing, and the errors. The comparisons with R itself are
tests/live_r/test_variogram_live.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.lme.results import VarCov, VariogramResult
from hlm_py.structs import variogram as V


@pytest.fixture(scope="module")
def bw_fit():
    bw = hlm.datasets.load("BodyWeight")
    return hlm.lme("weight ~ Time * Diet", bw, random="~ Time | Rat", weights=hlm.varPower())


@pytest.fixture(scope="module")
def orth_fit():
    orth = hlm.datasets.load("Orthodont")
    return hlm.lme("distance ~ age", orth, random="~ 1 | Subject",
                   weights=hlm.varIdent(form="~ 1 | Sex"), correlation=hlm.corCompSymm())


@pytest.fixture(scope="module")
def wheat_gls():
    return hlm.gls("yield ~ variety - 1", hlm.datasets.load("Wheat2"))


# ---------------------------------------------------------------- numbers


def test_r_dist_order_and_metrics():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    # dist's order: (2,1), (3,1), (3,2)
    np.testing.assert_allclose(V.r_dist(X), [5.0, math.sqrt(2), math.sqrt(13)])
    np.testing.assert_allclose(V.r_dist(X, "manhattan"), [7.0, 2.0, 5.0])
    np.testing.assert_allclose(V.r_dist(X, "maximum"), [4.0, 1.0, 3.0])
    assert V.r_dist(X[:1]).size == 0
    with pytest.raises(HlmError):
        V.r_dist(X, "canberra")


def test_pair_semivariogram():
    v, d = V.pair_semivariogram(np.array([1.0, 3.0, 0.0]), np.array([1.0, 2.0, 1.0]))
    np.testing.assert_allclose(v, [2.0, 0.5, 4.5])
    np.testing.assert_allclose(d, [1.0, 2.0, 1.0])
    with pytest.raises(HlmError, match="incompatible lengths"):
        V.pair_semivariogram(np.array([1.0, 3.0, 0.0]), np.array([1.0]))


def test_r_seq_length():
    np.testing.assert_array_equal(V.r_seq_length(0.0, 1.0, 5), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(V.r_seq_length(2.0, 2.0, 3), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(V.r_seq_length(1.0, 3.0, 2), [1.0, 3.0])
    x = V.r_seq_length(1.2, 48.1, 21)
    assert x[0] == 1.2 and x[-1] == 48.1
    assert x[7] == 1.2 + 7 * ((48.1 - 1.2) / 20)


def test_within_positions_sorted_and_unsorted():
    # sorted by group: positions in the group
    np.testing.assert_array_equal(V.within_positions(np.array([0, 0, 1, 1, 1]), [0, 1]),
                                  [1, 2, 1, 2, 3])
    # nlme's concatenation read in data order (b, b, a): b gets 1, 1 and a gets 2
    np.testing.assert_array_equal(V.within_positions(np.array([1, 1, 0]), [0, 1]), [1, 1, 2])


def test_collapse_quantiles_drops_the_smallest_distance():
    d = np.repeat([1.0, 2.0, 3.0, 4.0], 3)
    v = np.arange(12.0)
    frame, empty = V.collapse_variogram(v, d, "quantiles", nint=2)
    # breaks 1, 2.5, 4: classes (1, 2.5], (2.5, 4]; the pairs at 1 fall in none
    np.testing.assert_array_equal(frame["n.pairs"], [3, 6])
    np.testing.assert_allclose(frame["variog"], [4.0, 8.5])
    np.testing.assert_allclose(frame["dist"], [2.0, 3.5])
    assert not empty.any()


def test_collapse_by_distinct_distance_when_few():
    d = np.array([2.0, 1.0, 2.0, 1.0])
    frame, _ = V.collapse_variogram(np.array([1.0, 2.0, 3.0, 4.0]), d, "quantiles")
    np.testing.assert_allclose(frame["dist"], [1.0, 2.0])
    np.testing.assert_allclose(frame["variog"], [3.0, 2.0])
    np.testing.assert_array_equal(frame["n.pairs"], [2, 2])


def test_collapse_fixed_keeps_empty_classes():
    d = np.array([0.0, 1.0, 1.0, 10.0, 10.0])
    frame, empty = V.collapse_variogram(np.ones(5), d, "fixed", nint=2)
    # breaks 0, 5, 10: (0, 5] holds the 1s, (5, 10] the 10s
    np.testing.assert_array_equal(frame["n.pairs"], [2, 2])
    # breaks 0, 10/3, 20/3, 10: the middle class is empty
    frame, empty = V.collapse_variogram(np.ones(6), np.array([0, 1, 1, 10, 10, 3.0]),
                                        "fixed", nint=3)
    np.testing.assert_array_equal(frame["n.pairs"], [3, 0, 2])
    np.testing.assert_array_equal(empty, [False, True, False])
    assert np.isnan(frame["variog"][1]) and np.isnan(frame["dist"][1])


def test_collapse_robust():
    v = np.array([1.0, 16.0, 81.0, 0.0, 5.0])
    d = np.array([1.0, 2.0, 2.0, 2.0, 3.0])
    frame, _ = V.collapse_variogram(v, d, "quantiles", robust=True)
    m = (2 + 3 + 0) / 3  # the class at distance 2: 16, 81, 0
    assert frame["variog"][1] == pytest.approx(m ** 4 / (0.457 + 0.494 / 3), rel=1e-14)


def test_collapse_breaks():
    d = np.arange(1.0, 11.0)
    frame, _ = V.collapse_variogram(np.ones(10), d, breaks=[3, 6])
    # breaks extended to 1, 3, 6 (the first distance): classes (1, 3], (3, 6]
    np.testing.assert_array_equal(frame["n.pairs"], [2, 3])
    with pytest.raises(HlmError, match="'nint' is not consistent with 'breaks'"):
        V.collapse_variogram(np.ones(10), d, nint=5, breaks=[3, 6])
    frame, _ = V.collapse_variogram(np.ones(10), d, nint=2, breaks=[3, 6])
    np.testing.assert_array_equal(frame["n.pairs"], [2, 3])


def test_empirical_variogram_drop_empty_and_maxdist():
    groups = [(np.array([0.0, 1.0, 3.0]), np.array([1.0, 2.0, 1.0])),
              (np.array([2.0, 2.0]), np.array([5.0]))]
    frame, _ = V.empirical_variogram(groups, collapse="none")
    np.testing.assert_allclose(frame["variog"], [0.5, 4.5, 2.0, 0.0])
    assert list(frame.index) == [1, 2, 3, 4]
    frame, _ = V.empirical_variogram(groups, collapse="none", maxDist=2)
    np.testing.assert_allclose(frame["dist"], [1.0, 2.0, 1.0])
    with pytest.raises(HlmError, match="collapse"):
        V.empirical_variogram(groups, collapse="bins")


@pytest.mark.parametrize("cls, shape", [
    ("corExp", lambda x: 1 - math.exp(-x)),
    ("corGaus", lambda x: 1 - math.exp(-x * x)),
    ("corLin", lambda x: min(x, 1.0)),
    ("corRatio", lambda x: x * x / (1 + x * x)),
    ("corSpher", lambda x: 1.5 * min(x, 1) - 0.5 * min(x, 1) ** 3),
])
def test_model_variogram_shapes(cls, shape):
    mv = V.model_variogram(cls, [2.0, 0.25], np.array([1.0, 5.0]), sig2=3.0, length_out=5)
    np.testing.assert_allclose(mv["dist"], [1, 2, 3, 4, 5])
    want = [3.0 * (0.25 + 0.75 * shape(x / 2.0)) for x in (1, 2, 3, 4, 5)]
    np.testing.assert_allclose(mv["variog"], want, rtol=1e-14)
    mv = V.model_variogram(cls, [2.0], np.array([1.0, 5.0]), length_out=2)
    np.testing.assert_allclose(mv["variog"], [shape(0.5), shape(2.5)], rtol=1e-14)


# ---------------------------------------------------------------- fits


def test_lme_variogram_bodyweight(bw_fit):
    v = hlm.Variogram(bw_fit, form="~ Time")
    assert isinstance(v, VariogramResult)
    assert v.table.shape == (19, 3) and v.collapse
    np.testing.assert_array_equal(v.dist[:5], [1, 6, 7, 8, 13])
    assert v.n_pairs is not None and int(v.n_pairs.sum()) == 16 * 55
    assert v.modelVariog is None
    assert v.variog[0] == pytest.approx(0.3450598, rel=1e-5)  # R's print
    text = str(v).splitlines()
    assert text[0] == "      variog dist n.pairs"
    assert len(text) == 20
    short = hlm.Variogram(bw_fit, form="~ Time", maxDist=42)
    assert short.table.shape[0] == 15 and short.dist.max() == 42
    none = bw_fit.Variogram(form="~ Time", collapse="none")
    assert not none.collapse and none.n_pairs is None and none.table.shape == (16 * 55, 2)


def test_lme_variogram_spatial_model(bw_fit):
    f3 = bw_fit.update(correlation=hlm.corExp(form="~ Time"))
    v = hlm.Variogram(f3)
    assert v.modelVariog is not None and v.modelVariog.shape == (50, 2)
    assert v.modelVariog["dist"].iloc[0] == 1 and v.modelVariog["dist"].iloc[-1] == 63
    rng = f3.model.cor.coef(f3.component_theta("corStruct"), unconstrained=False)[0]
    np.testing.assert_allclose(v.modelVariog["variog"], 1 - np.exp(-v.modelVariog["dist"] / rng))
    assert hlm.Variogram(f3, resType="n").modelVariog is None
    r = hlm.Variogram(f3, resType="response", length_out=10).modelVariog
    assert r is not None and r.shape == (10, 2)
    assert r["variog"].iloc[-1] == pytest.approx(
        f3.sigma() ** 2 * (1 - math.exp(-63 / rng)), rel=1e-12)


def test_gls_variogram_wheat(wheat_gls):
    v = hlm.Variogram(wheat_gls, form="~ latitude + longitude")
    assert v.table.shape == (20, 3)
    assert v.dist[0] == pytest.approx(4.3)
    assert v.variog[0] == pytest.approx(0.3702644, rel=1e-6)
    # gls keeps empty classes: NaN / NA, printed as R does
    e = hlm.Variogram(wheat_gls, form="~ latitude + longitude", collapse="fixed", nint=200)
    assert e.table.shape[0] == 200
    assert int(e.n_pairs[1]) == 0 and np.isnan(e.variog[1]) and np.isnan(e.dist[1])
    line = str(e).splitlines()[2].split()
    assert line == ["2", "NaN", "NA", "0"]
    m = hlm.Variogram(wheat_gls, form="~ latitude + longitude", metric="man")
    assert m.table.shape == (20, 3)
    assert m.dist[-1] > v.dist[-1]


def test_variogram_errors(bw_fit, wheat_gls):
    with pytest.raises(HlmError, match="resType"):
        hlm.Variogram(bw_fit, resType="deviance")
    with pytest.raises(HlmError, match="collapse"):
        hlm.Variogram(bw_fit, collapse="bins")
    with pytest.raises(HlmError, match="metric"):
        hlm.Variogram(wheat_gls, form="~ latitude", metric="canberra")
    with pytest.raises(HlmError):
        hlm.Variogram(wheat_gls, form="latitude")
    with pytest.raises(HlmError):
        hlm.Variogram(wheat_gls, form="~ nonesuch")
    with pytest.raises(HlmError, match="nint"):
        hlm.Variogram(wheat_gls, form="~ latitude", nint=3, breaks=[5.0, 10.0])
    lm = hlm.lm("mpg ~ wt", hlm.datasets.load("mtcars"))
    with pytest.raises(HlmError, match="no applicable method for 'Variogram'"):
        hlm.Variogram(lm)


def test_variogram_na_in_covariate_is_an_error():
    d = hlm.datasets.load("Wheat2")
    d.loc[3, "latitude"] = np.nan
    g = hlm.gls("yield ~ variety - 1", d)  # latitude is not in the model
    with pytest.raises(HlmError, match="missing values"):
        hlm.Variogram(g, form="~ latitude + longitude")


# ---------------------------------------------------------------- ACF.lme


def test_acf_lme():
    ov = hlm.datasets.load("Ovary")
    f = hlm.lme("follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", ov,
                random=hlm.pdDiag("~ sin(2*pi*Time) | Mare"))
    a = hlm.ACF(f)
    assert a.table.shape == (15, 2)
    np.testing.assert_array_equal(a.n_used, np.arange(308, 153, -11))
    assert a.table["ACF"].iloc[0] == 1.0
    assert a.table["ACF"].iloc[1] == pytest.approx(0.379480128, rel=1e-6)  # R's print
    assert hlm.ACF(f, maxLag=3).table.shape == (4, 2)
    assert str(hlm.ACF(f, maxLag=1)).splitlines() == [
        "  lag       ACF", "1   0 1.0000000", "2   1 0.3794801"]
    with pytest.raises(HlmError):
        f.ACF(maxLag=-1)
    with pytest.raises(HlmError, match="resType"):
        f.ACF(resType="x")


# ---------------------------------------------------------------- getVarCov.lme


def test_getvarcov_lme_types(orth_fit):
    re = orth_fit.getVarCov()
    assert not re.listed and re.type == "random.effects"
    sig2 = orth_fit.sigma() ** 2
    assert re.to_frame().iloc[0, 0] == pytest.approx(sig2 * orth_fit.psi[0][0, 0], rel=1e-14)
    cond = orth_fit.getVarCov(type="conditional")
    assert cond.listed and list(cond.matrices) == ["M01"]
    m = cond["M01"].to_numpy()
    w = orth_fit.weights[:4]
    assert m[0, 0] == pytest.approx(sig2 / w[0] ** 2, rel=1e-14)
    rho = orth_fit.model.cor.coef(orth_fit.component_theta("corStruct"), unconstrained=False)[0]
    assert m[0, 1] == pytest.approx(rho * sig2 / w[0] ** 2, rel=1e-12)
    marg = orth_fit.getVarCov(type="marginal", individuals=["F01", "M02"])
    assert list(marg.matrices) == ["F01", "M02"]
    d = re.to_frame().iloc[0, 0]
    c_f01 = orth_fit.getVarCov(type="c", individuals="F01")["F01"].to_numpy()
    np.testing.assert_allclose(marg["F01"].to_numpy(), c_f01 + d, rtol=1e-14)
    by_number = orth_fit.getVarCov(type="marginal", individuals=[1, 20])
    assert list(by_number.matrices) == ["M01", "F04"]
    assert list(orth_fit.getVarCov(type="m", individuals=[-1]).matrices)[0] == "M02"
    assert list(cond["M01"].index) == ["1", "2", "3", "4"]


def test_getvarcov_lme_print(orth_fit):
    text = str(orth_fit.getVarCov(type="conditional", individuals="F01")).splitlines()
    assert text[0] == "Subject F01 "
    assert text[1] == "Conditional variance covariance matrix"
    assert text[-1].startswith("  Standard Deviations: ") and text[-1].endswith(" ")
    re = str(orth_fit.getVarCov()).splitlines()
    assert re[0] == "Random effects variance covariance matrix"
    assert re[1].strip() == "(Intercept)"


def test_getvarcov_lme_errors(orth_fit):
    with pytest.raises(HlmError, match="individual \u2018X\u2019 was not used in the fit"):
        orth_fit.getVarCov(type="marginal", individuals="X")
    with pytest.raises(HlmError, match="individual \u2018NA\u2019 was not used in the fit"):
        orth_fit.getVarCov(type="conditional", individuals=200)
    with pytest.raises(HlmError, match="type"):
        orth_fit.getVarCov(type="other")
    oats = hlm.datasets.load("Oats")
    nested = hlm.lme("yield ~ nitro", oats, random="~ 1 | Block/Variety")
    with pytest.raises(HlmError, match="not implemented for multiple levels of nesting"):
        nested.getVarCov()


def test_varcov_render_without_group_levels_and_dimnames():
    m = pd.DataFrame([[4.0, 1.0], [1.0, 2.25]], index=["1", "2"], columns=["1", "2"])
    v = VarCov(type="marginal", matrices={"A": m}, listed=True, group_levels=None)
    assert str(v).splitlines()[0] == "A "
    g = VarCov(type="marginal", matrices={"": m}, dimnames=False)
    lines = str(g).splitlines()
    assert lines[1].split() == ["[,1]", "[,2]"]
    assert lines[2].split()[0] == "[1,]"
    assert lines[-1] == "  Standard Deviations: 2 1.5 "


def test_gls_getvarcov_prints_without_dimnames():
    orth = hlm.datasets.load("Orthodont")
    g = hlm.gls("distance ~ Sex * I(age - 11)", orth,
                correlation=hlm.corSymm(form="~ 1 | Subject"),
                weights=hlm.varIdent(form="~ 1 | age"))
    text = str(hlm.getVarCov(g)).splitlines()
    assert text[0] == "Marginal variance covariance matrix"
    assert text[1].split() == ["[,1]", "[,2]", "[,3]", "[,4]"]
