import pytest
import torch
from torch import nn

import ganlab
from ganlab import dcgan
from ganlab.models import count_params

CASES = [(28, 1), (64, 3)]


@pytest.mark.parametrize("size,channels", CASES)
def test_dcgan_generator_shapes_and_tanh_range(size, channels):
    torch.manual_seed(0)
    G = dcgan.dcgan_generator(100, size=size, channels=channels, width=8)
    fake = G(torch.randn(5, 100))
    assert fake.shape == (5, channels, size, size)
    assert fake.abs().max() <= 1  # tanh output


@pytest.mark.parametrize("size,sides", [(28, [7, 14, 28]), (64, [4, 8, 16, 32, 64])])
def test_dcgan_generator_doubles_the_side_each_block(size, sides):
    G = dcgan.dcgan_generator(10, size=size, channels=3, width=4)
    x, seen = torch.randn(2, 10), []
    for layer in G:
        x = layer(x)
        if isinstance(layer, nn.Sequential) or isinstance(layer, nn.ConvTranspose2d):
            seen.append(x.shape[-1])
    assert seen == sides


@pytest.mark.parametrize("size,channels", CASES)
def test_dcgan_discriminator_returns_raw_scores(size, channels):
    torch.manual_seed(0)
    D = dcgan.dcgan_discriminator(size=size, channels=channels, width=8)
    scores = D(torch.randn(16, channels, size, size))
    assert scores.shape == (16,)
    assert (scores < 0).any() and (scores > 0).any()  # a sigmoid could never give both signs
    assert not any(isinstance(m, nn.Sigmoid) for m in D.modules())


def test_dcgan_follows_the_paper_rules():
    G = dcgan.dcgan_generator(100, size=64, channels=3, width=8)
    D = dcgan.dcgan_discriminator(size=64, channels=3, width=8)
    kinds = {type(m) for m in [*G.modules(), *D.modules()]}
    assert not kinds & {nn.MaxPool2d, nn.AvgPool2d, nn.Linear}  # strided convs only, no FC layers
    assert isinstance(G[-1], nn.Tanh) and not isinstance(G[-2], nn.BatchNorm2d)  # no BN on G's output
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D[0])  # no BN on D's input layer
    assert {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)} == {0.2}
    assert any(isinstance(m, nn.ReLU) for m in G.modules())


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    G = dcgan.dcgan_generator(100, size=64, channels=3, width=32)
    weights = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    scales = torch.cat([m.weight for m in G.modules() if isinstance(m, nn.BatchNorm2d)])
    assert weights.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert weights.std().item() == pytest.approx(0.02, rel=0.01)
    assert scales.mean().item() == pytest.approx(1.0, abs=0.01)


def test_dcgan_param_counts_match_closed_form():
    w, z = 8, 100
    G = dcgan.dcgan_generator(z, size=28, channels=1, width=w)
    D = dcgan.dcgan_discriminator(size=28, channels=1, width=w)
    # G: ConvT(z, 2w, 7) + BN(2w), ConvT(2w, w, 4) + BN(w), ConvT(w, 1, 4) with bias
    assert count_params(G) == z * 2 * w * 49 + 4 * w + 2 * w * w * 16 + 2 * w + w * 16 + 1
    # D: Conv(1, w, 4) with bias, Conv(w, 2w, 4) + BN(2w), Conv(2w, 1, 7) with bias
    assert count_params(D) == 16 * w + w + w * 2 * w * 16 + 4 * w + 2 * w * 49 + 1
    big = dcgan.dcgan_generator(100, size=64, channels=3, width=64)
    assert 3.0e6 < count_params(big) < 4.0e6  # the paper's 64×64 generator: about 3.6 M


def test_dcgan_critic_without_norm_scores_each_sample_alone():
    torch.manual_seed(0)
    D = dcgan.dcgan_discriminator(size=28, channels=1, width=8, norm=None).train()
    x = torch.randn(4, 1, 28, 28)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    torch.testing.assert_close(D(x)[:1], D(x[:1]))  # what a gradient penalty needs


def test_dcgan_adam_uses_paper_settings():
    opt = dcgan.adam(nn.Linear(2, 2))
    assert opt.defaults["lr"] == 2e-4 and opt.defaults["betas"] == (0.5, 0.999)


def test_dcgan_rejects_other_sizes():
    with pytest.raises(ValueError, match="size"):
        dcgan.dcgan_generator(100, size=32)


def test_dcgan_trains_end_to_end_a_few_steps():
    ganlab.seed_everything(0)
    G = dcgan.dcgan_generator(16, size=28, channels=1, width=4)
    D = dcgan.dcgan_discriminator(size=28, channels=1, width=4)
    gan = ganlab.GAN(G, D, dcgan.adam(G), dcgan.adam(D), latent_dim=16)
    before = [p.clone() for p in G.parameters()]
    history = ganlab.train(gan, torch.rand(64, 1, 28, 28) * 2 - 1, batch_size=16, steps=3, progress=False)
    assert len(history) == 3 and history.frame[["loss_D", "loss_G"]].notna().all().all()
    assert all(not torch.equal(a, b) for a, b in zip(before, G.parameters()))
