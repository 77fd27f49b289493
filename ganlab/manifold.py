"""Quality and diversity as k-NN balls in a feature space: precision/recall, density/coverage.

Rows are samples: ``real`` (N, F) and ``fake`` (M, F), torch tensors or numpy arrays.
Each sample gets a ball B(x, r), r = distance to its k-th nearest *other* sample of its
own set; the union of the balls estimates where that set lives.

- precision (Kynkäänniemi et al. 2019): share of fakes inside at least one real ball.
  Quality: "does each fake look like something real?"  recall: share of reals inside at
  least one fake ball (the fakes' own k-NN balls). Diversity: "is every kind of real
  sample produced?"  Mode collapse reads as high precision with low recall.
- density (Naeem et al. 2020): (1/(k·M)) Σ_j Σ_i 1[fake_j ∈ B(real_i, r_i)]. Quality that a
  few real outliers cannot inflate; expected 1 when fakes are drawn like the reals, (k+1)/k
  for the very same set, and it can exceed 1 when fakes crowd where reals are dense.
- coverage: share of real balls holding at least one fake. Diversity; expected
  1 - Π_{i=1..k} (N-i)/(N+M-i) (≈ 1 - 2^-k when M = N) for a perfect generator.

Read them against real data's own floor, not against 1: two disjoint 2,000-digit halves of
MNIST's test set, in the classifier's features with k = 5, score precision ≈ recall ≈ 0.95,
density ≈ 0.98, coverage ≈ 0.97; a set of only 3s: precision ≈ 0.92, recall ≈ 0.14, coverage ≈ 0.11.
Standardising each feature by the real set's mean/std (``ganlab.metrics.quality`` does, for
the Fréchet distance's sake) moved these numbers by at most 0.03 (recall 0.14 -> 0.12 for the 3s).

Balls are closed (distance ≤ radius) and "other" means another row, so exact duplicates are
neighbours at distance 0: a point with k copies has radius 0 and its ball still holds a fake
that copies it exactly. Distances are exact differences (the |x|²+|y|²-2x·y shortcut puts a
point ~1e-2 from itself in float32), in float64 for float64 input, else float32, at most
``CHUNK_ELEMENTS`` of them at once (16 MB in float32).
"""

import torch

CHUNK_ELEMENTS = 2**22


def _rows(x, like=None):
    x = x if isinstance(x, torch.Tensor) else torch.as_tensor(x, device="cpu")  # numpy: on the CPU
    if x.ndim != 2:
        raise ValueError(f"features must be (N, F), got shape {tuple(x.shape)}")
    if like is not None:
        return x.to(like.device, like.dtype)
    return x if x.dtype == torch.float64 else x.float()


def _distance_chunks(a, b):
    """Yield (i, j, distances (j - i, len(b))) from rows a[i:j] to every row of b."""
    step = max(1, CHUNK_ELEMENTS // max(1, len(b)))
    for i in range(0, len(a), step):
        j = min(i + step, len(a))
        yield i, j, torch.cdist(a[i:j], b, compute_mode="donot_use_mm_for_euclid_dist")


def knn_radii(x, *, k=5):
    """(N,) distance from each row of ``x`` to its k-th nearest other row: its ball's radius."""
    x = _rows(x)
    if not 1 <= k < len(x):
        raise ValueError(f"k={k} needs 1 ≤ k < number of samples ({len(x)})")
    radii = torch.empty(len(x), dtype=x.dtype, device=x.device)
    for i, j, d in _distance_chunks(x, x):
        rows = torch.arange(j - i, device=d.device)
        d[rows, rows + i] = float("inf")  # a row is not its own neighbour
        radii[i:j] = d.topk(k, dim=1, largest=False).values[:, -1]  # 5× faster than kthvalue
    return radii


def manifold_scores(real, fake, *, k=5, recall=True):
    """All four in one pass: {"precision", "recall", "density", "coverage"} (see module doc).

    ``recall=False`` skips the fakes' own balls and leaves recall out.
    """
    real = _rows(real)
    fake = _rows(fake, like=real)
    r_real = knn_radii(real, k=k)
    r_fake = knn_radii(fake, k=k) if recall else None
    n_balls = torch.zeros(len(fake), dtype=torch.long, device=real.device)  # real balls per fake
    covered = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # real ball holds a fake
    recalled = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # real in a fake ball
    for i, j, d in _distance_chunks(fake, real):  # d: (fakes i..j, N)
        inside = d <= r_real
        n_balls[i:j] = inside.sum(1)
        covered |= inside.any(0)
        if recall:
            recalled |= (d <= r_fake[i:j, None]).any(0)
    share = lambda t: t.double().mean().item()
    scores = {"precision": share(n_balls > 0), "recall": share(recalled),
              "density": n_balls.sum().item() / (k * len(fake)), "coverage": share(covered)}
    if not recall:
        del scores["recall"]
    return scores


def precision_recall(real, fake, *, k=5):
    """{"precision": quality, "recall": diversity}, each in [0, 1]."""
    s = manifold_scores(real, fake, k=k)
    return {"precision": s["precision"], "recall": s["recall"]}

