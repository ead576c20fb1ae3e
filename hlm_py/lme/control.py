"""``lmeControl``: the settings of an lme fit, with nlme's names.

Mirrors ``nlme::lmeControl``. Its counts bound hlm_py's own optimiser, which
differs from nlme's (``docs/internals.md``, "lme in stages"):

maxIter       quasi-Newton iterations of each run (nlme: outer iterations, 50);
              ``None``: hlm_py's limit, 500
msMaxIter     Newton iterations of each run (nlme: nlminb's iterations, 50);
              ``None``: hlm_py's limit, 100
niterEM       nlme's EM iterations before the optimiser (25)
returnObject  a fit that did not converge is returned with a warning instead
              of raising ``ConvergenceError``

Where ``maxIter`` or ``msMaxIter`` is given, a fit that stops at that limit is
not made again on the QR elimination (the user asked for the early stop).
The other names of ``lmeControl`` are accepted and have no effect: hlm_py
always iterates to convergence and computes ``apVar`` on request. ``sigma``
(a fixed residual SD) is not supported and raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["LmeControl", "lmeControl", "as_control"]

_COUNTS = ("maxIter", "msMaxIter", "niterEM", "msMaxEval")


@dataclass(frozen=True)
class LmeControl:
    """nlme's ``lmeControl`` list (see the module docstring for what each does here)."""

    maxIter: int | None = None  # noqa: N815 - nlme's names
    msMaxIter: int | None = None  # noqa: N815
    niterEM: int = 25  # noqa: N815
    returnObject: bool = False  # noqa: N815
    tolerance: float = 1e-6
    msMaxEval: int = 200  # noqa: N815
    msTol: float = 1e-7  # noqa: N815
    msVerbose: bool = False  # noqa: N815
    gradHess: bool = True  # noqa: N815
    apVar: bool = True  # noqa: N815
    relStep: float = float(np.finfo(float).eps ** (1 / 3))  # noqa: N815
    minAbsParApVar: float = 0.05  # noqa: N815
    opt: str = "nlminb"
    optimMethod: str = "BFGS"  # noqa: N815
    natural: bool = True
    sigma: float | None = None
    allow_n_lt_q: bool = False

    def __post_init__(self) -> None:
        for name in _COUNTS:
            v = getattr(self, name)
            if v is None and name in ("maxIter", "msMaxIter"):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(v) or v < 0 or v != int(v):
                raise HlmError(f"lmeControl: '{name}' must be a non-negative whole number, "
                               f"not {v!r}")
            object.__setattr__(self, name, int(v))
        if not isinstance(self.returnObject, (bool, np.bool_)):
            raise HlmError(f"lmeControl: 'returnObject' must be TRUE or FALSE, not "
                           f"{self.returnObject!r}")
        if self.opt not in ("nlminb", "optim"):
            raise HlmError(f"lmeControl: 'opt' should be one of \"nlminb\", \"optim\", not "
                           f"{self.opt!r}")
        if self.sigma is not None and self.sigma != 0:
            raise HlmError("lmeControl: a fixed residual standard deviation ('sigma') is not "
                           "supported")

    @property
    def user_limits(self) -> bool:
        """Whether the iteration limits were given (an early stop is then the user's)."""
        return self.maxIter is not None or self.msMaxIter is not None

    @property
    def max_iter(self) -> int:
        return 500 if self.maxIter is None else self.maxIter

    @property
    def max_newton(self) -> int:
        return 100 if self.msMaxIter is None else self.msMaxIter

    def given(self) -> dict[str, Any]:
        """The settings that differ from the defaults (for ``update``)."""
        default = LmeControl()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}


_NAMES = tuple(f.name for f in fields(LmeControl))


def lmeControl(**settings: Any) -> LmeControl:  # noqa: N802 - nlme's name
    """nlme's ``lmeControl(...)``: ``hlm.lmeControl(niterEM=0, returnObject=True)``.

    ``allow.n.lt.q`` is spelled ``allow_n_lt_q`` and ``.relStep`` ``relStep``.
    """
    bad = [k for k in settings if k not in _NAMES]
    if bad:
        raise HlmError(f"lmeControl: unknown setting(s) {', '.join(map(repr, bad))}; "
                       f"the settings are {', '.join(_NAMES)}")
    return LmeControl(**settings)


def as_control(control: LmeControl | Mapping[str, Any] | None) -> LmeControl:
    """An ``lme(control=)`` argument: an :class:`LmeControl`, a dict of its
    names (R's ``control = list(...)``) or ``None``."""
    if control is None:
        return LmeControl()
    if isinstance(control, LmeControl):
        return control
    if not isinstance(control, Mapping):
        raise HlmError(f"'control' must be a dict of lmeControl settings such as "
                       f"{{'niterEM': 0}}, or hlm.lmeControl(...), not {control!r}")
    return lmeControl(**{str(k): v for k, v in control.items()})
