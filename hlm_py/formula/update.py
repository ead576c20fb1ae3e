"""R's ``update.formula``: a formula updated by another (``. ~ . + x``).

Mirrors ``update.formula(old, new)`` followed by the simplification R applies
when a model is refitted (``terms.formula(simplify = TRUE)``): term labels
joined by ``+``, offsets after them, ``- 1`` when there is no intercept. Used
by the ``update`` method of every fit.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from hlm_py.errors import HlmError
from hlm_py.formula.deparse import deparse, operator_precedence
from hlm_py.formula.parser import Call, Name, Num, parse
from hlm_py.formula.terms import terms as build_terms

__all__ = ["update_arguments", "update_formula"]

_DOT = r"(?<![A-Za-z0-9._`])\.(?![A-Za-z0-9._`])"


def _formula_sides(node: Any) -> tuple[str | None, str] | None:
    """Deparsed lhs (None when one-sided) and rhs of a formula tree; None if
    the tree is not a formula."""
    if isinstance(node, Call) and node.fn == "~" and all(k is None for k, _ in node.args):
        if len(node.args) == 2:
            return deparse(node.args[0][1]), deparse(node.args[1][1])
        if len(node.args) == 1:
            return None, deparse(node.args[0][1])
    return None


def _wrap(text: str) -> str:
    node = parse(text)
    atom = isinstance(node, (Name, Num)) or (isinstance(node, Call) and operator_precedence(node) is None)
    return text if atom else f"({text})"


def _substitute_dot(text: str, replacement: str) -> str:
    return re.sub(_DOT, lambda _m: replacement, text)


def update_formula(old: str, new: str, data: Any = None) -> str:
    """R's ``update.formula(old, new)``, simplified as ``update(fit, new)`` does.

    ``data`` (a DataFrame) expands a ``.`` that the old formula itself holds.
    """
    old_sides = _formula_sides(parse(old))
    if old_sides is None:
        raise HlmError(f"invalid formula '{old}'")
    old_lhs, old_rhs = old_sides
    new_sides = _formula_sides(parse(new))
    if new_sides is None:
        raise HlmError(f"invalid formula '{new}'")
    new_lhs, new_rhs = new_sides
    if new_lhs is None:
        lhs = old_lhs
    elif old_lhs is not None:
        lhs = _substitute_dot(new_lhs, _wrap(old_lhs))
    else:
        lhs = new_lhs
    rhs = _substitute_dot(new_rhs, _wrap(old_rhs))
    combined = f"{lhs} ~ {rhs}" if lhs is not None else f"~{rhs}"
    columns = list(data.columns) if isinstance(data, pd.DataFrame) else None
    t = build_terms(combined, data_columns=columns)
    labels = list(t.term_labels)
    labels = [f"({lab})" if "|" in lab else lab for lab in labels]
    for i in getattr(t, "offsets", []) or []:
        labels.append(t.variables[i])
    out_rhs = " + ".join(labels) if labels else "1"
    if not t.intercept:
        out_rhs += " - 1"
    text = f"{t.response} ~ {out_rhs}" if t.response else f"~{out_rhs}"
    return deparse(parse(text))


def update_arguments(args: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """R's ``update.default`` for the other arguments: the stored call's
    arguments with ``changes`` put in (``na.action`` spelled either way); an
    argument the fitting function does not have is R's ``unused argument``."""
    if not args:
        raise HlmError("this fit has no stored call to update")
    out = dict(args)
    for key, value in changes.items():
        key = {"na.action": "na_action"}.get(key, key)
        if key not in out:
            raise HlmError(f"unused argument ({key})")
        out[key] = value
    return out
