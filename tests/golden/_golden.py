"""Parametrisation of the golden tests: one test per (case, quantity group)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hlm_py.verify.cases import case_name, run_case
from hlm_py.verify.compare import compare_case
from hlm_py.verify.goldens import golden_files, load_golden, quantity_groups

# HLM_GOLDEN_DIR points the tests at another golden tree (e.g. freshly regenerated)
GOLDEN_DIR = Path(os.environ.get("HLM_GOLDEN_DIR")
                  or Path(__file__).resolve().parent.parent.parent / "golden")
_RUNS: dict[str, dict[str, Any]] = {}


def params(kind: str) -> list[Any]:
    """``(path, quantity)`` for every golden of ``kind``; a single failing
    parameter when there is none, so that no golden means a failed run."""
    files = golden_files(GOLDEN_DIR, kind)
    if not files:
        return [pytest.param(None, None, id=f"{kind}-NO-GOLDENS")]
    out = []
    for path in files:
        golden = load_golden(path)
        name = case_name(golden)
        out.append(pytest.param(path, "(data)", id=f"{name}-data"))
        for q in quantity_groups(golden):
            out.append(pytest.param(path, q, id=f"{name}-{q}"))
    return out


def python_side(path: Path) -> dict[str, Any]:
    key = str(path)
    if key not in _RUNS:
        _RUNS[key] = run_case(load_golden(path))
    return _RUNS[key]


def check(kind: str, path: Path | None, quantity: str | None) -> None:
    if path is None:
        pytest.fail(f"no golden files found in {GOLDEN_DIR / kind}: "
                    f"run 'python -m r_reference regenerate --kind {kind}'")
    golden = load_golden(path)
    assert golden["case"]["kind"] == kind, f"{path} holds a {golden['case']['kind']} case"
    if quantity == "(data)":
        from hlm_py.verify.cases import rebuild_data

        df = rebuild_data(golden)  # raises when the checksum differs
        assert len(df) > 0, "the case's data frame is empty"
        return
    rows = compare_case(case_name(golden), kind, python_side(path), golden, quantities=[quantity])
    assert rows, f"nothing compared for {quantity}"
    bad = [r for r in rows if not r.ok]
    assert not bad, "\n" + "\n".join(r.format() for r in bad)
