"""Where ``hlm.lme`` spends its time: a cProfile breakdown, no R needed.

Fits ``bench_lme.py``'s "slope" model (REML, ``y ~ x1 + x2 + x3 + x4``,
random ``~ x1 | g``) on its data at 10^6 rows / 10^4 groups and at
3*10^5 rows / 3*10^3 groups. For each size it prints the best wall time of
``--repeat`` unprofiled fits, the time of the reduction
(``hlm_py.lme.reduce.reduce_data``) within that fit and its best over the
fits, and the top functions of one profiled fit by cumulative time.

Usage::

    python benchmarks/profile_lme.py
    python benchmarks/profile_lme.py --sizes 300000 --repeat 5 --top 30
    python benchmarks/profile_lme.py --save before.json   # logLik, fixef, sigma
    python benchmarks/profile_lme.py --compare before.json
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lme  # noqa: E402

import hlm_py as hlm  # noqa: E402
from hlm_py.lme import fit as lme_fit  # noqa: E402

SIZES = {1_000_000: 10_000, 300_000: 3_000}


def _slope() -> bench_lme.Model:
    return next(m for m in bench_lme.MODELS if m.name == "slope")


def fit_once(df, model: bench_lme.Model):
    return hlm.lme(model.fixed, df, random=model.random_py, method="REML")


class _ReduceTimer:
    """Wraps ``reduce_data`` as ``fit.py`` sees it, adding up its wall time."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._orig = lme_fit.reduce_data

    def __enter__(self) -> _ReduceTimer:
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return self._orig(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        lme_fit.reduce_data = timed
        return self

    def __exit__(self, *exc) -> None:
        lme_fit.reduce_data = self._orig


def numbers(fit) -> dict:
    return {
        "logLik": float(hlm.logLik(fit)),
        "fixef": [float(v) for v in np.asarray(hlm.fixef(fit), dtype=float)],
        "sigma": float(hlm.sigma(fit)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--repeat", type=int, default=3, help="unprofiled fits, best wall time")
    ap.add_argument("--top", type=int, default=25, help="functions listed")
    ap.add_argument("--save", help="write logLik/fixef/sigma per size to this JSON file")
    ap.add_argument("--compare", help="compare logLik/fixef/sigma with this JSON file")
    args = ap.parse_args(argv)

    model = _slope()
    results: dict[str, dict] = {}
    for n in args.sizes:
        groups = SIZES.get(n, max(n // 100, 10))
        df = bench_lme.make_data(n, groups)
        fit_once(df, model)  # warm up (imports, caches)
        best, best_reduce, min_reduce = np.inf, np.nan, np.inf
        for _ in range(args.repeat):
            with _ReduceTimer() as rt:
                t0 = time.perf_counter()
                fit = fit_once(df, model)
                wall = time.perf_counter() - t0
            min_reduce = min(min_reduce, rt.seconds)
            if wall < best:
                best, best_reduce = wall, rt.seconds
        results[str(n)] = numbers(fit)
        prof = cProfile.Profile()
        prof.enable()
        fit_once(df, model)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(f"=== slope, n={n:,}, groups={groups:,} ===")
        print(f"wall (best of {args.repeat}): {best:.3f} s; reduce_data: {best_reduce:.3f} s "
              f"({100 * best_reduce / best:.0f}%); reduce_data's best: {min_reduce:.3f} s")
        print(f"logLik {results[str(n)]['logLik']!r}  sigma {results[str(n)]['sigma']!r}")
        print(out.getvalue())
        sys.stdout.flush()

    if args.save:
        Path(args.save).write_text(json.dumps(results, indent=1))
    if args.compare:
        ref = json.loads(Path(args.compare).read_text())
        for n, new in results.items():
            if n not in ref:
                continue
            old = ref[n]

            def rel(a, b):
                a, b = np.asarray(a), np.asarray(b)
                return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))

            print(f"n={int(n):,}: relative differences logLik {rel(new['logLik'], old['logLik']):.2e}"
                  f"  fixef {rel(new['fixef'], old['fixef']):.2e}"
                  f"  sigma {rel(new['sigma'], old['sigma']):.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
