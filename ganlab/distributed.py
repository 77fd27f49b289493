"""Training on several processes: ``torchrun --nproc_per_node=N`` runs the same notebook step.

Under torchrun, ``setup()`` starts the process group (nccl on CUDA, gloo on CPUs), gives each
process its own GPU and seeds it with seed + rank, so that each draws its own noise. ``train``
then wraps G, D (and E) in PyTorch's DistributedDataParallel, which copies rank 0's weights to
every process and averages the gradients in each backward pass (the gradient penalty's double
backward included); batch norm becomes SyncBatchNorm on GPUs (PyTorch has it for GPUs only:
on CPUs each process normalises its own slice). Each process takes its own slice of every
batch, the processes agree each step on whether to stop, and rank 0 alone prints, draws and
writes checkpoints. A step function needs no change."""

import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def world():
    """The number of processes training together (1 without torchrun)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank():
    """This process's number, 0 … world() − 1; rank 0 prints, draws and writes."""
    return dist.get_rank() if world() > 1 else 0


def init(device):
    """Start the process group when torchrun launched several processes; return the device this
    process trains on (its own GPU: ``LOCAL_RANK``)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def wrap(gan):
    """Wrap the players in DistributedDataParallel (once) and share rank 0's data seed, so every
    process cuts its slices from the same shuffle."""
    if world() == 1 or isinstance(gan.G, DistributedDataParallel):
        return
    for name in ("G", "D", "E"):
        module = getattr(gan, name)
        if module is not None and any(p.requires_grad for p in module.parameters()):
            if gan.device.type == "cuda":  # the optimisers keep the same Parameter objects
                module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
            ids = [gan.device] if gan.device.type == "cuda" else None
            setattr(gan, name, DistributedDataParallel(module, device_ids=ids))
    seed = torch.tensor([gan.data_seed], device="cuda" if gan.device.type == "cuda" else "cpu")
    dist.broadcast(seed, 0)
    gan.data_seed = int(seed)


def plain(module):
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return module.module if isinstance(module, DistributedDataParallel) else module


def agree(*flags):
    """Each flag, true if it is true on any process: one small all-reduce a step, so that every
    process stops (Ctrl-C, the clock, a NaN) after the same step."""
    if world() == 1:
        return flags
    t = torch.tensor([float(f) for f in flags], device="cuda" if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return tuple(bool(v) for v in t.tolist())


def gather(obj):
    """A list of every process's ``obj`` (``[obj]`` on one process)."""
    if world() == 1:
        return [obj]
    out = [None] * world()
    dist.all_gather_object(out, obj)
    return out
