"""Pre-flight check for a workshop laptop: ``make doctor`` (``python tools/doctor.py``).

Prints one table, then ``ready`` or exactly what to fix, and exits 1 if something needs fixing.
"""

import importlib.metadata
import shutil
import sys
import time
from collections import namedtuple
from pathlib import Path

if not __package__:  # run by path (make doctor): the table appears even if `import ganlab` fails
    sys.path[0] = str(Path(__file__).resolve().parents[1])

PACKAGES = ("torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "h5py")
OPTIONAL = ("jupyterlab",)  # make lab installs it; Colab and VS Code do without
# Full-mode seconds per notebook: docs/results.md's "What a run costs" table (CPU seconds of one
# full cpu-profile run, one torch thread, 2026-12-08). tests/test_doctor.py keeps the two equal.
REFERENCE_SECONDS = {"01_pattern_1010": 15, "02_mnist_gan": 182, "03_celeba_faces": 279,
                     "04_dcgan": 157, "05_conditional_gan": 226, "06_wgan_gp": 280,
                     "07_sagan": 201, "08_anomaly_detection": 220, "09_vae_vs_gan": 121,
                     "10_cyclegan": 137}
# probe() on an idle 2-core AMD EPYC, one thread: the median of six five-second runs
# (10,500-12,300) on 2026-12-04.
REFERENCE_IMAGES_PER_S = 11_300
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MIN_FREE_GB = 2.0  # CelebA's zip and cache, checkpoints, classifier caches
REGISTER = "-m ipykernel install --user --name ganlab --display-name 'Python (ganlab)'"


Row = namedtuple("Row", "check result fix", defaults=("",))  # fix: what to do; "" when fine


def version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def version_rows():
    ok = sys.version_info >= (3, 10)
    rows = [Row("python", sys.version.split()[0], "" if ok else "install Python 3.10 or newer")]
    for name in PACKAGES + OPTIONAL:
        found, optional = version(name), name in OPTIONAL
        result = found or ("not installed (only make lab needs it)" if optional else "missing")
        rows.append(Row(name, result, "" if found or optional else f"make lab (or pip install {name})"))
    return rows


def torchvision_row():
    try:  # a real op: a torchvision built for another torch fails here, not in notebook 03
        import torch
        import torchvision

        boxes, scores = torch.tensor([[0.0, 0.0, 1.0, 1.0]] * 2), torch.tensor([0.9, 0.8])
        assert torchvision.ops.nms(boxes, scores, 0.5).tolist() == [0]
        return Row("torch + torchvision", "work together (ops.nms)")
    except Exception as err:  # any failure here means the same fix
        return Row("torch + torchvision", f"broken: {str(err).splitlines()[0][:60]}",
                   "reinstall them as a pair: pip install --force-reinstall torch torchvision")


def device_row(ganlab):
    import torch

    try:  # pick_device raises, with the fix, on a GANLAB_DEVICE typo or a missing GPU
        device = ganlab.pick_device(verbose=False)
        torch.ones(2, device=device).sum().item()  # the device answers, not just exists
        return Row("device", str(device)), device
    except Exception as err:
        return Row("device", f"error: {str(err).splitlines()[0][:60]}",
                   "unset GANLAB_DEVICE, or set it to cpu, cuda, cuda:1 or mps"), None


def probe(ganlab, device, seconds=5.0):
    """Images per second of an MNIST-sized MLP GAN step (G 100→200→784, D 784→200→1, batch 64)."""
    import torch
    from torch import nn

    G = nn.Sequential(nn.Linear(100, 200), nn.LeakyReLU(0.2), nn.Linear(200, 784), nn.Tanh()).to(device)
    D = nn.Sequential(nn.Linear(784, 200), nn.LeakyReLU(0.2), nn.Linear(200, 1), nn.Flatten(0)).to(device)
    opt_G, opt_D = (torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D))
    gan = ganlab.GAN(G, D, opt_G, opt_D, latent_dim=100)
    real = torch.rand(64 * 16, 784) * 2 - 1  # random "images": speed, not quality
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)  # as the notebooks (and the reference run) train on a CPU
    try:
        ganlab.train(gan, real, steps=5, progress=False)  # warm-up
        first, start = gan.step, time.perf_counter()
        while time.perf_counter() - start < seconds:
            ganlab.train(gan, real, steps=gan.step + 10, progress=False)
            if device.type == "cuda":
                torch.cuda.synchronize()
        return 64 * (gan.step - first) / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)


def speed_rows(ganlab, device, seconds):
    speed = probe(ganlab, device, seconds)
    rows = [Row("speed probe", f"{speed:,.0f} images/s (reference machine {REFERENCE_IMAGES_PER_S:,})")]
    for name, ref in REFERENCE_SECONDS.items():
        minutes = ref * REFERENCE_IMAGES_PER_S / speed / 60
        rows.append(Row(f"  full run {name[:2]}", f"about {minutes:.1f} min  ({name})"))
    return rows


def mnist_row(ganlab):
    raw = ganlab.data_root() / "MNIST" / "raw"
    if all((raw / name).is_file() for name in MNIST_FILES):
        return Row("MNIST, offline", f"in {raw}")
    return Row("MNIST, offline", f"not in {raw}",
               "run `make data` while online (or set GANLAB_DATA to a folder holding MNIST/)")


def disk_row(ganlab):
    where = ganlab.data_root().resolve()
    while not where.exists():  # data/ may not exist yet: measure the disk it will be on
        where = where.parent
    free = shutil.disk_usage(where).free / 1e9
    fix = "" if free >= MIN_FREE_GB else f"free at least {MIN_FREE_GB:.0f} GB on that disk"
    return Row("free disk", f"{free:.1f} GB at {where}", fix)


def kernel_row():
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return Row("jupyter kernel", "jupyter_client missing", "make lab (installs JupyterLab, registers it)")
    try:
        python = KernelSpecManager().get_kernel_spec("ganlab").argv[0]
    except NoSuchKernel:
        return Row("jupyter kernel", "'ganlab' not registered", f"{sys.executable} {REGISTER}")
    gone = not (Path(python).exists() or shutil.which(python))
    return Row("jupyter kernel", f"'ganlab' runs {python}" + (", which is gone" if gone else ""),
               f"{sys.executable} {REGISTER}" if gone else "")


def check(probe_seconds=5.0):
    """Every row of the table, in order."""
    rows = version_rows() + [torchvision_row()]
    try:
        import ganlab
    except Exception as err:  # nothing below can run without it
        return rows + [Row("ganlab", f"import failed: {str(err)[:60]}", "fix the rows above, or: make lab")]
    row, device = device_row(ganlab)
    rows += [Row("ganlab", ganlab.__version__), row]
    if device is not None:
        rows += speed_rows(ganlab, device, probe_seconds)
    return rows + [mnist_row(ganlab), disk_row(ganlab), kernel_row()]


def main(probe_seconds=5.0):
    rows = check(probe_seconds)
    width = max(len(r.check) for r in rows)
    for r in rows:
        print(f"{'FIX' if r.fix else 'ok':>3}  {r.check:<{width}}  {r.result}")
    fixes = [f"  {r.check.strip()}: {r.fix}" for r in rows if r.fix]
    print("\n" + ("\n".join(["not ready; fix:", *fixes]) if fixes else "ready"))
    return 1 if fixes else 0


if __name__ == "__main__":
    sys.exit(main())
