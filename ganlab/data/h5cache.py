"""An image cache in one HDF5 file: built once (resumable), read lazily by each worker.

File layout: ``images`` (N, 3, S, S) uint8, one compressed chunk per image (random access reads
one chunk); optional ``attributes`` (N, K) uint8 0/1, named in ``attrs["attribute_names"]``;
``attrs["done"]`` counts the images written, ``attrs["complete"]`` is set last. The file is built
under ``<name>.partial`` and renamed when complete: a file with the final name is finished."""

import os
import zlib
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset
from tqdm.auto import tqdm

from ..paths import count

BLOCK = 256  # images decoded, written and recorded as done at a time
FIX = "delete it and call the loader again to rebuild it from the source"


def build_cache(path, load, n, *, size, source, attributes=None, names=(), desc="caching"):
    """Write images ``load(0) .. load(n - 1)`` ((S, S, 3) uint8 arrays) to `path`. A
    ``<path>.partial`` left by an interrupted run with the same `source` and shape is resumed."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with _open_partial(partial, n, size=size, source=source) as f:
        if attributes is not None and "attributes" not in f:
            f.create_dataset("attributes", data=np.asarray(attributes, dtype=np.uint8))
            f.attrs["attribute_names"] = list(names)
        done, out = int(f.attrs["done"]), f["images"]  # done > 0 when resuming an interrupted build
        block = np.empty((BLOCK, 3, size, size), dtype=np.uint8)
        with tqdm(total=n, initial=done, desc=desc, unit="img", disable=bool(os.environ.get("TQDM_DISABLE"))) as bar:
            for start in range(done, n, BLOCK):
                stop = min(start + BLOCK, n)
                for j in range(stop - start):
                    block[j] = load(start + j).transpose(2, 0, 1)  # (S, S, 3) -> (3, S, S)
                out[start:stop] = block[: stop - start]
                f.attrs["done"] = stop  # recorded after the data, so a crash never over-counts
                f.flush()
                bar.update(stop - start)
        f.attrs["complete"] = True
    os.replace(partial, path)
    return path


def _open_partial(partial, n, *, size, source):
    """The partial file to continue, or a fresh one when it is absent, damaged or different."""
    if partial.exists():
        try:
            f = h5py.File(partial, "a")
            if f.attrs.get("source") == source and "images" in f and f["images"].shape == (n, 3, size, size):
                return f
            f.close()
        except OSError:  # damaged by the interruption: it is only our own scratch file
            pass
        partial.unlink()
    f = h5py.File(partial, "w")
    f.create_dataset("images", shape=(n, 3, size, size), dtype=np.uint8,
                     chunks=(1, 3, size, size), compression="gzip", compression_opts=1)
    f.attrs.update(source=source, size=size, done=0, complete=False)
    return f


def _scale(array):
    return torch.from_numpy(array).float().mul_(2 / 255).sub_(1)  # bytes -> [-1, 1]


class H5Images(Dataset):
    """Images (and attributes) from a finished cache, as float32 in [-1, 1].
    Item i is ``(image (3, S, S), attributes (K,))``, or ``(image,)`` without attributes.
    The HDF5 file opens on first use in each process (h5py handles must not cross a
    fork), so ``DataLoader(..., num_workers=2)`` works."""

    def __init__(self, path):
        self.path = Path(path)
        self._file, self._images_ds, self._pid = None, None, None
        with _open_cache(self.path) as f:
            images = f["images"]
            # one gzip chunk per image, no other filter: items can skip h5py's selection machinery
            self._one_chunk = (images.chunks == (1, *images.shape[1:]) and images.compression == "gzip"
                               and not images.shuffle and not images.fletcher32)
            self.length, self.size = images.shape[0], images.shape[-1]
            self.attribute_names = tuple(str(n) for n in f.attrs.get("attribute_names", ()))
            self.attributes = torch.from_numpy(f["attributes"][:]).float() if "attributes" in f else None

    def __len__(self):
        return self.length

    def _images(self):
        if self._file is None or self._pid != os.getpid():  # first use in this process
            self._file, self._pid = _open_cache(self.path), os.getpid()
            self._images_ds = self._file["images"]  # looking it up per item costs 4x the read
        return self._images_ds

    def _read(self, i):
        images = self._images()
        if not self._one_chunk:
            return images[i]
        mask, raw = images.id.read_direct_chunk((i, 0, 0, 0))  # 2-3x faster than images[i]
        data = raw if mask & 1 else zlib.decompress(raw)  # bit 0 set: gzip was skipped
        return np.frombuffer(bytearray(data), np.uint8).reshape(images.shape[1:])

    def __getitem__(self, i):
        i = int(i) + (len(self) if int(i) < 0 else 0)
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} images")
        try:
            x = _scale(self._read(i))
        except (OSError, zlib.error) as err:
            raise RuntimeError(f"{self.path} is damaged ({err}): {FIX}") from err
        return (x,) if self.attributes is None else (x, self.attributes[i])

    def tensors(self, n=None):
        """The first `n` items (default all) in memory as a TensorDataset: the fastest
        way to feed ``ganlab.train`` (one contiguous read)."""
        n = len(self) if n is None else min(count(n, "tensors", "n", hint=" (or None for all)"), len(self))
        x = _scale(self._images()[:n])
        return TensorDataset(x) if self.attributes is None else TensorDataset(x, self.attributes[:n])

    def __getstate__(self):  # pickled into spawned workers: never the open handle
        return {**self.__dict__, "_file": None, "_images_ds": None, "_pid": None}


def _open_cache(path):
    """Open a finished cache for reading; a damaged or unfinished one is a clear error."""
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise RuntimeError(f"{path} is not a readable HDF5 cache ({err}): {FIX}") from err
    if not f.attrs.get("complete", False) or "images" not in f:
        f.close()
        raise RuntimeError(f"{path} is an unfinished cache: {FIX}")
    return f
