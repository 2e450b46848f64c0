"""The fastest way this machine can run a generator, within a stated tolerance of plain float32.

``ModelHandle`` samples, walks, mixes and stylizes through ``fast_inference`` unless the user asked
for a dtype (``--dtype float32`` is the exact reference path). The plan is decided from what the
device reports (``zoo.hardware``), never from a CPU's name:

- channels-last memory layout for convolutional generators: oneDNN's fast layout on CPUs
  (1.2-1.7x at one thread on an AVX2 EPYC, ``benchmarks/bench_sample.py``), the same arithmetic
  up to float rounding (max |Δ| 4e-5 on [-1, 1] over the bundled generators);
- spectral norm computed once per call instead of once per layer call (``parametrize.cached``):
  in eval mode σ is fixed, so this is exact;
- bf16 autocast only where the device computes bf16 natively (AMX, AVX512-BF16, bf16 GPUs), and
  only for a model whose bf16 images stay within ``BF16_TOLERANCE`` of float32 ones on a fixed
  probe batch, measured once per handle: a model too sensitive for bf16 (stylegan-lite-emoji64
  moves pixels by 0.21 even with its mapping, styles, demodulation and RGB sum in float32) keeps
  float32 and says why. A family keeps its own precision-sensitive parts in float32 (StyleGAN-lite
  does), and a test holds every bundled generator to its tolerance.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

FP32_TOLERANCE = 1e-3  # max |Δ| on [-1, 1] of the float32 fast path against plain eager (1/8 of a uint8 level)
BF16_TOLERANCE = 0.1  # max |Δ| on [-1, 1] of the bf16 path against plain float32


@dataclass(frozen=True)
class InferencePlan:
    """How a generator runs: memory layout, spectral-norm caching, bf16 autocast, and why."""

    channels_last: bool = False
    cache_spectral_norm: bool = False
    bf16: bool = False
    reason: str = "exact: plain eager, as asked"
    dtype: str = "float32"  # the weights' dtype

    def describe(self) -> str:
        """'float32, channels-last, spectral norm cached (no native bf16 on this cpu)' or the like."""
        parts = [f"bf16 autocast over {self.dtype} weights" if self.bf16 else self.dtype]
        if self.channels_last:
            parts.append("channels-last")
        if self.cache_spectral_norm:
            parts.append("spectral norm cached")
        return f"{', '.join(parts)} ({self.reason})"


def _has_convolutions(module: torch.nn.Module) -> bool:
    """Any 4-d weight: nn.Conv2d or a family's own F.conv2d parameters (StyleGAN-lite's modulated convs)."""
    return any(parameter.dim() == 4 for parameter in module.parameters())


def _prefers_channels_last(module: torch.nn.Module) -> bool:
    """Convolutions without instance norm: channels-last paid 1.07-1.49x for every bundled generator, but the
    instance-norm style networks ran 0.96x in float32 and 0.98x in bf16 that way (benchmarks/bench_stylize.py)."""
    instance_norm = any(isinstance(m, torch.nn.modules.instancenorm._InstanceNorm) for m in module.modules())
    return _has_convolutions(module) and not instance_norm


def plan_for(module: torch.nn.Module, exact: bool = False) -> InferencePlan:
    """The fast path for ``module`` on the device it lives on, or the exact one when ``exact``."""
    parameter = next(module.parameters(), None)
    dtype = str(parameter.dtype).removeprefix("torch.") if parameter is not None else "float32"
    if exact:
        return InferencePlan(dtype=dtype)
    from torch.nn.utils import parametrize

    from zoo.hardware import cpu_bf16_flags, native_bf16

    device = parameter.device if parameter is not None else torch.device("cpu")
    floating = parameter is not None and parameter.dtype == torch.float32
    bf16 = floating and native_bf16(device)
    if bf16:
        where = ", ".join(cpu_bf16_flags()) if device.type == "cpu" else device.type
        reason = f"native bf16 on this {device.type} ({where})"
        error = bf16_error(module)
        if not error <= BF16_TOLERANCE:
            bf16, reason = False, f"native bf16, but it moved pixels by {error:.2g} > {BF16_TOLERANCE} on a probe batch"
        else:
            reason += f"; probe batch within {error:.2g} of float32"
    else:
        reason = f"no native bf16 on this {device.type}" if floating else "weights already in reduced precision"
    return InferencePlan(
        channels_last=_prefers_channels_last(module) and device.type == "cpu",
        cache_spectral_norm=any(parametrize.is_parametrized(m) for m in module.modules()),
        bf16=bf16,
        reason=reason,
        dtype=dtype,
    )


PROBE_SIZE = 16


@torch.no_grad()
def bf16_error(module: torch.nn.Module) -> float:
    """Max |Δ| on [-1, 1] between bf16 autocast and float32 outputs of ``module`` on a fixed probe batch."""
    from zoo.interfaces import TASK_IMAGE_TO_IMAGE

    gen = torch.Generator().manual_seed(0)
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    if getattr(module, "task", "") == TASK_IMAGE_TO_IMAGE:
        inputs: tuple = (torch.rand(2, module.channels, 128, 128, generator=gen).to(device),)
        scale = 2.0  # outputs in [0, 1]: the tolerance is stated on [-1, 1]
    else:
        z = module.sample_latents(PROBE_SIZE, gen).to(device)
        y = torch.arange(PROBE_SIZE, device=device) % module.num_classes if module.num_classes else None
        inputs, scale = (z, y), 1.0
    reference = module(*inputs).float()
    with torch.autocast(device.type, dtype=torch.bfloat16):
        fast = module(*inputs).float()
    module.train(was_training)
    return float((fast - reference).abs().max()) * scale


@contextlib.contextmanager
def fast_inference(module: torch.nn.Module, plan: InferencePlan) -> Iterator[None]:
    """Run ``module`` under ``plan`` (no gradients); channels-last is applied to it in place, once."""
    from torch.nn.utils import parametrize

    if plan.channels_last:
        module.to(memory_format=torch.channels_last)
    device = next(module.parameters()).device.type if next(module.parameters(), None) is not None else "cpu"
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.no_grad())
        if plan.cache_spectral_norm:
            stack.enter_context(parametrize.cached())
        if plan.bf16:
            stack.enter_context(torch.autocast(device, dtype=torch.bfloat16))
        yield
