"""Synthetic faces: a procedurally drawn, labelled STAND-IN for CelebA (runs offline).

Each image is painted in layers with soft (anti-aliased) masks, all images at once:
background → hair → shirt and neck → face → fringe → eyes, brows → mouth → glasses.
Six binary attributes, each an independent fair coin, change something visible even
at 32×32; everything else (position, size, colours, hair length) is nuisance variation.
These are cartoons, not photographs: say so wherever they are shown."""

import torch
from torch.utils.data import TensorDataset

from ..device import one_thread
from ..paths import count

FACE_ATTRIBUTES = ("smiling", "eyeglasses", "dark_hair", "dark_skin", "warm_background",
                   "wide_face")

# Palettes (RGB in [0, 1]); a coin picks the row set, a uniform draw picks one row.
SKIN = {0: [[0.98, 0.84, 0.72], [0.93, 0.76, 0.62], [0.96, 0.80, 0.66]],
        1: [[0.55, 0.36, 0.24], [0.42, 0.27, 0.17], [0.62, 0.42, 0.28]]}
HAIR = {0: [[0.93, 0.80, 0.42], [0.85, 0.55, 0.25], [0.95, 0.90, 0.70]],
        1: [[0.10, 0.07, 0.05], [0.25, 0.15, 0.08], [0.16, 0.16, 0.18]]}
BACKGROUND = {0: [[0.35, 0.55, 0.85], [0.40, 0.75, 0.70], [0.55, 0.60, 0.90]],
              1: [[0.95, 0.55, 0.25], [0.90, 0.35, 0.30], [0.98, 0.80, 0.30]]}
MIN_SIZE = 16  # smallest side at which smile, glasses and the rest stay visible (looked at 4-32)
CHUNK = 64  # images rendered at once: small temporaries stay in cache (measured fastest)


def synthetic_faces(n, size=64, seed=0):
    """``TensorDataset(images (n, 3, size, size) float32, attributes (n, K) float32 0/1)``.
    Column k of the attributes is ``FACE_ATTRIBUTES[k]``. Pixels are in [-1, 1]. The same
    `seed` gives the same faces, whatever `n`'s chunking. About 2,000+ images/s at 64×64 on a 2-core CPU."""
    n = count(n, "synthetic_faces", "n", hint=" (the number of faces)")
    size = count(size, "synthetic_faces", "size", least=MIN_SIZE, hint=": below that the eyes, mouth and glasses "
          "shrink under a pixel and stop being visible; 32 or 64 suit the conv nets (28 or 4·2^k)")
    gen = torch.Generator().manual_seed(seed)
    attrs = torch.randint(2, (n, len(FACE_ATTRIBUTES)), generator=gen, device="cpu").float()
    params = _draw_params(attrs, gen)
    images = torch.empty(n, 3, size, size, device="cpu")
    # One thread: these small element-wise ops lose more to thread synchronisation than a
    # second thread gains (measured: ~10x slower with 2 threads on a busy 2-core machine).
    with one_thread():
        for start in range(0, n, CHUNK):
            part = {k: v[start:start + CHUNK] for k, v in params.items()}
            images[start:start + CHUNK] = _render(part, size)
    return TensorDataset(images.mul_(2).sub_(1), attrs)


def _pick(palette, coin, gen):
    """(n, 3, 1, 1) colours: a row of palette[coin], jittered by ±0.04."""
    table = torch.tensor([palette[0], palette[1]], device="cpu")  # (2, rows, 3)
    row = torch.randint(table.shape[1], coin.shape, generator=gen, device="cpu")
    colour = table[coin.long(), row] + (torch.rand(len(coin), 3, generator=gen, device="cpu") - 0.5) * 0.08
    return colour.clamp(0, 1)[:, :, None, None]


def _draw_params(attrs, gen):
    """Every random number an image needs, drawn up front for all n images."""
    n = len(attrs)
    smiling, glasses, dark_hair, dark_skin, warm, wide = attrs.unbind(1)

    def uniform(lo, hi):
        return (lo + (hi - lo) * torch.rand(n, generator=gen, device="cpu"))[:, None, None]  # (n, 1, 1)

    return {
        "smiling": smiling[:, None, None], "glasses": glasses[:, None, None],
        "background": _pick(BACKGROUND, warm, gen), "hair": _pick(HAIR, dark_hair, gen),
        "skin": _pick(SKIN, dark_skin, gen), "shirt": torch.rand(n, 3, generator=gen, device="cpu")[..., None, None],
        "cx": uniform(-0.08, 0.08), "cy": uniform(-0.12, 0.0),
        "a": (0.40 + 0.14 * wide[:, None, None]) * uniform(0.95, 1.05),  # face half-width
        "b": uniform(0.54, 0.62),  # face half-height
        "hair_len": uniform(-0.2, 0.55), "eye": uniform(0.9, 1.15),
    }


def _render(p, size):
    """Paint a chunk: p holds (B, 1, 1) numbers and (B, 3, 1, 1) colours -> (B, 3, S, S).
    Speed comes from separability: every shape is built from pieces along x, (B, 1, S),
    and along y, (B, S, 1), so most shapes cost one or two full-size (B, S, S) operations."""
    axis = (torch.arange(size, device="cpu") + 0.5) * (2.0 / size) - 1.0  # pixel centres in [-1, 1]
    u, v = axis[None, None, :], axis[None, :, None]  # (1, 1, S) x, (1, S, 1) y (down)
    k = size / 2.0  # pixels per unit: distance * k is in pixels

    def edge(dist):  # signed distance (< 0 inside) -> coverage, a 1-pixel soft edge
        return (0.5 - dist * k).clamp_(0, 1)

    def box(dx, dy):  # {dx <= 0 and dy <= 0}: dx (B, 1, S), dy (B, S, 1)
        return torch.minimum(edge(dx), edge(dy))

    def ellipse(cx, cy, a, b):  # near the rim, distance ≈ (ρ² − 1)·min(a, b)/2
        r = torch.minimum(a, b) * (k / 2)
        return torch.sub((0.5 + r) - ((u - cx) / a) ** 2 * r, ((v - cy) / b) ** 2 * r).clamp_(0, 1)

    def paint(colour, mask):  # img ← img + mask · (colour − img)
        img.lerp_(colour, mask.unsqueeze(1))

    cx, cy, a, b = p["cx"], p["cy"], p["a"], p["b"]
    shade = 1.0 - 0.25 * (v + 1) / 2  # background darkens towards the bottom
    img = (p["background"] * shade.unsqueeze(1)).expand(len(cx), 3, size, size).contiguous()
    hair = ellipse(cx, cy - 0.1, a + 0.1, b + 0.12)
    paint(p["hair"], hair * edge(v - (cy + p["hair_len"])))  # long or short hair
    one = torch.ones_like(cx)
    paint(p["shirt"], ellipse(cx, 1.3 * one, a + 0.45, 0.55 * one))
    paint(p["skin"] * 0.85, box((u - cx).abs() - 0.17, cy - v))  # neck
    paint(p["skin"], ellipse(cx, cy, a, b))
    paint(p["hair"], hair.mul_(edge(v - (cy - 0.55 * b))))  # fringe over the forehead
    ex, ey = 0.42 * a, cy - 0.12 * b  # eye offset from the centre line, eye height
    dark = torch.tensor([0.08, 0.06, 0.06], device="cpu")[:, None, None]
    for side in (-1, 1):
        r = 0.065 * p["eye"]
        paint(dark, ellipse(cx + side * ex, ey, r, r * 0.8))
        paint(p["hair"] * 0.7, box((u - cx - side * ex).abs() - 0.11, (v - ey + 0.16).abs() - 0.025))
    paint(torch.tensor([0.55, 0.10, 0.12], device="cpu")[:, None, None], _mouth(p, u, v, edge))
    paint(torch.tensor([0.05, 0.05, 0.08], device="cpu")[:, None, None], _glasses(p, u, v, k, ex, ey))
    return img


def _mouth(p, u, v, edge):
    """A wide open D-shaped smile when smiling, a thin straight mouth when not."""
    cx, my, s = p["cx"], p["cy"] + 0.5 * p["b"], p["smiling"]
    width = 0.14 + 0.08 * s  # half-width
    du2 = ((u - cx) / width).clamp(-1, 1) ** 2  # (B, 1, S)
    top = my - 0.03 - 0.04 * s * du2  # smile: the corners lift
    bottom = my + 0.13 * s * (1 - du2)  # smile: the lower lip curves down in the middle
    lips = torch.minimum(edge(top - v), edge(v - bottom))
    return torch.minimum(lips, edge((u - cx).abs() - width), out=lips)


def _glasses(p, u, v, k, ex, ey):
    """Two thick round rims with tinted lenses and a bridge; zero where glasses = 0."""
    r, t = 0.17, 0.05  # rim radius and half-thickness
    # distance to a rim circle ≈ (ρ² − r²) / 2r near it; the nearer of the two lenses counts
    dy = ((v - ey) ** 2) / (2 * r)  # (B, S, 1)
    dist = torch.minimum(((u - p["cx"] - ex) ** 2 - r * r) / (2 * r) + dy,
                         ((u - p["cx"] + ex) ** 2 - r * r) / (2 * r) + dy)  # (B, S, S)
    lens = (0.5 - dist * k).clamp_(0, 1).mul_(0.3)
    rims = dist.abs_().mul_(-k).add_(0.5 + t * k).clamp_(0, 1)
    bridge = torch.minimum((0.5 - ((u - p["cx"]).abs() - ex + r) * k).clamp(0, 1),
                           (0.5 - ((v - ey).abs() - 0.8 * t) * k).clamp(0, 1))
    torch.maximum(rims, bridge, out=rims)
    return torch.maximum(rims, lens, out=rims).mul_(p["glasses"])
