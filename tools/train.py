"""Train one of the notebooks' models from the command line, on one process or many.

    python tools/train.py dcgan-mnist --profile cpu
    torchrun --standalone --nproc_per_node=2 tools/train.py dcgan-mnist --profile quick   # 2 processes
    torchrun --standalone --nproc_per_node=4 tools/train.py wgan-gp-mnist --profile gpu   # 4 GPUs

The step is the notebook's (ganlab.steps), the loop is ganlab.train: under torchrun each process
takes its slice of every batch (the batch size is per process), G and D are wrapped in
DistributedDataParallel, and rank 0 alone writes the checkpoint and the sample grid. Running the
same command again continues from the checkpoint (on any number of processes). docs/scaling.md
says what changes with more processes.
"""

import argparse
import functools
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ganlab  # noqa: E402
from ganlab import nets, steps  # noqa: E402


def dcgan_mnist(width):
    G = nets.conv_generator(100, size=28, channels=1, width=width)
    D = nets.conv_discriminator(size=28, channels=1, width=width)
    return G, D, steps.bce, (2e-4, (0.5, 0.999)), {}


def cgan_mnist(width):
    G = nets.conv_generator(100, size=28, channels=1, width=width, num_labels=10)
    D = nets.conv_discriminator(size=28, channels=1, width=width, num_labels=10)
    return G, D, steps.conditional, (2e-4, (0.5, 0.999)), {"fixed_labels": nets.label_rows(range(10), 8),
                                                             "n_fixed": 80}


def wgan_gp_mnist(width):
    G = nets.conv_generator(100, size=28, channels=1, width=width)
    D = nets.conv_discriminator(size=28, channels=1, width=width, norm=nets.map_layer_norm)
    return G, D, functools.partial(steps.wgan_gp, n_critic=5, gp_weight=10.0), (1e-4, (0.0, 0.9)), {}


def dcgan_faces(width, size):
    G, D = nets.conv_generator(100, size=size, width=width), nets.conv_discriminator(size=size, width=width)
    return G, D, functools.partial(steps.r1, gamma=1.0, every=4), (2e-4, (0.5, 0.999)), {}


MODELS = {"dcgan-mnist": dcgan_mnist, "cgan-mnist": cgan_mnist, "wgan-gp-mnist": wgan_gp_mnist,
          "dcgan-faces": dcgan_faces}
# profile -> (width, steps, batch per process, face side)
PROFILES = {"quick": (8, 20, 32, 32), "cpu": (16, 2000, 64, 32), "gpu": (64, 20000, 128, 64)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=MODELS)
    p.add_argument("--profile", choices=PROFILES, default=None, help="default: as ganlab.setup() decides")
    p.add_argument("--steps", type=int, default=None, help="a target: training stops at this step")
    p.add_argument("--batch", type=int, default=None, help="samples per process per step")
    p.add_argument("--out", type=Path, default=Path("runs"), help="checkpoint and sample grid go here")
    args = p.parse_args(argv)
    if args.profile:
        os.environ["GANLAB_PROFILE"] = args.profile
    run = ganlab.setup()
    width, target, batch, size = PROFILES[run.profile]
    target, batch = args.steps or target, args.batch or batch
    faces = args.model == "dcgan-faces"
    G, D, step, (lr, betas), extra = MODELS[args.model](width, size) if faces else MODELS[args.model](width)
    G, D = G.to(run.device), D.to(run.device)
    extra = {k: v.to(run.device) if torch.is_tensor(v) else v for k, v in extra.items()}
    gan = ganlab.GAN(G, D, ganlab.adam(G, lr=lr, betas=betas), ganlab.adam(D, lr=lr, betas=betas),
                     latent_dim=100, **extra)
    data = ganlab.data.faces(20000 if run.profile != "quick" else 512, size=size)[0] if faces else \
        ganlab.data.mnist()
    checkpoint = args.out / f"{args.model}-{run.profile}.pt"
    if ganlab.load_checkpoint(gan, checkpoint, missing_ok=True) and ganlab.distributed.rank() == 0:
        print(f"resuming {checkpoint} at step {gan.step}")
    start = time.perf_counter()
    ganlab.train(gan, data, step=step, batch_size=batch, steps=target, checkpoint=checkpoint,
                 checkpoint_every=max(1, target // 10))
    if ganlab.distributed.rank() == 0:
        seconds, world = time.perf_counter() - start, ganlab.distributed.world()
        grid = args.out / f"{args.model}-{run.profile}.png"
        from torchvision.utils import save_image

        samples = gan.generate(z=gan.fixed_z, labels=gan.fixed_labels)
        save_image((samples + 1) / 2, grid, nrow=10 if extra else 8)
        print(f"{args.model}: step {gan.step} on {world} process(es), batch {batch} each, {seconds:.0f} s; "
              f"checkpoint {checkpoint}, samples {grid}")


if __name__ == "__main__":
    main()
