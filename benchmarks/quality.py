"""Time to quality: seconds of DCGAN-28 training on MNIST until its digits meet ``TARGET``.

After each chunk of training, ``n_eval`` samples are read by the digit judge
(``ganlab.judges.mnist_judge``): ``ganlab.metrics.digit_coverage`` gives digits covered, KL to
uniform and the share recognisable; ``ganlab.metrics.quality`` gives precision and recall
against held-out test digits, next to the floor (the same call on two disjoint halves of
the test set). Times are training time (``History.seconds``); evaluation is counted apart.
"""

import time

import torch

import ganlab
from ganlab import nets
from ganlab.ema import EMA

TARGET = {  # each part of the target, as a test on one check's row
    "10/10 digits": lambda row: row["covered"] >= 10,
    "KL < 0.05": lambda row: row["kl"] < 0.05,
    "recognisable ≥ 0.85": lambda row: row["recognisable"] >= 0.85,
}


def _scores(real, fake, judge):
    keep = ("covered", "kl", "recognisable")
    return {k: v for k, v in ganlab.metrics.digit_coverage(fake, judge).items() if k in keep} \
        | ganlab.metrics.quality(real, fake, judge)


@torch.no_grad()
def samples(gan, average, n):
    """n images from G (``gan.generate``), or from its EMA copy ``average.G`` (always in eval mode)."""
    return average.G(gan.sample_z(n)) if average else gan.generate(n)


def dcgan_mnist(*, cap_s, check_every_s, n_eval=2000, width=32, batch_size=64, lr_g=2e-4, ema=None,
                quick=False, seed=0):
    """Train DCGAN-28 (``width`` 32: between notebook 04's CPU 16 and the paper's 64; G's Adam at
    ``lr_g``, D's at the paper's 2e-4) until the whole target is met or ``cap_s`` seconds of
    training; with ``ema`` (a decay, e.g. 0.999), an EMA copy of G (with warm-up) is what gets
    scored. Returns the checks (rows), the floor and ``reached``, the first row meeting the
    whole target (or None)."""
    judge = ganlab.judges.mnist_judge(quick=quick, verbose=False)
    test_x = ganlab.data.mnist(train=False).tensors[0]
    real = test_x[:n_eval]  # (n_eval, 1, 28, 28) in [-1, 1]
    floor = _scores(real, test_x[n_eval : 2 * n_eval], judge)  # what real digits score
    train_set = ganlab.data.mnist()
    ganlab.seed_everything(seed)
    G = nets.conv_generator(100, size=28, channels=1, width=width)
    D = nets.conv_discriminator(size=28, channels=1, width=width)
    gan = ganlab.GAN(G, D, ganlab.adam(G, lr=lr_g), ganlab.adam(D), latent_dim=100)
    average = EMA(G, decay=ema, warmup=True) if ema else None
    checks, eval_s = [], 0.0
    while gan.history.seconds < cap_s and not (checks and all(met(checks[-1]) for met in TARGET.values())):
        chunk = min(check_every_s, cap_s - gan.history.seconds)
        ganlab.train(gan, train_set, batch_size=batch_size, minutes=chunk / 60, progress=False,
                     callbacks=[average] if average else ())
        start = time.perf_counter()
        checks.append({"step": gan.step, "seconds": gan.history.seconds,
                       **_scores(real, samples(gan, average, n_eval), judge)})
        eval_s += time.perf_counter() - start
    reached = next((row for row in checks if all(met(row) for met in TARGET.values())), None)
    return {"checks": checks, "floor": floor, "reached": reached, "n_eval": n_eval,
            "eval_s": eval_s, "judge_accuracy": judge.accuracy, "cap_s": cap_s, "width": width,
            "batch_size": batch_size, "lr_g": lr_g, "ema": ema}
