"""Where tensors live, how many CPU threads, how runs are made repeatable, and the profile.

A run has one profile: ``quick`` (``GANLAB_QUICK=1``: CI and ``make test``), ``cpu`` (a
laptop: the committed runs) or ``gpu`` (CUDA, e.g. Colab's T4). Each notebook's
parameters cell states its three settings side by side with ``choose``.
"""

import contextlib
import os
import random

import numpy as np
import torch


def pick_device(verbose=True):
    """Return the best device: cuda, else mps, else cpu.

    Set ``GANLAB_DEVICE`` (e.g. ``cpu`` or ``cuda:1``) to choose by hand, and
    ``GANLAB_THREADS`` to fix the number of CPU threads (torch's default otherwise).
    """
    set_threads()
    name = os.environ.get("GANLAB_DEVICE", "").strip()
    if name:
        try:
            device, why = torch.device(name), "from GANLAB_DEVICE"
        except RuntimeError as err:
            raise RuntimeError(f"GANLAB_DEVICE={name!r} is not a device name ({err}). Use cpu, cuda, "
                               "cuda:1 or mps, or unset GANLAB_DEVICE, and restart the kernel.") from None
        _check_available(device)
    elif torch.cuda.is_available():
        device, why = torch.device("cuda"), torch.cuda.get_device_name()
    elif torch.backends.mps.is_available():
        device, why = torch.device("mps"), "Apple GPU"
    else:
        device, why = torch.device("cpu"), f"{torch.get_num_threads()} threads"
    if verbose:
        print(f"ganlab: using {device} ({why})")
    return device


def _check_available(device):
    # A wrong GANLAB_DEVICE should fail here, with the fix, not deep inside training.
    missing = (device.type == "cuda" and not torch.cuda.is_available()) or (
        device.type == "mps" and not torch.backends.mps.is_available()
    )
    if missing:
        raise RuntimeError(
            f"GANLAB_DEVICE={device} but this machine has no {device.type.upper()} "
            "device. Unset GANLAB_DEVICE (or set it to cpu) and restart the kernel."
        )


def seed_everything(seed, deterministic=False):
    """Seed Python, NumPy and PyTorch (CPU, CUDA and MPS) with one number.

    ``deterministic=True`` also asks PyTorch for deterministic kernels: slower on a
    GPU, and only then needed for bit-identical GPU runs (CPU runs already are).
    """
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
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"GANLAB_SEED={value!r}: give a whole number, e.g. 1")
    return int(value)


def is_quick():
    """True when ``GANLAB_QUICK`` is set (``make test`` sets it): run small, fast."""
    return os.environ.get("GANLAB_QUICK", "").strip().lower() not in ("", "0", "false", "no")


def set_threads():
    """Apply ``GANLAB_THREADS`` (if set) to torch; return the thread count in use.

    Left alone, torch uses every core, which is fastest on an idle laptop. On a machine
    shared with other jobs (a classroom server, CI) one thread can be several times faster:
    there, set ``GANLAB_THREADS=1`` rather than editing the notebooks.
    """
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


def profile(device=None):
    """This run's profile: ``quick`` when ``GANLAB_QUICK`` is set, else ``gpu`` on CUDA,
    else ``cpu`` (Apple's MPS included: its sizes have not been measured there).
    ``GANLAB_PROFILE`` overrides, e.g. to try the cpu settings on a GPU."""
    name = os.environ.get("GANLAB_PROFILE", "").strip().lower()
    if name:
        if name not in PROFILES:
            raise ValueError(f"GANLAB_PROFILE={name!r}: choose one of {', '.join(PROFILES)}")
        return name
    if is_quick():
        return "quick"
    device = torch.device(device) if device is not None else None
    on_cuda = device.type == "cuda" if device is not None else torch.cuda.is_available()
    return "gpu" if on_cuda else "cpu"


def choose(*, quick, cpu, gpu, device=None):
    """The setting for this run's profile, from the three written side by side."""
    return {"quick": quick, "cpu": cpu, "gpu": gpu}[profile(device)]
