"""ganlab.gan: the two steps against closed forms, the GAN's state, and short real trainings."""

import copy
import io

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

import ganlab
from ganlab import nets
from ganlab.data import pattern1010

SHAPE = (1, 4, 4)  # tiny "images": 16 pixels
DATA = pattern1010(256, generator=torch.Generator().manual_seed(0))


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def linear_critic():
    """D(x) = w · flatten(x) + b: every closed form below follows from ∇ₓD = w."""
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


def linear_gan(z, *, loss=ganlab.WGAN, lr=0.1, **kwargs):
    """Affine G, linear D, plain SGD, and noise that is always the rows of ``z``."""
    G, D = affine_generator(), linear_critic()
    noise = lambda n, dim, device=None: z[:n].to(device)
    return ganlab.GAN(G, D, torch.optim.SGD(G.parameters(), lr=lr), torch.optim.SGD(D.parameters(), lr=lr),
                      latent_dim=3, loss=loss, noise=noise, n_fixed=4, **kwargs)


# --- d_step and g_step --------------------------------------------------------------------------


def test_d_step_leaves_g_untouched(make_toy_gan):
    gan = make_toy_gan()
    G0, D0 = params(gan.G), params(gan.D)
    stats = ganlab.d_step(gan, pattern1010(32))
    assert same(params(gan.G), G0)
    assert not same(params(gan.D), D0)
    assert {"loss_D", "D_real", "D_fake"} <= stats.keys()


def test_g_step_leaves_d_untouched(make_toy_gan):
    gan = make_toy_gan()
    G0, D0 = params(gan.G), params(gan.D)
    stats = ganlab.g_step(gan, 32)
    assert same(params(gan.D), D0)
    assert not same(params(gan.G), G0)
    assert set(stats) == {"loss_G"}


@pytest.mark.parametrize("loss", [ganlab.WGAN, ganlab.BCE], ids=["WGAN", "BCE"])
def test_g_step_matches_closed_form_sgd_update(loss):
    """s_i = w·(W z_i + c) + b. With g_i = ∂loss_G/∂s_i: ∂/∂c = Σ g_i w, ∂/∂W = w (Σ g_i z_i)ᵀ.
    WGAN: loss_G = −mean s, g_i = −1/B. BCE: loss_G = mean softplus(−s), g_i = −(1 − σ(s_i))/B."""
    z = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    gan = linear_gan(z, loss=loss)
    W, c = gan.G[0].weight.detach().clone(), gan.G[0].bias.detach().clone()
    w, b = gan.D[1].weight.detach().clone()[0], gan.D[1].bias.detach().clone()
    s = (z @ W.T + c) @ w + b  # (B,) D's scores of the fakes
    if loss is ganlab.WGAN:
        g, expected_loss = torch.full((8,), -1 / 8), -s.mean()
    else:
        g, expected_loss = -(1 - torch.sigmoid(s)) / 8, nn.functional.softplus(-s).mean()
    stats = ganlab.g_step(gan, 8)
    torch.testing.assert_close(stats["loss_G"], expected_loss)
    torch.testing.assert_close(gan.G[0].bias.detach(), c - 0.1 * g.sum() * w)
    torch.testing.assert_close(gan.G[0].weight.detach(), W - 0.1 * torch.outer(w, g @ z))
    assert torch.equal(gan.D[1].weight.detach()[0], w) and torch.equal(gan.D[1].bias.detach(), b)


def test_d_step_with_r1_weight_logs_r1_and_updates_by_closed_form():
    """loss_D = mean D(fake) − mean D(real) + γ/2 ‖w‖²: ∂/∂w = mean fake − mean real + γ w."""
    z = torch.randn(8, 3, generator=torch.Generator().manual_seed(1))
    gan = linear_gan(z, r1_weight=4.0)
    W, c = gan.G[0].weight.detach().clone(), gan.G[0].bias.detach().clone()
    w, b = gan.D[1].weight.detach().clone()[0], gan.D[1].bias.detach().clone()
    real = torch.randn(8, *SHAPE, generator=torch.Generator().manual_seed(2))
    stats = ganlab.d_step(gan, real)
    torch.testing.assert_close(stats["r1"], w.pow(2).sum())  # ‖∇ₓ D‖² = ‖w‖² at every x
    assert "gp" not in stats and "grad_norm" not in stats
    fake = z @ W.T + c  # (8, 16)
    grad = fake.mean(0) - real.flatten(1).mean(0) + 4.0 * w
    torch.testing.assert_close(gan.D[1].weight.detach()[0], w - 0.1 * grad)
    torch.testing.assert_close(gan.D[1].bias.detach(), b)  # the WGAN loss's bias terms cancel
    torch.testing.assert_close(stats["loss_D"], (fake @ w).mean() - (real.flatten(1) @ w).mean())


def test_d_step_without_penalty_weights_logs_no_penalty():
    stats = ganlab.d_step(linear_gan(torch.randn(8, 3)), torch.randn(8, *SHAPE))
    assert not {"gp", "grad_norm", "r1"} & set(stats)


# --- the GAN's state ----------------------------------------------------------------------------


def train_to(gan, steps):
    return ganlab.train(gan, DATA, batch_size=16, steps=steps, progress=False)


def test_gan_state_dict_round_trip_continues_bit_identically(make_toy_gan):
    straight = make_toy_gan(seed=1)
    train_to(straight, 15)
    snapshot, rng = copy.deepcopy(straight.state_dict()), torch.get_rng_state()
    train_to(straight, 30)

    restored = make_toy_gan(seed=99)  # other weights, fixed noise and data seed
    restored.load_state_dict(snapshot)
    assert restored.step == 15 and restored.batches_seen == 15 and len(restored.history) == 15
    torch.set_rng_state(rng)  # the noise draws continue as they did
    train_to(restored, 30)

    assert same(params(straight.G), params(restored.G)) and same(params(straight.D), params(restored.D))
    frame = straight.history.frame
    assert frame.equals(restored.history.frame.assign(seconds=frame.seconds))  # all but wall-clock time
    assert torch.equal(straight.fixed_z, restored.fixed_z) and straight.data_seed == restored.data_seed
    for a, b in zip(straight.opt_D.state.values(), restored.opt_D.state.values()):
        assert all(torch.equal(a[k], b[k]) for k in ("step", "exp_avg", "exp_avg_sq"))


def test_gan_load_state_dict_shares_no_tensors_with_its_source(make_toy_gan):
    source = make_toy_gan(seed=1)
    train_to(source, 5)
    copy_ = make_toy_gan(seed=2)
    copy_.load_state_dict(source.state_dict())  # a live state, not a saved one
    before = copy.deepcopy(copy_.state_dict())
    train_to(source, 10)  # the source trains on: the copy must not move with it
    after = copy_.state_dict()
    for name in ("G", "D"):
        assert all(torch.equal(before[name][k], after[name][k]) for k in before[name])
    for name in ("opt_G", "opt_D"):
        for i, slot in before[name]["state"].items():
            assert all(torch.equal(v, after[name]["state"][i][k]) for k, v in slot.items()), (name, i)


def test_gan_state_dict_is_weights_only_safe(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, steps=4, snapshot_every=2, progress=False)
    buffer = io.BytesIO()
    torch.save(gan.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # raises if anything needs unpickling code
    assert {"G", "D", "opt_G", "opt_D", "scaler_G", "scaler_D", "history", "step", "batches_seen",
            "data_seed", "fixed_z", "fixed_labels"} == set(state)
    assert state["step"] == 4 and len(state["history"]["snapshots"]) == 2


def test_gan_conditional_requires_fixed_labels(make_toy_gan):
    with pytest.raises(ValueError, match="fixed_labels"):
        make_toy_gan(conditional=True)


def test_gan_amp_request_is_a_no_op_without_cuda(make_toy_gan):
    gan = make_toy_gan(amp=True)
    if gan.device.type != "cuda":
        assert not gan.scaler_D.is_enabled() and not gan.scaler_G.is_enabled()
        assert not isinstance(gan.autocast(), torch.autocast)  # no autocast context at all
    ganlab.train(gan, pattern1010, steps=3, progress=False)
    assert gan.step == 3


def test_gan_generate_uses_eval_mode_and_restores_training():
    G = nets.mlp_generator(4, (8,), (2,), norm=nn.BatchNorm1d)
    gan = ganlab.GAN(G, nets.mlp_discriminator((2,), (8,)), ganlab.adam(G), ganlab.adam(G), latent_dim=4)
    G.train()
    z = torch.randn(5, 4)
    torch.testing.assert_close(gan.generate(z=z)[:1], gan.generate(z=z[:1]))  # batch norm in eval mode
    assert G.training and gan.generate(3).shape == (3, 2)


def test_adam_uses_paper_settings():
    opt = ganlab.adam(nn.Linear(2, 2))
    assert opt.defaults["lr"] == 2e-4 and opt.defaults["betas"] == (0.5, 0.999)


# --- short real trainings: plain, conditional, with each penalty ---------------------------------


def test_conv_gan_trains_end_to_end_a_few_steps():
    ganlab.seed_everything(0)
    G = nets.conv_generator(16, size=28, channels=1, width=4)
    D = nets.conv_discriminator(size=28, channels=1, width=4)
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=16)
    before = params(G)
    history = ganlab.train(gan, torch.rand(64, 1, 28, 28) * 2 - 1, batch_size=16, steps=3, progress=False)
    assert len(history) == 3 and history.frame[["loss_D", "loss_G"]].notna().all().all()
    assert all(not torch.equal(a, b) for a, b in zip(before, G.parameters()))


def conditional_gan(family, kind, *, loss=ganlab.BCE, norm=None, **kwargs):
    size, channels = (28, 1) if kind == "classes" else (32, 3)
    y = torch.arange(64) % 10 if kind == "classes" else (torch.rand(64, 5) < 0.5).float()
    k = 10 if kind == "classes" else 5
    if family == "mlp":
        shape = (channels, size, size)
        G = nets.mlp_generator(8, (32,), shape, num_labels=k)
        D = nets.mlp_discriminator(shape, (32,), num_labels=k, norm=norm)
    else:
        G = nets.conv_generator(8, size=size, channels=channels, width=8, num_labels=k)
        D = nets.conv_discriminator(size=size, channels=channels, width=8, num_labels=k,
                                    norm=norm or nn.BatchNorm2d)
    data = TensorDataset(torch.rand(64, channels, size, size) * 2 - 1, y)
    gan = ganlab.GAN(G, D, torch.optim.Adam(G.parameters(), 2e-4), torch.optim.Adam(D.parameters(), 2e-4),
                     latent_dim=8, loss=loss, conditional=True, fixed_labels=y[:16], n_fixed=16, **kwargs)
    return gan, data, (channels, size, size), y


@pytest.mark.parametrize(("family", "kind"), [("mlp", "classes"), ("conv", "attributes")])
def test_gan_conditional_training_step_runs(family, kind):
    ganlab.seed_everything(0)
    gan, data, shape, y = conditional_gan(family, kind)
    before = params(gan.G)
    history = ganlab.train(gan, data, batch_size=16, steps=3, snapshot_every=3, progress=False)
    assert len(history) == 3 and history.frame["loss_D"].notna().all()
    assert any((p - b).abs().max() > 0 for p, b in zip(gan.G.parameters(), before))
    assert history.snapshots[0][1].shape == (16, *shape)
    assert gan.generate(labels=y[:5], z=torch.randn(5, 8)).shape == (5, *shape)


@pytest.mark.parametrize("kind", ["classes", "attributes"])
@pytest.mark.parametrize("family", ["mlp", "conv"])
@pytest.mark.parametrize("penalty", ["gp", "r1"])
def test_gan_conditional_with_penalty_trains(family, kind, penalty):
    """WGAN-GP (critic with layer norm, n_critic 2) or BCE + R1, conditional, a few real steps."""
    ganlab.seed_everything(0)
    if penalty == "gp":
        norm = nn.LayerNorm if family == "mlp" else nets.map_layer_norm
        setup = {"loss": ganlab.WGAN, "gp_weight": 10.0, "n_critic": 2, "norm": norm}
        columns = {"gp", "grad_norm"}
    else:
        setup, columns = {"r1_weight": 1.0}, {"r1"}
    gan, data, _, _ = conditional_gan(family, kind, **setup)
    G0, D0 = params(gan.G), params(gan.D)
    frame = ganlab.train(gan, data, batch_size=16, steps=3, progress=False).frame
    assert columns <= set(frame.columns) and not ({"gp", "grad_norm", "r1"} - columns) & set(frame.columns)
    assert frame[sorted(columns)].notna().all().all() and (frame[sorted(columns)] > 0).all().all()
    assert gan.batches_seen == 3 * gan.n_critic
    assert not same(params(gan.G), G0) and not same(params(gan.D), D0)
