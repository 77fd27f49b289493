"""Numbers for generators, read by a judge (``ganlab.judges``) or, in 2-D, by geometry.

``quality`` gives **precision** (the share of fakes that look like some real sample) and
**recall** (the share of reals some fake resembles): mode collapse is *high precision with low
recall*. Compare every row with the same call on two halves of real data: the floor. Images are
in [-1, 1]; NaN, integers or another range are refused, never scored."""

import math

import numpy as np
import torch

from .manifold import manifold_scores, rows
from .paths import count

CONFIDENT = 0.9  # "recognisable": the judge's top probability above this
SLACK = 0.01  # how far past [-1, 1] images may reach (resampling overshoot), no more
SD_FLOOR = 0.1  # see standardise


def _images(images, what):
    """``images`` as a tensor, refused when a judge's reading of them would mean nothing."""
    x = images.detach() if isinstance(images, torch.Tensor) else torch.as_tensor(images, device="cpu")
    if not x.is_floating_point() or x.ndim < 2 or not len(x):
        raise ValueError(f"{what} must be a batch of float images in [-1, 1], not {x.dtype} of shape "
                         f"{tuple(x.shape)}: scale them (x.float() / 127.5 - 1 from 0..255)")
    lo, hi = (float(v) for v in torch.aminmax(x))  # min and max carry any NaN
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{what} hold NaN or inf (a generator that diverged?): a score of them would mean "
                         "nothing; retrain, or load a checkpoint from before it diverged")
    if lo < -1 - SLACK or hi > 1 + SLACK:
        raise ValueError(f"{what} span [{lo:.3g}, {hi:.3g}], but judges read images in [-1, 1]: scale "
                         "them (x / 127.5 - 1 from 0..255, 2 * x - 1 from 0..1)")
    return x


@torch.no_grad()
def _batched(judge, method, images, what="images", batch_size=1000):
    """``judge.<method>`` of the checked images, 1,000 at a time, on the CPU."""
    if not (hasattr(judge, "features") and hasattr(judge, "probs")):
        raise TypeError(f"{type(judge).__name__} is not a judge: pass ganlab.judges.mnist_judge() or "
                        "face_judge() (the images first, then the judge)")
    x, device, fn = _images(images, what), next(judge.parameters()).device, getattr(judge, method)
    judge.eval()
    return torch.cat([fn(x[i : i + batch_size].float().to(device)).float().cpu()
                      for i in range(0, len(x), batch_size)])


def predict(images, judge):
    """The judge's probabilities: (N, 10) over digits, or (N, K) per attribute."""
    return _batched(judge, "probs", images)


def features(images, judge):
    """The judge's penultimate-layer features (N, F), float64 numpy."""
    return _batched(judge, "features", images).double().numpy()


def _answers(images, judge, *, digits):
    """``predict``, refused when the judge reads digits and ``digits`` is False, or the reverse."""
    probs = predict(images, judge)
    if digits != (probs.shape[1] == 10 and not hasattr(judge, "attributes")):
        raise TypeError("this judge reads face attributes: use judges.mnist_judge() for digits" if digits
                        else "this judge reads digits: use judges.face_judge() for faces")
    return probs


def _per_image(targets, shape, what):
    targets = torch.as_tensor(targets, device="cpu")
    if targets.shape != shape:
        raise ValueError(f"{what} must be one row per image, of shape {shape}, not {tuple(targets.shape)}")
    return targets


def accuracy(judge, images, labels):
    """Share of ``images`` the digit judge labels correctly."""
    labels = _per_image(labels, (len(images),), "labels (class ids 0..9)")
    return float((_answers(images, judge, digits=True).argmax(1) == labels).float().mean())


def digit_coverage(images, judge, *, min_share=0.01):
    """Mode collapse as numbers, from the judge's reading of generated digits: ``histogram``
    (counts per digit, (10,)); ``covered``, digits holding at least ``min_share`` of the samples;
    ``kl`` = KL(p ‖ uniform) = Σ p_k ln(10 p_k): 0 for an even spread, ln 10 ≈ 2.30 for one digit;
    ``recognisable``, the share read with probability > 0.9 (real test digits: about 0.97)."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share={min_share!r}: give the share a digit needs, in (0, 1], e.g. 0.01")
    top, labels = _answers(images, judge, digits=True).max(1)
    hist = np.bincount(labels.numpy(), minlength=10)
    p = hist / hist.sum()
    nz = p > 0
    return {"histogram": hist, "covered": int((p >= min_share).sum()),
            "kl": float((p[nz] * np.log(10 * p[nz])).sum()),
            "recognisable": float((top > CONFIDENT).float().mean())}


def digit_report(real, fake, judge):
    """One row of a results table for generated digits, against ``real`` test digits: covered, KL,
    recognisable (``digit_coverage``), precision, recall, coverage and FID (``quality``)."""
    cov, q = digit_coverage(fake, judge), quality(real, fake, judge)
    return {"covered": cov["covered"], "KL": cov["kl"], "recognisable": cov["recognisable"],
            "precision": q["precision"], "recall": q["recall"], "coverage": q["coverage"], "FID": q["fid"]}


def face_report(real, fake, judge):
    """One row for generated faces: precision, recall, coverage and FID (``quality``) and ``worst``,
    the largest |generated − real| attribute rate (``attribute_rates``)."""
    rates_real, rates = attribute_rates(real, judge), attribute_rates(fake, judge)
    q = quality(real, fake, judge)
    return {"precision": q["precision"], "recall": q["recall"], "coverage": q["coverage"], "FID": q["fid"],
            "worst": max(abs(rates[k] - rates_real[k]) for k in rates)}


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet (2-Wasserstein) distance² between N(μ₁, Σ₁) and N(μ₂, Σ₂):

        d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½).

    Tr (Σ₁Σ₂)^½ is Σᵢ √λᵢ with λᵢ the eigenvalues of the *symmetric* PSD matrix
    Σ₁^½ Σ₂ Σ₁^½ (the same as Σ₁Σ₂'s), which avoids a non-symmetric matrix square root."""
    mu1, sigma1, mu2, sigma2 = (np.asarray(a, np.float64) for a in (mu1, sigma1, mu2, sigma2))
    d = len(mu1)
    if (mu1.shape, mu2.shape, sigma1.shape, sigma2.shape) != ((d,), (d,), (d, d), (d, d)) or not all(
            np.isfinite(a).all() for a in (mu1, sigma1, mu2, sigma2)):
        raise ValueError("frechet_distance takes finite means (d,) and covariances (d, d) of one d: compute "
                         "them from finite features, f.mean(0) and np.cov(f, rowvar=False)")
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # Σ₁^½
    lam = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2)
                 - 2 * np.sqrt(np.clip(lam, 0, None)).sum())


def _fid(f_real, f_fake):
    if min(len(f_real), len(f_fake)) < 2:
        raise ValueError("FID needs at least 2 samples per set (2,000 is usual), for a covariance")
    stats = [(f.mean(0), np.cov(f, rowvar=False)) for f in (f_real, f_fake)]
    return frechet_distance(*stats[0], *stats[1])


def standardise(f_real, f_fake):
    """Both feature sets in units of the real set's per-feature spread: z = (f − μ_real) / σ̃,
    σ̃ = max(σ_real, σ_min) with σ_min = ``SD_FLOOR`` × the median σ_real of the features kept.
    Features constant on real data are dropped; the floor stops a nearly dead one (active on a
    few real digits) becoming a huge axis (real-vs-real FID jumped between 3 and 18 without it)."""
    f_real = rows(f_real, "the real features").double().numpy()
    f_fake = rows(f_fake, "the fake features", width=f_real.shape[1]).double().numpy()
    mu, sd = f_real.mean(0), f_real.std(0)
    keep = sd > 1e-6
    sd = np.maximum(sd[keep], SD_FLOOR * np.median(sd[keep]))
    return (f_real[:, keep] - mu[keep]) / sd, (f_fake[:, keep] - mu[keep]) / sd


def _features(real, fake, judge):
    """``features`` of both sets; an error names the set."""
    named = [(real, "real"), (fake, "fake")]
    return [_batched(judge, "features", x, name).double().numpy() for x, name in named]


def quality(real, fake, judge, *, k=5):
    """Precision, recall, density, coverage (k-NN balls, k = ``k``) and classifier-FID of
    ``fake`` against ``real`` in the judge's standardised feature space (see ``standardise``).
    Classifier-FID here is *not* the Inception FID of papers: only rows of the same table
    (same judge, same sample counts) compare, always next to the real-vs-real floor."""
    f_real, f_fake = standardise(*_features(real, fake, judge))
    return manifold_scores(f_real, f_fake, k=k) | {"fid": _fid(f_real, f_fake)}


def classifier_fid(real, fake, judge):
    """classifier-FID on the judge's raw (unstandardised) features: the textbook recipe."""
    return _fid(*_features(real, fake, judge))


def attribute_rates(images, judge):
    """Share of ``images`` the face judge says show each attribute: {name: rate}. On the stand-in
    every attribute is a fair coin, so real faces give rates near 0.5."""
    present = _answers(images, judge, digits=False) > 0.5  # (N, K)
    return dict(zip(judge.attributes, present.float().mean(0).tolist()))


def attribute_accuracy(images, attributes, judge):
    """Per attribute, the share of images whose predicted yes/no matches ``attributes`` (N, K):
    for a conditional generator asked for ``attributes``, how often it delivered them."""
    present = _answers(images, judge, digits=False) > 0.5
    hits = present == (_per_image(attributes, tuple(present.shape), "attributes (0/1)") > 0.5)
    return dict(zip(judge.attributes, hits.float().mean(0).tolist()))


def mode_coverage_2d(samples, centers, std, *, min_count=20, n_std=3.0):
    """Modes covered and high-quality samples on a 2-D Gaussian mixture, by the protocol of VEEGAN
    and PacGAN (Table 1): a sample is *high quality* within ``n_std`` = 3 σ of its nearest centre;
    a mode is *covered* when at least ``min_count`` high-quality samples sit next to it (PacGAN's
    code asks for 1 of 2,500; ganlab for 20, which is stricter). ``samples`` (N, 2), ``centers``
    (K, 2). Returns ``covered``, ``modes`` (K), ``high_quality`` (% of samples), ``counts`` per mode."""
    samples, centers = (rows(x, what, width=2).double().cpu() for x, what in ((samples, "samples"),
                                                                               (centers, "centers")))
    if not (std > 0 and n_std > 0):
        raise ValueError(f"std={std!r}, n_std={n_std!r}: give the mixture's σ (data.MIXTURE_STD[name]) and "
                         "the radius in σ (3), both > 0")
    dist, nearest = torch.cdist(samples, centers).min(1)  # (N,) distance to the closest centre
    good = dist <= n_std * std
    counts = torch.bincount(nearest[good], minlength=len(centers)).numpy()
    return {"covered": int((counts >= count(min_count, "mode_coverage_2d", "min_count")).sum()),
            "modes": len(centers), "high_quality": float(100 * good.double().mean()), "counts": counts}
