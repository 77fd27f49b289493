"""ganlab.device: the device, the thread count, the profile, and their error messages."""

import os
import subprocess
import sys

import pytest
import torch

import ganlab
from ganlab import device


@pytest.fixture
def threads():
    """Whatever a test does to torch's thread count is undone after it."""
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("GANLAB_QUICK", "GANLAB_PROFILE", "GANLAB_DEVICE", "GANLAB_THREADS", "GANLAB_SEED"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def cuda(monkeypatch, available):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)


# --- pick_device ----------------------------------------------------------------------------------


def test_pick_device_honours_env(monkeypatch, capsys):
    monkeypatch.setenv("GANLAB_DEVICE", "cpu")
    assert ganlab.pick_device() == torch.device("cpu")
    assert "cpu" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_pick_device_unavailable_env_device_says_what_to_do(monkeypatch):
    monkeypatch.setenv("GANLAB_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="Unset GANLAB_DEVICE"):
        ganlab.pick_device(verbose=False)


@pytest.mark.parametrize("name", ["gpu0", "cuda-1", "CPU please"])
def test_pick_device_malformed_env_device_says_what_to_do(monkeypatch, name):
    monkeypatch.setenv("GANLAB_DEVICE", name)
    with pytest.raises(RuntimeError, match="is not a device name") as info:
        ganlab.pick_device(verbose=False)
    message = str(info.value)
    assert repr(name) in message and "cuda:1" in message and "unset GANLAB_DEVICE" in message


def test_pick_device_default_is_available_device(monkeypatch):
    monkeypatch.delenv("GANLAB_DEVICE", raising=False)
    device = ganlab.pick_device(verbose=False)
    torch.zeros(1, device=device)  # usable


# --- seeds ------------------------------------------------------------------------------------------


def test_seed_everything_repeats_every_generator():
    import random

    import numpy as np

    def draw():
        return torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()

    ganlab.seed_everything(7)
    first = draw()
    ganlab.seed_everything(7)
    assert draw() == first


@pytest.mark.parametrize("value, quick", [("", False), ("0", False), ("false", False), ("no", False),
                                          ("1", True), ("yes", True), (" True ", True)])
def test_decide_reads_ganlab_quick(monkeypatch, value, quick):
    monkeypatch.setattr(device, "_RUN", None)
    monkeypatch.delenv("GANLAB_PROFILE", raising=False)
    monkeypatch.setenv("GANLAB_QUICK", value)
    assert (device.decide().profile == "quick") is quick


@pytest.mark.parametrize("value, seed", [(None, 7), ("", 7), ("0", 0), (" 2 ", 2)])
def test_run_seed_reads_ganlab_seed_else_default(clean_env, value, seed):
    if value is not None:
        clean_env.setenv("GANLAB_SEED", value)
    assert ganlab.run_seed(7) == seed


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_run_seed_bad_value_says_what_to_give(clean_env, value):
    clean_env.setenv("GANLAB_SEED", value)
    with pytest.raises(ValueError, match=f"GANLAB_SEED={value!r}: give a whole number"):
        ganlab.run_seed()


# --- set_threads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "2", " 2 "])
def test_set_threads_applies_ganlab_threads(clean_env, threads, value):
    clean_env.setenv("GANLAB_THREADS", value)
    assert ganlab.set_threads() == int(value) == torch.get_num_threads()


def test_set_threads_without_env_leaves_torch_alone(clean_env, threads):
    torch.set_num_threads(1)
    assert ganlab.set_threads() == 1 == torch.get_num_threads()
    clean_env.setenv("GANLAB_THREADS", "")  # set but empty: the same as unset
    assert ganlab.set_threads() == 1


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "4 threads"])
def test_set_threads_bad_value_says_what_to_give(clean_env, threads, value):
    clean_env.setenv("GANLAB_THREADS", value)
    with pytest.raises(ValueError, match="whole number of threads") as info:
        ganlab.set_threads()
    assert f"GANLAB_THREADS={value!r}" in str(info.value)
    assert torch.get_num_threads() == threads  # nothing was changed


# --- setup: device, profile, seed and threads decided once -----------------------------------------


@pytest.fixture
def undecided(clean_env):
    """No run decided yet (as in a fresh kernel), and none left behind."""
    clean_env.setattr(device, "_RUN", None)
    return clean_env


@pytest.mark.parametrize(("quick", "has_cuda", "expected"), [
    ("1", False, "quick"), ("1", True, "quick"), ("", True, "gpu"), ("", False, "cpu"), ("0", True, "gpu"),
])
def test_decide_profile_from_quick_flag_and_device(undecided, quick, has_cuda, expected):
    undecided.setenv("GANLAB_QUICK", quick)
    cuda(undecided, has_cuda)
    assert device.decide().profile == expected == ganlab.profile()


def test_decide_cpu_device_on_a_cuda_machine_gets_the_cpu_profile(undecided):
    """GANLAB_DEVICE=cpu on a CUDA machine: the run is on the CPU, so its settings are the cpu ones."""
    cuda(undecided, True)
    undecided.setenv("GANLAB_DEVICE", "cpu")
    run = device.decide()
    assert (run.device, run.profile) == (torch.device("cpu"), "cpu")
    assert ganlab.choose(quick=1, cpu=2, gpu=3) == 2


@pytest.mark.parametrize(("value", "expected"), [("cpu", "cpu"), ("GPU", "gpu"), (" quick ", "quick")])
def test_decide_ganlab_profile_overrides_the_machine(undecided, value, expected):
    undecided.setenv("GANLAB_PROFILE", value)
    cuda(undecided, expected != "gpu")
    assert device.decide().profile == expected


@pytest.mark.parametrize("value", ["fast", "cuda", "quick,cpu"])
def test_decide_bad_ganlab_profile_says_what_to_choose(undecided, value):
    undecided.setenv("GANLAB_PROFILE", value)
    with pytest.raises(ValueError, match="choose one of quick, cpu, gpu") as info:
        device.decide()
    assert f"GANLAB_PROFILE={value.lower()!r}" in str(info.value)


def test_setup_prints_one_line_seeds_everything_and_choose_reads_it(undecided, capsys, threads):
    undecided.setenv("GANLAB_QUICK", "1")
    undecided.setenv("GANLAB_SEED", "3")
    undecided.setenv("GANLAB_THREADS", "1")
    run = ganlab.setup(seed=0)
    first = torch.rand(3)
    ganlab.setup(seed=0)
    assert torch.equal(first, torch.rand(3))  # seeded with GANLAB_SEED's 3, both times
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ganlab: cpu (1 threads), profile quick, seed 3" and len(out) == 2
    assert (run.seed, run.threads, run.profile) == (3, 1, "quick")
    undecided.delenv("GANLAB_QUICK")  # the environment changes, the decision does not
    assert ganlab.choose(quick="q", cpu="c", gpu="g") == "q"


def test_choose_without_setup_decides_quietly(undecided, capsys):
    undecided.setenv("GANLAB_PROFILE", "gpu")
    assert ganlab.choose(quick="q", cpu="c", gpu="g") == "g" and capsys.readouterr().out == ""


def test_choose_needs_all_three_settings_by_keyword():
    with pytest.raises(TypeError):
        ganlab.choose(1, 2, 3)
    with pytest.raises(TypeError):
        ganlab.choose(quick=1, cpu=2)
    assert device.PROFILES == ("quick", "cpu", "gpu")


def test_one_thread_runs_on_one_thread_and_restores_the_count_even_on_error(threads):
    torch.set_num_threads(2)
    with pytest.raises(RuntimeError), device.one_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError("a failing cell")
    assert torch.get_num_threads() == 2


def test_ganlab_threads_caps_numpys_blas_threads_when_set_before_import():
    # numpy reads these once, when it loads: ganlab sets them before it imports torch (and numpy)
    code = ("import os, ganlab; "
            "print([os.environ.get(v) for v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')])")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS") and k != "GANLAB_THREADS"}
    run = lambda extra: subprocess.run([sys.executable, "-c", code], env={**env, **extra},
                                       capture_output=True, text=True, check=True).stdout.strip()
    assert run({"GANLAB_THREADS": "1"}) == "['1', '1']"
    assert run({"GANLAB_THREADS": "1", "OPENBLAS_NUM_THREADS": "3"}) == "['3', '1']"  # a user's choice stays
    assert run({}) == "[None, None]"
