"""The convolutional benchmark cases, built from ganlab's own models (default widths)."""

import ganlab


def _dcgan(size, channels):
    def build():
        return (ganlab.dcgan.dcgan_generator(100, size=size, channels=channels),
                ganlab.dcgan.dcgan_discriminator(size=size, channels=channels))
    return build


def _wgan_gp28():
    return (ganlab.dcgan.dcgan_generator(100, size=28, channels=1),
            ganlab.critics.conv_critic(size=28, channels=1))


def conv_cases(Case):
    """DCGAN-28 (MNIST), DCGAN-64 (faces), and WGAN-GP-28 as in Algorithm 1 of Gulrajani et al.:
    n_critic 5, λ 10, Adam(1e-4, (0, 0.9))."""
    return [Case("DCGAN-28", _dcgan(28, 1), (1, 28, 28), 100),
            Case("DCGAN-64", _dcgan(64, 3), (3, 64, 64), 100),
            Case("WGAN-GP-28", _wgan_gp28, (1, 28, 28), 100, loss=ganlab.WGAN, n_critic=5,
                 gp_weight=10.0, lr=1e-4, betas=(0.0, 0.9))]
