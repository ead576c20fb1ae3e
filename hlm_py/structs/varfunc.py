"""Placeholder until the variance functions land (as_varfunc of None only)."""

from __future__ import annotations

from typing import Any

from hlm_py.errors import NotAvailableError


def as_varfunc(x: Any) -> Any:
    if x is None:
        return None
    raise NotAvailableError("variance functions are not available yet")
