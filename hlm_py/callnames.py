"""The names R would print for the fits given to ``anova(m1, m2)``/``AIC(m1, m2)``.

R deparses the argument expressions. Python has none, so the names are those
of the variables that hold the fits in the first calling frame outside
hlm_py (``m1``, ``m2``); a fit no variable (or several) holds is ``fitK``.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["caller_names"]


def caller_names(objs: tuple[Any, ...]) -> list[str]:
    """One name for each of ``objs``, as described in the module docstring."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("hlm_py"):
        frame = frame.f_back
    scopes = [frame.f_locals, frame.f_globals] if frame is not None else []
    names: list[str] = []
    for i, obj in enumerate(objs):
        found = None
        for scope in scopes:
            hits = [k for k, v in scope.items() if v is obj and not k.startswith("_")]
            if len(hits) == 1:
                found = hits[0]
                break
        names.append(found if found is not None and found not in names else f"fit{i + 1}")
    return names
