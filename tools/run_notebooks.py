"""Execute notebooks in full mode (GANLAB_QUICK unset) and store their outputs, cleaned.

`make notebooks` runs it on every notebook; pass paths to run only some. A notebook whose
run fails is never written: the committed file keeps the outputs of its last passing run.
Progress bars are switched off (TQDM_DISABLE): in a stored notebook they are noise.

    .venv/bin/python tools/run_notebooks.py notebooks/01_pattern_1010.ipynb
"""

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).parent))
from clean_notebooks import clean  # noqa: E402


def execute(path, *, timeout=1800):
    """Run a copy of the notebook at ``path`` in full mode; return (notebook, seconds)."""
    nb = nbformat.read(path, as_version=4)
    os.environ.pop("GANLAB_QUICK", None)  # full mode
    os.environ["TQDM_DISABLE"] = "1"
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return nb, time.perf_counter() - start


def main(paths):
    failed = []
    for p in paths:
        print(f"{p}: running in full mode ...", flush=True)
        try:
            nb, seconds = execute(p)
        except CellExecutionError as err:
            failed.append(p)
            print(f"{p}: FAILED, not written\n{str(err)[-2000:]}", flush=True)
            continue
        nbformat.write(clean(nb), p)
        print(f"{p}: {seconds:.0f} s, written", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
