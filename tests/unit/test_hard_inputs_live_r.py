"""Hard inputs against a live R (rpy2): what R returns or refuses, and hlm_py
the same (numbers, printed lines), or an HlmError where R errors.

R's numbers and texts come from the running R, never typed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm

pytestmark = pytest.mark.live_r


@pytest.fixture(scope="module")
def r():
    from r_reference import rsession

    return rsession.r()


def _py_frame(r_data: str, r) -> pd.DataFrame:
    cols = [str(c) for c in r(f"names({r_data})")]
    return pd.DataFrame({c: np.array(r(f"as.numeric({r_data}${c})"), dtype=float) for c in cols})


# ---------------------------------------------------------------------------
# logLik, AIC, BIC of an lm with a zero residual sum of squares


ZERO_RSS = [
    ("data.frame(y = c(1, 2, 3), x = c(1, 2, 3))", "y ~ x", None),
    ("data.frame(y = c(1, 2, 3), x = c(1, 2, 3))", "y ~ x", [1.0, 2.0, 0.0]),
    ("data.frame(y = c(1, 3, 2), x = c(0.5, 1, 4))", "y ~ x + I(x^2)", None),
    ("data.frame(y = c(2, 2, 2))", "y ~ 1", None),
]


@pytest.mark.parametrize("case", ZERO_RSS, ids=["line", "weighted", "saturated", "constant"])
def test_loglik_aic_bic_of_a_zero_rss_are_r_s(r, case):
    data, formula, w = case
    wr = "" if w is None else f", weights = c({', '.join(map(repr, w))})"
    r(f"zf <- lm({formula}, {data}{wr})")
    want = np.array(r("c(logLik(zf), AIC(zf), BIC(zf), logLik(zf, REML = TRUE))"), dtype=float)
    df = _py_frame(data, r)
    fit = hlm.lm(formula, df, weights=None if w is None else np.array(w))
    got = np.array([float(hlm.logLik(fit)), hlm.AIC(fit), hlm.BIC(fit),
                    float(hlm.logLik(fit, REML=True))])
    np.testing.assert_array_equal(got, want)  # Inf, -Inf, NaN exactly as R
    assert hlm.logLik(fit).df == int(r("attr(logLik(zf), 'df')")[0])
