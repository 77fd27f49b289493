"""What a learner gets wrong, and the sentence each mistake gets instead of a traceback.

Tables, one row per mistake, grouped by kind: data, budgets, models, samples and metrics,
paths and checkpoints, environment variables, loaders. A row is ``row(id, mistake, error,
words)``: ``mistake(tmp)`` (``tmp`` a fresh folder) must raise ``error`` (or warn, for a
Warning) with a message matching ``words``, the part that says what to do. Rows marked
``missing=`` are checks still to be written in a module outside this issue's files: strict
xfails, which fail as soon as the check exists (then drop the mark). Mistakes whose fix must
also leave things as they were (a model untouched, no half-built cache) are tests of their own.
"""

import math
import os
import pickle
import re
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

import ganlab
from ganlab import anomaly, device, guard, judges, losses, manifold, metrics, plot, steps
from ganlab.data import FACE_ATTRIBUTES, celeba, faces, gaussian_mixture, pattern1010, synthetic_faces
from ganlab.data.celeba_files import write_fake_celeba
from ganlab.data.mnist_files import FILES, mnist, write_idx
from ganlab.ema import EMA
from ganlab.nets import mlp, mlp_discriminator, mlp_generator


def row(id, mistake, error, words, *, missing=None):
    """One mistake: ``mistake(tmp)`` raises ``error`` (or warns) saying ``words`` (a regex)."""
    marks = [pytest.mark.xfail(strict=True, reason=f"missing: {missing}")] if missing else []
    return pytest.param(mistake, error, words, id=id, marks=marks)


def says(mistake, error, words, tmp):
    """Make the mistake; return the message, once its type and words are checked."""
    if issubclass(error, Warning):
        with pytest.warns(error) as record:
            mistake(tmp)
        message = str(record[0].message)
    else:
        with pytest.raises(error) as info:
            mistake(tmp)
        message = str(info.value)
    assert re.search(words, message, re.S), f"the message does not say {words!r}:\n{message}"
    assert "Traceback" not in message
    return message


def toy_gan(*, seed=0, lr=0.05, opt=torch.optim.Adam, act=nn.Sigmoid, width=3, **kwargs):
    """The 1010-pattern GAN of notebook 01 (tests/conftest.py's toy_gan, on ganlab.nets)."""
    ganlab.seed_everything(seed)
    G = mlp(1, width, 4, act=act, out=nn.Sigmoid)
    D = nn.Sequential(mlp(4, width, 1, act=act), nn.Flatten(0))
    return ganlab.GAN(G, D, opt(G.parameters(), lr=lr), opt(D.parameters(), lr=lr), latent_dim=1,
                      noise=torch.rand, **kwargs)


def exploding_gan():
    """SGD at lr 1e12 with LeakyReLU: NaN at step 2. (With the toy's sigmoids the
    activations saturate instead, and the losses stay huge but finite.)"""
    return toy_gan(lr=1e12, opt=torch.optim.SGD, act=nn.LeakyReLU)


def image_gan(size=8, out=nn.Tanh):
    G, D = mlp_generator(4, (8,), (1, size, size), out=out), mlp_discriminator((1, size, size), (8,))
    return ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=4)


def conditional_gan(num_labels=3):
    G = mlp_generator(2, (8,), (2,), out=None, num_labels=num_labels)
    D = mlp_discriminator((2,), (8,), num_labels=num_labels)
    labels = torch.arange(8) % num_labels
    return ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=2, fixed_z=torch.zeros(8, 2),
                      fixed_labels=labels)


def train(gan, data, **kwargs):
    return ganlab.train(gan, data, **{"batch_size": 16, "steps": 3, "progress": False, **kwargs})


def state(gan):
    """Copies of G's and D's parameters and both optimisers' state tensors."""
    tensors = [p.detach().clone() for p in [*gan.G.parameters(), *gan.D.parameters()]]
    for opt in (gan.opt_G, gan.opt_D):
        tensors += [v.clone() for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
    return tensors


def same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def no_hooks(gan):
    return not gan.G._forward_hooks


class Samples(Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def with_nan(x, where=(0, 0)):
    x = x.clone()
    x[where] = math.nan
    return x


def a_file(tmp):
    (tmp / "notes.txt").write_text("not a folder")
    return tmp / "notes.txt"


# --- (1) the non-finite guard ------------------------------------------------------


def test_train_non_finite_loss_stops_names_the_step_and_restores():
    gan = exploding_gan()
    before = state(gan)
    with pytest.raises(ganlab.NonFiniteLoss, match=r"step 2 \(bce\): loss_G became nan") as info:
        ganlab.train(gan, pattern1010, batch_size=16, steps=50, progress=False)
    message = str(info.value)
    assert isinstance(info.value, FloatingPointError)
    assert "learning rate too high" in message and "lr=1e+12" in message and "scale them" in message
    assert "restored to step 0" in message
    assert (info.value.step, info.value.restored_step) == (2, 0) and math.isnan(info.value.row["loss_G"])
    assert all(torch.isfinite(t).all() for t in state(gan))
    assert same(state(gan), before)
    assert gan.step == 0 and gan.batches_seen == 0 and len(gan.history) == 0
    assert no_hooks(gan)


def test_train_non_finite_restores_the_last_snapshot_and_counters(monkeypatch):
    monkeypatch.setattr(guard, "GOOD_EVERY", 5)
    gan, kept = toy_gan(opt=torch.optim.SGD, act=nn.LeakyReLU), {}

    def sabotage(gan, row):
        if gan.step == 10:
            kept["state"], kept["rows"] = state(gan), list(gan.history.rows)
        if gan.step == 12:  # the learner raises the learning rate mid-run
            for opt in (gan.opt_G, gan.opt_D):
                opt.param_groups[0]["lr"] = 1e12

    with pytest.raises(ganlab.NonFiniteLoss, match=r"restored to step 10") as info:
        ganlab.train(gan, pattern1010, batch_size=16, steps=100, callbacks=[sabotage], progress=False)
    assert info.value.step > 12 and "SGD lr=1e+12" in str(info.value)
    assert same(state(gan), kept["state"])
    assert gan.history.rows == kept["rows"]
    assert gan.step == 10 and gan.batches_seen == 10
    assert gan.opt_G.param_groups[0]["lr"] == 0.05  # the optimiser as it was at step 10
    ganlab.train(gan, pattern1010, batch_size=16, steps=15, progress=False)  # and it trains on
    assert gan.step == 15 and list(gan.history.frame["step"]) == list(range(1, 16))


def test_train_non_finite_optimiser_state_behind_finite_losses_is_caught(monkeypatch):
    monkeypatch.setattr(guard, "GOOD_EVERY", 5)
    gan = toy_gan()

    def poison(gan, row):  # inf in Adam's second moment: the update is 0, the losses stay finite
        if gan.step == 7:
            next(iter(gan.opt_D.state.values()))["exp_avg_sq"].fill_(math.inf)

    with pytest.raises(ganlab.NonFiniteLoss, match=r"step 10 \(bce\): the weights \(or optimiser state\)"):
        ganlab.train(gan, pattern1010, batch_size=16, steps=20, callbacks=[poison], progress=False)
    assert gan.step == 5 and all(torch.isfinite(t).all() for t in state(gan))


def test_train_non_finite_leaves_a_finite_checkpoint(tmp_path):
    path = tmp_path / "run.pt"
    gan = exploding_gan()
    with pytest.raises(ganlab.NonFiniteLoss, match="also saved to"):
        ganlab.train(gan, pattern1010, batch_size=16, steps=50, checkpoint=path, checkpoint_every=1,
                     progress=False)
    fresh = exploding_gan()
    fresh.G.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert ganlab.load_checkpoint(fresh, path)
    assert same(state(fresh)[:8], state(gan)[:8]) and fresh.step == 0


def test_train_refuses_models_that_are_already_nan():
    gan = toy_gan()
    with torch.no_grad():
        next(gan.G.parameters()).fill_(math.nan)
    with pytest.raises(FloatingPointError, match="already holds inf or NaN before training"):
        ganlab.train(gan, pattern1010, batch_size=16, steps=5, progress=False)


def test_train_first_batch_check_draws_no_extra_random_numbers():
    by_train, by_hand = toy_gan(seed=4), toy_gan(seed=4)
    ganlab.seed_everything(5)
    ganlab.train(by_train, pattern1010, batch_size=16, steps=5, progress=False)
    ganlab.seed_everything(5)
    for _ in range(5):  # the loop of notebook 01, which train must match weight for weight
        steps.bce(by_hand, iter([(pattern1010(16), None)]))
    assert same(state(by_train), state(by_hand)) and no_hooks(by_train)


# --- (2) data: what train learns from -------------------------------------------------


SCALE = r"x\.float\(\) / 127\.5 - 1"
DATA = [
    row("integers", lambda tmp: train(toy_gan(), (torch.rand(64, 4) * 255).byte()), TypeError,
        rf"torch\.uint8.*{SCALE}"),
    *[row(f"fewer samples than a batch ({kind})", lambda tmp, wrap=wrap: train(
        toy_gan(), wrap(pattern1010(10)), batch_size=64), ValueError,
        r"batch_size=64, but the data hold only 10 samples.*Use batch_size=10 or less")
      for kind, wrap in [("tensor", lambda x: x), ("TensorDataset", TensorDataset), ("Dataset", Samples)]],
    row("empty", lambda tmp: train(toy_gan(), torch.empty(0, 4)), ValueError,
        r"The dataset is empty: check how it was loaded"),
    row("a DataLoader with no full batch", lambda tmp: train(
        toy_gan(), DataLoader(TensorDataset(pattern1010(10)), batch_size=64, drop_last=True)), ValueError,
        r"DataLoader yields no batches \(10 samples, its batch_size=64.*give it more data"),
    row("a list, not a dataset", lambda tmp: train(toy_gan(), [pattern1010(64)]), TypeError,
        r"cannot draw batches from list: give a tensor, a Dataset"),
    row("samples of another shape than G's", lambda tmp: train(toy_gan(), torch.rand(100, 5)), ValueError,
        r"G makes samples of shape \(4,\), but the data's samples have shape \(5,\).*Build G"),
    row("images of another size than G's", lambda tmp: train(image_gan(8), torch.rand(32, 1, 7, 7) * 2 - 1),
        ValueError, r"\(1, 8, 8\).*\(1, 7, 7\).*Build G to make samples of shape \(1, 7, 7\)"),
    row("labelled samples of another shape", lambda tmp: train(
        conditional_gan(), TensorDataset(torch.rand(64, 3), torch.randint(3, (64,))), step=steps.conditional),
        ValueError, r"shape \(2,\), but the data's samples have shape \(3,\)"),
    row("no labels for a conditional G", lambda tmp: train(
        conditional_gan(), torch.rand(64, 2), step=steps.conditional), ValueError,
        r"conditional .* no labels: pass TensorDataset\(x, y\)"),
    row("0..255 floats for a tanh G", lambda tmp: train(image_gan(8), torch.rand(32, 1, 8, 8) * 255),
        UserWarning, rf"G can never match them\. Scale the data to G's range: images {SCALE}"),
    row("0..1 images for a tanh G", lambda tmp: train(image_gan(8), torch.rand(32, 1, 8, 8)), UserWarning,
        r"span only .* of G's output range \[-1, 1\]: scale them to the whole range"),
    row("NaN in the data", lambda tmp: train(toy_gan(), with_nan(pattern1010(64), (slice(None), 0))),
        ValueError, r"NaN.*(clean|remove|find)"),
]


@pytest.mark.parametrize("mistake, error, words", DATA)
def test_data_mistakes(mistake, error, words, tmp_path):
    says(mistake, error, words, tmp_path)


def test_data_mistake_leaves_the_gan_untouched_and_unhooked():
    gan = toy_gan()
    before = state(gan)
    with pytest.raises(ValueError, match="G makes samples of shape"):
        train(gan, torch.rand(100, 5))
    assert same(state(gan), before) and gan.step == 0 and no_hooks(gan)


def test_data_conditional_with_matching_data_trains():
    gan = conditional_gan()
    train(gan, TensorDataset(torch.rand(64, 2), torch.randint(3, (64,))), step=steps.conditional)
    assert gan.step == 3 and no_hooks(gan)


# --- (3) budgets: how long, how much, how often -----------------------------------------


BUDGETS = [
    *[row(f"{name}={value!r}",
          lambda tmp, name=name, value=value: train(toy_gan(), pattern1010, **{name: value}),
          ValueError, rf"{name}={re.escape(repr(value))}: give a number ≥ 0 \(a target")
      for name, value in [("steps", -1), ("epochs", -1), ("minutes", -0.5), ("steps", "100"),
                          ("steps", True)]],
    row("no budget", lambda tmp: train(toy_gan(), pattern1010, steps=None), ValueError,
        r"say how long to train: steps=, epochs= or minutes="),
    *[row(f"batch_size={value!r}", lambda tmp, value=value: train(toy_gan(), pattern1010, batch_size=value),
          ValueError, rf"batch_size={re.escape(repr(value))}: give a whole number of samples per batch")
      for value in [0, -3, 2.5]],
    row("epochs of a sampling function", lambda tmp: train(toy_gan(), pattern1010, steps=None, epochs=1),
        ValueError, r"epochs= needs a dataset; for a sampling function use steps="),
    row("steps=nan", lambda tmp: train(toy_gan(), pattern1010, steps=math.nan), ValueError, r"steps=nan"),
    row("n_critic=0", lambda tmp: train(toy_gan(), pattern1010, step=partial(steps.wgan_gp, n_critic=0)),
        ValueError, r"n_critic=0"),
    row("r1 every=0", lambda tmp: train(toy_gan(), pattern1010, step=partial(steps.r1, every=0)), ValueError,
        r"every=0"),
    row("negative R1 weight", lambda tmp: train(toy_gan(), pattern1010, step=partial(steps.r1, gamma=-10.0)),
        ValueError, r"gamma=-10"),
    row("negative GP weight", lambda tmp: train(toy_gan(), pattern1010, step=partial(steps.wgan_gp,
                                                                                      gp_weight=-10.0)),
        ValueError, r"gp_weight=-10"),
    row("EMA decay above 1", lambda tmp: EMA(nn.Linear(2, 2), 1.5), ValueError,
        r"decay=1\.5: give β in \[0, 1\)"),
    row("EMA decay of 1 (never moves)", lambda tmp: EMA(nn.Linear(2, 2), 1.0), ValueError,
        r"give β in \[0, 1\)"),
]


@pytest.mark.parametrize("mistake, error, words", BUDGETS)
def test_budget_mistakes(mistake, error, words, tmp_path):
    says(mistake, error, words, tmp_path)


# --- (4) models: G, D, the GAN, the step ----------------------------------------------


MODELS = [
    row("G built for another latent_dim", lambda tmp: ganlab.GAN(
        mlp(5, 3, 4), mlp(4, 3, 1), *(torch.optim.Adam(mlp(1, 1).parameters()),) * 2, latent_dim=1),
        ValueError, r"G cannot take z of shape \(batch, 1\).*Build G with the GAN's latent_dim"),
    row("a conditional G without fixed labels", lambda tmp: ganlab.GAN(
        conditional_gan().G, conditional_gan().D, *(torch.optim.Adam(mlp(1, 1).parameters()),) * 2,
        latent_dim=2), ValueError, r"give GAN\(\.\.\., fixed_labels=\.\.\.\)"),
    row("models already NaN", lambda tmp: train(nan_gan(), pattern1010), FloatingPointError,
        r"already holds inf or NaN before training: rebuild the models"),
    row("a step returning non-numbers", lambda tmp: train(toy_gan(), pattern1010, step=lambda gan, batches: {
        "loss": torch.ones(3)}), TypeError, r"a step must return a dict of numbers .*loss_D\.detach\(\)"),
    row("EMA of the GAN, not of G", lambda tmp: EMA(toy_gan()), TypeError,
        r"pass G, e\.g\. EMA\(gan\.G\)"),
    row("a penalty on batches of two shapes", lambda tmp: losses.gradient_penalty(
        mlp(4, 1), torch.rand(8, 4), torch.rand(6, 4)), ValueError,
        r"differ in shape.*give G's samples the data's"),
    row("a step that is not a function", lambda tmp: train(toy_gan(), pattern1010, step="bce"), TypeError,
        r"step=.*function"),
    row("train given G, not the GAN", lambda tmp: train(toy_gan().G, pattern1010), TypeError, r"GAN"),
    row("opt_G and opt_D swapped", lambda tmp: swapped_gan(), ValueError, r"opt_G"),
    row("D ends in a sigmoid, the loss adds its own", lambda tmp: train(sigmoid_d_gan(), pattern1010),
        UserWarning, r"raw score"),
]


def nan_gan():
    gan = toy_gan()
    with torch.no_grad():
        next(gan.G.parameters()).fill_(math.nan)
    return gan


def swapped_gan():
    gan = toy_gan()
    return ganlab.GAN(gan.G, gan.D, gan.opt_D, gan.opt_G, latent_dim=1, noise=torch.rand)


def sigmoid_d_gan():
    gan = toy_gan()
    gan.D = nn.Sequential(mlp(4, 3, 1, act=nn.Sigmoid, out=nn.Sigmoid), nn.Flatten(0))
    gan.opt_D = torch.optim.Adam(gan.D.parameters())
    return gan


@pytest.mark.parametrize("mistake, error, words", MODELS)
def test_model_mistakes(mistake, error, words, tmp_path):
    says(mistake, error, words, tmp_path)


# --- (5) samples and metrics: a score only of what it can score ---------------------------


@pytest.fixture(scope="module")
def digit_judge():
    """An untrained digit judge: what it is given is refused before anything is computed."""
    return judges.MnistJudge().eval()


@pytest.fixture(scope="module")
def face_judge():
    return judges.FaceJudge(FACE_ATTRIBUTES).eval()


DIGITS = torch.rand(12, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
FACES = torch.rand(12, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
POINTS = torch.rand(40, 2, generator=torch.Generator().manual_seed(0))
LABELS = torch.tensor([True, False] * 3)
SAMPLES = [  # (id, mistake(digit_judge, face_judge), error, words[, missing])
    ("NaN fakes", lambda dj, fj: metrics.quality(DIGITS, with_nan(DIGITS), dj), ValueError,
     r"fake hold NaN or inf.*retrain, or load a checkpoint"),
    ("inf images", lambda dj, fj: metrics.predict(DIGITS * math.inf, dj), ValueError, r"NaN or inf"),
    ("integer images", lambda dj, fj: metrics.digit_coverage((DIGITS > 0).byte(), dj), ValueError,
     rf"torch\.uint8.*scale them \({SCALE}"),
    ("0..255 images", lambda dj, fj: metrics.features(DIGITS * 127.5 + 127.5, dj), ValueError,
     r"span \[.*\], but judges read images in \[-1, 1\]: scale them"),
    ("32×32 digits", lambda dj, fj: metrics.predict(torch.zeros(4, 1, 32, 32), dj), ValueError,
     r"the digit judge reads 28×28 digits.*resize them to 28×28"),
    ("1,024 values per digit", lambda dj, fj: dj.probs(torch.zeros(4, 1024)), ValueError,
     r"reads 28×28 digits, \(B, 1, 28, 28\) or \(B, 784\), not a batch of shape \(4, 1024\)"),
    ("grey faces", lambda dj, fj: metrics.attribute_rates(FACES[:, :1], fj), ValueError,
     r"the face judge reads square colour images \(B, 3, S, S\)"),
    ("faces not square", lambda dj, fj: fj.features(FACES[..., :16]), ValueError, r"square colour images"),
    ("faces of 8×8", lambda dj, fj: metrics.predict(FACES[..., :8, :8], fj), ValueError, r"S ≥ 16"),
    ("digits read by the face judge", lambda dj, fj: metrics.digit_coverage(FACES, fj), TypeError,
     r"reads face attributes: use judges\.mnist_judge\(\) for digits"),
    ("faces read by the digit judge", lambda dj, fj: metrics.attribute_rates(DIGITS, dj), TypeError,
     r"reads digits: use judges\.face_judge\(\) for faces"),
    ("a discriminator as the judge", lambda dj, fj: metrics.quality(DIGITS, DIGITS, mlp(784, 1)), TypeError,
     r"Sequential is not a judge: pass ganlab\.judges\.mnist_judge\(\)"),
    ("the judge first", lambda dj, fj: metrics.quality(dj, DIGITS, DIGITS), TypeError,
     r"Tensor is not a judge.*the images first"),
    ("labels of another length", lambda dj, fj: metrics.accuracy(dj, DIGITS, torch.zeros(5).long()),
     ValueError, r"labels \(class ids 0\.\.9\) must be one row per image, of shape \(12,\)"),
    ("attributes of another shape", lambda dj, fj: metrics.attribute_accuracy(FACES, torch.ones(12, 3), fj),
     ValueError, r"attributes \(0/1\) must be one row per image, of shape \(12, 6\)"),
    ("min_share=0", lambda dj, fj: metrics.digit_coverage(DIGITS, dj, min_share=0), ValueError,
     r"min_share=0: give the share a digit needs"),
    ("fewer samples than k", lambda dj, fj: metrics.quality(DIGITS[:5], DIGITS[5:], dj), ValueError,
     r"real hold 5 samples, too few for k=5 neighbours: give at least 6"),
    ("precision/recall of 3 fakes", lambda dj, fj: manifold.precision_recall(POINTS, POINTS[:3]), ValueError,
     r"fake hold 3 samples, too few for k=5 neighbours: give at least 6 \(2,000 per set is usual\), "
     r"or a smaller k"),
    ("k=0", lambda dj, fj: manifold.knn_radii(POINTS, k=0), ValueError, r"k=0\): give a whole number"),
    ("features of two widths", lambda dj, fj: manifold.manifold_scores(POINTS, torch.rand(40, 3)), ValueError,
     r"real has 2 features per sample, fake 3: compute both in the same feature space"),
    ("NaN features", lambda dj, fj: manifold.manifold_scores(POINTS, with_nan(POINTS)), ValueError,
     r"fake hold NaN or inf"),
    ("features of one row each, flat", lambda dj, fj: manifold.knn_radii(torch.rand(40)), ValueError,
     r"must be \(N, F\), one row per sample, not of shape \(40,\)"),
    ("3-D points for a 2-D coverage", lambda dj, fj: metrics.mode_coverage_2d(
        torch.rand(30, 3), POINTS[:8], 0.01), ValueError,
     r"samples must be \(N, 2\), not of shape \(30, 3\)"),
    ("NaN points", lambda dj, fj: metrics.mode_coverage_2d(with_nan(POINTS), POINTS[:8], 0.01), ValueError,
     r"samples hold NaN or inf"),
    ("std=0", lambda dj, fj: metrics.mode_coverage_2d(POINTS, POINTS[:8], 0.0), ValueError,
     r"std=0\.0.*give the mixture's σ"),
    ("min_count=0", lambda dj, fj: metrics.mode_coverage_2d(POINTS, POINTS[:8], 0.01, min_count=0),
     ValueError, r"min_count=0\): give a whole number of at least 1"),
    ("Fréchet of mismatched sizes", lambda dj, fj: metrics.frechet_distance(
        np.zeros(3), np.eye(3), np.zeros(4), np.eye(4)), ValueError, r"covariances \(d, d\) of one d"),
    ("classifier-FID of one sample", lambda dj, fj: metrics.classifier_fid(DIGITS[:1], DIGITS[1:2], dj),
     ValueError, r"FID needs at least 2 samples per set \(2,000 is usual\)"),
    ("standardise of two widths", lambda dj, fj: metrics.standardise(np.ones((5, 3)), np.ones((5, 4))),
     ValueError, r"the fake features must be \(N, 3\)"),
    ("flat vectors to a plot", lambda dj, fj: plot.image_grid(DIGITS.flatten(1)), ValueError,
     r"\(B, 1 or 3, H, W\).*reshape them \(x\.view\(-1, 1, 28, 28\)"),
    ("integer images to a plot", lambda dj, fj: plot.image_grid((DIGITS > 0).byte()), ValueError,
     rf"scale them \({SCALE}"),
    ("NaN images to a plot", lambda dj, fj: plot.image_grid(with_nan(DIGITS)), UserWarning,
     r"find where the NaN came from"),
    ("snapshots of an untrained run", lambda dj, fj: plot.show_snapshots(ganlab.History()), ValueError,
     r"pass snapshot_every= to train\(\)"),
    ("a curve of a column never logged", lambda dj, fj: plot.plot_history(logged(), columns=("loss",)),
     ValueError, r"logs none of \['loss'\]: choose among \['step', 'loss_D'"),
    ("a curve before training", lambda dj, fj: plot.plot_history(ganlab.History()), ValueError,
     r"train first"),
    ("a 2-D picture of another mixture", lambda dj, fj: plot.draw_2d(None, "ring7"), ValueError,
     r"choose one of \['grid25', 'ring8'\]"),
    ("a 2-D picture of an image GAN", lambda dj, fj: plot.draw_2d(image_gan(8), "ring8"), ValueError,
     r"draw_2d draws 2-D points, but G makes samples of shape \(1, 8, 8\): use plot\.show_images"),
    ("no snapshots asked for", lambda dj, fj: plot.show_snapshots(logged(), count=0), ValueError,
     r"show_snapshots\(count=0\): give a whole number of at least 1"),
    ("ROC AUC of NaN scores", lambda dj, fj: anomaly.roc_auc(with_nan(POINTS[:6, 0], 0), LABELS),
     ValueError, r"NaN"),
    ("ROC AUC of labels of another length", lambda dj, fj: anomaly.roc_auc(POINTS[:10, 0], LABELS),
     ValueError, r"label per score"),
    ("PCA of more components than features", lambda dj, fj: anomaly.pca_fit(POINTS, 10), ValueError, r"k=10"),
    ("distances between two widths", lambda dj, fj: anomaly.nn_distance(POINTS, torch.rand(5, 3)),
     ValueError, r"2.*3"),
    ("tail_mean of a column never logged", lambda dj, fj: logged().tail_mean("loss"), ValueError,
     r"give a logged column \(step, loss_D"),
]


def logged():
    history = ganlab.History()
    history.log(1, {"loss_D": 0.7})
    history.snapshot(1, torch.zeros(4, 1, 8, 8))
    return history


@pytest.mark.parametrize("mistake, error, words", [row(*r[:4], missing=r[4] if len(r) > 4 else None)
                                                    for r in SAMPLES])
def test_sample_and_metric_mistakes(mistake, error, words, tmp_path, digit_judge, face_judge):
    import matplotlib

    matplotlib.use("Agg")
    says(lambda tmp: mistake(digit_judge, face_judge), error, words, tmp_path)


# --- (6) paths and checkpoints ----------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "ck.pt"
    ganlab.save_checkpoint(toy_gan(), path)
    return path


def save_then(tmp, load):
    ganlab.save_checkpoint(toy_gan(), tmp / "ck.pt")
    return load(tmp / "ck.pt")


def wider_d(gan):
    gan.D = nn.Sequential(mlp(4, 3, 3, 1), nn.Flatten(0))  # one more layer
    return gan


PATHS = [
    row("a checkpoint under a file", lambda tmp: ganlab.save_checkpoint(toy_gan(), a_file(tmp) / "run.pt"),
        ValueError,
        r"notes\.txt is a file, not a folder\. Give a file path in a folder, e\.g\. data/checkpoints"),
    row("a checkpoint onto a folder", lambda tmp: ganlab.save_checkpoint(toy_gan(), tmp), ValueError,
        r"it is a folder\. Give a file path in a folder"),
    row("a checkpoint of G alone", lambda tmp: ganlab.save_checkpoint(toy_gan().G, tmp / "g.pt"), TypeError,
        r"pass the ganlab\.GAN, not a Sequential"),
    row("loading a folder", lambda tmp: ganlab.load_checkpoint(toy_gan(), tmp), IsADirectoryError,
        r"is a folder: give the checkpoint's file"),
    row("loading a missing file", lambda tmp: ganlab.load_checkpoint(toy_gan(), tmp / "none.pt"),
        FileNotFoundError, r"no checkpoint at .*none\.pt: train first, or check the path"),
    row("loading something else", lambda tmp: torch.save({"weight": torch.ones(3)}, tmp / "w.pt")
        or ganlab.load_checkpoint(toy_gan(), tmp / "w.pt"), ValueError,
        r"w\.pt is not a ganlab checkpoint of format 3: write one with ganlab\.save_checkpoint"),
    row("loading into another architecture", lambda tmp: save_then(
        tmp, partial(ganlab.load_checkpoint, wider_d(toy_gan()))), ValueError,
        r"saved from a D of another architecture: this D has 0\.4\.bias.*Build D exactly as it was"),
    row("MNIST in a file", lambda tmp: mnist(a_file(tmp)), NotADirectoryError,
        r"root='.*notes\.txt' is a file, not a folder: give the data folder"),
    row("CelebA in a file", lambda tmp: celeba(a_file(tmp), size=16), NotADirectoryError,
        r"is a file, not a folder"),
    row("judges in a file", lambda tmp: judges.face_judge(root=a_file(tmp)), NotADirectoryError,
        r"is a file, not a folder"),
    row("a fake CelebA into a file", lambda tmp: write_fake_celeba(a_file(tmp), 2), NotADirectoryError,
        r"is a file, not a folder"),
]


@pytest.mark.parametrize("mistake, error, words", PATHS)
def test_path_mistakes(mistake, error, words, tmp_path):
    says(mistake, error, words, tmp_path)


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2],  # half-written
    lambda b: b[:-200],  # truncated near the end: torch says "OSError: [Errno 22] Invalid argument"
    lambda b: b"",  # empty
    lambda b: bytes(range(256)) * 20,  # garbage
], ids=["half", "truncated", "empty", "garbage"])
def test_load_checkpoint_damaged_file_names_it_and_leaves_the_gan(saved, damage):
    bad = saved.with_name("bad.pt")
    bad.write_bytes(damage(saved.read_bytes()))
    gan = toy_gan(seed=1)
    before = state(gan)
    damaged = r"cannot read the checkpoint .*bad\.pt: the file is damaged"
    with pytest.raises((RuntimeError, pickle.UnpicklingError), match=damaged) as info:
        ganlab.load_checkpoint(gan, bad)
    assert "Delete it" in str(info.value) and "older checkpoint" in str(info.value)
    assert same(state(gan), before)


def test_load_checkpoint_into_a_model_of_another_size_names_parameter_and_shapes(saved):
    gan = toy_gan(width=8)
    before = state(gan)
    with pytest.raises(ValueError, match=r"ck\.pt was saved from a G of another size: G's 0\.weight has "
                                         r"shape \(3, 1\) in the checkpoint but \(8, 1\) in this G"):
        ganlab.load_checkpoint(gan, saved)
    assert same(state(gan), before)


def test_fetch_data_into_a_file_is_a_usage_error(tmp_path, capsys):
    from tools import fetch_data

    with pytest.raises(SystemExit) as info:
        fetch_data.main(["--root", str(a_file(tmp_path))])
    assert info.value.code == 2
    said = capsys.readouterr().err
    assert re.search(r"--root='.*notes\.txt' is a file, not a folder: give the data folder", said), said


def test_train_checks_the_checkpoint_path_before_training(tmp_path):
    gan = toy_gan()
    with pytest.raises(ValueError, match="is a folder"):
        train(gan, pattern1010, checkpoint=tmp_path)
    assert gan.step == 0


# --- (7) environment variables ------------------------------------------------------------


MISSING_DEVICE = "cuda" if not torch.cuda.is_available() else "mps"
ENVIRONMENT = [  # (variable, value (or value(tmp)), what reads it, error, words)
    ("GANLAB_DEVICE", "gpu0", device.pick_device, RuntimeError,
     r"GANLAB_DEVICE='gpu0' is not a device name.*unset GANLAB_DEVICE"),
    ("GANLAB_DEVICE", MISSING_DEVICE, device.pick_device, RuntimeError,
     rf"this machine has no {MISSING_DEVICE.upper()} device\. Unset GANLAB_DEVICE"),
    ("GANLAB_SEED", "abc", device.run_seed, ValueError, r"GANLAB_SEED='abc': give a whole number"),
    ("GANLAB_SEED", "-1", device.run_seed, ValueError, r"give a whole number"),
    ("GANLAB_THREADS", "0", device.set_threads, ValueError,
     r"GANLAB_THREADS='0': give a whole number of threads"),
    ("GANLAB_THREADS", "two", device.set_threads, ValueError, r"give a whole number of threads, e\.g\. 1"),
    ("GANLAB_PROFILE", "fast", device.decide, ValueError,
     r"GANLAB_PROFILE='fast': choose one of quick, cpu, gpu"),
    ("GANLAB_DATA", a_file, ganlab.data_root, NotADirectoryError,
     r"GANLAB_DATA='.*notes\.txt' is a file, not a folder"),
    ("GANLAB_QUICK", "flase", device.decide, ValueError, r"GANLAB_QUICK='flase': set it to 1"),
]


@pytest.mark.parametrize("variable, value, reader, error, words", [
    pytest.param(*r, id=f"{r[0]}={r[1] if isinstance(r[1], str) else 'a file'}") for r in ENVIRONMENT])
def test_environment_variable_mistakes(variable, value, reader, error, words, tmp_path, monkeypatch):
    monkeypatch.setenv(variable, value if isinstance(value, str) else str(value(tmp_path)))
    threads = torch.get_num_threads()
    try:
        says(lambda tmp: reader(), error, words, tmp_path)
    finally:
        torch.set_num_threads(threads)


def test_environment_ganlab_data_expands_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GANLAB_DATA", "~/ganlab-data")
    assert ganlab.data_root() == tmp_path / "ganlab-data"  # not a folder named "~" in the notebook's folder


def test_environment_ci_turns_a_skip_into_a_failure_unless_it_needs_a_gpu(tmp_path):
    """Under CI=true every test must run: tests/conftest.py fails a skipped test, unless it says it
    needs a GPU. A tiny test file, run with and without CI, with this repository's conftest."""
    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    (tmp_path / "test_tiny.py").write_text(textwrap.dedent("""
        import pytest

        def test_runs():
            pass

        def test_data_missing():
            pytest.skip("MNIST is not here: run make data")

        @pytest.mark.skipif(True, reason="needs a GPU: none here")
        def test_gpu_by_reason():
            pass

        @pytest.mark.needs_gpu
        def test_gpu_by_marker():
            pass

        @pytest.mark.xfail(strict=True, reason="a known gap")
        def test_known_gap():
            assert False
    """))

    def run(ci):
        env = {**os.environ, "CI": ci}
        command = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "test_tiny.py"]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        return done.returncode, done.stdout

    code, out = run("true")
    assert code == 1, out
    assert re.search(r"(FAILED|ERROR) test_tiny\.py::test_data_missing", out), out
    assert "skipped under CI, where every test must run: MNIST is not here: run make data" in out
    assert "1 failed" in out or "1 error" in out
    assert not re.search(r"(FAILED|ERROR) test_tiny\.py::test_(runs|gpu|known)", out), out
    code, out = run("")
    assert code == 0 and not re.search(r"\d+ (failed|error)", out), out


# --- (8) loaders: what the data functions are asked for, and damaged files ------------------


def fake_mnist(root, n_labels=5):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = FILES[True]
    write_idx(raw / images, np.zeros((5, 28, 28), np.uint8))
    write_idx(raw / labels, np.arange(n_labels, dtype=np.uint8))
    return raw / images


def small_celeba(tmp):
    write_fake_celeba(tmp, 3)
    return celeba(tmp, size=16)


COUNT = r"give a whole number of at least 1"
LOADERS = [
    *[row(f"pattern1010({n!r})", lambda tmp, n=n: pattern1010(n), ValueError,
          rf"pattern1010\(n={n!r}\): {COUNT}") for n in (0, -1, 2.5)],
    *[row(f"gaussian_mixture n={n!r}", lambda tmp, n=n: gaussian_mixture("ring8", n), ValueError,
          rf"gaussian_mixture\('ring8', n={re.escape(repr(n))}\): {COUNT} \(PacGAN's protocol")
      for n in (-1, 0, 2.5, "100")],
    row("an unknown mixture", lambda tmp: gaussian_mixture("ring7", 10), ValueError,
        r"unknown mixture 'ring7': choose one of \['grid25', 'ring8'\]"),
    *[row(f"synthetic_faces size={size!r}", lambda tmp, size=size: synthetic_faces(4, size=size), ValueError,
          rf"synthetic_faces\(size={size!r}\): give a whole number of at least 16: below that")
      for size in (7, 0, -1, 16.0)],
    *[row(f"synthetic_faces n={n!r}", lambda tmp, n=n: synthetic_faces(n, size=16), ValueError,
          rf"synthetic_faces\(n={n!r}\): {COUNT}") for n in (0, -1, 2.5)],
    row("faces(0)", lambda tmp: faces(0), ValueError, rf"faces\(n=0\): {COUNT}"),
    row("write_fake_celeba of no faces", lambda tmp: write_fake_celeba(tmp, 0), ValueError,
        rf"write_fake_celeba\(n=0\): {COUNT}"),
    *[row(f"celeba size={size!r}", lambda tmp, size=size: celeba(tmp, size=size), ValueError,
          rf"celeba\(size={re.escape(repr(size))}\): give a whole number from 1 to 178") for size in
      (0, -5, 179, 2.5, "64")],
    row("tensors(-5) of CelebA", lambda tmp: small_celeba(tmp).tensors(-5), ValueError,
        rf"tensors\(n=-5\): {COUNT} \(or None for all\)"),
    row("mnist(train='test')", lambda tmp: mnist(tmp, train="test"), ValueError,
        r"give train=True \(60,000 digits\) or train=False"),
    row("MNIST images and labels that differ", lambda tmp: fake_mnist(tmp, n_labels=4) and mnist(tmp),
        RuntimeError, r"holds 5 images but 4 labels: delete both files and run `make data`"),
]


@pytest.mark.parametrize("mistake, error, words", LOADERS)
def test_loader_mistakes(mistake, error, words, tmp_path):
    says(mistake, error, words, tmp_path)


def test_loader_bad_size_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="from 1 to 178"):
        celeba(tmp_path, size=179)
    assert not list(tmp_path.iterdir())


def test_loader_numpy_whole_numbers_work():
    images, _ = synthetic_faces(np.int64(2), size=np.int64(16)).tensors
    assert images.shape == (2, 3, 16, 16)
    assert pattern1010(np.int64(3)).shape == (3, 4)


def no_finished_cache(root, size=16):
    """The final cache name exists only for a finished cache; a partial one says so."""
    partial_file = root / f"celeba_{size}.h5.partial"
    if partial_file.exists():
        with h5py.File(partial_file, "r") as f:
            assert not f.attrs["complete"]
    return not (root / f"celeba_{size}.h5").exists()


def test_celeba_truncated_zip_names_it(tmp_path):
    write_fake_celeba(tmp_path, 3, as_zip=True)
    archive = tmp_path / "img_align_celeba.zip"
    archive.write_bytes(archive.read_bytes()[:-300])
    with pytest.raises(RuntimeError, match=r"img_align_celeba\.zip is not a readable zip.*download it again"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


def test_celeba_broken_jpeg_names_it(tmp_path):
    write_fake_celeba(tmp_path, 3)
    (tmp_path / "celeba" / "img_align_celeba" / "000002.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(RuntimeError, match=r"000002\.jpg is not a readable image.*replace or delete it"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


def test_celeba_empty_folder_names_it(tmp_path):
    (tmp_path / "celeba" / "img_align_celeba").mkdir(parents=True)
    with pytest.raises(RuntimeError, match=r"img_align_celeba holds no \.jpg files"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


def test_celeba_garbage_attribute_file_names_it(tmp_path):
    write_fake_celeba(tmp_path, 3)
    (tmp_path / "celeba" / "list_attr_celeba.txt").write_text("garbage\n\x00\x01 nothing here\n")
    with pytest.raises(RuntimeError, match=r"list_attr_celeba\.txt is not a CelebA attribute file.*remove"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


@pytest.fixture
def cache(tmp_path):
    write_fake_celeba(tmp_path, 3)
    celeba(tmp_path, size=16)
    return tmp_path / "celeba_16.h5"


def test_celeba_corrupt_cache_names_it(cache):
    cache.write_bytes(b"\x89HDF\r\n garbage" * 100)
    with pytest.raises(RuntimeError, match=r"celeba_16\.h5 is not a readable HDF5 cache.*delete it"):
        celeba(cache.parent, size=16)


def test_celeba_truncated_cache_names_it(cache):
    cache.write_bytes(cache.read_bytes()[:3000])
    with pytest.raises(RuntimeError, match=r"celeba_16\.h5 is (not a readable HDF5 cache|damaged).*delete"):
        data = celeba(cache.parent, size=16)
        [data[i] for i in range(len(data))]


def test_celeba_unfinished_cache_under_the_final_name_says_so(cache):
    with h5py.File(cache, "a") as f:
        f.attrs["complete"] = False
    with pytest.raises(RuntimeError, match=r"celeba_16\.h5 is an unfinished cache: delete it"):
        celeba(cache.parent, size=16)


def test_mnist_truncated_idx_names_it(tmp_path):
    path = fake_mnist(tmp_path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte holds 3,820 bytes of data, its header "
                                           r"promises 3,920 \(truncated\?\): delete it"):
        mnist(tmp_path)


def test_mnist_idx_with_a_bad_header_names_it(tmp_path):
    path = fake_mnist(tmp_path)
    path.write_bytes(b"<html>404</html>")
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte is not an MNIST IDX file"):
        mnist(tmp_path)
    assert not list(path.parent.glob("*.tmp"))  # write_idx leaves no temporary file
