"""Conditional G(z, y) and D(x, y): shapes, the label matters, a training step runs."""

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

import ganlab
from ganlab.conditional import (
    CondDCGANDiscriminator,
    CondDCGANGenerator,
    CondMLPDiscriminator,
    CondMLPGenerator,
    label_code,
    label_rows,
)

LATENT = 8


def labels_for(kind, n):
    if kind == "classes":  # MNIST: class ids (B,)
        return torch.arange(n) % 10, 10
    return (torch.rand(n, 5) < 0.5).float(), 5  # faces: 0/1 attributes (B, K)


def models(family, num_labels, size, channels):
    if family == "mlp":
        shape = (channels, size, size)
        return (CondMLPGenerator(LATENT, num_labels, (32,), shape),
                CondMLPDiscriminator(shape, num_labels, (32,)))
    return (CondDCGANGenerator(LATENT, num_labels, size=size, channels=channels, width=8),
            CondDCGANDiscriminator(num_labels, size=size, channels=channels, width=8))


CASES = [("mlp", "classes", 28, 1), ("mlp", "attributes", 32, 3),
         ("dcgan", "classes", 28, 1), ("dcgan", "attributes", 32, 3), ("dcgan", "attributes", 64, 3)]


def test_label_code_one_hot_for_class_ids_and_identity_for_attributes():
    y = torch.tensor([3, 0, 9])
    torch.testing.assert_close(label_code(y, 10), F.one_hot(y, 10).float())
    attrs = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    torch.testing.assert_close(label_code(attrs, 3), attrs)
    with pytest.raises(ValueError):
        label_code(attrs, 4)


@pytest.mark.parametrize(("family", "kind", "size", "channels"), CASES)
def test_conditional_models_shapes(family, kind, size, channels):
    torch.manual_seed(0)
    y, k = labels_for(kind, 4)
    G, D = models(family, k, size, channels)
    x = G(torch.randn(4, LATENT), y)
    assert x.shape == (4, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1  # tanh output
    assert D(x, y).shape == (4,)


@pytest.mark.parametrize(("family", "kind", "size", "channels"), CASES)
def test_conditional_models_label_changes_output(family, kind, size, channels):
    torch.manual_seed(0)
    y, k = labels_for(kind, 4)
    other = (y + 1) % 10 if kind == "classes" else 1 - y
    G, D = models(family, k, size, channels)
    G.eval()  # batch norm in eval mode: the only difference left is the label
    D.eval()
    z = torch.randn(4, LATENT)
    same_z = G(z, y), G(z, other)
    assert (same_z[0] - same_z[1]).flatten(1).abs().amax(1).min() > 1e-6  # every row moved
    x = torch.randn(4, channels, size, size)
    assert (D(x, y) - D(x, other)).abs().min() > 1e-7
    torch.testing.assert_close(G(z, y), same_z[0])  # and it is deterministic


def test_label_rows_one_row_per_class():
    assert label_rows([2, 7], 3).tolist() == [2, 2, 2, 7, 7, 7]


@pytest.mark.parametrize(("family", "kind"), [("mlp", "classes"), ("dcgan", "attributes")])
def test_conditional_training_step_runs(family, kind):
    ganlab.seed_everything(0)
    size, channels = (28, 1) if kind == "classes" else (32, 3)
    y, k = labels_for(kind, 64)
    G, D = models(family, k, size, channels)
    data = TensorDataset(torch.rand(64, channels, size, size) * 2 - 1, y)
    gan = ganlab.GAN(G, D, torch.optim.Adam(G.parameters(), 2e-4), torch.optim.Adam(D.parameters(), 2e-4),
                     latent_dim=LATENT, conditional=True, fixed_labels=y[:16], n_fixed=16)
    before = [p.detach().clone() for p in G.parameters()]
    history = ganlab.train(gan, data, batch_size=16, steps=3, snapshot_every=3, progress=False)
    assert len(history) == 3 and history.frame["loss_D"].notna().all()
    assert any((p - b).abs().max() > 0 for p, b in zip(G.parameters(), before))
    assert history.snapshots[0][1].shape == (16, channels, size, size)
    assert gan.generate(labels=y[:5], z=torch.randn(5, LATENT)).shape == (5, channels, size, size)


def test_projection_head_matches_closed_form():
    torch.manual_seed(0)
    D = CondMLPDiscriminator((1, 4, 4), 3, (5,))
    x, y = torch.randn(2, 1, 4, 4), torch.tensor([2, 0])
    phi = D.body(torch.cat([x.flatten(1), F.one_hot(y, 3).float()], 1))  # (2, 5)
    V, psi, b = D.head.embed.weight, D.head.linear.weight[0], D.head.linear.bias  # V: (5, 3)
    expected = phi @ psi + b + (phi * V[:, y].T).sum(1)  # ψ·φ + b + ⟨V e_y, φ⟩
    torch.testing.assert_close(D(x, y), expected)
    plain = CondMLPDiscriminator((1, 4, 4), 3, (5,), projection=False)
    assert plain.head.embed is None and plain(x, y).shape == (2,)


def test_conditional_dcgan_critic_with_layer_norm_scores_each_sample_alone():
    """With ``critics.map_layer_norm`` (no batch norm) a sample's score does not depend on
    the rest of its batch, as a WGAN-GP critic's must not."""
    from torch import nn

    from ganlab.critics import map_layer_norm

    torch.manual_seed(0)
    C = CondDCGANDiscriminator(10, size=28, channels=1, width=8, norm=map_layer_norm).train()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in C.modules())
    x, y = torch.randn(6, 1, 28, 28), torch.arange(6)
    torch.testing.assert_close(C(x, y)[:2], C(x[:2], y[:2]))
