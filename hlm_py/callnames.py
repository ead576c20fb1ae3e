"""The names R would print for arguments: the fits of ``anova(m1, m2)`` and
``AIC(m1, m2)``, and the ``data`` of a printed ``lm``/``lme`` call.

R deparses the argument expressions. Python has none, so the names are those
of the variables that hold the objects in the first calling frame outside
hlm_py (``m1``, ``m2``, ``my_df``); an object no variable (or several) holds
gets a fallback (``fitK``; ``data``).
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

__all__ = ["caller_names", "data_name"]


def _caller_scopes() -> list[dict[str, Any]]:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("hlm_py"):
        frame = frame.f_back
    return [frame.f_locals, frame.f_globals] if frame is not None else []


def _holder(obj: Any, scopes: list[dict[str, Any]]) -> str | None:
    for scope in scopes:
        hits = [k for k, v in scope.items() if v is obj and not k.startswith("_")]
        if len(hits) == 1:
            return hits[0]
    return None


def caller_names(objs: tuple[Any, ...]) -> list[str]:
    """One name for each of ``objs``, as described in the module docstring."""
    scopes = _caller_scopes()
    names: list[str] = []
    for i, obj in enumerate(objs):
        found = _holder(obj, scopes)
        names.append(found if found is not None and found not in names else f"fit{i + 1}")
    return names


def data_name(data: Any) -> str:
    """The ``data = ...`` of a printed call: ``data.attrs["name"]`` where set
    (the bundled data sets), else the caller's variable holding ``data``,
    else ``data`` (R would print the argument expression)."""
    attrs = getattr(data, "attrs", None)
    name = attrs.get("name") if isinstance(attrs, dict) else None
    if isinstance(name, str) and name:
        return name
    return _holder(data, _caller_scopes()) or "data"
