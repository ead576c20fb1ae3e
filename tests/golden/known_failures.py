"""Differences from R that are known and declared (docs/differences.md).

Each entry ``(kind, case, quantity, reason)`` turns the golden test of that
quantity into a *strict* expected failure: it still runs, it is reported as
xfail, and it fails the run the day hlm_py agrees with R (XPASS), so that the
entry -- and docs/differences.md -- must then be removed. ``case`` and
``quantity`` are ``fnmatch`` patterns (``"printed:*"``). An entry needs a
matching row in docs/differences.md.
"""

from __future__ import annotations

KNOWN_FAILURES: list[tuple[str, str, str, str]] = [
    # ("lm", "some_case", "printed:summary",
    #  "docs/differences.md #N: why"),
]
