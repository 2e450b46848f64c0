"""The EMA generator of a run, and turning it into the weights file users load."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from typing import Any

import torch

from zoo.interfaces import Generator
from zoo.weights import META_CLASSES, META_STEP, save_weights


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema ← decay·ema + (1 − decay)·model for parameters; buffers are copied (Karras et al. 2018)."""
    for ema_p, p in zip(ema.parameters(), model.parameters(), strict=True):
        ema_p.lerp_(p, 1.0 - decay)
    for ema_b, b in zip(ema.buffers(), model.buffers(), strict=True):
        ema_b.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(generator: Generator, batches: int = 8, batch_size: int = 128, seed: int = 0) -> None:
    """Replace running BN statistics with an exact average over fresh latents.

    An EMA generator's weights never produced the running statistics it carries; re-estimating
    them ("standing statistics", Brock et al. 2018) makes eval-mode samples match its weights.
    """
    norms = [m for m in generator.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    gen = torch.Generator().manual_seed(seed)
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    generator.train()
    device = next(generator.parameters()).device
    for _ in range(batches):
        z = generator.sample_latents(batch_size, gen).to(device)
        y = (
            torch.randint(generator.num_classes, (batch_size,), generator=gen).to(device)
            if generator.num_classes
            else None
        )
        generator(z, y)
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    generator.eval()


def export_generator(
    generator: Generator,
    path: str | os.PathLike[str],
    family: str,
    config: Mapping[str, Any],
    dtype: torch.dtype = torch.float32,
    classes: tuple[str, ...] = (),
    step: int | None = None,
) -> str:
    """Write a float copy of ``generator`` (BN re-estimated) as safetensors; return its sha256.

    ``classes`` (the training data's label names) go into the metadata so a run directory can be
    sampled by class name, like a published checkpoint whose card lists them; ``step`` lets zoo push
    pick the sample grid of the same step.
    """
    final = copy.deepcopy(generator).float().to(memory_format=torch.contiguous_format)
    recalibrate_batchnorm(final)
    state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in final.state_dict().items()}
    metadata = {META_CLASSES: json.dumps(list(classes))} if classes else {}
    if step is not None:
        metadata[META_STEP] = str(step)
    return save_weights(path, state, family=family, config=config, metadata=metadata or None)
