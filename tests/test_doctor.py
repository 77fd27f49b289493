"""make doctor: every check fails with its fix under a fake condition, and a good machine is ready."""

import re
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torchvision
from jupyter_client import kernelspec

import ganlab
from tools import doctor

ROOT = Path(__file__).parents[1]


@pytest.fixture
def good(monkeypatch, tmp_path):
    """A machine on which every check passes: MNIST present, the kernel registered, a short probe."""
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in doctor.MNIST_FILES:
        (raw / name).touch()
    monkeypatch.setenv("GANLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GANLAB_DEVICE", "cpu")
    monkeypatch.setattr(kernelspec, "KernelSpecManager", lambda: FakeSpecs([sys.executable]))
    return tmp_path


class FakeSpecs:
    def __init__(self, argv):
        self.argv = argv

    def get_kernel_spec(self, name):
        if self.argv is None:
            raise kernelspec.NoSuchKernel(name)
        return SimpleNamespace(argv=self.argv)


def run_doctor(capsys):
    code = doctor.main(probe_seconds=0.1)
    return code, capsys.readouterr().out


def fixes(out):
    return out.split("not ready; fix:\n", 1)[1] if "not ready" in out else ""


def test_doctor_all_good_prints_one_table_then_ready(good, capsys):
    code, out = run_doctor(capsys)
    assert code == 0 and out.rstrip().endswith("\nready"), out
    rows = out.split("\n\n")[0].splitlines()
    assert all(row.startswith(" ok  ") for row in rows), out
    for check in ["python", "torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "h5py",
                  "jupyterlab", "torch + torchvision", "device", "speed probe", "full run 06",
                  "MNIST, offline", "free disk", "jupyter kernel"]:
        assert re.search(rf"^ ok  \s*{re.escape(check)}\s", out, re.M), check


def test_doctor_missing_package_says_how_to_install_it(monkeypatch):
    real = doctor.version
    gone = ("h5py", "jupyterlab")
    monkeypatch.setattr(doctor, "version", lambda name: None if name in gone else real(name))
    rows = {row.check: row for row in doctor.version_rows()}
    assert rows["h5py"].result == "missing" and rows["h5py"].fix == "make lab (or pip install h5py)"
    assert rows["jupyterlab"] == ("jupyterlab", "not installed (only make lab needs it)", "")  # optional


def test_doctor_old_python_is_a_fix(monkeypatch):
    monkeypatch.setattr(doctor.sys, "version_info", (3, 9, 18))
    assert doctor.version_rows()[0].fix == "install Python 3.10 or newer"


def test_doctor_broken_torchvision_says_reinstall_the_pair(monkeypatch):
    def nms(*args):
        raise RuntimeError("operator torchvision::nms does not exist")

    monkeypatch.setattr(torchvision.ops, "nms", nms)
    row = doctor.torchvision_row()
    assert row.result == "broken: operator torchvision::nms does not exist"
    assert row.fix == "reinstall them as a pair: pip install --force-reinstall torch torchvision"


@pytest.mark.parametrize("name", ["cdua", "cuda"], ids=["typo", "no-such-gpu"])
def test_doctor_bad_device_skips_the_probe_and_says_how_to_fix(good, monkeypatch, name):
    if name == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    monkeypatch.setenv("GANLAB_DEVICE", name)
    rows = {row.check: row for row in doctor.check(probe_seconds=0.1)}
    assert rows["device"].fix == "unset GANLAB_DEVICE, or set it to cpu, cuda, cuda:1 or mps"
    assert rows["device"].result.startswith("error: ") and "speed probe" not in rows


def test_doctor_estimates_each_notebook_from_the_probe(good, monkeypatch):
    monkeypatch.setattr(doctor, "probe", lambda ganlab, device, seconds: doctor.REFERENCE_IMAGES_PER_S / 2)
    rows = doctor.speed_rows(None, None, 0.1)
    assert len(rows) == 1 + len(doctor.REFERENCE_SECONDS)
    ref = doctor.REFERENCE_SECONDS["01_pattern_1010"]
    assert rows[1].result.startswith(f"about {2 * ref / 60:.1f} min") and "01_pattern_1010" in rows[1].result


def test_doctor_probe_measures_images_per_second():
    threads = torch.get_num_threads()
    assert doctor.probe(ganlab, torch.device("cpu"), seconds=0.1) > 0
    assert torch.get_num_threads() == threads  # the probe's one thread is given back


def test_doctor_missing_mnist_says_make_data_and_exits_1(good, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GANLAB_DATA", str(tmp_path / "empty"))
    code, out = run_doctor(capsys)
    assert code == 1 and fixes(out).splitlines() == [
        "  MNIST, offline: run `make data` while online (or set GANLAB_DATA to a folder holding MNIST/)"]
    assert re.search(r"^FIX  MNIST, offline +not in .*empty", out, re.M)


def test_doctor_full_disk_is_a_fix(good, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda path: usage(10**10, 10**10 - 10**8, 10**8))
    row = doctor.disk_row(ganlab)
    assert row.result.startswith("0.1 GB at") and row.fix == "free at least 2 GB on that disk"


@pytest.mark.parametrize("argv", [None, ["/no/such/python"]], ids=["unregistered", "gone"])
def test_doctor_kernel_problem_says_how_to_register_it(monkeypatch, argv):
    monkeypatch.setattr(kernelspec, "KernelSpecManager", lambda: FakeSpecs(argv))
    row = doctor.kernel_row()
    register = "-m ipykernel install --user --name ganlab --display-name 'Python (ganlab)'"
    assert row.fix == f"{sys.executable} {register}"


def test_doctor_without_jupyter_says_make_lab(good, monkeypatch):
    monkeypatch.setitem(sys.modules, "jupyter_client.kernelspec", None)
    assert doctor.kernel_row().fix.startswith("make lab")


def test_doctor_reports_when_ganlab_cannot_be_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "ganlab", None)
    rows = doctor.check(probe_seconds=0.1)
    assert rows[-1].check == "ganlab" and rows[-1].fix


def test_doctor_reference_times_are_the_results_table():
    text = (ROOT / "docs" / "results.md").read_text()
    row = re.search(r"^\| full mode, seconds \|(.*)\|$", text, re.M)
    assert [int(x) for x in row.group(1).split("|")] == list(doctor.REFERENCE_SECONDS.values())
    header = re.search(r"^\| notebook \|(.*)\|$", text, re.M)
    assert [x.strip() for x in header.group(1).split("|")] == [k[:2] for k in doctor.REFERENCE_SECONDS]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_doctor_runs_the_module_by_path():
    dry = subprocess.run(["make", "-n", "doctor"], cwd=ROOT, capture_output=True, text=True)
    assert ".venv/bin/python tools/doctor.py" in dry.stdout
