"""The 2-D playground: ganlab.toy2d's recipes, sampler and score, and the widget-free figure."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import ganlab  # noqa: E402
from ganlab import toy2d  # noqa: E402


def test_toy2d_make_gan_wgan_gp_uses_algorithm_1_settings():
    gan = toy2d.classic_gan("WGAN-GP")
    group = gan.opt_D.param_groups[0]
    assert (gan.loss, gan.n_critic, gan.gp_weight) == (ganlab.WGAN, 5, 10.0)
    assert (group["lr"], group["betas"]) == (1e-4, (0.0, 0.9))
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.Sigmoid)) for m in gan.D.modules())
    assert {m.negative_slope for m in gan.D.modules() if isinstance(m, nn.LeakyReLU)} == {0.2}


def test_toy2d_make_gan_gan_uses_bce_and_dcgan_betas():
    gan = toy2d.classic_gan("GAN")
    group = gan.opt_G.param_groups[0]
    assert (gan.loss, gan.n_critic, gan.gp_weight) == (ganlab.BCE, 1, 0.0)
    assert (group["lr"], group["betas"]) == (1e-3, (0.5, 0.999))
    assert list(toy2d.METHODS) == ["GAN", "WGAN-GP", "WGAN-GP (toy)"]


def test_toy2d_make_gan_settings_override_the_defaults_and_typos_fail():
    gan = toy2d.classic_gan("WGAN-GP", lr=1e-3, betas=(0.5, 0.9), gp_weight=0.1)
    group = gan.opt_G.param_groups[0]
    assert (gan.gp_weight, gan.n_critic, group["lr"], group["betas"]) == (0.1, 5, 1e-3, (0.5, 0.9))
    assert toy2d.classic_gan("GAN", lr=None).opt_D.param_groups[0]["lr"] == 1e-3  # None: the default
    with pytest.raises(TypeError, match="gp_weigth"):
        toy2d.classic_gan("WGAN-GP", gp_weigth=1.0)


def test_toy2d_make_gan_samples_are_unsquashed_points():
    gan = toy2d.classic_gan("GAN", hidden=(8,), latent_dim=3)
    assert gan.latent_dim == 3 and gan.fixed_z.shape == (1000, 3)
    points = gan.generate(50)
    assert points.shape == (50, 2)
    assert not any(isinstance(m, (nn.Tanh, nn.Sigmoid)) for m in gan.G.modules())  # no output squashing


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_toy2d_sampler_draws_fresh_mixture_points(name):
    sample = toy2d.sampler(name, unit=False)
    a, b = sample(64), sample(64)
    assert a.shape == (64, 2) and not torch.equal(a, b)


def test_toy2d_score_is_mode_coverage_of_generated_points():
    centers = ganlab.data.mixture_centers("ring8")

    class OnTheCentres(nn.Linear):  # a "generator" that puts 100 points exactly on each centre
        def __init__(self):
            super().__init__(2, 2)

        def forward(self, z):
            return centers[torch.arange(len(z)) % 8]

    result = toy2d.score(OnTheCentres(), "ring8", n=800, unit=False)
    assert (result["covered"], result["modes"], result["high_quality"]) == (8, 8, 100.0)
    assert list(result["counts"]) == [100] * 8


def test_draw_2d_draws_surface_real_and_generated_points():
    from ganlab import plot

    gan = toy2d.classic_gan("WGAN-GP")
    ax = plot.draw_2d(gan, "ring8", n=100, resolution=20)
    assert len(ax.collections) >= 2  # the contour set, then two scatters
    assert [c.get_label() for c in ax.collections[-2:]] == ["real", "generated"]
    assert ax.get_xlim() == (-plot.VIEW_2D["ring8"], plot.VIEW_2D["ring8"])
    assert gan.D.training  # restored after the surface was drawn in eval mode


def test_playground_show_without_front_end_draws_a_static_figure(monkeypatch):
    from ganlab import playground

    shown = []

    class Handle:  # what display(..., display_id=True) returns in a notebook
        def update(self, obj):
            shown.append(obj)

    def display(obj, **kwargs):
        shown.append(obj)
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    ganlab.seed_everything(0)
    lab = playground.Playground(burst=2, batch_size=16)
    lab.show()  # returns: nothing waits for a click
    assert lab.gan.step == 2
    assert isinstance(shown[0], matplotlib.figure.Figure)
    lab._train_from_widgets()  # what a press of "train" does
    assert lab.gan.step == 4 and isinstance(shown[-1], matplotlib.figure.Figure)
