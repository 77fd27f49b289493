"""ganlab.metrics against closed forms, scipy, and constructed inputs whose answer is known."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F

import ganlab
from ganlab.metrics import (
    class_histogram,
    classifier_fid,
    classifier_fid_floor,
    digit_coverage,
    frechet_distance,
    mode_coverage_2d,
)


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


class _OneHotReader(torch.nn.Module):
    """A fake classifier that reads the digit from the brightest of 10 pixels: a known answer."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(20.0))

    def forward(self, x):
        return self.scale * x.flatten(1)[:, :10]


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
    assert result["confident"] == 1.0
    collapsed = _coded(torch.full((500,), 3))
    result = digit_coverage(collapsed, reader)
    assert result["covered"] == 1 and result["kl"] == pytest.approx(math.log(10))
    two = _coded(torch.tensor([1] * 300 + [7] * 100 + [0] * 5))  # 5/405 ≈ 1.2 % ≥ 1 %
    hist = class_histogram(two, reader)
    assert list(hist) == [5, 300, 0, 0, 0, 0, 0, 100, 0, 0]
    p = hist[hist > 0] / hist.sum()
    assert digit_coverage(two, reader)["kl"] == pytest.approx(float((p * np.log(10 * p)).sum()))
    assert digit_coverage(two, reader, min_share=0.02)["covered"] == 2


def test_digit_coverage_rescales_value_range():
    reader = _OneHotReader()
    images01 = (_coded(torch.arange(100) % 10) + 1) / 2  # the same images in [0, 1]
    assert digit_coverage(images01, reader, value_range=(0, 1))["covered"] == 10
    assert list(class_histogram(images01, reader, value_range=(0, 1))) == [10] * 10


# --- tests on real MNIST with the cached classifier (the quick one is trained if none is cached) ---
@pytest.fixture(scope="module")
def mnist_test():
    return ganlab.data.mnist(train=False).tensors


@pytest.fixture(scope="module")
def classifier():
    return ganlab.metrics.mnist_classifier(quick=True)


def test_mnist_classifier_is_accurate(classifier, mnist_test):
    x, y = mnist_test
    acc = ganlab.metrics.accuracy(classifier, x[:2000], y[:2000])
    assert acc > 0.95
    assert classifier.test_accuracy > 0.95


def test_classifier_fid_real_vs_real_is_near_zero(classifier, mnist_test):
    x, y = mnist_test
    floor = classifier_fid_floor(x, 1000, classifier)  # two disjoint sets of 1000
    one_digit = classifier_fid(x[:1000], x[y == 1][:1000], classifier)
    assert 0 <= floor < 0.05 * one_digit


def _blur(x):
    kernel = torch.ones(1, 1, 5, 5) / 25
    return F.conv2d(x, kernel, padding=2)


def test_classifier_fid_grows_with_degradation(classifier, mnist_test):
    x, y = mnist_test
    real, other = x[:1000], x[1000:2000]
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(other.shape, generator=g)
    floor = classifier_fid(real, other, classifier)
    noisy = [classifier_fid(real, (other + s * noise).clamp(-1, 1), classifier) for s in (0.2, 0.5, 1.0)]
    assert floor < noisy[0] < noisy[1] < noisy[2]
    assert classifier_fid(real, _blur(other), classifier) > 2 * floor
    only_ones = x[1000:][y[1000:] == 1][:500]
    mixed = classifier_fid(real[:500], other[:500], classifier)
    assert classifier_fid(real[:500], only_ones, classifier) > 5 * mixed


def test_classifier_fid_rescales_value_range(classifier, mnist_test):
    x, _ = mnist_test
    a, b = x[:500], x[500:1000]
    assert classifier_fid((a + 1) / 2, (b + 1) / 2, classifier, value_range=(0, 1)) == pytest.approx(
        classifier_fid(a, b, classifier), rel=1e-4)
