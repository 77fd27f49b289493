"""Time to quality: how much training (wall-clock) a model needs before it is good.

- DCGAN on MNIST: train in chunks; after each, generate ``n_eval`` digits and score them
  with ``ganlab.metrics`` (digit coverage, KL to uniform, classifier-FID against held-out
  real test digits). The target is met at the first check where 10/10 digits are covered,
  KL < 0.05 and classifier-FID ≤ 5 × the real-vs-real floor at the same sample count.
  Time is *training* time (``History.seconds``); evaluation time is reported apart.
- 2-D mixtures (ring8, grid25): vanilla GAN and WGAN-GP, modes covered and % high-quality
  samples (2,500 samples, within 3σ of a centre) at fixed step budgets, median of seeds.
"""

import statistics
import time

import numpy as np

import ganlab
from ganlab import playground  # not imported by ganlab itself (it needs matplotlib)

TARGET = {"covered": 10, "kl": 0.05, "fid_over_floor": 5.0}
PARTS = {  # each part of the target, as a test on one check's row
    "10/10 digits": lambda row: row["covered"] >= TARGET["covered"],
    "KL < 0.05": lambda row: row["kl"] < TARGET["kl"],
    "FID ≤ 5 × floor": lambda row: row["fid_over_floor"] <= TARGET["fid_over_floor"],
}


def dcgan_mnist(*, cap_s, check_every_s, n_eval=2000, seed=0, width=32, batch_size=64, quick=False):
    """Train DCGAN-28 on MNIST until the quality target or ``cap_s`` seconds of training.

    ``width`` 32 is between notebook 04's CPU setting (16) and the paper's (64): on a CPU
    it lowers the FID faster per second than either (``--dcgan-width`` compares). ``quick`` lets a smoke
    run use the small quick-mode classifier when the full one is not cached. Returns a
    dict with the checks made (rows), ``reached`` (the first row meeting the whole target,
    or None) and ``first`` (the first row meeting each part of it).
    """
    M = ganlab.metrics
    clf = M.mnist_classifier(quick=quick, verbose=False)
    train_set = ganlab.data.mnist()
    test_x = ganlab.data.mnist(train=False).tensors[0]
    floor = M.classifier_fid_floor(test_x, n_eval, clf)
    real = M.features(test_x[:n_eval], clf)  # (n_eval, F): held-out digits, computed once
    real_stats = real.mean(0), np.cov(real, rowvar=False)
    real_kl = M.digit_coverage(test_x[:n_eval], clf)["kl"]  # what real digits score
    ganlab.seed_everything(seed)
    G = ganlab.dcgan.dcgan_generator(100, size=28, channels=1, width=width)
    D = ganlab.dcgan.dcgan_discriminator(size=28, channels=1, width=width)
    gan = ganlab.GAN(G, D, ganlab.dcgan.adam(G), ganlab.dcgan.adam(D), latent_dim=100)
    checks, first, reached, eval_s = [], dict.fromkeys(PARTS), None, 0.0
    while reached is None and gan.history.seconds < cap_s:
        chunk = min(check_every_s, cap_s - gan.history.seconds)
        ganlab.train(gan, train_set, batch_size=batch_size, minutes=chunk / 60, progress=False)
        start = time.perf_counter()
        fake = gan.generate(n_eval)
        cov = M.digit_coverage(fake, clf)
        feats = M.features(fake, clf)
        fid = M.frechet_distance(*real_stats, feats.mean(0), np.cov(feats, rowvar=False))
        eval_s += time.perf_counter() - start
        row = {"step": gan.step, "seconds": gan.history.seconds, "covered": cov["covered"],
               "kl": cov["kl"], "fid": fid, "fid_over_floor": fid / floor}
        checks.append(row)
        for name, met in PARTS.items():
            if first[name] is None and met(row):
                first[name] = row
        if all(met(row) for met in PARTS.values()):
            reached = row
    return {"checks": checks, "reached": reached, "first": first, "floor": floor, "n_eval": n_eval,
            "eval_s": eval_s, "classifier_accuracy": clf.test_accuracy, "cap_s": cap_s, "width": width,
            "batch_size": batch_size, "real_kl": real_kl}


# --- 2-D mixtures ------------------------------------------------------------------------


TOY = {"lr": 1e-3, "betas": (0.5, 0.9), "gp_weight": 0.1}
"""WGAN-GP with the settings of the paper's own 2-D toy script (``gan_toy.py`` in
igul222/improved_wgan_training: λ = 0.1, whose comment says a smaller λ makes toy tasks
faster, and Adam β = (0.5, 0.9)), but lr 1e-3 instead of its 1e-4 (it trains 100,000
iterations; a CPU budget allows a few thousand)."""


def mixture(name, method, *, budgets, seeds, settings=None, label=None, n_eval=2500, batch_size=256):
    """Modes covered and HQ % after each step budget, per seed; medians over seeds.

    ``method`` and ``settings`` go to ``ganlab.playground.make_gan`` (3×128 ReLU MLPs, z ∈ R²,
    notebook 06's models); ``label`` names the row (default: the method)."""
    std = ganlab.data.MIXTURE_STD[name]
    centers = ganlab.data.mixture_centers(name)
    per_budget = {b: [] for b in budgets}
    for seed in seeds:
        ganlab.seed_everything(seed)
        gan = playground.make_gan(method, **(settings or {}))
        for b in budgets:
            ganlab.train(gan, playground.sampler(name), batch_size=batch_size, steps=b, progress=False)
            cov = ganlab.metrics.mode_coverage_2d(gan.generate(n_eval), centers, std)
            per_budget[b].append((cov["covered"], cov["high_quality"], gan.history.seconds))
    rows = []
    for b, results in per_budget.items():
        covered, hq, secs = zip(*results)
        rows.append({"mixture": name, "method": label or method, "steps": b, "modes": len(centers),
                     "covered": statistics.median(covered), "covered_all": list(covered),
                     "hq": statistics.median(hq), "seconds": statistics.median(secs)})
    return rows
