"""nlme's ``predict.lme`` on new data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hlm_py.formula.design import Design
from hlm_py.formula.grouping import Grouping, grouping_variable, value_labels

__all__ = ["predict_levels"]


def predict_levels(fixed: Design, random: list[Design], coefficients: pd.Series,
                   b: list[np.ndarray], grouping: Grouping, newdata: pd.DataFrame,
                   levels: list[int]) -> pd.Series | pd.DataFrame:
    """nlme's ``predict.lme(fit, newdata, level = levels)``: the fixed part's
    prediction plus, per level, the BLUPs of the new rows' groups; a group
    the fit has not seen gives NaN at its level and below (R's NA). One
    level gives a Series named by the groups (nlme's names), several a
    DataFrame with the groups' labels and ``predict.<level>`` columns."""
    level_names = grouping.names
    Xn, _ = fixed.new_data_matrix(newdata)
    pred0 = Xn.values @ coefficients.to_numpy()
    m = len(newdata)
    cols = {"fixed": pred0}
    labels_per_level: list[list[str | None]] = []
    current = pred0.copy()
    key_labels: list[str | None] = [""] * m
    valid = np.ones(m, dtype=bool)
    for li in range(max(levels)):
        name = level_names[li]
        own = value_labels(grouping_variable(newdata, name))
        key_labels = [
            None if own[i] is None or (li and key_labels[i] is None)
            else (own[i] if li == 0 else f"{key_labels[i]}/{own[i]}")
            for i in range(m)
        ]
        labels_per_level.append(list(key_labels))
        index = {lab: g for g, lab in enumerate(grouping.labels[li])}
        gi = np.array([index.get(k, -1) if k is not None else -1 for k in key_labels],
                      dtype=np.int64)
        valid &= gi >= 0
        Zn, _ = random[li].new_data_matrix(newdata)
        bl = b[li][np.maximum(gi, 0)]
        current = current + np.einsum("ij,ij->i", Zn.values, bl)
        cols[name] = np.where(valid, current, np.nan)
    if len(levels) == 1:
        lv = levels[0]
        vals = cols["fixed"] if lv == 0 else cols[level_names[lv - 1]]
        idx = newdata.index if lv == 0 else pd.Index(labels_per_level[lv - 1])
        return pd.Series(vals, index=idx)
    out = pd.DataFrame(index=newdata.index)
    for lv in levels:
        if lv > 0:
            out[level_names[lv - 1]] = labels_per_level[lv - 1]
    for lv in levels:
        key = "fixed" if lv == 0 else level_names[lv - 1]
        out[f"predict.{key}"] = cols[key]
    return out
