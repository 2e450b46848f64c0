"""What every benchmark here shares: the machine's own matmul peak, and settings timed round by round.

A shared machine's load changes from second to second; timing one setting after another measures
the load, not the code. ``interleaved`` runs every setting once per round (A B C A B C …) and keeps
each setting's times, so a slow moment hits all settings alike; ``matmul_peak`` measures what the
CPU at hand can do in the same run, so figures are quoted as a fraction of it, not in seconds alone.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping

import torch


def matmul_peak(dtype: torch.dtype = torch.bfloat16, size: int = 1024, repeats: int = 5) -> float:
    """Best FLOP/s of a size x size x size matmul in ``dtype`` (the practical peak of this CPU and thread count)."""
    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    torch.mm(a, b)  # warm-up: kernel selection, page faults
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def interleaved(settings: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each setting, one call of every setting per round, after one warm-up call each."""
    for run in settings.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in settings}
    for _ in range(rounds):
        for name, run in settings.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def spread(values: list[float]) -> str:
    """'median (min–max)' of a list of figures, for a table cell."""
    return f"{statistics.median(values):.3g} ({min(values):.3g}–{max(values):.3g})"


def cpu_name() -> str:
    """The CPU's model name as the kernel reports it (figures differ between machines)."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line(threads: int) -> tuple[str, dict[str, float]]:
    """Fix the thread count (torch and BLAS), measure both matmul peaks; a header naming CPU, threads, peaks.

    It also names torch's huge-pages switch: page faults on new feature maps move sampling figures by a third.
    """
    from zoo.hardware import TORCH_HUGE_PAGES_ENV, cpu_bf16_flags

    torch.set_num_threads(threads)
    try:  # numpy's and scipy's BLAS too (the Fréchet and KID references run there)
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass
    peaks = {"bf16": matmul_peak(torch.bfloat16), "fp32": matmul_peak(torch.float32)}
    flags = ", ".join(cpu_bf16_flags()) or "none (bf16 emulated)"
    line = (
        f"{cpu_name()}; torch threads {torch.get_num_threads()}; matmul peak in this run: bf16 "
        f"{peaks['bf16'] / 1e9:.1f} GFLOP/s, fp32 {peaks['fp32'] / 1e9:.1f} GFLOP/s; native bf16 flags: {flags}; "
        f"{TORCH_HUGE_PAGES_ENV}={os.environ.get(TORCH_HUGE_PAGES_ENV, 'unset')}"
    )
    return line, peaks


def flop_count(run: Callable[[], object]) -> int:
    """FLOPs of one call of ``run``: every op torch's FlopCounterMode counts (matmuls, convolutions), by its formulas.

    FlopCounterMode itself also attributes FLOPs to modules through hooks on their inputs, and those hooks
    break ``autograd.grad`` of a module's output with respect to a leaf input: a gradient penalty's double
    backward (WGAN-GP, R1). Only the total is wanted here, so the count is a dispatch mode of its own.
    """
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    class TotalFlops(TorchDispatchMode):
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            formula = flop_registry.get(func._overloadpacket)
            if formula is not None:
                self.total += formula(*args, **kwargs, out_val=out)
            return out

    with TotalFlops() as counter:
        run()
    return counter.total


def speed_rows(
    times: Mapping[str, list[float]], flops: Mapping[str, int], peaks: Mapping[str, float], items: int, digits: int
) -> list[list[str]]:
    """Per setting: name, 'rate (min–max)' of ``items`` per call, × the first setting, % of bf16 and fp32 peaks."""
    reference = statistics.median(next(iter(times.values())))
    rows = []
    for name, ts in times.items():
        median = statistics.median(ts)
        rate = f"{items / median:.{digits}f} ({items / max(ts):.{digits}f}–{items / min(ts):.{digits}f})"
        achieved = flops[name] / median
        percent = [f"{100 * achieved / peaks[kind]:.0f} %" for kind in ("bf16", "fp32")]
        rows.append([name, rate, f"{reference / median:.2f}", *percent])
    return rows
