"""Measure faces by their attributes: a small CNN that reads the synthetic stand-in's
labels (smiling, eyeglasses, ...) off an image, trained locally once and cached.

It answers "does this generated face wear glasses?" so that attribute arithmetic
(notebook 04) and conditional GANs (notebook 05) can be scored by a number. It is
trained on the procedurally drawn stand-in (``ganlab.data.synthetic_faces``), so it
judges only faces drawn like those: it says nothing about real CelebA photographs.
Nothing is downloaded.
"""

import time
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .data import FACE_ATTRIBUTES, synthetic_faces
from .device import is_quick
from .paths import data_root

SIZE = 32  # the classifier looks at 32×32: every attribute is visible at that size
FULL = {"n_train": 4000, "n_test": 2000, "epochs": 3, "file": "face_attributes.pt"}
QUICK = {"n_train": 1500, "n_test": 500, "epochs": 3, "file": "face_attributes_quick.pt"}
TRAIN_SEED, TEST_SEED, CHECK_SEED = 1, 2, 3  # disjoint draws of the stand-in


class AttributeClassifier(nn.Module):
    """images (B, 3, H, W) in [-1, 1], any H = W -> one logit per attribute, (B, K).

    Three conv blocks (32 -> 16 -> 8 -> 4), then a linear read-out; every attribute is a
    separate yes/no question (a multi-label classifier: K sigmoids, not one softmax).
    ``accuracy`` holds the held-out accuracy per attribute once trained.
    """

    def __init__(self, attributes):
        super().__init__()
        self.attributes = list(attributes)
        self.accuracy = {}
        blocks = []
        for c_in, c_out in ((3, 16), (16, 32), (32, 64)):
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                       nn.MaxPool2d(2)]  # halves the side
        self.features = nn.Sequential(*blocks, nn.Flatten())  # (B, 64·4·4)
        self.head = nn.Linear(64 * (SIZE // 8) ** 2, len(self.attributes))

    def forward(self, images):
        if images.shape[-1] != SIZE:  # 64×64 faces, or a generator's own size
            images = F.interpolate(images, size=(SIZE, SIZE), mode="bilinear", antialias=True,
                                   align_corners=False)
        return self.head(self.features(images))


def _faces(n, seed):
    return synthetic_faces(n, size=64, seed=seed).tensors  # images (n, 3, 64, 64), attributes (n, K)


def _fingerprint():
    """A few numbers that change whenever the stand-in's drawing code changes."""
    images, attrs = _faces(4, CHECK_SEED)
    return torch.cat([images.mean((1, 2, 3)), attrs.flatten()])


def train_attribute_classifier(*, quick=False, seed=0, verbose=True):
    """Train on fresh stand-in faces; held-out accuracy per attribute -> ``.accuracy``."""
    cfg = QUICK if quick else FULL
    start = time.perf_counter()
    torch.manual_seed(seed)
    x, y = _faces(cfg["n_train"], TRAIN_SEED)
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", antialias=True, align_corners=False)
    model = AttributeClassifier(FACE_ATTRIBUTES)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(cfg["epochs"]):
        for idx in torch.randperm(len(x)).split(64):
            loss = F.binary_cross_entropy_with_logits(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    x_test, y_test = _faces(cfg["n_test"], TEST_SEED)
    model.accuracy = attribute_accuracy(x_test, y_test, model).to_dict()
    if verbose:
        print(f"trained the face-attribute classifier in {time.perf_counter() - start:.0f} s "
              f"({cfg['n_train']} stand-in faces, {cfg['epochs']} epochs)")
    return model


def attribute_classifier(root=None, *, quick=None, verbose=True):
    """The cached attribute classifier (eval mode), training and caching it on first use.

    Cache: ``root/face_attributes.pt`` (full, about a minute to train on 2 CPU cores) or
    ``root/face_attributes_quick.pt`` (quick mode, a few seconds). Quick mode uses the
    full one when it exists. Loaded with ``weights_only=True``; retrained when the
    stand-in's drawing code has changed since the cache was written.
    """
    root = data_root() if root is None else Path(root)
    quick = is_quick() if quick is None else quick
    files = [root / FULL["file"]] + ([root / QUICK["file"]] if quick else [])
    check = _fingerprint()
    for path in files:
        if path.exists():
            state = torch.load(path, weights_only=True)
            fp = state["fingerprint"]
            if fp.shape == check.shape and torch.allclose(fp, check, atol=1e-4):
                model = AttributeClassifier(state["attributes"])
                model.load_state_dict(state["weights"])
                model.accuracy = dict(state["accuracy"])
                if verbose:
                    print(f"face-attribute classifier: loaded {path.name}; held-out accuracy "
                          f"{_mean(model.accuracy):.1%} on average")
                return model.eval()
    model = train_attribute_classifier(quick=quick, verbose=verbose)
    state = {"weights": model.state_dict(), "attributes": model.attributes,
             "accuracy": model.accuracy, "fingerprint": check}
    root.mkdir(parents=True, exist_ok=True)
    path = files[-1]
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # atomic: no half-written cache ever looks complete
    if verbose:
        print(f"face-attribute classifier: saved {path}; held-out accuracy "
              f"{_mean(model.accuracy):.1%} on average")
    return model


def _mean(accuracy):
    return sum(accuracy.values()) / len(accuracy)


@torch.no_grad()
def predict_attributes(images, classifier, *, batch_size=500):
    """P(attribute present) for each image: (N, 3, H, W) in [-1, 1] -> (N, K) in [0, 1]."""
    device = next(classifier.parameters()).device
    was_training = classifier.training
    classifier.eval()
    try:
        probs = [torch.sigmoid(classifier(chunk.to(device).float())).cpu()
                 for chunk in images.split(batch_size)]
    finally:
        classifier.train(was_training)
    return torch.cat(probs)


def attribute_rates(images, classifier):
    """Share of ``images`` the classifier says show each attribute (a pandas Series by name).

    On the stand-in every attribute is a fair coin, so real faces give rates near 0.5;
    a generator that drifts from 0.5 over- or under-produces that attribute.
    """
    present = predict_attributes(images, classifier) > 0.5  # (N, K)
    return pd.Series(present.float().mean(0).numpy(), index=classifier.attributes, name="rate")


def attribute_accuracy(images, attributes, classifier):
    """Per attribute, the share of images whose predicted yes/no matches ``attributes`` (N, K).

    For real faces this is the classifier's accuracy; for a conditional generator asked
    for ``attributes`` it is how often it delivered them.
    """
    present = predict_attributes(images, classifier) > 0.5
    hits = (present == (attributes.cpu() > 0.5)).float().mean(0)
    return pd.Series(hits.numpy(), index=classifier.attributes, name="accuracy")
