"""Write R's data sets into ``hlm_py/datasets/`` (CSV + JSON schema each).

    python -m r_reference.export_datasets            # all of them
    python -m r_reference.export_datasets mtcars hsb # some

Each entry of :data:`DATASETS` is the R expression a user would type to get
the data set (``nlme`` is attached in the session). nlme's ``groupedData``
objects are exported as the plain data frame (their columns and row names;
the formula and label attributes are dropped). After writing, the file is read
back with ``hlm_py.datasets.load`` and its checksum compared with R's.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from hlm_py import datasets as hds
from r_reference import rconvert, rsession

# name -> R expression (what a user types; nlme is attached)
DATASETS: dict[str, str] = {
    # datasets (base R)
    "mtcars": "mtcars",
    "iris": "iris",
    "ToothGrowth": "ToothGrowth",
    "warpbreaks": "warpbreaks",
    "airquality": "airquality",
    "PlantGrowth": "PlantGrowth",
    "swiss": "swiss",
    "cars": "cars",
    "esoph": "esoph",
    "npk": "npk",
    "trees": "trees",
    "InsectSprays": "InsectSprays",
    "stackloss": "stackloss",
    "chickwts": "chickwts",
    "women": "women",
    "longley": "longley",
    "attitude": "attitude",
    "ChickWeight": "ChickWeight",
    "Orange": "Orange",
    "CO2": "CO2",
    # nlme
    "Orthodont": "Orthodont",
    "Oats": "Oats",
    "Machines": "Machines",
    "Pixel": "Pixel",
    "Rail": "Rail",
    "Ovary": "Ovary",
    "BodyWeight": "BodyWeight",
    "Dialyzer": "Dialyzer",
    "ergoStool": "ergoStool",
    "Alfalfa": "Alfalfa",
    "Assay": "Assay",
    "Wheat2": "Wheat2",
    # lme4
    "sleepstudy": "lme4::sleepstudy",
    "Dyestuff": "lme4::Dyestuff",
    "Dyestuff2": "lme4::Dyestuff2",
    "Penicillin": "lme4::Penicillin",
    "Pastes": "lme4::Pastes",
    "cake": "lme4::cake",
    # mlmRev
    "Hsb82": "mlmRev::Hsb82",
    "Exam": "mlmRev::Exam",
    "ScotsSec": "mlmRev::ScotsSec",
    # the seed's High School and Beyond data: Hsb82 under the seed's names
    "hsb": (
        "with(mlmRev::Hsb82, data.frame(id = school, minority = minrty, female = sx, "
        "ses = ses, mathach = mAch, meanses = meanses, sector = sector, cses = cses))"
    ),
}

SOURCES: dict[str, str] = {
    "Orthodont": "nlme", "Oats": "nlme", "Machines": "nlme", "Pixel": "nlme",
    "Rail": "nlme", "Ovary": "nlme", "Wheat2": "nlme", "BodyWeight": "nlme", "Dialyzer": "nlme",
    "ergoStool": "nlme", "Alfalfa": "nlme", "Assay": "nlme",
    "sleepstudy": "lme4", "Dyestuff": "lme4", "Dyestuff2": "lme4", "Penicillin": "lme4",
    "Pastes": "lme4", "cake": "lme4",
    "Hsb82": "mlmRev", "Exam": "mlmRev", "ScotsSec": "mlmRev", "hsb": "mlmRev",
}


def plain_data_frame_code(expr: str) -> str:
    """R code giving the plain data.frame of ``expr`` (groupedData attributes dropped)."""
    return (
        f"local({{ d <- {expr}; "
        "structure(unclass(d)[names(d)], names = names(d), "
        "row.names = attr(d, 'row.names'), class = 'data.frame') })"
    )


def r_repr(name: str) -> dict[str, Any]:
    """The representation of data set ``name`` computed from R."""
    rr = rsession.r()
    df = rr(plain_data_frame_code(DATASETS[name]))
    return rconvert.data_frame_repr(df, name)


def _cell(v: Any, typ: str) -> str:
    if v is None:
        return hds.NA_TOKEN
    if typ == "numeric":
        if isinstance(v, str):
            return v
        s = repr(float(v))
        return s[:-2] if s.endswith(".0") else s
    if typ == "integer":
        return str(int(v))
    if typ == "logical":
        return "TRUE" if v else "FALSE"
    if v == hds.NA_TOKEN:
        raise ValueError(f"a {typ} value equal to the NA token {hds.NA_TOKEN!r}")
    return str(v)


def _automatic(row_names: list[str]) -> bool:
    return row_names == [str(i) for i in range(1, len(row_names) + 1)]


def write(name: str, rep: dict[str, Any], out_dir: Path = hds.DATA_DIR) -> None:
    """Write ``<name>.csv`` and ``<name>.json`` from a representation."""
    cols = rep["columns"]
    auto = _automatic(rep["row_names"])
    with open(out_dir / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        header = ([] if auto else [""]) + [c["name"] for c in cols]
        w.writerow(header)
        for i, rn in enumerate(rep["row_names"]):
            row = [] if auto else [rn]
            row += [_cell(c["values"][i], c["type"]) for c in cols]
            w.writerow(row)
    schema = {
        "name": name,
        "package": SOURCES.get(name, "datasets"),
        "r_expression": DATASETS[name],
        "nrow": len(rep["row_names"]),
        "row_names": "automatic" if auto else "column",
        "columns": [
            {k: c[k] for k in ("name", "type", "levels") if k in c} for c in cols
        ],
        "sha256": hds.repr_checksum(rep),
    }
    with open(out_dir / f"{name}.json", "w", encoding="utf-8") as fh:
        json.dump(schema, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


def export(names: list[str]) -> None:
    for name in names:
        rep = r_repr(name)
        write(name, rep)
        hds.schema.cache_clear()
        hds._load_repr.cache_clear()
        back = hds.checksum(hds.load(name))
        if back != hds.repr_checksum(rep):
            raise SystemExit(f"{name}: load() does not give R's data back")
        print(f"{name}: {len(rep['row_names'])} rows, {len(rep['columns'])} columns, ok")


def main(argv: list[str] | None = None) -> None:
    names = list(argv if argv is not None else sys.argv[1:]) or list(DATASETS)
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise SystemExit(f"unknown data sets: {unknown}")
    export(names)


if __name__ == "__main__":
    main()
