"""lme against a live R (rpy2): the numbers of nlme's tightly converged fits.

R's numbers come from the running R, never typed here. Where nlme's own
tight fit is not at the optimum (its gradient is visibly non-zero there), only
the optimality side is asserted: our logLik is never below R's.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.live_r

TIGHT = ("lmeControl(msTol = 1e-14, tolerance = 1e-12, msMaxIter = 1000, "
         "msMaxEval = 10000, maxIter = 1000, niterEM = 100)")

# (data set, fixed, random for hlm, random for R, method, R's tight fit is at the optimum)
CASES = [
    ("Hsb82", "mAch ~ 1", "~ 1 | school", "~ 1 | school", "REML", True),
    ("Hsb82", "mAch ~ 1", "~ 1 | school", "~ 1 | school", "ML", True),
    ("Hsb82", "mAch ~ meanses*cses + sector*cses", "~ cses | school", "~ cses | school",
     "REML", False),
    ("Orthodont", "distance ~ age", "~ age | Subject", "~ age | Subject", "REML", True),
    ("Orthodont", "distance ~ age", "~ age | Subject", "~ age | Subject", "ML", True),
    ("sleepstudy", "Reaction ~ Days", "~ Days | Subject", "~ Days | Subject", "REML", True),
    ("Oats", "yield ~ nitro", "~ 1 | Block/Variety", "~ 1 | Block/Variety", "REML", True),
    ("Machines", "score ~ Machine", "~ 1 | Worker/Machine", "~ 1 | Worker/Machine", "REML", True),
    ("Machines", "score ~ Machine", "~ 1 | Worker/Machine", "~ 1 | Worker/Machine", "ML", True),
]


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    return rsession.r()


def _r_fit(r, ds, fixed, random, method, control):
    data = {"sleepstudy": "lme4::sleepstudy", "Hsb82": "mlmRev::Hsb82"}.get(ds, f"nlme::{ds}")
    ctl = f", control = {control}" if control else ""
    r(f'ff <- nlme::lme({fixed}, random = {random}, data = {data}, method = "{method}"{ctl})')
    return {
        "logLik": float(r("c(logLik(ff))")[0]),
        "fixef": np.array(r("nlme::fixef(ff)")),
        "sigma": float(r("ff$sigma")[0]),
        "sd": np.array(r("unlist(lapply(rev(as.list(ff$modelStruct$reStruct)), "
                         "function(p) sqrt(diag(as.matrix(p))) * ff$sigma))")),
        "ranef_names": list(r("rownames(as.data.frame(nlme::ranef(ff, level = ff$dims$Q)))")),
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}-{c[4]}")
def test_lme_matches_nlme(r, case):
    import hlm_py as hlm

    ds, fixed, rnd, rnd_r, method, r_converges = case
    fit = hlm.lme(fixed, hlm.datasets.load(ds), random=rnd, method=method)
    default = _r_fit(r, ds, fixed, rnd_r, method, None)
    tight = _r_fit(r, ds, fixed, rnd_r, method, TIGHT)
    assert fit.loglik >= max(default["logLik"], tight["logLik"]) - 1e-7
    if not r_converges:
        return
    assert fit.loglik == pytest.approx(tight["logLik"], abs=1e-8)
    np.testing.assert_allclose(fit.fixef().to_numpy(), tight["fixef"], rtol=1e-6)
    assert fit.sigma() == pytest.approx(tight["sigma"], rel=1e-6)
    sds = np.concatenate([np.sqrt(np.diag(p)) * fit.sigma() for p in fit.psi])
    np.testing.assert_allclose(sds, tight["sd"], rtol=1e-6)
    assert list(fit.ranef(level=fit.Q).index) == tight["ranef_names"]
