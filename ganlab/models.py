"""Fully connected (MLP) generators and discriminators, and weight initialisation.

Discriminators return raw scores (no sigmoid): the loss decides how to read them
(see ``ganlab.losses``). Convolutional models live in ``ganlab.dcgan``.
"""

import math

from torch import nn


def mlp(*sizes, act=nn.LeakyReLU, norm=None, out=None):
    """Linear layers through ``sizes``; after each hidden layer ``act()``, then ``norm(width)``.

    ``act``, ``norm`` and ``out`` are factories (classes or lambdas), so every layer
    gets its own module: e.g. ``mlp(784, 200, 1, act=nn.Sigmoid)``.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:  # hidden layer
            layers.append(act())
            if norm is not None:
                layers.append(norm(n_out))
    if out is not None:
        layers.append(out())
    return nn.Sequential(*layers)


def mlp_generator(latent_dim, hidden, out_shape, *, act=nn.LeakyReLU, norm=None, out=nn.Tanh):
    """z (B, latent_dim) -> sample (B, *out_shape). ``hidden`` is a tuple of widths."""
    size = math.prod(out_shape)
    body = mlp(latent_dim, *hidden, size, act=act, norm=norm, out=out)
    return nn.Sequential(body, nn.Unflatten(1, tuple(out_shape)))


def mlp_discriminator(in_shape, hidden, *, act=nn.LeakyReLU, norm=None):
    """sample (B, *in_shape) -> raw score (B,)."""
    body = mlp(math.prod(in_shape), *hidden, 1, act=act, norm=norm)
    return nn.Sequential(nn.Flatten(), body, nn.Flatten(0))


def init_normal(module, std=0.02):
    """DCGAN initialisation: weights ~ N(0, std), norm-layer scales ~ N(1, std), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.LayerNorm)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module


def count_params(module):
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
