"""The same step on 2 CPU processes (torchrun, gloo): processes stay in sync, 2 × batch B matches
1 × batch 2B, WGAN-GP's and R1's double backward work under DDP, and checkpoints resume across
process counts (exactly on the same count). One torchrun launch; tests/ddp_worker.py is the job."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganlab

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import ddp_worker as job  # noqa: E402


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """Train on 2 processes once; (the ranks' results, the checkpoint they wrote, the 1-process run)."""
    out = tmp_path_factory.mktemp("ddp")
    ganlab.seed_everything(5)
    single = job.mlp_gan()
    ganlab.train(single, job.DATA, batch_size=2 * job.B, steps=4, progress=False, checkpoint=out / "one.pt")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GANLAB_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("GANLAB_DEVICE", None)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    done = subprocess.run([*torchrun, str(ROOT / "tests" / "ddp_worker.py"), str(out), str(out / "one.pt")],
                          capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = torch.load(out / "results.pt", weights_only=False)
    assert results["world"] == 2 and results["device"] == "cpu"
    return results["ranks"], out / "two.pt", single


@pytest.mark.parametrize("step", ["bce", "r1", "wgan_gp"])
def test_ddp_processes_hold_equal_weights_after_training(two_processes, step):
    rank0, rank1 = two_processes[0]
    assert torch.equal(rank0[step], rank1[step])  # bit for bit: gradients averaged, same updates


def test_ddp_two_batches_of_b_match_one_batch_of_2b(two_processes):
    """Each process takes its half of every batch of 2B and the same z: after 5 steps the weights
    match one process with batch 2B up to float rounding (measured: 4e-9 on weights of size 0.5)."""
    rank0, _ = two_processes[0]
    ganlab.seed_everything(0)
    single = job.mlp_gan(noise=job.split_noise(1, 0))
    ganlab.train(single, job.DATA, batch_size=2 * job.B, steps=5, progress=False)
    torch.testing.assert_close(rank0["split"], job.weights(single), rtol=0, atol=1e-6)


def test_ddp_resume_on_the_same_process_count_is_exact(two_processes):
    rank0, rank1 = two_processes[0]
    for rank in (rank0, rank1):
        assert rank["loaded two"][0] == 4 and torch.equal(rank["loaded two"][1], rank["straight4"])
        assert rank["resumed two"][0] == 7 and torch.equal(rank["resumed two"][1], rank["straight7"])


def test_ddp_checkpoint_of_one_process_resumes_on_two_and_back(two_processes):
    (rank0, rank1), two, single = two_processes
    assert rank0["loaded one"][0] == 4 and torch.equal(rank0["loaded one"][1], job.weights(single))
    assert rank0["resumed one"][0] == 7 and torch.equal(rank0["resumed one"][1], rank1["resumed one"][1])
    back = job.mlp_gan()  # the 2-process checkpoint, on one process: the weights and counters resume
    assert ganlab.load_checkpoint(back, two) and back.step == 4
    assert torch.equal(job.weights(back), rank0["straight4"])
    ganlab.train(back, job.DATA, batch_size=2 * job.B, steps=7, progress=False)
    assert back.step == 7 and torch.isfinite(job.weights(back)).all()


def test_train_tool_trains_a_notebook_model_and_resumes(tmp_path, monkeypatch, capsys):
    """tools/train.py on one process (torchrun runs the same file on many): quick profile, a
    checkpoint and a sample grid, and the same command with a later target continues."""
    sys.path.insert(0, str(ROOT / "tools"))
    import train as tool

    monkeypatch.setattr(ganlab.device, "_RUN", None)
    monkeypatch.setenv("GANLAB_PROFILE", "quick")  # the tool sets it: undone after the test
    tool.main(["dcgan-mnist", "--profile", "quick", "--steps", "2", "--out", str(tmp_path)])
    tool.main(["dcgan-mnist", "--profile", "quick", "--steps", "3", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "resuming" in printed and "dcgan-mnist: step 3 on 1 process(es)" in printed
    assert (tmp_path / "dcgan-mnist-quick.pt").exists() and (tmp_path / "dcgan-mnist-quick.png").exists()
