"""A 2-D GAN playground: pick a mixture, a recipe, a learning rate and n_critic, press
train, and watch the samples and the critic's surface move. Widgets only: the recipes
are ``ganlab.toy2d``'s, the drawing is ``ganlab.plot.draw_2d``.

``Playground().show()`` trains one short burst and draws it as an ordinary figure, then
displays ipywidgets controls. Each press of "train" runs another short burst in the
button's callback (the button reads "training…" meanwhile) and redraws that figure in
place, with the live score in its title. Without a front end (nbval, nbconvert) no button
is ever pressed: the cell keeps its static figure and never waits.
"""

import matplotlib.pyplot as plt

from .loop import train
from .plot import VIEW_2D, draw_2d
from .toy2d import RECIPES, SCALE, lr_decay, recipe, sampler, score

CHOICES = {"GAN": "GAN", "WGAN-GP": "WGAN-GP (toy)", "R1": "NS-GAN + R1",  # button -> toy2d.RECIPES
           "packing": "NS-GAN + R1 + packing"}


class Playground:
    """Controls + one figure. ``burst``: G steps per press of "train"."""

    def __init__(self, *, burst=300, batch_size=None):
        self.burst, self.batch_size = burst, batch_size
        self.gan, self.handle, self.widgets, self.buttons = None, None, {}, {}

    def reset(self, name="ring8", choice="packing", lr=None, n_critic=None):
        self.name, self.choice = name, choice
        self.gan, self.settings = recipe(CHOICES[choice], lr=lr, n_critic=n_critic, batch=self.batch_size)

    def step(self, steps=None):
        """Train one burst and redraw; returns the figure."""
        unit, steps = self.settings["unit"], steps or self.burst
        groups = [g for opt in (self.gan.opt_G, self.gan.opt_D) for g in opt.param_groups]
        lrs = [g["lr"] for g in groups]  # each burst decays lr to 0 over its second half, then restarts
        train(self.gan, sampler(self.name, unit=unit), batch_size=self.settings["batch"],
              steps=self.gan.step + steps, progress=False, callbacks=[lr_decay(self.gan, steps)])
        for g, lr in zip(groups, lrs):
            g["lr"] = lr
        self.score = score(self.gan.G, self.name, unit=unit)
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        draw_2d(self.gan, self.name, ax=ax, scale=SCALE[self.name] if unit else 1.0,
                title=f"{self.choice} on {self.name}, step {self.gan.step}\n{self.score['covered']}/"
                      f"{self.score['modes']} modes, {self.score['high_quality']:.0f} % high quality")
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
                        "recipe": w.Dropdown(options=list(CHOICES), value=self.choice, description="recipe"),
                        "lr": w.FloatLogSlider(value=lr, base=10, min=-5, max=-2, description="lr"),
                        "n_critic": w.IntSlider(value=self.gan.n_critic, min=1, max=10,
                                                description="n_critic")}
        self.widgets["recipe"].observe(self._defaults, names="value")  # a new recipe: its lr, n_critic
        self.buttons = {"train": w.Button(description="train"), "reset": w.Button(description="reset")}
        self.buttons["train"].on_click(lambda _: self._train_from_widgets())
        self.buttons["reset"].on_click(lambda _: self._train_from_widgets(reset=True))
        display(w.VBox([w.HBox(list(self.widgets.values())[:2]), w.HBox(list(self.widgets.values())[2:]),
                        w.HBox(list(self.buttons.values()))]))

    def _defaults(self, change):
        r = RECIPES[CHOICES[change["new"]]]
        self.widgets["lr"].value, self.widgets["n_critic"].value = r["lr"], r.get("n_critic", 1)

    def _train_from_widgets(self, reset=False):
        """A new mixture or recipe starts a new game; lr and n_critic change the running one."""
        v = {k: x.value for k, x in self.widgets.items()}
        if reset or (v["mixture"], v["recipe"]) != (self.name, self.choice):
            self.reset(v["mixture"], v["recipe"], lr=v["lr"], n_critic=v["n_critic"])
        for opt in (self.gan.opt_G, self.gan.opt_D):
            for group in opt.param_groups:
                group["lr"] = v["lr"]
        self.gan.n_critic = v["n_critic"]
        button = self.buttons.get("train")
        if button is not None:  # the sign that a burst is running
            button.description, button.disabled = "training…", True
        try:
            self.handle.update(self.step(1 if reset else None))
        finally:
            if button is not None:
                button.description, button.disabled = "train", False
