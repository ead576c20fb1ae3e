"""Set-up of the property tier: import paths and Hypothesis profiles.

The helpers of this folder (``strategies``, ``checks``, ``calls``,
``reproducer``, ``rbridge``) are imported by plain name, by the tests here and
by ``tests/live_r/test_differential_*.py``; ``tests/`` is on the path for
``hypothesis_profiles`` (also imported by ``tests/conftest.py``, so that
``--hypothesis-profile=thorough`` is known before the plugin reads it).
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _p in (_HERE, _HERE.parent):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import hypothesis_profiles  # noqa: E402,F401
