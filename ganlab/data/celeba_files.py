"""CelebA (aligned and cropped faces) through a one-time HDF5 cache.

Sources, in order: the cache ``<root>/celeba_<size>.h5``; torchvision's folder layout
``<root>/celeba/img_align_celeba/*.jpg``; a zip (``img_align_celeba.zip`` or the Kaggle
mirror's ``celeba.zip`` / ``archive.zip``) in ``<root>`` or ``<root>/celeba``. Attributes
come from ``list_attr_celeba.txt`` (or the Kaggle ``.csv``) when present."""

import io
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..paths import count, folder
from .h5cache import H5Images, build_cache

ZIP_NAMES = ("img_align_celeba.zip", "celeba.zip", "archive.zip")
ATTR_NAMES = ("list_attr_celeba.txt", "list_attr_celeba.csv")
MAX_SIZE = 178  # img_align_celeba is 178x218: the centre square is 178 wide

HOW_TO_GET = """CelebA was not found in the data folder <data> (the `root` argument; by default
ganlab.data_root(): $GANLAB_DATA, or data/). ganlab looks for (in this order)
  <data>/celeba_{size}.h5                  the cache this function builds
  <data>/celeba/img_align_celeba/*.jpg    torchvision's layout (+ celeba/list_attr_celeba.txt)
  <data>/img_align_celeba.zip             a zip you downloaded (+ list_attr_celeba.txt beside it)
Ways to get it: (1) torchvision, e.g. on Colab: pip install gdown, then torchvision.datasets.CelebA(
ganlab.data_root(), split="all", download=True); Google Drive often refuses with a quota error: retry
later. (2) A mirror, e.g. Kaggle's "jessicali9530/celeba-dataset": put its zip in <data>/. (3) By hand
from https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (img_align_celeba.zip, list_attr_celeba.txt).
Offline, use the stand-in ganlab.data.synthetic_faces(n, size) (drawn faces with labelled
attributes), and say so wherever it is shown."""


def celeba(root=None, size=64):
    """CelebA as an HDF5-backed Dataset of ``(image (3, size, size), attributes (40,))``.
    Images are centre-cropped to a square, resized to `size` and scaled to [-1, 1];
    attributes are float 0/1 (``.attribute_names``), and items are ``(image,)`` when no
    attribute file exists. The first call builds the cache (progress bar; an interrupted
    build resumes); ``.tensors(n)`` loads n items into memory for ``ganlab.train``."""
    count(size, "celeba", "size", most=MAX_SIZE, hint=" (the width of CelebA's aligned faces), e.g. 64 "
          "for the DCGAN or 32 on a CPU (the conv nets take 28 or 4·2^k: 16, 32, 64)")
    root = folder(root)
    cache = root / f"celeba_{size}.h5"
    how = "HDF5 cache"
    if not cache.exists():
        source = find_source(root)
        if source is None:
            raise FileNotFoundError(HOW_TO_GET.format(size=size))
        convert(source, cache, size=size)
        how = f"HDF5 cache, just built from {_relative(source.path, root)}"
    data = H5Images(cache)
    if data.size != size:
        raise RuntimeError(f"{cache} holds {data.size}x{data.size} images, not {size}x{size}: "
                           "delete it and call ganlab.data.celeba() again")
    print(f"CelebA: {len(data):,} images {size}x{size} from {_relative(cache, root)} ({how})")
    return data


def _relative(path, root):
    """``<data>/...`` for paths under the data folder: printed outputs never hold a machine's paths."""
    try:
        return f"<data>/{Path(path).relative_to(root)}"
    except ValueError:
        return str(path)


def find_source(root):
    """The folder or zip holding CelebA's JPEGs under `root`, as a ``Source``, or None."""
    images = root / "celeba" / "img_align_celeba"
    if images.is_dir():
        return Source(images, attr_places=[root / "celeba", root])
    for place in (root, root / "celeba"):
        for name in ZIP_NAMES:
            if (place / name).is_file():
                return Source(place / name, attr_places=[place, root / "celeba", root])
    return None


class Source:
    """The JPEGs of a folder or of a zip (any folder depth), sorted by file name, and the
    attribute file: the first of ``attr_places`` that holds one, else one inside the zip."""

    def __init__(self, path, *, attr_places):
        self.path = Path(path)
        self._zip = None if self.path.is_dir() else _open_zip(self.path)
        members = ([p.name for p in self.path.iterdir()] if self._zip is None
                   else [m for m in self._zip.namelist() if "__MACOSX" not in m])
        self.members = sorted((m for m in members if m.lower().endswith(".jpg")), key=lambda m: Path(m).name)
        if not self.members:
            raise RuntimeError(f"{self.path} holds no .jpg files: put CelebA's images there (img_align_celeba), "
                               "or remove it so that another source is used")
        self.names = [Path(m).name for m in self.members]
        self.attr_member = next((m for m in members if Path(m).name in ATTR_NAMES), None)
        self.attr_file = next((Path(d) / n for d in attr_places for n in ATTR_NAMES if (Path(d) / n).is_file()),
                              None)

    def read(self, i):
        member = self.members[i]
        try:
            return (self.path / member).read_bytes() if self._zip is None else self._zip.read(member)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
            raise RuntimeError(f"{self.path} is damaged at {member} ({err}): download it again") from err

    def read_attributes(self):
        """(where, text) of the attribute file, or None."""
        if self.attr_file is not None:
            return self.attr_file, self.attr_file.read_text()
        if self.attr_member is not None and self._zip is not None:
            return f"{self.path}:{self.attr_member}", self._zip.read(self.attr_member).decode()
        return None


def _open_zip(path):
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise RuntimeError(f"{path} is not a readable zip ({err}); a truncated download? "
                           "Delete it and download it again") from err


def parse_attributes(where, text, names):
    """(attribute names, (N, K) uint8 0/1) for the image file `names`, from CelebA's
    ``list_attr_celeba.txt`` (count, names, then ``file v1 .. vK`` with v = ±1) or the
    Kaggle ``.csv`` (``image_id,name1,..`` then ``file,v1,..``)."""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        csv = lines[0].startswith("image_id")
        columns = lines[0].split(",")[1:] if csv else lines[1].split()
        rows = [line.split(",") if csv else line.split() for line in lines[1 if csv else 2:]]
        table = {row[0]: [int(v) > 0 for v in row[1:]] for row in rows}
        values = np.array([table[name] for name in names], dtype=np.uint8)
    except (IndexError, ValueError, KeyError) as err:
        raise RuntimeError(f"{where} is not a CelebA attribute file covering these images "
                           f"({type(err).__name__}: {err}): replace it, or remove it to "
                           "cache images without attributes") from err
    if values.shape[1] != len(columns):
        raise RuntimeError(f"{where}: rows have {values.shape[1]} values for {len(columns)} attribute "
                           "names: replace the file, or remove it to cache images without attributes")
    return columns, values


def convert(source, cache, *, size):
    """Build the HDF5 cache of `source` at `cache` (centre crop, resize to `size`)."""
    attrs = source.read_attributes()
    columns, values = parse_attributes(*attrs, source.names) if attrs else ((), None)

    def load(i):
        return load_face(source.read(i), size, where=f"{source.path}/{source.names[i]}")

    return build_cache(cache, load, len(source.names), size=size, source=f"{source.path} [{len(source.names)}]",
                       attributes=values, names=columns, desc=f"CelebA -> {cache.name}")


def load_face(data, size, *, where):
    """JPEG bytes -> (size, size, 3) uint8: centre square crop, then resize."""
    try:
        img = Image.open(io.BytesIO(data))
        img.draft("RGB", (size, size))  # JPEG: decode at 1/2, 1/4 .. scale when that suffices
        img = img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise RuntimeError(f"{where} is not a readable image ({err}): replace or delete it") from err
    w, h = img.size
    side = min(w, h)
    if side < size:
        raise RuntimeError(f"{where} is {w}x{h}, smaller than size={size}: is this "
                           "img_align_celeba (178x218)? Use a smaller size or the right images")
    left, top = (w - side) // 2, (h - side) // 2
    img = img.resize((size, size), Image.BILINEAR, box=(left, top, left + side, top + side),
                     reducing_gap=2.0)
    return np.asarray(img, dtype=np.uint8)


def write_fake_celeba(root, n, *, as_zip=False, seed=0):
    """A CelebA-shaped stand-in made of synthetic faces, for tests and rehearsals.
    Writes ``<root>/celeba/img_align_celeba/000001.jpg ..`` (178x218 JPEGs) and
    ``<root>/celeba/list_attr_celeba.txt`` with ``FACE_ATTRIBUTES`` as the columns; with
    ``as_zip=True`` the images go into ``<root>/img_align_celeba.zip`` instead."""
    from .faces import FACE_ATTRIBUTES, synthetic_faces

    root = folder(root)
    images, attrs = synthetic_faces(count(n, "write_fake_celeba", "n"), size=178, seed=seed).tensors
    pixels = ((images + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()  # (n, 178, 178, 3)
    names = [f"{i + 1:06d}.jpg" for i in range(n)]
    images_dir = root / "celeba" / "img_align_celeba"
    (root / "celeba").mkdir(parents=True, exist_ok=True)
    archive = zipfile.ZipFile(root / "img_align_celeba.zip", "w") if as_zip else None
    for name, face in zip(names, pixels):
        buf = io.BytesIO()
        tall = np.pad(face, ((20, 20), (0, 0), (0, 0)), mode="edge")  # 178 x 218, like CelebA
        Image.fromarray(tall).save(buf, format="JPEG", quality=90)
        if archive is not None:
            archive.writestr(f"img_align_celeba/{name}", buf.getvalue())
        else:
            images_dir.mkdir(exist_ok=True)
            (images_dir / name).write_bytes(buf.getvalue())
    if archive is not None:
        archive.close()
    rows = [" ".join([name, *("1" if a else "-1" for a in row)]) for name, row in zip(names, attrs.tolist())]
    text = "\n".join([str(n), " ".join(FACE_ATTRIBUTES), *rows]) + "\n"
    (root / "celeba" / "list_attr_celeba.txt").write_text(text)
