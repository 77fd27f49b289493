"""Execute notebooks in full mode (GANLAB_QUICK unset), in place, then strip volatile
metadata. `make notebooks` runs it on every notebook; pass paths to run only some.

    .venv/bin/python tools/run_notebooks.py notebooks/01_pattern_1010.ipynb
"""

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).parent))
from clean_notebooks import clean  # noqa: E402


def run(path, *, timeout=1800):
    nb = nbformat.read(path, as_version=4)
    os.environ.pop("GANLAB_QUICK", None)  # full mode
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    seconds = time.perf_counter() - start
    nbformat.write(clean(nb), path)
    return seconds


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{p}: running in full mode ...", flush=True)
        print(f"{p}: {run(p):.0f} s", flush=True)
