"""hlm_py.lm against R's lm, side by side in one run (data in memory on both sides).

Usage: ``python benchmarks/bench_lm.py [--sizes 10000 100000 1000000]``.
Prints seconds for each and the ratio R/hlm_py; the largest relative
difference of the coefficients is printed too, so a fast wrong answer shows.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from bench_lme import to_r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import rpy2.robjects as ro

    import hlm_py as hlm

    formula = "y ~ x1 + x2 * f + log(x3)"
    print("| n | hlm_py s | R lm s | R/hlm_py | max rel diff of coef |")
    print("|---|---|---|---|---|")
    for n in args.sizes:
        rng = np.random.default_rng(2)
        df = pd.DataFrame(
            {
                "x1": rng.normal(size=n),
                "x2": rng.normal(size=n),
                "x3": rng.uniform(1, 5, size=n),
                "f": pd.Categorical(rng.choice(list("abcd"), size=n), categories=list("abcd")),
            }
        )
        df["y"] = 1 + df["x1"] - 0.5 * df["x2"] + np.log(df["x3"]) + rng.normal(size=n)
        to_r(df, "bench_data")
        t_py = np.inf
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fit = hlm.lm(formula, df)
            t_py = min(t_py, time.perf_counter() - t0)
        t_r = min(
            float(ro.r(f"system.time(fit <- lm({formula}, data = bench_data))[['elapsed']]")[0])
            for _ in range(args.repeat)
        )
        coef_r = np.array(ro.r("coef(fit)"), dtype=float, copy=True)  # not a view of R memory
        coef_py = hlm.coef(fit).to_numpy()
        diff = np.max(np.abs(coef_py - coef_r) / np.abs(coef_r))
        print(f"| {n:,} | {t_py:.3f} | {t_r:.3f} | {t_r / t_py:.2f} | {diff:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
