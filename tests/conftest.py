import pytest
import torch
from torch import nn

import ganlab
from ganlab.nets import mlp


def toy_gan(*, seed=0, lr=0.05, **kwargs):
    """The 1010-pattern GAN of notebook 01: tiny and fast, for loop tests."""
    ganlab.seed_everything(seed)
    G = mlp(1, 3, 4, act=nn.Sigmoid, out=nn.Sigmoid)
    D = nn.Sequential(mlp(4, 3, 1, act=nn.Sigmoid), nn.Flatten(0))
    opt_G = torch.optim.Adam(G.parameters(), lr=lr)
    opt_D = torch.optim.Adam(D.parameters(), lr=lr)
    return ganlab.GAN(G, D, opt_G, opt_D, latent_dim=1, noise=torch.rand, **kwargs)


@pytest.fixture
def make_toy_gan():
    return toy_gan


@pytest.fixture(scope="session")
def judge_root(tmp_path_factory):
    """A data folder for judges in tmp: the shared MNIST linked in, the judge caches written here."""
    mnist = ganlab.data_root() / "MNIST"
    if not (mnist / "raw").is_dir():
        pytest.skip(f"MNIST is not under {ganlab.data_root()}: run `make data`")
    root = tmp_path_factory.mktemp("judges")
    (root / "MNIST").symlink_to(mnist.resolve(), target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def mnist_judge(judge_root):
    """The quick digit judge, trained once per session into ``judge_root`` (~15-30 s)."""
    return ganlab.judges.mnist_judge(quick=True, root=judge_root, verbose=False)


@pytest.fixture(scope="session")
def face_judge(judge_root):
    """The quick face judge, trained once per session into ``judge_root`` (~10-15 s)."""
    return ganlab.judges.face_judge(quick=True, root=judge_root, verbose=False)


@pytest.fixture(scope="session")
def mnist_test(judge_root):
    """MNIST's test split (images in [-1, 1], labels), read through ``judge_root``'s link."""
    return ganlab.data.mnist(judge_root, train=False).tensors
