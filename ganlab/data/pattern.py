"""The 1010 pattern: the smallest real data a GAN can learn (notebook 01)."""

import torch

from ..paths import count

PATTERN = torch.tensor([1.0, 0.0, 1.0, 0.0], device="cpu")


def pattern1010(n, *, generator=None):
    """(n, 4) noisy copies of 1010: a "1" is U[0.8, 1.0], a "0" is U[0.0, 0.2].
    Values are in [0, 1], for a generator with a sigmoid output."""
    noise = torch.rand(count(n, "pattern1010", "n"), 4, generator=generator, device="cpu") * 0.2
    return PATTERN * 0.8 + noise  # (n, 4)
