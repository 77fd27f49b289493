"""ganlab.toy2d: the 2-D recipes (unit scale inside the models, He init, packing, lr decay), their score."""

import dataclasses

import pytest
import torch
from torch import nn

import ganlab
from ganlab import nets, steps, toy2d
from ganlab.ema import EMA
from ganlab.loop import train


def test_packed_d_sees_m_consecutive_samples_per_row():
    packs = []
    D = nets.Packed(lambda p: packs.append(p) or p.sum(1), 2)
    assert D(torch.arange(12.0).reshape(6, 2)).shape == (3,)
    torch.testing.assert_close(packs[0], torch.tensor([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]))
    D.each(torch.tensor([[1.0, 2.0]]))  # one point, packed with a copy of itself
    torch.testing.assert_close(packs[1], torch.tensor([[1.0, 2, 1, 2]]))


def test_packing_never_mixes_real_and_fake():
    torch.manual_seed(0)
    recipe = toy2d.RECIPES["NS-GAN + R1 + packing"]
    gan = recipe.build("ring8")
    inputs = []
    gan.D.D.register_forward_pre_hook(lambda m, args: inputs.append(args[0].detach()))
    real = torch.full((8, 2), 100.0)  # G never makes exactly 100 (in the nets' units: 100·√2)
    recipe.step("ring8")(gan, iter([(real, None)]))
    assert len(inputs) == 4  # real, fake, real again for R1, then G's fakes
    for packs in inputs:  # (4, 4): every pack is all real or all fake
        is_real = packs == 100.0
        assert (is_real.all(1) | ~is_real.any(1)).all()
    assert [bool((p == 100.0).all()) for p in inputs] == [True, False, True, False]


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_recipe_models_see_unit_scale_and_answer_in_the_data_units(name):
    torch.manual_seed(0)
    gan = toy2d.RECIPES["NS-GAN + R1"].build(name)
    seen = []
    gan.D[1].register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    x = toy2d.sampler(name)(20000)
    gan.D(x)
    assert ((seen[0].std(0) - 1).abs() < 0.03).all()  # the net inside D sees unit spread
    inner = gan.G.body[:-1]  # G's net, before its Scale layer
    z = torch.randn(5, 2)
    torch.testing.assert_close(gan.G(z), inner(z) * toy2d.SCALE[name])


def test_recipe_r1_weight_is_for_unit_scale_points():
    """‖∇ₓD‖² = ‖∇ᵤD‖²/s² for u = x/s, so the step's γ in the data's units is γ·s²."""
    recipe = toy2d.RECIPES["NS-GAN + R1"]
    for name in ("ring8", "grid25"):
        step = recipe.step(name)
        assert step.func is steps.r1 and step.keywords["gamma"] == pytest.approx(0.1 * toy2d.SCALE[name] ** 2)
    assert toy2d.RECIPES["WGAN-GP (Algorithm 1)"].step("ring8").keywords == {"n_critic": 5, "gp_weight": 10.0}
    assert toy2d.RECIPES["GAN"].step("ring8") is steps.bce


def test_recipe_changes_replace_fields_and_typos_fail():
    recipe = dataclasses.replace(toy2d.RECIPES["WGAN-GP (Algorithm 1)"], lr=1e-3, batch=64)
    assert (recipe.lr, recipe.batch, recipe.n_critic) == (1e-3, 64, 5)
    with pytest.raises(TypeError, match="gp_weigth"):
        toy2d.fit("ring8", "WGAN-GP (toy)", 1, gp_weigth=1.0)


def test_he_init_gives_unit_spread_default_init_a_blob():
    """G(z).std over z at step 0 in unit scale, averaged over x and y; one random net's spread
    varies (0.37–1.06 over 30 seeds), so the claim is about the median of 10 seeds."""
    he, default = [], []
    for seed in range(10):
        for recipe, out in ((toy2d.Recipe(), he), (toy2d.Recipe(he=False), default)):
            torch.manual_seed(seed)
            out.append(recipe.build("ring8").generate(2000).std(0).mean() / toy2d.SCALE["ring8"])
    he, default = torch.stack(he), torch.stack(default)
    assert 0.5 <= he.median() <= 1.5 and (he > 0.3).all(), he
    assert 0.005 <= default.median() <= 0.08 and (default < 0.1).all(), default


def test_lr_decay_is_constant_then_linear_to_zero_from_the_current_step():
    gan = toy2d.Recipe(lr=1e-3).build("ring8")
    decay = toy2d.lr_decay(gan, 100, start=0.5)
    for step, expected in [(10, 1e-3), (50, 1e-3), (75, 5e-4), (100, 0.0)]:
        gan.step = step
        decay(gan, {})
        assert gan.opt_G.param_groups[0]["lr"] == gan.opt_D.param_groups[0]["lr"] == pytest.approx(expected)
    gan = toy2d.Recipe(lr=1e-3).build("ring8")
    gan.step = 40  # a second burst of 100 steps from step 40: constant to 90, then linear to 0 at 140
    decay = toy2d.lr_decay(gan, 100, start=0.5)
    for step, expected in [(90, 1e-3), (115, 5e-4), (140, 0.0)]:
        gan.step = step
        decay(gan, {})
        assert gan.opt_G.param_groups[0]["lr"] == pytest.approx(expected)


def test_score_exact_centres_is_full_coverage_and_a_blob_none():
    centres = ganlab.data.mixture_centers("grid25")
    s = toy2d.score(centres[torch.arange(1000) % 25], "grid25")
    assert (s["covered"], s["high_quality"]) == (25, 100.0)
    assert toy2d.score(torch.full((100, 2), 1.0), "grid25")["covered"] == 0  # between the centres


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_sampler_draws_fresh_points_in_the_data_units(name):
    sample = toy2d.sampler(name)
    a, b = sample(5000), sample(5000)
    assert a.shape == (5000, 2) and not torch.equal(a, b)
    assert ((a.std(0) / toy2d.SCALE[name] - 1).abs() < 0.05).all()


def test_fit_trains_with_ema_and_decay_and_measures_the_start_spread():
    gan, recipe, ema = toy2d.fit("ring8", "NS-GAN + R1 + packing", 20, seed=0, batch=64, hidden=(8,))
    assert gan.step == 20 and ema.updates == 20 and "r1" in gan.history.rows[-1]
    assert isinstance(gan.D, nets.Packed) and recipe.hidden == (8,)
    ganlab.seed_everything(0)
    fresh = recipe.build("ring8")  # the same net at step 0
    assert gan.spread0 == pytest.approx(float(fresh.generate(2500).std(0).mean()))
    assert toy2d.fit("ring8", "GAN", 1, batch=16)[2] is None  # no EMA in the plain GAN recipe
    assert set(toy2d.score(gan.generate(100, G=ema.G), "ring8")) == {"covered", "modes", "high_quality",
                                                                       "counts"}


def test_plain_gan_recipe_is_bce_with_a_relu_d_and_no_penalty():
    gan = toy2d.RECIPES["GAN"].build("ring8")
    assert not any(isinstance(m, nn.LeakyReLU) for m in gan.D.modules())
    assert gan.generate(7).shape == (7, 2)
    train(gan, toy2d.sampler("ring8"), batch_size=16, steps=2, step=toy2d.RECIPES["GAN"].step("ring8"),
          progress=False, callbacks=[EMA(gan.G)])
    assert set(gan.history.rows[-1]) == {"step", "loss_D", "D_real", "D_fake", "loss_G", "seconds"}
