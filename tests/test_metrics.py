"""ganlab.metrics against closed forms, scipy, and constructed inputs whose answer is known;
then on real MNIST and stand-in faces with the session's quick judges (cached under tmp)."""

import inspect
import math

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F

import ganlab
from ganlab import metrics
from ganlab.metrics import classifier_fid, digit_coverage, frechet_distance, mode_coverage_2d, quality


def _random_gaussian(rng, dim):
    a = rng.normal(size=(dim, dim))
    return rng.normal(size=dim), a @ a.T / dim + 0.1 * np.eye(dim)


@pytest.mark.parametrize("dim", [1, 5, 64])
def test_frechet_distance_matches_scipy_sqrtm(dim):
    rng = np.random.default_rng(dim)
    (mu1, s1), (mu2, s2) = _random_gaussian(rng, dim), _random_gaussian(rng, dim)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real  # the reference: a general matrix square root
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8, abs=1e-8)


def test_frechet_distance_closed_form_for_isotropic_gaussians():
    # N(μ₁, a²I) vs N(μ₂, b²I) in d dims: ‖μ₁ − μ₂‖² + d (a − b)².
    d, a, b = 7, 1.5, 0.5
    mu1, mu2 = np.zeros(d), np.full(d, 2.0)
    got = frechet_distance(mu1, a**2 * np.eye(d), mu2, b**2 * np.eye(d))
    assert got == pytest.approx(4.0 * d + d * (a - b) ** 2)
    assert frechet_distance(mu1, np.eye(d), mu1, np.eye(d)) == pytest.approx(0.0, abs=1e-10)


def test_mode_coverage_2d_counts_constructed_samples():
    centers = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    std = 0.01
    g = torch.Generator().manual_seed(0)
    near = centers[:3].repeat_interleave(30, 0) + 0.5 * std * torch.randn(90, 2, generator=g)
    few = centers[3:].repeat(5, 1)  # 5 exact hits on mode 3: high quality, but < 20
    far = torch.full((25, 2), 0.5)  # 0.5 away from every centre: low quality
    result = mode_coverage_2d(torch.cat([near, few, far]), centers, std)
    assert result["modes"] == 4
    assert result["covered"] == 3
    assert list(result["counts"]) == [30, 30, 30, 5]
    assert result["high_quality"] == pytest.approx(100 * 95 / 120)


def test_mode_coverage_2d_uses_three_sigma_radius():
    centers, std = np.zeros((1, 2)), 0.1
    inside, outside = [[0.29, 0.0]] * 20, [[0.0, 0.31]] * 20
    assert mode_coverage_2d(inside, centers, std)["high_quality"] == 100.0
    result = mode_coverage_2d(outside, centers, std)
    assert result["high_quality"] == 0.0 and result["covered"] == 0


# --- constructed judges: known answers -------------------------------------------------------------


class _OneHotReader(torch.nn.Module):
    """A fake digit judge that reads the digit from the brightest of 10 pixels: a known answer."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(20.0))

    def features(self, x):
        return x.flatten(1)[:, :10]

    def probs(self, x):
        return (self.scale * self.features(x)).softmax(1)


class _Identity(torch.nn.Module):
    """A judge whose features are the flattened input: metrics on known point sets."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(()))  # metrics find the judge's device here

    def features(self, x):
        return x.flatten(1)

    def probs(self, x):  # the input *is* the probability table
        return x.flatten(1)


def _coded(labels):
    """Images (N, 1, 28, 28) in [-1, 1] whose first 10 pixels one-hot encode ``labels``."""
    x = -torch.ones(len(labels), 784)
    x[torch.arange(len(labels)), labels] = 1.0
    return x.view(-1, 1, 28, 28)


def test_digit_coverage_on_constructed_histograms():
    reader = _OneHotReader()
    uniform = _coded(torch.arange(1000) % 10)
    result = digit_coverage(uniform, reader)
    assert result["covered"] == 10 and result["kl"] == pytest.approx(0.0, abs=1e-12)
    assert result["recognisable"] == 1.0
    assert set(result) == {"histogram", "covered", "kl", "recognisable"}
    collapsed = _coded(torch.full((500,), 3))
    result = digit_coverage(collapsed, reader)
    assert result["covered"] == 1 and result["kl"] == pytest.approx(math.log(10))
    two = _coded(torch.tensor([1] * 300 + [7] * 100 + [0] * 5))  # 5/405 ≈ 1.2 % ≥ 1 %
    hist = digit_coverage(two, reader)["histogram"]
    assert list(hist) == [5, 300, 0, 0, 0, 0, 0, 100, 0, 0]
    p = hist[hist > 0] / hist.sum()
    assert digit_coverage(two, reader)["kl"] == pytest.approx(float((p * np.log(10 * p)).sum()))
    assert digit_coverage(two, reader)["covered"] == 3
    assert digit_coverage(two, reader, min_share=0.02)["covered"] == 2


def test_digit_coverage_recognisable_is_the_share_above_0_9():
    rows = torch.zeros(4, 10)
    rows[0, 2], rows[1, 5], rows[2, 5], rows[3, 7] = 0.95, 0.85, 0.5, 0.99  # two above 0.9
    result = digit_coverage(rows, _Identity())
    assert result["recognisable"] == 0.5
    assert list(result["histogram"]) == [0, 0, 1, 0, 0, 2, 0, 1, 0, 0]


def test_predict_features_and_accuracy_batch_like_one_pass():
    reader = _OneHotReader()
    labels = torch.arange(2500) % 10
    images = _coded(labels)
    assert metrics.predict(images, reader).shape == (2500, 10)  # three batches of ≤ 1000
    f = metrics.features(images, reader)
    assert f.dtype == np.float64 and f.shape == (2500, 10)
    assert metrics.accuracy(reader, images, labels) == 1.0
    assert metrics.accuracy(reader, images, (labels + 1) % 10) == 0.0


def test_standardise_uses_the_real_sets_units_and_drops_constant_features():
    rng = np.random.default_rng(0)
    f_real = np.c_[rng.normal(3, 2, 500), np.full(500, 7.0), rng.normal(-1, 0.5, 500)]
    f_fake = f_real[:10] + 1.0
    z_real, z_fake = metrics.standardise(f_real, f_fake)
    assert z_real.shape == (500, 2) and z_fake.shape == (10, 2)  # the constant column is gone
    np.testing.assert_allclose(z_real.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z_real.std(0), 1)
    np.testing.assert_allclose(z_fake - z_real[:10], np.broadcast_to(1 / f_real[:, [0, 2]].std(0), (10, 2)))


def test_standardise_floors_a_nearly_dead_features_spread():
    # one feature fires on 1 of 1,000 real samples: its σ is tiny, so fakes that fire it would sit
    # hundreds of σ away and swamp every distance; its σ is floored at SD_FLOOR × the median σ
    rng = np.random.default_rng(0)
    dead = np.zeros(1000)
    dead[0] = 1.0
    f_real = np.c_[rng.normal(0, 1, (1000, 3)), dead]
    f_fake = np.c_[rng.normal(0, 1, (100, 3)), np.ones(100)]
    z_real, z_fake = metrics.standardise(f_real, f_fake)
    median = np.median(f_real.std(0))
    assert f_real[:, 3].std() < metrics.SD_FLOOR * median  # the floor applies to this feature
    np.testing.assert_allclose(z_fake[:, 3], (1 - dead.mean()) / (metrics.SD_FLOOR * median))
    np.testing.assert_allclose(z_real[:, :3].std(0), 1)  # healthy features keep their own σ


def test_classifier_fid_is_frechet_distance_of_raw_features():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.rand(300, 4, generator=g) * 2 - 1, torch.rand(200, 4, generator=g) * 0.5  # in [-1, 1]
    stats = [(x.double().mean(0).numpy(), np.cov(x.double().numpy(), rowvar=False)) for x in (real, fake)]
    assert classifier_fid(real, fake, _Identity()) == pytest.approx(frechet_distance(*stats[0], *stats[1]))


def test_quality_on_constructed_point_sets():
    g = torch.Generator().manual_seed(0)
    blobs = torch.tensor([[-0.5, -0.5], [0.5, 0.5]])  # images are in [-1, 1]: points too, for _Identity
    real = blobs.repeat(200, 1) + 0.015 * torch.randn(400, 2, generator=g)
    perfect = quality(real, real, _Identity())
    assert perfect["precision"] == perfect["recall"] == perfect["coverage"] == 1.0
    assert perfect["fid"] == pytest.approx(0.0, abs=1e-9)
    assert set(perfect) == {"precision", "recall", "density", "coverage", "fid"}
    one_blob = real[::2]  # mode collapse: every fake is a real point, half the modes missing
    collapsed = quality(real, one_blob, _Identity())
    assert collapsed["precision"] == 1.0 and collapsed["recall"] < 0.6 and collapsed["coverage"] == 0.5
    assert collapsed["fid"] > 1.0
    far = real * torch.tensor([1.0, -1.0])  # the other diagonal: nothing like the data
    assert quality(real, far, _Identity())["precision"] == 0.0 == quality(real, far, _Identity())["coverage"]


def test_metrics_take_no_value_range_anywhere():
    """Images are [-1, 1] everywhere: no function offers another range to get wrong."""
    from ganlab import plot
    from ganlab.data import celeba, h5cache, mnist, synthetic_faces

    functions = [f for _, f in inspect.getmembers(metrics, inspect.isfunction)]
    functions += [plot.image_grid, plot.show_images, plot.show_snapshots, mnist, celeba, synthetic_faces,
                  h5cache.H5Images]
    assert not [f.__name__ for f in functions if "value_range" in inspect.signature(f).parameters]


# --- real MNIST with the quick digit judge ---------------------------------------------------------


def _halves(x, n, seed=0):
    """Two disjoint random sets of ``n``: what a perfect generator would score (the floor)."""
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return x[perm[:n]], x[perm[n : 2 * n]]


def test_classifier_fid_real_vs_real_is_near_zero(mnist_judge, mnist_test):
    x, y = mnist_test
    floor = classifier_fid(*_halves(x, 1000), mnist_judge)  # two disjoint sets of 1000
    one_digit = classifier_fid(x[:1000], x[y == 1][:1000], mnist_judge)
    assert 0 <= floor < 0.05 * one_digit


def _blur(x):
    kernel = torch.ones(1, 1, 5, 5) / 25
    return F.conv2d(x, kernel, padding=2)


def test_classifier_fid_grows_with_degradation(mnist_judge, mnist_test):
    x, y = mnist_test
    real, other = x[:1000], x[1000:2000]
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(other.shape, generator=g)
    floor = classifier_fid(real, other, mnist_judge)
    noisy = [classifier_fid(real, (other + s * noise).clamp(-1, 1), mnist_judge) for s in (0.2, 0.5, 1.0)]
    assert floor < noisy[0] < noisy[1] < noisy[2]
    assert classifier_fid(real, _blur(other), mnist_judge) > 2 * floor
    only_ones = x[1000:][y[1000:] == 1][:500]
    mixed = classifier_fid(real[:500], other[:500], mnist_judge)
    assert classifier_fid(real[:500], only_ones, mnist_judge) > 5 * mixed


def test_quality_mode_collapse_is_high_precision_low_recall(mnist_judge, mnist_test):
    x, y = mnist_test
    real, other = _halves(x, 1000)
    floor = quality(real, other, mnist_judge)
    assert floor["precision"] > 0.6 and floor["recall"] > 0.6, floor
    only_ones = quality(real, x[y == 1][:1000], mnist_judge)  # real digits, one mode
    assert only_ones["precision"] > 0.6, only_ones
    assert only_ones["recall"] < 0.5 * floor["recall"] and only_ones["coverage"] < 0.5 * floor["coverage"]
    assert only_ones["fid"] > 5 * floor["fid"]
    noise = quality(real, torch.rand(1000, 1, 28, 28) * 2 - 1, mnist_judge)  # nothing like digits
    assert noise["precision"] < 0.5 * floor["precision"] and noise["density"] < 0.5 * floor["density"]


def test_digit_coverage_of_real_test_digits(mnist_judge, mnist_test):
    x, _ = mnist_test
    result = digit_coverage(x[:2000], mnist_judge)
    # the quick judge (one epoch on 12,000 digits) reads ~0.87 of real digits confidently, the full one ~0.97
    assert result["covered"] == 10 and result["kl"] < 0.01 and result["recognisable"] > 0.8


# --- stand-in faces with the quick face judge ------------------------------------------------------


@pytest.fixture(scope="module")
def faces():
    return ganlab.data.synthetic_faces(400, size=64, seed=123).tensors  # unseen by training


def test_attribute_rates_follow_the_labels(face_judge, faces):
    images, attrs = faces
    k = list(face_judge.attributes).index("eyeglasses")
    with_glasses = metrics.attribute_rates(images[attrs[:, k] == 1], face_judge)
    without = metrics.attribute_rates(images[attrs[:, k] == 0], face_judge)
    assert with_glasses["eyeglasses"] > 0.9 and without["eyeglasses"] < 0.1
    # the other attributes are independent coins: their rates match the label means
    rates = metrics.attribute_rates(images, face_judge)
    assert list(rates) == list(ganlab.data.FACE_ATTRIBUTES)
    torch.testing.assert_close(torch.tensor(list(rates.values())), attrs.mean(0), atol=0.05, rtol=0)


def test_attribute_accuracy_accepts_other_image_sizes(face_judge):
    images, attrs = ganlab.data.synthetic_faces(200, size=32, seed=7).tensors
    accuracy = metrics.attribute_accuracy(images, attrs, face_judge)
    assert min(accuracy.values()) > 0.85, accuracy


def test_attribute_accuracy_of_flipped_requests_is_one_minus(face_judge, faces):
    images, attrs = faces
    right = metrics.attribute_accuracy(images, attrs, face_judge)
    wrong = metrics.attribute_accuracy(images, 1 - attrs, face_judge)
    assert all(right[a] + wrong[a] == pytest.approx(1.0) for a in right)


def test_quality_in_the_face_judges_space_separates_varied_from_collapsed_faces(face_judge):
    """The faces counterpart: precision/recall in the attribute judge's feature space.
    Real vs real scores near the floor; faces of one attribute pattern only lose recall."""
    real, attrs = ganlab.data.synthetic_faces(800, size=32, seed=11).tensors
    other, other_attrs = ganlab.data.synthetic_faces(1600, size=32, seed=12).tensors
    floor = metrics.quality(real, other[:800], face_judge)
    one_kind = other[(other_attrs == other_attrs[0]).all(1)]  # ~1/64 of the faces: one attribute set
    collapsed = metrics.quality(real, one_kind.repeat(800 // len(one_kind) + 1, 1, 1, 1)[:800], face_judge)
    assert floor["precision"] > 0.8 and floor["recall"] > 0.8
    assert collapsed["recall"] < 0.5 * floor["recall"] and collapsed["coverage"] < 0.5 * floor["coverage"]
