"""DCGAN generators and discriminators (28×28 digits, 64×64 faces), following Radford et al. 2016.

The paper's rules, all kept here:
- no pooling: D halves the image with stride-2 convolutions, G doubles it with
  stride-2 transposed convolutions (both learn their own down/up-sampling);
- batch norm in both nets, except G's output layer and D's input layer;
- ReLU in G with a tanh output (images in [-1, 1]); LeakyReLU(0.2) in D;
- no fully connected hidden layers; weights ~ N(0, 0.02) (``ganlab.models.init_normal``);
- Adam with lr = 2e-4 and β₁ = 0.5 (``adam``): the default β₁ = 0.9 keeps too much
  momentum for a target that moves every step, and training oscillates.

D returns a raw score per image, shape (B,); the loss applies the sigmoid.
``width`` is the channel count next to the image (the paper uses 64 or 128);
layers further from the image have 2×, 4×, 8× as many.
"""

import torch
from torch import nn

from .models import init_normal

SIZES = (28, 64)


def up_block(c_in, c_out, *, kernel=4, stride=2, padding=1):
    """G's block: (B, c_in, H, W) -> (B, c_out, 2H, 2W) by ConvTranspose, BatchNorm, ReLU.

    Output size (H − 1)·stride − 2·padding + kernel: 4, 2, 1 doubles it exactly.
    No conv bias: batch norm's shift β replaces it.
    """
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def down_block(c_in, c_out, *, norm=nn.BatchNorm2d):
    """D's block: (B, c_in, H, W) -> (B, c_out, H/2, W/2) by a stride-2 Conv, ``norm``, LeakyReLU(0.2).

    ``norm`` is a factory ``c -> module`` or None (no normalisation, as on D's input
    layer, or in a WGAN-GP critic, where batch norm would couple the samples the
    gradient penalty treats one by one).
    """
    layers = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=norm is None)]
    if norm is not None:
        layers.append(norm(c_out))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


def _widths(size, width):
    """Channel counts from the smallest feature map up to the image's neighbour."""
    if size == 28:  # 7 -> 14 -> 28
        return [2 * width, width]
    if size == 64:  # 4 -> 8 -> 16 -> 32 -> 64
        return [8 * width, 4 * width, 2 * width, width]
    raise ValueError(f"DCGAN models here are for images of size {SIZES}, not {size}")


def dcgan_generator(latent_dim, *, size=64, channels=3, width=64):
    """z (B, latent_dim) -> images (B, channels, size, size) in [-1, 1].

    size 28: z -> (2w, 7, 7) -> (w, 14, 14) -> (channels, 28, 28)
    size 64: z -> (8w, 4, 4) -> (4w, 8, 8) -> (2w, 16, 16) -> (w, 32, 32) -> (channels, 64, 64)
    """
    widths = _widths(size, width)
    first = 7 if size == 28 else 4  # the 1×1 "image" z becomes first × first
    layers = [nn.Unflatten(1, (latent_dim, 1, 1)),  # (B, latent_dim, 1, 1)
              up_block(latent_dim, widths[0], stride=1, padding=0, kernel=first)]
    layers += [up_block(a, b) for a, b in zip(widths[:-1], widths[1:])]
    layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh()]  # no BN on the output
    return init_normal(nn.Sequential(*layers))


def dcgan_discriminator(*, size=64, channels=3, width=64, norm=nn.BatchNorm2d):
    """images (B, channels, size, size) -> raw scores (B,). The mirror image of the generator.

    size 28: (channels, 28, 28) -> (w, 14, 14) -> (2w, 7, 7) -> score
    size 64: (channels, 64, 64) -> (w, 32, 32) -> (2w, 16, 16) -> (4w, 8, 8) -> (8w, 4, 4) -> score
    ``norm`` (a factory or None) is used in every block but the first.
    """
    widths = _widths(size, width)[::-1]  # from the image inwards
    last = 7 if size == 28 else 4
    layers = [down_block(channels, widths[0], norm=None)]  # no norm on the input layer
    layers += [down_block(a, b, norm=norm) for a, b in zip(widths[:-1], widths[1:])]
    layers += [nn.Conv2d(widths[-1], 1, last, 1, 0),  # (B, 1, 1, 1): one score per image
               nn.Flatten(0)]  # (B,)
    return init_normal(nn.Sequential(*layers))


def adam(module, *, lr=2e-4, betas=(0.5, 0.999)):
    """The DCGAN paper's optimiser: Adam, lr 2e-4, β₁ = 0.5."""
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas)
