"""Compare what hlm_py computes with what R computed (a golden or a live run).

:func:`compare_case` walks R's results (nested R lists leaf by leaf) and
printed texts, compares each with hlm_py's through
:mod:`hlm_py.verify.quantity` (the representation and the project's
tolerances, one place) and, for lme, applies the rules of
:mod:`hlm_py.verify.lme_rules`. The names of :mod:`hlm_py.verify.quantity`
and :func:`hlm_py.verify.goldens.golden_targets` are re-exported here.
"""

from __future__ import annotations

import math
from typing import Any

from hlm_py.errors import HlmError
from hlm_py.verify.goldens import fit_base, golden_targets
from hlm_py.verify.lme_rules import apply_lme_rules
from hlm_py.verify.quantity import (
    Row,
    TextWithRule,
    Tolerance,
    compare_quantity,
    compare_text,
    normalise,
    to_repr,
    tolerance_for,
)

__all__ = [
    "Row",
    "TextWithRule",
    "Tolerance",
    "compare_case",
    "compare_quantity",
    "compare_text",
    "golden_targets",
    "normalise",
    "to_repr",
    "tolerance_for",
]


_LEAF_KEYS = {"names", "values", "rownames", "colnames", "columns", "ncol"}


def _is_leaf(value: Any) -> bool:
    if not isinstance(value, dict):
        return True
    return bool(value) and set(value) <= _LEAF_KEYS and ("values" in value or "columns" in value)


_MISSING = object()


def _walk(case: str, kind: str, name: str, py: Any, r: Any, rows: list[Row]) -> None:
    if py is _MISSING:
        rows.append(Row(case, name, 0, math.inf, False, "hlm_py produced no such quantity"))
        return
    if name == "error" or name.endswith("_error"):
        # R failed here (e.g. predict with a new factor level): hlm_py must raise
        # an HlmError too; the wording is R's or clearer, so it is not compared
        ok = isinstance(py, HlmError)
        rows.append(Row(case, name, 1, 0.0 if ok else math.inf, ok,
                        "" if ok else f"R raised {r!r}; hlm_py gave "
                        f"{type(py).__name__}: {py if isinstance(py, BaseException) else '(no error)'}"))
        return
    if isinstance(py, BaseException):
        rows.append(Row(case, name, 0, math.inf, False, f"py raised {type(py).__name__}: {py}"))
        return
    if isinstance(r, list) and r and all(isinstance(e, dict) and not _is_leaf(e) for e in r):
        # a list of R lists (e.g. one per ACF call): element by element
        if not isinstance(py, list) or len(py) != len(r):
            rows.append(Row(case, name, 0, math.inf, False,
                            f"py gave {type(py).__name__}, R has a list of {len(r)} lists"))
            return
        for i, (p_el, r_el) in enumerate(zip(py, r)):
            _walk(case, kind, f"{name}/{i + 1}", p_el, r_el, rows)
        return
    if _is_leaf(r):
        rows.append(compare_quantity(case, kind, name, py, r))
        return
    if not isinstance(py, dict):
        rows.append(Row(case, name, 0, math.inf, False,
                        f"py gave {type(py).__name__}, R has a list of {sorted(r)}"))
        return
    if not r:
        rows.append(Row(case, name, 0, 0.0, py == {}, "" if py == {} else "R has an empty list"))
        return
    for key, r_val in r.items():
        _walk(case, kind, f"{name}/{key}", py.get(key, _MISSING), r_val, rows)


def _compare_printed(case: str, name: str, py_text: Any, r_text: Any, rows: list[Row]) -> None:
    if py_text is _MISSING:
        rows.append(Row(case, name, 0, math.inf, False, "hlm_py produced no such text"))
    elif isinstance(py_text, BaseException):
        rows.append(Row(case, name, 0, math.inf, False,
                        f"py raised {type(py_text).__name__}: {py_text}"))
    elif isinstance(py_text, TextWithRule):
        # lme: nlme's early stop explained (hlm_py.verify.lme_cases.PrintedText)
        rows.append(py_text.compare(case, name, r_text))
    else:
        rows.append(compare_text(case, name, py_text, r_text))


def compare_case(case: str, kind: str, py: dict[str, Any], golden: dict[str, Any],
                 quantities: list[str] | None = None) -> list[Row]:
    """Compare every result and printed text of ``golden`` with ``py``.

    ``py`` is what :func:`hlm_py.verify.cases.run_case` returns (``results``
    and ``printed``); ``golden`` a golden file's dict (or a live R run in the
    same form). Nested R lists are compared leaf by leaf, named
    ``parent/child``; printed texts are named ``printed:<key>``. A quantity
    R has and Python lacks fails; so does a case with nothing to compare.
    ``quantities`` restricts the comparison to those top-level names.
    """
    rows: list[Row] = []
    targets = golden_targets(kind, golden)
    py_results = py.get("results") or {}
    for key, r_val in targets.items():
        if quantities is not None and key not in quantities:
            continue
        _walk(case, kind, key, py_results.get(key, _MISSING), r_val, rows)
    py_printed = py.get("printed") or {}
    for key, r_text in (golden.get("printed") or {}).items():
        name = f"printed:{key}"
        if quantities is not None and name not in quantities:
            continue
        py_text = py_printed.get(key, _MISSING)
        if isinstance(r_text, dict) and len(r_text) == 1 and not isinstance(py_text, dict):
            # one text per call, of a single call (the live run keeps R's list)
            r_text = next(iter(r_text.values()))
        if isinstance(r_text, dict) and isinstance(py_text, dict):
            # several texts under one key (one per call, e.g. anova(fit, L=))
            for sub, r_sub in r_text.items():
                _compare_printed(case, f"{name}/{sub}", py_text.get(sub, _MISSING), r_sub, rows)
        else:
            _compare_printed(case, name, py_text, r_text, rows)
    if kind in ("lme", "gls", "lme_struct"):
        # boundary, apVar and declared differences (hlm_py.verify.lme_rules)
        rows = apply_lme_rules(case, rows, targets, py_results, py.get("at_r"),
                               fit_base(golden).get("intervals_accurate"))
    if not rows:
        rows.append(Row(case, "(nothing)", 0, math.inf, False, "no quantity to compare"))
    return rows
