"""hlm_py's lm against R's goldens: every case, every quantity and printed text."""

from __future__ import annotations

import pytest
from _golden import check, params


@pytest.mark.parametrize(("path", "quantity"), params("lm"))
def test_lm_golden(path, quantity):
    check("lm", path, quantity)
