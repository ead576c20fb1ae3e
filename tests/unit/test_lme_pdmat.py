"""pd classes: nlme's parametrisations are bijective, symmetric and positive definite."""

from __future__ import annotations

import numpy as np
import pytest

from hlm_py.errors import HlmError
from hlm_py.lme.pdmat import pdCompSymm, pdDiag, pdIdent, pdLogChol, pdSymm

CLASSES = [pdLogChol, pdSymm, pdDiag, pdIdent, pdCompSymm]


@pytest.mark.parametrize(("cls", "q"), [(c, q) for c in CLASSES for q in (1, 2, 3)
                                        if not (c is pdCompSymm and q == 1)])
def test_matrix_is_symmetric_pd_and_params_invert(cls, q):
    # (compound symmetry needs q >= 2: that pair is not a case)
    rng = np.random.default_rng(q)
    pdc = cls("~ x")
    theta = rng.normal(scale=0.5, size=pdc.n_params(q))
    m = pdc.matrix(theta, q)
    assert m.shape == (q, q)
    np.testing.assert_allclose(m, m.T, atol=1e-14)
    assert np.all(np.linalg.eigvalsh(m) > 0)
    back = pdc.params(m)
    np.testing.assert_allclose(pdc.matrix(back, q), m, rtol=1e-10, atol=1e-12)
    if cls not in (pdIdent,):
        np.testing.assert_allclose(back, theta, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("cls", CLASSES)
def test_jacobian_matches_differences(cls):
    q = 3
    pdc = cls()
    theta = np.linspace(-0.4, 0.3, pdc.n_params(q))
    J = pdc.jacobian(theta, q)
    for j in range(theta.size):
        h = 1e-6
        e = np.zeros_like(theta)
        e[j] = h
        fd = (pdc.matrix(theta + e, q) - pdc.matrix(theta - e, q)) / (2 * h)
        np.testing.assert_allclose(J[j], fd, rtol=1e-6, atol=1e-8)


def test_logchol_layout_is_nlmes():
    # theta = (log diag L, upper off-diagonals by column), M = L'L
    pdc = pdLogChol()
    theta = np.array([0.1, -0.2, 0.3, 0.5, -0.7, 0.9])
    L = pdc.factor(theta, 3)
    assert np.allclose(np.tril(L, -1), 0)
    np.testing.assert_allclose(np.diag(L), np.exp(theta[:3]))
    assert L[0, 1] == 0.5 and L[0, 2] == -0.7 and L[1, 2] == 0.9
    np.testing.assert_allclose(pdc.matrix(theta, 3), L.T @ L)


def test_diag_and_ident_are_log_sd():
    np.testing.assert_allclose(pdDiag().matrix(np.log([2.0, 3.0]), 2), np.diag([4.0, 9.0]))
    np.testing.assert_allclose(pdIdent().matrix(np.log([2.0]), 3), 4.0 * np.eye(3))


def test_compsymm_structure():
    m = pdCompSymm().matrix(np.array([0.3, 0.4]), 4)
    off = m[~np.eye(4, dtype=bool)]
    assert np.allclose(off, off[0]) and np.allclose(np.diag(m), m[0, 0])


def test_param_names_follow_nlme():
    assert pdLogChol().param_names("school", 1) == ["reStruct.school"]
    assert pdLogChol().param_names("Subject", 2) == [
        "reStruct.Subject1", "reStruct.Subject2", "reStruct.Subject3"]


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("value", [42, 1.5, b"~ x", ["~ x"]])
def test_a_pd_class_of_a_non_formula_is_an_hlm_error(cls, value) -> None:
    # R: pdSymm(42) is a pdSymm with initial value 42, which hlm_py does not take
    with pytest.raises(HlmError, match=rf"{cls.name}\(\): the formula must be a string"):
        cls(value)
