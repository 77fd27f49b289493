"""Where tensors live, how runs are made repeatable, and quick mode."""

import os
import random

import numpy as np
import torch


def pick_device(verbose=True):
    """Return the best device: cuda, else mps, else cpu.

    Set ``GANLAB_DEVICE`` (e.g. ``cpu`` or ``cuda:1``) to choose by hand.
    """
    name = os.environ.get("GANLAB_DEVICE", "").strip()
    if name:
        device, why = torch.device(name), "from GANLAB_DEVICE"
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


def is_quick():
    """True when ``GANLAB_QUICK`` is set (``make test`` sets it): run small, fast."""
    return os.environ.get("GANLAB_QUICK", "").strip().lower() not in ("", "0", "false", "no")
