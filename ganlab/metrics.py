"""Numbers for generators, read by a judge (``ganlab.judges``) or, in 2-D, by geometry.

Every image function takes images in [-1, 1] (the course's one convention) and a judge.

- ``quality(real, fake, judge)``: one row of a results table: **precision** (quality: the
  share of fakes that look like some real sample), **recall** (diversity: the share of reals
  that some fake resembles), density and coverage (their outlier-robust cousins), and
  classifier-FID, all in the judge's feature space. Mode collapse is *high precision with
  low recall*. Compare every row with the same call on two halves of real data: the floor.
- ``digit_coverage``: which digits a generator draws, KL to uniform, and **recognisable**,
  the share of samples the judge reads with probability > 0.9.
- ``attribute_rates`` / ``attribute_accuracy``: the same questions for the faces stand-in.
- ``mode_coverage_2d``: the PacGAN protocol on the 2-D mixtures.
"""

import numpy as np
import torch

from .manifold import manifold_scores

CONFIDENT = 0.9  # "recognisable": the judge's top probability above this


@torch.no_grad()
def _batched(fn, images, judge, batch_size=1000):
    device = next(judge.parameters()).device
    judge.eval()
    return torch.cat([fn(images[i : i + batch_size].detach().float().to(device)).float().cpu()
                      for i in range(0, len(images), batch_size)])


def predict(images, judge):
    """The judge's probabilities: (N, 10) over digits, or (N, K) per attribute."""
    return _batched(judge.probs, images, judge)


def features(images, judge):
    """The judge's penultimate-layer features (N, F), float64 numpy."""
    return _batched(judge.features, images, judge).double().numpy()


def accuracy(judge, images, labels):
    """Share of ``images`` the digit judge labels correctly."""
    return float((predict(images, judge).argmax(1) == labels.cpu()).float().mean())


def digit_coverage(images, judge, *, min_share=0.01):
    """Mode collapse as numbers, from the judge's reading of generated digits.

    Returns a dict: ``histogram`` (counts per digit, (10,)); ``covered``, digits holding at
    least ``min_share`` of the samples; ``kl`` = KL(p ‖ uniform) = Σ p_k ln(10 p_k): 0 for an
    even spread, ln 10 ≈ 2.30 when every sample is one digit; ``recognisable``, the share
    read with probability > 0.9 (blobs rarely are; real test digits give about 0.97).
    """
    top, labels = predict(images, judge).max(1)
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
    Σ₁^½ Σ₂ Σ₁^½ (the same as Σ₁Σ₂'s), which avoids a non-symmetric matrix square root.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # Σ₁^½
    lam = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2)
                 - 2 * np.sqrt(np.clip(lam, 0, None)).sum())


def _fid(f_real, f_fake):
    stats = [(f.mean(0), np.cov(f, rowvar=False)) for f in (f_real, f_fake)]
    return frechet_distance(*stats[0], *stats[1])


SD_FLOOR = 0.1  # see standardise


def standardise(f_real, f_fake):
    """Both feature sets in units of the real set's per-feature spread: z = (f − μ_real) / σ̃,
    σ̃ = max(σ_real, σ_min) with σ_min = ``SD_FLOOR`` × the median σ_real of the features kept.

    Unbounded ReLU features let a few outlying samples dominate any distance; in these units
    every feature counts alike. Features that never vary on real data are dropped, and the
    floor σ_min stops a nearly dead one (active on a handful of real digits) from turning
    into a huge axis: without it, real-vs-real classifier-FID jumped between 3 and 18 with
    the judge's training run and the sample count; with it, it stays within 0.8-3.5.
    """
    mu, sd = f_real.mean(0), f_real.std(0)
    keep = sd > 1e-6
    sd = np.maximum(sd[keep], SD_FLOOR * np.median(sd[keep]))
    return (f_real[:, keep] - mu[keep]) / sd, (f_fake[:, keep] - mu[keep]) / sd


def quality(real, fake, judge, *, k=5):
    """Precision, recall, density, coverage (k-NN balls, k = ``k``) and classifier-FID of
    ``fake`` against ``real`` in the judge's standardised feature space (see ``standardise``).

    Classifier-FID here is *not* the Inception FID of papers: only rows of the same table
    (same judge, same sample counts) compare, always next to the real-vs-real floor.
    """
    f_real, f_fake = standardise(features(real, judge), features(fake, judge))
    return manifold_scores(f_real, f_fake, k=k) | {"fid": _fid(f_real, f_fake)}


def classifier_fid(real, fake, judge):
    """classifier-FID on the judge's raw (unstandardised) features: the textbook recipe."""
    return _fid(features(real, judge), features(fake, judge))


def attribute_rates(images, judge):
    """Share of ``images`` the face judge says show each attribute: {name: rate}.

    On the stand-in every attribute is a fair coin, so real faces give rates near 0.5;
    a generator far from 0.5 over- or under-produces that attribute.
    """
    present = predict(images, judge) > 0.5  # (N, K)
    return dict(zip(judge.attributes, present.float().mean(0).tolist()))


def attribute_accuracy(images, attributes, judge):
    """Per attribute, the share of images whose predicted yes/no matches ``attributes`` (N, K):
    for a conditional generator asked for ``attributes``, how often it delivered them."""
    hits = (predict(images, judge) > 0.5) == (attributes.cpu() > 0.5)
    return dict(zip(judge.attributes, hits.float().mean(0).tolist()))


def mode_coverage_2d(samples, centers, std, *, min_count=20, n_std=3.0):
    """Modes covered and high-quality samples on a 2-D Gaussian mixture.

    The protocol of VEEGAN and PacGAN (Table 1): a sample is *high quality* when it lies
    within ``n_std`` = 3 σ of its nearest centre; a mode is *covered* when at least
    ``min_count`` high-quality samples sit next to it (PacGAN's code asks for 1 of 2,500;
    ganlab asks for 20, which is stricter).

    ``samples`` (N, 2), ``centers`` (K, 2). Returns a dict: ``covered``, ``modes`` (K),
    ``high_quality`` (% of samples), ``counts`` (high-quality samples per mode).
    """
    samples = torch.as_tensor(samples, device="cpu").double().reshape(-1, 2)
    centers = torch.as_tensor(centers, device="cpu").double().reshape(-1, 2)
    dist, nearest = torch.cdist(samples, centers).min(1)  # (N,) distance to the closest centre
    good = dist <= n_std * std
    counts = torch.bincount(nearest[good], minlength=len(centers)).numpy()
    return {"covered": int((counts >= min_count).sum()), "modes": len(centers),
            "high_quality": float(100 * good.double().mean()), "counts": counts}
