"""Quality and diversity as k-NN balls in a feature space: precision/recall, density/coverage.

Rows are samples: ``real`` (N, F), ``fake`` (M, F). Each sample gets a closed ball B(x, r),
r = distance to its k-th nearest *other* row of its own set (duplicates are neighbours at 0).

- precision (Kynkäänniemi et al. 2019): share of fakes inside a real ball (quality); recall:
  share of reals inside a fake ball (diversity). Mode collapse: high precision, low recall.
- density (Naeem et al. 2020): (1/(k·M)) Σ_j Σ_i 1[fake_j ∈ B(real_i, r_i)]: 1 expected when
  fakes are drawn like the reals, (k+1)/k for the very same set. coverage: share of real balls
  holding a fake; expected 1 − Π_{i=1..k} (N−i)/(N+M−i) (≈ 1 − 2^−k when M = N).

Read them against real data's own floor, not 1: two 2,000-digit halves of MNIST's test set
(judge features, k = 5) score precision ≈ recall ≈ 0.95, density ≈ 0.98, coverage ≈ 0.97; only
3s: precision ≈ 0.92, recall ≈ 0.14. Distances are exact differences (|x|²+|y|²−2x·y puts a
point ~1e-2 from itself in float32), ``CHUNK_ELEMENTS`` at a time (16 MB)."""

import torch

from .paths import count

CHUNK_ELEMENTS = 2**22


def rows(x, what, *, width=None, like=None):
    """``x`` as a finite (N, F) float tensor, N ≥ 1 (float64 stays float64; numpy goes to the CPU),
    with F = ``width`` when given; else an error that says what is wrong."""
    x = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(x, device="cpu")
    if x.ndim != 2 or not len(x) or (width is not None and x.shape[1] != width):
        want = f"(N, {width})" if width is not None else "(N, F), one row per sample"
        raise ValueError(f"{what} must be {want}, not of shape {tuple(x.shape)}: reshape them "
                         "(x.flatten(1) for images), or pass the points the metric is for")
    if like is not None:
        x = x.to(like.device, like.dtype)
    elif x.dtype != torch.float64:
        x = x.float()
    if not torch.isfinite(torch.stack(torch.aminmax(x))).all():  # min and max carry any NaN
        raise ValueError(f"{what} hold NaN or inf (from a generator that diverged?): a score of them "
                         "would mean nothing; find where they came from, and retrain or reload")
    return x


def _distance_chunks(a, b):
    """Yield (i, j, distances (j - i, len(b))) from rows a[i:j] to every row of b."""
    step = max(1, CHUNK_ELEMENTS // max(1, len(b)))
    for i in range(0, len(a), step):
        j = min(i + step, len(a))
        yield i, j, torch.cdist(a[i:j], b, compute_mode="donot_use_mm_for_euclid_dist")


def _check_k(k, n, what):
    count(k, "manifold_scores", "k", hint=" neighbours, e.g. 5")
    if n <= k:
        raise ValueError(f"{what} hold {n} samples, too few for k={k} neighbours: give at least {k + 1} "
                         "(2,000 per set is usual), or a smaller k")


def knn_radii(x, *, k=5):
    """(N,) distance from each row of ``x`` to its k-th nearest other row: its ball's radius."""
    x = rows(x, "x")
    _check_k(k, len(x), "x")
    radii = torch.empty(len(x), dtype=x.dtype, device=x.device)
    for i, j, d in _distance_chunks(x, x):
        r = torch.arange(j - i, device=d.device)
        d[r, r + i] = float("inf")  # a row is not its own neighbour
        radii[i:j] = d.topk(k, dim=1, largest=False).values[:, -1]  # 5× faster than kthvalue
    return radii


def manifold_scores(real, fake, *, k=5, recall=True):
    """All four in one pass: {"precision", "recall", "density", "coverage"} (see module doc).
    ``recall=False`` skips the fakes' own balls and leaves recall out."""
    real = rows(real, "real")
    fake = rows(fake, "fake", like=real)
    if fake.shape[1] != real.shape[1]:
        raise ValueError(f"real has {real.shape[1]} features per sample, fake {fake.shape[1]}: "
                         "compute both in the same feature space (the same judge)")
    _check_k(k, len(real), "real")
    if recall:
        _check_k(k, len(fake), "fake")
    r_real, r_fake = knn_radii(real, k=k), knn_radii(fake, k=k) if recall else None
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
