"""What the machine computes fast: bf16 is a speed-up only where the hardware has native bf16 units.

Measured on an AMD EPYC with AVX2 only (no AVX512-BF16, no AMX): StyleGAN-lite at 64 px trained at
13.5 s/step under bf16 autocast against 1.3 s/step in float32 (1 thread each, 30 steps), because
oneDNN emulates bf16 there. On Intel AMX and AVX512-BF16 CPUs the same autocast is 2-5x faster.
"""

from __future__ import annotations

import torch

NATIVE_BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
"""CPU features with bf16 matrix instructions (x86); other CPUs run bf16 through slow emulation."""


def cpu_bf16_flags() -> tuple[str, ...]:
    """The native-bf16 features this CPU reports to torch (empty where torch cannot say)."""
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
    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        return bool(cpu_bf16_flags())
    return False


def bf16_choice(requested: bool | None, device: torch.device | str) -> tuple[bool, str]:
    """(use bf16 autocast, why): ``requested`` None means auto, i.e. only where the hardware is native."""
    device = torch.device(device)
    if requested is not None:
        return requested, f"bf16={'true' if requested else 'false'} as set"
    if native_bf16(device):
        where = ", ".join(cpu_bf16_flags()) if device.type == "cpu" else device.type
        return True, f"bf16 autocast: native on this {device.type} ({where})"
    return False, (
        f"float32: this {device.type} has no native bf16 (emulated bf16 is several times slower); "
        "--set bf16=true forces autocast"
    )
