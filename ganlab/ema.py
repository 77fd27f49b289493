"""An exponential moving average (EMA) of G's weights (Yazıcı et al., ICLR 2019).

After every G step, θ̄ ← β θ̄ + (1 − β) θ. With G held fixed at θ for k steps the copy
reaches θ̄_k = β^k θ̄_0 + (1 − β^k) θ, so it averages away the last ~1/(1 − β) steps'
oscillation around an equilibrium: the samples of the average are tighter than G's own."""

import copy

import torch
from torch import nn


class EMA:
    """A frozen copy ``self.G`` of ``G`` whose weights trail G's: call ``update()`` after
    each G step, or pass the EMA to ``train(..., callbacks=[ema])``.
    ``warmup=True`` uses β_t = min(β, (1 + t)/(10 + t)), so early steps are not averaged
    with the random initial weights."""

    def __init__(self, G, decay=0.999, *, warmup=False):
        if not isinstance(G, nn.Module):
            raise TypeError(f"EMA averages a network, not a {type(G).__name__}: pass G, e.g. EMA(gan.G)")
        if not 0 <= decay < 1:
            raise ValueError(f"decay={decay!r}: give β in [0, 1), e.g. 0.999 (averages ~1/(1 − β) steps)")
        self.source, self.decay, self.warmup, self.updates = G, decay, warmup, 0
        self.G = copy.deepcopy(G).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self):
        t, self.updates = self.updates, self.updates + 1
        beta = min(self.decay, (1 + t) / (10 + t)) if self.warmup else self.decay
        for avg, p in zip(self.G.parameters(), self.source.parameters()):
            avg.lerp_(p, 1 - beta)  # avg + (1 − β)(p − avg) = β avg + (1 − β) p
        for avg, b in zip(self.G.buffers(), self.source.buffers()):
            avg.copy_(b)  # batch-norm statistics etc. are copied, not averaged

    def __call__(self, gan, row):
        self.update()
