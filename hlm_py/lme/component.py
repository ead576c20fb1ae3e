"""Model components of an lme fit: nlme's ``modelStruct`` and its ``reStruct``.

nlme assembles a fit's variance-covariance model from components (its
``modelStruct``: an ``reStruct`` for the random effects, later a ``corStruct``
for within-group correlation and a ``varFunc`` for heteroscedasticity). Each
component owns a block of the parameter vector and answers, for its block,
the questions the fit and its reports ask. :class:`ModelComponent` is that
interface; :class:`ReStruct` implements it for the random effects.

The interface and what each member means are in :mod:`hlm_py.structs.base`.

The criterion (:mod:`hlm_py.lme.criterion`) takes an ``ReStruct``; a later
component joins it as another block of ``theta`` with its contribution.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hlm_py.lme.pdmat import PdClass
from hlm_py.structs.base import ModelComponent

__all__ = ["ModelComponent", "ReStruct"]


class ReStruct:
    """nlme's ``reStruct``: one pd class per grouping level (outer to inner,
    where nlme lists them inner to outer) with the level's number of random
    effects ``q``.

    ``theta`` is the concatenation of the levels' parameters, outer to inner;
    each level's parametrises its ``Psi_l`` relative to ``sigma^2`` (nlme's
    ``coef(fit$modelStruct$reStruct)`` up to the order of the levels).
    ``names`` are the grouping factors' names, ``effects`` the random
    effects' names per level and ``formulas`` the levels' formulas without
    ``~`` (both for the constrained names; defaults ``L1, L2, ...`` and
    ``(1), (2), ...``).
    """

    def __init__(self, pds: Sequence[PdClass], q: Sequence[int],
                 names: Sequence[str] | None = None,
                 effects: Sequence[Sequence[str]] | None = None,
                 formulas: Sequence[str] | None = None):
        if len(pds) != len(q):
            raise ValueError(f"{len(pds)} pd classes for {len(q)} levels")
        self.pd = list(pds)
        self.q = [int(k) for k in q]
        self.names = list(names) if names is not None \
            else [f"L{i + 1}" for i in range(len(self.pd))]
        self.effects = [list(e) for e in effects] if effects is not None \
            else [[f"({j + 1})" for j in range(k)] for k in self.q]
        self.formulas = list(formulas) if formulas is not None \
            else [" + ".join(e) for e in self.effects]
        self.sizes = [c.n_params(k) for c, k in zip(self.pd, self.q)]
        self.offsets = np.r_[0, np.cumsum(self.sizes)].astype(int)

    def __len__(self) -> int:
        return len(self.pd)

    def __repr__(self) -> str:
        levels = ", ".join(f"{n}: {c!r} (q={k})" for n, c, k in zip(self.names, self.pd, self.q))
        return f"ReStruct({levels})"

    @property
    def n_params(self) -> int:
        return int(self.offsets[-1])

    def param_names(self) -> list[str]:
        """nlme's names of the levels' parameters (``reStruct.g1``, ...), outer to inner."""
        out: list[str] = []
        for c, n, k in zip(self.pd, self.names, self.q):
            out += c.param_names(n, k)
        return out

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        """``theta`` cut into the levels' parameters (outer to inner)."""
        theta = np.asarray(theta, dtype=float)
        return [theta[self.offsets[i]:self.offsets[i + 1]] for i in range(len(self.pd))]

    def matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        """The relative covariance matrices ``Psi_l`` (R's ``pdMatrix``), outer to inner."""
        return [c.matrix(t, k) for c, t, k in zip(self.pd, self.split(theta), self.q)]

    def roots(self, theta: np.ndarray) -> list[np.ndarray]:
        """Factors ``Lambda_l`` with ``Lambda_l Lambda_l' = Psi_l``."""
        return [c.root(t, k) for c, t, k in zip(self.pd, self.split(theta), self.q)]

    def root_jacobians(self, theta: np.ndarray) -> list[np.ndarray]:
        """``d Lambda_l / d theta`` per level, ``(k_l, q_l, q_l)``."""
        return [c.root_jacobian(t, k) for c, t, k in zip(self.pd, self.split(theta), self.q)]

    def params(self, psis: Sequence[np.ndarray]) -> np.ndarray:
        """``theta`` of given ``Psi_l`` matrices (outer to inner)."""
        parts = [c.params(np.asarray(m, dtype=float)) for c, m in zip(self.pd, psis)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def coef(self, theta: np.ndarray, unconstrained: bool = True) -> np.ndarray:
        """nlme's ``coef(reStruct, unconstrained)``: ``theta`` itself, or the
        constrained values ``intervals`` reports (per level, of the natural
        parameters of ``Psi_l``: SDs and correlations relative to sigma)."""
        theta = np.asarray(theta, dtype=float)
        if unconstrained:
            return theta.copy()
        parts = [c.constrained(c.natural_of_matrix(m), k)
                 for c, m, k in zip(self.pd, self.matrices(theta), self.q)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def constrained_names(self) -> list[str]:
        """The names of :meth:`coef` ``(unconstrained=False)``."""
        out: list[str] = []
        for c, e, f in zip(self.pd, self.effects, self.formulas):
            out += c.constrained_names(list(e), f)
        return out

    def log_scales(self) -> list[int]:
        """Indices of ``theta`` that are log scales (each class's
        :meth:`~hlm_py.lme.pdmat.PdClass.theta_log_scales`)."""
        out: list[int] = []
        for c, k, off in zip(self.pd, self.q, self.offsets):
            out += [int(off) + j for j in c.theta_log_scales(k)]
        return out

    def text(self, theta: np.ndarray) -> str:
        """A plain description: per level its structure and ``Psi_l`` (relative
        to sigma^2)."""
        lines = []
        for c, n, m, e in zip(self.pd, self.names, self.matrices(theta), self.effects):
            lines.append(f"{n}: {c.structure}")
            width = max(len(x) for x in e)
            for name, row in zip(e, m):
                lines.append(f"  {name:<{width}} " + " ".join(f"{v: .6g}" for v in row))
        return "\n".join(lines)
