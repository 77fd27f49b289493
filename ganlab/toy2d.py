"""GANs for 2-D points, and how to score them on the ring8 / grid25 mixtures (notebook 06).

``make_gan(method)`` builds a small MLP pair with one of the course's recipes;
``sampler(name)`` is a data function for ``train`` (fresh points every batch);
``score(gan, name)`` is PacGAN's protocol: modes covered and % high-quality samples.
"""

import torch
from torch import nn

from . import data, metrics
from .gan import GAN
from .losses import BCE, WGAN
from .nets import mlp_discriminator, mlp_generator

DEFAULTS = {"GAN": {"lr": 1e-3, "n_critic": 1, "betas": (0.5, 0.999), "gp_weight": 0.0},
            "WGAN-GP": {"lr": 1e-4, "n_critic": 5, "betas": (0.0, 0.9), "gp_weight": 10.0}}
METHODS = tuple(DEFAULTS)


def make_gan(method="WGAN-GP", *, hidden=(128, 128, 128), latent_dim=2, **settings):
    """A GAN for 2-D points: ReLU MLP G (z ∈ R^latent_dim -> R², no output squashing).

    "GAN": BCE with an MLP discriminator, Adam(lr 1e-3, β = (0.5, 0.999)).
    "WGAN-GP": WGAN loss with an MLP critic (LeakyReLU(0.2), no sigmoid, no batch norm),
    λ = 10, Adam(lr 1e-4, β = (0, 0.9)), n_critic 5: the paper's Algorithm 1.
    ``settings`` override ``DEFAULTS[method]``: ``lr``, ``n_critic``, ``betas``, ``gp_weight``
    (None keeps the default).
    """
    unknown = set(settings) - set(DEFAULTS[method])
    if unknown:
        raise TypeError(f"make_gan: unknown settings {sorted(unknown)}; "
                        f"choose from {sorted(DEFAULTS[method])}")
    s = {**DEFAULTS[method], **{k: v for k, v in settings.items() if v is not None}}
    G = mlp_generator(latent_dim, hidden, (2,), act=nn.ReLU, out=None)
    if method == "GAN":
        D, loss = mlp_discriminator((2,), hidden, act=nn.ReLU), BCE
    else:
        D, loss = mlp_discriminator((2,), hidden, act=lambda: nn.LeakyReLU(0.2)), WGAN
    return GAN(G, D, torch.optim.Adam(G.parameters(), s["lr"], betas=s["betas"]),
               torch.optim.Adam(D.parameters(), s["lr"], betas=s["betas"]), latent_dim=latent_dim,
               loss=loss, n_critic=s["n_critic"], gp_weight=s["gp_weight"], n_fixed=1000)


def sampler(name):
    """n -> (n, 2) fresh points of mixture ``name``: a data function for ``train``."""
    return lambda n: data.gaussian_mixture(name, n)[0]


def score(gan, name, n=2500):
    """``metrics.mode_coverage_2d`` of ``n`` generated points (the PacGAN protocol)."""
    return metrics.mode_coverage_2d(gan.generate(n), data.mixture_centers(name), data.MIXTURE_STD[name])
