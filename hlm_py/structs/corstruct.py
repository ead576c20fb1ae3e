"""Placeholder until the correlation structures land (as_corstruct of None only)."""

from __future__ import annotations

from typing import Any

from hlm_py.errors import NotAvailableError


def as_corstruct(x: Any) -> Any:
    if x is None:
        return None
    raise NotAvailableError("correlation structures are not available yet")
