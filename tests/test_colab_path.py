"""The Colab path, offline: a fresh environment that has PyTorch but not ganlab (as Colab
has), a notebook's install cell pointed at a local clone, then the notebook's first cells.

No network: the "Colab" environment sees the test's own site-packages (torch, torchvision,
numpy, ... and pip itself) through a .pth file, minus ganlab; pip runs with --no-index and
without build isolation (setuptools is among those packages), so every dependency of ganlab
must already be there, as on Colab, and only ganlab is built and installed.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from tools import colab

ROOT = Path(__file__).parents[1]
NEEDS = {"git": shutil.which("git"), "venv": importlib.util.find_spec("venv"),
         "setuptools (to build ganlab offline)": importlib.util.find_spec("setuptools"),
         "a git checkout": (ROOT / ".git").exists()}
MISSING = [name for name, ok in NEEDS.items() if not ok]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"the Colab-path test needs {' and '.join(MISSING)}")

REPORT = """
import json, torch
import ganlab
device = ganlab.pick_device()
print(json.dumps({"torch": [torch.__version__, torch.__file__], "ganlab": ganlab.__file__,
                  "data_root": str(ganlab.data_root()), "device": device.type}))
"""


def run(cmd, **kwargs):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def colab_vm(tmp_path):
    """(python, site-packages, clone, commit, env) of a Colab-like environment without ganlab."""
    tmp = tmp_path / "colab"
    tmp.mkdir()
    site = Path(torch.__file__).parents[1]  # where this environment keeps torch and the rest
    shelf = tmp / "preinstalled"  # that folder without ganlab (nor its editable-install hooks)
    shelf.mkdir()
    for entry in site.iterdir():
        if not entry.name.startswith(("ganlab", "__editable__")) and entry.suffix != ".pth":
            (shelf / entry.name).symlink_to(entry)
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])  # pip comes from the shelf
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(run([python, "-c", where]).stdout.strip())
    (purelib / "preinstalled.pth").write_text(f"{shelf}\n")
    clone = tmp / "clone"
    run(["git", "clone", "--quiet", str(ROOT), str(clone)])
    commit = run(["git", "-C", str(clone), "rev-parse", "HEAD"]).stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "GANLAB_"))}
    env.update(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0",  # "0" means: no isolation (pip's quirk)
               PIP_CONFIG_FILE=os.devnull, PIP_CACHE_DIR=str(tmp / "pip-cache"),
               PIP_DISABLE_PIP_VERSION_CHECK="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return python, purelib, clone, commit, env


def report(python, cwd, env, first_cells=()):
    """Run a notebook's first cells, then REPORT: what the learner's kernel would see."""
    source = "\n".join([*first_cells, REPORT])
    return json.loads(run([python, "-c", source], cwd=cwd, env=env).stdout.splitlines()[-1])


def test_colab_install_cell_installs_ganlab_and_leaves_torch_alone(colab_vm, tmp_path):
    python, purelib, clone, commit, env = colab_vm
    before = run([python, "-c", "import json, torch; print(json.dumps([torch.__version__, torch.__file__]))"],
                 env=env, cwd=tmp_path)  # not the repository: there `import ganlab` finds ./ganlab
    absent = subprocess.run([python, "-c", "import ganlab"], capture_output=True, text=True, env=env,
                            cwd=tmp_path)
    assert absent.returncode != 0, "the fresh environment must not have ganlab yet"

    content = tmp_path / "content"  # Colab's /content
    content.mkdir()
    cell = tmp_path / "install_cell.ipy"  # run by IPython, as a kernel runs it: %pip is a magic
    cell.write_text(colab.install_cell(url=f"git+file://{clone}", branch=commit))
    log = tmp_path / "pip.log"
    installed = run([python, "-m", "IPython", "--quick", "--no-banner", "--colors=NoColor", str(cell)],
                    cwd=content, env={**env, "PIP_LOG": str(log)})
    assert "Error" not in installed.stdout + installed.stderr

    pip = log.read_text()
    assert "Requirement already satisfied: torch>=" in pip and "Successfully built ganlab" in pip
    assert "Collecting torch" not in pip and "Installing build dependencies" not in pip
    (line,) = [ln for ln in pip.splitlines() if "Successfully installed" in ln]
    version = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert line.split("Successfully installed ")[1].split() == [f"ganlab-{version}"]  # ganlab alone
    assert {p.name for p in purelib.iterdir()} - {"__pycache__"} == {
        "preinstalled.pth", "ganlab", f"ganlab-{version}.dist-info"}

    # the install cell ran in another process here: its `import ganlab` is what the kernel keeps
    first_cells = ["import ganlab"] + [c.source for c in nbformat.read(colab.notebooks(clone)[0],
                                                                        as_version=4).cells[2:]
                                       if c.cell_type == "code"][:1]  # the imports cell
    seen = report(python, content, env, first_cells)
    assert seen["torch"] == json.loads(before.stdout), "the install must not touch torch"
    assert Path(seen["ganlab"]).is_relative_to(purelib)
    assert seen["data_root"] == str(content / "data")  # Colab: /content/data
    assert seen["device"] in ("cpu", "cuda", "mps")
    elsewhere = tmp_path / "usb" / "data"
    assert report(python, content, {**env, "GANLAB_DATA": str(elsewhere)})["data_root"] == str(elsewhere)


def test_colab_install_cell_with_a_wrong_address_shows_pips_reason(colab_vm, tmp_path):
    python, _, _, _, env = colab_vm
    cell = tmp_path / "install_cell.ipy"
    cell.write_text(colab.install_cell(url=f"git+file://{tmp_path}/no-such-repo", branch="main"))
    ipython = [python, "-m", "IPython", "--quick", "--no-banner", "--colors=NoColor"]
    failed = subprocess.run([*ipython, str(cell)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    shown = failed.stdout + failed.stderr
    assert "no-such-repo" in shown  # pip's own words: which address failed
    assert "ModuleNotFoundError: No module named 'ganlab'" in shown
    assert "read pip's message above" in shown  # the cell's comment, in the traceback's last frame
