import pytest
import torch
from torch import nn

from ganlab import models


def test_mlp_layer_order_hidden_act_then_norm():
    net = models.mlp(4, 8, 2, act=nn.ReLU, norm=nn.LayerNorm, out=nn.Sigmoid)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.LayerNorm, nn.Linear, nn.Sigmoid]


def test_mlp_generator_and_discriminator_shapes():
    G = models.mlp_generator(100, (200,), (1, 28, 28))
    D = models.mlp_discriminator((1, 28, 28), (200,))
    fake = G(torch.randn(5, 100))
    assert fake.shape == (5, 1, 28, 28)
    assert fake.abs().max() <= 1  # tanh output
    assert D(fake).shape == (5,)  # one raw score per sample


def test_init_normal_statistics():
    torch.manual_seed(0)
    net = models.init_normal(nn.Sequential(nn.Linear(500, 500), nn.LayerNorm(500)))
    assert net[0].weight.std().item() == pytest.approx(0.02, rel=0.02)
    assert net[0].bias.abs().max().item() == 0
    assert net[1].weight.mean().item() == pytest.approx(1.0, abs=0.01)


def test_count_params_counts_trainable_only():
    net = nn.Linear(3, 2)
    assert models.count_params(net) == 8
    net.bias.requires_grad_(False)
    assert models.count_params(net) == 6
