"""Measure the data issue's "done when" figures on this machine.

    .venv/bin/python tools/measure_data.py

1. ``len(ganlab.data.mnist())`` in a fresh Python, first time (empty data folder) and
   second time (wall-clock of the whole command, Python and torch start-up included);
2. a 2,000-image fake CelebA zip -> HDF5 cache (64x64), and HDF5 read speed;
3. synthetic_faces images/s at 64x64.
Everything is written to a temporary folder, never to data/.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

import ganlab
from ganlab.data.celeba import write_fake_celeba

MNIST_CMD = "import ganlab; print(len(ganlab.data.mnist()))"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def mnist_cold_and_warm(root):
    env = {**os.environ, "GANLAB_DATA": str(root)}
    for label in ("first", "second"):
        done, seconds = timed(lambda: subprocess.run([sys.executable, "-c", MNIST_CMD], env=env,
                                                     capture_output=True, text=True))
        lines = done.stdout.strip().splitlines() or ["?", done.stderr[-300:]]
        print(f"mnist() {label} time: {seconds:6.1f} s wall (prints {lines[-1]}; {lines[0]})")
    _, seconds = timed(lambda: subprocess.run([sys.executable, "-c", "import ganlab"], env=env))
    print(f"  of which Python + `import ganlab` (torch, torchvision) alone take {seconds:.1f} s")
    _, seconds = timed(lambda: ganlab.data.mnist(root))
    print(f"mnist() call alone, files present: {seconds:.2f} s (in-process, imports excluded)")


def celeba_figures(root, n=2000):
    _, seconds = timed(lambda: write_fake_celeba(root, n, as_zip=True))
    print(f"fake CelebA zip of {n} synthetic 178x218 JPEGs written in {seconds:.1f} s")
    data, seconds = timed(lambda: ganlab.data.celeba(root, 64))
    print(f"zip -> HDF5 cache (64x64, {n} images): {seconds:.1f} s "
          f"({(root / 'celeba_64.h5').stat().st_size / 1e6:.1f} MB)")
    order = torch.randperm(len(data)).tolist()
    _, seconds = timed(lambda: [data[i] for i in order])
    print(f"HDF5 read, random order, one item at a time: {n / seconds:,.0f} images/s")
    loader = DataLoader(data, batch_size=64, shuffle=True, num_workers=2)
    _, seconds = timed(lambda: sum(len(x) for x, _ in loader))
    print(f"HDF5 read through DataLoader(num_workers=2, batch 64): {n / seconds:,.0f} images/s "
          "(worker start-up included)")
    _, seconds = timed(lambda: data.tensors())
    print(f"HDF5 read, all {n} into memory with .tensors(): {n / seconds:,.0f} images/s")


def faces_speed(n=4000, size=64):
    ganlab.data.synthetic_faces(64, size)  # warm-up
    _, seconds = timed(lambda: ganlab.data.synthetic_faces(n, size, seed=1))
    print(f"synthetic_faces({n}, size={size}): {n / seconds:,.0f} images/s")


def main():
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures are upper bounds "
          "when the machine is shared)")
    with tempfile.TemporaryDirectory() as tmp:
        mnist_cold_and_warm(Path(tmp) / "mnist")
        celeba_figures(Path(tmp) / "celeba")
    faces_speed()


if __name__ == "__main__":
    main()
