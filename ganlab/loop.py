"""The training loop: endless batches, steps as targets, Ctrl-C that keeps everything.

``train(gan, data, ...)`` moves a ``GAN`` forward and returns its ``History``. Budgets are
*targets*: ``steps=2000`` trains until ``gan.step == 2000``, so re-running the same cell
after an interruption (or after ``load_checkpoint``) continues where training stopped.
Notebook 01 writes this loop by hand and checks it against ``train`` weight for weight.
A loss that turns inf or NaN stops the run with ``NonFiniteLoss``, after restoring the
last finite state, so a learning rate that was too high costs nothing learned before it.
"""

import contextlib
import itertools
import math
import numbers
import os
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


def batches(gan, data, batch_size):
    """Endless (real, labels) batches from a tensor, a TensorDataset, a Dataset,
    a DataLoader, or a function ``n -> batch`` (fresh samples each call)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: give a whole number of samples per batch, e.g. 64")
    if isinstance(data, torch.Tensor):
        data = TensorDataset(data)
    if isinstance(data, Dataset) and hasattr(data, "__len__") and len(data) < batch_size:
        raise ValueError(f"batch_size={batch_size}, but the data hold only {len(data)} samples: "
                         f"not one full batch. Use batch_size={len(data)} or less, or more data")
    if isinstance(data, TensorDataset):
        return _in_memory(gan, data.tensors, batch_size), len(data) // batch_size
    if isinstance(data, Dataset):
        data = DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=True)
    if isinstance(data, DataLoader):
        if len(data) == 0:  # else the endless stream would wait forever for a first batch
            raise ValueError(f"the DataLoader yields no batches ({len(data.dataset)} samples, its "
                             f"batch_size={data.batch_size}, drop_last={data.drop_last}): "
                             "give it a smaller batch_size or more data")
        return _from_loader(gan, data), len(data)
    if callable(data):  # fresh samples on every call: an endless iterator (None never comes)
        return _from_loader(gan, iter(lambda: data(batch_size), None)), None
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
    An inf or NaN in a logged number raises ``NonFiniteLoss`` once the last finite state
    (at most ``GOOD_EVERY`` steps back) is restored, and written to ``checkpoint``.
    """
    stream, per_epoch = batches(gan, data, batch_size)
    target = _target_step(gan, steps, epochs, per_epoch)
    if target is None and minutes is None:
        raise ValueError("say how long to train: steps=, epochs= or minutes=")
    check = None
    if target is None or gan.step < target:  # else draw nothing: no random number moves
        good = _LastGood(gan)  # what a blow-up restores
        first = next(stream)
        check = _check_first_batch(gan, *first)  # G's samples must look like the data
        stream = itertools.chain([first], stream)
    deadline = time.monotonic() + 60 * minutes if minutes is not None else math.inf
    start, seconds0 = time.perf_counter(), gan.history.seconds
    gan.G.train()
    gan.D.train()
    quiet = not progress or os.environ.get("TQDM_DISABLE")  # stored notebooks have no bars
    bar = tqdm(total=target, initial=gan.step, disable=bool(quiet), desc="training", unit="step")
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
                good.check(gan, row, checkpoint=checkpoint)  # inf/NaN: restore the last finite state
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
        if check is not None:
            check.remove()
        bar.close()
    if checkpoint:
        save_checkpoint(gan, checkpoint)
    return gan.history


def _check_first_batch(gan, real, labels):
    """Checks on the first batch, made once per call, that turn a deep torch error into a
    fix: float data, labels for a conditional GAN, and G's samples shaped like the data
    (a hook on G's first forward in ``d_step``: no extra forward, no random number drawn)."""
    if not real.is_floating_point():
        raise TypeError(f"the data are {real.dtype}, but G makes floats: scale the data to floats as "
                        "G's output is scaled, e.g. images x.float() / 127.5 - 1 for a tanh G ([-1, 1])")
    if gan.conditional and labels is None:
        raise ValueError("this GAN is conditional (G(z, y), D(x, y)) but the data carry no labels: "
                         "pass TensorDataset(x, y), or batches (x, y)")
    shape = tuple(real.shape[1:])  # one sample

    def hook(module, args, fake):
        handle.remove()  # the first call only
        if isinstance(fake, torch.Tensor) and tuple(fake.shape[1:]) != shape:
            raise ValueError(f"G makes samples of shape {tuple(fake.shape[1:])}, but the data's samples have "
                             f"shape {shape} (a batch of the data: {tuple(real.shape)}): D cannot compare "
                             f"them. Build G to make samples of shape {shape} (e.g. the out_shape of "
                             "nets.mlp_generator), or reshape the data to G's")

    handle = gan.G.register_forward_hook(hook)
    return handle


class NonFiniteLoss(FloatingPointError):
    """Training produced an inf or NaN; the GAN was restored to its last finite state."""

    def __init__(self, message, *, step, restored_step, row):
        super().__init__(message)
        self.step, self.restored_step, self.row = step, restored_step, row


GOOD_EVERY = 50  # steps between checked copies of the state: ~0.3 % of an MLP step on one CPU thread
_STATE = ("G", "D", "opt_G", "opt_D", "scaler_G", "scaler_D")


def _cpu_copy(value, copies=None):
    """A deep copy of a state dict with every tensor copied to the CPU (each also appended
    to the list ``copies``, when given)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().to("cpu", copy=True)
        if copies is not None:
            copies.append(value)
        return value
    if isinstance(value, dict):
        return {k: _cpu_copy(v, copies) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_cpu_copy(v, copies) for v in value)
    return value


def _all_finite(tensors):
    """True if no float tensor holds inf or NaN. Min and max propagate NaN, and
    ``aminmax`` is one pass with no temporary: ~20x cheaper than ``isfinite(t).all()``."""
    extremes = [v for t in tensors if t.is_floating_point() and t.numel() for v in torch.aminmax(t)]
    return not extremes or bool(torch.isfinite(torch.stack(extremes)).all())


class _LastGood:
    """The run's last finite state: G, D, both optimisers and scalers (a CPU copy, taken
    every ``GOOD_EVERY`` steps and checked finite), with the step counters and history length.

    Why a CPU copy every 50 steps: for the MNIST MLP on one thread a checked copy takes
    ~1.6 ms against a ~12 ms step, so copying every step would cost ~13 %, every 50 steps
    ~0.3 % (``benchmarks/guard_cost.py``). A copy kept on a GPU would skip the transfer (one
    sync per copy) but take as much GPU memory again as the weights and optimiser state.
    The copy is checked because an update can leave inf/NaN weights or Adam moments
    behind a finite loss.
    """

    def __init__(self, gan):
        if not self.take(gan):
            raise FloatingPointError("G, D or an optimiser already holds inf or NaN before training: "
                                     "rebuild the models (or load a good checkpoint) and train again")

    def check(self, gan, row, *, checkpoint=None):
        """After each step: raise NonFiniteLoss (once restored) if a logged number is inf or NaN;
        every ``GOOD_EVERY`` steps, copy the state, which must be finite too."""
        if not all(map(math.isfinite, row.values())) or (gan.step % GOOD_EVERY == 0 and not self.take(gan)):
            _stop_non_finite(gan, row, self, checkpoint)

    def take(self, gan):
        """Copy gan's state if it is all finite; return whether it was."""
        copies = []
        state = {name: _cpu_copy(getattr(gan, name).state_dict(), copies) for name in _STATE}
        if not _all_finite(copies):
            return False
        self.state, self.step, self.batches_seen = state, gan.step, gan.batches_seen
        self.rows, self.snapshots = len(gan.history.rows), len(gan.history.snapshots)
        return True

    def restore(self, gan):
        for name in _STATE:
            if name.startswith("scaler") and not self.state[name]:
                continue  # empty without AMP
            getattr(gan, name).load_state_dict(_cpu_copy(self.state[name]))  # a copy: no aliasing
        gan.step, gan.batches_seen = self.step, self.batches_seen
        del gan.history.rows[self.rows:]
        del gan.history.snapshots[self.snapshots:]


def _stop_non_finite(gan, row, good, checkpoint):
    """Restore the last finite state, save it, and raise NonFiniteLoss with the likely fixes."""
    step = gan.step
    bad = [k for k, v in row.items() if not math.isfinite(v)]
    logged = ", ".join(f"{k} = {v:.4g}" for k, v in row.items() if k not in ("step", "seconds"))
    what = (f"{' and '.join(bad)} became {'/'.join(sorted({str(row[k]) for k in bad}))}" if bad
            else "the weights (or optimiser state) became inf/NaN, though the losses were still finite")
    lrs = ", ".join(f"{name}: {type(opt).__name__} lr={opt.param_groups[0]['lr']:g}"
                    for name, opt in (("opt_G", gan.opt_G), ("opt_D", gan.opt_D)))  # as they were
    good.restore(gan)
    if checkpoint:
        save_checkpoint(gan, checkpoint)  # never leave a NaN model in the checkpoint
    causes = [f"a learning rate too high ({lrs}): try one 10x smaller (DCGAN: Adam lr=2e-4, "
              "betas=(0.5, 0.999))",
              "data not scaled as G's output is (images as floats in [-1, 1] for a tanh G): normalise them"]
    if gan.loss.name == "WGAN" and not gan.gp_weight:
        causes.append("a WGAN critic without a penalty: its scores can grow without bound; set gp_weight=10")
    elif gan.gp_weight:
        causes.append(f"gp_weight={gan.gp_weight:g}: the paper's 10 is stable, far larger values are not")
    if gan.scaler_D.is_enabled():
        causes.append("mixed precision overflowing float16: try amp=False")
    message = (f"training stopped at step {step}: {what} ({logged}).\nLikely causes:\n  - "
               + "\n  - ".join(causes)
               + f"\nG, D, both optimisers, gan.step and the history are restored to step {good.step}, "
               "the last finite state" + (f" (also saved to {checkpoint})" if checkpoint else "")
               + ": fix the cause and call train again.")
    raise NonFiniteLoss(message, step=step, restored_step=good.step, row=row)


def _after_step(gan, row, bar, *, snapshot_every, callbacks):
    if snapshot_every and gan.step % snapshot_every == 0:
        gan.history.snapshot(gan.step, gan.generate(z=gan.fixed_z, labels=gan.fixed_labels))
    for fn in callbacks:
        fn(gan, row)
    bar.update(1)
    if gan.step % 25 == 0:
        bar.set_postfix(loss_D=f"{row['loss_D']:.3f}", loss_G=f"{row['loss_G']:.3f}", refresh=False)
