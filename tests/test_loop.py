"""ganlab.loop: budgets as targets, every data kind, epochs, snapshots, Ctrl-C."""

import functools
import os
import signal

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import ganlab
from ganlab.data import pattern1010
from ganlab.loop import batches


def test_train_seeded_runs_give_identical_losses(make_toy_gan):
    frames = []
    for _ in range(2):
        gan = make_toy_gan(seed=3)
        frames.append(ganlab.train(gan, pattern1010, batch_size=16, steps=30, progress=False).frame)
    cols = ["loss_D", "loss_G", "D_real", "D_fake"]
    assert frames[0][cols].equals(frames[1][cols])


def test_train_steps_is_a_target_so_rerunning_continues(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, steps=10, progress=False)
    ganlab.train(gan, pattern1010, steps=25, progress=False)
    assert gan.step == 25 and len(gan.history) == 25
    assert list(gan.history.frame["step"]) == list(range(1, 26))


def test_train_epochs_budget_counts_passes_over_a_dataset(make_toy_gan):
    gan = make_toy_gan()
    two_batches = functools.partial(ganlab.steps.wgan_gp, n_critic=2)  # two real batches a step
    ganlab.train(gan, pattern1010(100), batch_size=10, epochs=3, step=two_batches, progress=False)
    assert gan.batches_seen == 30 and gan.step == 15


def test_train_epochs_needs_a_dataset(make_toy_gan):
    with pytest.raises(ValueError, match="steps="):
        ganlab.train(make_toy_gan(), pattern1010, epochs=1, progress=False)


def test_train_minutes_budget_stops_on_time(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, minutes=0.5 / 60, progress=False)
    assert 0 < gan.step and gan.history.seconds < 5


def test_train_without_budget_says_how_to_fix(make_toy_gan):
    with pytest.raises(ValueError, match="steps=, epochs= or minutes="):
        ganlab.train(make_toy_gan(), pattern1010)


@pytest.mark.parametrize("wrap", [
    lambda x: x,
    lambda x: TensorDataset(x, torch.zeros(len(x))),
    lambda x: DataLoader(TensorDataset(x), batch_size=8, shuffle=True, drop_last=True),
    lambda x: (lambda n: pattern1010(n)),
], ids=["tensor", "tensor_dataset", "data_loader", "function"])
def test_train_accepts_every_data_kind(make_toy_gan, wrap):
    gan = make_toy_gan()
    ganlab.train(gan, wrap(pattern1010(64)), batch_size=8, steps=5, progress=False)
    assert gan.step == 5


def test_train_rejects_other_data_with_its_type(make_toy_gan):
    with pytest.raises(TypeError, match="list"):
        ganlab.train(make_toy_gan(), [1, 2, 3], steps=1, progress=False)


def test_batches_in_memory_epoch_visits_every_sample_once(make_toy_gan):
    gan = make_toy_gan()
    x = torch.arange(40.0).repeat(4, 1).T  # (40, 4): row i is all i
    stream, per_epoch = batches(gan, x, 8)
    seen = []
    for _ in range(per_epoch):
        seen.append(next(stream)[0][:, 0])
    seen = torch.cat(seen)
    assert sorted(seen.tolist()) == list(range(40)) and gan.batches_seen == per_epoch  # each draw counted


def test_batches_in_memory_shuffle_depends_only_on_data_seed_and_position(make_toy_gan):
    x = torch.arange(40.0).repeat(4, 1).T
    gan = make_toy_gan(data_seed=5)
    gan.batches_seen = 7  # as after a resume: epoch 1, batch 2
    stream, _ = batches(gan, x, 8)
    again = make_toy_gan(seed=9, data_seed=5)
    again.batches_seen = 7
    assert torch.equal(next(stream)[0], next(batches(again, x, 8)[0])[0])


def test_batches_split_labels_from_a_tensor_dataset(make_toy_gan):
    gan = make_toy_gan()
    x, y = pattern1010(32), torch.arange(32)
    real, labels = next(batches(gan, TensorDataset(x, y), 8)[0])
    assert real.shape == (8, 4) and labels.shape == (8,)
    assert all(torch.equal(x[i], r) for i, r in zip(labels, real))  # each label stays with its sample


def test_train_ctrl_c_stops_after_the_step_and_keeps_history(make_toy_gan, capsys):
    def press_ctrl_c(gan, row):
        if gan.step == 7:
            os.kill(os.getpid(), signal.SIGINT)

    gan = make_toy_gan()
    history = ganlab.train(gan, pattern1010, steps=100, callbacks=[press_ctrl_c], progress=False)
    assert history.interrupted and gan.step == 7 and len(history) == 7
    assert "Stopped at step 7" in capsys.readouterr().out
    ganlab.train(gan, pattern1010, steps=10, progress=False)  # and it can go on
    assert gan.step == 10


def test_train_keyboard_interrupt_raised_inside_a_step_keeps_history(make_toy_gan):
    def interrupt(gan, row):
        if gan.step == 4:
            raise KeyboardInterrupt

    gan = make_toy_gan()
    history = ganlab.train(gan, pattern1010, steps=50, callbacks=[interrupt], progress=False)
    assert history.interrupted and len(history) == 4


def test_train_snapshots_use_fixed_noise(make_toy_gan):
    gan = make_toy_gan(n_fixed=5)
    ganlab.train(gan, pattern1010, steps=20, snapshot_every=10, progress=False)
    assert [s for s, _ in gan.history.snapshots] == [10, 20]
    torch.testing.assert_close(gan.history.snapshots[-1][1].float(),
                               gan.generate(z=gan.fixed_z), atol=1e-3, rtol=0)


def test_train_with_target_reached_draws_nothing_and_returns(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, steps=5, progress=False)
    rng, seen = torch.get_rng_state(), gan.batches_seen
    ganlab.train(gan, pattern1010, steps=5, progress=False)
    assert torch.equal(rng, torch.get_rng_state()) and gan.batches_seen == seen and gan.step == 5
