"""ganlab.steps: each training step against closed forms, and what it may and may not touch.

The models are affine (G(z) = W z + c) and linear (D(x) = w·x + b), trained by plain SGD,
so every update has a closed form: with ∇ₓD = w, R1 is ‖w‖² and the gradient penalty (‖w‖ − 1)².
"""

import functools

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

import ganlab
from ganlab import nets, steps

SHAPE = (1, 4, 4)  # tiny "images": 16 pixels


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def linear_critic():
    """D(x) = w · flatten(x) + b, with ‖w‖ ≈ 1.61 and entries far from ±1."""
    D = nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.Flatten(0))
    with torch.no_grad():
        D[1].weight.copy_(torch.linspace(-0.5, 0.7, 16)[None])
        D[1].bias.fill_(0.3)
    return D


def affine_generator():
    """G(z) = W z + c with W (16, 3), c (16,), reshaped to (1, 4, 4)."""
    G = nn.Sequential(nn.Linear(3, 16), nn.Unflatten(1, SHAPE))
    with torch.no_grad():
        G[0].weight.copy_(torch.linspace(-0.3, 0.3, 48).view(16, 3))
        G[0].bias.copy_(torch.linspace(1, -1, 16))
    return G


def linear_gan(z, *, lr=0.1):
    """Affine G, linear D, plain SGD, and noise that is always the first rows of ``z``."""
    G, D = affine_generator(), linear_critic()
    noise = lambda n, dim, device=None: z[:n].to(device)
    return ganlab.GAN(G, D, torch.optim.SGD(G.parameters(), lr=lr), torch.optim.SGD(D.parameters(), lr=lr),
                      latent_dim=3, noise=noise, n_fixed=4)


def stream(*batches):
    """What train() hands a step: an iterator of (real, labels)."""
    return iter([(b, None) if isinstance(b, torch.Tensor) else b for b in batches])


# --- the pieces: D's scores, G's update -------------------------------------------------------------


def test_scores_detach_the_fakes_so_d_loss_leaves_g_untouched(make_toy_gan):
    gan = make_toy_gan()
    real_out, fake_out, fake = steps.scores(gan, ganlab.data.pattern1010(8))
    (real_out.sum() + fake_out.sum()).backward()
    assert not fake.requires_grad and all(p.grad is None for p in gan.G.parameters())
    assert all(p.grad is not None for p in gan.D.parameters())


@pytest.mark.parametrize("loss", [ganlab.WGAN, ganlab.BCE], ids=["WGAN", "BCE"])
def test_g_update_matches_closed_form_sgd_update_and_leaves_d(loss):
    """s_i = w·(W z_i + c) + b. With g_i = ∂loss_G/∂s_i: ∂/∂c = Σ g_i w, ∂/∂W = w (Σ g_i z_i)ᵀ.
    WGAN: loss_G = −mean s, g_i = −1/B. BCE: loss_G = mean softplus(−s), g_i = −(1 − σ(s_i))/B."""
    z = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    gan = linear_gan(z)
    W, c = gan.G[0].weight.detach().clone(), gan.G[0].bias.detach().clone()
    w, b = gan.D[1].weight.detach().clone()[0], gan.D[1].bias.detach().clone()
    s = (z @ W.T + c) @ w + b  # (B,) D's scores of the fakes
    if loss is ganlab.WGAN:
        g, expected_loss = torch.full((8,), -1 / 8), -s.mean()
    else:
        g, expected_loss = -(1 - torch.sigmoid(s)) / 8, nn.functional.softplus(-s).mean()
    torch.testing.assert_close(steps.g_update(gan, 8, loss=loss), expected_loss)
    torch.testing.assert_close(gan.G[0].bias.detach(), c - 0.1 * g.sum() * w)
    torch.testing.assert_close(gan.G[0].weight.detach(), W - 0.1 * torch.outer(w, g @ z))
    assert torch.equal(gan.D[1].weight.detach()[0], w) and torch.equal(gan.D[1].bias.detach(), b)


def test_update_steps_every_optimiser_after_one_backward():
    a, b = nn.Linear(2, 1), nn.Linear(2, 1)
    opts = [torch.optim.SGD(m.parameters(), lr=1.0) for m in (a, b)]
    before = params(a) + params(b)
    steps.update((a(torch.ones(1, 2)) + b(torch.ones(1, 2))).sum(), *opts)
    after = params(a) + params(b)
    assert all(torch.equal(x - 1, y) for x, y in zip(before, after))  # every gradient is 1


# --- the standard games -----------------------------------------------------------------------------


@pytest.mark.parametrize("step, loss", [(steps.bce, ganlab.BCE), (steps.mse, ganlab.MSE),
                                        (steps.hinge, ganlab.HINGE)], ids=["bce", "mse", "hinge"])
def test_standard_steps_play_their_loss_once_each(step, loss):
    """One D update on loss.d(D(x), D(G(z))), then one G update: the numbers logged are
    those losses, and D's weights move by the closed-form SGD step of loss.d."""
    z = torch.randn(8, 3, generator=torch.Generator().manual_seed(1))
    gan, real = linear_gan(z), torch.randn(8, *SHAPE, generator=torch.Generator().manual_seed(2))
    w = gan.D[1].weight.detach().clone()[0]
    fake = (z @ gan.G[0].weight.detach().T + gan.G[0].bias.detach()).view(8, *SHAPE)
    x = torch.cat([real, fake]).flatten(1).requires_grad_(False)
    w_ = w.clone().requires_grad_(True)
    s = x @ w_ + 0.3
    expected = loss.d(s[:8], s[8:])
    expected.backward()
    stats = step(gan, stream(real))
    torch.testing.assert_close(stats["loss_D"], expected.detach())
    torch.testing.assert_close(gan.D[1].weight.detach()[0], w - 0.1 * w_.grad)
    assert {"loss_D", "loss_G", "D_real", "D_fake"} == set(stats)


def test_r1_step_adds_half_gamma_times_squared_weight_norm():
    """loss_D = BCE + γ/2 ‖w‖²: compared with γ = 0, D's weight gradient gains γ w exactly."""
    real, grads = torch.randn(8, *SHAPE), []
    for gamma in (0.0, 0.5):
        gan = linear_gan(torch.randn(8, 3, generator=torch.Generator().manual_seed(0)), lr=1.0)
        w = gan.D[1].weight.detach().clone()
        stats = steps.r1(gan, stream(real), gamma=gamma)
        grads.append(w - gan.D[1].weight.detach())  # lr 1: the gradient itself
    torch.testing.assert_close(stats["r1"], w.pow(2).sum())
    torch.testing.assert_close(grads[1] - grads[0], 0.5 * w)


def test_r1_step_lazy_pays_k_gamma_on_every_kth_step_only():
    """every = 3: steps 0 and 3 add 3·γ·w to D's gradient and log r1; steps 1 and 2 add nothing."""
    real, w = torch.randn(8, *SHAPE), linear_critic()[1].weight.detach()
    for step_no, factor in [(0, 3), (1, 0), (2, 0), (3, 3)]:
        moved = []
        for gamma in (0.0, 0.5):
            gan = linear_gan(torch.randn(8, 3, generator=torch.Generator().manual_seed(0)), lr=1.0)
            gan.step = step_no
            stats = steps.r1(gan, stream(real), gamma=gamma, every=3)
            moved.append(w - gan.D[1].weight.detach())
        torch.testing.assert_close(moved[1] - moved[0], factor * 0.5 * w)
        assert ("r1" in stats) == (factor > 0)


def test_wgan_gp_step_updates_critic_n_critic_times_by_closed_form():
    """Constant G (W = 0): every fake is c. Each critic update moves w by
    −lr·(c − mean real + λ·2(‖w‖ − 1) w/‖w‖); G then updates once, on the last w."""
    gan = linear_gan(torch.randn(8, 3), lr=0.01)
    with torch.no_grad():
        gan.G[0].weight.zero_()
    reals = [torch.randn(8, *SHAPE, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    w = gan.D[1].weight.detach().clone()[0]
    for real in reals:
        grad = torch.linspace(1, -1, 16) - real.flatten(1).mean(0) + 10.0 * 2 * (w.norm() - 1) * w / w.norm()
        w = w - 0.01 * grad
    norm_before_last = (w + 0.01 * grad).norm()
    stats = steps.wgan_gp(gan, stream(*reals), n_critic=3, gp_weight=10.0)
    torch.testing.assert_close(gan.D[1].weight.detach()[0], w)
    torch.testing.assert_close(stats["grad_norm"], norm_before_last)
    torch.testing.assert_close(stats["gp"], (norm_before_last - 1) ** 2)
    assert {"loss_D", "gp", "grad_norm", "D_real", "D_fake", "loss_G"} == set(stats)


def test_wgan_gp_step_draws_one_real_batch_per_critic_update(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, ganlab.data.pattern1010(80), batch_size=8, steps=3, progress=False,
                 step=functools.partial(steps.wgan_gp, n_critic=4))
    assert (gan.step, gan.batches_seen) == (3, 12)


@pytest.mark.parametrize(("family", "kind"), [("mlp", "classes"), ("conv", "attributes")])
def test_conditional_step_gives_each_real_sample_its_own_label(family, kind):
    """D sees (x, y) pairs from the data, and G is asked for the same labels."""
    size, channels, k = (28, 1, 10) if kind == "classes" else (32, 3, 5)
    y = torch.arange(16) % 10 if kind == "classes" else (torch.rand(16, 5) < 0.5).float()
    if family == "mlp":
        G = nets.mlp_generator(8, (32,), (channels, size, size), num_labels=k)
        D = nets.mlp_discriminator((channels, size, size), (32,), num_labels=k)
    else:
        G = nets.conv_generator(8, size=size, channels=channels, width=8, num_labels=k)
        D = nets.conv_discriminator(size=size, channels=channels, width=8, num_labels=k)
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=8, fixed_labels=y[:4], n_fixed=4)
    seen = {"G": [], "D": []}
    G.register_forward_pre_hook(lambda m, args: seen["G"].append(args[1]))
    D.register_forward_pre_hook(lambda m, args: seen["D"].append(args[1]))
    real = torch.rand(16, channels, size, size) * 2 - 1
    stats = steps.conditional(gan, iter([(real, y)]))
    assert len(seen["G"]) == 2 and len(seen["D"]) == 3  # fakes for D, fakes for G; D: real, fake, fake
    assert all(torch.equal(labels, y) for labels in seen["G"] + seen["D"])
    assert {"loss_D", "loss_G", "D_real", "D_fake"} == set(stats)


def test_a_step_written_by_hand_trains_through_train(make_toy_gan):
    """train runs any function step(gan, batches) -> numbers, and logs what it returns."""
    def my_step(gan, batches):
        real, _ = next(batches)
        real_out, fake_out, _ = steps.scores(gan, real)
        loss_D = ganlab.BCE.d(real_out, fake_out)
        steps.update(loss_D, gan.opt_D)
        return {"loss_D": loss_D, "loss_G": steps.g_update(gan, len(real)), "mine": 1.0}

    mine = make_toy_gan(seed=4)
    ganlab.train(mine, ganlab.data.pattern1010, batch_size=8, steps=20, step=my_step, progress=False)
    theirs = make_toy_gan(seed=4)
    ganlab.train(theirs, ganlab.data.pattern1010, batch_size=8, steps=20, progress=False)  # steps.bce
    assert same(params(mine.G), params(theirs.G)) and same(params(mine.D), params(theirs.D))
    assert (mine.history.frame["mine"] == 1.0).all()


def test_steps_train_conv_nets_end_to_end():
    ganlab.seed_everything(0)
    G = nets.conv_generator(16, size=28, channels=1, width=4)
    D = nets.conv_discriminator(size=28, channels=1, width=4, norm=nets.map_layer_norm)
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=16)
    data = TensorDataset(torch.rand(64, 1, 28, 28) * 2 - 1)
    for step in (steps.bce, functools.partial(steps.r1, every=2),
                 functools.partial(steps.wgan_gp, n_critic=2)):
        before = params(G)
        history = ganlab.train(gan, data, batch_size=16, steps=gan.step + 2, step=step, progress=False)
        assert history.frame[["loss_D", "loss_G"]].notna().all().all()
        assert not same(params(G), before)
