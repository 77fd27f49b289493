"""The 2-D mixture recipe: unit-scale data, He-initialised MLPs, packing, lr decay.

Why each piece (ring8: σ = 0.01 on a circle of radius 1; grid25: σ = 0.05 on a 5×5 grid):

- **Unit scale.** Models see x / s, with s the mixture's per-coordinate std
  (s = 1/√2 for ring8, 2√2 for grid25: gan_toy.py's datasets); scores are taken on
  G(z)·s, in the original units.
- **He init.** PyTorch's default ``nn.Linear`` init makes a 2→128→128→128→2 ReLU G
  output a blob of std ≈ 0.01–0.06; with W ~ N(0, 2/fan_in) on hidden layers,
  N(0, 1/fan_in) on the output and zero biases, Var keeps its size layer to layer
  and G(z) starts with std ≈ 1, as wide as the unit-scale data.
- **Packing** (PacGAN, Lin et al. 2018): D scores m samples at once,
  D(x₁ ⊕ … ⊕ x_m); a collapsed G shows up as m near-identical points. Each call of D
  packs only the batch it is given, so real and fake are never packed together.
- **Linear lr decay** to 0 over the last half: the step size, and with it G's jitter
  around the modes, shrinks to nothing.
"""

import math

import torch
from torch import nn

from . import data, metrics
from .device import seed_everything
from .ema import EMA
from .gan import GAN
from .loop import train
from .losses import BCE, WGAN
from .nets import evaluating, mlp_discriminator, mlp_generator

# Notebook 06's rows and the playground's recipes. Models see unit-scale data and start
# from He init unless ``unit``/``he`` is False; ``ema``: decay of an EMA copy of G; ``decay``:
# where the linear lr decay to 0 starts (a fraction of the run); ``batch``: points per batch.
RECIPES = {
    "GAN": dict(method="vanilla", unit=False, he=False, lr=1e-3, betas=(0.5, 0.999), r1_weight=0.0),
    "WGAN-GP (Algorithm 1)": dict(method="WGAN-GP", unit=False, he=False, lr=1e-4, betas=(0.0, 0.9),
                                  n_critic=5, gp_weight=10.0, hidden=(64, 64, 64)),
    "WGAN-GP (toy)": dict(method="WGAN-GP", lr=2e-3, betas=(0.5, 0.9), n_critic=5, gp_weight=0.1,
                          hidden=(64, 64, 64), decay=0.5),
    "NS-GAN + R1": dict(method="GAN", r1_weight=0.1, lr=5e-4, betas=(0.5, 0.99), decay=0.5, ema=0.999),
    "NS-GAN + R1 + packing": dict(method="GAN", r1_weight=0.1, lr=5e-4, betas=(0.5, 0.99), decay=0.5,
                                  ema=0.999, pack=2),
}
TRAINING = {"unit": True, "batch": 256, "ema": None, "decay": None}  # the keys make_gan does not take
SCALE = {"ring8": 2**-0.5, "grid25": 2 * 2**0.5}  # per-coordinate std of each mixture


def from_unit(x, name):
    """Unit scale -> original units: x · s."""
    return x * SCALE[name]


def he_init(model, *, slope=0.0):
    """He-normal hidden layers (gain √(2/(1 + slope²))), N(0, 1/fan_in) output, zero biases."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer in linears[:-1]:
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity="leaky_relu")
        nn.init.zeros_(layer.bias)
    nn.init.normal_(linears[-1].weight, 0.0, 1 / math.sqrt(linears[-1].in_features))
    nn.init.zeros_(linears[-1].bias)
    return model


class Packed(nn.Module):
    """D on packs: (B, 2) -> (B/m, 2m) -> D -> (B/m,) scores; B must be a multiple of m."""

    def __init__(self, D, m):
        super().__init__()
        self.D, self.m = D, m

    def forward(self, x):
        return self.D(x.reshape(x.shape[0] // self.m, -1))  # rows i·m … i·m + m − 1 form pack i


def lr_decay(gan, steps, *, start=0.5):
    """A ``train`` callback for the next ``steps`` G steps from t₀ = ``gan.step``:
    lr_t = lr₀ · min(1, (t₀ + steps − t) / ((1 − start) · steps)), i.e. constant, then linear to 0."""
    groups = [g for opt in (gan.opt_G, gan.opt_D) for g in opt.param_groups]
    base, end = [g["lr"] for g in groups], gan.step + steps

    def callback(gan, row):
        factor = min(1.0, max(0.0, (end - gan.step) / ((1 - start) * steps)))
        for g, lr in zip(groups, base):
            g["lr"] = lr * factor

    return callback


def make_gan(method="GAN", *, hidden=(128, 128, 128), latent_dim=2, pack=1, he=True,
             lr=5e-4, betas=(0.5, 0.99), n_critic=1, gp_weight=0.0, r1_weight=0.1, r1_every=1):
    """A GAN for 2-D points: ReLU MLP G (z ~ N(0, I) -> R², no output squashing).

    "GAN": non-saturating BCE; D is a LeakyReLU(0.2) MLP on packs of ``pack`` points,
    with the R1 penalty γ/2·E‖∇ₓD(x_real)‖², γ = ``r1_weight`` (every ``r1_every``-th step, k·γ).
    "WGAN-GP": WGAN loss, an MLP critic (LeakyReLU(0.2), no sigmoid), λ = ``gp_weight``.
    "vanilla": a plain GAN (ReLU D, no penalty; pass ``r1_weight=0``).
    ``he=False`` keeps PyTorch's default init.
    """
    G = mlp_generator(latent_dim, hidden, (2,), act=nn.ReLU, out=None)
    if method == "WGAN-GP":
        D = mlp_discriminator((2 * pack,), hidden, act=lambda: nn.LeakyReLU(0.2))  # a critic: no sigmoid
        loss, slope, r1_weight = WGAN, 0.2, 0.0
    elif method == "vanilla":
        D, loss, slope = mlp_discriminator((2 * pack,), hidden, act=nn.ReLU), BCE, 0.0
    else:
        D, loss, slope = mlp_discriminator((2 * pack,), hidden, act=lambda: nn.LeakyReLU(0.2)), BCE, 0.2
    if he:
        he_init(G)
        he_init(D, slope=slope)
    D = Packed(D, pack) if pack > 1 else D
    return GAN(G, D, torch.optim.Adam(G.parameters(), lr, betas=betas),
               torch.optim.Adam(D.parameters(), lr, betas=betas), latent_dim=latent_dim,
               loss=loss, n_critic=n_critic, gp_weight=gp_weight, r1_weight=r1_weight, r1_every=r1_every,
               n_fixed=1000)


def recipe(name, **overrides):
    """``RECIPES[name]``'s GAN and its settings; ``overrides`` change them (None keeps the
    recipe's value; a misspelt setting fails)."""
    r = {**TRAINING, **RECIPES[name], **{k: v for k, v in overrides.items() if v is not None}}
    return make_gan(**{k: v for k, v in r.items() if k not in TRAINING}), r


def fit(name, recipe_name, steps, *, seed=0, **overrides):
    """Train a recipe on mixture ``name`` for ``steps`` G steps from ``seed``. Returns
    (gan, settings, EMA or None); ``settings["spread0"]`` is G's output std at step 0 in
    original units (mean over x and y): the width G starts from."""
    seed_everything(seed)
    gan, r = recipe(recipe_name, **overrides)
    r["spread0"] = float(gan.generate(2500).std(0).mean()) * (SCALE[name] if r["unit"] else 1.0)
    ema = EMA(gan.G, r["ema"], warmup=True) if r["ema"] else None
    callbacks = [lr_decay(gan, steps, start=r["decay"])] if r["decay"] is not None else []
    train(gan, sampler(name, unit=r["unit"]), batch_size=r["batch"], steps=steps,
          callbacks=callbacks + ([ema] if ema else []), progress=False)
    return gan, r, ema


def sampler(name, *, unit=True):
    """n -> (n, 2) fresh points of mixture ``name`` (unit scale unless ``unit=False``)."""
    return lambda n: data.gaussian_mixture(name, n)[0] / (SCALE[name] if unit else 1.0)


@torch.no_grad()
def score(G, name, *, n=2500, unit=True, min_count=20):
    """``metrics.mode_coverage_2d`` of n points of G (a GAN's G, or an EMA copy) in original
    units (the PacGAN protocol: HQ within 3σ of the nearest centre; covered: ≥ min_count)."""
    with evaluating(G):
        x = G(torch.randn(n, next(G.parameters()).shape[1])) * (SCALE[name] if unit else 1.0)
    return metrics.mode_coverage_2d(x, data.mixture_centers(name), data.MIXTURE_STD[name],
                                    min_count=min_count)
