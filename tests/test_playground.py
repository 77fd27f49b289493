"""The 2-D playground: ganlab.toy2d's recipes, sampler and score, and the widget-free figure."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import ganlab  # noqa: E402
from ganlab import toy2d  # noqa: E402


def test_toy2d_recipe_wgan_gp_algorithm_1_uses_the_papers_settings_on_raw_data():
    gan, settings = toy2d.recipe("WGAN-GP (Algorithm 1)")
    group = gan.opt_D.param_groups[0]
    assert (gan.loss, gan.n_critic, gan.gp_weight) == (ganlab.WGAN, 5, 10.0)
    assert (group["lr"], group["betas"]) == (1e-4, (0.0, 0.9))
    assert (settings["unit"], settings["he"]) == (False, False)
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.Sigmoid)) for m in gan.D.modules())
    assert {m.negative_slope for m in gan.D.modules() if isinstance(m, nn.LeakyReLU)} == {0.2}


def test_toy2d_recipe_wgan_gp_toy_uses_gan_toy_settings_in_unit_scale():
    gan, settings = toy2d.recipe("WGAN-GP (toy)")
    group = gan.opt_G.param_groups[0]
    assert (gan.loss, gan.n_critic, gan.gp_weight, group["betas"]) == (ganlab.WGAN, 5, 0.1, (0.5, 0.9))
    assert settings["unit"] and settings.get("he", True)  # make_gan's default: He init


def test_toy2d_recipe_gan_uses_bce_and_dcgan_betas():
    gan, settings = toy2d.recipe("GAN")
    group = gan.opt_G.param_groups[0]
    assert (gan.loss, gan.n_critic, gan.gp_weight, gan.r1_weight) == (ganlab.BCE, 1, 0.0, 0.0)
    assert (group["lr"], group["betas"], settings["unit"]) == (1e-3, (0.5, 0.999), False)
    assert list(toy2d.RECIPES) == ["GAN", "WGAN-GP (Algorithm 1)", "WGAN-GP (toy)", "NS-GAN + R1",
                                   "NS-GAN + R1 + packing"]


def test_toy2d_recipe_settings_override_the_defaults_and_typos_fail():
    gan, settings = toy2d.recipe("WGAN-GP (Algorithm 1)", lr=1e-3, betas=(0.5, 0.9), gp_weight=0.1, batch=64)
    group = gan.opt_G.param_groups[0]
    assert (gan.gp_weight, gan.n_critic, group["lr"], group["betas"]) == (0.1, 5, 1e-3, (0.5, 0.9))
    assert settings["batch"] == 64
    assert toy2d.recipe("GAN", lr=None)[0].opt_D.param_groups[0]["lr"] == 1e-3  # None: the default
    with pytest.raises(TypeError, match="gp_weigth"):
        toy2d.recipe("WGAN-GP (toy)", gp_weigth=1.0)


def test_toy2d_fit_trains_the_recipe_and_measures_the_start_spread():
    gan, settings, ema = toy2d.fit("ring8", "NS-GAN + R1", 3, seed=0, batch=16, hidden=(8,))
    assert gan.step == 3 and ema.updates == 3 and settings["batch"] == 16
    ganlab.seed_everything(0)
    fresh, _ = toy2d.recipe("NS-GAN + R1", hidden=(8,))  # the same net at step 0, in unit scale
    spread = float(fresh.generate(2500).std(0).mean()) * toy2d.SCALE["ring8"]
    assert settings["spread0"] == pytest.approx(spread)
    assert toy2d.fit("ring8", "GAN", 1, batch=16)[2] is None  # no EMA in the plain GAN recipe


def test_toy2d_make_gan_samples_are_unsquashed_points():
    gan, _ = toy2d.recipe("GAN", hidden=(8,), latent_dim=3)
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

    gan, _ = toy2d.recipe("WGAN-GP (Algorithm 1)")
    ax = plot.draw_2d(gan, "ring8", n=100, resolution=20)
    assert len(ax.collections) >= 2  # the contour set, then two scatters
    assert [c.get_label() for c in ax.collections[-2:]] == ["real", "generated"]
    assert ax.get_xlim() == (-plot.VIEW_2D["ring8"], plot.VIEW_2D["ring8"])
    assert gan.D.training  # restored after the surface was drawn in eval mode


def test_draw_2d_scales_samples_and_packs_each_point_with_itself():
    from ganlab import plot

    gan, _ = toy2d.recipe("NS-GAN + R1 + packing")
    seen = []
    gan.D.D.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    gan.G = nn.Sequential(nn.Linear(2, 2))
    with torch.no_grad():
        gan.G[0].weight.zero_()
        gan.G[0].bias.fill_(1.0)  # every sample at (1, 1) in unit scale
    ax = plot.draw_2d(gan, "grid25", n=10, resolution=4, scale=2.0)
    (packs,) = seen
    assert packs.shape == (16, 4) and torch.equal(packs[:, :2], packs[:, 2:])
    assert packs.abs().max() == pytest.approx(plot.VIEW_2D["grid25"] / 2.0)  # the grid, in unit scale
    assert (ax.collections[-1].get_offsets() == 2.0).all()  # samples drawn in original units


def fake_display(monkeypatch):
    """What display(..., display_id=True) does in a notebook, recorded."""
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj)

    def display(obj, **kwargs):
        shown.append(obj)
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    return shown


def test_playground_show_without_front_end_draws_a_static_figure(monkeypatch):
    from ganlab import playground

    shown = fake_display(monkeypatch)
    ganlab.seed_everything(0)
    lab = playground.Playground(burst=2, batch_size=16)
    lab.show()  # returns: nothing waits for a click
    assert lab.gan.step == 2
    assert isinstance(shown[0], matplotlib.figure.Figure)
    score = lab.score
    assert f"{score['covered']}/8 modes, {score['high_quality']:.0f} % high quality" in \
        shown[0].axes[0].get_title()  # the live score in the title
    lab._train_from_widgets()  # what a press of "train" does
    assert lab.gan.step == 4 and isinstance(shown[-1], matplotlib.figure.Figure)


def test_playground_burst_decays_lr_then_restores_it():
    from ganlab import playground

    lab = playground.Playground(burst=4, batch_size=16)
    lab.reset("ring8", "R1", lr=1e-3)
    seen = []
    lab.gan.opt_G.register_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    lab.step()
    assert seen == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4])  # set after each step: 1, 1, ½ (0 after the last)
    assert lab.gan.opt_G.param_groups[0]["lr"] == lab.gan.opt_D.param_groups[0]["lr"] == 1e-3  # restored


@pytest.mark.parametrize("choice, loss, packed, unit", [("GAN", ganlab.BCE, False, False),
                                                       ("WGAN-GP", ganlab.WGAN, False, True),
                                                       ("R1", ganlab.BCE, False, True),
                                                       ("packing", ganlab.BCE, True, True)])
def test_playground_recipe_choice_builds_that_recipe(choice, loss, packed, unit):
    from ganlab import playground

    lab = playground.Playground(burst=1, batch_size=16)
    lab.reset("grid25", choice)
    assert (lab.gan.loss, isinstance(lab.gan.D, toy2d.Packed), lab.settings["unit"]) == (loss, packed, unit)
    assert (lab.gan.r1_weight > 0) == (choice in ("R1", "packing"))
    assert lab.gan.n_critic == (5 if choice == "WGAN-GP" else 1)
    lab.step()  # trains and draws on its own scale
    assert lab.gan.step == 1 and lab.score["modes"] == 25


def test_playground_train_button_shows_a_burst_is_running(monkeypatch):
    from ganlab import playground

    fake_display(monkeypatch)
    lab = playground.Playground(burst=1, batch_size=16)
    lab.show()
    during, step = [], lab.step
    monkeypatch.setattr(lab, "step", lambda steps=None: during.append(
        (lab.buttons["train"].description, lab.buttons["train"].disabled)) or step(steps))
    lab.widgets["recipe"].value = "WGAN-GP"  # its defaults move the sliders
    assert (lab.widgets["lr"].value, lab.widgets["n_critic"].value) == (pytest.approx(2e-3), 5)
    lab._train_from_widgets()
    assert during == [("training…", True)]
    assert (lab.buttons["train"].description, lab.buttons["train"].disabled) == ("train", False)
    assert lab.choice == "WGAN-GP" and lab.gan.n_critic == 5
