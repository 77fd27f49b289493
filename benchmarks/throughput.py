"""Throughput: real images per second of GAN training, ganlab's loop vs hand-written ones.

Four ways to run the same network sizes, with the same batch size and optimiser:

- ``ganlab``: ``ganlab.train`` (which calls ``d_step`` / ``g_step``, logs a History row
  per step, checks its budget, ...), data given as an in-memory TensorDataset;
- ``plain``: the loop a PyTorch user writes by hand: shuffled in-memory batches, D on
  real and ``G(z).detach()``, then G with fresh z; same losses, same gradient penalty;
- ``book``: the seed book's loop as the book runs it (MLP only): its own Sequential
  models with Sigmoid + BCELoss (same layer sizes, same Adam), images read one at a time
  from a pandas DataFrame, ``D.train(image, 1)``, ``D.train(G(z).detach(), 0)``,
  ``G.train(D, z, 1)`` per image;
- ``one image``: the book's update order on ganlab's models with the images in memory,
  which isolates what batching buys from what the book's data handling costs.

"Images/s" counts real images consumed by D updates (steps × n_critic × batch size).
The data are random tensors in [-1, 1] (throughput does not depend on pixel values).
Runs are interleaved in one process (A B, B A, A B, ...) so that machine load drifts
hit both loops alike; each figure is a median over repetitions.
"""

import copy
import itertools
import statistics
import time
import warnings
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset, TensorDataset

import ganlab

from .cases import TINY

# --- the three loops -----------------------------------------------------------------


def ganlab_loop(case, G, D, data, *, wrap=None, data_seed=0):
    """Returns run(n): n ganlab training steps; returns real images consumed."""
    opt_G, opt_D = case.optimisers(G, D)
    if wrap is not None:  # e.g. torch.compile: the GAN sees the wrapped modules
        G, D = wrap(G), wrap(D)
    gan = ganlab.GAN(G, D, opt_G, opt_D, latent_dim=case.latent_dim, loss=case.loss,
                     n_critic=case.n_critic, gp_weight=case.gp_weight, data_seed=data_seed)
    dataset = TensorDataset(data)

    def run(n):
        ganlab.train(gan, dataset, batch_size=case.batch_size, steps=gan.step + n, progress=False)
        return n * case.n_critic * case.batch_size

    return run


def steps_loop(case, G, D, data, *, data_seed=0):
    """Returns run(n): n steps calling ``ganlab.d_step`` / ``ganlab.g_step`` directly,
    without ``train`` (no History, budget checks or progress bar): splits ganlab's cost."""
    opt_G, opt_D = case.optimisers(G, D)
    gan = ganlab.GAN(G, D, opt_G, opt_D, latent_dim=case.latent_dim, loss=case.loss,
                     n_critic=case.n_critic, gp_weight=case.gp_weight)
    stream = _batches(data, case.batch_size, data_seed)

    def run(n):
        for _ in range(n):
            for _ in range(case.n_critic):
                ganlab.d_step(gan, next(stream))
            ganlab.g_step(gan, case.batch_size)
        return n * case.n_critic * case.batch_size

    return run


def _batches(data, batch_size, seed):
    """Endless shuffled in-memory batches, one permutation per epoch, drawn from a
    private generator (as ganlab does), so that torch's global RNG only draws z and ε."""
    for epoch in itertools.count():
        perm = torch.randperm(data.shape[0], generator=torch.Generator().manual_seed(seed + epoch))
        for i in range(data.shape[0] // batch_size):
            yield data[perm[i * batch_size : (i + 1) * batch_size]]


def plain_loop(case, G, D, data, *, log_every=100, data_seed=0):
    """Returns run(n): n steps of a hand-written loop that does ganlab's arithmetic
    (tests/test_bench.py checks both give the same weights)."""
    opt_G, opt_D = case.optimisers(G, D)
    stream, wgan = _batches(data, case.batch_size, data_seed), case.loss is ganlab.WGAN
    B, log = case.batch_size, []
    ones, zeros = torch.ones(B), torch.zeros(B)

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
            if step % log_every == 0:
                log.append((loss_D.item(), loss_G.item()))
        return n * case.n_critic * B

    return run


def book_step(owner, loss):
    """The book's bookkeeping around each update of ``owner`` (anything with ``counter``,
    ``progress`` and ``optimiser``): count the call, keep ``loss.item()`` every 10th call,
    then zero_grad, backward and an optimiser step."""
    owner.counter += 1
    if owner.counter % 10 == 0:
        owner.progress.append(loss.item())
    owner.optimiser.zero_grad()
    loss.backward()
    owner.optimiser.step()


def one_image_loop(case, G, D, data):
    """Returns run(n): the seed book's update order over n images, one image at a time,
    on ganlab's models with the images already in memory (the book's loop minus its
    pandas reads and its Sigmoid + BCELoss: a lower bound on the book's cost per image).

    Per image: D on the image (target 1), D on G(z).detach() (target 0), G through D
    (target 1); each a forward pass, a loss, zero_grad, backward and an Adam step, with
    ``loss.item()`` kept every 10th call as the book's progress lists do.
    """
    opt_G, opt_D = case.optimisers(G, D)
    one, zero = torch.ones(1), torch.zeros(1)
    book_D = SimpleNamespace(optimiser=opt_D, counter=0, progress=[])
    book_G = SimpleNamespace(optimiser=opt_G, counter=0, progress=[])

    def run(n):
        for i in range(n):
            image = data[i % data.shape[0]].unsqueeze(0)  # (1, 1, 28, 28): a batch of one
            fake = G(torch.randn(1, case.latent_dim)).detach()
            book_step(book_D, F.binary_cross_entropy_with_logits(D(image), one))
            book_step(book_D, F.binary_cross_entropy_with_logits(D(fake), zero))
            book_step(book_G, F.binary_cross_entropy_with_logits(D(G(torch.randn(1, case.latent_dim))), one))
        return n

    return run


# --- the seed book's loop, as the book runs it ---------------------------------------


def book_frame(data, seed=0):
    """The book's data as it holds them: a pandas DataFrame shaped like ``mnist_train.csv``
    read with ``header=None`` (column 0 the label, columns 1..784 pixel values 0..255 as
    int64). ``data``: (n, 1, 28, 28) in [-1, 1]."""
    import pandas as pd  # only the book's loop needs pandas

    pixels = ((data.flatten(1) + 1) * 127.5).round().to(torch.int64).numpy()  # (n, 784)
    labels = torch.randint(10, (data.shape[0], 1), generator=torch.Generator().manual_seed(seed)).numpy()
    return pd.DataFrame(np.concatenate([labels, pixels], axis=1))


class BookMnistDataset(Dataset):
    """The book's ``MnistDataset``: each item is read from the DataFrame with ``iloc``,
    its one-hot target and its float pixels built on every call."""

    def __init__(self, frame):
        self.data_df = frame
        # pandas' copy-on-write makes ``.values`` of a row read-only, so torch warns once
        # per process about the book's FloatTensor(...values); here that is noise
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
    """The book's Discriminator / Generator classes: a ``model`` Sequential, its own Adam,
    a loss, a counter and a progress list filled every 10th call (the book's 1-in-10,000
    ``print`` of the counter is left out: it prints nothing in a short run)."""

    def __init__(self, model, loss_function):
        super().__init__()
        self.model, self.loss_function = model, loss_function
        self.optimiser = torch.optim.Adam(self.parameters(), lr=1e-4)
        self.counter, self.progress = 0, []

    def forward(self, inputs):
        return self.model(inputs)

    def train_on(self, inputs, targets):  # the book's Discriminator.train
        book_step(self, self.loss_function(self.forward(inputs), targets))

    def train_through(self, D, inputs, targets):  # the book's Generator.train
        book_step(self, D.loss_function(D.forward(self.forward(inputs)), targets))


def book_models(seed=0):
    """The book's final MNIST pair on 1-D tensors: D 784→200 (LeakyReLU 0.02, LayerNorm)
    →1→Sigmoid with BCELoss; G 100→200 (same)→784→Sigmoid; each with Adam(1e-4)."""
    torch.manual_seed(seed)
    D = BookModel(nn.Sequential(nn.Linear(784, 200), nn.LeakyReLU(0.02), nn.LayerNorm(200),
                                nn.Linear(200, 1), nn.Sigmoid()), nn.BCELoss())
    G = BookModel(nn.Sequential(nn.Linear(100, 200), nn.LeakyReLU(0.02), nn.LayerNorm(200),
                                nn.Linear(200, 784), nn.Sigmoid()), nn.BCELoss())
    return G, D


def book_loop(G, D, dataset):
    """Returns run(n): the seed book's training loop over the next n items of ``dataset``
    (a ``BookMnistDataset``): per image, D.train(image, [1.0]), D.train(G(seed).detach(),
    [0.0]), G.train(D, seed, [1.0]), with 100-d normal seeds and the target tensors built
    in each call, as the book writes them."""
    position = [0]

    def run(n):
        for _ in range(n):
            _label, image, _target = dataset[position[0] % len(dataset)]
            position[0] += 1
            D.train_on(image, torch.FloatTensor([1.0]))
            D.train_on(G.forward(torch.randn(100)).detach(), torch.FloatTensor([0.0]))
            G.train_through(D, torch.randn(100), torch.FloatTensor([1.0]))
        return n

    return run


# --- timing ---------------------------------------------------------------------------


def calibrate(run, *, seconds):
    """Warm up ``run`` and return the n that takes about ``seconds`` per repetition."""
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
    """Time each run in ``runs`` ({name: run}) ``reps`` times, interleaved, alternating
    the order each repetition. Returns {name: [images/s per repetition]}."""
    sizes = {name: calibrate(run, seconds=seconds) for name, run in runs.items()}
    rates = {name: [] for name in runs}
    names = list(runs)
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
    """ganlab vs plain (vs book) on ``case``; identical initial weights for every loop."""
    G, D = case.models()
    data = case.data(n_data)
    runs = {"ganlab": ganlab_loop(case, copy.deepcopy(G), copy.deepcopy(D), data),
            "plain": plain_loop(case, copy.deepcopy(G), copy.deepcopy(D), data)}
    if book:  # the book's own models and DataFrame, and ganlab's models one image at a time
        runs["book"] = book_loop(*book_models(), BookMnistDataset(book_frame(data)))
        runs["one image"] = one_image_loop(case, copy.deepcopy(G), copy.deepcopy(D), data)
    rates = interleaved(runs, seconds=seconds, reps=reps)
    row = {"case": case.name, "batch": case.batch_size, "n_critic": case.n_critic, "reps": reps,
           "ganlab": statistics.median(rates["ganlab"]), "plain": statistics.median(rates["plain"]),
           "ratio": paired_ratio(rates["ganlab"], rates["plain"]),
           "ratio_min": min(x / y for x, y in zip(rates["ganlab"], rates["plain"]))}
    if book:
        row.update(book=statistics.median(rates["book"]),
                   book_ratio=paired_ratio(rates["ganlab"], rates["book"]),
                   one_image=statistics.median(rates["one image"]),
                   one_image_ratio=paired_ratio(rates["ganlab"], rates["one image"]))
    return row


def overhead(*, seconds=1.0, reps=5, n_data=2048):
    """Microseconds per step of the three ways to run models so small that their compute is
    negligible: what ganlab's step functions and ``train`` add per step, at most."""
    G, D = TINY.models()
    data = TINY.data(n_data)
    runs = {name: make(TINY, copy.deepcopy(G), copy.deepcopy(D), data) for name, make in
            (("plain", plain_loop), ("d_step/g_step", steps_loop), ("ganlab.train", ganlab_loop))}
    rates = interleaved(runs, seconds=seconds, reps=reps)
    return {name: 1e6 * TINY.batch_size / statistics.median(r) for name, r in rates.items()}
