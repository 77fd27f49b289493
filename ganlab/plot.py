"""Pictures of a GAN at work: image grids, loss curves, and a live dashboard."""

import matplotlib.pyplot as plt


def image_grid(images, *, nrow=8, value_range=None):
    """(B, C, H, W) images -> one (H', W', C) float array in [0, 1] for imshow.

    ``value_range`` is (low, high) of the input; by default [-1, 1] if any value is
    negative (tanh generators), else [0, 1] (sigmoid generators).
    """
    from torchvision.utils import make_grid  # imported here: torchvision is slow to import

    images = images.detach().float().cpu()
    if value_range is None:
        value_range = (-1.0, 1.0) if images.min() < 0 else (0.0, 1.0)
    low, high = value_range
    images = ((images - low) / (high - low)).clamp(0, 1)
    grid = make_grid(images, nrow=nrow, padding=2, pad_value=1.0)  # (C, H', W')
    return grid.permute(1, 2, 0).numpy()


def show_images(images, *, nrow=8, title=None, value_range=None, ax=None):
    """Show a batch of images as a grid; returns the matplotlib Axes."""
    if ax is None:
        size = min(8, 1.2 * nrow)
        _, ax = plt.subplots(figsize=(size, size * max(1, len(images) / nrow) / nrow))
    grid = image_grid(images, nrow=nrow, value_range=value_range)
    ax.imshow(grid, cmap="gray" if grid.shape[2] == 1 else None, vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, columns=("loss_D", "loss_G"), *, smooth=0.02, ax=None, hlines=()):
    """Loss (or any logged column) against step; a running mean of ``smooth`` × run length
    shows the trend over the step-to-step noise. ``hlines``: reference values to mark."""
    frame = history.frame
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


def show_snapshots(history, *, count=6, per_snapshot=16, value_range=None):
    """The fixed-noise samples at ``count`` moments of training, side by side."""
    snaps = history.snapshots
    if not snaps:
        raise ValueError("no snapshots: pass snapshot_every= to train()")
    k = min(count, len(snaps))  # evenly spaced, first and last included, never repeated
    picks = [snaps[round(i * (len(snaps) - 1) / max(1, k - 1))] for i in range(k)]
    fig, axes = plt.subplots(1, len(picks), figsize=(2.2 * len(picks), 2.4), squeeze=False)
    for ax, (step, images) in zip(axes[0], picks):
        images = images[:per_snapshot].float()
        show_images(images, nrow=max(1, int(len(images) ** 0.5)), value_range=value_range, ax=ax)
        ax.set_title(f"step {step}", fontsize=9)
    return fig


class LiveLoss:
    """A callback for ``train(..., callbacks=[LiveLoss()])`` that redraws the loss curves
    (and the fixed-noise samples) every ``every`` steps in one output area.

    It uses plain IPython display updates, so it works in JupyterLab, Colab and VS Code,
    and under nbval or outside Jupyter it simply leaves the last picture.
    """

    def __init__(self, every=200, *, columns=("loss_D", "loss_G"), show_samples=True):
        self.every, self.columns, self.show_samples = every, columns, show_samples
        self.handle = None

    def __call__(self, gan, row):
        if gan.step % self.every:
            return
        from IPython.display import display

        fig = self.draw(gan)
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        plt.close(fig)

    def draw(self, gan):
        ncols = 2 if self.show_samples else 1
        fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols, 3), squeeze=False)
        plot_history(gan.history, self.columns, ax=axes[0][0])
        axes[0][0].set_title(f"step {gan.step}")
        if self.show_samples:
            images = gan.generate(z=gan.fixed_z[:16], labels=_first(gan.fixed_labels, 16))
            if images.dim() == 4:
                show_images(images, nrow=4, ax=axes[0][1])
            else:
                axes[0][1].set_axis_off()
        fig.tight_layout()
        return fig


def _first(labels, n):
    return None if labels is None else labels[:n]
