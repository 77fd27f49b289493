"""Synthetic faces: shapes, scaling, determinism, balanced and visible attributes."""

import torch

from ganlab.data import FACE_ATTRIBUTES, synthetic_faces


def test_faces_shapes_dtypes_and_value_range():
    images, attrs = synthetic_faces(20, size=32, seed=0).tensors
    assert images.shape == (20, 3, 32, 32) and images.dtype == torch.float32
    assert attrs.shape == (20, len(FACE_ATTRIBUTES)) and attrs.dtype == torch.float32
    assert len(FACE_ATTRIBUTES) >= 5 and set(attrs.unique().tolist()) <= {0.0, 1.0}
    assert images.min() >= -1 and images.max() <= 1
    assert images.min() < -0.5 and images.max() > 0.5  # the whole [-1, 1] range is used, not [0, 1]


def test_faces_deterministic_by_seed():
    a = synthetic_faces(50, size=32, seed=1).tensors
    b = synthetic_faces(50, size=32, seed=1).tensors
    c = synthetic_faces(50, size=32, seed=2).tensors
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])


def test_faces_attributes_balanced_and_independent():
    _, attrs = synthetic_faces(3000, size=16, seed=3).tensors
    # fair coins: the mean's sd is 0.5/sqrt(3000) = 0.009; allow 5 sd
    assert (attrs.mean(0) - 0.5).abs().max() < 0.046
    corr = torch.corrcoef(attrs.T) - torch.eye(attrs.shape[1])
    assert corr.abs().max() < 0.1


def test_faces_each_attribute_readable_at_32px():
    """A ridge-regression linear probe on raw 32x32 pixels reads every attribute on
    held-out faces: each one changes the picture visibly, even at that size."""
    images, attrs = synthetic_faces(1500, size=32, seed=4).tensors
    x = torch.cat([images.flatten(1), torch.ones(len(images), 1)], dim=1).double()
    train, test = slice(0, 1200), slice(1200, None)
    a = x[train]
    targets = attrs[train].double() * 2 - 1  # ±1
    w = torch.linalg.solve(a.T @ a + torch.eye(a.shape[1], dtype=a.dtype), a.T @ targets)
    accuracy = ((x[test] @ w > 0).float() == attrs[test]).float().mean(0)
    assert accuracy.min() > 0.95, dict(zip(FACE_ATTRIBUTES, accuracy.tolist()))


def test_faces_background_attribute_changes_background_pixels():
    images, attrs = synthetic_faces(400, size=32, seed=5).tensors
    corner = images[:, :, 0, 0]  # (n, 3) top-left pixel: always background
    warm = attrs[:, FACE_ATTRIBUTES.index("warm_background")].bool()
    # warm backgrounds are redder than blue, cool ones bluer than red
    assert (corner[warm, 0] > corner[warm, 2]).all() and (corner[~warm, 2] > corner[~warm, 0]).all()
