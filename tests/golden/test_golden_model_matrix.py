"""hlm_py's model_matrix against R's goldens."""

from __future__ import annotations

import pytest
from _golden import check, params


@pytest.mark.parametrize(("path", "quantity"), params("model_matrix"))
def test_model_matrix_golden(path, quantity):
    check("model_matrix", path, quantity)
