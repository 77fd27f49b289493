"""Throughput: real images per second of GAN training (steps × n_critic × batch), on random
data in [-1, 1], for ``ganlab.train`` with a step function and a hand-written PyTorch loop.

Runs are interleaved (A B, B A, ...) so that drifts in machine load hit every loop alike;
a figure is a median over repetitions, a ratio the median of per-repetition (paired) ratios.
"""

import copy
import functools
import itertools
import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import TensorDataset

import ganlab
from ganlab import losses, nets, steps


@dataclass
class Case:
    """One model family as the notebooks train it (conv widths: ganlab's default, the paper's 64)."""

    name: str
    build: object  # () -> (G, D), freshly initialised
    shape: tuple  # one image: (C, H, W)
    latent_dim: int = 100
    n_critic: int = 1  # critic updates (real batches) per step: WGAN-GP's Algorithm 1 when > 1
    gp_weight: float = 0.0
    lr: float = 2e-4
    betas: tuple = (0.5, 0.999)
    batch_size: int = 64

    def models(self):
        torch.manual_seed(0)
        return self.build()

    def step(self):
        """The ganlab step this case trains with: ``steps.bce``, or ``steps.wgan_gp``."""
        if self.gp_weight:
            return functools.partial(steps.wgan_gp, n_critic=self.n_critic, gp_weight=self.gp_weight)
        return steps.bce

    def optimisers(self, G, D):
        return ganlab.adam(G, lr=self.lr, betas=self.betas), ganlab.adam(D, lr=self.lr, betas=self.betas)

    def data(self, n):
        """n random images in [-1, 1]: (n, *shape)."""
        return torch.rand((n, *self.shape), generator=torch.Generator().manual_seed(0)) * 2 - 1


def _leaky():
    return nn.LeakyReLU(0.02)  # the seed book's slope


def _mlp():
    """The seed book's final MNIST pair: 100-d z, 200 hidden, LeakyReLU + LayerNorm."""
    return (nets.mlp_generator(100, (200,), (1, 28, 28), act=_leaky, norm=nn.LayerNorm),
            nets.mlp_discriminator((1, 28, 28), (200,), act=_leaky, norm=nn.LayerNorm))


def _conv(size, channels, norm=nn.BatchNorm2d):
    return lambda: (nets.conv_generator(100, size=size, channels=channels),
                    nets.conv_discriminator(size=size, channels=channels, norm=norm))


MLP = Case("MLP-MNIST", _mlp, (1, 28, 28), lr=1e-4, betas=(0.9, 0.999))
DCGAN28 = Case("DCGAN-28", _conv(28, 1), (1, 28, 28))
DCGAN64 = Case("DCGAN-64", _conv(64, 3), (3, 64, 64))
WGAN_GP28 = Case("WGAN-GP-28", _conv(28, 1, nets.map_layer_norm), (1, 28, 28),
                 n_critic=5, gp_weight=10.0, lr=1e-4, betas=(0.0, 0.9))  # Gulrajani et al., Algorithm 1
CASES = (MLP, DCGAN28, DCGAN64, WGAN_GP28)
# compute so small that its step time is what a loop adds to every step
TINY = Case("tiny 2-D MLPs (2→8→2)", lambda: (nets.mlp_generator(2, (8,), (2,), out=None),
                                              nets.mlp_discriminator((2,), (8,))), (2,), latent_dim=2)


def ganlab_loop(case, G, D, data, *, wrap=None):
    """run(n): n steps of ``ganlab.train`` with the case's step; returns the real images consumed."""
    opt_G, opt_D = case.optimisers(G, D)
    if wrap is not None:  # e.g. torch.compile: the GAN sees the wrapped modules
        G, D = wrap(G), wrap(D)
    gan = ganlab.GAN(G, D, opt_G, opt_D, latent_dim=case.latent_dim, data_seed=0)
    dataset, step = TensorDataset(data), case.step()

    def run(n):
        ganlab.train(gan, dataset, step=step, batch_size=case.batch_size, steps=gan.step + n, progress=False)
        return n * case.n_critic * case.batch_size

    return run


def _batches(data, batch_size):
    """Endless shuffled batches, one permutation per epoch from a private generator (as ganlab)."""
    for epoch in itertools.count():
        perm = torch.randperm(data.shape[0], generator=torch.Generator().manual_seed(epoch))
        for i in range(data.shape[0] // batch_size):
            yield data[perm[i * batch_size : (i + 1) * batch_size]]


def plain_loop(case, G, D, data):
    """run(n): n steps of the loop a PyTorch user writes, on ganlab's pure loss functions (the same
    arithmetic, so the same weights: tests/test_bench.py); what ``train`` and the step function add
    to this is the overhead measured."""
    opt_G, opt_D = case.optimisers(G, D)
    stream, wgan, B = _batches(data, case.batch_size), bool(case.gp_weight), case.batch_size
    d_loss, g_loss = (losses.wgan_d, losses.wgan_g) if wgan else (losses.bce_d, losses.bce_g)
    log = []

    def run(n):
        for step in range(n):
            for _ in range(case.n_critic):  # (1) update D
                real = next(stream)
                fake = G(torch.randn(B, case.latent_dim)).detach()
                loss_D = d_loss(D(real), D(fake))
                if wgan:
                    loss_D = loss_D + case.gp_weight * losses.gradient_penalty(D, real, fake)[0]
                opt_D.zero_grad(set_to_none=True)
                loss_D.backward()
                opt_D.step()
            loss_G = g_loss(D(G(torch.randn(B, case.latent_dim))))  # (2) update G
            opt_G.zero_grad(set_to_none=True)
            loss_G.backward()
            opt_G.step()
            if step % 100 == 0:  # a hand-written loop logs now and then
                log.append((loss_D.item(), loss_G.item()))
        return n * case.n_critic * B

    return run


# --- timing -------------------------------------------------------------------------


def calibrate(run, *, seconds):
    """Warm ``run`` up; return the n that takes about ``seconds``."""
    run(1)  # the first call allocates and picks kernels (and compiles, under torch.compile)
    n = 1
    while True:
        start = time.perf_counter()
        run(n)
        elapsed = time.perf_counter() - start
        if elapsed >= min(0.2, seconds / 4) or n >= 4096:
            return max(1, round(seconds * n / elapsed))
        n *= 4


def interleaved(runs, *, seconds=1.0, reps=5):
    """Time each of ``runs`` ({name: run}) ``reps`` times, alternating the order each repetition.
    Returns {name: [images/s per repetition]}."""
    sizes = {name: calibrate(run, seconds=seconds) for name, run in runs.items()}
    rates, names = {name: [] for name in runs}, list(runs)
    for r in range(reps):
        for name in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            images = runs[name](sizes[name])
            rates[name].append(images / (time.perf_counter() - start))
    return rates


def paired_ratio(a, b):
    """Median over repetitions of a[i] / b[i]: each pair ran back to back."""
    return statistics.median(x / y for x, y in zip(a, b))


def compare(case, *, seconds=1.0, reps=5, n_data=2048):
    """ganlab vs plain on ``case``, both loops from the same initial weights."""
    G, D = case.models()
    data = case.data(n_data)
    runs = {"ganlab": ganlab_loop(case, copy.deepcopy(G), copy.deepcopy(D), data),
            "plain": plain_loop(case, copy.deepcopy(G), copy.deepcopy(D), data)}
    rates = interleaved(runs, seconds=seconds, reps=reps)
    return {"case": case.name, "batch": case.batch_size, "n_critic": case.n_critic,
            **{name: statistics.median(r) for name, r in rates.items()},
            "ratio": paired_ratio(rates["ganlab"], rates["plain"]),
            "ratio_min": min(x / y for x, y in zip(rates["ganlab"], rates["plain"]))}
