"""Where ganlab keeps downloads, caches and checkpoints."""

import os
from pathlib import Path


def data_root():
    """The data folder: ``$GANLAB_DATA`` if set; the repository's ``data/`` when ganlab
    runs from a clone (``make lab``, ``make test``); else ``./data`` (e.g. on Colab)."""
    if os.environ.get("GANLAB_DATA"):
        return Path(os.environ["GANLAB_DATA"])
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").exists() and (repo / "notebooks").is_dir():
        return repo / "data"
    return Path.cwd() / "data"
