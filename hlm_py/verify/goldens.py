"""Finding and reading golden files (``golden/<kind>/<case>.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from hlm_py.errors import HlmError

__all__ = ["KINDS", "LME_FIT_ONLY", "LME_R_ONLY", "default_golden_dir", "golden_files",
           "golden_targets", "load_golden", "quantity_groups"]

KINDS = ("lm", "model_matrix", "lme", "gls", "lme_struct")


def default_golden_dir() -> Path:
    """The repository's ``golden/`` next to the package (an editable install or a
    checkout); an :class:`HlmError` saying so when there is none."""
    here = Path(__file__).resolve().parent.parent.parent / "golden"
    if here.is_dir():
        return here
    raise HlmError(
        f"no golden directory at {here}: hlm-py verify needs the repository's golden/ "
        f"(install with 'pip install -e .' from a checkout, or pass --golden DIR)"
    )


def golden_files(golden_dir: Path, kind: str) -> list[Path]:
    """The golden files of one kind, sorted by name."""
    return sorted((Path(golden_dir) / kind).glob("*.json"))


@lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or "case" not in data or "results" not in data:
        raise HlmError(f"{path}: not a golden file (no 'case'/'results')")
    return data


def load_golden(path: Path) -> dict[str, Any]:
    """A golden file's dict (cached per path and modification time)."""
    p = Path(path)
    return _load(str(p), p.stat().st_mtime)


def quantity_groups(golden: dict[str, Any]) -> list[str]:
    """The top-level quantities of a golden, then its printed texts (``printed:<key>``)."""
    kind = golden["case"]["kind"]
    names = list(golden_targets(kind, golden))
    names += [f"printed:{k}" for k in (golden.get("printed") or {})]
    return names


#: the kinds whose goldens hold R's default and tight fits (lme's layout)
FIT_KINDS = ("lme", "gls", "lme_struct")

#: lme golden keys that describe R's run, not the fit (nothing for Python to match)
LME_R_ONLY = frozenset({
    "fit_warnings", "tight_control", "tight_warnings", "tight_error", "tight_distance",
    "default", "tight", "anova_compare_call", "anova_compare_warnings", "compare_default",
    "tight_optimizer", "tight_candidates", "compare_tight", "anova_compare_default",
    "tight_logLik_gain",
})


#: numbers of one R fit that describe R's optimiser, not the model
LME_FIT_ONLY = frozenset({"numIter", "obs_omitted", "intervals_accurate"})


#: cases whose target is R's *default* fit, not its tightest candidate, and
#: why (docs/differences.md, "gls and lme structures")
DEFAULT_TARGET: dict[str, str] = {
    "ch05_fm2Wheat2": "the likelihood rises along a ridge to range -> infinity (Nelder-Mead "
                      "stops at range 4.7e5, nugget 1.8e-5, logLik +0.513); nlme's fit and the "
                      "book's, the interior maximum, is the target",
}


def fit_base(golden: dict[str, Any]) -> dict[str, Any]:
    """The R fit a golden of a fit kind is compared with: the tight refit,
    else the default fit (and the default fit for :data:`DEFAULT_TARGET`)."""
    results = golden.get("results") or {}
    name = (golden.get("case") or {}).get("name")
    if name in DEFAULT_TARGET:
        return results.get("default") or {}
    return results.get("tight") or results.get("default") or {}


def golden_targets(kind: str, golden: dict[str, Any]) -> dict[str, Any]:
    """The results hlm_py must reproduce for a golden.

    lm and model_matrix: the golden's ``results`` as they are. lme: the
    numbers of R's *tightly converged* refit (``results["tight"]``; R's
    default fit when the tight one failed), plus the comparison fits and
    ``anova(fit, fit2, ...)``; R's bookkeeping (warnings, controls, the
    default-vs-tight distance) is not a target.
    """
    results = dict(golden.get("results") or {})
    if golden.get("error") is not None:
        # R's code failed as the case expects: hlm_py must raise an HlmError
        results["error"] = golden["error"]
    if kind not in FIT_KINDS:
        return results
    base = fit_base(golden)
    out = {k: v for k, v in base.items() if k not in LME_FIT_ONLY}
    vs = out.get("varStruct")
    if isinstance(vs, dict) and "covariate" in vs:
        # a fitted(.) covariate is R's input to hlm_py's evaluation at R's
        # parameters, not a result
        out["varStruct"] = {k: v for k, v in vs.items() if k != "covariate"}
    for key, value in results.items():
        if key not in LME_R_ONLY and not key.endswith("_warnings"):
            out[key] = value
    if (golden.get("case") or {}).get("name") in DEFAULT_TARGET \
            and results.get("anova_compare_default") is not None:
        out["anova_compare"] = results["anova_compare_default"]
    return out

