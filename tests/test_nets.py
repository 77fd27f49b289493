"""ganlab.nets: the MLP and conv families, plain and conditional, against shapes,
closed forms (projection head, parameter counts) and the DCGAN paper's rules."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganlab import nets

LATENT = 8
SIZES = [(28, 1), (32, 3), (64, 3)]


def labels_for(kind, n):
    if kind == "classes":  # MNIST: class ids (B,)
        return torch.arange(n) % 10, 10
    return (torch.rand(n, 5) < 0.5).float(), 5  # faces: 0/1 attributes (B, K)


def pair(family, size, channels, num_labels=0, **kwargs):
    """(G, D) of one family for images (channels, size, size)."""
    if family == "mlp":
        shape = (channels, size, size)
        return (nets.mlp_generator(LATENT, (32,), shape, num_labels=num_labels),
                nets.mlp_discriminator(shape, (32,), num_labels=num_labels, **kwargs))
    return (nets.conv_generator(LATENT, size=size, channels=channels, width=8, num_labels=num_labels),
            nets.conv_discriminator(size=size, channels=channels, width=8, num_labels=num_labels, **kwargs))


def kind_for(channels):
    return "classes" if channels == 1 else "attributes"


# --- mlp, init_normal, count_params -----------------------------------------------------------


def test_mlp_layer_order_hidden_act_then_norm():
    net = nets.mlp(4, 8, 2, act=nn.ReLU, norm=nn.LayerNorm, out=nn.Sigmoid)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.LayerNorm, nn.Linear, nn.Sigmoid]


def test_mlp_discriminator_layer_order_ends_with_act_then_norm():
    D = nets.mlp_discriminator((2,), (16, 16), act=lambda: nn.LeakyReLU(0.2), norm=nn.LayerNorm)
    kinds = [type(m) for m in D.body]
    assert kinds == [nn.Linear, nn.LeakyReLU, nn.LayerNorm, nn.Linear, nn.LeakyReLU, nn.LayerNorm]
    assert D.head.in_features == 16 and D.embed is None


def test_init_normal_statistics():
    torch.manual_seed(0)
    net = nets.init_normal(nn.Sequential(nn.Linear(500, 500), nn.LayerNorm(500)))
    assert net[0].weight.std().item() == pytest.approx(0.02, rel=0.02)
    assert net[0].bias.abs().max().item() == 0
    assert net[1].weight.mean().item() == pytest.approx(1.0, abs=0.01)


def test_count_params_counts_trainable_only():
    net = nn.Linear(3, 2)
    assert nets.count_params(net) == 8
    net.bias.requires_grad_(False)
    assert nets.count_params(net) == 6


# --- labels -------------------------------------------------------------------------------------


def test_label_code_one_hot_for_class_ids_and_identity_for_attributes():
    y = torch.tensor([3, 0, 9])
    torch.testing.assert_close(nets.label_code(y, 10), F.one_hot(y, 10).float())
    attrs = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    torch.testing.assert_close(nets.label_code(attrs, 3), attrs)
    with pytest.raises(ValueError, match=r"\(B, 4\)"):
        nets.label_code(attrs, 4)


def test_label_rows_one_row_per_class():
    assert nets.label_rows([2, 7], 3).tolist() == [2, 2, 2, 7, 7, 7]


# --- the four families: mlp/conv × plain/conditional, sizes 28, 32, 64 --------------------------


@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "conditional"])
@pytest.mark.parametrize("family", ["mlp", "conv"])
@pytest.mark.parametrize(("size", "channels"), SIZES)
def test_nets_families_shapes_tanh_range_and_raw_scores(family, conditional, size, channels):
    torch.manual_seed(0)
    y, k = labels_for(kind_for(channels), 16) if conditional else (None, 0)
    G, D = pair(family, size, channels, num_labels=k)
    args = (y,) if conditional else ()
    fake = G(torch.randn(16, LATENT), *args)
    assert fake.shape == (16, channels, size, size)
    assert fake.min() >= -1 and fake.max() <= 1  # tanh output
    scores = D(torch.randn(16, channels, size, size), *args)
    assert scores.shape == (16,)  # one raw score per sample
    assert (scores < 0).any() and (scores > 0).any()  # a sigmoid could never give both signs
    assert not any(isinstance(m, nn.Sigmoid) for m in D.modules())
    assert isinstance(G, nets.Generator) and isinstance(D, nets.Discriminator)
    assert (D.embed is not None) == conditional


@pytest.mark.parametrize("family", ["mlp", "conv"])
@pytest.mark.parametrize(("size", "channels"), SIZES)
def test_nets_conditional_label_changes_output(family, size, channels):
    torch.manual_seed(0)
    kind = kind_for(channels)
    y, k = labels_for(kind, 4)
    other = (y + 1) % 10 if kind == "classes" else 1 - y
    G, D = pair(family, size, channels, num_labels=k)
    G.eval()  # batch norm in eval mode: the only difference left is the label
    D.eval()
    z = torch.randn(4, LATENT)
    same_z = G(z, y), G(z, other)
    assert (same_z[0] - same_z[1]).flatten(1).abs().amax(1).min() > 1e-6  # every row moved
    x = torch.randn(4, channels, size, size)
    assert (D(x, y) - D(x, other)).abs().min() > 1e-7
    torch.testing.assert_close(G(z, y), same_z[0])  # and it is deterministic


@pytest.mark.parametrize("family", ["mlp", "conv"])
def test_nets_conditional_without_projection_still_reads_the_label(family):
    torch.manual_seed(0)
    G, D = pair(family, 28, 1, num_labels=10, projection=False)
    D.eval()
    assert D.embed is None
    x, y = torch.randn(4, 1, 28, 28), torch.arange(4)
    assert (D(x, y) - D(x, (y + 1) % 10)).abs().min() > 1e-7  # the label still enters as input


def test_nets_projection_head_matches_closed_form_mlp():
    torch.manual_seed(0)
    D = nets.mlp_discriminator((1, 4, 4), (5,), num_labels=3)
    x, y = torch.randn(2, 1, 4, 4), torch.tensor([2, 0])
    phi = D.body(torch.cat([x.flatten(1), F.one_hot(y, 3).float()], 1))  # (2, 5)
    V, psi, b = D.embed.weight, D.head.weight[0], D.head.bias  # V: (5, 3)
    expected = phi @ psi + b + (phi * V[:, y].T).sum(1)  # ψ·φ + b + ⟨V e_y, φ⟩
    torch.testing.assert_close(D(x, y), expected)
    plain = nets.mlp_discriminator((1, 4, 4), (5,), num_labels=3, projection=False)
    assert plain.embed is None
    phi = plain.body(torch.cat([x.flatten(1), F.one_hot(y, 3).float()], 1))
    torch.testing.assert_close(plain(x, y), phi @ plain.head.weight[0] + plain.head.bias)


def test_nets_projection_head_matches_closed_form_conv_with_label_maps():
    torch.manual_seed(0)
    D = nets.conv_discriminator(size=28, channels=1, width=4, num_labels=5).eval()
    x, y = torch.randn(3, 1, 28, 28), (torch.rand(3, 5) < 0.5).float()
    maps = y[:, :, None, None].expand(-1, -1, 28, 28)  # K constant maps stacked onto the channels
    phi = D.body(torch.cat([x, maps], 1))  # (3, 2w·7·7)
    expected = phi @ D.head.weight[0] + D.head.bias + (phi * (y @ D.embed.weight.T)).sum(1)
    torch.testing.assert_close(D(x, y), expected)


@pytest.mark.parametrize(("size", "start"), [(28, 7), (32, 4), (64, 4)])
def test_conv_discriminator_head_is_the_final_conv_of_dcgan(size, start):
    """The Linear read-out on the flattened (C, s, s) maps is an s×s convolution to one channel."""
    torch.manual_seed(0)
    D = nets.conv_discriminator(size=size, channels=3, width=4).eval()
    x = torch.randn(5, 3, size, size)
    maps = D.body[:-1](x)  # (B, C, s, s), before the Flatten
    assert maps.shape[-2:] == (start, start)
    kernel = D.head.weight.view(1, maps.shape[1], start, start)
    torch.testing.assert_close(D(x), F.conv2d(maps, kernel, D.head.bias).flatten())


# --- the DCGAN rules, sizes, initialisation, parameter counts -----------------------------------


@pytest.mark.parametrize("size,sides", [(28, [7, 14, 28]), (32, [4, 8, 16, 32]), (64, [4, 8, 16, 32, 64])])
def test_conv_generator_doubles_the_side_each_block(size, sides):
    G = nets.conv_generator(10, size=size, channels=3, width=4)
    x, seen = torch.randn(2, 10), []
    for layer in G.body:
        x = layer(x)
        if isinstance(layer, (nn.Sequential, nn.ConvTranspose2d)):
            seen.append(x.shape[-1])
    assert seen == sides


@pytest.mark.parametrize("size,sides", [(28, [14, 7]), (32, [16, 8, 4]), (64, [32, 16, 8, 4])])
def test_conv_discriminator_halves_the_side_each_block(size, sides):
    D = nets.conv_discriminator(size=size, channels=3, width=4)
    x, seen = torch.randn(2, 3, size, size), []
    for layer in D.body[:-1]:
        x = layer(x)
        seen.append(x.shape[-1])
    assert seen == sides


@pytest.mark.parametrize("num_labels", [0, 10])
def test_conv_nets_follow_the_dcgan_paper_rules(num_labels):
    G = nets.conv_generator(100, size=64, channels=3, width=8, num_labels=num_labels)
    D = nets.conv_discriminator(size=64, channels=3, width=8, num_labels=num_labels)
    kinds = {type(m) for m in [*G.modules(), *D.modules()]}
    assert not kinds & {nn.MaxPool2d, nn.AvgPool2d}  # strided convs only
    assert not any(isinstance(m, nn.Linear) for m in G.modules())  # no FC layers in G
    # D's only Linear layers are its read-out (the final conv) and the projection: none hidden
    linears = [m for m in D.modules() if isinstance(m, nn.Linear)]
    assert linears == [D.head] + ([D.embed] if num_labels else [])
    assert not any(isinstance(m, nn.Linear) for m in D.body.modules())
    assert isinstance(G.body[-1], nn.Tanh) and isinstance(G.body[-2], nn.ConvTranspose2d)  # no BN on output
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.body[0])  # no BN on D's input layer
    assert all(any(isinstance(m, nn.BatchNorm2d) for m in block) for block in D.body[1:-1])
    assert {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)} == {0.2}
    assert any(isinstance(m, nn.ReLU) for m in G.modules())


@pytest.mark.parametrize("size", [30, 12, 4, 7, 0])
def test_conv_nets_reject_other_sizes(size):
    with pytest.raises(ValueError, match="size"):
        nets.conv_generator(100, size=size)
    with pytest.raises(ValueError, match="size"):
        nets.conv_discriminator(size=size)


@pytest.mark.parametrize(("size", "expected"), [(28, (7, 2)), (8, (4, 1)), (16, (4, 2)), (32, (4, 3)),
                                                (64, (4, 4))])
def test_plan_start_side_and_steps(size, expected):
    assert nets.plan(size) == expected
    start, steps = expected
    assert start * 2**steps == size


def test_up_and_down_blocks_double_and_halve_the_side():
    x = torch.randn(2, 6, 5, 5)
    assert nets.up_block(6, 4)(x).shape == (2, 4, 10, 10)
    assert nets.down_block(6, 4)(x[..., :4, :4]).shape == (2, 4, 2, 2)
    assert nets.down_block(6, 4, norm=None)[0].bias is not None  # no norm: the conv keeps its bias
    assert nets.down_block(6, 4)[0].bias is None  # batch norm's shift replaces it
    assert nets.up_block(6, 4)[0].bias is None


def test_map_layer_norm_normalises_each_sample_over_c_h_w():
    norm = nets.map_layer_norm(4)
    with torch.no_grad():
        norm.weight.fill_(1.0)
        norm.bias.zero_()
    x = torch.randn(3, 4, 5, 5) * 7 + 2
    torch.testing.assert_close(norm(x), F.layer_norm(x, x.shape[1:]), atol=1e-5, rtol=1e-5)


def test_conv_nets_init_statistics():
    torch.manual_seed(0)
    G = nets.conv_generator(100, size=64, channels=3, width=32)
    weights = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    scales = torch.cat([m.weight for m in G.modules() if isinstance(m, nn.BatchNorm2d)])
    assert weights.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert weights.std().item() == pytest.approx(0.02, rel=0.01)
    assert scales.mean().item() == pytest.approx(1.0, abs=0.01)
    D = nets.conv_discriminator(size=64, channels=3, width=32, num_labels=10)
    convs = torch.cat([m.weight.flatten() for m in D.modules() if isinstance(m, nn.Conv2d)])
    assert convs.std().item() == pytest.approx(0.02, rel=0.01)
    assert D.head.bias.abs().max().item() == 0


def test_conv_nets_param_counts_match_closed_form():
    w, z = 8, 100
    G = nets.conv_generator(z, size=28, channels=1, width=w)
    D = nets.conv_discriminator(size=28, channels=1, width=w)
    # G: ConvT(z, 2w, 7) + BN(2w), ConvT(2w, w, 4) + BN(w), ConvT(w, 1, 4) with bias
    assert nets.count_params(G) == z * 2 * w * 49 + 4 * w + 2 * w * w * 16 + 2 * w + w * 16 + 1
    # D: Conv(1, w, 4) with bias, Conv(w, 2w, 4) + BN(2w), read-out Linear(2w·7·7, 1) = Conv(2w, 1, 7)
    assert nets.count_params(D) == 16 * w + w + w * 2 * w * 16 + 4 * w + 2 * w * 49 + 1
    big = nets.conv_generator(100, size=64, channels=3, width=64)
    assert 3.0e6 < nets.count_params(big) < 4.0e6  # the paper's 64×64 generator: about 3.6 M


def test_conv_nets_conditional_param_counts_match_closed_form():
    w, z, k = 8, 100, 10
    G = nets.conv_generator(z, size=28, channels=1, width=w, num_labels=k)
    D = nets.conv_discriminator(size=28, channels=1, width=w, num_labels=k)
    # G sees [z, one-hot]: only the first ConvT grows
    assert nets.count_params(G) == (z + k) * 2 * w * 49 + 4 * w + 2 * w * w * 16 + 2 * w + w * 16 + 1
    # D sees 1 + K channels; the projection V is (2w·7·7, K)
    assert nets.count_params(D) == (16 * (1 + k) * w + w + w * 2 * w * 16 + 4 * w + 2 * w * 49 + 1
                                    + k * 2 * w * 49)


def test_mlp_nets_param_counts_match_closed_form():
    h, z, k, n = 32, 8, 10, 784
    G = nets.mlp_generator(z, (h,), (1, 28, 28), num_labels=k)
    D = nets.mlp_discriminator((1, 28, 28), (h,), num_labels=k)
    assert nets.count_params(G) == (z + k) * h + h + h * n + n
    assert nets.count_params(D) == (n + k) * h + h + h + 1 + k * h  # body, head, projection


# --- critics: each sample scored alone -----------------------------------------------------------


@pytest.mark.parametrize("num_labels", [0, 10])
@pytest.mark.parametrize("norm", [None, nets.map_layer_norm], ids=["no_norm", "map_layer_norm"])
def test_conv_critic_scores_each_sample_alone(norm, num_labels):
    """Without batch norm a sample's score does not depend on the rest of its batch, as a
    WGAN-GP critic's must not."""
    torch.manual_seed(0)
    C = nets.conv_discriminator(size=28, channels=1, width=8, norm=norm, num_labels=num_labels).train()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in C.modules())
    x, y = torch.randn(6, 1, 28, 28), torch.arange(6)
    args = (lambda i: (y[i],)) if num_labels else (lambda i: ())
    torch.testing.assert_close(C(x, *args(slice(None)))[:2], C(x[:2], *args(slice(0, 2))))


def test_conv_discriminator_with_batch_norm_couples_the_batch():
    """The contrast: in training mode batch norm makes a score depend on the batch-mates."""
    torch.manual_seed(0)
    D = nets.conv_discriminator(size=28, channels=1, width=8).train()
    x = torch.randn(6, 1, 28, 28)
    assert (D(x)[:2] - D(x[:2])).abs().max() > 1e-4



def test_evaluating_switches_to_eval_and_restores_each_mode_even_on_error():
    a, b = nn.BatchNorm1d(3), nn.BatchNorm1d(3).eval()
    with pytest.raises(RuntimeError), nets.evaluating(a, b) as inside:
        assert inside == [a, b] and not a.training and not b.training
        raise RuntimeError("a failing cell")
    assert a.training and not b.training  # each back to its own mode
