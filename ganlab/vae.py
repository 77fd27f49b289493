"""The variational autoencoder (Kingma & Welling 2014), trained by ``ganlab.train`` like a GAN:
``GAN(G=decoder, D=None, opt_G, opt_D=None, latent_dim, E=encoder, opt_E)``, ``step=vae_step``.

E(x) gives q(z|x) = N(μ, σ²) as (μ, ln σ²); z = μ + σ·ε, ε ~ N(0, I) (the reparameterisation
trick: the chance sits in ε, so gradients reach μ and σ); G(z) decodes. The step minimises
Σ_pixels (x − G(z))² + β·KL(q(z|x) ‖ N(0, I)) per image, averaged over the batch: the negative
ELBO for pixel noise of variance ½ on [-1, 1], up to a constant. A mean over the 784 pixels in
place of the sum would weigh the KL 784× more for the same β."""

import torch
from torch import nn

from .nets import conv_generator, down_path
from .steps import update


class Encoder(nn.Module):
    """images (B, C, S, S) -> (μ, ln σ²), each (B, latent_dim): conv_discriminator's body, 2 heads."""

    def __init__(self, latent_dim, *, size=28, channels=1, width=16):
        super().__init__()
        self.body, features = down_path(size, channels, width)  # (B, w·2^(n−1)·s·s)
        self.head = nn.Linear(features, 2 * latent_dim)

    def forward(self, x):
        mu, logvar = self.head(self.body(x)).chunk(2, dim=1)
        return mu, logvar


def conv_vae(latent_dim, *, size=28, channels=1, width=16):
    """(E, G): the encoder above and ``nets.conv_generator`` (the DCGAN's G) as the decoder."""
    return (Encoder(latent_dim, size=size, channels=channels, width=width),
            conv_generator(latent_dim, size=size, channels=channels, width=width))


def gaussian_kl(mu, logvar):
    """KL(N(μ, σ²) ‖ N(0, I)) of each row, in nats: ½ Σ_j (μ_j² + σ_j² − 1 − ln σ_j²), (B,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)


def reparameterise(mu, logvar):
    """z = μ + σ·ε with ε ~ N(0, I): a sample of N(μ, σ²) that gradients pass through."""
    return mu + (0.5 * logvar).exp() * torch.randn_like(mu)


def vae_step(gan, batches, *, beta=1.0):
    """One update of E and G on the negative ELBO: recon = Σ_pixels (x − G(z))², kl = KL(q ‖ p),
    loss = recon + β·kl, each per image and averaged over the batch."""
    real, _ = next(batches)
    mu, logvar = gan.E(real)
    recon = (gan.G(reparameterise(mu, logvar)) - real).pow(2).flatten(1).sum(1).mean()
    kl = gaussian_kl(mu, logvar).mean()
    loss = recon + beta * kl
    update(loss, gan.opt_G, gan.opt_E)
    return {"loss": loss.detach(), "recon": recon.detach(), "kl": kl.detach()}
