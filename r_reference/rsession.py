"""The embedded R session (rpy2): locale, options, packages, versions.

R is started once per Python process, in a UTF-8 locale (``LANG`` and
``LC_ALL`` are set to ``C.UTF-8`` before rpy2 loads R), so that
``useFancyQuotes = TRUE`` gives R's curly quotes in the ``Signif. codes``
line. Numbers do not depend on the locale: ``LC_NUMERIC`` is ``C`` and
``OutDec`` is ``"."``. Collation is ``C.UTF-8`` (ICU's root collation:
``a B c``; ``hlm_py.rbase.collate``), which is what R's ``sort`` -- hence
``factor()`` of a character column -- uses here.
"""

from __future__ import annotations

import os
from typing import Any

# Options every case runs under; recorded in each golden.
R_OPTIONS: dict[str, Any] = {
    "digits": 7,
    "width": 80,
    "OutDec": ".",
    "scipen": 0,
    "useFancyQuotes": True,
    "show.signif.stars": True,
    "na.action": "na.omit",
    "contrasts": ["contr.treatment", "contr.poly"],
    "warn": 0,
}

PACKAGES = ("stats", "nlme", "lme4", "mlmRev")

_R: Any = None


def _r_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        named = ", ".join(_r_literal(v) for v in value)
        return f"c({named})"
    raise TypeError(value)


def options_code() -> str:
    """R code that sets :data:`R_OPTIONS`."""
    parts = [f"{k} = {_r_literal(v)}" for k, v in R_OPTIONS.items()]
    return "options(" + ", ".join(parts) + ")"


def r() -> Any:
    """The ``rpy2.robjects.r`` of the one embedded R, started on first use."""
    global _R
    if _R is not None:
        return _R
    os.environ["LANG"] = "C.UTF-8"
    os.environ["LC_ALL"] = "C.UTF-8"
    os.environ.setdefault("LANGUAGE", "en")
    import rpy2.rinterface_lib.callbacks as callbacks
    import rpy2.robjects as ro

    # R's console output is not ours to show: printed texts are captured
    # with capture.output inside R.
    callbacks.consolewrite_print = lambda s: None
    callbacks.consolewrite_warnerror = lambda s: None
    rr = ro.r
    # return values even when R marks them invisible; warnings are collected
    # by the runner, not printed by rpy2
    rr._invisible = False
    rr._print_r_warnings = False
    rr('invisible(Sys.setlocale("LC_ALL", "C.UTF-8"))')
    rr('invisible(Sys.setlocale("LC_NUMERIC", "C"))')
    rr(options_code())
    rr("suppressPackageStartupMessages(library(nlme))")
    if not bool(rr('l10n_info()[["UTF-8"]]')[0]):
        raise RuntimeError("the embedded R does not run in a UTF-8 locale")
    _R = rr
    return rr


def reset_options() -> None:
    """Set :data:`R_OPTIONS` again (a case may have changed them)."""
    r()(options_code())


def r_info() -> dict[str, Any]:
    """R's version string, the package versions, the locale and the options."""
    rr = r()
    versions = {}
    for pkg in PACKAGES:
        versions[pkg] = str(rr(f'as.character(packageVersion("{pkg}"))')[0])
    return {
        "version": str(rr('R.version.string')[0]),
        "packages": versions,
        "locale": str(rr('Sys.getlocale("LC_CTYPE")')[0]),
        "options": dict(R_OPTIONS),
    }
