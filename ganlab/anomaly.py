"""Anomaly detection with a GAN trained on normal data only; every score (B,): larger = more anomalous.

AnoGAN (Schlegl et al. 2017): search for the z whose G(z) is closest to the query x, by
gradient descent on z, minimising A(x) = (1 − λ)·Σ|x − G(z)| + λ·Σ|f(x) − f(G(z))| (residual
and discrimination loss; f = D's intermediate features, λ = 0.1); the score is A at the last step.
Efficient GAN (Zenati et al. 2018): a BiGAN trains an encoder E: x -> z with G, so that D(x, z)
cannot tell (x, E(x)) from (G(z), z); z = E(x) replaces the search: A(x) in one forward pass.
ROC AUC = P(anomaly's score > normal image's score) + ½·P(tie), the Mann–Whitney U / (n₊·n₋)."""

from typing import NamedTuple

import torch
from torch import nn

from . import nets
from .losses import BCE
from .nets import evaluating
from .steps import update

LAMBDA = 0.1  # weight of the feature term, as in both papers


def _check_scores(scores, is_anomaly, name):
    """A clear ValueError for scores and labels that cannot give a ROC: NaN, or mismatched lengths."""
    if scores.dim() != 1 or is_anomaly.shape != scores.shape:
        raise ValueError(f"{name} needs one label per score, both 1-D: got scores of shape "
                         f"{tuple(scores.shape)} and labels of shape {tuple(is_anomaly.shape)}")
    if torch.isnan(scores).any():
        raise ValueError(f"{name}: {int(torch.isnan(scores).sum())} of {len(scores)} scores are NaN; "
                         "a NaN has no rank, so find where it came from (a diverged model?) first")


def roc_curve(scores, is_anomaly):
    """(fpr, tpr), each (T+1,) from (0, 0) to (1, 1): flag "anomaly" when score ≥ t, for each
    distinct score t from the highest down; tied scores are flagged together (a diagonal step)."""
    _check_scores(scores, is_anomaly, "roc_curve")
    order = torch.argsort(scores.detach().cpu(), descending=True)
    s, y = scores.detach().cpu().double()[order], is_anomaly.cpu().double()[order]
    tp, fp = y.cumsum(0), (1 - y).cumsum(0)
    last = torch.cat([s[1:] != s[:-1], torch.tensor([True], device="cpu")])  # the end of each run of ties
    zero = torch.zeros(1, dtype=torch.float64, device="cpu")
    return torch.cat([zero, fp[last] / fp[-1]]), torch.cat([zero, tp[last] / tp[-1]])


def roc_auc(scores, is_anomaly):
    """Area under the ROC curve by ranks: (R₊ − n₊(n₊ + 1)/2) / (n₊·n₋), where R₊ sums the
    anomalies' ranks 1..n by ascending score, and tied scores share their mean rank."""
    _check_scores(scores, is_anomaly, "roc_auc")
    y = is_anomaly.cpu().bool()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        raise ValueError(f"ROC AUC needs anomalies and normal images; got {n_pos} and {n_neg}")
    _, group, counts = torch.unique(scores.detach().cpu().double(), return_inverse=True, return_counts=True)
    mean_rank = counts.cumsum(0).double() - (counts.double() - 1) / 2  # ties at ranks a..b: (a + b)/2
    r_pos = mean_rank[group][y].sum()
    return float((r_pos - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class Scored(NamedTuple):
    score: torch.Tensor  # (B,) A(x), larger = more anomalous
    recon: torch.Tensor  # (B, C, H, W) G(z), the normal image closest to x that G found
    z: torch.Tensor  # (B, latent_dim)


def anomaly_score(x, recon, feat_x, feat_recon, *, lam=LAMBDA):
    """(1 − λ)·Σ|x − G(z)| + λ·Σ|f(x) − f(G(z))| for each image: (B,)."""
    residual = (x - recon).abs().flatten(1).sum(1)
    return (1 - lam) * residual + lam * (feat_x - feat_recon).abs().flatten(1).sum(1)


def anogan(G, D, x, *, latent_dim, steps=500, lr=0.05, lam=LAMBDA, z=None):
    """AnoGAN's search for all B queries at once: Adam on z (B, latent_dim) minimising ΣA(x).
    In eval mode (batch norm on fixed statistics) row b of the gradient is query b's own."""
    with evaluating(G, D):
        feat_x = D.features(x).detach()
        z = (torch.randn(len(x), latent_dim, device=x.device) if z is None else z.clone()).requires_grad_()
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(steps):
            recon = G(z)
            loss = anomaly_score(x, recon, feat_x, D.features(recon), lam=lam).sum()
            z.grad = torch.autograd.grad(loss, z)[0]  # z only: G and D stay as trained
            opt.step()
        with torch.no_grad():
            recon = G(z)
            return Scored(anomaly_score(x, recon, feat_x, D.features(recon), lam=lam), recon, z.detach())


class JointDiscriminator(nn.Module):
    """BiGAN's D(x, z) -> raw score (B,): DCGAN conv features of x (F_x,) and MLP features of
    z (hidden,), concatenated and joined by an MLP into f(x, z) (hidden,), then a linear head."""

    def __init__(self, latent_dim, *, size=28, channels=1, width=16, hidden=256):
        super().__init__()
        conv = nets.conv_discriminator(size=size, channels=channels, width=width)
        self.dx = conv.body  # (B, C, H, W) -> (B, F_x)
        self.dz = nn.Sequential(nets.mlp(latent_dim, hidden), nn.LeakyReLU(0.2))
        self.joint = nn.Sequential(nets.mlp(conv.head.in_features + hidden, hidden), nn.LeakyReLU(0.2))
        self.head = nn.Linear(hidden, 1)
        nets.init_normal(self)

    def features(self, x, z):
        return self.joint(torch.cat([self.dx(x), self.dz(z)], dim=1))  # (B, hidden)

    def forward(self, x, z):
        return self.head(self.features(x, z)).squeeze(1)


def conv_encoder(latent_dim, *, size=28, channels=1, width=16):
    """E: images (B, C, H, W) -> codes (B, latent_dim): a DCGAN D's conv body, a linear head."""
    conv = nets.conv_discriminator(size=size, channels=channels, width=width)
    return nets.init_normal(nn.Sequential(conv.body, nn.Linear(conv.head.in_features, latent_dim)))


def bigan_step(gan, batches, *, loss=BCE):
    """One BiGAN step (Donahue et al. 2017): ``gan`` holds G, the encoder E and the joint D(x, z).
    (1) D: minimise loss.d(D(x, E(x)), D(G(z), z)): tell the encoder's pairs from G's.
    (2) G and E together: the same loss with the pairs swapped (non-saturating): each wants D to
        mistake its pair for the other kind, which can only happen when E inverts G."""
    real, _ = next(batches)
    z = gan.sample_z(len(real))
    code, fake = gan.E(real), gan.G(z)
    loss_D = loss.d(gan.D(real, code.detach()), gan.D(fake.detach(), z))  # detach: D's step moves only D
    update(loss_D, gan.opt_D)
    loss_GE = loss.d(gan.D(fake, z), gan.D(real, code))  # also fills D's .grad: step (1) clears it first
    update(loss_GE, gan.opt_G, gan.opt_E)
    return {"loss_D": loss_D.detach(), "loss_GE": loss_GE.detach()}


@torch.no_grad()
def efficient_gan(G, E, D, x, *, lam=LAMBDA):
    """Efficient GAN's score: z = E(x), then A(x) with the joint D's features f(·, z)."""
    with evaluating(G, E, D):
        z = E(x)
        recon = G(z)
        return Scored(anomaly_score(x, recon, D.features(x, z), D.features(recon, z), lam=lam), recon, z)


def nn_distance(x, reference, *, chunk=256):
    """Baseline: ‖x − its nearest reference image‖₂ in pixel space, (B,)."""
    ref = reference.flatten(1)
    if x[0].numel() != ref.shape[1]:
        raise ValueError(f"nn_distance compares images of {x[0].numel()} numbers with reference images "
                         f"of {ref.shape[1]}: give both the same shape")
    return torch.cat([torch.cdist(q, ref).min(1).values for q in x.flatten(1).split(chunk)])


def pca_fit(data, k):
    """Baseline, fitted on normal data (N, ...): the mean μ (P,) and top-k principal directions V (P, k)."""
    X = data.flatten(1)
    if not 0 <= k <= X.shape[1]:
        raise ValueError(f"pca_fit(k={k}): the data have {X.shape[1]} numbers per item, so k must be "
                         f"between 0 and {X.shape[1]}")
    mean = X.mean(0)
    _, vecs = torch.linalg.eigh(((X - mean).T @ (X - mean)).double())  # (P, P); eigenvalues ascending
    return mean, vecs[:, len(vecs) - k :].float()  # k = 0: no directions, the distance to μ


def pca_error(x, mean, V):
    """‖r − V Vᵀ r‖², r = x − μ: the part of x the top-k directions cannot explain, (B,)."""
    r = x.flatten(1) - mean
    return (r - r @ V @ V.T).pow(2).sum(1)
