"""First command of `tox -e floor`: prints the numpy, scipy, pandas and threadpoolctl the env
runs on and fails unless each is exactly the lower bound that pyproject.toml
claims (so the floors claimed are the floors tested, and a newer release that
slipped in through another requirement is caught)."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
floors = {}
for req in pyproject["project"]["dependencies"]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)\s*(?:,.*)?", req)
    if m:
        floors[m.group(1).lower()] = m.group(2)
bad = []
for pkg in ("numpy", "scipy", "pandas", "threadpoolctl"):
    have = version(pkg)
    want = floors.get(pkg)
    print(f"{pkg} {have} (pyproject.toml: >={want})")
    if have != want:
        bad.append(f"{pkg} {have} installed, pyproject.toml's floor is {want}")
print(f"python {sys.version.split()[0]}")
if bad:
    sys.exit("floor env is not on the claimed floors: " + "; ".join(bad))
