"""The 2-D recipe: R1, packing, EMA and unit scale against closed forms."""

import pytest
import torch
from torch import nn

from ganlab import toy2d
from ganlab.ema import EMA
from ganlab.gan import d_step
from ganlab.loop import train
from ganlab.losses import r1_penalty


def linear_D(w, b=0.3):
    """D(x) = w · x + b: ∇ₓD = w at every x, so E‖∇ₓD‖² = ‖w‖²."""
    D = nn.Sequential(nn.Linear(len(w), 1), nn.Flatten(0))
    with torch.no_grad():
        D[0].weight.copy_(torch.as_tensor(w)[None])
        D[0].bias.fill_(b)
    return D


def test_r1_penalty_linear_D_is_norm_w_squared():
    D = linear_D([0.6, -1.7])
    torch.testing.assert_close(r1_penalty(D, torch.randn(16, 2)), torch.tensor(0.6**2 + 1.7**2))


def test_r1_penalty_quadratic_D_matches_hand_gradient():
    D = lambda x: (x**2).sum(1)  # ∇ₓD = 2x, so E‖∇ₓD‖² = 4·E‖x‖²
    real = torch.randn(16, 2)
    torch.testing.assert_close(r1_penalty(D, real), 4 * real.pow(2).sum(1).mean())


def test_r1_penalty_reaches_D_parameters():
    D = linear_D([0.6, -1.7])
    r1_penalty(D, torch.randn(4, 2)).backward()
    torch.testing.assert_close(D[0].weight.grad, 2 * torch.tensor([[0.6, -1.7]]))  # ∂‖w‖²/∂w = 2w


def test_d_step_adds_half_gamma_times_r1():
    """With D(x) = w·x + b the penalty γ/2·‖w‖² adds γ·w to D's weight gradient."""
    gan = toy2d.make_gan(r1_weight=0.0)
    gan.D = linear_D([0.6, -1.7])
    gan.opt_D = torch.optim.SGD(gan.D.parameters(), lr=0.0)  # lr 0: .grad is kept, w stays
    real = torch.randn(8, 2)
    grads = []
    for gamma in (0.0, 0.5):
        gan.r1_weight = gamma
        torch.manual_seed(0)  # the same fakes both times
        stats = d_step(gan, real)
        grads.append(gan.D[0].weight.grad.clone())
    torch.testing.assert_close(stats["r1"], torch.tensor(0.6**2 + 1.7**2))
    torch.testing.assert_close(grads[1] - grads[0], 0.5 * torch.tensor([[0.6, -1.7]]))


def test_lazy_r1_adds_k_gamma_on_every_kth_d_step_and_nothing_between():
    """r1_every = 3: D steps with batches_seen 0 and 3 add 3·γ·w to the weight gradient, 1 and 2 add 0."""
    gan = toy2d.make_gan(r1_weight=0.5, r1_every=3)
    gan.D = linear_D([0.6, -1.7])
    gan.opt_D = torch.optim.SGD(gan.D.parameters(), lr=0.0)
    real, added, logged = torch.randn(8, 2), [], []
    for seen in range(4):
        grads = []
        for weight in (0.0, 0.5):
            gan.r1_weight, gan.batches_seen = weight, seen
            torch.manual_seed(0)  # the same fakes both times
            stats = d_step(gan, real)
            grads.append(gan.D[0].weight.grad.clone())
        added.append(grads[1] - grads[0])
        logged.append("r1" in stats)
    w = torch.tensor([[0.6, -1.7]])
    for seen, expected in enumerate([3 * 0.5 * w, 0 * w, 0 * w, 3 * 0.5 * w]):
        torch.testing.assert_close(added[seen], expected)
    assert logged == [True, False, False, True]


def test_packed_D_sees_m_samples_per_row():
    seen = []
    inner = nn.Sequential(nn.Linear(6, 1), nn.Flatten(0))
    inner.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape))
    out = toy2d.Packed(inner, 3)(torch.randn(12, 2))
    assert seen == [torch.Size([4, 6])] and out.shape == (4,)


def test_packed_rows_are_consecutive_samples():
    x = torch.arange(12.0).reshape(6, 2)
    packs = []
    D = toy2d.Packed(lambda p: packs.append(p) or p.sum(1), 2)
    D(x)
    torch.testing.assert_close(packs[0], torch.tensor([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]))


def test_packing_never_mixes_real_and_fake():
    torch.manual_seed(0)
    gan = toy2d.make_gan(pack=2, r1_weight=1.0)
    inputs = []
    gan.D.D.register_forward_pre_hook(lambda m, args: inputs.append(args[0].detach()))
    real = torch.full((8, 2), 100.0)  # G never makes exactly 100
    d_step(gan, real)
    assert len(inputs) == 3  # real, fake, and real again for R1
    for packs in inputs:  # (4, 4): every pack is all real or all fake
        is_real = packs == 100.0
        assert (is_real.all(1) | ~is_real.any(1)).all()
    assert [bool((p == 100.0).all()) for p in inputs] == [True, False, True]


def test_ema_equals_closed_form_after_k_steps():
    torch.manual_seed(0)
    G = nn.Linear(2, 3)
    theta0 = [p.detach().clone() for p in G.parameters()]
    ema, beta, k = EMA(G, 0.9), 0.9, 5
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)  # G moves to θ₁ = θ₀ + 1 and stays there
    for _ in range(k):
        ema(None, {})  # the train-callback form
    for avg, t0, t1 in zip(ema.G.parameters(), theta0, G.parameters()):
        torch.testing.assert_close(avg, beta**k * t0 + (1 - beta**k) * t1.detach())


def test_ema_warmup_first_decay_is_one_tenth():
    G = nn.Linear(1, 1, bias=False)
    ema = EMA(G, 0.999, warmup=True)
    with torch.no_grad():
        G.weight.fill_(0.0)
        ema.G.weight.fill_(1.0)
    ema.update()  # β₀ = min(0.999, 1/10)
    torch.testing.assert_close(ema.G.weight, torch.tensor([[0.1]]))


def test_ema_copy_is_frozen_and_separate():
    G = nn.Linear(2, 2)
    ema = EMA(G)
    assert all(not p.requires_grad for p in ema.G.parameters())
    assert all(a is not b for a, b in zip(ema.G.parameters(), G.parameters()))


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_unit_scale_round_trip_and_unit_std(name):
    torch.manual_seed(0)
    x = torch.randn(100, 2) * 3
    torch.testing.assert_close(toy2d.from_unit(x / toy2d.SCALE[name], name), x)
    std = toy2d.sampler(name)(20000).std(0)
    assert ((std - 1).abs() < 0.03).all(), std


def test_he_init_gives_unit_spread_default_init_a_blob():
    """G(z).std over z at step 0, averaged over x and y; one random net's spread varies
    (0.37–1.06 over 30 seeds), so the claim is about the median of 10 seeds."""
    he, default = [], []
    for seed in range(10):
        torch.manual_seed(seed)
        he.append(toy2d.make_gan().generate(2000).std(0).mean())
        torch.manual_seed(seed)
        default.append(toy2d.make_gan(he=False).generate(2000).std(0).mean())
    he, default = torch.stack(he), torch.stack(default)
    assert 0.5 <= he.median() <= 1.5 and (he > 0.3).all(), he
    assert 0.005 <= default.median() <= 0.08 and (default < 0.1).all(), default


def test_lr_decay_is_constant_then_linear_to_zero():
    gan = toy2d.make_gan(lr=1e-3)
    decay = toy2d.lr_decay(gan, 100, start=0.5)
    for step, expected in [(10, 1e-3), (50, 1e-3), (75, 5e-4), (100, 0.0)]:
        gan.step = step
        decay(gan, {})
        assert gan.opt_G.param_groups[0]["lr"] == pytest.approx(expected)
        assert gan.opt_D.param_groups[0]["lr"] == pytest.approx(expected)


def test_lr_decay_counts_from_the_current_step():
    """A second burst of 100 steps from step 40: constant to 90, then linear to 0 at 140."""
    gan = toy2d.make_gan(lr=1e-3)
    gan.step = 40
    decay = toy2d.lr_decay(gan, 100, start=0.5)
    for step, expected in [(90, 1e-3), (115, 5e-4), (140, 0.0)]:
        gan.step = step
        decay(gan, {})
        assert gan.opt_G.param_groups[0]["lr"] == pytest.approx(expected)


def test_score_exact_centres_is_full_coverage():
    centres = toy2d.data.mixture_centers("grid25") / toy2d.SCALE["grid25"]
    G = nn.Sequential(nn.Linear(2, 2))  # a stand-in whose output we replace
    G.forward = lambda z: centres[torch.arange(len(z)) % 25]
    s = toy2d.score(G, "grid25")
    assert (s["covered"], s["high_quality"]) == (25, 100.0)


def test_recipe_trains_end_to_end_with_ema_and_decay():
    torch.manual_seed(0)
    gan = toy2d.make_gan(pack=2)
    ema = EMA(gan.G, 0.99, warmup=True)
    train(gan, toy2d.sampler("ring8"), batch_size=64, steps=20, progress=False,
          callbacks=[toy2d.lr_decay(gan, 20), ema])
    assert gan.step == 20 and ema.updates == 20 and "r1" in gan.history.rows[-1]
    assert set(toy2d.score(ema.G, "ring8")) == {"covered", "modes", "high_quality", "counts"}
