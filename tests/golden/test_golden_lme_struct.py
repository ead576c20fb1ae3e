"""hlm_py's lme with variance functions and correlation structures against
R's goldens (R's tightly converged refit; lme tolerances)."""

from __future__ import annotations

import pytest
from _golden import check, params


@pytest.mark.parametrize(("path", "quantity"), params("lme_struct"))
def test_lme_struct_golden(path, quantity):
    check("lme_struct", path, quantity)
