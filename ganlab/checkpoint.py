"""Save and restore the full state of a training run, so that nothing is lost.

A checkpoint holds G, D, both optimisers, both AMP scalers, the step counters, the
history, the fixed noise and every random number generator's state: loading it and
training on gives the same numbers as never having stopped (bit for bit on CPU).
It contains tensors, numbers, strings, lists and dicts only, and is read with
``torch.load(weights_only=True)``, which never runs code from the file.
"""

import os
import random

import numpy as np
import torch

FORMAT = 2  # 2: the GAN's own state_dict()


def _rng_state():
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state):
    torch.set_rng_state(state["torch"])
    version, keys, gauss = state["python"]
    random.setstate((version, tuple(keys), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(gan, path):
    """Write ``gan``'s full state to ``path`` atomically (a crash never leaves half a file)."""
    state = {"format": FORMAT, "gan": gan.state_dict(), "rng": _rng_state()}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic on POSIX and Windows
    return path


def load_checkpoint(gan, path, *, missing_ok=False):
    """Restore ``gan`` (built with the same architecture) from ``path``, in place.

    Returns True if loaded; with ``missing_ok=True`` a missing file returns False,
    so a notebook can say ``load_checkpoint(gan, path, missing_ok=True)`` and train on.
    """
    if not os.path.exists(path):
        if missing_ok:
            return False
        raise FileNotFoundError(f"no checkpoint at {path}: train first, or check the path")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a ganlab checkpoint of format {FORMAT}")
    gan.load_state_dict(state["gan"])
    _set_rng_state(state["rng"])
    return True
