"""The stages of an lme fit: design, criterion, optimisation, fit object."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hlm_py as hlm
from hlm_py.errors import ConvergenceError, HlmError

ORTHODONT = hlm.datasets.load("Orthodont")


def _design(**kw):
    return hlm.lme_design("distance ~ age", ORTHODONT, random="~ age | Subject", **kw)


def test_the_design_stage_fits_nothing_and_holds_the_matrices():
    d = _design()
    assert isinstance(d, hlm.LmeDesign)
    assert d.X.shape == (108, 2) and d.y.shape == (108,)
    assert [z.shape for z in d.Z] == [(108, 2)]
    assert d.fixed_names == ["(Intercept)", "age"]
    assert d.random_names == [["(Intercept)", "age"]]
    assert d.grouping.n_groups == [27]
    assert d.theta_names == ["reStruct.Subject1", "reStruct.Subject2", "reStruct.Subject3"]
    assert d.call == "lme.formula(fixed = distance ~ age, data = Orthodont, random = ~ age | Subject)"


def test_the_criterion_at_a_point_and_its_gradient():
    d = _design()
    theta = d.start()
    dev = d.deviance(theta)
    grad = d.gradient(theta)
    assert np.isfinite(dev) and grad.shape == theta.shape
    h = 1e-6
    fd = [(d.deviance(theta + h * e) - d.deviance(theta - h * e)) / (2 * h)
          for e in np.eye(theta.size)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6)


def test_the_criterion_at_the_optimum_is_the_fits_loglik():
    d = _design(method="ML")
    fit = hlm.lme_fit(d)
    assert d.deviance(fit.theta_opt) == pytest.approx(-2 * fit.loglik, rel=1e-12)
    assert np.max(np.abs(d.gradient(fit.theta_opt))) < 1e-5


def test_a_theta_of_the_wrong_length_is_an_hlm_error():
    with pytest.raises(HlmError, match="theta has 2 values; this model has 3"):
        _design().deviance(np.zeros(2))
    with pytest.raises(HlmError, match="theta must be 3 numbers"):
        _design().gradient("abc")


def test_lme_fit_takes_a_design_only():
    with pytest.raises(HlmError, match="unfitted model of hlm.lme_design"):
        hlm.lme_fit("distance ~ age")


def test_the_qr_criterion_is_made_once_per_design():
    d = _design()
    assert d.qr_criterion() is d.qr_criterion()
    theta = d.start()
    assert d.qr_criterion().deviance(theta) == pytest.approx(d.deviance(theta), rel=1e-12)


def test_stages_in_turn_give_what_lme_gives():
    d = _design()
    staged = hlm.lme_fit(d, hlm.lmeControl())
    direct = hlm.lme("distance ~ age", ORTHODONT, random="~ age | Subject")
    assert staged.loglik == direct.loglik
    pd.testing.assert_series_equal(staged.fixef(), direct.fixef())
    assert staged.model is d


def test_the_optsummary_says_what_happened():
    fit = hlm.lme_fit(_design())
    s = fit.optsummary
    assert isinstance(s, hlm.OptSummary)
    assert s.converged and s.evaluator == "cross-products"
    assert s.evaluations > 0 and s.iterations > 0
    assert np.array_equal(s.theta, fit.theta_opt)
    assert s.deviance == pytest.approx(-2 * fit.loglik, rel=1e-10)
    assert np.max(np.abs(s.gradient)) < 1e-5
    assert s.stopping_rule.startswith("converged")
    # the search began at nlme's EM iterations from nlme's start
    assert not np.array_equal(s.start, s.em_start)
    no_em = hlm.lme_fit(_design(), hlm.lmeControl(niterEM=0)).optsummary
    assert np.array_equal(no_em.start, no_em.em_start)
    assert "cross-products" in repr(s)


def test_lme_control_takes_nlmes_names_and_refuses_others():
    c = hlm.lmeControl(maxIter=10, msMaxIter=5, niterEM=0, returnObject=True, opt="optim")
    assert (c.max_iter, c.max_newton, c.niterEM, c.user_limits) == (10, 5, 0, True)
    assert not hlm.lmeControl().user_limits
    with pytest.raises(HlmError, match="unknown setting.*'maxiter'"):
        hlm.lmeControl(maxiter=10)
    with pytest.raises(HlmError, match="'opt' should be one of"):
        hlm.lmeControl(opt="nlm")
    with pytest.raises(HlmError, match="fixed residual standard deviation"):
        hlm.lmeControl(sigma=1.0)
    with pytest.raises(HlmError, match="unknown setting"):
        hlm.lme("distance ~ age", ORTHODONT, random="~ 1 | Subject", control={"bogus": 1})


def test_an_iteration_limit_from_the_control_stops_the_fit():
    with pytest.raises(ConvergenceError, match="did not converge"):
        hlm.lme_fit(_design(), hlm.lmeControl(maxIter=1, msMaxIter=1, niterEM=0))
    with pytest.warns(UserWarning, match="did not converge"):
        fit = hlm.lme_fit(_design(), hlm.lmeControl(maxIter=1, msMaxIter=1, niterEM=0,
                                                    returnObject=True))
    assert not fit.optsummary.converged


def test_update_keeps_the_control():
    fit = hlm.lme("distance ~ age", ORTHODONT, random="~ 1 | Subject",
                  control=hlm.lmeControl(niterEM=0))
    assert fit.update(method="ML").control.niterEM == 0


def test_random_part_taken_from_the_one_model_frame_predicts_as_before():
    # the random formula's variables come from the fixed part's model frame;
    # a transform with state (poly) is built on the kept rows instead
    d = ORTHODONT.copy()
    d.loc[d.index[3], "distance"] = np.nan
    fit = hlm.lme("distance ~ age", d, random="~ poly(age, 1) | Subject", na_action="na.omit")
    assert fit.n == 107
    np.testing.assert_allclose(fit.predict(d.iloc[:5], level=1).to_numpy()[[0, 1, 2, 4]],
                               fit.fitted(level=1).to_numpy()[[0, 1, 2, 3]], rtol=1e-12)
