"""The 2-D playground and the picture it draws: widgets on ganlab.toy2d's recipes, no front end needed."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

import ganlab  # noqa: E402
from ganlab import nets, steps, toy2d  # noqa: E402


def test_draw_2d_draws_surface_real_and_generated_points():
    from ganlab import plot

    gan = toy2d.RECIPES["WGAN-GP (Algorithm 1)"].build("ring8")
    ax = plot.draw_2d(gan, "ring8", n=100, resolution=20)
    assert len(ax.collections) >= 2  # the contour set, then two scatters
    assert [c.get_label() for c in ax.collections[-2:]] == ["real", "generated"]
    assert ax.get_xlim() == (-plot.VIEW_2D["ring8"], plot.VIEW_2D["ring8"])
    assert gan.D.training  # restored after the surface was drawn in eval mode


def test_draw_2d_packs_each_point_with_itself_and_draws_samples_in_data_units():
    from ganlab import plot

    gan = toy2d.RECIPES["NS-GAN + R1 + packing"].build("grid25")
    seen = []
    gan.D.D.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    with torch.no_grad():
        gan.G.body[0][-1].weight.zero_()
        gan.G.body[0][-1].bias.fill_(1.0)  # every sample at (1, 1) in unit scale: 2√2 in the data's
    ax = plot.draw_2d(gan, "grid25", n=10, resolution=4)
    (packs,) = seen
    assert packs.shape == (16, 4) and torch.equal(packs[:, :2], packs[:, 2:])
    assert packs.abs().max() == pytest.approx(plot.VIEW_2D["grid25"])  # the grid, in the data's units
    drawn = torch.as_tensor(ax.collections[-1].get_offsets())
    assert torch.allclose(drawn, torch.tensor(toy2d.SCALE["grid25"], dtype=drawn.dtype))


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


def test_playground_each_burst_starts_at_the_recipe_lr_and_decays_it():
    from ganlab import playground

    lab = playground.Playground(burst=4, batch_size=16)
    lab.reset("ring8", "R1", lr=1e-3)
    seen = []
    lab.gan.opt_G.register_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    lab.step()
    lab.step()
    # set after each step: 1, 1, ½, 0; the next burst starts again at the recipe's lr
    assert seen == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4] * 2)
    assert lab.gan.opt_G.param_groups[0]["lr"] == lab.gan.opt_D.param_groups[0]["lr"] == 0.0


@pytest.mark.parametrize("choice, step, packed", [("GAN", steps.bce, False),
                                                  ("WGAN-GP", steps.wgan_gp, False),
                                                  ("R1", steps.r1, False), ("packing", steps.r1, True)])
def test_playground_recipe_choice_builds_that_recipe(choice, step, packed):
    from ganlab import playground

    lab = playground.Playground(burst=1, batch_size=16)
    lab.reset("grid25", choice)
    assert getattr(lab.recipe.step("grid25"), "func", lab.recipe.step("grid25")) is step
    assert isinstance(lab.gan.D, nets.Packed) == packed
    lab.step()  # trains and draws
    assert lab.gan.step == 1 and lab.score["modes"] == 25


def test_playground_train_button_shows_a_burst_is_running(monkeypatch):
    from ganlab import playground

    fake_display(monkeypatch)
    lab = playground.Playground(burst=1, batch_size=16)
    lab.show()
    during, step = [], lab.step
    monkeypatch.setattr(lab, "step", lambda steps=None: during.append(
        (lab.buttons["train"].description, lab.buttons["train"].disabled)) or step(steps))
    lab.widgets["recipe"].value = "R1"  # its defaults move the sliders
    assert (lab.widgets["lr"].value, lab.widgets["n_critic"].value) == (pytest.approx(5e-4), 1)
    lab.widgets["recipe"].value = "WGAN-GP"
    assert (lab.widgets["lr"].value, lab.widgets["n_critic"].value) == (pytest.approx(2e-3), 5)
    lab.widgets["gp_weight"].value = 1.0  # the λ slider
    lab._train_from_widgets()
    assert during == [("training…", True)]
    assert (lab.buttons["train"].description, lab.buttons["train"].disabled) == ("train", False)
    assert lab.choice == "WGAN-GP" and (lab.recipe.n_critic, lab.recipe.gp_weight) == (5, 1.0)
