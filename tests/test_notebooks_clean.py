"""Notebooks are committed clean (no execution counts or volatile metadata), with the
outputs of a full run, and follow the course's shape (badge, install cell, parameters)."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_notebooks_exist_in_order():
    assert NOTEBOOKS and NOTEBOOKS[0].name.startswith("01_")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_executed(path):
    nb = nbformat.read(path, as_version=4)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is None for c in code), "run tools/clean_notebooks.py"
    assert all(set(c.metadata) <= {"tags"} for c in nb.cells)
    assert any(c.outputs for c in code), "commit the outputs of a full run: make notebooks"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_badge_install_cell_and_parameters(path):
    nb = nbformat.read(path, as_version=4)
    assert f"notebooks/{path.name}" in nb.cells[0].source and "colab-badge" in nb.cells[0].source
    assert "pip" in nb.cells[1].source and "import ganlab" in nb.cells[1].source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "ganlab.profile(" in params[0].source and "ganlab.choose(" in params[0].source
    assert "set_num_threads" not in "".join(c.source for c in nb.cells)  # threads: GANLAB_THREADS
