"""``glsControl``: the settings of a gls fit, with nlme's names.

Mirrors ``nlme::glsControl``. hlm_py optimises with its own quasi-Newton
method and always iterates to convergence (``docs/internals.md``, "gls"), so
the counts bound it differently from nlme:

maxIter       outer iterations of a variance function on ``fitted(.)``
              (nlme's loop that refits with the covariate updated), 50
msMaxIter     quasi-Newton iterations of each optimisation (nlme: nlminb's
              iterations, 200)
tolerance     the outer loop's relative change in the coefficients and
              parameters, as nlme (1e-6)
singular.ok   a rank-deficient model matrix is an error unless true
returnObject  a fit that did not converge is returned with a warning
apVar         whether ``fit.apVar`` is computed (it is on request anyway)

``msTol``, ``msVerbose``, ``.relStep``, ``opt``, ``optimMethod``,
``minAbsParApVar`` and ``natural`` are accepted; ``relStep``,
``minAbsParApVar`` and ``natural`` set apVar's numerical Hessian as in nlme.
``sigma`` (a fixed residual SD) is not supported and raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from hlm_py.errors import HlmError

__all__ = ["GlsControl", "glsControl", "as_gls_control"]


@dataclass(frozen=True)
class GlsControl:
    """nlme's ``glsControl`` list (see the module docstring for what each does here)."""

    maxIter: int = 50  # noqa: N815 - nlme's names
    msMaxIter: int = 200  # noqa: N815
    tolerance: float = 1e-6
    msTol: float = 1e-7  # noqa: N815
    msVerbose: bool = False  # noqa: N815
    singular_ok: bool = False
    returnObject: bool = False  # noqa: N815
    apVar: bool = True  # noqa: N815
    relStep: float = float(np.finfo(float).eps ** (1 / 3))  # noqa: N815
    opt: str = "nlminb"
    optimMethod: str = "BFGS"  # noqa: N815
    minAbsParApVar: float = 0.05  # noqa: N815
    natural: bool = True
    sigma: float | None = None

    def __post_init__(self) -> None:
        for name in ("maxIter", "msMaxIter"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(v) or v < 0 or v != int(v):
                raise HlmError(f"glsControl: '{name}' must be a non-negative whole number, "
                               f"not {v!r}")
            object.__setattr__(self, name, int(v))
        for name in ("tolerance", "msTol", "relStep", "minAbsParApVar"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(v) or v < 0:
                raise HlmError(f"glsControl: '{name}' must be a non-negative number, not {v!r}")
        for name in ("singular_ok", "returnObject", "apVar", "natural", "msVerbose"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise HlmError(f"glsControl: '{name}' must be TRUE or FALSE, not "
                               f"{getattr(self, name)!r}")
        if self.opt not in ("nlminb", "optim"):
            raise HlmError(f"glsControl: 'opt' should be one of \"nlminb\", \"optim\", not "
                           f"{self.opt!r}")
        if self.sigma is not None and self.sigma != 0:
            raise HlmError("glsControl: a fixed residual standard deviation ('sigma') is not "
                           "supported")


#: R's spellings with a dot (``singular.ok``, ``.relStep``) -> the field
_ALIASES = {"singular.ok": "singular_ok", ".relStep": "relStep"}


def glsControl(**settings: Any) -> GlsControl:  # noqa: N802 - nlme's name
    """nlme's ``glsControl(...)``; R's dotted names (``singular.ok``,
    ``.relStep``) are accepted as they are. An unknown name raises."""
    names = {f.name for f in fields(GlsControl)}
    out: dict[str, Any] = {}
    for k, v in settings.items():
        key = _ALIASES.get(k, k)
        if key not in names:
            raise HlmError(f"glsControl: unknown setting '{k}'; nlme's settings are "
                           + ", ".join(sorted(names)))
        out[key] = v
    return GlsControl(**out)


def as_gls_control(control: GlsControl | Mapping[str, Any] | None) -> GlsControl:
    """A ``gls(control=)`` argument: a :class:`GlsControl`, a dict of its names
    (R's ``control = list(...)``) or ``None``."""
    if control is None:
        return GlsControl()
    if isinstance(control, GlsControl):
        return control
    if not isinstance(control, Mapping):
        raise HlmError(f"'control' must be a dict of glsControl settings such as "
                       f"{{'maxIter': 100}}, or hlm.glsControl(...), not {control!r}")
    return glsControl(**{str(k): v for k, v in control.items()})
