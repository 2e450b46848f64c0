"""torchrun + DistributedDataParallel: read the launcher's environment, pick gloo or nccl."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import NoReturn

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    """Where this process sits: its rank among ``world`` processes and its device."""

    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes files and shows progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def init_distributed(device: str = "auto") -> DistributedContext:
    """Join the process group torchrun set up (if any) and choose this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
    target = torch.device(f"cuda:{local_rank}") if use_cuda else torch.device("cpu" if device == "auto" else device)
    if use_cuda:
        torch.cuda.set_device(target)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistributedContext(rank=dist.get_rank() if world > 1 else 0, world=world, device=target)


def wrap(module: torch.nn.Module, context: DistributedContext) -> torch.nn.Module:
    """DistributedDataParallel around ``module`` when more than one process trains."""
    if not context.distributed:
        return module
    from torch.nn.parallel import DistributedDataParallel

    ids = [context.device.index] if context.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


def barrier(context: DistributedContext) -> None:
    """Wait for every rank (e.g. until rank 0 has written a checkpoint)."""
    if context.distributed:
        dist.barrier()


def shutdown(context: DistributedContext) -> None:
    """Leave the process group cleanly."""
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()


def exit_worker(context: DistributedContext) -> NoReturn:
    """End a torchrun worker whose run is complete, flushing output but skipping interpreter teardown.

    DistributedDataParallel keeps its process group, and gloo's worker and socket threads, alive after
    ``destroy_process_group`` until the process ends (torch 2.14; even with the DDP module deleted).
    Tearing the interpreter down around those threads can abort a rank whose work is done (SIGABRT,
    "terminate called without an active exception"; 16 of 210 two-rank launches here, 0 of 140 with
    this exit; benchmarks/check_ddp_exit.py counts them), so torchrun reports a finished run as failed.
    Every file a run writes is complete and renamed into place before this is called.
    """
    shutdown(context)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def all_ranks(flag: bool, context: DistributedContext) -> bool:
    """Whether ``flag`` holds on every rank (one tiny all-reduce), so ranks take the same branch."""
    if not context.distributed:
        return flag
    value = torch.tensor([1 if flag else 0], device=context.device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())
