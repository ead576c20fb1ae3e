"""One BLAS thread while hlm_py computes.

hlm_py's matrices are tall and thin (n x p, p small) or many small blocks;
threaded BLAS gains nothing on them, and on a busy machine its spinning
threads make a small QR 30 to 50 times slower (docs/internals.md, "BLAS
threads"). One thread also keeps a kernel's order of summation independent
of the number of cores. :func:`one_blas_thread` wraps the fitting and
Hessian entry points; the user's own thread settings are restored on return.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

__all__ = ["one_blas_thread"]

F = TypeVar("F", bound=Callable[..., Any])
_state = threading.local()


def one_blas_thread(fn: F) -> F:
    """Run ``fn`` with BLAS limited to one thread (nested calls limit once)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "depth", 0):
            return fn(*args, **kwargs)
        _state.depth = 1
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                return fn(*args, **kwargs)
        finally:
            _state.depth = 0

    return wrapper  # type: ignore[return-value]
