"""Notebooks are committed clean (no execution counts or volatile metadata), with the
outputs of a full run, and follow the course's shape (../shared/TEACHING.md): a badge, a short
install cell, one setup line and a parameters cell, claims asserted in collapsed cells only."""

import re
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
    assert all(set(c.metadata) <= {"tags", "jupyter"} for c in nb.cells)
    assert any(c.outputs for c in code), "commit the outputs of a full run: make notebooks"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_badge_install_cell_setup_and_parameters(path):
    nb = nbformat.read(path, as_version=4)
    assert f"notebooks/{path.name}" in nb.cells[0].source and "colab-badge" in nb.cells[0].source
    assert "%pip install" in nb.cells[1].source and "import ganlab" in nb.cells[1].source
    assert len(nb.cells[1].source.splitlines()) <= 5, "the install cell is a few lines (tools/colab.py)"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "ganlab.choose(" in params[0].source
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("ganlab.setup(") == 1, "decide device, profile and seed once: run = ganlab.setup()"
    assert "set_num_threads" not in code  # threads: GANLAB_THREADS


def hidden(cell):
    return cell.metadata.get("jupyter", {}).get("source_hidden", False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_asserts_its_claims_in_collapsed_cells_only(path):
    """The story cells teach; the claims are asserted out of sight, in collapsed cells that
    make verify still runs (a notebook may check its own code against ganlab's in view)."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    quick_blocks = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not hidden(c)
                    and re.search(r"if\s+not\s+QUICK|profile\s*!=\s*[\"']quick", c.source)]
    assert not quick_blocks, f"visible full-mode claims in cells {quick_blocks}: move them to a claims cell"
    claims = [c for c in code if hidden(c) and re.search(r"^\s*assert\b", c.source, re.M)]
    assert claims, "assert the text's claims in a collapsed cell (metadata jupyter.source_hidden)"
    assert any("HEADLINE" in c.source for c in code if hidden(c))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_markdown_cells_are_short(path):
    long = [i for i, c in enumerate(nbformat.read(path, as_version=4).cells)
            if c.cell_type == "markdown" and len(c.source.split()) > 250]
    assert len(long) <= 1, f"markdown cells over 250 words: {long} (../shared/TEACHING.md: about 200 at most)"
