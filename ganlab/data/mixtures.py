"""2-D Gaussian mixtures: the standard mode-coverage benchmarks (Unrolled GAN, VEEGAN, PacGAN).

- ``ring8``: 8 centres on the unit circle at angles 2πk/8, k = 0..7, σ = 0.01.
- ``grid25``: 25 centres at {−4, −2, 0, 2, 4}², σ = 0.05.

Each sample picks a centre uniformly at random and adds N(0, σ² I)."""

import math

import torch

from ..paths import count

MIXTURE_STD = {"ring8": 0.01, "grid25": 0.05}


def mixture_centers(name):
    """The (k, 2) float32 centres of mixture `name`."""
    if name == "ring8":
        # arange(8) * 2π/8, NOT linspace(0, 2π, 8): that puts the last angle at 2π = 0,
        # so only 7 distinct modes.
        angles = torch.arange(8, dtype=torch.float64, device="cpu") * (2 * math.pi / 8)
        return torch.stack([angles.cos(), angles.sin()], dim=1).float()
    if name == "grid25":
        ticks = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0], device="cpu")
        return torch.cartesian_prod(ticks, ticks)  # (25, 2)
    raise ValueError(f"unknown mixture {name!r}: choose one of {sorted(MIXTURE_STD)}")


def gaussian_mixture(name, n, *, seed=None):
    """``(samples (n, 2) float32, centers (k, 2) float32)`` from mixture `name`.
    ``seed=None`` draws from torch's global RNG (so ``seed_everything`` governs it);
    an int seed gives the same samples every time, independent of global state."""
    centers = mixture_centers(name)
    n = count(n, "gaussian_mixture", f"{name!r}, n", hint=" (PacGAN's protocol scores 2,500)")
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    which = torch.randint(len(centers), (n,), generator=gen, device="cpu")  # (n,) component index
    noise = torch.randn(n, 2, generator=gen, device="cpu") * MIXTURE_STD[name]  # (n, 2)
    return centers[which] + noise, centers
