"""Which parts of hlm_py this installation implements.

``hlm_py`` exposes every name of API.md; a part whose layer has not landed is
a stub that raises ``NotAvailableError`` (an ``HlmError``). The tests must
not mistake that for "hlm_py refused the input", so they ask here first.
"""

from __future__ import annotations

from typing import Any


def implemented(fn: Any) -> bool:
    """False for hlm_py's placeholder of a part that is not implemented."""
    doc = getattr(fn, "__doc__", None) or ""
    return not (getattr(fn, "__module__", "") == "hlm_py" and doc.startswith("Not available"))


def missing_reason(name: str) -> str | None:
    """None when ``hlm_py.<name>`` is implemented, else a skip reason."""
    import hlm_py as hlm

    fn = getattr(hlm, name, None)
    if fn is None or not implemented(fn):
        return f"hlm_py.{name} is not implemented in this installation yet"
    return None
