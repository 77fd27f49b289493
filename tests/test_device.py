import pytest
import torch

import ganlab


def test_pick_device_honours_env(monkeypatch, capsys):
    monkeypatch.setenv("GANLAB_DEVICE", "cpu")
    assert ganlab.pick_device() == torch.device("cpu")
    assert "cpu" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_pick_device_unavailable_env_device_says_what_to_do(monkeypatch):
    monkeypatch.setenv("GANLAB_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="Unset GANLAB_DEVICE"):
        ganlab.pick_device(verbose=False)


def test_pick_device_default_is_available_device(monkeypatch):
    monkeypatch.delenv("GANLAB_DEVICE", raising=False)
    device = ganlab.pick_device(verbose=False)
    torch.zeros(1, device=device)  # usable


def test_seed_everything_repeats_every_generator():
    import random

    import numpy as np

    def draw():
        return torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()

    ganlab.seed_everything(7)
    first = draw()
    ganlab.seed_everything(7)
    assert draw() == first


@pytest.mark.parametrize("value, quick", [("", False), ("0", False), ("1", True), ("yes", True)])
def test_is_quick_reads_env(monkeypatch, value, quick):
    monkeypatch.setenv("GANLAB_QUICK", value)
    assert ganlab.is_quick() is quick
