"""The model-component protocol, the ReStruct, and what each pd class answers itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hlm_py.errors import HlmError
from hlm_py.lme.component import ModelComponent, ReStruct
from hlm_py.lme.criterion import Evaluator, ProfiledLikelihood, profiled_deviance
from hlm_py.lme.pdmat import PdClass, WorkFrame, pdCompSymm, pdDiag, pdIdent, pdLogChol, pdSymm
from hlm_py.lme.reduce import reduce_data

CLASSES = [pdLogChol, pdSymm, pdDiag, pdIdent, pdCompSymm]


def test_restruct_is_a_model_component() -> None:
    rs = ReStruct([pdLogChol(), pdDiag()], [2, 1], names=["g", "h"],
                  effects=[["(Intercept)", "x"], ["(Intercept)"]])
    assert isinstance(rs, ModelComponent)
    assert rs.n_params == 4
    assert rs.param_names() == ["reStruct.g1", "reStruct.g2", "reStruct.g3", "reStruct.h"]
    theta = np.array([0.1, -0.3, 0.4, 0.2])
    np.testing.assert_array_equal(rs.coef(theta), theta)
    psis = rs.matrices(theta)
    np.testing.assert_allclose(rs.params(psis), theta, rtol=1e-12)
    sd = np.sqrt(np.diag(psis[0]))
    np.testing.assert_allclose(rs.coef(theta, unconstrained=False),
                               [sd[0], sd[1], psis[0][0, 1] / (sd[0] * sd[1]),
                                math.sqrt(psis[1][0, 0])], rtol=1e-12)
    assert rs.constrained_names() == ["sd((Intercept))", "sd(x)", "cor((Intercept),x)",
                                      "sd((Intercept))"]
    assert rs.log_scales() == [0, 1, 3]
    text = rs.text(theta)
    assert "g: General positive-definite, Log-Cholesky parametrization" in text
    assert "h: Diagonal" in text


def test_the_criterion_takes_a_restruct_or_the_list() -> None:
    rng = np.random.default_rng(2)
    n, G = 50, 6
    codes = np.r_[np.arange(G), rng.integers(0, G, n - G)]
    X = np.column_stack([np.ones(n), rng.standard_normal(n)])
    y = rng.standard_normal(n) + rng.standard_normal(G)[codes]
    red = reduce_data(X, y, [X.copy()], [codes], [np.zeros(G, dtype=np.int64)], [G])
    a = ProfiledLikelihood(red, [pdDiag()], True)
    b = ProfiledLikelihood(red, ReStruct([pdDiag()], [2]), True)
    theta = np.array([-0.2, 0.3])
    assert a.deviance(theta) == b.deviance(theta)
    assert isinstance(a.restruct, ReStruct) and a.pd == b.pd
    with pytest.raises(ValueError, match="q"):
        ProfiledLikelihood(red, ReStruct([pdDiag()], [1]), True)
    # the evaluator behind it, and the one formula of the deviance
    ev: Evaluator = a.evaluator
    parts = ev.evaluate(a._tilde(a.roots(theta)))
    assert parts is not None
    assert profiled_deviance(a.n_eff, True, parts.logdet_v, parts.rss, parts.logdet_xvx) \
        == a.deviance(theta)
    sigma = 0.7
    assert -0.5 * profiled_deviance(a.n_eff, True, parts.logdet_v, parts.rss, parts.logdet_xvx,
                                    sigma) == a.loglik_fixed_sigma(theta, sigma)
    assert not hasattr(a, "work_deviance")


def test_profiled_deviance_is_the_fixed_sigma_one_at_the_estimate() -> None:
    ne, rss, ldv, ldx = 40, 12.5, 3.2, -1.1
    s = math.sqrt(rss / ne)
    for reml in (True, False):
        assert profiled_deviance(ne, reml, ldv, rss, ldx) == pytest.approx(
            profiled_deviance(ne, reml, ldv, rss, ldx, sigma=s), rel=1e-14)
    assert profiled_deviance(ne, True, ldv, rss, ldx) - profiled_deviance(ne, False, ldv, rss,
                                                                          ldx) \
        == pytest.approx(ldx, rel=1e-13)


@pytest.mark.parametrize("cls", CLASSES)
def test_natural_parameters_invert(cls: type[PdClass]) -> None:
    q = 3
    pdc = cls()
    theta = np.linspace(-0.4, 0.3, pdc.n_params(q))
    D = pdc.matrix(theta, q)
    nat = pdc.natural_of_matrix(D)
    np.testing.assert_allclose(pdc.matrix_of_natural(nat, q), D, rtol=1e-12, atol=1e-14)
    cons = pdc.constrained(nat, q)
    names = pdc.constrained_names(["a", "b", "c"], "a + b + c")
    assert len(cons) == len(names)
    sd = np.sqrt(np.diag(D))
    if pdc.general:
        np.testing.assert_allclose(cons[:q], sd, rtol=1e-12)
        assert names[q] == "cor(a,b)"
        np.testing.assert_allclose(cons[q], D[0, 1] / (sd[0] * sd[1]), rtol=1e-12)
    elif cls is pdIdent:
        assert names == ["sd(a + b + c)"]
        np.testing.assert_allclose(cons, sd[:1], rtol=1e-12)


@pytest.mark.parametrize("cls", CLASSES)
def test_em_projection_is_on_the_class(cls: type[PdClass]) -> None:
    M = np.array([[2.0, 0.3], [0.3, 1.0]])
    P = cls().em_project(M)
    if cls is pdCompSymm:
        assert P is None
        return
    assert P is not None
    theta = cls().params(P)
    np.testing.assert_allclose(cls().matrix(theta, 2), P, rtol=1e-12)


def test_the_classes_answer_for_their_structure() -> None:
    assert pdLogChol().structure == "General positive-definite, Log-Cholesky parametrization"
    assert pdSymm().structure == "General positive-definite"
    assert [c.correlation for c in (pdDiag, pdIdent)] == [False, False]
    assert all(c.correlation for c in (pdLogChol, pdSymm, pdCompSymm))
    assert [c.general for c in CLASSES] == [True, True, False, False, False]
    assert pdLogChol().theta_log_scales(3) == [0, 1, 2]
    assert pdSymm().theta_log_scales(3) == [] and pdSymm().work_log_scales(3) == [0, 1, 2]
    assert pdDiag().work_log_scales(3) == [0, 1, 2]
    assert pdIdent().work_log_scales(3) == [0] and pdCompSymm().theta_log_scales(3) == [0]
    np.testing.assert_array_equal(pdDiag().work_shift(np.array([1.0, 3.0]), 2), [1.0, 3.0])
    np.testing.assert_array_equal(pdCompSymm().work_shift(np.array([1.0, 3.0]), 2), [2.0, 0.0])
    with pytest.raises(HlmError, match="no constrained coefficients"):
        PdClass().constrained(np.zeros(1), 1)


@pytest.mark.parametrize("mode", ["precision", "covariance"])
@pytest.mark.parametrize("cls", [pdLogChol, pdSymm])
def test_general_work_parameters_invert(cls: type[PdClass], mode: str) -> None:
    pdc = cls()
    q = 3
    phi = np.array([0.2, -0.5, 0.1, 0.3, -0.2, 0.4])
    one = WorkFrame(rz=np.eye(q), scale=1.0, shift=np.zeros(phi.size))
    two = WorkFrame(rz=np.eye(q), scale=2.0, shift=np.zeros(phi.size))
    F = pdc.work_root(phi, q, mode, one)
    np.testing.assert_allclose(pdc.work_params(F, mode), phi, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pdc.theta_from_work(pdc.work_from_theta(
        pdc.theta_from_work(phi, q, mode, two), q, mode, two), q, mode, two),
        pdc.theta_from_work(phi, q, mode, two), rtol=1e-10, atol=1e-12)
    J = pdc.work_root_jacobian(phi, q, mode, two)
    h = 1e-6
    for j in range(phi.size):
        e = np.zeros_like(phi)
        e[j] = h
        fd = (pdc.work_root(phi + e, q, mode, two) - pdc.work_root(phi - e, q, mode, two)) / (2 * h)
        np.testing.assert_allclose(J[j], fd, rtol=1e-6, atol=1e-8)
