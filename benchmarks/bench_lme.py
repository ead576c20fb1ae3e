"""hlm_py against nlme::lme and lme4::lmer, side by side in one run.

Each model is fitted to the same data, already in memory on both sides: the
data are generated once in Python and copied into R before any clock starts.
R's time is R's own ``system.time(...)["elapsed"]`` around the fitting call;
hlm_py's is ``time.perf_counter`` around ``hlm.lme`` (formula parsing, model
matrices and the fit included). Every time is the best of ``--repeat`` runs.

Usage::

    python benchmarks/bench_lme.py                 # 10^4, 10^5, 3x10^5, 10^6 rows
    python benchmarks/bench_lme.py --sizes 10000 100000 --repeat 1
    python benchmarks/bench_lme.py --out benchmarks/out

It prints a table (model, n, groups, seconds for each, ratios R/hlm_py and
logLik differences) and writes ``lme_times.csv`` and ``lme_times.png`` (time
against n, log-log) to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Model:
    """One benchmark model: the same formulas on both sides."""

    name: str
    fixed: str
    random_py: object
    random_r: str
    lmer: str


MODELS = [
    Model(
        "intercept",
        "y ~ x1 + x2 + x3 + x4",
        "~ 1 | g",
        "~ 1 | g",
        "y ~ x1 + x2 + x3 + x4 + (1 | g)",
    ),
    Model(
        "slope",
        "y ~ x1 + x2 + x3 + x4",
        "~ x1 | g",
        "~ x1 | g",
        "y ~ x1 + x2 + x3 + x4 + (x1 | g)",
    ),
    Model(
        "nested",
        "y ~ x1 + x2 + x3 + x4",
        "~ 1 | g/h",
        "~ 1 | g/h",
        "y ~ x1 + x2 + x3 + x4 + (1 | g/h)",
    ),
]


def make_data(n: int, n_groups: int, seed: int = 1) -> pd.DataFrame:
    """Random intercept-and-slope data: n rows in n_groups groups of equal
    expected size, 4 covariates (5 fixed effects with the intercept), and an
    inner grouping ``h`` (5 subgroups a group) for the nested model."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, size=n)
    h = rng.integers(0, 5, size=n)
    x = rng.normal(size=(n, 4))
    b0 = rng.normal(scale=1.0, size=n_groups)
    b1 = rng.normal(scale=0.5, size=n_groups)
    bh = rng.normal(scale=0.7, size=(n_groups, 5))
    y = (
        1.0
        + x @ np.array([0.5, -0.3, 0.2, 0.1])
        + b0[g]
        + b1[g] * x[:, 0]
        + bh[g, h]
        + rng.normal(scale=2.0, size=n)
    )
    labels = np.array([f"g{i:05d}" for i in range(n_groups)])
    return pd.DataFrame(
        {
            "y": y,
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
            "x4": x[:, 3],
            "g": pd.Categorical(labels[g], categories=labels),
            "h": pd.Categorical(np.array(list("abcde"))[h], categories=list("abcde")),
        }
    )


def to_r(df: pd.DataFrame, name: str) -> None:
    """Copy the data frame into R's global environment as ``name``."""
    import rpy2.robjects as ro

    cols = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = ro.IntVector((s.cat.codes.to_numpy() + 1).tolist())
            levels = ro.StrVector(list(s.cat.categories))
            cols[col] = ro.r["structure"](codes, levels=levels, **{"class": "factor"})
        else:
            cols[col] = ro.FloatVector(s.to_numpy())
    ro.globalenv[name] = ro.DataFrame(cols)


def time_r(code: str, repeat: int) -> tuple[float, float]:
    """Best elapsed seconds of ``code`` in R, and the logLik of the last fit."""
    import rpy2.robjects as ro

    best = np.inf
    loglik = np.nan
    for _ in range(repeat):
        out = ro.r(
            f"local({{ t <- system.time(fit <- suppressWarnings({code}))[['elapsed']]; "
            f"c(t, as.numeric(logLik(fit))) }})"
        )
        best = min(best, float(out[0]))
        loglik = float(out[1])
    return best, loglik


def time_py(fn, repeat: int) -> tuple[float, object]:
    best = np.inf
    fit = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        fit = fn()
        best = min(best, time.perf_counter() - t0)
    return best, fit


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs (1 at 10^6)")
    ap.add_argument("--models", nargs="+", default=[m.name for m in MODELS])
    ap.add_argument("--no-lme4", action="store_true", help="skip lme4::lmer")
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args(argv)

    import rpy2.robjects as ro

    import hlm_py as hlm

    ro.r("suppressPackageStartupMessages({library(nlme); library(lme4)})")
    rows = []
    for n in args.sizes:
        n_groups = max(n // 100, 10)
        df = make_data(n, n_groups)
        to_r(df, "bench_data")
        repeat = 1 if n >= 1_000_000 else args.repeat
        for model in (m for m in MODELS if m.name in args.models):
            t_py, fit = time_py(
                lambda model=model, df=df: hlm.lme(
                    model.fixed, df, random=model.random_py, method="REML"
                ),
                repeat,
            )
            ll_py = float(hlm.logLik(fit))
            # returnObject = TRUE: nlme's own algorithm and stopping rule, but a
            # "false convergence" from nlminb (frequent at large n) returns the
            # fit instead of an error; the logLik column shows where it stopped.
            t_nlme, ll_nlme = time_r(
                f"lme({model.fixed}, random = {model.random_r}, data = bench_data, "
                "method = 'REML', control = lmeControl(returnObject = TRUE))",
                repeat,
            )
            if args.no_lme4:
                t_lmer, ll_lmer = np.nan, np.nan
            else:
                t_lmer, ll_lmer = time_r(
                    f"lmer({model.lmer}, data = bench_data, REML = TRUE)",
                    repeat,
                )
            rows.append(
                {
                    "model": model.name,
                    "n": n,
                    "groups": n_groups,
                    "hlm_py_s": t_py,
                    "nlme_s": t_nlme,
                    "lme4_s": t_lmer,
                    "nlme/hlm_py": t_nlme / t_py,
                    "lme4/hlm_py": t_lmer / t_py,
                    "logLik_hlm_py": ll_py,
                    "dlogLik_vs_nlme": ll_py - ll_nlme,
                    "dlogLik_vs_lme4": ll_py - ll_lmer,
                }
            )
            print(_row_text(rows[-1]), flush=True)

    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "lme_times.csv", index=False)
    print()
    print(_table_text(table))
    _plot(table, out / "lme_times.png")
    print(f"\nwrote {out / 'lme_times.csv'} and {out / 'lme_times.png'}")
    return 0


def _row_text(r: dict) -> str:
    return (
        f"{r['model']:<10} n={r['n']:>8} groups={r['groups']:>6}  hlm_py {r['hlm_py_s']:7.3f}s  "
        f"nlme {r['nlme_s']:7.3f}s ({r['nlme/hlm_py']:5.1f}x)  "
        f"lme4 {r['lme4_s']:7.3f}s ({r['lme4/hlm_py']:5.1f}x)  "
        f"dlogLik nlme {r['dlogLik_vs_nlme']:+.2e} lme4 {r['dlogLik_vs_lme4']:+.2e}"
    )


def _table_text(table: pd.DataFrame) -> str:
    """The table as Markdown, for the README and closing notes."""
    head = "| model | n | groups | hlm_py s | nlme s | lme4 s | nlme/hlm_py | lme4/hlm_py | logLik(hlm_py) - nlme | - lme4 |"
    lines = [head, "|" + "---|" * 10]
    for r in table.to_dict("records"):
        lines.append(
            f"| {r['model']} | {r['n']:,} | {r['groups']:,} | {r['hlm_py_s']:.3f} | {r['nlme_s']:.3f} | "
            f"{r['lme4_s']:.3f} | {r['nlme/hlm_py']:.1f} | {r['lme4/hlm_py']:.1f} | "
            f"{r['dlogLik_vs_nlme']:+.1e} | {r['dlogLik_vs_lme4']:+.1e} |"
        )
    return "\n".join(lines)


def _plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(table["model"]))
    fig, axes = plt.subplots(1, len(models), figsize=(4.5 * len(models), 4), squeeze=False)
    for ax, model in zip(axes[0], models):
        t = table[table["model"] == model]
        for col, label in (("hlm_py_s", "hlm_py"), ("nlme_s", "nlme::lme"), ("lme4_s", "lme4::lmer")):
            if t[col].notna().any():
                ax.plot(t["n"], t[col], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows")
        ax.set_ylabel("seconds (best run)")
        ax.set_title(f"REML, random {model}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C.UTF-8")
    sys.exit(main())
