import pickle

import pytest
import torch

import ganlab
from ganlab.data import pattern1010

DATA = pattern1010(256, generator=torch.Generator().manual_seed(0))  # one fixed dataset


def train_to(gan, steps, **kwargs):
    return ganlab.train(gan, DATA, batch_size=16, steps=steps, progress=False, **kwargs)


def test_checkpoint_resume_is_bit_identical_to_an_uninterrupted_run(make_toy_gan, tmp_path):
    path = tmp_path / "run.pt"
    straight = make_toy_gan(seed=1)
    train_to(straight, 40)

    first = make_toy_gan(seed=1)
    train_to(first, 25, checkpoint=path)
    torch.rand(100)  # the session "drops": RNG moves on, a new process starts ...
    resumed = make_toy_gan(seed=99)  # ... with different weights and seed
    assert ganlab.load_checkpoint(resumed, path)
    train_to(resumed, 40)

    for a, b in zip(straight.G.parameters(), resumed.G.parameters()):
        assert torch.equal(a, b)
    for a, b in zip(straight.D.parameters(), resumed.D.parameters()):
        assert torch.equal(a, b)
    assert straight.history.frame["loss_D"].equals(resumed.history.frame["loss_D"])


def test_checkpoint_loads_with_weights_only(make_toy_gan, tmp_path):
    gan = make_toy_gan()
    train_to(gan, 5, snapshot_every=5)
    path = ganlab.save_checkpoint(gan, tmp_path / "c.pt")
    state = torch.load(path, weights_only=True)  # raises if anything needs unpickling code
    assert state["format"] == 3 and set(state) == {"format", "gan", "rng"}
    assert state["gan"]["step"] == 5 and set(state["gan"]) >= {"G", "D", "opt_G", "opt_D", "fixed_z"}
    assert set(state["gan"]) == set(gan.state_dict())  # the GAN's own state, nothing else
    assert set(state["rng"]) >= {"torch", "python", "numpy"}
    assert not (tmp_path / "c.pt.tmp").exists()


def test_checkpoint_with_code_inside_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": 1, "G": Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        ganlab.load_checkpoint(object.__new__(ganlab.GAN), path)


def test_checkpoint_of_another_format_is_refused(make_toy_gan, tmp_path):
    path = tmp_path / "old.pt"
    torch.save({"format": 1, "G": {}}, path)
    with pytest.raises(ValueError, match="format 3"):
        ganlab.load_checkpoint(make_toy_gan(), path)


def test_checkpoint_load_missing(make_toy_gan, tmp_path):
    gan = make_toy_gan()
    assert ganlab.load_checkpoint(gan, tmp_path / "none.pt", missing_ok=True) is False
    with pytest.raises(FileNotFoundError, match="train first"):
        ganlab.load_checkpoint(gan, tmp_path / "none.pt")


def test_checkpoint_interrupted_run_saves_its_checkpoint(make_toy_gan, tmp_path):
    def interrupt(gan, row):
        if gan.step == 6:
            raise KeyboardInterrupt

    gan = make_toy_gan()
    train_to(gan, 50, checkpoint=tmp_path / "c.pt", callbacks=[interrupt])
    again = make_toy_gan(seed=5)
    ganlab.load_checkpoint(again, tmp_path / "c.pt")
    assert again.step == 6 and len(again.history) == 6 and again.history.interrupted
