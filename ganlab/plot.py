"""Pictures of a GAN at work: image grids, loss curves, snapshots, and 2-D samples on D's surface.

Images are in [-1, 1], the course's one convention; they are shown as (x + 1) / 2, clamped."""

import warnings

import matplotlib.pyplot as plt
import torch

from . import paths
from .nets import Packed, evaluating


def image_grid(images, *, nrow=8):
    """(B, C, H, W) images in [-1, 1] -> one (H', W', C) float array in [0, 1] for imshow."""
    from torchvision.utils import make_grid  # imported here: torchvision is slow to import

    x = torch.as_tensor(images, device="cpu") if not isinstance(images, torch.Tensor) else images.detach()
    if x.ndim != 4 or x.shape[1] not in (1, 3) or not x.is_floating_point() or not len(x):
        raise ValueError(f"plots take a batch of float images (B, 1 or 3, H, W) in [-1, 1], not {x.dtype} of "
                         f"shape {tuple(x.shape)}: reshape them (x.view(-1, 1, 28, 28) for flat digits), "
                         "or scale them (x.float() / 127.5 - 1 from 0..255)")
    lo, hi = (float(v) for v in torch.aminmax(x))
    if not (lo >= -1.5 and hi <= 1.5):  # NaN fails this too
        warnings.warn(f"the images span [{lo:.3g}, {hi:.3g}]: plots show [-1, 1] and clamp the rest, so this "
                      "shows little; scale them to [-1, 1] (or find where the NaN came from)", stacklevel=2)
    x = ((x.float().cpu() + 1) / 2).clamp(0, 1)
    grid = make_grid(x, nrow=nrow, padding=2, pad_value=1.0)  # (C, H', W')
    return grid.permute(1, 2, 0).numpy()


def show_images(images, *, nrow=8, title=None, ax=None):
    """Show a batch of images as a grid; returns the matplotlib Axes."""
    grid = image_grid(images, nrow=nrow)
    if ax is None:
        size = min(8, 1.2 * nrow)
        _, ax = plt.subplots(figsize=(size, size * max(1, len(images) / nrow) / nrow))
    ax.imshow(grid, cmap="gray" if grid.shape[2] == 1 else None, vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, columns=("loss_D", "loss_G"), *, smooth=0.02, ax=None, hlines=()):
    """Loss (or any logged column) against step; a running mean of ``smooth`` × run length
    shows the trend over the step-to-step noise. ``hlines``: reference values to mark."""
    frame = history.frame
    if not any(column in frame for column in columns):
        raise ValueError(f"the history logs none of {list(columns)}: "
                         + (f"choose among {list(frame.columns)}" if len(frame) else "train first"))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    window = max(1, int(len(frame) * smooth))
    for column in columns:
        if column in frame:
            ax.plot(frame["step"], frame[column].rolling(window, min_periods=1).mean(), label=column)
    for value in hlines:
        ax.axhline(value, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("step")
    ax.legend()
    return ax


def show_snapshots(history, *, count=6, per_snapshot=16):
    """The fixed-noise samples at ``count`` moments of training, side by side."""
    snaps = history.snapshots
    if not snaps:
        raise ValueError("no snapshots: pass snapshot_every= to train()")
    k = min(paths.count(count, "show_snapshots", "count"), len(snaps))  # evenly spaced, never repeated
    picks = [snaps[round(i * (len(snaps) - 1) / max(1, k - 1))] for i in range(k)]
    fig, axes = plt.subplots(1, len(picks), figsize=(2.2 * len(picks), 2.4), squeeze=False)
    for ax, (step, images) in zip(axes[0], picks):
        images = images[:per_snapshot].float()
        show_images(images, nrow=max(1, int(len(images) ** 0.5)), ax=ax)
        ax.set_title(f"step {step}", fontsize=9)
    return fig


VIEW_2D = {"ring8": 1.6, "grid25": 5.5}  # half-width of the plotted square


@torch.no_grad()
def draw_2d(gan, name, *, ax=None, n=1000, title=None, resolution=120, G=None):
    """D's (or the critic's) raw score as filled contours, real points (black) and generated
    points (orange) on top: the surface G's samples slide along. ``G``: draw another
    generator's samples (an EMA copy). A packed D scores each point packed with copies of itself."""
    from . import data

    if name not in VIEW_2D:
        raise ValueError(f"draw_2d draws the 2-D mixtures: name={name!r}, choose one of {sorted(VIEW_2D)}")
    fake = gan.generate(n, G=G).cpu()
    if fake.shape[1:] != (2,):
        raise ValueError(f"draw_2d draws 2-D points, but G makes samples of shape {tuple(fake.shape[1:])}: "
                         "use plot.show_images for images")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    h = VIEW_2D[name]
    ticks = torch.linspace(-h, h, resolution, device="cpu")
    grid = torch.cartesian_prod(ticks, ticks).to(gan.device)  # (R², 2), x varies slowest
    D = gan.D.each if isinstance(gan.D, Packed) else gan.D
    with evaluating(gan.D):
        surface = D(grid).cpu().reshape(resolution, resolution)  # [i, j]
    ax.contourf(ticks, ticks, surface.T, levels=20, cmap="Blues")
    real = data.gaussian_mixture(name, n, seed=0)[0]
    ax.scatter(real[:, 0], real[:, 1], s=2, c="black", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:orange", alpha=0.6, label="generated")
    ax.set(xlim=(-h, h), ylim=(-h, h), aspect="equal", title=title or f"{name}, step {gan.step}")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
