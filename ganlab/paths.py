"""Where ganlab keeps downloads, caches and checkpoints, and the checks its functions share
on what a learner passes in (folders, files to write, counts): each a one-sentence error."""

import math
import numbers
import os
from pathlib import Path


def data_root():
    """The data folder: ``$GANLAB_DATA`` if set (``~`` expanded); the repository's ``data/`` when
    ganlab runs from a clone (``make lab``, ``make test``); else ``./data`` (e.g. on Colab)."""
    if os.environ.get("GANLAB_DATA", "").strip():
        return folder(os.environ["GANLAB_DATA"].strip(), what="GANLAB_DATA")
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").exists() and (repo / "notebooks").is_dir():
        return repo / "data"
    return Path.cwd() / "data"


def folder(root, *, what="root"):
    """``root`` as a Path (``data_root()`` when None), refused when it names a file."""
    root = data_root() if root is None else Path(root).expanduser()
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{what}={str(root)!r} is a file, not a folder: give the data folder "
                                 "(it is made if missing), or leave it out for ganlab.data_root()")
    return root


def file_to_write(path, *, example="data/checkpoints/run.pt"):
    """``path`` as a Path, refused when it is a folder or a file stands where a parent folder must go."""
    path = Path(path).expanduser()
    nearest = next(p for p in path.absolute().parents if p.exists())  # "/" at the latest
    if path.is_dir() or not nearest.is_dir():
        what = "it is a folder" if path.is_dir() else f"{nearest} is a file, not a folder"
        raise ValueError(f"cannot write {str(path)!r}: {what}. Give a file path in a folder, e.g. {example}")
    return path


def count(value, where, arg, *, least=1, most=None, hint=""):
    """``value`` as an int if it is a whole number in [least, most], else a ValueError that names
    ``where(arg=value)`` and says what to give."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least
            or (most is not None and value > most)):
        span = f"from {least} to {most}" if most is not None else f"of at least {least}"
        raise ValueError(f"{where}({arg}={value!r}): give a whole number {span}{hint}")
    return int(value)


def at_least(value, name, least, what, *, whole=False):
    """``value`` if it is a finite number (a whole one if ``whole``) ≥ ``least``, else a ValueError
    that names ``name=value`` and says what to give."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if whole else numbers.Real) or not (
            least <= value < math.inf):
        raise ValueError(f"{name}={value!r}: give {what}")
    return value
