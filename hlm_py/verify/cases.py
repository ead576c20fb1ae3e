"""Run a golden case's Python side through hlm_py's public API.

A golden (``golden/<kind>/<case>.json``, docs/internals.md) holds the case
spec, the data R used, R's numbers (``results``) and R's printed texts
(``printed``). :func:`run_case` hands the case to its kind's runner
(:mod:`hlm_py.verify.lm_cases` for ``lm`` and ``model_matrix``,
:mod:`hlm_py.verify.lme_cases` for ``lme``), which rebuilds the data
(checking its sha256), translates the case's arguments into the public
hlm_py call a user would write and produces every quantity under the
golden's keys, plus the printed texts.

Each quantity is computed on its own: one that raises is returned as the
exception (the comparison reports it as a failure) so the others still run.
A golden key with no Python counterpart is returned as a
:class:`NotImplementedError`, never skipped (:mod:`hlm_py.verify.context`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hlm_py.verify.context import DataChecksumError, all_failed, case_name, new_data, rebuild_data
from hlm_py.verify.gls_cases import run_gls
from hlm_py.verify.lm_cases import run_lm, run_model_matrix
from hlm_py.verify.lme_cases import run_lme
from hlm_py.verify.lme_struct_cases import run_lme_struct

__all__ = ["RUNNERS", "DataChecksumError", "case_name", "new_data", "rebuild_data", "run_case"]


RUNNERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "lm": run_lm,
    "model_matrix": run_model_matrix,
    "lme": run_lme,
    "gls": run_gls,
    "lme_struct": run_lme_struct,
}


def run_case(golden: dict[str, Any]) -> dict[str, Any]:
    """Run the Python side of a golden case.

    Returns ``{"results": {...}, "printed": {...}}`` with the keys R produced
    (for lme: the keys of R's tight refit, see
    :func:`hlm_py.verify.goldens.golden_targets`). Values are hlm_py's
    objects (Series, DataFrames, numbers, texts) or the exception a quantity
    raised.
    """
    case = golden.get("case") or {}
    kind = case.get("kind")
    runner = RUNNERS.get(kind) if isinstance(kind, str) else None
    if runner is None:
        return all_failed(golden, str(kind), NotImplementedError(
            f"hlm_py.verify cannot run cases of kind {kind!r} yet"))
    return runner(golden)
