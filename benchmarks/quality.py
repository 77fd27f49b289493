"""Time to quality: seconds of DCGAN-28 training on MNIST until its digits meet ``TARGET``; and
faces, 03's MLP GAN against 04's face DCGAN at equal training seconds (``faces_equal_time``).

After each chunk of training, ``n_eval`` samples are read by the digit judge
(``ganlab.judges.mnist_judge``): ``ganlab.metrics.digit_coverage`` gives digits covered, KL to
uniform and the share recognisable; ``ganlab.metrics.quality`` gives precision and recall
against held-out test digits, next to the floor (the same call on two disjoint halves of
the test set). Times are training time (``History.seconds``); evaluation is counted apart.
"""

import functools
import time

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


def samples(gan, average, n):
    """n images from G, or from its EMA copy ``average.G`` when there is one."""
    return gan.generate(n, G=average.G if average else None)


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


def _face_scores(real, fake, judge, floor_fid):
    rates_real, rates = (ganlab.metrics.attribute_rates(x, judge) for x in (real, fake))
    q = ganlab.metrics.quality(real, fake, judge)
    return {"precision": q["precision"], "recall": q["recall"], "coverage": q["coverage"],
            "fid_ratio": q["fid"] / floor_fid, "worst": max(abs(rates[k] - rates_real[k]) for k in rates)}


def faces_equal_time(*, seconds, n_faces=10_000, n_eval=2000, quick=False, seed=0):
    """Notebook 03's MLP GAN against notebook 04's face DCGAN (R1, γ 1 paid every 4th D step; its EMA
    copy, decay 0.999, is what gets scored), each trained ``seconds`` on the same 32×32 stand-in
    faces, both read in the face judge's feature space (``ganlab.judges.face_judge``): precision,
    recall, coverage, FID over the real-vs-real floor, and ``worst``, the largest |generated − real|
    attribute rate. Returns {"floor": ..., "MLP": row, "DCGAN": row}; a row adds steps and seconds."""
    judge = ganlab.judges.face_judge(quick=quick, verbose=False)
    faces = ganlab.data.synthetic_faces(n_faces, size=32, seed=seed)
    real = faces.tensors[0]  # (n_faces, 3, 32, 32) in [-1, 1]
    floor = _face_scores(real[:n_eval], real[n_eval : 2 * n_eval], judge, floor_fid=1.0)
    floor_fid = floor["fid_ratio"]  # over 1.0: the real-vs-real FID itself, which the others divide by
    rows = {"floor": floor | {"fid_ratio": 1.0}}
    for name in ("MLP", "DCGAN"):
        ganlab.seed_everything(seed)  # each model from its notebook's initial weights and data order
        gan, step, batch, average = _face_model(name)
        history = ganlab.train(gan, faces, step=step, batch_size=batch, minutes=seconds / 60, progress=False,
                               callbacks=[average] if average else ())
        rows[name] = {"steps": gan.step, "seconds": history.seconds,
                      **_face_scores(real[:n_eval], samples(gan, average, n_eval), judge, floor_fid)}
    return rows


def _face_model(name):
    """(gan, step, batch size, EMA or None): 03's LayerNorm MLP GAN (paper's Adam, batch 64), or
    04's second face DCGAN (width 16, batch 32, R1 γ 1 every 4th D step, an EMA copy of G)."""
    from torch import nn

    if name == "MLP":
        leaky = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        G = nets.mlp_generator(100, (256, 512), (3, 32, 32), act=leaky, norm=nn.LayerNorm)
        D = nets.mlp_discriminator((3, 32, 32), (512, 256), act=leaky, norm=nn.LayerNorm)
        return ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=100), ganlab.steps.bce, 64, None
    G = nets.conv_generator(100, size=32, channels=3, width=16)
    D = nets.conv_discriminator(size=32, channels=3, width=16)
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=100)
    step = functools.partial(ganlab.steps.r1, gamma=1.0, every=4)
    return gan, step, 32, EMA(G, decay=0.999, warmup=True)
