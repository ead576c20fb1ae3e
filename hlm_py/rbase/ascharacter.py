"""R's ``as.character`` of numbers and logicals (R 4.2).

A double is written with 15 significant digits, the fewest that show it to
15 digits, in fixed notation unless scientific is narrower (R's
``formatReal`` with ``scipen = 0``): ``0.1 + 0.2`` is ``"0.3"``, ``1e5`` is
``"1e+05"``, ``123456`` is ``"123456"``. R's ``deparse`` writes doubles the
same way. Integers are plain decimals (``100000L`` is ``"100000"``), logicals
``"TRUE"``/``"FALSE"``. This is how ``factor()`` labels the levels of numbers.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["as_character_double", "as_character_numbers", "as_character_scalar"]


def as_character_double(x: float, digits: int = 15) -> str:
    """R's ``as.character`` (and ``deparse``) of one double, ``digits`` significant digits."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0"
    ref = float(f"{x:.{digits - 1}e}")
    sig = digits
    for d in range(1, digits + 1):
        if float(f"{x:.{d - 1}e}") == ref:
            sig = d
            break
    mant_s, exp_s = f"{ref:.{sig - 1}e}".split("e")
    e = int(exp_s)
    sci = f"{mant_s}e{'-' if e < 0 else '+'}{abs(e):02d}"
    decimals = max(0, sig - 1 - e)
    fixed = f"{ref:.{decimals}f}"
    return fixed if len(fixed) <= len(sci) else sci


def as_character_numbers(v: np.ndarray) -> np.ndarray:
    """R's ``as.character`` of a numeric vector: integer dtypes as R integers,
    others as doubles; ``None`` for NA (NaN)."""
    v = np.atleast_1d(np.asarray(v))
    if v.dtype.kind in "iu":
        return np.array([str(int(t)) for t in v], dtype=object)
    if v.dtype.kind == "b":
        return np.array(["TRUE" if t else "FALSE" for t in v], dtype=object)
    return np.array([None if math.isnan(t) else as_character_double(float(t))
                     for t in v.astype(np.float64)], dtype=object)


def as_character_scalar(v: object) -> str | None:
    """R's ``as.character`` of one Python or numpy value as R would hold it
    (bool: logical, integer: integer, float: double, else ``str``); ``None``
    for None or NaN."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else as_character_double(float(v))
    return str(v)
