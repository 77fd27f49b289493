"""Run the benchmarks and write benchmarks/RESULTS.md (``--quick``: a smoke run, to stdout unless --out).

Everything runs on the CPU, in this process, one measurement at a time, on one torch thread
unless ``--threads N`` (or else ``GANLAB_THREADS``) says otherwise; the 2-D mixtures run
``plan.mixture_jobs`` seeds at once instead, each in its own process on one thread. A section is a function
``section(plan, out) -> summary rows`` that appends its Markdown to ``out``.
"""

import argparse
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import torch

import ganlab

from . import mixtures2d, options, quality, throughput

RESULTS = Path(__file__).parent / "RESULTS.md"


@dataclass(frozen=True)
class Plan:
    """How long each measurement runs: ``FULL`` for RESULTS.md, ``QUICK`` for a smoke run."""

    seconds: float  # per timed repetition
    reps: int
    dcgan_cap_s: float  # DCGAN-MNIST: training-time cap, and how often it is checked
    dcgan_check_s: float
    dcgan_width: int
    n_eval: int
    batch_sizes: tuple
    slow: bool  # DCGAN-64 in the options, and torch.compile (tens of seconds)
    cases: tuple  # throughput cases, by name
    mixture_seeds: int  # 2-D mixtures: seeds 0..n-1 per mixture, each trained ...
    mixture_steps: int | None  # ... for the headline's steps (None) or this many
    mixture_jobs: int  # runs at once, one process and one thread each
    face_seconds: float  # faces: training seconds for each model, ...
    face_seeds: int  # ... seeds 0..n-1
    quick: bool = False


FULL = Plan(seconds=1.5, reps=7, dcgan_cap_s=180, dcgan_check_s=20, dcgan_width=32, n_eval=2000,
            batch_sizes=(32, 128, 256), slow=True, cases=tuple(c.name for c in throughput.CASES),
            mixture_seeds=10, mixture_steps=None, mixture_jobs=2, face_seconds=140, face_seeds=3)
QUICK = Plan(seconds=0.1, reps=3, dcgan_cap_s=10, dcgan_check_s=5, dcgan_width=16, n_eval=500,
             batch_sizes=(32,), slow=False, cases=("MLP-MNIST", "DCGAN-28", "WGAN-GP-28"),
             mixture_seeds=2, mixture_steps=300, mixture_jobs=1, face_seconds=2, face_seeds=1, quick=True)


def cpu_name():
    try:  # Linux: "AMD EPYC (family 25, model 17)"; family and model pin down the generation
        with open("/proc/cpuinfo") as f:
            pairs = [line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines() if ":" in line]
        fields = {k.strip(): v.strip() for k, v in pairs}
        return f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    except (OSError, KeyError):
        return platform.processor() or platform.machine()


def fmt(x, digits=0):
    """A number (or a tuple of them) for a table: 1,234; None as —; text as it is."""
    if isinstance(x, tuple):
        return ", ".join(fmt(v, digits) for v in x)
    return "—" if x is None else x if isinstance(x, str) else f"{x:,.{digits}f}"


def log(text):
    print(f"benchmarks: {text}", file=sys.stderr, flush=True)


def throughput_section(plan, out):
    rows = []
    for case in (c for c in throughput.CASES if c.name in plan.cases):
        rows.append(throughput.compare(case, seconds=plan.seconds, reps=plan.reps))
        log(f"throughput {case.name}: ratio {rows[-1]['ratio']:.3f}")
    tiny = throughput.compare(throughput.TINY, seconds=plan.seconds / 2, reps=plan.reps)
    us = {name: 1e6 * throughput.TINY.batch_size / tiny[name] for name in ("plain", "ganlab")}  # per step
    out += ["## 1. Throughput", "",
            "Real images/s consumed by D updates: *ganlab* = `ganlab.train` with the case's step function "
            "(`steps.bce`, or `steps.wgan_gp` passed as `step=`), *plain* = a hand-written loop doing the "
            "same arithmetic on `ganlab.losses`' pure functions. Interleaved, "
            f"{plan.reps} repetitions of ≈ {plan.seconds:g} s; medians; *ratio* = median of the paired "
            "ratios ganlab/plain (*min*: the worst pair).", "",
            "| case | batch | n_critic | ganlab img/s | plain img/s | ganlab / plain | min |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    out += [f"| {r['case']} | {r['batch']} | {r['n_critic']} | {fmt(r['ganlab'])} | {fmt(r['plain'])} "
            f"| **{r['ratio']:.3f}** | {r['ratio_min']:.3f} |" for r in rows]
    extra = us["ganlab"] - us["plain"]
    out += ["", f"Per-step overhead, on {throughput.TINY.name} (batch 64): plain loop {us['plain']:,.0f} µs, "
            f"`ganlab.train` {us['ganlab']:,.0f} µs a step (difference **{extra:+,.0f} µs**).", ""]
    ratios = ", ".join(f"{r['case']} {r['ratio']:.2f}" for r in rows)
    return [f"| throughput, ganlab (a step passed to `train`) / plain PyTorch loop | {ratios} "
            "| ≥ 0.97 each |"]


# The time-to-quality ablation: one change at a time from the paper's Adam, at equal training seconds.
QUALITY_RUNS = (("lr_G 2e-4", dict(lr_g=2e-4)), ("lr_G 1e-3", dict(lr_g=1e-3)),
                ("lr_G 1e-3, EMA of G", dict(lr_g=1e-3, ema=0.999)),
                ("lr_G 1e-3, batch 32", dict(lr_g=1e-3, batch_size=32)))


def quality_section(plan, out):
    target = ", ".join(quality.TARGET)
    out += ["## 2. Time to quality", "",
            f"DCGAN-28 on MNIST until {target}, from the same initial weights each time: with the paper's "
            "Adam(2e-4, β₁ 0.5) for both players; with G's learning rate 5× D's (1e-3; notebook 04); "
            "the same, scoring an EMA copy of G (decay 0.999, with warm-up; notebook 05) instead of G; and "
            "the same with batches of 32 instead of 64 (more, smaller steps in the same seconds). "
            f"Checked every ≈ {plan.dcgan_check_s:g} s of training on {plan.n_eval} samples. "
            "*real digits*: held-out test digits, scored alike.", ""]
    summary = []
    for name, changes in QUALITY_RUNS:
        r = quality.dcgan_mnist(cap_s=plan.dcgan_cap_s, check_every_s=plan.dcgan_check_s, n_eval=plan.n_eval,
                                width=plan.dcgan_width, quick=plan.quick, **changes)
        log(f"DCGAN-MNIST {name} reached: {r['reached']}")
        out += [f"**{name}** (width {r['width']}, batch {r['batch_size']}; the checks took "
                f"{r['eval_s']:.0f} s more; digit judge's test accuracy {100 * r['judge_accuracy']:.2f} %)",
                "",
                "| training s | step | digits | KL | recognisable | precision | recall |",
                "|---:|---:|---:|---:|---:|---:|---:|"]
        for c in [{"seconds": "real digits", "step": "—", **r["floor"]}, *r["checks"]]:
            out.append(f"| {fmt(c['seconds'])} | {c['step']} | {c['covered']}/10 | {c['kl']:.3f} "
                       f"| {c['recognisable']:.2f} | {c['precision']:.2f} | {c['recall']:.2f} |")
        out.append("")
        hit, last = r["reached"], r["checks"][-1]
        got = (f"reached after {hit['seconds']:.0f} s (precision {hit['precision']:.2f}, recall "
               f"{hit['recall']:.2f})" if hit else f"not reached in {r['cap_s']:g} s (last check: "
               f"{last['covered']}/10, KL {last['kl']:.3f}, recognisable {last['recognisable']:.2f}, "
               f"recall {last['recall']:.2f})")
        summary.append(f"| DCGAN-MNIST (width {r['width']}, {name}) time to {target} | {got} "
                       "| within the cap |")
    return summary


def options_section(plan, out):
    dc28, kw = throughput.DCGAN28, dict(seconds=plan.seconds / 2, reps=max(3, plan.reps - 2))
    rows = [options.channels_last(dc28, **kw)]
    if plan.slow:
        rows += [options.channels_last(throughput.DCGAN64, **kw), options.compiled(dc28, **kw)]
    rows += [options.threads(dc28, **kw), *(options.batch_size(dc28, b, **kw) for b in plan.batch_sizes)]
    out += ["## 3. Options", "", f"ganlab's loop with the option vs without, interleaved ({kw['reps']} "
            f"repetitions of ≈ {kw['seconds']:g} s); *ratio* = median of paired ratios option/default.", "",
            "| option | case | default img/s | with option img/s | ratio | adopted? | note |",
            "|---|---|---:|---:|---:|---|---|"]
    out += [f"| {r['option']} | {r['case']} | {fmt(r.get('default'))} | {fmt(r.get('variant'))} | "
            f"{fmt(r.get('ratio'), 2)} | {r['decision']} | {r.get('note', '')} |" for r in rows]
    out.append("")
    helping = [f"{r['option']} ({r['case']}, {r['ratio']:.2f}×)" for r in rows if r.get("helps")]
    return [f"| options that help by ≥ 5 % | {', '.join(helping) or 'none'} | adopted only where they help; "
            "decisions in §3 |"]


def mixtures_section(plan, out):
    seeds = list(range(plan.mixture_seeds))
    results = mixtures2d.measure(("ring8", "grid25"), seeds, steps=plan.mixture_steps,
                                 jobs=plan.mixture_jobs, echo=log)
    out += ["## 4. 2-D mode coverage", "",
            "ring8 and grid25 under the PacGAN protocol (2,500 samples; HQ = within 3σ of the nearest "
            "centre; a mode is covered with ≥ 20 HQ samples, ganlab's rule, or ≥ 1, PacGAN's count), trained "
            "with `benchmarks/mixtures2d.py`'s `HEADLINE` recipes (NS-GAN + R1, EMA of G; packing on ring8), "
            f"seeds 0–{seeds[-1]}, {plan.mixture_jobs} run(s) at once, one process and one torch thread "
            "each. Median (min–max) over seeds; *raw* is G's last step, *ema* its EMA copy; *spread₀* is G's "
            "output spread at step 0. How the recipes were chosen: "
            "[RESULTS_mixtures2d.md](RESULTS_mixtures2d.md).", "",
            mixtures2d.table(results), "",
            "Published rows (modes by the ≥ 1 count / HQ %; notebook 06 lists them with sources): ring8 "
            "PacGAN3 7.8 / 97.7, GAN 6.3 / 98.2, GDPP 8.0 / 71.7, WGAN-GP 6.8 / 59.6; grid25 ALI 24.1 / "
            "95.7, PacGAN4 24.8 / 93.6, WGAN-GP 24.2 / 28.7.", ""]
    got = []
    for name, runs in results.items():
        med = lambda k, runs=runs: statistics.median(r["ema"][k] for r in runs)
        got.append(f"{name} {med('covered'):g}/{runs[0]['ema']['modes']} modes, {med('hq'):.1f} % HQ")
    seconds = [r["seconds"] for runs in results.values() for r in runs]
    return [f"| 2-D mixtures, EMA copy of G, median of {len(seeds)} seeds (modes ≥ 20 HQ samples; HQ %); "
            f"training s per run | {'; '.join(got)}; {min(seconds):.0f}–{max(seconds):.0f} s | ring8 8/8 "
            "with ≥ 98 %, grid25 25/25 with ≥ 96 %; ≤ 120 s |"]


def faces_section(plan, out):
    seeds = range(plan.face_seeds)
    n_faces, n_eval = (1000 if plan.quick else 10_000), plan.n_eval
    runs = [quality.faces_equal_time(seconds=plan.face_seconds, n_faces=n_faces, n_eval=n_eval,
                                     quick=plan.quick, seed=seed) for seed in seeds]
    out += ["## 5. Faces: the MLP GAN against the DCGAN at equal training seconds", "",
            f"Notebook 03's MLP GAN (batch 64) and notebook 04's second face DCGAN (width 16, batch 32, R1 "
            f"γ 1 every 4th D step; its EMA copy is scored), each trained {plan.face_seconds:g} s on the "
            f"same {n_faces:,} stand-in faces (32×32), seeds 0–{seeds[-1]}. Read in the face judge's feature "
            f"space on {n_eval} samples against {n_eval} real faces: precision, recall, coverage, FID over "
            "the real-vs-real floor, and the largest |generated − real| attribute rate. *real*: two halves "
            "of the real faces.", "",
            "| seed | model | steps | training s | precision | recall | coverage | FID / floor "
            "| largest rate error |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for seed, rows in zip(seeds, runs):
        for name, r in rows.items():
            out.append(f"| {seed} | {'real' if name == 'floor' else name} | {r.get('steps', '—')} "
                       f"| {fmt(r['seconds']) if 'seconds' in r else '—'} | {r['precision']:.3f} "
                       f"| {r['recall']:.3f} | {r['coverage']:.3f} | {r['fid_ratio']:.1f} "
                       f"| {r['worst']:.3f} |")
    out.append("")
    med = lambda name, k: statistics.median(rows[name][k] for rows in runs)  # noqa: E731
    wins = sum(rows["DCGAN"]["precision"] > rows["MLP"]["precision"]
               and rows["DCGAN"]["recall"] > rows["MLP"]["recall"] for rows in runs)
    return [f"| faces at {plan.face_seconds:g} training s each, median of {len(runs)} seed(s): DCGAN (R1, "
            f"EMA copy) / 03's MLP, precision; recall; FID / floor | {med('DCGAN', 'precision'):.3f} / "
            f"{med('MLP', 'precision'):.3f}; {med('DCGAN', 'recall'):.3f} / {med('MLP', 'recall'):.3f}; "
            f"{med('DCGAN', 'fid_ratio'):.1f} / {med('MLP', 'fid_ratio'):.1f} (DCGAN ahead on both in "
            f"{wins}/{len(runs)}) | the DCGAN ahead on precision and recall |"]


SECTIONS = (("throughput", throughput_section), ("quality", quality_section),
            ("options", options_section), ("mixtures", mixtures_section), ("faces", faces_section))


def set_threads(flag):
    """--threads N, else GANLAB_THREADS, else one thread; returns the count in use."""
    if flag:
        torch.set_num_threads(flag)
    elif os.environ.get("GANLAB_THREADS", "").strip():
        ganlab.set_threads()
    else:
        torch.set_num_threads(1)
    return torch.get_num_threads()


def header(args, *, minutes, took, load0, load1):
    """Title, how and when the file was made, and the machine (with its load) it was made on."""
    gpu = f"{torch.cuda.get_device_name()}, unused" if torch.cuda.is_available() else "no GPU here"
    machine = {"CPU": cpu_name(), "logical CPUs": os.cpu_count(), "torch threads": torch.get_num_threads(),
               "torch": torch.__version__, "Python": platform.python_version(), "OS": platform.platform(),
               "ganlab.pick_device()": ganlab.pick_device(verbose=False), "benchmark device": "cpu",
               "load average (1, 5, 15 min) at start": fmt(load0, 2),
               "load average at end": fmt(load1, 2)}
    return [f"# ganlab benchmarks{' (--quick: a smoke run, its figures are noise)' * ('--quick' in args)}",
            "", f"Generated by `{' '.join(['python -m benchmarks.run', *args])}` on "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {minutes:.1f} min ({', '.join(took)}), "
            f"on {torch.get_num_threads()} torch thread(s).", "", "| machine | |", "|---|---|",
            *(f"| {k} | {v} |" for k, v in machine.items()), "",
            "A load above the CPU count means other processes shared the machine: absolute figures are then "
            "lower bounds; ratios of interleaved runs are less affected.", "",
            f"**GPU: none measured** ({gpu}; AMP, which ganlab uses on CUDA only, is not measured).", "",
            "## Summary", "", "| measure | result | target |", "|---|---|---|"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run; prints unless --out")
    parser.add_argument("--out", help=f"Markdown file (default {RESULTS}; stdout for --quick); '-': stdout")
    parser.add_argument("--only", default=",".join(name for name, _ in SECTIONS), help="sections, a,b,...")
    parser.add_argument("--threads", type=int, help="torch threads (default: GANLAB_THREADS, else 1)")
    parser.add_argument("--cases", help="throughput cases, a,b,... (default: all; --quick: no DCGAN-64)")
    parser.add_argument("--dcgan-cap", type=float, metavar="SECONDS", help="DCGAN-MNIST training cap")
    args = parser.parse_args(argv)
    log(f"{set_threads(args.threads)} torch thread(s)")
    plan = QUICK if args.quick else FULL
    if args.cases:
        plan = replace(plan, cases=tuple(args.cases.split(",")))
    if args.dcgan_cap:  # a longer run: check as often as the full plan does, at most 20 times
        plan = replace(plan, dcgan_cap_s=args.dcgan_cap, dcgan_check_s=max(plan.dcgan_check_s,
                                                                           args.dcgan_cap / 20))
    start, load0 = time.perf_counter(), os.getloadavg()
    body, summary, took = [], [], []
    for name, section in SECTIONS:
        if name in args.only.split(","):
            t0 = time.perf_counter()
            try:
                summary += section(plan, body)
            except Exception as error:  # noqa: BLE001 - keep the other sections' results, say what failed
                traceback.print_exc()
                body += [f"## {name}: FAILED", "", f"`{type(error).__name__}: {error}`", ""]
            took.append(f"{name} {(time.perf_counter() - t0) / 60:.1f} min")
            log(took[-1])
    minutes = (time.perf_counter() - start) / 60
    head = header(sys.argv[1:] if argv is None else argv, minutes=minutes, took=took, load0=load0,
                  load1=os.getloadavg())
    text = "\n".join(head + summary + [""] + body) + "\n"
    out = args.out or ("-" if args.quick else str(RESULTS))
    if out == "-":
        print(text)
    else:
        Path(out).write_text(text)
        log(f"wrote {out} in {minutes:.1f} min")
    return text


if __name__ == "__main__":
    main()
