"""ganlab.device: the device, the thread count, the profile, and their error messages."""

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


def test_pick_device_applies_ganlab_threads(clean_env, threads):
    clean_env.setenv("GANLAB_THREADS", "1")
    ganlab.pick_device(verbose=False)
    assert torch.get_num_threads() == 1


# --- seeds, quick -----------------------------------------------------------------------------------


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
def test_is_quick_reads_env(monkeypatch, value, quick):
    monkeypatch.setenv("GANLAB_QUICK", value)
    assert ganlab.is_quick() is quick


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


# --- profile and choose -----------------------------------------------------------------------------


@pytest.mark.parametrize(("quick", "has_cuda", "expected"), [
    ("1", False, "quick"), ("1", True, "quick"), ("", True, "gpu"), ("", False, "cpu"), ("0", True, "gpu"),
])
def test_profile_from_quick_flag_and_cuda(clean_env, quick, has_cuda, expected):
    clean_env.setenv("GANLAB_QUICK", quick)
    cuda(clean_env, has_cuda)
    assert ganlab.profile() == expected


@pytest.mark.parametrize(("dev", "expected"), [("cuda", "gpu"), ("cuda:1", "gpu"), ("cpu", "cpu"),
                                               (torch.device("mps"), "cpu"), (torch.device("cuda"), "gpu")])
def test_profile_follows_the_given_device_not_the_machine(clean_env, dev, expected):
    cuda(clean_env, expected == "cpu")  # the machine says the opposite of the device
    assert ganlab.profile(dev) == expected


@pytest.mark.parametrize(("value", "expected"), [("cpu", "cpu"), ("GPU", "gpu"), (" quick ", "quick")])
def test_profile_ganlab_profile_overrides_the_machine(clean_env, value, expected):
    clean_env.setenv("GANLAB_PROFILE", value)
    cuda(clean_env, expected != "gpu")
    assert ganlab.profile() == expected
    assert ganlab.profile("cuda" if expected == "cpu" else "cpu") == expected


@pytest.mark.parametrize("value", ["fast", "cuda", "quick,cpu"])
def test_profile_bad_ganlab_profile_says_what_to_choose(clean_env, value):
    clean_env.setenv("GANLAB_PROFILE", value)
    with pytest.raises(ValueError, match="choose one of quick, cpu, gpu") as info:
        ganlab.profile()
    assert f"GANLAB_PROFILE={value.lower()!r}" in str(info.value)


@pytest.mark.parametrize(("env", "has_cuda", "expected"), [
    ({"GANLAB_QUICK": "1"}, True, "q"), ({}, False, "c"), ({}, True, "g"),
    ({"GANLAB_PROFILE": "cpu"}, True, "c"),
])
def test_choose_returns_the_setting_of_this_profile(clean_env, env, has_cuda, expected):
    for name, value in env.items():
        clean_env.setenv(name, value)
    cuda(clean_env, has_cuda)
    assert ganlab.choose(quick="q", cpu="c", gpu="g") == expected
    assert ganlab.choose(quick=1, cpu=[2], gpu=None, device="cpu") == {"q": 1, "c": [2], "g": [2]}[expected]


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
