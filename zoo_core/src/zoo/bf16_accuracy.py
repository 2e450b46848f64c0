"""How far bf16 moves a checkpoint's images from float32, measured once on many samples and kept on its card.

Why not a probe batch at every load: one batch of 16 passed biggan-lite-cifar10-32 at 0.059 while 64
samples reached 0.165 (21 grey levels). The error has a tail, so the decision needs the distribution:
``zoo.inference.measure_bf16_accuracy`` runs ``SAMPLES`` images (fixed seed) through float32 and
through the bf16 path and records, per image, the largest |Δ| of any pixel; ``zoo.inference`` takes
bf16 for a checkpoint only when its card's record says that 99.9 % of images stay within
``BF16_TOLERANCE`` (the worst one is recorded too). Weights without a record (a training run, an
untrained model) keep float32.

    python benchmarks/check_bf16_accuracy.py --write-cards   # measures every bundled checkpoint
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BF16_TOLERANCE = 0.1
"""Largest |Δ| on [-1, 1] (about 13 uint8 levels) of the bf16 path against plain float32, for 99.9 % of images."""
SAMPLES = 1024
"""Images a record needs: enough for a 99.9th percentile that is not the single worst image."""
IMAGE_TO_IMAGE_SIZE = 96
"""Side of the synthetic inputs image-to-image networks are measured on."""
QUANTILE = 0.999


@dataclass(frozen=True)
class Bf16Accuracy:
    """A checkpoint's measured bf16 error on [-1, 1]: 99.9th percentile and worst of the per-image max |Δ|, mean |Δ|."""

    p999: float
    max: float
    mean: float
    samples: int
    protocol: str = ""

    @classmethod
    def from_mapping(cls, data: Any, source: str = "card") -> Bf16Accuracy:
        """Read the card's ``bf16_accuracy`` block, or raise a ZooError naming what is wrong."""
        from zoo.errors import ZooError

        problem = record_problem(data)
        if problem:
            raise ZooError(f"{source}: bf16_accuracy {problem}")
        return cls(
            p999=float(data["p999"]),
            max=float(data["max"]),
            mean=float(data["mean"]),
            samples=int(data["samples"]),
            protocol=str(data.get("protocol", "")),
        )

    def to_mapping(self) -> dict[str, Any]:
        """The card's front-matter block (three significant digits)."""
        return {
            "p999": float(f"{self.p999:.3g}"),
            "max": float(f"{self.max:.3g}"),
            "mean": float(f"{self.mean:.3g}"),
            "samples": self.samples,
            "protocol": self.protocol,
        }

    @property
    def within_tolerance(self) -> bool:
        """Whether bf16 may be the default path for these weights."""
        return self.samples >= SAMPLES and self.p999 <= BF16_TOLERANCE

    def describe(self) -> str:
        """'99.9 % of 1024 images within 0.041 of float32 (worst 0.052)'."""
        return f"99.9 % of {self.samples} images within {self.p999:.2g} of float32 (worst {self.max:.2g})"


def record_problem(data: Any) -> str | None:
    """Why a card's ``bf16_accuracy`` block is unusable, or None."""
    if not isinstance(data, Mapping):
        return "must be a mapping with p999, max, mean and samples"
    missing = [key for key in ("p999", "max", "mean", "samples") if key not in data]
    if missing:
        return f"is missing {', '.join(missing)}"
    for key in ("p999", "max", "mean"):
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            return f"{key} must be a finite number >= 0, got {value!r}"
    samples = data["samples"]
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        return f"samples must be a positive integer, got {samples!r}"
    if not data["p999"] <= data["max"]:
        return "p999 cannot exceed max"
    return None
