"""CycleGAN (Zhu et al. 2017): translation between two image domains A and B without pairs.

G: A → B and F: B → A are trained together against D_B (real b or G(a)?) and D_A (real a or
F(b)?). Alone, the game only asks G(a) to look like *some* b; the cycle loss ties it to *this* a:
F(G(a)) ≈ a and G(F(b)) ≈ b. ``GAN(G=Generators(G, F, shape), D=nn.ModuleDict({"a": D_A, "b": D_B}),
opt_G over both generators, opt_D over both discriminators, latent_dim=prod(shape))``;
data: ``unpaired(a, b)``; ``step=cyclegan.step``. ``gan.generate(z=a.flatten(1))`` is G(a)."""

import torch
from torch import nn

from .steps import update


class Residual(nn.Module):
    """x + two 3×3 convs (instance norm): a block that starts as the identity and learns a change."""

    def __init__(self, c):
        super().__init__()
        conv = lambda: nn.Conv2d(c, c, 3, 1, 1, padding_mode="reflect")
        self.body = nn.Sequential(conv(), nn.InstanceNorm2d(c), nn.ReLU(True), conv(), nn.InstanceNorm2d(c))

    def forward(self, x):
        return x + self.body(x)


def generator(*, channels=3, width=16, blocks=2, from_identity=False):
    """The paper's ResNet G, scaled down: (B, C, S, S) -> (w, S) -> (2w, S/2) -> blocks -> (w, S) -> tanh.
    ``from_identity``: G(x) = tanh(atanh(x) + Δ(x)) with Δ's last conv at zero, so G starts as the
    identity map and training learns only the change (a few hundred steps, not tens of thousands)."""
    w, norm = width, nn.InstanceNorm2d
    net = nn.Sequential(nn.Conv2d(channels, w, 5, 1, 2, padding_mode="reflect"), norm(w), nn.ReLU(True),
                        nn.Conv2d(w, 2 * w, 3, 2, 1), norm(2 * w), nn.ReLU(True),
                        *[Residual(2 * w) for _ in range(blocks)],
                        nn.ConvTranspose2d(2 * w, w, 3, 2, 1, output_padding=1), norm(w), nn.ReLU(True),
                        nn.Conv2d(w, channels, 5, 1, 2, padding_mode="reflect"), nn.Tanh())
    if not from_identity:
        return net
    nn.init.zeros_(net[-2].weight), nn.init.zeros_(net[-2].bias)
    return FromIdentity(net[:-1])


class FromIdentity(nn.Module):
    """x -> tanh(atanh(x) + Δ(x)): the change Δ acts before the tanh, so the output stays in (−1, 1)."""

    def __init__(self, change):
        super().__init__()
        self.change = change

    def forward(self, x):
        return torch.tanh(torch.atanh(x.clamp(-0.999, 0.999)) + self.change(x))


def patch_discriminator(*, channels=3, width=32):
    """PatchGAN: (B, C, S, S) -> (B, 1, S/4, S/4), one raw score per overlapping 18×18 patch."""
    return nn.Sequential(nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True),
                         nn.Conv2d(width, 2 * width, 4, 2, 1), nn.InstanceNorm2d(2 * width),
                         nn.LeakyReLU(0.2, True), nn.Conv2d(2 * width, 1, 3, 1, 1))


class Generators(nn.Module):
    """G (``.ab``: A → B) and F (``.ba``: B → A); calling it is G, on images or on flat rows of them."""

    def __init__(self, ab, ba, shape):
        super().__init__()
        self.ab, self.ba, self.shape = ab, ba, tuple(shape)

    def forward(self, x):
        return self.ab(x.reshape(-1, *self.shape))


def unpaired(a, b):
    """A function n -> (n faces of A, n faces of B), each drawn at random on its own: no pairs."""
    pick = lambda x, n: x[torch.randint(len(x), (n,), device="cpu").to(x.device)]
    return lambda n: (pick(a, n), pick(b, n))


def lsq(scores, target):
    """Least squares on raw scores (the paper's LSGAN loss): mean (s − target)²."""
    return (scores - target).pow(2).mean()


def step(gan, batches, *, cycle=10.0, identity=5.0):
    """G and F minimise lsq(D_B(G(a)), 1) + lsq(D_A(F(b)), 1) + cycle·(|F(G(a)) − a| + |G(F(b)) − b|)
    + identity·(|G(b) − b| + |F(a) − a|) (L1: mean absolute difference); then each D minimises
    ½[lsq(D(real), 1) + lsq(D(fake), 0)] on the same fakes, detached. A weight of 0 skips its term."""
    a, b = next(batches)
    G, F, D_A, D_B = gan.G.ab, gan.G.ba, gan.D["a"], gan.D["b"]
    fake_b, fake_a = G(a), F(b)
    adv = lsq(D_B(fake_b), 1) + lsq(D_A(fake_a), 1)
    zero = torch.zeros((), device=a.device)
    cyc = (F(fake_b) - a).abs().mean() + (G(fake_a) - b).abs().mean() if cycle else zero
    idt = (G(b) - b).abs().mean() + (F(a) - a).abs().mean() if identity else zero
    update(adv + cycle * cyc + identity * idt, gan.opt_G)
    loss_D = (lsq(D_B(b), 1) + lsq(D_B(fake_b.detach()), 0)
              + lsq(D_A(a), 1) + lsq(D_A(fake_a.detach()), 0)) / 2
    update(loss_D, gan.opt_D)
    return {"loss_D": loss_D.detach(), "loss_G": adv.detach(),
            "cycle": cyc.detach(), "identity": idt.detach()}

