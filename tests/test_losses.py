"""Each loss against torch.nn.functional on probabilities (the oracle), and the
equilibrium values that notebook 01 claims."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganlab import losses
from ganlab.losses import gradient_penalty, interpolate_grad_norms


@pytest.fixture
def scores():
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, generator=g) * 3, torch.randn(16, generator=g) * 3


def test_bce_d_matches_binary_cross_entropy_on_probabilities(scores):
    real, fake = scores
    expected = (F.binary_cross_entropy(torch.sigmoid(real), torch.ones(16))
                + F.binary_cross_entropy(torch.sigmoid(fake), torch.zeros(16))) / 2
    torch.testing.assert_close(losses.bce_d(real, fake), expected)


def test_bce_g_is_non_saturating(scores):
    _, fake = scores
    expected = -torch.log(torch.sigmoid(fake)).mean()
    torch.testing.assert_close(losses.bce_g(fake), expected)


def test_mse_losses_match_mse_loss_on_probabilities(scores):
    real, fake = scores
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = (F.mse_loss(p_real, torch.ones(16)) + F.mse_loss(p_fake, torch.zeros(16))) / 2
    torch.testing.assert_close(losses.mse_d(real, fake), expected_d)
    torch.testing.assert_close(losses.mse_g(fake), ((p_fake - 1) ** 2).mean())


def test_wgan_losses_are_score_differences(scores):
    real, fake = scores
    torch.testing.assert_close(losses.wgan_d(real, fake), fake.mean() - real.mean())
    torch.testing.assert_close(losses.wgan_g(fake), -fake.mean())


@pytest.mark.parametrize("loss, value", [(losses.MSE, 0.25), (losses.BCE, math.log(2))])
def test_losses_at_equilibrium_d_half(loss, value):
    # D(x) = σ(0) = ½ for every input: both players sit at the same value.
    zero = torch.zeros(8)
    assert loss.d(zero, zero).item() == pytest.approx(value)
    assert loss.g(zero).item() == pytest.approx(value)


def test_bce_is_stable_for_confident_scores():
    # With a sigmoid inside the model, s = ±100 gives log(0) = -inf; with logits it stays finite.
    real, fake = torch.full((4,), 100.0), torch.full((4,), -100.0)
    assert torch.isfinite(losses.bce_g(fake)) and losses.bce_g(fake).item() == pytest.approx(100.0)
    assert losses.bce_d(real, fake).item() == pytest.approx(0.0, abs=1e-6)


# --- R1: E‖∇ₓ D(x)‖² on real data, against hand-computed gradients -----------------------------


def test_r1_penalty_linear_d_is_squared_weight_norm():
    torch.manual_seed(0)
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 1), torch.nn.Flatten(0))
    w = D[1].weight.detach()[0]
    real = torch.randn(8, 1, 4, 4)
    r1 = losses.r1_penalty(D, real)
    torch.testing.assert_close(r1, w.pow(2).sum())  # ∇ₓ(w·x + b) = w at every x
    r1.backward()  # and it trains D: ∂‖w‖²/∂w = 2w; the bias does not enter
    torch.testing.assert_close(D[1].weight.grad[0], 2 * w)
    assert D[1].bias.grad is None


def test_r1_penalty_half_squared_norm_d_is_mean_squared_norm():
    real = torch.randn(6, 3, 2, 2, generator=torch.Generator().manual_seed(1))
    D = lambda x: 0.5 * x.flatten(1).pow(2).sum(1)  # ∇ₓ D = x
    torch.testing.assert_close(losses.r1_penalty(D, real), real.flatten(1).pow(2).sum(1).mean())


def test_r1_penalty_passes_labels_and_leaves_real_untouched():
    real = torch.randn(4, 3)
    labels = torch.tensor([0.0, 1.0, 2.0, 3.0])
    D = lambda x, y: (x * y[:, None]).sum(1)  # ∇ₓ D = y·1: ‖∇‖² = 3 y²
    torch.testing.assert_close(losses.r1_penalty(D, real, labels=labels), (3 * labels**2).mean())
    assert not real.requires_grad and real.grad is None


# --- hinge: against torch's hinge_embedding_loss (max(0, margin − x) for target −1) ------------


def test_hinge_d_matches_hinge_embedding_loss(scores):
    real, fake = scores
    minus = -torch.ones(16)  # target −1: loss max(0, 1 − x)
    expected = (F.hinge_embedding_loss(real, minus, margin=1.0)  # max(0, 1 − s_real)
                + F.hinge_embedding_loss(-fake, minus, margin=1.0))  # max(0, 1 + s_fake)
    torch.testing.assert_close(losses.hinge_d(real, fake), expected)
    torch.testing.assert_close(losses.HINGE.g(fake), -fake.mean())


def test_hinge_d_is_zero_past_the_margins():
    real = torch.tensor([1.0, 2.5], requires_grad=True)
    fake = torch.tensor([-1.0, -3.0], requires_grad=True)
    loss = losses.hinge_d(real, fake)
    loss.backward()
    assert loss.item() == 0.0 and real.grad.abs().sum() == 0 and fake.grad.abs().sum() == 0
    assert losses.HINGE.readout is losses.WGAN.readout  # raw scores are logged, as for a critic


# --- the WGAN-GP gradient penalty -------------------------------------------------------------------

SHAPE = (1, 4, 4)  # tiny "images": 16 pixels


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
