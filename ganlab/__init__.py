"""ganlab: the helper package behind the ganlab GAN notebooks."""

from . import conditional, critics, data, dcgan, losses, metrics, models
from .checkpoint import load_checkpoint, save_checkpoint
from .device import is_quick, pick_device, seed_everything
from .history import History
from .losses import BCE, MSE, WGAN, gradient_penalty
from .paths import data_root
from .train import GAN, d_step, g_step, train

__version__ = "0.1.0"


def __getattr__(name):
    # ganlab.plot is imported on first use: matplotlib takes ~0.4 s to import, and
    # scripts that only train or load data should not pay for it.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'ganlab' has no attribute {name!r}")

__all__ = [
    "BCE", "GAN", "MSE", "WGAN", "History",
    "conditional", "critics", "data", "dcgan", "losses", "metrics", "models", "plot",
    "d_step", "g_step", "train", "gradient_penalty",
    "data_root", "is_quick", "pick_device", "seed_everything",
    "load_checkpoint", "save_checkpoint",
]
