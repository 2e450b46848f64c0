"""What the machine computes fast: bf16 is a speed-up only where the hardware has native bf16 units.

Measured on an AMD EPYC with AVX2 only (no AVX512-BF16, no AMX): StyleGAN-lite at 64 px trained at
13.5 s/step under bf16 autocast against 1.3 s/step in float32 (1 thread each, 30 steps), because
oneDNN emulates bf16 there. Where bf16 is native it pays: with AMX, StyleGAN-lite's bf16 step is
1.7-2x its float32 step; on an AMD EPYC with AVX512-BF16 alone (a bf16 matmul peak 2.2x the fp32
one), 1.5x, and every family's bf16 step 1.5-2.1x (README, Benchmarks).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from zoo.errors import ZooError

if TYPE_CHECKING:
    import torch

NATIVE_BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
"""CPU features with bf16 matrix instructions (x86); other CPUs run bf16 through slow emulation."""

NATIVE_BF16_ENV = "ZOO_NATIVE_BF16"
"""Overrides what the CPU reports: ``0`` treats it as having no native bf16 (the float32 default path
everywhere; the zoo's pytest plugin sets it so test figures do not depend on the CPU), ``1`` as having it
(bf16 path; emulated and slow where the CPU lacks it), ``auto`` or unset detects."""
FORCED_FLAG = f"{NATIVE_BF16_ENV}=1"
FORCED_OFF = f"{NATIVE_BF16_ENV}=0 treats this cpu as having no native bf16"


def forced_native_bf16() -> bool | None:
    """True / False when ``ZOO_NATIVE_BF16`` forces the CPU's answer, None when the CPU is asked."""
    raw = os.environ.get(NATIVE_BF16_ENV, "").strip().lower()
    if raw in ("", "auto"):
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ZooError(f"{NATIVE_BF16_ENV}={raw!r} is not understood: set it to 0, 1 or auto (or unset it)")


def cpu_bf16_flags() -> tuple[str, ...]:
    """The native-bf16 features this CPU reports to torch (empty where torch cannot say), or as forced."""
    forced = forced_native_bf16()
    if forced is not None:
        return (FORCED_FLAG,) if forced else ()
    import torch

    capabilities = getattr(torch.cpu, "get_capabilities", None)
    if capabilities is None:
        return ()
    try:
        found = capabilities()
    except (RuntimeError, OSError):
        return ()
    return tuple(flag for flag in NATIVE_BF16_CPU_FLAGS if found.get(flag))


def native_bf16(device: torch.device | str) -> bool:
    """Whether bf16 autocast speeds ``device`` up: CUDA with bf16 support, or a CPU with AMX / AVX512-BF16."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        return bool(cpu_bf16_flags())
    return False


def bf16_choice(requested: bool | None, device: torch.device | str) -> tuple[bool, str]:
    """(use bf16 autocast, why): ``requested`` None means auto, i.e. only where the hardware is native."""
    import torch

    device = torch.device(device)
    if requested is not None:
        return requested, f"bf16={'true' if requested else 'false'} as set"
    if native_bf16(device):
        where = ", ".join(cpu_bf16_flags()) if device.type == "cpu" else device.type
        return True, f"bf16 autocast: native on this {device.type} ({where})"
    if device.type == "cpu" and forced_native_bf16() is False:
        return False, f"float32: {FORCED_OFF}; --set bf16=true forces autocast"
    return False, (
        f"float32: this {device.type} has no native bf16 (emulated bf16 is several times slower); "
        "--set bf16=true forces autocast"
    )


TORCH_HUGE_PAGES_ENV = "THP_MEM_ALLOC_ENABLE"
"""torch's own switch (read once, at its first CPU allocation, on Linux): allocations of 2 MB and more
are marked for transparent huge pages (``madvise``), so a new feature map faults in 2 MB at a time
instead of 4 KB. PyTorch's CPU performance tuning guide recommends it; torch leaves it off by default
because it can raise memory use slightly."""


def prefer_huge_pages() -> bool:
    """Ask torch for huge pages before it allocates, unless the user set it; False if torch is already imported.

    Sampling and feature extraction write new multi-MB maps every batch, and their first touch costs
    a page fault per 4 KB. On a 2-core AMD EPYC (one thread, 2026-12-07, three runs each, alternated):
    ``zoo sample stylegan-lite-celeba64 -n 4096 -o s.npz`` 9.5-9.8 s without, 8.3-9.0 s with it (the
    same bytes; peak RSS 992 against 976 MB); ``zoo eval stylegan-lite-celeba64 -n 3000 --extractor
    squeezenet1_1-imagenet`` 31.5-36.1 s against 23.7-25.3 s (the same results). The training
    step, which reuses its memory, gained 1 %, so only these two commands ask.
    ``THP_MEM_ALLOC_ENABLE=0`` turns it off.
    """
    os.environ.setdefault(TORCH_HUGE_PAGES_ENV, "1")
    return "torch" not in sys.modules


GLIBC_MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")
"""glibc's own switches for what :func:`keep_freed_memory` sets: a user who set one keeps theirs."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (glibc malloc.h)
KEPT_BLOCK_BYTES = 1 << 30  # blocks up to 1 GiB come from (and go back to) the heap, not fresh mmaps
KEPT_FREE_BYTES = (1 << 31) - 1  # free memory at the heap's top that glibc keeps instead of returning


def keep_freed_memory() -> bool:
    """Let glibc keep the feature maps a training step frees for the next step, instead of faulting them in anew.

    glibc hands blocks above its mmap threshold (adaptive, at most 32 MB) back to the kernel when freed
    and trims the heap's free top, so a training step's multi-MB feature maps are page-faulted in again,
    4 KB at a time, every step (StyleGAN-lite's bf16 step: 891,186 minor faults in 48 steps, 26,630 with
    this). Raising both thresholds keeps them in the heap. ``python benchmarks/bench_freed_memory.py``
    (each setting in fresh processes, alternated, one thread, a 2-core AMD EPYC with AVX512-BF16,
    2026-12-07): the trainer's default step 1.14x (StyleGAN-lite), 1.08x (WGAN-GP), 1.06x (SAGAN),
    1.03x (BigGAN-lite), 1.00x (DCGAN); peak RSS within 2 %. Linux with glibc only; False where it
    does not apply (another system or C library, or the user set ``MALLOC_*_THRESHOLD_`` or
    ``GLIBC_TUNABLES``: theirs wins). The setting lasts for the process (a Python session that trains).
    """
    import ctypes

    if not sys.platform.startswith("linux") or any(name in os.environ for name in GLIBC_MALLOC_ENV):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this interpreter runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, KEPT_BLOCK_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, KEPT_FREE_BYTES))


def _read_int(path: str) -> int | None:
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _status_bytes(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (VmSize …) in bytes."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_memory_files() -> list[tuple[str, str]]:
    """(limit, usage) files of this process's memory cgroup, v2 and v1, from /proc/self/cgroup."""
    files = []
    try:
        with open("/proc/self/cgroup") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return files
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2
            base = f"/sys/fs/cgroup{path.rstrip('/')}"
            files.append((f"{base}/memory.max", f"{base}/memory.current"))
        elif "memory" in controllers.split(","):
            base = f"/sys/fs/cgroup/memory{path.rstrip('/')}"
            files.append((f"{base}/memory.limit_in_bytes", f"{base}/memory.usage_in_bytes"))
    return files


def available_memory() -> int:
    """Bytes this process may still use: the machine's available memory, capped by RLIMIT_AS and a cgroup limit.

    Why not just MemAvailable: under ``ulimit -v``, a container or a batch scheduler's cgroup, the
    limit that ends the process is far below what the machine has free.
    """
    import resource

    limits: list[int] = []
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        try:
            limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft - (_status_bytes("VmSize") or 0))
    for limit_file, usage_file in _cgroup_memory_files():
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and limit < 2**60:  # v1 reports "no limit" as a huge number
            limits.append(limit - (usage or 0))
    return max(0, min(limits)) if limits else 2**40
