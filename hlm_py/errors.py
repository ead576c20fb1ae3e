"""Errors raised by hlm_py.

Every error a user can provoke with bad input is a subclass of
:class:`HlmError`, itself a :class:`ValueError`, with a message worded as R
words it (or more clearly).
"""

from __future__ import annotations


class HlmError(ValueError):
    """Base class of every error hlm_py raises on bad input."""


class FormulaParseError(HlmError):
    """A formula that does not parse; the message names the position."""

    def __init__(self, message: str, formula: str = "", position: int | None = None):
        self.formula = formula
        self.position = position
        if position is not None and formula:
            caret = " " * position + "^"
            message = f"{message} at position {position + 1}\n  {formula}\n  {caret}"
        super().__init__(message)


class UnknownVariableError(HlmError):
    """R: ``object 'x' not found``."""


class MissingValueError(HlmError):
    """NA under ``na_action="na.fail"`` (R: ``missing values in object``)."""


class NonFiniteError(HlmError):
    """NaN/Inf where R refuses them (R: ``NA/NaN/Inf in 'x'``)."""


class ComplexVariableError(HlmError):
    """A complex data column (R: ``complex variables are not currently allowed
    in model matrices``); ``variable`` names it."""

    def __init__(self, name: object):
        self.variable = str(name)
        super().__init__(f"invalid type (complex) for variable '{self.variable}': complex "
                         "variables are not currently allowed in model matrices")


class NewLevelError(HlmError):
    """A factor level in new data that the fit never saw."""


class SingularFitError(HlmError):
    """A design that cannot be fitted (singular fixed effects in lme, ...).

    Refused at lme's estimates, it carries them: ``relative_residual`` (the
    first negligible column's), ``psi`` (relative, per level outer to inner)
    and ``loglik``; None otherwise."""

    relative_residual: float | None = None
    psi: list | None = None
    loglik: float | None = None


class ConvergenceError(HlmError):
    """An optimiser that did not converge; the message gives the iterations used.

    ``degenerate``: the likelihood grows toward a residual SD of 0 (lme,
    ``docs/differences.md``, P8); ``psi`` and ``loglik`` then give a point
    on the way."""

    degenerate: bool = False
    psi: list | None = None
    loglik: float | None = None


class UnboundedLikelihoodError(HlmError):
    """The log-likelihood has no maximum (ML; corSymm REML too): a
    structure's parameter heads to the edge of its space where the fixed
    effects fit the observations whose variance vanishes exactly
    (:mod:`hlm_py.structs.unbounded`). nlme returns wherever its optimiser
    stopped there.

    ``component``: ``"varStruct"`` or ``"corStruct"``; ``detail``: the
    stratum (varIdent: ``stratum``, ``reference``, ``n`` rows), the bound
    (corCompSymm: ``bound``, ``groups`` of the largest ``size``) or the
    singular limit (corSymm: ``class``, ``positions``, ``groups``, ``rate``,
    ``limit``)."""

    component: str = ""
    detail: dict | None = None


class GroupingError(HlmError):
    """A grouping factor that cannot carry the random effects asked for."""


class NotAvailableError(HlmError, NotImplementedError):
    """A part of API.md that this version of hlm_py does not implement."""
