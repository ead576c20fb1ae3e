"""hlm_py.datasets: shipped files, types, the golden representation, checksums."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hlm_py import datasets as hds
from hlm_py.errors import HlmError

REQUIRED = ["mtcars", "hsb", "Hsb82", "Orthodont", "sleepstudy"]


def test_required_sets_are_shipped():
    names = hds.names()
    for name in REQUIRED:
        assert name in names


@pytest.mark.parametrize("name", hds.names())
def test_load_matches_schema_and_checksum(name):
    df = hds.load(name)
    sch = hds.schema(name)
    assert df.attrs["name"] == name
    assert len(df) == sch["nrow"]
    assert list(df.columns) == [c["name"] for c in sch["columns"]]
    # the checksum R's export computed equals the one of what pandas holds
    assert hds.checksum(df) == sch["sha256"]
    for col in sch["columns"]:
        s = df[col["name"]]
        typ = col["type"]
        if typ == "numeric":
            assert s.dtype == np.float64
        elif typ == "integer":
            assert s.dtype in (np.dtype("int64"), pd.Int64Dtype())
        elif typ == "logical":
            assert s.dtype in (np.dtype("bool"), pd.BooleanDtype())
        elif typ == "character":
            assert s.dtype == object
        else:
            assert isinstance(s.dtype, pd.CategoricalDtype)
            assert s.dtype.ordered == (typ == "ordered")
            assert [str(c) for c in s.cat.categories] == col["levels"]


@pytest.mark.parametrize("name", hds.names())
def test_repr_round_trip(name):
    df = hds.load(name)
    rep = hds.to_repr(df)
    back = hds.from_repr(rep)
    pd.testing.assert_frame_equal(df, back)
    assert hds.to_repr(back) == rep
    # JSON-safe, as the golden files need it
    json.dumps(rep, allow_nan=False)


def test_load_returns_a_fresh_copy():
    a = hds.load("mtcars")
    a.loc[a.index[0], "mpg"] = -1.0
    b = hds.load("mtcars")
    assert b["mpg"].iloc[0] != -1.0


def test_mtcars_row_names_are_car_names():
    df = hds.load("mtcars")
    assert df.index.dtype == object
    assert all(isinstance(r, str) for r in df.index)
    assert df.index.is_unique
    assert len(df) == 32


def test_automatic_row_names_are_a_range_from_one():
    df = hds.load("sleepstudy")
    assert isinstance(df.index, pd.RangeIndex)
    assert df.index[0] == 1 and df.index[-1] == len(df)


def test_hsb_is_hsb82_renamed():
    hsb, h82 = hds.load("hsb"), hds.load("Hsb82")
    assert list(hsb.columns) == [
        "id", "minority", "female", "ses", "mathach", "meanses", "sector", "cses"
    ]
    assert len(hsb) == 7185
    assert hsb["id"].nunique() == 160
    mapping = {"id": "school", "minority": "minrty", "female": "sx", "ses": "ses",
               "mathach": "mAch", "meanses": "meanses", "sector": "sector", "cses": "cses"}
    for new, old in mapping.items():
        pd.testing.assert_series_equal(hsb[new], h82[old], check_names=False)
    assert hsb["id"].dtype.ordered


def test_orthodont_subject_is_ordered_and_sex_a_factor():
    df = hds.load("Orthodont")
    assert df["Subject"].dtype.ordered
    assert not df["Sex"].dtype.ordered
    assert list(df.columns) == ["distance", "age", "Subject", "Sex"]


def test_airquality_integer_columns_with_na_are_nullable():
    df = hds.load("airquality")
    assert df["Ozone"].dtype == pd.Int64Dtype()
    assert df["Ozone"].isna().any()
    assert df["Month"].dtype == np.dtype("int64")
    rep = hds.to_repr(df)
    oz = next(c for c in rep["columns"] if c["name"] == "Ozone")
    assert None in oz["values"] and oz["type"] == "integer"


def test_unknown_data_set_raises():
    with pytest.raises(HlmError, match="no data set"):
        hds.load("no_such_data")


def test_repr_of_every_column_type_round_trips():
    df = pd.DataFrame(
        {
            "x": [1.5, np.nan, np.inf],
            "i": pd.array([1, None, 3], dtype="Int64"),
            "j": np.array([1, 2, 3], dtype=np.int64),
            "b": [True, False, True],
            "nb": pd.array([True, None, False], dtype="boolean"),
            "s": np.array(["a", None, "c"], dtype=object),
            "f": pd.Categorical(["b", "a", None], categories=["b", "a"]),
            "o": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
        },
        index=pd.Index(["r1", "r2", "r3"], dtype=object),
    )
    rep = hds.to_repr(df)
    types = [c["type"] for c in rep["columns"]]
    assert types == ["numeric", "integer", "integer", "logical", "logical", "character",
                     "factor", "ordered"]
    assert rep["columns"][0]["values"] == [1.5, None, "Inf"]
    assert rep["columns"][6]["levels"] == ["b", "a"]
    back = hds.from_repr(rep)
    pd.testing.assert_frame_equal(back, df)
    assert hds.checksum(back) == hds.checksum(df)


def test_checksum_sees_values_row_names_and_levels():
    df = hds.load("PlantGrowth")
    base = hds.checksum(df)
    d2 = df.copy()
    d2.iloc[0, 0] = d2.iloc[0, 0] + 1e-12
    assert hds.checksum(d2) != base
    d3 = df.copy()
    d3.index = pd.Index([f"r{i}" for i in range(len(df))], dtype=object)
    assert hds.checksum(d3) != base
    d4 = df.copy()
    d4["group"] = d4["group"].cat.reorder_categories(list(reversed(d4["group"].cat.categories)))
    assert hds.checksum(d4) != base


def test_from_repr_rejects_values_outside_levels():
    rep = {"name": "x", "row_names": ["1"],
           "columns": [{"name": "f", "type": "factor", "levels": ["a"], "values": ["b"]}]}
    with pytest.raises(HlmError):
        hds.from_repr(rep)


@pytest.mark.live_r
@pytest.mark.parametrize("name", REQUIRED + ["airquality", "esoph", "cake"])
def test_shipped_data_equal_r_live(name):
    from r_reference import export_datasets

    rep = export_datasets.r_repr(name)
    assert hds.repr_checksum(rep) == hds.checksum(hds.load(name))
