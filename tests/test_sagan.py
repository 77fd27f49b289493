"""SAGAN pieces against oracles: power iteration vs the exact matrix 2-norm and PyTorch's
spectral_norm, attention vs a naive double loop, the identity at γ = 0, and net shapes."""

import pytest
import torch
from torch import nn

from ganlab import nets, sagan


def power_iteration(W, n_iter, *, seed=0):
    """σ(W) ≈ uᵀWv after ``n_iter`` steps v ← Wᵀu/‖·‖, u ← Wv/‖·‖ (what notebook 07 writes)."""
    u = torch.randn(W.shape[0], generator=torch.Generator().manual_seed(seed), dtype=W.dtype)
    u = u / u.norm()
    for _ in range(n_iter):
        v = W.T @ u
        v = v / v.norm()
        u = W @ v
        u = u / u.norm()
    return u @ W @ v


def test_power_iteration_converges_to_matrix_norm():
    W = torch.randn(32, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    exact = torch.linalg.matrix_norm(W, ord=2)
    assert power_iteration(W, 1) <= exact + 1e-9  # uᵀWv never overshoots σ₁
    torch.testing.assert_close(power_iteration(W, 500), exact, rtol=1e-6, atol=0)


@pytest.mark.parametrize("make", [lambda: nn.Conv2d(3, 8, 4, 2, 1), lambda: nn.ConvTranspose2d(8, 3, 4, 2, 1),
                                  lambda: nn.Linear(20, 5)], ids=["Conv2d", "ConvTranspose2d", "Linear"])
def test_spectral_norm_all_makes_each_weight_matrix_norm_one(make):
    torch.manual_seed(0)  # before the layer is built: its weights and u are then fixed
    layer = make()
    sigma = torch.linalg.matrix_norm(sagan.weight_matrix(layer).detach(), ord=2)
    net = sagan.spectral_norm_all(nn.Sequential(layer))
    x = torch.randn(2, 20) if isinstance(layer, nn.Linear) else torch.randn(2, layer.in_channels, 8, 8)
    for _ in range(100):  # train-mode passes run power iteration: 15 at attach + one per pass
        net(x)
    assert sagan.layer_norms(net) == pytest.approx([1.0], abs=1e-3)
    w_orig = layer.parametrizations.weight.original
    torch.testing.assert_close(layer.weight * sigma, w_orig, rtol=1e-3, atol=1e-5)  # W / σ(W) exactly


def test_sagan_discriminator_layer_norms_stay_near_one_while_training():
    torch.manual_seed(0)
    D = sagan.sagan_discriminator(size=28, width=8)
    opt = torch.optim.Adam(D.parameters(), lr=1e-3)
    for _ in range(20):  # one power-iteration step per pass keeps up with steps this size
        loss = -D(torch.randn(8, 1, 28, 28)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    norms = sagan.layer_norms(D)
    assert len(norms) == 6  # 2 convs, attention's q, k, v, the head
    assert norms == pytest.approx([1.0] * 6, abs=0.05)


def naive_attention(block, x):
    """o[b, :, i] = Σ_j softmax_j(q_i · k_j) v_j, one query position at a time."""
    q, k, v = (conv(x).flatten(2) for conv in (block.query, block.key, block.value))  # (B, ·, N)
    out = torch.empty_like(v)
    for b in range(x.shape[0]):
        for i in range(v.shape[2]):
            scores = torch.stack([q[b, :, i] @ k[b, :, j] for j in range(v.shape[2])])
            out[b, :, i] = (torch.softmax(scores, 0)[None, :] * v[b]).sum(1)
    return x + block.gamma * out.view_as(x)


def test_self_attention_matches_a_naive_loop():
    torch.manual_seed(0)
    block = sagan.SelfAttention(16)
    with torch.no_grad():
        block.gamma.fill_(0.7)
    x = torch.randn(2, 16, 3, 4)
    torch.testing.assert_close(block(x), naive_attention(block, x))
    beta = block.attention(x)
    assert beta.shape == (2, 12, 12)
    torch.testing.assert_close(beta.sum(-1), torch.ones(2, 12))


def test_self_attention_starts_as_the_identity():
    block = sagan.SelfAttention(8)
    x = torch.randn(2, 8, 5, 5)
    assert block.gamma.item() == 0.0
    assert torch.equal(block(x), x)


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3)])
def test_sagan_nets_shapes(size, channels):
    torch.manual_seed(0)
    G = sagan.sagan_generator(100, size=size, channels=channels, width=8)
    D = sagan.sagan_discriminator(size=size, channels=channels, width=8)
    images = G(torch.randn(4, 100))
    assert images.shape == (4, channels, size, size) and images.abs().max() <= 1
    assert D(images).shape == (4,)
    assert isinstance(G, nets.Generator) and isinstance(D, nets.Discriminator)
    side = [m for m in G.body if isinstance(m, sagan.SelfAttention)]
    assert len(side) == 1  # one attention block in G, one in D


def test_sagan_without_attention_or_sn_is_the_dcgan_pair():
    torch.manual_seed(0)
    D_sagan = sagan.sagan_discriminator(size=28, width=8, attention=False, sn=False)
    G_sagan = sagan.sagan_generator(100, size=28, width=8, attention=False)
    torch.manual_seed(0)
    D_dc = nets.conv_discriminator(size=28, channels=1, width=8)
    G_dc = nets.conv_generator(100, size=28, channels=1, width=8)
    for a, b in [(D_sagan, D_dc), (G_sagan, G_dc)]:
        assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
