"""Ring8 / grid25 mode coverage under the PacGAN protocol, as a markdown table.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.mixtures2d --mixtures ring8     # headline, 10 seeds
    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.mixtures2d --mixtures grid25 --jobs 2  # 2 at once
    ... --mixtures grid25 --set pack=2 --seeds 0 1 2                                 # a variation
    ... --mixtures grid25 --set lr=5e-4 "hidden=(128, 128, 128)" --seeds 1           # seed 0 only

Each run: ``toy2d.fit`` with seed s on one torch thread, then 2,500 samples of G (raw) and of
its EMA copy, scored in original units: HQ = within 3σ of the nearest centre; a mode is covered
with ≥ 20 HQ samples (ganlab's rule) or ≥ 1 (PacGAN's count). Median (min–max) over seeds.
"""

import argparse
import ast
import functools
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import torch

from ganlab import toy2d

# NS-GAN + R1 + EMA of G + lr decayed linearly to 0 over the second half: toy2d's recipes, here with
# 3×64 MLPs, lr 2e-3, R1 on every 4th D step (lazy R1) and as many steps as fit in about 2 minutes of
# one core. Packing on ring8 only (it slowed learning on grid25); grid25 with γ 0.03 and Adam β₁ = 0.
# The measurements behind each choice: RESULTS_mixtures2d.md.
FAST = dict(batch=256, lr=2e-3, hidden=(64, 64, 64), r1_every=4)
HEADLINE = {"ring8": ("NS-GAN + R1 + packing", 21000, FAST),
            "grid25": ("NS-GAN + R1", 22000, dict(FAST, r1_weight=0.03, betas=(0.0, 0.99)))}


def run(name, seed, *, steps=None, **changes):
    """Train the headline recipe on one mixture with one seed, with ``changes`` to its settings
    (``toy2d.recipe``'s names); returns its scores and seconds."""
    recipe, default_steps, overrides = HEADLINE[name]
    steps = steps or default_steps
    torch.set_num_threads(1)
    c0 = time.process_time()
    gan, recipe, ema = toy2d.fit(name, recipe, steps, seed=seed, **{**overrides, **changes})
    out = {"seconds": gan.history.seconds, "cpu": time.process_time() - c0, "steps": steps,
           "spread0": gan.spread0, "settings": "; ".join(  # the knobs the headline and --set turn
               f"{k} {getattr(recipe, k)}" for k in ("pack", "hidden", "lr", "betas", "batch", "r1_weight",
                                                      "r1_every"))}
    for label, G in (("raw", gan.G), ("ema", ema.G)):
        samples = gan.generate(2500, G=G)
        s20, s1 = toy2d.score(samples, name), toy2d.score(samples, name, min_count=1)
        out[label] = {"covered": s20["covered"], "covered1": s1["covered"], "hq": s20["high_quality"],
                      "modes": s20["modes"]}
    return out


def _summary(xs, fmt="{:.1f}"):
    """median (min–max)."""
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def table(results):
    """One markdown row per (mixture, G): median (min–max) over seeds."""
    lines = ["| mixture | settings | steps | seeds | G | modes (≥ 20) | modes (≥ 1) | HQ % | wall s | "
             "CPU s | spread₀ |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, runs in results.items():
        for label in ("raw", "ema"):
            pick = lambda k, label=label, runs=runs: [r[label][k] for r in runs]
            lines.append(f"| {name} | {runs[0]['settings']} | {runs[0]['steps']} | {len(runs)} | {label} | "
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
    p.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                   help="change the headline's settings, e.g. pack=2 r1_every=1 'hidden=(128, 128, 128)'")
    p.add_argument("--jobs", type=int, default=1, help="seeds run at once, one process (one thread) each")
    args = p.parse_args(argv)
    seeds = list(range(args.seeds[0])) if len(args.seeds) == 1 else args.seeds
    if not seeds:
        p.error("--seeds 0 runs nothing: give a count n >= 1 (seeds 0..n-1) or two or more seeds")
    changes = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    print(table(measure(args.mixtures, seeds, steps=args.steps, jobs=args.jobs, **changes)))


def measure(mixtures, seeds, *, steps=None, jobs=1, echo=None, **changes):
    """``run`` for every mixture and seed, ``jobs`` processes at once; {mixture: [run's result]}.
    Each run seeds itself, so the numbers are the same for any ``jobs``; ``echo`` (default: print)
    gets a line a run."""
    echo = echo or functools.partial(print, flush=True)
    results = {}
    with ProcessPoolExecutor(jobs) as pool:
        for name in mixtures:
            runs = results[name] = []
            futures = [pool.submit(run, name, seed, steps=steps, **changes) for seed in seeds]
            for seed, future in zip(seeds, futures):
                runs.append(r := future.result())
                scores = ", ".join(f"{k} {r[k]['covered']}/{r[k]['covered1']} {r[k]['hq']:.1f}%"
                                   for k in ("raw", "ema"))
                echo(f"# {name} seed {seed}: {r['seconds']:.0f} s ({r['cpu']:.0f} s CPU), {scores}")
    return results


if __name__ == "__main__":
    main()
