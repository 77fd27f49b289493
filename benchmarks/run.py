"""Run the benchmarks and write the results as Markdown.

    .venv/bin/python -m benchmarks.run            # full: writes benchmarks/RESULTS.md (< 15 min, 2-core CPU)
    .venv/bin/python -m benchmarks.run --quick    # smoke run (< 2 min): prints to stdout only
    make bench BENCH_ARGS="--quick --out /tmp/quick.md"

Everything runs on the CPU, in this process, one measurement at a time, on one torch thread
unless ``--threads`` says otherwise (the options section measures more threads).
"""

import argparse
import os
import platform
import statistics
import sys
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import torch

import ganlab

from . import cases, options, quality, throughput

RESULTS = Path(__file__).parent / "RESULTS.md"


@dataclass(frozen=True)
class Plan:
    """How long each measurement runs: ``FULL`` for RESULTS.md, ``QUICK`` for a smoke run."""

    seconds: float  # per timed repetition
    reps: int
    dcgan_cap_s: float  # training-time cap for DCGAN-MNIST time to quality
    dcgan_check_s: float
    dcgan_width: int
    n_eval: int
    mixture_seeds: tuple
    gan_budgets: tuple  # steps, vanilla GAN on ring8 / grid25
    wgan_budgets: tuple  # steps, WGAN-GP with Algorithm 1's settings (5 critic updates per step)
    toy_budgets: tuple  # steps, WGAN-GP with the toy script's settings
    batch_sizes: tuple
    slow_options: bool  # torch.compile and DCGAN-64 channels_last
    skip: tuple = ()  # throughput cases left out


FULL = Plan(seconds=1.5, reps=7, dcgan_cap_s=180, dcgan_check_s=20, dcgan_width=32, n_eval=2000,
            mixture_seeds=(0, 1, 2), gan_budgets=(500, 1000, 2000), wgan_budgets=(500,),
            toy_budgets=(500, 1000), batch_sizes=(32, 64, 128, 256), slow_options=True)
QUICK = Plan(seconds=0.1, reps=3, dcgan_cap_s=10, dcgan_check_s=5, dcgan_width=16, n_eval=500,
             mixture_seeds=(0,), gan_budgets=(100,), wgan_budgets=(10,), toy_budgets=(10,),
             batch_sizes=(32, 64), slow_options=False, skip=("DCGAN-64",))


def machine():
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:  # Linux: "AMD EPYC (family 25, model 17)"; the family/model pin down the generation
        with open("/proc/cpuinfo") as f:
            first_cpu = f.read().split("\n\n")[0].splitlines()
        pairs = (line.split(":", 1) for line in first_cpu if ":" in line)
        fields = {k.strip(): v.strip() for k, v in pairs}
        cpu = f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    except (OSError, KeyError):
        pass
    return {"CPU": cpu, "logical CPUs": os.cpu_count(), "torch threads": torch.get_num_threads(),
            "torch": torch.__version__, "Python": platform.python_version(), "OS": platform.platform(),
            "ganlab.pick_device()": str(ganlab.pick_device(verbose=False)),
            "benchmark device": "cpu (every figure below)"}


class LoadSampler:
    """Samples the 1-minute load average in a background thread while the benchmarks run
    (this process itself adds about one: it computes on one or two threads)."""

    every = 10.0

    def __init__(self):
        self.samples, self.done = [os.getloadavg()[0]], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.samples + [os.getloadavg()[0]]


def gpu_note():
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} present, but these benchmarks run on the CPU only"
    return "no GPU on this machine; AMP, which ganlab uses on CUDA only, is not measured"


def fmt(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def throughput_section(plan, out, *, names=None):
    rows = []
    for case in cases.cases():
        if (names and case.name not in names) or case.name in plan.skip:
            continue
        book = case is cases.MLP  # the seed book's loop exists for the MLP only
        rows.append(throughput.compare(case, seconds=plan.seconds, reps=plan.reps, book=book))
        print(f"  throughput {case.name}: ratio {rows[-1]['ratio']:.3f}", file=sys.stderr, flush=True)
    out += ["## 1. Throughput", "",
            "Real images per second consumed by D updates (steps × n_critic × batch), random tensor data "
            "in [-1, 1] held in memory. *ganlab* = `ganlab.train` (→ `d_step`/`g_step`, History row per "
            "step); *plain* = a hand-written loop computing the same losses, penalty and updates "
            "(`benchmarks/throughput.py`); runs interleaved in one process, alternating order, "
            f"{plan.reps} repetitions of ≈ {plan.seconds:g} s each; medians. *ratio* = median of the "
            "per-repetition ratios ganlab/plain (*min*: the worst repetition).", "",
            "| case | batch | n_critic | ganlab img/s | plain img/s | ganlab / plain | min |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['case']} | {r['batch']} | {r['n_critic']} | {fmt(r['ganlab'])} | {fmt(r['plain'])} "
                   f"| **{r['ratio']:.3f}** | {r['ratio_min']:.3f} |")
    us = throughput.overhead(seconds=plan.seconds / 2, reps=plan.reps)
    out += ["", f"ganlab's fixed cost per step, measured on {cases.TINY.name} (batch 64), "
            "whose compute is negligible: " + ", ".join(f"{name} {t:,.0f} µs/step" for name, t in us.items())
            + f", i.e. ≈ {us['ganlab.train'] - us['plain']:,.0f} µs per step more than the plain loop "
            "(autocast and GradScaler no-ops, D(x)/D(G(z)) readouts, one History row of floats). "
            "It matters only when a step takes a few milliseconds or less.", ""]
    for book in (r for r in rows if "book" in r):
        out += ["**The seed book's loop** (one image at a time, as the book runs it: its own Sequential "
                "models of the same sizes with Sigmoid + BCELoss and Adam(1e-4), each image read from a "
                "pandas DataFrame with `iloc` and its target tensors built per call): "
                f"{fmt(book['book'], 1)} img/s; ganlab's batched loop (batch {book['batch']}) is "
                f"**{book['book_ratio']:.1f}×** faster (median of paired ratios; target ≥ 30×). "
                f"The same one-image update order on ganlab's models with the images already in memory runs "
                f"at {fmt(book['one_image'], 1)} img/s ({book['one_image_ratio']:.1f}× slower than batches), "
                "so batching accounts for that much of the gap and the book's data handling and models for "
                f"the remaining {book['book_ratio'] / book['one_image_ratio']:.2f}×.", ""]
    return rows


def quality_section(plan, out, *, quick):
    r = quality.dcgan_mnist(cap_s=plan.dcgan_cap_s, check_every_s=plan.dcgan_check_s, n_eval=plan.n_eval,
                            width=plan.dcgan_width, quick=quick)
    print(f"  DCGAN-MNIST reached: {r['reached']}", file=sys.stderr, flush=True)
    t = quality.TARGET
    out += ["## 2. Time to quality", "",
            f"### DCGAN on MNIST (DCGAN-28, width {r['width']}, batch {r['batch_size']}, "
            "Adam 2e-4 β₁ 0.5)", "",
            f"Target: {t['covered']}/10 digits covered, KL(digit histogram ‖ uniform) < {t['kl']} "
            f"(real test digits: {r['real_kl']:.3f}), "
            f"classifier-FID ≤ {t['fid_over_floor']:g} × the real-vs-real floor ({r['floor']:.2f} at "
            f"{r['n_eval']} samples; local MNIST CNN, test accuracy {100 * r['classifier_accuracy']:.2f} %, "
            "not Inception FID). Checked every "
            f"≈ {plan.dcgan_check_s:g} s of training on {r['n_eval']} samples; times are training time only "
            f"(the checks took {r['eval_s']:.0f} s more). Cap: {plan.dcgan_cap_s:g} s of training.", ""]
    for part, row in r["first"].items():
        out.append(f"- {part}: " + (f"first met after {row['seconds']:.0f} s of training (step {row['step']})"
                                    if row else "not met within the cap"))
    out.append("")
    if r["reached"]:
        hit = r["reached"]
        out.append(f"**Reached after {hit['seconds']:.0f} s of training (step {hit['step']}).**")
    else:
        last = r["checks"][-1]
        out.append(f"**Not reached within the {plan.dcgan_cap_s:g} s cap** (last check: step "
                   f"{last['step']}, {last['covered']}/10 digits, KL {last['kl']:.3f}, "
                   f"FID/floor {last['fid_over_floor']:.1f}).")
    out += ["", "| training s | step | digits | KL | classifier-FID | FID / floor |",
            "|---:|---:|---:|---:|---:|---:|"]
    for c in r["checks"]:
        out.append(f"| {c['seconds']:.0f} | {c['step']} | {c['covered']}/10 | {c['kl']:.3f} | {c['fid']:.2f} "
                   f"| {c['fid_over_floor']:.1f} |")
    out.append("")
    return r


WGAN_ALGO1, WGAN_TOY = "WGAN-GP (Algorithm 1)", "WGAN-GP (toy script)"


def mixtures_section(plan, out):
    runs = [("GAN", "GAN", None, plan.gan_budgets), (WGAN_ALGO1, "WGAN-GP", None, plan.wgan_budgets),
            (WGAN_TOY, "WGAN-GP", quality.TOY, plan.toy_budgets)]
    rows = []
    for name in ("ring8", "grid25"):
        for label, method, settings, budgets in runs:
            if budgets:
                rows += quality.mixture(name, method, budgets=budgets, seeds=plan.mixture_seeds,
                                        settings=settings, label=label)
    out += ["### 2-D mixtures (ring8, grid25)", "",
            "Notebook 06's models (`ganlab.playground.make_gan`): G a 3×128 ReLU MLP from 2-d Gaussian "
            "noise, batch 256. *GAN*: BCE, D 3×128 ReLU, Adam(1e-3, β (0.5, 0.999)). "
            f"*{WGAN_ALGO1}*: the paper's Algorithm 1, 3×128 critic, n_critic 5, λ 10, "
            "Adam(1e-4, β (0, 0.9)). "
            f"*{WGAN_TOY}*: the same critic with the settings of the paper's own 2-D script "
            "(`gan_toy.py`: λ 0.1, β (0.5, 0.9)) and lr 1e-3. "
            "Scored on 2,500 samples: a sample is high quality (HQ) within 3σ of a centre, "
            f"a mode is covered with ≥ 20 HQ samples. Medians over seeds {list(plan.mixture_seeds)} "
            "(per-seed modes in brackets); seconds = training time to that budget (a WGAN-GP step is 5 "
            "critic updates, each with a double backward, and 1 generator update).", "",
            "| mixture | method | steps | modes covered | HQ % | seconds |", "|---|---|---:|---:|---:|---:|"]
    for m in rows:
        out.append(f"| {m['mixture']} | {m['method']} | {m['steps']} | {m['covered']:g}/{m['modes']} "
                   f"{m['covered_all']} | {m['hq']:.1f} | {m['seconds']:.1f} |")
    out.append("")
    return rows


def options_section(plan, out):
    by_name = {c.name: c for c in cases.cases()}
    dc28 = by_name["DCGAN-28"]
    kw = dict(seconds=plan.seconds / 2, reps=max(3, plan.reps - 2))
    rows = [options.channels_last(dc28, **kw)]
    if plan.slow_options:
        rows += [options.channels_last(by_name["DCGAN-64"], **kw), options.compiled(dc28, **kw)]
    else:
        rows.append({"option": "torch.compile", "case": dc28.name, "adopted": "no",
                     "note": "skipped in --quick (compiling takes tens of seconds)"})
    rows.append(options.amp_row())
    rows.append(options.threads(dc28, **kw))
    rows += options.batch_sizes(dc28, plan.batch_sizes, **kw)
    out += ["## 3. Options", "",
            f"ganlab's loop with the option vs without, interleaved ({kw['reps']} repetitions of "
            f"≈ {kw['seconds']:g} s); *ratio* = median of per-repetition ratios option/default. A default is "
            f"adopted only where the option helps by ≥ {100 * (options.HELPS - 1):.0f} %, and the *adopted?* "
            "column gives the decision and its reason.", "",
            "| option | case | default img/s | with option img/s | ratio | adopted? | note |",
            "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "—"
        out.append(f"| {r['option']} | {r['case']} | {fmt(r.get('default'))} | {fmt(r.get('variant'))} "
                   f"| {ratio} | {r['adopted']} | {r['note']} |")
    out.append("")
    return rows


def summary(results):
    """The headline figures (the table the README copies)."""
    lines = ["## Summary", "", "| measure | result | target |", "|---|---|---|"]
    if "throughput" in results:
        rows = results["throughput"]
        ratios = ", ".join(f"{r['case']} {r['ratio']:.2f}" for r in rows)
        lines.append(f"| throughput, ganlab / plain PyTorch loop | {ratios} | ≥ 0.95 each |")
        for r in (r for r in rows if "book" in r):
            lines.append(f"| throughput, ganlab (batch {r['batch']}) / the seed book's one-image loop, "
                         f"{r['case']} | {r['book_ratio']:.1f}× ({fmt(r['ganlab'])} vs "
                         f"{fmt(r['book'])} img/s) | ≥ 30× |")
    if "quality" in results:
        r = results["quality"]
        hit = r["reached"]
        digits = r["first"]["10/10 digits"]
        best = min(c["fid_over_floor"] for c in r["checks"])
        best_kl = min(c["kl"] for c in r["checks"])
        got = (f"reached after {hit['seconds']:.0f} s" if hit else
               f"not reached in {r['cap_s']:g} s (best FID/floor {best:.1f}, best KL {best_kl:.3f}"
               + (f"; 10/10 digits after {digits['seconds']:.0f} s" if digits else "") + ")")
        lines.append(f"| DCGAN-MNIST (width {r['width']}) time to 10/10 digits, KL < 0.05, FID ≤ 5 × floor "
                     f"| {got} | within the cap |")
    if "mixtures" in results:
        mixtures = results["mixtures"]
        for m in mixtures:
            if m["steps"] == max(x["steps"] for x in mixtures if x["method"] == m["method"]):
                seeds = len(m["covered_all"])
                lines.append(f"| {m['mixture']}, {m['method']}, {m['steps']} steps (median of "
                             f"{seeds} seed{'s' * (seeds > 1)}) | {m['covered']:g}/{m['modes']} modes, "
                             f"{m['hq']:.0f} % HQ, {m['seconds']:.0f} s | — |")
    if "options" in results:
        helping = [f"{r['option']} ({r['case']}, {r['ratio']:.2f}×)" for r in results["options"]
                   if r.get("helps")]
        lines.append(f"| options that help by ≥ 5 % | {', '.join(helping) or 'none'} | adopted only where "
                     "they help; decisions in §3 |")
    return lines + [""]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (< 2 min); prints unless --out")
    parser.add_argument("--out", help=f"where to write the Markdown (default: {RESULTS} for a full run, "
                        "stdout for --quick); '-' for stdout")
    parser.add_argument("--only", default="throughput,quality,mixtures,options",
                        help="comma-separated sections (default: all four)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads(N) first; 0 keeps torch's default (default: 1, the "
                        "fastest for models this small, and on a busy machine many times faster than 2)")
    parser.add_argument("--cases", help="comma-separated throughput cases, e.g. MLP-MNIST (default: all)")
    parser.add_argument("--dcgan-cap", type=float, metavar="SECONDS",
                        help=f"DCGAN-MNIST: cap on training time (default {FULL.dcgan_cap_s:g})")
    parser.add_argument("--dcgan-width", type=int, help=f"DCGAN width (default {FULL.dcgan_width})")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    plan = QUICK if args.quick else FULL
    if args.dcgan_cap:  # a longer run: check as often as the full plan does, at most 20 times
        check = max(plan.dcgan_check_s, args.dcgan_cap / 20)
        plan = replace(plan, dcgan_cap_s=args.dcgan_cap, dcgan_check_s=check)
    if args.dcgan_width:
        plan = replace(plan, dcgan_width=args.dcgan_width)
    sections = set(args.only.split(","))
    start, load0, sampler = time.perf_counter(), os.getloadavg(), LoadSampler()
    names = args.cases.split(",") if args.cases else None
    info = machine()
    body, took, results = [], [], {}
    for name, section in (("throughput", lambda: throughput_section(plan, body, names=names)),
                          ("quality", lambda: quality_section(plan, body, quick=args.quick)),
                          ("mixtures", lambda: mixtures_section(plan, body)),
                          ("options", lambda: options_section(plan, body))):
        if name in sections:
            t0 = time.perf_counter()
            try:
                results[name] = section()
            except Exception as error:  # noqa: BLE001 - keep the other sections' results, say what failed
                traceback.print_exc()
                body.extend([f"## {name}: FAILED", "", f"`{type(error).__name__}: {error}`", ""])
            took.append(f"{name} {(time.perf_counter() - t0) / 60:.1f} min")
            print(f"benchmarks: {took[-1]}", file=sys.stderr, flush=True)
    minutes, load1, samples = (time.perf_counter() - start) / 60, os.getloadavg(), sampler.stop()
    flags = " ".join(argv if argv is not None else sys.argv[1:])
    make = f'make bench BENCH_ARGS="{flags}"' if flags else "make bench"
    head = [f"# ganlab benchmarks{' (--quick smoke run)' if args.quick else ''}", "",
            f"Generated by `{('python -m benchmarks.run ' + flags).strip()}` (or `{make}`) on "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {minutes:.1f} min "
            f"({', '.join(took)}).", "",
            "| machine | |", "|---|---|"]
    head += [f"| {k} | {v} |" for k, v in info.items()]
    head += [f"| load average (1, 5, 15 min) at start | {', '.join(f'{x:.2f}' for x in load0)} |",
             f"| load average at end | {', '.join(f'{x:.2f}' for x in load1)} |",
             f"| 1-min load average during the run (every {LoadSampler.every:g} s): min, median, max "
             f"| {min(samples):.2f}, {statistics.median(samples):.2f}, {max(samples):.2f} |", "",
             "A load average above the number of CPUs means other processes shared the machine: absolute "
             "figures are then lower bounds on what the hardware does alone; ratios from interleaved runs "
             "are less affected.", "",
             f"**GPU: none measured** ({gpu_note()}).", ""]
    if args.quick:
        head += ["*Smoke run: repetitions of a fraction of a second and tiny budgets; its figures are "
                 f"noise, not results (skipped: {', '.join(plan.skip)}, torch.compile).*", ""]
    text = "\n".join(head + summary(results) + body) + "\n"
    out = args.out or ("-" if args.quick else str(RESULTS))
    if out == "-":
        print(text)
    else:
        Path(out).write_text(text)
        print(f"wrote {out} in {minutes:.1f} min", file=sys.stderr)
    return text


if __name__ == "__main__":
    main()
