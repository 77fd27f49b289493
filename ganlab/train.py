"""The GAN training loop: (1) update D, (2) update G, repeat.

A ``GAN`` holds everything a run is; ``train(gan, data, ...)`` moves it forward and
returns its ``History``. Budgets are *targets*: ``steps=2000`` trains until
``gan.step == 2000``, so re-running the same cell after an interruption (or after
``load_checkpoint``) continues where training stopped instead of starting over.
"""

import contextlib
import math
import signal
import threading
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm.auto import tqdm

from .checkpoint import save_checkpoint
from .history import History
from .losses import BCE, Loss, interpolate_grad_norms, r1_penalty


@dataclass(eq=False)
class GAN:
    """Two players, their optimisers, the rules of the game, and how far it has got."""

    G: nn.Module
    D: nn.Module
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    latent_dim: int
    loss: Loss = BCE
    noise: object = torch.randn  # how z is drawn: torch.randn (normal) or torch.rand (uniform)
    n_critic: int = 1  # D updates per G update (5 for WGAN-GP)
    gp_weight: float = 0.0  # λ of the gradient penalty (10 for WGAN-GP)
    r1_weight: float = 0.0  # γ of the R1 penalty γ/2·E‖∇ₓD(x_real)‖²
    conditional: bool = False  # G(z, y) and D(x, y), with y taken from the data
    amp: bool = False  # mixed precision; used on CUDA only
    fixed_z: torch.Tensor = None  # the noise behind every progress picture
    fixed_labels: torch.Tensor = None  # labels for fixed_z, when conditional
    n_fixed: int = 64
    step: int = 0  # G updates so far
    batches_seen: int = 0  # real batches consumed so far (D updates)
    data_seed: int = None  # shuffles in-memory data, epoch by epoch
    history: History = field(default_factory=History)

    def __post_init__(self):
        self.device = next(self.G.parameters()).device
        if self.fixed_z is None:
            self.fixed_z = self.sample_z(self.n_fixed)
        if self.conditional and self.fixed_labels is None:
            raise ValueError("a conditional GAN needs fixed_labels= (one label per fixed_z row)")
        if self.data_seed is None:
            self.data_seed = int(torch.randint(0, 2**31 - 1, ()))
        use_amp = self.amp and self.device.type == "cuda"
        self.scaler_D = torch.amp.GradScaler("cuda", enabled=use_amp)
        self.scaler_G = torch.amp.GradScaler("cuda", enabled=use_amp)

    def sample_z(self, n):
        """A batch of seeds z: (n, latent_dim)."""
        return self.noise(n, self.latent_dim, device=self.device)

    @torch.no_grad()
    def generate(self, n=None, *, z=None, labels=None):
        """Samples from G in eval mode: ``n`` fresh ones, or one per row of ``z``."""
        z = self.sample_z(n) if z is None else z.to(self.device)
        was_training = self.G.training
        self.G.eval()
        try:
            return self.G(z) if labels is None else self.G(z, labels.to(self.device))
        finally:
            self.G.train(was_training)

    def autocast(self):
        if not self.scaler_D.is_enabled():  # no AMP: skip autocast's enter/exit, tens of µs a step
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=torch.float16)


def d_step(gan, real, labels=None):
    """(1) Update D: maximise ln D(x) + ln(1 − D(G(z))), i.e. minimise ``gan.loss.d``."""
    y = (labels,) if gan.conditional else ()
    with gan.autocast():
        fake = gan.G(gan.sample_z(real.shape[0]), *y).detach()  # detach: D's step must not move G
        real_out, fake_out = gan.D(real, *y), gan.D(fake, *y)  # (B,) raw scores
        loss_D = gan.loss.d(real_out, fake_out)
    stats = {"loss_D": loss_D.detach()}
    if gan.gp_weight:  # WGAN-GP: penalty computed in float32, outside autocast
        norms = interpolate_grad_norms(gan.D, real.float(), fake.float(), labels=labels if y else None)
        penalty = ((norms - 1) ** 2).mean()
        loss_D = loss_D + gan.gp_weight * penalty
        stats.update(gp=penalty.detach(), grad_norm=norms.detach().mean())
    if gan.r1_weight:  # R1: zero-centred penalty on real data only
        r1 = r1_penalty(gan.D, real.float(), labels=labels if y else None)
        loss_D = loss_D + gan.r1_weight / 2 * r1
        stats.update(r1=r1.detach())
    gan.opt_D.zero_grad(set_to_none=True)
    gan.scaler_D.scale(loss_D).backward()  # without AMP, scale() returns loss_D unchanged
    gan.scaler_D.step(gan.opt_D)
    gan.scaler_D.update()
    stats.update(D_real=gan.loss.readout(real_out.detach().float()).mean(),
                 D_fake=gan.loss.readout(fake_out.detach().float()).mean())
    return stats


def g_step(gan, batch_size, labels=None):
    """(2) Update G: minimise ``gan.loss.g``, i.e. make D score G(z) as real."""
    y = (labels,) if gan.conditional else ()
    with gan.autocast():
        fake_out = gan.D(gan.G(gan.sample_z(batch_size), *y), *y)
        loss_G = gan.loss.g(fake_out)
    gan.opt_G.zero_grad(set_to_none=True)
    gan.scaler_G.scale(loss_G).backward()  # also fills D's .grad: d_step clears it first
    gan.scaler_G.step(gan.opt_G)
    gan.scaler_G.update()
    return {"loss_G": loss_G.detach()}


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
