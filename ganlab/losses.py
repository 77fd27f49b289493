"""GAN losses as pure functions of the discriminator's raw outputs (scores).

D returns a raw score s per sample. For the classic GAN, D(x) = σ(s) is the probability
that x is real; the sigmoid lives here, not in the model, so that BCE can use the stable
``binary_cross_entropy_with_logits``. Every ``loss_D`` is the *mean* of its real and fake
halves (the hinge loss sums them, as in its papers), so at the equilibrium D(x) = ½ both
players sit at the same value: MSE (½ − 1)² = (½ − 0)² = 0.25; BCE −ln ½ = ln 2 ≈ 0.693."""

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F


def bce_d(real_out, fake_out):
    """loss_D = ½ [ −ln σ(s_real) − ln(1 − σ(s_fake)) ]."""
    real = F.binary_cross_entropy_with_logits(real_out, torch.ones_like(real_out))
    fake = F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out))
    return (real + fake) / 2


def bce_g(fake_out):
    """Non-saturating loss_G = −ln σ(s_fake): strong gradients while D wins."""
    return F.binary_cross_entropy_with_logits(fake_out, torch.ones_like(fake_out))


def mse_d(real_out, fake_out):
    """loss_D = ½ [ (σ(s_real) − 1)² + σ(s_fake)² ]  (least squares, as in the seed book)."""
    real = F.mse_loss(torch.sigmoid(real_out), torch.ones_like(real_out))
    fake = F.mse_loss(torch.sigmoid(fake_out), torch.zeros_like(fake_out))
    return (real + fake) / 2


def mse_g(fake_out):
    """loss_G = (σ(s_fake) − 1)²."""
    return F.mse_loss(torch.sigmoid(fake_out), torch.ones_like(fake_out))


def wgan_d(real_out, fake_out):
    """Critic loss E[C(x̃)] − E[C(x)]: its negative estimates the Wasserstein-1 distance."""
    return fake_out.mean() - real_out.mean()


def wgan_g(fake_out):
    """Generator loss −E[C(x̃)]: push the critic's score of fakes up."""
    return -fake_out.mean()


def hinge_d(real_out, fake_out):
    """Hinge loss_D = E[max(0, 1 − s_real)] + E[max(0, 1 + s_fake)] (SNGAN, SAGAN): a sum, as in
    the papers. A sample scored past its margin (s_real ≥ 1, s_fake ≤ −1) adds nothing and
    no gradient, so D stops pushing scores it already has right."""
    return F.relu(1 - real_out).mean() + F.relu(1 + fake_out).mean()


def _identity(x):
    return x


class Loss(NamedTuple):
    """The rules of one game: D's loss, G's loss, and what to log as "D(x)"."""

    name: str
    d: Callable
    g: Callable
    readout: Callable  # probability σ(s) for BCE/MSE, the raw score for a critic


BCE = Loss("BCE", bce_d, bce_g, torch.sigmoid)
MSE = Loss("MSE", mse_d, mse_g, torch.sigmoid)
WGAN = Loss("WGAN", wgan_d, wgan_g, _identity)
HINGE = Loss("hinge", hinge_d, wgan_g, _identity)  # G: −E[s_fake], no margin, as for WGAN


def interpolate_grad_norms(D, real, fake, *, labels=None, create_graph=True):
    """‖∇_x̂ D(x̂)‖₂ for x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1] drawn once per sample: (B,), one norm
    per sample over all its non-batch dimensions (never one per pixel)."""
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} batches differ in shape: "
                         "the penalty mixes them sample by sample, so give G's samples the data's shape")
    eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)  # eps: (B, 1, 1, 1) for images
    out = D(x_hat) if labels is None else D(x_hat, labels)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=create_graph)
    return grad.flatten(1).norm(2, dim=1)  # (B, C*H*W) -> (B,)


def gradient_penalty(D, real, fake, *, labels=None):
    """WGAN-GP penalty E[(‖∇_x̂ D(x̂)‖₂ − 1)²] (Gulrajani et al. 2017, Algorithm 1), and the norms (B,).
    Multiply by λ = ``gp_weight`` (10 in the paper). Two-sided: norms above and below 1 are both
    penalised. Gradients flow into D's parameters only: ``fake`` is detached, ``real`` is data."""
    norms = interpolate_grad_norms(D, real, fake, labels=labels)
    return ((norms - 1) ** 2).mean(), norms


def r1_penalty(D, real, *, labels=None):
    """R1 = E‖∇ₓ D(x)‖² on real data (Mescheder et al. 2018): zero-centred, so D is pushed to be flat
    where the data are. Multiply by γ/2. The norm is per sample, over all non-batch dims."""
    x = real.detach().requires_grad_(True)
    out = D(x) if labels is None else D(x, labels)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()
