"""The catalogue of golden cases.

A case is declarative: one spec drives both the R code the runner executes and
the Python call that ``hlm_py.verify`` makes, so the two sides cannot drift.
Each kind has a module here (``lm.py``, ``lme.py``, ...) that defines
``CASES: list[Case]`` and ``r_code(case) -> str``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    """One golden case.

    name      unique; the golden is ``golden/<kind>/<name>.json``
    kind      ``"lm"``, ``"lme"`` or ``"model_matrix"``
    data      an R expression that evaluates to the data frame
              (``"mtcars"``, ``"transform(mtcars, cyl = factor(cyl))"``)
    data_name the name the data frame is bound to in R before the call; it is
              what R prints in ``Call:`` (``data = mtcars``)
    args      the call's arguments, shared by both sides: ``formula``,
              ``weights`` (a column name), ``subset`` (an expression that
              R and ``pandas.DataFrame.eval`` read alike), ``na_action``,
              ``contrasts`` (dict variable -> contrast name), and for lme
              ``random``, ``method``, ...
    newdata   columns of a data frame for ``predict`` (dict name -> list)
    outputs   what to compare (kind-specific names; empty = the kind's default set)
    seed      the seed's case this reproduces, if any
    note      why the case exists
    """

    name: str
    kind: str
    data: str
    data_name: str
    args: dict[str, Any]
    newdata: dict[str, list[Any]] | None = None
    outputs: tuple[str, ...] = ()
    seed: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outputs"] = list(self.outputs)
        return d
