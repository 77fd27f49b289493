"""Execute notebooks in full mode (GANLAB_QUICK unset): store their outputs, or verify them.

`make notebooks` runs every notebook and writes its outputs, cleaned. A notebook whose run
fails is never written: the committed file keeps the outputs of its last passing run.
Progress bars are switched off (TQDM_DISABLE): in a stored notebook they are noise.

    .venv/bin/python tools/run_notebooks.py notebooks/01_pattern_1010.ipynb

`make verify` (``--verify``) runs every notebook in full mode on the CPU (the ``cpu`` profile,
the one the committed outputs come from) into a temporary copy, never touching the committed
file, and prints a table: notebook, seconds, pass/fail and the notebook's ``HEADLINE`` numbers
(a dict its last cell defines). Every ``assert`` in a notebook is a claim of its text, so a
passing verify means every claim held on this machine. ``-j 2`` runs two notebooks at a time;
``GANLAB_SEED=1`` (``make verify SEED=1``) runs them all with another seed. ``--keep-going``
runs every cell past a failing one and lists each failed line: what a claim's seed spread needs.
Each executed copy is left in ``build/verify/seed-N/`` to read.
"""

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).parent))
from clean_notebooks import clean  # noqa: E402

COPIES = Path(__file__).parents[1] / "build" / "verify"  # executed copies, one folder per seed
# Appended to a verify run's copy: the notebook's own headline numbers, as one JSON line.
REPORT = "import json; print('HEADLINE ' + json.dumps(globals().get('HEADLINE', {}), default=float))"


def execute(path, *, timeout=1800, extra=(), profile=(), keep_going=False):
    """Run a copy of the notebook at ``path`` in full mode; return (notebook, seconds).

    ``extra``: code cells appended to the copy before it runs; ``profile``: environment
    variables for its kernel (e.g. ``GANLAB_PROFILE``); ``keep_going``: a failing cell
    keeps its error as an output and the next cell runs."""
    nb = nbformat.read(path, as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(src) for src in extra]
    # The kernel's environment, not this process's: a caller (pytest in quick mode) keeps its own.
    env = {k: v for k, v in os.environ.items() if k != "GANLAB_QUICK"}
    env |= {"TQDM_DISABLE": "1", **dict(profile)}
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=keep_going,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute(env=env)
    return nb, time.perf_counter() - start


def headline(nb):
    """The HEADLINE dict that the appended REPORT cell printed ({} if it printed none)."""
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    line = next((s for s in printed.splitlines() if s.startswith("HEADLINE ")), "HEADLINE {}")
    return json.loads(line[len("HEADLINE "):])


def failed_lines(nb):
    """'cell N: <the line that raised>' for each cell that kept an error output."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(out.get("traceback", [])))
                arrow = re.findall(r"^-+> *\d+ (.*)$", trace, flags=re.M)
                found.append(f"cell {i}: {arrow[-1].strip() if arrow else out.get('ename')}")
    return found


def verify_one(path, keep_going=False, copies=COPIES):
    """Full cpu-profile run of a copy of ``path``, kept under ``copies``: (path, seconds, failures,
    headline)."""
    start = time.perf_counter()
    try:
        nb, seconds = execute(path, extra=[REPORT], keep_going=keep_going,
                              profile={"GANLAB_PROFILE": "cpu", "GANLAB_DEVICE": "cpu"})
    except CellExecutionError as err:
        return path, time.perf_counter() - start, [str(err)[-2000:]], {}
    folder = Path(copies) / f"seed-{os.environ.get('GANLAB_SEED') or 0}"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / Path(path).name)
    return path, seconds, failed_lines(nb), headline(nb)


def headline_text(numbers):
    return "; ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in numbers.items())


def verify(paths, *, jobs=1, keep_going=False, copies=COPIES):
    """Run every notebook in ``paths`` (``jobs`` at a time); print the table; 1 if any failed."""
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(verify_one, paths, [keep_going] * len(paths), [copies] * len(paths)))
    print("\n| notebook | seconds | result | headline numbers |\n|---|---:|---|---|")
    for path, seconds, errors, numbers in results:
        result = f"FAIL ({len(errors)})" if errors else "pass"
        print(f"| {Path(path).name} | {seconds:.0f} | {result} | {headline_text(numbers)} |")
    failed = [(p, e) for p, _, e, _ in results if e]
    for path, errors in failed:
        print(f"\n{path} FAILED:\n" + "\n".join(errors))
    seed = os.environ.get("GANLAB_SEED", "") or "0 (each notebook's default)"
    print(f"\n{len(results)} notebooks in {time.perf_counter() - start:.0f} s, {jobs} at a time, seed {seed}")
    print(f"verify: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def store(paths):
    """Run each notebook in full mode and write its outputs, cleaned (without the REPORT
    cell, whose headline numbers are printed here); 1 if any failed."""
    failed = []
    for p in paths:
        print(f"{p}: running in full mode ...", flush=True)
        try:
            nb, seconds = execute(p, extra=[REPORT])
        except CellExecutionError as err:
            failed.append(p)
            print(f"{p}: FAILED, not written\n{str(err)[-2000:]}", flush=True)
            continue
        numbers, nb.cells = headline(nb), nb.cells[:-1]
        nbformat.write(clean(nb), p)
        print(f"{p}: {seconds:.0f} s, written; {headline_text(numbers)}", flush=True)
    return 1 if failed else 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--verify", action="store_true", help="run copies; write nothing; print a table")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks at a time (--verify)")
    parser.add_argument("--keep-going", action="store_true", help="run past failing cells (--verify)")
    args = parser.parse_args(argv)
    if args.verify:
        return verify(args.paths, jobs=args.jobs, keep_going=args.keep_going)
    return store(args.paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
