"""Draw the README's picture of the synthetic faces stand-in.

    .venv/bin/python tools/draw_faces.py docs/synthetic_faces.png
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ganlab.data import synthetic_faces  # noqa: E402
from ganlab.plot import image_grid  # noqa: E402


def save_grid(path, *, n=64, size=64, seed=0):
    """Write an 8-column grid of faces to `path`, titled as the stand-in it is."""
    fig, ax = plt.subplots(figsize=(6, 6.4), dpi=100)
    ax.imshow(image_grid(synthetic_faces(n, size, seed).tensors[0], nrow=8))
    ax.set_axis_off()
    ax.set_title(f"Synthetic faces (a stand-in for CelebA, not photographs)\n"
                 f"ganlab.data.synthetic_faces({n}, size={size}, seed={seed})", fontsize=10)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    save_grid(sys.argv[1] if len(sys.argv) > 1 else "synthetic_faces.png")
