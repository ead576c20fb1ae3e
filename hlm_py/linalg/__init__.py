"""Numerical core, the lowest layer: R's LINPACK QR (``dqrdc2``), the
``qr.*`` helpers, R's order of summation, and residuals in twice the working
precision (``compensated``, for lme's refinement). Imports nothing else of
hlm_py."""

from hlm_py.linalg.dqrdc2 import (
    QR,
    LeastSquares,
    chol2inv,
    dqrdc2,
    qr_coef,
    qr_fitted,
    qr_least_squares,
    qr_Q,
    qr_qty,
    qr_qy,
    qr_R,
    qr_resid,
)
from hlm_py.linalg.rsum import r_col_means, r_col_sums, r_mean, r_sum

__all__ = ["QR", "LeastSquares", "chol2inv", "dqrdc2", "qr_coef", "qr_fitted", "qr_least_squares", "qr_Q", "qr_qty", "qr_qy",
           "qr_R", "qr_resid", "r_col_means", "r_col_sums", "r_mean", "r_sum"]
