"""The committed notebooks show what a full run printed, and nothing else: no machine
paths, no progress-bar debris, and a last line that says how the run was made."""

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(/work/|/home/|/root/|/tmp/|/Users/|[A-Z]:\\\\)")
PROGRESS_BAR = re.compile(r"\d+%\|| \d+/\d+ \[\d\d:\d\d|step/s|it/s")


def texts(nb):
    """(cell index, text) of every output: stream text and each plain or HTML representation."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if "text" in out:
                yield i, out["text"]
            for kind in ("text/plain", "text/html"):
                if kind in out.get("data", {}):
                    yield i, out["data"][kind]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_hold_no_machine_paths(path):
    nb = nbformat.read(path, as_version=4)
    bad = [(i, m.group(0)) for i, t in texts(nb) for m in MACHINE_PATH.finditer(t)]
    assert not bad, f"absolute paths in outputs (cell, match): {bad[:5]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_hold_no_progress_bars(path):
    bad = [i for i, t in texts(nbformat.read(path, as_version=4)) if PROGRESS_BAR.search(t)]
    assert not bad, f"progress-bar output in cells {bad}: run tools/run_notebooks.py (TQDM_DISABLE)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_ends_with_a_full_mode_run_line(path):
    last = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"][-1]
    printed = "".join(o.get("text", "") for o in last.outputs)
    assert re.search(r"notebook ran in \d+ s: full mode, (cpu|gpu) profile, \d+ CPU thread", printed), printed


def test_run_notebooks_refuses_to_write_a_failing_notebook(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    import run_notebooks

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('ok')"),
                                         nbformat.v4.new_code_cell("assert False, 'a claim failed'")])
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    before, env = path.read_bytes(), dict(os.environ)
    assert run_notebooks.main([str(path)]) == 1
    assert path.read_bytes() == before  # never overwritten by a failed run
    assert dict(os.environ) == env  # the full-mode kernel's environment is its own: pytest stays quick


def test_run_notebooks_verify_reports_headlines_and_failures_and_writes_nothing(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import run_notebooks

    cell = nbformat.v4.new_code_cell
    passing = tmp_path / "passing.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell("HEADLINE = {'recall': 0.5, 'modes': 8}")]), passing)
    failing = tmp_path / "failing.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell("assert 1 + 1 == 3, 'a claim failed'")]), failing)
    before = {p: p.read_bytes() for p in (passing, failing)}
    assert run_notebooks.verify([str(passing), str(failing)], copies=tmp_path / "copies") == 1
    printed = capsys.readouterr().out
    assert "| passing.ipynb |" in printed and "| pass | recall 0.5; modes 8 |" in printed
    assert "| failing.ipynb |" in printed and "| FAIL (1) |" in printed and "a claim failed" in printed
    assert "verify: 1 passed, 1 failed" in printed
    assert {p: p.read_bytes() for p in (passing, failing)} == before  # copies only


def test_run_notebooks_keep_going_lists_every_failed_claim_and_still_reports_the_headline(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import run_notebooks

    cell = nbformat.v4.new_code_cell
    path = tmp_path / "claims.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        cell("x = 0.3\nassert x > 0.5  # first claim"), cell("assert x < 0.1  # second claim"),
        cell("HEADLINE = {'x': x}")]), path)
    assert run_notebooks.verify([str(path)], keep_going=True, copies=tmp_path / "copies") == 1
    printed = capsys.readouterr().out
    assert "| FAIL (2) | x 0.3 |" in printed
    assert "cell 0: assert x > 0.5  # first claim" in printed
    assert "cell 1: assert x < 0.1  # second claim" in printed
    assert (tmp_path / "copies" / "seed-0" / "claims.ipynb").exists()  # the executed copy, to read


def test_run_notebooks_store_prints_the_headline_and_writes_no_report_cell(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import run_notebooks

    path = tmp_path / "passing.ipynb"
    source = "HEADLINE = {'modes': 8}"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    assert run_notebooks.main([str(path)]) == 0
    assert "written; modes 8" in capsys.readouterr().out
    assert [c.source for c in nbformat.read(path, as_version=4).cells] == [source]
