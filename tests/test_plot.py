import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ganlab  # noqa: E402
from ganlab import plot  # noqa: E402
from ganlab.data import pattern1010  # noqa: E402


def test_image_grid_maps_tanh_range_to_unit_interval():
    images = torch.tensor([-1.0, 1.0]).repeat_interleave(4).reshape(2, 1, 2, 2)
    grid = plot.image_grid(images, nrow=2)
    assert grid.shape == (6, 10, 3)  # 2-pixel padding around two 2×2 images; 3 channels
    inner = grid[2:4, 2:4, 0], grid[2:4, 6:8, 0]
    assert np.allclose(inner[0], 0) and np.allclose(inner[1], 1)


def test_image_grid_never_guesses_the_range():
    """Images are always [-1, 1]: an all-positive batch is not read as [0, 1] (no value_range)."""
    images = torch.full((1, 3, 4, 4), 0.25)
    assert np.allclose(plot.image_grid(images, nrow=1)[2:6, 2:6], 0.625)  # (0.25 + 1) / 2


def test_image_grid_clamps_outside_the_range_and_says_so():
    images = torch.tensor([-3.0, 2.0]).repeat_interleave(4).reshape(2, 1, 2, 2)
    with pytest.warns(UserWarning, match=r"span \[-3, 2\]: plots show \[-1, 1\] and clamp the rest"):
        grid = plot.image_grid(images, nrow=2)
    assert np.allclose(grid[2:4, 2:4], 0) and np.allclose(grid[2:4, 6:8], 1)


def test_show_images_draws_one_channel_as_grey():
    images = torch.linspace(-1, 1, 36).reshape(4, 1, 3, 3)
    ax = plot.show_images(images, nrow=2, title="four")
    shown = ax.images[0].get_array()
    assert ax.get_title() == "four" and shown.shape == (12, 12, 3)  # 2-pixel padding around 2×2 3×3 images
    assert np.allclose(shown[..., 0], shown[..., 1]) and np.allclose(shown[..., 0], shown[..., 2])


def test_plot_history_and_snapshots_draw(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, steps=20, snapshot_every=5, progress=False)
    ax = plot.plot_history(gan.history, hlines=[0.69])
    assert len(ax.lines) == 3  # two curves and the reference line
    with pytest.raises(ValueError, match="snapshot_every"):
        plot.show_snapshots(ganlab.History())


def test_show_snapshots_never_repeats_a_frame():
    history = ganlab.History()
    for step in (10, 20, 30):
        history.snapshot(step, torch.zeros(4, 1, 2, 2))
    fig = plot.show_snapshots(history, count=6)
    assert [ax.get_title() for ax in fig.axes] == ["step 10", "step 20", "step 30"]
