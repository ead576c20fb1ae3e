"""hlm_py's lme against R's goldens (R's tightly converged refit; lme tolerances)."""

from __future__ import annotations

import pytest
from _golden import check, params


@pytest.mark.parametrize(("path", "quantity"), params("lme"))
def test_lme_golden(path, quantity):
    check("lme", path, quantity)
