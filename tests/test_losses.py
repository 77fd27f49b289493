"""Each loss against torch.nn.functional on probabilities (the oracle), and the
equilibrium values that notebook 01 claims."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganlab import losses


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
