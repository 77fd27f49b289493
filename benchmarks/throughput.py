"""Throughput: real images per second of GAN training (steps × n_critic × batch), on random
data in [-1, 1], for ganlab's loop, a hand-written PyTorch loop and the seed book's loop.

Runs are interleaved (A B, B A, ...) so that drifts in machine load hit every loop alike;
a figure is a median over repetitions, a ratio the median of per-repetition (paired) ratios.
"""

import copy
import itertools
import statistics
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset, TensorDataset

import ganlab
from ganlab import nets


@dataclass
class Case:
    """One model family as the notebooks train it (conv widths: ganlab's default, the paper's 64)."""

    name: str
    build: object  # () -> (G, D), freshly initialised
    shape: tuple  # one image: (C, H, W)
    latent_dim: int = 100
    loss: ganlab.losses.Loss = ganlab.BCE
    n_critic: int = 1
    gp_weight: float = 0.0
    lr: float = 2e-4
    betas: tuple = (0.5, 0.999)
    batch_size: int = 64

    def models(self):
        torch.manual_seed(0)
        return self.build()

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
WGAN_GP28 = Case("WGAN-GP-28", _conv(28, 1, nets.map_layer_norm), (1, 28, 28), loss=ganlab.WGAN,
                 n_critic=5, gp_weight=10.0, lr=1e-4, betas=(0.0, 0.9))  # Gulrajani et al., Algorithm 1
CASES = (MLP, DCGAN28, DCGAN64, WGAN_GP28)
# compute so small that its step time is what a loop adds to every step
TINY = Case("tiny 2-D MLPs (2→8→2)", lambda: (nets.mlp_generator(2, (8,), (2,), out=None),
                                              nets.mlp_discriminator((2,), (8,))), (2,), latent_dim=2)


def ganlab_loop(case, G, D, data, *, wrap=None):
    """run(n): n steps of ``ganlab.train``; returns the real images consumed."""
    opt_G, opt_D = case.optimisers(G, D)
    if wrap is not None:  # e.g. torch.compile: the GAN sees the wrapped modules
        G, D = wrap(G), wrap(D)
    gan = ganlab.GAN(G, D, opt_G, opt_D, latent_dim=case.latent_dim, loss=case.loss,
                     n_critic=case.n_critic, gp_weight=case.gp_weight, data_seed=0)
    dataset = TensorDataset(data)

    def run(n):
        ganlab.train(gan, dataset, batch_size=case.batch_size, steps=gan.step + n, progress=False)
        return n * case.n_critic * case.batch_size

    return run


def _batches(data, batch_size):
    """Endless shuffled batches, one permutation per epoch from a private generator (as ganlab)."""
    for epoch in itertools.count():
        perm = torch.randperm(data.shape[0], generator=torch.Generator().manual_seed(epoch))
        for i in range(data.shape[0] // batch_size):
            yield data[perm[i * batch_size : (i + 1) * batch_size]]


def plain_loop(case, G, D, data):
    """run(n): n steps of the loop a PyTorch user writes, with ganlab's arithmetic (same weights:
    tests/test_bench.py)."""
    opt_G, opt_D = case.optimisers(G, D)
    stream, wgan, B = _batches(data, case.batch_size), case.loss is ganlab.WGAN, case.batch_size
    ones, zeros, log = torch.ones(B), torch.zeros(B), []

    def run(n):
        for step in range(n):
            for _ in range(case.n_critic):  # (1) update D
                real = next(stream)
                fake = G(torch.randn(B, case.latent_dim)).detach()
                real_out, fake_out = D(real), D(fake)
                if wgan:
                    loss_D = fake_out.mean() - real_out.mean()
                else:
                    loss_D = (F.binary_cross_entropy_with_logits(real_out, ones)
                              + F.binary_cross_entropy_with_logits(fake_out, zeros)) / 2
                if case.gp_weight:
                    eps = torch.rand(B, 1, 1, 1)
                    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
                    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
                    loss_D = loss_D + case.gp_weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
                opt_D.zero_grad(set_to_none=True)
                loss_D.backward()
                opt_D.step()
            fake_out = D(G(torch.randn(B, case.latent_dim)))  # (2) update G
            loss_G = -fake_out.mean() if wgan else F.binary_cross_entropy_with_logits(fake_out, ones)
            opt_G.zero_grad(set_to_none=True)
            loss_G.backward()
            opt_G.step()
            if step % 100 == 0:  # a hand-written loop logs now and then
                log.append((loss_D.item(), loss_G.item()))
        return n * case.n_critic * B

    return run


# --- the seed book's loop, as the book runs it ---------------------------------------


def book_frame(data):
    """The book's data: a DataFrame shaped like ``mnist_train.csv`` read with ``header=None``
    (column 0 the label, 1..784 pixels 0..255 as int64). ``data``: (n, 1, 28, 28) in [-1, 1]."""
    import pandas as pd  # only the book's loop needs pandas

    pixels = ((data.flatten(1) + 1) * 127.5).round().to(torch.int64).numpy()  # (n, 784)
    labels = torch.randint(10, (data.shape[0], 1), generator=torch.Generator().manual_seed(0)).numpy()
    return pd.DataFrame(np.concatenate([labels, pixels], axis=1))


class BookMnistDataset(Dataset):
    """The book's ``MnistDataset``: each item read with ``iloc``, target and pixels built per call."""

    def __init__(self, frame):
        self.data_df = frame
        # a row's ``.values`` is read-only under pandas' copy-on-write: torch's warning is noise here
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")

    def __len__(self):
        return len(self.data_df)

    def __getitem__(self, index):
        label = self.data_df.iloc[index, 0]
        target = torch.zeros(10)
        target[label] = 1.0
        image = torch.FloatTensor(self.data_df.iloc[index, 1:].values) / 255.0  # (784,)
        return label, image, target


class BookModel(nn.Module):
    """The book's Discriminator / Generator: a Sequential, its own Adam(1e-4), a loss, a counter,
    and a progress list that keeps ``loss.item()`` every 10th update."""

    def __init__(self, model, loss_function):
        super().__init__()
        self.model, self.loss_function = model, loss_function
        self.optimiser = torch.optim.Adam(self.parameters(), lr=1e-4)
        self.counter, self.progress = 0, []

    def forward(self, inputs):
        return self.model(inputs)

    def _update(self, loss):
        self.counter += 1
        if self.counter % 10 == 0:
            self.progress.append(loss.item())
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()

    def train_on(self, inputs, targets):  # the book's Discriminator.train
        self._update(self.loss_function(self.forward(inputs), targets))

    def train_through(self, D, inputs, targets):  # the book's Generator.train
        self._update(D.loss_function(D.forward(self.forward(inputs)), targets))


def book_models():
    """G 100→200→784, D 784→200→1: LeakyReLU(0.02) + LayerNorm(200), a Sigmoid out, BCELoss."""
    def mlp(n_in, n_out):
        return nn.Sequential(nn.Linear(n_in, 200), nn.LeakyReLU(0.02), nn.LayerNorm(200),
                             nn.Linear(200, n_out), nn.Sigmoid())
    torch.manual_seed(0)
    return BookModel(mlp(100, 784), nn.BCELoss()), BookModel(mlp(784, 1), nn.BCELoss())


def book_loop(G, D, dataset):
    """run(n): the book's loop over the next n items: per image D.train(image, [1.0]),
    D.train(G(seed).detach(), [0.0]), G.train(D, seed, [1.0])."""
    index = itertools.cycle(range(len(dataset)))

    def run(n):
        for _ in range(n):
            _label, image, _target = dataset[next(index)]
            D.train_on(image, torch.FloatTensor([1.0]))
            D.train_on(G.forward(torch.randn(100)).detach(), torch.FloatTensor([0.0]))
            G.train_through(D, torch.randn(100), torch.FloatTensor([1.0]))
        return n

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


def compare(case, *, seconds=1.0, reps=5, n_data=2048, book=False):
    """ganlab vs plain (vs the book) on ``case``, every loop from the same initial weights."""
    G, D = case.models()
    data = case.data(n_data)
    runs = {"ganlab": ganlab_loop(case, copy.deepcopy(G), copy.deepcopy(D), data),
            "plain": plain_loop(case, copy.deepcopy(G), copy.deepcopy(D), data)}
    if book:
        runs["book"] = book_loop(*book_models(), BookMnistDataset(book_frame(data)))
    rates = interleaved(runs, seconds=seconds, reps=reps)
    row = {"case": case.name, "batch": case.batch_size, "n_critic": case.n_critic,
           **{name: statistics.median(r) for name, r in rates.items()},
           "ratio": paired_ratio(rates["ganlab"], rates["plain"]),
           "ratio_min": min(x / y for x, y in zip(rates["ganlab"], rates["plain"]))}
    if book:
        row["book_ratio"] = paired_ratio(rates["ganlab"], rates["book"])
    return row
