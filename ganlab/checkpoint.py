"""Save and restore the full state of a training run, so that nothing is lost.

A checkpoint holds ``gan.state_dict()`` (the players, their optimisers, the step counters, the
history, the fixed noise) and every random number generator's state: loading it and
training on gives the same numbers as never having stopped (bit for bit on CPU).
It contains tensors, numbers, strings, lists and dicts only, and is read with
``torch.load(weights_only=True)``, which never runs code from the file.
"""

import os
import pickle
import random
import zipfile
from pathlib import Path

import numpy as np
import torch

FORMAT = 3  # 3: the GAN's own state_dict(), with no AMP scalers and an optional E


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
    folder = os.path.dirname(os.path.abspath(path))
    blocking = next((p for p in [folder, *map(str, Path(folder).parents)] if os.path.exists(p)), None)
    if os.path.isdir(path) or (blocking and not os.path.isdir(blocking)):
        what = f"{path} is a folder" if os.path.isdir(path) else f"{blocking} is a file, not a folder"
        raise ValueError(f"cannot save a checkpoint to {path}: {what}. Give a file path in a folder, "
                         "e.g. data/checkpoints/run.pt")
    state = {"format": FORMAT, "gan": gan.state_dict(), "rng": _rng_state()}
    os.makedirs(folder, exist_ok=True)
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
    state = _read(path)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a ganlab checkpoint of format {FORMAT}: write one with "
                         "ganlab.save_checkpoint, or pass another path")
    for name in ("G", "D", "E"):  # before loading anything, so a mismatch leaves gan untouched
        mine = getattr(gan, name)
        if (mine is None) != (name not in state["gan"]):
            had, has = ("with", "has none") if mine is None else ("without", "has one")
            raise ValueError(f"{path} was saved from a run {had} {name}; this GAN {has}: build it as saved")
        if mine is not None:
            _check_fits(mine, state["gan"][name], name=name, path=path)
    gan.load_state_dict(state["gan"])
    _set_rng_state(state["rng"])
    return True


# What torch.load raises on a truncated, half-copied or garbage file (found by trying:
# RuntimeError from the zip reader, OSError, EOFError, KeyError, ...).
_DAMAGED = (RuntimeError, OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile)


def _read(path):
    fix = "Delete it to train afresh, or load an older checkpoint"
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # kept as such: the refusal to run code from a file
        raise pickle.UnpicklingError(
            f"cannot read the checkpoint {path}: the file is damaged, or holds Python objects (e.g. from "
            f"torch.save(model)) that weights_only=True refuses to unpickle, not a ganlab checkpoint. "
            f"{fix}. ({_first_line(err)})") from err
    except _DAMAGED as err:
        raise RuntimeError(
            f"cannot read the checkpoint {path}: the file is damaged (truncated or half-written, e.g. a "
            f"copy or download that stopped) or is not a ganlab checkpoint. {fix}. "
            f"(torch.load said: {_first_line(err)})") from err


def _first_line(err):
    text = str(err).strip()
    return text.splitlines()[0][:160] if text else type(err).__name__


def _check_fits(module, saved, *, name, path):
    """Raise, naming the parameter and both shapes, unless ``saved`` fits ``module``."""
    mine = module.state_dict()
    fix = (f"Build {name} exactly as it was when the checkpoint was saved, or pass another "
           "checkpoint path to train this model afresh")
    missing, extra = sorted(mine.keys() - saved.keys()), sorted(saved.keys() - mine.keys())
    if missing or extra:
        differ = [f"this {name} has {', '.join(missing[:3])}, the checkpoint does not"] if missing else []
        differ += [f"the checkpoint has {', '.join(extra[:3])}, this {name} does not"] if extra else []
        raise ValueError(f"{path} was saved from a {name} of another architecture: "
                         f"{'; '.join(differ)}. {fix}")
    for key, value in mine.items():
        if tuple(saved[key].shape) != tuple(value.shape):
            raise ValueError(f"{path} was saved from a {name} of another size: {name}'s {key} has shape "
                             f"{tuple(saved[key].shape)} in the checkpoint but {tuple(value.shape)} in this "
                             f"{name}. {fix}")
