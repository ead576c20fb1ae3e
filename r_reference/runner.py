"""Run golden cases in one embedded R (rpy2) and write ``golden/<kind>/<name>.json``.

For each case:

1. a fresh R environment (child of ``hlm_data_env``, see ``R/_runner.R``) gets
   the data bound: ``<data_name> <- <data>`` (nothing when the two are the
   same name);
2. the kind's ``r_code(case)`` (``r_reference/cases/<kind>.py``) is evaluated
   there, R's warnings collected;
3. ``hlm_extract_<kind>(fit, case)`` (``r_reference/R/<kind>.R``) is called in
   that environment; it returns ``list(results = ..., printed = ...)`` (a flat
   list works too: its ``printed`` element, if any, is taken as the printed
   texts and the rest as results);
4. the R values are converted by ``rconvert.r_to_json`` and the golden is
   written by ``golden_json.dumps`` (sorted keys, floats by ``repr``: a
   regeneration without change gives no diff).

Kinds are discovered: every module ``r_reference/cases/<kind>.py`` with
``CASES`` and ``r_code``, with its ``r_reference/R/<kind>.R``.

The golden's ``data`` is the R data frame bound to ``data_name`` after step 1,
embedded in ``hlm_py.datasets.to_repr``'s format (plus its ``sha256``), or,
when it equals a shipped data set (same checksum) of more than
``REFERENCE_MIN_ROWS`` rows, the reference ``{"dataset": ..., "name": ...,
"sha256": ...}``.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

from hlm_py import datasets as hds
from r_reference import cases as cases_pkg
from r_reference import golden_json, rconvert, rsession
from r_reference.cases import Case
from r_reference.export_datasets import DATASETS

REPO = Path(__file__).resolve().parent.parent
GOLDEN_DIR = REPO / "golden"
R_DIR = Path(__file__).resolve().parent / "R"
FORMAT = 1
REFERENCE_MIN_ROWS = 200

_loaded_kinds: set[str] = set()
_support_loaded = False


class CaseError(RuntimeError):
    """A case that R could not run."""


# --------------------------------------------------------------------------
# the catalogue


def kind_modules() -> dict[str, ModuleType]:
    """Every ``r_reference/cases/<kind>.py`` that defines ``CASES`` and ``r_code``."""
    out = {}
    for info in pkgutil.iter_modules(cases_pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"r_reference.cases.{info.name}")
        if hasattr(mod, "CASES") and hasattr(mod, "r_code"):
            out[info.name] = mod
    return dict(sorted(out.items()))


def all_cases(kind: str | None = None, name: str | None = None) -> list[Case]:
    """The cases of the catalogue, optionally of one kind and/or one name."""
    mods = kind_modules()
    if kind is not None and kind not in mods:
        raise CaseError(f"no case kind '{kind}' (known: {', '.join(mods)})")
    out: list[Case] = []
    for k, mod in mods.items():
        if kind is not None and k != kind:
            continue
        for case in mod.CASES:
            if case.kind != k:
                raise CaseError(f"case '{case.name}' of cases/{k}.py has kind '{case.kind}'")
            if name is None or case.name == name:
                out.append(case)
    names = [c.name for c in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CaseError(f"duplicated case names: {sorted(dup)}")
    return out


def golden_path(case: Case) -> Path:
    return GOLDEN_DIR / case.kind / f"{case.name}.json"


# --------------------------------------------------------------------------
# R


def _r() -> Any:
    global _support_loaded
    rr = rsession.r()
    if not _support_loaded:
        rr(f'source("{(R_DIR / "_runner.R").as_posix()}", local = FALSE)')
        for name, expr in DATASETS.items():
            if not bool(rr(f'exists("{name}", envir = globalenv())')[0]):
                rr(f'delayedAssign("{name}", {expr}, assign.env = hlm_data_env)')
        _support_loaded = True
    return rr


def _load_kind(kind: str) -> None:
    """Source ``R/<kind>.R`` (after the files of the kinds its module lists in
    ``R_DEPENDS``, e.g. model_matrix uses lm.R's helpers)."""
    if kind in _loaded_kinds:
        return
    for dep in getattr(kind_modules().get(kind), "R_DEPENDS", ()):
        _load_kind(dep)
    path = R_DIR / f"{kind}.R"
    if not path.is_file():
        raise CaseError(f"no R extractor file {path}")
    _r()(f'source("{path.as_posix()}", local = FALSE)')
    _loaded_kinds.add(kind)


def setup_code(case: Case) -> str:
    """R code that binds the case's data to ``data_name`` (may be empty)."""
    if case.data.strip() == case.data_name:
        return ""
    return f"{case.data_name} <- {case.data}"


def script(case: Case, code: str) -> str:
    """The whole R script of a case, as a user would type it."""
    lines = []
    data = case.data.strip()
    if data == case.data_name and data in DATASETS and DATASETS[data] != data:
        # a shipped data set that is not on R's search path (hsb, sleepstudy)
        lines.append(f"{data} <- {DATASETS[data]}")
    setup = setup_code(case)
    if setup:
        lines.append(setup)
    lines.append(code.rstrip("\n"))
    return "\n".join(lines)


def _shipped_by_checksum() -> dict[str, str]:
    out = {}
    for name in hds.names():
        out.setdefault(hds.schema(name)["sha256"], name)
    return out


def _data_object(r_data: Any, case: Case) -> dict[str, Any] | None:
    import rpy2.rinterface as ri

    if r_data is None or r_data is ri.NULL:
        return None
    if "data.frame" not in list(r_data.rclass):
        return None
    rep = rconvert.data_frame_repr(r_data, case.data_name)
    sha = hds.repr_checksum(rep)
    shipped = _shipped_by_checksum().get(sha)
    if shipped is not None and len(rep["row_names"]) > REFERENCE_MIN_ROWS:
        return {"dataset": shipped, "name": case.data_name, "sha256": sha}
    return {"name": case.data_name, "sha256": sha, "row_names": rep["row_names"],
            "columns": rep["columns"]}


def _printed_text(v: Any) -> Any:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "\n".join(v)
    if isinstance(v, dict) and not {"names", "values"} <= set(v):
        return {k: _printed_text(x) for k, x in v.items()}
    return v


def _split(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if value is None:
        return {}, {}
    if not isinstance(value, dict):
        raise CaseError("the extractor must return a named list")
    if set(value) <= {"results", "printed"} and "results" in value:
        results = value.get("results") or {}
        printed = value.get("printed") or {}
    else:
        results = {k: v for k, v in value.items() if k != "printed"}
        printed = value.get("printed") or {}
    if not isinstance(results, dict) or not isinstance(printed, dict):
        raise CaseError("results and printed must be named lists")
    return results, {k: _printed_text(v) for k, v in printed.items()}


def _error_json(err: Any) -> Any:
    return rconvert.r_to_json(err)


def run_case(case: Case) -> dict[str, Any]:
    """Run one case in R; return the golden as a dict (nothing written)."""
    rr = _r()
    _load_kind(case.kind)
    mod = kind_modules()[case.kind]
    code = mod.r_code(case)
    rsession.reset_options()
    out = rr["hlm_run_case"](
        setup_code(case), code, case.kind, rconvert.py_to_r(case.to_dict()), case.data_name
    )
    names = list(out.names)
    parts = dict(zip(names, out))
    stage = str(parts["stage"][0])
    expect_error = bool(case.extra.get("expect_error"))
    if stage == "setup":
        raise CaseError(f"{case.name}: binding the data failed: {_error_json(parts['error'])}")
    code_error = _error_json(parts.get("code_error"))
    if stage == "code" and not expect_error:
        raise CaseError(f"{case.name}: the R code failed: {code_error}")
    if stage == "extract":
        raise CaseError(
            f"{case.name}: hlm_extract_{case.kind} failed: {_error_json(parts['extract_error'])}"
        )
    if code_error is not None and not expect_error:
        raise CaseError(f"{case.name}: the R code failed: {code_error}")
    results, printed = _split(rconvert.r_to_json(parts["value"]) if "value" in parts else None)
    warnings = {
        "r_code": _str_list(rconvert.r_to_json(parts["code_warnings"])),
        "extract": (_str_list(rconvert.r_to_json(parts["extract_warnings"]))
                    if "extract_warnings" in parts else []),
    }
    golden: dict[str, Any] = {
        "format": FORMAT,
        "case": case.to_dict(),
        "r": rsession.r_info(),
        "r_code": script(case, code),
        "data": _data_object(parts["data"], case),
        "results": results,
        "printed": printed,
        "warnings": warnings,
    }
    if code_error is not None:
        golden["error"] = code_error
    return golden


def _str_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


def write_golden(case: Case, golden: dict[str, Any]) -> Path:
    path = golden_path(case)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = golden_json.dumps(golden)
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old != text:
        path.write_text(text, encoding="utf-8")
    return path


def regenerate(kind: str | None = None, name: str | None = None) -> list[Path]:
    """Run the selected cases and write their goldens; return the paths."""
    selected = all_cases(kind, name)
    if not selected:
        raise CaseError("no case matches the selection")
    return [write_golden(c, run_case(c)) for c in selected]


# --------------------------------------------------------------------------
# drift


def _close(a: float, b: float, rel: float) -> bool:
    if a == b:
        return True
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


def diff(old: Any, new: Any, path: str = "", rel: float = 1e-13) -> list[str]:
    """Differences between two golden values: numbers beyond ``rel`` relative,
    any printed line, any other value or structure."""
    out: list[str] = []
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            p = f"{path}.{k}" if path else k
            if k not in old:
                out.append(f"{p}: new in R's output")
            elif k not in new:
                out.append(f"{p}: gone from R's output")
            else:
                out += diff(old[k], new[k], p, rel)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: length {len(old)} -> {len(new)}"]
        for i, (a, b) in enumerate(zip(old, new)):
            out += diff(a, b, f"{path}[{i}]", rel)
            if len(out) > 20:
                break
        return out
    num = (int, float)
    if (isinstance(old, num) and isinstance(new, num)
            and not isinstance(old, bool) and not isinstance(new, bool)):
        if not _close(float(old), float(new), rel):
            out.append(f"{path}: {old!r} -> {new!r}")
        return out
    if isinstance(old, str) and isinstance(new, str) and "\n" in old + new:
        a, b = old.split("\n"), new.split("\n")
        for i in range(max(len(a), len(b))):
            la = a[i] if i < len(a) else "<none>"
            lb = b[i] if i < len(b) else "<none>"
            if la != lb:
                out.append(f"{path} line {i + 1}: {la!r} -> {lb!r}")
        return out
    if old != new:
        out.append(f"{path}: {old!r} -> {new!r}")
    return out


def check(kind: str | None = None, name: str | None = None) -> dict[str, list[str]]:
    """Re-run R for the selected cases; return the drift per case (empty = none).

    A case without a committed golden, or a golden without a case, is drift."""
    drift: dict[str, list[str]] = {}
    selected = all_cases(kind, name)
    for case in selected:
        path = golden_path(case)
        key = f"{case.kind}/{case.name}"
        if not path.is_file():
            drift[key] = ["no golden file"]
            continue
        old = golden_json.load(path)
        try:
            new = golden_json.loads(golden_json.dumps(run_case(case)))
        except CaseError as exc:
            drift[key] = [f"R failed: {exc}"]
            continue
        d = diff(old, new)
        if d:
            drift[key] = d
    if name is None:
        known = {f"{c.kind}/{c.name}" for c in selected}
        kinds = [kind] if kind else list(kind_modules())
        for k in kinds:
            for p in sorted((GOLDEN_DIR / k).glob("*.json")):
                key = f"{k}/{p.stem}"
                if key not in known:
                    drift[key] = ["golden file without a case"]
    return drift
