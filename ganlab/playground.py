"""A 2-D GAN playground: pick a mixture, a loss, a learning rate and n_critic, press
train, and watch the samples and the critic's surface move.

``make_gan`` / ``draw`` are also what notebook 06 uses for its vanilla-vs-WGAN-GP table.
``Playground().show()`` trains one short burst and draws it as an ordinary figure, then
displays ipywidgets controls. Each press of "train" runs another short burst in the
button's callback and redraws that figure in place. Without a front end (nbval,
nbconvert) no button is ever pressed: the cell keeps its static figure and never waits.
"""

import matplotlib.pyplot as plt
import torch
from torch import nn

from . import data, metrics
from .critics import mlp_critic
from .losses import BCE, WGAN
from .models import mlp_discriminator, mlp_generator
from .train import GAN, train

METHODS = ("GAN", "WGAN-GP")
DEFAULTS = {"GAN": {"lr": 1e-3, "n_critic": 1, "betas": (0.5, 0.999), "gp_weight": 0.0},
            "WGAN-GP": {"lr": 1e-4, "n_critic": 5, "betas": (0.0, 0.9), "gp_weight": 10.0}}
VIEW = {"ring8": 1.6, "grid25": 5.5}  # half-width of the plotted square


def make_gan(method="WGAN-GP", *, hidden=(128, 128, 128), latent_dim=2, **settings):
    """A GAN for 2-D points: ReLU MLP G (z ∈ R^latent_dim -> R², no output squashing).

    "GAN": BCE with an MLP discriminator, Adam(lr 1e-3, β = (0.5, 0.999)).
    "WGAN-GP": WGAN loss with an MLP critic (no sigmoid, no batch norm), λ = 10,
    Adam(lr 1e-4, β = (0, 0.9)), n_critic 5: the paper's Algorithm 1.
    ``settings`` override ``DEFAULTS[method]``: ``lr``, ``n_critic``, ``betas``, ``gp_weight``
    (None keeps the default).
    """
    unknown = set(settings) - set(DEFAULTS[method])
    if unknown:
        raise TypeError(f"make_gan: unknown settings {sorted(unknown)}; "
                        f"choose from {sorted(DEFAULTS[method])}")
    s = {**DEFAULTS[method], **{k: v for k, v in settings.items() if v is not None}}
    G = mlp_generator(latent_dim, hidden, (2,), act=nn.ReLU, out=None)
    if method == "GAN":
        D, loss = mlp_discriminator((2,), hidden, act=nn.ReLU), BCE
    else:
        D, loss = mlp_critic((2,), hidden), WGAN
    return GAN(G, D, torch.optim.Adam(G.parameters(), s["lr"], betas=s["betas"]),
               torch.optim.Adam(D.parameters(), s["lr"], betas=s["betas"]), latent_dim=latent_dim,
               loss=loss, n_critic=s["n_critic"], gp_weight=s["gp_weight"], n_fixed=1000)


def sampler(name):
    """n -> (n, 2) fresh points of mixture ``name``: a data function for ``train``."""
    return lambda n: data.gaussian_mixture(name, n)[0]


def score(gan, name, n=2500):
    """``metrics.mode_coverage_2d`` of ``n`` generated points (the PacGAN protocol)."""
    centers = data.mixture_centers(name)
    return metrics.mode_coverage_2d(gan.generate(n), centers, data.MIXTURE_STD[name])


@torch.no_grad()
def draw(gan, name, *, ax=None, n=1000, title=None, resolution=120):
    """D's (or the critic's) raw score as filled contours, real points (black) and
    generated points (orange) on top: the surface G's samples slide along."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    h = VIEW[name]
    ticks = torch.linspace(-h, h, resolution)
    grid = torch.cartesian_prod(ticks, ticks)  # (R², 2), x varies slowest
    was_training = gan.D.training
    gan.D.eval()
    surface = gan.D(grid.to(gan.device)).cpu().reshape(resolution, resolution)  # [i, j] = (x_i, y_j)
    gan.D.train(was_training)
    ax.contourf(ticks, ticks, surface.T, levels=20, cmap="Blues")
    real = data.gaussian_mixture(name, n, seed=0)[0]
    fake = gan.generate(n).cpu()
    ax.scatter(real[:, 0], real[:, 1], s=2, c="black", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:orange", alpha=0.6, label="generated")
    ax.set(xlim=(-h, h), ylim=(-h, h), aspect="equal", title=title or f"{name}, step {gan.step}")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


class Playground:
    """Controls + one figure. ``burst``: G steps per press of "train"."""

    def __init__(self, *, burst=200, batch_size=256):
        self.burst, self.batch_size = burst, batch_size
        self.gan, self.handle, self.widgets = None, None, {}

    def reset(self, name="ring8", method="WGAN-GP", lr=None, n_critic=None):
        self.name, self.method = name, method
        self.gan = make_gan(method, lr=lr, n_critic=n_critic)

    def step(self, steps=None):
        """Train one burst and redraw; returns the figure."""
        train(self.gan, sampler(self.name), batch_size=self.batch_size,
              steps=self.gan.step + (steps or self.burst), progress=False)
        cov = score(self.gan, self.name)
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        draw(self.gan, self.name, ax=ax, title=f"{self.method} on {self.name}, step {self.gan.step}\n"
             f"{cov['covered']}/{cov['modes']} modes, {cov['high_quality']:.0f} % high quality")
        plt.close(fig)  # shown through the display handle only
        return fig

    def show(self, *, steps=None):
        """Static figure after one burst (always), then the controls (when ipywidgets is here)."""
        from IPython.display import display

        if self.gan is None:
            self.reset()
        self.handle = display(self.step(steps), display_id=True)
        try:
            import ipywidgets as w
        except ImportError:
            return
        lr = self.gan.opt_G.param_groups[0]["lr"]
        self.widgets = {"mixture": w.Dropdown(options=list(VIEW), value=self.name, description="mixture"),
                        "loss": w.Dropdown(options=METHODS, value=self.method, description="loss"),
                        "lr": w.FloatLogSlider(value=lr, base=10, min=-5, max=-2, description="lr"),
                        "n_critic": w.IntSlider(value=self.gan.n_critic, min=1, max=10,
                                                description="n_critic")}
        self.widgets["loss"].observe(self._defaults, names="value")  # a new loss: its usual lr, n_critic
        train_button, reset_button = w.Button(description="train"), w.Button(description="reset")
        train_button.on_click(lambda _: self._train_from_widgets())
        reset_button.on_click(lambda _: self._train_from_widgets(reset=True))
        display(w.VBox([w.HBox(list(self.widgets.values())[:2]), w.HBox(list(self.widgets.values())[2:]),
                        w.HBox([train_button, reset_button])]))

    def _defaults(self, change):
        self.widgets["lr"].value = DEFAULTS[change["new"]]["lr"]
        self.widgets["n_critic"].value = DEFAULTS[change["new"]]["n_critic"]

    def _train_from_widgets(self, reset=False):
        """A new mixture or loss starts a new game; lr and n_critic change the running one."""
        v = {k: x.value for k, x in self.widgets.items()}
        if reset or (v["mixture"], v["loss"]) != (self.name, self.method):
            self.reset(v["mixture"], v["loss"], lr=v["lr"], n_critic=v["n_critic"])
        for opt in (self.gan.opt_G, self.gan.opt_D):
            for group in opt.param_groups:
                group["lr"] = v["lr"]
        self.gan.n_critic = v["n_critic"]
        self.handle.update(self.step(1 if reset else None))
