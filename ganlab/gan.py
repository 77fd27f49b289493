"""A GAN's state: the players, their optimisers, the fixed noise, and how far the run got.

``GAN`` holds state, not rules: *how* the players learn is a step function (``ganlab.steps``, or
one a notebook writes) handed to ``ganlab.train``. ``state_dict()`` / ``load_state_dict()`` are the
whole run: checkpoints and the NaN guard iterate them, and keep no list of fields of their own."""

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from .distributed import plain
from .history import History
from .nets import evaluating


@dataclass(eq=False)
class GAN:
    """The players (G, D and, for a BiGAN or a VAE, an encoder E), their optimisers,
    how z is drawn, the fixed noise behind progress pictures, and how far training got."""

    G: nn.Module
    D: nn.Module  # None for a model without a discriminator (a VAE)
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    latent_dim: int
    noise: object = torch.randn  # how z is drawn: torch.randn (normal) or torch.rand (uniform)
    E: nn.Module = None  # an encoder x -> z, where there is one
    opt_E: torch.optim.Optimizer = None
    fixed_z: torch.Tensor = None  # the noise behind every progress picture
    fixed_labels: torch.Tensor = None  # a label per fixed_z row, for a conditional G
    n_fixed: int = 64
    step: int = 0  # steps taken (one G update each)
    batches_seen: int = 0  # real batches drawn so far
    data_seed: int = None  # shuffles in-memory data, epoch by epoch
    history: History = field(default_factory=History)

    _PARTS = ("G", "D", "E", "opt_G", "opt_D", "opt_E", "history")  # each has a state_dict()
    _VALUES = ("step", "batches_seen", "data_seed", "fixed_z", "fixed_labels")

    def __post_init__(self):
        self.device = next(self.G.parameters()).device
        if getattr(self.G, "num_labels", 0) and self.fixed_labels is None:
            raise ValueError("G is conditional, G(z, y): give GAN(..., fixed_labels=...), one label per row "
                             "of the fixed noise, e.g. nets.label_rows(range(10), 10) with n_fixed=100")
        _check_latent_dim(self.G, self.latent_dim, self.device, self.fixed_labels)
        for name in ("G", "D", "E"):
            _check_optimiser(getattr(self, f"opt_{name}"), getattr(self, name), name)
        if self.fixed_z is None:
            self.fixed_z = self.sample_z(self.n_fixed)
        if self.data_seed is None:
            self.data_seed = int(torch.randint(0, 2**31 - 1, (), device="cpu"))

    def players(self):
        """The networks that train: G, then D and E where there are."""
        return [m for m in (self.G, self.D, self.E) if m is not None]

    def sample_z(self, n):
        """A batch of seeds z: (n, latent_dim)."""
        return self.noise(n, self.latent_dim, device=self.device)

    @torch.no_grad()
    def generate(self, n=None, *, z=None, labels=None, G=None):
        """Samples in eval mode: ``n`` fresh ones, or one per row of ``z``; from ``G``
        (default: this GAN's; pass an EMA copy's ``ema.G`` to sample the average)."""
        G = plain(self.G if G is None else G)  # the model itself: no collective call on one process
        z = self.sample_z(n) if z is None else z.to(self.device)
        y = () if labels is None else (labels.to(self.device),)
        with evaluating(G):
            return G(z, *y)

    def state_dict(self, *, history=True):
        """Everything a run is, as tensors, numbers, lists and dicts (``weights_only``-safe).
        ``history=False`` leaves out the logged rows and snapshots (the NaN guard's copy)."""
        names = [n for n in self._PARTS if getattr(self, n) is not None and (history or n != "history")]
        state = {n: plain(getattr(self, n)).state_dict() for n in names}
        return state | {n: getattr(self, n) for n in self._VALUES}

    def load_state_dict(self, state):
        """Restore from ``state_dict()``; the models must have the same architecture."""
        state = copy.deepcopy(state)  # optimisers keep the given tensors: never share them with the source
        for name in self._PARTS:
            if name in state:
                if getattr(self, name) is None:
                    raise ValueError(f"the state holds {name}, but this GAN has none: build it as saved")
                plain(getattr(self, name)).load_state_dict(state[name])  # optimisers follow their params
        for name, value in ((n, state[n]) for n in self._VALUES):
            setattr(self, name, value.to(self.device) if isinstance(value, torch.Tensor) else value)


def _check_latent_dim(G, latent_dim, device, labels):
    """Run G once on zeros (eval mode: no statistics move, no random number is drawn), so that
    a G built for another latent_dim fails here, with the fix, not deep inside training."""
    y = () if labels is None else (labels[:2].to(device),)
    try:
        with torch.no_grad(), evaluating(G):
            G(torch.zeros(2, latent_dim, device=device), *y)
    except RuntimeError as err:
        raise ValueError(f"G cannot take z of shape (batch, {latent_dim}): {str(err).splitlines()[0]}. "
                         "Build G with the GAN's latent_dim, or give GAN(latent_dim=) G's size") from None


def _check_optimiser(opt, net, name):
    """opt_G must hold G's parameters (opt_D D's, opt_E E's): swapped, it would train the other net."""
    if opt is None or net is None:
        return
    mine = {id(p) for p in net.parameters()}
    if not any(id(p) in mine for group in opt.param_groups for p in group["params"]):
        raise ValueError(f"opt_{name} holds none of {name}'s parameters: build it from {name}, "
                         f"e.g. opt_{name} = ganlab.adam({name}) (are opt_G and opt_D swapped?)")


def adam(module, *, lr=2e-4, betas=(0.5, 0.999)):
    """The DCGAN paper's optimiser: Adam, lr 2e-4, β₁ = 0.5 (0.9 keeps too much momentum
    for a target that moves every step, and training oscillates)."""
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas)
