"""The cost of computing ``^``, ``exp``, ``log``, ... as R does (the C library,
element by element: hlm_py.linalg.libm) instead of numpy's SIMD kernels, side
by side with R in one run.

Usage: ``python benchmarks/bench_libm.py [--n 1000000]``. Prints seconds per
call for numpy's ufunc, hlm_py's C-library path and R, the ratio R/hlm_py,
and whether hlm_py's result equals R's bit for bit; then a model matrix full
of transforms (``poly``, ``I(x^3)``, ``log``, ``exp``) in hlm_py and in R.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _best(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import pandas as pd
    import rpy2.robjects as ro

    import hlm_py as hlm
    from hlm_py.linalg.libm import r_log, r_math1, r_pow

    ro.r(f"set.seed(1); x <- runif({args.n}, 0.5, 30)")
    x = np.array(ro.r("x"), dtype=float, copy=True)
    cases = [
        ("x^3", lambda: np.power(x, 3.0), lambda: r_pow(x, 3.0)),
        ("x^1.5", lambda: np.power(x, 1.5), lambda: r_pow(x, 1.5)),
        ("exp(x/10)", lambda: np.exp(x / 10), lambda: r_math1("exp", x / 10)),
        ("log(x)", lambda: np.log(x), lambda: r_log(x)),
        ("log1p(x)", lambda: np.log1p(x), lambda: r_math1("log1p", x)),
        ("sin(x)", lambda: np.sin(x), lambda: r_math1("sin", x)),
    ]
    print(f"n = {args.n:,}")
    print("| R expression | numpy s | hlm_py s | R s | R/hlm_py | hlm_py == R bitwise |")
    print("|---|---|---|---|---|---|")
    for expr, np_fn, py_fn in cases:
        t_np = _best(np_fn, args.repeat)
        t_py = _best(py_fn, args.repeat)
        t_r = min(float(ro.r(f"system.time(z <- {expr})[['elapsed']]")[0])
                  for _ in range(args.repeat))
        same = bool(np.array_equal(py_fn(), np.array(ro.r("z"), dtype=float, copy=True)))
        print(f"| `{expr}` | {t_np:.4f} | {t_py:.4f} | {t_r:.4f} | {t_r / t_py:.2f} | {same} |",
              flush=True)

    formula = "y ~ poly(x, 3) + I(x^3) + log(x) + exp(x / 10)"
    ro.r("d <- data.frame(x = x, y = x)")
    d = pd.DataFrame({"x": x, "y": x})
    t_py = _best(lambda: hlm.model_matrix(formula, d), args.repeat)
    t_r = min(float(ro.r(f"system.time(mm <- model.matrix({formula}, d))[['elapsed']]")[0])
              for _ in range(args.repeat))
    same = bool(np.array_equal(hlm.model_matrix(formula, d).to_numpy(),
                               np.array(ro.r("unname(mm)"), dtype=float, copy=True)))
    print(f"\nmodel_matrix({formula}): hlm_py {t_py:.3f} s, R {t_r:.3f} s, "
          f"R/hlm_py {t_r / t_py:.2f}, bitwise equal: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
