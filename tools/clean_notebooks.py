"""Strip execution counts and volatile metadata from notebooks, keeping outputs.

    .venv/bin/python tools/clean_notebooks.py notebooks/*.ipynb
"""

import sys

import nbformat

KEEP_CELL_METADATA = {"tags", "jupyter"}  # jupyter: {"source_hidden": true} collapses a claims cell
KEEP_NB_METADATA = {"kernelspec", "language_info"}


def clean(nb):
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NB_METADATA}
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        if cell.cell_type == "code":
            cell.execution_count = None
            for out in cell.outputs:
                if "execution_count" in out:  # execute_result outputs carry one
                    out["execution_count"] = None
                if "metadata" in out:
                    out["metadata"] = {}
    return nb


if __name__ == "__main__":
    for p in sys.argv[1:]:
        nbformat.write(clean(nbformat.read(p, as_version=4)), p)
