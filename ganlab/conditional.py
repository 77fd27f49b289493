"""Conditional generators and discriminators: G(z, y), D(x, y).

A label y is either class ids, int64 (B,) (MNIST digits), or a float (B, K) vector of
0/1 attributes (faces). ``label_code`` turns both into one float code (B, K): one-hot
for class ids, unchanged for attributes. (A one-hot code followed by a Linear layer is
exactly an ``nn.Embedding`` lookup, so we need no separate embedding table.)

G sees [z, code] concatenated; D sees x together with the code: concatenated to the
flat image (MLP) or broadcast to K constant feature maps stacked onto the image's
channels (DCGAN). D's score also gets a projection term ⟨V code, φ(x, y)⟩ on its last
features φ (Miyato & Koyama 2018; ``projection=False`` turns it off), which makes D use
the label from the first steps. Both players are told y, so D can reject "a good 3
labelled 7" and G must draw the requested class to win.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .dcgan import down_block, up_block
from .models import mlp


def label_code(y, num_labels):
    """Class ids (B,) -> one-hot (B, num_labels); attribute vectors (B, K) pass through as float."""
    if y.dtype in (torch.int64, torch.int32, torch.uint8):
        return F.one_hot(y.long(), num_labels).float()
    if y.dim() != 2 or y.shape[1] != num_labels:
        raise ValueError(f"labels of shape {tuple(y.shape)}: expected (B,) class ids or (B, {num_labels})")
    return y.float()


class CondMLPGenerator(nn.Module):
    """G(z, y): [z, code] (B, latent_dim + K) -> MLP -> sample (B, *out_shape)."""

    def __init__(self, latent_dim, num_labels, hidden, out_shape, *, act=nn.LeakyReLU, norm=None,
                 out=nn.Tanh):
        super().__init__()
        self.num_labels = num_labels
        body = mlp(latent_dim + num_labels, *hidden, math.prod(out_shape), act=act, norm=norm, out=out)
        self.net = nn.Sequential(body, nn.Unflatten(1, tuple(out_shape)))

    def forward(self, z, y):
        return self.net(torch.cat([z, label_code(y, self.num_labels).to(z.dtype)], dim=1))


class _Projection(nn.Module):
    """score = ψ·φ + b + ⟨V code, φ⟩ for features φ (B, F): the last term is the
    projection discriminator's (Miyato & Koyama 2018) inner product of a learned label
    embedding V code with the features, so D asks "is x real *and* does it fit y?"
    directly, instead of waiting for its first layer to discover the label input."""

    def __init__(self, features, num_labels, *, projection=True):
        super().__init__()
        self.linear = nn.Linear(features, 1)
        # one-hot in: exactly an embedding table; None: a plain linear read-out
        self.embed = nn.Linear(num_labels, features, bias=False) if projection else None

    def forward(self, phi, code):
        score = self.linear(phi).squeeze(1)  # (B,)
        return score if self.embed is None else score + (self.embed(code) * phi).sum(1)


class CondMLPDiscriminator(nn.Module):
    """D(x, y): [flat x, code] (B, prod(in_shape) + K) -> hidden MLP -> features φ (B, F)
    -> raw score (B,) with a projection term (``projection=False``: a plain linear read-out)."""

    def __init__(self, in_shape, num_labels, hidden, *, act=nn.LeakyReLU, norm=None, projection=True):
        super().__init__()
        self.num_labels = num_labels
        self.body = nn.Sequential(mlp(math.prod(in_shape) + num_labels, *hidden, act=act, norm=norm),
                                  act())  # mlp() puts no activation after its last layer
        if norm is not None:
            self.body.append(norm(hidden[-1]))
        self.head = _Projection(hidden[-1], num_labels, projection=projection)

    def forward(self, x, y):
        code = label_code(y, self.num_labels).to(x.dtype)
        phi = self.body(torch.cat([x.flatten(1), code], dim=1))  # (B, F)
        return self.head(phi, code)


def _plan(size):
    """(start side, number of ×2 steps): 28 = 7·2², 32 = 4·2³, 64 = 4·2⁴."""
    start = 7 if size == 28 else 4
    steps = round(math.log2(size / start))
    if start * 2**steps != size:
        raise ValueError(f"size must be 28 or 4·2^k (32, 64, ...), got {size}")
    return start, steps


class CondDCGANGenerator(nn.Module):
    """G(z, y) in the DCGAN style: [z, code] -> (width·2^(n-1), s, s) -> n transposed convs
    (×2 each: ``dcgan.up_block``) -> tanh image (B, channels, size, size)."""

    def __init__(self, latent_dim, num_labels, *, size=28, channels=1, width=32):
        super().__init__()
        self.num_labels = num_labels
        start, steps = _plan(size)
        c = width * 2 ** (steps - 1)
        layers = [nn.Linear(latent_dim + num_labels, c * start * start, bias=False),
                  nn.Unflatten(1, (c, start, start)), nn.BatchNorm2d(c), nn.ReLU()]
        for _ in range(steps - 1):  # (c, s, s) -> (c/2, 2s, 2s)
            layers.append(up_block(c, c // 2))
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, stride=2, padding=1), nn.Tanh()]  # no norm on output
        self.net = nn.Sequential(*layers)

    def forward(self, z, y):
        return self.net(torch.cat([z, label_code(y, self.num_labels).to(z.dtype)], dim=1))


class CondDCGANDiscriminator(nn.Module):
    """D(x, y) in the DCGAN style: the code is broadcast to K constant maps (B, K, H, W)
    stacked onto x's channels; strided convs (×½ each: ``dcgan.down_block``) down to the
    start side, then a score (B,) from the flattened features with a projection term (see
    ``_Projection``). ``norm``: a factory ``c -> module`` used in every block but the first
    (``nn.BatchNorm2d`` for a DCGAN; ``critics.map_layer_norm`` or None for a WGAN-GP critic)."""

    def __init__(self, num_labels, *, size=28, channels=1, width=32, norm=nn.BatchNorm2d, projection=True):
        super().__init__()
        self.num_labels = num_labels
        start, steps = _plan(size)
        layers, c = [], channels + num_labels
        for i in range(steps):  # (c, s, s) -> (width·2^i, s/2, s/2)
            layers.append(down_block(c, width * 2**i, norm=norm if i > 0 else None))
            c = width * 2**i
        self.body = nn.Sequential(*layers, nn.Flatten())  # (B, c·start²)
        self.head = _Projection(c * start * start, num_labels, projection=projection)

    def forward(self, x, y):
        code = label_code(y, self.num_labels).to(x.dtype)  # (B, K)
        maps = code[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])  # (B, K, H, W)
        phi = self.body(torch.cat([x, maps], dim=1))  # (B, F)
        return self.head(phi, code)


def label_rows(classes, per_row, *, device=None):
    """Class ids for a grid with one row per requested class: [c0]*per_row + [c1]*per_row + ..."""
    return torch.as_tensor(classes, device=device).long().repeat_interleave(per_row)
