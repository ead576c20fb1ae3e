"""lm at 10^6 rows against R: the QR's sums keep R's order at every size.

Below 200,000 rows they always did; above, numpy's reductions once took over
and the coefficients moved 5e-10 from R's (benchmarks/bench_lm.py). The data
are drawn in R and copied here, so no number is typed in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm

pytestmark = pytest.mark.live_r

FORMULA = "y ~ x1 + x2 * f + log(x3) + poly(x1, 3)"


@pytest.fixture(scope="module")
def r_fit():
    import rpy2.robjects as ro

    from r_reference import rsession

    rsession.r()
    ro.r("set.seed(20261203); n <- 1e6; "
         "big <- data.frame(x1 = rnorm(n), x2 = rnorm(n), x3 = runif(n, 1, 5), "
         "f = factor(sample(c('a', 'b', 'c', 'd'), n, TRUE))); "
         "big$y <- 1 + big$x1 - 0.5 * big$x2 + log(big$x3) + rnorm(n); "
         f"bigfit <- lm({FORMULA}, data = big)")
    cols = {c: np.array(ro.r(f"big${c}"), dtype=float, copy=True) for c in ("x1", "x2", "x3", "y")}
    codes = np.array(ro.r("as.integer(big$f)"), dtype=int, copy=True) - 1
    cols["f"] = pd.Categorical.from_codes(codes, categories=list("abcd"))
    return {
        "data": pd.DataFrame(cols),
        "coef": np.array(ro.r("coef(bigfit)"), dtype=float, copy=True),
        "names": list(ro.r("names(coef(bigfit))")),
        "sigma": float(ro.r("summary(bigfit)$sigma")[0]),
        "se": np.array(ro.r("coef(summary(bigfit))[, 2]"), dtype=float, copy=True),
    }


def test_lm_at_a_million_rows_is_r_s(r_fit):
    fit = hlm.lm(FORMULA, r_fit["data"])
    coef = hlm.coef(fit)
    assert list(coef.index) == r_fit["names"]
    np.testing.assert_allclose(coef.to_numpy(), r_fit["coef"], rtol=1e-13, atol=1e-15)
    s = hlm.summary(fit)
    np.testing.assert_allclose(s.sigma, r_fit["sigma"], rtol=1e-13)
    np.testing.assert_allclose(s.coefficients["Std. Error"].to_numpy(), r_fit["se"], rtol=1e-13)
