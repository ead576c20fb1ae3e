"""nlme's Variogram (gls, lme), ACF.lme and getVarCov (lme, gls) against nlme
itself (rpy2), on the fits of Pinheiro and Bates ch. 5 (BodyWeight, Wheat2,
Ovary, Orthodont).

Three comparisons per case:

* the numbers alone, at relative 1e-10: hlm_py's computation fed R's
  residuals (``resid(fit, type =)``) and R's estimates of the structures and
  sigma, against R's result (the two fits' optima differ from the 6th
  digit on);
* the printed text: R's ``capture.output(print(.))`` against hlm_py's print of
  the numbers of the first comparison, line for line;
* end to end: hlm_py's fit's result against R's, at the fits' agreement
  (relative 1e-6 for gls; 1e-3 for the Orthodont fit whose correlation sits on its
  boundary -1/3, where nlme's and hlm_py's optima differ in the 5th digit;
  1e-3 of the largest value for lme fits with structures, whose likelihood is
  flat enough that the two optima differ in sigma by 1e-4).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.gls.inference import variogram_inputs
from hlm_py.lme.empirical import fit_variogram, match_choice, variogram_inputs_lme
from hlm_py.lme.results import ACFResult, VariogramResult
from hlm_py.structs.empirical import acf

pytestmark = pytest.mark.live_r

RTOL = 1e-10

R_FITS = r"""
fm2BW.lme <- lme(weight ~ Time * Diet, BodyWeight, random = ~ Time | Rat, weights = varPower())
fm3BW.lme <- update(fm2BW.lme, correlation = corExp(form = ~ Time))
fm1Wheat2 <- gls(yield ~ variety - 1, Wheat2)
fm3Wheat2 <- update(fm1Wheat2, corr = corRatio(c(12.5, 0.2), form = ~ latitude + longitude,
                                               nugget = TRUE))
fm1Ovar.lme <- lme(follicles ~ sin(2*pi*Time) + cos(2*pi*Time), data = Ovary,
                   random = pdDiag(~sin(2*pi*Time)))
fm5Ovar.lme <- update(fm1Ovar.lme, corr = corARMA(p = 1, q = 1))
fmOrthVC <- lme(distance ~ age, Orthodont, random = ~ 1 | Subject,
                weights = varIdent(form = ~ 1 | Sex), correlation = corCompSymm())
fm1Orth.gls <- gls(distance ~ Sex * I(age - 11), Orthodont,
                   correlation = corSymm(form = ~ 1 | Subject),
                   weights = varIdent(form = ~ 1 | age))
fm1Orth.lme <- lme(distance ~ age, Orthodont, random = ~ age | Subject)
fmOatsN.lme <- lme(yield ~ nitro, Oats, random = ~ 1 | Block/Variety)
fmBWar.gls <- gls(weight ~ Time * Diet, BodyWeight, correlation = corAR1(form = ~ 1 | Rat))
TRUE
"""


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    rr = rsession.r()
    rr(R_FITS)
    return rr


_FITS: dict[str, object] = {}


def hfit(name: str):
    """hlm_py's fit of the same name as R's."""
    if name in _FITS:
        return _FITS[name]
    bw = hlm.datasets.load("BodyWeight")
    w2 = hlm.datasets.load("Wheat2")
    ov = hlm.datasets.load("Ovary")
    orth = hlm.datasets.load("Orthodont")
    if name == "fm2BW.lme":
        f = hlm.lme("weight ~ Time * Diet", bw, random="~ Time | Rat", weights=hlm.varPower())
    elif name == "fm3BW.lme":
        f = hlm.lme("weight ~ Time * Diet", bw, random="~ Time | Rat", weights=hlm.varPower(),
                    correlation=hlm.corExp(form="~ Time"))
    elif name == "fm1Wheat2":
        f = hlm.gls("yield ~ variety - 1", w2)
    elif name == "fm3Wheat2":
        f = hlm.gls("yield ~ variety - 1", w2,
                    correlation=hlm.corRatio([12.5, 0.2], form="~ latitude + longitude",
                                             nugget=True))
    elif name == "fm1Ovar.lme":
        f = hlm.lme("follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", ov,
                    random=hlm.pdDiag("~ sin(2*pi*Time) | Mare"))
    elif name == "fm5Ovar.lme":
        f = hlm.lme("follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", ov,
                    random=hlm.pdDiag("~ sin(2*pi*Time) | Mare"),
                    correlation=hlm.corARMA(p=1, q=1))
    elif name == "fmOrthVC":
        f = hlm.lme("distance ~ age", orth, random="~ 1 | Subject",
                    weights=hlm.varIdent(form="~ 1 | Sex"), correlation=hlm.corCompSymm())
    elif name == "fm1Orth.gls":
        f = hlm.gls("distance ~ Sex * I(age - 11)", orth,
                    correlation=hlm.corSymm(form="~ 1 | Subject"),
                    weights=hlm.varIdent(form="~ 1 | age"))
    elif name == "fm1Orth.lme":
        f = hlm.lme("distance ~ age", orth, random="~ age | Subject")
    elif name == "fmOatsN.lme":
        f = hlm.lme("yield ~ nitro", hlm.datasets.load("Oats"), random="~ 1 | Block/Variety")
    elif name == "fmBWar.gls":
        f = hlm.gls("weight ~ Time * Diet", bw, correlation=hlm.corAR1(form="~ 1 | Rat"))
    else:  # pragma: no cover
        raise KeyError(name)
    _FITS[name] = f
    return f


def rnum(r, expr: str) -> np.ndarray:
    return np.asarray(r(f"as.double({expr})"), dtype=float)


def r_text(r, expr: str) -> list[str]:
    return [str(x) for x in r(f"capture.output(print({expr}))")]


def close(got: np.ndarray, want: np.ndarray, rtol: float, scaled: bool = False) -> None:
    """Equal NaN patterns and values within ``rtol`` (``scaled``: of the
    largest value, for values near 0 whose relative error is not meaningful)."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    atol = rtol * float(np.max(np.abs(want[ok]))) if scaled and ok.any() else 0.0
    np.testing.assert_allclose(got[ok], want[ok], rtol=rtol, atol=atol)


# ---------------------------------------------------------------- Variogram

# (R fit, R arguments, hlm_py arguments)
VARIOGRAM_CASES = [
    ("fm2BW.lme", "form = ~ Time", dict(form="~ Time")),
    ("fm2BW.lme", "form = ~ Time, maxDist = 42", dict(form="~ Time", maxDist=42)),
    ("fm2BW.lme", "form = ~ Time, collapse = 'fixed', nint = 15",
     dict(form="~ Time", collapse="fixed", nint=15)),
    ("fm2BW.lme", "form = ~ Time, collapse = 'none'", dict(form="~ Time", collapse="none")),
    ("fm2BW.lme", "", {}),
    ("fm2BW.lme", "form = ~ Time, robust = TRUE, resType = 'response'",
     dict(form="~ Time", robust=True, resType="response")),
    ("fm3BW.lme", "form = ~ Time, maxDist = 42, resType = 'n', robust = TRUE",
     dict(form="~ Time", maxDist=42, resType="n", robust=True)),
    ("fm3BW.lme", "", {}),
    ("fm3BW.lme", "resType = 'response', length.out = 20",
     dict(resType="response", length_out=20)),
    ("fm1Wheat2", "form = ~ latitude + longitude", dict(form="~ latitude + longitude")),
    ("fm1Wheat2", "form = ~ latitude + longitude, metric = 'manhattan'",
     dict(form="~ latitude + longitude", metric="manhattan")),
    ("fm1Wheat2", "form = ~ latitude + longitude, metric = 'maximum', nint = 10",
     dict(form="~ latitude + longitude", metric="maximum", nint=10)),
    ("fm1Wheat2", "form = ~ latitude + longitude, collapse = 'fixed'",
     dict(form="~ latitude + longitude", collapse="fixed")),
    ("fm1Wheat2", "form = ~ latitude + longitude, collapse = 'fixed', nint = 200",
     dict(form="~ latitude + longitude", collapse="fixed", nint=200)),
    ("fm1Wheat2", "form = ~ latitude + longitude, breaks = c(5, 10, 20, 30)",
     dict(form="~ latitude + longitude", breaks=[5, 10, 20, 30])),
    ("fm1Wheat2", "form = ~ latitude + longitude | Block, maxDist = 20",
     dict(form="~ latitude + longitude | Block", maxDist=20)),
    ("fm1Wheat2", "form = ~ latitude + longitude, collapse = 'none', maxDist = 3",
     dict(form="~ latitude + longitude", collapse="none", maxDist=3)),
    ("fm3Wheat2", "resType = 'n'", dict(resType="n")),
    ("fm3Wheat2", "", {}),
    ("fm3Wheat2", "resType = 'response', robust = TRUE", dict(resType="response", robust=True)),
    # no covariate, data not in the groups' level order (nlme's positions)
    ("fm1Ovar.lme", "", {}),
    ("fm1Ovar.lme", "collapse = 'none'", dict(collapse="none")),
    # nested groups: the "a/b" groups in R's sorted order
    ("fmOatsN.lme", "form = ~ nitro, collapse = 'none'", dict(form="~ nitro", collapse="none")),
    ("fmOatsN.lme", "form = ~ nitro", dict(form="~ nitro")),
    # gls with correlation groups: positions, and a covariate
    ("fmBWar.gls", "collapse = 'none'", dict(collapse="none")),
    ("fmBWar.gls", "form = ~ Time, nint = 5", dict(form="~ Time", nint=5)),
    ("fmBWar.gls", "resType = 'n', maxDist = 30", dict(resType="n", maxDist=30)),
]

IDS = [f"{c[0]}({c[1]})" for c in VARIOGRAM_CASES]


def _r_variogram(r, fit: str, args: str) -> str:
    call = f"Variogram({fit}{', ' + args if args else ''})"
    r(f"vg <- {call}; mv <- attr(vg, 'modelVariog'); TRUE")
    return call


def _r_struct(r, fit: str) -> tuple[np.ndarray, float]:
    theta = rnum(r, f"if (is.null({fit}$modelStruct$corStruct)) numeric(0) else "
                    f"coef({fit}$modelStruct$corStruct)")
    return theta, float(rnum(r, f"{fit}$sigma")[0])


@pytest.mark.parametrize("fit, rargs, kwargs", VARIOGRAM_CASES, ids=IDS)
def test_variogram_numbers_and_print(r, fit, rargs, kwargs):
    call = _r_variogram(r, fit, rargs)
    f = hfit(fit)
    is_lme = fit.endswith(".lme")
    kind = match_choice(kwargs.get("resType", "pearson"), ("pearson", "response", "normalized"),
                        "resType")
    res = rnum(r, f"resid({fit}, type = '{kind}')")
    inputs = variogram_inputs_lme(f) if is_lme else variogram_inputs(f)
    theta, sigma = _r_struct(r, fit)
    inputs.update(cor_theta=theta, sigma=sigma)
    extra = {k: v for k, v in kwargs.items() if k != "resType"}
    got = fit_variogram(res, res_type=kind, **inputs, **extra)
    close(got.variog, rnum(r, "vg$variog"), RTOL)
    close(got.dist, rnum(r, "vg$dist"), RTOL)
    if bool(r("is.null(vg$n.pairs)")[0]):
        assert got.n_pairs is None
    else:
        np.testing.assert_array_equal(got.n_pairs, rnum(r, "vg$n.pairs"))
    assert got.collapse == bool(r("attr(vg, 'collapse')")[0])
    if bool(r("is.null(mv)")[0]):
        assert got.modelVariog is None
    else:
        assert got.modelVariog is not None
        close(got.modelVariog["variog"].to_numpy(), rnum(r, "mv$variog"), RTOL)
        close(got.modelVariog["dist"].to_numpy(), rnum(r, "mv$dist"), RTOL)
    if got.table.shape[0] <= 300:
        assert str(got).splitlines() == r_text(r, "vg"), call
    if got.modelVariog is not None:
        mv = VariogramResult(table=got.modelVariog, collapse=False)
        assert str(mv).splitlines() == r_text(r, "as.data.frame(unclass(mv))")


@pytest.mark.parametrize("fit, rargs, kwargs", VARIOGRAM_CASES, ids=IDS)
def test_variogram_end_to_end(r, fit, rargs, kwargs):
    _r_variogram(r, fit, rargs)
    got = hlm.Variogram(hfit(fit), **kwargs)
    assert isinstance(got, VariogramResult)
    rtol = 1e-3 if fit.endswith(".lme") else 1e-6
    close(got.dist, rnum(r, "vg$dist"), 1e-10)
    close(got.variog, rnum(r, "vg$variog"), rtol, scaled=True)
    if got.modelVariog is not None:
        close(got.modelVariog["variog"].to_numpy(), rnum(r, "mv$variog"), rtol, scaled=True)


# ---------------------------------------------------------------- ACF.lme

ACF_CASES = [
    ("fm1Ovar.lme", "", {}),
    ("fm1Ovar.lme", "maxLag = 10", dict(maxLag=10)),
    ("fm5Ovar.lme", "resType = 'n'", dict(resType="n")),
    ("fm2BW.lme", "resType = 'response', maxLag = 5", dict(resType="response", maxLag=5)),
]


@pytest.mark.parametrize("fit, rargs, kwargs", ACF_CASES, ids=[f"{c[0]}({c[1]})" for c in ACF_CASES])
def test_acf_lme(r, fit, rargs, kwargs):
    r(f"ac <- ACF({fit}{', ' + rargs if rargs else ''}); TRUE")
    f = hfit(fit)
    kind = match_choice(kwargs.get("resType", "pearson"), ("pearson", "response", "normalized"),
                        "resType")
    res = rnum(r, f"resid({fit}, type = '{kind}')")
    lag, val, n_used = acf(res, f.grouping.codes[-1], kwargs.get("maxLag"))
    close(val, rnum(r, "ac$ACF"), RTOL)
    np.testing.assert_array_equal(lag, rnum(r, "ac$lag"))
    np.testing.assert_array_equal(n_used, rnum(r, "attr(ac, 'n.used')"))
    same = ACFResult(table=pd.DataFrame({"lag": lag, "ACF": val}), n_used=n_used)
    assert str(same).splitlines() == r_text(r, "ac")
    got = hlm.ACF(f, **kwargs)
    assert isinstance(got, ACFResult)
    close(got.table["ACF"].to_numpy(), rnum(r, "ac$ACF"), 1e-3, scaled=True)
    np.testing.assert_array_equal(got.n_used, rnum(r, "attr(ac, 'n.used')"))


def test_normalized_residuals_as_nlme_on_unsorted_groups(r):
    # Ovary's Mare levels are not in data order: nlme's recalc matches rows to
    # groups by their sorted positions, and so does hlm_py
    f = hfit("fm5Ovar.lme")
    close(f.residuals(type="n").to_numpy(), rnum(r, "resid(fm5Ovar.lme, type = 'n')"), 1e-5,
          scaled=True)


# ---------------------------------------------------------------- getVarCov


def _at_r_estimates(r, name: str):
    """hlm_py's lme fit with R's estimates of sigma, Psi and the structures."""
    f = hfit(name)
    phi = rnum(r, f"c(coef({name}$modelStruct$corStruct), coef({name}$modelStruct$varStruct))")
    sigma = float(rnum(r, f"{name}$sigma")[0])
    psi = rnum(r, f"as.matrix({name}$modelStruct$reStruct[[1]])")
    q = int(round(np.sqrt(psi.size)))
    return dataclasses.replace(f, phi=phi, sigma_=sigma, psi=[psi.reshape(q, q, order="F")])


VARCOV_CASES = [
    ("", dict()),
    ("type = 'conditional'", dict(type="conditional")),
    ("type = 'marginal'", dict(type="marginal")),
    ("type = 'marginal', individuals = c('F01', 'M02')",
     dict(type="marginal", individuals=["F01", "M02"])),
    ("type = 'conditional', individuals = c(1, 20)",
     dict(type="conditional", individuals=[1, 20])),
    ("type = 'm', individuals = 'F11'", dict(type="m", individuals="F11")),
]


@pytest.mark.parametrize("rargs, kwargs", VARCOV_CASES, ids=[c[0] or "default" for c in VARCOV_CASES])
def test_getvarcov_lme(r, rargs, kwargs):
    r(f"vc <- getVarCov(fmOrthVC{', ' + rargs if rargs else ''}); TRUE")
    f = _at_r_estimates(r, "fmOrthVC")
    got = hlm.getVarCov(f, **kwargs)
    listed = bool(r("is.list(vc)")[0])
    assert got.listed == listed
    if listed:
        names = [str(x) for x in r("names(vc)")]
        assert list(got.matrices) == names
        for k, nm in enumerate(names):
            close(got[nm].to_numpy().ravel(order="F"), rnum(r, f"vc[[{k + 1}]]"), RTOL)
    else:
        close(got.to_frame().to_numpy().ravel(order="F"), rnum(r, "vc"), RTOL)
    assert str(got).splitlines() == r_text(r, "vc")
    e2e = hlm.getVarCov(hfit("fmOrthVC"), **kwargs)
    close(e2e[0].to_numpy().ravel(order="F"),
          rnum(r, "vc[[1]]" if listed else "vc"), 1e-3)


@pytest.mark.parametrize("rargs, kwargs", [
    ("", {}), ("type = 'marginal', individuals = 'F02'", dict(type="marginal", individuals="F02")),
    ("type = 'conditional', individuals = 3:4", dict(type="conditional", individuals=[3, 4])),
])
def test_getvarcov_lme_random_slope(r, rargs, kwargs):
    r(f"vc <- getVarCov(fm1Orth.lme{', ' + rargs if rargs else ''}); TRUE")
    f = _at_r_estimates(r, "fm1Orth.lme")
    got = hlm.getVarCov(f, **kwargs)
    want = rnum(r, "vc[[1]]" if got.listed else "vc")
    close(got[0].to_numpy().ravel(order="F"), want, RTOL)
    assert str(got).splitlines() == r_text(r, "vc")


def test_getvarcov_lme_errors(r):
    f = hfit("fmOrthVC")
    for ind, rind in (("X", "'X'"), (100, "100")):
        msg = str(r(f"tryCatch(getVarCov(fmOrthVC, type = 'marginal', individuals = {rind}), "
                    f"error = function(e) conditionMessage(e))")[0])
        with pytest.raises(hlm.HlmError) as ei:
            f.getVarCov(type="marginal", individuals=ind)
        assert str(ei.value) == msg


@pytest.mark.parametrize("individual", [1, 2, "F01"])
def test_getvarcov_gls(r, individual):
    rind = repr(individual) if isinstance(individual, str) else str(individual)
    r(f"vc <- getVarCov(fm1Orth.gls, individual = {rind}); TRUE")
    f = hfit("fm1Orth.gls")
    theta = rnum(r, "coef(fm1Orth.gls$modelStruct)")
    at = dataclasses.replace(f, theta=theta,
                             estimates=f.criterion.estimates(theta, f.control.singular_ok))
    assert at.sigma() == pytest.approx(float(rnum(r, "fm1Orth.gls$sigma")[0]), rel=1e-9)
    got = hlm.getVarCov(at, individual=individual)
    close(got.to_frame().to_numpy().ravel(order="F"), rnum(r, "vc"), 1e-9)
    assert str(got).splitlines() == r_text(r, "vc")
    e2e = hlm.getVarCov(f, individual=individual)
    close(e2e.to_frame().to_numpy().ravel(order="F"), rnum(r, "vc"), 1e-4)
