"""ganlab.ema: the average of G's weights against its closed form."""

import torch
from torch import nn

from ganlab.ema import EMA


def test_ema_equals_closed_form_after_k_steps():
    torch.manual_seed(0)
    G = nn.Linear(2, 3)
    theta0 = [p.detach().clone() for p in G.parameters()]
    ema, beta, k = EMA(G, 0.9), 0.9, 5
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)  # G moves to θ₁ = θ₀ + 1 and stays there
    for _ in range(k):
        ema(None, {})  # the train-callback form
    for avg, t0, t1 in zip(ema.G.parameters(), theta0, G.parameters()):
        torch.testing.assert_close(avg, beta**k * t0 + (1 - beta**k) * t1.detach())


def test_ema_warmup_first_decay_is_one_tenth():
    G = nn.Linear(1, 1, bias=False)
    ema = EMA(G, 0.999, warmup=True)
    with torch.no_grad():
        G.weight.fill_(0.0)
        ema.G.weight.fill_(1.0)
    ema.update()  # β₀ = min(0.999, 1/10)
    torch.testing.assert_close(ema.G.weight, torch.tensor([[0.1]]))


def test_ema_copy_is_frozen_and_separate():
    G = nn.Linear(2, 2)
    ema = EMA(G)
    assert all(not p.requires_grad for p in ema.G.parameters())
    assert all(a is not b for a, b in zip(ema.G.parameters(), G.parameters()))


def test_ema_copies_buffers_instead_of_averaging_them():
    G = nn.BatchNorm1d(2)
    ema = EMA(G, 0.9)
    with torch.no_grad():
        G.running_mean.fill_(5.0)
    ema.update()
    torch.testing.assert_close(ema.G.running_mean, torch.full((2,), 5.0))
