"""R's C ``formatReal``, ``scientific`` and ``EncodeReal0`` (R 4.2.2,
``src/main/format.c``, ``src/main/printutils.c``): the common format of a
numeric vector with ``digits`` significant digits, and one number in it.

What R's ``print``/``format`` (``hlm_py.printing.rformat``) and
``as.character``/``deparse`` of doubles (``hlm_py.rbase.ascharacter``, 15
digits) are built on. ``scientific`` uses x86 ``long double``; numpy's
``longdouble`` is that same 80-bit type on x86-64 Linux, so the digit counting
is bit-for-bit R's there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["RealFormat", "encode_real", "format_info", "scientific"]

_LD = np.longdouble
# format.c's tbl[]: the literals 1e00 .. 1e27 are C doubles widened to long
# double, so 1e23 .. 1e27 carry the double's rounding.
_KP_MAX = 27
_TBL: list[np.longdouble] = [_LD(float(10**_k)) for _k in range(_KP_MAX + 1)]
_DBL_DIG = 15


def scientific(x: float, digits: int) -> tuple[int, int, int, bool]:
    """format.c ``scientific``: (neg, kpower, nsig, roundingwidens) of one finite x."""
    if x == 0.0:
        return 0, 0, 1, False
    if x < 0.0:
        neg, r = 1, -x
    else:
        neg, r = 0, x
    if digits >= _DBL_DIG + 1:
        s = "%#.*e" % (digits - 1, r)  # noqa: UP031 - C printf semantics
        mant, _, ex = s.partition("e")
        kpower = int(ex)
        body = mant.replace(".", "")
        i = len(body)
        while i >= 2 and body[i - 1] == "0":
            i -= 1
        return neg, kpower, i, False
    kp = int(math.floor(math.log10(r))) - digits + 1
    r_prec = _LD(r)
    if abs(kp) <= _KP_MAX:
        if kp > 0:
            r_prec = r_prec / _TBL[kp]
        elif kp < 0:
            r_prec = r_prec * _TBL[-kp]
    else:
        r_prec = r_prec / np.power(_LD(10), _LD(kp))
    if r_prec < _TBL[digits - 1]:
        r_prec = r_prec * _LD(10)
        kp -= 1
    alpha = float(np.rint(r_prec))
    nsig = digits
    for _ in range(digits):
        alpha /= 10.0
        if alpha == math.floor(alpha):
            nsig -= 1
        else:
            break
    if nsig == 0 and digits > 0:
        nsig = 1
        kp += 1
    kpower = kp + digits - 1
    rgt = digits - kpower
    rgt = 0 if rgt < 0 else (_KP_MAX if rgt > _KP_MAX else rgt)
    fuzz = 0.5 / float(_TBL[rgt])
    widens = bool(0 < kpower <= _KP_MAX and _LD(r) < _TBL[kpower] - _LD(fuzz))
    return neg, kpower, nsig, widens


class RealFormat(tuple):
    """(w, d, e): field width, digits after the point / mantissa digits, exponent flag."""

    __slots__ = ()

    def __new__(cls, w: int, d: int, e: int) -> RealFormat:
        return tuple.__new__(cls, (w, d, e))

    @property
    def w(self) -> int:
        return self[0]

    @property
    def d(self) -> int:
        return self[1]

    @property
    def e(self) -> int:
        return self[2]


def format_info(
    values: Iterable[float],
    digits: int = 7,
    nsmall: int = 0,
    scipen: int = 0,
    na_width: int = 2,
    nan_mask: Sequence[bool] | None = None,
) -> RealFormat:
    """R's C ``formatReal``: the common (w, d, e) of a numeric vector.

    ``e`` is 0 for fixed notation, else the number of exponent digits minus one.
    NaN counts as R's ``NA`` unless ``nan_mask`` flags it as a genuine ``NaN``.
    """
    naflag = nanflag = posinf = neginf = False
    neg = 0
    mnl = 2**31
    mxl = rgt = mxsl = mxns = -(2**31)
    for i, x in enumerate(values):
        x = float(x)
        if not math.isfinite(x):
            if x != x and nan_mask is not None and nan_mask[i]:
                nanflag = True
            elif x != x:
                naflag = True
            elif x > 0:
                posinf = True
            else:
                neginf = True
            continue
        neg_i, kpower, nsig, widens = scientific(x, digits)
        left = kpower + 1
        if widens:
            left -= 1
        sleft = neg_i + (1 if left <= 0 else left)
        right = nsig - left
        if neg_i:
            neg = 1
        rgt = max(rgt, right)
        mxl = max(mxl, left)
        mnl = min(mnl, left)
        mxsl = max(mxsl, sleft)
        mxns = max(mxns, nsig)
    if digits == 0:
        rgt = 0
    if mxl < 0:
        mxsl = 1 + neg
    if rgt < 0:
        rgt = 0
    wf = mxsl + rgt + (rgt != 0)
    e = 2 if (mxl > 100 or mnl <= -99) else 1
    if mxns != -(2**31):
        d = mxns - 1
        w = neg + (d > 0) + d + 4 + e
        if wf <= w + scipen:
            e = 0
            if nsmall > rgt:
                rgt = nsmall
                wf = mxsl + rgt + (rgt != 0)
            d = rgt
            w = wf
    else:
        w = d = e = 0
    if naflag and w < na_width:
        w = na_width
    if nanflag and w < 3:
        w = 3
    if posinf and w < 3:
        w = 3
    if neginf and w < 4:
        w = 4
    return RealFormat(w, d, e)


def encode_real(
    x: float, w: int, d: int, e: int, na_string: str = "NA", is_nan: bool = False
) -> str:
    """R's ``EncodeReal0``: one number in the format (w, d, e), right-justified in w.

    A NaN prints as ``na_string`` (R's ``NA``), or as ``NaN`` when ``is_nan``.
    """
    x = float(x)
    if x == 0.0:
        x = 0.0  # drop the sign of zero, as R does
    if not math.isfinite(x):
        if x != x:
            s = "NaN" if is_nan else na_string
        else:
            s = "Inf" if x > 0 else "-Inf"
        return s.rjust(w)
    if e:
        if d:
            return "%#*.*e" % (w, d, x)  # noqa: UP031 - C printf semantics
        return "%*.*e" % (w, d, x)  # noqa: UP031
    return "%*.*f" % (w, d, x)  # noqa: UP031
