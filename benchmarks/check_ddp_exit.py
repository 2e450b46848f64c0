"""How often a torchrun DDP job that finished its work still fails at exit: plain exit vs exit_worker.

DistributedDataParallel keeps gloo's threads alive past ``destroy_process_group``; when one rank
exits while the other still works, interpreter teardown can abort it (SIGABRT, "terminate called
without an active exception"). This launches a tiny two-rank DDP job N times per ending and counts
failed launches; re-run it after a torch upgrade to see whether ``exit_worker`` is still needed.
Run: python benchmarks/check_ddp_exit.py [--launches 60]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time


def _worker(ending: str) -> None:
    """One rank: a few DDP steps, then rank 0 lingers (as when it writes the final grid) and both leave."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from zoo.training.distributed import exit_worker, init_distributed

    context = init_distributed("cpu")
    model = DistributedDataParallel(torch.nn.Linear(64, 64))
    for _ in range(3):
        model(torch.randn(8, 64)).sum().backward()
    dist.barrier()
    if context.is_main:
        time.sleep(0.3)
    if ending == "exit_worker":
        exit_worker(context)
    dist.destroy_process_group()


def _launch(ending: str) -> int:
    """One torchrun launch of two CPU ranks on a free loopback port; its exit code."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command += ["--master_addr", "127.0.0.1", "--master_port", str(port), __file__, "--worker", ending]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, env=env, timeout=120).returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=60)
    parser.add_argument("--worker", choices=["plain", "exit_worker"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker)
        return
    for ending in ("plain", "exit_worker"):
        failed = sum(_launch(ending) != 0 for _ in range(args.launches))
        print(f"{ending:12s} {failed:3d} of {args.launches} launches failed", flush=True)


if __name__ == "__main__":
    main()
