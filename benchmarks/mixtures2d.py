"""Ring8 / grid25 mode coverage under the PacGAN protocol, as a markdown table.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.mixtures2d                 # headline, 10 seeds
    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.mixtures2d --recipes all --seeds 5 --steps 3000
    ... --recipes headline --mixtures ring8 --seeds 0 1 2 --steps 4000           # one cell

Each run: seed s, train on one torch thread, then 2,500 samples of G (raw) and of its EMA
copy, scored in original units: HQ = within 3σ of the nearest centre; a mode is covered
with ≥ 20 HQ samples (ganlab's rule) or ≥ 1 (PacGAN's count). Median (min–max) over seeds.
"""

import argparse
import statistics
import time

import torch

from ganlab import seed_everything, toy2d
from ganlab.ema import EMA
from ganlab.loop import train

# NS-GAN + R1 (γ 0.1) + EMA of G + lr decayed linearly to 0 over the second half; packing m = 2 on
# ring8 only. Packing halves D's rows, so a step costs ~⅓ less CPU: on ring8 (seed 0, equal CPU)
# 89.8 % HQ packed vs 85.5 % unpacked. On grid25 it slowed learning: 6–22 % HQ at 7,000 steps
# (seeds 0–2) against 55 % unpacked at 6,000 (seed 0), so grid25 stays unpacked.
HEADLINE = dict(method="GAN", r1_weight=0.1, lr=5e-4, betas=(0.5, 0.99), batch=512,
                pack={"ring8": 2, "grid25": 1}, ema=0.999, decay_start=0.5,
                steps={"ring8": 4500, "grid25": 7000})
RECIPES = {
    "headline": HEADLINE,
    # today's playground "GAN": ReLU D, default init, raw data, Adam 1e-3 (0.5, 0.999), no decay
    "vanilla": dict(method="vanilla", he=False, unit=False, r1_weight=0.0, lr=1e-3,
                    betas=(0.5, 0.999), batch=256, ema=None, decay_start=None),
    # WGAN-GP Algorithm 1 on raw data, default init: λ 10, lr 1e-4, β (0, 0.9), n_critic 5
    "wgan-gp-alg1": dict(method="WGAN-GP", he=False, unit=False, gp_weight=10.0, lr=1e-4,
                         betas=(0.0, 0.9), n_critic=5, batch=256, ema=None, decay_start=None),
    # gan_toy.py's settings, CPU-sized: unit data, He init, λ 0.1, β (0.5, 0.9), n_critic 5
    "wgan-gp-toy": dict(method="WGAN-GP", gp_weight=0.1, lr=1e-4, betas=(0.5, 0.9), n_critic=5,
                        batch=256, ema=None, decay_start=None),
    "ns+r1": dict(HEADLINE, ema=None, decay_start=None, pack=1),  # the same runs as ns+r1+ema's raw G
    "ns+r1+ema": dict(HEADLINE, decay_start=None, pack=1),
    "ns+r1+ema+pack2": dict(HEADLINE, decay_start=None, pack=2),
    "ns+r1+ema+decay (m=1)": dict(HEADLINE, pack=1),  # the note's recipe A
}


def run(name, recipe, seed, steps=None):
    """Train one recipe on one mixture with one seed; returns its scores and seconds."""
    r = {k: (v[name] if isinstance(v, dict) else v) for k, v in recipe.items()}  # per-mixture settings
    steps = steps or r.get("steps", 6000)
    unit = r.get("unit", True)
    seed_everything(seed)
    gan = toy2d.make_gan(r["method"], pack=r.get("pack", 1), he=r.get("he", True), lr=r["lr"],
                         betas=r["betas"], n_critic=r.get("n_critic", 1),
                         gp_weight=r.get("gp_weight", 0.0), r1_weight=r.get("r1_weight", 0.0),
                         hidden=r.get("hidden", (128, 128, 128)))
    spread0 = float(gan.generate(2500).std(0).mean()) * (toy2d.SCALE[name] if unit else 1.0)
    callbacks = []
    if r.get("decay_start") is not None:
        callbacks.append(toy2d.lr_decay(gan, steps, start=r["decay_start"]))
    ema = EMA(gan.G, r["ema"], warmup=True) if r.get("ema") else None
    if ema:
        callbacks.append(ema)
    t0, c0 = time.perf_counter(), time.process_time()
    train(gan, toy2d.sampler(name, unit=unit), batch_size=r["batch"], steps=steps,
          callbacks=callbacks, progress=False)
    out = {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "steps": steps,
           "spread0": spread0}
    for label, G in (("raw", gan.G), ("ema", ema.G if ema else None)):
        if G is None:
            continue
        s20 = toy2d.score(G, name, unit=unit)
        s1 = toy2d.score(G, name, unit=unit, min_count=1)
        out[label] = {"covered": s20["covered"], "covered1": s1["covered"], "hq": s20["high_quality"]}
    return out


def _summary(xs, fmt="{:.1f}"):
    """median (min–max)."""
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def table(results):
    """One markdown row per (recipe, mixture, G): median (min–max) over seeds."""
    lines = ["| recipe | mixture | steps | seeds | G | modes (≥ 20) | modes (≥ 1) | HQ % | "
             "wall s | CPU s | spread₀ |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (recipe, name), runs in results.items():
        for label in ("raw", "ema"):
            if label not in runs[0]:
                continue
            pick = lambda k, label=label, runs=runs: [r[label][k] for r in runs]
            lines.append(f"| {recipe} | {name} | {runs[0]['steps']} | {len(runs)} | {label} | "
                         f"{_summary(pick('covered'), '{:.0f}')} | {_summary(pick('covered1'), '{:.0f}')} | "
                         f"{_summary(pick('hq'))} | {_summary([r['seconds'] for r in runs], '{:.0f}')} | "
                         f"{_summary([r['cpu'] for r in runs], '{:.0f}')} | "
                         f"{statistics.median(r['spread0'] for r in runs):.3f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipes", nargs="+", default=["headline"], help=f"{list(RECIPES)} or all")
    p.add_argument("--mixtures", nargs="+", default=["ring8", "grid25"])
    p.add_argument("--seeds", nargs="+", type=int, default=list(range(10)),
                   help="seed list, or one number n for seeds 0..n-1")
    p.add_argument("--steps", type=int, default=None, help="override every recipe's steps")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    seeds = list(range(args.seeds[0])) if len(args.seeds) == 1 else args.seeds
    names = list(RECIPES) if args.recipes == ["all"] else args.recipes
    results = {}
    for recipe in names:
        for name in args.mixtures:
            runs = results[(recipe, name)] = []
            for seed in seeds:
                runs.append(run(name, RECIPES[recipe], seed, args.steps))
                r = runs[-1]
                print(f"# {recipe} {name} seed {seed}: {r['seconds']:.0f} s ({r['cpu']:.0f} s CPU), "
                      + ", ".join(f"{k} {v['covered']}/{v['covered1']} {v['hq']:.1f}%"
                                  for k, v in r.items() if isinstance(v, dict)), flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
