"""k-NN precision/recall and density/coverage against a loop reference and known answers."""

import math
import time

import numpy as np
import pytest
import torch

from ganlab import manifold
from ganlab.manifold import knn_radii, manifold_scores, precision_recall


# ---------------------------------------------------------------------------------------------
# The oracle: the papers' definitions as plain O(n²) Python loops
# ---------------------------------------------------------------------------------------------
def reference_radii(xs, k):
    return [sorted(math.dist(x, y) for j, y in enumerate(xs) if j != i)[k - 1] for i, x in enumerate(xs)]


def reference_scores(real, fake, k):
    real, fake = real.tolist(), fake.tolist()
    r_real, r_fake = reference_radii(real, k), reference_radii(fake, k)
    inside = [[math.dist(y, x) <= r for x, r in zip(real, r_real)] for y in fake]  # [fake][real]
    return {
        "precision": sum(any(row) for row in inside) / len(fake),
        "recall": sum(any(math.dist(x, y) <= r for y, r in zip(fake, r_fake)) for x in real) / len(real),
        "density": sum(sum(row) for row in inside) / (k * len(fake)),
        "coverage": sum(any(row[i] for row in inside) for i in range(len(real))) / len(real),
    }


def clusters(n_per_class, *, n_classes=10, dim=16, spread=0.5, seed=0):
    """``n_classes`` Gaussian blobs 20 apart (spread 0.5): features (N, dim), labels (N,)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    centres = 20 / math.sqrt(2) * torch.eye(n_classes, dim)  # pairwise distance 20
    return centres[labels] + spread * torch.randn(len(labels), dim, generator=g), labels


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------
def test_knn_radii_hand_worked_1d():
    x = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    # neighbours of 0: 1, 3, 7; of 1: 0, 3, 7; of 3: 1, 0, 7; of 7: 3, 1, 0
    assert knn_radii(x, k=1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert knn_radii(x, k=2).tolist() == [3.0, 2.0, 3.0, 6.0]
    assert knn_radii(x, k=3).tolist() == [7.0, 6.0, 4.0, 7.0]


def test_knn_radii_duplicates_are_neighbours_at_zero():
    x = torch.tensor([[2.0], [2.0], [2.0], [5.0]])
    assert knn_radii(x, k=2).tolist() == [0.0, 0.0, 0.0, 3.0]


@pytest.mark.parametrize("k", [1, 3, 5])
def test_manifold_scores_match_loop_reference(k):
    rng = np.random.default_rng(k)
    real, fake = rng.normal(size=(40, 3)), rng.normal(0.5, 1.2, size=(30, 3))
    want = reference_scores(real, fake, k)
    got = manifold_scores(real, fake, k=k)
    assert got == pytest.approx(want, abs=1e-12)
    assert precision_recall(real, fake, k=k) == pytest.approx({m: want[m] for m in ("precision", "recall")})
    no_recall = {m: want[m] for m in ("precision", "density", "coverage")}
    assert manifold_scores(real, fake, k=k, recall=False) == pytest.approx(no_recall)
    assert 0 < got["precision"] < 1 and 0 < got["recall"] < 1  # the data tests something


def test_manifold_scores_chunking_changes_nothing(monkeypatch):
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(37, 4)), rng.normal(0.3, 1.0, size=(29, 4))
    whole = manifold_scores(real, fake, k=3)
    monkeypatch.setattr(manifold, "CHUNK_ELEMENTS", 50)  # one or two rows at a time
    assert manifold_scores(real, fake, k=3) == whole == pytest.approx(reference_scores(real, fake, 3))


def test_manifold_scores_float32_numpy_and_torch_agree():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(50, 8)).astype(np.float32), rng.normal(size=(50, 8)).astype(np.float32)
    assert manifold_scores(real, fake) == manifold_scores(torch.from_numpy(real), torch.from_numpy(fake))


def test_manifold_scores_same_set_is_perfect():
    real, _ = clusters(30)
    s = manifold_scores(real, real.clone(), k=5)
    assert s["precision"] == s["recall"] == s["coverage"] == 1.0
    assert s["density"] == pytest.approx(6 / 5)  # each ball holds its centre and its 5 neighbours


def test_manifold_scores_far_apart_sets_score_zero():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(200, 8, generator=g), 100 + torch.randn(200, 8, generator=g)
    assert manifold_scores(real, fake) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_manifold_scores_collapse_is_high_precision_low_recall():
    real, labels = clusters(100)  # 10 classes × 100
    fake = real[labels == 3]  # a generator that copies the 3s and nothing else
    s = manifold_scores(real, fake, k=5)
    assert s["precision"] == pytest.approx(1.0)
    assert s["recall"] == pytest.approx(0.1, abs=0.01)
    assert s["coverage"] == pytest.approx(0.1, abs=0.01)


def test_manifold_scores_same_distribution_match_naeem_expectations():
    g = torch.Generator().manual_seed(0)
    n, k = 500, 3
    real, fake = torch.randn(n, 8, generator=g), torch.randn(n, 8, generator=g)
    s = manifold_scores(real, fake, k=k)
    # Naeem et al. 2020, Lemma 1 and 2: E[density] = 1, E[coverage] = 1 - Π (n-i)/(2n-i), i = 1..k
    assert s["density"] == pytest.approx(1.0, abs=0.15)
    expected_coverage = 1 - math.prod((n - i) / (2 * n - i) for i in range(1, k + 1))  # 0.876
    assert s["coverage"] == pytest.approx(expected_coverage, abs=0.05)


def test_manifold_scores_exact_copies_of_duplicated_real_are_inside():
    real = torch.tensor([[0.0, 0.0]] * 3 + [[9.0, 9.0]] * 3)  # radius 0 everywhere for k=2
    s = manifold_scores(real, torch.tensor([[0.0, 0.0], [9.0, 9.0], [4.0, 4.0]]), k=2)
    assert s["precision"] == pytest.approx(2 / 3) and s["coverage"] == 1.0


def test_manifold_scores_rejects_too_few_samples():
    with pytest.raises(ValueError, match="k=5"):
        manifold_scores(torch.randn(5, 2), torch.randn(10, 2), k=5)


def test_manifold_scores_speed_2000_vs_2000(record_property):
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(2000, 128, generator=g), torch.randn(2000, 128, generator=g) + 0.1
    threads, wall, cpu = torch.get_num_threads(), [], []
    torch.set_num_threads(1)
    try:
        for _ in range(3):  # best of three; CPU time too, as wall time suffers on a shared machine
            start, start_cpu = time.perf_counter(), time.process_time()
            s = manifold_scores(real, fake, k=5)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    finally:
        torch.set_num_threads(threads)
    record_property("manifold_scores_2000x2000x128_wall_s", round(min(wall), 3))
    record_property("manifold_scores_2000x2000x128_cpu_s", round(min(cpu), 3))
    print(f"\nmanifold_scores 2,000 vs 2,000, F=128, 1 thread (target ≤ 2 s): "
          f"best wall {min(wall):.2f} s, best CPU {min(cpu):.2f} s")
    assert set(s) == {"precision", "recall", "density", "coverage"}
