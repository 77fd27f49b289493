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


def test_image_grid_keeps_unit_range_images():
    images = torch.full((1, 3, 4, 4), 0.25)
    assert np.allclose(plot.image_grid(images, nrow=1)[2:6, 2:6], 0.25)


def test_plot_history_and_snapshots_draw(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, steps=20, snapshot_every=5, progress=False)
    ax = plot.plot_history(gan.history, hlines=[0.69])
    assert len(ax.lines) == 3  # two curves and the reference line
    with pytest.raises(ValueError, match="snapshot_every"):
        plot.show_snapshots(ganlab.History())


def test_live_loss_updates_one_display(make_toy_gan, monkeypatch):
    shown = []

    class Handle:
        def update(self, fig):
            shown.append("update")

    def fake_display(fig, display_id=False):
        shown.append("display")
        return Handle()

    monkeypatch.setattr("IPython.display.display", fake_display)
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, steps=30, callbacks=[plot.LiveLoss(every=10)], progress=False)
    assert shown == ["display", "update", "update"]


def test_show_snapshots_never_repeats_a_frame():
    history = ganlab.History()
    for step in (10, 20, 30):
        history.snapshot(step, torch.zeros(4, 1, 2, 2))
    fig = plot.show_snapshots(history, count=6)
    assert [ax.get_title() for ax in fig.axes] == ["step 10", "step 20", "step 30"]
