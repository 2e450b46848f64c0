"""Test-only helpers: a cheap pixel extractor and random (but well-scaled) FID Inception weights."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from zoo.metrics.extractors import LOGITS, POOL, ExtractorSpec, check_finite, check_images, register_extractor

PIXELS = ExtractorSpec(
    name="test-pixels",
    builder="metrics_helpers:PixelExtractor",
    dims={POOL: 48, LOGITS: 5},
    description="4x4 average-pooled pixels (tests only)",
)


class PixelExtractor:
    """Average-pooled pixels as 'features' and a fixed projection as 'logits': fast and deterministic."""

    def __init__(self, spec: ExtractorSpec, device: str = "cpu", precision: str = "float32") -> None:
        self.name, self.dims = spec.name, dict(spec.dims)
        self.projection = torch.randn(48, 5, generator=torch.Generator().manual_seed(0))

    @property
    def protocol(self) -> dict[str, Any]:
        return {"extractor": self.name, "weights_sha256": "", "resize": "4x4 average pool", "precision": "float32"}

    def __call__(self, images: torch.Tensor, outputs: Sequence[str] = (POOL,)) -> dict[str, torch.Tensor]:
        images = check_images(images)
        pool = F.adaptive_avg_pool2d(images.float() / 255, 4).flatten(1)
        features = {POOL: pool, LOGITS: pool @ self.projection}
        return {key: check_finite(features[key], self.name) for key in outputs}


def run_cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    """Run the zoo CLI in-process (so test-only extractors are visible); return (code, stdout, stderr)."""
    from zoo.cli import main

    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def register_pixels() -> None:
    register_extractor(PIXELS)


def random_inception_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random FID-Inception weights whose batch-norm statistics are calibrated on random images.

    Default initialisation with unit running statistics makes activations vanish over ~90 layers;
    calibrating the running statistics keeps every layer O(1), so feature comparisons mean something.
    """
    from zoo.metrics.inception import FIDInceptionV3, preprocess

    torch.manual_seed(seed)
    network = FIDInceptionV3()
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(module.weight, 0.8, 1.2)
            torch.nn.init.normal_(module.bias, 0.0, 0.1)
            module.momentum = None  # cumulative average: one batch sets the statistics
    images = torch.randint(0, 256, (4, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))
    network.train()
    with torch.no_grad():
        network(preprocess(images, "torch"))
    return network.state_dict()  # includes num_batches_tracked, like a torchvision-made .pth


def save_pth(state: dict[str, torch.Tensor], path: Path) -> Path:
    """A plain state dict saved with torch.save, as pytorch-fid publishes its weights."""
    torch.save(state, path)
    return path
