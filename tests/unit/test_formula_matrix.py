"""model.frame / model.matrix / build_design: R's names, order, assign, errors."""

import warnings

import numpy as np
import pandas as pd
import pytest

from hlm_py.errors import (
    HlmError,
    MissingValueError,
    NewLevelError,
    NonFiniteError,
    UnknownVariableError,
)
from hlm_py.formula import build_design, model_frame, model_matrix


@pytest.fixture
def df():
    rng = np.random.default_rng(7)
    n = 24
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n) + 3,
            "z": rng.uniform(1, 2, size=n),
            "f": pd.Categorical(np.tile(["a", "b", "c"], 8)),
            "g": pd.Categorical(np.repeat(["u", "v"], 12)),
            "o": pd.Categorical(np.tile(["lo", "mid", "hi", "top"], 6),
                                categories=["lo", "mid", "hi", "top"], ordered=True),
            "s": np.tile(["q", "P", "r"], 8).astype(object),
            "b": np.tile([True, False], 12),
            "cyl": np.tile([4, 6, 8], 8),
        },
        index=[f"r{i}" for i in range(n)],
    )


def cols(f, d, **kw):
    return list(model_matrix(f, d, **kw).columns)


def test_names_and_assign(df):
    m = model_matrix("y ~ x + f", df)
    assert list(m.columns) == ["(Intercept)", "x", "fb", "fc"]
    assert m.attrs["assign"] == [0, 1, 2, 2]
    assert m.attrs["contrasts"] == {"f": "contr.treatment"}
    assert list(m.index) == list(df.index)


@pytest.mark.parametrize(
    "f, expected",
    [
        ("y ~ x:f", ["(Intercept)", "x:fa", "x:fb", "x:fc"]),
        ("y ~ x + x:f", ["(Intercept)", "x", "x:fb", "x:fc"]),
        ("y ~ f:g", ["(Intercept)", "fa:gu", "fb:gu", "fc:gu", "fa:gv", "fb:gv", "fc:gv"]),
        ("y ~ f*g", ["(Intercept)", "fb", "fc", "gv", "fb:gv", "fc:gv"]),
        ("y ~ 0 + f", ["fa", "fb", "fc"]),
        ("y ~ f - 1 + g", ["fa", "fb", "fc", "gv"]),
        ("y ~ -1 + x + f", ["x", "fa", "fb", "fc"]),
        ("y ~ g/x", ["(Intercept)", "gv", "gu:x", "gv:x"]),
        ("y ~ factor(cyl)", ["(Intercept)", "factor(cyl)6", "factor(cyl)8"]),
        ("y ~ x:z", ["(Intercept)", "x:z"]),
        ("y ~ b", ["(Intercept)", "bTRUE"]),
        ("y ~ 0 + b", ["bFALSE", "bTRUE"]),
        ("y ~ o", ["(Intercept)", "o.L", "o.Q", "o.C"]),
        ("y ~ s", ["(Intercept)", "sq", "sr"]),  # sorted as R does: P < q < r
        ("y ~ poly(x, 2)", ["(Intercept)", "poly(x, 2)1", "poly(x, 2)2"]),
        ("y ~ poly(x, 2):g", ["(Intercept)", "poly(x, 2)1:gu", "poly(x, 2)2:gu", "poly(x, 2)1:gv", "poly(x, 2)2:gv"]),
        ("y ~ scale(x)", ["(Intercept)", "scale(x)"]),
        ("y ~ log(x + 1) + I(x^2)", ["(Intercept)", "log(x + 1)", "I(x^2)"]),
        ("y ~ 1", ["(Intercept)"]),
    ],
)
def test_columns_follow_r_rules(df, f, expected):
    assert cols(f, df) == expected


def test_contrasts_argument(df):
    m = model_matrix("y ~ f", df, contrasts={"f": "contr.sum"})
    assert list(m.columns) == ["(Intercept)", "f1", "f2"]
    assert np.allclose(m[["f1", "f2"]].sum(axis=0), 0)  # balanced design
    m = model_matrix("y ~ f", df, contrasts={"f": "contr.helmert"})
    assert list(m.columns) == ["(Intercept)", "f1", "f2"]
    mat = pd.DataFrame([[1.0], [0.0], [-1.0]], columns=["lin"])
    m = model_matrix("y ~ f", df, contrasts={"f": mat})
    assert list(m.columns) == ["(Intercept)", "flin"]
    assert isinstance(m.attrs["contrasts"]["f"], pd.DataFrame)
    m = model_matrix("y ~ o", df, contrasts={"o": "contr.treatment"})
    assert list(m.columns) == ["(Intercept)", "omid", "ohi", "otop"]
    with pytest.warns(UserWarning, match="absent"):
        model_matrix("y ~ f", df, contrasts={"nothere": "contr.sum"})


def test_values_of_factor_coding(df):
    m = model_matrix("y ~ 0 + f", df).to_numpy()
    assert np.array_equal(m.sum(axis=1), np.ones(len(df)))
    m = model_matrix("y ~ x:f", df)
    assert np.allclose(m[["x:fa", "x:fb", "x:fc"]].sum(axis=1), df["x"])


def test_poly_columns_are_orthonormal_and_predict_consistently(df):
    d = build_design("y ~ poly(x, 3)", df)
    P = d.X.values[:, 1:]
    assert np.allclose(P.T @ P, np.eye(3))
    assert np.allclose(P.sum(axis=0), 0)
    # predict.poly on the fitting data reproduces the columns
    X2, _ = d.new_data_matrix(df[["x"]])
    assert np.allclose(X2.values, d.X.values)
    raw = model_matrix("y ~ poly(x, 2, raw = TRUE)", df)
    assert np.allclose(raw.iloc[:, 2], df["x"] ** 2)


def test_scale_keeps_state_for_predict(df):
    d = build_design("y ~ scale(x)", df)
    col = d.X.values[:, 1]
    assert abs(col.mean()) < 1e-12 and abs(col.std(ddof=1) - 1) < 1e-12
    X2, _ = d.new_data_matrix(df.iloc[:3])
    assert np.allclose(X2.values[:, 1], col[:3])


def test_na_actions(df):
    d = df.copy()
    d.loc["r1", "x"] = np.nan
    d.loc["r5", "f"] = np.nan
    mf = model_frame("y ~ x + f", d)
    assert mf.attrs["na.action"] == ["r1", "r5"]
    assert len(mf) == len(d) - 2
    des = build_design("y ~ x + f", d, na_action="na.exclude")
    assert des.frame.na_action.kind == "exclude"
    assert list(des.frame.na_action.omitted_positions) == [1, 5]
    with pytest.raises(MissingValueError, match="missing values in object"):
        build_design("y ~ x", d, na_action="na.fail")
    # NA in weights or extra variables drops the row too
    w = np.ones(len(d))
    w[3] = np.nan
    des = build_design("y ~ z", d, weights=w, extra_variables=["x"])
    assert list(des.frame.na_action.omitted_labels) == ["r1", "r3"]


def test_log_of_zero_and_negative(df):
    d = df.copy()
    d.loc["r0", "z"] = 0.0
    d.loc["r2", "z"] = -1.0
    with pytest.warns(RuntimeWarning, match="NaNs produced"):
        des = build_design("y ~ log(z)", d)
    assert "r2" not in list(des.frame.row_names)  # NaN is NA: dropped
    assert np.isneginf(des.X.values[0, 1])  # -Inf kept in the frame
    with pytest.raises(NonFiniteError, match="NA/NaN/Inf in 'x'"):
        des.check_finite()


def test_subset_forms(df):
    a = build_design("y ~ x", df, subset="cyl != 4")
    b = build_design("y ~ x", df, subset=(df["cyl"] != 4).to_numpy())
    c = build_design("y ~ x", df, subset=np.flatnonzero(df["cyl"] != 4))
    assert list(a.frame.row_names) == list(b.frame.row_names) == list(c.frame.row_names)
    assert len(a.frame.row_names) == 16
    d = build_design("y ~ x", df, subset="cyl %in% c(4, 8) & x > 0")
    assert set(df.loc[d.frame.row_names, "cyl"]) == {4, 8}


def test_weights(df):
    d = build_design("y ~ x", df, weights="z")
    assert np.array_equal(d.weights, df["z"].to_numpy())
    mf = model_frame("y ~ x", df, weights="z")
    assert list(mf.columns) == ["y", "x", "(weights)"]
    with pytest.raises(HlmError, match="negative weights"):
        build_design("y ~ x", df, weights=df["z"] - 1.5)


def test_drop_unused_levels(df):
    d = df.copy()
    d["f"] = d["f"].cat.add_categories(["zz"])
    assert cols("y ~ f", d) == ["(Intercept)", "fb", "fc", "fzz"]  # model.matrix keeps them
    des = build_design("y ~ f", d)  # lm drops them
    assert des.X.columns == ["(Intercept)", "fb", "fc"]
    assert des.frame.xlevels == {"f": ["a", "b", "c"]}
    one = df.copy()
    one["f"] = pd.Categorical(["a"] * len(df), categories=["a", "b"])
    with pytest.raises(HlmError, match="2 or more levels"):
        build_design("y ~ f + x", one)


def test_model_frame_names(df):
    mf = model_frame("log(y + 5) ~ factor(cyl) + poly(x, 2) + offset(z)", df)
    assert list(mf.columns) == ["log(y + 5)", "factor(cyl)", "poly(x, 2).1", "poly(x, 2).2", "offset(z)"]
    assert isinstance(mf["factor(cyl)"].dtype, pd.CategoricalDtype)
    assert list(mf["factor(cyl)"].cat.categories) == ["4", "6", "8"]


def test_offset(df):
    d = build_design("y ~ x + offset(log(z)) + offset(x)", df)
    assert np.allclose(d.offset, np.log(df["z"]) + df["x"])
    assert d.X.columns == ["(Intercept)", "x"]


def test_new_data(df):
    d = build_design("y ~ f + factor(cyl) + x", df)
    new = pd.DataFrame({"f": ["b", "a"], "cyl": [8, 4], "x": [1.0, np.nan]})
    X, off = d.new_data_matrix(new)
    assert off is None
    assert X.columns == d.X.columns
    assert X.values[0].tolist() == [1, 1, 0, 0, 1, 1]
    assert np.isnan(X.values[1, -1])  # NA kept (na.pass)
    with pytest.raises(NewLevelError, match="factor f has new level zz"):
        d.new_data_matrix(pd.DataFrame({"f": ["zz"], "cyl": [4], "x": [1.0]}))
    with pytest.raises(NewLevelError, match="factor factor\\(cyl\\) has new levels 5"):
        d.new_data_matrix(pd.DataFrame({"f": ["a", "a"], "cyl": [5, 4], "x": [1.0, 2.0]}))
    with pytest.raises(HlmError, match="was fitted with type"):
        d.new_data_matrix(pd.DataFrame({"f": [1.0], "cyl": [4], "x": [1.0]}))


def test_unknown_variable(df):
    with pytest.raises(UnknownVariableError, match="object 'nothere' not found"):
        model_matrix("y ~ nothere", df)
    with pytest.raises(UnknownVariableError, match="could not find function"):
        model_matrix("y ~ nofun(x)", df)


def test_response_on_rhs_is_dropped(df):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = model_matrix("y ~ y + x", df)
    assert list(m.columns) == ["(Intercept)", "x"]
    assert any("response appeared" in str(w.message) for w in rec)


def test_million_rows_design_shape():
    # Speed is measured in benchmarks/, never here; this checks the large-n
    # path (plain numpy sums above 100,000 rows) gives the full design.
    rng = np.random.default_rng(1)
    n = 1_000_000
    big = pd.DataFrame({
        "y": rng.normal(size=n), "x1": rng.normal(size=n), "x2": rng.normal(size=n),
        "g": pd.Categorical(rng.integers(0, 5, n).astype(str)),
    })
    d = build_design("y ~ x1 * g + x2", big)
    small = build_design("y ~ x1 * g + x2", big.iloc[:1000])
    assert d.X.values.shape == (n, 11)
    assert d.X.columns == small.X.columns
    np.testing.assert_array_equal(d.X.values[:1000], small.X.values)


def test_a_response_on_the_right_hand_side_is_dropped_with_r_s_two_warnings(df):
    """R's modelmatrix: the response's warning while it counts the columns,
    then the empty term's, in that order (R prints both for ``log(z) ~ g *
    log(z)``: "problem with term 2"); the interaction keeps its coding."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = model_matrix("log(z) ~ g * log(z)", df)
    assert [str(w.message) for w in caught] == [
        "the response appeared on the right-hand side and was dropped",
        "problem with term 2 in model.matrix: no columns are assigned",
    ]
    assert list(m.columns) == ["(Intercept)", "gv", "log(z):gv"]
    assert list(m.attrs["assign"]) == [0, 1, 3]


def test_long_sum_inside_a_call_evaluates_without_recursion():
    d = pd.DataFrame(np.random.default_rng(3).normal(size=(20, 2000))).add_prefix("v")
    d["y"] = 0.0
    total = " + ".join(f"v{i}" for i in range(2000))
    mm = model_matrix(f"y ~ I({total})", d)
    np.testing.assert_allclose(mm.iloc[:, 1].to_numpy(), d.iloc[:, :2000].sum(axis=1).to_numpy(),
                               rtol=1e-12)


# -------------------------------------------------- levels that print the same


def test_numbers_with_one_label_are_one_level():
    # R's factor(): levels = unique(as.character(sort(unique(x)))), so 0.1 + 0.2
    # and 0.3 (both "0.3" in 15 digits) are one level
    import hlm_py as hlm

    d = pd.DataFrame({"x": [0.1 + 0.2, 0.3, 0.7] * 4, "y": [1.0, 2.0, 5.0] * 4})
    fit = hlm.lm("y ~ factor(x)", d)
    names = list(fit.coefficients.index)
    assert names == ["(Intercept)", "factor(x)0.7"]
    assert fit.design.frame.xlevels["factor(x)"] == ["0.3", "0.7"]
    np.testing.assert_allclose(hlm.predict(fit, newdata=d), hlm.fitted(fit), rtol=1e-14)


def test_categories_that_print_the_same_are_refused():
    import hlm_py as hlm

    g = pd.Categorical([1, "1", 2, "2"] * 3, categories=[1, "1", 2, "2"])
    d = pd.DataFrame({"g": g, "y": np.arange(12.0)})
    with pytest.raises(HlmError, match='"1"'):
        hlm.lm("y ~ g", d)
    f = pd.Categorical([0.1 + 0.2, 0.3] * 3, categories=[0.3, 0.1 + 0.2])
    with pytest.raises(HlmError, match='"0.3"'):
        model_matrix("~ f", pd.DataFrame({"f": f}))


def test_factor_levels_and_labels_arguments():
    d = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 2})
    # R: factor level [2] is duplicated
    with pytest.raises(HlmError, match="duplicated"):
        model_matrix("~ factor(x, levels = c(1, 1, 2))", d)
    # R (>= 3.4.0): duplicated labels merge their levels
    m = model_matrix('~ factor(x, labels = c("a", "a", "b"))', d)
    assert list(m.columns) == ["(Intercept)", 'factor(x, labels = c("a", "a", "b"))b']
    assert list(m.iloc[:, 1]) == [0.0, 0.0, 1.0] * 2
