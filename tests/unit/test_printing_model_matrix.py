"""R's print of a model matrix (matrix + ``assign`` + ``contrasts`` attributes).

Layout facts on made-up values, and every model-matrix golden's printed text
rebuilt from that golden's own numbers (numbers from R reach this test only
through the golden files).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlm_py.printing import reports

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden"


def test_list_tags_backquote_non_syntactic_names():
    assert reports.r_list_tag("f") == "$f"
    assert reports.r_list_tag(".x1") == "$.x1"
    assert reports.r_list_tag("factor(cyl)") == "$`factor(cyl)`"
    assert reports.r_list_tag("my var") == "$`my var`"
    assert reports.r_list_tag("if") == "$`if`"
    assert reports.r_list_tag("1x") == "$`1x`"


def test_model_matrix_text_layout():
    text = reports.model_matrix_text(np.array([[1.0, 0.0], [1.0, 1.0]]), ["1", "2"],
                                     ["(Intercept)", "fb"], [0, 1], {"f": "contr.treatment"})
    assert text.split("\n") == [
        "  (Intercept) fb", "1           1  0", "2           1  1",
        'attr(,"assign")', "[1] 0 1",
        'attr(,"contrasts")', 'attr(,"contrasts")$f', '[1] "contr.treatment"', "",
    ]
    df = pd.DataFrame([[1.0, 2.5]], index=["a"], columns=["(Intercept)", "x"])
    df.attrs["assign"] = [0, 1]
    assert reports.render_model_matrix(df).split("\n") == [
        "  (Intercept)   x", "a           1 2.5", 'attr(,"assign")', "[1] 0 1"]


def _goldens():
    for path in sorted((GOLDEN_DIR / "model_matrix").glob("*.json")):
        g = json.loads(path.read_text())
        if (g.get("printed") or {}).get("print") is not None:
            yield pytest.param(g, id=path.stem)


@pytest.mark.parametrize("golden", list(_goldens()))
def test_model_matrix_print_from_golden_numbers(golden):
    res = golden["results"]
    mm = res["model_matrix"]
    rows, cols = mm["rownames"], mm["colnames"]
    vals = np.array(mm["values"], dtype=float).reshape(len(rows), len(cols))
    theirs = golden["printed"]["print"]
    contrasts = res.get("contrasts") or {}
    # JSON objects do not keep R's list order: take the order from the text
    order = re.findall(r'^attr\(,"contrasts"\)\$`?(.*?)`?$', theirs, flags=re.M)
    contrasts = {k: contrasts[k] for k in order} if set(order) == set(contrasts) else contrasts
    assert reports.model_matrix_text(vals, rows, cols, res["assign"], contrasts) == theirs
