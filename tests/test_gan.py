"""ganlab.gan: the GAN's state (one list, round trips, no sharing) and its checks at the door."""

import copy
import io

import pytest
import torch
from torch import nn

import ganlab
from ganlab import nets
from ganlab.data import pattern1010

DATA = pattern1010(256, generator=torch.Generator().manual_seed(0))


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


# --- the GAN's state ----------------------------------------------------------------------------


def train_to(gan, steps):
    return ganlab.train(gan, DATA, batch_size=16, steps=steps, progress=False)


def test_gan_state_dict_round_trip_continues_bit_identically(make_toy_gan):
    straight = make_toy_gan(seed=1)
    train_to(straight, 15)
    snapshot, rng = copy.deepcopy(straight.state_dict()), torch.get_rng_state()
    train_to(straight, 30)

    restored = make_toy_gan(seed=99)  # other weights, fixed noise and data seed
    restored.load_state_dict(snapshot)
    assert restored.step == 15 and restored.batches_seen == 15 and len(restored.history) == 15
    torch.set_rng_state(rng)  # the noise draws continue as they did
    train_to(restored, 30)

    assert same(params(straight.G), params(restored.G)) and same(params(straight.D), params(restored.D))
    frame = straight.history.frame
    assert frame.equals(restored.history.frame.assign(seconds=frame.seconds))  # all but wall-clock time
    assert torch.equal(straight.fixed_z, restored.fixed_z) and straight.data_seed == restored.data_seed
    for a, b in zip(straight.opt_D.state.values(), restored.opt_D.state.values()):
        assert all(torch.equal(a[k], b[k]) for k in ("step", "exp_avg", "exp_avg_sq"))


def test_gan_load_state_dict_shares_no_tensors_with_its_source(make_toy_gan):
    source = make_toy_gan(seed=1)
    train_to(source, 5)
    copy_ = make_toy_gan(seed=2)
    copy_.load_state_dict(source.state_dict())  # a live state, not a saved one
    before = copy.deepcopy(copy_.state_dict())
    train_to(source, 10)  # the source trains on: the copy must not move with it
    after = copy_.state_dict()
    for name in ("G", "D"):
        assert all(torch.equal(before[name][k], after[name][k]) for k in before[name])
    for name in ("opt_G", "opt_D"):
        for i, slot in before[name]["state"].items():
            assert all(torch.equal(v, after[name]["state"][i][k]) for k, v in slot.items()), (name, i)


def test_gan_state_dict_is_weights_only_safe(make_toy_gan):
    gan = make_toy_gan()
    ganlab.train(gan, pattern1010, steps=4, snapshot_every=2, progress=False)
    buffer = io.BytesIO()
    torch.save(gan.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # raises if anything needs unpickling code
    assert {"G", "D", "opt_G", "opt_D", "history", "step", "batches_seen",
            "data_seed", "fixed_z", "fixed_labels"} == set(state)
    assert state["step"] == 4 and len(state["history"]["snapshots"]) == 2


def test_gan_conditional_g_requires_fixed_labels():
    G = nets.mlp_generator(4, (8,), (2,), num_labels=3)
    with pytest.raises(ValueError, match="fixed_labels"):
        ganlab.GAN(G, nets.mlp_discriminator((2,), (8,), num_labels=3), ganlab.adam(G), ganlab.adam(G),
                   latent_dim=4)


def test_gan_g_built_for_another_latent_dim_says_so_before_training():
    G = nets.mlp_generator(16, (8,), (2,))
    with pytest.raises(ValueError, match=r"G cannot take z of shape \(batch, 100\).*latent_dim"):
        ganlab.GAN(G, nets.mlp_discriminator((2,), (8,)), ganlab.adam(G), ganlab.adam(G), latent_dim=100)


def test_gan_latent_dim_check_moves_no_statistics_and_no_random_numbers():
    G, D = nets.mlp_generator(4, (8,), (2,), norm=nn.BatchNorm1d), nets.mlp_discriminator((2,), (8,))
    stats, rng = copy.deepcopy(G.state_dict()), torch.get_rng_state()
    ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=4, fixed_z=torch.zeros(2, 4), data_seed=0)
    assert all(torch.equal(v, G.state_dict()[k]) for k, v in stats.items())
    assert torch.equal(rng, torch.get_rng_state()) and G.training


def test_gan_with_an_encoder_keeps_it_in_its_state_and_restores_it():
    def vae_like():
        G, E = nets.mlp_generator(2, (8,), (3,)), nn.Linear(3, 2)
        return ganlab.GAN(G, None, ganlab.adam(G), None, latent_dim=2, E=E, opt_E=ganlab.adam(E))

    gan, other = vae_like(), vae_like()
    assert {"G", "E", "opt_G", "opt_E"} <= set(gan.state_dict()) and "D" not in gan.state_dict()
    assert gan.players() == [gan.G, gan.E]
    other.load_state_dict(gan.state_dict())
    assert same(params(other.E), params(gan.E))
    G = nets.mlp_generator(2, (8,), (3,))
    no_encoder = ganlab.GAN(G, None, ganlab.adam(G), None, latent_dim=2)
    with pytest.raises(ValueError, match="holds E, but this GAN has none"):
        no_encoder.load_state_dict(gan.state_dict())


def test_gan_optimisers_must_hold_their_own_players_parameters():
    G, D = nets.mlp_generator(2, (8,), (3,)), nets.mlp_discriminator((3,), (8,))
    with pytest.raises(ValueError, match=r"opt_G holds none of G's parameters.*swapped"):
        ganlab.GAN(G, D, ganlab.adam(D), ganlab.adam(G), latent_dim=2)


def test_gan_generate_uses_eval_mode_and_restores_training():
    G = nets.mlp_generator(4, (8,), (2,), norm=nn.BatchNorm1d)
    D = nets.mlp_discriminator((2,), (8,))
    gan = ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=4)
    G.train()
    z = torch.randn(5, 4)
    torch.testing.assert_close(gan.generate(z=z)[:1], gan.generate(z=z[:1]))  # batch norm in eval mode
    assert G.training and gan.generate(3).shape == (3, 2)
    other = nets.mlp_generator(4, (8,), (2,))  # e.g. an EMA copy: the same z, another generator
    torch.testing.assert_close(gan.generate(z=z, G=other), other.eval()(z))


def test_adam_uses_paper_settings():
    opt = ganlab.adam(nn.Linear(2, 2))
    assert opt.defaults["lr"] == 2e-4 and opt.defaults["betas"] == (0.5, 0.999)
