"""2-D mixtures: geometry of the centres and the spread of the samples."""

import math

import pytest
import torch

from ganlab.data import MIXTURE_STD, gaussian_mixture


def test_mixture_ring8_has_8_distinct_centres_on_unit_circle():
    _, centers = gaussian_mixture("ring8", 10, seed=0)
    assert centers.shape == (8, 2) and centers.dtype == torch.float32
    torch.testing.assert_close(centers.norm(dim=1), torch.ones(8))
    gaps = torch.cdist(centers.double(), centers.double()) + torch.eye(8) * 10
    # neighbours are 2π/8 apart: chord 2 sin(π/8); linspace(0, 2π, 8) would give a 0 gap
    assert gaps.min().item() == pytest.approx(2 * math.sin(math.pi / 8), abs=1e-6)
    angles = torch.atan2(centers[:, 1].double(), centers[:, 0].double())
    expected = torch.arange(8, dtype=torch.float64) * 2 * math.pi / 8
    torch.testing.assert_close(torch.remainder(angles, 2 * math.pi), expected, atol=1e-6, rtol=0)


def test_mixture_grid25_centres_are_the_even_lattice():
    _, centers = gaussian_mixture("grid25", 10, seed=0)
    got = {tuple(c) for c in centers.round().int().tolist()}
    assert got == {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert len(got) == 25 and torch.equal(centers, centers.round())


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mixture_samples_have_configured_std_and_cover_all_modes(name):
    n = 40_000
    samples, centers = gaussian_mixture(name, n, seed=1)
    assert samples.shape == (n, 2) and samples.dtype == torch.float32
    nearest = torch.cdist(samples, centers).argmin(dim=1)
    offsets = samples - centers[nearest]
    # std of a normal estimated from n draws has relative error ~ 1/sqrt(2n) = 0.35 %
    torch.testing.assert_close(offsets.std(dim=0), torch.full((2,), MIXTURE_STD[name]), rtol=0.03, atol=0)
    counts = torch.bincount(nearest, minlength=len(centers)).float()
    k = len(centers)  # binomial count: sd sqrt(n p (1-p)) < 200; allow 5 sd
    assert (counts - n / k).abs().max() < 5 * math.sqrt(n / k)


def test_mixture_seed_is_deterministic_and_none_follows_global_rng():
    a, _ = gaussian_mixture("ring8", 100, seed=3)
    b, _ = gaussian_mixture("ring8", 100, seed=3)
    c, _ = gaussian_mixture("ring8", 100, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    torch.manual_seed(7)
    d, _ = gaussian_mixture("grid25", 100)
    torch.manual_seed(7)
    e, _ = gaussian_mixture("grid25", 100)
    assert torch.equal(d, e)


def test_mixture_unknown_name_raises():
    with pytest.raises(ValueError, match="ring8"):
        gaussian_mixture("ring7", 10)
