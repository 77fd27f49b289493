"""ganlab.vae: the KL against closed forms, the reparameterisation against its moments and
gradients, the step against a hand computation, and a VAE trained end to end by ganlab.train."""

import functools

import pytest
import torch
from torch.distributions import Normal, kl_divergence

import ganlab
from ganlab import vae


def tiny_vae(latent_dim=3, *, width=4, lr=1e-3, seed=0):
    torch.manual_seed(seed)
    E, G = vae.conv_vae(latent_dim, width=width)
    return ganlab.GAN(G, None, ganlab.adam(G, lr=lr), None, latent_dim=latent_dim, E=E,
                      opt_E=ganlab.adam(E, lr=lr), n_fixed=4)


def digits(n=32, seed=0):
    """Stand-in 'digits' in [-1, 1]: a bright square at a random place on a dark ground."""
    g = torch.Generator().manual_seed(seed)
    x = -torch.ones(n, 1, 28, 28)
    for i, (r, c) in enumerate(torch.randint(0, 20, (n, 2), generator=g).tolist()):
        x[i, 0, r : r + 8, c : c + 8] = 1.0
    return x


def test_gaussian_kl_matches_torch_closed_form_and_is_zero_at_the_prior():
    mu, logvar = torch.randn(5, 4), torch.randn(5, 4)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(vae.gaussian_kl(mu, logvar), expected, atol=1e-5)
    assert torch.equal(vae.gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))


def test_gaussian_kl_matches_a_monte_carlo_estimate():
    mu, logvar = torch.tensor([[0.8, -0.3]]), torch.tensor([[-1.0, 0.5]])
    q = Normal(mu, (0.5 * logvar).exp())
    torch.manual_seed(0)
    z = q.sample((200_000,))  # (200000, 1, 2)
    mc = (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1).mean()  # E_q[ln q(z) − ln p(z)]
    assert abs(float(mc) - float(vae.gaussian_kl(mu, logvar))) < 0.02


def test_reparameterise_has_the_right_moments_and_passes_gradients_to_mu_and_sigma():
    torch.manual_seed(0)
    mu = torch.tensor([[1.5, -2.0]]).expand(100_000, 2).clone().requires_grad_(True)
    logvar = torch.tensor([[0.0, 2 * torch.log(torch.tensor(0.5))]]).expand(100_000, 2).clone()
    logvar.requires_grad_(True)
    z = vae.reparameterise(mu, logvar)
    assert torch.allclose(z.mean(0), torch.tensor([1.5, -2.0]), atol=0.02)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 0.5]), atol=0.01)
    z.sum().backward()  # dz/dμ = 1, dz/d(ln σ²) = ½ σ ε = ½ (z − μ)
    assert torch.equal(mu.grad, torch.ones_like(mu))
    assert torch.allclose(logvar.grad, 0.5 * (z - mu).detach(), atol=1e-6)


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_encoder_gives_mu_and_logvar_and_the_decoder_images(size, channels):
    E, G = vae.conv_vae(5, size=size, channels=channels, width=4)
    mu, logvar = E(torch.zeros(2, channels, size, size))
    assert mu.shape == logvar.shape == (2, 5)
    assert G(mu).shape == (2, channels, size, size)


def test_vae_step_is_recon_sum_plus_beta_kl_and_updates_e_and_g():
    gan, real = tiny_vae(), digits(8)
    with torch.no_grad():
        mu, logvar = gan.E(real)
    E_before = [p.detach().clone() for p in gan.E.parameters()]
    G_before = [p.detach().clone() for p in gan.G.parameters()]
    torch.manual_seed(1)
    eps = torch.randn_like(mu)  # the ε the step will draw
    with torch.no_grad():
        z = mu + (0.5 * logvar).exp() * eps
        recon = (gan.G(z) - real).pow(2).sum((1, 2, 3)).mean()  # summed over pixels, not averaged
        kl = (0.5 * (mu**2 + logvar.exp() - 1 - logvar)).sum(1).mean()
    torch.manual_seed(1)
    stats = vae.vae_step(gan, iter([(real, None)]), beta=0.25)
    assert torch.allclose(stats["recon"], recon, rtol=1e-5) and torch.allclose(stats["kl"], kl, rtol=1e-5)
    assert torch.allclose(stats["loss"], recon + 0.25 * kl, rtol=1e-5)
    assert all(not torch.equal(a, b) for a, b in zip(E_before, gan.E.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(G_before, gan.G.parameters()))


def test_beta_zero_leaves_only_the_reconstruction():
    gan, real = tiny_vae(), digits(8)
    torch.manual_seed(2)
    stats = vae.vae_step(gan, iter([(real, None)]), beta=0.0)
    assert torch.equal(stats["loss"], stats["recon"]) and stats["kl"] > 0


def test_a_vae_trains_through_ganlab_train_without_a_d(tmp_path):
    """GAN(D=None, E=...) goes through train, the NaN guard, checkpoints and generate; its loss falls."""
    gan = tiny_vae(lr=3e-3)
    data = torch.utils.data.TensorDataset(digits(64))
    step = functools.partial(vae.vae_step, beta=1.0)
    history = ganlab.train(gan, data, step=step, batch_size=16, steps=60, progress=False,
                           checkpoint=tmp_path / "vae.pt", snapshot_every=30)
    frame = history.frame
    assert list(frame.columns[:4]) == ["step", "loss", "recon", "kl"] and len(frame) == 60
    assert frame["loss"].iloc[-10:].mean() < 0.7 * frame["loss"].iloc[:10].mean()
    samples = gan.generate(5)
    assert samples.shape == (5, 1, 28, 28) and samples.abs().max() <= 1
    again = tiny_vae(seed=1)
    ganlab.load_checkpoint(again, tmp_path / "vae.pt")
    assert again.step == 60
    assert all(torch.equal(a, b) for a, b in zip(again.E.parameters(), gan.E.parameters()))
