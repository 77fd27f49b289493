"""What the non-finite guard costs ``train``: the MNIST MLP GAN at batch 64, one thread.

    python benchmarks/guard_cost.py [--steps 100] [--pairs 31] [--threads 1]

The guard is the finiteness check of each logged row, a CPU copy of ``gan.state_dict()``
(without the history) every ``ganlab.nan_guard.GOOD_EVERY`` steps (checked finite), the copy when
``train`` starts, and the first-batch checks. The baseline is ``train(..., checks=False)``.
Runs alternate (A B, B A, ...) on two identical GANs so that load drifts hit both; the
figure is the median over pairs of (guarded time / unguarded time) − 1.
"""

import argparse
import statistics
import time

import torch
from torch import nn
from torch.utils.data import TensorDataset

import ganlab
from ganlab import guard as nan_guard
from ganlab import loop


def mlp_gan(seed=0):
    """The seed book's MNIST MLP GAN (benchmarks/cases.py's MLP case): 100-d z, 200 hidden."""
    torch.manual_seed(seed)

    def leaky():
        return nn.LeakyReLU(0.02)

    G = ganlab.nets.mlp_generator(100, (200,), (1, 28, 28), act=leaky, norm=nn.LayerNorm)
    D = ganlab.nets.mlp_discriminator((1, 28, 28), (200,), act=leaky, norm=nn.LayerNorm)
    opt_G, opt_D = (torch.optim.Adam(m.parameters(), lr=1e-4, betas=(0.9, 0.999)) for m in (G, D))
    return ganlab.GAN(G, D, opt_G, opt_D, latent_dim=100, data_seed=seed)


def timed(gan, data, steps, *, guard):
    """(wall, CPU) seconds of ``steps`` training steps. CPU time is the figure on a shared
    machine: other jobs' load stretches wall time, not the work this process does."""
    wall, cpu = time.perf_counter(), time.process_time()
    ganlab.train(gan, data, batch_size=64, steps=gan.step + steps, progress=False, checks=guard)
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps per timed run")
    parser.add_argument("--pairs", type=int, default=31, help="interleaved (guarded, unguarded) pairs")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = TensorDataset(torch.rand(6400, 1, 28, 28) * 2 - 1)  # values do not change the speed
    gans = {True: mlp_gan(), False: mlp_gan()}
    for guard in (True, False):  # warm-up: first-call costs out of the figures
        timed(gans[guard], data, 20, guard=guard)
    ratios = {"CPU": [], "wall": []}
    step_ms = []
    for i in range(args.pairs):
        order = (True, False) if i % 2 == 0 else (False, True)
        t = {guard: timed(gans[guard], data, args.steps, guard=guard) for guard in order}
        ratios["wall"].append(t[True][0] / t[False][0])
        ratios["CPU"].append(t[True][1] / t[False][1])
        step_ms.append(1000 * t[False][1] / args.steps)
    step = statistics.median(step_ms)
    print(f"MLP-MNIST, batch 64, {torch.get_num_threads()} thread(s), {args.pairs} pairs x "
          f"{args.steps} steps, a copy every {nan_guard.GOOD_EVERY} steps (+ one per call of train)")
    print(f"unguarded step: {step:.2f} ms of CPU time (median)")
    for kind, values in ratios.items():
        q1, _, q3 = statistics.quantiles(values, n=4)
        print(f"{kind} ratios guarded/unguarded: quartiles {q1:.4f} .. {q3:.4f} over {len(values)} pairs")
        print(f"guard cost ({kind} time): {100 * (statistics.median(values) - 1):+.2f} % of step time "
              "(median of paired ratios)")
    inside, total = accounted(gans[True], data, 3 * args.steps)
    print(f"time inside the guard's code in a guarded run of {3 * args.steps} steps: "
          f"{100 * inside / total:.2f} % of its CPU time (measured directly: little noise)")
    good = nan_guard.Guard(gans[True])
    cpu = time.process_time()
    for _ in range(20):
        good.take(gans[True])
    copy_ms = 1000 * (time.process_time() - cpu) / 20
    print(f"one checked copy of the state: {copy_ms:.2f} ms of CPU time = "
          f"{100 * copy_ms / nan_guard.GOOD_EVERY / step:.2f} % of a step, spread over "
          f"{nan_guard.GOOD_EVERY} steps")


def accounted(gan, data, steps):
    """(CPU seconds spent in the guard's functions, CPU seconds of the whole run)."""
    spent = [0.0]

    def clocked(fn):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - start
        return run

    saved = nan_guard.Guard.__init__, nan_guard.Guard.check, loop._check_first_batch
    nan_guard.Guard.__init__, nan_guard.Guard.check = clocked(saved[0]), clocked(saved[1])
    loop._check_first_batch = clocked(saved[2])
    try:
        total = timed(gan, data, steps, guard=True)[1]
    finally:
        nan_guard.Guard.__init__, nan_guard.Guard.check, loop._check_first_batch = saved
    return spent[0], total


if __name__ == "__main__":
    main()
