"""Device bugs caught without a GPU: every model family trains, generates and is scored while
torch's *default* device is "meta", a device with no data, so any tensor made without
``device=`` (``torch.randn(n, d)`` instead of ``torch.randn(n, d, device=...)``) lands there
and meets the models' CPU tensors in an error. On a CUDA machine the same mistake is a
device-mismatch error; here it is caught on a CPU.
"""

import functools

import pytest
import torch
from torch.utils.data import TensorDataset

import ganlab
from ganlab import anomaly, metrics, nets, sagan, steps, toy2d
from ganlab.ema import EMA


@pytest.fixture
def elsewhere():
    """Build inside the test as usual (on the CPU); train, generate and score under ``meta``."""
    previous = torch.get_default_device()
    yield lambda: torch.set_default_device("meta")
    torch.set_default_device(previous)


def images(n, shape=(1, 28, 28), labels=None):
    x = torch.rand(n, *shape) * 2 - 1
    return TensorDataset(x) if labels is None else TensorDataset(x, labels)


def run(gan, data, step, elsewhere, *, steps_=3, batch_size=8):
    ema = EMA(gan.G, 0.9)
    elsewhere()
    ganlab.train(gan, data, step=step, batch_size=batch_size, steps=steps_, snapshot_every=1,
                 callbacks=[ema], progress=False)
    fake = gan.generate(4, labels=gan.fixed_labels[:4] if gan.fixed_labels is not None else None)
    gan.generate(4, G=ema.G, labels=gan.fixed_labels[:4] if gan.fixed_labels is not None else None)
    assert fake.device.type == "cpu" and torch.isfinite(fake).all()
    return fake


def conv_gan(**kw):
    G = nets.conv_generator(8, size=28, channels=1, width=4, **{k: v for k, v in kw.items() if k != "norm"})
    D = nets.conv_discriminator(size=28, channels=1, width=4, **kw)
    return G, D


FAMILIES = {
    "mlp bce": lambda: (nets.mlp_generator(8, (16,), (1, 28, 28)),
                        nets.mlp_discriminator((1, 28, 28), (16,)), steps.bce, None),
    "dcgan r1": lambda: (*conv_gan(), functools.partial(steps.r1, every=2), None),
    "dcgan hinge": lambda: (*conv_gan(), steps.hinge, None),
    "wgan-gp": lambda: (*conv_gan(norm=nets.map_layer_norm), functools.partial(steps.wgan_gp, n_critic=2),
                        None),
    "conditional conv": lambda: (*conv_gan(num_labels=10), steps.conditional, torch.arange(16) % 10),
    "sagan": lambda: (sagan.sagan_generator(8, width=4), sagan.sagan_discriminator(width=4), steps.hinge,
                      None),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_family_trains_generates_and_scores_with_a_foreign_default_device(family, elsewhere):
    torch.manual_seed(0)
    G, D, step, labels = FAMILIES[family]()
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=8,
                     fixed_labels=None if labels is None else labels[:8], n_fixed=8)
    run(gan, images(16, labels=labels), step, elsewhere)


def test_toy2d_recipes_train_and_score_with_a_foreign_default_device(elsewhere):
    gans = {name: recipe.build("ring8") for name, recipe in toy2d.RECIPES.items()}
    elsewhere()
    for name, gan in gans.items():
        recipe = toy2d.RECIPES[name]
        ganlab.train(gan, toy2d.sampler("ring8"), step=recipe.step("ring8"), batch_size=16, steps=2,
                     callbacks=[toy2d.lr_decay(gan, 2)], progress=False)
        assert toy2d.score(gan.generate(50), "ring8")["modes"] == 8


def test_bigan_and_anomaly_scores_with_a_foreign_default_device(elsewhere):
    torch.manual_seed(0)
    G, E = nets.conv_generator(8, size=28, channels=1, width=4), anomaly.conv_encoder(8, width=4)
    D = anomaly.JointDiscriminator(8, width=4, hidden=16)
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=8, E=E, opt_E=ganlab.adam(E))
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    D_img, data = nets.conv_discriminator(size=28, channels=1, width=4), images(16)
    elsewhere()
    ganlab.train(gan, data, step=anomaly.bigan_step, batch_size=8, steps=2, progress=False)
    scores = [anomaly.efficient_gan(G, E, D, x).score,
              anomaly.anogan(G, D_img, x, latent_dim=8, steps=2).score,
              anomaly.nn_distance(x, x[:3]), anomaly.pca_error(x, *anomaly.pca_fit(x, 2))]
    is_anomaly = torch.tensor([True, False] * 3, device="cpu")
    assert all(s.shape == (6,) for s in scores)
    assert 0 <= anomaly.roc_auc(scores[0], is_anomaly) <= 1
    assert len(anomaly.roc_curve(scores[0], is_anomaly)[0]) > 1


def test_judge_metrics_with_a_foreign_default_device(elsewhere, mnist_judge, face_judge):
    digits, faces = torch.rand(40, 1, 28, 28) * 2 - 1, torch.rand(40, 3, 32, 32) * 2 - 1
    elsewhere()
    assert set(metrics.quality(digits[:20], digits[20:], mnist_judge)) >= {"precision", "recall", "fid"}
    assert metrics.digit_coverage(digits, mnist_judge)["histogram"].sum() == 40
    assert len(metrics.attribute_rates(faces, face_judge)) == len(face_judge.attributes)


def test_checkpoint_round_trip_with_a_foreign_default_device(elsewhere, tmp_path, make_toy_gan):
    gan, other = make_toy_gan(seed=1), make_toy_gan(seed=2)
    elsewhere()
    ganlab.train(gan, ganlab.data.pattern1010, batch_size=8, steps=3, checkpoint=tmp_path / "c.pt",
                 progress=False)
    assert ganlab.load_checkpoint(other, tmp_path / "c.pt") and other.step == 3


def test_the_check_catches_a_tensor_made_without_device(elsewhere):
    """The planted mistake: a step that draws z with torch.randn(n, d), no device=."""
    def careless(gan, batches):
        real, _ = next(batches)
        z = torch.randn(len(real), gan.latent_dim)  # the bug: on the default device, not gan.device
        fake = gan.G(z).detach()
        loss_D = ganlab.BCE.d(gan.D(real), gan.D(fake))
        steps.update(loss_D, gan.opt_D)
        return {"loss_D": loss_D}

    G, D = nets.mlp_generator(8, (16,), (1, 28, 28)), nets.mlp_discriminator((1, 28, 28), (16,))
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=8)
    with pytest.raises((RuntimeError, NotImplementedError), match="meta|device"):
        run(gan, images(16), careless, elsewhere)
