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
  only for a checkpoint whose card records that bf16 keeps 99.9 % of 1,024 images within
  ``BF16_TOLERANCE`` of float32 (``zoo.bf16_accuracy``: measured once per checkpoint, not at every
  load); weights without such a record (training runs, untrained models) keep float32 and say why.
  A family keeps its own precision-sensitive parts in float32 (StyleGAN-lite does), and a test holds
  every bundled checkpoint to its record.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch

from zoo.bf16_accuracy import BF16_TOLERANCE, IMAGE_TO_IMAGE_SIZE, QUANTILE, SAMPLES, Bf16Accuracy
from zoo.seeds import latent_generator

FP32_TOLERANCE = 1e-3  # max |Δ| on [-1, 1] of the float32 fast path against plain eager (1/8 of a uint8 level)
__all__ = ["BF16_TOLERANCE", "FP32_TOLERANCE", "InferencePlan", "fast_inference", "measure_bf16_accuracy", "plan_for"]


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


def plan_for(module: torch.nn.Module, exact: bool = False, bf16_record: Bf16Accuracy | None = None) -> InferencePlan:
    """The fast path for ``module`` on the device it lives on, or the exact one when ``exact``.

    ``bf16_record``: the checkpoint's measured bf16 error (its card's ``bf16_accuracy``); without one,
    bf16 is never the default.
    """
    parameter = next(module.parameters(), None)
    dtype = str(parameter.dtype).removeprefix("torch.") if parameter is not None else "float32"
    if exact:
        return InferencePlan(dtype=dtype)
    from torch.nn.utils import parametrize

    from zoo.hardware import FORCED_OFF, cpu_bf16_flags, forced_native_bf16, native_bf16

    device = parameter.device if parameter is not None else torch.device("cpu")
    floating = parameter is not None and parameter.dtype == torch.float32
    bf16 = floating and native_bf16(device)
    if bf16:
        where = ", ".join(cpu_bf16_flags()) if device.type == "cpu" else device.type
        if bf16_record is None:
            bf16, reason = (
                False,
                (
                    "native bf16, but these weights have no bf16 accuracy record (a card's bf16_accuracy, "
                    "zoo.inference.measure_bf16_accuracy): float32"
                ),
            )
        elif not bf16_record.within_tolerance:
            bf16, reason = (
                False,
                (f"native bf16, but its card records {bf16_record.describe()}, over {BF16_TOLERANCE}: float32"),
            )
        else:
            reason = f"native bf16 on this {device.type} ({where}); its card records {bf16_record.describe()}"
    else:
        reason = f"no native bf16 on this {device.type}" if floating else "weights already in reduced precision"
        if floating and device.type == "cpu" and forced_native_bf16() is False:
            reason = FORCED_OFF
    return InferencePlan(
        channels_last=_prefers_channels_last(module) and device.type == "cpu",
        cache_spectral_norm=any(parametrize.is_parametrized(m) for m in module.modules()),
        bf16=bf16,
        reason=reason,
        dtype=dtype,
    )


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


def _synthetic_photos(n: int, channels: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """Smooth colour fields with edges and grain in [0, 1]: photo-like statistics without shipping photos."""
    import torch.nn.functional as F

    coarse = F.interpolate(torch.rand(n, channels, 4, 4, generator=gen), size=(size, size), mode="bicubic")
    middle = F.interpolate(torch.rand(n, channels, size // 8, size // 8, generator=gen), size=(size, size))
    grain = torch.rand(n, channels, size, size, generator=gen)
    return (0.6 * coarse + 0.3 * middle + 0.1 * grain).clamp(0, 1)


def bf16_errors(
    generator: torch.nn.Module, samples: int, seed: int = 0, batch_size: int = 64
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, the max and the mean |Δ| on [-1, 1] between the bf16 fast path and plain float32 (fixed seed).

    The bf16 side runs exactly as ``zoo.inference`` would run it (layout, cached spectral norm, autocast), on a copy.
    """
    from zoo.interfaces import TASK_IMAGE_TO_IMAGE

    parameter = next(generator.parameters())
    device = parameter.device
    image_to_image = getattr(generator, "task", "") == TASK_IMAGE_TO_IMAGE
    if image_to_image:
        channels = getattr(generator, "in_channels", generator.channels)  # greyscale -> colour takes grey
        inputs = _synthetic_photos(samples, channels, IMAGE_TO_IMAGE_SIZE, torch.Generator().manual_seed(seed))
        labels, scale = None, 2.0  # outputs in [0, 1]: the tolerance is stated on [-1, 1]
    else:
        inputs = generator.sample_latents(samples, latent_generator(seed))  # the latents sample(seed=…) draws
        labels = torch.arange(samples) % generator.num_classes if generator.num_classes else None
        scale = 1.0
    was_training = generator.training
    generator.eval()
    fast_copy = copy.deepcopy(generator)
    plan = replace(plan_for(fast_copy, bf16_record=None), bf16=True, reason="measuring bf16")
    worst: list[torch.Tensor] = []
    mean: list[torch.Tensor] = []
    with torch.no_grad():
        for start in range(0, samples, batch_size):
            args = [inputs[start : start + batch_size].to(device=device, dtype=parameter.dtype)]
            if not image_to_image:
                args.append(labels[start : start + batch_size].to(device) if labels is not None else None)
            reference = generator(*args).float()
            with fast_inference(fast_copy, plan):
                fast = fast_copy(*args).float()
            difference = ((fast - reference).abs() * scale).flatten(1).cpu()
            worst.append(difference.amax(dim=1))
            mean.append(difference.mean(dim=1))
    generator.train(was_training)
    return torch.cat(worst).double(), torch.cat(mean).double()


def measure_bf16_accuracy(
    generator: torch.nn.Module, samples: int = SAMPLES, seed: int = 0, batch_size: int = 64
) -> Bf16Accuracy:
    """The record a card keeps: 99.9th percentile and worst of the per-image max |Δ|, and the mean |Δ| of a pixel."""
    from zoo.interfaces import TASK_IMAGE_TO_IMAGE

    per_image, per_image_mean = bf16_errors(generator, samples, seed, batch_size)
    image_to_image = getattr(generator, "task", "") == TASK_IMAGE_TO_IMAGE
    return Bf16Accuracy(
        p999=float(torch.quantile(per_image, QUANTILE)),
        max=float(per_image.max()),
        mean=float(per_image_mean.mean()),
        samples=samples,
        protocol=default_protocol(image_to_image, samples, seed, batch_size),
    )


def default_protocol(image_to_image: bool, samples: int, seed: int, batch_size: int) -> str:
    """The sentence a card carries about how its record was measured."""
    from zoo.hardware import cpu_bf16_flags

    where = ", ".join(cpu_bf16_flags()) or "emulated bf16"
    inputs = (
        f"{samples} synthetic photo-like inputs of {IMAGE_TO_IMAGE_SIZE}x{IMAGE_TO_IMAGE_SIZE} (seed {seed})"
        if image_to_image
        else f"{samples} latents (seed {seed}, labels cycled)"
    )
    return (
        f"per-image max |Δ| on [-1, 1], bf16 autocast vs float32, {inputs}, batch {batch_size}; "
        f"cpu ({where}), torch {torch.__version__.split('+')[0]}; zoo.inference.measure_bf16_accuracy"
    )
