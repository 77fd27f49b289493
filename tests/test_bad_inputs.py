"""What a new user gets wrong, and the error each mistake now gives (issue 15).

Every test asserts the error's type, that its message names the argument or file and
says what to do, and, for the data loaders, that no half-built cache is left looking
finished.
"""

import math
import pickle

import h5py
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

import ganlab
from ganlab import guard, steps
from ganlab.data import celeba, gaussian_mixture, pattern1010, synthetic_faces
from ganlab.data.celeba_files import write_fake_celeba
from ganlab.data.mnist_files import FILES, mnist, write_idx
from ganlab.nets import mlp, mlp_discriminator, mlp_generator


def toy_gan(*, seed=0, lr=0.05, opt=torch.optim.Adam, act=nn.Sigmoid, width=3, **kwargs):
    """The 1010-pattern GAN of notebook 01 (tests/conftest.py's toy_gan, on ganlab.nets)."""
    ganlab.seed_everything(seed)
    G = mlp(1, width, 4, act=act, out=nn.Sigmoid)
    D = nn.Sequential(mlp(4, width, 1, act=act), nn.Flatten(0))
    return ganlab.GAN(G, D, opt(G.parameters(), lr=lr), opt(D.parameters(), lr=lr), latent_dim=1,
                      noise=torch.rand, **kwargs)


def exploding_gan():
    """SGD at lr 1e12 with LeakyReLU: NaN at step 2. (With the toy's sigmoids the
    activations saturate instead, and the losses stay huge but finite.)"""
    return toy_gan(lr=1e12, opt=torch.optim.SGD, act=nn.LeakyReLU)


def state(gan):
    """Copies of G's and D's parameters and both optimisers' state tensors."""
    tensors = [p.detach().clone() for p in [*gan.G.parameters(), *gan.D.parameters()]]
    for opt in (gan.opt_G, gan.opt_D):
        tensors += [v.clone() for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
    return tensors


def same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def no_hooks(gan):
    return not gan.G._forward_hooks


# --- (1) the non-finite guard ------------------------------------------------------


def test_train_non_finite_loss_stops_names_the_step_and_restores():
    gan = exploding_gan()
    before = state(gan)
    with pytest.raises(ganlab.NonFiniteLoss, match=r"step 2 \(bce\): loss_G became nan") as info:
        ganlab.train(gan, pattern1010, batch_size=16, steps=50, progress=False)
    message = str(info.value)
    assert isinstance(info.value, FloatingPointError)
    assert "learning rate too high" in message and "lr=1e+12" in message and "scale them" in message
    assert "restored to step 0" in message
    assert (info.value.step, info.value.restored_step) == (2, 0) and math.isnan(info.value.row["loss_G"])
    assert all(torch.isfinite(t).all() for t in state(gan))
    assert same(state(gan), before)
    assert gan.step == 0 and gan.batches_seen == 0 and len(gan.history) == 0
    assert no_hooks(gan)


def test_train_non_finite_restores_the_last_snapshot_and_counters(monkeypatch):
    monkeypatch.setattr(guard, "GOOD_EVERY", 5)
    gan, kept = toy_gan(opt=torch.optim.SGD, act=nn.LeakyReLU), {}

    def sabotage(gan, row):
        if gan.step == 10:
            kept["state"], kept["rows"] = state(gan), list(gan.history.rows)
        if gan.step == 12:  # the learner raises the learning rate mid-run
            for opt in (gan.opt_G, gan.opt_D):
                opt.param_groups[0]["lr"] = 1e12

    with pytest.raises(ganlab.NonFiniteLoss, match=r"restored to step 10") as info:
        ganlab.train(gan, pattern1010, batch_size=16, steps=100, callbacks=[sabotage], progress=False)
    assert info.value.step > 12 and "SGD lr=1e+12" in str(info.value)
    assert same(state(gan), kept["state"])
    assert gan.history.rows == kept["rows"]
    assert gan.step == 10 and gan.batches_seen == 10
    assert gan.opt_G.param_groups[0]["lr"] == 0.05  # the optimiser as it was at step 10
    ganlab.train(gan, pattern1010, batch_size=16, steps=15, progress=False)  # and it trains on
    assert gan.step == 15 and list(gan.history.frame["step"]) == list(range(1, 16))


def test_train_non_finite_optimiser_state_behind_finite_losses_is_caught(monkeypatch):
    monkeypatch.setattr(guard, "GOOD_EVERY", 5)
    gan = toy_gan()

    def poison(gan, row):  # inf in Adam's second moment: the update is 0, the losses stay finite
        if gan.step == 7:
            next(iter(gan.opt_D.state.values()))["exp_avg_sq"].fill_(math.inf)

    with pytest.raises(ganlab.NonFiniteLoss, match=r"step 10 \(bce\): the weights \(or optimiser state\)"):
        ganlab.train(gan, pattern1010, batch_size=16, steps=20, callbacks=[poison], progress=False)
    assert gan.step == 5 and all(torch.isfinite(t).all() for t in state(gan))


def test_train_non_finite_leaves_a_finite_checkpoint(tmp_path):
    path = tmp_path / "run.pt"
    gan = exploding_gan()
    with pytest.raises(ganlab.NonFiniteLoss, match="also saved to"):
        ganlab.train(gan, pattern1010, batch_size=16, steps=50, checkpoint=path, checkpoint_every=1,
                     progress=False)
    fresh = exploding_gan()
    fresh.G.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert ganlab.load_checkpoint(fresh, path)
    assert same(state(fresh)[:8], state(gan)[:8]) and fresh.step == 0


def test_train_refuses_models_that_are_already_nan():
    gan = toy_gan()
    with torch.no_grad():
        next(gan.G.parameters()).fill_(math.nan)
    with pytest.raises(FloatingPointError, match="already holds inf or NaN before training"):
        ganlab.train(gan, pattern1010, batch_size=16, steps=5, progress=False)


def test_train_first_batch_check_draws_no_extra_random_numbers():
    by_train, by_hand = toy_gan(seed=4), toy_gan(seed=4)
    ganlab.seed_everything(5)
    ganlab.train(by_train, pattern1010, batch_size=16, steps=5, progress=False)
    ganlab.seed_everything(5)
    for _ in range(5):  # the loop of notebook 01, which train must match weight for weight
        steps.bce(by_hand, iter([(pattern1010(16), None)]))
    assert same(state(by_train), state(by_hand)) and no_hooks(by_train)


# --- (2) train's inputs ------------------------------------------------------------


class Samples(Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


@pytest.mark.parametrize("wrap", [lambda x: x, TensorDataset, Samples], ids=["tensor", "tensors", "dataset"])
def test_train_too_few_samples_for_batch_size_names_both(wrap):
    with pytest.raises(ValueError, match=r"batch_size=64, but the data hold only 10 samples.*batch_size=10"):
        ganlab.train(toy_gan(), wrap(pattern1010(10)), batch_size=64, steps=5, progress=False)


def test_train_empty_data_loader_is_an_error_not_a_hang():
    loader = DataLoader(TensorDataset(pattern1010(10)), batch_size=64, drop_last=True)
    with pytest.raises(ValueError, match=r"DataLoader yields no batches \(10 samples, its batch_size=64"):
        ganlab.train(toy_gan(), loader, steps=5, progress=False)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5])
def test_train_batch_size_must_be_a_positive_whole_number(batch_size):
    with pytest.raises(ValueError, match=rf"batch_size={batch_size}"):
        ganlab.train(toy_gan(), pattern1010, batch_size=batch_size, steps=5, progress=False)


def test_train_data_shape_unlike_g_output_names_both_shapes():
    gan = toy_gan()
    before = state(gan)
    with pytest.raises(ValueError, match=r"G makes samples of shape \(4,\), but the data's samples have "
                                         r"shape \(5,\)"):
        ganlab.train(gan, torch.rand(100, 5), batch_size=64, steps=5, progress=False)
    assert same(state(gan), before) and gan.step == 0 and no_hooks(gan)


def test_train_image_shape_unlike_g_output_names_both_shapes():
    G, D = mlp_generator(4, (8,), (1, 8, 8)), mlp_discriminator((1, 8, 8), (8,))
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=4)
    with pytest.raises(ValueError, match=r"\(1, 8, 8\).*\(1, 7, 7\)"):
        ganlab.train(gan, torch.rand(32, 1, 7, 7), batch_size=16, steps=2, progress=False)


def conditional_gan(num_labels=3):
    G = mlp_generator(2, (8,), (2,), out=None, num_labels=num_labels)
    D = mlp_discriminator((2,), (8,), num_labels=num_labels)
    labels = torch.arange(8) % num_labels
    return ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=2, fixed_z=torch.zeros(8, 2),
                      fixed_labels=labels)


def test_train_conditional_shape_mismatch_names_both_shapes():
    data = TensorDataset(torch.rand(64, 3), torch.randint(3, (64,)))
    with pytest.raises(ValueError, match=r"shape \(2,\), but the data's samples have shape \(3,\)"):
        ganlab.train(conditional_gan(), data, batch_size=16, steps=2, step=steps.conditional, progress=False)


def test_train_conditional_without_labels_says_so():
    with pytest.raises(ValueError, match=r"conditional .* no labels: pass TensorDataset\(x, y\)"):
        ganlab.train(conditional_gan(), torch.rand(64, 2), batch_size=16, steps=2, step=steps.conditional,
                     progress=False)


def test_train_conditional_with_matching_data_trains():
    data = TensorDataset(torch.rand(64, 2), torch.randint(3, (64,)))
    gan = conditional_gan()
    ganlab.train(gan, data, batch_size=16, steps=3, step=steps.conditional, progress=False)
    assert gan.step == 3 and no_hooks(gan)


def test_train_integer_data_says_to_scale_it():
    with pytest.raises(TypeError, match=r"torch.uint8.*x.float\(\) / 127.5 - 1"):
        ganlab.train(toy_gan(), (torch.rand(64, 4) * 255).byte(), batch_size=16, steps=2, progress=False)


# --- (2) checkpoints ---------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "ck.pt"
    ganlab.save_checkpoint(toy_gan(), path)
    return path


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2],  # half-written
    lambda b: b[:-200],  # truncated near the end: torch says "OSError: [Errno 22] Invalid argument"
    lambda b: b"",  # empty
    lambda b: bytes(range(256)) * 20,  # garbage
], ids=["half", "truncated", "empty", "garbage"])
def test_load_checkpoint_damaged_file_names_it(saved, damage):
    bad = saved.with_name("bad.pt")
    bad.write_bytes(damage(saved.read_bytes()))
    gan = toy_gan(seed=1)
    before = state(gan)
    damaged = r"cannot read the checkpoint .*bad\.pt: the file is damaged"
    with pytest.raises((RuntimeError, pickle.UnpicklingError), match=damaged) as info:
        ganlab.load_checkpoint(gan, bad)
    assert "Delete it" in str(info.value) and "older checkpoint" in str(info.value)
    assert same(state(gan), before)


def test_load_checkpoint_into_a_model_of_another_size_names_parameter_and_shapes(saved):
    gan = toy_gan(width=8)
    before = state(gan)
    with pytest.raises(ValueError, match=r"ck\.pt was saved from a G of another size: G's 0\.weight has "
                                         r"shape \(3, 1\) in the checkpoint but \(8, 1\) in this G"):
        ganlab.load_checkpoint(gan, saved)
    assert same(state(gan), before)


def test_load_checkpoint_into_another_architecture_names_the_parameters(saved):
    gan = toy_gan()
    gan.D = nn.Sequential(mlp(4, 3, 3, 1), nn.Flatten(0))  # one more layer
    with pytest.raises(ValueError, match=r"saved from a D of another architecture: this D has 0\.4\.bias"):
        ganlab.load_checkpoint(gan, saved)


def test_load_checkpoint_of_something_else_says_so(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.ones(3)}, path)
    with pytest.raises(ValueError, match=r"weights\.pt is not a ganlab checkpoint"):
        ganlab.load_checkpoint(toy_gan(), path)


# --- (2) data arguments and the device -----------------------------------------------


@pytest.mark.parametrize("size", [0, -5, 179, 2.5, "64"])
def test_celeba_bad_size_names_it(tmp_path, size):
    with pytest.raises(ValueError, match=rf"celeba\(size={size!r}\).*from 1 to 178"):
        celeba(tmp_path, size=size)
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("size", [7, 0, -1, 16.0])
def test_synthetic_faces_bad_size_names_it(size):
    with pytest.raises(ValueError, match=rf"synthetic_faces\(size={size!r}\).*at least 16"):
        synthetic_faces(4, size=size)


@pytest.mark.parametrize("n", [0, -1, 2.5])
def test_synthetic_faces_bad_n_names_it(n):
    with pytest.raises(ValueError, match=rf"synthetic_faces\(n={n!r}\)"):
        synthetic_faces(n, size=16)


def test_synthetic_faces_smallest_size_and_numpy_ints_work():
    images, _ = synthetic_faces(np.int64(2), size=np.int64(16)).tensors
    assert images.shape == (2, 3, 16, 16)


@pytest.mark.parametrize("n", [-1, 0, 2.5, "100"])
def test_gaussian_mixture_bad_n_names_it(n):
    with pytest.raises(ValueError, match=rf"gaussian_mixture\('ring8', n={n!r}\)"):
        gaussian_mixture("ring8", n)


def test_pick_device_bad_name_names_the_variable(monkeypatch):
    monkeypatch.setenv("GANLAB_DEVICE", "gpu0")
    with pytest.raises(RuntimeError, match=r"GANLAB_DEVICE='gpu0' is not a device name.*unset GANLAB_DEVICE"):
        ganlab.pick_device(verbose=False)


# --- (3) damaged data files ----------------------------------------------------------


def no_finished_cache(root, size=16):
    """The final cache name exists only for a finished cache; a partial one says so."""
    partial = root / f"celeba_{size}.h5.partial"
    if partial.exists():
        with h5py.File(partial, "r") as f:
            assert not f.attrs["complete"]
    return not (root / f"celeba_{size}.h5").exists()


def test_celeba_truncated_zip_names_it(tmp_path):
    write_fake_celeba(tmp_path, 3, as_zip=True)
    archive = tmp_path / "img_align_celeba.zip"
    archive.write_bytes(archive.read_bytes()[:-300])
    with pytest.raises(RuntimeError, match=r"img_align_celeba\.zip is not a readable zip.*download it again"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


def test_celeba_broken_jpeg_names_it(tmp_path):
    write_fake_celeba(tmp_path, 3)
    (tmp_path / "celeba" / "img_align_celeba" / "000002.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(RuntimeError, match=r"000002\.jpg is not a readable image.*replace or delete it"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


def test_celeba_empty_folder_names_it(tmp_path):
    (tmp_path / "celeba" / "img_align_celeba").mkdir(parents=True)
    with pytest.raises(RuntimeError, match=r"img_align_celeba holds no \.jpg files"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


def test_celeba_garbage_attribute_file_names_it(tmp_path):
    write_fake_celeba(tmp_path, 3)
    (tmp_path / "celeba" / "list_attr_celeba.txt").write_text("garbage\n\x00\x01 nothing here\n")
    with pytest.raises(RuntimeError, match=r"list_attr_celeba\.txt is not a CelebA attribute file.*remove"):
        celeba(tmp_path, size=16)
    assert no_finished_cache(tmp_path)


@pytest.fixture
def cache(tmp_path):
    write_fake_celeba(tmp_path, 3)
    celeba(tmp_path, size=16)
    return tmp_path / "celeba_16.h5"


def test_celeba_corrupt_cache_names_it(cache):
    cache.write_bytes(b"\x89HDF\r\n garbage" * 100)
    with pytest.raises(RuntimeError, match=r"celeba_16\.h5 is not a readable HDF5 cache.*delete it"):
        celeba(cache.parent, size=16)


def test_celeba_truncated_cache_names_it(cache):
    cache.write_bytes(cache.read_bytes()[:3000])
    with pytest.raises(RuntimeError, match=r"celeba_16\.h5 is (not a readable HDF5 cache|damaged).*delete"):
        data = celeba(cache.parent, size=16)
        [data[i] for i in range(len(data))]


def test_celeba_unfinished_cache_under_the_final_name_says_so(cache):
    with h5py.File(cache, "a") as f:
        f.attrs["complete"] = False
    with pytest.raises(RuntimeError, match=r"celeba_16\.h5 is an unfinished cache: delete it"):
        celeba(cache.parent, size=16)


def fake_mnist(root):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = FILES[True]
    write_idx(raw / images, np.zeros((5, 28, 28), np.uint8))
    write_idx(raw / labels, np.arange(5, dtype=np.uint8))
    return raw / images


def test_mnist_truncated_idx_names_it(tmp_path):
    path = fake_mnist(tmp_path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte holds 3,820 bytes of data, its header "
                                           r"promises 3,920 \(truncated\?\): delete it"):
        mnist(tmp_path)


def test_mnist_idx_with_a_bad_header_names_it(tmp_path):
    path = fake_mnist(tmp_path)
    path.write_bytes(b"<html>404</html>")
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte is not an MNIST IDX file"):
        mnist(tmp_path)
    assert not list(path.parent.glob("*.tmp"))  # write_idx leaves no temporary file
