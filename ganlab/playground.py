"""A 2-D GAN playground: pick a mixture, a recipe, the learning rate, n_critic and the penalty
weight, press train, and watch the samples and the critic's surface move. Widgets only: the
recipes are ``ganlab.toy2d``'s, the drawing is ``ganlab.plot.draw_2d``. ``Playground().show()``
draws one short burst as an ordinary figure, then the controls; each press of "train" runs
another burst and redraws that figure in place. Without a front end (nbval, nbconvert) no button
is ever pressed: the cell keeps its static figure and never waits."""

import dataclasses

import matplotlib.pyplot as plt

from .loop import train
from .plot import VIEW_2D, draw_2d
from .toy2d import RECIPES, lr_decay, sampler, score

CHOICES = {"WGAN-GP": "WGAN-GP (toy)", "GAN": "GAN", "R1": "NS-GAN + R1",  # button -> toy2d.RECIPES
           "packing": "NS-GAN + R1 + packing"}


class Playground:
    """Controls + one figure. ``burst``: G steps per press of "train"."""

    def __init__(self, *, burst=300, batch_size=None):
        self.burst, self.batch_size = burst, batch_size
        self.gan, self.handle, self.widgets, self.buttons = None, None, {}, {}

    def reset(self, name="ring8", choice="WGAN-GP", **changes):
        """A new game: mixture ``name``, recipe ``choice``, with ``changes`` (lr=, n_critic=, gp_weight=)."""
        self.name, self.choice = name, choice
        changes = {k: v for k, v in {**changes, "batch": self.batch_size}.items() if v is not None}
        self.recipe = dataclasses.replace(RECIPES[CHOICES[choice]], **changes)
        self.gan = self.recipe.build(name)

    def step(self, steps=None):
        """Train one burst (lr from the recipe, decayed to 0 over its second half) and redraw."""
        steps = steps or self.burst
        for opt in (self.gan.opt_G, self.gan.opt_D):
            for group in opt.param_groups:
                group["lr"] = self.recipe.lr
        train(self.gan, sampler(self.name), step=self.recipe.step(self.name), batch_size=self.recipe.batch,
              steps=self.gan.step + steps, progress=False, callbacks=[lr_decay(self.gan, steps)])
        self.score = score(self.gan.generate(2500), self.name)
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        draw_2d(self.gan, self.name, ax=ax,
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
        r = self.recipe
        self.widgets = {"mixture": w.Dropdown(options=list(VIEW_2D), value=self.name, description="mixture"),
                        "recipe": w.Dropdown(options=list(CHOICES), value=self.choice, description="recipe"),
                        "lr": w.FloatLogSlider(value=r.lr, base=10, min=-5, max=-2, description="lr"),
                        "n_critic": w.IntSlider(value=r.n_critic, min=1, max=10, description="n_critic"),
                        "gp_weight": w.FloatLogSlider(value=max(r.gp_weight, 1e-3), base=10, min=-3, max=2,
                                                      description="λ (WGAN-GP)")}
        self.widgets["recipe"].observe(self._defaults, names="value")  # a new recipe: its settings
        self.buttons = {"train": w.Button(description="train"), "reset": w.Button(description="reset")}
        self.buttons["train"].on_click(lambda _: self._train_from_widgets())
        self.buttons["reset"].on_click(lambda _: self._train_from_widgets(reset=True))
        rows = [list(self.widgets.values())[:2], list(self.widgets.values())[2:], list(self.buttons.values())]
        display(w.VBox([w.HBox(row) for row in rows]))

    def _defaults(self, change):
        r = RECIPES[CHOICES[change["new"]]]
        self.widgets["lr"].value, self.widgets["n_critic"].value = r.lr, r.n_critic
        self.widgets["gp_weight"].value = max(r.gp_weight, 1e-3)

    def _train_from_widgets(self, reset=False):
        """A new mixture or recipe starts a new game; lr, n_critic and λ change the running one."""
        v = {k: x.value for k, x in self.widgets.items()}
        settings = {"lr": v["lr"], "n_critic": v["n_critic"]}
        if RECIPES[CHOICES[v["recipe"]]].gp_weight:  # only a WGAN-GP recipe has a λ to change
            settings["gp_weight"] = v["gp_weight"]
        if reset or (v["mixture"], v["recipe"]) != (self.name, self.choice):
            self.reset(v["mixture"], v["recipe"], **settings)
        else:
            self.recipe = dataclasses.replace(self.recipe, **settings)
        button = self.buttons.get("train")
        if button is not None:  # the sign that a burst is running
            button.description, button.disabled = "training…", True
        try:
            self.handle.update(self.step(1 if reset else None))
        finally:
            if button is not None:
                button.description, button.disabled = "train", False
