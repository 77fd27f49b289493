"""The training loop: endless batches, steps as targets, Ctrl-C that keeps everything.

``train(gan, data, ...)`` moves a ``GAN`` forward and returns its ``History``. Budgets are
*targets*: ``steps=2000`` trains until ``gan.step == 2000``, so re-running the same cell
after an interruption (or after ``load_checkpoint``) continues where training stopped.
Notebook 01 writes this loop by hand and checks it against ``train`` weight for weight.
"""

import contextlib
import math
import signal
import threading
import time

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm.auto import tqdm

from .checkpoint import save_checkpoint
from .gan import d_step, g_step


def _split(batch):
    """A batch as (x, labels-or-None), from a tensor, (x,) or (x, y)."""
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def _in_memory(gan, tensors, batch_size):
    """Endless shuffled batches; the shuffle of epoch e depends only on (data_seed, e),
    so a resumed run sees exactly the batches an uninterrupted one would."""
    tensors = [t.to(gan.device) for t in tensors]
    per_epoch = tensors[0].shape[0] // batch_size
    perm, perm_epoch = None, -1
    while True:
        epoch, b = divmod(gan.batches_seen, per_epoch)
        if epoch != perm_epoch:
            g = torch.Generator().manual_seed(gan.data_seed + epoch)
            perm, perm_epoch = torch.randperm(tensors[0].shape[0], generator=g), epoch
        idx = perm[b * batch_size : (b + 1) * batch_size].to(gan.device)
        yield _split([t[idx] for t in tensors])


def _from_loader(gan, loader):
    while True:
        for batch in loader:
            x, y = _split(batch)
            yield x.to(gan.device, non_blocking=True), (None if y is None else y.to(gan.device))


def _fresh(gan, sample, batch_size):
    while True:
        x, y = _split(sample(batch_size))
        yield x.to(gan.device), (None if y is None else y.to(gan.device))


def batches(gan, data, batch_size):
    """Endless (real, labels) batches from a tensor, a TensorDataset, a Dataset,
    a DataLoader, or a function ``n -> batch`` (fresh samples each call)."""
    if isinstance(data, torch.Tensor):
        data = TensorDataset(data)
    if isinstance(data, TensorDataset):
        return _in_memory(gan, data.tensors, batch_size), len(data) // batch_size
    if isinstance(data, Dataset):
        data = DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=True)
    if isinstance(data, DataLoader):
        return _from_loader(gan, data), len(data)
    if callable(data):
        return _fresh(gan, data, batch_size), None
    raise TypeError(f"train() cannot draw batches from {type(data).__name__}")


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


def _target_step(gan, steps, epochs, per_epoch):
    if epochs is not None:
        if per_epoch is None:
            raise ValueError("epochs= needs a dataset; for a sampling function use steps=")
        by_epochs = math.ceil(epochs * per_epoch / gan.n_critic)
        steps = by_epochs if steps is None else min(steps, by_epochs)
    return steps


def train(gan, data, *, batch_size=64, steps=None, epochs=None, minutes=None,
          snapshot_every=None, checkpoint=None, checkpoint_every=None,
          callbacks=(), progress=True):
    """Train until ``gan.step`` reaches ``steps`` (or ``epochs`` passes over ``data``),
    or until ``minutes`` of wall clock have passed, whichever comes first.

    Each step is ``n_critic`` D updates then one G update, and logs one History row.
    ``checkpoint`` (a path) is written every ``checkpoint_every`` steps, at the end,
    and when Ctrl-C stops the run; Ctrl-C keeps everything learned so far.
    ``callbacks`` are called as ``fn(gan, row)`` after every logged step.
    """
    stream, per_epoch = batches(gan, data, batch_size)
    target = _target_step(gan, steps, epochs, per_epoch)
    if target is None and minutes is None:
        raise ValueError("say how long to train: steps=, epochs= or minutes=")
    deadline = time.monotonic() + 60 * minutes if minutes is not None else math.inf
    start, seconds0 = time.perf_counter(), gan.history.seconds
    gan.G.train()
    gan.D.train()
    bar = tqdm(total=target, initial=gan.step, disable=not progress, desc="training", unit="step")
    stop = _StopFlag()
    try:
        with stop.installed():
            while (target is None or gan.step < target) and time.monotonic() < deadline:
                for _ in range(gan.n_critic):  # (1) update D, n_critic times
                    real, labels = next(stream)
                    stats = d_step(gan, real, labels)
                    gan.batches_seen += 1
                stats.update(g_step(gan, real.shape[0], labels))  # (2) update G
                gan.step += 1
                row = gan.history.log(gan.step, stats, seconds=seconds0 + time.perf_counter() - start)
                _after_step(gan, row, bar, snapshot_every=snapshot_every, callbacks=callbacks)
                if checkpoint and checkpoint_every and gan.step % checkpoint_every == 0:
                    save_checkpoint(gan, checkpoint)
                if stop.set:
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        gan.history.interrupted = True
        print(f"Stopped at step {gan.step}: the models keep everything learned so far."
              + (f" Saved to {checkpoint}." if checkpoint else ""))
    finally:
        bar.close()
    if checkpoint:
        save_checkpoint(gan, checkpoint)
    return gan.history


def _after_step(gan, row, bar, *, snapshot_every, callbacks):
    if snapshot_every and gan.step % snapshot_every == 0:
        gan.history.snapshot(gan.step, gan.generate(z=gan.fixed_z, labels=gan.fixed_labels))
    for fn in callbacks:
        fn(gan, row)
    bar.update(1)
    if gan.step % 25 == 0:
        bar.set_postfix(loss_D=f"{row['loss_D']:.3f}", loss_G=f"{row['loss_G']:.3f}", refresh=False)
