"""A 2-D GAN playground: pick a mixture, a loss, a learning rate and n_critic, press
train, and watch the samples and the critic's surface move. Widgets only: the recipes
are ``ganlab.toy2d``'s, the drawing is ``ganlab.plot.draw_2d``.

``Playground().show()`` trains one short burst and draws it as an ordinary figure, then
displays ipywidgets controls. Each press of "train" runs another short burst in the
button's callback and redraws that figure in place. Without a front end (nbval,
nbconvert) no button is ever pressed: the cell keeps its static figure and never waits.
"""

import matplotlib.pyplot as plt

from .loop import train
from .plot import VIEW_2D, draw_2d
from .toy2d import METHODS, classic_gan, sampler, score


class Playground:
    """Controls + one figure. ``burst``: G steps per press of "train"."""

    def __init__(self, *, burst=200, batch_size=256):
        self.burst, self.batch_size = burst, batch_size
        self.gan, self.handle, self.widgets = None, None, {}

    def reset(self, name="ring8", method="GAN", lr=None, n_critic=None):
        self.name, self.method = name, method
        self.gan = classic_gan(method, lr=lr, n_critic=n_critic)

    def step(self, steps=None):
        """Train one burst and redraw; returns the figure."""
        train(self.gan, sampler(self.name, unit=False), batch_size=self.batch_size,
              steps=self.gan.step + (steps or self.burst), progress=False)
        cov = score(self.gan.G, self.name, unit=False)
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        draw_2d(self.gan, self.name, ax=ax, title=f"{self.method} on {self.name}, step {self.gan.step}\n"
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
        self.widgets = {"mixture": w.Dropdown(options=list(VIEW_2D), value=self.name, description="mixture"),
                        "loss": w.Dropdown(options=list(METHODS), value=self.method, description="loss"),
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
        self.widgets["lr"].value = METHODS[change["new"]]["lr"]
        self.widgets["n_critic"].value = METHODS[change["new"]].get("n_critic", 1)

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
