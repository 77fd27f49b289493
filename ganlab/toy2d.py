"""GANs on 2-D points (notebook 06): a ``Recipe`` says how to build and train one.

Why each ingredient (ring8: σ = 0.01 on a circle of radius 1; grid25: σ = 0.05 on a 5×5 grid):

- **Unit scale.** The nets see x / s, with s the mixture's per-coordinate std (1/√2 for
  ring8, 2√2 for grid25: gan_toy.py's datasets): G ends in ``nets.Scale(s)`` and D starts
  with ``nets.Scale(1/s)``, so data, samples and scores stay in the mixture's own units.
- **He init.** PyTorch's default ``nn.Linear`` init makes a 2→128→128→128→2 ReLU G
  output a blob of std ≈ 0.01–0.06; with W ~ N(0, 2/fan_in) on hidden layers,
  N(0, 1/fan_in) on the output and zero biases, Var keeps its size layer to layer
  and G(z) starts as wide as the unit-scale data.
- **Packing** (PacGAN, Lin et al. 2018): D scores m samples at once (``nets.Packed``).
- **Linear lr decay** to 0 over the last part of the run: the step size, and with it G's
  jitter around the modes, shrinks to nothing."""

import dataclasses
import functools
import math

import torch
from torch import nn

from . import data, metrics, steps
from .device import seed_everything
from .ema import EMA
from .gan import GAN
from .loop import train
from .losses import BCE, WGAN, Loss
from .nets import Packed, Scale, mlp_discriminator, mlp_generator

SCALE = {"ring8": 2**-0.5, "grid25": 2 * 2**0.5}  # per-coordinate std of each mixture


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A GAN for 2-D points and how to train it. G: a ReLU MLP z ~ N(0, I) -> R² (no output
    squashing); D: an MLP with LeakyReLU(``d_slope``) (0: ReLU) on packs of ``pack`` points.
    ``loss=BCE`` plays the non-saturating GAN, with R1 (``steps.r1``) when ``r1_weight`` = γ > 0;
    ``loss=WGAN`` plays Algorithm 1 with ``n_critic`` and λ = ``gp_weight``. γ is for the
    unit-scale points the nets see (``step`` converts it), so one γ suits both mixtures. ``ema``:
    an EMA copy's decay; ``decay``: where the linear lr decay to 0 starts, as a share of the run."""

    loss: Loss = BCE
    hidden: tuple = (128, 128, 128)
    d_slope: float = 0.2
    unit: bool = True
    he: bool = True
    pack: int = 1
    lr: float = 5e-4
    betas: tuple = (0.5, 0.99)
    n_critic: int = 1
    gp_weight: float = 0.0
    r1_weight: float = 0.0
    r1_every: int = 1
    ema: float = None
    decay: float = None
    batch: int = 256
    latent_dim: int = 2

    def build(self, name):
        """An untrained GAN for mixture ``name``, its models in the mixture's units."""
        s = SCALE[name] if self.unit else 1.0
        act = (lambda: nn.LeakyReLU(self.d_slope)) if self.d_slope else nn.ReLU
        G = mlp_generator(self.latent_dim, self.hidden, (2,), act=nn.ReLU, out=None)
        D = mlp_discriminator((2 * self.pack,), self.hidden, act=act)
        if self.he:
            he_init(G)
            he_init(D, slope=self.d_slope)
        G.body.append(Scale(s))  # unit scale -> the mixture's units
        D = nn.Sequential(Scale(1 / s), D)
        adam = lambda m: torch.optim.Adam(m.parameters(), self.lr, betas=self.betas)
        D = Packed(D, self.pack) if self.pack > 1 else D
        return GAN(G, D, adam(G), adam(D), latent_dim=self.latent_dim, n_fixed=1000)

    def step(self, name):
        """The training step: ``steps.wgan_gp``, ``steps.r1`` or ``steps.bce``."""
        if self.loss is WGAN:
            return functools.partial(steps.wgan_gp, n_critic=self.n_critic, gp_weight=self.gp_weight)
        if self.r1_weight:  # ‖∇ₓD‖² = ‖∇ᵤD‖² / s² for u = x / s: γ·s² in the data's units is γ in u's
            gamma = self.r1_weight * (SCALE[name] if self.unit else 1.0) ** 2
            return functools.partial(steps.r1, gamma=gamma, every=self.r1_every)
        return steps.standard if self.loss is not BCE else steps.bce


RECIPES = {
    "GAN": Recipe(d_slope=0.0, unit=False, he=False, lr=1e-3, betas=(0.5, 0.999)),
    "WGAN-GP (Algorithm 1)": Recipe(loss=WGAN, unit=False, he=False, lr=1e-4, betas=(0.0, 0.9), n_critic=5,
                                    gp_weight=10.0, hidden=(64, 64, 64)),
    "WGAN-GP (toy)": Recipe(loss=WGAN, lr=2e-3, betas=(0.5, 0.9), n_critic=5, gp_weight=0.1,
                            hidden=(64, 64, 64), decay=0.5),
    "NS-GAN + R1": Recipe(r1_weight=0.1, decay=0.5, ema=0.999),
    "NS-GAN + R1 + packing": Recipe(r1_weight=0.1, decay=0.5, ema=0.999, pack=2),
}


def he_init(model, *, slope=0.0):
    """He-normal hidden layers (gain √(2/(1 + slope²))), N(0, 1/fan_in) output, zero biases."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer in linears[:-1]:
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity="leaky_relu")
        nn.init.zeros_(layer.bias)
    nn.init.normal_(linears[-1].weight, 0.0, 1 / math.sqrt(linears[-1].in_features))
    nn.init.zeros_(linears[-1].bias)
    return model


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


def sampler(name):
    """n -> (n, 2) fresh points of mixture ``name``."""
    return lambda n: data.gaussian_mixture(name, n)[0]


def fit(name, recipe, steps, *, seed=0, **changes):
    """Train ``recipe`` (a Recipe, or a name in RECIPES), with ``changes`` to its fields, on mixture
    ``name`` for ``steps`` G steps from ``seed``. Returns (gan, recipe, EMA or None); the recipe
    says what ran. ``gan.spread0`` is G's output std at step 0 (mean over x and y)."""
    recipe = RECIPES[recipe] if isinstance(recipe, str) else recipe
    recipe = dataclasses.replace(recipe, **{k: v for k, v in changes.items() if v is not None})
    seed_everything(seed)
    gan = recipe.build(name)
    gan.spread0 = float(gan.generate(2500).std(0).mean())
    ema = EMA(gan.G, recipe.ema, warmup=True) if recipe.ema else None
    callbacks = [lr_decay(gan, steps, start=recipe.decay)] if recipe.decay is not None else []
    train(gan, sampler(name), step=recipe.step(name), batch_size=recipe.batch, steps=steps,
          callbacks=callbacks + ([ema] if ema else []), progress=False)
    return gan, recipe, ema


def score(samples, name, *, min_count=20):
    """``metrics.mode_coverage_2d`` of generated points (n, 2) on mixture ``name`` (the PacGAN
    protocol: high quality within 3σ of the nearest centre; a mode is covered with ≥ min_count)."""
    return metrics.mode_coverage_2d(samples.detach().cpu(), data.mixture_centers(name),
                                    data.MIXTURE_STD[name], min_count=min_count)
