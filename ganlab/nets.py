"""Every network of the course: MLPs and DCGAN-style conv nets, plain or conditional.

All G are called ``G(z)`` or ``G(z, y)`` -> sample (``Generator``), all D ``D(x)`` or ``D(x, y)``
-> raw score (B,) (``Discriminator``): D never applies a sigmoid, the loss reads its score
(``ganlab.losses``). ``num_labels=K > 0`` makes a pair conditional: a label y, class ids (B,)
or 0/1 attributes (B, K), becomes one float code (B, K) (``label_code``). G sees [z, code]; D
sees x with the code (K constant maps on a conv D's channels, appended for an MLP) and adds a
projection term ⟨V code, φ(x)⟩ to its score (Miyato & Koyama 2018): "is x real *and* does it fit y?".

The DCGAN rules (Radford et al. 2016), kept by ``conv_generator`` / ``conv_discriminator``:
strided convolutions instead of pooling (D halves, G doubles the side); batch norm in both nets
except G's output and D's input layer; ReLU in G with a tanh output (images in [-1, 1]);
LeakyReLU(0.2) in D; weights ~ N(0, 0.02) (``init_normal``)."""

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn


def mlp(*sizes, act=nn.LeakyReLU, norm=None, out=None):
    """Linear layers through ``sizes``; after each hidden layer ``act()``, then ``norm(width)``.
    ``act``, ``norm`` and ``out`` are factories, so every layer gets its own module."""
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


def label_code(y, num_labels):
    """Class ids (B,) -> one-hot (B, K); attribute vectors (B, K) pass through as float."""
    if y is None:
        raise ValueError(f"this network is conditional (num_labels={num_labels}): call it with labels, "
                         "G(z, y) or D(x, y), y as class ids (B,) or attribute vectors (B, K)")
    if y.dtype in (torch.int64, torch.int32, torch.uint8):
        return F.one_hot(y.long(), num_labels).float()
    if y.dim() != 2 or y.shape[1] != num_labels:
        raise ValueError(f"labels of shape {tuple(y.shape)}: expected (B,) class ids or (B, {num_labels})")
    return y.float()


def label_rows(classes, per_row, *, device=None):
    """Class ids for a grid with one row per class: [c0]*per_row + [c1]*per_row + ..."""
    return torch.as_tensor(classes, device=device).long().repeat_interleave(per_row)


class Generator(nn.Module):
    """G(z[, y]) = body([z, code(y)]): (B, latent_dim) -> sample. ``num_labels=0``: G(z)."""

    def __init__(self, body, *, num_labels=0):
        super().__init__()
        self.body, self.num_labels = body, num_labels

    def forward(self, z, y=None):
        if self.num_labels:
            z = torch.cat([z, label_code(y, self.num_labels).to(z.dtype)], dim=1)
        return self.body(z)


class Discriminator(nn.Module):
    """D(x[, y]): features φ = body(x [with code]) (B, F) -> score ψ·φ + b [+ ⟨V code, φ⟩] (B,).
    ``label_maps``: the code enters as K constant maps on an image's channels (conv bodies), else
    appended to the flat input. ``projection=False`` drops the ⟨V code, φ⟩ term."""

    def __init__(self, body, features, *, num_labels=0, projection=True, label_maps=False):
        super().__init__()
        self.body, self.num_labels, self.label_maps = body, num_labels, label_maps
        self.head = nn.Linear(features, 1)
        # one-hot in: exactly an embedding table, one F-vector per class
        self.embed = nn.Linear(num_labels, features, bias=False) if num_labels and projection else None

    def features(self, x, y=None):
        """φ (B, F): what the head reads. With labels, the code joins x first (see the class doc)."""
        if not self.label_maps:
            x = x.flatten(1)  # (B, prod(shape))
        if self.num_labels:
            code = label_code(y, self.num_labels).to(x.dtype)  # (B, K)
            if self.label_maps:  # K constant maps on the image's channels: (B, C+K, H, W)
                code = code[:, :, None, None].expand(-1, -1, *x.shape[2:])
            x = torch.cat([x, code], dim=1)
        return self.body(x)

    def forward(self, x, y=None):
        phi = self.features(x, y)
        score = self.head(phi).squeeze(1)  # (B,)
        if self.embed is None:
            return score
        return score + (self.embed(label_code(y, self.num_labels).to(phi.dtype)) * phi).sum(1)


def mlp_generator(latent_dim, hidden, out_shape, *, act=nn.LeakyReLU, norm=None, out=nn.Tanh, num_labels=0):
    """z (B, latent_dim) [, y] -> MLP through ``hidden`` widths -> sample (B, *out_shape)."""
    body = mlp(latent_dim + num_labels, *hidden, math.prod(out_shape), act=act, norm=norm, out=out)
    return Generator(nn.Sequential(body, nn.Unflatten(1, tuple(out_shape))), num_labels=num_labels)


def mlp_discriminator(in_shape, hidden, *, act=nn.LeakyReLU, norm=None, num_labels=0, projection=True):
    """sample (B, *in_shape) [, y] -> MLP through ``hidden`` widths -> raw score (B,). For a WGAN-GP
    critic use ``norm=nn.LayerNorm`` or None, never batch norm (see ``map_layer_norm``)."""
    layers = [*mlp(math.prod(in_shape) + num_labels, *hidden, act=act, norm=norm), act()]
    if norm is not None:
        layers.append(norm(hidden[-1]))  # mlp() puts nothing after its last layer
    return Discriminator(nn.Sequential(*layers), hidden[-1], num_labels=num_labels, projection=projection)


def plan(size):
    """(start side, number of ×2 steps) for an image side: 28 = 7·2², 32 = 4·2³, 64 = 4·2⁴."""
    start = 7 if size % 7 == 0 else 4
    steps = round(math.log2(max(size, 1) / start))
    if steps < 1 or start * 2**steps != size:
        raise ValueError(f"image size must be 28 or 4·2^k (8, 16, 32, 64, ...), got {size}")
    return start, steps


def up_block(c_in, c_out, *, kernel=4, stride=2, padding=1):
    """G's block: (B, c_in, H, W) -> (B, c_out, 2H, 2W) by ConvTranspose, BatchNorm, ReLU. Output
    side (H − 1)·stride − 2·padding + kernel: 4, 2, 1 doubles it. No bias: batch norm's β replaces it."""
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


def down_block(c_in, c_out, *, norm=nn.BatchNorm2d):
    """D's block: (B, c_in, H, W) -> (B, c_out, H/2, W/2) by a stride-2 conv, ``norm``, LeakyReLU(0.2).
    ``norm``: a factory ``c -> module``, or None (D's input layer; a critic may use ``map_layer_norm``:
    batch norm would couple the samples a gradient penalty treats one by one)."""
    layers = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=norm is None)]
    if norm is not None:
        layers.append(norm(c_out))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


def map_layer_norm(c):
    """Layer norm over (C, H, W) of each sample's feature maps: ``GroupNorm`` with one group."""
    return nn.GroupNorm(1, c)


def down_path(size, channels, width, *, norm=nn.BatchNorm2d):
    """D's conv body: (channels, size, size) -> (w, size/2, size/2) -> ... -> (w·2^(n−1), s, s),
    flattened; ``norm`` in every block but the first. Returns (body, its output width)."""
    start, steps = plan(size)
    widths = [width * 2**i for i in range(steps)]  # from the image inwards
    layers = [down_block(channels, widths[0], norm=None)]  # no norm on the input layer
    layers += [down_block(a, b, norm=norm) for a, b in zip(widths[:-1], widths[1:])]
    return nn.Sequential(*layers, nn.Flatten()), widths[-1] * start * start


def conv_generator(latent_dim, *, size=64, channels=3, width=64, num_labels=0, attention=None):
    """z (B, latent_dim) [, y] -> images (B, channels, size, size) in [-1, 1]: [z, code] as a 1×1
    image -> (w·2^(n−1), s, s) -> ... -> (w, size/2, size/2) -> image, e.g. size 28: z -> (2w, 7, 7)
    -> (w, 14, 14) -> (channels, 28, 28); size 64: z -> (8w, 4, 4) -> ... -> (w, 32, 32) -> (channels,
    64, 64). ``attention``: a factory ``channels -> module`` after the block that makes the (2w,
    size/4, size/4) maps (``sagan.SelfAttention``)."""
    start, steps = plan(size)
    widths = [width * 2**i for i in reversed(range(steps))]  # (8w, 4w, 2w, w) for 64
    layers = [nn.Unflatten(1, (latent_dim + num_labels, 1, 1)),
              up_block(latent_dim + num_labels, widths[0], kernel=start, stride=1, padding=0)]
    layers += [up_block(a, b) for a, b in zip(widths[:-1], widths[1:])]
    layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh()]  # no BN on the output
    G = init_normal(Generator(nn.Sequential(*layers), num_labels=num_labels))
    if attention is not None:  # after Unflatten and the blocks up to (2w, size/4, size/4); its own init
        G.body.insert(steps, attention(2 * width))
    return G


def conv_discriminator(*, size=64, channels=3, width=64, norm=nn.BatchNorm2d, num_labels=0, projection=True,
                       attention=None):
    """images (B, channels, size, size) [, y] -> raw scores (B,): the generator's mirror image,
    ``down_path`` then a score. ``norm``: None, or ``map_layer_norm``, for a critic. ``attention``:
    a factory ``channels -> module`` after the block that makes (2w, size/4, size/4)."""
    body, features = down_path(size, channels + num_labels, width, norm=norm)
    D = init_normal(Discriminator(body, features, num_labels=num_labels, projection=projection,
                                  label_maps=True))
    if attention is not None:  # after the blocks to (w, size/2) and (2w, size/4); its own init
        D.body.insert(2, attention(2 * width))
    return D


class SigmoidPM1(nn.Module):
    """The seed book's sigmoid output moved to the course's [-1, 1]: 2σ(s) − 1 (= tanh(s/2))."""

    def forward(self, s):
        return 2 * torch.sigmoid(s) - 1


RANGES = {nn.Tanh: (-1.0, 1.0), SigmoidPM1: (-1.0, 1.0), nn.Sigmoid: (0.0, 1.0)}


def output_range(G):
    """(low, high) of what G's last layer can make (tanh, 2σ − 1: [-1, 1]; sigmoid: [0, 1]),
    or None when its last layer does not bound it (a linear output, e.g. 2-D points)."""
    shapes = (nn.Unflatten, nn.Flatten)
    leaves = [m for m in G.modules() if not list(m.children()) and not isinstance(m, shapes)]
    return RANGES.get(type(leaves[-1])) if leaves else None


class Packed(nn.Module):
    """PacGAN's D on packs of m samples: (B, F) -> (B/m, m·F) -> D -> (B/m,) scores, so a collapsed G
    shows as m near-identical points. Rows i·m … i·m + m − 1 form pack i (B a multiple of m).
    ``each(x)`` scores every row alone, packed with copies of itself."""

    def __init__(self, D, m):
        super().__init__()
        self.D, self.m = D, m

    def forward(self, x):
        return self.D(x.reshape(x.shape[0] // self.m, -1))

    def each(self, x):
        return self.D(x.repeat(1, self.m))  # (B, F) -> (B, m·F): [x, x, ..., x]


class Scale(nn.Module):
    """Multiply by a constant: G's last layer (× s) and D's first (× 1/s), so that the nets in
    between see data of unit spread while everything outside them is in the data's units."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def print_shapes(net, x):
    """Run ``x`` through ``net``'s blocks one at a time, printing each block's layers and output shape."""
    for block in net:
        x = block(x)
        parts = [type(m).__name__ for m in (block if isinstance(block, nn.Sequential) else [block])]
        print(f"  {' + '.join(parts):45s} -> {tuple(x.shape)}")
    return x


NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)


def init_normal(module, std=0.02):
    """DCGAN initialisation: weights ~ N(0, std), norm-layer scales ~ N(1, std), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, NORMS) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module


@contextlib.contextmanager
def evaluating(*modules):
    """Eval mode inside (batch norm on its running statistics), each module's mode restored after."""
    modes = [m.training for m in modules]
    try:
        yield [m.eval() for m in modules]
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def count_params(module):
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
