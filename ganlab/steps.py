"""Training steps: plain functions ``step(gan, batches) -> the numbers to log``.

A step takes real data with ``real, labels = next(batches)`` (labels None for unlabelled data)
as often as it needs, updates the players, and returns a dict of numbers (tensors are fine).
``ganlab.train(gan, data, step=...)`` runs any step; the notebooks write the step they teach and
check it against one of these: ``bce`` (the default; 01, 02, 04), ``mse`` (01, 02), ``hinge``
(07), ``r1`` (02, 04, 06), ``wgan_gp`` (06), ``conditional`` (05). Settings go in with
``functools.partial``: ``step=partial(steps.wgan_gp, n_critic=5)``."""

from .losses import BCE, HINGE, MSE, WGAN, gradient_penalty, r1_penalty
from .paths import at_least


def update(loss, *optimisers):
    """One update of the optimisers' parameters on ``loss``: clear old gradients, back-propagate, step."""
    for opt in optimisers:
        opt.zero_grad(set_to_none=True)
    loss.backward()
    for opt in optimisers:
        opt.step()


def scores(gan, real, *y):
    """D's raw scores (B,) of a real batch and of a fresh fake batch, and the fakes.
    The fakes are detached: D's update must not move G. ``y``: a label batch for G and D."""
    fake = gan.G(gan.sample_z(len(real)), *y).detach()
    return gan.D(real, *y), gan.D(fake, *y), fake


def readouts(loss, real_out, fake_out):
    """What D said, on average: its probability "real" (BCE, MSE) or raw score (critics)."""
    return {"D_real": loss.readout(real_out.detach()).mean(),
            "D_fake": loss.readout(fake_out.detach()).mean()}


def g_update(gan, n, *y, loss=BCE):
    """(2) Update G on n fresh fakes: minimise ``loss.g(D(G(z)))``, i.e. make D call them real.
    The backward pass also fills D's gradients; D's next update clears them first."""
    loss_G = loss.g(gan.D(gan.G(gan.sample_z(n), *y), *y))
    update(loss_G, gan.opt_G)
    return loss_G.detach()


def standard(gan, batches, *, loss=BCE):
    """One D update on a real and a fake batch, then one G update, with ``loss``'s pair
    (``losses.BCE``, ``MSE``, ``HINGE``, ``WGAN``)."""
    real, _ = next(batches)
    real_out, fake_out, _ = scores(gan, real)
    loss_D = loss.d(real_out, fake_out)
    update(loss_D, gan.opt_D)  # (1) update D
    return {"loss_D": loss_D.detach(), **readouts(loss, real_out, fake_out),
            "loss_G": g_update(gan, len(real), loss=loss)}


def bce(gan, batches):
    """The GAN game (Goodfellow et al. 2014) with the non-saturating G loss, s = D's raw score:

    (1) D minimises −½[ln σ(s(x)) + ln(1 − σ(s(G(z))))]: "real" for data, "fake" for G's samples;
    (2) G minimises −ln σ(s(G(z))), not ln(1 − σ(s(G(z)))): the same goal, but with strong
        gradients while D still rejects every fake."""
    return standard(gan, batches, loss=BCE)


def mse(gan, batches):
    """Least squares on D's probability p = σ(s), the seed book's first GAN:
    D minimises ½[(p(x) − 1)² + p(G(z))²], G minimises (p(G(z)) − 1)²."""
    return standard(gan, batches, loss=MSE)


def hinge(gan, batches):
    """The hinge game (SNGAN, SAGAN): D minimises E[max(0, 1 − s(x))] + E[max(0, 1 + s(G(z)))],
    G minimises −E[s(G(z))]. Scores already past their margin teach D nothing more."""
    return standard(gan, batches, loss=HINGE)


def r1(gan, batches, *, gamma=10.0, every=1):
    """``bce`` with the R1 penalty (Mescheder et al. 2018) in D's loss: + γ/2·E‖∇ₓs(x)‖² on real x.
    Zero-centred: D is pushed to be flat where the data are, so it cannot build steep walls around
    them and the game settles instead of circling. Lazy (StyleGAN2): with ``every`` = k the penalty
    is paid on every k-th step only, weighted k·γ/2: the same on average, for 1/k of the cost."""
    at_least(gamma, "gamma", 0, "the R1 weight γ ≥ 0 (10 for images in Mescheder et al.; 0 turns it off)")
    at_least(every, "every", 1, "a whole number ≥ 1 of steps between penalties (1: every step)")
    real, _ = next(batches)
    real_out, fake_out, _ = scores(gan, real)
    loss_D = loss_logged = BCE.d(real_out, fake_out)
    stats = {}
    if gan.step % every == 0:
        penalty = r1_penalty(gan.D, real)
        loss_D = loss_D + gamma * every / 2 * penalty
        stats["r1"] = penalty.detach()
    update(loss_D, gan.opt_D)
    return {"loss_D": loss_logged.detach(), **stats, **readouts(BCE, real_out, fake_out),
            "loss_G": g_update(gan, len(real))}


def wgan_gp(gan, batches, *, n_critic=5, gp_weight=10.0):
    """WGAN-GP, Algorithm 1 of Gulrajani et al. (2017): ``n_critic`` critic updates, then one G update.

    critic C: minimise E[C(x̃)] − E[C(x)] + λ·E[(‖∇C(x̂)‖₂ − 1)²], x̃ = G(z), x̂ = εx + (1 − ε)x̃,
              each on a fresh real batch (λ = ``gp_weight``, 10 in the paper);
    G:        minimise −E[C(G(z))]. Logs the last critic update's numbers."""
    at_least(n_critic, "n_critic", 1, "a whole number ≥ 1 of critic updates per G update (5 in the paper)")
    at_least(gp_weight, "gp_weight", 0, "the penalty weight λ ≥ 0 (10 in the paper)")
    for _ in range(n_critic):
        real, _ = next(batches)
        real_out, fake_out, fake = scores(gan, real)
        loss_C = WGAN.d(real_out, fake_out)
        gp, norms = gradient_penalty(gan.D, real, fake)
        update(loss_C + gp_weight * gp, gan.opt_D)
    return {"loss_D": loss_C.detach(), "gp": gp.detach(), "grad_norm": norms.detach().mean(),
            **readouts(WGAN, real_out, fake_out), "loss_G": g_update(gan, len(real), loss=WGAN)}


def conditional(gan, batches, *, loss=BCE):
    """The game with labels: G(z, y) must make a sample of class y, D(x, y) asks "real, *and*
    of class y?". The labels come with the real batch, so G is asked for each class as often
    as the data hold it, and D sees every real sample with its own label."""
    real, y = next(batches)
    real_out, fake_out, _ = scores(gan, real, y)
    loss_D = loss.d(real_out, fake_out)
    update(loss_D, gan.opt_D)
    return {"loss_D": loss_D.detach(), **readouts(loss, real_out, fake_out),
            "loss_G": g_update(gan, len(real), y, loss=loss)}

