"""A GAN's state, and its two training steps: (1) update D, (2) update G.

``GAN`` holds everything a run is: both players, both optimisers, the rules of the game
(loss, n_critic, penalties), the fixed noise behind progress pictures, and how far it got.
``state_dict()`` / ``load_state_dict()`` are the whole of it, as for a PyTorch module, so
``ganlab.checkpoint`` needs no list of fields of its own.
"""

import contextlib
import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from .history import History
from .losses import BCE, Loss, gradient_penalty, r1_penalty
from .nets import evaluating


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
    gp_weight: float = 0.0  # λ of the WGAN-GP gradient penalty (10 in the paper)
    r1_weight: float = 0.0  # γ of the R1 penalty γ/2·E‖∇D(x)‖² on real data (Mescheder et al. 2018)
    r1_every: int = 1  # lazy R1 (StyleGAN2): only every k-th D step pays for it, weighted k·γ
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
        with evaluating(self.G):
            return self.G(z) if labels is None else self.G(z, labels.to(self.device))

    def autocast(self):
        if not self.scaler_D.is_enabled():  # no AMP: skip autocast's enter/exit, tens of µs a step
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=torch.float16)

    _MODULES = ("G", "D", "opt_G", "opt_D", "scaler_G", "scaler_D", "history")
    _VALUES = ("step", "batches_seen", "data_seed", "fixed_z", "fixed_labels")

    def state_dict(self):
        """Everything a run is, as tensors, numbers, lists and dicts (``weights_only``-safe)."""
        state = {name: getattr(self, name).state_dict() for name in self._MODULES}
        return state | {name: getattr(self, name) for name in self._VALUES}

    def load_state_dict(self, state):
        """Restore from ``state_dict()``; the models must have the same architecture."""
        state = copy.deepcopy(state)  # optimisers keep the given tensors: never share them with the source
        for name in self._MODULES:
            if name.startswith("scaler") and not state[name]:
                continue  # empty when saved without AMP (e.g. on a CPU)
            getattr(self, name).load_state_dict(state[name])  # optimisers follow their params' device
        for name in self._VALUES:
            value = state[name]
            setattr(self, name, value.to(self.device) if isinstance(value, torch.Tensor) else value)


def d_step(gan, real, labels=None):
    """(1) Update D: minimise ``gan.loss.d`` [+ λ·GP + γ/2·R1] on a real batch and a fake one.
    ``r1_every`` = k: k·γ/2·R1 on every k-th D step, the same on average for 1/k of the cost.

    For BCE that is maximising ln D(x) + ln(1 − D(G(z))); for WGAN, E[C(x̃)] − E[C(x)].
    Returns the logged numbers as tensors (History turns them into floats once).
    """
    y = (labels,) if gan.conditional else ()
    with gan.autocast():
        fake = gan.G(gan.sample_z(real.shape[0]), *y).detach()  # detach: D's step must not move G
        real_out, fake_out = gan.D(real, *y), gan.D(fake, *y)  # (B,) raw scores
        loss_D = gan.loss.d(real_out, fake_out)
    stats = {"loss_D": loss_D.detach()}
    if gan.gp_weight:  # penalties in float32, outside autocast
        gp, norms = gradient_penalty(gan.D, real.float(), fake.float(), labels=labels if y else None)
        loss_D = loss_D + gan.gp_weight * gp
        stats.update(gp=gp.detach(), grad_norm=norms.detach().mean())
    if gan.r1_weight and gan.batches_seen % gan.r1_every == 0:
        r1 = r1_penalty(gan.D, real.float(), labels=labels if y else None)
        loss_D = loss_D + gan.r1_weight * gan.r1_every / 2 * r1
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


def adam(module, *, lr=2e-4, betas=(0.5, 0.999)):
    """The DCGAN paper's optimiser: Adam, lr 2e-4, β₁ = 0.5 (0.9 keeps too much momentum
    for a target that moves every step, and training oscillates)."""
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas)
