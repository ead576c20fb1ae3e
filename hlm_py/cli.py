"""``hlm-py``: the seed's analyses printed as R prints them, and the golden check.

``hlm-py demo``    runs the seeds' analyses on the shipped data and prints what
                   R prints for the same scripts: mtcars (two lm fits, their
                   summaries and anova tables, sums of squares, incremental
                   R-squared, a prediction; :data:`SEED_MTCARS_R`), then the
                   High School and Beyond empty model (lme summary and
                   VarCorr; :data:`SEED_HSB_R`). ``--part`` picks one.
``hlm-py verify``  runs every golden case in hlm_py and compares it with R's
                   numbers and texts; one row per case; exit status 1 on any
                   failure (or when no golden case was found).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import hlm_py as hlm
from hlm_py.errors import HlmError
from hlm_py.printing.matrixprint import print_series
from hlm_py.printing.rformat import cat_number
from hlm_py.verify.cases import case_name, run_case
from hlm_py.verify.compare import compare_case
from hlm_py.verify.goldens import KINDS, default_golden_dir, golden_files, load_golden

__all__ = ["SEED_HSB_R", "SEED_MTCARS_R", "demo_hsb", "demo_mtcars", "main", "r_cat", "verify"]

#: The seed's mtcars script as R code (printing made explicit), the reference
#: that ``hlm-py demo`` reproduces line for line.
SEED_MTCARS_R = r"""
model <- lm(mpg ~ wt + hp + qsec, data = mtcars)
model_by_make <- lm(mpg ~ disp + drat + wt, data = mtcars)
print(summary(model))
print(summary(model_by_make))
anova_model <- anova(model)
anova_model_by_make <- anova(model_by_make)
cat("ANOVA for model:\n")
print(anova_model)
cat("\nANOVA for model by make:\n")
print(anova_model_by_make)
SST <- anova_model$`Sum Sq`[1]
SSR <- anova_model$`Sum Sq`[2]
SSE <- anova_model$`Sum Sq`[3]
SST_model_by_make <- anova_model_by_make$`Sum Sq`[1]
SSR_model_by_make <- anova_model_by_make$`Sum Sq`[2]
SSE_model_by_make <- anova_model_by_make$`Sum Sq`[3]
cat("\nSums of Squares:\n")
cat("SST:", SST, "\n")
cat("SSR:", SSR, "\n")
cat("SSE:", SSE, "\n")
SSR_diff <- SST - SSE
SSR_diff_model_by_make <- SST_model_by_make - SSE_model_by_make
F_statistic_model_by_make <- anova_model_by_make$`F value`[1]
p_value_model_by_make <- anova_model_by_make$`Pr(>F)`[1]
cat("\nDifference in Sum of Squares for model by make (SSR_diff_model_by_make):",
    SSR_diff_model_by_make, "\n")
cat("\nF-Statistic for model by make:", F_statistic_model_by_make, "\n")
cat("P-Value for model by make:", p_value_model_by_make, "\n")
incremental_R_squared <- summary(model)$r.squared - summary(model_by_make)$r.squared
cat("\nIncremental R-Squared:", incremental_R_squared, "\n")
new_data <- data.frame(disp = 120, drat = 3.9, wt = 2.8)
predicted_mpg <- predict(model_by_make, newdata = new_data)
print(predicted_mpg)
cat("Predicted MPG:", predicted_mpg, "\n")
""".lstrip()


#: The seed's High School and Beyond script (the empty model). ``hsb`` is the
#: seed's data: ``mlmRev::Hsb82`` with the seed's column names, shipped as
#: ``hlm.datasets.load("hsb")``; the first two lines only set R up.
SEED_HSB_R = r"""
library(nlme)
hsb <- setNames(mlmRev::Hsb82, c("id", "minority", "female", "ses", "mathach",
                                 "meanses", "sector", "cses"))
model1 <- lme(mathach ~ 1, random = ~ 1 | id, data = hsb)
print(summary(model1))
print(VarCorr(model1))
""".lstrip()


def r_cat(*items: Any) -> str:
    """R's ``cat(...)`` (``sep = " "``): numbers with up to 7 significant digits."""
    parts = []
    for item in items:
        if isinstance(item, str):
            parts.append(item)
        elif hasattr(item, "__iter__"):
            parts.extend(cat_number(float(v)) for v in item)
        else:
            parts.append(cat_number(float(item)))
    return " ".join(parts)


def r_print(obj: Any) -> str:
    """What R's ``print(obj)`` writes: the object's text plus the final newline
    (renderers return R's output without it, as Python's ``print`` adds one)."""
    if isinstance(obj, pd.Series):
        text = print_series(obj)
    else:
        text = str(obj)
    return text + "\n"


def seed_mtcars_values() -> dict[str, Any]:
    """The seed's mtcars analysis: fits and every number it prints."""
    mtcars = hlm.datasets.load("mtcars")
    model = hlm.lm("mpg ~ wt + hp + qsec", data=mtcars)
    model_by_make = hlm.lm("mpg ~ disp + drat + wt", data=mtcars)
    anova_model = hlm.anova(model)
    anova_model_by_make = hlm.anova(model_by_make)
    ss = anova_model.to_frame()["Sum Sq"]
    ss_make = anova_model_by_make.to_frame()["Sum Sq"]
    new_data = _data_frame(disp=[120.0], drat=[3.9], wt=[2.8])
    return {
        "model": model,
        "model_by_make": model_by_make,
        "anova_model": anova_model,
        "anova_model_by_make": anova_model_by_make,
        "SST": float(ss.iloc[0]),
        "SSR": float(ss.iloc[1]),
        "SSE": float(ss.iloc[2]),
        "SSR_diff_model_by_make": float(ss_make.iloc[0] - ss_make.iloc[2]),
        "F_statistic_model_by_make": float(anova_model_by_make.to_frame()["F value"].iloc[0]),
        "p_value_model_by_make": float(anova_model_by_make.to_frame()["Pr(>F)"].iloc[0]),
        "incremental_R_squared": float(hlm.summary(model).r_squared
                                       - hlm.summary(model_by_make).r_squared),
        "predicted_mpg": hlm.predict(model_by_make, newdata=new_data),
    }


def _data_frame(**cols: list[float]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1))


def demo_mtcars() -> str:
    """The text R prints for :data:`SEED_MTCARS_R`, computed by hlm_py."""
    v = seed_mtcars_values()
    out = [
        r_print(hlm.summary(v["model"])),
        r_print(hlm.summary(v["model_by_make"])),
        r_cat("ANOVA for model:\n"),
        r_print(v["anova_model"]),
        r_cat("\nANOVA for model by make:\n"),
        r_print(v["anova_model_by_make"]),
        r_cat("\nSums of Squares:\n"),
        r_cat("SST:", v["SST"], "\n"),
        r_cat("SSR:", v["SSR"], "\n"),
        r_cat("SSE:", v["SSE"], "\n"),
        r_cat("\nDifference in Sum of Squares for model by make (SSR_diff_model_by_make):",
              v["SSR_diff_model_by_make"], "\n"),
        r_cat("\nF-Statistic for model by make:", v["F_statistic_model_by_make"], "\n"),
        r_cat("P-Value for model by make:", v["p_value_model_by_make"], "\n"),
        r_cat("\nIncremental R-Squared:", v["incremental_R_squared"], "\n"),
        r_print(v["predicted_mpg"]),
        r_cat("Predicted MPG:", v["predicted_mpg"], "\n"),
    ]
    return "".join(out)


def demo_hsb() -> str:
    """The text R prints for :data:`SEED_HSB_R`, computed by hlm_py."""
    hsb = hlm.datasets.load("hsb")
    model1 = hlm.lme("mathach ~ 1", random="~ 1 | id", data=hsb)
    return r_print(hlm.summary(model1)) + r_print(hlm.VarCorr(model1))


DEMOS = {"mtcars": demo_mtcars, "hsb": demo_hsb}


def _demo(args: argparse.Namespace) -> int:
    parts = list(DEMOS) if args.part == "all" else [args.part]
    for part in parts:
        sys.stdout.write(DEMOS[part]())
        sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------
# verify


def verify(golden_dir: Path, kinds: Sequence[str], out: Any = None,
           details: bool = True) -> int:
    """Run and compare every golden case of ``kinds``; print one row per case.

    Returns the exit status: 0 when every quantity of every case passed,
    1 when any failed or when no case was found.
    """
    out = out or sys.stdout
    n_cases = n_failed = 0
    header = f"{'kind':<13} {'case':<44} {'quantities':>10} {'max rel diff':>13}  result"
    print(header, file=out)
    print("-" * len(header), file=out)
    for kind in kinds:
        for path in golden_files(golden_dir, kind):
            n_cases += 1
            try:
                golden = load_golden(path)
                name = case_name(golden)
                rows = compare_case(name, kind, run_case(golden), golden)
            except Exception as exc:  # a broken golden is a failure, not a crash
                n_failed += 1
                print(f"{kind:<13} {path.stem:<44} {0:>10} {'-':>13}  FAIL  "
                      f"{type(exc).__name__}: {exc}", file=out)
                continue
            finite = [r.max_rel_diff for r in rows if math.isfinite(r.max_rel_diff)]
            worst = f"{max(finite):.2e}" if finite else "-"
            bad = [r for r in rows if not r.ok]
            documented = [r for r in rows if r.ok and r.documented]
            status = (f"FAIL ({len(bad)} of {len(rows)})" if bad else
                      f"ok, {len(documented)} documented" if documented else "ok")
            print(f"{kind:<13} {name:<44} {len(rows):>10} {worst:>13}  {status}", file=out)
            if bad:
                n_failed += 1
                if details:
                    for r in bad[:10]:
                        print(f"    {r.quantity}: {r.detail}", file=out)
                    if len(bad) > 10:
                        print(f"    ... and {len(bad) - 10} more", file=out)
    print("-" * len(header), file=out)
    if n_cases == 0:
        print(f"no golden case found in {golden_dir} for kinds {', '.join(kinds)}", file=out)
        return 1
    print(f"{n_cases - n_failed} passed, {n_failed} failed", file=out)
    return 1 if n_failed else 0


def _verify(args: argparse.Namespace) -> int:
    golden_dir = Path(args.golden) if args.golden else default_golden_dir()
    if not golden_dir.is_dir():
        raise HlmError(f"golden directory {golden_dir} does not exist")
    kinds = [args.kind] if args.kind else list(KINDS)
    return verify(golden_dir, kinds, details=not args.quiet)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hlm-py`` command."""
    parser = argparse.ArgumentParser(prog="hlm-py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="the seed's analyses, printed as R prints them")
    p_demo.add_argument("--part", choices=["all", *DEMOS], default="all",
                        help="mtcars (lm, anova, prediction) or hsb (lme); default: both")
    p_demo.set_defaults(func=_demo)
    p_verify = sub.add_parser("verify", help="compare hlm_py with every golden case")
    p_verify.add_argument("--golden", metavar="DIR",
                          help="golden directory (default: the repository's golden/)")
    p_verify.add_argument("--kind", choices=["lm", "model_matrix", "lme"],
                          help="only the cases of this kind")
    p_verify.add_argument("-q", "--quiet", action="store_true",
                          help="no per-quantity details for failing cases")
    p_verify.set_defaults(func=_verify)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except HlmError as exc:
        print(f"hlm-py: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
