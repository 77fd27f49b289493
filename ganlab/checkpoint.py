"""Save and restore the full state of a training run: ``gan.state_dict()`` and every random number
generator's state, so that loading and training on gives the same numbers as never having stopped
(bit for bit on CPU). Tensors, numbers, strings, lists and dicts only, read with
``torch.load(weights_only=True)``, which never runs code from the file."""

import os
import pickle
import random
import zipfile

import numpy as np
import torch

from . import distributed
from .paths import file_to_write

FORMAT = 3  # 3: the GAN's own state_dict(), with no AMP scalers and an optional E
# What torch.load raises on a truncated, half-copied or garbage file (found by trying)
_DAMAGED = (pickle.UnpicklingError, RuntimeError, OSError, EOFError, ValueError, KeyError, IndexError,
            zipfile.BadZipFile)


def _rng_state():
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"torch": torch.get_rng_state(), "python": random.getstate(),
             "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss]}
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


def _check_gan(gan):
    if not callable(getattr(gan, "state_dict", None)) or not hasattr(type(gan), "players"):
        raise TypeError(f"checkpoints hold a whole run: pass the ganlab.GAN, not a {type(gan).__name__}")


def save_checkpoint(gan, path):
    """Write ``gan``'s full state to ``path`` atomically (a crash never leaves half a file)."""
    _check_gan(gan)
    path = file_to_write(path)
    rngs = distributed.gather(_rng_state())  # every process's generators (a collective under torchrun)
    if distributed.rank():
        return path  # rank 0 alone writes
    state = {"format": FORMAT, "gan": gan.state_dict(), "rng": rngs[0]}
    if len(rngs) > 1:
        state["rng_ranks"] = rngs
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = f"{path}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic on POSIX and Windows
    return path


def load_checkpoint(gan, path, *, missing_ok=False):
    """Restore ``gan`` (built with the same architecture) from ``path``, in place. Returns True if
    loaded; with ``missing_ok=True`` a missing file returns False, and a notebook trains on."""
    _check_gan(gan)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a folder: give the checkpoint's file, e.g. checkpoints/run.pt")
    if not os.path.exists(path):
        if missing_ok:
            return False
        raise FileNotFoundError(f"no checkpoint at {path}: train first, or check the path")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except _DAMAGED as err:  # an UnpicklingError stays one: the refusal to run code from a file
        text = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        kind = pickle.UnpicklingError if isinstance(err, pickle.UnpicklingError) else RuntimeError
        raise kind(f"cannot read the checkpoint {path}: the file is damaged (half-written) or holds Python "
                   f"objects (torch.save(model)). Delete it or load an older checkpoint ({text})") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a ganlab checkpoint of format {FORMAT}: write one with "
                         "ganlab.save_checkpoint")
    for name in ("G", "D", "E"):  # before loading anything, so a mismatch leaves gan untouched
        mine = getattr(gan, name)
        if (mine is None) != (name not in state["gan"]):
            had, has = ("with", "has none") if mine is None else ("without", "has one")
            raise ValueError(f"{path} was saved from a run {had} {name}; this GAN {has}: build it as saved")
        if mine is not None:
            _check_fits(distributed.plain(mine).state_dict(), state["gan"][name], name=name, path=path)
    gan.load_state_dict(state["gan"])
    ranks, rank = state.get("rng_ranks") or [state["rng"]], distributed.rank()
    same = len(ranks) == distributed.world()  # as many processes as wrote it: each its own generators
    _set_rng_state(ranks[rank if same else 0])
    if not same:  # another process count: the weights, optimisers and counters resume; the noise cannot
        torch.manual_seed(gan.data_seed + gan.step + rank)
    return True


def _check_fits(mine, saved, *, name, path):
    """Raise, naming the parameter and both shapes, unless the ``saved`` state fits ``mine``."""
    fix = f"Build {name} exactly as it was when the checkpoint was saved, or pass another checkpoint path"
    missing, extra = sorted(mine.keys() - saved.keys()), sorted(saved.keys() - mine.keys())
    if missing or extra:
        differ = [f"this {name} has {', '.join(missing[:3])}, the checkpoint does not"] if missing else []
        differ += [f"the checkpoint has {', '.join(extra[:3])}, this {name} does not"] if extra else []
        raise ValueError(f"{path} was saved from a {name} of another architecture: {'; '.join(differ)}. "
                         + fix)
    for key, value in mine.items():
        if tuple(saved[key].shape) != tuple(value.shape):
            raise ValueError(f"{path} was saved from a {name} of another size: {name}'s {key} has shape "
                             f"{tuple(saved[key].shape)} in the checkpoint but {tuple(value.shape)} in this "
                             f"{name}. {fix}")
