"""nlme's variance functions and correlation structures: not implemented yet.

API.md names ``varIdent``, ``varPower``, ``corAR1`` and ``corCompSymm``
(nlme's ``varFunc`` and ``corStruct`` classes). hlm_py does not fit them yet,
so each constructor raises :class:`~hlm_py.errors.NotAvailableError` at once,
rather than returning an object that ``lme`` would reject later.
"""

from __future__ import annotations

from typing import Any

from hlm_py.errors import NotAvailableError


def _not_available(name: str, r_class: str):
    def constructor(*args: Any, **kwargs: Any) -> Any:
        raise NotAvailableError(
            f"hlm_py.{name}: nlme's {r_class} {name}() is not implemented in this version of hlm_py"
        )

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = f"nlme's ``{name}`` ({r_class}): not implemented; raises NotAvailableError."
    return constructor


varIdent = _not_available("varIdent", "variance function")
varPower = _not_available("varPower", "variance function")
corAR1 = _not_available("corAR1", "correlation structure")
corCompSymm = _not_available("corCompSymm", "correlation structure")
