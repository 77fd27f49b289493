import pytest
import torch
from torch import nn

import ganlab
from ganlab.models import mlp


def toy_gan(*, seed=0, loss=ganlab.BCE, lr=0.05, **kwargs):
    """The 1010-pattern GAN of notebook 01: tiny and fast, for loop tests."""
    ganlab.seed_everything(seed)
    G = mlp(1, 3, 4, act=nn.Sigmoid, out=nn.Sigmoid)
    D = nn.Sequential(mlp(4, 3, 1, act=nn.Sigmoid), nn.Flatten(0))
    opt_G = torch.optim.Adam(G.parameters(), lr=lr)
    opt_D = torch.optim.Adam(D.parameters(), lr=lr)
    return ganlab.GAN(G, D, opt_G, opt_D, latent_dim=1, loss=loss, noise=torch.rand, **kwargs)


@pytest.fixture
def make_toy_gan():
    return toy_gan
