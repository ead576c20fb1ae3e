"""A variance function bound in nlme's row order, used in the fit's.

nlme sorts a fit's rows by group before it initialises the variance
function (gls by the correlation groups, lme by its grouping), and a
``varIdent``'s reference stratum (and the order of any strata) is the first
met in that order. :class:`Reordered` binds the structure on the sorted rows
and presents it on the fit's rows: weights are put back in the fit's order,
fitted values given to ``update`` are put in nlme's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hlm_py.structs.base import BoundVarFunc, VarFuncSpec

__all__ = ["Reordered", "bind_in_order"]


class Reordered:
    """``bound`` (made on the rows ``order`` of the fit's) on the fit's rows."""

    def __init__(self, bound: BoundVarFunc, order: np.ndarray):
        self.bound = bound
        self.order = np.asarray(order, dtype=np.int64)
        self.inverse = np.empty_like(self.order)
        self.inverse[self.order] = np.arange(self.order.size)
        self.start = bound.start
        self.needs_update = bound.needs_update

    def __getattr__(self, name: str):  # everything else is the bound structure's
        return getattr(self.bound, name)

    @property
    def n_params(self) -> int:
        return self.bound.n_params

    def weights(self, theta: np.ndarray) -> np.ndarray:
        return np.asarray(self.bound.weights(theta), dtype=float)[self.inverse]

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        return [self.weights(theta)]

    def update(self, fitted: np.ndarray) -> Reordered:
        return Reordered(self.bound.update(np.asarray(fitted, dtype=float)[self.order]),
                         self.order)


def bind_in_order(spec: VarFuncSpec, data: pd.DataFrame, order: np.ndarray | None) -> BoundVarFunc:
    """``spec`` bound as nlme binds it: on ``data``'s rows in ``order``
    (None, or the identity: in data order)."""
    if order is None or np.array_equal(order, np.arange(len(data))):
        return spec.bind(data)
    return Reordered(spec.bind(data.iloc[order]), order)  # type: ignore[return-value]
