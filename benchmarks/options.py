"""Options that might make training faster, each timed against ganlab's default, interleaved.

An option could become a default only if it helps by ≥ 5 % (``HELPS``); each row says what was decided.
"""

import copy
import dataclasses
import os
import statistics
import tempfile
import time
from unittest import mock

import torch

from .throughput import ganlab_loop, interleaved, paired_ratio

HELPS = 1.05  # a smaller speed-up is within the noise of a shared machine


def _pair(case, option, variant, *, seconds, reps, if_helps, n_data=1024):
    """One row: ganlab's loop vs ``variant(G, D, data) -> run``, from the same weights and data."""
    G, D = case.models()
    data = case.data(n_data)
    runs = {"default": ganlab_loop(case, copy.deepcopy(G), copy.deepcopy(D), data),
            "variant": variant(copy.deepcopy(G), copy.deepcopy(D), data)}
    rates = interleaved(runs, seconds=seconds, reps=reps)
    ratio = paired_ratio(rates["variant"], rates["default"])
    return {"option": option, "case": case.name, "default": statistics.median(rates["default"]),
            "variant": statistics.median(rates["variant"]), "ratio": ratio, "helps": ratio >= HELPS,
            "decision": if_helps if ratio >= HELPS else "no (does not help here)"}


def channels_last(case, *, seconds, reps):
    """Models and data in NHWC memory layout (oneDNN's preferred layout on a CPU)."""
    def variant(G, D, data):
        cl = torch.channels_last
        return ganlab_loop(case, G.to(memory_format=cl), D.to(memory_format=cl),
                           data.contiguous(memory_format=cl))
    return _pair(case, "channels_last", variant, seconds=seconds, reps=reps,
                 if_helps="no: a silent layout change PyTorch has got wrong before (transposed convs, "
                 "pytorch#99519); opt in with `model.to(memory_format=torch.channels_last)`")


def compiled(case, *, seconds, reps):
    """``torch.compile`` on G and D; the first step pays a cold compile, as a learner's first one."""
    compile_s = []

    def variant(G, D, data):
        run = ganlab_loop(case, G, D, data, wrap=torch.compile)
        start = time.perf_counter()
        run(1)  # compiles the forward and backward graphs
        compile_s.append(time.perf_counter() - start)
        return run

    try:
        with tempfile.TemporaryDirectory() as cache, mock.patch.dict(os.environ,
                                                                     TORCHINDUCTOR_CACHE_DIR=cache):
            row = _pair(case, "torch.compile", variant, seconds=seconds, reps=reps,
                        if_helps="no: opt in with `torch.compile(model)`; a first step this slow "
                        "would puzzle a learner")
    except Exception as error:  # noqa: BLE001 - a failure is the result to report
        return {"option": "torch.compile", "case": case.name, "decision": "no",
                "note": f"failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}"}
    row["note"] = f"first step {compile_s[0]:.0f} s"
    if row["ratio"] > 1:  # training time after which the compile has paid for itself
        row["note"] += f"; pays for itself after ≈ {compile_s[0] / (1 - 1 / row['ratio']) / 60:.1f} min"
    return row


def threads(case, *, seconds, reps):
    """The current thread count vs one thread (or, when that is already one, every CPU)."""
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

    row = _pair(case, f"{n} thread(s) vs {default}", variant, seconds=seconds, reps=reps,
                if_helps="no: a library should not pick thread counts; `GANLAB_THREADS=N` sets them")
    # on an oversubscribed CPU, OpenMP threads wait for each other: more threads can be far slower
    row["note"] = f"1-min load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs after this row"
    return row


def batch_size(case, b, *, seconds, reps):
    """ganlab's loop at batch size ``b`` vs the case's own (64, ``train``'s default)."""
    def variant(G, D, data):
        return ganlab_loop(dataclasses.replace(case, batch_size=b), G, D, data)
    return _pair(case, f"batch size {b} vs {case.batch_size}", variant, seconds=seconds, reps=reps,
                 if_helps="no: faster per image, but it changes the optimisation: a per-notebook choice")
