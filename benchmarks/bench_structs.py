"""hlm_py's gls and lme with variance/correlation structures against nlme.

Two models, REML, each fitted to the same data on both sides; the data are
generated once in Python and copied into R before any clock starts. R's time
is its own ``system.time(...)["elapsed"]`` around the fitting call; hlm_py's
is ``time.perf_counter`` around ``hlm.gls`` / ``hlm.lme`` (formula parsing,
model matrices, structures and the fit included). Each time is the median of
``--repeat`` runs (the minimum is in the CSV too).

* ``mmrm``: a simulated two-arm trial, ``--subjects`` subjects x 8 visits,
  monotone dropout (about 20% gone by the last visit; the rows after dropout
  are absent), ``gls(y ~ trt * visit, correlation = corSymm(form = ~
  as.integer(visit) | id), weights = varIdent(form = ~ 1 | visit))``.
* ``ar1``: ``--sizes`` rows in groups of 10, AR(1) errors within a group,
  ``lme(y ~ x, random = ~ 1 | g, correlation = corAR1())``.

An nlme fit longer than ``--cap`` seconds is stopped by R's
``setTimeLimit`` and reported as capped (time ``>cap``, no logLik).

Usage::

    python benchmarks/bench_structs.py
    python benchmarks/bench_structs.py --subjects 500 2000 --sizes 10000 100000 --repeat 3

It prints a table (model, n, groups, seconds for each, ratio nlme/hlm_py,
both logLiks and their difference) and writes ``structs_times.csv`` to
``--out`` (default ``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lme import to_r  # noqa: E402

VISITS = 8

MMRM_PY = dict(model="y ~ trt * visit")
MMRM_R = ("gls(y ~ trt * visit, data = bench_data, "
          "correlation = corSymm(form = ~ as.integer(visit) | id), "
          "weights = varIdent(form = ~ 1 | visit), method = 'REML')")
AR1_R = ("lme(y ~ x, random = ~ 1 | g, data = bench_data, correlation = corAR1(), "
         "method = 'REML')")


def make_mmrm(n_subjects: int, seed: int = 1) -> pd.DataFrame:
    """A two-arm trial, 8 visits: unstructured-ish correlation (AR(1)-like
    plus a subject effect), standard deviations rising over visits, a
    treatment-by-visit trend, and monotone dropout with about 20% of the
    subjects gone by the last visit (the rows after dropout removed)."""
    rng = np.random.default_rng(seed)
    v = VISITS
    lag = np.abs(np.subtract.outer(np.arange(v), np.arange(v)))
    R = 0.7 * 0.6 ** lag + 0.3 * np.eye(v)
    sds = np.linspace(1.0, 2.0, v)
    Sig = R * np.outer(sds, sds)
    E = rng.normal(size=(n_subjects, v)) @ np.linalg.cholesky(Sig).T
    arm = rng.integers(0, 2, size=n_subjects)
    t = np.arange(v)
    mu = 10 + 0.3 * t[None, :] - 0.25 * arm[:, None] * t[None, :]
    y = mu + E
    # dropout after visit k (k = 2..8) with hazard h per visit: (1-h)^7 = 0.8
    h = 1 - 0.8 ** (1 / (v - 1))
    last = np.full(n_subjects, v)
    for k in range(2, v + 1):
        drop = (last == v) & (rng.random(n_subjects) < h)
        last[drop] = k - 1
    keep = (t[None, :] + 1) <= last[:, None]
    ids = np.array([f"S{i:05d}" for i in range(n_subjects)])
    vis = np.array([f"V{k + 1}" for k in range(v)])
    sub = np.repeat(np.arange(n_subjects), v).reshape(n_subjects, v)[keep]
    vv = np.tile(np.arange(v), (n_subjects, 1))[keep]
    return pd.DataFrame({
        "id": pd.Categorical(ids[sub], categories=ids),
        "trt": pd.Categorical(np.array(["placebo", "active"])[arm[sub]],
                              categories=["placebo", "active"]),
        "visit": pd.Categorical(vis[vv], categories=list(vis)),
        "y": y[keep],
    })


def make_ar1(n: int, group_size: int = 10, seed: int = 1) -> pd.DataFrame:
    """n rows, n / group_size groups of equal size in row order, a random
    intercept (sd 1) and AR(1) errors (phi 0.5, sd 1) within each group."""
    rng = np.random.default_rng(seed)
    n_groups = n // group_size
    phi = 0.5
    e = np.empty((n_groups, group_size))
    e[:, 0] = rng.normal(size=n_groups)
    for j in range(1, group_size):
        e[:, j] = phi * e[:, j - 1] + np.sqrt(1 - phi ** 2) * rng.normal(size=n_groups)
    x = rng.normal(size=n)
    b = rng.normal(size=n_groups)
    g = np.repeat(np.arange(n_groups), group_size)
    y = 1.0 + 0.5 * x + b[g] + e.ravel()
    labels = np.array([f"g{i:05d}" for i in range(n_groups)])
    return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(labels[g], categories=labels)})


def time_r(code: str, repeat: int, cap: float) -> tuple[list[float], float, bool]:
    """Elapsed seconds of each run of ``code`` in R, the logLik of the last
    fit, and whether a run hit the cap (then no more runs are made)."""
    import rpy2.robjects as ro

    times: list[float] = []
    loglik = np.nan
    for _ in range(repeat):
        out = ro.r(
            "local({ t0 <- proc.time()[['elapsed']]; "
            f"setTimeLimit(elapsed = {cap}, transient = TRUE); "
            "on.exit(setTimeLimit(elapsed = Inf)); "
            f"r <- tryCatch({{ t <- system.time(fit <- suppressWarnings({code}))[['elapsed']]; "
            "c(t, as.numeric(logLik(fit)), 0) }, "
            "error = function(e) c(proc.time()[['elapsed']] - t0, NA, 1)); "
            "setTimeLimit(elapsed = Inf); r })"
        )
        times.append(float(out[0]))
        if float(out[2]) == 1.0:
            return times, np.nan, True
        loglik = float(out[1])
    return times, loglik, False


def time_py(fn, repeat: int) -> tuple[list[float], object]:
    times = []
    fit = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        fit = fn()
        times.append(time.perf_counter() - t0)
    return times, fit


def fit_mmrm(hlm, df):
    return hlm.gls("y ~ trt * visit", df,
                   correlation=hlm.corSymm(form="~ as.integer(visit) | id"),
                   weights=hlm.varIdent(form="~ 1 | visit"), method="REML")


def fit_ar1(hlm, df):
    return hlm.lme("y ~ x", df, random="~ 1 | g", correlation=hlm.corAR1(), method="REML")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, nargs="*", default=[500, 2000],
                    help="mmrm sizes (subjects x 8 visits)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000],
                    help="ar1 sizes (rows, groups of 10)")
    ap.add_argument("--repeat", type=int, default=3, help="median of this many runs")
    ap.add_argument("--cap", type=float, default=600.0, help="nlme's time limit a fit, seconds")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--csv", default="structs_times.csv", help="file name under --out")
    args = ap.parse_args(argv)

    import rpy2.robjects as ro

    import hlm_py as hlm

    ro.r("suppressPackageStartupMessages(library(nlme))")
    jobs = [("mmrm", s, make_mmrm, fit_mmrm, MMRM_R) for s in args.subjects]
    jobs += [("ar1", n, make_ar1, fit_ar1, AR1_R) for n in args.sizes]
    rows = []
    for name, size, make, fit_fn, r_code in jobs:
        df = make(size)
        to_r(df, "bench_data")
        groups = df["id" if name == "mmrm" else "g"].nunique()
        fit_fn(hlm, make(200 if name == "mmrm" else 2000))  # warm-up: imports, caches
        t_py, fit = time_py(lambda df=df, fit_fn=fit_fn: fit_fn(hlm, df), args.repeat)
        ll_py = float(hlm.logLik(fit))
        t_r, ll_r, capped = time_r(r_code, args.repeat, args.cap)
        med_py, med_r = statistics.median(t_py), statistics.median(t_r)
        rows.append({
            "model": name, "n": len(df), "groups": groups,
            "hlm_py_s": med_py, "nlme_s": med_r, "nlme_capped": capped,
            "hlm_py_min_s": min(t_py), "nlme_min_s": min(t_r),
            "runs_hlm_py": len(t_py), "runs_nlme": len(t_r),
            "nlme/hlm_py": med_r / med_py,
            "logLik_hlm_py": ll_py, "logLik_nlme": ll_r, "dlogLik": ll_py - ll_r,
        })
        print(_row_text(rows[-1]), flush=True)

    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / args.csv, index=False)
    print()
    print(_table_text(table))
    print(f"\nwrote {out / args.csv}")
    return 0


def _row_text(r: dict) -> str:
    cap = ">" if r["nlme_capped"] else " "
    return (f"{r['model']:<5} n={r['n']:>7} groups={r['groups']:>6}  hlm_py {r['hlm_py_s']:7.3f}s  "
            f"nlme {cap}{r['nlme_s']:8.3f}s ({r['nlme/hlm_py']:6.1f}x)  "
            f"logLik {r['logLik_hlm_py']:.6f} vs {r['logLik_nlme']:.6f}  diff {r['dlogLik']:+.2e}")


def _table_text(table: pd.DataFrame) -> str:
    """The table as Markdown, for the README."""
    head = ("| model | n | groups | hlm_py s | nlme s | nlme/hlm_py | logLik hlm_py | logLik nlme "
            "| hlm_py - nlme |")
    lines = [head, "|" + "---|" * 9]
    for r in table.to_dict("records"):
        cap = ">" if r["nlme_capped"] else ""
        lines.append(
            f"| {r['model']} | {r['n']:,} | {r['groups']:,} | {r['hlm_py_s']:.3f} | "
            f"{cap}{r['nlme_s']:.3f} | {cap}{r['nlme/hlm_py']:.1f} | {r['logLik_hlm_py']:.4f} | "
            f"{r['logLik_nlme']:.4f} | {r['dlogLik']:+.1e} |")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C.UTF-8")
    sys.exit(main())
