"""The WGAN-GP gradient penalty against closed forms, and the critics it needs."""

import pytest
import torch
from torch import nn

import ganlab
from ganlab import nets
from ganlab.losses import gradient_penalty, interpolate_grad_norms

SHAPE = (1, 4, 4)  # tiny "images": 16 pixels
LEAKY = lambda: nn.LeakyReLU(0.2)  # the critics' activation


def linear_critic(seed=0):
    """C(x) = w · flatten(x) + b: its input gradient is w at every x, so ‖∇C‖ = ‖w‖₂."""
    torch.manual_seed(seed)
    C = nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.Flatten(0))
    with torch.no_grad():
        C[1].weight.copy_(torch.linspace(-0.5, 0.7, 16)[None])  # ‖w‖ ≈ 1.61, entries far from ±1
        C[1].bias.fill_(0.3)
    return C


def test_gradient_penalty_linear_critic_matches_closed_form():
    C = linear_critic()
    w = C[1].weight.detach().flatten()
    real, fake = torch.randn(8, *SHAPE), torch.randn(8, *SHAPE)
    expected = (w.norm() - 1) ** 2  # every interpolate has gradient w
    penalty, norms = gradient_penalty(C, real, fake)
    torch.testing.assert_close(penalty, expected)
    torch.testing.assert_close(norms, w.norm().expand(8))  # the norms it returns: one per sample
    torch.testing.assert_close(interpolate_grad_norms(C, real, fake), w.norm().expand(8))


def test_gradient_penalty_per_pixel_norm_would_fail_closed_form():
    C = linear_critic()
    w = C[1].weight.detach().flatten()
    real, fake = torch.randn(8, *SHAPE), torch.randn(8, *SHAPE)
    x_hat = (0.5 * real + 0.5 * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(C(x_hat).sum(), x_hat)  # (8, 1, 4, 4)
    per_pixel = ((grad.abs() - 1) ** 2).mean()  # the bug: one "norm" per pixel, |w_ij|
    expected = (w.norm() - 1) ** 2
    assert abs(per_pixel.item() - expected.item()) > 0.1
    torch.testing.assert_close(per_pixel, ((w.abs() - 1) ** 2).mean())  # what the bug computes
    torch.testing.assert_close(gradient_penalty(C, real, fake)[0], expected)


def test_gradient_penalty_gradients_reach_critic_only():
    C = linear_critic()
    G = nn.Sequential(nn.Linear(3, 16), nn.Unflatten(1, SHAPE))
    fake = G(torch.randn(8, 3))  # still attached to G's graph
    penalty, _ = gradient_penalty(C, torch.randn(8, *SHAPE), fake)
    penalty.backward()
    assert G[0].weight.grad is None and G[0].bias.grad is None  # fake was detached
    w = C[1].weight.detach()
    # d/dw (‖w‖ − 1)² = 2 (‖w‖ − 1) w / ‖w‖; the bias does not move the gradient.
    torch.testing.assert_close(C[1].weight.grad, 2 * (w.norm() - 1) * w / w.norm())
    assert C[1].bias.grad is None  # not even in the penalty's graph


def test_gradient_penalty_is_two_sided():
    C = linear_critic()
    with torch.no_grad():
        C[1].weight.mul_(0.5 / C[1].weight.norm())  # ‖w‖ = 0.5 < 1: still penalised
    real, fake = torch.randn(4, *SHAPE), torch.randn(4, *SHAPE)
    torch.testing.assert_close(gradient_penalty(C, real, fake)[0], torch.tensor(0.25))


def test_gradient_penalty_passes_labels_to_a_conditional_critic():
    """C(x, y) = (y + 1) · Σ x: the gradient is (y + 1) in every pixel, so ‖∇C‖ = 4 (y + 1)."""
    C = lambda x, y: (y + 1) * x.flatten(1).sum(1)
    y = torch.tensor([0.0, 1.0, 2.0])
    penalty, norms = gradient_penalty(C, torch.randn(3, *SHAPE), torch.randn(3, *SHAPE), labels=y)
    torch.testing.assert_close(norms, 4 * (y + 1))
    torch.testing.assert_close(penalty, ((4 * (y + 1) - 1) ** 2).mean())

def make_gan(*, lr=0.1, gp_weight=10.0):
    """A linear critic and a constant generator (zero weights, bias c): closed-form updates."""
    C = linear_critic()
    G = nn.Sequential(nn.Linear(3, 16), nn.Unflatten(1, SHAPE))
    with torch.no_grad():
        G[0].weight.zero_()
        G[0].bias.copy_(torch.linspace(1, -1, 16))
    opt_D = torch.optim.SGD(C.parameters(), lr=lr)
    opt_G = torch.optim.SGD(G.parameters(), lr=lr)
    return ganlab.GAN(G, C, opt_G, opt_D, latent_dim=3, loss=ganlab.WGAN, n_critic=5, gp_weight=gp_weight)


def test_d_step_with_gp_weight_logs_gp_and_grad_norm_and_updates_by_closed_form():
    gan = make_gan()
    w = gan.D[1].weight.detach().clone().flatten()
    real = torch.randn(8, *SHAPE)
    stats = ganlab.d_step(gan, real)
    torch.testing.assert_close(stats["grad_norm"], w.norm())
    torch.testing.assert_close(stats["gp"], (w.norm() - 1) ** 2)
    fake_mean = torch.linspace(1, -1, 16)  # every fake is G's bias
    # loss_D = mean C(fake) − mean C(real) + λ (‖w‖ − 1)²
    grad = fake_mean - real.flatten(1).mean(0) + 10.0 * 2 * (w.norm() - 1) * w / w.norm()
    torch.testing.assert_close(gan.D[1].weight.detach().flatten(), w - 0.1 * grad)


def test_d_step_without_gp_weight_logs_no_penalty():
    stats = ganlab.d_step(make_gan(gp_weight=0.0), torch.randn(8, *SHAPE))
    assert "gp" not in stats and "grad_norm" not in stats


def test_train_wgan_gp_history_has_gp_and_grad_norm_columns():
    gan = make_gan(lr=1e-3)
    history = ganlab.train(gan, torch.randn(64, *SHAPE), batch_size=8, steps=2, progress=False)
    assert {"gp", "grad_norm"} <= set(history.frame.columns)
    assert gan.batches_seen == 2 * 5  # n_critic = 5 critic updates per G update


@pytest.mark.parametrize(("critic", "shape"), [
    (lambda: nets.mlp_discriminator((2,), (16, 16), act=LEAKY, norm=nn.LayerNorm), (2,)),
    (lambda: nets.mlp_discriminator((1, 28, 28), (32,), act=LEAKY), (1, 28, 28)),
    (lambda: nets.conv_discriminator(size=28, channels=1, width=8, norm=nets.map_layer_norm), (1, 28, 28)),
    (lambda: nets.conv_discriminator(size=32, channels=3, width=8, norm=nets.map_layer_norm), (3, 32, 32)),
], ids=["mlp_layer_norm", "mlp", "conv28", "conv32"])
def test_critics_score_each_sample_alone_without_sigmoid_or_batch_norm(critic, shape):
    torch.manual_seed(0)
    C = critic()
    banned = (nn.BatchNorm1d, nn.BatchNorm2d, nn.Sigmoid)
    assert not any(isinstance(m, banned) for m in C.modules())
    x = torch.randn(6, *shape)
    scores = C(x)
    assert scores.shape == (6,)
    # per sample: a score does not depend on its batch-mates (batch norm would break this)
    torch.testing.assert_close(scores[:1], C(x[:1]))
    torch.testing.assert_close(scores[3:], C(x[3:]))

