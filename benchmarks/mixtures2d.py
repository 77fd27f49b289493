"""Ring8 / grid25 mode coverage under the PacGAN protocol, as a markdown table.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.mixtures2d --mixtures ring8     # headline, 10 seeds
    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.mixtures2d --mixtures grid25 --jobs 2  # 2 at once
    ... --mixtures grid25 --pack 2 --seeds 0 1 2                                     # a variation
    ... --mixtures grid25 --lr 5e-4 --seeds 1                                        # seed 0 only

Each run: ``toy2d.fit`` with seed s on one torch thread, then 2,500 samples of G (raw) and of
its EMA copy, scored in original units: HQ = within 3σ of the nearest centre; a mode is covered
with ≥ 20 HQ samples (ganlab's rule) or ≥ 1 (PacGAN's count). Median (min–max) over seeds.
"""

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import torch

from ganlab import toy2d

# NS-GAN + R1 (γ 0.1) + EMA of G + lr decayed linearly to 0 over the second half: toy2d's recipes,
# with as many steps as fit in about 2 minutes of one core. Packing on ring8 only (it slowed learning on
# grid25); grid25 at lr 1e-3. The measurements behind each choice: RESULTS_mixtures2d.md.
HEADLINE = {"ring8": ("NS-GAN + R1 + packing", 12000, dict(batch=256)),
            "grid25": ("NS-GAN + R1", 11000, dict(batch=256, lr=1e-3))}


def run(name, seed, *, steps=None, pack=None, lr=None):
    """Train the headline recipe on one mixture with one seed; returns its scores and seconds."""
    recipe, default_steps, overrides = HEADLINE[name]
    steps = steps or default_steps
    torch.set_num_threads(1)
    c0 = time.process_time()
    overrides = {**overrides, "lr": lr or overrides.get("lr")}  # None keeps the recipe's lr
    gan, settings, ema = toy2d.fit(name, recipe, steps, seed=seed, pack=pack, **overrides)
    out = {"seconds": gan.history.seconds, "cpu": time.process_time() - c0, "steps": steps,
           "pack": settings.get("pack", 1), "spread0": settings["spread0"]}
    for label, G in (("raw", gan.G), ("ema", ema.G)):
        s20, s1 = toy2d.score(G, name), toy2d.score(G, name, min_count=1)
        out[label] = {"covered": s20["covered"], "covered1": s1["covered"], "hq": s20["high_quality"]}
    return out


def _summary(xs, fmt="{:.1f}"):
    """median (min–max)."""
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def table(results):
    """One markdown row per (mixture, G): median (min–max) over seeds."""
    lines = ["| mixture | packing | steps | seeds | G | modes (≥ 20) | modes (≥ 1) | HQ % | wall s | CPU s | "
             "spread₀ |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, runs in results.items():
        for label in ("raw", "ema"):
            pick = lambda k, label=label, runs=runs: [r[label][k] for r in runs]
            lines.append(f"| {name} | {runs[0]['pack']} | {runs[0]['steps']} | {len(runs)} | {label} | "
                         f"{_summary(pick('covered'), '{:.0f}')} | {_summary(pick('covered1'), '{:.0f}')} | "
                         f"{_summary(pick('hq'))} | {_summary([r['seconds'] for r in runs], '{:.0f}')} | "
                         f"{_summary([r['cpu'] for r in runs], '{:.0f}')} | "
                         f"{statistics.median(r['spread0'] for r in runs):.3f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mixtures", nargs="+", default=["ring8", "grid25"])
    p.add_argument("--seeds", nargs="+", type=int, default=[10],
                   help="seed list, or one number n for seeds 0..n-1")
    p.add_argument("--steps", type=int, default=None, help="override the headline's steps")
    p.add_argument("--pack", type=int, default=None, help="override the headline's packing")
    p.add_argument("--lr", type=float, default=None, help="override the headline's learning rate")
    p.add_argument("--jobs", type=int, default=1, help="seeds run at once, one process (one thread) each")
    args = p.parse_args(argv)
    seeds = list(range(args.seeds[0])) if len(args.seeds) == 1 else args.seeds
    results = {}
    with ProcessPoolExecutor(args.jobs) as pool:  # each run seeds itself: the same numbers for any --jobs
        for name in args.mixtures:
            runs = results[name] = []
            futures = [pool.submit(run, name, seed, steps=args.steps, pack=args.pack, lr=args.lr)
                       for seed in seeds]
            for seed, future in zip(seeds, futures):
                runs.append(r := future.result())
                scores = ", ".join(f"{k} {r[k]['covered']}/{r[k]['covered1']} {r[k]['hq']:.1f}%"
                                   for k in ("raw", "ema"))
                print(f"# {name} seed {seed}: {r['seconds']:.0f} s ({r['cpu']:.0f} s CPU), {scores}",
                      flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
