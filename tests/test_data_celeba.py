"""CelebA: a fake folder and zip (made of synthetic faces) become a worker-safe HDF5 cache;
damaged inputs fail clearly and never leave a cache that looks complete."""

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader

from ganlab.data import FACE_ATTRIBUTES, celeba, celeba_files, h5cache, synthetic_faces
from ganlab.data.celeba_files import write_fake_celeba

N = 24


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("celeba_folder")
    write_fake_celeba(root, N, seed=0)
    return root


@pytest.fixture
def zipped(tmp_path):
    write_fake_celeba(tmp_path, N, as_zip=True, seed=0)
    (tmp_path / "celeba" / "list_attr_celeba.txt").rename(tmp_path / "list_attr_celeba.txt")
    return tmp_path


def test_celeba_folder_converts_to_the_cropped_resized_faces(folder):
    data = celeba(folder, size=32)
    assert len(data) == N and data.attribute_names == FACE_ATTRIBUTES
    image, attrs = data[3]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert image.min() >= -1 and image.max() <= 1
    # oracle: the same faces drawn directly, area-resized 178 -> 32 (the crop removes the padding)
    faces, truth = synthetic_faces(N, size=178, seed=0).tensors
    expected = F.interpolate(faces, size=32, mode="area")
    got = torch.stack([data[i][0] for i in range(N)])
    assert (got - expected).abs().mean() < 0.05  # JPEG and resampling differences only
    assert torch.equal(data.attributes, truth) and torch.equal(attrs, truth[3])
    assert (folder / "celeba_32.h5").exists() and not (folder / "celeba_32.h5.partial").exists()
    with h5py.File(folder / "celeba_32.h5", "r") as f:  # the raw-chunk fast path = h5py's own read
        assert data._one_chunk and all(np.array_equal(data._read(i), f["images"][i]) for i in range(N))


def test_celeba_zip_loads_with_two_workers(zipped):
    data = celeba(zipped, size=32)
    loader = DataLoader(data, batch_size=5, num_workers=2)
    images, attrs = (torch.cat(parts) for parts in zip(*loader))
    assert images.shape == (N, 3, 32, 32) and images.min() >= -1 and images.max() <= 1
    assert torch.equal(images, torch.stack([data[i][0] for i in range(N)]))
    assert torch.equal(attrs, synthetic_faces(N, size=16, seed=0).tensors[1])
    x, y = data.tensors(10).tensors
    assert torch.equal(x, images[:10]) and torch.equal(y, attrs[:10])


def test_celeba_second_call_reuses_the_cache(folder, capsys):
    celeba(folder, size=16)
    cache = folder / "celeba_16.h5"
    stamp = cache.stat().st_mtime_ns
    celeba(folder, size=16)
    assert cache.stat().st_mtime_ns == stamp and "just built" not in capsys.readouterr().out.splitlines()[-1]


def test_celeba_interrupted_build_resumes(tmp_path, monkeypatch):
    write_fake_celeba(tmp_path, N, seed=0)
    monkeypatch.setattr(h5cache, "BLOCK", 8)
    real_load, calls, failed = celeba_files.load_face, [], []

    def failing(data, size, *, where):
        calls.append(where)
        if len(calls) == 20 and not failed:
            failed.append(where)
            raise InterruptedError("stopped mid-build")  # as if the kernel were stopped
        return real_load(data, size, where=where)

    monkeypatch.setattr(celeba_files, "load_face", failing)
    with pytest.raises(InterruptedError):
        celeba(tmp_path, size=16)
    partial = tmp_path / "celeba_16.h5.partial"
    assert partial.exists() and not (tmp_path / "celeba_16.h5").exists()
    with h5py.File(partial, "r") as f:
        assert f.attrs["done"] == 16 and not f.attrs["complete"]
    calls.clear()
    resumed = celeba(tmp_path, size=16)
    assert len(calls) == N - 16  # only the images the partial file did not hold
    other = tmp_path / "again"
    write_fake_celeba(other, N, seed=0)
    fresh = celeba(other, size=16)  # the same faces, built in one go
    assert torch.equal(resumed.tensors().tensors[0], fresh.tensors().tensors[0])


def test_celeba_absent_explains_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        celeba(tmp_path)
    message = str(info.value)
    needles = ("gdown", "quota", "img_align_celeba.zip", "mirror", "synthetic_faces", "<data>/celeba_64.h5")
    for needle in needles:
        assert needle in message
    assert str(tmp_path) not in message  # printed outputs never hold a machine's paths


def test_celeba_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "celeba" / "img_align_celeba").mkdir(parents=True)
    with pytest.raises(RuntimeError, match="no .jpg") as info:
        celeba(tmp_path)
    assert "img_align_celeba" in str(info.value)


def test_celeba_truncated_zip_is_a_clear_error(zipped):
    path = zipped / "img_align_celeba.zip"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(RuntimeError, match="download it again") as info:
        celeba(zipped, size=16)
    assert str(path) in str(info.value)
    assert not list(zipped.glob("*.h5"))


def test_celeba_corrupt_image_is_a_clear_error_and_leaves_no_cache(tmp_path):
    write_fake_celeba(tmp_path, N, seed=0)
    bad = tmp_path / "celeba" / "img_align_celeba" / "000005.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(RuntimeError, match="not a readable image") as info:
        celeba(tmp_path, size=16)
    assert str(bad) in str(info.value)
    assert not (tmp_path / "celeba_16.h5").exists()


def test_celeba_too_small_image_is_a_clear_error(tmp_path):
    folder = tmp_path / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(folder / "000001.jpg")
    with pytest.raises(RuntimeError, match="smaller than size=64") as info:
        celeba(tmp_path, size=64)
    assert "000001.jpg" in str(info.value)


@pytest.mark.parametrize("damage", ["garbage", "unfinished"])
def test_celeba_damaged_cache_is_a_clear_error(folder, tmp_path, damage):
    cache = tmp_path / "celeba_16.h5"
    if damage == "garbage":
        cache.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    else:
        with h5py.File(cache, "w") as f:
            f.create_dataset("images", shape=(4, 3, 16, 16), dtype=np.uint8)
            f.attrs["complete"] = False
    with pytest.raises(RuntimeError, match="delete it") as info:
        celeba(tmp_path, size=16)
    assert str(cache) in str(info.value)


def test_celeba_attribute_file_that_misses_images_is_a_clear_error(tmp_path):
    write_fake_celeba(tmp_path, N, seed=0)
    attr = tmp_path / "celeba" / "list_attr_celeba.txt"
    attr.write_text("\n".join(attr.read_text().splitlines()[:-3]) + "\n")  # last 3 rows lost
    with pytest.raises(RuntimeError, match="attribute file") as info:
        celeba(tmp_path, size=16)
    assert str(attr) in str(info.value)
