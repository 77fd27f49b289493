"""WGAN-GP critics: no sigmoid, no batch norm.

A critic C returns an unbounded score (B,); E[C(x)] − E[C(G(z))] estimates the
Wasserstein-1 distance when C is 1-Lipschitz. The gradient penalty enforces that
*per sample*: it asks ‖∇ₓ C(x̂)‖ = 1 at each interpolate x̂ separately. Batch norm
would make one sample's score depend on the rest of its batch, so that per-sample
gradient would no longer be the gradient of a function of x̂ alone; we use layer norm
(per sample) or no normalisation instead (Gulrajani et al. 2017, section 4).
"""

import math

from torch import nn

from .models import mlp


def map_layer_norm(c):
    """Layer norm over (C, H, W) of each sample's feature maps: ``GroupNorm`` with one group."""
    return nn.GroupNorm(1, c)


def mlp_critic(in_shape, hidden, *, layer_norm=False):
    """x (B, *in_shape) -> score (B,): Linear + LeakyReLU(0.2) [+ LayerNorm] layers."""
    norm = nn.LayerNorm if layer_norm else None
    body = mlp(math.prod(in_shape), *hidden, 1, act=lambda: nn.LeakyReLU(0.2), norm=norm)
    return nn.Sequential(nn.Flatten(), body, nn.Flatten(0))


def conv_critic(*, size=28, channels=1, width=64, layer_norm=True):
    """Image (B, channels, size, size) -> score (B,) for size 28 (→14→7) or 32/64 (→…→4).

    Strided 4×4 convs with LeakyReLU(0.2), doubling the width each time; after the first,
    ``map_layer_norm``: layer norm over (C, H, W) of each sample, never over the batch.
    """
    n_down = 2 if size == 28 else round(math.log2(size / 4))
    side = size // 2**n_down
    if side * 2**n_down != size or side not in (4, 7):
        raise ValueError(f"size must be 28, 32 or 64, got {size}")
    layers, c = [], channels
    for i in range(n_down):  # (c, s, s) -> (width·2^i, s/2, s/2)
        c_out = width * 2**i
        layers.append(nn.Conv2d(c, c_out, 4, stride=2, padding=1))
        if layer_norm and i > 0:
            layers.append(map_layer_norm(c_out))
        layers.append(nn.LeakyReLU(0.2))
        c = c_out
    layers += [nn.Flatten(), nn.Linear(c * side * side, 1), nn.Flatten(0)]  # (B, c·s·s) -> (B,)
    return nn.Sequential(*layers)
