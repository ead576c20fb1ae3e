"""The base of every printable result.

A result object (``summary``, ``anova``, ``VarCorr``, ...) derives from
:class:`RReport`. Printing it looks up a renderer that ``hlm_py.printing``
registers for its class, so the fit layers never import the printing layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

# each renderer takes instances of its class (so Any, not object)
_RENDERERS: dict[type, Callable[[Any], str]] = {}


def register_renderer(cls: type, fn: Callable[[Any], str]) -> None:
    """Register ``fn(obj) -> str`` as the printed form of instances of ``cls``."""
    _RENDERERS[cls] = fn


def render(obj: object) -> str:
    """The text R prints for ``obj`` (no trailing newline)."""
    for klass in type(obj).__mro__:
        fn = _RENDERERS.get(klass)
        if fn is not None:
            return fn(obj)
    raise TypeError(f"no R-style renderer registered for {type(obj).__name__}")


class RReport:
    """Mixin: ``print(obj)`` prints what R prints for the same call."""

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        return render(self)


class RDataFrame(pd.DataFrame):
    """A ``pd.DataFrame`` that prints as R's ``print.data.frame`` (e.g. the
    table of ``AIC(m1, m2)``). Operations on it return plain DataFrames."""

    @property
    def _constructor(self):
        return pd.DataFrame

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        return render(self)

    def to_frame(self) -> pd.DataFrame:
        """The plain ``pd.DataFrame``, full precision."""
        return pd.DataFrame(self)
