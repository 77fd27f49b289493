"""The pure helpers of tools/browser_test.py (the browser itself runs in `make test-browser`)."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
spec = importlib.util.spec_from_file_location("browser_test", ROOT / "tools" / "browser_test.py")
browser_test = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browser_test)


def cell(kind, source, outputs=()):
    extra = {"outputs": list(outputs)} if kind == "code" else {}
    return {"cell_type": kind, "source": source, "metadata": {}, **extra}


def png(*extra):
    data = {"image/png": "iVBOR", "text/plain": "<Figure>", **dict.fromkeys(extra, "")}
    return {"output_type": "display_data", "data": data}


def test_playground_cell_finds_the_call_in_notebook_06():
    nb = json.loads((ROOT / "notebooks" / "06_wgan_gp.ipynb").read_text())
    index = browser_test.playground_cell(nb)
    assert nb["cells"][index]["cell_type"] == "code"
    assert "Playground(" in "".join(nb["cells"][index]["source"])


def test_playground_cell_skips_markdown_and_joins_source_lines():
    nb = {"cells": [cell("markdown", "`Playground()` below"),
                    cell("code", ["lab = playground.", "Playground()\n"])]}
    assert browser_test.playground_cell(nb) == 1


def test_playground_cell_raises_without_one():
    with pytest.raises(LookupError, match="Playground"):
        browser_test.playground_cell({"cells": [cell("code", "print(1)")]})


def test_expected_outputs_counts_pngs_that_render_as_pngs():
    widget = {"output_type": "display_data",
              "data": {"application/vnd.jupyter.widget-view+json": {}, "text/plain": "VBox"}}
    nb = {"cells": [cell("markdown", "# title"), cell("code", "x", [png(), png(), widget]), cell("code", "y"),
                    cell("code", "z", [png("text/html")])]}
    assert browser_test.expected_outputs(nb) == [(True, 2), (False, 0), (True, 0)]


def test_error_texts_keeps_tracebacks_and_errors_only():
    texts = ["100%|██████| 50/50", "UserWarning: slow", "Traceback (most recent call last):\n  ...",
             "RuntimeError: boom", "ValueError"]
    assert browser_test.error_texts(texts) == texts[2:]


def test_course_notebooks_are_the_numbered_ones_in_order(tmp_path):
    for name in ("02_b.ipynb", "01_a.ipynb", "scratch.ipynb", "1_c.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in browser_test.course_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb"]
