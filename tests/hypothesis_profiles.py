"""Hypothesis profiles of hlm_py's property and differential tests.

Profiles
--------
``ci``
    The default for the property tier (``tests/property``) and the
    differential tests (``tests/live_r/test_differential_*.py``), in CI and
    locally. Sized so that all of them together run in about 3-4 minutes on a
    2-core machine. Not derandomized (``derandomize=True`` would switch the
    example database off), so every run explores new examples *and* replays
    the committed ones.
``thorough``
    Long runs (30 minutes and more): 40x the examples of ``ci``. Select it with
    ``--hypothesis-profile=thorough`` (e.g. ``tox -e r -- --hypothesis-profile=thorough``)
    or with the environment variable ``HLM_HYPOTHESIS_PROFILE=thorough``.
``dev``
    A quick smoke run (a handful of examples per test).

The example database
--------------------
Every profile stores and replays examples in ``.hypothesis/examples`` at the
top of the repository (a :class:`DirectoryBasedExampleDatabase`). That
directory is committed: a failing example found anywhere is saved there, and
once committed it is replayed first by every later run, in CI included, until
the bug it shows is fixed.

Registration and selection
--------------------------
Importing this module registers the profiles. ``--hypothesis-profile=NAME``
is read by Hypothesis's pytest plugin at ``pytest_configure`` time, before
``tests/property/conftest.py`` is imported, so for that option to know
``thorough`` this module must be imported by the top-level
``tests/conftest.py`` (one line: ``import hypothesis_profiles  # noqa: F401``).
Without that hook, ``HLM_HYPOTHESIS_PROFILE=thorough`` selects it. When no
profile was chosen (Hypothesis's own ``default``, or its built-in ``ci`` that it
loads when the ``CI`` variable is set), ``ci`` below is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.database import DirectoryBasedExampleDatabase

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = REPO_ROOT / ".hypothesis" / "examples"
DATABASE = DirectoryBasedExampleDatabase(str(EXAMPLES_DIR))

#: examples per test in the ``ci`` profile; tests scale it with :func:`examples`
CI_EXAMPLES = 25

#: every phase but ``explain``: its line tracer (``sys.settrace``) slows each
#: example several times over, and the reproducer says more than it does
PHASES = tuple(p for p in Phase if p is not Phase.explain)

_COMMON = dict(
    database=DATABASE,
    phases=PHASES,
    deadline=None,  # a fit's time depends on R start-up and the machine's load
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

settings.register_profile("ci", max_examples=CI_EXAMPLES, **_COMMON)
settings.register_profile(
    "thorough",
    max_examples=CI_EXAMPLES * 40,
    verbosity=Verbosity.normal,
    **_COMMON,
)
settings.register_profile("dev", max_examples=5, **_COMMON)

def select_profile() -> str:
    """Load the profile asked for (environment, command line), else ``ci``.

    A profile chosen with ``--hypothesis-profile`` is already loaded when this
    runs and is kept; Hypothesis's ``default`` and its built-in ``ci`` are
    replaced by ours.
    """
    wanted = os.environ.get("HLM_HYPOTHESIS_PROFILE")
    if wanted:
        settings.load_profile(wanted)
        return wanted
    current = settings.get_current_profile_name()
    if current == "default":
        settings.load_profile("ci")
        return "ci"
    if current == "ci":
        # our re-registration of "ci" replaced Hypothesis's built-in one
        settings.load_profile("ci")
    return current


def examples(factor: float) -> int:
    """``factor`` times the current profile's ``max_examples`` (at least 1).

    Tests whose examples are expensive (an lme fit, R calls) take a fraction,
    so that the profile's budget holds for the whole tier.
    """
    return max(1, round(settings().max_examples * factor))


PROFILE = select_profile()
