"""ganlab.cyclegan: the nets' shapes and the PatchGAN's patch, the step against a hand computation
of the paper's losses, unpaired batches, and a CycleGAN trained end to end by ganlab.train."""

import functools
import math

import pytest
import torch
from torch import nn

import ganlab
from ganlab import cyclegan

SHAPE = (3, 16, 16)


def tiny_cyclegan(*, seed=0, n_fixed=4):
    torch.manual_seed(seed)
    G = cyclegan.Generators(cyclegan.generator(width=4, blocks=1),
                            cyclegan.generator(width=4, blocks=1), SHAPE)
    D = nn.ModuleDict({"a": cyclegan.patch_discriminator(width=4),
                       "b": cyclegan.patch_discriminator(width=4)})
    fixed = torch.rand(n_fixed, *SHAPE) * 2 - 1
    return ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=math.prod(SHAPE),
                      fixed_z=fixed.flatten(1))


def domains(n=24, seed=0):
    """A: dark images, B: bright images, both in [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    return -0.5 + 0.3 * torch.rand(n, *SHAPE, generator=g), 0.5 + 0.3 * torch.rand(n, *SHAPE, generator=g)


def test_generator_keeps_the_shape_and_the_range():
    G = cyclegan.generator(width=4, blocks=2)
    x = torch.rand(5, *SHAPE) * 2 - 1
    y = G(x)
    assert y.shape == x.shape and y.abs().max() <= 1


def test_residual_block_starts_from_the_identity_when_its_body_is_zero():
    block = cyclegan.Residual(4)
    nn.init.zeros_(block.body[3].weight), nn.init.zeros_(block.body[3].bias)
    x = torch.randn(2, 4, 8, 8)
    assert torch.equal(block(x), x)


def test_patch_discriminator_scores_each_18x18_patch():
    D = cyclegan.patch_discriminator(width=4)
    # Instance norm mixes in each channel's image-wide mean and spread; the window of pixels a
    # score reads through its convolutions is what "patch" means, so look with the norm removed.
    D[3] = nn.Identity()
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    scores = D(x)
    assert scores.shape == (1, 1, 8, 8)  # a map of scores, one per patch
    scores[0, 0, 4, 4].backward()  # which pixels does one score read?
    rows, cols = torch.nonzero(x.grad.abs().sum(1)[0], as_tuple=True)
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (18, 18)


def test_generators_are_G_on_images_and_on_flat_rows_and_hold_F():
    gan = tiny_cyclegan()
    a = torch.rand(3, *SHAPE) * 2 - 1
    with torch.no_grad():
        assert torch.equal(gan.G(a), gan.G.ab(a)) and torch.equal(gan.G(a.flatten(1)), gan.G.ab(a))
        assert not torch.equal(gan.G.ba(a), gan.G.ab(a))
    assert torch.equal(gan.generate(z=gan.fixed_z), gan.generate(z=gan.fixed_z.view(-1, *SHAPE)))


def test_unpaired_draws_each_domain_on_its_own():
    a, b = torch.arange(10.0), 100 + torch.arange(50.0)
    torch.manual_seed(0)
    batch_a, batch_b = cyclegan.unpaired(a, b)(2000)
    assert batch_a.shape == batch_b.shape == (2000,)
    assert set(batch_a.tolist()) == set(a.tolist()) and set(batch_b.tolist()) == set(b.tolist())
    assert not torch.equal(batch_b - 100, batch_a)  # not the same indices


def test_lsq_is_the_mean_square_distance_to_the_target():
    assert cyclegan.lsq(torch.tensor([0.0, 2.0]), 1) == 1.0


def hand_step(gan, a, b, cycle, identity):
    """The paper's losses written out in full, for one step."""
    G, F, D_A, D_B = gan.G.ab, gan.G.ba, gan.D["a"], gan.D["b"]
    l1 = lambda x, y: (x - y).abs().mean()
    fake_b, fake_a = G(a), F(b)
    adv = ((D_B(fake_b) - 1) ** 2).mean() + ((D_A(fake_a) - 1) ** 2).mean()
    cyc = l1(F(fake_b), a) + l1(G(fake_a), b)
    idt = l1(G(b), b) + l1(F(a), a)
    gan.opt_G.zero_grad()
    (adv + cycle * cyc + identity * idt).backward()
    gan.opt_G.step()
    loss_D = 0.5 * (((D_B(b) - 1) ** 2).mean() + (D_B(fake_b.detach()) ** 2).mean()
                    + ((D_A(a) - 1) ** 2).mean() + (D_A(fake_a.detach()) ** 2).mean())
    gan.opt_D.zero_grad()
    loss_D.backward()
    gan.opt_D.step()
    return {"loss_D": loss_D, "loss_G": adv, "cycle": cyc, "identity": idt}


@pytest.mark.parametrize("cycle,identity", [(10.0, 5.0), (0.0, 5.0), (10.0, 0.0)])
def test_step_matches_the_papers_losses_weight_for_weight(cycle, identity):
    a, b = domains(8)
    ours, theirs = tiny_cyclegan(), tiny_cyclegan()
    stats = cyclegan.step(ours, iter([(a, b)]), cycle=cycle, identity=identity)
    expected = hand_step(theirs, a, b, cycle, identity)
    for name in ("loss_D", "loss_G"):
        assert torch.allclose(stats[name], expected[name])
    for name, weight in (("cycle", cycle), ("identity", identity)):  # a term weighted 0 is skipped: 0
        assert torch.allclose(stats[name], expected[name] if weight else torch.zeros(()))
    for net in ("G", "D"):
        for p, q in zip(getattr(ours, net).parameters(), getattr(theirs, net).parameters()):
            assert torch.allclose(p, q, atol=1e-6)


def test_step_moves_all_four_networks():
    gan = tiny_cyclegan()
    before = {k: v.clone() for k, v in gan.G.state_dict().items() | gan.D.state_dict().items()}
    cyclegan.step(gan, iter([domains(8)]))
    after = gan.G.state_dict() | gan.D.state_dict()
    for part in ("ab.0.weight", "ba.0.weight", "a.0.weight", "b.0.weight"):
        assert not torch.equal(before[part], after[part]), part


def test_trained_by_ganlab_train_the_cycle_error_falls_and_snapshots_are_translations():
    gan = tiny_cyclegan(seed=1)
    a, b = domains(64)
    start = [cyclegan.step(tiny_cyclegan(seed=1), iter([(a[:16], b[:16])]))["cycle"]]
    history = ganlab.train(gan, cyclegan.unpaired(a, b), step=functools.partial(cyclegan.step), steps=60,
                           batch_size=16, snapshot_every=30, progress=False)
    frame = history.frame
    assert list(frame.columns[:5]) == ["step", "loss_D", "loss_G", "cycle", "identity"]
    assert frame["cycle"].iloc[-10:].mean() < 0.5 * float(start[0])
    step, images = history.snapshots[-1]
    assert step == 60 and images.shape == (4, *SHAPE)


def test_step_runs_with_no_tensor_made_off_the_models_device():
    gan = tiny_cyclegan()
    a, b = domains(16)
    previous = torch.get_default_device()
    torch.set_default_device("meta")  # a tensor made without device= would land here and fail
    try:
        ganlab.train(gan, cyclegan.unpaired(a, b), step=cyclegan.step, steps=2, batch_size=4,
                     snapshot_every=1, progress=False)
    finally:
        torch.set_default_device(previous)
    assert gan.step == 2 and all(torch.isfinite(p).all() for p in gan.G.parameters())


def test_generator_from_identity_starts_as_the_identity_map_and_stays_in_range():
    G = cyclegan.generator(width=4, blocks=1, from_identity=True)
    x = torch.rand(3, *SHAPE) * 1.9 - 0.95
    assert torch.allclose(G(x), x, atol=1e-5)  # Δ's last conv starts at zero: G(x) = tanh(atanh(x)) = x
    with torch.no_grad():
        G.change[-1].weight.normal_()  # once Δ has learned something, the output still lies in [-1, 1]
    y = G(x * 1.05)
    assert y.shape == x.shape and not torch.allclose(y, x * 1.05, atol=1e-3) and y.abs().max() <= 1
