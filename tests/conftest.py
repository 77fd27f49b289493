import os

import pytest
import torch
from torch import nn

import ganlab
from ganlab.nets import mlp

# Under CI every test must run: a skip there is a failure, unless the test needs hardware the
# machine lacks and says so (the needs_gpu marker, or a reason starting with one of these).
HARDWARE = ("needs a GPU", "needs a machine without")


def under_ci():
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_gpu: runs only where torch sees a CUDA GPU (skipped elsewhere, "
                                       "CI included)")


def pytest_runtest_setup(item):
    if item.get_closest_marker("needs_gpu") and not torch.cuda.is_available():
        pytest.skip("needs a GPU: torch sees no CUDA device here")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.skipped and under_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if not reason.startswith(HARDWARE):
            report.outcome = "failed"
            report.longrepr = (f"skipped under CI, where every test must run: {reason}. Make what it needs "
                               "before the tests (make test runs make data), or, if it needs hardware this "
                               "machine lacks, give it a reason starting 'needs a GPU' (or @needs_gpu)")


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
        pytest.skip(f"MNIST is not under {ganlab.data_root()}: run `make data` (make test does)")
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
