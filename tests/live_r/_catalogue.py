"""The golden catalogue's cases, grouped by kind, for the live-R tier."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

CATALOGUE_MODULES = ("lm", "model_matrix", "lme", "gls", "lme_struct")


def catalogue_cases() -> dict[str, list[Any]]:
    """Every ``Case`` of ``r_reference/cases/<module>.py``, by ``case.kind``."""
    by_kind: dict[str, list[Any]] = {}
    for mod_name in CATALOGUE_MODULES:
        full = f"r_reference.cases.{mod_name}"
        try:
            mod = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name == full:
                continue
            raise
        for case in getattr(mod, "CASES", []):
            by_kind.setdefault(case.kind, []).append(case)
    return by_kind


def case_params(kind: str) -> list[Any]:
    """One parameter per case of ``kind``; one failing parameter when there is none."""
    cases = catalogue_cases().get(kind, [])
    if not cases:
        return [pytest.param(None, id=f"{kind}-NO-CASES")]
    return [pytest.param(c, id=c.name) for c in cases]
