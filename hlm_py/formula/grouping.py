"""Grouping factors of an lme fit: R's ``getGroups`` and lme's nesting.

Mirrors what ``nlme::lme.formula`` does with the grouping factors:

* each grouping variable becomes a factor (R's ``as.factor(x)[drop = TRUE]``)
  exactly as the formula layer's ``factor()`` makes one: a pandas
  ``Categorical`` keeps its categories' order, numbers are sorted numerically
  and labelled by R's ``as.character`` (``1e-04``, ``3``, ``1e+05``; values
  with one label are one group), strings in R's ``sort`` order (``a B c``),
  logicals ``FALSE < TRUE``;
* the rows are put in the order ``order(g1, g2, ...)`` (outer first, stable);
* level ``l`` groups are named by pasting the labels of levels ``1..l`` with
  ``"/"`` (``"6/A"``) and numbered in order of first appearance in the sorted
  rows, which is the row order of nlme's random effects
  (``unique(as.character(groups[, l]))`` in ``MEestimate``).

Level 1 is the outermost grouping factor, level ``Q`` the innermost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hlm_py.errors import GroupingError, HlmError, MissingValueError, UnknownVariableError
from hlm_py.formula.parser import Call, Name, parse
from hlm_py.formula.values import column_value, make_factor

__all__ = ["Grouping", "as_factor", "build_grouping", "group_names", "value_labels"]


def as_factor(values: pd.Series) -> tuple[np.ndarray, list[str], bool]:
    """R's ``as.factor(x)[drop = TRUE]``: integer codes, level labels, ordered flag."""
    f = make_factor(column_value(values))
    if (f.codes < 0).any():
        raise MissingValueError("missing values in object")
    return f.codes.astype(np.int64), list(f.levels), bool(f.ordered)


def value_labels(values: pd.Series) -> list[str | None]:
    """R's ``as.character(as.factor(x))``: each value's group label (``None`` for NA)."""
    return list(make_factor(column_value(values)).labels())


@dataclass
class Grouping:
    """The grouping structure of an lme fit (outer to inner).

    names        grouping factor names, outer to inner (``["Block", "Variety"]``)
    codes        per level, the group index (0-based) of each row *in the input
                 row order*; groups numbered in nlme's order
    labels       per level, the group names in nlme's order (``"VI/Marvellous"``)
    parents      per level, the level ``l-1`` group of each level ``l`` group
                 (all zeros for level 1); non-decreasing
    """

    names: list[str]
    codes: list[np.ndarray]
    labels: list[list[str]]
    parents: list[np.ndarray]

    @property
    def Q(self) -> int:  # noqa: N802 - nlme's name
        return len(self.names)

    @property
    def n_groups(self) -> list[int]:
        return [len(lab) for lab in self.labels]

    @property
    def order(self) -> np.ndarray:
        """The permutation ``order(g1, g2, ...)`` that puts the rows in nlme's order."""
        return np.lexsort(tuple(reversed(self.codes))) if self.codes else np.arange(0)


def grouping_variable(data: pd.DataFrame, name: str) -> pd.Series:
    """The column a grouping expression names (a plain or backquoted name)."""
    key = name.strip()
    if key.startswith("`") and key.endswith("`"):
        key = key[1:-1]
    if key not in data.columns:
        raise UnknownVariableError(f"object '{key}' not found")
    return data[key]


def build_grouping(data: pd.DataFrame, names: list[str]) -> Grouping:
    """Build nlme's grouping structure for ``names`` (outer to inner) over ``data``."""
    n = len(data)
    factor_codes: list[np.ndarray] = []
    factor_labels: list[list[str]] = []
    for name in names:
        col = grouping_variable(data, name)
        if col.isna().any():
            raise MissingValueError("missing values in object")
        codes, labels, _ = as_factor(col)
        factor_codes.append(codes)
        factor_labels.append(labels)
    codes_out: list[np.ndarray] = []
    labels_out: list[list[str]] = []
    parents_out: list[np.ndarray] = []
    key = np.zeros(n, dtype=np.int64)
    prev_codes = np.zeros(n, dtype=np.int64)
    prev_labels = [""]
    for lev, (fc, fl) in enumerate(zip(factor_codes, factor_labels)):
        if lev == 0:
            # as_factor's codes are dense and in level order already
            inv = fc
            n_uniq = len(fl)
            parent = np.zeros(n_uniq, dtype=np.int64)
            labels = list(fl)
        else:
            # combined key of levels 1..l, dense and lexicographic
            combined = key * (len(fl) + 1) + fc
            span = int(combined.max()) + 1 if n else 0
            if span <= 4 * n + 1024:
                present = np.bincount(combined, minlength=span) > 0
                relabel = np.cumsum(present) - 1
                inv = relabel[combined].astype(np.int64)
                n_uniq = int(present.sum())
            else:
                _, inv = np.unique(combined, return_inverse=True)
                inv = inv.astype(np.int64)
                n_uniq = int(inv.max()) + 1
            # parent of each new group and its own label
            first = np.zeros(n_uniq, dtype=np.int64)
            first[inv[::-1]] = np.arange(n)[::-1]
            parent = prev_codes[first]
            own = fc[first]
            labels = [f"{prev_labels[p]}/{fl[c]}" for p, c in zip(parent, own)]
        codes_out.append(inv)
        labels_out.append(labels)
        parents_out.append(parent)
        key = inv
        prev_codes = inv
        prev_labels = labels
    if names and len(labels_out[0]) < 2:
        raise GroupingError(
            f"grouping factor '{names[0]}' has only one level: "
            "at least two groups are needed to estimate a random effect"
        )
    return Grouping(list(names), codes_out, labels_out, parents_out)


def group_names(formula: str) -> list[str]:
    """The grouping factors of a one-sided groups formula, outer to inner
    (``"~ Subject"`` -> ``["Subject"]``, ``"~ a/b"`` -> ``["a", "b"]``)."""
    tree = parse(formula)
    if isinstance(tree, Call) and tree.fn == "~":
        tree = tree.values[-1]
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Call) and node.fn == "/" and len(node.values) == 2:
            walk(node.values[0])
            walk(node.values[1])
        elif isinstance(node, Name):
            out.append(node.name)
        elif isinstance(node, Call) and node.fn == "(" and len(node.values) == 1:
            walk(node.values[0])
        else:
            raise HlmError(f"invalid grouping formula {formula}: groups must be variables "
                           "separated by '/'")

    walk(tree)
    return out
