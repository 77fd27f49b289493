"""ganlab.judges: accurate, cached once, retrained when the recipe or the stand-in changes,
saved atomically. Every cache is written under tmp (``judge_root``), never the repository's data/."""

import pytest
import torch
from torch.utils.data import TensorDataset

import ganlab
from ganlab import judges, metrics

TINY_MNIST = {"mnist_judge": (256, 1), "mnist_judge_quick": (128, 1)}  # lifecycle tests only
TINY_FACES = {"face_judge": (256, 1), "face_judge_quick": (128, 1)}


def linked_root(tmp_path, judge_root):
    """A fresh data folder with the shared MNIST linked in."""
    (tmp_path / "MNIST").symlink_to((judge_root / "MNIST").resolve(), target_is_directory=True)
    return tmp_path


@pytest.fixture
def small_mnist(monkeypatch, mnist_test):
    """Lifecycle tests train tiny judges: 512 test digits stand in for both splits."""
    x, y = mnist_test
    monkeypatch.setattr(ganlab.data, "mnist", lambda root=None, train=True: TensorDataset(x[:512], y[:512]))
    monkeypatch.setattr(judges, "MNIST_RECIPES", TINY_MNIST)


@pytest.fixture(scope="module")
def faces():
    return ganlab.data.synthetic_faces(400, size=64, seed=123).tensors  # unseen by training


# --- the digit judge ------------------------------------------------------------------------------


def test_mnist_judge_is_accurate(mnist_judge, mnist_test):
    x, y = mnist_test
    assert metrics.accuracy(mnist_judge, x[:2000], y[:2000]) > 0.95
    assert mnist_judge.accuracy > 0.95  # the held-out accuracy it was saved with
    assert not mnist_judge.training and not any(p.requires_grad for p in mnist_judge.parameters())


def test_mnist_judge_features_and_probs_shapes(mnist_judge, mnist_test):
    x = mnist_test[0][:7]
    assert mnist_judge.features(x).shape == (7, 128)
    probs = mnist_judge.probs(x)
    assert probs.shape == (7, 10) and (probs >= 0).all()
    torch.testing.assert_close(probs.sum(1), torch.ones(7))
    assert mnist_judge.probs(x.flatten(1)).shape == (7, 10)  # flat (B, 784) digits too


def test_mnist_judge_cache_reloads_the_same_model(mnist_judge, judge_root, mnist_test, capsys):
    path = judge_root / "mnist_judge_quick.pt"
    assert path.exists() and not list(judge_root.glob("*.tmp"))  # saved atomically: no .tmp left
    assert not (judge_root / "mnist_judge.pt").exists()  # quick mode never writes the full judge
    torch.load(path, weights_only=True)  # safe to load
    stamp = path.stat().st_mtime_ns
    again = judges.mnist_judge(quick=True, root=judge_root)
    assert "(cached)" in capsys.readouterr().out and path.stat().st_mtime_ns == stamp
    x = mnist_test[0][:50]
    torch.testing.assert_close(again.probs(x), mnist_judge.probs(x))
    assert again.accuracy == mnist_judge.accuracy


def test_mnist_judge_retrains_when_the_recipe_changes(mnist_judge, judge_root, tmp_path, small_mnist, capsys):
    root = linked_root(tmp_path, judge_root)
    (root / "mnist_judge_quick.pt").write_bytes((judge_root / "mnist_judge_quick.pt").read_bytes())
    # small_mnist set a new recipe: the saved fingerprint no longer matches
    fresh = judges.mnist_judge(quick=True, root=root)
    assert "trained just now" in capsys.readouterr().out
    assert torch.load(root / "mnist_judge_quick.pt", weights_only=True)["fingerprint"] == [128, 1]
    judges.mnist_judge(quick=True, root=root)  # and now that one is the cache
    assert "(cached)" in capsys.readouterr().out
    assert 0 < fresh.accuracy < 1 and not list(root.glob("*.tmp"))


def test_mnist_judge_quick_and_full_share_the_feature_space(judge_root, tmp_path, small_mnist, mnist_test):
    root = linked_root(tmp_path, judge_root)
    quick = judges.mnist_judge(quick=True, root=root, verbose=False)
    full = judges.mnist_judge(quick=False, root=root, verbose=False)
    assert (root / "mnist_judge_quick.pt").exists() and (root / "mnist_judge.pt").exists()
    x = mnist_test[0][:5]
    assert quick.features(x).shape == full.features(x).shape  # the same architecture
    assert [p.shape for p in quick.parameters()] == [p.shape for p in full.parameters()]
    # once a full judge is cached, quick mode measures with it too
    used = judges.mnist_judge(quick=True, root=root, verbose=False)
    torch.testing.assert_close(used.features(x), full.features(x))


# --- the face judge -------------------------------------------------------------------------------


def test_face_judge_reads_every_attribute(face_judge, faces):
    accuracy = metrics.attribute_accuracy(*faces, face_judge)
    assert list(accuracy) == list(ganlab.data.FACE_ATTRIBUTES)
    assert min(accuracy.values()) > 0.9, accuracy
    assert set(face_judge.accuracy) == set(ganlab.data.FACE_ATTRIBUTES)  # held-out accuracy is recorded
    assert min(face_judge.accuracy.values()) > 0.9, face_judge.accuracy
    assert face_judge.attributes == list(ganlab.data.FACE_ATTRIBUTES)


def test_face_judge_features_and_probs_shapes(face_judge, faces):
    x = faces[0][:6]
    assert face_judge.features(x).shape == (6, 64 * 4 * 4)
    probs = face_judge.probs(x)
    assert probs.shape == (6, len(ganlab.data.FACE_ATTRIBUTES)) and ((probs > 0) & (probs < 1)).all()


def test_face_judge_cache_reloads_the_same_model(face_judge, judge_root, faces, capsys):
    path = judge_root / "face_judge_quick.pt"
    assert path.exists() and not list(judge_root.glob("*.tmp"))
    torch.load(path, weights_only=True)  # safe to load
    again = judges.face_judge(quick=True, root=judge_root)
    assert "(cached)" in capsys.readouterr().out
    x = faces[0][:50]
    torch.testing.assert_close(metrics.predict(x, again), metrics.predict(x, face_judge))
    assert again.accuracy == face_judge.accuracy


def test_face_judge_retrains_when_the_stand_in_changes(judge_root, tmp_path, monkeypatch, capsys):
    (tmp_path / "face_judge_quick.pt").write_bytes((judge_root / "face_judge_quick.pt").read_bytes())
    monkeypatch.setattr(judges, "FACE_TEST", 200)  # retraining only has to happen, not be good
    monkeypatch.setattr(judges, "FACE_RECIPES", {"face_judge": (256, 1), "face_judge_quick": (1500, 3)})
    original = judges._faces
    monkeypatch.setattr(judges, "_faces", lambda n, seed: (original(n, seed)[0] * 0.99, original(n, seed)[1]))
    judges.face_judge(quick=True, root=tmp_path)  # the same recipe, a different drawing
    assert "trained just now" in capsys.readouterr().out
    judges.face_judge(quick=True, root=tmp_path)
    assert "(cached)" in capsys.readouterr().out and not list(tmp_path.glob("*.tmp"))


def test_face_judge_quick_and_full_share_the_feature_space(tmp_path, monkeypatch, faces):
    monkeypatch.setattr(judges, "FACE_TEST", 200)
    monkeypatch.setattr(judges, "FACE_RECIPES", TINY_FACES)
    quick = judges.face_judge(quick=True, root=tmp_path, verbose=False)
    full = judges.face_judge(quick=False, root=tmp_path, verbose=False)
    assert {p.name for p in tmp_path.iterdir()} == {"face_judge_quick.pt", "face_judge.pt"}  # no .tmp
    x = faces[0][:5]
    assert quick.features(x).shape == full.features(x).shape
    used = judges.face_judge(quick=True, root=tmp_path, verbose=False)
    torch.testing.assert_close(used.features(x), full.features(x))


def test_judge_save_is_atomic_a_crash_leaves_no_judge(tmp_path, monkeypatch):
    """If saving fails half-way, no file with the judge's name exists (only the .tmp, never renamed)."""
    monkeypatch.setattr(judges, "FACE_TEST", 50)
    monkeypatch.setattr(judges, "FACE_RECIPES", TINY_FACES)

    def crash(state, path):
        open(path, "wb").write(b"half a file")
        raise OSError("disk full (test)")

    monkeypatch.setattr(judges.torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        judges.face_judge(quick=True, root=tmp_path, verbose=False)
    assert not (tmp_path / "face_judge_quick.pt").exists()


def test_judge_training_is_the_same_whatever_ran_before_and_leaves_the_rng_as_a_cache_hit_would(
        tmp_path, monkeypatch):
    """A notebook run that trains its judge and one that finds it cached continue with the same
    random numbers, and the judge does not depend on what the notebook drew before."""
    monkeypatch.setattr(judges, "FACE_TEST", 50)
    monkeypatch.setattr(judges, "FACE_RECIPES", TINY_FACES)
    weights, after = [], []
    for seed in (1, 2, 2):  # the last call finds the judge the second one trained
        torch.manual_seed(seed)  # whatever the notebook did before
        judge = judges.face_judge(quick=True, root=tmp_path / str(seed), verbose=False)
        weights.append(judge.state_dict())
        after.append(torch.get_rng_state())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert torch.equal(after[1], after[2])  # trained just now vs cached: the same RNG afterwards


def test_cached_judge_trains_on_one_thread_and_restores_the_callers_count(tmp_path):
    # Sums split over threads round differently, so a judge trained on 2 threads differs from one
    # trained on 1, and every classifier-FID with it; one thread makes the judge the same everywhere.
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen = []
        state, how = ganlab.judges._cached(tmp_path / "judge.pt", [1.0],
                                           lambda: seen.append(torch.get_num_threads()) or {"weights": {}})
        assert seen == [1] and torch.get_num_threads() == 2 and how.startswith("trained")
        assert ganlab.judges._cached(tmp_path / "judge.pt", [1.0], None)[1] == "cached"
    finally:
        torch.set_num_threads(before)
