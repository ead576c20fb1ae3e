"""Checks of arguments that several generics share (lm's ``confint`` and
``predict``, nlme's ``intervals``); the lowest layer, beside ``errors``.

R computes with an out-of-range ``level`` (``confint(fit, level = 25)`` gives
NA columns named ``-1200 %``; ``predict`` gives ``lwr > upr``); hlm_py refuses it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["check_level"]


def check_level(level: Any) -> float:
    """``level`` as a float strictly between 0 and 1 (a confidence level); else HlmError."""
    ok = (isinstance(level, (int, float, np.integer, np.floating))
          and not isinstance(level, (bool, np.bool_)))
    value = float(level) if ok else math.nan
    if not 0.0 < value < 1.0:
        raise HlmError(f"'level' must be a number strictly between 0 and 1, not {level!r}")
    return value
