"""ganlab.anomaly: ROC AUC by hand, AnoGAN's z-search, Efficient GAN's BiGAN, two baselines."""

import pytest
import torch
from torch import nn

import ganlab
from ganlab import anomaly, nets

# hand-worked: anomalies score 0.35, 0.8, 0.4; normal images 0.1, 0.4 (a tie at 0.4).
# Of the 3·2 (anomaly, normal) pairs the anomaly wins 4 and ties 1: AUC = (4 + ½)/6 = 0.75.
SCORES = torch.tensor([0.1, 0.4, 0.35, 0.8, 0.4])
IS_ANOMALY = torch.tensor([0, 0, 1, 1, 1]).bool()


def test_roc_auc_matches_the_hand_worked_example_with_a_tie():
    assert anomaly.roc_auc(SCORES, IS_ANOMALY) == pytest.approx(0.75)


def test_roc_curve_matches_the_hand_worked_example():
    # thresholds 0.8, 0.4 (both tied images at once: a diagonal step), 0.35, 0.1
    fpr, tpr = anomaly.roc_curve(SCORES, IS_ANOMALY)
    assert torch.allclose(fpr, torch.tensor([0, 0, 1 / 2, 1 / 2, 1], dtype=torch.float64))
    assert torch.allclose(tpr, torch.tensor([0, 1 / 3, 2 / 3, 1, 1], dtype=torch.float64))


def test_roc_auc_is_the_area_under_roc_curve_and_the_pair_count():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 8, (200,), generator=g).float()  # many ties
    y = torch.rand(200, generator=g) < 0.3
    fpr, tpr = anomaly.roc_curve(scores, y)
    pos, neg = scores[y], scores[~y]
    pairs = ((pos[:, None] > neg[None]).double() + 0.5 * (pos[:, None] == neg[None]).double()).mean()
    assert anomaly.roc_auc(scores, y) == pytest.approx(float(torch.trapezoid(tpr, fpr)))
    assert anomaly.roc_auc(scores, y) == pytest.approx(float(pairs))
    assert anomaly.roc_auc(scores.exp(), y) == pytest.approx(float(pairs))  # ranks only


@pytest.mark.parametrize(("scores", "auc"), [([1, 2, 3, 4], 1.0), ([4, 3, 2, 1], 0.0), ([5, 5, 5, 5], 0.5)])
def test_roc_auc_extremes(scores, auc):
    assert anomaly.roc_auc(torch.tensor(scores).float(), torch.tensor([0, 0, 1, 1]).bool()) == auc


def test_roc_auc_refuses_one_class():
    with pytest.raises(ValueError, match="anomalies and normal"):
        anomaly.roc_auc(torch.rand(5), torch.zeros(5).bool())


@pytest.mark.parametrize("curve", [anomaly.roc_curve, anomaly.roc_auc])
def test_roc_refuses_nan_scores_and_labels_of_another_length(curve):
    with pytest.raises(ValueError, match="NaN"):
        curve(torch.tensor([0.1, float("nan"), 0.3, 0.4]), torch.tensor([0, 0, 1, 1]).bool())
    with pytest.raises(ValueError, match="one label per score"):
        curve(torch.rand(5), torch.tensor([0, 0, 1, 1]).bool())


def small_gan(seed=0, latent_dim=4):
    """An untrained MLP pair on 8×8 images; G with batch norm, so eval mode matters."""
    torch.manual_seed(seed)
    G = nets.mlp_generator(latent_dim, (32,), (1, 8, 8), norm=nn.BatchNorm1d)
    D = nets.mlp_discriminator((1, 8, 8), (32,))
    G(torch.randn(64, latent_dim))  # train mode: give batch norm running statistics
    return G.eval(), D


def residual(scored, x):
    return (x - scored.recon).abs().flatten(1).sum(1)


def test_anogan_search_reduces_the_residual_on_images_G_can_make():
    G, D = small_gan()
    x = G(torch.randn(16, 4)).detach()  # G(z*) for known z*
    z0 = torch.randn(16, 4)
    before = anomaly.anogan(G, D, x, latent_dim=4, steps=0, z=z0)
    after = anomaly.anogan(G, D, x, latent_dim=4, steps=100, lr=0.1, z=z0)
    assert (residual(after, x) < residual(before, x)).all()
    assert residual(after, x).mean() < 0.2 * residual(before, x).mean()
    assert after.score.shape == (16,) and after.z.shape == (16, 4) and after.recon.shape == x.shape


def test_anogan_score_is_larger_for_images_G_cannot_make():
    G, D = small_gan()
    made = G(torch.randn(8, 4)).detach()
    noise = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1  # off G's 4-D surface
    scored = anomaly.anogan(G, D, torch.cat([made, noise]), latent_dim=4, steps=100, lr=0.1)
    assert scored.score[8:].min() > scored.score[:8].max()


def test_anogan_queries_do_not_interact_and_modes_are_restored():
    G, D = small_gan()
    G.train()
    x, z0 = torch.rand(6, 1, 8, 8) * 2 - 1, torch.randn(6, 4)
    together = anomaly.anogan(G, D, x, latent_dim=4, steps=20, z=z0)
    alone = [anomaly.anogan(G, D, x[i : i + 1], latent_dim=4, steps=20, z=z0[i : i + 1]) for i in range(6)]
    assert torch.allclose(together.z, torch.cat([s.z for s in alone]), atol=1e-5)
    assert G.training and D.training


def test_anomaly_score_weights_residual_and_features():
    x, recon = torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)  # residual 4
    fx, fr = torch.tensor([[3.0, 0.0]]), torch.tensor([[1.0, 2.0]])  # feature distance 4
    assert anomaly.anomaly_score(x, recon, fx, fr).item() == pytest.approx(0.9 * 4 + 0.1 * 4)
    assert anomaly.anomaly_score(x, recon, fx, fr * 0, lam=0.5).item() == pytest.approx(2 + 1.5)


def bigan(latent_dim=8, width=4):
    torch.manual_seed(0)
    G = nets.conv_generator(latent_dim, size=28, channels=1, width=width)
    E = anomaly.conv_encoder(latent_dim, width=width)
    return G, E, anomaly.JointDiscriminator(latent_dim, width=width, hidden=16)


def test_efficient_gan_shapes():
    G, E, D = bigan()
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    assert E(x).shape == (5, 8) and D(x, E(x)).shape == (5,) and D.features(x, E(x)).shape == (5, 16)


def test_bigan_step_trains_all_three_players_through_train():
    """The BiGAN step runs in ganlab.train like any other: history, guard, checkpoint and all."""
    G, E, D = bigan()
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=8, E=E, opt_E=ganlab.adam(E))
    before = [[p.detach().clone() for p in m.parameters()] for m in (G, E, D)]
    history = ganlab.train(gan, torch.rand(16, 1, 28, 28) * 2 - 1, step=anomaly.bigan_step, batch_size=4,
                           steps=2, progress=False)
    assert set(history.rows[-1]) == {"step", "loss_D", "loss_GE", "seconds"} and gan.step == 2
    for m, old in zip((G, E, D), before):
        assert any(not torch.equal(p, q) for p, q in zip(m.parameters(), old))


def test_efficient_gan_score_is_one_forward_pass():
    G, E, D = bigan()
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    scored = anomaly.efficient_gan(G, E, D, x)
    G.eval(), E.eval(), D.eval()
    z = E(x)
    expected = anomaly.anomaly_score(x, G(z), D.features(x, z), D.features(G(z), z))
    assert torch.allclose(scored.score, expected) and torch.allclose(scored.recon, G(z))


def test_nn_distance_matches_a_naive_loop():
    ref, x = torch.randn(50, 1, 4, 4), torch.randn(7, 1, 4, 4)
    x[0] = ref[3]
    naive = torch.stack([min((q - r).norm() for r in ref) for q in x])
    assert torch.allclose(anomaly.nn_distance(x, ref, chunk=3), naive, atol=1e-3)
    assert anomaly.nn_distance(x, ref)[0] < 1e-2


def test_pca_error_is_zero_in_the_span_and_the_off_span_part_squared_outside():
    g = torch.Generator().manual_seed(0)
    basis, _ = torch.linalg.qr(torch.randn(16, 3, generator=g))  # (16, 3) orthonormal columns
    mean = torch.randn(16, generator=g)
    data = torch.randn(500, 3, generator=g) @ basis.T + mean  # (500, 16) in a 3-D plane
    m, V = anomaly.pca_fit(data.view(500, 1, 4, 4), 3)
    inside = torch.randn(4, 3, generator=g) @ basis.T + mean
    off = torch.randn(4, 16, generator=g)
    off_part = off - off @ basis @ basis.T  # orthogonal to the plane
    assert torch.allclose(anomaly.pca_error(inside, m, V), torch.zeros(4), atol=1e-4)
    assert torch.allclose(anomaly.pca_error(inside + off_part, m, V), off_part.pow(2).sum(1), rtol=1e-3)
    m0, V0 = anomaly.pca_fit(data, 0)  # no directions: the squared distance to the mean
    assert V0.shape == (16, 0) and torch.allclose(anomaly.pca_error(off, m0, V0), (off - m0).pow(2).sum(1))
