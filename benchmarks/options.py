"""Options that might make training faster: measured with ganlab's loop, against its default.

Each option runs interleaved with the default configuration (same models, same data,
same batch size unless the option *is* the batch size); the figure is the median of
per-repetition ratios. A default is worth adopting only if it helps clearly (≥ 5 %).
"""

import contextlib
import copy
import dataclasses
import os
import statistics
import tempfile
import time

import torch

from .throughput import ganlab_loop, interleaved, paired_ratio

HELPS = 1.05  # a speed-up smaller than this is within the noise of a shared machine
CANDIDATE = "helps here"  # replaced by each option's decision


def _pair(case, variant, *, seconds, reps, n_data=1024):
    """{default, variant} runs of ganlab's loop; ``variant(G, D, data) -> run``."""
    G, D = case.models()
    data = case.data(n_data)
    runs = {"default": ganlab_loop(case, copy.deepcopy(G), copy.deepcopy(D), data),
            "variant": variant(copy.deepcopy(G), copy.deepcopy(D), data)}
    rates = interleaved(runs, seconds=seconds, reps=reps)
    return statistics.median(rates["default"]), statistics.median(rates["variant"]), \
        paired_ratio(rates["variant"], rates["default"])


def channels_last(case, *, seconds, reps):
    """Models and data in NHWC memory layout (oneDNN's preferred layout on CPU)."""
    def variant(G, D, data):
        cl = torch.channels_last
        return ganlab_loop(case, G.to(memory_format=cl), D.to(memory_format=cl),
                           data.contiguous(memory_format=cl))
    row = _row(case, "channels_last", *_pair(case, variant, seconds=seconds, reps=reps))
    if row["helps"]:
        row["adopted"] = ("no: a silent layout change that PyTorch has got wrong before (transposed convs, "
                          "pytorch#99519) and that we cannot test on MPS; opt in with "
                          "`model.to(memory_format=torch.channels_last)`")
    return row


@contextlib.contextmanager
def _fresh_inductor_cache():
    """A cold compile, as a learner's first one: inductor's on-disk cache in a new folder."""
    old = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = folder
        try:
            yield
        finally:
            if old is None:
                del os.environ["TORCHINDUCTOR_CACHE_DIR"]
            else:
                os.environ["TORCHINDUCTOR_CACHE_DIR"] = old


def compiled(case, *, seconds, reps):
    """``torch.compile`` on G and D (inductor); the first step pays the (cold) compile time."""
    compile_s = {}

    def variant(G, D, data):
        run = ganlab_loop(case, G, D, data, wrap=torch.compile)
        start = time.perf_counter()
        run(1)  # compiles forward and backward graphs
        compile_s["s"] = time.perf_counter() - start
        return run

    try:
        with _fresh_inductor_cache():
            row = _row(case, "torch.compile", *_pair(case, variant, seconds=seconds, reps=reps))
    except Exception as error:  # noqa: BLE001 - any failure is the result to report
        return {"option": "torch.compile", "case": case.name, "note": f"failed: {type(error).__name__}: "
                f"{str(error).splitlines()[0][:120]}", "adopted": "no"}
    row["note"] = f"first step {compile_s['s']:.0f} s (cold compile of G and D, forward and backward)"
    if row["ratio"] > 1:  # training time after which the compile has paid for itself
        even = compile_s["s"] / (1 - 1 / row["ratio"])
        row["note"] += f"; pays for itself after ≈ {even / 60:.1f} min of training"
        if row["helps"]:
            row["adopted"] = ("no: a notebook trains for minutes, less than that" if even > 300 else
                              "no: opt in with `torch.compile(model)`; a first step this slow would "
                              "puzzle a learner")
    return row


def threads(case, *, seconds, reps):
    """One thread vs the current thread count (or, if that is already 1, every CPU)."""
    default = torch.get_num_threads()
    n = 1 if default > 1 else os.cpu_count()

    def variant(G, D, data):
        inner = ganlab_loop(case, G, D, data)

        def run(steps):
            torch.set_num_threads(n)
            try:
                return inner(steps)
            finally:
                torch.set_num_threads(default)
        return run

    row = _row(case, f"{n} thread(s) vs {default}", *_pair(case, variant, seconds=seconds, reps=reps))
    row["adopted"] = "no (a library should not pick thread counts)"
    # On an oversubscribed CPU, OpenMP threads wait for each other: more threads can be far slower.
    row["note"] = f"1-min load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs after this row"
    return row


def batch_sizes(case, sizes, *, seconds, reps, n_data=2048):
    """Images/s of ganlab's loop at several batch sizes (interleaved)."""
    G, D = case.models()
    data = case.data(n_data)
    runs = {b: ganlab_loop(dataclasses.replace(case, batch_size=b), copy.deepcopy(G), copy.deepcopy(D), data)
            for b in sizes}
    rates = interleaved(runs, seconds=seconds, reps=reps)
    base, rows = case.batch_size, []
    for b in sizes:
        ratio = paired_ratio(rates[b], rates[base])
        if b == base:
            adopted = "the default (ganlab.train's batch_size=64)"
        elif ratio >= HELPS:
            adopted = "no: faster per image, but it changes the optimisation: a per-notebook choice"
        else:
            adopted = "no (not faster)"
        rows.append({"option": f"batch size {b}", "case": case.name, "ratio": ratio, "adopted": adopted,
                     "helps": b != base and ratio >= HELPS,
                     "default": statistics.median(rates[base]), "variant": statistics.median(rates[b]),
                     "note": ""})
    return rows


def _row(case, option, default, variant, ratio):
    helps = ratio >= HELPS
    return {"option": option, "case": case.name, "default": default, "variant": variant, "ratio": ratio,
            "helps": helps, "adopted": CANDIDATE if helps else "no (does not help here)", "note": ""}


def amp_row():
    """AMP (float16 autocast) is CUDA-only in ganlab, and these benchmarks run on the CPU."""
    return {"option": "AMP (float16 autocast)", "case": "all", "adopted": "no",
            "note": "not measured: no GPU (ganlab uses AMP on CUDA only)"}
