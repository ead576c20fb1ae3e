"""The within-group structures of a fit together: nlme's corStruct and
varStruct as one block of parameters (``coef(fit$modelStruct)`` after the
reStruct), and the whitening of rows by both, as nlme's ``recalc`` does.

gls and lme both hold their structures as ``(name, bound component)`` pairs
in nlme's order (``corStruct``, then ``varStruct``); these functions are
their one home.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["components", "names", "start", "split", "whiten"]

Components = list[tuple[str, Any]]


def components(cor: Any, var: Any) -> Components:
    """``(name, bound component)`` of the structures present, in nlme's order."""
    out: Components = []
    if cor is not None:
        out.append(("corStruct", cor))
    if var is not None:
        out.append(("varStruct", var))
    return out


def names(comps: Components) -> list[str]:
    """nlme's names of the structures' part of ``coef(fit$modelStruct)``."""
    out: list[str] = []
    for _, c in comps:
        if c.n_params:
            out += list(c.param_names())
    return out


def start(comps: Components) -> np.ndarray:
    """nlme's starting values of the structures' parameters."""
    parts = [np.asarray(c.start, dtype=float) for _, c in comps]
    return np.concatenate(parts) if parts else np.zeros(0)


def split(comps: Components, theta: np.ndarray, what: str = "the structures") -> dict[str, np.ndarray]:
    """``theta`` cut into the components' blocks, by component name."""
    theta = np.asarray(theta, dtype=float).ravel()
    n = sum(c.n_params for _, c in comps)
    if theta.size != n:
        raise HlmError(f"{what}: theta must have {n} values "
                       f"({', '.join(names(comps)) or 'none'}), not {theta.size}")
    out: dict[str, np.ndarray] = {}
    at = 0
    for name, c in comps:
        out[name] = theta[at:at + c.n_params]
        at += c.n_params
    return out


def whiten(comps: Components, blocks: dict[str, np.ndarray], M: np.ndarray
           ) -> tuple[np.ndarray, float]:
    """Rows ``M`` whitened as nlme's ``recalc`` (the variance weights, then
    each correlation group's factor) and the structures' log-likelihood."""
    ll = 0.0
    for name, c in comps[::-1]:  # varStruct first, as recalc.modelStruct
        if name == "varStruct":
            w = np.asarray(c.weights(blocks[name]), dtype=float)
            M = M * (w[:, None] if M.ndim == 2 else w)
        else:
            M = c.whiten(blocks[name], M)
        ll += float(c.loglik(blocks[name]))
    return M, ll
