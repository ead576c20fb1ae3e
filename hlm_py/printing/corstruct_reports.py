"""Placeholder until the structures' printing lands."""

from __future__ import annotations

from typing import Any


def render_corstruct(bound: Any, theta: Any) -> str:
    return bound.text(theta)
