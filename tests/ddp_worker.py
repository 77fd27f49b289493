"""Run by tests/test_distributed.py under `python -m torch.distributed.run --nproc_per_node=2`:
train small GANs on 2 CPU processes (gloo) and save what the test compares.

    python -m torch.distributed.run --nproc_per_node=2 tests/ddp_worker.py OUT_DIR ONE_PROCESS_CHECKPOINT
"""

import functools
import sys
from pathlib import Path

import torch
from torch.utils.data import TensorDataset

import ganlab
from ganlab import distributed, nets, steps

B, LATENT = 8, 4  # batch per process; z size
DATA = TensorDataset(torch.rand(128, 1, 4, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1)


def split_noise(world, rank):
    """z for a batch of n per process, cut from one generator's draw of n·world rows: together the
    processes draw exactly what one process with batch n·world draws."""
    g = torch.Generator().manual_seed(7)

    def noise(n, dim, device=None):
        return torch.randn(n * world, dim, generator=g)[rank * n:(rank + 1) * n].to(device)

    return noise


def mlp_gan(noise=torch.randn, norm=None):
    torch.manual_seed(0)  # the same initial weights everywhere (DDP would copy rank 0's anyway)
    G = nets.mlp_generator(LATENT, (16,), (1, 4, 4), norm=norm)
    D = nets.mlp_discriminator((1, 4, 4), (16,), norm=norm)
    return ganlab.GAN(G, D, ganlab.adam(G), ganlab.adam(D), latent_dim=LATENT, noise=noise,
                      fixed_z=torch.zeros(4, LATENT), data_seed=3)


def weights(gan):
    return torch.cat([p.detach().flatten() for m in (gan.G, gan.D) for p in m.parameters()])


def main(out, one_process_checkpoint):
    run = ganlab.setup()
    world, rank = distributed.world(), distributed.rank()
    results = {}
    for name, step in {"bce": steps.bce, "r1": functools.partial(steps.r1, gamma=1.0, every=2),
                       "wgan_gp": functools.partial(steps.wgan_gp, n_critic=2)}.items():
        gan = mlp_gan()
        ganlab.train(gan, DATA, batch_size=B, steps=5, step=step, progress=False)
        results[name] = weights(gan)
    gan = mlp_gan(noise=split_noise(world, rank))  # the same z as one process with batch 2B
    ganlab.train(gan, DATA, batch_size=B, steps=5, progress=False)
    results["split"] = weights(gan)
    two = Path(out) / "two.pt"
    for steps_, path in ((4, two), (7, None)):  # stopped at 4 with a checkpoint, and straight to 7
        ganlab.seed_everything(100 + rank)
        gan = mlp_gan()
        ganlab.train(gan, DATA, batch_size=B, steps=steps_, progress=False, checkpoint=path)
        results[f"straight{steps_}"] = weights(gan)
    for name, path in (("two", two), ("one", one_process_checkpoint)):  # resume on 2 processes
        gan = mlp_gan()
        ganlab.load_checkpoint(gan, path)
        results[f"loaded {name}"] = (gan.step, weights(gan))
        ganlab.train(gan, DATA, batch_size=B, steps=gan.step + 3, progress=False)
        results[f"resumed {name}"] = (gan.step, weights(gan))
    gathered = distributed.gather(results)
    if rank == 0:
        torch.save({"world": world, "device": str(run.device), "ranks": gathered}, Path(out) / "results.pt")


if __name__ == "__main__":
    main(*sys.argv[1:])
