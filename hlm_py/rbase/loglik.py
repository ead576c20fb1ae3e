"""R's ``logLik`` objects and the information criteria computed from them
(R 4.2.2 ``stats``: ``print.logLik``, ``AIC.default``, ``BIC.default``).

:class:`LogLik` is what ``stats:::logLik.lm`` and ``nlme:::logLik.lme`` return:
the log-likelihood with the attributes ``df``, ``nobs`` and ``nall``.
:func:`aic` and :func:`bic` are R's ``AIC`` and ``BIC`` of one such object,
which is all R's generics do with a fit (nlme has no ``AIC``/``BIC`` methods
of its own): ``-2 logLik + k df`` and ``-2 logLik + log(nobs) df``.
"""

from __future__ import annotations

from hlm_py.linalg.libm import r_log
from hlm_py.rbase.formatnum import format_real

__all__ = ["LogLik", "aic", "bic"]


class LogLik(float):
    """R's ``logLik`` object: a float carrying R's attributes.

    ``df``    the number of estimated parameters (lm: rank + 1; lme: fixed
              effects + variance parameters + 1);
    ``nobs``  R's ``"nobs"``, the observations the likelihood counts: ``N``,
              or ``N - p`` for a REML likelihood (``p`` the rank of the fixed
              effects). BIC penalises with ``log(nobs)``;
    ``nall``  R's ``"nall"``: ``N`` (lm: the rows with non-zero weight).

    ``print`` shows R's ``print.logLik``: ``'log Lik.' -73.52346 (df=5)``.
    """

    df: int
    nobs: int
    nall: int

    def __new__(cls, value: float, df: int, nobs: int, nall: int | None = None) -> LogLik:
        obj = super().__new__(cls, value)
        obj.df = int(df)
        obj.nobs = int(nobs)
        obj.nall = int(nobs if nall is None else nall)
        return obj

    def __reduce__(self) -> tuple[type[LogLik], tuple[float, int, int, int]]:
        return (type(self), (float(self), self.df, self.nobs, self.nall))

    def __repr__(self) -> str:
        """R's ``print.logLik`` (``digits = 7``), without the final newline."""
        value = format_real([float(self)], nan_mask=[True])[0]
        return f"'log Lik.' {value} (df={format_real([float(self.df)])[0]})"

    __str__ = __repr__


def aic(loglik: LogLik, k: float = 2.0) -> float:
    """R's ``AIC`` of a ``logLik``: ``-2 logLik + k df``."""
    return -2.0 * float(loglik) + k * loglik.df


def bic(loglik: LogLik) -> float:
    """R's ``BIC`` of a ``logLik``: ``-2 logLik + log(nobs) df``, with R's
    ``log`` (C's; ``log(0)`` is ``-Inf``) of the ``nobs`` attribute."""
    return -2.0 * float(loglik) + float(r_log(float(loglik.nobs))) * loglik.df
