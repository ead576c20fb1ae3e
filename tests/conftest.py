"""Shared test set-up: hypothesis profiles, the live-R tier's rules, golden discovery.

The live-R tier (tests marked ``live_r``) needs R (with nlme, lme4, mlmRev)
and rpy2. Locally without them those tests are skipped with the reason. When
``CI`` is set or ``HLM_REQUIRE_R=1``, and live-R tests were selected:

* a missing rpy2 or R is a hard failure of the whole session (not a skip);
* the session fails if any live-R test was skipped, whatever the reason.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

# Registers the hypothesis profiles (dev, ci, thorough) before the plugin reads
# --hypothesis-profile; see tests/hypothesis_profiles.py.
try:
    import hypothesis_profiles  # noqa: F401
except ModuleNotFoundError as exc:  # only its absence is tolerated, not its errors
    if exc.name != "hypothesis_profiles":
        raise

REPO = Path(__file__).resolve().parent.parent
GOLDEN_DIR = REPO / "golden"


def r_required() -> bool:
    """True when a missing R must fail rather than skip (CI, or HLM_REQUIRE_R=1)."""
    ci = os.environ.get("CI", "").strip().lower()
    return (ci not in ("", "0", "false", "no")) or os.environ.get("HLM_REQUIRE_R") == "1"


@functools.cache
def r_unavailable_reason() -> str | None:
    """None when R, its packages and rpy2 work here; else why not."""
    try:
        import rpy2  # noqa: F401
    except ImportError as exc:
        return f"rpy2 is not installed ({exc}); pip install -e '.[r,test]'"
    try:
        from r_reference import rsession

        rr = rsession.r()
        missing = [
            p for p in ("nlme", "lme4", "mlmRev")
            if not bool(rr(f'requireNamespace("{p}", quietly = TRUE)')[0])
        ]
    except Exception as exc:  # any failure to start R is the reason
        return f"R does not start under rpy2: {type(exc).__name__}: {exc}"
    if missing:
        return f"R packages missing: {', '.join(missing)} (apt-get install r-cran-...)"
    return None


@pytest.hookimpl(trylast=True)  # after -m/-k deselection: only selected tests count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    live = [item for item in items if item.get_closest_marker("live_r")]
    if not live:
        return
    reason = r_unavailable_reason()
    if reason is None:
        return
    if r_required():
        raise pytest.UsageError(
            f"live-R tests were selected and R is required here (CI or HLM_REQUIRE_R=1), "
            f"but: {reason}"
        )
    skip = pytest.mark.skip(reason=f"live-R tier skipped: {reason}")
    for item in live:
        item.add_marker(skip)


_SKIPPED_LIVE: list[str] = []
_RAN_LIVE: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "live_r" not in report.keywords:
        return
    if report.skipped and not hasattr(report, "wasxfail"):
        # an xfail (a declared difference) is reported, not skipped; anything
        # else that did not run counts against the tier
        _SKIPPED_LIVE.append(report.nodeid)
    elif report.when == "call":
        _RAN_LIVE.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not r_required() or not _SKIPPED_LIVE:
        return
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    msg = (f"{len(_SKIPPED_LIVE)} live-R test(s) were skipped, and R is required here "
           f"(CI or HLM_REQUIRE_R=1): " + ", ".join(_SKIPPED_LIVE[:5]))
    if tr is not None:
        tr.write_line(msg, red=True, bold=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return GOLDEN_DIR
