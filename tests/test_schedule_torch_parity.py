"""Parity with torch 2.13's schedulers, stepped with step(), on every backend.

Tolerance: 1e-12 of the run's peak value on every step (a relative error per step is
meaningless in a cosine tail near a tiny minimum).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pyclr

torch = pytest.importorskip("torch")

TOL = 1e-12


def torch_sequence(make_scheduler, n, optimizer_cls=torch.optim.SGD, lr=0.1, groups=1, **opt_kwargs):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    opt = optimizer_cls([{"params": [p]} for p in params], lr=lr, **opt_kwargs)
    sched = make_scheduler(opt)
    lrs, moms = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):
            lrs.append([g["lr"] for g in opt.param_groups])
            moms.append([g["betas"][0] if "betas" in g else g.get("momentum", np.nan) for g in opt.param_groups])
            opt.step()
            sched.step()
    return np.array(lrs).T, np.array(moms).T


def assert_close(ours, theirs):
    ours, theirs = np.atleast_2d(ours), np.atleast_2d(theirs)
    peak = max(np.max(np.abs(theirs)), 1e-300)
    err = np.max(np.abs(ours - theirs)) / peak
    assert err <= TOL, f"max error {err:.3e} of peak"


step_sizes = st.one_of(st.integers(1, 40), st.floats(0.5, 40.0).map(lambda x: round(x, 2)))


@given(base=st.floats(1e-6, 1.0), ratio=st.floats(1.0, 100.0), up=step_sizes, down=st.one_of(st.none(), step_sizes),
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.9, 1.0),
       momentum=st.booleans(), n=st.integers(1, 250))
def test_cyclic_matches_torch_cycliclr(use_backend, base, ratio, up, down, mode, gamma, momentum, n):
    max_lr = base * ratio
    theirs, their_mom = torch_sequence(
        lambda opt: torch.optim.lr_scheduler.CyclicLR(opt, base, max_lr, step_size_up=up, step_size_down=down,
                                                      mode=mode, gamma=gamma, cycle_momentum=momentum,
                                                      base_momentum=0.8, max_momentum=0.9),
        n, momentum=0.9)
    s = pyclr.cyclic(base, max_lr, up, down, mode=mode, gamma=gamma)
    assert_close(s.values(n), theirs)
    if momentum:
        assert_close(s.momentum(n), their_mom)


def _tri_scale(x):
    return 1.0 / (1.0 + 0.1 * x)


@pytest.mark.parametrize("scale_mode", ["cycle", "iterations"])
def test_cyclic_custom_scale_fn_matches_torch(use_backend, scale_mode):
    theirs, _ = torch_sequence(
        lambda opt: torch.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=7, step_size_down=5,
                                                      scale_fn=_tri_scale, scale_mode=scale_mode,
                                                      cycle_momentum=False), 200)
    ours_fn = pyclr.cyclic(0.01, 0.1, 7, 5, scale_fn=_tri_scale, scale_mode=scale_mode).values(200)
    ours_spec = pyclr.cyclic(0.01, 0.1, 7, 5, scale_fn=pyclr.Scale.inverse(0.1), scale_mode=scale_mode).values(200)
    assert_close(ours_fn, theirs)
    assert_close(ours_spec, theirs)


def test_cyclic_adam_beta1_and_groups(use_backend):
    theirs, their_mom = torch_sequence(
        lambda opt: torch.optim.lr_scheduler.CyclicLR(opt, [0.001, 0.002], [0.01, 0.05], step_size_up=5),
        60, optimizer_cls=torch.optim.Adam, groups=2)
    s = pyclr.cyclic([0.001, 0.002], [0.01, 0.05], 5)
    assert s.values(60).shape == (2, 60)
    assert_close(s.values(60), theirs)
    assert_close(s.momentum(60), their_mom)


@given(max_lr=st.floats(1e-5, 10.0), total=st.integers(1, 300), pct=st.floats(0.0, 1.0),
       strategy=st.sampled_from(["cos", "linear"]), div=st.floats(1.0, 1e3), final_div=st.floats(1.0, 1e5),
       three=st.booleans())
def test_one_cycle_matches_torch(use_backend, max_lr, total, pct, strategy, div, final_div, three):
    def make(opt):
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr, total_steps=total, pct_start=pct,
                                                   anneal_strategy=strategy, div_factor=div,
                                                   final_div_factor=final_div, three_phase=three)
    try:
        theirs, their_mom = torch_sequence(make, total, momentum=0.9)
    except ZeroDivisionError:  # torch divides by a phase of zero length; pyclr takes its end value
        return
    s = pyclr.one_cycle(max_lr, total, pct_start=pct, anneal_strategy=strategy, div_factor=div,
                        final_div_factor=final_div, three_phase=three)
    assert_close(s.values(total), theirs)
    assert_close(s.momentum(total), their_mom)


def test_one_cycle_epochs_and_overrun(use_backend):
    s = pyclr.one_cycle(1.0, epochs=2, steps_per_epoch=5)
    assert s.total_steps == 10
    v = s.values(15)
    assert np.all(v[9:] == v[9])  # holds min_lr, never extrapolates
    with pytest.raises(ValueError, match="total_steps=10"):
        pyclr.one_cycle(1.0, 10, overrun="raise").values(11)


@given(T_0=st.integers(1, 30), T_mult=st.integers(1, 4), eta_min=st.floats(0.0, 0.05), lr=st.floats(0.06, 2.0),
       n=st.integers(1, 400))
def test_sgdr_matches_torch_cawr(use_backend, T_0, T_mult, eta_min, lr, n):
    theirs, _ = torch_sequence(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0, T_mult=T_mult, eta_min=eta_min),
        n, lr=lr)
    assert_close(pyclr.sgdr(lr, T_0, T_mult=T_mult, eta_min=eta_min).values(n), theirs)


@given(lr=st.floats(1e-4, 1.0), total=st.integers(2, 300), warm_frac=st.floats(0.0, 0.9),
       start_factor=st.floats(0.01, 1.0), eta_frac=st.floats(0.0, 0.5))
def test_warmup_cosine_matches_torch_sequential(use_backend, lr, total, warm_frac, start_factor, eta_frac):
    warm = max(1, int(total * warm_frac))
    if warm >= total:
        return
    eta_min = lr * eta_frac

    def make(opt):
        return torch.optim.lr_scheduler.SequentialLR(
            opt,
            [torch.optim.lr_scheduler.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warm),
             torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warm, eta_min=eta_min)],
            milestones=[warm])

    theirs, _ = torch_sequence(make, total + 1, lr=lr)
    ours = pyclr.warmup_cosine(lr, total, warm, start_lr=lr * start_factor, min_lr=eta_min).values(total + 1)
    assert_close(ours, theirs)


def test_step_decay_matches_torch_steplr(use_backend):
    theirs, _ = torch_sequence(lambda opt: torch.optim.lr_scheduler.StepLR(opt, 7, gamma=0.3), 50, lr=0.5)
    assert_close(pyclr.step_decay(0.5, 7, gamma=0.3).values(50), theirs)
