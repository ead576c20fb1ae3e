"""R's ``format()`` of numbers (R 4.2.2, ``format.default``; options
``digits = 7``, ``scipen = 0``, ``OutDec = "."``).

* :func:`format_real`: ``format(x, digits =, nsmall =, width =, trim =,
  scientific =)`` of a double vector: one common format (R's C
  ``formatReal``, ``hlm_py.rbase.formatreal``) and one width for all
  elements; :func:`format_number` of one number.
* :func:`format_integer`: ``format`` of an integer vector (``format(1:10)``).
* :func:`format_perc`: stats' ``format.perc``, the ``"2.5 %"`` labels of
  ``confint``.

R's ``print`` (``hlm_py.printing``), ``print.logLik`` (``hlm_py.rbase.loglik``)
and lm's ``confint`` and ``anova`` headings are written with these.
Conventions: R's ``NA`` is NaN here, so a NaN prints as ``NA`` unless
``nan_mask`` flags it as R's ``NaN`` (a computed 0/0).
"""

from __future__ import annotations

from collections.abc import Iterable

from hlm_py.errors import HlmError
from hlm_py.rbase.formatreal import encode_real, format_info

__all__ = [
    "DIGITS",
    "SCIPEN",
    "NA_STRING",
    "format_real",
    "format_number",
    "format_integer",
    "format_perc",
]

#: R's ``getOption("digits")`` default.
DIGITS = 7
#: R's ``getOption("scipen")`` default.
SCIPEN = 0
#: How R prints a missing number.
NA_STRING = "NA"
#: ``format(scientific = FALSE)``: R's ``do_format`` sets ``scipen`` to 100.
_FIXED_SCIPEN = 100


def format_real(
    values: Iterable[float],
    digits: int | None = None,
    nsmall: int = 0,
    width: int = 0,
    trim: bool = False,
    scipen: int = SCIPEN,
    na_string: str = NA_STRING,
    nan_mask: Iterable[bool] | None = None,
) -> list[str]:
    """R's ``format(x, digits =, nsmall =, width =, trim =)`` of a numeric vector.

    All elements share one format (R's ``formatReal``) and one width, as R does.
    ``scipen`` is R's option (``scientific = FALSE`` is ``scipen = 100``).
    ``nan_mask`` flags the NaNs that are R's ``NaN`` rather than ``NA``.
    """
    vals = [float(v) for v in values]
    if not vals:
        return []
    if digits is None:
        digits = DIGITS
    if digits < 0 or digits > 22:
        raise HlmError(f"invalid value {digits} for 'digits' argument")
    mask = [False] * len(vals) if nan_mask is None else [bool(m) for m in nan_mask]
    w, d, e = format_info(vals, digits, nsmall, scipen, na_width=len(na_string), nan_mask=mask)
    if trim:
        w = 0
    w = max(w, width)
    return [encode_real(v, w, d, e, na_string, m) for v, m in zip(vals, mask)]


def format_number(x: float, digits: int | None = None, nsmall: int = 0) -> str:
    """R's ``format(x, digits =)`` of a single number."""
    return format_real([x], digits=digits, nsmall=nsmall)[0]


def format_integer(values: Iterable[float | int | None], na_string: str = NA_STRING) -> list[str]:
    """R's ``format`` of an integer vector: decimal digits right-justified to a
    common width, NA (None or NaN) as ``NA``."""
    strs = []
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            strs.append(na_string)
        else:
            strs.append(str(int(v)))
    w = max((len(s) for s in strs), default=0)
    return [s.rjust(w) for s in strs]


def format_perc(probs: Iterable[float], digits: int = 3) -> list[str]:
    """stats' ``format.perc(probs, digits)`` (``confint``'s column names):
    ``paste(format(100 * probs, trim = TRUE, scientific = FALSE, digits =
    digits), "%")``, e.g. ``["2.5 %", "97.5 %"]``."""
    strs = format_real([100.0 * float(p) for p in probs], digits=digits, trim=True,
                       scipen=_FIXED_SCIPEN)
    return [s + " %" for s in strs]
