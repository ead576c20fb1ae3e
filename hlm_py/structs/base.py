"""The interfaces of nlme's model components, as the fits use them.

nlme assembles the variance-covariance model of a fit from components (its
``modelStruct``: ``reStruct``, ``corStruct``, ``varStruct``). Each component
owns a block of the optimiser's parameter vector ``theta`` (nlme's
unconstrained ``coef(component)``) and answers, for its block, what the
criterion and the reports ask.

Two stages, as nlme's constructor and ``Initialize``:

* a **spec** (:class:`VarFuncSpec`, :class:`CorStructSpec`) is what the user
  writes, ``hlm.varIdent(form="~ 1 | Sex")``: form, ``value``, ``fixed``; it
  knows the data variables it needs (so the model frame holds them, with the
  fit's NA handling) and binds to the fit's rows;
* a **bound** component (:class:`BoundVarFunc`, :class:`BoundCorStruct`) is
  the initialised structure on those rows, a :class:`ModelComponent`.

The within-group errors have covariance ``sigma^2 Lambda`` with
``Lambda = W^-1 C W^-1``: ``W = diag(weights)`` from the variance function
(nlme's ``varWeights``: 1 / the SD multiplier) and ``C`` block diagonal by
the correlation groups. The criterion whitens the data as nlme's ``recalc``
does, the variance function first: ``M -> L^-1 W M`` with ``C = L L'`` per
group, and adds the components' ``loglik`` (nlme's ``logLik(varStruct)`` =
``sum(log(weights))``, ``logLik(corStruct)`` = ``-sum(log(diag(L)))``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

__all__ = ["ModelComponent", "VarFuncSpec", "BoundVarFunc", "CorStructSpec", "BoundCorStruct"]


@runtime_checkable
class ModelComponent(Protocol):
    """A component of nlme's ``modelStruct``, bound to a fit's rows.

    ``n_params``
        the length of its block of ``theta`` (free parameters only).
    ``param_names()``
        nlme's names of the block in ``coef(fit$modelStruct)`` (R's
        ``unlist`` names: ``corStruct1``, ``varStruct.power``, ...).
    ``split(theta)``
        the block cut into its parts (one part: ``[theta]``).
    ``coef(theta, unconstrained=True)``
        nlme's ``coef(component, unconstrained)``: the block itself, or the
        constrained values (``intervals`` and ``print`` report these), named
        by ``constrained_names()``.
    ``matrices(theta)``
        what it contributes to the covariance model (``Psi_l`` of each level
        for ``reStruct``; the groups' correlation matrices for a
        ``corStruct``; for a ``varFunc``, ``[weights]``).
    ``text(theta)``
        the component's printed block, as R prints it in ``print`` and
        ``summary`` of a fit.
    """

    @property
    def n_params(self) -> int: ...

    def param_names(self) -> list[str]: ...

    def split(self, theta: np.ndarray) -> list[np.ndarray]: ...

    def coef(self, theta: np.ndarray, unconstrained: bool = True) -> np.ndarray: ...

    def constrained_names(self) -> list[str]: ...

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]: ...

    def text(self, theta: np.ndarray) -> str: ...


@runtime_checkable
class BoundVarFunc(ModelComponent, Protocol):
    """An initialised variance function on ``n`` rows (nlme's ``varFunc``
    after ``Initialize``).

    ``start``: the unconstrained starting block (from ``value=`` or nlme's
    defaults). ``weights(theta)``: nlme's ``varWeights``, shape ``(n,)``.
    ``loglik(theta)``: ``sum(log(weights))``. ``needs_update``: the
    covariate is ``fitted(.)`` (or another fit quantity), so the fit
    iterates; ``update(fitted)`` returns the component with the covariate
    recomputed from the fitted values (nlme's ``update.varFunc``), and until
    the first update the weights are 1. ``text(theta)`` is R's
    ``print(summary(varStruct))`` block (``Variance function:`` ...).
    """

    start: np.ndarray
    needs_update: bool

    def weights(self, theta: np.ndarray) -> np.ndarray: ...

    def loglik(self, theta: np.ndarray) -> float: ...

    def update(self, fitted: np.ndarray) -> BoundVarFunc: ...


@runtime_checkable
class BoundCorStruct(ModelComponent, Protocol):
    """An initialised correlation structure on ``n`` rows (nlme's
    ``corStruct`` after ``Initialize``).

    ``start``: the unconstrained starting block. ``group_codes``: the
    correlation group of each row (``-1``: none; every row is then its own
    group of one). ``whiten(theta, M)``: ``L_i^-1 M_i`` for the rows ``M_i``
    of each group (rows in the fit's order; within a group, in data order),
    where ``C_i = L_i L_i'``; shape of ``M`` kept. ``loglik(theta)``:
    ``-sum_i log det L_i`` (nlme's ``logLik(corStruct)``).
    ``whiten_as_residuals(theta, M)``: nlme's normalized residuals of ``M``
    in data order (``recalc`` with rows matched to groups by their sorted
    positions). ``matrices(theta)``: ``corMatrix``, one per group in level order.
    ``natural(theta)`` / ``from_natural(eta)``: the parametrisation nlme's
    ``apVar`` uses (``corSymm``: Fisher z of each correlation; the others:
    ``theta`` itself).
    """

    start: np.ndarray
    group_codes: np.ndarray

    def whiten(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray: ...

    def whiten_as_residuals(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray: ...

    def loglik(self, theta: np.ndarray) -> float: ...

    def natural(self, theta: np.ndarray) -> np.ndarray: ...

    def from_natural(self, eta: np.ndarray) -> np.ndarray: ...


class VarFuncSpec(Protocol):
    """A variance function as the user writes it (nlme's constructor).

    ``variables(columns)``: the data variables its ``form`` needs (not
    ``fitted(.)``), for the model frame. ``bind(data)``: nlme's
    ``Initialize`` on the fit's rows (``data`` holds them, in the fit's
    order); raises ``HlmError`` in R's words where nlme stops.
    ``deparse()``: the R call, as nlme prints it in a fit's call.
    """

    r_class: str

    def formula(self) -> str: ...

    def variables(self, columns: Sequence[str]) -> list[str]: ...

    def bind(self, data: pd.DataFrame) -> BoundVarFunc: ...

    def deparse(self) -> str: ...


class CorStructSpec(Protocol):
    """A correlation structure as the user writes it (nlme's constructor).

    ``groups_formula()``: the ``| g`` part as a one-sided formula string
    (``"~ Subject"``), or None. ``bind(data, groups)``: nlme's
    ``Initialize`` on the fit's rows; ``groups`` (integer codes per row, or
    None) is given by the fit (``gls``: the structure's own groups; ``lme``:
    the innermost grouping where the form has none); None with a groups
    formula means the spec evaluates its own groups on ``data``.
    """

    r_class: str

    def formula(self) -> str: ...

    def groups_formula(self) -> str | None: ...

    def variables(self, columns: Sequence[str]) -> list[str]: ...

    def bind(self, data: pd.DataFrame, groups: np.ndarray | None = None) -> BoundCorStruct: ...

    def with_groups(self, groups_formula: str) -> CorStructSpec:
        """The spec with its form's ``| g`` part replaced by ``groups_formula``
        (``"~ Subject"``, ``"~ a/b"``), its covariate kept: nlme's lme gives
        a structure without groups (or coarser ones) the random effects'."""
        ...

    def deparse(self) -> str: ...
