"""Where tensors live, how many CPU threads, how runs are made repeatable, and the profile.

``setup()`` decides a run once: the device (cuda > mps > cpu, or ``GANLAB_DEVICE``), the
profile (``quick`` with ``GANLAB_QUICK=1``, as in CI and ``make test``; else ``gpu`` on CUDA and
``cpu`` elsewhere; ``GANLAB_PROFILE`` overrides), the seed (``GANLAB_SEED``) and the CPU threads
(``GANLAB_THREADS``); it prints them in one line. ``choose`` and ``profile`` read that decision,
so a notebook run on the CPU of a CUDA machine (``GANLAB_DEVICE=cpu``) gets the cpu settings."""

import contextlib
import os
import random
from typing import NamedTuple

import numpy as np
import torch

from . import distributed


def pick_device(verbose=True):
    """Return the best device: cuda, else mps, else cpu; ``GANLAB_DEVICE`` (e.g. ``cpu`` or
    ``cuda:1``) chooses by hand, and fails here, with the fix, on a machine without that device."""
    name = os.environ.get("GANLAB_DEVICE", "").strip()
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    if name:
        try:
            device = torch.device(name)
        except RuntimeError as err:
            raise RuntimeError(f"GANLAB_DEVICE={name!r} is not a device name ({err}). Use cpu, cuda, "
                               "cuda:1 or mps, or unset GANLAB_DEVICE, and restart the kernel.") from None
        if not available.get(device.type, True):
            raise RuntimeError(f"GANLAB_DEVICE={device} but this machine has no {device.type.upper()} "
                               "device. Unset GANLAB_DEVICE (or set it to cpu) and restart the kernel.")
    else:
        device = torch.device(next(kind for kind, found in available.items() if found))
    if verbose:
        print(f"ganlab: using {describe(device)}")
    return device


def describe(device):
    """The device in words: its GPU's name, "Apple GPU", or the CPU and its torch threads."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"{device} ({'Apple GPU' if device.type == 'mps' else f'{torch.get_num_threads()} threads'})"


def seed_everything(seed, deterministic=False):
    """Seed Python, NumPy and PyTorch (CPU, CUDA and MPS) with one number. ``deterministic=True``
    also asks PyTorch for deterministic kernels: slower on a GPU, and only then needed for
    bit-identical GPU runs (CPU runs already are)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA and MPS device
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return seed


def run_seed(default=0):
    """This run's seed: ``GANLAB_SEED`` if set, else ``default``. ``make verify SEED=1``
    repeats every notebook with another seed, to measure how far its numbers move."""
    value = os.environ.get("GANLAB_SEED", "").strip()
    if value and not value.isdigit():
        raise ValueError(f"GANLAB_SEED={value!r}: give a whole number, e.g. 1")
    return int(value) if value else default


def set_threads():
    """Apply ``GANLAB_THREADS`` (if set) to torch; return the thread count in use. Left alone, torch
    uses every core, fastest on an idle laptop; on a machine shared with other jobs (a classroom
    server, CI) one thread can be several times faster: there, set ``GANLAB_THREADS=1``."""
    value = os.environ.get("GANLAB_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"GANLAB_THREADS={value!r}: give a whole number of threads, e.g. 1 or 4")
        torch.set_num_threads(int(value))
    return torch.get_num_threads()


@contextlib.contextmanager
def one_thread():
    """Torch on one CPU thread inside; the caller's thread count restored after, even on error."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


PROFILES = ("quick", "cpu", "gpu")


class Run(NamedTuple):
    """What ``setup`` decided for this run."""

    device: torch.device
    profile: str  # quick, cpu or gpu
    seed: int
    threads: int  # torch's CPU threads


_RUN = None  # the decision, once made


def decide(seed=0):
    """Decide device, profile, seed and threads (see the module doc), without printing or seeding.
    Under torchrun this also starts the process group (``ganlab.distributed``)."""
    global _RUN
    device, threads = distributed.init(pick_device(verbose=False)), set_threads()
    name = os.environ.get("GANLAB_PROFILE", "").strip().lower()
    if name and name not in PROFILES:
        raise ValueError(f"GANLAB_PROFILE={name!r}: choose one of {', '.join(PROFILES)}")
    flag = os.environ.get("GANLAB_QUICK", "").strip().lower()
    if flag not in ("", "0", "false", "no", "off", "1", "true", "yes", "on"):
        raise ValueError(f"GANLAB_QUICK={flag!r}: set it to 1 (quick: small numbers) or 0, or unset it")
    quick = flag in ("1", "true", "yes", "on")
    profile = "quick" if quick else name or ("gpu" if device.type == "cuda" else "cpu")
    _RUN = Run(device, profile, run_seed(seed), threads)
    return _RUN


def setup(seed=0):
    """Decide this run once (device, profile, seed, threads), seed everything, print it in one line.
    A notebook's first cell: ``run = ganlab.setup()``; ``run.device`` is where its models go."""
    run = decide(seed)
    seed_everything(run.seed + distributed.rank())  # each process its own noise; DDP shares rank 0's weights
    if distributed.rank() == 0:
        processes = f", {distributed.world()} processes" if distributed.world() > 1 else ""
        print(f"ganlab: {describe(run.device)}, profile {run.profile}, seed {run.seed}{processes}")
    return run


def profile():
    """This run's profile, as ``setup`` decided it (deciding now if it has not)."""
    return (_RUN or decide()).profile


def choose(*, quick, cpu, gpu):
    """The setting for this run's profile, from the three written side by side."""
    return {"quick": quick, "cpu": cpu, "gpu": gpu}[profile()]
