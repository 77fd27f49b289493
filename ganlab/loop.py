"""The training loop: ``train(gan, data, step=...)``. The step is the game (``ganlab.steps``, or
one a notebook writes); the loop is the bookkeeping, the same for every step: budgets are
*targets* (``steps=2000`` trains until ``gan.step == 2000``, so re-running a cell after an
interruption or ``load_checkpoint`` continues), one History row a step, snapshots, checkpoints,
Ctrl-C that keeps everything, a check of the first batch against G, and the NaN guard."""

import contextlib
import itertools
import math
import os
import signal
import threading
import time
import warnings

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, TensorDataset
from tqdm.auto import tqdm

from . import distributed
from .checkpoint import save_checkpoint
from .gan import GAN
from .guard import Guard
from .nets import output_range
from .paths import at_least, file_to_write
from .steps import bce


def _split(batch):
    """A batch as (x, labels-or-None), from a tensor, (x,) or (x, y)."""
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def _in_memory(gan, tensors, batch_size):
    """Endless shuffled batches; the shuffle of epoch e depends only on (data_seed, e), so a
    resumed run sees exactly the batches an uninterrupted one would. Counts gan.batches_seen.
    On W processes batch b is cut W ways: process r takes its r-th slice of batch_size."""
    tensors = [t.to(gan.device) for t in tensors]
    world, rank = distributed.world(), distributed.rank()
    per_epoch = tensors[0].shape[0] // (batch_size * world)
    perm, perm_epoch = None, -1
    while True:
        epoch, b = divmod(gan.batches_seen, per_epoch)
        if epoch != perm_epoch:
            g = torch.Generator().manual_seed(gan.data_seed + epoch)
            perm, perm_epoch = torch.randperm(tensors[0].shape[0], generator=g, device="cpu"), epoch
        start = (b * world + rank) * batch_size
        idx = perm[start : start + batch_size].to(gan.device)
        gan.batches_seen += 1
        yield _split([t[idx] for t in tensors])


def _from_loader(gan, loader):
    for epoch in itertools.count():
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)  # a DistributedSampler reshuffles per epoch
        for batch in loader:
            x, y = _split(batch)
            gan.batches_seen += 1
            yield x.to(gan.device, non_blocking=True), (None if y is None else y.to(gan.device))


def batches(gan, data, batch_size):
    """Endless (real, labels) batches from a tensor, a TensorDataset, a Dataset, a DataLoader,
    or a function ``n -> batch`` (fresh samples each call); and the batches per epoch (or None).
    Each batch drawn adds one to ``gan.batches_seen``."""
    at_least(batch_size, "batch_size", 1, "a whole number of samples per batch, e.g. 64", whole=True)
    if isinstance(data, torch.Tensor):
        data = TensorDataset(data)
    world = distributed.world()
    if isinstance(data, Dataset) and hasattr(data, "__len__") and len(data) < batch_size * world:
        fix = (f"Use batch_size={len(data)} or less, or more data" if len(data) else "The dataset is empty: "
               "check how it was loaded (a filter that kept nothing? a wrong path?)")
        raise ValueError(f"batch_size={batch_size}, but the data hold only {len(data)} samples: not one full "
                         f"batch. {fix}")
    if isinstance(data, TensorDataset):
        return _in_memory(gan, data.tensors, batch_size), len(data) // batch_size
    if isinstance(data, Dataset):
        sampler = DistributedSampler(data, seed=gan.data_seed, drop_last=True) if world > 1 else None
        data = DataLoader(data, batch_size, shuffle=sampler is None, sampler=sampler, drop_last=True)
    elif isinstance(data, DataLoader) and world > 1:
        raise ValueError("under torchrun give train() the Dataset, not a DataLoader: it cuts batches itself")
    if isinstance(data, DataLoader):
        if len(data) == 0:  # else the endless stream would wait forever for a first batch
            raise ValueError(f"the DataLoader yields no batches ({len(data.dataset)} samples, its "
                             f"batch_size={data.batch_size}, drop_last={data.drop_last}): "
                             "give it more data, or a batch_size no larger than the data")
        return _from_loader(gan, data), len(data)
    if callable(data):  # fresh samples on every call: an endless iterator (None never comes)
        return _from_loader(gan, iter(lambda: data(batch_size), None)), None
    raise TypeError(f"train() cannot draw batches from {type(data).__name__}: give a tensor, a Dataset, "
                    "a DataLoader or a function n -> batch")


class _StopFlag:
    """Turns Ctrl-C (Jupyter's "interrupt kernel") into "stop after this step",
    so a run never stops half-way through an update. A second Ctrl-C stops at once."""

    def __init__(self):
        self.set = False

    def __call__(self, signum, frame):
        if self.set:
            raise KeyboardInterrupt
        self.set = True

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield self  # signals only reach the main thread; rely on KeyboardInterrupt
            return
        previous = signal.signal(signal.SIGINT, self)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


def _budget(name, value):
    hint = "a number ≥ 0 (a target: steps=2000 trains until gan.step is 2000), or leave it out"
    return value if value is None else at_least(value, name, 0, hint)


def train(gan, data, *, step=bce, batch_size=64, steps=None, epochs=None, minutes=None,
          snapshot_every=None, checkpoint=None, checkpoint_every=None, callbacks=(), progress=True,
          checks=True):
    """Call ``step(gan, batches)`` until ``gan.step`` reaches ``steps``, or ``gan.batches_seen``
    reaches ``epochs`` passes over ``data``, or ``minutes`` of wall clock have passed.
    ``checkpoint`` (a path) is written every ``checkpoint_every`` steps, at the end, and when
    Ctrl-C stops the run. ``callbacks`` are called as ``fn(gan, row)`` after every step. An inf or
    NaN stops the run with ``guard.NonFiniteLoss``, once the last finite state is restored (and
    saved). ``checks=False`` turns off the first-batch checks and the NaN guard (to time them)."""
    if not isinstance(gan, GAN):
        raise TypeError(f"train() trains a ganlab.GAN, not a {type(gan).__name__}: build one, "
                        "gan = ganlab.GAN(G, D, opt_G, opt_D, latent_dim=...), and pass it")
    if not callable(step):
        raise TypeError(f"step={step!r} is not a function: pass e.g. step=ganlab.steps.bce, or your own "
                        "def my_step(gan, batches): ... returning the numbers to log")
    if checkpoint:
        file_to_write(checkpoint)  # a bad path fails now, not after the whole run
    stream, per_epoch = batches(gan, data, batch_size)
    steps, epochs, minutes = _budget("steps", steps), _budget("epochs", epochs), _budget("minutes", minutes)
    if epochs is not None and per_epoch is None:
        raise ValueError("epochs= needs a dataset; for a sampling function use steps=")
    last_batch = None if epochs is None else math.ceil(epochs * per_epoch)
    if steps is None and epochs is None and minutes is None:
        raise ValueError("say how long to train: steps=, epochs= or minutes=")
    due = lambda: ((steps is None or gan.step < steps)
                   and (last_batch is None or gan.batches_seen < last_batch))
    if not due():
        return gan.history  # nothing to do: draw nothing, so no random number moves
    distributed.wrap(gan)  # under torchrun: the players in DistributedDataParallel
    guard, hooks = Guard(gan) if checks else None, []
    if checks:
        stream = _checked(gan, stream, hooks)
    deadline = time.monotonic() + 60 * minutes if minutes is not None else math.inf
    start, seconds0 = time.perf_counter(), gan.history.seconds
    for player in gan.players():
        player.train()
    quiet = not progress or os.environ.get("TQDM_DISABLE") or distributed.rank()  # rank 0 alone shows one
    bar = tqdm(total=steps, initial=gan.step, disable=bool(quiet), desc="training", unit="step")
    name, stop = getattr(step, "__name__", ""), _StopFlag()
    try:
        with stop.installed():
            late = time.monotonic() >= deadline
            while due() and not late:
                stats = step(gan, stream)
                gan.step += 1
                row = gan.history.log(gan.step, stats, seconds=seconds0 + time.perf_counter() - start)
                # under torchrun every process decides alike (tiny all-reduces): a NaN anywhere, the clock
                bad, late = distributed.agree(not all(map(math.isfinite, row.values())),
                                              time.monotonic() >= deadline)
                if guard is not None:
                    guard.check(gan, row, bad=bad, step_name=name, checkpoint=checkpoint)
                _after_step(gan, row, bar, snapshot_every=snapshot_every, callbacks=callbacks)
                if checkpoint and checkpoint_every and gan.step % checkpoint_every == 0:
                    save_checkpoint(gan, checkpoint)
                if distributed.agree(stop.set)[0]:  # Ctrl-C on any process
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        gan.history.interrupted = True
        if not distributed.rank():
            print(f"Stopped at step {gan.step}: the models keep everything learned so far."
                  + (f" Saved to {checkpoint}." if checkpoint else ""))
    finally:
        for hook in hooks:
            hook.remove()
        bar.close()
    if checkpoint:
        save_checkpoint(gan, checkpoint)
    return gan.history


def _checked(gan, stream, hooks):
    """The stream, with the first batch checked against G before a step uses it."""
    real, labels = next(stream)
    hooks.append(_check_first_batch(gan, real, labels))
    yield real, labels
    yield from stream


def _check_first_batch(gan, real, labels):
    """Checks on the first batch that turn a deep torch error (or a silent failure) into a fix:
    float data, labels for a conditional G, data in G's output range, and G's samples shaped
    like the data (a hook on G's first forward: no extra forward, no random number drawn)."""
    if not real.is_floating_point():
        raise TypeError(f"the data are {real.dtype}, but G makes floats: scale them as G's output is, e.g. "
                        "images x.float() / 127.5 - 1 for a tanh G ([-1, 1])")
    if not torch.isfinite(real).all():
        raise ValueError("the data hold NaN or inf (in the first batch): remove those samples first, e.g. "
                         " x = x[torch.isfinite(x).flatten(1).all(1)]")
    if gan.D is not None and output_range(distributed.plain(gan.D)) == (0.0, 1.0):
        warnings.warn("D ends in a sigmoid, but ganlab's losses read D's raw score and apply the sigmoid "
                      "themselves (stably): remove D's last nn.Sigmoid()", stacklevel=4)
    if getattr(gan.G, "num_labels", 0) and labels is None:
        raise ValueError("G is conditional (G(z, y)) but the data carry no labels: pass TensorDataset(x, y)")
    _check_range(gan.G, real)
    shape = tuple(real.shape[1:])  # one sample

    def hook(module, args, fake):
        handle.remove()  # the first call only
        if isinstance(fake, torch.Tensor) and tuple(fake.shape[1:]) != shape:
            raise ValueError(f"G makes samples of shape {tuple(fake.shape[1:])}, but the data's samples have "
                             f"shape {shape}: D cannot compare them. Build G to make samples of shape "
                             f"{shape} (mlp_generator's out_shape), or reshape the data to G's")

    handle = gan.G.register_forward_hook(hook)
    return handle


def _check_range(G, real):
    """Warn when the data cannot be matched by G's output layer (tanh: [-1, 1]; sigmoid: [0, 1]),
    or fill only a corner of it (0..1 images for a tanh G): G's samples would never look real."""
    bounds = output_range(G)
    if bounds is None or not real.numel():
        return
    (lo, hi), (x_lo, x_hi) = bounds, (float(v) for v in torch.aminmax(real.detach()))
    fix = ("images x.float() / 127.5 - 1 from 0..255, or 2 * x - 1 from 0..1" if (lo, hi) == (-1.0, 1.0)
           else "images x.float() / 255 from 0..255")
    if x_lo < lo - 1e-3 or x_hi > hi + 1e-3:
        warnings.warn(f"the data span [{x_lo:.3g}, {x_hi:.3g}] but G's output layer makes values in "
                      f"[{lo:g}, {hi:g}]: G can never match them. Scale the data to G's range: {fix}",
                      stacklevel=4)
    elif x_hi - x_lo < (hi - lo) / 2 and x_lo >= 0 > lo:
        warnings.warn(f"the data span only [{x_lo:.3g}, {x_hi:.3g}] of G's output range [{lo:g}, {hi:g}]: "
                      f"scale them to the whole range ({fix})", stacklevel=4)


def _after_step(gan, row, bar, *, snapshot_every, callbacks):
    if snapshot_every and gan.step % snapshot_every == 0 and not distributed.rank():
        gan.history.snapshot(gan.step, gan.generate(z=gan.fixed_z, labels=gan.fixed_labels))
    for fn in callbacks:
        fn(gan, row)
    bar.update(1)
    if gan.step % 25 == 0 and "loss_D" in row and "loss_G" in row:
        bar.set_postfix(loss_D=f"{row['loss_D']:.3f}", loss_G=f"{row['loss_G']:.3f}", refresh=False)
