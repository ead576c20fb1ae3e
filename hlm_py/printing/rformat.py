"""R's number formatting for printing: ``formatC``, ``signif``, ``round``,
``zapsmall``, ``format.pval``, ``cat`` of a number, ``format`` of strings,
``abbreviate``.

Each function mirrors one R routine of R 4.2.2 (options ``digits = 7``,
``scipen = 0``, ``OutDec = "."``) and is written from R's C sources
(``src/nmath/fround.c``, ``src/nmath/fprec.c``; ``src/main/util.c``:
``str_signif``) and R code (``formatC``, ``format.pval``, ``zapsmall``).

R's ``format()`` of numbers (``format_real``, ``format_number``,
``format_integer``) lives in ``hlm_py.rbase.formatnum``, on R's C ``formatReal``
and ``EncodeReal0`` (``hlm_py.rbase.formatreal``); the functions here format
with them.

Conventions: R's ``NA`` is ``NaN`` here, so every NaN prints as ``NA``
(R would print a true ``NaN`` as ``NaN``; callers that know better can pass
``na_string``). ``Inf`` and ``-Inf`` print as in R.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import overload

import numpy as np

from hlm_py.rbase.formatnum import DIGITS, NA_STRING, format_number, format_real

__all__ = [
    "format_strings",
    "format_c",
    "signif",
    "round_r",
    "zapsmall",
    "format_pval",
    "cat_number",
    "MACHINE_EPS",
    "abbreviate",
]

#: ``.Machine$double.eps``.
MACHINE_EPS = 2.220446049250313e-16

_DBL_DIG = 15


def _is_na(x: float) -> bool:
    return x != x


def cat_number(x: float) -> str:
    """How R's ``cat`` writes one number (7 significant digits, no padding)."""
    return format_real([x], digits=DIGITS)[0]


def format_strings(strs: Sequence[str], justify: str = "left", width: int = 0) -> list[str]:
    """R's ``format`` of a character vector: pad to the common width."""
    w = max([width] + [len(s) for s in strs])
    if justify == "left":
        return [s.ljust(w) for s in strs]
    if justify == "right":
        return [s.rjust(w) for s in strs]
    if justify == "centre":
        out = []
        for s in strs:
            pad = w - len(s)
            left = pad // 2
            out.append(" " * left + s + " " * (pad - left))
        return out
    return list(strs)


# ---------------------------------------------------------------------------
# nmath: R_pow_di, fround (round), fprec (signif)


def _pow_di(x: float, n: int) -> float:
    """R's ``R_pow_di``: x^n by repeated squaring (the rounding R gets)."""
    xn = 1.0
    if n != 0:
        is_neg = n < 0
        if is_neg:
            n = -n
        while True:
            if n & 1:
                xn *= x
            n >>= 1
            if n:
                x *= x
            else:
                break
        if is_neg:
            xn = 1.0 / xn
    return xn


_LOG10_2 = 0.301029995663981195213738894724


def _nearbyint(x: float) -> float:
    """C's ``nearbyint`` (ties to even), keeping the sign of a zero result."""
    r = float(round(x))
    return math.copysign(0.0, x) if r == 0.0 else r


def _logb(x: float) -> int:
    return math.frexp(x)[1] - 1


def _fround1(x: float, digits: float) -> float:
    if math.isnan(x) or math.isnan(digits):
        return math.nan
    if not math.isfinite(x):
        return x
    if digits > 308 + 15 or x == 0.0:
        return x
    if digits < -308:
        return 0.0
    if digits == 0.0:
        return _nearbyint(x)
    dig = int(math.floor(digits + 0.5))
    sgn = 1.0
    if x < 0.0:
        sgn = -1.0
        x = -x
    l10x = _LOG10_2 * (0.5 + _logb(x))
    if l10x + dig > _DBL_DIG:
        return sgn * x
    if dig <= 308:
        pow10 = _pow_di(10.0, dig)
        x10 = x * pow10
        i10 = math.floor(x10)
        xd = i10 / pow10
        xu = math.ceil(x10) / pow10
    else:
        e10 = dig - 308
        p10 = _pow_di(10.0, e10)
        pow10 = _pow_di(10.0, 308)
        x10 = (x * pow10) * p10
        i10 = math.floor(x10)
        xd = i10 / pow10 / p10
        xu = math.ceil(x10) / pow10 / p10
    du = xu - x
    dd = x - xd
    return sgn * (xu if (du < dd or (math.fmod(i10, 2.0) == 1 and du == dd)) else xd)


def round_r(x, digits: float = 0):
    """R's ``round(x, digits)`` (R >= 4.0.0 algorithm, ``fround.c``); scalar or array."""
    if np.ndim(x) == 0:
        return _fround1(float(x), float(digits))
    arr = np.asarray(x, dtype=float)
    return np.array([_fround1(v, float(digits)) for v in arr.ravel()]).reshape(arr.shape)


def _fprec1(x: float, digits: float) -> float:
    max10e = 308
    if math.isnan(x) or math.isnan(digits):
        return math.nan
    if not math.isfinite(x):
        return x
    if not math.isfinite(digits):
        if digits > 0:
            return x
        digits = 1.0
    if x == 0:
        return x
    dig = int(math.floor(digits + 0.5)) if digits >= 0 else -int(math.floor(-digits + 0.5))
    if dig > 22:
        return x
    if dig < 1:
        dig = 1
    sgn = 1.0
    if x < 0.0:
        sgn = -1.0
        x = -x
    l10 = math.log10(x)
    e10 = int(dig - 1 - math.floor(l10))
    if abs(l10) < max10e - 2:
        p10 = 1.0
        if e10 > max10e:
            p10 = _pow_di(10.0, e10 - max10e)
            e10 = max10e
        if e10 > 0:
            pow10 = _pow_di(10.0, e10)
            return sgn * (_nearbyint((x * pow10) * p10) / pow10) / p10
        pow10 = _pow_di(10.0, -e10)
        return sgn * (_nearbyint(x / pow10) * pow10)
    do_round = max10e - l10 >= _pow_di(10.0, -dig)
    e2 = dig + (22 if e10 > 0 else -22)
    p10 = _pow_di(10.0, e2)
    x *= p10
    P10 = _pow_di(10.0, e10 - e2)
    x *= P10
    if do_round:
        x += 0.5
    x = math.floor(x) / p10
    return sgn * x / P10


def signif(x, digits: int = 6):
    """R's ``signif(x, digits)`` (``fprec.c``); scalar or array."""
    if np.ndim(x) == 0:
        return _fprec1(float(x), float(digits))
    arr = np.asarray(x, dtype=float)
    return np.array([_fprec1(v, float(digits)) for v in arr.ravel()]).reshape(arr.shape)


def zapsmall(x, digits: int = DIGITS) -> np.ndarray:
    """R's ``zapsmall(x, digits)`` (R 4.2: rounds to ``digits - log10(max|x|)`` places)."""
    arr = np.asarray(x, dtype=float)
    ok = ~np.isnan(arr)
    if not ok.any():
        return arr.copy()
    mx = float(np.max(np.abs(arr[ok])))
    d = max(0.0, digits - math.log10(mx)) if mx > 0 else float(digits)
    return np.asarray(round_r(arr, d), dtype=float)


# ---------------------------------------------------------------------------
# formatC


def _c_format(flag: str, width: int, prec: int, conv: str, x: float) -> str:
    return ("%" + flag + "*.*" + conv) % (width, prec, x)


@overload
def format_c(x: float, digits: int | None = ..., width: int | None = ..., format: str | None = ...,
             flag: str = ..., mode: str | None = ..., nan_string: str = ...) -> str: ...
@overload
def format_c(x: object, digits: int | None = ..., width: int | None = ..., format: str | None = ...,
             flag: str = ..., mode: str | None = ..., nan_string: str = ...) -> list[str] | str: ...
def format_c(
    x,
    digits: int | None = None,
    width: int | None = None,
    format: str | None = None,
    flag: str = "",
    mode: str | None = None,
    nan_string: str = NA_STRING,
) -> list[str] | str:
    """R's ``formatC`` for numbers: C's printf formats ``d f e E g G fg``.

    Returns a string for a scalar ``x``, else a list. Each element is formatted
    on its own (no common width beyond ``width``), as in R. Python has one NaN
    where R has ``NA`` and ``NaN``: ``nan_string`` says which R value a NaN
    stands for here (``"NaN"`` for a computed 0/0).
    """
    scalar = np.ndim(x) == 0
    vals = [float(v) for v in np.atleast_1d(np.asarray(x, dtype=float)).ravel()]
    for ch in flag:
        if ch not in "0+- #'I":
            raise ValueError("'flag' should contain only characters from [0+- #'I]")
    if mode is None:
        mode = "double"
    if format is None:
        format = "d" if mode == "integer" else "g"
    elif format in ("f", "e", "E", "g", "G", "fg"):
        mode = "double"
    elif format == "d":
        mode = "integer"
    else:
        raise ValueError('\'format\' must be one of {"f","e","E","g","G", "fg", "s"}')
    if not vals:
        return []
    ok = [math.isfinite(v) for v in vals]
    if width is None and digits is None:
        width = 1
    if digits is None:
        digits = 2 if mode == "integer" else 4
    elif digits < 0:
        digits = 6
    if width is None:
        width = digits + 1
    elif width == 0:
        width = digits
    if digits > 0 and "#" in flag:
        digits = -digits
    dig = abs(digits)
    rm_trailing_0 = digits >= 0
    out: list[str] = []
    for v, good in zip(vals, ok):
        if not good:
            out.append("")
            continue
        if format == "d":
            out.append(("%" + flag + "*d") % (width, int(round(v))))
        elif format == "fg":
            out.append(_format_fg(v, width, dig, flag, rm_trailing_0))
        else:
            out.append(_c_format(flag, width, dig, format, v))
    if not all(ok):
        specials = []
        for v, good in zip(vals, ok):
            if not good:
                specials.append(nan_string if _is_na(v) else ("Inf" if v > 0 else "-Inf"))
        w = abs(width)
        just = "left" if (flag == "-" or width < 0) else "right"
        fs = iter(format_strings(specials, justify=just, width=w))
        out = [s if good else next(fs) for s, good in zip(out, ok)]
    return out[0] if scalar else out


def _format_fg(xx: float, width: int, dig: int, flag: str, rm_trailing_0: bool) -> str:
    if xx == 0.0:
        return "0"
    xxx = abs(xx)
    iex = int(math.floor(math.log10(xxx) + 1e-12))
    p10 = 10.0**iex
    X = _fround1((xxx / p10 if p10 else math.inf) + 1e-12, float(dig - 1))
    if iex > 0 and X >= 10:
        xx = X * 10.0**iex
        iex += 1
    if iex == -4 and abs(xx) < 1e-4:
        iex = -5
    if iex < -4:
        s = ("%" + flag + ".*f") % (dig - 1 + -iex, xx)
        if rm_trailing_0:
            s = s.rstrip("0")
        return s
    return _c_format(flag, width, (iex + 1) if iex >= dig else dig, "g", xx)


# ---------------------------------------------------------------------------
# format.pval


@overload
def format_pval(pv: float, digits: int = ..., eps: float = ..., na_form: str = ...) -> str: ...
@overload
def format_pval(pv: object, digits: int = ..., eps: float = ...,
                na_form: str = ...) -> list[str] | str: ...
def format_pval(
    pv,
    digits: int = max(1, DIGITS - 2),
    eps: float = MACHINE_EPS,
    na_form: str = "NA",
) -> list[str] | str:
    """R's ``format.pval``: p-values, ``< eps`` for tiny ones (e.g. ``< 2.2e-16``).

    Fixed and scientific p-values are formatted as two separate groups (R's
    ``fixp`` split), each with ``format(., digits)``. Scalar in, string out.
    """
    scalar = np.ndim(pv) == 0
    vals = [float(v) for v in np.atleast_1d(np.asarray(pv, dtype=float)).ravel()]
    ina = [_is_na(v) for v in vals]
    p = [v for v, n in zip(vals, ina) if not n]
    is0 = [v < eps for v in p]
    r = [""] * len(p)
    rr: list[str] = []
    if not all(is0):
        idx = [i for i, z in enumerate(is0) if not z]
        pv2 = [p[i] for i in idx]
        expo = [math.floor(math.log10(v if v > 0 else 1e-50)) for v in pv2]
        fixp = [(ex >= -3) or (ex == -4 and digits > 1) for ex in expo]
        rr = [""] * len(pv2)
        for group in (True, False):
            sel = [j for j, f in enumerate(fixp) if f == group]
            if sel:
                strs = format_real([pv2[j] for j in sel], digits=digits)
                for j, s in zip(sel, strs):
                    rr[j] = s
        for i, s in zip(idx, rr):
            r[i] = s
    if any(is0):
        dg = max(1, digits - 2)
        if not all(is0):
            nc = max(len(s) for s in rr)
            if dg > 1 and dg + 6 > nc:
                dg = max(1, nc - 7)
            sep = "" if (dg == 1 and nc <= 6) else " "
        else:
            sep = "" if dg == 1 else " "
        small = "<" + sep + format_number(eps, digits=dg)
        r = [small if z else s for s, z in zip(r, is0)]
    it = iter(r)
    out = [na_form if n else next(it) for n in ina]
    return out[0] if scalar else out


# ---------------------------------------------------------------------------
# abbreviate (nlme prints correlation column labels through it)

_WIDE_VOWELS = frozenset(
    chr(c) for c in (
        0x61, 0x65, 0x69, 0x6F, 0x75, 0xE0, 0xE1, 0x2E, 0xE3, 0xE4, 0xE5,
        0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF,
        0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC,
        0x101, 0x103, 0x105, 0x113, 0x115, 0x117, 0x118, 0x11B,
        0x129, 0x12B, 0x12D, 0x12F, 0x131, 0x14D, 0x14F, 0x151,
        0x169, 0x16B, 0x16D, 0x16F, 0x171, 0x173,
    )
)
_SPACE = frozenset(" \t\n\v\f\r")


def _strip_chars(text: str, minlen: int, usecl: bool) -> str:
    """R's C ``stripchars`` / ``wstripchars`` (``.Internal(abbreviate())``)."""
    wide = not text.isascii()
    vowels = _WIDE_VOWELS if wide else frozenset("aeiou")
    s = list(text)

    def is_lower(c: str) -> bool:
        return "a" <= c <= "z"

    def first(i: int) -> bool:
        return s[i - 1] in _SPACE

    def last(i: int) -> bool:
        return s[i - 1] not in _SPACE and (i + 1 >= len(s) or s[i + 1] in _SPACE)

    nspace = 0

    def done() -> str:
        if len(s) > minlen:
            for i in range(len(s) - 1, 0, -1):
                if s[i] in _SPACE:
                    del s[i]
        return "".join(s)

    if len(s) < minlen:
        return done()
    j = True
    for i in range(len(s) - 1, 0, -1):
        if s[i] in _SPACE:
            if j:
                del s[i:]
            else:
                nspace += 1
        else:
            j = False
        if len(s) - nspace <= minlen:
            return done()
    passes = []
    if usecl:
        passes = [
            lambda i: s[i] in vowels and last(i),
            lambda i: s[i] in vowels and not first(i),
            lambda i: is_lower(s[i]) and last(i),
            lambda i: is_lower(s[i]) and not first(i),
        ]
    passes.append(lambda i: not first(i) and s[i] not in _SPACE)
    for test in passes:
        for i in range(len(s) - 1, 0, -1):
            if i < len(s) and test(i):
                del s[i]
            if len(s) - nspace <= minlen:
                return done()
    return done()


def abbreviate(names: Sequence[str], minlength: int = 4, use_classes: bool = True) -> list[str]:
    """R's ``abbreviate(names, minlength)`` (method ``"left.kept"``, not strict).

    Drops lower-case vowels, then lower-case letters, from the end, until each
    name has ``minlength`` characters, lengthening duplicates until unique.
    """
    if minlength <= 0:
        return ["" for _ in names]
    old = [str(n).rstrip(" ").lstrip(" ") for n in names]
    uniq: list[str] = []
    for n in old:
        if n not in uniq:
            uniq.append(n)
    x = list(uniq)
    dup2 = [True] * len(uniq)
    these = list(uniq)
    while True:
        ans = [_strip_chars(t, minlength, use_classes) for t in these]
        it = iter(ans)
        for k in range(len(x)):
            if dup2[k]:
                x[k] = next(it)
        seen: set[str] = set()
        dup2 = []
        for v in x:
            dup2.append(v in seen)
            seen.add(v)
        if not any(dup2):
            break
        minlength += 1
        dupvals = {x[k] for k in range(len(x)) if dup2[k]}
        dup2 = [d or (v in dupvals) for d, v in zip(dup2, x)]
        these = [uniq[k] for k in range(len(uniq)) if dup2[k]]
    lookup = dict(zip(uniq, x))
    return [lookup[n] for n in old]
