"""Finding and reading golden files (``golden/<kind>/<case>.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from hlm_py.errors import HlmError
from hlm_py.verify.compare import golden_targets

__all__ = ["KINDS", "default_golden_dir", "golden_files", "load_golden", "quantity_groups"]

KINDS = ("lm", "model_matrix", "lme")


def default_golden_dir() -> Path:
    """The repository's ``golden/`` next to the package (an editable install or a
    checkout); an :class:`HlmError` saying so when there is none."""
    here = Path(__file__).resolve().parent.parent.parent / "golden"
    if here.is_dir():
        return here
    raise HlmError(
        f"no golden directory at {here}: hlm-py verify needs the repository's golden/ "
        f"(install with 'pip install -e .' from a checkout, or pass --golden DIR)"
    )


def golden_files(golden_dir: Path, kind: str) -> list[Path]:
    """The golden files of one kind, sorted by name."""
    return sorted((Path(golden_dir) / kind).glob("*.json"))


@lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or "case" not in data or "results" not in data:
        raise HlmError(f"{path}: not a golden file (no 'case'/'results')")
    return data


def load_golden(path: Path) -> dict[str, Any]:
    """A golden file's dict (cached per path and modification time)."""
    p = Path(path)
    return _load(str(p), p.stat().st_mtime)


def quantity_groups(golden: dict[str, Any]) -> list[str]:
    """The top-level quantities of a golden, then its printed texts (``printed:<key>``)."""
    kind = golden["case"]["kind"]
    names = list(golden_targets(kind, golden))
    names += [f"printed:{k}" for k in (golden.get("printed") or {})]
    return names
