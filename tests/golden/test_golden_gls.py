"""hlm_py's gls against R's goldens (R's tightly converged refit; lme tolerances)."""

from __future__ import annotations

import pytest
from _golden import check, params


@pytest.mark.parametrize(("path", "quantity"), params("gls"))
def test_gls_golden(path, quantity):
    check("gls", path, quantity)
