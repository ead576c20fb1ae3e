"""What every kind of golden case shares: the data rebuilt, the case's
context, and the table-driven production of its quantities.

:class:`CaseContext` reads a golden's case, arguments, data (checked against
the golden's sha256) and new data; each kind's context
(:mod:`hlm_py.verify.lm_cases`, :mod:`hlm_py.verify.lme_cases`) adds its
fits. :func:`produce` computes each quantity of a table on its own: one that
raises is returned as the exception, so the others still run; a key with no
entry in the table is returned as a :class:`NotImplementedError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from hlm_py import datasets
from hlm_py.errors import HlmError
from hlm_py.verify.goldens import golden_targets

__all__ = ["CaseContext", "DataChecksumError", "all_failed", "case_name", "new_data", "produce",
           "rebuild_data"]


class DataChecksumError(HlmError):
    """The data rebuilt from a golden is not the data R used."""


def case_name(golden: dict[str, Any]) -> str:
    """The golden's case name (``"?"`` when it has none)."""
    case = golden.get("case") or {}
    return str(case.get("name") or "?")


def rebuild_data(golden: dict[str, Any]) -> pd.DataFrame:
    """The case's data frame, from the golden's embedded columns or a shipped
    data set, checked against the golden's sha256 and named as in R's call."""
    d = golden["data"]
    if "dataset" in d:
        df = datasets.load(d["dataset"])
    else:
        df = datasets.from_repr(d)
    want = d.get("sha256")
    if not want:
        raise DataChecksumError(f"golden {case_name(golden)!r}: data has no sha256")
    got = datasets.checksum(df)
    if got != want:
        raise DataChecksumError(
            f"golden {case_name(golden)!r}: data sha256 {got} is not the golden's {want}"
        )
    case = golden.get("case") or {}
    df.attrs["name"] = case.get("data_name") or d.get("name") or "data"
    return df


def new_data(newdata: dict[str, list[Any]] | None) -> pd.DataFrame | None:
    """The case's ``newdata`` as R's ``data.frame(...)`` of it (character stays
    character; factors get their levels from the fit, as in R's predict)."""
    if not newdata:
        return None
    cols: dict[str, Any] = {}
    for name, values in newdata.items():
        if all(isinstance(v, str) or v is None for v in values):
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            cols[name] = arr
        elif all(isinstance(v, bool) or v is None for v in values):
            cols[name] = pd.array(values, dtype="boolean")
        else:
            cols[name] = np.array([math.nan if v is None else float(v) for v in values])
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1))


class CaseContext:
    """What every kind's context reads from a golden: the case, its arguments,
    the data rebuilt and the new data (None when the case has none)."""

    def __init__(self, golden: dict[str, Any]):
        self.golden = golden
        self.case = golden["case"]
        self.args = dict(self.case["args"])
        self.data = rebuild_data(golden)
        self.newdata = new_data(self.case.get("newdata"))


C = TypeVar("C", bound=CaseContext)


def _missing(key: str, kind: str) -> NotImplementedError:
    return NotImplementedError(
        f"no Python counterpart for the {kind} golden key {key!r} "
        f"(add one to hlm_py.verify.lm_cases or lme_cases)"
    )


def produce(table: Mapping[str, Callable[[C], Any]], keys: Iterable[str], ctx: C,
            kind: str) -> dict[str, Any]:
    """Each key's quantity from ``table`` applied to ``ctx``; an exception it
    raises, or a :class:`NotImplementedError` for a key not in the table, is
    the value instead."""
    out: dict[str, Any] = {}
    for key in keys:
        fn = table.get(key)
        if fn is None:
            out[key] = _missing(key, kind)
            continue
        try:
            out[key] = fn(ctx)
        except Exception as exc:  # reported as a failed quantity, never hidden
            out[key] = exc
    return out


def all_failed(golden: dict[str, Any], kind: str, exc: BaseException) -> dict[str, Any]:
    """Every quantity and printed text of ``golden`` failed with ``exc`` (the fit
    itself failed)."""
    keys = golden_targets(kind, golden).keys()
    return {"results": {k: exc for k in keys},
            "printed": {k: exc for k in (golden.get("printed") or {})}}
