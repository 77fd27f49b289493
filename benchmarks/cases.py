"""What the benchmarks train, as ``Case``s: models, loss, optimiser and batch size.

DCGAN and critic widths are ganlab's defaults (the paper's 64), not the narrower
widths the notebooks use on a CPU.
"""

from dataclasses import dataclass

import torch
from torch import nn

import ganlab


@dataclass
class Case:
    """One model family as it is trained in the notebooks."""

    name: str
    build: object  # () -> (G, D), freshly initialised
    shape: tuple  # one image: (C, H, W)
    latent_dim: int
    loss: ganlab.losses.Loss = ganlab.BCE
    n_critic: int = 1
    gp_weight: float = 0.0
    lr: float = 2e-4
    betas: tuple = (0.5, 0.999)
    batch_size: int = 64

    def optimisers(self, G, D):
        return (torch.optim.Adam(G.parameters(), lr=self.lr, betas=self.betas),
                torch.optim.Adam(D.parameters(), lr=self.lr, betas=self.betas))

    def models(self, seed=0):
        torch.manual_seed(seed)
        return self.build()

    def data(self, n, seed=0):
        """n random images in [-1, 1]: (n, C, H, W)."""
        g = torch.Generator().manual_seed(seed)
        return torch.rand((n, *self.shape), generator=g) * 2 - 1


def _leaky():
    return nn.LeakyReLU(0.02)  # the seed book's slope


def build_mlp():
    """The seed book's final MNIST MLP GAN (LeakyReLU + LayerNorm, 100-d z, 200 hidden)."""
    G = ganlab.models.mlp_generator(100, (200,), (1, 28, 28), act=_leaky, norm=nn.LayerNorm)
    D = ganlab.models.mlp_discriminator((1, 28, 28), (200,), act=_leaky, norm=nn.LayerNorm)
    return G, D


MLP = Case("MLP-MNIST", build_mlp, (1, 28, 28), 100, lr=1e-4, betas=(0.9, 0.999))


def _dcgan(size, channels):
    def build():
        return (ganlab.dcgan.dcgan_generator(100, size=size, channels=channels),
                ganlab.dcgan.dcgan_discriminator(size=size, channels=channels))
    return build


def _wgan_gp28():
    return (ganlab.dcgan.dcgan_generator(100, size=28, channels=1),
            ganlab.critics.conv_critic(size=28, channels=1))


def cases():
    """The four throughput cases: MLP-MNIST, DCGAN-28 (MNIST), DCGAN-64 (faces), and WGAN-GP-28
    as in Algorithm 1 of Gulrajani et al. (n_critic 5, λ 10, Adam(1e-4, (0, 0.9)))."""
    return [MLP,
            Case("DCGAN-28", _dcgan(28, 1), (1, 28, 28), 100),
            Case("DCGAN-64", _dcgan(64, 3), (3, 64, 64), 100),
            Case("WGAN-GP-28", _wgan_gp28, (1, 28, 28), 100, loss=ganlab.WGAN, n_critic=5,
                 gp_weight=10.0, lr=1e-4, betas=(0.0, 0.9))]


def _tiny_2d():
    return (ganlab.models.mlp_generator(2, (8,), (2,), out=None),
            ganlab.models.mlp_discriminator((2,), (8,)))


TINY = Case("tiny 2-D MLPs (2→8→2)", _tiny_2d, (2,), 2)
