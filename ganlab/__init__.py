"""ganlab: the helper package behind the ganlab GAN notebooks.

Every submodule is reached the same way, ``ganlab.<module>``; the names a notebook uses
most are also here at the top. ``plot`` and ``playground`` load matplotlib, so they are
imported on first use."""

import importlib  # noqa: I001 (the submodules on two lines, not fifteen)

from . import _threads  # noqa: F401 (first: it caps BLAS threads before torch and numpy load)
from . import anomaly, data, distributed, ema, gan, guard, judges, loop, losses, manifold, metrics, nets
from . import cyclegan, sagan, steps, toy2d, vae
from .checkpoint import load_checkpoint, save_checkpoint
from .device import choose, pick_device, profile, run_seed, seed_everything, set_threads, setup
from .gan import GAN, adam
from .guard import NonFiniteLoss
from .history import History
from .loop import train
from .losses import BCE, HINGE, MSE, WGAN, gradient_penalty, r1_penalty
from .paths import data_root

__version__ = "0.3.0"
_LAZY = ("plot", "playground")


def __getattr__(name):
    # matplotlib takes ~0.4 s to import; scripts that only train or load data should not pay for it
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ganlab' has no attribute {name!r}")


__all__ = [
    "BCE", "GAN", "HINGE", "MSE", "WGAN", "History", "NonFiniteLoss", "adam", "choose", "train",
    "gradient_penalty", "r1_penalty", "data_root", "pick_device", "profile", "run_seed", "seed_everything",
    "set_threads", "setup", "load_checkpoint", "save_checkpoint", "anomaly", "data", "distributed", "ema",
    "gan", "guard", "judges", "losses", "loop", "manifold", "metrics", "nets", "sagan", "steps", "toy2d",
    "vae", "cyclegan",
    *_LAZY,
]
