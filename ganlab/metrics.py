"""Metrics for generators: a local MNIST classifier, digit coverage, classifier-FID, 2-D mode coverage.

Nothing here downloads weights: the MNIST classifier is trained on this machine the
first time it is asked for, then cached under ``ganlab.data_root()``.

Every image function takes ``value_range=(low, high)``, the range the images come in
(``(-1, 1)`` for tanh generators and ``mnist()``'s default, ``(0, 1)`` for sigmoid
generators); they are rescaled to the classifier's [-1, 1] before it sees them.
"""

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .device import is_quick
from .paths import data_root

FULL_NAME, QUICK_NAME = "mnist_classifier.pt", "mnist_classifier_quick.pt"


# ---------------------------------------------------------------------------------------------
# The MNIST classifier
# ---------------------------------------------------------------------------------------------
class MnistClassifier(nn.Module):
    """A small CNN for 28×28 digits in [-1, 1]: two conv blocks, one hidden layer, 10 logits.

    ``features(x)`` is the penultimate layer (B, feature_dim), the space classifier-FID uses.
    """

    def __init__(self, width=16, feature_dim=128):
        super().__init__()
        self.width, self.feature_dim = width, feature_dim
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),  # 14×14
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 2w, 7, 7)
            nn.Flatten(), nn.Linear(2 * width * 49, feature_dim), nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, 10)
        self.test_accuracy = float("nan")  # filled in by mnist_classifier()

    def features(self, x):
        return self.body(x)  # (B, feature_dim)

    def forward(self, x):
        return self.head(self.body(x))  # (B, 10) logits


# (width, feature_dim, epochs, train images): the full classifier and quick mode's small one.
_CONFIGS = {FULL_NAME: (16, 128, 3, 60000), QUICK_NAME: (16, 64, 1, 12000)}


def mnist_classifier(root=None, *, quick=None, device="cpu", verbose=True):
    """The MNIST classifier, trained here once and cached under ``root`` (default ``data_root()``).

    The full one (``mnist_classifier.pt``, ≥ 99 % test accuracy, about a minute or two on a
    2-core CPU) is used whenever it is cached. In quick mode (``ganlab.is_quick()``), if it
    is not, a smaller one trained on 12,000 images for one epoch (``mnist_classifier_quick.pt``,
    seconds, about 97 %) stands in. It expects images in [-1, 1]; its accuracy on the
    10,000 test images is in ``.test_accuracy``. Loaded with ``weights_only=True``.
    """
    root = data_root() if root is None else Path(root)
    quick = is_quick() if quick is None else quick
    name = FULL_NAME if (root / FULL_NAME).exists() or not quick else QUICK_NAME
    path = root / name
    if path.exists():
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = MnistClassifier(state["width"], state["feature_dim"])
        model.load_state_dict(state["model"])
        model.test_accuracy, how = state["test_accuracy"], "cached"
    else:
        model, how = _train_classifier(root, name), "trained just now"
    if verbose:
        acc = 100 * model.test_accuracy
        print(f"ganlab: MNIST classifier {path.name} ({how}), test accuracy {acc:.2f} %")
    return model.to(device).eval().requires_grad_(False)


def _train_classifier(root, name, seed=0):
    from .data import mnist  # the data package imports heavier things; only needed here

    width, feature_dim, epochs, n_train = _CONFIGS[name]
    train_x, train_y = mnist(root, train=True).tensors
    test_x, test_y = mnist(root, train=False).tensors
    g = torch.Generator().manual_seed(seed)
    model = MnistClassifier(width, feature_dim)
    torch.manual_seed(seed)
    model.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
    steps = epochs * (n_train // 128)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    # One-cycle: warm up then anneal, which reaches 99 % in a few epochs without tuning.
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps)
    start = time.perf_counter()
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(train_x), generator=g)[:n_train]
        for idx in perm[: (n_train // 128) * 128].view(-1, 128):
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    model.test_accuracy = accuracy(model, test_x, test_y)
    print(f"ganlab: trained {name} in {time.perf_counter() - start:.0f} s "
          f"({epochs} epoch(s) on {n_train} images)")
    root.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "width": width, "feature_dim": feature_dim,
             "test_accuracy": model.test_accuracy}
    torch.save(state, root / name)
    return model


def _to_classifier(images, classifier, value_range):
    """Rescale (B, 1, 28, 28) images from ``value_range`` to [-1, 1] on the classifier's device."""
    low, high = value_range
    device = next(classifier.parameters()).device
    images = images.detach().float().to(device).reshape(-1, 1, 28, 28)
    return (images - low) * (2.0 / (high - low)) - 1.0


@torch.no_grad()
def _batched(fn, images, classifier, value_range, batch_size=1000):
    classifier.eval()
    out = [fn(_to_classifier(images[i : i + batch_size], classifier, value_range))
           for i in range(0, len(images), batch_size)]
    return torch.cat(out).cpu()


def predict(images, classifier, *, value_range=(-1.0, 1.0)):
    """Class probabilities (N, 10) for images in ``value_range``."""
    return _batched(lambda x: classifier(x).softmax(1), images, classifier, value_range)


def features(images, classifier, *, value_range=(-1.0, 1.0)):
    """Penultimate-layer features (N, feature_dim) as float64 numpy, for Fréchet distances."""
    return _batched(classifier.features, images, classifier, value_range).double().numpy()


def accuracy(classifier, images, labels, *, value_range=(-1.0, 1.0)):
    """Share of ``images`` the classifier labels correctly."""
    predicted = predict(images, classifier, value_range=value_range).argmax(1)
    return float((predicted == labels.cpu()).float().mean())


# ---------------------------------------------------------------------------------------------
# Digit coverage: which digits does a generator draw?
# ---------------------------------------------------------------------------------------------
def class_histogram(images, classifier, *, value_range=(-1.0, 1.0)):
    """How many images the classifier puts in each digit class: int64 numpy array (10,)."""
    labels = predict(images, classifier, value_range=value_range).argmax(1)
    return np.bincount(labels.numpy(), minlength=10)


def digit_coverage(images, classifier, *, value_range=(-1.0, 1.0), min_share=0.01, confidence=0.9):
    """Mode collapse as numbers, from the classifier's reading of generated digits.

    Returns a dict:
      ``histogram``  counts per class (10,);
      ``covered``    classes holding at least ``min_share`` of the samples (out of 10);
      ``kl``         KL(p ‖ uniform) = Σ p_k ln(10 p_k) = ln 10 − H(p): 0 for a perfectly even
                     spread, ln 10 ≈ 2.30 when every sample is one digit;
      ``confident``  share of samples whose top class has probability ≥ ``confidence``
                     (a rough legibility score: blobs are rarely read confidently).
    """
    probs = predict(images, classifier, value_range=value_range)  # (N, 10)
    top, labels = probs.max(1)
    hist = np.bincount(labels.numpy(), minlength=10)
    p = hist / hist.sum()
    nz = p > 0
    return {"histogram": hist,
            "covered": int((p >= min_share).sum()),
            "kl": float((p[nz] * np.log(10 * p[nz])).sum()),
            "confident": float((top >= confidence).float().mean())}


# ---------------------------------------------------------------------------------------------
# Fréchet distance on classifier features
# ---------------------------------------------------------------------------------------------
def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet (2-Wasserstein) distance² between N(μ₁, Σ₁) and N(μ₂, Σ₂):

        d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½).

    Tr (Σ₁Σ₂)^½ is computed as Σᵢ √λᵢ with λᵢ the eigenvalues of the *symmetric* PSD matrix
    Σ₁^½ Σ₂ Σ₁^½ (same eigenvalues as Σ₁Σ₂), which avoids a non-symmetric matrix square root.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # Σ₁^½
    lam = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    tr_sqrt = np.sqrt(np.clip(lam, 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_sqrt)


def _stats(feats):
    return feats.mean(0), np.cov(feats, rowvar=False)


def classifier_fid(real, fake, classifier, *, value_range=(-1.0, 1.0)):
    """Fréchet distance between real and generated images in the MNIST classifier's
    penultimate-feature space (128 numbers per image for the full classifier).

    This is NOT the Inception FID of papers: the features come from our small MNIST
    CNN, so the numbers are only comparable with each other (same classifier, same
    sample count), never with published FIDs. Lower is better; it is biased upwards for
    small samples, so always compare with :func:`classifier_fid_floor` at the same count.
    """
    return frechet_distance(*_stats(features(real, classifier, value_range=value_range)),
                            *_stats(features(fake, classifier, value_range=value_range)))


def classifier_fid_floor(real, n, classifier, *, value_range=(-1.0, 1.0), seed=0):
    """classifier-FID between two disjoint random sets of ``n`` real images: what a perfect
    generator would score with ``n`` samples (finite samples never give 0)."""
    if len(real) < 2 * n:
        raise ValueError(f"the floor needs 2 × {n} real images, got {len(real)}")
    perm = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))
    return classifier_fid(real[perm[:n]], real[perm[n : 2 * n]], classifier, value_range=value_range)


# ---------------------------------------------------------------------------------------------
# 2-D mode coverage (ring8, grid25)
# ---------------------------------------------------------------------------------------------
def mode_coverage_2d(samples, centers, std, *, min_count=20, n_std=3.0):
    """Modes covered and high-quality samples on a 2-D Gaussian mixture.

    The protocol of VEEGAN and PacGAN (Table 1): a sample is *high quality* when it lies
    within ``n_std`` = 3 σ of its nearest centre; a mode is *covered* when at least
    ``min_count`` high-quality samples sit next to it (PacGAN: 20 out of 2,500 samples).

    ``samples`` (N, 2), ``centers`` (K, 2). Returns a dict: ``covered`` (modes covered),
    ``modes`` (K), ``high_quality`` (% of samples), ``counts`` (high-quality samples per mode).
    """
    samples = torch.as_tensor(samples, dtype=torch.float64).reshape(-1, 2)
    centers = torch.as_tensor(centers, dtype=torch.float64).reshape(-1, 2)
    dist, nearest = torch.cdist(samples, centers).min(1)  # (N,) distance to the closest centre
    good = dist <= n_std * std
    counts = torch.bincount(nearest[good], minlength=len(centers)).numpy()
    return {"covered": int((counts >= min_count).sum()), "modes": len(centers),
            "high_quality": float(100 * good.double().mean()), "counts": counts}


__all__ = [
    "MnistClassifier", "mnist_classifier", "predict", "features", "accuracy",
    "class_histogram", "digit_coverage", "frechet_distance", "classifier_fid",
    "classifier_fid_floor", "mode_coverage_2d",
]
