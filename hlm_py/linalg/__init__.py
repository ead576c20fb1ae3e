"""Numerical core: R's LINPACK QR (``dqrdc2``) and the ``qr.*`` helpers."""

from hlm_py.linalg.dqrdc2 import (
    QR,
    chol2inv,
    dqrdc2,
    qr_coef,
    qr_fitted,
    qr_Q,
    qr_qty,
    qr_qy,
    qr_R,
    qr_resid,
)

__all__ = ["QR", "chol2inv", "dqrdc2", "qr_coef", "qr_fitted", "qr_Q", "qr_qty", "qr_qy",
           "qr_R", "qr_resid"]
