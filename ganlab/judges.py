"""Judges: small classifiers trained on this machine once, cached, and used to measure generators.

``mnist_judge`` reads digits (10 classes, softmax); ``face_judge`` the synthetic stand-in's
attributes (K yes/no questions, K sigmoids; it knows nothing of CelebA). Both take images in
[-1, 1] and offer ``features(x)`` (B, F), the space ``ganlab.metrics`` measures in; ``probs(x)``;
and ``accuracy``, held out. Nothing is downloaded: a judge is trained once, on one thread from a
fixed seed, and cached under ``data_root()`` while its fingerprint (recipe, and the stand-in's
drawing) matches. ``quick=True`` trains less with the *same* network: one feature space."""

import os
import time

import torch
import torch.nn.functional as F
from torch import nn

from .device import one_thread, profile
from .metrics import predict
from .paths import folder

FACE_SIZE = 32  # the face judge looks at 32×32: every attribute is visible at that size
# name: (training images, epochs); quick ones are smaller budgets of the same network
MNIST_RECIPES = {"mnist_judge": (60000, 3), "mnist_judge_quick": (12000, 1)}
FACE_RECIPES = {"face_judge": (4000, 5), "face_judge_quick": (1500, 6)}
FACE_TEST, FACE_TRAIN_SEED, FACE_TEST_SEED, FACE_CHECK_SEED = 2000, 1, 2, 3  # disjoint stand-in draws


def _conv_block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]


class _Judge(nn.Module):
    def forward(self, x):
        return self.head(self.features(x))  # (B, 10) or (B, K) logits


class MnistJudge(_Judge):
    """28×28 digits -> 10 logits: two conv blocks (28 -> 14 -> 7), a 128-wide feature layer."""

    def __init__(self, width=16, feature_dim=128):
        super().__init__()
        self.body = nn.Sequential(*_conv_block(1, width), *_conv_block(width, 2 * width), nn.Flatten(),
                                  nn.Linear(2 * width * 49, feature_dim), nn.ReLU())
        self.head, self.accuracy = nn.Linear(feature_dim, 10), float("nan")

    def features(self, x):
        if tuple(x.shape[1:]) not in ((1, 28, 28), (28, 28), (784,)):
            raise ValueError(f"the digit judge reads 28×28 digits, (B, 1, 28, 28) or (B, 784), not a batch "
                             f"of shape {tuple(x.shape)}: reshape them, or resize them to 28×28")
        return self.body(x.reshape(-1, 1, 28, 28))  # (B, 128)

    def probs(self, x):
        return self(x).softmax(1)


class FaceJudge(_Judge):
    """Faces (B, 3, S, S), any S ≥ 16 -> one logit per attribute (B, K): three conv blocks
    (32 -> 16 -> 8 -> 4) and a linear read-out; each attribute is its own yes/no question."""

    def __init__(self, attributes):
        super().__init__()
        self.attributes = list(attributes)
        self.body = nn.Sequential(*_conv_block(3, 16), *_conv_block(16, 32), *_conv_block(32, 64),
                                  nn.Flatten())  # (B, 64·4·4)
        self.head, self.accuracy = nn.Linear(64 * (FACE_SIZE // 8) ** 2, len(self.attributes)), {}

    def features(self, x):
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] != x.shape[3] or x.shape[2] < 16:
            raise ValueError(f"the face judge reads square colour images (B, 3, S, S) with S ≥ 16, not a "
                             f"batch of shape {tuple(x.shape)}: give faces as G makes them, channels first")
        if x.shape[-1] != FACE_SIZE:  # 64×64 faces, or a generator's own size
            x = F.interpolate(x, size=(FACE_SIZE, FACE_SIZE), mode="bilinear", antialias=True)
        return self.body(x)

    def probs(self, x):
        return torch.sigmoid(self(x))


def _fit(model, x, y, loss_fn, *, epochs, seed=0, batch=128):
    """Adam with a one-cycle schedule (warm up, then anneal): accurate in a few epochs, no tuning."""
    torch.manual_seed(seed)
    steps = epochs * (len(x) // batch)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), device="cpu")[: (len(x) // batch) * batch].view(-1, batch):
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def _cached(path, fingerprint, train):
    """The state saved at ``path`` if its fingerprint matches, else ``train()``'s, saved atomically."""
    state = torch.load(path, map_location="cpu", weights_only=True) if path.exists() else {}
    saved = state.get("fingerprint", [])
    if len(saved) == len(fingerprint) and all(abs(a - b) < 1e-4 for a, b in zip(saved, fingerprint)):
        return state, "cached"
    start = time.perf_counter()
    # fork_rng: the same judge whatever ran before, and the caller's RNG untouched; one thread:
    # sums split over threads round differently, so one thread makes one judge
    with torch.random.fork_rng(), one_thread():
        torch.manual_seed(0)  # before the model is built: its initial weights are part of the recipe
        state = {**train(), "fingerprint": fingerprint}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # two notebooks training at once never share one
    torch.save(state, tmp)
    tmp.replace(path)  # atomic: a half-written cache never looks complete
    return state, f"trained just now, {time.perf_counter() - start:.0f} s"


def _judge(make, recipes, fit, *, drawing=(), quick, root, device, verbose):
    """``make()`` with the weights of the full judge's file if it exists or ``quick`` is False (None:
    this run's profile), else the quick one's; trained by ``fit(model, n, epochs, root) -> accuracy``."""
    root = folder(root)
    full, small = recipes
    quick = profile() == "quick" if quick is None else quick
    name = full if (root / f"{full}.pt").exists() or not quick else small
    path, (n_train, epochs) = root / f"{name}.pt", recipes[name]

    def train():
        model = make()
        return {"accuracy": fit(model, n_train, epochs, root), "weights": model.state_dict()}

    state, how = _cached(path, [n_train, epochs, *drawing], train)
    judge = make()
    judge.load_state_dict(state["weights"])
    judge.accuracy = state["accuracy"]
    if verbose:
        kind, acc = ("digit", judge.accuracy) if isinstance(judge, MnistJudge) else \
            ("face", sum(judge.accuracy.values()) / len(judge.accuracy))
        print(f"ganlab: {kind} judge {path.name} ({how}), held-out accuracy {100 * acc:.1f} %")
    return judge.to(device).eval().requires_grad_(False)


def mnist_judge(*, quick=None, root=None, device="cpu", verbose=True):
    """The digit judge (≥ 99 % test accuracy when full; about a minute to train on 2 cores)."""
    from .data import mnist  # the data package is only needed to train

    def fit(model, n_train, epochs, root):
        x, y = mnist(root, train=True).tensors
        keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(0), device="cpu")[:n_train]
        _fit(model, x[keep], y[keep], F.cross_entropy, epochs=epochs)
        test_x, test_y = mnist(root, train=False).tensors
        return float((predict(test_x, model).argmax(1) == test_y).float().mean())

    return _judge(MnistJudge, MNIST_RECIPES, fit, quick=quick, root=root, device=device, verbose=verbose)


def _faces(n, seed):
    from .data import synthetic_faces

    return synthetic_faces(n, size=64, seed=seed).tensors  # (n, 3, 64, 64), (n, K)


def face_judge(*, quick=None, root=None, device="cpu", verbose=True):
    """The stand-in's attribute judge; retrained whenever the stand-in's drawing changes."""
    from .data import FACE_ATTRIBUTES

    def fit(model, n_train, epochs, root):
        x, y = _faces(n_train, FACE_TRAIN_SEED)
        x = F.interpolate(x, size=(FACE_SIZE, FACE_SIZE), mode="bilinear", antialias=True)
        _fit(model, x, y, F.binary_cross_entropy_with_logits, epochs=epochs)
        test_x, test_y = _faces(FACE_TEST, FACE_TEST_SEED)
        hits = ((predict(test_x, model) > 0.5) == (test_y > 0.5)).float().mean(0)
        return dict(zip(model.attributes, hits.tolist()))

    images, attrs = _faces(4, FACE_CHECK_SEED)  # a few numbers that change with the drawing code
    return _judge(lambda: FaceJudge(FACE_ATTRIBUTES), FACE_RECIPES, fit, quick=quick, root=root,
                  device=device, verbose=verbose,
                  drawing=[*images.mean((1, 2, 3)).tolist(), *attrs.flatten().tolist()])
