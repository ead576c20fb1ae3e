"""R base behaviour several layers share, the one home of each piece, on top of
``linalg`` only:

* ``formatreal``: R's C ``formatReal``, ``scientific``, ``EncodeReal0``;
* ``formatnum``: R's ``format()`` of numbers (double and integer vectors) and
  stats' ``format.perc``;
* ``ascharacter``: ``as.character`` of numbers and logicals;
* ``collate``: ``sort`` of character strings (factor levels);
* ``quantile``: ``quantile`` of type 7;
* ``loglik``: ``logLik`` objects, ``AIC`` and ``BIC``.

Imports nothing of hlm_py but ``hlm_py.linalg``."""

from hlm_py.rbase.ascharacter import as_character_double, as_character_numbers, as_character_scalar
from hlm_py.rbase.collate import collate_key, r_sort
from hlm_py.rbase.formatnum import format_integer, format_number, format_perc, format_real
from hlm_py.rbase.loglik import LogLik, aic, bic
from hlm_py.rbase.quantile import quantile7

__all__ = ["LogLik", "aic", "as_character_double", "as_character_numbers", "as_character_scalar",
           "bic", "collate_key", "format_integer", "format_number", "format_perc", "format_real",
           "quantile7", "r_sort"]
