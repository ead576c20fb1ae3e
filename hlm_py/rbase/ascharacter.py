"""R's ``as.character`` of numbers and logicals (R 4.2).

A double is written with 15 significant digits, the fewest that show it to
15 digits, in fixed notation unless scientific is narrower (R's
``formatReal`` with ``scipen = 0``, ``hlm_py.rbase.formatreal``): ``0.1 + 0.2`` is ``"0.3"``, ``1e5`` is
``"1e+05"``, ``123456`` is ``"123456"``. R's ``deparse`` writes doubles the
same way. Integers are plain decimals (``100000L`` is ``"100000"``), logicals
``"TRUE"``/``"FALSE"``. This is how ``factor()`` labels the levels of numbers.
"""

from __future__ import annotations

import math

import numpy as np

from hlm_py.rbase.formatreal import encode_real, format_info

__all__ = ["as_character_double", "as_character_numbers", "as_character_scalar"]


def as_character_double(x: float, digits: int = 15) -> str:
    """R's ``as.character`` (and ``deparse``) of one double: ``StringFromReal``,
    i.e. ``formatReal`` with ``digits`` significant digits, then
    ``EncodeRealDrop0``."""
    if math.isnan(x):
        return "NaN"
    if digits == 15 and x.is_integer() and abs(x) < 1e15:
        return _whole_double(x)
    w, d, e = format_info([x], digits)
    s = encode_real(x, w, d, e)
    if "." in s:  # EncodeRealDrop0: no trailing zeros after the point
        mant, sep, ex = s.partition("e")
        s = mant.rstrip("0").rstrip(".") + sep + ex
    return s


def _whole_double(x: float) -> str:
    """``as_character_double`` of a whole number below 1e15 (exact, without
    ``formatReal``'s long double work): fixed unless scientific is narrower."""
    sign = "-" if x < 0 else ""
    s = str(int(abs(x)))
    nsig = len(s.rstrip("0")) or 1
    if len(s) <= (nsig + 1 if nsig > 1 else 1) + 4:
        return sign + s
    return f"{sign}{s[0]}{'.' + s[1:nsig] if nsig > 1 else ''}e+{len(s) - 1:02d}"


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
