"""k-NN manifold metrics (placeholder until the metrics branch lands)."""

import torch


def _radii(x, k):
    d = torch.cdist(x, x)
    return d.kthvalue(k + 1, dim=1).values  # k-th neighbour, not counting itself


def precision_recall(real, fake, *, k=5):
    real, fake = torch.as_tensor(real, dtype=torch.float64), torch.as_tensor(fake, dtype=torch.float64)
    d = torch.cdist(real, fake)  # (N, M)
    precision = (d <= _radii(real, k)[:, None]).any(0).double().mean()
    recall = (d <= _radii(fake, k)[None, :]).any(1).double().mean()
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage(real, fake, *, k=5):
    real, fake = torch.as_tensor(real, dtype=torch.float64), torch.as_tensor(fake, dtype=torch.float64)
    inside = torch.cdist(real, fake) <= _radii(real, k)[:, None]
    return {"density": float(inside.double().sum() / (k * fake.shape[0])),
            "coverage": float(inside.any(1).double().mean())}
