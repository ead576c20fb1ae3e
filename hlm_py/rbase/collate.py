"""R's ``sort`` of character strings, as R orders factor levels.

R sorts character vectors with the locale's collation; on Linux with a
UTF-8 locale (C.UTF-8, en_US.UTF-8) R uses ICU's root collation: symbols,
then digits, then letters compared without case, lowercase first on ties
(``sort(c("a", "B", "c"))`` is ``a B c``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["collate_key", "r_sort"]

_ICU_PUNCT = "\t\n\x0b\x0c\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PRIMARY = {c: i for i, c in enumerate(_ICU_PUNCT)}
for _i, _c in enumerate("0123456789"):
    _PRIMARY[_c] = 100 + _i
for _i, _c in enumerate("abcdefghijklmnopqrstuvwxyz"):
    _PRIMARY[_c] = 200 + _i


@lru_cache(maxsize=4096)
def _char_weights(ch: str) -> tuple[int, tuple[int, ...], int]:
    """(primary, secondary, tertiary) weights of one character."""
    d = unicodedata.normalize("NFD", ch)
    base = d[0]
    low = base.lower()
    return _PRIMARY.get(low, 1000 + ord(low)), tuple(ord(c) for c in d[1:]), 0 if base == low else 1


def collate_key(s: str) -> tuple:
    """Sort key imitating R's ``sort`` of strings under ICU root collation.

    Primary: symbols < digits < letters (case and accents ignored);
    secondary: accents; tertiary: lowercase before uppercase; last, code
    points. Differs from R only for scripts other than Latin (ordered by code
    point here).
    """
    w = [_char_weights(ch) for ch in s]
    return ([p for p, _, _ in w], [a for _, a, _ in w], [t for _, _, t in w], s)


def r_sort(strings: Iterable[str]) -> list[str]:
    """R's ``sort(x)`` for character data (see :func:`collate_key`)."""
    return sorted(strings, key=collate_key)
