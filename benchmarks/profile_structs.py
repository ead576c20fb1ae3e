"""Where hlm_py's structured fits spend their time: cProfile, no R needed.

Profiles one fit of each of ``bench_structs.py``'s models at the large sizes
(the gls MMRM with 2,000 subjects x 8 visits, corSymm + varIdent; the lme
with corAR1 at 10^5 rows in groups of 10), after an unprofiled warm-up on
small data, and prints the top ``--top`` functions by cumulative time and
the top by internal time, plus the number of criterion evaluations.

Usage::

    python benchmarks/profile_structs.py
    python benchmarks/profile_structs.py --models ar1 --ar1-rows 100000 --top 30
    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_structs.py   # see README
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_structs as bs  # noqa: E402

import hlm_py as hlm  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["mmrm", "ar1"])
    ap.add_argument("--subjects", type=int, default=2000)
    ap.add_argument("--ar1-rows", type=int, default=100_000)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)

    for name in args.models:
        if name == "mmrm":
            make, fit_fn, size = bs.make_mmrm, bs.fit_mmrm, args.subjects
            fit_fn(hlm, make(100))
        else:
            make, fit_fn, size = bs.make_ar1, bs.fit_ar1, args.ar1_rows
            fit_fn(hlm, make(2000))
        df = make(size)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        fit = fit_fn(hlm, df)
        prof.disable()
        wall = time.perf_counter() - t0
        print(f"=== {name}: {len(df):,} rows; profiled wall {wall:.2f} s; "
              f"logLik {float(hlm.logLik(fit))!r} ===")
        opt = getattr(fit, "optim", None)
        if opt is not None and hasattr(opt, "evaluations"):
            print(f"optimiser: {opt.iterations} iterations, {opt.evaluations} evaluations")
        for key, top in (("cumulative", args.top), ("tottime", 15)):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(key).print_stats(top)
            print(f"--- by {key} ---")
            print(out.getvalue())
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
