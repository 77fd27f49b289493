"""The offline install, on two tiny packages: `pip wheel` collects a project and its
dependencies into a wheelhouse (what `make wheelhouse` does), and a fresh environment
installs from it with --no-index --find-links (what `make lab WHEELS=dir` does). Offline."""

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NEEDS = ("venv", "setuptools")
pytestmark = pytest.mark.skipif(not all(importlib.util.find_spec(name) for name in NEEDS),
                                reason="the wheelhouse test needs venv and setuptools")


def pip(*args, env, python=None):
    cmd = [sys.executable, "-m", "pip", *(["--python", str(python)] if python else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def make_wheel(folder, name, version, code):
    """A pure-Python wheel written by hand: the stand-in for a package on PyPI."""
    info = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": code,
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{info}/RECORD"] = "".join(f"{path},,\n" for path in [*files, f"{info}/RECORD"])
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as whl:
        for path, text in files.items():
            whl.writestr(path, text)


@pytest.fixture
def offline(tmp_path):
    """pip settings with no index and no user configuration: nothing can come from the network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_CACHE_DIR=str(tmp_path / "cache"),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def test_wheelhouse_installs_a_project_and_its_dependencies_offline(tmp_path, offline):
    index = tmp_path / "index"  # plays PyPI
    index.mkdir()
    make_wheel(index, "tinydep", "1.0", "ANSWER = 42\n")
    project = tmp_path / "tinyapp"  # plays ganlab: a source tree with a dependency
    (project / "tinyapp").mkdir(parents=True)
    (project / "tinyapp" / "__init__.py").write_text("from tinydep import ANSWER\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "tinyapp"\nversion = "0.1"\ndependencies = ["tinydep>=1"]\n')

    wheels = tmp_path / "wheelhouse"  # make wheelhouse: pip wheel --wheel-dir WHEELS .
    made = pip("wheel", "--no-build-isolation", "--find-links", str(index), "--wheel-dir", str(wheels),
               str(project), env=offline)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in wheels.iterdir()) == ["tinyapp-0.1-py3-none-any.whl",
                                                        "tinydep-1.0-py3-none-any.whl"]

    venv = tmp_path / "venv"  # a fresh laptop
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    without = pip("install", "--no-index", "tinyapp", env=offline, python=python)
    assert without.returncode != 0 and "No matching distribution found for tinyapp" in without.stderr
    installed = pip("install", "--no-index", "--find-links", str(wheels), "tinyapp",  # make lab WHEELS=...
                    env=offline, python=python)
    assert installed.returncode == 0, installed.stderr
    answer = subprocess.run([python, "-c", "import tinyapp; print(tinyapp.ANSWER)"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert answer.stdout.strip() == "42", answer.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_installs_from_wheels_only_when_asked():
    def dry(*args):  # -B: print every command, even where .venv is already built
        return subprocess.run(["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True).stdout

    assert "pip install --no-index --find-links /usb/wheels -e '.[dev]'" in dry("lab", "WHEELS=/usb/wheels")
    assert "--no-index" not in dry("lab")
    collect = dry("wheelhouse", "WHEELS=/usb/wheels")
    assert "pip wheel --wheel-dir /usb/wheels" in collect and "'.[dev]'" in collect
    assert "pip wheel --wheel-dir wheelhouse" in dry("wheelhouse")


def test_wheelhouse_folder_is_not_committed():
    assert "/wheelhouse/" in (ROOT / ".gitignore").read_text().splitlines()
