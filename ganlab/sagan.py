"""SAGAN (Zhang, Goodfellow, Metaxas & Odena 2019): spectral norm, self-attention, and the nets.

**Spectral norm** (Miyato et al. 2018): W / σ(W), σ the largest singular value, makes each
linear layer 1-Lipschitz. σ comes from power iteration, v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖,
σ ≈ uᵀWv, one round per forward pass with u kept. A conv kernel (out, in, kh, kw) is
normalised as the matrix (out, in·kh·kw), as PyTorch does; that bounds the conv itself only
up to a factor (≤ 2 for 4×4, stride 2). Notebook 07 checks this against PyTorch's version.

**Self-attention** (``SelfAttention``) on the side/4 map with 2·width channels of ``ganlab.nets``'s
DCGAN pair (7×7 at 28 px, 8×8 at 32 px), as the paper's 32×32 map at 128 px; at side/2 the N × N
matrix is 16× bigger. Shapes: (B, C, H, W); N = H·W."""

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from . import nets

LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


def spectral_norm_all(module):
    """PyTorch's spectral norm on every Linear / (transposed) conv of ``module`` (after init)."""
    for m in list(module.modules()):
        if isinstance(m, LAYERS):
            spectral_norm(m)
    return module


def weight_matrix(layer):
    """A layer's weight as the matrix spectral norm acts on: (out, in·kh·kw). Conv2d stores
    (out, in, kh, kw); ConvTranspose2d (in, out, kh, kw), so its output dimension is moved first,
    as PyTorch's ``spectral_norm`` does (dim=1)."""
    w = layer.weight
    if isinstance(layer, nn.ConvTranspose2d):
        w = w.transpose(0, 1)
    return w.flatten(1)


def layer_norms(module):
    """σ(W) of every weight layer in ``module``, exactly (an SVD), in order: a list of floats."""
    with torch.no_grad():
        return [torch.linalg.matrix_norm(weight_matrix(m), ord=2).item()
                for m in module.modules() if isinstance(m, LAYERS)]


class SelfAttention(nn.Module):
    """x + γ·o with o_i = Σ_j β_ij v_j, β_ij = softmax_j(q_iᵀ k_j), over all N = H·W positions.
    q, k: 1×1 convs to C/``reduction`` channels (they only score pairs); v: a 1×1 conv to C.
    γ is a learned scalar that starts at 0, so the block starts as the identity."""

    def __init__(self, channels, *, reduction=8):
        super().__init__()
        inner = max(1, channels // reduction)
        self.query = nn.Conv2d(channels, inner, 1)
        self.key = nn.Conv2d(channels, inner, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(()))

    def attention(self, x):
        """β (B, N, N): row i is where position i looks, a softmax over the N positions j."""
        q = self.query(x).flatten(2)  # (B, C', N)
        k = self.key(x).flatten(2)  # (B, C', N)
        return torch.softmax(q.transpose(1, 2) @ k, dim=-1)  # (B, N, N), rows sum to 1

    def forward(self, x):
        v = self.value(x).flatten(2)  # (B, C, N)
        o = v @ self.attention(x).transpose(1, 2)  # (B, C, N): o_i = Σ_j β_ij v_j
        return x + self.gamma * o.view_as(x)


def sagan_generator(latent_dim, *, size=28, channels=1, width=16, attention=True):
    """``nets.conv_generator`` with a ``SelfAttention`` on its (2·width, size/4, size/4) map. G keeps
    batch norm, as in the paper; ``spectral_norm_all(G)`` adds the paper's spectral norm in G."""
    return nets.conv_generator(latent_dim, size=size, channels=channels, width=width,
                               attention=SelfAttention if attention else None)


def sagan_discriminator(*, size=28, channels=1, width=16, attention=True, sn=True):
    """``nets.conv_discriminator`` with spectral norm instead of batch norm (``sn=False`` keeps it)
    and a ``SelfAttention`` after its second block, on (2·width, size/4, size/4): D(x) -> score (B,)."""
    D = nets.conv_discriminator(size=size, channels=channels, width=width,
                                norm=None if sn else nn.BatchNorm2d,
                                attention=SelfAttention if attention else None)
    return spectral_norm_all(D) if sn else D
