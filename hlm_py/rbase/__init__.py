"""R base behaviour several layers share, the lowest layer with ``linalg``:
R's ``formatReal`` (``formatreal``), ``as.character`` of numbers and
logicals (``ascharacter``) and ``sort`` of character strings (``collate``).
Imports nothing else of hlm_py."""

from hlm_py.rbase.ascharacter import as_character_double, as_character_numbers, as_character_scalar
from hlm_py.rbase.collate import collate_key, r_sort

__all__ = ["as_character_double", "as_character_numbers", "as_character_scalar", "collate_key", "r_sort"]
